/* The domain document's network interfaces (<interface>). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "conf/domain_conf_priv.h"
#include "util/cleanup.h"

const char *const dx_net_type_names[] = { "user", "network", "bridge", "direct", "ethernet" };
const size_t dx_net_type_count = ELEMENTSOF(dx_net_type_names);

const char *mv_net_type_str(mv_net_type v)
{
    return (size_t)v < dx_net_type_count ? dx_net_type_names[v] : NULL;
}

/* Types libvirt knows that modvirt does not model. */
static const char *const unmodelled_types[] = { "vhostuser", "server", "client", "mcast", "udp",
                                                "hostdev", "vdpa", "null", "vds", "internal",
                                                NULL };

void dx_net_free(mv_domain_net *n)
{
    if (!n)
        return;
    free(n->mac_type);
    free(n->source.network);
    free(n->source.portgroup);
    free(n->source.bridge);
    free(n->source.dev);
    free(n->source.mode);
    free(n->virtualport_type);
    free(n->virtualport_interfaceid);
    free(n->target_dev);
    free(n->model);
    free(n->driver.name);
    free(n->link_state);
    free(n->filterref);
    free(n->rom_bar);
    free(n->rom_file);
    dx_info_clear(&n->info);
    free(n);
}

static bool model_name_ok(const char *m)
{
    if (!*m)
        return false;
    for (; *m; m++)
        if (!((*m >= 'a' && *m <= 'z') || (*m >= 'A' && *m <= 'Z') ||
              (*m >= '0' && *m <= '9') || *m == '_' || *m == '-'))
            return false;
    return true;
}

static int net_source_parse(dparse *p, xmlNodePtr n, mv_domain_net *net)
{
    static const char *const modes[] = { "vepa", "private", "bridge", "passthrough", NULL };
    xmlNodePtr src = dx_child(n, "source");
    const char *type = dx_net_type_names[net->type];
    int r;

    if (net->type == MV_NET_USER || net->type == MV_NET_ETHERNET)
        return 0;   /* no source: an element with attributes is reported as unsupported */
    if (!src)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "interface type='%s' requires a 'source' element", type);
    switch (net->type) {
    case MV_NET_NETWORK:
        net->source.network = dx_attr(p, src, "network");
        net->source.portgroup = dx_attr(p, src, "portgroup");
        if (!net->source.network && !p->oom)
            return dx_err_missing("network", "source");
        break;
    case MV_NET_BRIDGE:
        net->source.bridge = dx_attr(p, src, "bridge");
        if (!net->source.bridge && !p->oom)
            return dx_err_missing("bridge", "source");
        break;
    case MV_NET_DIRECT:
        net->source.dev = dx_attr(p, src, "dev");
        if (!net->source.dev && !p->oom)
            return dx_err_missing("dev", "source");
        r = dx_attr_in_xml(p, src, "mode", modes, &net->source.mode);
        if (r < 0)
            return r;
        if (r == 0 && !(net->source.mode = dx_strdup(p, "vepa")))
            return -ENOMEM;
        break;
    default:
        break;
    }
    return p->oom ? -ENOMEM : 0;
}

