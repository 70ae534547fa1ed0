/*
 * The domain document's <devices>: disks, controllers and filesystems, and
 * the dispatch, checks and ordering over all device kinds.  What every
 * device carries (address, alias, boot order) is in domain_conf_address.c;
 * the other kinds live in domain_conf_net.c, domain_conf_chr.c,
 * domain_conf_display.c and domain_conf_hostdev.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain_conf_priv.h"
#include "util/cleanup.h"

/* ---- enum names ---- */

const char *const dx_disk_type_names[] = { "file", "block", "network", "volume", "dir" };
const char *const dx_disk_device_names[] = { "disk", "cdrom", "floppy", "lun" };
const char *const dx_disk_bus_names[] = { "", "ide", "fdc", "scsi", "virtio", "xen", "usb",
                                          "uml", "sata", "sd" };
const char *const dx_controller_type_names[] = { "ide", "fdc", "scsi", "sata", "virtio-serial",
                                                 "ccid", "usb", "pci", "xenbus", "isa" };
const size_t dx_disk_type_count = ELEMENTSOF(dx_disk_type_names);
const size_t dx_disk_device_count = ELEMENTSOF(dx_disk_device_names);
const size_t dx_disk_bus_count = ELEMENTSOF(dx_disk_bus_names);
const size_t dx_controller_type_count = ELEMENTSOF(dx_controller_type_names);

#define ENUM_STR(fn, type, names, count)                        \
    const char *fn(type v)                                      \
    {                                                           \
        return (size_t)v < (count) ? names[v] : NULL;           \
    }
ENUM_STR(mv_disk_type_str, mv_disk_type, dx_disk_type_names, dx_disk_type_count)
ENUM_STR(mv_disk_device_str, mv_disk_device, dx_disk_device_names, dx_disk_device_count)
ENUM_STR(mv_disk_bus_str, mv_disk_bus, dx_disk_bus_names, dx_disk_bus_count)
ENUM_STR(mv_controller_type_str, mv_controller_type, dx_controller_type_names,
         dx_controller_type_count)

/* ---- disks ---- */

void dx_disk_free(mv_domain_disk *d)
{
    if (!d)
        return;
    free(d->driver.name);
    free(d->driver.type);
    free(d->driver.cache);
    free(d->driver.io);
    free(d->driver.discard);
    free(d->driver.detect_zeroes);
    free(d->driver.error_policy);
    free(d->driver.rerror_policy);
    free(d->source.path);
    free(d->source.startup_policy);
    free(d->source.protocol);
    free(d->source.name);
    for (size_t i = 0; i < d->source.nhosts; i++) {
        free(d->source.hosts[i].name);
        free(d->source.hosts[i].port);
        free(d->source.hosts[i].transport);
        free(d->source.hosts[i].socket);
    }
    free(d->source.hosts);
    free(d->source.pool);
    free(d->source.volume);
    free(d->source.mode);
    free(d->target_dev);
    free(d->target_tray);
    free(d->serial);
    free(d->wwn);
    dx_info_clear(&d->info);
    free(d);
}

static int disk_driver_parse(dparse *p, xmlNodePtr n, mv_domain_disk *d)
{
    static const char *const caches[] = { "default", "none", "writethrough", "writeback",
                                          "directsync", "unsafe", NULL };
    static const char *const ios[] = { "threads", "native", "io_uring", "default", NULL };
    static const char *const discards[] = { "unmap", "ignore", "default", NULL };
    static const char *const zeroes[] = { "off", "on", "unmap", "default", NULL };
    static const char *const errors[] = { "stop", "report", "ignore", "enospace", "default", NULL };
    static const char *const rerrors[] = { "stop", "report", "ignore", "default", NULL };
    int r;

    d->driver.name = dx_attr(p, n, "name");
    d->driver.type = dx_attr(p, n, "type");
    if ((r = dx_attr_in_xml(p, n, "cache", caches, &d->driver.cache)) < 0 ||
        (r = dx_attr_in_xml(p, n, "io", ios, &d->driver.io)) < 0 ||
        (r = dx_attr_in_xml(p, n, "discard", discards, &d->driver.discard)) < 0 ||
        (r = dx_attr_in_xml(p, n, "detect_zeroes", zeroes, &d->driver.detect_zeroes)) < 0 ||
        (r = dx_attr_in_xml(p, n, "error_policy", errors, &d->driver.error_policy)) < 0 ||
        (r = dx_attr_in_xml(p, n, "rerror_policy", rerrors, &d->driver.rerror_policy)) < 0)
        return r;
    return 0;
}

static int disk_source_parse(dparse *p, xmlNodePtr n, mv_domain_disk *d)
{
    static const char *const policies[] = { "mandatory", "requisite", "optional", NULL };
    static const char *const protocols[] = { "nbd", "rbd", "sheepdog", "gluster", "iscsi", "http",
                                             "https", "ftp", "ftps", "tftp", "ssh", "vxhs",
                                             "nfs", NULL };
    static const char *const transports[] = { "tcp", "unix", "rdma", NULL };
    static const char *const vol_modes[] = { "host", "direct", NULL };
    xmlNodePtr h = NULL;
    int r;

    d->source.present = true;
    switch (d->type) {
    case MV_DISK_TYPE_FILE:
        d->source.path = dx_attr(p, n, "file");
        break;
    case MV_DISK_TYPE_BLOCK:
        d->source.path = dx_attr(p, n, "dev");
        break;
    case MV_DISK_TYPE_DIR:
        d->source.path = dx_attr(p, n, "dir");
        break;
    case MV_DISK_TYPE_NETWORK:
        if ((r = dx_attr_in_xml(p, n, "protocol", protocols, &d->source.protocol)) < 0)
            return r;
        if (r == 0)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "missing network source protocol type");
        d->source.name = dx_attr(p, n, "name");
        if (dx_count(n, "host") > 64)
            return mv_error_report(-E2BIG, MV_ERR_XML_ERROR, MV_FROM_DOMAIN, "too many hosts");
        d->source.hosts = calloc(dx_count(n, "host") + 1, sizeof(*d->source.hosts));
        if (!d->source.hosts)
            return -ENOMEM;
        d->source.nhosts = dx_count(n, "host");
        for (size_t i = 0; (h = dx_next(n, h, "host")); i++) {
            mv_domain_disk_host *host = &d->source.hosts[i];

            host->name = dx_attr(p, h, "name");
            host->port = dx_attr(p, h, "port");
            host->socket = dx_attr(p, h, "socket");
            r = dx_attr_in(p, h, "transport", transports, &host->transport);
            if (r == 2)
                return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                       "unknown protocol transport type '%s'", host->transport);
        }
        break;
    case MV_DISK_TYPE_VOLUME:
        d->source.pool = dx_attr(p, n, "pool");
        d->source.volume = dx_attr(p, n, "volume");
        if ((r = dx_attr_in_xml(p, n, "mode", vol_modes, &d->source.mode)) < 0)
            return r;
        if (!p->oom && (!d->source.pool || !d->source.volume))
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "'pool' and 'volume' must be specified together for 'pool' type source");
        break;
    }
    if (d->type != MV_DISK_TYPE_NETWORK &&
        (r = dx_attr_in_xml(p, n, "startupPolicy", policies, &d->source.startup_policy)) < 0)
        return r;
    return p->oom ? -ENOMEM : 0;
}

