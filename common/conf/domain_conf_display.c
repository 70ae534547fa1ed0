/* Input, graphics, video, sound and audio devices of the domain document. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain_conf_priv.h"
#include "util/cleanup.h"

const char *const dx_input_type_names[] = { "mouse", "tablet", "keyboard", "passthrough", "evdev" };
const char *const dx_input_bus_names[] = { "", "ps2", "usb", "xen", "virtio" };
const char *const dx_graphics_type_names[] = { "sdl", "vnc", "rdp", "desktop", "spice",
                                               "egl-headless", "dbus" };
const size_t dx_input_type_count = ELEMENTSOF(dx_input_type_names);
const size_t dx_input_bus_count = ELEMENTSOF(dx_input_bus_names);
const size_t dx_graphics_type_count = ELEMENTSOF(dx_graphics_type_names);

const char *mv_input_type_str(mv_input_type v)
{
    return (size_t)v < dx_input_type_count ? dx_input_type_names[v] : NULL;
}

const char *mv_input_bus_str(mv_input_bus v)
{
    return (size_t)v < dx_input_bus_count ? dx_input_bus_names[v] : NULL;
}

const char *mv_graphics_type_str(mv_graphics_type v)
{
    return (size_t)v < dx_graphics_type_count ? dx_graphics_type_names[v] : NULL;
}

/* ---- input ---- */

void dx_input_free(mv_domain_input *i)
{
    if (!i)
        return;
    free(i->model);
    free(i->source_evdev);
    dx_info_clear(&i->info);
    free(i);
}

int dx_input_parse(dparse *p, xmlNodePtr n, mv_domain_input **ret)
{
    static const char *const models[] = { "virtio", "virtio-transitional",
                                          "virtio-non-transitional", NULL };
    mv_domain_input *in = calloc(1, sizeof(*in));
    _cleanup_free_ char *type = NULL, *bus = NULL;
    xmlNodePtr c;
    int v, r;

    if (!in)
        return -ENOMEM;
    *ret = in;
    type = dx_attr(p, n, "type");
    if (!type)
        return p->oom ? -ENOMEM :
               mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                               "missing input device type");
    v = dx_lookup(dx_input_type_names, dx_input_type_count, type);
    if (v < 0)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unknown input device type '%s'", type);
    in->type = (mv_input_type)v;
    bus = dx_attr(p, n, "bus");
    if (bus) {
        v = strcmp(bus, "none") == 0 ? 0 : dx_lookup(dx_input_bus_names, dx_input_bus_count, bus);
        if (v <= 0)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "unknown input bus type '%s'", bus);
        in->bus = (mv_input_bus)v;
    }
    r = dx_attr_in(p, n, "model", models, &in->model);
    if (r == 2)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unknown input model '%s'", in->model);
    if (in->type == MV_INPUT_PASSTHROUGH && (c = dx_child(n, "source")))
        in->source_evdev = dx_attr(p, c, "evdev");
    if (in->type == MV_INPUT_EVDEV && (c = dx_child(n, "source")))
        in->source_evdev = dx_attr(p, c, "dev");
    if (p->oom)
        return -ENOMEM;
    if ((in->type == MV_INPUT_PASSTHROUGH || in->type == MV_INPUT_EVDEV) && !in->source_evdev)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "Missing evdev path for input device passthrough");
    return dx_info_parse(p, n, &in->info, false);
}

int dx_input_post_parse(const mv_domain_def *def, mv_domain_input *in)
{
    bool xen = def && def->os.type && strcmp(def->os.type, "hvm") != 0;

    if (!in->bus) {
        switch (in->type) {
        case MV_INPUT_TABLET:
            in->bus = xen ? MV_INPUT_BUS_XEN : MV_INPUT_BUS_USB;
            break;
        case MV_INPUT_MOUSE:
        case MV_INPUT_KEYBOARD:
            in->bus = xen ? MV_INPUT_BUS_XEN : MV_INPUT_BUS_PS2;
            break;
        case MV_INPUT_PASSTHROUGH:
            in->bus = MV_INPUT_BUS_VIRTIO;
            break;
        case MV_INPUT_EVDEV:
            break;
        }
    }
    if (in->bus == MV_INPUT_BUS_PS2 && in->type != MV_INPUT_MOUSE && in->type != MV_INPUT_KEYBOARD)
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                               "ps2 bus does not support %s input device",
                               dx_input_type_names[in->type]);
    return 0;
}

