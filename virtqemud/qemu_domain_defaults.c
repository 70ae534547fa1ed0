/*
 * QEMU's defaults for a domain definition, as libvirtd 9.x fills them in
 * when a domain is defined.  The facts (which controllers appear, in which
 * order, which device models, which values) come from comparing libvirtd's
 * `virsh dumpxml` output for many definitions; see qemu_domain_defaults.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/hostinfo.h"
#include "qemu_capabilities.h"
#include "qemu_domain_address.h"
#include "qemu_domain_defaults.h"
#include "qemu_domcaps_probe.h"

#define DEFAULT_NVRAM_DIR "/var/lib/libvirt/qemu/nvram"

static char nvram_dir[PATH_MAX] = DEFAULT_NVRAM_DIR;

void qemu_domain_defaults_set_nvram_dir(const char *dir)
{
    snprintf(nvram_dir, sizeof(nvram_dir), "%s", dir ? dir : DEFAULT_NVRAM_DIR);
}

#define DEFAULT_CHANNEL_DIR "/var/lib/libvirt/qemu/channel/target"

static char channel_dir[PATH_MAX] = DEFAULT_CHANNEL_DIR;

void qemu_domain_defaults_set_channel_dir(const char *dir)
{
    snprintf(channel_dir, sizeof(channel_dir), "%s", dir ? dir : DEFAULT_CHANNEL_DIR);
}

#define TRY(x) do { int r_ = (x); if (r_ < 0) return r_; } while (0)

/* Insert item at position at of a pointer array, keeping its type. */
#define PTR_INSERT(arr, n, at, item) ({                                         \
    __typeof__(arr) a_ = realloc((arr), ((n) + 1) * sizeof(*(arr)));           \
    int r_ = -ENOMEM;                                                           \
    if (a_) {                                                                   \
        memmove(&a_[(at) + 1], &a_[(at)], ((n) - (at)) * sizeof(*a_));         \
        a_[(at)] = (item);                                                      \
        (arr) = a_;                                                             \
        (n)++;                                                                  \
        r_ = 0;                                                                 \
    }                                                                           \
    r_;                                                                         \
})

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Replace *p by a copy of s if *p is NULL. */
static int set_default(char **p, const char *s)
{
    if (*p)
        return 0;
    *p = strdup(s);
    return *p ? 0 : -ENOMEM;
}

static int set_str(char **p, const char *s)
{
    char *n = s ? strdup(s) : NULL;

    if (s && !n)
        return -ENOMEM;
    free(*p);
    *p = n;
    return 0;
}

/* ---- helpers shared with the other files ---- */

qemu_machine_kind qemu_machine_kind_of(const char *m)
{
    if (!m)
        return QEMU_MACHINE_OTHER;
    if (strcmp(m, "q35") == 0 || strncmp(m, "pc-q35-", 7) == 0)
        return QEMU_MACHINE_Q35;
    if (strcmp(m, "pc") == 0 || strncmp(m, "pc-i440fx-", 10) == 0 ||
        strncmp(m, "pc-0.", 5) == 0 || strncmp(m, "pc-1.", 5) == 0)
        return QEMU_MACHINE_I440FX;
    return QEMU_MACHINE_OTHER;
}

int qemu_disk_target_index(const char *dev)
{
    static const char *const prefixes[] = { "xvd", "ubd", "hd", "sd", "vd", "fd", "mmcblk" };
    const char *p = NULL;
    long idx = 0;

    if (!dev)
        return -1;
    for (size_t i = 0; !p && i < ELEMENTSOF(prefixes); i++)
        if (strncmp(dev, prefixes[i], strlen(prefixes[i])) == 0)
            p = dev + strlen(prefixes[i]);
    if (!p || !*p)
        return -1;
    for (; *p; p++) {
        if (*p < 'a' || *p > 'z' || idx > INT_MAX / 26 - 26)
            return -1;
        idx = idx * 26 + (*p - 'a' + 1);
    }
    return (int)(idx - 1);
}

bool qemu_virtio_model_is_pcie(const char *model)
{
    return !model || !strstr(model, "transitional") || strstr(model, "non-transitional");
}

static bool arch_is_x86(const char *arch)
{
    return str_eq(arch, "x86_64") || str_eq(arch, "i686");
}

