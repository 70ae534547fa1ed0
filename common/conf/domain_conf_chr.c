/*
 * Character devices of the domain document (<serial>, <parallel>,
 * <console>, <channel>) and the devices built on a character backend:
 * <redirdev> and <rng>.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain_conf_priv.h"
#include "util/cleanup.h"

const char *const dx_chr_device_names[] = { "serial", "parallel", "console", "channel" };
const char *const dx_chr_type_names[] = { "pty", "null", "vc", "dev", "file", "pipe", "stdio",
                                          "udp", "tcp", "unix", "spicevmc", "spiceport",
                                          "qemu-vdagent" };
const size_t dx_chr_type_count = ELEMENTSOF(dx_chr_type_names);

const char *mv_chr_device_str(mv_chr_device v)
{
    return (size_t)v < ELEMENTSOF(dx_chr_device_names) ? dx_chr_device_names[v] : NULL;
}

const char *mv_chr_type_str(mv_chr_type v)
{
    return (size_t)v < dx_chr_type_count ? dx_chr_type_names[v] : NULL;
}

/* ---- backends ---- */

void dx_chr_source_clear(mv_domain_chr_source *src)
{
    free(src->path);
    free(src->mode);
    free(src->host);
    free(src->service);
    free(src->protocol);
    free(src->channel);
    src->path = src->mode = src->host = src->service = src->protocol = src->channel = NULL;
}

static int chr_type_parse(dparse *p, xmlNodePtr n, mv_domain_chr_source *src)
{
    _cleanup_free_ char *type = dx_attr(p, n, "type");
    int t;

    src->type = MV_CHR_TYPE_PTY;
    src->reconnect_timeout = -1;
    if (!type)
        return p->oom ? -ENOMEM : 0;
    t = dx_lookup(dx_chr_type_names, dx_chr_type_count, type);
    if (t < 0) {
        if (strcmp(type, "nmdm") == 0 || strcmp(type, "dbus") == 0)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "character device type '%s' is not supported", type);
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unknown type presented to host for character device: %s", type);
    }
    if (t == MV_CHR_TYPE_UDP)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "character device type '%s' is not supported", type);
    src->type = (mv_chr_type)t;
    return 0;
}

/* The <source> (and <protocol>) children of n for the backend type
 * already in src->type. */
int dx_chr_source_parse(dparse *p, xmlNodePtr n, mv_domain_chr_source *src)
{
    static const char *const modes[] = { "bind", "connect", NULL };
    static const char *const protocols[] = { "raw", "telnet", "telnets", "tls", NULL };
    xmlNodePtr s = dx_child(n, "source"), c;
    int r;

    switch (src->type) {
    case MV_CHR_TYPE_PTY:
        if (s) {
            _cleanup_free_ char *path = dx_attr(p, s, "path");

            /* The pty of a running domain: live data. */
            if (p->flags & MV_DOMAIN_PARSE_STATUS)
                src->path = TAKE_PTR(path);
        }
        break;
    case MV_CHR_TYPE_DEV:
    case MV_CHR_TYPE_FILE:
    case MV_CHR_TYPE_PIPE:
        if (s)
            src->path = dx_attr(p, s, "path");
        if (!src->path)
            return p->oom ? -ENOMEM :
                   mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                                   "Missing source path attribute for char device");
        if (src->type == MV_CHR_TYPE_FILE && (r = dx_attr_onoff(p, s, "append", &src->append)) < 0)
            return r;
        break;
    case MV_CHR_TYPE_UNIX:
    case MV_CHR_TYPE_TCP:
        if (s) {
            r = dx_attr_in(p, s, "mode", modes, &src->mode);
            if (r == 2)
                return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                       "Unknown source mode '%s'", src->mode);
            if (src->type == MV_CHR_TYPE_UNIX) {
                src->path = dx_attr(p, s, "path");
            } else {
                src->host = dx_attr(p, s, "host");
                src->service = dx_attr(p, s, "service");
                if ((r = dx_attr_yesno(p, s, "tls", &src->tls)) < 0)
                    return r;
            }
            if ((c = dx_child(s, "reconnect"))) {
                mv_tristate enabled = MV_TRISTATE_ABSENT;
                unsigned timeout = 0;

                if ((r = dx_attr_yesno(p, c, "enabled", &enabled)) < 0 ||
                    (r = dx_attr_u32(p, c, "timeout", &timeout)) < 0)
                    return r;
                if (enabled == MV_TRISTATE_YES && r == 0)
                    return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                           "missing timeout for chardev with reconnect='yes'");
                src->reconnect_timeout = enabled == MV_TRISTATE_YES ? (int)(timeout & INT_MAX) : 0;
            }
        }
        if (src->type == MV_CHR_TYPE_TCP) {
            if (!src->mode && !(src->mode = dx_strdup(p, "connect")))
                return -ENOMEM;
            if ((c = dx_child(n, "protocol"))) {
                r = dx_attr_in(p, c, "type", protocols, &src->protocol);
                if (r == 2)
                    return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                           "Unknown protocol '%s'", src->protocol);
            }
            if (!src->protocol && !(src->protocol = dx_strdup(p, "raw")))
                return -ENOMEM;
        }
        break;
    case MV_CHR_TYPE_SPICEPORT:
        if (s)
            src->channel = dx_attr(p, s, "channel");
        if (!src->channel)
            return p->oom ? -ENOMEM :
                   mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "Missing source channel attribute for char device");
        break;
    default:
        break;
    }
    return p->oom ? -ENOMEM : 0;
}

