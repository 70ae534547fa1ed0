/*
 * Host devices, TPMs, watchdogs and the memory balloon of the domain
 * document.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain_conf_priv.h"
#include "util/cleanup.h"

const char *const dx_hostdev_type_names[] = { "pci", "usb", "scsi", "mdev" };
const size_t dx_hostdev_type_count = ELEMENTSOF(dx_hostdev_type_names);

const char *mv_hostdev_type_str(mv_hostdev_type v)
{
    return (size_t)v < dx_hostdev_type_count ? dx_hostdev_type_names[v] : NULL;
}

/* ---- hostdev ---- */

void dx_hostdev_free(mv_domain_hostdev *h)
{
    if (!h)
        return;
    free(h->model);
    free(h->driver_name);
    free(h->source.startup_policy);
    free(h->source.scsi_adapter);
    free(h->source.mdev_uuid);
    free(h->rom_bar);
    free(h->rom_file);
    dx_info_clear(&h->info);
    free(h);
}

static int usb_id(dparse *p, xmlNodePtr n, const char *elem, unsigned *ret)
{
    xmlNodePtr c = dx_child(n, elem);
    _cleanup_free_ char *id = c ? dx_attr(p, c, "id") : NULL;
    unsigned long long v;

    if (!c)
        return 0;
    if (!id || dx_parse_ull(id, 0, &v) < 0 || v > 0xffff)
        return p->oom ? -ENOMEM :
               mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                               "cannot parse %s id %s", elem, id ? id : "");
    *ret = (unsigned)v;
    return 1;
}

static int hostdev_source_parse(dparse *p, xmlNodePtr n, mv_domain_hostdev *h)
{
    static const char *const policies[] = { "mandatory", "requisite", "optional", NULL };
    xmlNodePtr s = dx_child(n, "source"), c;
    unsigned long long v;
    int r;

    if (!s)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "Missing <source> element in hostdev device");
    switch (h->type) {
    case MV_HOSTDEV_PCI:
        if (!(c = dx_child(s, "address")))
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "PCI host devices must use 'pci' address type");
        free(dx_attr(p, c, "type"));
        {
            /* Same fields as a PCI <address>, without a type. */
            unsigned long long dom = 0, bus = 0, slot = 0, fn = 0;

            if ((r = dx_attr_uint(p, c, "domain", 0, 0xffff, &dom)) < 0 ||
                (r = dx_attr_uint(p, c, "bus", 0, 0xff, &bus)) < 0 ||
                (r = dx_attr_uint(p, c, "slot", 0, 0x1f, &slot)) < 0 ||
                (r = dx_attr_uint(p, c, "function", 0, 7, &fn)) < 0)
                return r;
            h->source.pci.type = MV_DOMAIN_ADDR_PCI;
            h->source.pci.pci.domain = (unsigned)dom;
            h->source.pci.pci.bus = (unsigned)bus;
            h->source.pci.pci.slot = (unsigned)slot;
            h->source.pci.pci.function = (unsigned)fn;
        }
        break;
    case MV_HOSTDEV_USB:
        if ((r = dx_attr_in_xml(p, s, "startupPolicy", policies, &h->source.startup_policy)) < 0)
            return r;
        if ((r = usb_id(p, s, "vendor", &h->source.usb_vendor)) < 0)
            return r;
        h->source.has_usb_vendor = r > 0;
        if ((r = usb_id(p, s, "product", &h->source.usb_product)) < 0)
            return r;
        if (h->source.has_usb_vendor != (r > 0))
            return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                                   "usb vendor and product must be given together");
        if ((c = dx_child(s, "address"))) {
            if ((r = dx_attr_uint(p, c, "bus", 0, UINT_MAX, &v)) < 0)
                return r;
            h->source.usb_bus = (unsigned)v;
            if ((r = dx_attr_uint(p, c, "device", 0, UINT_MAX, &v)) < 0)
                return r;
            h->source.usb_device = (unsigned)v;
            h->source.has_usb_address = true;
        }
        if (!h->source.has_usb_vendor && !h->source.has_usb_address)
            return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                                   "usb hostdev needs a vendor/product or an address");
        break;
    case MV_HOSTDEV_SCSI:
        if ((c = dx_child(s, "adapter")))
            h->source.scsi_adapter = dx_attr(p, c, "name");
        if (!h->source.scsi_adapter)
            return p->oom ? -ENOMEM :
                   mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "SCSI host device must use 'adapter' name");
        if (!(c = dx_child(s, "address")))
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "SCSI host device must have an address");
        if ((r = dx_attr_uint(p, c, "bus", 0, UINT_MAX, &v)) < 0)
            return r;
        h->source.scsi_bus = (unsigned)v;
        if ((r = dx_attr_uint(p, c, "target", 0, UINT_MAX, &v)) < 0)
            return r;
        h->source.scsi_target = (unsigned)v;
        if ((r = dx_attr_uint(p, c, "unit", 0, ULLONG_MAX, &h->source.scsi_unit)) < 0)
            return r;
        break;
    case MV_HOSTDEV_MDEV:
        if ((c = dx_child(s, "address")))
            h->source.mdev_uuid = dx_attr(p, c, "uuid");
        if (!h->source.mdev_uuid)
            return p->oom ? -ENOMEM :
                   mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "Missing 'uuid' attribute for element <address>");
        break;
    }
    return p->oom ? -ENOMEM : 0;
}