/* The bus a target name implies, as libvirt has it. */
static mv_disk_bus bus_from_target(const char *dev)
{
    if (strncmp(dev, "hd", 2) == 0)
        return MV_DISK_BUS_IDE;
    if (strncmp(dev, "sd", 2) == 0)
        return MV_DISK_BUS_SCSI;
    if (strncmp(dev, "vd", 2) == 0)
        return MV_DISK_BUS_VIRTIO;
    if (strncmp(dev, "fd", 2) == 0)
        return MV_DISK_BUS_FDC;
    if (strncmp(dev, "xvd", 3) == 0)
        return MV_DISK_BUS_XEN;
    if (strncmp(dev, "ubd", 3) == 0)
        return MV_DISK_BUS_UML;
    return MV_DISK_BUS_IDE;
}

static int disk_parse(dparse *p, xmlNodePtr n, mv_domain_disk **ret)
{
    static const char *const trays[] = { "closed", "open", NULL };
    mv_domain_disk *d = calloc(1, sizeof(*d));
    xmlNodePtr c;
    int v = 0, r;

    if (!d)
        return -ENOMEM;
    *ret = d;
    if ((r = dx_attr_enum(p, n, "type", dx_disk_type_names, dx_disk_type_count, false, &v)) < 0)
        return r;
    d->type = (mv_disk_type)v;
    v = 0;
    if ((r = dx_attr_enum(p, n, "device", dx_disk_device_names, dx_disk_device_count, false, &v)) < 0)
        return r;
    d->device = (mv_disk_device)v;

    if ((c = dx_child(n, "driver")) && (r = disk_driver_parse(p, c, d)) < 0)
        return r;
    if ((c = dx_child(n, "source")) && (r = disk_source_parse(p, c, d)) < 0)
        return r;
    if ((c = dx_child(n, "target"))) {
        d->target_dev = dx_attr(p, c, "dev");
        v = 0;
        if ((r = dx_attr_enum(p, c, "bus", dx_disk_bus_names, dx_disk_bus_count, false, &v)) < 0)
            return r;
        d->bus = (mv_disk_bus)v;
        if ((r = dx_attr_in_xml(p, c, "tray", trays, &d->target_tray)) < 0 ||
            (r = dx_attr_onoff(p, c, "removable", &d->target_removable)) < 0)
            return r;
    }
    if (p->oom)
        return -ENOMEM;
    if (!d->target_dev || !*d->target_dev)
        return mv_error_report_raw(-EINVAL, MV_ERR_NO_TARGET, MV_FROM_DOMAIN,
                                   "missing target information for device %s",
                                   d->source.path ? d->source.path : "<null>");
    if (!d->source.present || (!d->source.path && d->type != MV_DISK_TYPE_NETWORK &&
                               d->type != MV_DISK_TYPE_VOLUME)) {
        if (d->device != MV_DISK_DEVICE_CDROM && d->device != MV_DISK_DEVICE_FLOPPY)
            return mv_error_report_raw(-EINVAL, MV_ERR_NO_SOURCE, MV_FROM_DOMAIN,
                                       "missing source information for device %s",
                                       d->target_dev);
        d->source.present = d->source.path != NULL;
    }
    d->readonly = dx_child(n, "readonly") != NULL;
    d->shareable = dx_child(n, "shareable") != NULL;
    d->transient = dx_child(n, "transient") != NULL;
    /* A CD-ROM is read-only whatever it says. */
    if (d->device == MV_DISK_DEVICE_CDROM)
        d->readonly = true;
    if ((c = dx_child(n, "serial")))
        d->serial = dx_text(p, c);
    if ((c = dx_child(n, "wwn")))
        d->wwn = dx_text(p, c);
    return dx_info_parse(p, n, &d->info, true);
}

static void disk_format(dbuf *b, const mv_domain_disk *d, unsigned flags)
{
    dbuf c;

    db_start(b, "disk");
    db_attr(b, "type", dx_disk_type_names[d->type]);
    db_attr(b, "device", dx_disk_device_names[d->device]);
    db_child(&c, b);
    if (d->driver.name || d->driver.type || d->driver.cache || d->driver.error_policy ||
        d->driver.rerror_policy || d->driver.io || d->driver.discard || d->driver.detect_zeroes) {
        db_start(&c, "driver");
        db_attr(&c, "name", d->driver.name);
        db_attr(&c, "type", d->driver.type);
        db_attr(&c, "cache", d->driver.cache);
        db_attr(&c, "error_policy", d->driver.error_policy);
        db_attr(&c, "rerror_policy", d->driver.rerror_policy);
        db_attr(&c, "io", d->driver.io);
        db_attr(&c, "discard", d->driver.discard);
        db_attr(&c, "detect_zeroes", d->driver.detect_zeroes);
        db_end(&c);
    }
    if (d->source.present) {
        db_start(&c, "source");
        switch (d->type) {
        case MV_DISK_TYPE_FILE:
            db_attr(&c, "file", d->source.path);
            break;
        case MV_DISK_TYPE_BLOCK:
            db_attr(&c, "dev", d->source.path);
            break;
        case MV_DISK_TYPE_DIR:
            db_attr(&c, "dir", d->source.path);
            break;
        case MV_DISK_TYPE_NETWORK:
            db_attr(&c, "protocol", d->source.protocol);
            db_attr(&c, "name", d->source.name);
            break;
        case MV_DISK_TYPE_VOLUME:
            db_attr(&c, "pool", d->source.pool);
            db_attr(&c, "volume", d->source.volume);
            db_attr(&c, "mode", d->source.mode);
            break;
        }
        db_attr(&c, "startupPolicy", d->source.startup_policy);
        if (d->source.nhosts) {
            db_add(&c, ">\n");
            c.indent++;
            for (size_t i = 0; i < d->source.nhosts; i++) {
                const mv_domain_disk_host *h = &d->source.hosts[i];

                db_start(&c, "host");
                db_attr(&c, "transport", h->transport);
                db_attr(&c, "name", h->name);
                db_attr(&c, "port", h->port);
                db_attr(&c, "socket", h->socket);
                db_end(&c);
            }
            c.indent--;
            db_indent(&c);
            db_add(&c, "</source>\n");
        } else {
            db_end(&c);
        }
    }
    db_start(&c, "target");
    db_attr(&c, "dev", d->target_dev);
    db_attr(&c, "bus", d->bus ? dx_disk_bus_names[d->bus] : NULL);
    db_attr(&c, "tray", d->target_tray);
    db_attr_onoff(&c, "removable", d->target_removable);
    db_end(&c);
    if (d->readonly)
        db_add_empty(&c, "readonly");
    if (d->shareable)
        db_add_empty(&c, "shareable");
    if (d->transient)
        db_add_empty(&c, "transient");
    db_text_elem(&c, "serial", d->serial);
    db_text_elem(&c, "wwn", d->wwn);
    dx_info_format(&c, &d->info, flags, true);
    db_finish(b, "disk", &c);
}

