/*
 * The domain document, top level: name, identity, memory, vCPUs, <os>,
 * <features>, <cpu>, <clock>, lifecycle actions, <pm>, the elements kept
 * verbatim, and the parse/format/copy/metadata entry points.  Devices are
 * in domain_conf_devices.c and domain_conf_chr.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "conf/domain_conf_priv.h"
#include "util/cleanup.h"

static const char *const virt_types[] = {
    "qemu", "kqemu", "kvm", "xen", "lxc", "uml", "openvz", "test", "vmware", "hyperv",
    "vbox", "phyp", "vz", "bhyve", "hvf", NULL,
};

/* Elements of <domain> in the order libvirt prints them.  Those without
 * a model here are kept verbatim and printed at their place. */
static const char *const top_order[] = {
    "name", "uuid", "genid", "title", "description", "metadata", "maxMemory", "memory",
    "currentMemory", "blkiotune", "memtune", "memoryBacking", "vcpu", "vcpus", "iothreads",
    "iothreadids", "defaultiothread", "cputune", "numatune", "resource", "sysinfo",
    "bootloader", "bootloader_args", "os", "idmap", "features", "cpu", "clock",
    "on_poweroff", "on_reboot", "on_crash", "on_lockfailure", "pm", "perf", "devices",
    "seclabel", "keywrap", "launchSecurity",
};

static const char *const top_opaque[] = {
    "genid", "blkiotune", "memtune", "memoryBacking", "vcpus", "iothreads", "iothreadids",
    "defaultiothread", "cputune", "numatune", "resource", "sysinfo", "bootloader",
    "bootloader_args", "idmap", "on_lockfailure", "perf", "seclabel", "keywrap",
    "launchSecurity", NULL,
};

/* ---- freeing ---- */

static void opaque_clear(mv_domain_opaque *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(o[i].name);
        free(o[i].ns_uri);
        free(o[i].xml);
    }
    free(o);
}

#define FREE_ARRAY(arr, n, fn) do {             \
        for (size_t _i = 0; _i < (n); _i++)     \
            fn((arr)[_i]);                      \
        free(arr);                              \
    } while (0)

void mv_domain_def_free(mv_domain_def *def)
{
    if (!def)
        return;
    free(def->virt_type);
    free(def->name);
    free(def->title);
    free(def->description);
    free(def->metadata);
    free(def->vcpu_placement);
    free(def->vcpu_cpuset);
    dx_os_clear(&def->os);
    free(def->features.gic_version);
    free(def->features.ioapic_driver);
    free(def->features.hpt_resizing);
    free(def->features.hyperv_mode);
    free(def->features.hyperv_vendor_id);
    dx_cpu_clear(&def->cpu);
    dx_clock_clear(&def->clock);
    free(def->on_poweroff);
    free(def->on_reboot);
    free(def->on_crash);
    free(def->emulator);
    FREE_ARRAY(def->disks, def->ndisks, dx_disk_free);
    FREE_ARRAY(def->controllers, def->ncontrollers, dx_controller_free);
    FREE_ARRAY(def->filesystems, def->nfilesystems, dx_fs_free);
    FREE_ARRAY(def->nets, def->nnets, dx_net_free);
    FREE_ARRAY(def->serials, def->nserials, dx_chr_free);
    FREE_ARRAY(def->parallels, def->nparallels, dx_chr_free);
    FREE_ARRAY(def->consoles, def->nconsoles, dx_chr_free);
    FREE_ARRAY(def->channels, def->nchannels, dx_chr_free);
    FREE_ARRAY(def->inputs, def->ninputs, dx_input_free);
    FREE_ARRAY(def->tpms, def->ntpms, dx_tpm_free);
    FREE_ARRAY(def->graphics, def->ngraphics, dx_graphics_free);
    FREE_ARRAY(def->sounds, def->nsounds, dx_sound_free);
    FREE_ARRAY(def->audios, def->naudios, dx_audio_free);
    FREE_ARRAY(def->videos, def->nvideos, dx_video_free);
    FREE_ARRAY(def->hostdevs, def->nhostdevs, dx_hostdev_free);
    FREE_ARRAY(def->redirdevs, def->nredirdevs, dx_redirdev_free);
    FREE_ARRAY(def->watchdogs, def->nwatchdogs, dx_watchdog_free);
    dx_memballoon_free(def->memballoon);
    FREE_ARRAY(def->rngs, def->nrngs, dx_rng_free);
    opaque_clear(def->opaque, def->nopaque);
    opaque_clear(def->opaque_devices, def->nopaque_devices);
    free(def);
}