int dx_hostdev_parse(dparse *p, xmlNodePtr n, mv_domain_hostdev **ret)
{
    static const char *const drivers[] = { "kvm", "vfio", "xen", NULL };
    static const char *const onoff[] = { "on", "off", NULL };
    static const char *const models[] = { "vfio-pci", "vfio-ccw", "vfio-ap", NULL };
    mv_domain_hostdev *h = calloc(1, sizeof(*h));
    _cleanup_free_ char *mode = NULL, *type = NULL;
    xmlNodePtr c;
    int t, r;

    if (!h)
        return -ENOMEM;
    *ret = h;
    mode = dx_attr(p, n, "mode");
    if (mode && strcmp(mode, "subsystem") != 0)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "hostdev mode '%s' is not supported", mode);
    type = dx_attr(p, n, "type");
    if (!type)
        return p->oom ? -ENOMEM :
               mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "missing type in hostdev");
    t = dx_lookup(dx_hostdev_type_names, dx_hostdev_type_count, type);
    if (t < 0)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unknown host device source address type '%s'", type);
    h->type = (mv_hostdev_type)t;
    if ((r = dx_attr_yesno(p, n, "managed", &h->managed)) < 0)
        return r;
    if (h->type == MV_HOSTDEV_MDEV) {
        r = dx_attr_in(p, n, "model", models, &h->model);
        if (r != 1)
            return r < 0 ? r :
                   mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "Missing or unknown 'model' attribute in mediated device's <hostdev> element");
    }
    if ((c = dx_child(n, "driver")) &&
        (r = dx_attr_in_xml(p, c, "name", drivers, &h->driver_name)) < 0)
        return r;
    if ((r = hostdev_source_parse(p, n, h)) < 0)
        return r;
    h->readonly = dx_child(n, "readonly") != NULL;
    h->shareable = dx_child(n, "shareable") != NULL;
    if ((c = dx_child(n, "rom"))) {
        if ((r = dx_attr_in_xml(p, c, "bar", onoff, &h->rom_bar)) < 0)
            return r;
        h->rom_file = dx_attr(p, c, "file");
    }
    return dx_info_parse(p, n, &h->info, true);
}