/* ---- new devices ---- */

static mv_domain_controller *controller_new(mv_controller_type type, int index, const char *model)
{
    mv_domain_controller *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->type = type;
    c->index = index;
    c->master_startport = c->ports = c->vectors = -1;
    c->target.chassis_nr = c->target.chassis = c->target.port = -1;
    c->target.bus_nr = c->target.index = -1;
    if (model && !(c->model = strdup(model))) {
        free(c);
        return NULL;
    }
    return c;
}

static int add_controller(mv_domain_def *def, mv_controller_type type, int index, const char *model)
{
    mv_domain_controller *c = controller_new(type, index, model);

    if (!c)
        return -ENOMEM;
    if (PTR_INSERT(def->controllers, def->ncontrollers, def->ncontrollers, c) < 0) {
        free(c->model);
        free(c);
        return -ENOMEM;
    }
    return 0;
}

static int add_input(mv_domain_def *def, mv_input_type type, mv_input_bus bus)
{
    mv_domain_input *in = calloc(1, sizeof(*in));

    if (!in)
        return -ENOMEM;
    in->type = type;
    in->bus = bus;
    if (PTR_INSERT(def->inputs, def->ninputs, def->ninputs, in) < 0) {
        free(in);
        return -ENOMEM;
    }
    return 0;
}

static void chr_source_clear(mv_domain_chr_source *s)
{
    free(s->path);
    free(s->mode);
    free(s->host);
    free(s->service);
    free(s->protocol);
    free(s->channel);
    memset(s, 0, sizeof(*s));
}

static int chr_source_copy(mv_domain_chr_source *dst, const mv_domain_chr_source *src)
{
    mv_domain_chr_source n = *src;

    n.path = n.mode = n.host = n.service = n.protocol = n.channel = NULL;
    if ((src->path && !(n.path = strdup(src->path))) ||
        (src->mode && !(n.mode = strdup(src->mode))) ||
        (src->host && !(n.host = strdup(src->host))) ||
        (src->service && !(n.service = strdup(src->service))) ||
        (src->protocol && !(n.protocol = strdup(src->protocol))) ||
        (src->channel && !(n.channel = strdup(src->channel)))) {
        chr_source_clear(&n);
        return -ENOMEM;
    }
    chr_source_clear(dst);
    *dst = n;
    return 0;
}

static void chr_free(mv_domain_chr *c)
{
    if (!c)
        return;
    chr_source_clear(&c->source);
    free(c->target.type);
    free(c);
}

/* A new character device of kind device with a copy of src's backend. */
static mv_domain_chr *chr_clone(mv_chr_device device, const mv_domain_chr_source *src,
                                const char *target_type)
{
    mv_domain_chr *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->device = device;
    c->target.port = -1;
    if (chr_source_copy(&c->source, src) < 0 ||
        (target_type && !(c->target.type = strdup(target_type)))) {
        chr_free(c);
        return NULL;
    }
    return c;
}

/* ---- the machine, the emulator, the CPU ---- */

static int guest_defaults(mv_domain_def *def, mv_error *machine_err)
{
    _cleanup_free_ char *emulator = NULL, *machine = NULL;
    int r;

    TRY(set_default(&def->os.type, "hvm"));
    TRY(set_default(&def->os.arch, mv_host_arch()));
    /* the architecture first: its error is reported at once */
    TRY(qemu_caps_lookup_guest(def->os.arch, NULL, &emulator, &machine));
    if (!def->os.machine) {
        TRY(set_str(&def->os.machine, machine));
    } else {
        free(emulator);
        free(machine);
        emulator = machine = NULL;
        r = qemu_caps_lookup_guest(def->os.arch, def->os.machine, &emulator, &machine);
        if (r == -ENOMEM)
            return r;
        if (r < 0) {
            /* libvirtd checks the machine type after filling in the rest */
            mv_error_resolve(r, machine_err);
            mv_error_reset();
            TRY(qemu_caps_lookup_guest(def->os.arch, NULL, &emulator, &machine));
        } else {
            TRY(set_str(&def->os.machine, machine));
        }
    }
    if (def->emulator)
        TRY(dcprobe_check_binary(def->emulator));
    TRY(set_default(&def->emulator, emulator));
    if (!str_eq(def->virt_type, "qemu") && !str_eq(def->virt_type, "kvm"))
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                               "Emulator '%s' does not support virt type '%s'",
                               def->emulator, def->virt_type ? def->virt_type : "");
    if (!str_eq(def->os.type, "hvm"))
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                               "Emulator '%s' does not support os type '%s'",
                               def->emulator, def->os.type);
    return 0;
}