static void def_freep(mv_domain_def **def)
{
    mv_domain_def_free(*def);
}

static void docp_free(xmlDocPtr *doc)
{
    xmlFreeDoc(*doc);
}

#define _cleanup_def_ _cleanup_(def_freep)
#define _cleanup_doc_ _cleanup_(docp_free)

/* ---- identity ---- */

/* A whole attribute or element text: the uuid and nothing but spaces. */
static int uuid_parse(const char *s, unsigned char uuid[MV_DOMAIN_UUID_LEN])
{
    int r = mv_uuid_scan(s, uuid, &s);

    if (r < 0)
        return r;
    while (*s == ' ')
        s++;
    return *s ? -EINVAL : 0;
}

static int parse_identity(dparse *p, xmlNodePtr root, mv_domain_def *def)
{
    xmlNodePtr n;

    n = dx_child(root, "name");
    if (n)
        def->name = dx_text(p, n);
    if (p->oom)
        return -ENOMEM;
    if (!def->name || !*def->name)
        return mv_error_report_raw(-EINVAL, MV_ERR_NO_NAME, MV_FROM_DOMAIN,
                                   "missing name information");
    if (strchr(def->name, '/'))
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "name %s cannot contain '/'", def->name);
    if (strchr(def->name, '\n'))
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "name %s cannot contain '\\n'", def->name);

    n = dx_child(root, "uuid");
    if (n) {
        _cleanup_free_ char *s = dx_text(p, n);

        if (!s || uuid_parse(s, def->uuid) < 0)
            return p->oom ? -ENOMEM :
                   mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                                   "malformed uuid element");
    } else {
        sd_id128_t id;
        int r = sd_id128_randomize(&id);

        if (r < 0)
            return r;
        memcpy(def->uuid, id.bytes, MV_DOMAIN_UUID_LEN);
    }

    n = dx_child(root, "title");
    if (n) {
        def->title = dx_text(p, n);
        if (def->title && strchr(def->title, '\n'))
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "title can't contain newlines");
    }
    n = dx_child(root, "description");
    if (n)
        def->description = dx_text(p, n);
    return p->oom ? -ENOMEM : 0;
}

/* The element children of <metadata>, each serialised on its own with its
 * namespaces, as the lines that go inside <metadata> at indentation 2. */
int dx_metadata_serialise(dparse *p, xmlNodePtr md, char **ret)
{
    dbuf b = { 0 };

    for (xmlNodePtr c = md->children; c; c = c->next) {
        _cleanup_free_ char *s = NULL;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        s = dx_dump_node(c, 2);
        if (!s) {
            p->oom = true;
            break;
        }
        db_add(&b, "    ");
        db_add(&b, s);
        db_add(&b, "\n");
    }
    if (p->oom || b.oom) {
        db_free(&b);
        return -ENOMEM;
    }
    *ret = b.s;     /* NULL for an empty <metadata/> */
    return 0;
}

static int parse_metadata(dparse *p, xmlNodePtr root, mv_domain_def *def)
{
    xmlNodePtr n = dx_child(root, "metadata");
    char *s = NULL;
    int r;

    if (!n)
        return 0;
    dx_mark_subtree(n);
    r = dx_metadata_serialise(p, n, &s);
    if (r < 0)
        return r;
    def->metadata = s ? s : dx_strdup(p, "");
    return p->oom ? -ENOMEM : 0;
}

/* ---- memory and vCPUs ---- */

static int parse_memory(dparse *p, xmlNodePtr root, mv_domain_def *def)
{
    xmlNodePtr n;
    int r;

    n = dx_child(root, "memory");
    if (n && (r = dx_scaled_kib(p, n, "./memory[1]", "KiB", &def->memory_kib)) < 0)
        return r;
    n = dx_child(root, "currentMemory");
    if (n && (r = dx_scaled_kib(p, n, "./currentMemory[1]", "KiB",
                                &def->current_memory_kib)) < 0)
        return r;
    n = dx_child(root, "maxMemory");
    if (n) {
        if ((r = dx_scaled_kib(p, n, "./maxMemory[1]", "KiB", &def->max_memory_kib)) < 0)
            return r;
        if ((r = dx_attr_u32(p, n, "slots", &def->max_memory_slots)) < 0)
            return r;
        if (r == 0 && def->max_memory_kib)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "both maximum memory size and memory slot count must be specified");
    }
    return 0;
}