void dx_hostdev_format(dbuf *b, const mv_domain_hostdev *h, unsigned flags)
{
    dbuf c;

    db_start(b, "hostdev");
    db_attr(b, "mode", "subsystem");
    db_attr(b, "type", dx_hostdev_type_names[h->type]);
    db_attr(b, "managed", h->managed == MV_TRISTATE_YES ? "yes" : "no");
    db_attr(b, "model", h->model);
    db_child(&c, b);
    if (h->driver_name) {
        db_start(&c, "driver");
        db_attr(&c, "name", h->driver_name);
        db_end(&c);
    }
    db_start(&c, "source");
    db_attr(&c, "startupPolicy", h->source.startup_policy);
    db_add(&c, ">\n");
    c.indent++;
    switch (h->type) {
    case MV_HOSTDEV_PCI:
        db_start(&c, "address");
        db_attrf(&c, "domain", "0x%04x", h->source.pci.pci.domain);
        db_attrf(&c, "bus", "0x%02x", h->source.pci.pci.bus);
        db_attrf(&c, "slot", "0x%02x", h->source.pci.pci.slot);
        db_attrf(&c, "function", "0x%x", h->source.pci.pci.function);
        db_end(&c);
        break;
    case MV_HOSTDEV_USB:
        if (h->source.has_usb_vendor) {
            db_start(&c, "vendor");
            db_attrf(&c, "id", "0x%04x", h->source.usb_vendor);
            db_end(&c);
            db_start(&c, "product");
            db_attrf(&c, "id", "0x%04x", h->source.usb_product);
            db_end(&c);
        }
        if (h->source.has_usb_address) {
            db_start(&c, "address");
            db_attrf(&c, "bus", "%u", h->source.usb_bus);
            db_attrf(&c, "device", "%u", h->source.usb_device);
            db_end(&c);
        }
        break;
    case MV_HOSTDEV_SCSI:
        db_start(&c, "adapter");
        db_attr(&c, "name", h->source.scsi_adapter);
        db_end(&c);
        db_start(&c, "address");
        db_attrf(&c, "bus", "%u", h->source.scsi_bus);
        db_attrf(&c, "target", "%u", h->source.scsi_target);
        db_attrf(&c, "unit", "%llu", h->source.scsi_unit);
        db_end(&c);
        break;
    case MV_HOSTDEV_MDEV:
        db_start(&c, "address");
        db_attr(&c, "uuid", h->source.mdev_uuid);
        db_end(&c);
        break;
    }
    c.indent--;
    db_indent(&c);
    db_add(&c, "</source>\n");
    if (h->readonly)
        db_add_empty(&c, "readonly");
    if (h->shareable)
        db_add_empty(&c, "shareable");
    dx_info_format_rom(&c, &h->info, flags, true, h->rom_bar, h->rom_file);
    db_finish(b, "hostdev", &c);
}

/* ---- TPM ---- */

void dx_tpm_free(mv_domain_tpm *t)
{
    if (!t)
        return;
    free(t->model);
    free(t->backend_type);
    free(t->backend_version);
    free(t->device_path);
    free(t->socket_path);
    free(t->encryption_secret);
    for (size_t i = 0; i < t->nactive_pcr_banks; i++)
        free(t->active_pcr_banks[i]);
    free(t->active_pcr_banks);
    dx_info_clear(&t->info);
    free(t);
}

