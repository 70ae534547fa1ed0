/*
 * PCI, USB and virtio-serial addresses of QEMU domains, numbered the way
 * libvirtd numbers them (see qemu_domain_address.h for the rules).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "qemu_domain_address.h"

#define MAX_PCI_BUSES 256

typedef enum {
    PB_NONE = 0,
    PB_PCI_ROOT,
    PB_PCIE_ROOT,
    PB_ROOT_PORT,
    PB_PCIE_PCI_BRIDGE,
    PB_PCI_BRIDGE,
    PB_DMI_BRIDGE,
    PB_UPSTREAM,
    PB_DOWNSTREAM,
    PB_PCI_EXPANDER,
    PB_PCIE_EXPANDER,
} pbus_model;

/* What a device plugs into. */
typedef enum {
    PC_NONE = 0,
    PC_PCI,             /* conventional PCI endpoint: a slot of a PCI bus */
    PC_PCIE,            /* PCI Express endpoint: slot 0 of a root/downstream port */
    PC_ROOT_PORT,       /* pcie-root-port: a function of a pcie-root slot */
    PC_PCIE_PORT_DEV,   /* pcie-to-pci-bridge, upstream port: like PC_PCIE */
    PC_PCI_BRIDGE,      /* pci-bridge, pci-expander-bus: like PC_PCI */
    PC_PCIE_ROOT_DEV,   /* dmi-to-pci-bridge, pcie-expander-bus: a pcie-root slot */
} pconn;

typedef struct pbus {
    pbus_model model;
    unsigned char used[32];     /* functions in use, one bit each, per slot */
    bool aggregate[32];         /* slot filled function by function with root ports */
} pbus;

typedef struct pset {
    pbus *buses;
    size_t nbuses;
    qemu_machine_kind kind;
    unsigned last_bus, last_slot;
    bool dry;                   /* first pass: add buses instead of failing */
} pset;

static void pset_done(pset *s)
{
    free(s->buses);
    s->buses = NULL;
}

static const struct {
    const char *model;
    pbus_model bus;
    const char *model_name;     /* <model name=...> libvirt fills in */
} pci_models[] = {
    { "pci-root", PB_PCI_ROOT, NULL },
    { "pcie-root", PB_PCIE_ROOT, NULL },
    { "pcie-root-port", PB_ROOT_PORT, "pcie-root-port" },
    { "pcie-to-pci-bridge", PB_PCIE_PCI_BRIDGE, "pcie-pci-bridge" },
    { "pci-bridge", PB_PCI_BRIDGE, "pci-bridge" },
    { "dmi-to-pci-bridge", PB_DMI_BRIDGE, "i82801b11-bridge" },
    { "pcie-switch-upstream-port", PB_UPSTREAM, "x3130-upstream" },
    { "pcie-switch-downstream-port", PB_DOWNSTREAM, "xio3130-downstream" },
    { "pci-expander-bus", PB_PCI_EXPANDER, "pxb" },
    { "pcie-expander-bus", PB_PCIE_EXPANDER, "pxb-pcie" },
};

static pbus_model pci_model_bus(const char *model)
{
    for (size_t i = 0; model && i < ELEMENTSOF(pci_models); i++)
        if (strcmp(pci_models[i].model, model) == 0)
            return pci_models[i].bus;
    return PB_NONE;
}

static const char *pci_model_str(pbus_model m)
{
    for (size_t i = 0; i < ELEMENTSOF(pci_models); i++)
        if (pci_models[i].bus == m)
            return pci_models[i].model;
    return NULL;
}

static const char *pci_model_name(const char *model)
{
    for (size_t i = 0; model && i < ELEMENTSOF(pci_models); i++)
        if (strcmp(pci_models[i].model, model) == 0)
            return pci_models[i].model_name;
    return NULL;
}

/* Whether bus model m takes a device connecting as c, and in which slots. */
static bool bus_accepts(pbus_model m, pconn c, unsigned *min, unsigned *max)
{
    *min = 1;
    *max = 31;
    switch (m) {
    case PB_PCI_ROOT:
    case PB_PCI_BRIDGE:
    case PB_PCIE_PCI_BRIDGE:
    case PB_DMI_BRIDGE:
    case PB_PCI_EXPANDER:
        if (m == PB_PCI_EXPANDER)
            *min = 0;
        return c == PC_PCI || c == PC_PCI_BRIDGE;
    case PB_PCIE_ROOT:
        return c == PC_ROOT_PORT || c == PC_PCIE_ROOT_DEV;
    case PB_ROOT_PORT:
    case PB_DOWNSTREAM:
        *min = *max = 0;
        return c == PC_PCIE || c == PC_PCIE_PORT_DEV;
    case PB_PCIE_EXPANDER:
        *min = 0;
        return c == PC_ROOT_PORT;
    case PB_UPSTREAM:
        *min = 0;
        return false;
    case PB_NONE:
        break;
    }
    return false;
}

