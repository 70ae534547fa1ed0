/* The <os> and <features> elements of the domain document. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain_conf_priv.h"
#include "util/cleanup.h"

const char *const dx_feature_names[MV_FEATURE_LAST] = {
    "acpi", "apic", "pae", "hap", "viridian", "privnet", "hyperv", "kvm", "pvspinlock",
    "pmu", "vmport", "gic", "smm", "ioapic", "hpt", "vmcoreinfo", "htm", "nested-hv",
    "ccf-assist", "cfpc", "sbbc", "ibs",
};

const char *const dx_hyperv_names[MV_HYPERV_LAST] = {
    "relaxed", "vapic", "spinlocks", "vpindex", "runtime", "synic", "stimer", "reset",
    "vendor_id", "frequencies", "reenlightenment", "tlbflush", "ipi", "evmcs", "avic",
};

const char *const dx_kvm_names[MV_KVM_LAST] = {
    "hidden", "hint-dedicated", "poll-control", "pv-ipi", "dirty-ring",
};

const char *mv_feature_str(mv_feature v)
{
    return (unsigned)v < MV_FEATURE_LAST ? dx_feature_names[v] : NULL;
}

const char *mv_hyperv_feature_str(mv_hyperv_feature v)
{
    return (unsigned)v < MV_HYPERV_LAST ? dx_hyperv_names[v] : NULL;
}

static const char *const os_types[] = { "hvm", "xen", "linux", "exe", "xenpvh", NULL };

static const char *const arch_names[] = {
    "aarch64", "alpha", "armv6l", "armv7l", "cris", "i686", "ia64", "lm32", "m68k",
    "microblaze", "microblazeel", "mips", "mipsel", "mips64", "mips64el", "openrisc",
    "parisc", "parisc64", "ppc", "ppc64", "ppc64le", "ppcemb", "riscv32", "riscv64", "s390",
    "s390x", "sh4", "sh4eb", "sparc", "sparc64", "unicore32", "x86_64", "xtensa", "xtensaeb",
    NULL,
};

void dx_os_clear(mv_domain_os *os)
{
    free(os->type);
    free(os->arch);
    free(os->machine);
    free(os->firmware);
    for (size_t i = 0; i < os->nfw_features; i++)
        free(os->fw_features[i].name);
    free(os->fw_features);
    free(os->loader.path);
    free(os->loader.type);
    free(os->loader.format);
    free(os->nvram.path);
    free(os->nvram.template);
    free(os->nvram.format);
    for (size_t i = 0; i < os->nboot_devs; i++)
        free(os->boot_devs[i]);
    free(os->boot_devs);
    free(os->kernel);
    free(os->initrd);
    free(os->cmdline);
    free(os->dtb);
    free(os->init);
    for (size_t i = 0; i < os->ninit_args; i++)
        free(os->init_args[i]);
    free(os->init_args);
    free(os->smbios_mode);
}

/* ---- <os> ---- */