void dx_input_format(dbuf *b, const mv_domain_input *in, unsigned flags)
{
    dbuf c;

    db_start(b, "input");
    db_attr(b, "type", dx_input_type_names[in->type]);
    db_attr(b, "bus", in->bus ? dx_input_bus_names[in->bus] : NULL);
    db_attr(b, "model", in->model);
    db_child(&c, b);
    if (in->source_evdev) {
        db_start(&c, "source");
        db_attr(&c, in->type == MV_INPUT_EVDEV ? "dev" : "evdev", in->source_evdev);
        db_end(&c);
    }
    dx_info_format(&c, &in->info, flags, false);
    db_finish(b, "input", &c);
}

/* ---- graphics ---- */

void dx_graphics_free(mv_domain_graphics *g)
{
    if (!g)
        return;
    free(g->passwd);
    free(g->passwd_valid_to);
    free(g->connected);
    free(g->keymap);
    free(g->share_policy);
    free(g->default_mode);
    for (size_t i = 0; i < g->nlisten; i++) {
        free(g->listens[i].address);
        free(g->listens[i].network);
        free(g->listens[i].socket);
    }
    free(g->listens);
    for (size_t i = 0; i < g->nchannels; i++) {
        free(g->channels[i].name);
        free(g->channels[i].mode);
    }
    free(g->channels);
    free(g->image_compression);
    free(g->jpeg_compression);
    free(g->zlib_compression);
    free(g->playback_compression);
    free(g->streaming_mode);
    free(g->mouse_mode);
    free(g->gl_rendernode);
    free(g->display);
    free(g->xauth);
    dx_info_clear(&g->info);
    free(g);
}

static const char *const listen_types[] = { "", "address", "network", "socket", "none" };

static int add_listen(mv_domain_graphics *g, mv_listen_type type)
{
    mv_domain_graphics_listen *t;

    if (g->nlisten >= 16)
        return mv_error_report(-E2BIG, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "too many graphics listen elements");
    t = realloc(g->listens, (g->nlisten + 1) * sizeof(*t));
    if (!t)
        return -ENOMEM;
    g->listens = t;
    memset(&t[g->nlisten], 0, sizeof(*t));
    t[g->nlisten++].type = type;
    return 0;
}

static int listens_parse(dparse *p, xmlNodePtr n, mv_domain_graphics *g)
{
    _cleanup_free_ char *listen = NULL, *socket = NULL;
    xmlNodePtr l = NULL;
    int v, r;

    while ((l = dx_next(n, l, "listen"))) {
        mv_domain_graphics_listen *gl;

        r = dx_attr_enum(p, l, "type", listen_types, ELEMENTSOF(listen_types), true, &v);
        if (r < 0)
            return r;
        if ((r = add_listen(g, v == 4 ? MV_LISTEN_NONE : (mv_listen_type)v)) < 0)
            return r;
        gl = &g->listens[g->nlisten - 1];
        gl->address = dx_attr(p, l, "address");
        if (gl->type == MV_LISTEN_NETWORK) {
            gl->network = dx_attr(p, l, "network");
            if (!gl->network && !p->oom)
                return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                       "'network' attribute is required for listen type 'network'");
            /* The address a network resolved to: live data. */
            if (!(p->flags & MV_DOMAIN_PARSE_STATUS)) {
                free(gl->address);
                gl->address = NULL;
            }
        }
        if (gl->type == MV_LISTEN_SOCKET)
            gl->socket = dx_attr(p, l, "socket");
        free(dx_attr(p, l, "autoGenerated"));
    }
    listen = dx_attr(p, n, "listen");
    if (listen) {
        if (!g->nlisten) {
            if ((r = add_listen(g, MV_LISTEN_ADDRESS)) < 0)
                return r;
            g->listens[0].address = TAKE_PTR(listen);
        } else if (g->listens[0].type == MV_LISTEN_ADDRESS &&
                   (!g->listens[0].address || strcmp(g->listens[0].address, listen) != 0)) {
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "graphics 'listen' attribute '%s' must match 'address' "
                                   "attribute of first listen element (found '%s')", listen,
                                   g->listens[0].address ? g->listens[0].address : "");
        }
    }
    if (g->type == MV_GRAPHICS_VNC && (socket = dx_attr(p, n, "socket"))) {
        if (!g->nlisten) {
            if ((r = add_listen(g, MV_LISTEN_SOCKET)) < 0)
                return r;
            g->listens[0].socket = TAKE_PTR(socket);
        }
    }
    return p->oom ? -ENOMEM : 0;
}