static void addr_str(char buf[32], unsigned bus, unsigned slot, unsigned fn)
{
    snprintf(buf, 32, "0000:%02x:%02x.%x", bus & 0xff, slot & 0x1f, fn & 7);
}

/* ---- walking every device's info ---- */

typedef int (*info_fn)(mv_domain_device_info *info, void *opaque);

#define EACH(arr, n)                                            \
    for (size_t i = 0; i < (n); i++) {                          \
        int r_ = fn(&(arr)[i]->info, opaque);                   \
        if (r_ < 0)                                             \
            return r_;                                          \
    }

static int foreach_info(mv_domain_def *def, info_fn fn, void *opaque)
{
    EACH(def->disks, def->ndisks);
    EACH(def->controllers, def->ncontrollers);
    EACH(def->filesystems, def->nfilesystems);
    EACH(def->nets, def->nnets);
    EACH(def->serials, def->nserials);
    EACH(def->parallels, def->nparallels);
    EACH(def->channels, def->nchannels);
    EACH(def->inputs, def->ninputs);
    EACH(def->tpms, def->ntpms);
    EACH(def->sounds, def->nsounds);
    EACH(def->videos, def->nvideos);
    EACH(def->hostdevs, def->nhostdevs);
    EACH(def->redirdevs, def->nredirdevs);
    EACH(def->watchdogs, def->nwatchdogs);
    EACH(def->rngs, def->nrngs);
    if (def->memballoon) {
        int r = fn(&def->memballoon->info, opaque);
        if (r < 0)
            return r;
    }
    return 0;
}

#undef EACH

/* ---- the bus set ---- */

static int pset_add_bus(pset *s, pbus_model m)
{
    pbus *n;

    if (s->nbuses >= MAX_PCI_BUSES)
        return mv_error_report(-ENOSPC, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                               "No more available PCI slots");
    n = realloc(s->buses, (s->nbuses + 1) * sizeof(*n));
    if (!n)
        return -ENOMEM;
    s->buses = n;
    memset(&n[s->nbuses], 0, sizeof(*n));
    n[s->nbuses].model = m;
    s->nbuses++;
    return 0;
}

static void pset_mark(pset *s, unsigned bus, unsigned slot, unsigned fn, pconn c)
{
    s->buses[bus].used[slot] |= (unsigned char)(1u << fn);
    if (c == PC_ROOT_PORT)
        s->buses[bus].aggregate[slot] = true;
}

/* Reserve an address a device already has. */
static int pset_reserve(pset *s, const mv_domain_address *a, pconn c)
{
    unsigned bus = a->pci.bus, slot = a->pci.slot, fn = a->pci.function;
    unsigned min, max;
    char buf[32];

    addr_str(buf, bus, slot, fn);
    if (a->pci.domain != 0 || bus >= s->nbuses || slot > 31 || fn > 7)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "Invalid PCI address %s. Only PCI buses up to %zu are available",
                               buf, s->nbuses ? s->nbuses - 1 : 0);
    bus_accepts(s->buses[bus].model, PC_PCI, &min, &max);
    if (s->buses[bus].model != PB_PCIE_ROOT && slot > max)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "Invalid PCI address %s. slot must be <= %u", buf, max);
    if (s->buses[bus].used[slot] & (1u << fn))
        return mv_error_report(-EEXIST, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "Attempted double use of PCI Address %s", buf);
    pset_mark(s, bus, slot, fn, c);
    return 0;
}

/* Take slot.fn of bus 0 for a fixed function of the machine. */
static int pset_reserve_fixed(pset *s, unsigned slot, unsigned fn)
{
    mv_domain_address a = { .type = MV_DOMAIN_ADDR_PCI, .pci = { .slot = slot, .function = fn } };

    return pset_reserve(s, &a, PC_NONE);
}

