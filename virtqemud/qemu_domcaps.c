#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "qemu_json.h"
#include "qemu_domcaps.h"
#include "qemu_capabilities.h"
#include "qemu_domcaps_probe.h"
#include "conf/domcaps_conf.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/hostinfo.h"
#include "util/log.h"

#define MAX_FW_DIRS 4
#define MAX_FW_FILES 64
#define FW_FILE_MAX (1u << 20)

/* ---- names of the interface ---- */

/* libvirt's architecture names; any other is an unknown architecture. */
static const char *const arch_names[] = {
    "alpha", "armv6l", "armv7l", "armv7b", "aarch64", "cris", "i686", "ia64", "lm32", "m68k",
    "microblaze", "microblazeel", "mips", "mipsel", "mips64", "mips64el", "openrisc", "parisc",
    "parisc64", "ppc", "ppcle", "ppc64", "ppc64le", "ppcemb", "riscv32", "riscv64", "s390",
    "s390x", "sh4", "sh4eb", "sparc", "sparc64", "unicore32", "x86_64", "xtensa", "xtensaeb",
};

/* libvirt's virtualization types; QEMU runs only the first two ("none"
 * asks for the default). */
static const char *const virt_types[] = {
    "qemu", "kvm", "kqemu", "xen", "lxc", "uml", "openvz", "test", "vmware", "hyperv",
    "vbox", "phyp", "parallels", "bhyve", "vz", "hvf",
};

/* Guest architectures a binary runs besides its own. */
static const struct { const char *bin, *guest; } extra_arches[] = {
    { "x86_64", "i686" }, { "aarch64", "armv7l" }, { "armv7l", "armv6l" }, { "ppc64", "ppc64le" },
};

/* Models meant to run on any vendor's host: libvirt shows vendor 'unknown'. */
static const char *const generic_models[] = {
    "qemu64", "qemu32", "kvm64", "kvm32", "pentium", "pentium2", "pentium3", "486",
};

/* Firmware tried when no descriptor matches, as libvirt's default nvram list. */
static const char *const fallback_loaders[] = {
    "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_CODE.secboot.fd",
    "/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/AAVMF/AAVMF32_CODE.fd",
};

static bool in_list(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static bool arch_runs(const char *bin, const char *guest)
{
    if (strcmp(bin, guest) == 0)
        return true;
    for (size_t i = 0; i < ELEMENTSOF(extra_arches); i++)
        if (strcmp(extra_arches[i].bin, bin) == 0 && strcmp(extra_arches[i].guest, guest) == 0)
            return true;
    return false;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *fw_dirs[MAX_FW_DIRS + 1];
static bool custom_fw_dirs;
static const char *const default_fw_dirs[] = { "/etc/qemu/firmware", "/usr/share/qemu/firmware", NULL };

void qemu_domcaps_flush(void)
{
    pthread_mutex_lock(&lock);
    dcprobe_clear();
    pthread_mutex_unlock(&lock);
}

void qemu_domcaps_set_firmware_dirs(const char *const *dirs)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < MAX_FW_DIRS; i++) {
        free(fw_dirs[i]);
        fw_dirs[i] = NULL;
    }
    for (size_t i = 0; dirs && dirs[i] && i < MAX_FW_DIRS; i++)
        fw_dirs[i] = strdup(dirs[i]);
    custom_fw_dirs = dirs != NULL;
    pthread_mutex_unlock(&lock);
}

/* ---- firmware descriptors ---- */

typedef struct fw_file {
    char name[256];
    char path[4096];
} fw_file;

static int cmp_fw(const void *a, const void *b)
{
    return strcmp(((const fw_file *)a)->name, ((const fw_file *)b)->name);
}

/* Descriptor files by name, a file in an earlier directory hiding one of
 * the same name in a later one, in the order of their names. */
