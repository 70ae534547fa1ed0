/*
 * Single devices of a domain definition: parse one, add it, remove it,
 * change it in place (virDomainAttachDevice, DetachDevice, UpdateDevice).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain_conf_priv.h"
#include "util/cleanup.h"

static void docp_free(xmlDocPtr *doc)
{
    xmlFreeDoc(*doc);
}

void mv_domain_device_free(mv_domain_device *dev)
{
    if (!dev)
        return;
    dx_device_clear(dev);
    free(dev);
}

static void devp_free(mv_domain_device **dev)
{
    mv_domain_device_free(*dev);
}

static int device_missing(const char *fmt_detail)
{
    return mv_error_report_raw(-ENOENT, MV_ERR_DEVICE_MISSING, MV_FROM_DOMAIN,
                               "device not found: %s", fmt_detail);
}

/* A disk target not found: the QEMU driver's own check in libvirt. */
static int disk_missing(const char *target)
{
    return mv_error_report_raw(-ENOENT, MV_ERR_DEVICE_MISSING, MV_FROM_QEMU,
                               "device not found: no target device %s", target);
}

int mv_domain_device_parse(const mv_domain_def *def, const char *xml, unsigned flags,
                           mv_domain_device **ret)
{
    _cleanup_(docp_free) xmlDocPtr doc = NULL;
    _cleanup_(devp_free) mv_domain_device *dev = NULL;
    dparse p = { .flags = flags };
    xmlNodePtr root;
    int r;

    r = dx_read(xml, "(device_definition)", DX_ANY_ROOT, &doc);
    if (r < 0)
        return r;
    root = xmlDocGetRootElement(doc);
    root->_private = DX_USED;
    dev = calloc(1, sizeof(*dev));
    if (!dev)
        return -ENOMEM;
    r = dx_device_parse(&p, root, dev);
    if (r == -ENOENT || r == -EEXIST)
        return mv_error_report(-EOPNOTSUPP, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               r == -ENOENT ? "unknown device type '%s'" : "unsupported device type '%s'",
                               (const char *)root->name);
    if (r < 0)
        return r;
    if (p.oom)
        return -ENOMEM;
    if ((r = dx_check_unused(root)) < 0)
        return r;
    if (dev->type == MV_DEVICE_DISK)
        dx_disk_post_parse(dev->disk);
    if (dev->type == MV_DEVICE_NET && (r = dx_net_post_parse(&p, def, dev->net)) < 0)
        return r;
    if (dev->type == MV_DEVICE_INPUT && (r = dx_input_post_parse(def, dev->input)) < 0)
        return r;
    *ret = TAKE_PTR(dev);
    return 0;
}

int mv_domain_device_format(const mv_domain_device *dev, unsigned flags, char **ret_xml)
{
    dbuf b = { 0 };

    dx_device_format(&b, dev, flags);
    return db_steal(&b, ret_xml);
}

static char *format_plain(const mv_domain_device *dev)
{
    char *s = NULL;

    if (mv_domain_device_format(dev, MV_DOMAIN_XML_INACTIVE | MV_DOMAIN_XML_SECURE |
                                     DX_FORMAT_NO_INFO, &s) < 0)
        return NULL;
    return s;
}

/* ---- lookups ---- */

mv_domain_disk *mv_domain_def_find_disk(const mv_domain_def *def, const char *dev)
{
    for (size_t i = 0; i < def->ndisks; i++)
        if (strcmp(def->disks[i]->target_dev, dev) == 0)
            return def->disks[i];
    return NULL;
}

mv_domain_controller *mv_domain_def_find_controller(const mv_domain_def *def,
                                                    mv_controller_type type, int index)
{
    for (size_t i = 0; i < def->ncontrollers; i++)
        if (def->controllers[i]->type == type && def->controllers[i]->index == index)
            return def->controllers[i];
    return NULL;
}