int dx_net_parse(dparse *p, xmlNodePtr n, mv_domain_net **ret)
{
    static const char *const links[] = { "up", "down", NULL };
    static const char *const drivers[] = { "qemu", "vhost", NULL };
    static const char *const mac_types[] = { "generated", "static", NULL };
    mv_domain_net *net = calloc(1, sizeof(*net));
    _cleanup_free_ char *type = NULL;
    xmlNodePtr c;
    int t, r;

    if (!net)
        return -ENOMEM;
    *ret = net;
    type = dx_attr(p, n, "type");
    if (!type)
        return p->oom ? -ENOMEM : dx_err_missing("type", "interface");
    t = dx_lookup(dx_net_type_names, dx_net_type_count, type);
    if (t < 0) {
        for (size_t i = 0; unmodelled_types[i]; i++)
            if (strcmp(unmodelled_types[i], type) == 0)
                return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                       "interface type '%s' is not supported", type);
        return dx_err_invalid("type", "interface", type);
    }
    net->type = (mv_net_type)t;

    if ((c = dx_child(n, "mac"))) {
        _cleanup_free_ char *mac = dx_attr(p, c, "address");

        if (mac) {
            if (dx_mac_parse(mac, net->mac) < 0)
                return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                       "unable to parse mac address '%s'", mac);
            if (net->mac[0] & 1)
                return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                       "expected unicast mac address, found multicast '%s'", mac);
            net->mac_type = NULL;
        }
        if ((r = dx_attr_in_xml(p, c, "type", mac_types, &net->mac_type)) < 0)
            return r;
        if (!mac)
            memset(net->mac, 0, sizeof(net->mac));
    }
    if ((r = net_source_parse(p, n, net)) < 0)
        return r;
    if ((c = dx_child(n, "virtualport"))) {
        xmlNodePtr params;

        net->virtualport_type = dx_attr(p, c, "type");
        if ((params = dx_child(c, "parameters")))
            net->virtualport_interfaceid = dx_attr(p, params, "interfaceid");
        if (net->virtualport_type && strcmp(net->virtualport_type, "openvswitch") != 0)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "virtualport type '%s' is not supported",
                                   net->virtualport_type);
    }
    if ((c = dx_child(n, "target"))) {
        net->target_dev = dx_attr(p, c, "dev");
        /* Names the daemon generates are live data, not a user's choice. */
        if (net->target_dev && !(p->flags & MV_DOMAIN_PARSE_STATUS) &&
            (strncmp(net->target_dev, "vnet", 4) == 0 ||
             strncmp(net->target_dev, "macvtap", 7) == 0 ||
             strncmp(net->target_dev, "macvlan", 7) == 0)) {
            free(net->target_dev);
            net->target_dev = NULL;
        }
        if ((r = dx_attr_yesno(p, c, "managed", &net->target_managed)) < 0)
            return r;
    }
    if ((c = dx_child(n, "model"))) {
        net->model = dx_attr(p, c, "type");
        if (net->model && !model_name_ok(net->model))
            return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                   "Model name contains invalid characters");
    }
    if ((c = dx_child(n, "driver"))) {
        if ((r = dx_attr_in_xml(p, c, "name", drivers, &net->driver.name)) < 0 ||
            (r = dx_attr_u32(p, c, "queues", &net->driver.queues)) < 0)
            return r;
    }
    if ((c = dx_child(n, "link"))) {
        r = dx_attr_in(p, c, "state", links, &net->link_state);
        if (r == 2)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "unknown interface link state '%s'", net->link_state);
    }
    if ((c = dx_child(n, "mtu"))) {
        if ((r = dx_attr_u32(p, c, "size", &net->mtu)) < 0)
            return r;
        if (r == 0 || net->mtu == 0)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "malformed mtu size");
    }
    if ((c = dx_child(n, "filterref")))
        net->filterref = dx_attr(p, c, "filter");
    if ((c = dx_child(n, "rom"))) {
        static const char *const onoff[] = { "on", "off", NULL };

        if ((r = dx_attr_in_xml(p, c, "bar", onoff, &net->rom_bar)) < 0)
            return r;
        net->rom_file = dx_attr(p, c, "file");
    }
    return dx_info_parse(p, n, &net->info, true);
}

void mv_domain_def_generate_mac(const mv_domain_def *def, unsigned char mac[MV_DOMAIN_MAC_LEN])
{
    unsigned char cand[MV_DOMAIN_MAC_LEN] = { 0x52, 0x54, 0x00 };

    /* 2^24 candidates and at most a few thousand interfaces: a free one
     * comes quickly; the bound only guards against a broken generator. */
    for (int attempt = 0; attempt < 1000; attempt++) {
        sd_id128_t rnd;
        bool used = false;

        if (sd_id128_randomize(&rnd) < 0)
            rnd.bytes[0] = (uint8_t)attempt, rnd.bytes[1] = 0x5a, rnd.bytes[2] = 0xa5;
        memcpy(cand + 3, rnd.bytes, 3);
        for (size_t i = 0; def && i < def->nnets && !used; i++)
            used = def->nets[i]->mac != mac &&
                   memcmp(def->nets[i]->mac, cand, MV_DOMAIN_MAC_LEN) == 0;
        if (!used)
            break;
    }
    memcpy(mac, cand, MV_DOMAIN_MAC_LEN);
}