static size_t list_fw_files(fw_file *files)
{
    const char *const *dirs = custom_fw_dirs ? (const char *const *)fw_dirs : default_fw_dirs;
    size_t n = 0;

    for (size_t d = 0; dirs[d]; d++) {
        DIR *dir = opendir(dirs[d]);
        struct dirent *de;

        while (dir && (de = readdir(dir)) && n < MAX_FW_FILES) {
            size_t len = strlen(de->d_name);
            bool seen = false;

            if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 5, ".json") != 0 ||
                len >= sizeof(files[0].name))
                continue;
            for (size_t i = 0; i < n; i++)
                seen |= strcmp(files[i].name, de->d_name) == 0;
            if (seen)
                continue;
            snprintf(files[n].name, sizeof(files[n].name), "%s", de->d_name);
            snprintf(files[n].path, sizeof(files[n].path), "%s/%s", dirs[d], de->d_name);
            n++;
        }
        if (dir)
            closedir(dir);
    }
    qsort(files, n, sizeof(*files), cmp_fw);
    return n;
}

static bool json_array_has(json_object *arr, const char *s)
{
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
        if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)) ?: "", s) == 0)
            return true;
    return false;
}

static bool fw_targets(json_object *fw, const char *target, const char *machine_name)
{
    json_object *targets = qemu_json_get(fw, "targets");

    for (size_t i = 0; targets && i < json_object_array_length(targets); i++) {
        json_object *t = json_object_array_get_idx(targets, i), *ms = qemu_json_get(t, "machines");
        if (strcmp(qemu_json_str(t, "architecture") ?: "", target) != 0)
            continue;
        for (size_t m = 0; ms && m < json_object_array_length(ms); m++)
            if (fnmatch(json_object_get_string(json_object_array_get_idx(ms, m)) ?: "",
                        machine_name, 0) == 0)
                return true;
    }
    return false;
}

/* <os>: the firmware the descriptors offer for this arch and machine. */
static int fill_os(mv_domcaps *c, const char *arch, const char *machine_name)
{
    fw_file *files = calloc(MAX_FW_FILES, sizeof(*files));
    mv_domcaps_enum *fw, *type, *ro, *secure;
    bool bios = false, efi = false, sb = false, fallback;
    size_t n;
    int r = 0;

    if (!files)
        return -ENOMEM;
    c->has_os = c->os.supported = c->has_loader = c->loader.supported = true;
    c->os.name = "os";
    c->loader.name = "loader";
    n = list_fw_files(files);
    for (size_t i = 0; r >= 0 && i < n && machine_name; i++) {
        _cleanup_free_ char *data = NULL;
        json_object *o, *map;
        const char *dev, *file;
        size_t len = 0;

        /* An empty file masks the descriptor of the same name. */
        if (mv_read_file(files[i].path, FW_FILE_MAX, &data, &len) < 0 || len == 0 ||
            !(o = json_tokener_parse(data)))
            continue;
        map = qemu_json_get(o, "mapping");
        dev = qemu_json_str(map, "device") ?: "";
        file = strcmp(dev, "flash") == 0 ? qemu_json_str(qemu_json_get(map, "executable"), "filename")
               : strcmp(dev, "memory") == 0 ? qemu_json_str(map, "filename") : NULL;
        if (file && access(file, R_OK) == 0 && fw_targets(o, dcprobe_qemu_target(arch), machine_name)) {
            bool is_efi = json_array_has(qemu_json_get(o, "interface-types"), "uefi");
            bios |= json_array_has(qemu_json_get(o, "interface-types"), "bios");
            efi |= is_efi;
            sb |= is_efi && json_array_has(qemu_json_get(o, "features"), "secure-boot");
            if (!mv_domcaps_enum_has(&c->loader_values, file))
                r = mv_domcaps_enum_add(&c->loader_values, file);
        }
        json_object_put(o);
    }
    free(files);
    /* Nothing described: the well-known firmware files that exist. */
    fallback = c->loader_values.nvalues == 0;
    for (size_t i = 0; r >= 0 && fallback && i < ELEMENTSOF(fallback_loaders); i++)
        if (access(fallback_loaders[i], R_OK) == 0)
            r = mv_domcaps_enum_add(&c->loader_values, fallback_loaders[i]);
    if (r < 0)
        return r;
    if (!(fw = mv_domcaps_elem_add_enum(&c->os, "firmware")) ||
        !(type = mv_domcaps_elem_add_enum(&c->loader, "type")) ||
        !(ro = mv_domcaps_elem_add_enum(&c->loader, "readonly")) ||
        !(secure = mv_domcaps_elem_add_enum(&c->loader, "secure")))
        return -E2BIG;
    if ((r = mv_domcaps_enum_add_if(fw, bios, "bios")) < 0 ||
        (r = mv_domcaps_enum_add_if(fw, efi, "efi")) < 0 ||
        (r = mv_domcaps_enum_add(type, "rom")) < 0 ||
        (r = mv_domcaps_enum_add(type, "pflash")) < 0 ||
        (r = mv_domcaps_enum_add(ro, "yes")) < 0 ||
        (r = mv_domcaps_enum_add(ro, "no")) < 0 ||
        (r = mv_domcaps_enum_add_if(secure, sb, "yes")) < 0)
        return r;
    return mv_domcaps_enum_add(secure, "no");
}