/* The array of def holding devices of dev's kind, for the generic paths. */
static void **device_array(mv_domain_def *def, const mv_domain_device *dev, size_t **count)
{
    switch (dev->type) {
    case MV_DEVICE_DISK: *count = &def->ndisks; return (void **)def->disks;
    case MV_DEVICE_CONTROLLER: *count = &def->ncontrollers; return (void **)def->controllers;
    case MV_DEVICE_FS: *count = &def->nfilesystems; return (void **)def->filesystems;
    case MV_DEVICE_NET: *count = &def->nnets; return (void **)def->nets;
    case MV_DEVICE_CHR:
        switch (dev->chr->device) {
        case MV_CHR_SERIAL: *count = &def->nserials; return (void **)def->serials;
        case MV_CHR_PARALLEL: *count = &def->nparallels; return (void **)def->parallels;
        case MV_CHR_CONSOLE: *count = &def->nconsoles; return (void **)def->consoles;
        case MV_CHR_CHANNEL: *count = &def->nchannels; return (void **)def->channels;
        }
        break;
    case MV_DEVICE_INPUT: *count = &def->ninputs; return (void **)def->inputs;
    case MV_DEVICE_TPM: *count = &def->ntpms; return (void **)def->tpms;
    case MV_DEVICE_GRAPHICS: *count = &def->ngraphics; return (void **)def->graphics;
    case MV_DEVICE_SOUND: *count = &def->nsounds; return (void **)def->sounds;
    case MV_DEVICE_AUDIO: *count = &def->naudios; return (void **)def->audios;
    case MV_DEVICE_VIDEO: *count = &def->nvideos; return (void **)def->videos;
    case MV_DEVICE_HOSTDEV: *count = &def->nhostdevs; return (void **)def->hostdevs;
    case MV_DEVICE_REDIRDEV: *count = &def->nredirdevs; return (void **)def->redirdevs;
    case MV_DEVICE_WATCHDOG: *count = &def->nwatchdogs; return (void **)def->watchdogs;
    case MV_DEVICE_RNG: *count = &def->nrngs; return (void **)def->rngs;
    case MV_DEVICE_MEMBALLOON:
        break;
    }
    *count = NULL;
    return NULL;
}

static const char *device_name(const mv_domain_device *dev)
{
    static const char *const names[] = { "disk", "controller", "filesystem", "interface", "chr",
                                         "input", "tpm", "graphics", "sound", "audio", "video",
                                         "hostdev", "redirdev", "watchdog", "memballoon", "rng" };

    if (dev->type == MV_DEVICE_CHR)
        return mv_chr_device_str(dev->chr->device);
    return (size_t)dev->type < ELEMENTSOF(names) ? names[dev->type] : "device";
}

static unsigned device_boot_order(const mv_domain_device *dev)
{
    switch (dev->type) {
    case MV_DEVICE_DISK: return dev->disk->info.boot_order;
    case MV_DEVICE_NET: return dev->net->info.boot_order;
    case MV_DEVICE_HOSTDEV: return dev->hostdev->info.boot_order;
    case MV_DEVICE_REDIRDEV: return dev->redirdev->info.boot_order;
    case MV_DEVICE_FS: return dev->fs->info.boot_order;
    default: return 0;
    }
}

static bool boot_order_used(const mv_domain_def *def, unsigned order)
{
#define USED(arr, cnt) \
    for (size_t i = 0; i < (cnt); i++) \
        if ((arr)[i]->info.boot_order == order) \
            return true;
    USED(def->disks, def->ndisks)
    USED(def->nets, def->nnets)
    USED(def->hostdevs, def->nhostdevs)
    USED(def->redirdevs, def->nredirdevs)
    USED(def->filesystems, def->nfilesystems)
#undef USED
    return false;
}

/* Index in def of the net with dev's MAC; -ENOENT or -ENOTUNIQ with the
 * error recorded. */
static int find_net(const mv_domain_def *def, const mv_domain_net *net)
{
    char mac[18];
    int found = -1;

    dx_mac_format(net->mac, mac);
    for (size_t i = 0; i < def->nnets; i++) {
        if (memcmp(def->nets[i]->mac, net->mac, MV_DOMAIN_MAC_LEN) != 0)
            continue;
        if (found >= 0)
            return mv_error_report(-ENOTUNIQ, MV_ERR_OPERATION_FAILED, MV_FROM_DOMAIN,
                                   "multiple devices matching MAC address %s found", mac);
        found = (int)i;
    }
    if (found < 0) {
        char detail[160];

        snprintf(detail, sizeof(detail),
                 "no device found at address '(<null>)' matching MAC address '%s' and alias '%s'",
                 mac, net->info.alias ? net->info.alias : "(<null>)");
        return device_missing(detail);
    }
    return found;
}

