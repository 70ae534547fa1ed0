/* Device addresses (<address>) and what every device carries: <alias>,
 * <boot order>, <rom>. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain_conf_priv.h"
#include "util/cleanup.h"

/* ---- addresses ---- */

static const char *const addr_type_names[] = { "", "pci", "drive", "virtio-serial", "ccid",
                                               "usb", "isa" };

static int addr_uint(dparse *p, xmlNodePtr n, const char *attr, unsigned long long max,
                     unsigned *ret)
{
    unsigned long long v = 0;
    int r = dx_attr_uint(p, n, attr, 0, UINT_MAX, &v);

    if (r < 0)
        return r;
    if (r > 0 && v > max)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_NONE,
                               "Invalid PCI address %s='0x%llx', must be <= 0x%llX",
                               attr, v, max);
    *ret = (unsigned)v;
    return r;
}

/* The PCI fields of an <address>, also used for hostdev sources. */
static int pci_address_parse(dparse *p, xmlNodePtr n, mv_domain_address *addr)
{
    int r;

    addr->type = MV_DOMAIN_ADDR_PCI;
    if ((r = addr_uint(p, n, "domain", UINT_MAX, &addr->pci.domain)) < 0 ||
        (r = addr_uint(p, n, "bus", 0xFF, &addr->pci.bus)) < 0 ||
        (r = addr_uint(p, n, "slot", 0x1F, &addr->pci.slot)) < 0 ||
        (r = addr_uint(p, n, "function", 7, &addr->pci.function)) < 0 ||
        (r = dx_attr_onoff(p, n, "multifunction", &addr->pci.multifunction)) < 0)
        return r;
    return 0;
}

/* "1" to "1.2.3.4": up to four dot-separated port numbers. */
static int usb_port_check(const char *port)
{
    const char *s = port;
    int levels = 0;

    if (!*port)
        return 0;
    if (strlen(port) >= 16)
        return -EINVAL;
    while (*s) {
        if (*s < '0' || *s > '9' || ++levels > 4)
            return -EINVAL;
        while (*s >= '0' && *s <= '9')
            s++;
        if (*s == '.') {
            s++;
            if (!*s)
                return -EINVAL;
        } else if (*s) {
            return -EINVAL;
        }
    }
    return 0;
}

int dx_address_parse(dparse *p, xmlNodePtr n, mv_domain_address *addr)
{
    _cleanup_free_ char *type = dx_attr(p, n, "type");
    int t, r = 0;

    if (!type)
        return p->oom ? -ENOMEM :
               mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                               "No type specified for device address");
    t = dx_lookup(addr_type_names, ELEMENTSOF(addr_type_names), type);
    if (t <= 0)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unknown address type '%s'", type);
    memset(addr, 0, sizeof(*addr));
    addr->type = (mv_domain_addr_type)t;
    switch (addr->type) {
    case MV_DOMAIN_ADDR_PCI:
        return pci_address_parse(p, n, addr);
    case MV_DOMAIN_ADDR_DRIVE:
        if ((r = dx_attr_u32(p, n, "controller", &addr->drive.controller)) < 0 ||
            (r = dx_attr_u32(p, n, "bus", &addr->drive.bus)) < 0 ||
            (r = dx_attr_u32(p, n, "target", &addr->drive.target)) < 0 ||
            (r = dx_attr_u32(p, n, "unit", &addr->drive.unit)) < 0)
            return r;
        return 0;
    case MV_DOMAIN_ADDR_VIRTIO_SERIAL:
        if ((r = dx_attr_u32(p, n, "controller", &addr->vioserial.controller)) < 0 ||
            (r = dx_attr_u32(p, n, "bus", &addr->vioserial.bus)) < 0 ||
            (r = dx_attr_u32(p, n, "port", &addr->vioserial.port)) < 0)
            return r;
        addr->vioserial.has_port = r > 0;
        return 0;
    case MV_DOMAIN_ADDR_CCID:
        if ((r = dx_attr_u32(p, n, "controller", &addr->ccid.controller)) < 0 ||
            (r = dx_attr_u32(p, n, "slot", &addr->ccid.slot)) < 0)
            return r;
        addr->ccid.has_slot = r > 0;
        return 0;
    case MV_DOMAIN_ADDR_USB: {
        _cleanup_free_ char *port = NULL;

        if ((r = dx_attr_u32(p, n, "bus", &addr->usb.bus)) < 0)
            return r;
        port = dx_attr(p, n, "port");
        if (port) {
            if (usb_port_check(port) < 0)
                return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                                       "Cannot parse <address> 'port' attribute");
            snprintf(addr->usb.port, sizeof(addr->usb.port), "%s", port);
        }
        return p->oom ? -ENOMEM : 0;
    }
    case MV_DOMAIN_ADDR_ISA: {
        unsigned long long iobase = 0, irq = 0;

        if ((r = dx_attr_uint(p, n, "iobase", 0, UINT_MAX, &iobase)) < 0)
            return r;
        addr->isa.has_iobase = r > 0;
        addr->isa.iobase = (unsigned)iobase;
        if ((r = dx_attr_uint(p, n, "irq", 0, UINT_MAX, &irq)) < 0)
            return r;
        addr->isa.has_irq = r > 0;
        addr->isa.irq = (unsigned)irq;
        return 0;
    }
    case MV_DOMAIN_ADDR_NONE:
    default:
        return 0;
    }
}

