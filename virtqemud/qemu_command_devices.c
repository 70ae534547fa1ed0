/*
 * The device part of the QEMU command line: controllers, disks, network,
 * character devices, input, graphics, video, sound and the small devices,
 * in the order and with the properties libvirtd 9.x uses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "qemu_command_priv.h"

#define TRY(x) do { int r_ = (x); if (r_ < 0) return r_; } while (0)

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static int unsupported(const char *what, const char *value)
{
    return mv_error_report(-EOPNOTSUPP, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                           "%s '%s' is not supported by modvirt", what, value ? value : "");
}

/* ---- controllers ---- */

static const struct { const char *model, *driver; } usb_drivers[] = {
    { "piix3-uhci", "piix3-usb-uhci" }, { "piix4-uhci", "piix4-usb-uhci" },
    { "ehci", "usb-ehci" }, { "ich9-ehci1", "ich9-usb-ehci1" },
    { "ich9-uhci1", "ich9-usb-uhci1" }, { "ich9-uhci2", "ich9-usb-uhci2" },
    { "ich9-uhci3", "ich9-usb-uhci3" }, { "vt82c686b-uhci", "vt82c686b-usb-uhci" },
    { "pci-ohci", "pci-ohci" }, { "nec-xhci", "nec-usb-xhci" }, { "qemu-xhci", "qemu-xhci" },
};

static const struct { const char *model, *driver; } scsi_drivers[] = {
    { "virtio-scsi", "virtio-scsi-pci" },
    { "virtio-transitional", "virtio-scsi-pci-transitional" },
    { "virtio-non-transitional", "virtio-scsi-pci-non-transitional" },
    { "lsilogic", "lsi" }, { "lsisas1068", "mptsas1068" }, { "lsisas1078", "megasas" },
    { "vmpvscsi", "pvscsi" }, { "am53c974", "am53c974" }, { "dc390", "dc390" },
};

/* virtio-foo-pci, -transitional or -non-transitional after the model. */
static void virtio_driver(char *buf, size_t n, const char *base, const char *model)
{
    if (str_eq(model, "virtio-transitional"))
        snprintf(buf, n, "%s-pci-transitional", base);
    else if (str_eq(model, "virtio-non-transitional"))
        snprintf(buf, n, "%s-pci-non-transitional", base);
    else
        snprintf(buf, n, "%s-pci", base);
}

static bool controller_is_builtin(const qc_ctx *x, const mv_domain_controller *c)
{
    switch (c->type) {
    case MV_CONTROLLER_PCI:
        return c->index == 0;
    case MV_CONTROLLER_IDE:
        return c->index == 0 && x->kind == QEMU_MACHINE_I440FX;
    case MV_CONTROLLER_SATA:
        return c->index == 0 && x->kind == QEMU_MACHINE_Q35;
    case MV_CONTROLLER_FDC:
        return true;
    case MV_CONTROLLER_USB:
        return str_eq(c->model, "none");
    default:
        return false;
    }
}

static int build_controller(qc_ctx *x, const mv_domain_controller *c)
{
    char alias[64], drv[64], mbuf[64];
    const char *driver = NULL;
    qc_jb j;

    qc_jb_begin(&j);
    switch (c->type) {
    case MV_CONTROLLER_PCI:
        driver = c->model_name ? c->model_name : c->model;
        qc_jb_str(&j, "driver", driver);
        if (str_eq(c->model, "pcie-root-port") || str_eq(c->model, "pcie-switch-downstream-port")) {
            if (c->target.port >= 0)
                qc_jb_int(&j, "port", c->target.port);
            if (c->target.chassis >= 0)
                qc_jb_int(&j, "chassis", c->target.chassis);
        } else if (str_eq(c->model, "pci-bridge") && c->target.chassis_nr >= 0) {
            qc_jb_int(&j, "chassis_nr", c->target.chassis_nr);
        } else if (str_eq(c->model, "pci-expander-bus") || str_eq(c->model, "pcie-expander-bus")) {
            if (c->target.bus_nr >= 0)
                qc_jb_int(&j, "bus_nr", c->target.bus_nr);
        }
        qc_jb_str(&j, "id", qc_controller_alias(x->def, c, alias));
        if (c->target.hotplug == MV_TRISTATE_NO)
            qc_jb_bool(&j, "hotplug", false);
        break;
    case MV_CONTROLLER_USB:
        for (size_t i = 0; i < ELEMENTSOF(usb_drivers); i++)
            if (str_eq(c->model, usb_drivers[i].model))
                driver = usb_drivers[i].driver;
        if (!driver) {
            qc_sb_done(&j.b);
            return unsupported("USB controller model", c->model);
        }
        qc_jb_str(&j, "driver", driver);
        if (c->master_startport >= 0) {
            const mv_domain_controller *m = NULL;

            for (size_t i = 0; !m && i < x->def->ncontrollers; i++) {
                const mv_domain_controller *o = x->def->controllers[i];

                if (o->type == MV_CONTROLLER_USB && o->index == c->index && o->master_startport < 0)
                    m = o;
            }
            snprintf(drv, sizeof(drv), "%s.0", m ? qc_controller_alias(x->def, m, mbuf) : "usb");
            qc_jb_str(&j, "masterbus", drv);
            qc_jb_int(&j, "firstport", c->master_startport);
        } else {
            if (c->ports > 0 && (str_eq(c->model, "qemu-xhci") || str_eq(c->model, "nec-xhci"))) {
                qc_jb_int(&j, "p2", c->ports);
                qc_jb_int(&j, "p3", c->ports);
            }
            qc_jb_str(&j, "id", qc_controller_alias(x->def, c, alias));
        }
        break;
    case MV_CONTROLLER_SCSI:
        for (size_t i = 0; i < ELEMENTSOF(scsi_drivers); i++)
            if (str_eq(c->model, scsi_drivers[i].model))
                driver = scsi_drivers[i].driver;
        if (!driver) {
            qc_sb_done(&j.b);
            return unsupported("SCSI controller model", c->model);
        }
        qc_jb_str(&j, "driver", driver);
        qc_jb_str(&j, "id", qc_controller_alias(x->def, c, alias));
        if (c->driver.queues)
            qc_jb_int(&j, "num_queues", c->driver.queues);
        if (c->driver.cmd_per_lun)
            qc_jb_int(&j, "cmd_per_lun", c->driver.cmd_per_lun);
        if (c->driver.max_sectors)
            qc_jb_int(&j, "max_sectors", c->driver.max_sectors);
        qc_jb_str(&j, "iothread", c->driver.iothread);
        break;
    case MV_CONTROLLER_SATA:
        qc_jb_str(&j, "driver", "ahci");
        qc_jb_str(&j, "id", qc_controller_alias(x->def, c, alias));
        break;
    case MV_CONTROLLER_VIRTIO_SERIAL:
        virtio_driver(drv, sizeof(drv), "virtio-serial", c->model);
        qc_jb_str(&j, "driver", drv);
        qc_jb_str(&j, "id", qc_controller_alias(x->def, c, alias));
        if (c->ports >= 0)
            qc_jb_int(&j, "max_ports", c->ports);
        if (c->vectors >= 0)
            qc_jb_int(&j, "vectors", c->vectors);
        break;
    default:
        qc_sb_done(&j.b);
        return unsupported("controller type", mv_controller_type_str(c->type));
    }
    qc_jb_pci_addr(x, &j, &c->info);
    qc_add_json(x, "-device", &j);
    return 0;
}