static int parse_os_loader(dparse *p, xmlNodePtr os_node, mv_domain_def *def)
{
    static const char *const loader_types[] = { "rom", "pflash", NULL };
    mv_domain_os *os = &def->os;
    xmlNodePtr n;
    int r;

    n = dx_child(os_node, "loader");
    if (n) {
        os->loader.present = true;
        if ((r = dx_attr_yesno(p, n, "readonly", &os->loader.readonly)) < 0 ||
            (r = dx_attr_yesno(p, n, "secure", &os->loader.secure)) < 0 ||
            (r = dx_attr_yesno(p, n, "stateless", &os->loader.stateless)) < 0 ||
            (r = dx_attr_in_xml(p, n, "type", loader_types, &os->loader.type)) < 0)
            return r;
        os->loader.path = dx_text(p, n);
        if (os->loader.path && !*os->loader.path) {
            free(os->loader.path);
            os->loader.path = NULL;
        }
    }
    n = dx_child(os_node, "nvram");
    if (n) {
        os->nvram.present = true;
        os->nvram.template = dx_attr(p, n, "template");
        os->nvram.path = dx_text(p, n);
        if (os->nvram.path && !*os->nvram.path) {
            free(os->nvram.path);
            os->nvram.path = NULL;
        }
    }
    if (p->oom)
        return -ENOMEM;

    if (os->firmware) {
        const char *bad = NULL;

        if (os->loader.readonly)
            bad = "readonly";
        else if (os->loader.type || os->loader.path)
            bad = "type";
        else if (os->loader.secure == MV_TRISTATE_NO)
            bad = "secure";
        if (bad)
            return mv_error_report_raw(-EINVAL, MV_ERR_XML_DETAIL, MV_FROM_DOMAIN,
                                       "loader attribute '%s' cannot be specified when "
                                       "firmware autoselection is enabled", bad);
        if (os->nvram.template)
            return mv_error_report_raw(-EINVAL, MV_ERR_XML_DETAIL, MV_FROM_DOMAIN,
                                       "nvram attribute 'template' cannot be specified when "
                                       "firmware autoselection is enabled");
    } else if (os->loader.present && !os->loader.path) {
        return mv_error_report_raw(-EINVAL, MV_ERR_XML_DETAIL, MV_FROM_DOMAIN,
                                   "no loader path specified and firmware auto selection disabled");
    }
    return 0;
}

static int parse_os_firmware(dparse *p, xmlNodePtr os_node, mv_domain_def *def)
{
    static const char *const names[] = { "enrolled-keys", "secure-boot" };
    mv_tristate state[ELEMENTSOF(names)] = { 0 };
    mv_domain_os *os = &def->os;
    xmlNodePtr fw = dx_child(os_node, "firmware"), n = NULL;
    int r;

    if (!fw)
        return 0;
    while ((n = dx_next(fw, n, "feature"))) {
        mv_tristate enabled = MV_TRISTATE_ABSENT;
        int which;

        if ((r = dx_attr_enum(p, n, "name", names, ELEMENTSOF(names), true, &which)) < 0 ||
            (r = dx_attr_yesno(p, n, "enabled", &enabled)) < 0)
            return r;
        if (!enabled)
            return dx_err_missing("enabled", "feature");
        if (state[which])
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "firmware feature '%s' specified more than once", names[which]);
        state[which] = enabled;
    }
    if (state[0] == MV_TRISTATE_YES && state[1] == MV_TRISTATE_NO)
        return mv_error_report_raw(-EINVAL, MV_ERR_XML_DETAIL, MV_FROM_DOMAIN,
                                   "firmware feature 'enrolled-keys' cannot be enabled when "
                                   "firmware feature 'secure-boot' is disabled");
    os->fw_features = calloc(ELEMENTSOF(names), sizeof(*os->fw_features));
    if (!os->fw_features)
        return -ENOMEM;
    for (size_t i = 0; i < ELEMENTSOF(names); i++) {
        if (!state[i])
            continue;
        os->fw_features[os->nfw_features].name = dx_strdup(p, names[i]);
        os->fw_features[os->nfw_features++].enabled = state[i] == MV_TRISTATE_YES;
    }
    return p->oom ? -ENOMEM : 0;
}