static int cpu_defaults(mv_domain_def *def)
{
    mv_domain_cpu *cpu = &def->cpu;

    if (cpu->mode == MV_CPU_MODE_CUSTOM && !cpu->model) {
        /* nothing chosen: QEMU's own default model, which is what runs */
        if (!arch_is_x86(def->os.arch))
            goto topology;
        cpu->present = true;
        TRY(set_str(&cpu->model, str_eq(def->os.arch, "i686") ? "qemu32" : "qemu64"));
        TRY(set_default(&cpu->model_fallback, "forbid"));
    }
    if (!cpu->present)
        return 0;
    switch (cpu->mode) {
    case MV_CPU_MODE_CUSTOM:
        TRY(set_default(&cpu->match, "exact"));
        TRY(set_default(&cpu->check, "none"));
        TRY(set_default(&cpu->model_fallback, "allow"));
        break;
    case MV_CPU_MODE_HOST_MODEL:
        TRY(set_default(&cpu->check, "partial"));
        break;
    case MV_CPU_MODE_HOST_PASSTHROUGH:
    case MV_CPU_MODE_MAXIMUM:
        TRY(set_default(&cpu->check, "none"));
        if (cpu->migratable == MV_TRISTATE_ABSENT)
            cpu->migratable = MV_TRISTATE_YES;
        break;
    }
topology:
    if (cpu->has_topology) {
        unsigned long long n;

        if (cpu->dies == 0)
            cpu->dies = 1;
        n = (unsigned long long)cpu->sockets * cpu->dies * (cpu->clusters ? cpu->clusters : 1) *
            cpu->cores * cpu->threads;
        if (n != def->vcpus)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                                   "CPU topology doesn't match maximum vcpu count");
    }
    return 0;
}

static bool has_device_boot(const mv_domain_def *def)
{
    for (size_t i = 0; i < def->ndisks; i++)
        if (def->disks[i]->info.boot_order)
            return true;
    for (size_t i = 0; i < def->nnets; i++)
        if (def->nets[i]->info.boot_order)
            return true;
    for (size_t i = 0; i < def->nhostdevs; i++)
        if (def->hostdevs[i]->info.boot_order)
            return true;
    for (size_t i = 0; i < def->nredirdevs; i++)
        if (def->redirdevs[i]->info.boot_order)
            return true;
    return false;
}

static int os_defaults(mv_domain_def *def)
{
    mv_domain_os *os = &def->os;

    if (str_eq(def->on_poweroff, "preserve") || str_eq(def->on_reboot, "preserve"))
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                               "qemu driver doesn't support the 'preserve' action for 'on_reboot'/'on_poweroff'");
    if (str_eq(os->firmware, "efi") && arch_is_x86(os->arch) &&
        def->features.state[MV_FEATURE_ACPI] != MV_TRISTATE_YES)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                               "UEFI requires ACPI on this architecture");
    if (def->features.state[MV_FEATURE_HYPERV] == MV_TRISTATE_YES)
        TRY(set_default(&def->features.hyperv_mode, "custom"));
    if (os->nboot_devs == 0 && !has_device_boot(def)) {
        char **b = calloc(1, sizeof(*b));

        if (!b || !(b[0] = strdup("hd"))) {
            free(b);
            return -ENOMEM;
        }
        free(os->boot_devs);
        os->boot_devs = b;
        os->nboot_devs = 1;
    }
    /* a read-only pflash loader gets its variable store */
    if (os->loader.present && os->loader.path &&
        (!os->loader.type || str_eq(os->loader.type, "pflash")) &&
        os->loader.readonly == MV_TRISTATE_YES && !os->nvram.path) {
        if (asprintf(&os->nvram.path, "%s/%s_VARS.fd", nvram_dir, def->name) < 0) {
            os->nvram.path = NULL;
            return -ENOMEM;
        }
        os->nvram.present = true;
    }
    if (def->current_memory_kib == 0 || def->current_memory_kib > def->memory_kib)
        def->current_memory_kib = def->memory_kib;
    return 0;
}