void dx_chr_source_format(dbuf *b, const mv_domain_chr_source *src, unsigned flags)
{
    switch (src->type) {
    case MV_CHR_TYPE_PTY:
        if (src->path && !(flags & MV_DOMAIN_XML_INACTIVE)) {
            db_start(b, "source");
            db_attr(b, "path", src->path);
            db_end(b);
        }
        break;
    case MV_CHR_TYPE_DEV:
    case MV_CHR_TYPE_FILE:
    case MV_CHR_TYPE_PIPE:
        db_start(b, "source");
        db_attr(b, "path", src->path);
        db_attr_onoff(b, "append", src->append);
        db_end(b);
        break;
    case MV_CHR_TYPE_UNIX:
    case MV_CHR_TYPE_TCP:
        if (!src->mode && !src->path && !src->host && !src->service)
            break;
        db_start(b, "source");
        db_attr(b, "mode", src->mode);
        db_attr(b, "path", src->path);
        db_attr(b, "host", src->host);
        db_attr(b, "service", src->service);
        db_attr_yesno(b, "tls", src->tls);
        if (src->reconnect_timeout >= 0) {
            db_add(b, ">\n");
            b->indent++;
            db_start(b, "reconnect");
            db_attr(b, "enabled", src->reconnect_timeout > 0 ? "yes" : "no");
            if (src->reconnect_timeout > 0)
                db_attrf(b, "timeout", "%d", src->reconnect_timeout);
            db_end(b);
            b->indent--;
            db_indent(b);
            db_add(b, "</source>\n");
        } else {
            db_end(b);
        }
        if (src->type == MV_CHR_TYPE_TCP && src->protocol) {
            db_start(b, "protocol");
            db_attr(b, "type", src->protocol);
            db_end(b);
        }
        break;
    case MV_CHR_TYPE_SPICEPORT:
        db_start(b, "source");
        db_attr(b, "channel", src->channel);
        db_end(b);
        break;
    default:
        break;
    }
}

/* ---- serial, parallel, console, channel ---- */

void dx_chr_free(mv_domain_chr *chr)
{
    if (!chr)
        return;
    dx_chr_source_clear(&chr->source);
    free(chr->target.type);
    free(chr->target.name);
    free(chr->target.address);
    free(chr->target.state);
    free(chr->target.model_name);
    dx_info_clear(&chr->info);
    free(chr);
}

static const char *const *target_types(mv_chr_device device)
{
    static const char *const serial[] = { "isa-serial", "usb-serial", "pci-serial",
                                          "spapr-vio-serial", "system-serial", "sclp-serial",
                                          "isa-debug", NULL };
    static const char *const console[] = { "serial", "xen", "uml", "virtio", "lxc", "openvz",
                                           "sclp", "sclplm", NULL };
    static const char *const channel[] = { "guestfwd", "virtio", "xen", NULL };
    static const char *const none[] = { NULL };

    switch (device) {
    case MV_CHR_SERIAL: return serial;
    case MV_CHR_CONSOLE: return console;
    case MV_CHR_CHANNEL: return channel;
    default: return none;
    }
}