int dx_os_parse(dparse *p, xmlNodePtr root, mv_domain_def *def)
{
    static const char *const boot_devs[] = { "fd", "hd", "cdrom", "network", NULL };
    static const char *const firmwares[] = { "bios", "efi", NULL };
    static const char *const smbios_modes[] = { "emulate", "host", "sysinfo", NULL };
    mv_domain_os *os = &def->os;
    xmlNodePtr os_node = dx_child(root, "os"), n;
    long long ll;
    int r;

    n = os_node ? dx_child(os_node, "type") : NULL;
    if (!n)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "an os <type> must be specified");
    os->type = dx_text(p, n);
    if (p->oom)
        return -ENOMEM;
    if (dx_lookup(os_types, ELEMENTSOF(os_types) - 1, os->type) < 0)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unknown OS type '%s'", os->type);
    r = dx_attr_in(p, n, "arch", arch_names, &os->arch);
    if (r < 0)
        return r;
    if (r == 2)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "Unknown architecture %s", os->arch);
    os->machine = dx_attr(p, n, "machine");

    r = dx_attr_in(p, os_node, "firmware", firmwares, &os->firmware);
    if (r == 2)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "unknown firmware value %s", os->firmware);
    if (r < 0 ||
        (r = parse_os_firmware(p, os_node, def)) < 0 ||
        (r = parse_os_loader(p, os_node, def)) < 0)
        return r;

    if ((n = dx_child(os_node, "kernel")))
        os->kernel = dx_text(p, n);
    if ((n = dx_child(os_node, "initrd")))
        os->initrd = dx_text(p, n);
    if ((n = dx_child(os_node, "cmdline")))
        os->cmdline = dx_text(p, n);
    if ((n = dx_child(os_node, "dtb")))
        os->dtb = dx_text(p, n);
    if ((n = dx_child(os_node, "init")))
        os->init = dx_text(p, n);
    if (dx_count(os_node, "initarg")) {
        if (dx_count(os_node, "initarg") > 256)
            return mv_error_report(-E2BIG, MV_ERR_XML_ERROR, MV_FROM_DOMAIN, "too many init arguments");
        os->init_args = calloc(dx_count(os_node, "initarg"), sizeof(char *));
        if (!os->init_args)
            return -ENOMEM;
        os->ninit_args = dx_count(os_node, "initarg");
        n = NULL;
        for (size_t i = 0; (n = dx_next(os_node, n, "initarg")); i++)
            os->init_args[i] = dx_text(p, n);
    }

    n = NULL;
    if (dx_count(os_node, "boot") > 4)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "at most 4 <boot> devices may be given");
    os->boot_devs = calloc(4, sizeof(char *));
    if (!os->boot_devs)
        return -ENOMEM;
    while ((n = dx_next(os_node, n, "boot"))) {
        char *dev = NULL;

        r = dx_attr_in(p, n, "dev", boot_devs, &dev);
        os->boot_devs[os->nboot_devs++] = dev;
        if (r < 0)
            return r;
        if (r == 0)
            return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                                   "missing boot device");
        if (r == 2)
            return dx_err_invalid("dev", "boot", dev);
    }

    if ((n = dx_child(os_node, "bootmenu"))) {
        if ((r = dx_attr_yesno(p, n, "enable", &os->bootmenu)) < 0)
            return r;
        if (r == 0)
            return dx_err_missing("enable", "bootmenu");
        os->bootmenu_timeout = -1;
        r = dx_attr_int(p, n, "timeout", 0, 65535, &ll);
        if (r < 0)
            return r;
        if (r > 0)
            os->bootmenu_timeout = (int)ll;
    } else {
        os->bootmenu_timeout = -1;
    }
    os->bios_reboot_timeout = -2;
    if ((n = dx_child(os_node, "bios"))) {
        if ((r = dx_attr_yesno(p, n, "useserial", &os->bios_useserial)) < 0)
            return r;
        r = dx_attr_int(p, n, "rebootTimeout", -1, 65535, &ll);
        if (r < 0)
            return r;
        if (r > 0)
            os->bios_reboot_timeout = (int)ll;
    }
    if ((n = dx_child(os_node, "smbios"))) {
        r = dx_attr_in(p, n, "mode", smbios_modes, &os->smbios_mode);
        if (r < 0)
            return r;
        if (r != 1)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "unknown smbios mode '%s'",
                                   os->smbios_mode ? os->smbios_mode : "");
    }
    return p->oom ? -ENOMEM : 0;
}