/* ---- the document ---- */

/* A model's vendor.  Under KVM, QEMU gives every model the host's vendor,
 * so the vendors come from the TCG probe (same models, same order); a
 * binary without TCG leaves them unknown. */
static const char *model_vendor(const dcprobe_accel *tcg, size_t i)
{
    if (!tcg || i >= tcg->nmodels ||
        in_list(generic_models, ELEMENTSOF(generic_models), tcg->models[i].name))
        return NULL;
    return tcg->models[i].info.vendor;
}

/* The host-model: the listed model nearest to what this accelerator gives
 * a guest, with the differences as required and disabled features.  A
 * model of the host's vendor beats a vendor-neutral one (qemu64 says
 * little about a CPU), then one of the host's family and model number,
 * then the fewest differences. */
static int fill_host_model(mv_domcaps *c, const dcprobe_accel *a, const dcprobe_accel *tcg)
{
    const dcprobe_model *best = NULL;
    size_t best_diff = SIZE_MAX, nfeatures = dcprobe_nfeatures();
    bool best_sig = false, best_generic = true;

    for (size_t i = 0; i < a->nmodels; i++) {
        const dcprobe_model *m = &a->models[i];
        bool generic = in_list(generic_models, ELEMENTSOF(generic_models), m->name), sig;
        const char *vendor = model_vendor(tcg, i);
        size_t diff = 0;

        if (!m->info.valid ||
            (!generic && tcg && (!vendor || !a->host.vendor || strcmp(vendor, a->host.vendor) != 0)))
            continue;
        for (size_t f = 0; f < nfeatures; f++)
            diff += dcprobe_feat_has(&m->info.feat, f) != dcprobe_feat_has(&a->host.feat, f);
        sig = m->info.family == a->host.family && m->info.model == a->host.model;
        if (generic != best_generic ? !generic
            : sig != best_sig ? sig
            : diff < best_diff) {
            best = m;
            best_generic = generic;
            best_sig = sig;
            best_diff = diff;
        }
    }
    if (!best)
        return 0;
    if (!(c->host_model_name = strdup(best->name)) ||
        (a->host.vendor && !(c->host_model_vendor = strdup(a->host.vendor))))
        return -ENOMEM;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t f = 0; f < nfeatures; f++) {
            bool host = dcprobe_feat_has(&a->host.feat, f), model = dcprobe_feat_has(&best->info.feat, f);
            int r = 0;
            if (pass == 0 && host && !model)
                r = mv_domcaps_add_host_model_feature(c, "require", dcprobe_feature_name(f));
            else if (pass == 1 && model && !host)
                r = mv_domcaps_add_host_model_feature(c, "disable", dcprobe_feature_name(f));
            if (r < 0)
                return r;
        }
    }
    return 0;
}