/* ---- controllers ---- */

static const char *const *controller_models(mv_controller_type t)
{
    static const char *const scsi[] = { "auto", "buslogic", "lsilogic", "lsisas1068", "vmpvscsi",
                                        "ibmvscsi", "virtio-scsi", "lsisas1078",
                                        "virtio-transitional", "virtio-non-transitional",
                                        "ncr53c90", "am53c974", "dc390", NULL };
    static const char *const usb[] = { "piix3-uhci", "piix4-uhci", "ehci", "ich9-ehci1",
                                       "ich9-uhci1", "ich9-uhci2", "ich9-uhci3", "vt82c686b-uhci",
                                       "pci-ohci", "nec-xhci", "qusb1", "qusb2", "qemu-xhci",
                                       "none", NULL };
    static const char *const pci[] = { "pci-root", "pcie-root", "pci-bridge", "dmi-to-pci-bridge",
                                       "pcie-root-port", "pcie-switch-upstream-port",
                                       "pcie-switch-downstream-port", "pci-expander-bus",
                                       "pcie-expander-bus", "pcie-to-pci-bridge", NULL };
    static const char *const ide[] = { "piix3", "piix4", "ich6", NULL };
    static const char *const vioserial[] = { "virtio", "virtio-transitional",
                                             "virtio-non-transitional", NULL };
    static const char *const none[] = { NULL };

    switch (t) {
    case MV_CONTROLLER_SCSI: return scsi;
    case MV_CONTROLLER_USB: return usb;
    case MV_CONTROLLER_PCI: return pci;
    case MV_CONTROLLER_IDE: return ide;
    case MV_CONTROLLER_VIRTIO_SERIAL: return vioserial;
    default: return none;
    }
}

void dx_controller_free(mv_domain_controller *c)
{
    if (!c)
        return;
    free(c->model);
    free(c->model_name);
    free(c->driver.iothread);
    dx_info_clear(&c->info);
    free(c);
}

static int int_attr(dparse *p, xmlNodePtr n, const char *attr, int base, int *ret)
{
    unsigned long long v;
    int r = dx_attr_uint(p, n, attr, base, INT_MAX, &v);

    if (r > 0)
        *ret = (int)v;
    return r;
}

static int controller_parse(dparse *p, xmlNodePtr n, mv_domain_controller **ret)
{
    mv_domain_controller *c = calloc(1, sizeof(*c));
    xmlNodePtr t;
    long long idx;
    int v = 0, r;

    if (!c)
        return -ENOMEM;
    *ret = c;
    c->index = c->master_startport = c->ports = c->vectors = -1;
    c->target.chassis_nr = c->target.chassis = c->target.port = -1;
    c->target.bus_nr = c->target.index = -1;
    if ((r = dx_attr_enum(p, n, "type", dx_controller_type_names, dx_controller_type_count,
                          true, &v)) < 0)
        return r;
    c->type = (mv_controller_type)v;
    r = dx_attr_int(p, n, "index", 0, INT_MAX, &idx);
    if (r < 0)
        return r;
    if (r > 0)
        c->index = (int)idx;
    r = dx_attr_in(p, n, "model", controller_models(c->type), &c->model);
    if (r < 0)
        return r;
    if (r == 2)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "Unknown model type '%s'", c->model);
    if (c->type == MV_CONTROLLER_USB || c->type == MV_CONTROLLER_VIRTIO_SERIAL) {
        if ((r = dx_attr_int(p, n, "ports", 0, INT_MAX, &idx)) < 0)
            return r;
        if (r > 0)
            c->ports = (int)idx;
    }
    if (c->type == MV_CONTROLLER_VIRTIO_SERIAL) {
        if ((r = dx_attr_int(p, n, "vectors", 0, INT_MAX, &idx)) < 0)
            return r;
        if (r > 0)
            c->vectors = (int)idx;
    }
    if (c->type == MV_CONTROLLER_USB && (t = dx_child(n, "master"))) {
        if ((r = int_attr(p, t, "startport", 10, &c->master_startport)) < 0)
            return r;
        if (r == 0)
            return mv_error_report_raw(-EINVAL, MV_ERR_XML_DETAIL, MV_FROM_DOMAIN,
                                       "No master USB controller specified");
    }
    if (c->type == MV_CONTROLLER_PCI) {
        if ((t = dx_child(n, "model")))
            c->model_name = dx_attr(p, t, "name");
        if ((t = dx_child(n, "target"))) {
            if ((r = int_attr(p, t, "chassisNr", 10, &c->target.chassis_nr)) < 0 ||
                (r = int_attr(p, t, "chassis", 10, &c->target.chassis)) < 0 ||
                (r = int_attr(p, t, "port", 0, &c->target.port)) < 0 ||
                (r = int_attr(p, t, "busNr", 10, &c->target.bus_nr)) < 0 ||
                (r = int_attr(p, t, "index", 10, &c->target.index)) < 0 ||
                (r = dx_attr_onoff(p, t, "hotplug", &c->target.hotplug)) < 0)
                return r;
        }
    }
    if ((t = dx_child(n, "driver"))) {
        if ((r = dx_attr_u32(p, t, "queues", &c->driver.queues)) < 0 ||
            (r = dx_attr_u32(p, t, "cmd_per_lun", &c->driver.cmd_per_lun)) < 0 ||
            (r = dx_attr_u32(p, t, "max_sectors", &c->driver.max_sectors)) < 0)
            return r;
        c->driver.iothread = dx_attr(p, t, "iothread");
    }
    return dx_info_parse(p, n, &c->info, false);
}