void dx_os_format(dbuf *b, const mv_domain_def *def)
{
    const mv_domain_os *os = &def->os;
    dbuf c;

    db_start(b, "os");
    db_attr(b, "firmware", os->firmware);
    db_add(b, ">\n");
    b->indent++;
    db_start(b, "type");
    db_attr(b, "arch", os->arch);
    db_attr(b, "machine", os->machine);
    db_add(b, ">");
    db_esc(b, os->type);
    db_add(b, "</type>\n");
    if (os->nfw_features) {
        db_child(&c, b);
        for (size_t i = 0; i < os->nfw_features; i++) {
            db_start(&c, "feature");
            db_attr(&c, "enabled", os->fw_features[i].enabled ? "yes" : "no");
            db_attr(&c, "name", os->fw_features[i].name);
            db_end(&c);
        }
        db_start(b, "firmware");
        db_finish(b, "firmware", &c);
    }
    if (os->loader.present) {
        db_start(b, "loader");
        db_attr_yesno(b, "readonly", os->loader.readonly);
        db_attr_yesno(b, "secure", os->loader.secure);
        db_attr(b, "type", os->loader.type);
        db_attr_yesno(b, "stateless", os->loader.stateless);
        if (os->loader.path) {
            db_add(b, ">");
            db_esc(b, os->loader.path);
            db_add(b, "</loader>\n");
        } else {
            db_end(b);
        }
    }
    if (os->nvram.present) {
        db_start(b, "nvram");
        db_attr(b, "template", os->nvram.template);
        if (os->nvram.path) {
            db_add(b, ">");
            db_esc(b, os->nvram.path);
            db_add(b, "</nvram>\n");
        } else {
            db_end(b);
        }
    }
    db_text_elem(b, "init", os->init);
    for (size_t i = 0; i < os->ninit_args; i++)
        db_text_elem(b, "initarg", os->init_args[i]);
    db_text_elem(b, "kernel", os->kernel);
    db_text_elem(b, "initrd", os->initrd);
    db_text_elem(b, "cmdline", os->cmdline);
    db_text_elem(b, "dtb", os->dtb);
    for (size_t i = 0; i < os->nboot_devs; i++) {
        db_start(b, "boot");
        db_attr(b, "dev", os->boot_devs[i]);
        db_end(b);
    }
    if (os->bootmenu) {
        db_start(b, "bootmenu");
        db_attr_yesno(b, "enable", os->bootmenu);
        if (os->bootmenu_timeout >= 0)
            db_attrf(b, "timeout", "%d", os->bootmenu_timeout);
        db_end(b);
    }
    if (os->bios_useserial || os->bios_reboot_timeout != -2) {
        db_start(b, "bios");
        db_attr_yesno(b, "useserial", os->bios_useserial);
        if (os->bios_reboot_timeout != -2)
            db_attrf(b, "rebootTimeout", "%d", os->bios_reboot_timeout);
        db_end(b);
    }
    if (os->smbios_mode) {
        db_start(b, "smbios");
        db_attr(b, "mode", os->smbios_mode);
        db_end(b);
    }
    b->indent--;
    db_indent(b);
    db_add(b, "</os>\n");
}

/* ---- <features> ---- */

/* How each feature is written: no attributes, a state that defaults to
 * on, a required state, or its own attributes. */