static int fill_cpu(mv_domcaps *c, const dcprobe_accel *a, const dcprobe_accel *tcg, bool kvm)
{
    int r = 0;

    c->has_cpu = true;
    c->host_passthrough = kvm;
    c->maximum = true;
    c->host_passthrough_migratable.name = "hostPassthroughMigratable";
    c->maximum_migratable.name = "maximumMigratable";
    if ((r = mv_domcaps_enum_add_if(&c->host_passthrough_migratable, a->migratable, "on")) < 0 ||
        (r = mv_domcaps_enum_add(&c->host_passthrough_migratable, "off")) < 0 ||
        (r = mv_domcaps_enum_add_if(&c->maximum_migratable, a->migratable, "on")) < 0 ||
        (r = mv_domcaps_enum_add(&c->maximum_migratable, "off")) < 0)
        return r;
    c->host_model = a->host.valid;
    if (c->host_model && (r = fill_host_model(c, a, tcg)) < 0)
        return r;
    c->host_model = c->host_model_name != NULL;
    for (size_t i = 0; r >= 0 && i < a->nmodels; i++) {
        const dcprobe_model *m = &a->models[i];
        r = mv_domcaps_add_cpu_model(c, m->name, m->usable, model_vendor(tcg, i), m->deprecated);
    }
    c->custom = c->ncustom_models > 0;
    return r;
}

/* Machines with an IDE controller built in. */
static bool builtin_ide(const char *arch, const char *m)
{
    return dcprobe_is_x86(arch) && (strcmp(m, "pc") == 0 || strncmp(m, "pc-i440fx-", 10) == 0 ||
                            strncmp(m, "pc-0.", 5) == 0 || strncmp(m, "pc-1.", 5) == 0);
}

typedef struct { const char *value; bool cond; } choice;

/* An enum of the values whose condition holds, in the order given. */
static int add_enum(mv_domcaps_elem *el, const char *name, const choice *ch, size_t n)
{
    mv_domcaps_enum *e;
    int r = 0;

    if (!el || !(e = mv_domcaps_elem_add_enum(el, name)))
        return -E2BIG;
    for (size_t i = 0; r >= 0 && i < n; i++)
        r = mv_domcaps_enum_add_if(e, ch[i].cond, ch[i].value);
    return r;
}
#define ADD_ENUM(el, name, ...) \
    add_enum(el, name, (const choice[]) { __VA_ARGS__ }, \
             sizeof((const choice[]) { __VA_ARGS__ }) / sizeof(choice))

static bool host_has_vfio(void)
{
    DIR *d = opendir("/sys/kernel/iommu_groups");
    struct dirent *de;
    bool groups = false;

    while (d && !groups && (de = readdir(d)))
        groups = de->d_name[0] != '.';
    if (d)
        closedir(d);
    return groups && access("/dev/vfio/vfio", F_OK) == 0;
}

static bool has_type(const dcprobe_binary *b, const char *type)
{
    return dcprobe_has_type(b, type);
}

/* A virtio device on PCI or on MMIO (machines without PCI). */
static bool has_virtio(const dcprobe_binary *b, const char *what)
{
    char pci[64], mmio[64];

    snprintf(pci, sizeof(pci), "virtio-%s-pci", what);
    snprintf(mmio, sizeof(mmio), "virtio-%s-device", what);
    return has_type(b, pci) || has_type(b, mmio);
}