/* A port attribute, with libvirt's message for a bad one. */
static int port_attr_parse(dparse *p, xmlNodePtr n, const char *attr, const mv_domain_graphics *g,
                           long long *ret)
{
    _cleanup_free_ char *v = dx_attr(p, n, attr);

    if (!v)
        return p->oom ? -ENOMEM : 0;
    if (dx_parse_ll(v, ret) < 0 || *ret < -1 || *ret > 65535)
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                               "cannot parse %s %s %s", dx_graphics_type_names[g->type], attr, v);
    return 1;
}

static int ports_parse(dparse *p, xmlNodePtr n, mv_domain_graphics *g)
{
    mv_tristate autoport = MV_TRISTATE_ABSENT;
    long long port = 0, tls = 0, ws = 0;
    bool status = p->flags & MV_DOMAIN_PARSE_STATUS;
    int has_port, has_tls = 0, r;

    if ((has_port = port_attr_parse(p, n, "port", g, &port)) < 0)
        return has_port;
    if (g->type == MV_GRAPHICS_SPICE && (has_tls = port_attr_parse(p, n, "tlsPort", g, &tls)) < 0)
        return has_tls;
    if (g->type == MV_GRAPHICS_VNC) {
        if ((r = port_attr_parse(p, n, "websocket", g, &ws)) < 0)
            return r;
        g->websocket = (int)ws;
    }
    if ((r = dx_attr_yesno(p, n, "autoport", &autoport)) < 0)
        return r;

    if (g->type == MV_GRAPHICS_VNC) {
        if (autoport == MV_TRISTATE_YES || (!autoport && (!has_port || port == -1))) {
            g->autoport = true;
            g->port = status && port > 0 ? (int)port : -1;
        } else {
            g->port = port > 0 ? (int)port : 0;
        }
    } else {
        if (autoport == MV_TRISTATE_YES || (!autoport && (port == -1 || tls == -1))) {
            g->autoport = true;
            g->port = status && port > 0 ? (int)port : -1;
            g->tls_port = status && tls > 0 ? (int)tls : -1;
        } else {
            g->port = port > 0 ? (int)port : 0;
            g->tls_port = tls > 0 ? (int)tls : 0;
        }
    }
    return 0;
}

static int spice_parse(dparse *p, xmlNodePtr n, mv_domain_graphics *g)
{
    static const char *const channel_names[] = { "main", "display", "inputs", "cursor", "playback",
                                                 "record", "smartcard", "usbredir", NULL };
    static const char *const modes[] = { "any", "secure", "insecure", NULL };
    static const char *const image[] = { "auto_glz", "auto_lz", "quic", "glz", "lz", "off", NULL };
    static const char *const jpeg[] = { "auto", "never", "always", NULL };
    static const char *const onoff[] = { "on", "off", NULL };
    static const char *const streaming[] = { "filter", "all", "off", NULL };
    static const char *const mouse[] = { "server", "client", NULL };
    xmlNodePtr c = NULL;
    int r;

    if ((r = dx_attr_in_xml(p, n, "defaultMode", modes, &g->default_mode)) < 0)
        return r;
    if (dx_count(n, "channel") > 16)
        return mv_error_report(-E2BIG, MV_ERR_XML_ERROR, MV_FROM_DOMAIN, "too many spice channels");
    g->channels = calloc(dx_count(n, "channel") + 1, sizeof(*g->channels));
    if (!g->channels)
        return -ENOMEM;
    g->nchannels = dx_count(n, "channel");
    for (size_t i = 0; (c = dx_next(n, c, "channel")); i++) {
        if ((r = dx_attr_in_xml(p, c, "name", channel_names, &g->channels[i].name)) < 0 ||
            (r = dx_attr_in_xml(p, c, "mode", modes, &g->channels[i].mode)) < 0)
            return r;
        if (!g->channels[i].name || !g->channels[i].mode)
            return p->oom ? -ENOMEM :
                   mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "spice channel missing name/mode");
    }
    if ((c = dx_child(n, "image")) &&
        (r = dx_attr_in_xml(p, c, "compression", image, &g->image_compression)) < 0)
        return r;
    if ((c = dx_child(n, "jpeg")) &&
        (r = dx_attr_in_xml(p, c, "compression", jpeg, &g->jpeg_compression)) < 0)
        return r;
    if ((c = dx_child(n, "zlib")) &&
        (r = dx_attr_in_xml(p, c, "compression", jpeg, &g->zlib_compression)) < 0)
        return r;
    if ((c = dx_child(n, "playback")) &&
        (r = dx_attr_in_xml(p, c, "compression", onoff, &g->playback_compression)) < 0)
        return r;
    if ((c = dx_child(n, "streaming")) &&
        (r = dx_attr_in_xml(p, c, "mode", streaming, &g->streaming_mode)) < 0)
        return r;
    if ((c = dx_child(n, "mouse")) && (r = dx_attr_in_xml(p, c, "mode", mouse, &g->mouse_mode)) < 0)
        return r;
    if ((c = dx_child(n, "clipboard")) &&
        (r = dx_attr_yesno(p, c, "copypaste", &g->clipboard_copypaste)) < 0)
        return r;
    if ((c = dx_child(n, "filetransfer")) &&
        (r = dx_attr_yesno(p, c, "enable", &g->filetransfer_enable)) < 0)
        return r;
    return 0;
}