static void controller_format(dbuf *b, const mv_domain_controller *c, unsigned flags)
{
    dbuf ch;

    db_start(b, "controller");
    db_attr(b, "type", dx_controller_type_names[c->type]);
    db_attrf(b, "index", "%d", c->index);
    db_attr(b, "model", c->model);
    if (c->ports >= 0)
        db_attrf(b, "ports", "%d", c->ports);
    if (c->vectors >= 0)
        db_attrf(b, "vectors", "%d", c->vectors);
    db_child(&ch, b);
    if (c->master_startport >= 0) {
        db_start(&ch, "master");
        db_attrf(&ch, "startport", "%d", c->master_startport);
        db_end(&ch);
    }
    if (c->model_name) {
        db_start(&ch, "model");
        db_attr(&ch, "name", c->model_name);
        db_end(&ch);
    }
    if (c->target.chassis_nr >= 0 || c->target.chassis >= 0 || c->target.port >= 0 ||
        c->target.bus_nr >= 0 || c->target.index >= 0 || c->target.hotplug) {
        db_start(&ch, "target");
        if (c->target.chassis_nr >= 0)
            db_attrf(&ch, "chassisNr", "%d", c->target.chassis_nr);
        if (c->target.chassis >= 0)
            db_attrf(&ch, "chassis", "%d", c->target.chassis);
        if (c->target.port >= 0)
            db_attrf(&ch, "port", "0x%x", (unsigned)c->target.port);
        if (c->target.bus_nr >= 0)
            db_attrf(&ch, "busNr", "%d", c->target.bus_nr);
        if (c->target.index >= 0)
            db_attrf(&ch, "index", "%d", c->target.index);
        db_attr_onoff(&ch, "hotplug", c->target.hotplug);
        db_end(&ch);
    }
    if (c->driver.queues || c->driver.cmd_per_lun || c->driver.max_sectors || c->driver.iothread) {
        db_start(&ch, "driver");
        if (c->driver.queues)
            db_attrf(&ch, "queues", "%u", c->driver.queues);
        if (c->driver.cmd_per_lun)
            db_attrf(&ch, "cmd_per_lun", "%u", c->driver.cmd_per_lun);
        if (c->driver.max_sectors)
            db_attrf(&ch, "max_sectors", "%u", c->driver.max_sectors);
        db_attr(&ch, "iothread", c->driver.iothread);
        db_end(&ch);
    }
    dx_info_format(&ch, &c->info, flags, false);
    db_finish(b, "controller", &ch);
}

/* ---- filesystems ---- */

void dx_fs_free(mv_domain_fs *f)
{
    if (!f)
        return;
    free(f->type);
    free(f->accessmode);
    free(f->driver_type);
    free(f->driver_format);
    free(f->driver_wrpolicy);
    free(f->binary_path);
    free(f->source);
    free(f->source_pool);
    free(f->target);
    free(f->multidevs);
    dx_info_clear(&f->info);
    free(f);
}

static int fs_parse(dparse *p, xmlNodePtr n, mv_domain_fs **ret)
{
    static const char *const types[] = { "mount", "block", "file", "template", "ram", "bind",
                                         "volume", NULL };
    static const char *const modes[] = { "passthrough", "mapped", "squash", NULL };
    static const char *const multidevs[] = { "default", "remap", "forbid", "warn", NULL };
    static const char *const drivers[] = { "path", "handle", "loop", "nbd", "ploop", "virtiofs", NULL };
    static const char *const wrpolicies[] = { "immediate", NULL };
    mv_domain_fs *f = calloc(1, sizeof(*f));
    xmlNodePtr c;
    int r;

    if (!f)
        return -ENOMEM;
    *ret = f;
    if ((r = dx_attr_in_xml(p, n, "type", types, &f->type)) < 0 ||
        (r = dx_attr_in_xml(p, n, "accessmode", modes, &f->accessmode)) < 0 ||
        (r = dx_attr_in_xml(p, n, "multidevs", multidevs, &f->multidevs)) < 0)
        return r;
    if (!f->type)
        f->type = dx_strdup(p, "mount");
    if (!f->accessmode)
        f->accessmode = dx_strdup(p, "passthrough");
    if ((c = dx_child(n, "driver"))) {
        r = dx_attr_in(p, c, "type", drivers, &f->driver_type);
        if (r == 2)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "unknown fs driver type '%s'", f->driver_type);
        f->driver_format = dx_attr(p, c, "format");
        if ((r = dx_attr_in_xml(p, c, "wrpolicy", wrpolicies, &f->driver_wrpolicy)) < 0 ||
            (r = dx_attr_u32(p, c, "queue", &f->driver_queue)) < 0)
            return r;
    }
    if ((c = dx_child(n, "binary")))
        f->binary_path = dx_attr(p, c, "path");
    if ((c = dx_child(n, "source"))) {
        static const char *const source_attrs[] = { "dir", "dev", "file", "name", NULL };

        if (p->oom)
            return -ENOMEM;
        if (strcmp(f->type, "ram") == 0) {
            unsigned long long usage;
            _cleanup_free_ char *units = dx_attr(p, c, "units");

            if ((r = dx_attr_uint(p, c, "usage", 10, ULLONG_MAX / 1024, &usage)) < 0)
                return r;
            if (units && strcmp(units, "KiB") != 0)
                return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                       "filesystem usage units must be KiB");
            f->source_usage_kib = usage;
        } else if (strcmp(f->type, "volume") == 0) {
            f->source_pool = dx_attr(p, c, "pool");
            f->source = dx_attr(p, c, "volume");
        } else {
            for (size_t i = 0; source_attrs[i] && !f->source; i++)
                f->source = dx_attr(p, c, source_attrs[i]);
        }
    }
    if ((c = dx_child(n, "target")))
        f->target = dx_attr(p, c, "dir");
    f->readonly = dx_child(n, "readonly") != NULL;
    if (p->oom)
        return -ENOMEM;
    if (!f->source && strcmp(f->type, "ram") != 0)
        return mv_error_report_raw(-EINVAL, MV_ERR_NO_SOURCE, MV_FROM_DOMAIN,
                                   "missing source information for device %s",
                                   f->target ? f->target : "<null>");
    if (!f->target)
        return mv_error_report_raw(-EINVAL, MV_ERR_NO_TARGET, MV_FROM_DOMAIN,
                                   "missing target information for device %s",
                                   f->source ? f->source : "<null>");
    return dx_info_parse(p, n, &f->info, true);
}

static void fs_format(dbuf *b, const mv_domain_fs *f, unsigned flags)
{
    dbuf c;

    db_start(b, "filesystem");
    db_attr(b, "type", f->type);
    db_attr(b, "accessmode", f->accessmode);
    db_attr(b, "multidevs", f->multidevs);
    db_child(&c, b);
    if (f->driver_type || f->driver_format || f->driver_wrpolicy || f->driver_queue) {
        db_start(&c, "driver");
        db_attr(&c, "type", f->driver_type);
        db_attr(&c, "format", f->driver_format);
        db_attr(&c, "wrpolicy", f->driver_wrpolicy);
        if (f->driver_queue)
            db_attrf(&c, "queue", "%u", f->driver_queue);
        db_end(&c);
    }
    if (f->binary_path) {
        db_start(&c, "binary");
        db_attr(&c, "path", f->binary_path);
        db_end(&c);
    }
    db_start(&c, "source");
    if (strcmp(f->type, "ram") == 0) {
        db_attrf(&c, "usage", "%llu", f->source_usage_kib);
        db_attr(&c, "units", "KiB");
    } else if (strcmp(f->type, "volume") == 0) {
        db_attr(&c, "pool", f->source_pool);
        db_attr(&c, "volume", f->source);
    } else if (strcmp(f->type, "block") == 0) {
        db_attr(&c, "dev", f->source);
    } else if (strcmp(f->type, "file") == 0) {
        db_attr(&c, "file", f->source);
    } else if (strcmp(f->type, "template") == 0) {
        db_attr(&c, "name", f->source);
    } else {
        db_attr(&c, "dir", f->source);
    }
    db_end(&c);
    db_start(&c, "target");
    db_attr(&c, "dir", f->target);
    db_end(&c);
    if (f->readonly)
        db_add_empty(&c, "readonly");
    dx_info_format(&c, &f->info, flags, true);
    db_finish(b, "filesystem", &c);
}