static int tpm_backend_parse(dparse *p, xmlNodePtr be, mv_domain_tpm *t)
{
    static const char *const types[] = { "passthrough", "emulator", "external", NULL };
    static const char *const versions[] = { "1.2", "2.0", NULL };
    static const char *const banks[] = { "sha1", "sha256", "sha384", "sha512", NULL };
    xmlNodePtr c;
    int r;

    r = dx_attr_in_xml(p, be, "type", types, &t->backend_type);
    if (r < 0)
        return r;
    if (r == 0)
        return dx_err_missing("type", "backend");
    r = dx_attr_in(p, be, "version", versions, &t->backend_version);
    if (r == 2)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "Unsupported TPM version '%s'", t->backend_version);
    if (strcmp(t->backend_type, "passthrough") == 0) {
        if ((c = dx_child(be, "device")))
            t->device_path = dx_attr(p, c, "path");
        if (!t->device_path && !(t->device_path = dx_strdup(p, "/dev/tpm0")))
            return -ENOMEM;
    } else if (strcmp(t->backend_type, "emulator") == 0) {
        if ((r = dx_attr_yesno(p, be, "persistent_state", &t->persistent_state)) < 0)
            return r;
        if ((c = dx_child(be, "encryption"))) {
            t->encryption_secret = dx_attr(p, c, "secret");
            if (!t->encryption_secret)
                return p->oom ? -ENOMEM :
                       mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                       "missing secret uuid for TPM encryption");
        }
        if ((c = dx_child(be, "active_pcr_banks"))) {
            t->active_pcr_banks = calloc(ELEMENTSOF(banks), sizeof(char *));
            if (!t->active_pcr_banks)
                return -ENOMEM;
            for (size_t i = 0; banks[i]; i++)
                if (dx_child(c, banks[i]))
                    t->active_pcr_banks[t->nactive_pcr_banks++] = dx_strdup(p, banks[i]);
        }
    } else {
        if ((c = dx_child(be, "source"))) {
            _cleanup_free_ char *type = dx_attr(p, c, "type");
            _cleanup_free_ char *mode = dx_attr(p, c, "mode");

            if ((type && strcmp(type, "unix") != 0) || (mode && strcmp(mode, "connect") != 0))
                return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                       "only unix sockets in connect mode are supported for an external TPM");
            t->socket_path = dx_attr(p, c, "path");
        }
        if (!t->socket_path)
            return p->oom ? -ENOMEM :
                   mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "missing socket path for external TPM");
    }
    return p->oom ? -ENOMEM : 0;
}

int dx_tpm_parse(dparse *p, xmlNodePtr n, mv_domain_tpm **ret)
{
    static const char *const models[] = { "tpm-tis", "tpm-crb", "tpm-spapr", "spapr-tpm-proxy", NULL };
    mv_domain_tpm *t = calloc(1, sizeof(*t));
    xmlNodePtr be;
    int r;

    if (!t)
        return -ENOMEM;
    *ret = t;
    if ((r = dx_attr_in_xml(p, n, "model", models, &t->model)) < 0)
        return r;
    if (dx_count(n, "backend") != 1)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "only one TPM backend is supported");
    be = dx_child(n, "backend");
    if ((r = tpm_backend_parse(p, be, t)) < 0)
        return r;
    return dx_info_parse(p, n, &t->info, false);
}

void dx_tpm_format(dbuf *b, const mv_domain_tpm *t, unsigned flags)
{
    dbuf c, cc;

    db_start(b, "tpm");
    db_attr(b, "model", t->model);
    db_child(&c, b);
    db_start(&c, "backend");
    db_attr(&c, "type", t->backend_type);
    db_attr(&c, "version", t->backend_version);
    db_attr_yesno(&c, "persistent_state", t->persistent_state);
    db_child(&cc, &c);
    if (t->device_path) {
        db_start(&cc, "device");
        db_attr(&cc, "path", t->device_path);
        db_end(&cc);
    }
    if (t->encryption_secret) {
        db_start(&cc, "encryption");
        db_attr(&cc, "secret", t->encryption_secret);
        db_end(&cc);
    }
    if (t->active_pcr_banks) {
        db_start(&cc, "active_pcr_banks");
        if (t->nactive_pcr_banks) {
            db_add(&cc, ">\n");
            cc.indent++;
            for (size_t i = 0; i < t->nactive_pcr_banks; i++)
                db_add_empty(&cc, t->active_pcr_banks[i]);
            cc.indent--;
            db_indent(&cc);
            db_add(&cc, "</active_pcr_banks>\n");
        } else {
            db_end(&cc);
        }
    }
    if (t->socket_path) {
        db_start(&cc, "source");
        db_attr(&cc, "type", "unix");
        db_attr(&cc, "mode", "connect");
        db_attr(&cc, "path", t->socket_path);
        db_end(&cc);
    }
    db_finish(&c, "backend", &cc);
    dx_info_format(&c, &t->info, flags, false);
    db_finish(b, "tpm", &c);
}