static int fill_devices(mv_domcaps *c, const dcprobe_binary *b, const char *machine_name)
{
    bool virtio_blk = has_virtio(b, "blk"), rng = has_virtio(b, "rng");
    bool p9 = has_virtio(b, "9p"), vfio = has_type(b, "vfio-pci") && host_has_vfio();
    bool tpm = b->tpm_tis || b->tpm_crb || b->tpm_spapr;
    mv_domcaps_elem *el;
    int r;

    el = mv_domcaps_add_device(c, "disk", true);
    if ((r = ADD_ENUM(el, "diskDevice", { "disk", true }, { "cdrom", true },
                      { "floppy", has_type(b, "isa-fdc") }, { "lun", has_type(b, "scsi-block") })) < 0 ||
        (r = ADD_ENUM(el, "bus", { "ide", builtin_ide(b->arch, machine_name) },
                      { "fdc", has_type(b, "isa-fdc") },
                      { "scsi", has_virtio(b, "scsi") || has_type(b, "lsi53c895a") },
                      { "virtio", virtio_blk }, { "usb", has_type(b, "usb-storage") },
                      { "sata", has_type(b, "ich9-ahci") })) < 0 ||
        (r = ADD_ENUM(el, "model", { "virtio", virtio_blk },
                      { "virtio-transitional", has_type(b, "virtio-blk-pci-transitional") },
                      { "virtio-non-transitional", has_type(b, "virtio-blk-pci-non-transitional") })) < 0)
        return r;
    el = mv_domcaps_add_device(c, "graphics", true);
    if ((r = ADD_ENUM(el, "type", { "sdl", b->disp_sdl }, { "vnc", b->vnc }, { "spice", b->spice },
                      { "egl-headless", b->disp_egl }, { "dbus", b->disp_dbus })) < 0)
        return r;
    el = mv_domcaps_add_device(c, "video", true);
    if ((r = ADD_ENUM(el, "modelType", { "vga", has_type(b, "VGA") }, { "cirrus", has_type(b, "cirrus-vga") },
                      { "vmvga", has_type(b, "vmware-svga") }, { "qxl", has_type(b, "qxl-vga") },
                      { "virtio", has_type(b, "virtio-vga") || has_virtio(b, "gpu") },
                      { "none", true }, { "bochs", has_type(b, "bochs-display") },
                      { "ramfb", has_type(b, "ramfb") })) < 0)
        return r;
    el = mv_domcaps_add_device(c, "hostdev", true);
    if ((r = ADD_ENUM(el, "mode", { "subsystem", true })) < 0 ||
        (r = ADD_ENUM(el, "startupPolicy", { "default", true }, { "mandatory", true },
                      { "requisite", true }, { "optional", true })) < 0 ||
        (r = ADD_ENUM(el, "subsysType", { "usb", has_type(b, "usb-host") },
                      { "pci", has_type(b, "vfio-pci") }, { "scsi", has_type(b, "scsi-generic") })) < 0 ||
        !mv_domcaps_elem_add_enum(el, "capsType") ||
        (r = ADD_ENUM(el, "pciBackend", { "default", vfio }, { "vfio", vfio })) < 0)
        return r;
    el = mv_domcaps_add_device(c, "rng", rng);
    if ((r = ADD_ENUM(el, "model", { "virtio", rng },
                      { "virtio-transitional", has_type(b, "virtio-rng-pci-transitional") },
                      { "virtio-non-transitional", has_type(b, "virtio-rng-pci-non-transitional") })) < 0 ||
        (r = ADD_ENUM(el, "backendModel", { "random", has_type(b, "rng-random") },
                      { "egd", has_type(b, "rng-egd") }, { "builtin", has_type(b, "rng-builtin") })) < 0)
        return r;
    el = mv_domcaps_add_device(c, "filesystem", true);
    /* QEMU 6.0 dropped 9p's "handle" driver. */
    if ((r = ADD_ENUM(el, "driverType", { "path", p9 }, { "handle", p9 && b->version < 6000000 },
                      { "virtiofs", has_type(b, "vhost-user-fs-pci") })) < 0)
        return r;
    el = mv_domcaps_add_device(c, "tpm", tpm);
    if ((r = ADD_ENUM(el, "model", { "tpm-tis", b->tpm_tis }, { "tpm-crb", b->tpm_crb },
                      { "tpm-spapr", b->tpm_spapr })) < 0 ||
        (r = ADD_ENUM(el, "backendModel", { "passthrough", b->tpm_passthrough },
                      { "emulator", b->tpm_emulator }, { "external", b->tpm_emulator })) < 0 ||
        (r = ADD_ENUM(el, "backendVersion", { "1.2", b->tpm_tis }, { "2.0", tpm })) < 0)
        return r;
    el = mv_domcaps_add_device(c, "redirdev", has_type(b, "usb-redir"));
    if ((r = ADD_ENUM(el, "bus", { "usb", has_type(b, "usb-redir") })) < 0)
        return r;
    el = mv_domcaps_add_device(c, "channel", true);
    return ADD_ENUM(el, "type", { "pty", true }, { "unix", true },
                    { "spicevmc", b->spice && has_type(b, "chardev-spicevmc") });
}