/* ---- dispatch ---- */

/* <devices> children in the order libvirt prints them; the modelled kind
 * of each, or -1 for those kept verbatim. */
static const struct {
    const char *name;
    int kind;
} device_order[] = {
    { "disk", MV_DEVICE_DISK }, { "controller", MV_DEVICE_CONTROLLER }, { "lease", -1 },
    { "filesystem", MV_DEVICE_FS }, { "interface", MV_DEVICE_NET }, { "smartcard", -1 },
    { "serial", MV_DEVICE_CHR }, { "parallel", MV_DEVICE_CHR }, { "console", MV_DEVICE_CHR },
    { "channel", MV_DEVICE_CHR }, { "input", MV_DEVICE_INPUT }, { "tpm", MV_DEVICE_TPM },
    { "graphics", MV_DEVICE_GRAPHICS }, { "sound", MV_DEVICE_SOUND },
    { "audio", MV_DEVICE_AUDIO }, { "video", MV_DEVICE_VIDEO },
    { "hostdev", MV_DEVICE_HOSTDEV }, { "redirdev", MV_DEVICE_REDIRDEV },
    { "redirfilter", -1 }, { "hub", -1 }, { "watchdog", MV_DEVICE_WATCHDOG },
    { "memballoon", MV_DEVICE_MEMBALLOON }, { "rng", MV_DEVICE_RNG }, { "nvram", -1 },
    { "panic", -1 }, { "shmem", -1 }, { "memory", -1 }, { "iommu", -1 }, { "vsock", -1 },
    { "crypto", -1 },
};

int dx_device_parse(dparse *p, xmlNodePtr n, mv_domain_device *ret)
{
    const char *name = (const char *)n->name;
    int kind = -2;

    if (n->ns)
        return -ENOENT;
    for (size_t i = 0; i < ELEMENTSOF(device_order); i++)
        if (strcmp(device_order[i].name, name) == 0)
            kind = device_order[i].kind;
    if (kind == -2)
        return -ENOENT;
    if (kind == -1)
        return -EEXIST;
    ret->type = (mv_domain_device_type)kind;
    switch (ret->type) {
    case MV_DEVICE_DISK: return disk_parse(p, n, &ret->disk);
    case MV_DEVICE_CONTROLLER: return controller_parse(p, n, &ret->controller);
    case MV_DEVICE_FS: return fs_parse(p, n, &ret->fs);
    case MV_DEVICE_NET: return dx_net_parse(p, n, &ret->net);
    case MV_DEVICE_CHR: {
        mv_chr_device d = strcmp(name, "serial") == 0 ? MV_CHR_SERIAL :
                          strcmp(name, "parallel") == 0 ? MV_CHR_PARALLEL :
                          strcmp(name, "console") == 0 ? MV_CHR_CONSOLE : MV_CHR_CHANNEL;
        return dx_chr_parse(p, n, d, &ret->chr);
    }
    case MV_DEVICE_INPUT: return dx_input_parse(p, n, &ret->input);
    case MV_DEVICE_TPM: return dx_tpm_parse(p, n, &ret->tpm);
    case MV_DEVICE_GRAPHICS: return dx_graphics_parse(p, n, &ret->graphics);
    case MV_DEVICE_SOUND: return dx_sound_parse(p, n, &ret->sound);
    case MV_DEVICE_AUDIO: return dx_audio_parse(p, n, &ret->audio);
    case MV_DEVICE_VIDEO: return dx_video_parse(p, n, &ret->video);
    case MV_DEVICE_HOSTDEV: return dx_hostdev_parse(p, n, &ret->hostdev);
    case MV_DEVICE_REDIRDEV: return dx_redirdev_parse(p, n, &ret->redirdev);
    case MV_DEVICE_WATCHDOG: return dx_watchdog_parse(p, n, &ret->watchdog);
    case MV_DEVICE_MEMBALLOON: return dx_memballoon_parse(p, n, &ret->memballoon);
    case MV_DEVICE_RNG: return dx_rng_parse(p, n, &ret->rng);
    }
    return -ENOENT;
}

void dx_device_format(dbuf *b, const mv_domain_device *dev, unsigned flags)
{
    switch (dev->type) {
    case MV_DEVICE_DISK: disk_format(b, dev->disk, flags); break;
    case MV_DEVICE_CONTROLLER: controller_format(b, dev->controller, flags); break;
    case MV_DEVICE_FS: fs_format(b, dev->fs, flags); break;
    case MV_DEVICE_NET: dx_net_format(b, dev->net, flags); break;
    case MV_DEVICE_CHR: dx_chr_format(b, dev->chr, flags); break;
    case MV_DEVICE_INPUT: dx_input_format(b, dev->input, flags); break;
    case MV_DEVICE_TPM: dx_tpm_format(b, dev->tpm, flags); break;
    case MV_DEVICE_GRAPHICS: dx_graphics_format(b, dev->graphics, flags); break;
    case MV_DEVICE_SOUND: dx_sound_format(b, dev->sound, flags); break;
    case MV_DEVICE_AUDIO: dx_audio_format(b, dev->audio, flags); break;
    case MV_DEVICE_VIDEO: dx_video_format(b, dev->video, flags); break;
    case MV_DEVICE_HOSTDEV: dx_hostdev_format(b, dev->hostdev, flags); break;
    case MV_DEVICE_REDIRDEV: dx_redirdev_format(b, dev->redirdev, flags); break;
    case MV_DEVICE_WATCHDOG: dx_watchdog_format(b, dev->watchdog, flags); break;
    case MV_DEVICE_MEMBALLOON: dx_memballoon_format(b, dev->memballoon, flags); break;
    case MV_DEVICE_RNG: dx_rng_format(b, dev->rng, flags); break;
    }
}

void dx_device_clear(mv_domain_device *dev)
{
    switch (dev->type) {
    case MV_DEVICE_DISK: dx_disk_free(dev->disk); break;
    case MV_DEVICE_CONTROLLER: dx_controller_free(dev->controller); break;
    case MV_DEVICE_FS: dx_fs_free(dev->fs); break;
    case MV_DEVICE_NET: dx_net_free(dev->net); break;
    case MV_DEVICE_CHR: dx_chr_free(dev->chr); break;
    case MV_DEVICE_INPUT: dx_input_free(dev->input); break;
    case MV_DEVICE_TPM: dx_tpm_free(dev->tpm); break;
    case MV_DEVICE_GRAPHICS: dx_graphics_free(dev->graphics); break;
    case MV_DEVICE_SOUND: dx_sound_free(dev->sound); break;
    case MV_DEVICE_AUDIO: dx_audio_free(dev->audio); break;
    case MV_DEVICE_VIDEO: dx_video_free(dev->video); break;
    case MV_DEVICE_HOSTDEV: dx_hostdev_free(dev->hostdev); break;
    case MV_DEVICE_REDIRDEV: dx_redirdev_free(dev->redirdev); break;
    case MV_DEVICE_WATCHDOG: dx_watchdog_free(dev->watchdog); break;
    case MV_DEVICE_MEMBALLOON: dx_memballoon_free(dev->memballoon); break;
    case MV_DEVICE_RNG: dx_rng_free(dev->rng); break;
    }
    dev->disk = NULL;
}