/* ---- attach ---- */

int mv_domain_def_attach_device(mv_domain_def *def, mv_domain_device *dev)
{
    unsigned order = device_boot_order(dev);

    switch (dev->type) {
    case MV_DEVICE_DISK:
        if (mv_domain_def_find_disk(def, dev->disk->target_dev))
            /* the QEMU driver's check in libvirt: VIR_FROM_QEMU */
            return mv_error_report(-EEXIST, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                                   "target %s already exists", dev->disk->target_dev);
        break;
    case MV_DEVICE_CONTROLLER: {
        mv_domain_controller *c = dev->controller;

        if (c->index < 0) {
            for (c->index = 0; mv_domain_def_find_controller(def, c->type, c->index); c->index++)
                ;
        } else if (c->type != MV_CONTROLLER_USB &&
                   mv_domain_def_find_controller(def, c->type, c->index)) {
            return mv_error_report(-EEXIST, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                                   "controller index='%d' already exists", c->index);
        }
        break;
    }
    case MV_DEVICE_MEMBALLOON:
        if (def->memballoon)
            return mv_error_report(-EEXIST, MV_ERR_OPERATION_INVALID, MV_FROM_DOMAIN,
                                   "domain already has a memory balloon device");
        break;
    default:
        break;
    }
    if (order && boot_order_used(def, order))
        return mv_error_report(-EEXIST, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "boot order %u is already used by another device", order);
    /* A definition that boots by <os><boot dev=/> cannot mix in
     * per-device orders. */
    if (order && def->os.nboot_devs)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "per-device boot elements cannot be used together with os/boot elements");
    return dx_def_add_device(def, dev, true);
}

/* ---- detach ---- */

static void remove_at(void **arr, size_t *count, size_t i)
{
    memmove(&arr[i], &arr[i + 1], (*count - i - 1) * sizeof(void *));
    (*count)--;
}

static int find_equal(mv_domain_def *def, const mv_domain_device *dev, size_t *ret)
{
    _cleanup_free_ char *want = format_plain(dev);
    size_t *count;
    void **arr = device_array(def, dev, &count);

    if (!want)
        return -ENOMEM;
    for (size_t i = 0; arr && i < *count; i++) {
        mv_domain_device other = { .type = dev->type, .disk = arr[i] };
        _cleanup_free_ char *have = format_plain(&other);

        if (!have)
            return -ENOMEM;
        if (strcmp(want, have) == 0 &&
            (dev->type != MV_DEVICE_HOSTDEV || !dev->hostdev->info.addr.type ||
             memcmp(&dev->hostdev->info.addr, &def->hostdevs[i]->info.addr,
                    sizeof(mv_domain_address)) == 0)) {
            *ret = i;
            return 0;
        }
    }
    return device_missing("device not present in domain configuration");
}

int mv_domain_def_detach_device(mv_domain_def *def, const mv_domain_device *dev)
{
    size_t *count, idx = 0;
    void **arr;
    int r;

    switch (dev->type) {
    case MV_DEVICE_DISK: {

        for (size_t i = 0; i < def->ndisks; i++) {
            if (strcmp(def->disks[i]->target_dev, dev->disk->target_dev) == 0) {
                dx_disk_free(def->disks[i]);
                remove_at((void **)def->disks, &def->ndisks, i);
                return 0;
            }
        }
        return disk_missing(dev->disk->target_dev);
    }
    case MV_DEVICE_NET:
        r = find_net(def, dev->net);
        if (r < 0)
            return r;
        dx_net_free(def->nets[r]);
        remove_at((void **)def->nets, &def->nnets, (size_t)r);
        return 0;
    case MV_DEVICE_CONTROLLER:
        for (size_t i = 0; i < def->ncontrollers; i++) {
            mv_domain_controller *c = def->controllers[i];

            if (c->type == dev->controller->type && c->index == dev->controller->index &&
                (!dev->controller->model || (c->model && strcmp(c->model, dev->controller->model) == 0))) {
                dx_controller_free(c);
                remove_at((void **)def->controllers, &def->ncontrollers, i);
                return 0;
            }
        }
        return device_missing("device not present in domain configuration");
    case MV_DEVICE_MEMBALLOON:
        if (!def->memballoon)
            return device_missing("device not present in domain configuration");
        dx_memballoon_free(def->memballoon);
        def->memballoon = NULL;
        return 0;
    default:
        break;
    }
    r = find_equal(def, dev, &idx);
    if (r < 0)
        return r;
    arr = device_array(def, dev, &count);
    {
        mv_domain_device victim = { .type = dev->type, .disk = arr[idx] };

        dx_device_clear(&victim);
    }
    remove_at(arr, count, idx);
    return 0;
}