enum feat_kind { FEAT_PLAIN, FEAT_STATE, FEAT_STATE_REQUIRED, FEAT_OWN, FEAT_UNSUPPORTED };
static const enum feat_kind feat_kinds[MV_FEATURE_LAST] = {
    [MV_FEATURE_ACPI] = FEAT_PLAIN, [MV_FEATURE_APIC] = FEAT_OWN, [MV_FEATURE_PAE] = FEAT_PLAIN,
    [MV_FEATURE_HAP] = FEAT_STATE, [MV_FEATURE_VIRIDIAN] = FEAT_PLAIN,
    [MV_FEATURE_PRIVNET] = FEAT_PLAIN, [MV_FEATURE_HYPERV] = FEAT_OWN,
    [MV_FEATURE_KVM] = FEAT_OWN, [MV_FEATURE_PVSPINLOCK] = FEAT_STATE,
    [MV_FEATURE_PMU] = FEAT_STATE, [MV_FEATURE_VMPORT] = FEAT_STATE,
    [MV_FEATURE_GIC] = FEAT_OWN, [MV_FEATURE_SMM] = FEAT_STATE, [MV_FEATURE_IOAPIC] = FEAT_OWN,
    [MV_FEATURE_HPT] = FEAT_OWN, [MV_FEATURE_VMCOREINFO] = FEAT_STATE,
    [MV_FEATURE_HTM] = FEAT_STATE_REQUIRED, [MV_FEATURE_NESTED_HV] = FEAT_STATE_REQUIRED,
    [MV_FEATURE_CCF_ASSIST] = FEAT_STATE_REQUIRED, [MV_FEATURE_CFPC] = FEAT_UNSUPPORTED,
    [MV_FEATURE_SBBC] = FEAT_UNSUPPORTED, [MV_FEATURE_IBS] = FEAT_UNSUPPORTED,
};

static int parse_hyperv(dparse *p, xmlNodePtr hv, mv_domain_features *f)
{
    static const char *const modes[] = { "custom", "passthrough", NULL };
    int r;

    if ((r = dx_attr_in_xml(p, hv, "mode", modes, &f->hyperv_mode)) < 0)
        return r;
    for (xmlNodePtr c = hv->children; c; c = c->next) {
        int which;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        which = c->ns ? -1 : dx_lookup(dx_hyperv_names, MV_HYPERV_LAST, (const char *)c->name);
        if (which < 0)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "unsupported HyperV Enlightenment feature: %s", c->name);
        if (f->hyperv[which])
            continue;   /* left unmarked: reported as given twice */
        c->_private = DX_USED;
        if ((r = dx_attr_onoff(p, c, "state", &f->hyperv[which])) < 0)
            return r;
        if (r == 0)
            return dx_err_missing("state", (const char *)c->name);
        if (which == MV_HYPERV_SPINLOCKS && f->hyperv[which] == MV_TRISTATE_YES) {
            if ((r = dx_attr_u32(p, c, "retries", &f->hyperv_spinlocks_retries)) < 0)
                return r;
            if (r == 0)
                return dx_err_missing("retries", "spinlocks");
            if (f->hyperv_spinlocks_retries < 0xFFF)
                return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                       "HyperV spinlock retry count must be at least 4095");
        }
        if (which == MV_HYPERV_VENDOR_ID && f->hyperv[which] == MV_TRISTATE_YES) {
            f->hyperv_vendor_id = dx_attr(p, c, "value");
            if (!f->hyperv_vendor_id)
                return p->oom ? -ENOMEM :
                       mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                       "missing 'value' attribute for HyperV feature 'vendor_id'");
            if (strlen(f->hyperv_vendor_id) > 12)
                return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                       "HyperV vendor_id value must not be more than 12 characters.");
        }
        if (which == MV_HYPERV_STIMER && f->hyperv[which] == MV_TRISTATE_YES) {
            xmlNodePtr d = dx_child(c, "direct");

            if (d) {
                if ((r = dx_attr_onoff(p, d, "state", &f->hyperv_stimer_direct)) < 0)
                    return r;
                if (r == 0)
                    return dx_err_missing("state", "direct");
            }
        }
    }
    return 0;
}