/* ---- adding to a definition ---- */

/* A disk name's index among its bus's names ("vda" 0, "vdaa" 26), -1 if
 * it has none, after libvirt's ordering of disks. */
static long disk_name_index(const char *name)
{
    static const char *const prefixes[] = { "fd", "hd", "vd", "sd", "xvd", "ubd" };
    const char *s = NULL;
    long idx = 0;
    size_t n = 0;

    for (size_t i = 0; i < ELEMENTSOF(prefixes) && !s; i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            s = name + strlen(prefixes[i]);
    if (!s)
        return -1;
    for (; *s >= 'a' && *s <= 'z'; s++, n++) {
        if (n >= 6)
            return -1;
        idx = (idx + (n > 0)) * 26 + (*s - 'a');
    }
    if (!n)
        return -1;
    while (*s >= '0' && *s <= '9')
        s++;
    return *s ? -1 : idx;
}

static int array_insert(void ***arr, size_t *n, size_t at, void *item)
{
    void **t;

    if (*n >= MV_DOMAIN_MAX_DEVICES)
        return mv_error_report(-E2BIG, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "too many devices of one kind (limit %d)", MV_DOMAIN_MAX_DEVICES);
    t = realloc(*arr, (*n + 1) * sizeof(void *));
    if (!t)
        return -ENOMEM;
    memmove(&t[at + 1], &t[at], (*n - at) * sizeof(void *));
    t[at] = item;
    *arr = t;
    (*n)++;
    return 0;
}

#define APPEND(arr, n, item) array_insert((void ***)&(arr), &(n), (n), (item))

/* Where libvirt puts a new disk: after the last disk on its bus whose name
 * sorts before it, else at the end.  names, if given, holds the name index
 * of each disk of def (computed once for a whole document). */
static size_t disk_insert_pos(const mv_domain_def *def, const mv_domain_disk *disk, long idx,
                              const long *names)
{
    ssize_t at = -1;

    for (ssize_t i = (ssize_t)def->ndisks - 1; i >= 0; i--) {
        const mv_domain_disk *d = def->disks[i];

        if (d->bus != disk->bus)
            continue;
        if ((names ? names[i] : disk_name_index(d->target_dev)) > idx)
            at = i;
        else if (at == -1)
            at = i + 1;
    }
    return at < 0 ? def->ndisks : (size_t)at;
}

/* Where libvirt puts a new controller: among those of its type, in index
 * order (one without an index yet after them all), else at the end. */
static size_t controller_insert_pos(const mv_domain_def *def, const mv_domain_controller *c)
{
    ssize_t at = -1;

    for (ssize_t i = (ssize_t)def->ncontrollers - 1; i >= 0; i--) {
        const mv_domain_controller *cur = def->controllers[i];

        if (cur->type != c->type)
            continue;
        if (c->index >= 0 && cur->index > c->index)
            at = i;
        else if (at == -1)
            at = i + 1;
    }
    return at < 0 ? def->ncontrollers : (size_t)at;
}

void dx_disk_post_parse(mv_domain_disk *d)
{
    if (!d->bus)
        d->bus = bus_from_target(d->target_dev);
}

int dx_def_add_device(mv_domain_def *def, mv_domain_device *dev, bool ordered)
{
    int r = -EINVAL;

    /* A whole document is put in order once it is complete (reorder()). */
    switch (dev->type) {
    case MV_DEVICE_DISK:
        r = array_insert((void ***)&def->disks, &def->ndisks,
                         ordered ? disk_insert_pos(def, dev->disk,
                                                   disk_name_index(dev->disk->target_dev), NULL)
                                 : def->ndisks,
                         dev->disk);
        break;
    case MV_DEVICE_CONTROLLER:
        r = array_insert((void ***)&def->controllers, &def->ncontrollers,
                         ordered ? controller_insert_pos(def, dev->controller) : def->ncontrollers,
                         dev->controller);
        break;
    case MV_DEVICE_FS: r = APPEND(def->filesystems, def->nfilesystems, dev->fs); break;
    case MV_DEVICE_NET: r = APPEND(def->nets, def->nnets, dev->net); break;
    case MV_DEVICE_CHR:
        switch (dev->chr->device) {
        case MV_CHR_SERIAL: r = APPEND(def->serials, def->nserials, dev->chr); break;
        case MV_CHR_PARALLEL: r = APPEND(def->parallels, def->nparallels, dev->chr); break;
        case MV_CHR_CONSOLE: r = APPEND(def->consoles, def->nconsoles, dev->chr); break;
        case MV_CHR_CHANNEL: r = APPEND(def->channels, def->nchannels, dev->chr); break;
        }
        break;
    case MV_DEVICE_INPUT: r = APPEND(def->inputs, def->ninputs, dev->input); break;
    case MV_DEVICE_TPM: r = APPEND(def->tpms, def->ntpms, dev->tpm); break;
    case MV_DEVICE_GRAPHICS: r = APPEND(def->graphics, def->ngraphics, dev->graphics); break;
    case MV_DEVICE_SOUND: r = APPEND(def->sounds, def->nsounds, dev->sound); break;
    case MV_DEVICE_AUDIO: r = APPEND(def->audios, def->naudios, dev->audio); break;
    case MV_DEVICE_VIDEO: r = APPEND(def->videos, def->nvideos, dev->video); break;
    case MV_DEVICE_HOSTDEV: r = APPEND(def->hostdevs, def->nhostdevs, dev->hostdev); break;
    case MV_DEVICE_REDIRDEV: r = APPEND(def->redirdevs, def->nredirdevs, dev->redirdev); break;
    case MV_DEVICE_WATCHDOG:
        /* One, as libvirt 9.0 has it (its schema allows no more). */
        if (def->nwatchdogs)
            return mv_error_report(-EEXIST, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                                   "only a single watchdog device is supported");
        r = APPEND(def->watchdogs, def->nwatchdogs, dev->watchdog);
        break;
    case MV_DEVICE_MEMBALLOON:
        if (def->memballoon)
            return mv_error_report(-EEXIST, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                                   "only a single memory balloon device is supported");
        def->memballoon = dev->memballoon;
        r = 0;
        break;
    case MV_DEVICE_RNG: r = APPEND(def->rngs, def->nrngs, dev->rng); break;
    }
    if (r == 0)
        dev->disk = NULL;   /* the union's pointer: def owns it now */
    return r;
}

/* ---- checks and defaults ---- */

static int cmp_uint(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

    return x < y ? -1 : x > y;
}

static int check_boot_orders(const mv_domain_def *def)
{
    _cleanup_free_ unsigned *orders = NULL;
    size_t n = 0, cap = def->ndisks + def->nnets + def->nhostdevs + def->nredirdevs +
               def->nfilesystems;

    if (!cap)
        return 0;
    orders = calloc(cap, sizeof(unsigned));
    if (!orders)
        return -ENOMEM;
#define COLLECT(arr, cnt) \
    for (size_t i = 0; i < (cnt); i++) \
        if ((arr)[i]->info.boot_order) \
            orders[n++] = (arr)[i]->info.boot_order;
    COLLECT(def->disks, def->ndisks)
    COLLECT(def->nets, def->nnets)
    COLLECT(def->hostdevs, def->nhostdevs)
    COLLECT(def->redirdevs, def->nredirdevs)
    COLLECT(def->filesystems, def->nfilesystems)
#undef COLLECT
    if (n > 1)
        qsort(orders, n, sizeof(unsigned), cmp_uint);
    for (size_t i = 1; i < n; i++)
        if (orders[i - 1] == orders[i])
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "boot order '%u' used for more than one device", orders[i]);
    return 0;
}