/* ---- update ---- */

static int update_unsupported(const char *what)
{
    return mv_error_report(-EOPNOTSUPP, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_DOMAIN,
                           "cannot modify field(s) of %s other than the ones allowed", what);
}

static int copy_str(char **dst, const char *src)
{
    char *s = NULL;

    if (src && !(s = strdup(src)))
        return -ENOMEM;
    free(*dst);
    *dst = s;
    return 0;
}

/* Whether old and new differ only where an update may change things:
 * both formatted after the changeable parts of new are put into a copy of old. */
static int same_but(const mv_domain_device *patched, const mv_domain_device *dev)
{
    _cleanup_free_ char *a = format_plain(patched), *b = format_plain(dev);

    if (!a || !b)
        return -ENOMEM;
    return strcmp(a, b) == 0;
}

static int update_disk(mv_domain_def *def, const mv_domain_disk *nd)
{
    mv_domain_disk *od = mv_domain_def_find_disk(def, nd->target_dev), tmp;
    mv_domain_device a = { .type = MV_DEVICE_DISK }, b = { .type = MV_DEVICE_DISK };
    mv_domain_disk_host *hosts = NULL;
    int r;

    if (!od) {
        /* updating: the QEMU driver's words differ from detach's */
        return mv_error_report(-ENOENT, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "target %s doesn't exist.", nd->target_dev);
    }
    if (od->device != MV_DISK_DEVICE_CDROM && od->device != MV_DISK_DEVICE_FLOPPY)
        return update_unsupported("disk: only the media of a cdrom or floppy may change");
    tmp = *od;
    tmp.type = nd->type;
    tmp.source = nd->source;
    tmp.target_tray = nd->target_tray;
    tmp.driver.type = nd->driver.type;
    a.disk = &tmp;
    b.disk = (mv_domain_disk *)nd;
    r = same_but(&a, &b);
    if (r < 0)
        return r;
    if (!r)
        return update_unsupported("disk: only the media of a cdrom or floppy may change");

    /* Take a copy of the new source, then swap it in. */
    tmp.source = (typeof(tmp.source)) { .present = nd->source.present };
    if (nd->source.nhosts) {
        hosts = calloc(nd->source.nhosts, sizeof(*hosts));
        if (!hosts)
            return -ENOMEM;
    }
    tmp.source.hosts = hosts;
    tmp.source.nhosts = nd->source.nhosts;
    r = 0;
    for (size_t i = 0; i < nd->source.nhosts && r == 0; i++)
        if ((r = copy_str(&hosts[i].name, nd->source.hosts[i].name)) < 0 ||
            (r = copy_str(&hosts[i].port, nd->source.hosts[i].port)) < 0 ||
            (r = copy_str(&hosts[i].transport, nd->source.hosts[i].transport)) < 0 ||
            (r = copy_str(&hosts[i].socket, nd->source.hosts[i].socket)) < 0)
            break;
    if (r == 0 &&
        ((r = copy_str(&tmp.source.path, nd->source.path)) < 0 ||
         (r = copy_str(&tmp.source.startup_policy, nd->source.startup_policy)) < 0 ||
         (r = copy_str(&tmp.source.protocol, nd->source.protocol)) < 0 ||
         (r = copy_str(&tmp.source.name, nd->source.name)) < 0 ||
         (r = copy_str(&tmp.source.pool, nd->source.pool)) < 0 ||
         (r = copy_str(&tmp.source.volume, nd->source.volume)) < 0 ||
         (r = copy_str(&tmp.source.mode, nd->source.mode)) < 0))
        r = -ENOMEM;
    tmp.target_tray = NULL;
    tmp.driver.type = NULL;
    if (r == 0 && ((r = copy_str(&tmp.target_tray, nd->target_tray)) < 0 ||
                   (r = copy_str(&tmp.driver.type, nd->driver.type)) < 0))
        r = -ENOMEM;
    {
        /* Free whichever set of fields lost: the new copy on failure,
         * the old values on success. */
        mv_domain_disk *loser = calloc(1, sizeof(*loser));

        if (!loser)
            r = -ENOMEM;
        if (r < 0) {
            if (loser) {
                loser->source = tmp.source;
                loser->target_tray = tmp.target_tray;
                loser->driver.type = tmp.driver.type;
            }
        } else {
            loser->source = od->source;
            loser->target_tray = od->target_tray;
            loser->driver.type = od->driver.type;
            od->type = nd->type;
            od->source = tmp.source;
            od->target_tray = tmp.target_tray;
            od->driver.type = tmp.driver.type;
        }
        if (loser)
            dx_disk_free(loser);
    }
    return r;
}