/* ---- disks and their controllers ---- */

static mv_disk_bus bus_from_target(const mv_domain_disk *d)
{
    const char *t = d->target_dev ? d->target_dev : "";

    if (d->device == MV_DISK_DEVICE_FLOPPY || strncmp(t, "fd", 2) == 0)
        return MV_DISK_BUS_FDC;
    if (strncmp(t, "hd", 2) == 0)
        return MV_DISK_BUS_IDE;
    if (strncmp(t, "sd", 2) == 0)
        return MV_DISK_BUS_SCSI;
    if (strncmp(t, "vd", 2) == 0)
        return MV_DISK_BUS_VIRTIO;
    if (strncmp(t, "xvd", 3) == 0)
        return MV_DISK_BUS_XEN;
    if (strncmp(t, "ubd", 3) == 0)
        return MV_DISK_BUS_UML;
    return MV_DISK_BUS_IDE;
}

/* controller, bus, unit of the n-th disk of a bus, as libvirt lays them out */
static void drive_address(mv_disk_bus bus, int idx, mv_domain_address *a)
{
    a->type = MV_DOMAIN_ADDR_DRIVE;
    a->drive.target = 0;
    switch (bus) {
    case MV_DISK_BUS_IDE:
        a->drive.controller = (unsigned)idx / 4;
        a->drive.bus = ((unsigned)idx % 4) / 2;
        a->drive.unit = (unsigned)idx % 2;
        break;
    case MV_DISK_BUS_SATA:
        a->drive.controller = (unsigned)idx / 6;
        a->drive.bus = 0;
        a->drive.unit = (unsigned)idx % 6;
        break;
    case MV_DISK_BUS_FDC:
        a->drive.controller = (unsigned)idx / 2;
        a->drive.bus = 0;
        a->drive.unit = (unsigned)idx % 2;
        break;
    default: /* SCSI */
        a->drive.controller = (unsigned)idx / 7;
        a->drive.bus = 0;
        a->drive.unit = (unsigned)idx % 7;
        break;
    }
}

static int disk_defaults(mv_domain_def *def)
{
    for (size_t i = 0; i < def->ndisks; i++) {
        mv_domain_disk *d = def->disks[i];

        if (d->bus == MV_DISK_BUS_NONE)
            d->bus = bus_from_target(d);
        TRY(set_default(&d->driver.name, "qemu"));
        TRY(set_default(&d->driver.type, "raw"));
        if (d->device == MV_DISK_DEVICE_CDROM)
            d->readonly = true;
        if (d->info.addr.type == MV_DOMAIN_ADDR_NONE &&
            (d->bus == MV_DISK_BUS_IDE || d->bus == MV_DISK_BUS_SATA ||
             d->bus == MV_DISK_BUS_SCSI || d->bus == MV_DISK_BUS_FDC)) {
            int idx = qemu_disk_target_index(d->target_dev);

            if (idx < 0)
                return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                       "Unknown disk name '%s' and no address specified",
                                       d->target_dev ? d->target_dev : "");
            drive_address(d->bus, idx, &d->info.addr);
        }
    }
    return 0;
}

static bool has_controller_type(const mv_domain_def *def, mv_controller_type t)
{
    for (size_t i = 0; i < def->ncontrollers; i++)
        if (def->controllers[i]->type == t)
            return true;
    return false;
}

static int ensure_controller(mv_domain_def *def, mv_controller_type type, int index, const char *model)
{
    if (mv_domain_def_find_controller(def, type, index))
        return 0;
    return add_controller(def, type, index, model);
}