/* Add what pass one found missing: pcie-root-ports and bridges. */
static int pset_grow(pset *s, pconn c, unsigned *ret_bus, unsigned *ret_slot)
{
    int r;

    if (s->kind == QEMU_MACHINE_Q35 && (c == PC_PCIE || c == PC_PCIE_PORT_DEV)) {
        r = pset_add_bus(s, PB_ROOT_PORT);
        if (r < 0)
            return r;
        *ret_bus = s->nbuses - 1;
        *ret_slot = 0;
        return 0;
    }
    if (s->kind == QEMU_MACHINE_Q35 && (c == PC_PCI || c == PC_PCI_BRIDGE)) {
        size_t port = s->nbuses;

        /* a pcie-to-pci-bridge, in a free root port or in a new one */
        for (size_t i = 0; i < s->nbuses; i++)
            if (s->buses[i].model == PB_ROOT_PORT && !s->buses[i].used[0]) {
                port = i;
                break;
            }
        if (port == s->nbuses && (r = pset_add_bus(s, PB_ROOT_PORT)) < 0)
            return r;
        s->buses[port].used[0] |= 1;
        r = pset_add_bus(s, PB_PCIE_PCI_BRIDGE);
        if (r < 0)
            return r;
        *ret_bus = s->nbuses - 1;
        *ret_slot = 1;
        return 0;
    }
    if (s->kind == QEMU_MACHINE_I440FX && (c == PC_PCI || c == PC_PCI_BRIDGE)) {
        r = pset_add_bus(s, PB_PCI_BRIDGE);
        if (r < 0)
            return r;
        *ret_bus = s->nbuses - 1;
        *ret_slot = 1;
        return 0;
    }
    return mv_error_report(-ENOSPC, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                           "No more available PCI slots");
}

static bool slot_free(const pset *s, unsigned b, unsigned sl, pconn c)
{
    unsigned min, max;

    return bus_accepts(s->buses[b].model, c, &min, &max) && sl >= min && sl <= max &&
           !s->buses[b].used[sl];
}

/* The next free address for a device connecting as c, searching on from
 * the last one handed out, then from the start; pass one adds a bus when
 * nothing is free. */
static int pset_next(pset *s, pconn c, mv_domain_address *ret)
{
    unsigned bus = 0, slot = 0, fn = 0;
    bool found = false;
    int r;

    if (s->nbuses == 0)
        return mv_error_report(-ENODEV, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "No PCI buses available");
    if (c == PC_ROOT_PORT)
        for (unsigned b = 0; !found && b < s->nbuses; b++)
            for (unsigned sl = 0; !found && sl < 32; sl++)
                if (s->buses[b].aggregate[sl] && s->buses[b].used[sl] != 0xff) {
                    unsigned char u = s->buses[b].used[sl];

                    bus = b;
                    slot = sl;
                    for (fn = 0; u & (1u << fn); fn++)
                        ;
                    found = true;
                }
    for (unsigned b = s->last_bus, sl = s->last_slot + 1; !found && b < s->nbuses; b++, sl = 0)
        for (; !found && sl < 32; sl++)
            if (slot_free(s, b, sl, c)) {
                bus = b;
                slot = sl;
                found = true;
            }
    for (unsigned b = 0; !found && b <= s->last_bus && b < s->nbuses; b++)
        for (unsigned sl = 0; !found && sl < 32; sl++)
            if (slot_free(s, b, sl, c)) {
                bus = b;
                slot = sl;
                found = true;
            }
    if (!found) {
        if (!s->dry)
            return mv_error_report(-ENOSPC, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                                   "No more available PCI slots");
        r = pset_grow(s, c, &bus, &slot);
        if (r < 0)
            return r;
    }
    pset_mark(s, bus, slot, fn, c);
    s->last_bus = bus;
    s->last_slot = slot;
    *ret = (mv_domain_address){ .type = MV_DOMAIN_ADDR_PCI,
                                .pci = { .bus = bus, .slot = slot, .function = fn } };
    return 0;
}

/* ---- what connects how ---- */

static pconn endpoint(qemu_machine_kind kind, bool pcie)
{
    return kind == QEMU_MACHINE_Q35 && pcie ? PC_PCIE : PC_PCI;
}

static pconn pci_controller_conn(const char *model)
{
    switch (pci_model_bus(model)) {
    case PB_ROOT_PORT:
        return PC_ROOT_PORT;
    case PB_PCIE_PCI_BRIDGE:
    case PB_UPSTREAM:
    case PB_DOWNSTREAM:
        return PC_PCIE_PORT_DEV;
    case PB_PCI_BRIDGE:
    case PB_PCI_EXPANDER:
        return PC_PCI_BRIDGE;
    case PB_DMI_BRIDGE:
    case PB_PCIE_EXPANDER:
        return PC_PCIE_ROOT_DEV;
    default:
        return PC_NONE;
    }
}

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool is_usb2_companion_model(const char *model)
{
    return str_eq(model, "ich9-ehci1") || str_eq(model, "ich9-uhci1") ||
           str_eq(model, "ich9-uhci2") || str_eq(model, "ich9-uhci3");
}