int dx_net_post_parse(dparse *p, const mv_domain_def *def, mv_domain_net *net)
{
    static const unsigned char zero[MV_DOMAIN_MAC_LEN];

    if (memcmp(net->mac, zero, sizeof(zero)) == 0)
        mv_domain_def_generate_mac(def, net->mac);
    /* An Open vSwitch port gets its interface id once, as libvirt does. */
    if (net->virtualport_type && !net->virtualport_interfaceid) {
        sd_id128_t id;
        int r = sd_id128_randomize(&id);

        if (r < 0)
            return r;
        net->virtualport_interfaceid = malloc(SD_ID128_UUID_STRING_MAX);
        if (!net->virtualport_interfaceid)
            return -ENOMEM;
        sd_id128_to_uuid_string(id, net->virtualport_interfaceid);
    }
    return p && p->oom ? -ENOMEM : 0;
}

void dx_net_format(dbuf *b, const mv_domain_net *net, unsigned flags)
{
    char mac[18];
    dbuf c;

    db_start(b, "interface");
    db_attr(b, "type", dx_net_type_names[net->type]);
    db_child(&c, b);
    dx_mac_format(net->mac, mac);
    db_start(&c, "mac");
    db_attr(&c, "address", mac);
    db_attr(&c, "type", net->mac_type);
    db_end(&c);
    switch (net->type) {
    case MV_NET_NETWORK:
        db_start(&c, "source");
        db_attr(&c, "network", net->source.network);
        db_attr(&c, "portgroup", net->source.portgroup);
        db_end(&c);
        break;
    case MV_NET_BRIDGE:
        db_start(&c, "source");
        db_attr(&c, "bridge", net->source.bridge);
        db_end(&c);
        break;
    case MV_NET_DIRECT:
        db_start(&c, "source");
        db_attr(&c, "dev", net->source.dev);
        db_attr(&c, "mode", net->source.mode);
        db_end(&c);
        break;
    default:
        break;
    }
    if (net->virtualport_type) {
        db_start(&c, "virtualport");
        db_attr(&c, "type", net->virtualport_type);
        if (net->virtualport_interfaceid) {
            db_add(&c, ">\n");
            c.indent++;
            db_start(&c, "parameters");
            db_attr(&c, "interfaceid", net->virtualport_interfaceid);
            db_end(&c);
            c.indent--;
            db_indent(&c);
            db_add(&c, "</virtualport>\n");
        } else {
            db_end(&c);
        }
    }
    if (net->target_dev || net->target_managed) {
        db_start(&c, "target");
        db_attr(&c, "dev", net->target_dev);
        db_attr_yesno(&c, "managed", net->target_managed);
        db_end(&c);
    }
    if (net->model) {
        db_start(&c, "model");
        db_attr(&c, "type", net->model);
        db_end(&c);
    }
    if (net->driver.name || net->driver.queues) {
        db_start(&c, "driver");
        db_attr(&c, "name", net->driver.name);
        if (net->driver.queues)
            db_attrf(&c, "queues", "%u", net->driver.queues);
        db_end(&c);
    }
    if (net->filterref) {
        db_start(&c, "filterref");
        db_attr(&c, "filter", net->filterref);
        db_end(&c);
    }
    if (net->link_state) {
        db_start(&c, "link");
        db_attr(&c, "state", net->link_state);
        db_end(&c);
    }
    if (net->mtu) {
        db_start(&c, "mtu");
        db_attrf(&c, "size", "%u", net->mtu);
        db_end(&c);
    }
    dx_info_format_rom(&c, &net->info, flags, true, net->rom_bar, net->rom_file);
    db_finish(b, "interface", &c);
}