static int update_graphics(mv_domain_def *def, const mv_domain_graphics *ng)
{
    mv_domain_device a = { .type = MV_DEVICE_GRAPHICS }, b = { .type = MV_DEVICE_GRAPHICS };
    mv_domain_graphics *og = NULL, tmp;
    _cleanup_free_ char *passwd = NULL, *valid = NULL, *connected = NULL;
    int r;

    for (size_t i = 0; i < def->ngraphics && !og; i++)
        if (def->graphics[i]->type == ng->type)
            og = def->graphics[i];
    if (!og)
        return device_missing("device not present in domain configuration");
    tmp = *og;
    tmp.passwd = ng->passwd;
    tmp.passwd_valid_to = ng->passwd_valid_to;
    tmp.connected = ng->connected;
    /* The ports and listen addresses of a running domain are its own. */
    tmp.port = ng->port;
    tmp.tls_port = ng->tls_port;
    tmp.autoport = ng->autoport;
    tmp.listens = ng->listens;
    tmp.nlisten = ng->nlisten;
    a.graphics = &tmp;
    b.graphics = (mv_domain_graphics *)ng;
    r = same_but(&a, &b);
    if (r < 0)
        return r;
    if (!r)
        return update_unsupported("graphics: only the password, its expiry and 'connected' may change");
    if ((r = copy_str(&passwd, ng->passwd)) < 0 ||
        (r = copy_str(&valid, ng->passwd_valid_to)) < 0 ||
        (r = copy_str(&connected, ng->connected)) < 0)
        return r;
    free(og->passwd);
    free(og->passwd_valid_to);
    free(og->connected);
    og->passwd = TAKE_PTR(passwd);
    og->passwd_valid_to = TAKE_PTR(valid);
    og->connected = TAKE_PTR(connected);
    return 0;
}

static int update_net(mv_domain_def *def, const mv_domain_net *nn)
{
    mv_domain_device a = { .type = MV_DEVICE_NET }, b = { .type = MV_DEVICE_NET };
    mv_domain_net *on, tmp;
    int r = find_net(def, nn);

    if (r < 0)
        return r;
    on = def->nets[r];
    tmp = *on;
    tmp.link_state = nn->link_state;
    tmp.target_dev = nn->target_dev;
    tmp.virtualport_interfaceid = nn->virtualport_interfaceid;
    a.net = &tmp;
    b.net = (mv_domain_net *)nn;
    r = same_but(&a, &b);
    if (r < 0)
        return r;
    if (!r)
        return update_unsupported("interface: only the link state may change");
    return copy_str(&on->link_state, nn->link_state);
}

int mv_domain_def_update_device(mv_domain_def *def, const mv_domain_device *dev)
{
    switch (dev->type) {
    case MV_DEVICE_DISK:
        return update_disk(def, dev->disk);
    case MV_DEVICE_GRAPHICS:
        return update_graphics(def, dev->graphics);
    case MV_DEVICE_NET:
        return update_net(def, dev->net);
    default:
        return mv_error_report(-EOPNOTSUPP, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_DOMAIN,
                               "update of device '%s' is not supported", device_name(dev));
    }
}