static int parse_kvm(dparse *p, xmlNodePtr kvm, mv_domain_features *f)
{
    int r;

    for (xmlNodePtr c = kvm->children; c; c = c->next) {
        int which;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        which = c->ns ? -1 : dx_lookup(dx_kvm_names, MV_KVM_LAST, (const char *)c->name);
        if (which < 0)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "unsupported KVM feature: %s", c->name);
        if (f->kvm[which])
            continue;
        c->_private = DX_USED;
        if ((r = dx_attr_onoff(p, c, "state", &f->kvm[which])) < 0)
            return r;
        if (r == 0)
            return dx_err_missing("state", (const char *)c->name);
        if (which == MV_KVM_DIRTY_RING && f->kvm[which] == MV_TRISTATE_YES) {
            unsigned size;

            if ((r = dx_attr_u32(p, c, "size", &size)) < 0)
                return r;
            if (r == 0)
                return dx_err_missing("size", "dirty-ring");
            if (size < 1024 || size > 65536 || (size & (size - 1)))
                return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                       "dirty ring must be power of 2 and ranges [1024, 65536]");
            f->kvm_dirty_ring_size = size;
        }
    }
    return 0;
}

static int parse_feature(dparse *p, xmlNodePtr c, mv_feature which, mv_domain_features *f)
{
    static const char *const ioapic_drivers[] = { "qemu", "kvm", NULL };
    static const char *const gic_versions[] = { "2", "3", "host", NULL };
    static const char *const hpt_resizings[] = { "enabled", "disabled", "required", NULL };
    mv_tristate *state = &f->state[which];
    const char *name = dx_feature_names[which];
    xmlNodePtr t;
    int r;

    switch (feat_kinds[which]) {
    case FEAT_PLAIN:
        *state = MV_TRISTATE_YES;
        return 0;
    case FEAT_STATE:
    case FEAT_STATE_REQUIRED:
        if ((r = dx_attr_onoff(p, c, "state", state)) < 0)
            return r;
        if (r == 0) {
            if (feat_kinds[which] == FEAT_STATE_REQUIRED)
                return dx_err_missing("state", name);
            *state = MV_TRISTATE_YES;
        }
        if (which == MV_FEATURE_SMM && (t = dx_child(c, "tseg"))) {
            unsigned long long kib;

            if ((r = dx_scaled_kib(p, t, "string(./features/smm/tseg)", "MiB", &kib)) < 0)
                return r;
            f->smm_tseg_present = MV_TRISTATE_YES;
            f->smm_tseg_mib = kib / 1024;
        }
        return 0;
    case FEAT_OWN:
        *state = MV_TRISTATE_YES;
        switch (which) {
        case MV_FEATURE_APIC:
            return dx_attr_onoff(p, c, "eoi", &f->apic_eoi) < 0 ? -EINVAL : 0;
        case MV_FEATURE_HYPERV:
            return parse_hyperv(p, c, f);
        case MV_FEATURE_KVM:
            return parse_kvm(p, c, f);
        case MV_FEATURE_GIC:
            return dx_attr_in_xml(p, c, "version", gic_versions, &f->gic_version) < 0 ? -EINVAL : 0;
        case MV_FEATURE_IOAPIC:
            r = dx_attr_in_xml(p, c, "driver", ioapic_drivers, &f->ioapic_driver);
            if (r == 0)
                return dx_err_missing("driver", name);
            return r < 0 ? r : 0;
        case MV_FEATURE_HPT:
            return dx_attr_in_xml(p, c, "resizing", hpt_resizings, &f->hpt_resizing) < 0 ? -EINVAL : 0;
        default:
            return 0;
        }
    case FEAT_UNSUPPORTED:
    default:
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unexpected feature '%s'", name);
    }
}

int dx_features_parse(dparse *p, xmlNodePtr root, mv_domain_def *def)
{
    xmlNodePtr feats = dx_child(root, "features");
    mv_domain_features *f = &def->features;
    int r;

    if (!feats)
        return 0;
    for (xmlNodePtr c = feats->children; c; c = c->next) {
        int which;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        which = c->ns ? -1 : dx_lookup(dx_feature_names, MV_FEATURE_LAST, (const char *)c->name);
        if (which < 0)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "unexpected feature '%s'", c->name);
        if (f->state[which])
            continue;   /* reported as given twice */
        c->_private = DX_USED;
        if ((r = parse_feature(p, c, (mv_feature)which, f)) < 0)
            return r;
    }
    return p->oom ? -ENOMEM : 0;
}