static unsigned usb2_function(const char *model)
{
    if (str_eq(model, "ich9-uhci1"))
        return 0;
    if (str_eq(model, "ich9-uhci2"))
        return 1;
    if (str_eq(model, "ich9-uhci3"))
        return 2;
    return 7;
}

static pconn controller_conn(qemu_machine_kind kind, const mv_domain_controller *c)
{
    switch (c->type) {
    case MV_CONTROLLER_SCSI:
        if (str_eq(c->model, "virtio-scsi") || str_eq(c->model, "virtio-non-transitional"))
            return endpoint(kind, true);
        return PC_PCI;
    case MV_CONTROLLER_USB:
        if (str_eq(c->model, "none"))
            return PC_NONE;
        if (str_eq(c->model, "qemu-xhci") || str_eq(c->model, "nec-xhci"))
            return endpoint(kind, true);
        return PC_PCI;
    case MV_CONTROLLER_VIRTIO_SERIAL:
        return endpoint(kind, qemu_virtio_model_is_pcie(c->model));
    case MV_CONTROLLER_SATA:
        return PC_PCI;
    case MV_CONTROLLER_IDE:
        return kind == QEMU_MACHINE_I440FX && c->index == 0 ? PC_NONE : PC_PCI;
    default:
        return PC_NONE;
    }
}

static pconn net_conn(qemu_machine_kind kind, const mv_domain_net *n)
{
    const char *m = n->model;

    if (m && strncmp(m, "virtio", 6) == 0)
        return endpoint(kind, qemu_virtio_model_is_pcie(m));
    return endpoint(kind, str_eq(m, "e1000e") || str_eq(m, "vmxnet3"));
}

static pconn video_conn(qemu_machine_kind kind, const mv_domain_video *v)
{
    if (!v->model || str_eq(v->model, "none") || str_eq(v->model, "ramfb"))
        return PC_NONE;
    return endpoint(kind, str_eq(v->model, "virtio"));
}

static pconn sound_conn(const mv_domain_sound *snd)
{
    if (!snd->model || str_eq(snd->model, "usb") || str_eq(snd->model, "pcspk") ||
        str_eq(snd->model, "sb16"))
        return PC_NONE;
    return PC_PCI;
}

/* ---- the device list, in libvirtd's order ---- */

typedef struct pitem {
    mv_domain_device_info *info;
    pconn conn;
    const mv_domain_controller *usb2;   /* ICH9 USB2 controller: shares a slot */
} pitem;

typedef struct plist {
    pitem *items;
    size_t n, cap;
} plist;

static int plist_add(plist *l, mv_domain_device_info *info, pconn c)
{
    if (c == PC_NONE || info->addr.type != MV_DOMAIN_ADDR_NONE)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        pitem *n = realloc(l->items, cap * sizeof(*n));

        if (!n)
            return -ENOMEM;
        l->items = n;
        l->cap = cap;
    }
    l->items[l->n++] = (pitem){ .info = info, .conn = c };
    return 0;
}

#define TRY(x) do { int r_ = (x); if (r_ < 0) return r_; } while (0)