/* ---- watchdog ---- */

void dx_watchdog_free(mv_domain_watchdog *w)
{
    if (!w)
        return;
    free(w->model);
    free(w->action);
    dx_info_clear(&w->info);
    free(w);
}

int dx_watchdog_parse(dparse *p, xmlNodePtr n, mv_domain_watchdog **ret)
{
    static const char *const models[] = { "i6300esb", "ib700", "diag288", NULL };
    static const char *const actions[] = { "reset", "shutdown", "poweroff", "pause", "dump",
                                           "none", "inject-nmi", NULL };
    mv_domain_watchdog *w = calloc(1, sizeof(*w));
    int r;

    if (!w)
        return -ENOMEM;
    *ret = w;
    r = dx_attr_in(p, n, "model", models, &w->model);
    if (r < 0)
        return r;
    if (r == 0)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "watchdog must contain model name");
    if (r == 2)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unknown watchdog model '%s'", w->model);
    r = dx_attr_in(p, n, "action", actions, &w->action);
    if (r == 2)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unknown watchdog action '%s'", w->action);
    if (r == 0 && !(w->action = dx_strdup(p, "reset")))
        return -ENOMEM;
    return dx_info_parse(p, n, &w->info, false);
}

void dx_watchdog_format(dbuf *b, const mv_domain_watchdog *w, unsigned flags)
{
    dbuf c;

    db_start(b, "watchdog");
    db_attr(b, "model", w->model);
    db_attr(b, "action", w->action);
    db_child(&c, b);
    dx_info_format(&c, &w->info, flags, false);
    db_finish(b, "watchdog", &c);
}

/* ---- memballoon ---- */

void dx_memballoon_free(mv_domain_memballoon *m)
{
    if (!m)
        return;
    free(m->model);
    dx_info_clear(&m->info);
    free(m);
}

int dx_memballoon_parse(dparse *p, xmlNodePtr n, mv_domain_memballoon **ret)
{
    static const char *const models[] = { "virtio", "xen", "none", "virtio-transitional",
                                          "virtio-non-transitional", NULL };
    mv_domain_memballoon *m = calloc(1, sizeof(*m));
    xmlNodePtr c;
    long long period;
    int r;

    if (!m)
        return -ENOMEM;
    *ret = m;
    m->stats_period = -1;
    if ((r = dx_attr_in_xml(p, n, "model", models, &m->model)) < 0)
        return r;
    if (r == 0)
        return dx_err_missing("model", "memballoon");
    if ((r = dx_attr_onoff(p, n, "autodeflate", &m->autodeflate)) < 0 ||
        (r = dx_attr_onoff(p, n, "freePageReporting", &m->free_page_reporting)) < 0)
        return r;
    if ((c = dx_child(n, "stats"))) {
        if ((r = dx_attr_int(p, c, "period", 0, INT_MAX, &period)) < 0)
            return r;
        if (r == 0)
            return dx_err_missing("period", "stats");
        m->stats_period = (int)period;
    }
    return dx_info_parse(p, n, &m->info, false);
}

void dx_memballoon_format(dbuf *b, const mv_domain_memballoon *m, unsigned flags)
{
    dbuf c;

    db_start(b, "memballoon");
    db_attr(b, "model", m->model);
    db_attr_onoff(b, "autodeflate", m->autodeflate);
    db_attr_onoff(b, "freePageReporting", m->free_page_reporting);
    db_child(&c, b);
    if (m->stats_period >= 0) {
        db_start(&c, "stats");
        db_attrf(&c, "period", "%d", m->stats_period);
        db_end(&c);
    }
    dx_info_format(&c, &m->info, flags, false);
    db_finish(b, "memballoon", &c);
}