/* The controllers the disks' drive addresses name, in libvirt's order. */
static int disk_controllers(mv_domain_def *def)
{
    static const struct { mv_controller_type ctrl; mv_disk_bus bus; } order[] = {
        { MV_CONTROLLER_SCSI, MV_DISK_BUS_SCSI },
        { MV_CONTROLLER_FDC, MV_DISK_BUS_FDC },
        { MV_CONTROLLER_IDE, MV_DISK_BUS_IDE },
        { MV_CONTROLLER_SATA, MV_DISK_BUS_SATA },
    };

    for (size_t k = 0; k < ELEMENTSOF(order); k++) {
        int max = -1;

        for (size_t i = 0; i < def->ndisks; i++) {
            const mv_domain_disk *d = def->disks[i];

            if (d->bus == order[k].bus && d->info.addr.type == MV_DOMAIN_ADDR_DRIVE &&
                (int)d->info.addr.drive.controller > max)
                max = (int)d->info.addr.drive.controller;
        }
        for (int idx = 0; idx <= max && idx < MV_DOMAIN_MAX_DEVICES; idx++)
            TRY(ensure_controller(def, order[k].ctrl, idx, NULL));
    }
    return 0;
}

static bool needs_virtio_serial(const mv_domain_def *def)
{
    for (size_t i = 0; i < def->nchannels; i++)
        if (str_eq(def->channels[i]->target.type, "virtio"))
            return true;
    for (size_t i = 0; i < def->nconsoles; i++)
        if (str_eq(def->consoles[i]->target.type, "virtio"))
            return true;
    return false;
}

static int controller_defaults(mv_domain_def *def, qemu_machine_kind kind)
{
    const char *usb_model = kind == QEMU_MACHINE_Q35 ? "qemu-xhci" : "piix3-uhci";

    /* implicit ones: USB, the q35 SATA, the PCI root */
    if (kind != QEMU_MACHINE_OTHER && !has_controller_type(def, MV_CONTROLLER_USB))
        TRY(add_controller(def, MV_CONTROLLER_USB, 0, usb_model));
    if (kind == QEMU_MACHINE_Q35)
        TRY(ensure_controller(def, MV_CONTROLLER_SATA, 0, NULL));
    if (kind != QEMU_MACHINE_OTHER)
        TRY(ensure_controller(def, MV_CONTROLLER_PCI, 0,
                              kind == QEMU_MACHINE_Q35 ? "pcie-root" : "pci-root"));
    TRY(disk_controllers(def));
    if (needs_virtio_serial(def)) {
        TRY(ensure_controller(def, MV_CONTROLLER_VIRTIO_SERIAL, 0, NULL));
        for (size_t i = 0; i < def->nchannels; i++) {
            const mv_domain_address *a = &def->channels[i]->info.addr;

            if (a->type == MV_DOMAIN_ADDR_VIRTIO_SERIAL && a->vioserial.controller < 32)
                for (unsigned c = 0; c <= a->vioserial.controller; c++)
                    TRY(ensure_controller(def, MV_CONTROLLER_VIRTIO_SERIAL, (int)c, NULL));
        }
    }
    for (size_t i = 0; i < def->ncontrollers; i++) {
        mv_domain_controller *c = def->controllers[i];

        if (c->type == MV_CONTROLLER_USB && kind != QEMU_MACHINE_OTHER)
            TRY(set_default(&c->model, usb_model));
        else if (c->type == MV_CONTROLLER_SCSI)
            TRY(set_default(&c->model, "lsilogic"));
        else if (c->type == MV_CONTROLLER_PCI && kind == QEMU_MACHINE_Q35)
            TRY(set_default(&c->model, c->index == 0 ? "pcie-root" : "pcie-root-port"));
        else if (c->type == MV_CONTROLLER_PCI && kind == QEMU_MACHINE_I440FX)
            TRY(set_default(&c->model, c->index == 0 ? "pci-root" : "pci-bridge"));
    }
    return 0;
}

/* ---- character devices ---- */

static bool serial_is_isa(const mv_domain_chr *c)
{
    return !c->target.type || str_eq(c->target.type, "isa-serial");
}

/* libvirt's console compatibility: the first console is the first serial
 * port, shown twice. */
static int console_compat(mv_domain_def *def)
{
    mv_domain_chr *c;

    if (def->nconsoles > 0 && (!def->consoles[0]->target.type ||
                               str_eq(def->consoles[0]->target.type, "serial"))) {
        mv_domain_chr *con = def->consoles[0];

        TRY(set_str(&con->target.type, "serial"));
        if (def->nserials == 0) {
            c = chr_clone(MV_CHR_SERIAL, &con->source, NULL);
            if (!c || PTR_INSERT(def->serials, def->nserials, 0, c) < 0) {
                chr_free(c);
                return -ENOMEM;
            }
        } else {
            TRY(chr_source_copy(&con->source, &def->serials[0]->source));
        }
        return 0;
    }
    if (def->nserials > 0 && serial_is_isa(def->serials[0])) {
        c = chr_clone(MV_CHR_CONSOLE, &def->serials[0]->source, "serial");
        if (!c || PTR_INSERT(def->consoles, def->nconsoles, 0, c) < 0) {
            chr_free(c);
            return -ENOMEM;
        }
    }
    return 0;
}