static int build_controllers(qc_ctx *x)
{
    static const mv_controller_type order[] = {
        MV_CONTROLLER_PCI, MV_CONTROLLER_USB, MV_CONTROLLER_SCSI, MV_CONTROLLER_IDE,
        MV_CONTROLLER_SATA, MV_CONTROLLER_VIRTIO_SERIAL,
    };
    const mv_domain_def *def = x->def;

    /* PCI controllers by index, so that every bus exists before its users */
    for (int idx = 1; idx < 256; idx++) {
        const mv_domain_controller *c = mv_domain_def_find_controller(def, MV_CONTROLLER_PCI, idx);

        if (c)
            TRY(build_controller(x, c));
    }
    for (size_t k = 1; k < ELEMENTSOF(order); k++)
        for (size_t i = 0; i < def->ncontrollers; i++) {
            const mv_domain_controller *c = def->controllers[i];

            if (c->type == order[k] && !controller_is_builtin(x, c))
                TRY(build_controller(x, c));
        }
    return 0;
}

/* ---- disks ---- */

static void cache_flags(const char *cache, bool *set, bool *writeback, bool *direct, bool *noflush)
{
    *set = true;
    *writeback = *direct = *noflush = false;
    if (str_eq(cache, "none")) {
        *writeback = *direct = true;
    } else if (str_eq(cache, "writeback")) {
        *writeback = true;
    } else if (str_eq(cache, "directsync")) {
        *direct = true;
    } else if (str_eq(cache, "unsafe")) {
        *writeback = *noflush = true;
    } else if (!str_eq(cache, "writethrough")) {
        *set = false;
    }
}

static unsigned disk_bootindex(const qc_ctx *x, const mv_domain_disk *d, bool *first_disk,
                               bool *first_cdrom, bool *first_floppy)
{
    unsigned idx = 0;

    if (d->info.boot_order)
        return d->info.boot_order;
    if (d->device == MV_DISK_DEVICE_CDROM && *first_cdrom) {
        idx = x->boot_cdrom;
        *first_cdrom = false;
    } else if (d->device == MV_DISK_DEVICE_FLOPPY && *first_floppy) {
        idx = x->boot_floppy;
        *first_floppy = false;
    } else if ((d->device == MV_DISK_DEVICE_DISK || d->device == MV_DISK_DEVICE_LUN) && *first_disk) {
        idx = x->boot_disk;
        *first_disk = false;
    }
    return idx;
}

static int disk_blockdevs(qc_ctx *x, const mv_domain_disk *d, unsigned node, bool cache_set,
                          bool direct, bool noflush)
{
    char storage[48], format[48], cache[64];
    qc_jb j;

    if (d->type != MV_DISK_TYPE_FILE && d->type != MV_DISK_TYPE_BLOCK)
        return unsupported("disk type", mv_disk_type_str(d->type));
    snprintf(storage, sizeof(storage), "libvirt-%u-storage", node);
    snprintf(format, sizeof(format), "libvirt-%u-format", node);
    snprintf(cache, sizeof(cache), "{\"direct\":%s,\"no-flush\":%s}", direct ? "true" : "false",
             noflush ? "true" : "false");
    qc_jb_begin(&j);
    if (d->type == MV_DISK_TYPE_BLOCK)
        qc_jb_str(&j, "driver", d->device == MV_DISK_DEVICE_CDROM ? "host_cdrom" : "host_device");
    else
        qc_jb_str(&j, "driver", "file");
    qc_jb_str(&j, "filename", d->source.path);
    qc_jb_str(&j, "aio", d->driver.io);
    qc_jb_str(&j, "node-name", storage);
    if (cache_set)
        qc_jb_raw(&j, "cache", cache);
    qc_jb_bool(&j, "auto-read-only", true);
    qc_jb_str(&j, "discard", "unmap");
    qc_add_json(x, "-blockdev", &j);

    qc_jb_begin(&j);
    qc_jb_str(&j, "node-name", format);
    qc_jb_bool(&j, "read-only", d->readonly);
    qc_jb_str(&j, "discard", d->driver.discard);
    if (str_eq(d->driver.detect_zeroes, "unmap"))
        qc_jb_str(&j, "detect-zeroes", str_eq(d->driver.discard, "unmap") ? "unmap" : "on");
    else
        qc_jb_str(&j, "detect-zeroes", d->driver.detect_zeroes);
    if (cache_set)
        qc_jb_raw(&j, "cache", cache);
    qc_jb_str(&j, "driver", d->driver.type ? d->driver.type : "raw");
    qc_jb_str(&j, "file", storage);
    qc_add_json(x, "-blockdev", &j);
    return 0;
}

