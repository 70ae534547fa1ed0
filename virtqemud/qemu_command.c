/*
 * The QEMU command line of a domain (see qemu_command.h).  Option order,
 * property order and names follow what libvirtd 9.x passes QEMU 7.x.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/uuid.h"
#include "qemu_command.h"
#include "qemu_command_priv.h"
#include "qemu_domain_defaults.h"

#define TRY(x) do { int r_ = (x); if (r_ < 0) return r_; } while (0)

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* ---- growable strings, QemuOpts values, JSON ---- */

void qc_sb_addn(qc_sb *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        char *p;

        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->s, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void qc_sb_add(qc_sb *b, const char *s)
{
    qc_sb_addn(b, s, strlen(s));
}

void qc_sb_addf(qc_sb *b, const char *fmt, ...)
{
    char buf[256];
    char *big = NULL;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof(buf)) {
        qc_sb_addn(b, buf, (size_t)n);
        return;
    }
    va_start(ap, fmt);
    n = vasprintf(&big, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    qc_sb_addn(b, big, (size_t)n);
    free(big);
}

/* A QemuOpts value: commas doubled. */
void qc_sb_add_opt(qc_sb *b, const char *s)
{
    for (const char *p = s; *p; p++) {
        qc_sb_addn(b, p, 1);
        if (*p == ',')
            qc_sb_addn(b, ",", 1);
    }
}

char *qc_sb_take(qc_sb *b)
{
    char *s;

    if (b->oom) {
        free(b->s);
        *b = (qc_sb){ 0 };
        return NULL;
    }
    s = b->s ? b->s : strdup("");
    *b = (qc_sb){ 0 };
    return s;
}

void qc_sb_done(qc_sb *b)
{
    free(b->s);
    *b = (qc_sb){ 0 };
}

static void json_string(qc_sb *b, const char *s)
{
    qc_sb_add(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = { '\\', (char)*p };

            qc_sb_addn(b, e, 2);
        } else if (*p < 0x20) {
            qc_sb_addf(b, "\\u%04x", *p);
        } else {
            qc_sb_addn(b, (const char *)p, 1);
        }
    }
    qc_sb_add(b, "\"");
}

void qc_jb_begin(qc_jb *j)
{
    *j = (qc_jb){ .first = true };
    qc_sb_add(&j->b, "{");
}

static void jb_key(qc_jb *j, const char *k)
{
    if (!j->first)
        qc_sb_add(&j->b, ",");
    j->first = false;
    json_string(&j->b, k);
    qc_sb_add(&j->b, ":");
}

void qc_jb_str(qc_jb *j, const char *k, const char *v)
{
    if (!v)
        return;
    jb_key(j, k);
    json_string(&j->b, v);
}

void qc_jb_int(qc_jb *j, const char *k, long long v)
{
    jb_key(j, k);
    qc_sb_addf(&j->b, "%lld", v);
}

void qc_jb_bool(qc_jb *j, const char *k, bool v)
{
    jb_key(j, k);
    qc_sb_add(&j->b, v ? "true" : "false");
}

/* A nested object or other literal JSON. */
void qc_jb_raw(qc_jb *j, const char *k, const char *json)
{
    jb_key(j, k);
    qc_sb_add(&j->b, json);
}

char *qc_jb_end(qc_jb *j)
{
    qc_sb_add(&j->b, "}");
    return qc_sb_take(&j->b);
}

/* ---- the argument vector ---- */

static void cmd_take(qc_ctx *x, char *s)
{
    if (!s || x->err < 0) {
        free(s);
        x->err = -ENOMEM;
        return;
    }
    if (x->n + 2 > x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 128;
        char **v = realloc(x->argv, cap * sizeof(*v));

        if (!v) {
            free(s);
            x->err = -ENOMEM;
            return;
        }
        x->argv = v;
        x->cap = cap;
    }
    x->argv[x->n++] = s;
    x->argv[x->n] = NULL;
}

void qc_add(qc_ctx *x, const char *s)
{
    cmd_take(x, strdup(s));
}

void qc_addf(qc_ctx *x, const char *fmt, ...)
{
    char *s;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    cmd_take(x, n < 0 ? NULL : s);
}

/* opt followed by a value built in b (consumed). */
void qc_add_sb(qc_ctx *x, const char *opt, qc_sb *b)
{
    qc_add(x, opt);
    cmd_take(x, qc_sb_take(b));
}