void dx_features_format(dbuf *b, const mv_domain_features *f)
{
    dbuf c, cc;
    bool any = false;

    for (size_t i = 0; i < MV_FEATURE_LAST; i++)
        any |= f->state[i] != MV_TRISTATE_ABSENT;
    if (!any)
        return;
    db_child(&c, b);
    for (size_t i = 0; i < MV_FEATURE_LAST; i++) {
        const char *name = dx_feature_names[i];

        if (!f->state[i])
            continue;
        switch (i) {
        case MV_FEATURE_APIC:
            db_start(&c, name);
            db_attr_onoff(&c, "eoi", f->apic_eoi);
            db_end(&c);
            break;
        case MV_FEATURE_GIC:
            db_start(&c, name);
            db_attr(&c, "version", f->gic_version);
            db_end(&c);
            break;
        case MV_FEATURE_IOAPIC:
            db_start(&c, name);
            db_attr(&c, "driver", f->ioapic_driver);
            db_end(&c);
            break;
        case MV_FEATURE_HPT:
            db_start(&c, name);
            db_attr(&c, "resizing", f->hpt_resizing);
            db_end(&c);
            break;
        case MV_FEATURE_HYPERV:
            db_start(&c, name);
            db_attr(&c, "mode", f->hyperv_mode ? f->hyperv_mode : "custom");
            db_child(&cc, &c);
            for (size_t h = 0; h < MV_HYPERV_LAST; h++) {
                if (!f->hyperv[h])
                    continue;
                db_start(&cc, dx_hyperv_names[h]);
                db_attr_onoff(&cc, "state", f->hyperv[h]);
                if (f->hyperv[h] == MV_TRISTATE_YES && h == MV_HYPERV_SPINLOCKS)
                    db_attrf(&cc, "retries", "%u", f->hyperv_spinlocks_retries);
                if (f->hyperv[h] == MV_TRISTATE_YES && h == MV_HYPERV_VENDOR_ID)
                    db_attr(&cc, "value", f->hyperv_vendor_id);
                if (h == MV_HYPERV_STIMER && f->hyperv_stimer_direct) {
                    db_add(&cc, ">\n");
                    cc.indent++;
                    db_start(&cc, "direct");
                    db_attr_onoff(&cc, "state", f->hyperv_stimer_direct);
                    db_end(&cc);
                    cc.indent--;
                    db_indent(&cc);
                    db_add(&cc, "</stimer>\n");
                } else {
                    db_end(&cc);
                }
            }
            db_finish(&c, name, &cc);
            break;
        case MV_FEATURE_KVM:
            db_start(&c, name);
            db_child(&cc, &c);
            for (size_t k = 0; k < MV_KVM_LAST; k++) {
                if (!f->kvm[k])
                    continue;
                db_start(&cc, dx_kvm_names[k]);
                db_attr_onoff(&cc, "state", f->kvm[k]);
                if (k == MV_KVM_DIRTY_RING && f->kvm[k] == MV_TRISTATE_YES)
                    db_attrf(&cc, "size", "%u", f->kvm_dirty_ring_size);
                db_end(&cc);
            }
            db_finish(&c, name, &cc);
            break;
        default:
            db_start(&c, name);
            if (feat_kinds[i] != FEAT_PLAIN)
                db_attr_onoff(&c, "state", f->state[i]);
            if (i == MV_FEATURE_SMM && f->smm_tseg_present) {
                db_add(&c, ">\n");
                c.indent++;
                db_start(&c, "tseg");
                db_attrf(&c, "unit", "MiB");
                db_addf(&c, ">%llu</tseg>\n", f->smm_tseg_mib);
                c.indent--;
                db_indent(&c);
                db_add(&c, "</smm>\n");
            } else {
                db_end(&c);
            }
            break;
        }
    }
    db_start(b, "features");
    db_finish(b, "features", &c);
}