static int build_disk(qc_ctx *x, const mv_domain_disk *d, unsigned node, unsigned bootindex)
{
    const mv_domain_address *a = &d->info.addr;
    bool empty = !d->source.present || !d->source.path;
    bool cache_set, writeback, direct, noflush;
    bool cd = d->device == MV_DISK_DEVICE_CDROM;
    char alias[64], fmt[48], bus[80], cbuf[64], devid[80];
    const mv_domain_controller *c;
    qc_jb j;

    cache_flags(d->driver.cache, &cache_set, &writeback, &direct, &noflush);
    if (empty && !cd && d->device != MV_DISK_DEVICE_FLOPPY)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                               "disk '%s' has no source", d->target_dev);
    if (!empty)
        TRY(disk_blockdevs(x, d, node, cache_set, direct, noflush));
    snprintf(fmt, sizeof(fmt), "libvirt-%u-format", node);
    qc_disk_alias(x->def, d, alias);
    qc_jb_begin(&j);
    switch (d->bus) {
    case MV_DISK_BUS_VIRTIO:
        virtio_driver(cbuf, sizeof(cbuf), "virtio-blk", NULL);
        qc_jb_str(&j, "driver", cbuf);
        qc_jb_pci_addr(x, &j, &d->info);
        break;
    case MV_DISK_BUS_IDE:
    case MV_DISK_BUS_SATA:
        qc_jb_str(&j, "driver", cd ? "ide-cd" : "ide-hd");
        c = mv_domain_def_find_controller(x->def, d->bus == MV_DISK_BUS_IDE ? MV_CONTROLLER_IDE
                                                                            : MV_CONTROLLER_SATA,
                                          (int)a->drive.controller);
        if (!c)
            goto no_controller;
        if (d->bus == MV_DISK_BUS_IDE) {
            snprintf(bus, sizeof(bus), "%s.%u", qc_controller_alias(x->def, c, cbuf), a->drive.bus);
            qc_jb_str(&j, "bus", bus);
            qc_jb_int(&j, "unit", a->drive.unit);
        } else {
            snprintf(bus, sizeof(bus), "%s.%u", qc_controller_alias(x->def, c, cbuf), a->drive.unit);
            qc_jb_str(&j, "bus", bus);
        }
        break;
    case MV_DISK_BUS_SCSI:
        qc_jb_str(&j, "driver", cd ? "scsi-cd" : "scsi-hd");
        c = mv_domain_def_find_controller(x->def, MV_CONTROLLER_SCSI, (int)a->drive.controller);
        if (!c)
            goto no_controller;
        snprintf(bus, sizeof(bus), "%s.%u", qc_controller_alias(x->def, c, cbuf), a->drive.bus);
        qc_jb_str(&j, "bus", bus);
        if (c->model && strncmp(c->model, "virtio", 6) == 0) {
            qc_jb_int(&j, "channel", 0);
            qc_jb_int(&j, "scsi-id", a->drive.target);
            qc_jb_int(&j, "lun", a->drive.unit);
        } else {
            qc_jb_int(&j, "scsi-id", a->drive.unit);
        }
        snprintf(devid, sizeof(devid), "drive-%s", alias);
        qc_jb_str(&j, "device_id", devid);
        break;
    case MV_DISK_BUS_FDC:
        qc_jb_str(&j, "driver", "floppy");
        qc_jb_int(&j, "unit", a->drive.unit);
        break;
    case MV_DISK_BUS_USB:
        qc_jb_str(&j, "driver", "usb-storage");
        qc_jb_usb_addr(x, &j, &d->info);
        break;
    default:
        qc_sb_done(&j.b);
        return unsupported("disk bus", mv_disk_bus_str(d->bus));
    }
    if (!empty)
        qc_jb_str(&j, "drive", fmt);
    qc_jb_str(&j, "id", alias);
    if (bootindex)
        qc_jb_int(&j, "bootindex", bootindex);
    if (cache_set && d->bus != MV_DISK_BUS_FDC && d->bus != MV_DISK_BUS_USB)
        qc_jb_str(&j, "write-cache", writeback ? "on" : "off");
    qc_jb_str(&j, "serial", d->serial);
    qc_jb_str(&j, "wwn", d->wwn);
    if (d->bus == MV_DISK_BUS_USB)
        qc_jb_bool(&j, "removable", d->target_removable == MV_TRISTATE_YES);
    qc_add_json(x, "-device", &j);
    return 0;

no_controller:
    qc_sb_done(&j.b);
    return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                           "no controller for disk '%s'", d->target_dev);
}

static int build_disks(qc_ctx *x)
{
    bool first_disk = true, first_cdrom = true, first_floppy = true;

    for (size_t i = 0; i < x->def->ndisks; i++) {
        const mv_domain_disk *d = x->def->disks[i];
        unsigned boot = disk_bootindex(x, d, &first_disk, &first_cdrom, &first_floppy);

        TRY(build_disk(x, d, (unsigned)(x->def->ndisks - i), boot));
    }
    return 0;
}

/* ---- filesystems ---- */

static int build_filesystems(qc_ctx *x)
{
    for (size_t i = 0; i < x->def->nfilesystems; i++) {
        const mv_domain_fs *fs = x->def->filesystems[i];
        char alias[64], fsdev[80];
        qc_sb b = { 0 };
        qc_jb j;

        if (!str_eq(fs->type, "mount") || (fs->driver_type && !str_eq(fs->driver_type, "path")))
            return unsupported("filesystem driver", fs->driver_type ? fs->driver_type : fs->type);
        qc_nth_alias(&fs->info, "fs", i, alias);
        snprintf(fsdev, sizeof(fsdev), "fsdev-%s", alias);
        qc_sb_addf(&b, "local,security_model=%s,id=%s,path=",
                   str_eq(fs->accessmode, "squash") ? "none"
                                                    : fs->accessmode ? fs->accessmode : "passthrough",
                   fsdev);
        qc_sb_add_opt(&b, fs->source ? fs->source : "");
        if (fs->readonly)
            qc_sb_add(&b, ",readonly=on");
        qc_add_sb(x, "-fsdev", &b);
        qc_jb_begin(&j);
        qc_jb_str(&j, "driver", "virtio-9p-pci");
        qc_jb_str(&j, "id", alias);
        qc_jb_str(&j, "fsdev", fsdev);
        qc_jb_str(&j, "mount_tag", fs->target);
        qc_jb_pci_addr(x, &j, &fs->info);
        qc_add_json(x, "-device", &j);
    }
    return 0;
}

/* ---- network ---- */

static int net_fd(qc_ctx *x, const int *fds, size_t nfds, size_t i, bool required, char buf[16])
{
    int fd = i < nfds && fds ? fds[i] : -1;

    if (fd < 0 && x->opts->placeholder_fds && required)
        fd = x->next_placeholder_fd++;
    if (fd < 0) {
        if (required)
            return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                                   "no tap device for interface %zu", i);
        return 0;
    }
    snprintf(buf, 16, "%d", fd);
    return 1;
}