static bool serial_port_used(const mv_domain_def *def, int port)
{
    for (size_t i = 0; i < def->nserials; i++)
        if (def->serials[i]->target.port == port)
            return true;
    return false;
}

static int chr_defaults(mv_domain_def *def, bool x86)
{
    unsigned next_virtio_console = 0;

    if (x86)
        TRY(console_compat(def));
    for (size_t i = 0; i < def->nserials; i++) {
        mv_domain_chr *s = def->serials[i];

        if (x86)
            TRY(set_default(&s->target.type, "isa-serial"));
        if (str_eq(s->target.type, "isa-serial") || str_eq(s->target.type, "usb-serial") ||
            str_eq(s->target.type, "pci-serial"))
            TRY(set_default(&s->target.model_name, s->target.type));
        if (s->target.port < 0) {
            int p = 0;

            while (serial_port_used(def, p))
                p++;
            s->target.port = p;
        }
    }
    for (size_t i = 0; i < def->nconsoles; i++) {
        mv_domain_chr *c = def->consoles[i];

        if (str_eq(c->target.type, "serial"))
            c->target.port = def->nserials > 0 ? def->serials[0]->target.port : 0;
        else if (str_eq(c->target.type, "virtio"))
            c->target.port = (int)next_virtio_console++;
    }
    for (size_t i = 0; i < def->nparallels; i++)
        if (def->parallels[i]->target.port < 0)
            def->parallels[i]->target.port = (int)i;
    /* a socket path in the automatic directory is chosen again at start */
    for (size_t i = 0; i < def->nchannels; i++) {
        mv_domain_chr_source *src = &def->channels[i]->source;
        size_t n = strlen(channel_dir);

        if (src->type == MV_CHR_TYPE_UNIX && src->path && str_eq(def->channels[i]->target.type, "virtio") &&
            (!src->mode || str_eq(src->mode, "bind")) &&
            strncmp(src->path, channel_dir, n) == 0 && src->path[n] == '/') {
            free(src->path);
            free(src->mode);
            src->path = src->mode = NULL;
        }
    }
    /* virtio-serial ports: 0 is the console's, channels take 1, 2, ... */
    for (size_t i = 0; i < def->nchannels; i++) {
        mv_domain_chr *ch = def->channels[i];
        mv_domain_address *a = &ch->info.addr;
        unsigned port = 1;

        if (!str_eq(ch->target.type, "virtio") ||
            (a->type == MV_DOMAIN_ADDR_VIRTIO_SERIAL && a->vioserial.has_port))
            continue;
        if (a->type != MV_DOMAIN_ADDR_VIRTIO_SERIAL)
            *a = (mv_domain_address){ .type = MV_DOMAIN_ADDR_VIRTIO_SERIAL };
        /* the lowest port no other channel of this bus has (at most
         * nchannels are taken, so one of 1..nchannels+1 is free) */
        _cleanup_free_ bool *used = calloc(def->nchannels + 2, sizeof(*used));

        if (!used)
            return -ENOMEM;
        for (size_t j = 0; j < def->nchannels; j++) {
            const mv_domain_address *o = &def->channels[j]->info.addr;

            if (j != i && o->type == MV_DOMAIN_ADDR_VIRTIO_SERIAL && o->vioserial.has_port &&
                o->vioserial.controller == a->vioserial.controller &&
                o->vioserial.bus == a->vioserial.bus && o->vioserial.port <= def->nchannels + 1)
                used[o->vioserial.port] = true;
        }
        while (used[port])
            port++;
        a->vioserial.port = port;
        a->vioserial.has_port = true;
    }
    return 0;
}

/* ---- input, graphics, video, audio, the rest ---- */