int dx_graphics_parse(dparse *p, xmlNodePtr n, mv_domain_graphics **ret)
{
    static const char *const share[] = { "allow-exclusive", "force-shared", "ignore", NULL };
    static const char *const connected[] = { "fail", "disconnect", "keep", NULL };
    mv_domain_graphics *g = calloc(1, sizeof(*g));
    xmlNodePtr c;
    int v = 0, r;

    if (!g)
        return -ENOMEM;
    *ret = g;
    if ((r = dx_attr_enum(p, n, "type", dx_graphics_type_names, dx_graphics_type_count, true, &v)) < 0)
        return r;
    g->type = (mv_graphics_type)v;
    if (g->type == MV_GRAPHICS_RDP || g->type == MV_GRAPHICS_DESKTOP || g->type == MV_GRAPHICS_DBUS)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "graphics type '%s' is not supported", dx_graphics_type_names[v]);
    if (g->type == MV_GRAPHICS_VNC || g->type == MV_GRAPHICS_SPICE) {
        if ((r = ports_parse(p, n, g)) < 0 || (r = listens_parse(p, n, g)) < 0)
            return r;
        g->keymap = dx_attr(p, n, "keymap");
        g->passwd = dx_attr(p, n, "passwd");
        g->passwd_valid_to = dx_attr(p, n, "passwdValidTo");
        if ((r = dx_attr_in_xml(p, n, "connected", connected, &g->connected)) < 0)
            return r;
    }
    if (g->type == MV_GRAPHICS_VNC &&
        (r = dx_attr_in_xml(p, n, "sharePolicy", share, &g->share_policy)) < 0)
        return r;
    if (g->type == MV_GRAPHICS_SPICE && (r = spice_parse(p, n, g)) < 0)
        return r;
    if (g->type == MV_GRAPHICS_SDL) {
        g->display = dx_attr(p, n, "display");
        g->xauth = dx_attr(p, n, "xauth");
        if ((r = dx_attr_yesno(p, n, "fullscreen", &g->fullscreen)) < 0)
            return r;
    }
    if (g->type != MV_GRAPHICS_VNC && (c = dx_child(n, "gl"))) {
        if (g->type != MV_GRAPHICS_EGL_HEADLESS) {
            if ((r = dx_attr_yesno(p, c, "enable", &g->gl_enable)) < 0)
                return r;
            if (r == 0)
                return dx_err_missing("enable", "gl");
        }
        if (g->type != MV_GRAPHICS_SDL)
            g->gl_rendernode = dx_attr(p, c, "rendernode");
    }
    if (p->oom)
        return -ENOMEM;
    /* Listening on nothing, there are no ports to allocate. */
    if (g->nlisten && g->listens[0].type == MV_LISTEN_NONE) {
        g->autoport = false;
        g->port = g->tls_port = 0;
    }
    /* Without a <listen>, VNC listens on the default address, SPICE too
     * if it has a port, else on nothing. */
    if (!g->nlisten && g->type == MV_GRAPHICS_VNC)
        r = add_listen(g, MV_LISTEN_ADDRESS);
    else if (!g->nlisten && g->type == MV_GRAPHICS_SPICE)
        r = add_listen(g, g->autoport || g->port > 0 || g->tls_port > 0 ? MV_LISTEN_ADDRESS
                                                                          : MV_LISTEN_NONE);
    return r < 0 ? r : 0;
}