static int build_nets(qc_ctx *x)
{
    bool first = true;

    for (size_t i = 0; i < x->def->nnets; i++) {
        const mv_domain_net *n = x->def->nets[i];
        char alias[64], netdev[80], fd[16], vfd[16], mac[18], drv[64];
        unsigned boot = n->info.boot_order;
        qc_jb j;
        int r;

        qc_nth_alias(&n->info, "net", i, alias);
        snprintf(netdev, sizeof(netdev), "host%s", alias);
        qc_jb_begin(&j);
        if (n->type == MV_NET_USER) {
            qc_jb_str(&j, "type", "user");
        } else {
            r = net_fd(x, x->opts->tap_fds, x->opts->ntap_fds, i, true, fd);
            if (r < 0) {
                qc_sb_done(&j.b);
                return r;
            }
            qc_jb_str(&j, "type", "tap");
            qc_jb_str(&j, "fd", fd);
            if (net_fd(x, x->opts->vhost_fds, x->opts->nvhost_fds, i, false, vfd) > 0) {
                qc_jb_bool(&j, "vhost", true);
                qc_jb_str(&j, "vhostfd", vfd);
            }
        }
        qc_jb_str(&j, "id", netdev);
        qc_add_json(x, "-netdev", &j);

        if (!boot && first && x->boot_net)
            boot = x->boot_net;
        first = false;
        snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
                 n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
        qc_jb_begin(&j);
        if (n->model && strncmp(n->model, "virtio", 6) == 0) {
            virtio_driver(drv, sizeof(drv), "virtio-net", n->model);
            qc_jb_str(&j, "driver", drv);
        } else {
            qc_jb_str(&j, "driver", n->model ? n->model : "rtl8139");
        }
        if (n->driver.queues > 1) {
            qc_jb_bool(&j, "mq", true);
            qc_jb_int(&j, "vectors", 2LL * n->driver.queues + 2);
        }
        qc_jb_str(&j, "netdev", netdev);
        qc_jb_str(&j, "id", alias);
        qc_jb_str(&j, "mac", mac);
        if (boot)
            qc_jb_int(&j, "bootindex", boot);
        if (n->mtu)
            qc_jb_int(&j, "host_mtu", n->mtu);
        if (str_eq(n->rom_bar, "off"))
            qc_jb_int(&j, "rombar", 0);
        qc_jb_str(&j, "romfile", n->rom_file);
        qc_jb_pci_addr(x, &j, &n->info);
        qc_add_json(x, "-device", &j);
    }
    return 0;
}

/* ---- character devices ---- */

/* The -chardev value of backend s with id char<alias>. */
static int chardev(qc_ctx *x, const mv_domain_chr_source *s, const char *alias, mv_chr_device dev,
                   const char *spice_name, const char *default_path)
{
    const char *path = s->path ? s->path : default_path;
    qc_sb b = { 0 };

    switch (s->type) {
    case MV_CHR_TYPE_PTY:
        qc_sb_addf(&b, "pty,id=char%s", alias);
        break;
    case MV_CHR_TYPE_NULL:
        qc_sb_addf(&b, "null,id=char%s", alias);
        break;
    case MV_CHR_TYPE_VC:
        qc_sb_addf(&b, "vc,id=char%s", alias);
        break;
    case MV_CHR_TYPE_STDIO:
        qc_sb_addf(&b, "stdio,id=char%s", alias);
        break;
    case MV_CHR_TYPE_DEV:
    case MV_CHR_TYPE_FILE:
    case MV_CHR_TYPE_PIPE:
        qc_sb_addf(&b, "%s,id=char%s,path=",
                   s->type == MV_CHR_TYPE_FILE ? "file"
                   : s->type == MV_CHR_TYPE_PIPE ? "pipe"
                   : dev == MV_CHR_PARALLEL ? "parport" : "tty", alias);
        qc_sb_add_opt(&b, s->path ? s->path : "");
        if (s->type == MV_CHR_TYPE_FILE && s->append != MV_TRISTATE_ABSENT)
            qc_sb_addf(&b, ",append=%s", s->append == MV_TRISTATE_YES ? "on" : "off");
        break;
    case MV_CHR_TYPE_UDP:
        qc_sb_addf(&b, "udp,id=char%s,host=", alias);
        qc_sb_add_opt(&b, s->host ? s->host : "");
        qc_sb_add(&b, ",port=");
        qc_sb_add_opt(&b, s->service ? s->service : "");
        break;
    case MV_CHR_TYPE_TCP:
        qc_sb_addf(&b, "socket,id=char%s,host=", alias);
        qc_sb_add_opt(&b, s->host ? s->host : "");
        qc_sb_add(&b, ",port=");
        qc_sb_add_opt(&b, s->service ? s->service : "");
        if (str_eq(s->protocol, "telnet"))
            qc_sb_add(&b, ",telnet=on");
        goto socket_mode;
    case MV_CHR_TYPE_UNIX:
        if (!path) {
            qc_sb_done(&b);
            return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                                   "no path for the socket of %s", alias);
        }
        qc_sb_addf(&b, "socket,id=char%s,path=", alias);
        qc_sb_add_opt(&b, path);
socket_mode:
        if (!str_eq(s->mode, "connect"))
            qc_sb_add(&b, ",server=on,wait=off");
        else if (s->reconnect_timeout > 0)
            qc_sb_addf(&b, ",reconnect=%d", s->reconnect_timeout);
        break;
    case MV_CHR_TYPE_SPICEVMC:
        qc_sb_addf(&b, "spicevmc,id=char%s,name=%s", alias, spice_name);
        break;
    case MV_CHR_TYPE_SPICEPORT:
        qc_sb_addf(&b, "spiceport,id=char%s,name=", alias);
        qc_sb_add_opt(&b, s->channel ? s->channel : "");
        break;
    case MV_CHR_TYPE_QEMU_VDAGENT:
        qc_sb_addf(&b, "qemu-vdagent,id=char%s,name=vdagent", alias);
        break;
    }
    qc_add_sb(x, "-chardev", &b);
    return 0;
}