static int parse_vcpu(dparse *p, xmlNodePtr root, mv_domain_def *def)
{
    static const char *const placements[] = { "static", "auto", NULL };
    xmlNodePtr n = dx_child(root, "vcpu");
    _cleanup_free_ char *text = NULL, *cpuset = NULL;
    unsigned long long v;
    int r;

    def->vcpus = 1;
    if (!n) {
        def->vcpus_current = 1;
        return 0;
    }
    text = dx_text(p, n);
    if (p->oom)
        return -ENOMEM;
    if (dx_parse_ull(text, 10, &v) < 0 || v > UINT_MAX)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "maximum vcpus count must be an integer");
    if (v == 0 || v > MV_DOMAIN_MAX_VCPUS)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "maximum vcpus count must be between 1 and %u",
                               MV_DOMAIN_MAX_VCPUS);
    def->vcpus = (unsigned)v;
    def->vcpus_current = def->vcpus;
    r = dx_attr_uint(p, n, "current", 10, UINT_MAX, &v);
    if (r < 0)
        return mv_error_report(r, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "current vcpus count must be an integer");
    if (r > 0) {
        if (v > def->vcpus)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "maximum vCPU count must not be less than current vCPU count");
        if (v == 0)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "current vcpus count must be at least 1");
        def->vcpus_current = (unsigned)v;
    }
    r = dx_attr_in_xml(p, n, "placement", placements, &def->vcpu_placement);
    if (r < 0)
        return r;
    cpuset = dx_attr(p, n, "cpuset");
    if (cpuset) {
        r = dx_cpuset_canon(cpuset, MV_DOMAIN_MAX_CPUSET, &def->vcpu_cpuset);
        if (r == -ENOMEM)
            return r;
        if (r < 0)
            return mv_error_report(r, MV_ERR_INVALID_ARG, MV_FROM_NONE,
                                   "Failed to parse bitmap '%s'", cpuset);
    }
    return p->oom ? -ENOMEM : 0;
}

/* ---- lifecycle, pm ---- */

static int parse_lifecycle(dparse *p, xmlNodePtr root, mv_domain_def *def)
{
    static const char *const actions[] = { "destroy", "restart", "rename-restart", "preserve", NULL };
    static const char *const crash_actions[] = { "destroy", "restart", "rename-restart", "preserve",
                                                 "coredump-destroy", "coredump-restart", NULL };
    static const char *const names[] = { "on_poweroff", "on_reboot", "on_crash" };
    char **fields[] = { &def->on_poweroff, &def->on_reboot, &def->on_crash };
    xmlNodePtr n;

    for (size_t i = 0; i < ELEMENTSOF(names); i++) {
        const char *const *allowed = i == 2 ? crash_actions : actions;

        if (!(n = dx_child(root, names[i])))
            continue;
        *fields[i] = dx_text(p, n);
        if (p->oom)
            return -ENOMEM;
        for (size_t a = 0; allowed[a]; a++)
            if (strcmp(allowed[a], *fields[i]) == 0)
                goto ok;
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unknown %s action: %s", names[i], *fields[i]);
ok:;
    }

    n = dx_child(root, "pm");
    if (n) {
        xmlNodePtr c;
        int r;

        if ((c = dx_child(n, "suspend-to-mem")) &&
            (r = dx_attr_yesno(p, c, "enabled", &def->pm_suspend_to_mem)) < 0)
            return r;
        if ((c = dx_child(n, "suspend-to-disk")) &&
            (r = dx_attr_yesno(p, c, "enabled", &def->pm_suspend_to_disk)) < 0)
            return r;
    }
    return 0;
}

/* ---- verbatim elements ---- */