void qc_add_json(qc_ctx *x, const char *opt, qc_jb *j)
{
    qc_add(x, opt);
    cmd_take(x, qc_jb_end(j));
}

void qemu_command_free(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

/* ---- names ---- */

static const char *info_alias(const mv_domain_device_info *info, char *buf, size_t n,
                              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static const char *info_alias(const mv_domain_device_info *info, char *buf, size_t n,
                              const char *fmt, ...)
{
    va_list ap;

    /* Always into buf: callers may use either buf or the return value. */
    if (info && info->alias) {
        snprintf(buf, n, "%s", info->alias);
        return buf;
    }
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return buf;
}

static bool scsi_controller_is_virtio(const mv_domain_def *def, unsigned index)
{
    const mv_domain_controller *c = mv_domain_def_find_controller(def, MV_CONTROLLER_SCSI, (int)index);

    return c && c->model && strncmp(c->model, "virtio", 6) == 0;
}

const char *qc_disk_alias(const mv_domain_def *def, const mv_domain_disk *d, char buf[64])
{
    const mv_domain_address *a = &d->info.addr;
    unsigned c = a->drive.controller, b = a->drive.bus, t = a->drive.target, u = a->drive.unit;

    switch (d->bus) {
    case MV_DISK_BUS_VIRTIO:
        return info_alias(&d->info, buf, 64, "virtio-disk%d", qemu_disk_target_index(d->target_dev));
    case MV_DISK_BUS_USB:
        return info_alias(&d->info, buf, 64, "usb-disk%d", qemu_disk_target_index(d->target_dev));
    case MV_DISK_BUS_IDE:
        return info_alias(&d->info, buf, 64, "ide%u-%u-%u", c, b, u);
    case MV_DISK_BUS_SATA:
        return info_alias(&d->info, buf, 64, "sata%u-%u-%u", c, b, u);
    case MV_DISK_BUS_FDC:
        return info_alias(&d->info, buf, 64, "fdc%u-%u-%u", c, b, u);
    case MV_DISK_BUS_SCSI:
        if (scsi_controller_is_virtio(def, c))
            return info_alias(&d->info, buf, 64, "scsi%u-%u-%u-%u", c, b, t, u);
        return info_alias(&d->info, buf, 64, "scsi%u-%u-%u", c, b, u);
    default:
        return info_alias(&d->info, buf, 64, "%s-disk%d", mv_disk_bus_str(d->bus),
                          qemu_disk_target_index(d->target_dev));
    }
}

const char *qc_controller_alias(const mv_domain_def *def, const mv_domain_controller *c,
                                char buf[64])
{
    int i = c->index;

    switch (c->type) {
    case MV_CONTROLLER_USB:
        return i == 0 ? info_alias(&c->info, buf, 64, "usb")
                      : info_alias(&c->info, buf, 64, "usb%d", i);
    case MV_CONTROLLER_IDE:
        return i == 0 ? info_alias(&c->info, buf, 64, "ide")
                      : info_alias(&c->info, buf, 64, "ide%d", i);
    case MV_CONTROLLER_SATA:
        if (i == 0 && qemu_machine_kind_of(def->os.machine) == QEMU_MACHINE_Q35)
            return info_alias(&c->info, buf, 64, "ide");
        return info_alias(&c->info, buf, 64, "sata%d", i);
    case MV_CONTROLLER_PCI:
        if (i == 0)
            return info_alias(&c->info, buf, 64, "%s", str_eq(c->model, "pcie-root") ? "pcie.0"
                                                                                    : "pci.0");
        return info_alias(&c->info, buf, 64, "pci.%d", i);
    case MV_CONTROLLER_VIRTIO_SERIAL:
        return info_alias(&c->info, buf, 64, "virtio-serial%d", i);
    default:
        return info_alias(&c->info, buf, 64, "%s%d", mv_controller_type_str(c->type), i);
    }
}

/* The id of the n-th device of a kind: prefix + n, unless it has one. */
const char *qc_nth_alias(const mv_domain_device_info *info, const char *prefix, size_t n,
                         char buf[64])
{
    return info_alias(info, buf, 64, "%s%zu", prefix, n);
}

/* ---- aliases for the live XML ---- */

static int set_alias(mv_domain_device_info *info, const char *name)
{
    if (info->alias)
        return 0;
    info->alias = strdup(name);
    return info->alias ? 0 : -ENOMEM;
}

int qemu_command_assign_aliases(mv_domain_def *def)
{
    char buf[64];

    for (size_t i = 0; i < def->ndisks; i++)
        TRY(set_alias(&def->disks[i]->info, qc_disk_alias(def, def->disks[i], buf)));
    for (size_t i = 0; i < def->ncontrollers; i++) {
        mv_domain_controller *c = def->controllers[i];

        /* USB2 companions share their master's bus and have no name */
        if (c->type == MV_CONTROLLER_USB && (c->master_startport >= 0 || str_eq(c->model, "none")))
            continue;
        TRY(set_alias(&c->info, qc_controller_alias(def, c, buf)));
    }
#define NTH(arr, n, prefix) \
    for (size_t i = 0; i < (n); i++) \
        TRY(set_alias(&(arr)[i]->info, qc_nth_alias(&(arr)[i]->info, prefix, i, buf)));
    NTH(def->filesystems, def->nfilesystems, "fs");
    NTH(def->nets, def->nnets, "net");
    NTH(def->serials, def->nserials, "serial");
    NTH(def->parallels, def->nparallels, "parallel");
    NTH(def->channels, def->nchannels, "channel");
    NTH(def->inputs, def->ninputs, "input");
    NTH(def->tpms, def->ntpms, "tpm");
    NTH(def->sounds, def->nsounds, "sound");
    NTH(def->videos, def->nvideos, "video");
    NTH(def->hostdevs, def->nhostdevs, "hostdev");
    NTH(def->redirdevs, def->nredirdevs, "redir");
    NTH(def->watchdogs, def->nwatchdogs, "watchdog");
    NTH(def->rngs, def->nrngs, "rng");
#undef NTH
    for (size_t i = 0; i < def->nconsoles; i++) {
        mv_domain_chr *c = def->consoles[i];

        /* the serial console is the first serial port */
        if (i == 0 && str_eq(c->target.type, "serial") && def->nserials > 0)
            TRY(set_alias(&c->info, def->serials[0]->info.alias ? def->serials[0]->info.alias
                                                                  : "serial0"));
        else
            TRY(set_alias(&c->info, qc_nth_alias(&c->info, "console", i, buf)));
    }
    if (def->memballoon && !str_eq(def->memballoon->model, "none"))
        TRY(set_alias(&def->memballoon->info, qc_nth_alias(&def->memballoon->info, "balloon", 0,
                                                           buf)));
    return 0;
}

/* ---- addresses ---- */

/* "bus":..., ["multifunction":true,] "addr":... of a PCI address. */
void qc_jb_pci_addr(qc_ctx *x, qc_jb *j, const mv_domain_device_info *info)
{
    const mv_domain_address *a = &info->addr;
    const mv_domain_controller *c;
    char buf[64];

    if (a->type != MV_DOMAIN_ADDR_PCI)
        return;
    c = mv_domain_def_find_controller(x->def, MV_CONTROLLER_PCI, (int)a->pci.bus);
    if (c) {
        qc_jb_str(j, "bus", qc_controller_alias(x->def, c, buf));
    } else {
        snprintf(buf, sizeof(buf), "pci.%u", a->pci.bus);
        qc_jb_str(j, "bus", buf);
    }
    if (a->pci.multifunction == MV_TRISTATE_YES)
        qc_jb_bool(j, "multifunction", true);
    else if (a->pci.multifunction == MV_TRISTATE_NO && a->pci.function == 0)
        qc_jb_bool(j, "multifunction", false);
    if (a->pci.function)
        snprintf(buf, sizeof(buf), "0x%x.0x%x", a->pci.slot, a->pci.function);
    else
        snprintf(buf, sizeof(buf), "0x%x", a->pci.slot);
    qc_jb_str(j, "addr", buf);
}

/* "bus":"usb.0","port":"N" of a USB address. */
void qc_jb_usb_addr(qc_ctx *x, qc_jb *j, const mv_domain_device_info *info)
{
    const mv_domain_address *a = &info->addr;
    const mv_domain_controller *c;
    char buf[64], bus[80];

    if (a->type != MV_DOMAIN_ADDR_USB)
        return;
    c = mv_domain_def_find_controller(x->def, MV_CONTROLLER_USB, (int)a->usb.bus);
    snprintf(bus, sizeof(bus), "%s.0", c ? qc_controller_alias(x->def, c, buf) : "usb");
    qc_jb_str(j, "bus", bus);
    if (a->usb.port[0])
        qc_jb_str(j, "port", a->usb.port);
}

/* ---- the top of the command line ---- */

static int build_machine(qc_ctx *x)
{
    const mv_domain_def *def = x->def;
    const mv_domain_os *os = &def->os;
    qc_sb b = { 0 };
    bool smm = def->features.state[MV_FEATURE_SMM] == MV_TRISTATE_YES ||
               (os->loader.present && os->loader.secure == MV_TRISTATE_YES);

    qc_sb_add_opt(&b, os->machine);
    if (x->kind != QEMU_MACHINE_OTHER)
        qc_sb_add(&b, ",usb=off");
    if (def->features.state[MV_FEATURE_VMPORT] != MV_TRISTATE_ABSENT)
        qc_sb_addf(&b, ",vmport=%s",
                   def->features.state[MV_FEATURE_VMPORT] == MV_TRISTATE_YES ? "on" : "off");
    if (smm)
        qc_sb_add(&b, ",smm=on");
    else if (def->features.state[MV_FEATURE_SMM] == MV_TRISTATE_NO)
        qc_sb_add(&b, ",smm=off");
    qc_sb_add(&b, ",dump-guest-core=off,memory-backend=pc.ram");
    if (x->pflash)
        qc_sb_add(&b, ",pflash0=libvirt-pflash0-format");
    if (x->pflash && os->nvram.path)
        qc_sb_add(&b, ",pflash1=libvirt-pflash1-format");
    qc_add_sb(x, "-machine", &b);
    qc_add(x, "-accel");
    if (str_eq(def->virt_type, "kvm") && def->features.kvm[MV_KVM_DIRTY_RING] == MV_TRISTATE_YES &&
        def->features.kvm_dirty_ring_size)
        qc_addf(x, "kvm,dirty-ring-size=%u", def->features.kvm_dirty_ring_size);
    else
        qc_add(x, str_eq(def->virt_type, "kvm") ? "kvm" : "tcg");
    return 0;
}

/* One pflash unit: the file and its format node. */
static void build_pflash(qc_ctx *x, int unit, const char *path, const char *format, bool ro)
{
    char storage[40], fmt[40];
    qc_jb j;

    snprintf(storage, sizeof(storage), "libvirt-pflash%d-storage", unit);
    snprintf(fmt, sizeof(fmt), "libvirt-pflash%d-format", unit);
    qc_jb_begin(&j);
    qc_jb_str(&j, "driver", "file");
    qc_jb_str(&j, "filename", path);
    qc_jb_str(&j, "node-name", storage);
    qc_jb_bool(&j, "auto-read-only", true);
    qc_jb_str(&j, "discard", "unmap");
    qc_add_json(x, "-blockdev", &j);
    qc_jb_begin(&j);
    qc_jb_str(&j, "node-name", fmt);
    qc_jb_bool(&j, "read-only", ro);
    qc_jb_str(&j, "driver", format ? format : "raw");
    qc_jb_str(&j, "file", storage);
    qc_add_json(x, "-blockdev", &j);
}

static int build_firmware(qc_ctx *x)
{
    const mv_domain_os *os = &x->def->os;

    if (str_eq(os->firmware, "efi") && !(os->loader.present && os->loader.path))
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                               "firmware autoselection was not resolved: no <loader> for 'efi'");
    if (!os->loader.present || !os->loader.path || str_eq(os->loader.type, "rom"))
        return 0;
    x->pflash = true;
    build_pflash(x, 0, os->loader.path, os->loader.format, os->loader.readonly != MV_TRISTATE_NO);
    if (os->nvram.path)
        build_pflash(x, 1, os->nvram.path, os->nvram.format, false);
    return 0;
}

static const char *feature_onoff(const char *policy)
{
    return str_eq(policy, "disable") || str_eq(policy, "forbid") ? "off" : "on";
}

static const char *const hyperv_props[MV_HYPERV_LAST] = {
    [MV_HYPERV_RELAXED] = "hv-relaxed", [MV_HYPERV_VAPIC] = "hv-vapic",
    [MV_HYPERV_SPINLOCKS] = "hv-spinlocks", [MV_HYPERV_VPINDEX] = "hv-vpindex",
    [MV_HYPERV_RUNTIME] = "hv-runtime", [MV_HYPERV_SYNIC] = "hv-synic",
    [MV_HYPERV_STIMER] = "hv-stimer", [MV_HYPERV_RESET] = "hv-reset",
    [MV_HYPERV_VENDOR_ID] = "hv-vendor-id", [MV_HYPERV_FREQUENCIES] = "hv-frequencies",
    [MV_HYPERV_REENLIGHTENMENT] = "hv-reenlightenment", [MV_HYPERV_TLBFLUSH] = "hv-tlbflush",
    [MV_HYPERV_IPI] = "hv-ipi", [MV_HYPERV_EVMCS] = "hv-evmcs", [MV_HYPERV_AVIC] = "hv-avic",
};

static void cpu_hyperv(qc_ctx *x, qc_sb *b)
{
    const mv_domain_features *f = &x->def->features;

    if (f->state[MV_FEATURE_HYPERV] != MV_TRISTATE_YES)
        return;
    if (str_eq(f->hyperv_mode, "passthrough")) {
        qc_sb_add(b, ",hv-passthrough=on");
        return;
    }
    for (int i = 0; i < MV_HYPERV_LAST; i++) {
        if (f->hyperv[i] != MV_TRISTATE_YES)
            continue;
        if (i == MV_HYPERV_SPINLOCKS)
            qc_sb_addf(b, ",hv-spinlocks=0x%x", f->hyperv_spinlocks_retries);
        else if (i == MV_HYPERV_VENDOR_ID && f->hyperv_vendor_id)
            qc_sb_addf(b, ",hv-vendor-id=%s", f->hyperv_vendor_id);
        else if (i != MV_HYPERV_VENDOR_ID)
            qc_sb_addf(b, ",%s=on", hyperv_props[i]);
        if (i == MV_HYPERV_STIMER && f->hyperv_stimer_direct == MV_TRISTATE_YES)
            qc_sb_add(b, ",hv-stimer-direct=on");
    }
}

static int build_cpu(qc_ctx *x)
{
    const mv_domain_def *def = x->def;
    const mv_domain_cpu *cpu = &def->cpu;
    const mv_domain_features *f = &def->features;
    bool kvm = str_eq(def->virt_type, "kvm");
    qc_sb b = { 0 };

    if (!cpu->present && f->state[MV_FEATURE_HYPERV] != MV_TRISTATE_YES)
        return 0;
    switch (cpu->mode) {
    case MV_CPU_MODE_HOST_PASSTHROUGH:
        qc_sb_add(&b, "host");
        break;
    case MV_CPU_MODE_HOST_MODEL:
        qc_sb_add(&b, kvm ? "host" : "max");
        break;
    case MV_CPU_MODE_MAXIMUM:
        qc_sb_add(&b, "max");
        break;
    case MV_CPU_MODE_CUSTOM:
        qc_sb_add_opt(&b, cpu->model ? cpu->model : "qemu64");
        break;
    }
    if (cpu->mode == MV_CPU_MODE_HOST_PASSTHROUGH || cpu->mode == MV_CPU_MODE_MAXIMUM) {
        if (cpu->migratable != MV_TRISTATE_ABSENT)
            qc_sb_addf(&b, ",migratable=%s", cpu->migratable == MV_TRISTATE_YES ? "on" : "off");
    }
    for (size_t i = 0; i < cpu->nfeatures; i++)
        qc_sb_addf(&b, ",%s=%s", cpu->features[i].name, feature_onoff(cpu->features[i].policy));
    for (size_t i = 0; i < def->clock.ntimers; i++) {
        const mv_domain_timer *t = &def->clock.timers[i];

        if (str_eq(t->name, "kvmclock") && t->present != MV_TRISTATE_ABSENT)
            qc_sb_addf(&b, ",kvmclock=%s", t->present == MV_TRISTATE_YES ? "on" : "off");
        else if (str_eq(t->name, "hypervclock") && t->present == MV_TRISTATE_YES)
            qc_sb_add(&b, ",hv-time=on");
    }
    if (f->apic_eoi != MV_TRISTATE_ABSENT)
        qc_sb_addf(&b, ",kvm-pv-eoi=%s", f->apic_eoi == MV_TRISTATE_YES ? "on" : "off");
    if (f->state[MV_FEATURE_PVSPINLOCK] != MV_TRISTATE_ABSENT)
        qc_sb_addf(&b, ",kvm-pv-unhalt=%s",
                   f->state[MV_FEATURE_PVSPINLOCK] == MV_TRISTATE_YES ? "on" : "off");
    cpu_hyperv(x, &b);
    if (f->state[MV_FEATURE_KVM] == MV_TRISTATE_YES) {
        if (f->kvm[MV_KVM_HIDDEN] == MV_TRISTATE_YES)
            qc_sb_add(&b, ",kvm=off");
        if (f->kvm[MV_KVM_HINT_DEDICATED] == MV_TRISTATE_YES)
            qc_sb_add(&b, ",kvm-hint-dedicated=on");
        if (f->kvm[MV_KVM_POLL_CONTROL] == MV_TRISTATE_YES)
            qc_sb_add(&b, ",kvm-poll-control=on");
        if (f->kvm[MV_KVM_PV_IPI] == MV_TRISTATE_NO)
            qc_sb_add(&b, ",kvm-pv-ipi=off");
    }
    if (f->state[MV_FEATURE_PMU] != MV_TRISTATE_ABSENT)
        qc_sb_addf(&b, ",pmu=%s", f->state[MV_FEATURE_PMU] == MV_TRISTATE_YES ? "on" : "off");
    qc_add_sb(x, "-cpu", &b);
    if (x->pflash && def->os.loader.secure == MV_TRISTATE_YES) {
        qc_add(x, "-global");
        qc_add(x, "driver=cfi.pflash01,property=secure,value=on");
    }
    if (def->os.loader.present && def->os.loader.path && str_eq(def->os.loader.type, "rom")) {
        qc_add(x, "-bios");
        qc_add(x, def->os.loader.path);
    }
    return 0;
}

static void build_memory(qc_ctx *x)
{
    const mv_domain_def *def = x->def;
    unsigned long long mib = (def->memory_kib + 1023) / 1024;
    qc_jb j;

    qc_add(x, "-m");
    if (def->max_memory_kib)
        qc_addf(x, "size=%lluk,slots=%u,maxmem=%lluk", mib * 1024, def->max_memory_slots,
                def->max_memory_kib);
    else
        qc_addf(x, "%llu", mib);
    qc_jb_begin(&j);
    qc_jb_str(&j, "qom-type", "memory-backend-ram");
    qc_jb_str(&j, "id", "pc.ram");
    qc_jb_int(&j, "size", (long long)(mib * 1024 * 1024));
    qc_add_json(x, "-object", &j);
    qc_add(x, "-overcommit");
    qc_add(x, "mem-lock=off");
}

static void build_smp(qc_ctx *x)
{
    const mv_domain_def *def = x->def;
    const mv_domain_cpu *cpu = &def->cpu;
    qc_sb b = { 0 };

    qc_sb_addf(&b, "%u", def->vcpus_current ? def->vcpus_current : def->vcpus);
    if (def->vcpus_current && def->vcpus_current != def->vcpus)
        qc_sb_addf(&b, ",maxcpus=%u", def->vcpus);
    if (cpu->has_topology) {
        qc_sb_addf(&b, ",sockets=%u", cpu->sockets);
        if (cpu->dies)
            qc_sb_addf(&b, ",dies=%u", cpu->dies);
        if (cpu->clusters)
            qc_sb_addf(&b, ",clusters=%u", cpu->clusters);
        qc_sb_addf(&b, ",cores=%u,threads=%u", cpu->cores, cpu->threads);
    } else {
        qc_sb_addf(&b, ",sockets=%u,cores=1,threads=1", def->vcpus);
    }
    qc_add_sb(x, "-smp", &b);
}

static void build_monitor(qc_ctx *x)
{
    qc_sb b = { 0 };

    qc_sb_add(&b, "socket,id=charmonitor,");
    if (x->opts->monitor_path) {
        qc_sb_add(&b, "path=");
        qc_sb_add_opt(&b, x->opts->monitor_path);
    } else {
        qc_sb_addf(&b, "fd=%d", x->opts->monitor_fd);
    }
    qc_sb_add(&b, ",server=on,wait=off");
    qc_add_sb(x, "-chardev", &b);
    qc_add(x, "-mon");
    qc_add(x, "chardev=charmonitor,id=monitor,mode=control");
}

static const mv_domain_timer *find_timer(const mv_domain_def *def, const char *name)
{
    for (size_t i = 0; i < def->clock.ntimers; i++)
        if (str_eq(def->clock.timers[i].name, name))
            return &def->clock.timers[i];
    return NULL;
}

static void build_clock(qc_ctx *x)
{
    const mv_domain_clock *clk = &x->def->clock;
    const mv_domain_timer *t;
    qc_sb b = { 0 };
    bool fixed = str_eq(clk->offset, "variable") || str_eq(clk->offset, "absolute") ||
                 (clk->has_adjustment && !clk->adjustment_reset);

    if (fixed) {
        long long now = x->opts->now ? x->opts->now : (long long)time(NULL);
        time_t when;
        struct tm tm;
        char date[64];

        if (str_eq(clk->offset, "absolute")) {
            when = (time_t)clk->start;
        } else {
            when = (time_t)(now + clk->adjustment);
            if (str_eq(clk->offset, "localtime") || str_eq(clk->basis, "localtime")) {
                struct tm lt;

                localtime_r(&when, &lt);
                when += lt.tm_gmtoff;
            }
        }
        gmtime_r(&when, &tm);
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
        qc_sb_addf(&b, "base=%s", date);
    } else if (str_eq(clk->offset, "localtime") || str_eq(clk->offset, "timezone")) {
        qc_sb_add(&b, "base=localtime");
    } else {
        qc_sb_add(&b, "base=utc");
    }
    t = find_timer(x->def, "rtc");
    if (t && str_eq(t->tickpolicy, "catchup"))
        qc_sb_add(&b, ",driftfix=slew");
    if (t && str_eq(t->track, "guest"))
        qc_sb_add(&b, ",clock=vm");
    qc_add_sb(x, "-rtc", &b);
    t = find_timer(x->def, "pit");
    if (t && t->tickpolicy) {
        qc_add(x, "-global");
        qc_addf(x, "kvm-pit.lost_tick_policy=%s",
                str_eq(t->tickpolicy, "catchup") ? "slew" : t->tickpolicy);
    }
    t = find_timer(x->def, "hpet");
    if (t && t->present == MV_TRISTATE_NO)
        qc_add(x, "-no-hpet");
}

static void build_pm_boot(qc_ctx *x)
{
    const mv_domain_def *def = x->def;
    const mv_domain_os *os = &def->os;
    const char *pm = x->kind == QEMU_MACHINE_Q35 ? "ICH9-LPC" : "PIIX4_PM";
    qc_sb b = { 0 };

    qc_add(x, "-no-shutdown");
    if (x->kind != QEMU_MACHINE_OTHER && def->pm_suspend_to_mem != MV_TRISTATE_ABSENT) {
        qc_add(x, "-global");
        qc_addf(x, "%s.disable_s3=%d", pm, def->pm_suspend_to_mem == MV_TRISTATE_NO);
    }
    if (x->kind != QEMU_MACHINE_OTHER && def->pm_suspend_to_disk != MV_TRISTATE_ABSENT) {
        qc_add(x, "-global");
        qc_addf(x, "%s.disable_s4=%d", pm, def->pm_suspend_to_disk == MV_TRISTATE_NO);
    }
    if (x->kind != QEMU_MACHINE_OTHER && def->features.state[MV_FEATURE_ACPI] != MV_TRISTATE_YES)
        qc_add(x, "-no-acpi");
    if (os->bootmenu == MV_TRISTATE_YES) {
        qc_sb_add(&b, "menu=on,");
        if (os->bootmenu_timeout >= 0)
            qc_sb_addf(&b, "splash-time=%d,", os->bootmenu_timeout);
    } else if (os->bootmenu == MV_TRISTATE_NO) {
        qc_sb_add(&b, "menu=off,");
    }
    if (os->bios_reboot_timeout != -2)
        qc_sb_addf(&b, "reboot-timeout=%d,", os->bios_reboot_timeout);
    qc_sb_add(&b, "strict=on");
    qc_add_sb(x, "-boot", &b);
    if (os->kernel) {
        qc_add(x, "-kernel");
        qc_add(x, os->kernel);
    }
    if (os->initrd) {
        qc_add(x, "-initrd");
        qc_add(x, os->initrd);
    }
    if (os->cmdline) {
        qc_add(x, "-append");
        qc_add(x, os->cmdline);
    }
    if (os->dtb) {
        qc_add(x, "-dtb");
        qc_add(x, os->dtb);
    }
}

/* bootindex of the first disk, cdrom, floppy and interface from <os><boot>. */
static void boot_order_from_os(qc_ctx *x)
{
    const mv_domain_os *os = &x->def->os;

    for (size_t i = 0; i < os->nboot_devs; i++) {
        unsigned idx = (unsigned)i + 1;

        if (str_eq(os->boot_devs[i], "hd"))
            x->boot_disk = idx;
        else if (str_eq(os->boot_devs[i], "cdrom"))
            x->boot_cdrom = idx;
        else if (str_eq(os->boot_devs[i], "fd"))
            x->boot_floppy = idx;
        else if (str_eq(os->boot_devs[i], "network"))
            x->boot_net = idx;
    }
}

static void build_master_key(qc_ctx *x)
{
    if (x->opts->master_key_path) {
        qc_jb j;

        qc_jb_begin(&j);
        qc_jb_str(&j, "qom-type", "secret");
        qc_jb_str(&j, "id", "masterKey0");
        qc_jb_str(&j, "format", "raw");
        qc_jb_str(&j, "file", x->opts->master_key_path);
        qc_add_json(x, "-object", &j);
    }
}

int qemu_command_build(const mv_domain_def *def, const qemu_command_opts *opts, char ***ret_argv)
{
    qc_ctx x = { .def = def, .opts = opts, .kind = qemu_machine_kind_of(def->os.machine) };
    qc_sb name = { 0 };
    char uuid[MV_UUID_STRLEN];
    int r;

    if (!def->emulator || !def->os.machine)
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                               "the definition lacks QEMU's defaults (emulator, machine)");
    if (!opts->monitor_path && opts->monitor_fd < 0)
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                               "no QMP monitor socket given");
    boot_order_from_os(&x);
    qc_add(&x, def->emulator);
    qc_add(&x, "-name");
    qc_sb_add(&name, "guest=");
    qc_sb_add_opt(&name, def->name);
    qc_sb_add(&name, ",debug-threads=on");
    cmd_take(&x, qc_sb_take(&name));
    if (opts->start_paused)
        qc_add(&x, "-S");
    build_master_key(&x);
    if ((r = build_firmware(&x)) < 0 || (r = build_machine(&x)) < 0 || (r = build_cpu(&x)) < 0)
        goto fail;
    build_memory(&x);
    build_smp(&x);
    mv_uuid_format(def->uuid, uuid);
    qc_add(&x, "-uuid");
    qc_add(&x, uuid);
    if (def->ngraphics == 0) {
        qc_add(&x, "-display");
        qc_add(&x, "none");
    }
    qc_add(&x, "-no-user-config");
    qc_add(&x, "-nodefaults");
    build_monitor(&x);
    build_clock(&x);
    build_pm_boot(&x);
    if ((r = qc_build_devices(&x)) < 0)
        goto fail;
    qc_add(&x, "-sandbox");
    qc_add(&x, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
    qc_add(&x, "-msg");
    qc_add(&x, "timestamp=on");
    if (x.err < 0) {
        r = x.err;
        goto fail;
    }
    *ret_argv = x.argv;
    return 0;
fail:
    qemu_command_free(x.argv);
    return r;
}