static int fill_features(mv_domcaps *c, const dcprobe_binary *b, const dcprobe_accel *a, bool kvm)
{
    bool x86 = dcprobe_is_x86(b->arch);
    mv_domcaps_elem *el;

    if (!mv_domcaps_add_feature(c, "gic", false) ||
        !mv_domcaps_add_feature(c, "vmcoreinfo", has_type(b, "vmcoreinfo")) ||
        !mv_domcaps_add_feature(c, "genid", has_type(b, "vmgenid")) ||
        !mv_domcaps_add_feature(c, "backingStoreInput", b->blockdev) ||
        !mv_domcaps_add_feature(c, "backup", b->blockdev && b->backup) ||
        !mv_domcaps_add_feature(c, "sev", kvm && a->has_sev) ||
        !mv_domcaps_add_feature(c, "sgx", kvm && a->has_sgx))
        return -E2BIG;
    c->has_sev = kvm && a->has_sev;
    c->sev = a->sev;
    c->has_sgx = kvm && a->has_sgx;
    c->sgx = a->sgx;
    if (!x86)
        return 0;
    el = mv_domcaps_add_feature(c, "hyperv", true);
    return ADD_ENUM(el, "features", { "spinlocks", a->hv_spinlocks || !a->host.valid },
                    { "vendor_id", a->hv_vendor_id || !a->host.valid });
}

static int build(mv_domcaps *c, const dcprobe_binary *b, const dcprobe_accel *a, const dcprobe_accel *tcg,
                 bool kvm, const char *path, const char *arch, const dcprobe_machine *m)
{
    mv_domcaps_elem *mb = &c->memory_backing;
    int r;

    c->domain = kvm ? "kvm" : "qemu";
    if (!(c->path = strdup(path)) || !(c->arch = strdup(arch)) ||
        (m && !(c->machine = strdup(m->name))))
        return -ENOMEM;
    c->max_vcpus = m ? m->cpu_max : -1;
    c->iothreads = has_type(b, "iothread");
    if ((r = fill_os(c, arch, m ? m->name : NULL)) < 0 || (r = fill_cpu(c, a, tcg, kvm)) < 0)
        return r;
    c->has_memory_backing = true;
    mb->name = "memoryBacking";
    mb->supported = true;
    if ((r = ADD_ENUM(mb, "sourceType", { "file", has_type(b, "memory-backend-file") },
                      { "anonymous", has_type(b, "memory-backend-ram") },
                      { "memfd", has_type(b, "memory-backend-memfd") })) < 0 ||
        (r = fill_devices(c, b, m ? m->name : "")) < 0)
        return r;
    return fill_features(c, b, a, kvm);
}

/* ---- the call ---- */

static bool kvm_native(const char *bin_arch)
{
    const char *host = mv_host_arch();
    return arch_runs(host, bin_arch) || (strcmp(host, "i686") == 0 && strcmp(bin_arch, "x86_64") == 0);
}

/* libvirt names the accelerator of a virt type it cannot serve: "kvm",
 * "hvf", else "tcg". */
static int accel_unsupported(const char *virttype, const char *emulator)
{
    const char *accel = strcmp(virttype, "kvm") == 0 ? "kvm" : strcmp(virttype, "hvf") == 0 ? "hvf" : "tcg";

    return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                           "the accel '%s' is not supported by '%s' on this host", accel, emulator);
}