static int add_opaque(dparse *p, mv_domain_opaque **arr, size_t *n, xmlNodePtr node, int level)
{
    mv_domain_opaque *t, *o;
    char name[256];

    if (*n >= MV_DOMAIN_MAX_DEVICES)
        return mv_error_report(-E2BIG, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "too many elements in the document");
    t = realloc(*arr, (*n + 1) * sizeof(*t));
    if (!t)
        return -ENOMEM;
    *arr = t;
    o = &t[*n];
    memset(o, 0, sizeof(*o));
    if (node->ns && node->ns->prefix)
        snprintf(name, sizeof(name), "%s:%s", node->ns->prefix, node->name);
    else
        snprintf(name, sizeof(name), "%s", node->name);
    o->name = dx_strdup(p, name);
    o->ns_uri = node->ns ? dx_strdup(p, (const char *)node->ns->href) : NULL;
    o->xml = dx_dump_node(node, level);
    (*n)++;
    dx_mark_subtree(node);
    if (!o->xml || p->oom)
        return -ENOMEM;
    return 0;
}

static void format_opaque(dbuf *b, const mv_domain_opaque *o, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (name ? (o[i].ns_uri || strcmp(o[i].name, name) != 0) : !o[i].ns_uri)
            continue;
        db_indent(b);
        db_add(b, o[i].xml);
        db_add(b, "\n");
    }
}

static bool is_opaque_top(xmlNodePtr n)
{
    if (n->ns)
        return true;
    for (size_t i = 0; top_opaque[i]; i++)
        if (strcmp((const char *)n->name, top_opaque[i]) == 0)
            return true;
    return false;
}

bool mv_domain_def_has_opaque(const mv_domain_def *def)
{
    return def->nopaque || def->nopaque_devices;
}

/* ---- the document ---- */

static int parse_root(dparse *p, xmlNodePtr root, mv_domain_def *def)
{
    int r;

    def->virt_type = dx_attr(p, root, "type");
    if (!def->virt_type)
        return p->oom ? -ENOMEM :
               mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                               "missing domain type attribute");
    if (dx_lookup(virt_types, ELEMENTSOF(virt_types) - 1, def->virt_type) < 0)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "invalid domain type %s", def->virt_type);
    /* The id of a running domain is the daemon's to give. */
    free(dx_attr(p, root, "id"));

    if ((r = parse_identity(p, root, def)) < 0 ||
        (r = parse_metadata(p, root, def)) < 0 ||
        (r = parse_memory(p, root, def)) < 0 ||
        (r = parse_vcpu(p, root, def)) < 0 ||
        (r = dx_os_parse(p, root, def)) < 0 ||
        (r = dx_features_parse(p, root, def)) < 0 ||
        (r = dx_cpu_parse(p, root, def)) < 0 ||
        (r = dx_clock_parse(p, root, def)) < 0 ||
        (r = parse_lifecycle(p, root, def)) < 0)
        return r;

    for (xmlNodePtr c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || c->_private || !is_opaque_top(c))
            continue;
        if ((r = add_opaque(p, &def->opaque, &def->nopaque, c, 1)) < 0)
            return r;
    }
    return 0;
}

/* Count and highest member of a canonical cpuset ("0-3,6"). */
static void cpuset_stats(const char *s, unsigned long *count, long *max)
{
    *count = 0;
    *max = -1;
    while (s && *s) {
        char *end;
        unsigned long lo = strtoul(s, &end, 10), hi = lo;

        if (*end == '-')
            hi = strtoul(end + 1, &end, 10);
        *count += hi - lo + 1;
        *max = (long)hi;
        s = *end == ',' ? end + 1 : end;
        if (end == s && *s)
            break;
    }
}

static int check_numa(const mv_domain_def *def)
{
    unsigned long total = 0, count;
    long max, highest = -1;

    for (size_t i = 0; i < def->cpu.ncells; i++) {
        cpuset_stats(def->cpu.cells[i].cpus, &count, &max);
        total += count;
        if (max > highest)
            highest = max;
    }
    if (total > def->vcpus)
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                               "Number of CPUs in <numa> exceeds the <vcpu> count");
    if (highest >= (long)def->vcpus)
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                               "CPU IDs in <numa> exceed the <vcpu> count");
    return 0;
}