/* ---- environment and printing ---- */

int qemu_command_build_env(const char *home_dir, char ***ret_env)
{
    const char *path = getenv("PATH");
    char **env = calloc(7, sizeof(*env));
    int n = 0;

    if (!env)
        return -ENOMEM;
    if (!(env[n++] = strdup("LC_ALL=C")) ||
        asprintf(&env[n++], "PATH=%s", path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0 ||
        asprintf(&env[n++], "HOME=%s", home_dir) < 0 ||
        asprintf(&env[n++], "XDG_DATA_HOME=%s/.local/share", home_dir) < 0 ||
        asprintf(&env[n++], "XDG_CACHE_HOME=%s/.cache", home_dir) < 0 ||
        asprintf(&env[n++], "XDG_CONFIG_HOME=%s/.config", home_dir) < 0) {
        env[n - 1] = NULL;
        qemu_command_free(env);
        return -ENOMEM;
    }
    *ret_env = env;
    return 0;
}

int qemu_command_to_string(char *const *argv, char **ret)
{
    qc_sb b = { 0 };
    char *s;

    for (size_t i = 0; argv && argv[i]; i++) {
        const char *w = argv[i];

        if (i)
            qc_sb_add(&b, " ");
        if (*w && !strpbrk(w, "\r\t\n !\"#$&'()*;<>?[\\]^`{|}~")) {
            qc_sb_add(&b, w);
            continue;
        }
        qc_sb_add(&b, "'");
        for (const char *p = w; *p; p++) {
            if (*p == '\'')
                qc_sb_add(&b, "'\\''");
            else
                qc_sb_addn(&b, p, 1);
        }
        qc_sb_add(&b, "'");
    }
    s = qc_sb_take(&b);
    if (!s)
        return -ENOMEM;
    *ret = s;
    return 0;
}