void dx_address_format(dbuf *b, const mv_domain_address *a)
{
    if (a->type == MV_DOMAIN_ADDR_NONE)
        return;
    db_start(b, "address");
    db_attr(b, "type", addr_type_names[a->type]);
    switch (a->type) {
    case MV_DOMAIN_ADDR_PCI:
        if (a->pci.domain || a->pci.bus || a->pci.slot || a->pci.function) {
            db_attrf(b, "domain", "0x%04x", a->pci.domain);
            db_attrf(b, "bus", "0x%02x", a->pci.bus);
            db_attrf(b, "slot", "0x%02x", a->pci.slot);
            db_attrf(b, "function", "0x%x", a->pci.function);
        }
        db_attr_onoff(b, "multifunction", a->pci.multifunction);
        break;
    case MV_DOMAIN_ADDR_DRIVE:
        db_attrf(b, "controller", "%u", a->drive.controller);
        db_attrf(b, "bus", "%u", a->drive.bus);
        db_attrf(b, "target", "%u", a->drive.target);
        db_attrf(b, "unit", "%u", a->drive.unit);
        break;
    case MV_DOMAIN_ADDR_VIRTIO_SERIAL:
        db_attrf(b, "controller", "%u", a->vioserial.controller);
        db_attrf(b, "bus", "%u", a->vioserial.bus);
        db_attrf(b, "port", "%u", a->vioserial.port);
        break;
    case MV_DOMAIN_ADDR_CCID:
        db_attrf(b, "controller", "%u", a->ccid.controller);
        db_attrf(b, "slot", "%u", a->ccid.slot);
        break;
    case MV_DOMAIN_ADDR_USB:
        db_attrf(b, "bus", "%u", a->usb.bus);
        if (a->usb.port[0])
            db_attr(b, "port", a->usb.port);
        break;
    case MV_DOMAIN_ADDR_ISA:
        if (a->isa.has_iobase)
            db_attrf(b, "iobase", "0x%x", a->isa.iobase);
        if (a->isa.has_irq)
            db_attrf(b, "irq", "0x%x", a->isa.irq);
        break;
    case MV_DOMAIN_ADDR_NONE:
    default:
        break;
    }
    db_end(b);
}

/* ---- device info: alias, boot order, address ---- */

static bool alias_valid(const char *a)
{
    for (; *a; a++)
        if (!((*a >= 'a' && *a <= 'z') || (*a >= 'A' && *a <= 'Z') ||
              (*a >= '0' && *a <= '9') || *a == '_' || *a == '-'))
            return false;
    return true;
}

int dx_info_parse(dparse *p, xmlNodePtr n, mv_domain_device_info *info, bool boot)
{
    xmlNodePtr c;
    int r;

    if ((c = dx_child(n, "alias"))) {
        char *alias = dx_attr(p, c, "name");

        /* Aliases a user gives start "ua-"; others are the daemon's. */
        if (alias && ((p->flags & MV_DOMAIN_PARSE_STATUS) ||
                      (strncmp(alias, "ua-", 3) == 0 && alias_valid(alias))))
            info->alias = alias;
        else
            free(alias);
    }
    if (boot && (c = dx_child(n, "boot"))) {
        unsigned long long order;

        r = dx_attr_uint(p, c, "order", 10, UINT_MAX, &order);
        if (r < 0)
            return r;
        if (r == 0)
            return dx_err_missing("order", "boot");
        if (order == 0)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_XML,
                                   "Invalid value for attribute 'order' in element 'boot': "
                                   "Zero is not permitted");
        info->boot_order = (unsigned)order;
    }
    if ((c = dx_child(n, "address")) && (r = dx_address_parse(p, c, &info->addr)) < 0)
        return r;
    return p->oom ? -ENOMEM : 0;
}

void dx_info_format(dbuf *b, const mv_domain_device_info *info, unsigned flags, bool boot)
{
    dx_info_format_rom(b, info, flags, boot, NULL, NULL);
}

void dx_info_format_rom(dbuf *b, const mv_domain_device_info *info, unsigned flags, bool boot,
                        const char *rom_bar, const char *rom_file)
{
    if (flags & DX_FORMAT_NO_INFO)
        return;
    if (boot && info->boot_order) {
        db_start(b, "boot");
        db_attrf(b, "order", "%u", info->boot_order);
        db_end(b);
    }
    if (info->alias && (!(flags & MV_DOMAIN_XML_INACTIVE) || strncmp(info->alias, "ua-", 3) == 0)) {
        db_start(b, "alias");
        db_attr(b, "name", info->alias);
        db_end(b);
    }
    if (rom_bar || rom_file) {
        db_start(b, "rom");
        db_attr(b, "bar", rom_bar);
        db_attr(b, "file", rom_file);
        db_end(b);
    }
    dx_address_format(b, &info->addr);
}

void dx_info_clear(mv_domain_device_info *info)
{
    free(info->alias);
    info->alias = NULL;
}