static int build_serials(qc_ctx *x)
{
    for (size_t i = 0; i < x->def->nserials; i++) {
        const mv_domain_chr *s = x->def->serials[i];
        const char *type = s->target.type ? s->target.type : "isa-serial";
        char alias[64], chr[80];
        qc_jb j;

        qc_nth_alias(&s->info, "serial", i, alias);
        TRY(chardev(x, &s->source, alias, MV_CHR_SERIAL, "vdagent", NULL));
        snprintf(chr, sizeof(chr), "char%s", alias);
        qc_jb_begin(&j);
        if (str_eq(type, "isa-serial") || str_eq(type, "usb-serial") || str_eq(type, "pci-serial")) {
            qc_jb_str(&j, "driver", s->target.model_name ? s->target.model_name : type);
        } else {
            qc_sb_done(&j.b);
            return unsupported("serial target type", type);
        }
        qc_jb_str(&j, "chardev", chr);
        qc_jb_str(&j, "id", alias);
        if (str_eq(type, "isa-serial"))
            qc_jb_int(&j, "index", s->target.port >= 0 ? s->target.port : (long long)i);
        qc_jb_usb_addr(x, &j, &s->info);
        qc_jb_pci_addr(x, &j, &s->info);
        qc_add_json(x, "-device", &j);
    }
    for (size_t i = 0; i < x->def->nparallels; i++) {
        const mv_domain_chr *p = x->def->parallels[i];
        char alias[64], chr[80];
        qc_jb j;

        qc_nth_alias(&p->info, "parallel", i, alias);
        TRY(chardev(x, &p->source, alias, MV_CHR_PARALLEL, "vdagent", NULL));
        snprintf(chr, sizeof(chr), "char%s", alias);
        qc_jb_begin(&j);
        qc_jb_str(&j, "driver", "isa-parallel");
        qc_jb_str(&j, "chardev", chr);
        qc_jb_str(&j, "id", alias);
        qc_add_json(x, "-device", &j);
    }
    return 0;
}

static int virtio_serial_bus(qc_ctx *x, const mv_domain_address *a, char buf[80])
{
    const mv_domain_controller *c;
    char cbuf[64];
    unsigned ctl = a->type == MV_DOMAIN_ADDR_VIRTIO_SERIAL ? a->vioserial.controller : 0;
    unsigned bus = a->type == MV_DOMAIN_ADDR_VIRTIO_SERIAL ? a->vioserial.bus : 0;

    c = mv_domain_def_find_controller(x->def, MV_CONTROLLER_VIRTIO_SERIAL, (int)ctl);
    if (!c)
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                               "no virtio-serial controller %u", ctl);
    snprintf(buf, 80, "%s.%u", qc_controller_alias(x->def, c, cbuf), bus);
    return 0;
}

static int build_channels(qc_ctx *x)
{
    const mv_domain_def *def = x->def;

    for (size_t i = 0; i < def->nchannels; i++) {
        const mv_domain_chr *ch = def->channels[i];
        const mv_domain_address *a = &ch->info.addr;
        char alias[64], chr[80], bus[80];
        _cleanup_free_ char *path = NULL;
        qc_jb j;

        if (!str_eq(ch->target.type, "virtio"))
            return unsupported("channel target type", ch->target.type);
        qc_nth_alias(&ch->info, "channel", i, alias);
        if (ch->source.type == MV_CHR_TYPE_UNIX && !ch->source.path && x->opts->channel_dir &&
            ch->target.name && asprintf(&path, "%s/%s", x->opts->channel_dir, ch->target.name) < 0) {
            path = NULL;
            return -ENOMEM;
        }
        TRY(chardev(x, &ch->source, alias, MV_CHR_CHANNEL, "vdagent", path));
        TRY(virtio_serial_bus(x, a, bus));
        snprintf(chr, sizeof(chr), "char%s", alias);
        qc_jb_begin(&j);
        qc_jb_str(&j, "driver", "virtserialport");
        qc_jb_str(&j, "bus", bus);
        if (a->type == MV_DOMAIN_ADDR_VIRTIO_SERIAL && a->vioserial.has_port)
            qc_jb_int(&j, "nr", a->vioserial.port);
        qc_jb_str(&j, "chardev", chr);
        qc_jb_str(&j, "id", alias);
        qc_jb_str(&j, "name", ch->target.name);
        qc_add_json(x, "-device", &j);
    }
    for (size_t i = 0; i < def->nconsoles; i++) {
        const mv_domain_chr *con = def->consoles[i];
        char alias[64], chr[80];
        qc_jb j;

        if (str_eq(con->target.type, "serial"))
            continue;       /* the serial port itself */
        if (!str_eq(con->target.type, "virtio"))
            return unsupported("console target type", con->target.type);
        qc_nth_alias(&con->info, "console", i, alias);
        TRY(chardev(x, &con->source, alias, MV_CHR_CONSOLE, "vdagent", NULL));
        snprintf(chr, sizeof(chr), "char%s", alias);
        qc_jb_begin(&j);
        qc_jb_str(&j, "driver", "virtconsole");
        qc_jb_str(&j, "chardev", chr);
        qc_jb_str(&j, "id", alias);
        qc_add_json(x, "-device", &j);
    }
    return 0;
}

/* ---- input, audio, graphics, video, sound ---- */

static int build_inputs(qc_ctx *x)
{
    static const char *const usb[] = { [MV_INPUT_MOUSE] = "usb-mouse",
                                       [MV_INPUT_TABLET] = "usb-tablet",
                                       [MV_INPUT_KEYBOARD] = "usb-kbd" };
    static const char *const virtio[] = { [MV_INPUT_MOUSE] = "virtio-mouse",
                                          [MV_INPUT_TABLET] = "virtio-tablet",
                                          [MV_INPUT_KEYBOARD] = "virtio-keyboard" };

    for (size_t i = 0; i < x->def->ninputs; i++) {
        const mv_domain_input *in = x->def->inputs[i];
        char alias[64], drv[64];
        qc_jb j;

        if (in->bus == MV_INPUT_BUS_PS2)
            continue;
        qc_nth_alias(&in->info, "input", i, alias);
        qc_jb_begin(&j);
        if (in->bus == MV_INPUT_BUS_USB && in->type <= MV_INPUT_KEYBOARD) {
            qc_jb_str(&j, "driver", usb[in->type]);
            qc_jb_str(&j, "id", alias);
            qc_jb_usb_addr(x, &j, &in->info);
        } else if (in->bus == MV_INPUT_BUS_VIRTIO && in->type <= MV_INPUT_KEYBOARD) {
            virtio_driver(drv, sizeof(drv), virtio[in->type], in->model);
            qc_jb_str(&j, "driver", drv);
            qc_jb_str(&j, "id", alias);
            qc_jb_pci_addr(x, &j, &in->info);
        } else if (in->type == MV_INPUT_PASSTHROUGH) {
            virtio_driver(drv, sizeof(drv), "virtio-input-host", in->model);
            qc_jb_str(&j, "driver", drv);
            qc_jb_str(&j, "id", alias);
            qc_jb_str(&j, "evdev", in->source_evdev);
            qc_jb_pci_addr(x, &j, &in->info);
        } else {
            qc_sb_done(&j.b);
            return unsupported("input bus", mv_input_bus_str(in->bus));
        }
        qc_add_json(x, "-device", &j);
    }
    return 0;
}