static bool has_input(const mv_domain_def *def, mv_input_type t, mv_input_bus b)
{
    for (size_t i = 0; i < def->ninputs; i++)
        if (def->inputs[i]->type == t && def->inputs[i]->bus == b)
            return true;
    return false;
}

static int input_defaults(mv_domain_def *def, qemu_machine_kind kind)
{
    for (size_t i = 0; i < def->ninputs; i++) {
        mv_domain_input *in = def->inputs[i];

        if (in->bus != MV_INPUT_BUS_NONE)
            continue;
        if (in->type == MV_INPUT_TABLET)
            in->bus = MV_INPUT_BUS_USB;
        else if (in->type == MV_INPUT_MOUSE || in->type == MV_INPUT_KEYBOARD)
            in->bus = kind != QEMU_MACHINE_OTHER ? MV_INPUT_BUS_PS2 : MV_INPUT_BUS_USB;
    }
    if (kind == QEMU_MACHINE_OTHER)
        return 0;
    if (!has_input(def, MV_INPUT_MOUSE, MV_INPUT_BUS_PS2))
        TRY(add_input(def, MV_INPUT_MOUSE, MV_INPUT_BUS_PS2));
    if (!has_input(def, MV_INPUT_KEYBOARD, MV_INPUT_BUS_PS2))
        TRY(add_input(def, MV_INPUT_KEYBOARD, MV_INPUT_BUS_PS2));
    return 0;
}

static int graphics_defaults(mv_domain_def *def)
{
    for (size_t i = 0; i < def->ngraphics; i++) {
        mv_domain_graphics *g = def->graphics[i];
        mv_domain_graphics_listen *l;

        if (g->nlisten > 0 || (g->type != MV_GRAPHICS_VNC && g->type != MV_GRAPHICS_SPICE))
            continue;
        l = calloc(1, sizeof(*l));
        if (!l)
            return -ENOMEM;
        if (g->type == MV_GRAPHICS_SPICE && !g->autoport && g->port <= 0 && g->tls_port <= 0)
            l->type = MV_LISTEN_NONE;
        else
            l->type = MV_LISTEN_ADDRESS;
        free(g->listens);
        g->listens = l;
        g->nlisten = 1;
    }
    return 0;
}

static int video_model_defaults(mv_domain_video *v)
{
    const char *m = v->model;

    if (str_eq(m, "cirrus") || str_eq(m, "vga") || str_eq(m, "vmvga") || str_eq(m, "bochs")) {
        if (!v->vram)
            v->vram = 16384;
    } else if (str_eq(m, "qxl")) {
        if (!v->ram)
            v->ram = 65536;
        if (!v->vram)
            v->vram = 65536;
        if (!v->vgamem)
            v->vgamem = 16384;
    } else if (!str_eq(m, "virtio")) {
        return 0;
    }
    if (!v->heads)
        v->heads = 1;
    return 0;
}

static int video_defaults(mv_domain_def *def)
{
    if (def->nvideos == 0 && def->ngraphics > 0) {
        mv_domain_video *v = calloc(1, sizeof(*v));

        if (!v || !(v->model = strdup("cirrus")) ||
            PTR_INSERT(def->videos, def->nvideos, 0, v) < 0) {
            if (v)
                free(v->model);
            free(v);
            return -ENOMEM;
        }
    }
    for (size_t i = 0; i < def->nvideos; i++) {
        mv_domain_video *v = def->videos[i];

        TRY(set_default(&v->model, "cirrus"));
        TRY(video_model_defaults(v));
        if (i == 0 && !str_eq(v->model, "none"))
            v->primary = true;
        if (i > 0 && !str_eq(v->model, "qxl") && !str_eq(v->model, "virtio"))
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                                   "video type '%s' is only valid as primary video device",
                                   v->model);
    }
    return 0;
}

static int audio_defaults(mv_domain_def *def)
{
    const char *type = "none";
    mv_domain_audio *a;

    if (def->naudios > 0)
        return 0;
    for (size_t i = 0; i < def->ngraphics; i++)
        if (def->graphics[i]->type == MV_GRAPHICS_SPICE) {
            type = "spice";
            break;
        } else if (def->graphics[i]->type == MV_GRAPHICS_SDL) {
            type = "sdl";
        }
    a = calloc(1, sizeof(*a));
    if (!a || !(a->type = strdup(type)) || PTR_INSERT(def->audios, def->naudios, 0, a) < 0) {
        if (a)
            free(a->type);
        free(a);
        return -ENOMEM;
    }
    a->id = 1;
    return 0;
}