static void listens_format(dbuf *b, const mv_domain_graphics *g, unsigned flags)
{
    for (size_t i = 0; i < g->nlisten; i++) {
        const mv_domain_graphics_listen *l = &g->listens[i];

        db_start(b, "listen");
        db_attr(b, "type", l->type == MV_LISTEN_NONE ? "none" : listen_types[l->type]);
        if (l->type != MV_LISTEN_NETWORK || !(flags & MV_DOMAIN_XML_INACTIVE))
            db_attr(b, "address", l->address);
        db_attr(b, "network", l->network);
        db_attr(b, "socket", l->socket);
        db_end(b);
    }
}

static void port_attr(dbuf *b, const char *name, int port, bool autoport, unsigned flags)
{
    if (autoport)
        db_attrf(b, name, "%d", (flags & MV_DOMAIN_XML_INACTIVE) || port <= 0 ? -1 : port);
    else if (port > 0)
        db_attrf(b, name, "%d", port);
}

static void auth_attrs(dbuf *b, const mv_domain_graphics *g, unsigned flags)
{
    if (flags & MV_DOMAIN_XML_SECURE) {
        db_attr(b, "passwd", g->passwd);
        db_attr(b, "passwdValidTo", g->passwd_valid_to);
    }
    db_attr(b, "connected", g->connected);
}

void dx_graphics_format(dbuf *b, const mv_domain_graphics *g, unsigned flags)
{
    const mv_domain_graphics_listen *first = g->nlisten ? &g->listens[0] : NULL;
    dbuf c;

    db_start(b, "graphics");
    db_attr(b, "type", dx_graphics_type_names[g->type]);
    if (g->type == MV_GRAPHICS_VNC) {
        if (first && first->type == MV_LISTEN_SOCKET) {
            db_attr(b, "socket", first->socket);
        } else {
            port_attr(b, "port", g->port, g->autoport, flags);
            db_attr(b, "autoport", g->autoport ? "yes" : "no");
            if (g->websocket)
                db_attrf(b, "websocket", "%d", g->websocket);
            if (first && first->type == MV_LISTEN_ADDRESS)
                db_attr(b, "listen", first->address);
        }
        db_attr(b, "keymap", g->keymap);
        db_attr(b, "sharePolicy", g->share_policy);
        auth_attrs(b, g, flags);
    } else if (g->type == MV_GRAPHICS_SPICE) {
        if (!g->autoport || !(flags & MV_DOMAIN_XML_INACTIVE)) {
            if (g->port > 0)
                db_attrf(b, "port", "%d", g->port);
            if (g->tls_port > 0)
                db_attrf(b, "tlsPort", "%d", g->tls_port);
        }
        if (g->autoport)
            db_attr(b, "autoport", "yes");
        else if (g->port > 0 || g->tls_port > 0)
            db_attr(b, "autoport", "no");
        if (first && first->type == MV_LISTEN_ADDRESS)
            db_attr(b, "listen", first->address);
        db_attr(b, "keymap", g->keymap);
        db_attr(b, "defaultMode", g->default_mode);
        auth_attrs(b, g, flags);
    } else if (g->type == MV_GRAPHICS_SDL) {
        db_attr(b, "display", g->display);
        db_attr(b, "xauth", g->xauth);
        if (g->fullscreen == MV_TRISTATE_YES)
            db_attr(b, "fullscreen", "yes");
    }
    db_child(&c, b);
    listens_format(&c, g, flags);
    for (size_t i = 0; i < g->nchannels; i++) {
        db_start(&c, "channel");
        db_attr(&c, "name", g->channels[i].name);
        db_attr(&c, "mode", g->channels[i].mode);
        db_end(&c);
    }
#define ONE(elem, attr, value) \
    if (value) { db_start(&c, elem); db_attr(&c, attr, value); db_end(&c); }
    ONE("image", "compression", g->image_compression)
    ONE("jpeg", "compression", g->jpeg_compression)
    ONE("zlib", "compression", g->zlib_compression)
    ONE("playback", "compression", g->playback_compression)
    ONE("streaming", "mode", g->streaming_mode)
    ONE("mouse", "mode", g->mouse_mode)
#undef ONE
    if (g->clipboard_copypaste) {
        db_start(&c, "clipboard");
        db_attr_yesno(&c, "copypaste", g->clipboard_copypaste);
        db_end(&c);
    }
    if (g->filetransfer_enable) {
        db_start(&c, "filetransfer");
        db_attr_yesno(&c, "enable", g->filetransfer_enable);
        db_end(&c);
    }
    if (g->gl_enable || g->gl_rendernode) {
        db_start(&c, "gl");
        db_attr_yesno(&c, "enable", g->gl_enable);
        db_attr(&c, "rendernode", g->gl_rendernode);
        db_end(&c);
    }
    db_finish(b, "graphics", &c);
}