static int chr_target_parse(dparse *p, xmlNodePtr n, mv_domain_chr *chr)
{
    static const char *const models[] = { "isa-serial", "usb-serial", "pci-serial", "spapr-vty",
                                          "pl011", "sclpconsole", "sclplmconsole", "16550a",
                                          "isa-debugcon", NULL };
    static const char *const states[] = { "connected", "disconnected", NULL };
    xmlNodePtr t = dx_child(n, "target"), m;
    _cleanup_free_ char *port = NULL;
    int r;

    chr->target.port = -1;
    if (t) {
        r = dx_attr_in(p, t, "type", target_types(chr->device), &chr->target.type);
        if (r < 0)
            return r;
        if (r == 2 || (r == 1 && chr->device == MV_CHR_PARALLEL))
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "unknown target type '%s' specified for character device",
                                   chr->target.type);
        port = dx_attr(p, t, "port");
    }
    if (chr->device == MV_CHR_CHANNEL && !chr->target.type)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "target type must be specified for channel device");
    if (chr->device == MV_CHR_CHANNEL && strcmp(chr->target.type, "guestfwd") == 0) {
        chr->target.address = dx_attr(p, t, "address");
        if (!chr->target.address)
            return p->oom ? -ENOMEM : dx_err_missing("address", "target");
        if (!port)
            return p->oom ? -ENOMEM : dx_err_missing("port", "target");
    } else if (chr->device == MV_CHR_CHANNEL) {
        chr->target.name = dx_attr(p, t, "name");
        if ((r = dx_attr_in_xml(p, t, "state", states, &chr->target.state)) < 0)
            return r;
        /* Whether an agent is connected: live data. */
        if (!(p->flags & MV_DOMAIN_PARSE_STATUS)) {
            free(chr->target.state);
            chr->target.state = NULL;
        }
    }
    if (port) {
        long long v;

        if (dx_parse_ll(port, &v) < 0 || v < 0 || v > INT_MAX)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "Invalid port number: %s", port);
        chr->target.port = (int)v;
    }
    if (chr->device == MV_CHR_SERIAL && t && (m = dx_child(t, "model"))) {
        r = dx_attr_in(p, m, "name", models, &chr->target.model_name);
        if (r == 2)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "unknown target model '%s' specified for character device",
                                   chr->target.model_name);
    }
    return p->oom ? -ENOMEM : 0;
}

int dx_chr_parse(dparse *p, xmlNodePtr n, mv_chr_device device, mv_domain_chr **ret)
{
    mv_domain_chr *chr = calloc(1, sizeof(*chr));
    int r;

    if (!chr)
        return -ENOMEM;
    *ret = chr;
    chr->device = device;
    /* The pty a running domain got: live data, shown again from the source. */
    free(dx_attr(p, n, "tty"));
    if ((r = chr_type_parse(p, n, &chr->source)) < 0 ||
        (r = dx_chr_source_parse(p, n, &chr->source)) < 0 ||
        (r = chr_target_parse(p, n, chr)) < 0)
        return r;
    return dx_info_parse(p, n, &chr->info, false);
}

void dx_chr_format(dbuf *b, const mv_domain_chr *chr, unsigned flags)
{
    const char *name = dx_chr_device_names[chr->device];
    dbuf c;

    db_start(b, name);
    db_attr(b, "type", dx_chr_type_names[chr->source.type]);
    if (chr->source.type == MV_CHR_TYPE_PTY && chr->source.path &&
        chr->device == MV_CHR_CONSOLE &&
        !(flags & MV_DOMAIN_XML_INACTIVE))
        db_attr(b, "tty", chr->source.path);
    db_child(&c, b);
    dx_chr_source_format(&c, &chr->source, flags);
    if (chr->target.type || chr->target.port >= 0 || chr->target.name ||
        chr->target.model_name || chr->target.address) {
        db_start(&c, "target");
        db_attr(&c, "type", chr->target.type);
        if (chr->target.address) {
            db_attr(&c, "address", chr->target.address);
        } else {
            db_attr(&c, "name", chr->target.name);
            if (!(flags & MV_DOMAIN_XML_INACTIVE))
                db_attr(&c, "state", chr->target.state);
        }
        if (chr->target.port >= 0)
            db_attrf(&c, "port", "%d", chr->target.port);
        if (chr->target.model_name) {
            db_add(&c, ">\n");
            c.indent++;
            db_start(&c, "model");
            db_attr(&c, "name", chr->target.model_name);
            db_end(&c);
            c.indent--;
            db_indent(&c);
            db_add(&c, "</target>\n");
        } else {
            db_end(&c);
        }
    }
    dx_info_format(&c, &chr->info, flags, false);
    db_finish(b, name, &c);
}

/* ---- redirected USB devices ---- */

void dx_redirdev_free(mv_domain_redirdev *r)
{
    if (!r)
        return;
    free(r->bus);
    dx_chr_source_clear(&r->source);
    dx_info_clear(&r->info);
    free(r);
}