static const mv_domain_audio *audio_by_id(const mv_domain_def *def, unsigned id)
{
    for (size_t i = 0; i < def->naudios; i++)
        if (!id || def->audios[i]->id == id)
            return def->audios[i];
    return NULL;
}

static int build_audio(qc_ctx *x)
{
    for (size_t i = 0; i < x->def->naudios; i++) {
        const mv_domain_audio *a = x->def->audios[i];
        const char *t = a->type ? a->type : "none";
        char id[32];
        qc_jb j;

        snprintf(id, sizeof(id), "audio%u", a->id);
        qc_jb_begin(&j);
        qc_jb_str(&j, "id", id);
        if (str_eq(t, "pulseaudio"))
            t = "pa";
        else if (str_eq(t, "file"))
            t = "wav";
        qc_jb_str(&j, "driver", t);
        if (str_eq(t, "wav"))
            qc_jb_str(&j, "path", a->path);
        qc_add_json(x, "-audiodev", &j);
    }
    return 0;
}

/* The address a graphics device listens on. */
static const mv_domain_graphics_listen *first_listen(const mv_domain_graphics *g)
{
    return g->nlisten ? &g->listens[0] : NULL;
}

static void add_host(qc_sb *b, const char *addr)
{
    if (strchr(addr, ':'))
        qc_sb_addf(b, "[%s]", addr);
    else
        qc_sb_add(b, addr);
}

static void build_vnc(qc_ctx *x, const mv_domain_graphics *g)
{
    const mv_domain_graphics_listen *l = first_listen(g);
    const mv_domain_audio *audio = audio_by_id(x->def, 0);
    qc_sb b = { 0 };

    if (l && l->type == MV_LISTEN_SOCKET) {
        qc_sb_add(&b, "unix:");
        qc_sb_add_opt(&b, l->socket ? l->socket : "");
    } else if (l && l->type == MV_LISTEN_NONE) {
        qc_sb_add(&b, "none");
    } else {
        add_host(&b, l && l->address ? l->address : "127.0.0.1");
        qc_sb_addf(&b, ":%d", g->port >= 5900 ? g->port - 5900 : 0);
        if (g->websocket > 0)
            qc_sb_addf(&b, ",websocket=%d", g->websocket);
    }
    if (g->share_policy)
        qc_sb_addf(&b, ",share=%s", g->share_policy);
    if (g->passwd)
        qc_sb_add(&b, ",password=on");
    if (audio)
        qc_sb_addf(&b, ",audiodev=audio%u", audio->id);
    qc_add_sb(x, "-vnc", &b);
    if (g->keymap) {
        qc_add(x, "-k");
        qc_add(x, g->keymap);
    }
}

static void build_spice(qc_ctx *x, const mv_domain_graphics *g)
{
    const mv_domain_graphics_listen *l = first_listen(g);
    bool none = l && l->type == MV_LISTEN_NONE;
    int port = g->port > 0 ? g->port : g->autoport ? 5900 : 0;
    qc_sb b = { 0 };

    if (l && l->type == MV_LISTEN_SOCKET) {
        qc_sb_add(&b, "unix=on,addr=");
        qc_sb_add_opt(&b, l->socket ? l->socket : "");
    } else {
        qc_sb_addf(&b, "port=%d", none ? 0 : port);
        if (g->tls_port > 0 && !none)
            qc_sb_addf(&b, ",tls-port=%d", g->tls_port);
        if (!none && (port > 0 || g->tls_port > 0)) {
            qc_sb_add(&b, ",addr=");
            qc_sb_add_opt(&b, l && l->address ? l->address : "127.0.0.1");
        }
    }
    if (!g->passwd)
        qc_sb_add(&b, ",disable-ticketing=on");
    if (g->image_compression)
        qc_sb_addf(&b, ",image-compression=%s", g->image_compression);
    if (g->jpeg_compression)
        qc_sb_addf(&b, ",jpeg-wan-compression=%s", g->jpeg_compression);
    if (g->zlib_compression)
        qc_sb_addf(&b, ",zlib-glz-wan-compression=%s", g->zlib_compression);
    if (g->playback_compression)
        qc_sb_addf(&b, ",playback-compression=%s", g->playback_compression);
    if (g->streaming_mode)
        qc_sb_addf(&b, ",streaming-video=%s", g->streaming_mode);
    if (g->mouse_mode)
        qc_sb_addf(&b, ",agent-mouse=%s", str_eq(g->mouse_mode, "client") ? "on" : "off");
    if (g->clipboard_copypaste == MV_TRISTATE_NO)
        qc_sb_add(&b, ",disable-copy-paste=on");
    if (g->filetransfer_enable == MV_TRISTATE_NO)
        qc_sb_add(&b, ",disable-agent-file-xfer=on");
    if (g->gl_enable == MV_TRISTATE_YES) {
        qc_sb_add(&b, ",gl=on");
        if (g->gl_rendernode) {
            qc_sb_add(&b, ",rendernode=");
            qc_sb_add_opt(&b, g->gl_rendernode);
        }
    }
    qc_sb_add(&b, ",seamless-migration=on");
    qc_add_sb(x, "-spice", &b);
}

static int build_graphics(qc_ctx *x)
{
    for (size_t i = 0; i < x->def->ngraphics; i++) {
        const mv_domain_graphics *g = x->def->graphics[i];

        if (g->type == MV_GRAPHICS_VNC) {
            build_vnc(x, g);
        } else if (g->type == MV_GRAPHICS_SPICE) {
            build_spice(x, g);
        } else if (g->type == MV_GRAPHICS_EGL_HEADLESS) {
            qc_add(x, "-display");
            if (g->gl_rendernode)
                qc_addf(x, "egl-headless,rendernode=%s", g->gl_rendernode);
            else
                qc_add(x, "egl-headless");
        } else {
            return unsupported("graphics type", mv_graphics_type_str(g->type));
        }
    }
    return 0;
}