/* ---- video ---- */

void dx_video_free(mv_domain_video *v)
{
    if (!v)
        return;
    free(v->model);
    free(v->driver_name);
    dx_info_clear(&v->info);
    free(v);
}

static int video_size(dparse *p, xmlNodePtr n, const char *attr, unsigned *ret)
{
    _cleanup_free_ char *s = dx_attr(p, n, attr);
    unsigned long long v;

    if (!s)
        return p->oom ? -ENOMEM : 0;
    if (dx_parse_ull(s, 10, &v) < 0 || v > UINT_MAX)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "cannot parse video %s '%s'", attr, s);
    *ret = (unsigned)v;
    return 1;
}

int dx_video_parse(dparse *p, xmlNodePtr n, mv_domain_video **ret)
{
    static const char *const models[] = { "default", "vga", "cirrus", "vmvga", "xen", "vbox",
                                          "qxl", "parallels", "virtio", "gop", "none", "bochs",
                                          "ramfb", NULL };
    static const char *const drivers[] = { "qemu", "vhostuser", NULL };
    mv_domain_video *v = calloc(1, sizeof(*v));
    mv_tristate primary = MV_TRISTATE_ABSENT;
    xmlNodePtr m, c;
    int r;

    if (!v)
        return -ENOMEM;
    *ret = v;
    if ((m = dx_child(n, "model"))) {
        r = dx_attr_in(p, m, "type", models, &v->model);
        if (r == 2)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "unknown video model '%s'", v->model);
        if ((r = video_size(p, m, "vram", &v->vram)) < 0 ||
            (r = video_size(p, m, "ram", &v->ram)) < 0 ||
            (r = video_size(p, m, "vgamem", &v->vgamem)) < 0 ||
            (r = video_size(p, m, "vram64", &v->vram64)) < 0 ||
            (r = video_size(p, m, "heads", &v->heads)) < 0 ||
            (r = dx_attr_yesno(p, m, "primary", &primary)) < 0)
            return r;
        v->primary = primary == MV_TRISTATE_YES;
        if ((c = dx_child(m, "acceleration"))) {
            if ((r = dx_attr_yesno(p, c, "accel3d", &v->accel3d)) < 0 ||
                (r = dx_attr_yesno(p, c, "accel2d", &v->accel2d)) < 0)
                return r;
        }
    }
    if ((c = dx_child(n, "driver")) && (r = dx_attr_in_xml(p, c, "name", drivers, &v->driver_name)) < 0)
        return r;
    return dx_info_parse(p, n, &v->info, false);
}

void dx_video_format(dbuf *b, const mv_domain_video *v, unsigned flags)
{
    dbuf c;

    db_start(b, "video");
    db_child(&c, b);
    if (v->driver_name) {
        db_start(&c, "driver");
        db_attr(&c, "name", v->driver_name);
        db_end(&c);
    }
    if (v->model || v->vram || v->ram || v->vgamem || v->vram64 || v->heads || v->primary ||
        v->accel3d || v->accel2d) {
        db_start(&c, "model");
        db_attr(&c, "type", v->model);
        if (v->ram)
            db_attrf(&c, "ram", "%u", v->ram);
        if (v->vram)
            db_attrf(&c, "vram", "%u", v->vram);
        if (v->vram64)
            db_attrf(&c, "vram64", "%u", v->vram64);
        if (v->vgamem)
            db_attrf(&c, "vgamem", "%u", v->vgamem);
        if (v->heads)
            db_attrf(&c, "heads", "%u", v->heads);
        if (v->primary)
            db_attr(&c, "primary", "yes");
        if (v->accel3d || v->accel2d) {
            db_add(&c, ">\n");
            c.indent++;
            db_start(&c, "acceleration");
            db_attr_yesno(&c, "accel3d", v->accel3d);
            db_attr_yesno(&c, "accel2d", v->accel2d);
            db_end(&c);
            c.indent--;
            db_indent(&c);
            db_add(&c, "</model>\n");
        } else {
            db_end(&c);
        }
    }
    dx_info_format(&c, &v->info, flags, false);
    db_finish(b, "video", &c);
}