static int cmp_disk_target(const void *a, const void *b)
{
    const mv_domain_disk *x = *(mv_domain_disk *const *)a, *y = *(mv_domain_disk *const *)b;
    int c = strcmp(x->target_dev, y->target_dev);

    /* Equal targets keep their document order (disks are unique pointers
     * into one array, so address order is that order). */
    return c ? c : (x < y ? -1 : x > y);
}

static int check_disks(const mv_domain_def *def)
{
    _cleanup_free_ mv_domain_disk **sorted = NULL;

    if (def->ndisks < 2)
        return 0;
    sorted = malloc(def->ndisks * sizeof(*sorted));
    if (!sorted)
        return -ENOMEM;
    memcpy(sorted, def->disks, def->ndisks * sizeof(*sorted));
    qsort(sorted, def->ndisks, sizeof(*sorted), cmp_disk_target);
    for (size_t i = 1; i < def->ndisks; i++) {
        const mv_domain_disk *a = sorted[i - 1], *b = sorted[i];

        if (strcmp(a->target_dev, b->target_dev) == 0) {
            /* name them in the order the document gives them */
            for (size_t j = 0; j < def->ndisks; j++) {
                if (def->disks[j] == b) {
                    const mv_domain_disk *t = a;

                    a = b;
                    b = t;
                    break;
                }
                if (def->disks[j] == a)
                    break;
            }
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "target '%s' duplicated for disk sources '%s' and '%s'",
                                   a->target_dev,
                                   a->source.path ? a->source.path : "<null>",
                                   b->source.path ? b->source.path : "<null>");
        }
    }
    return 0;
}

static int cmp_controller(const void *a, const void *b)
{
    const mv_domain_controller *x = *(mv_domain_controller *const *)a;
    const mv_domain_controller *y = *(mv_domain_controller *const *)b;

    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Two controllers of a type with one index (USB companions aside). */
static int check_controller_indexes(const mv_domain_def *def)
{
    _cleanup_free_ mv_domain_controller **sorted = NULL;

    if (def->ncontrollers < 2)
        return 0;
    sorted = malloc(def->ncontrollers * sizeof(*sorted));
    if (!sorted)
        return -ENOMEM;
    memcpy(sorted, def->controllers, def->ncontrollers * sizeof(*sorted));
    qsort(sorted, def->ncontrollers, sizeof(*sorted), cmp_controller);
    for (size_t i = 1; i < def->ncontrollers; i++) {
        const mv_domain_controller *c = sorted[i];

        if (c->type != MV_CONTROLLER_USB && c->type == sorted[i - 1]->type &&
            c->index == sorted[i - 1]->index)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "Multiple '%s' controllers with index '%d'",
                                   dx_controller_type_names[c->type], c->index);
    }
    return 0;
}

/* Controllers without an index get the first free one of their type. */
static int controllers_post_parse(mv_domain_def *def)
{
    size_t n = def->ncontrollers;

    for (size_t type = 0; type < dx_controller_type_count; type++) {
        /* Indexes in use below n + 1: a free one is always among them. */
        _cleanup_free_ bool *used = calloc(n + 1, sizeof(bool));
        size_t next = 0;

        if (!used)
            return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
            const mv_domain_controller *c = def->controllers[i];

            if (c->type == type && c->index >= 0 && (size_t)c->index <= n)
                used[c->index] = true;
        }
        for (size_t i = 0; i < n; i++) {
            mv_domain_controller *c = def->controllers[i];

            if (c->type != type || c->index >= 0)
                continue;
            /* A USB companion shares the index of the controller it serves. */
            if (c->type == MV_CONTROLLER_USB && c->master_startport >= 0) {
                c->index = 0;
                for (size_t j = i; j-- > 0; ) {
                    const mv_domain_controller *m = def->controllers[j];

                    if (m->type == MV_CONTROLLER_USB && m->master_startport < 0) {
                        c->index = m->index;
                        break;
                    }
                }
                continue;
            }
            while (next <= n && used[next])
                next++;
            c->index = (int)next;
            if (next <= n)
                used[next] = true;
        }
    }
    return check_controller_indexes(def);
}

/* Put disks and controllers in the order libvirt keeps them, inserting
 * each in turn as an attach would: disks by bus and name, controllers by
 * type and index.  Disks go through twice, as in libvirt: by the bus the
 * document gives (before defaults), then by the final one, which makes a
 * parse of the output give the output again. */
static int reorder_disks(mv_domain_def *def)
{
    _cleanup_free_ void **disks = NULL;
    _cleanup_free_ long *names = NULL, *placed = NULL;
    size_t nd = def->ndisks;

    if (nd < 2)
        return 0;
    disks = malloc(nd * sizeof(void *));
    names = malloc(nd * sizeof(long));
    placed = malloc(nd * sizeof(long));
    if (!disks || !names || !placed)
        return -ENOMEM;
    memcpy(disks, def->disks, nd * sizeof(void *));
    for (size_t i = 0; i < nd; i++)
        names[i] = disk_name_index(def->disks[i]->target_dev);
    for (def->ndisks = 0; def->ndisks < nd; ) {
        mv_domain_disk *d = disks[def->ndisks];
        long idx = names[def->ndisks];
        size_t at = disk_insert_pos(def, d, idx, placed);

        memmove(&def->disks[at + 1], &def->disks[at], (def->ndisks - at) * sizeof(void *));
        memmove(&placed[at + 1], &placed[at], (def->ndisks - at) * sizeof(long));
        def->disks[at] = d;
        placed[at] = idx;
        def->ndisks++;
    }
    return 0;
}