static int domcaps_locked(const char *emulator, const char *arch, const char *machine_name,
                          const char *virttype, char **ret_xml)
{
    _cleanup_free_ char *default_emu = NULL, *default_machine = NULL;
    const dcprobe_machine *m = NULL;
    const dcprobe_accel *a = NULL, *tcg;
    mv_domcaps caps = { 0 };
    dcprobe_binary *b;
    int r;

    if (emulator) {
        r = dcprobe_lookup_binary(emulator, &b);
        if (r < 0)
            return r;
        if (arch && !arch_runs(b->arch, arch) && !arch_runs(arch, b->arch))
            return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                                   "architecture from emulator '%s' doesn't match given architecture '%s'",
                                   b->arch, arch);
    } else {
        if (qemu_caps_lookup_guest(arch ?: mv_host_arch(), NULL, &default_emu, &default_machine) < 0) {
            mv_error_reset();
            return mv_error_report(-ENOENT, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                                   "unable to find any emulator to serve '%s' architecture",
                                   arch ?: mv_host_arch());
        }
        emulator = default_emu;
        r = dcprobe_lookup_binary(emulator, &b);
        if (r < 0)
            return r;
    }
    arch = arch ?: mv_host_arch();
    for (size_t i = 0; machine_name && !m && i < b->nmachines; i++)
        if (strcmp(b->machines[i].name, machine_name) == 0 ||
            (b->machines[i].alias && strcmp(b->machines[i].alias, machine_name) == 0))
            m = &b->machines[i];
    if (machine_name && !m)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "the machine '%s' is not supported by emulator '%s'", machine_name, emulator);
    if (!machine_name && b->nmachines)
        m = &b->machines[0];
    if (!arch_runs(b->arch, arch))
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "Emulator '%s' does not support arch '%s'", emulator, arch);

    if ((!virttype || strcmp(virttype, "kvm") == 0) && mv_host_kvm_usable() && kvm_native(b->arch))
        a = dcprobe_get_accel(b, DCPROBE_KVM);
    if (!a && virttype && strcmp(virttype, "qemu") != 0)
        return accel_unsupported(virttype, emulator);
    /* TCG's data is wanted under KVM too: it has the models' real vendors. */
    tcg = dcprobe_get_accel(b, DCPROBE_TCG);
    if (!a && !tcg)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "Emulator '%s' does not support virt type '%s'", emulator, "qemu");

    r = build(&caps, b, a ?: tcg, tcg, a != NULL, emulator, arch, m);
    if (r >= 0)
        r = mv_domcaps_format(&caps, ret_xml);
    mv_domcaps_clear(&caps);
    return r;
}

int qemu_domcaps_xml(const char *emulator, const char *arch, const char *machine_name,
                     const char *virttype, unsigned int flags, char **ret_xml)
{
    int r;

    if (flags)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                                   "unsupported flags (0x%x) in function qemuConnectGetDomainCapabilities",
                                   flags);
    if (virttype && strcmp(virttype, "none") == 0)
        virttype = NULL;
    if (virttype && !in_list(virt_types, ELEMENTSOF(virt_types), virttype))
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "unknown virttype: %s", virttype);
    if (arch && !in_list(arch_names, ELEMENTSOF(arch_names), arch))
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "unknown architecture: %s", arch);
    pthread_mutex_lock(&lock);
    r = domcaps_locked(emulator, arch, machine_name, virttype, ret_xml);
    pthread_mutex_unlock(&lock);
    return r;
}

/* ---- the hypervisor's CPU, for the CPU comparison and baseline calls ---- */

bool qemu_domcaps_arch_known(const char *arch)
{
    return in_list(arch_names, ELEMENTSOF(arch_names), arch);
}

void qemu_hv_cpu_clear(qemu_hv_cpu *c)
{
    free(c->arch);
    free(c->vendor);
    for (size_t i = 0; i < c->nfeatures; i++)
        free(c->features[i]);
    free(c->features);
    for (size_t i = 0; i < c->nmodels; i++) {
        free((char *)c->models[i].name);
        for (size_t b = 0; b < c->models[i].nblockers; b++)
            free((char *)c->models[i].blockers[b]);
        free((char **)c->models[i].blockers);
    }
    free(c->models);
    memset(c, 0, sizeof(*c));
}