static int plist_build(mv_domain_def *def, qemu_machine_kind kind, plist *l)
{
    for (size_t i = 0; i < def->ncontrollers; i++) {
        mv_domain_controller *c = def->controllers[i];

        if (c->type == MV_CONTROLLER_PCI)
            TRY(plist_add(l, &c->info, pci_controller_conn(c->model)));
    }
    for (size_t i = 0; i < def->nfilesystems; i++)
        TRY(plist_add(l, &def->filesystems[i]->info, endpoint(kind, true)));
    for (size_t i = 0; i < def->nnets; i++)
        TRY(plist_add(l, &def->nets[i]->info, net_conn(kind, def->nets[i])));
    for (size_t i = 0; i < def->nsounds; i++)
        TRY(plist_add(l, &def->sounds[i]->info, sound_conn(def->sounds[i])));
    for (size_t i = 0; i < def->ncontrollers; i++) {
        mv_domain_controller *c = def->controllers[i];
        size_t before = l->n;

        if (c->type == MV_CONTROLLER_PCI)
            continue;
        TRY(plist_add(l, &c->info, controller_conn(kind, c)));
        if (l->n > before && c->type == MV_CONTROLLER_USB && is_usb2_companion_model(c->model))
            l->items[l->n - 1].usb2 = c;
    }
    for (size_t i = 0; i < def->ndisks; i++) {
        mv_domain_disk *d = def->disks[i];

        if (d->bus == MV_DISK_BUS_VIRTIO)
            TRY(plist_add(l, &d->info, endpoint(kind, true)));
    }
    for (size_t i = 0; i < def->nhostdevs; i++) {
        mv_domain_hostdev *h = def->hostdevs[i];

        if (h->type == MV_HOSTDEV_PCI || h->type == MV_HOSTDEV_MDEV)
            TRY(plist_add(l, &h->info, endpoint(kind, true)));
    }
    if (def->memballoon && def->memballoon->model && strncmp(def->memballoon->model, "virtio", 6) == 0)
        TRY(plist_add(l, &def->memballoon->info,
                      endpoint(kind, qemu_virtio_model_is_pcie(def->memballoon->model))));
    for (size_t i = 0; i < def->nrngs; i++)
        TRY(plist_add(l, &def->rngs[i]->info,
                      endpoint(kind, qemu_virtio_model_is_pcie(def->rngs[i]->model))));
    for (size_t i = 0; i < def->nwatchdogs; i++)
        if (str_eq(def->watchdogs[i]->model, "i6300esb"))
            TRY(plist_add(l, &def->watchdogs[i]->info, PC_PCI));
    for (size_t i = 0; i < def->nvideos; i++)
        TRY(plist_add(l, &def->videos[i]->info, video_conn(kind, def->videos[i])));
    for (size_t i = 0; i < def->ninputs; i++)
        if (def->inputs[i]->bus == MV_INPUT_BUS_VIRTIO)
            TRY(plist_add(l, &def->inputs[i]->info,
                          endpoint(kind, qemu_virtio_model_is_pcie(def->inputs[i]->model))));
    for (size_t i = 0; i < def->nserials; i++)
        if (str_eq(def->serials[i]->target.type, "pci-serial"))
            TRY(plist_add(l, &def->serials[i]->info, PC_PCI));
    return 0;
}

/* ---- passes ---- */

static int reserve_cb(mv_domain_device_info *info, void *opaque)
{
    return info->addr.type == MV_DOMAIN_ADDR_PCI ? pset_reserve(opaque, &info->addr, PC_NONE) : 0;
}

/* The bus set of def as it stands: one bus per PCI controller index, every
 * PCI address in use reserved. */
static int pset_init(pset *s, mv_domain_def *def, qemu_machine_kind kind, bool dry)
{
    *s = (pset){ .kind = kind, .dry = dry };
    for (int idx = 0;; idx++) {
        mv_domain_controller *c = mv_domain_def_find_controller(def, MV_CONTROLLER_PCI, idx);

        if (!c)
            break;
        TRY(pset_add_bus(s, pci_model_bus(c->model)));
    }
    /* root ports placed by hand still fill their slot function by function */
    for (size_t i = 0; i < def->ncontrollers; i++) {
        mv_domain_controller *c = def->controllers[i];
        const mv_domain_address *a = &c->info.addr;

        if (c->type == MV_CONTROLLER_PCI && a->type == MV_DOMAIN_ADDR_PCI &&
            pci_model_bus(c->model) == PB_ROOT_PORT && a->pci.bus < s->nbuses && a->pci.slot < 32)
            s->buses[a->pci.bus].aggregate[a->pci.slot] = true;
    }
    TRY(foreach_info(def, reserve_cb, s));
    /* functions of the chipset no device of def stands for */
    if (kind == QEMU_MACHINE_I440FX && s->nbuses > 0) {
        /* PIIX3: ISA bridge 1.0, (IDE 1.1, UHCI 1.2,) ACPI 1.3 */
        TRY(pset_reserve_fixed(s, 1, 0));
        TRY(pset_reserve_fixed(s, 1, 3));
    } else if (kind == QEMU_MACHINE_Q35 && s->nbuses > 0) {
        /* ICH9: LPC 1f.0, (SATA 1f.2,) SMBus 1f.3 */
        TRY(pset_reserve_fixed(s, 0x1f, 0));
        TRY(pset_reserve_fixed(s, 0x1f, 3));
    }
    return 0;
}