int dx_redirdev_parse(dparse *p, xmlNodePtr n, mv_domain_redirdev **ret)
{
    static const char *const buses[] = { "usb", NULL };
    mv_domain_redirdev *rd = calloc(1, sizeof(*rd));
    int r;

    if (!rd)
        return -ENOMEM;
    *ret = rd;
    r = dx_attr_in(p, n, "bus", buses, &rd->bus);
    if (r == 2)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unknown redirdev bus '%s'", rd->bus);
    if (r == 0 && !(rd->bus = dx_strdup(p, "usb")))
        return -ENOMEM;
    if ((r = chr_type_parse(p, n, &rd->source)) < 0 ||
        (r = dx_chr_source_parse(p, n, &rd->source)) < 0)
        return r;
    return dx_info_parse(p, n, &rd->info, true);
}

void dx_redirdev_format(dbuf *b, const mv_domain_redirdev *rd, unsigned flags)
{
    dbuf c;

    db_start(b, "redirdev");
    db_attr(b, "bus", rd->bus);
    db_attr(b, "type", dx_chr_type_names[rd->source.type]);
    db_child(&c, b);
    dx_chr_source_format(&c, &rd->source, flags);
    dx_info_format(&c, &rd->info, flags, true);
    db_finish(b, "redirdev", &c);
}

/* ---- random number generators ---- */

void dx_rng_free(mv_domain_rng *rng)
{
    if (!rng)
        return;
    free(rng->model);
    free(rng->backend_model);
    free(rng->backend_path);
    free(rng->backend_type);
    dx_chr_source_clear(&rng->egd);
    dx_info_clear(&rng->info);
    free(rng);
}

int dx_rng_parse(dparse *p, xmlNodePtr n, mv_domain_rng **ret)
{
    static const char *const models[] = { "virtio", "virtio-transitional",
                                          "virtio-non-transitional", NULL };
    static const char *const backends[] = { "random", "egd", "builtin", NULL };
    mv_domain_rng *rng = calloc(1, sizeof(*rng));
    xmlNodePtr c;
    int r;

    if (!rng)
        return -ENOMEM;
    *ret = rng;
    rng->egd.reconnect_timeout = -1;
    r = dx_attr_in(p, n, "model", models, &rng->model);
    if (r < 0)
        return r;
    if (r == 0)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN, "missing RNG device model");
    if (r == 2)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unknown RNG model '%s'", rng->model);
    if ((c = dx_child(n, "rate"))) {
        if ((r = dx_attr_u32(p, c, "bytes", &rng->rate_bytes)) < 0)
            return r;
        if (r == 0)
            return dx_err_missing("bytes", "rate");
        if ((r = dx_attr_u32(p, c, "period", &rng->rate_period)) < 0)
            return r;
    }
    if (dx_count(n, "backend") != 1)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "only one RNG backend is supported");
    c = dx_child(n, "backend");
    r = dx_attr_in(p, c, "model", backends, &rng->backend_model);
    if (r < 0)
        return r;
    if (r == 0)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "missing RNG backend model");
    if (r == 2)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unknown RNG backend model '%s'", rng->backend_model);
    if (strcmp(rng->backend_model, "random") == 0) {
        rng->backend_path = dx_text(p, c);
        if (rng->backend_path && !*rng->backend_path) {
            free(rng->backend_path);
            rng->backend_path = NULL;
        }
    } else if (strcmp(rng->backend_model, "egd") == 0) {
        if ((r = chr_type_parse(p, c, &rng->egd)) < 0)
            return r;
        if (!dx_has_attr(c, "type"))
            return dx_err_missing("type", "backend");
        rng->backend_type = dx_strdup(p, dx_chr_type_names[rng->egd.type]);
        if ((r = dx_chr_source_parse(p, c, &rng->egd)) < 0)
            return r;
    }
    return dx_info_parse(p, n, &rng->info, false);
}

void dx_rng_format(dbuf *b, const mv_domain_rng *rng, unsigned flags)
{
    dbuf c;

    db_start(b, "rng");
    db_attr(b, "model", rng->model);
    db_child(&c, b);
    if (rng->rate_bytes) {
        db_start(&c, "rate");
        db_attrf(&c, "bytes", "%u", rng->rate_bytes);
        if (rng->rate_period)
            db_attrf(&c, "period", "%u", rng->rate_period);
        db_end(&c);
    }
    db_start(&c, "backend");
    db_attr(&c, "model", rng->backend_model);
    if (strcmp(rng->backend_model, "egd") == 0) {
        dbuf cc;

        db_attr(&c, "type", rng->backend_type);
        db_child(&cc, &c);
        dx_chr_source_format(&cc, &rng->egd, flags);
        db_finish(&c, "backend", &cc);
    } else if (rng->backend_path) {
        db_add(&c, ">");
        db_esc(&c, rng->backend_path);
        db_add(&c, "</backend>\n");
    } else {
        db_end(&c);
    }
    dx_info_format(&c, &rng->info, flags, false);
    db_finish(b, "rng", &c);
}