static int build_videos(qc_ctx *x)
{
    for (size_t i = 0; i < x->def->nvideos; i++) {
        const mv_domain_video *v = x->def->videos[i];
        bool primary = i == 0;
        const char *m = v->model;
        char alias[64];
        qc_jb j;

        if (str_eq(m, "none"))
            continue;
        qc_nth_alias(&v->info, "video", i, alias);
        qc_jb_begin(&j);
        if (str_eq(m, "cirrus")) {
            qc_jb_str(&j, "driver", "cirrus-vga");
            qc_jb_str(&j, "id", alias);
        } else if (str_eq(m, "vga") || str_eq(m, "vmvga")) {
            qc_jb_str(&j, "driver", str_eq(m, "vga") ? "VGA" : "vmware-svga");
            qc_jb_str(&j, "id", alias);
            if (v->vram)
                qc_jb_int(&j, "vgamem_mb", v->vram / 1024);
        } else if (str_eq(m, "qxl")) {
            qc_jb_str(&j, "driver", primary ? "qxl-vga" : "qxl");
            qc_jb_str(&j, "id", alias);
            qc_jb_int(&j, "max_outputs", v->heads ? v->heads : 1);
            qc_jb_int(&j, "ram_size", (long long)v->ram * 1024);
            qc_jb_int(&j, "vram_size", (long long)v->vram * 1024);
            qc_jb_int(&j, "vram64_size_mb", v->vram64 / 1024);
            qc_jb_int(&j, "vgamem_mb", v->vgamem / 1024);
        } else if (str_eq(m, "virtio")) {
            bool gl = v->accel3d == MV_TRISTATE_YES;

            qc_jb_str(&j, "driver", primary ? (gl ? "virtio-vga-gl" : "virtio-vga")
                                            : (gl ? "virtio-gpu-gl-pci" : "virtio-gpu-pci"));
            qc_jb_str(&j, "id", alias);
            qc_jb_int(&j, "max_outputs", v->heads ? v->heads : 1);
        } else if (str_eq(m, "bochs")) {
            qc_jb_str(&j, "driver", "bochs-display");
            qc_jb_str(&j, "id", alias);
            if (v->vram)
                qc_jb_int(&j, "vgamem", (long long)v->vram * 1024);
        } else if (str_eq(m, "ramfb")) {
            qc_jb_str(&j, "driver", "ramfb");
            qc_jb_str(&j, "id", alias);
        } else {
            qc_sb_done(&j.b);
            return unsupported("video model", m);
        }
        qc_jb_pci_addr(x, &j, &v->info);
        qc_add_json(x, "-device", &j);
    }
    return 0;
}

static int build_sounds(qc_ctx *x)
{
    for (size_t i = 0; i < x->def->nsounds; i++) {
        const mv_domain_sound *s = x->def->sounds[i];
        const mv_domain_audio *audio = audio_by_id(x->def, s->audio_id);
        const char *m = s->model;
        bool hda = str_eq(m, "ich6") || str_eq(m, "ich9") || str_eq(m, "ich7");
        char alias[64], id[32] = "", bus[80], codec[96];
        qc_jb j;

        if (audio)
            snprintf(id, sizeof(id), "audio%u", audio->id);
        qc_nth_alias(&s->info, "sound", i, alias);
        qc_jb_begin(&j);
        if (hda) {
            qc_jb_str(&j, "driver", str_eq(m, "ich9") ? "ich9-intel-hda" : "intel-hda");
            qc_jb_str(&j, "id", alias);
        } else if (str_eq(m, "ac97") || str_eq(m, "es1370") || str_eq(m, "sb16") ||
                   str_eq(m, "usb")) {
            qc_jb_str(&j, "driver", str_eq(m, "ac97") ? "AC97" : str_eq(m, "es1370") ? "ES1370"
                                    : str_eq(m, "sb16") ? "sb16" : "usb-audio");
            qc_jb_str(&j, "id", alias);
            if (*id)
                qc_jb_str(&j, "audiodev", id);
            qc_jb_usb_addr(x, &j, &s->info);
        } else {
            qc_sb_done(&j.b);
            return unsupported("sound model", m);
        }
        qc_jb_pci_addr(x, &j, &s->info);
        qc_add_json(x, "-device", &j);
        for (size_t k = 0; hda && k < (s->ncodecs ? s->ncodecs : 1); k++) {
            const char *type = s->ncodecs ? s->codecs[k] : "duplex";

            snprintf(bus, sizeof(bus), "%s.0", alias);
            snprintf(codec, sizeof(codec), "%s-codec%zu", alias, k);
            qc_jb_begin(&j);
            qc_jb_str(&j, "driver", str_eq(type, "micro") ? "hda-micro"
                                    : str_eq(type, "output") ? "hda-output" : "hda-duplex");
            qc_jb_str(&j, "id", codec);
            qc_jb_str(&j, "bus", bus);
            qc_jb_int(&j, "cad", (long long)k);
            if (*id)
                qc_jb_str(&j, "audiodev", id);
            qc_add_json(x, "-device", &j);
        }
    }
    return 0;
}

/* ---- watchdog, redirdev, hostdev, memballoon, rng ---- */

static int build_watchdogs(qc_ctx *x)
{
    for (size_t i = 0; i < x->def->nwatchdogs; i++) {
        const mv_domain_watchdog *w = x->def->watchdogs[i];
        const char *action = w->action ? w->action : "reset";
        char alias[64];
        qc_jb j;

        if (!str_eq(w->model, "i6300esb") && !str_eq(w->model, "ib700"))
            return unsupported("watchdog model", w->model);
        qc_jb_begin(&j);
        qc_jb_str(&j, "driver", w->model);
        qc_jb_str(&j, "id", qc_nth_alias(&w->info, "watchdog", i, alias));
        qc_jb_pci_addr(x, &j, &w->info);
        qc_add_json(x, "-device", &j);
        qc_add(x, "-watchdog-action");
        qc_add(x, str_eq(action, "dump") ? "pause" : action);
    }
    return 0;
}

static int build_redirdevs(qc_ctx *x)
{
    for (size_t i = 0; i < x->def->nredirdevs; i++) {
        const mv_domain_redirdev *r = x->def->redirdevs[i];
        char alias[64], chr[80];
        qc_jb j;

        qc_nth_alias(&r->info, "redir", i, alias);
        TRY(chardev(x, &r->source, alias, MV_CHR_CHANNEL, "usbredir", NULL));
        snprintf(chr, sizeof(chr), "char%s", alias);
        qc_jb_begin(&j);
        qc_jb_str(&j, "driver", "usb-redir");
        qc_jb_str(&j, "chardev", chr);
        qc_jb_str(&j, "id", alias);
        if (r->info.boot_order)
            qc_jb_int(&j, "bootindex", r->info.boot_order);
        qc_jb_usb_addr(x, &j, &r->info);
        qc_add_json(x, "-device", &j);
    }
    return 0;
}