static int reorder_controllers(mv_domain_def *def)
{
    _cleanup_free_ void **ctrls = NULL;
    size_t nc = def->ncontrollers;

    if (nc < 2)
        return 0;
    ctrls = malloc(nc * sizeof(void *));
    if (!ctrls)
        return -ENOMEM;
    memcpy(ctrls, def->controllers, nc * sizeof(void *));
    for (def->ncontrollers = 0; def->ncontrollers < nc; ) {
        mv_domain_controller *c = ctrls[def->ncontrollers];
        size_t at = controller_insert_pos(def, c);

        memmove(&def->controllers[at + 1], &def->controllers[at],
                (def->ncontrollers - at) * sizeof(void *));
        def->controllers[at] = c;
        def->ncontrollers++;
    }
    return 0;
}

/* Combinations libvirt refuses whatever the hypervisor. */
static int check_combinations(const mv_domain_def *def)
{
    bool usb_none = false;

    for (size_t i = 0; i < def->nvideos; i++)
        if (def->nvideos > 1 && def->videos[i]->model && strcmp(def->videos[i]->model, "none") == 0)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "a 'none' video type must be the only video device defined for the domain");
    if (def->ntpms > 2)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "a maximum of two TPM devices is supported, one of them being a TPM Proxy device");
    for (size_t i = 0; i < def->ncontrollers; i++)
        usb_none |= def->controllers[i]->type == MV_CONTROLLER_USB && def->controllers[i]->model &&
                    strcmp(def->controllers[i]->model, "none") == 0;
    if (usb_none) {
        for (size_t i = 0; i < def->ncontrollers; i++)
            if (def->controllers[i]->type == MV_CONTROLLER_USB &&
                (!def->controllers[i]->model || strcmp(def->controllers[i]->model, "none") != 0))
                return mv_error_report_raw(-EINVAL, MV_ERR_XML_DETAIL, MV_FROM_DOMAIN,
                                           "Can't add another USB controller: USB is disabled for this domain");
        if (def->nredirdevs)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "cannot add redirected USB device: USB is disabled for this domain");
    }
    return 0;
}

int dx_devices_post_parse(dparse *p, mv_domain_def *def)
{
    int r;

    if ((r = reorder_disks(def)) < 0)
        return r;
    for (size_t i = 0; i < def->ndisks; i++)
        dx_disk_post_parse(def->disks[i]);
    if ((r = reorder_disks(def)) < 0 ||
        (r = check_disks(def)) < 0 ||
        (r = controllers_post_parse(def)) < 0 ||
        (r = reorder_controllers(def)) < 0 ||
        (r = check_combinations(def)) < 0 ||
        (r = check_boot_orders(def)) < 0)
        return r;
    for (size_t i = 0; i < def->nnets; i++)
        if ((r = dx_net_post_parse(p, def, def->nets[i])) < 0)
            return r;
    for (size_t i = 0; i < def->ninputs; i++)
        if ((r = dx_input_post_parse(def, def->inputs[i])) < 0)
            return r;
    return 0;
}

/* ---- format ---- */

static void format_opaque_devices(dbuf *b, const mv_domain_def *def, const char *name)
{
    for (size_t i = 0; i < def->nopaque_devices; i++) {
        if (strcmp(def->opaque_devices[i].name, name) != 0)
            continue;
        db_indent(b);
        db_add(b, def->opaque_devices[i].xml);
        db_add(b, "\n");
    }
}

void dx_devices_format(dbuf *b, const mv_domain_def *def, unsigned flags)
{
    mv_domain_device dev;

    db_indent(b);
    db_add(b, "<devices>\n");
    b->indent++;
    db_text_elem(b, "emulator", def->emulator);
#define EACH(arr, cnt, kind, field) \
    for (size_t i = 0; i < (cnt); i++) { \
        dev.type = (kind); \
        dev.field = (arr)[i]; \
        dx_device_format(b, &dev, flags); \
    }
    for (size_t k = 0; k < ELEMENTSOF(device_order); k++) {
        const char *name = device_order[k].name;

        switch (device_order[k].kind) {
        case MV_DEVICE_DISK: EACH(def->disks, def->ndisks, MV_DEVICE_DISK, disk) break;
        case MV_DEVICE_CONTROLLER:
            EACH(def->controllers, def->ncontrollers, MV_DEVICE_CONTROLLER, controller) break;
        case MV_DEVICE_FS: EACH(def->filesystems, def->nfilesystems, MV_DEVICE_FS, fs) break;
        case MV_DEVICE_NET: EACH(def->nets, def->nnets, MV_DEVICE_NET, net) break;
        case MV_DEVICE_CHR:
            if (strcmp(name, "serial") == 0)
                EACH(def->serials, def->nserials, MV_DEVICE_CHR, chr)
            else if (strcmp(name, "parallel") == 0)
                EACH(def->parallels, def->nparallels, MV_DEVICE_CHR, chr)
            else if (strcmp(name, "console") == 0)
                EACH(def->consoles, def->nconsoles, MV_DEVICE_CHR, chr)
            else
                EACH(def->channels, def->nchannels, MV_DEVICE_CHR, chr)
            break;
        case MV_DEVICE_INPUT: EACH(def->inputs, def->ninputs, MV_DEVICE_INPUT, input) break;
        case MV_DEVICE_TPM: EACH(def->tpms, def->ntpms, MV_DEVICE_TPM, tpm) break;
        case MV_DEVICE_GRAPHICS:
            EACH(def->graphics, def->ngraphics, MV_DEVICE_GRAPHICS, graphics) break;
        case MV_DEVICE_SOUND: EACH(def->sounds, def->nsounds, MV_DEVICE_SOUND, sound) break;
        case MV_DEVICE_AUDIO: EACH(def->audios, def->naudios, MV_DEVICE_AUDIO, audio) break;
        case MV_DEVICE_VIDEO: EACH(def->videos, def->nvideos, MV_DEVICE_VIDEO, video) break;
        case MV_DEVICE_HOSTDEV: EACH(def->hostdevs, def->nhostdevs, MV_DEVICE_HOSTDEV, hostdev) break;
        case MV_DEVICE_REDIRDEV:
            EACH(def->redirdevs, def->nredirdevs, MV_DEVICE_REDIRDEV, redirdev) break;
        case MV_DEVICE_WATCHDOG:
            EACH(def->watchdogs, def->nwatchdogs, MV_DEVICE_WATCHDOG, watchdog) break;
        case MV_DEVICE_MEMBALLOON:
            if (def->memballoon) {
                dev.type = MV_DEVICE_MEMBALLOON;
                dev.memballoon = def->memballoon;
                dx_device_format(b, &dev, flags);
            }
            break;
        case MV_DEVICE_RNG: EACH(def->rngs, def->nrngs, MV_DEVICE_RNG, rng) break;
        default:
            format_opaque_devices(b, def, name);
            break;
        }
    }
#undef EACH
    b->indent--;
    db_indent(b);
    db_add(b, "</devices>\n");
}