static int place_item(pset *s, mv_domain_def *def, const pitem *it, mv_domain_address *ret)
{
    if (it->usb2) {
        unsigned fn = usb2_function(it->usb2->model);

        /* the functions of one slot, with the other controllers of its index */
        for (size_t i = 0; i < def->ncontrollers; i++) {
            const mv_domain_controller *o = def->controllers[i];
            const mv_domain_address *a = &o->info.addr;

            if (o != it->usb2 && o->type == MV_CONTROLLER_USB && o->index == it->usb2->index &&
                a->type == MV_DOMAIN_ADDR_PCI && is_usb2_companion_model(o->model)) {
                *ret = *a;
                ret->pci.function = fn;
                ret->pci.multifunction = MV_TRISTATE_ABSENT;
                return pset_reserve(s, ret, PC_NONE);
            }
        }
        TRY(pset_next(s, it->conn, ret));
        s->buses[ret->pci.bus].used[ret->pci.slot] = (unsigned char)(1u << fn);
        ret->pci.function = fn;
        return 0;
    }
    return pset_next(s, it->conn, ret);
}

static int run_items(pset *s, mv_domain_def *def, const plist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        mv_domain_address a;

        TRY(place_item(s, def, &l->items[i], &a));
        /* pass two writes; companions need to see their master's slot in
         * pass one too, so those are written in both and reset after */
        if (!s->dry || l->items[i].usb2)
            l->items[i].info->addr = a;
    }
    return 0;
}

/* ---- fixed places of the machine ---- */

static void set_pci(mv_domain_device_info *info, unsigned slot, unsigned fn)
{
    info->addr = (mv_domain_address){ .type = MV_DOMAIN_ADDR_PCI,
                                      .pci = { .slot = slot, .function = fn } };
}

static bool video_wants_primary_slot(const mv_domain_def *def)
{
    return def->nvideos > 0 && def->videos[0]->info.addr.type == MV_DOMAIN_ADDR_NONE &&
           video_conn(QEMU_MACHINE_I440FX, def->videos[0]) != PC_NONE;
}

static int place_fixed(pset *s, mv_domain_def *def, qemu_machine_kind kind)
{
    mv_domain_controller *c;

    if (kind == QEMU_MACHINE_I440FX) {
        c = mv_domain_def_find_controller(def, MV_CONTROLLER_IDE, 0);
        if (c && c->info.addr.type == MV_DOMAIN_ADDR_NONE) {
            TRY(pset_reserve_fixed(s, 1, 1));
            set_pci(&c->info, 1, 1);
        }
        c = mv_domain_def_find_controller(def, MV_CONTROLLER_USB, 0);
        if (c && str_eq(c->model, "piix3-uhci") && c->info.addr.type == MV_DOMAIN_ADDR_NONE) {
            TRY(pset_reserve_fixed(s, 1, 2));
            set_pci(&c->info, 1, 2);
        }
        if (video_wants_primary_slot(def) && !s->buses[0].used[2]) {
            TRY(pset_reserve_fixed(s, 2, 0));
            set_pci(&def->videos[0]->info, 2, 0);
        }
        return 0;
    }
    if (kind != QEMU_MACHINE_Q35)
        return 0;
    c = mv_domain_def_find_controller(def, MV_CONTROLLER_SATA, 0);
    if (c && c->info.addr.type == MV_DOMAIN_ADDR_NONE) {
        TRY(pset_reserve_fixed(s, 0x1f, 2));
        set_pci(&c->info, 0x1f, 2);
    }
    if (video_wants_primary_slot(def) && !s->buses[0].used[1]) {
        TRY(pset_reserve_fixed(s, 1, 0));
        set_pci(&def->videos[0]->info, 1, 0);
    }
    for (size_t i = 0; i < def->nsounds; i++) {
        mv_domain_sound *snd = def->sounds[i];

        if (str_eq(snd->model, "ich9") && snd->info.addr.type == MV_DOMAIN_ADDR_NONE) {
            if (!s->buses[0].used[0x1b]) {
                TRY(pset_reserve_fixed(s, 0x1b, 0));
                set_pci(&snd->info, 0x1b, 0);
            }
            break;
        }
    }
    for (size_t i = 0; i < def->ncontrollers; i++) {
        c = def->controllers[i];
        if (c->type == MV_CONTROLLER_USB && c->index == 0 && is_usb2_companion_model(c->model) &&
            c->info.addr.type == MV_DOMAIN_ADDR_NONE &&
            !(s->buses[0].used[0x1d] & (1u << usb2_function(c->model)))) {
            TRY(pset_reserve_fixed(s, 0x1d, usb2_function(c->model)));
            set_pci(&c->info, 0x1d, usb2_function(c->model));
        }
    }
    return 0;
}

/* ---- PCI controllers ---- */