static int build_hostdevs(qc_ctx *x)
{
    for (size_t i = 0; i < x->def->nhostdevs; i++) {
        const mv_domain_hostdev *h = x->def->hostdevs[i];
        char alias[64], buf[64];
        qc_jb j;

        qc_nth_alias(&h->info, "hostdev", i, alias);
        qc_jb_begin(&j);
        if (h->type == MV_HOSTDEV_PCI) {
            const mv_domain_address *a = &h->source.pci;

            snprintf(buf, sizeof(buf), "%04x:%02x:%02x.%x", a->pci.domain, a->pci.bus,
                     a->pci.slot, a->pci.function);
            qc_jb_str(&j, "driver", "vfio-pci");
            qc_jb_str(&j, "host", buf);
            qc_jb_str(&j, "id", alias);
            if (h->info.boot_order)
                qc_jb_int(&j, "bootindex", h->info.boot_order);
            qc_jb_pci_addr(x, &j, &h->info);
        } else if (h->type == MV_HOSTDEV_USB) {
            qc_jb_str(&j, "driver", "usb-host");
            if (h->source.has_usb_address) {
                snprintf(buf, sizeof(buf), "/dev/bus/usb/%03u/%03u", h->source.usb_bus,
                         h->source.usb_device);
                qc_jb_str(&j, "hostdevice", buf);
            } else {
                snprintf(buf, sizeof(buf), "0x%04x", h->source.usb_vendor);
                qc_jb_str(&j, "vendorid", buf);
                snprintf(buf, sizeof(buf), "0x%04x", h->source.usb_product);
                qc_jb_str(&j, "productid", buf);
            }
            qc_jb_str(&j, "id", alias);
            if (h->info.boot_order)
                qc_jb_int(&j, "bootindex", h->info.boot_order);
            qc_jb_usb_addr(x, &j, &h->info);
        } else {
            qc_sb_done(&j.b);
            return unsupported("hostdev type", mv_hostdev_type_str(h->type));
        }
        qc_add_json(x, "-device", &j);
    }
    return 0;
}

static int build_memballoon(qc_ctx *x)
{
    const mv_domain_memballoon *b = x->def->memballoon;
    char alias[64], drv[64];
    qc_jb j;

    if (!b || !b->model || str_eq(b->model, "none"))
        return 0;
    if (strncmp(b->model, "virtio", 6) != 0)
        return unsupported("memballoon model", b->model);
    virtio_driver(drv, sizeof(drv), "virtio-balloon", b->model);
    qc_jb_begin(&j);
    qc_jb_str(&j, "driver", drv);
    qc_jb_str(&j, "id", qc_nth_alias(&b->info, "balloon", 0, alias));
    if (b->autodeflate != MV_TRISTATE_ABSENT)
        qc_jb_bool(&j, "deflate-on-oom", b->autodeflate == MV_TRISTATE_YES);
    if (b->free_page_reporting != MV_TRISTATE_ABSENT)
        qc_jb_bool(&j, "free-page-reporting", b->free_page_reporting == MV_TRISTATE_YES);
    qc_jb_pci_addr(x, &j, &b->info);
    qc_add_json(x, "-device", &j);
    return 0;
}

static int build_rngs(qc_ctx *x)
{
    for (size_t i = 0; i < x->def->nrngs; i++) {
        const mv_domain_rng *r = x->def->rngs[i];
        char alias[64], obj[80], drv[64];
        qc_jb j;

        qc_nth_alias(&r->info, "rng", i, alias);
        snprintf(obj, sizeof(obj), "obj%s", alias);
        if (str_eq(r->backend_model, "egd"))
            TRY(chardev(x, &r->egd, alias, MV_CHR_CHANNEL, "vdagent", NULL));
        qc_jb_begin(&j);
        if (str_eq(r->backend_model, "random")) {
            qc_jb_str(&j, "qom-type", "rng-random");
            qc_jb_str(&j, "id", obj);
            qc_jb_str(&j, "filename", r->backend_path ? r->backend_path : "/dev/random");
        } else if (str_eq(r->backend_model, "builtin")) {
            qc_jb_str(&j, "qom-type", "rng-builtin");
            qc_jb_str(&j, "id", obj);
        } else if (str_eq(r->backend_model, "egd")) {
            char chr[80];

            snprintf(chr, sizeof(chr), "char%s", alias);
            qc_jb_str(&j, "qom-type", "rng-egd");
            qc_jb_str(&j, "id", obj);
            qc_jb_str(&j, "chardev", chr);
        } else {
            qc_sb_done(&j.b);
            return unsupported("rng backend", r->backend_model);
        }
        qc_add_json(x, "-object", &j);
        virtio_driver(drv, sizeof(drv), "virtio-rng", r->model);
        qc_jb_begin(&j);
        qc_jb_str(&j, "driver", drv);
        qc_jb_str(&j, "rng", obj);
        qc_jb_str(&j, "id", alias);
        if (r->rate_bytes) {
            qc_jb_int(&j, "max-bytes", r->rate_bytes);
            qc_jb_int(&j, "period", r->rate_period ? r->rate_period : 1000);
        }
        qc_jb_pci_addr(x, &j, &r->info);
        qc_add_json(x, "-device", &j);
    }
    return 0;
}

int qc_build_devices(qc_ctx *x)
{
    if (x->def->ntpms > 0)
        return unsupported("device", "tpm");
    if (x->opts->placeholder_fds && x->next_placeholder_fd == 0)
        x->next_placeholder_fd = 24;
    TRY(build_controllers(x));
    TRY(build_disks(x));
    TRY(build_filesystems(x));
    TRY(build_nets(x));
    TRY(build_serials(x));
    TRY(build_channels(x));
    TRY(build_inputs(x));
    TRY(build_audio(x));
    TRY(build_graphics(x));
    TRY(build_videos(x));
    TRY(build_sounds(x));
    TRY(build_watchdogs(x));
    TRY(build_redirdevs(x));
    TRY(build_hostdevs(x));
    TRY(build_memballoon(x));
    return build_rngs(x);
}