static int misc_defaults(mv_domain_def *def)
{
    for (size_t i = 0; i < def->nnets; i++)
        TRY(set_default(&def->nets[i]->model, "rtl8139"));
    if (!def->memballoon) {
        mv_domain_memballoon *b = calloc(1, sizeof(*b));

        if (!b || !(b->model = strdup("virtio"))) {
            free(b);
            return -ENOMEM;
        }
        b->stats_period = -1;
        def->memballoon = b;
    }
    for (size_t i = 0; i < def->nrngs; i++)
        if (str_eq(def->rngs[i]->backend_model, "random"))
            TRY(set_default(&def->rngs[i]->backend_path, "/dev/random"));
    for (size_t i = 0; i < def->nfilesystems; i++) {
        TRY(set_default(&def->filesystems[i]->type, "mount"));
        TRY(set_default(&def->filesystems[i]->accessmode, "passthrough"));
    }
    for (size_t i = 0; i < def->nwatchdogs; i++)
        TRY(set_default(&def->watchdogs[i]->action, "reset"));
    return 0;
}

/* What libvirtd refuses once everything is filled in. */
static int validate(const mv_domain_def *def, qemu_machine_kind kind)
{
    for (size_t i = 0; i < def->ndisks; i++) {
        const mv_domain_disk *d = def->disks[i];

        if ((d->device == MV_DISK_DEVICE_CDROM || d->device == MV_DISK_DEVICE_FLOPPY) &&
            (d->bus == MV_DISK_BUS_VIRTIO || d->bus == MV_DISK_BUS_XEN))
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                                   "disk type of '%s' does not support ejectable media", d->target_dev);
    }
    if (kind == QEMU_MACHINE_Q35) {
        bool ide = has_controller_type(def, MV_CONTROLLER_IDE);

        for (size_t i = 0; !ide && i < def->ndisks; i++)
            ide = def->disks[i]->bus == MV_DISK_BUS_IDE;
        if (ide)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                                   "IDE controllers are unsupported for this QEMU binary or machine type");
    }
    return 0;
}

/* What a definition loaded from disk gets instead of guest_defaults: no
 * QEMU is asked, so the emulator and machine stay as written. */
static int guest_defaults_lenient(mv_domain_def *def)
{
    TRY(set_default(&def->os.type, "hvm"));
    return set_default(&def->os.arch, mv_host_arch());
}

/* The defaults that need no QEMU binary, for a machine of kind kind. */
static int generic_defaults(mv_domain_def *def, qemu_machine_kind kind)
{
    bool x86 = arch_is_x86(def->os.arch);

    TRY(os_defaults(def));
    TRY(cpu_defaults(def));
    TRY(disk_defaults(def));
    TRY(controller_defaults(def, kind));
    TRY(chr_defaults(def, x86));
    TRY(input_defaults(def, x86 ? kind : QEMU_MACHINE_OTHER));
    TRY(graphics_defaults(def));
    TRY(video_defaults(def));
    TRY(audio_defaults(def));
    TRY(misc_defaults(def));
    return qemu_domain_assign_pci_addresses(def, kind);
}

int qemu_domain_post_parse(mv_domain_def *def)
{
    mv_error machine_err = { 0 };
    qemu_machine_kind kind;

    TRY(guest_defaults(def, &machine_err));
    kind = machine_err.code ? QEMU_MACHINE_OTHER : qemu_machine_kind_of(def->os.machine);
    TRY(generic_defaults(def, kind));
    if (machine_err.code)
        return mv_error_report_raw(-EINVAL, machine_err.code, machine_err.domain, "%s",
                                   machine_err.message);
    TRY(qemu_domain_assign_usb_addresses(def));
    return validate(def, kind);
}

int qemu_domain_post_parse_lenient(mv_domain_def *def)
{
    TRY(guest_defaults_lenient(def));
    /* The machine's kind from its name alone: a versioned name QEMU no
     * longer has still says which bus it was defined with. */
    TRY(generic_defaults(def, qemu_machine_kind_of(def->os.machine)));
    return qemu_domain_assign_usb_addresses(def);
}