static int add_pci_controller(mv_domain_def *def, int index, pbus_model m)
{
    mv_domain_controller *c = calloc(1, sizeof(*c));
    mv_domain_controller **n;

    if (!c)
        return -ENOMEM;
    c->type = MV_CONTROLLER_PCI;
    c->index = index;
    c->master_startport = c->ports = c->vectors = -1;
    c->target.chassis_nr = c->target.chassis = c->target.port = -1;
    c->target.bus_nr = c->target.index = -1;
    c->model = strdup(pci_model_str(m));
    n = realloc(def->controllers, (def->ncontrollers + 1) * sizeof(*n));
    if (!c->model || !n) {
        free(c->model);
        free(c);
        if (n)
            def->controllers = n;
        return -ENOMEM;
    }
    def->controllers = n;
    def->controllers[def->ncontrollers++] = c;
    return 0;
}

static int pci_controllers_fill(mv_domain_def *def)
{
    for (size_t i = 0; i < def->ncontrollers; i++) {
        mv_domain_controller *c = def->controllers[i];
        const char *name;

        if (c->type != MV_CONTROLLER_PCI)
            continue;
        name = pci_model_name(c->model);
        if (name && !c->model_name && !(c->model_name = strdup(name)))
            return -ENOMEM;
        if (str_eq(c->model, "pcie-root-port") || str_eq(c->model, "pcie-switch-downstream-port")) {
            if (c->target.chassis < 0)
                c->target.chassis = c->index;
            if (c->target.port < 0 && c->info.addr.type == MV_DOMAIN_ADDR_PCI)
                c->target.port = (int)(c->info.addr.pci.slot << 3 | c->info.addr.pci.function);
        } else if (str_eq(c->model, "pci-bridge") && c->target.chassis_nr < 0) {
            c->target.chassis_nr = c->index;
        }
    }
    return 0;
}

typedef struct multi_ctx {
    const pset *s;
} multi_ctx;

/* A function 0 that shares its slot says so. */
static int multi_cb(mv_domain_device_info *info, void *opaque)
{
    const pset *s = ((multi_ctx *)opaque)->s;
    mv_domain_address *a = &info->addr;

    if (a->type == MV_DOMAIN_ADDR_PCI && a->pci.function == 0 &&
        a->pci.multifunction == MV_TRISTATE_ABSENT && a->pci.bus < s->nbuses &&
        (s->buses[a->pci.bus].used[a->pci.slot] & 0xfe))
        a->pci.multifunction = MV_TRISTATE_YES;
    return 0;
}

static int max_pci_bus_cb(mv_domain_device_info *info, void *opaque)
{
    int *max = opaque;

    if (info->addr.type == MV_DOMAIN_ADDR_PCI && (int)info->addr.pci.bus > *max &&
        info->addr.pci.bus < MAX_PCI_BUSES)
        *max = (int)info->addr.pci.bus;
    return 0;
}

int qemu_domain_assign_pci_addresses(mv_domain_def *def, qemu_machine_kind kind)
{
    _cleanup_(pset_done) pset s = { 0 };
    _cleanup_free_ pitem *items = NULL;
    plist l = { 0 };
    int user_max = -1, max_bus = -1;
    size_t before;
    int r;

    for (size_t i = 0; i < def->ncontrollers; i++)
        if (def->controllers[i]->type == MV_CONTROLLER_PCI && def->controllers[i]->index > user_max)
            user_max = def->controllers[i]->index;
    /* buses that addresses refer to exist, as do the buses below a given
     * controller index: as pci-bridges or root ports */
    foreach_info(def, max_pci_bus_cb, &max_bus);
    if (user_max > max_bus)
        max_bus = user_max < MAX_PCI_BUSES ? user_max : MAX_PCI_BUSES - 1;
    for (int idx = 1; idx <= max_bus && user_max >= 0; idx++)
        if (!mv_domain_def_find_controller(def, MV_CONTROLLER_PCI, idx))
            TRY(add_pci_controller(def, idx, kind == QEMU_MACHINE_Q35 ? PB_ROOT_PORT
                                                                        : PB_PCI_BRIDGE));

    /* fixed places and pass one, which counts the buses */
    TRY(pset_init(&s, def, kind, true));
    TRY(place_fixed(&s, def, kind));
    r = plist_build(def, kind, &l);
    items = l.items;
    if (r < 0)
        return r;
    before = s.nbuses;
    if (kind == QEMU_MACHINE_I440FX && s.nbuses > 0) {
        mv_domain_address spare;

        TRY(pset_next(&s, PC_PCI, &spare));
    }
    TRY(run_items(&s, def, &l));
    if (kind == QEMU_MACHINE_Q35 && user_max <= 0 && s.nbuses > before) {
        mv_domain_address spare;

        TRY(pset_next(&s, PC_PCIE, &spare));
    }
    for (size_t i = 0; i < l.n; i++)
        if (l.items[i].usb2)
            l.items[i].info->addr.type = MV_DOMAIN_ADDR_NONE;
    for (size_t b = before; b < s.nbuses; b++)
        TRY(add_pci_controller(def, (int)b, s.buses[b].model));

    /* pass two, for real */
    pset_done(&s);
    free(items);
    items = NULL;
    l = (plist){ 0 };
    TRY(pset_init(&s, def, kind, false));
    r = plist_build(def, kind, &l);
    items = l.items;
    if (r < 0)
        return r;
    TRY(run_items(&s, def, &l));
    TRY(pci_controllers_fill(def));
    return foreach_info(def, multi_cb, &(multi_ctx){ .s = &s });
}