/* Defaults and checks that need the whole document. */
static int post_parse(dparse *p, mv_domain_def *def)
{
    bool device_boot = false;
    int r;

    if (def->cpu.ncells && !def->memory_kib) {
        unsigned long long total = 0;

        for (size_t i = 0; i < def->cpu.ncells; i++)
            total += def->cpu.cells[i].memory_kib;
        def->memory_kib = total;
    }
    if (def->memory_kib == 0)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "Memory size must be specified via <memory> or in the <numa> configuration");
    if (def->current_memory_kib == 0 || def->current_memory_kib > def->memory_kib)
        def->current_memory_kib = def->memory_kib;
    if (def->max_memory_kib && def->max_memory_kib < def->memory_kib)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "maximum memory size must be equal or greater than the actual memory size");

    if ((r = check_numa(def)) < 0 || (r = dx_devices_post_parse(p, def)) < 0)
        return r;

    for (size_t i = 0; i < def->ndisks; i++)
        device_boot |= def->disks[i]->info.boot_order != 0;
    for (size_t i = 0; i < def->nnets; i++)
        device_boot |= def->nets[i]->info.boot_order != 0;
    for (size_t i = 0; i < def->nhostdevs; i++)
        device_boot |= def->hostdevs[i]->info.boot_order != 0;
    for (size_t i = 0; i < def->nredirdevs; i++)
        device_boot |= def->redirdevs[i]->info.boot_order != 0;
    if (device_boot && def->os.nboot_devs)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "per-device boot elements cannot be used together with os/boot elements");
    /* A machine that boots with no kernel and no boot order boots from disk. */
    if (!device_boot && !def->os.nboot_devs && def->os.type &&
        strcmp(def->os.type, "hvm") == 0) {
        def->os.boot_devs[0] = dx_strdup(p, "hd");
        if (!def->os.boot_devs[0])
            return -ENOMEM;
        def->os.nboot_devs = 1;
    }
    return 0;
}

int mv_domain_def_parse(const char *xml, unsigned flags, mv_domain_def **ret)
{
    _cleanup_doc_ xmlDocPtr doc = NULL;
    _cleanup_def_ mv_domain_def *def = NULL;
    dparse p = { .flags = flags };
    xmlNodePtr root, devices;
    int r;

    r = dx_read(xml, "(domain_definition)", "domain", &doc);
    if (r < 0)
        return r;
    /* The schema first, as libvirt: its error is the one a user sees. */
    if (flags & MV_DOMAIN_PARSE_VALIDATE) {
        r = dx_validate_schema(doc);
        if (r < 0)
            return r;
    }
    root = xmlDocGetRootElement(doc);
    root->_private = DX_USED;
    def = calloc(1, sizeof(*def));
    if (!def)
        return -ENOMEM;
    r = parse_root(&p, root, def);
    if (r < 0)
        return r;
    devices = dx_child(root, "devices");
    if (devices) {
        xmlNodePtr emulator = dx_child(devices, "emulator");

        if (emulator && !(def->emulator = dx_text(&p, emulator)))
            return -ENOMEM;
        for (xmlNodePtr c = devices->children; c; c = c->next) {
            mv_domain_device dev = { 0 };

            if (c->type != XML_ELEMENT_NODE || c->_private)
                continue;
            c->_private = DX_USED;
            r = dx_device_parse(&p, c, &dev);
            if (r == -ENOENT) {
                c->_private = NULL;
                continue;
            }
            if (r == -EEXIST) {     /* a verbatim device */
                c->_private = NULL;
                r = add_opaque(&p, &def->opaque_devices, &def->nopaque_devices, c, 2);
                if (r < 0)
                    return r;
                continue;
            }
            if (r >= 0)
                r = dx_def_add_device(def, &dev, false);
            dx_device_clear(&dev);
            if (r < 0)
                return r;
        }
    }
    if (p.oom)
        return -ENOMEM;
    r = dx_check_unused(root);
    if (r < 0)
        return r;
    r = post_parse(&p, def);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(def);
    return 0;
}