static int hv_cpu_locked(const char *emulator, const char *arch, const char *machine_name,
                         const char *virttype, qemu_hv_cpu *ret)
{
    _cleanup_free_ char *default_emu = NULL, *default_machine = NULL;
    const dcprobe_accel *a = NULL;
    dcprobe_binary *b;
    bool found = !machine_name;
    int r;

    if (!emulator) {
        if (qemu_caps_lookup_guest(arch ?: mv_host_arch(), NULL, &default_emu, &default_machine) < 0) {
            mv_error_reset();
            return mv_error_report(-ENOENT, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                                   "unable to find any emulator to serve '%s' architecture",
                                   arch ?: mv_host_arch());
        }
        emulator = default_emu;
    }
    if ((r = dcprobe_lookup_binary(emulator, &b)) < 0)
        return r;
    arch = arch ?: b->arch;
    if (!arch_runs(b->arch, arch))
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "architecture from emulator '%s' doesn't match given architecture '%s'",
                               b->arch, arch);
    for (size_t i = 0; !found && i < b->nmachines; i++)
        found = strcmp(b->machines[i].name, machine_name) == 0 ||
                (b->machines[i].alias && strcmp(b->machines[i].alias, machine_name) == 0);
    if (!found)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "the machine '%s' is not supported by emulator '%s'", machine_name, emulator);
    if (!virttype || strcmp(virttype, "kvm") == 0) {
        if (mv_host_kvm_usable() && kvm_native(b->arch))
            a = dcprobe_get_accel(b, DCPROBE_KVM);
        if (!a && virttype)
            return accel_unsupported(virttype, emulator);
    } else if (strcmp(virttype, "qemu") != 0) {
        return accel_unsupported(virttype, emulator);
    }
    if (!a)
        a = dcprobe_get_accel(b, DCPROBE_TCG);
    if (!a || !a->host.valid)
        return mv_error_report(-ENOTSUP, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                               "QEMU '%s' does not support reporting CPU model for virttype '%s'",
                               emulator, virttype ?: "qemu");
    if (!(ret->arch = strdup(arch)) || (a->host.vendor && !(ret->vendor = strdup(a->host.vendor))) ||
        !(ret->features = calloc(dcprobe_nfeatures() + 1, sizeof(char *))) ||
        !(ret->models = calloc(a->nmodels + 1, sizeof(*ret->models))))
        return -ENOMEM;
    for (size_t f = 0; f < dcprobe_nfeatures(); f++)
        if (dcprobe_feat_has(&a->host.feat, f) &&
            !(ret->features[ret->nfeatures++] = strdup(dcprobe_feature_name(f))))
            return -ENOMEM;
    for (size_t i = 0; i < a->nmodels; i++) {
        qcpu_hv_model *hm = &ret->models[ret->nmodels++];
        char **blockers = calloc(dcprobe_nfeatures() + 1, sizeof(char *));

        hm->blockers = (const char *const *)blockers;
        if (!blockers || !(hm->name = strdup(a->models[i].name)))
            return -ENOMEM;
        for (size_t f = 0; f < dcprobe_nfeatures(); f++)
            if (dcprobe_feat_has(&a->models[i].blockers, f) &&
                !(blockers[hm->nblockers++] = strdup(dcprobe_feature_name(f))))
                return -ENOMEM;
    }
    return 0;
}

int qemu_domcaps_hypervisor_cpu(const char *emulator, const char *arch, const char *machine,
                                const char *virttype, qemu_hv_cpu *ret)
{
    qemu_hv_cpu c = { 0 };
    int r;

    if (virttype && !in_list(virt_types, ELEMENTSOF(virt_types), virttype))
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "unknown virttype: %s", virttype);
    if (arch && !in_list(arch_names, ELEMENTSOF(arch_names), arch))
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "unknown architecture: %s", arch);
    pthread_mutex_lock(&lock);
    r = hv_cpu_locked(emulator, arch, machine, virttype, &c);
    pthread_mutex_unlock(&lock);
    if (r < 0) {
        qemu_hv_cpu_clear(&c);
        return r;
    }
    *ret = c;
    return 0;
}