/* ---- USB ---- */

static unsigned usb_model_ports(const mv_domain_controller *c)
{
    static const struct { const char *model; unsigned ports; } tab[] = {
        { "piix3-uhci", 2 }, { "piix4-uhci", 2 }, { "ehci", 6 }, { "ich9-ehci1", 6 },
        { "vt82c686b-uhci", 2 }, { "pci-ohci", 3 }, { "nec-xhci", 4 }, { "qemu-xhci", 4 },
    };

    if (c->master_startport >= 0)
        return 0;       /* a companion: its ports are its master's */
    if (c->ports > 0)
        return (unsigned)c->ports;
    for (size_t i = 0; i < ELEMENTSOF(tab); i++)
        if (str_eq(c->model, tab[i].model))
            return tab[i].ports;
    return 0;
}

typedef struct usb_set {
    unsigned nports;
    bool used[32];
    bool disabled;
} usb_set;

static int usb_reserve_cb(mv_domain_device_info *info, void *opaque)
{
    usb_set *u = opaque;
    unsigned long p;

    if (info->addr.type != MV_DOMAIN_ADDR_USB || info->addr.usb.bus != 0)
        return 0;
    p = strtoul(info->addr.usb.port, NULL, 10);
    if (p >= 1 && p < ELEMENTSOF(u->used))
        u->used[p] = true;
    return 0;
}

static int usb_place(usb_set *u, mv_domain_device_info *info, const char *what)
{
    if (info->addr.type != MV_DOMAIN_ADDR_NONE)
        return 0;
    if (u->disabled) {
        if (what)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "Can't add USB %s device. USB bus is disabled", what);
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                               "USB is disabled for this domain, but USB devices are present in the domain XML");
    }
    for (unsigned p = 1; p <= u->nports && p < ELEMENTSOF(u->used); p++)
        if (!u->used[p]) {
            u->used[p] = true;
            info->addr.type = MV_DOMAIN_ADDR_USB;
            info->addr.usb.bus = 0;
            snprintf(info->addr.usb.port, sizeof(info->addr.usb.port), "%u", p);
            return 0;
        }
    return mv_error_report(-ENOSPC, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                           "No free USB ports (USB hubs are not supported)");
}

int qemu_domain_assign_usb_addresses(mv_domain_def *def)
{
    usb_set u = { .disabled = true };

    for (size_t i = 0; i < def->ncontrollers; i++) {
        const mv_domain_controller *c = def->controllers[i];

        if (c->type == MV_CONTROLLER_USB && c->index == 0 && !str_eq(c->model, "none")) {
            u.disabled = false;
            u.nports += usb_model_ports(c);
        }
    }
    TRY(foreach_info(def, usb_reserve_cb, &u));
    for (size_t i = 0; i < def->ndisks; i++)
        if (def->disks[i]->bus == MV_DISK_BUS_USB)
            TRY(usb_place(&u, &def->disks[i]->info, NULL));
    for (size_t i = 0; i < def->ninputs; i++)
        if (def->inputs[i]->bus == MV_INPUT_BUS_USB)
            TRY(usb_place(&u, &def->inputs[i]->info, "input"));
    for (size_t i = 0; i < def->nserials; i++)
        if (str_eq(def->serials[i]->target.type, "usb-serial"))
            TRY(usb_place(&u, &def->serials[i]->info, NULL));
    for (size_t i = 0; i < def->nsounds; i++)
        if (str_eq(def->sounds[i]->model, "usb"))
            TRY(usb_place(&u, &def->sounds[i]->info, NULL));
    for (size_t i = 0; i < def->nredirdevs; i++)
        TRY(usb_place(&u, &def->redirdevs[i]->info, NULL));
    for (size_t i = 0; i < def->nhostdevs; i++)
        if (def->hostdevs[i]->type == MV_HOSTDEV_USB)
            TRY(usb_place(&u, &def->hostdevs[i]->info, NULL));
    return 0;
}