/* ---- sound and audio ---- */

void dx_sound_free(mv_domain_sound *s)
{
    if (!s)
        return;
    free(s->model);
    for (size_t i = 0; i < s->ncodecs; i++)
        free(s->codecs[i]);
    free(s->codecs);
    dx_info_clear(&s->info);
    free(s);
}

int dx_sound_parse(dparse *p, xmlNodePtr n, mv_domain_sound **ret)
{
    static const char *const models[] = { "sb16", "es1370", "pcspk", "ac97", "ich6", "ich9",
                                          "usb", "ich7", NULL };
    static const char *const codecs[] = { "duplex", "micro", "output", NULL };
    mv_domain_sound *s = calloc(1, sizeof(*s));
    xmlNodePtr c = NULL;
    int r;

    if (!s)
        return -ENOMEM;
    *ret = s;
    if ((r = dx_attr_in_xml(p, n, "model", models, &s->model)) < 0)
        return r;
    if (r == 0)
        return dx_err_missing("model", "sound");
    if (dx_count(n, "codec") > 16)
        return mv_error_report(-E2BIG, MV_ERR_XML_ERROR, MV_FROM_DOMAIN, "too many sound codecs");
    s->codecs = calloc(dx_count(n, "codec") + 1, sizeof(char *));
    if (!s->codecs)
        return -ENOMEM;
    s->ncodecs = dx_count(n, "codec");
    for (size_t i = 0; (c = dx_next(n, c, "codec")); i++) {
        r = dx_attr_in(p, c, "type", codecs, &s->codecs[i]);
        if (r < 0)
            return r;
        if (r != 1)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "unknown codec type '%s'", s->codecs[i] ? s->codecs[i] : "");
    }
    if ((c = dx_child(n, "audio"))) {
        if ((r = dx_attr_u32(p, c, "id", &s->audio_id)) < 0)
            return r;
        if (r == 0 || s->audio_id == 0)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "sound audio id must be at least 1");
    }
    return dx_info_parse(p, n, &s->info, false);
}

void dx_sound_format(dbuf *b, const mv_domain_sound *s, unsigned flags)
{
    dbuf c;

    db_start(b, "sound");
    db_attr(b, "model", s->model);
    db_child(&c, b);
    for (size_t i = 0; i < s->ncodecs; i++) {
        db_start(&c, "codec");
        db_attr(&c, "type", s->codecs[i]);
        db_end(&c);
    }
    if (s->audio_id) {
        db_start(&c, "audio");
        db_attrf(&c, "id", "%u", s->audio_id);
        db_end(&c);
    }
    dx_info_format(&c, &s->info, flags, false);
    db_finish(b, "sound", &c);
}

void dx_audio_free(mv_domain_audio *a)
{
    if (!a)
        return;
    free(a->type);
    free(a->path);
    free(a);
}

int dx_audio_parse(dparse *p, xmlNodePtr n, mv_domain_audio **ret)
{
    static const char *const types[] = { "none", "alsa", "coreaudio", "jack", "oss", "pulseaudio",
                                         "sdl", "spice", "file", "dbus", NULL };
    mv_domain_audio *a = calloc(1, sizeof(*a));
    int r;

    if (!a)
        return -ENOMEM;
    *ret = a;
    if ((r = dx_attr_u32(p, n, "id", &a->id)) < 0)
        return r;
    if (r == 0)
        return dx_err_missing("id", "audio");
    if (a->id == 0)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "audio id must be at least 1");
    if ((r = dx_attr_in_xml(p, n, "type", types, &a->type)) < 0)
        return r;
    if (r == 0)
        return dx_err_missing("type", "audio");
    if (strcmp(a->type, "file") == 0)
        a->path = dx_attr(p, n, "path");
    return p->oom ? -ENOMEM : 0;
}

void dx_audio_format(dbuf *b, const mv_domain_audio *a, unsigned flags)
{
    db_start(b, "audio");
    db_attrf(b, "id", "%u", a->id);
    db_attr(b, "type", a->type);
    db_attr(b, "path", a->path);
    db_end(b);
}