int mv_domain_def_format(const mv_domain_def *def, unsigned flags, int id, char **ret_xml)
{
    dbuf b = { 0 };
    char uuid[MV_UUID_STRLEN];

    db_start(&b, "domain");
    db_attr(&b, "type", def->virt_type);
    if (id >= 0 && !(flags & MV_DOMAIN_XML_INACTIVE))
        db_attrf(&b, "id", "%d", id);
    db_add(&b, ">\n");
    b.indent = 1;
    for (size_t i = 0; i < ELEMENTSOF(top_order); i++) {
        const char *e = top_order[i];

        if (strcmp(e, "name") == 0) {
            db_text_elem(&b, "name", def->name);
        } else if (strcmp(e, "uuid") == 0) {
            mv_uuid_format(def->uuid, uuid);
            db_text_elem(&b, "uuid", uuid);
        } else if (strcmp(e, "title") == 0) {
            db_text_elem(&b, "title", def->title);
        } else if (strcmp(e, "description") == 0) {
            db_text_elem(&b, "description", def->description);
        } else if (strcmp(e, "metadata") == 0) {
            if (def->metadata && *def->metadata) {
                db_add(&b, "  <metadata>\n");
                db_add(&b, def->metadata);
                db_add(&b, "  </metadata>\n");
            } else if (def->metadata) {
                db_add(&b, "  <metadata/>\n");
            }
        } else if (strcmp(e, "maxMemory") == 0) {
            if (def->max_memory_kib)
                db_addf(&b, "  <maxMemory slots='%u' unit='KiB'>%llu</maxMemory>\n",
                        def->max_memory_slots, def->max_memory_kib);
        } else if (strcmp(e, "memory") == 0) {
            db_addf(&b, "  <memory unit='KiB'>%llu</memory>\n", def->memory_kib);
        } else if (strcmp(e, "currentMemory") == 0) {
            db_addf(&b, "  <currentMemory unit='KiB'>%llu</currentMemory>\n",
                    def->current_memory_kib);
        } else if (strcmp(e, "vcpu") == 0) {
            db_start(&b, "vcpu");
            db_attr(&b, "placement", def->vcpu_placement ? def->vcpu_placement : "static");
            db_attr(&b, "cpuset", def->vcpu_cpuset);
            if (def->vcpus_current != def->vcpus)
                db_attrf(&b, "current", "%u", def->vcpus_current);
            db_addf(&b, ">%u</vcpu>\n", def->vcpus);
        } else if (strcmp(e, "os") == 0) {
            dx_os_format(&b, def);
        } else if (strcmp(e, "features") == 0) {
            dx_features_format(&b, &def->features);
        } else if (strcmp(e, "cpu") == 0) {
            dx_cpu_format(&b, def);
        } else if (strcmp(e, "clock") == 0) {
            dx_clock_format(&b, def);
        } else if (strcmp(e, "on_poweroff") == 0) {
            db_text_elem(&b, e, def->on_poweroff ? def->on_poweroff : "destroy");
        } else if (strcmp(e, "on_reboot") == 0) {
            db_text_elem(&b, e, def->on_reboot ? def->on_reboot : "restart");
        } else if (strcmp(e, "on_crash") == 0) {
            db_text_elem(&b, e, def->on_crash ? def->on_crash : "destroy");
        } else if (strcmp(e, "pm") == 0) {
            if (def->pm_suspend_to_mem || def->pm_suspend_to_disk) {
                db_add(&b, "  <pm>\n");
                b.indent++;
                if (def->pm_suspend_to_mem) {
                    db_start(&b, "suspend-to-mem");
                    db_attr_yesno(&b, "enabled", def->pm_suspend_to_mem);
                    db_end(&b);
                }
                if (def->pm_suspend_to_disk) {
                    db_start(&b, "suspend-to-disk");
                    db_attr_yesno(&b, "enabled", def->pm_suspend_to_disk);
                    db_end(&b);
                }
                b.indent--;
                db_add(&b, "  </pm>\n");
            }
        } else if (strcmp(e, "devices") == 0) {
            dx_devices_format(&b, def, flags);
        } else {
            format_opaque(&b, def->opaque, def->nopaque, e);
        }
    }
    format_opaque(&b, def->opaque, def->nopaque, NULL);
    db_add(&b, "</domain>\n");
    return db_steal(&b, ret_xml);
}

int mv_domain_def_copy(const mv_domain_def *def, mv_domain_def **ret)
{
    _cleanup_free_ char *xml = NULL;
    int r;

    /* Through the document, as libvirt does: what formats, parses back. */
    r = mv_domain_def_format(def, MV_DOMAIN_XML_SECURE, -1, &xml);
    if (r < 0)
        return r;
    return mv_domain_def_parse(xml, MV_DOMAIN_PARSE_STATUS | MV_DOMAIN_PARSE_SECURE, ret);
}

