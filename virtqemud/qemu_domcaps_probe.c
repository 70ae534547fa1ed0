/* Probing one QEMU binary for qemu_domcaps.c: see qemu_domcaps_probe.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "qemu_json.h"
#include "qemu_domcaps_probe.h"
#include "qemu_capabilities.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/hostinfo.h"
#include "util/log.h"

#define MAX_BINARIES 16

/* QEMU target names that libvirt spells differently. */
static const struct { const char *qemu, *arch; } target_arches[] = {
    { "i386", "i686" }, { "arm", "armv7l" }, { "or1k", "openrisc" }, { "hppa", "parisc" },
};

const char *dcprobe_qemu_target(const char *arch)
{
    for (size_t i = 0; i < ELEMENTSOF(target_arches); i++)
        if (strcmp(target_arches[i].arch, arch) == 0)
            return target_arches[i].qemu;
    return strcmp(arch, "armv6l") == 0 ? "arm" : arch;
}

/*
 * x86 CPU features in libvirt's names and in the order its documents list
 * them (by CPUID leaf and register, as libvirt groups them).  QEMU spells
 * them with '-' for '_', and pclmuldq as pclmulqdq.  Features outside this
 * list (QEMU's kvm-*, vmx-*, pmu, ...) never appear in a host-model.
 */
static const char x86_feature_list[] =
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 pn clflush ds "
    "acpi mmx fxsr sse sse2 ss ht tm ia64 pbe "
    "pni pclmuldq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 cid fma cx16 xtpr pdcm pcid "
    "dca sse4.1 sse4.2 x2apic movbe popcnt tsc-deadline aes xsave osxsave avx f16c rdrand "
    "hypervisor arat "
    "fsgsbase tsc_adjust sgx bmi1 hle avx2 smep bmi2 erms invpcid rtm mpx avx512f avx512dq "
    "rdseed adx smap avx512ifma pcommit clflushopt clwb intel-pt avx512pf avx512er avx512cd "
    "sha-ni avx512bw avx512vl "
    "avx512vbmi umip pku ospke waitpkg avx512vbmi2 gfni vaes vpclmulqdq avx512vnni "
    "avx512bitalg avx512-vpopcntdq la57 rdpid bus-lock-detect cldemote movdiri movdir64b "
    "sgxlc pks "
    "avx512-4vnniw avx512-4fmaps fsrm avx512-vp2intersect md-clear serialize tsx-ldtrk "
    "arch-lbr avx512-fp16 amx-bf16 amx-tile amx-int8 spec-ctrl stibp arch-capabilities "
    "core-capability ssbd avx-vnni avx512-bf16 "
    "xsaveopt xsavec xgetbv1 xsaves xfd sgx1 sgx2 "
    "syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm 3dnowext 3dnow "
    "lahf_lm cmp_legacy svm extapic cr8legacy abm sse4a misalignsse 3dnowprefetch osvw ibs "
    "xop skinit wdt lwp fma4 tce nodeid_msr tbm topoext perfctr_core perfctr_nb "
    "invtsc clzero xsaveerptr wbnoinvd ibpb ibrs amd-stibp amd-ssbd virt-ssbd amd-no-ssb "
    "npt lbrv svm-lock nrip-save tsc-scale vmcb-clean flushbyasid decodeassists pause-filter "
    "pfthreshold avic v-vmsave-vmload vgif svme-addr-chk "
    "xstore xstore-en xcrypt xcrypt-en ace2 ace2-en phe phe-en pmm pmm-en "
    "rdctl-no ibrs-all rsba skip-l1dfl-vmentry ssb-no mds-no pschange-mc-no tsx-ctrl taa-no";

/* ---- the x86 feature table ---- */

static char feature_names[DCPROBE_MAX_FEATURES][24];     /* libvirt's */
static char feature_qemu[DCPROBE_MAX_FEATURES][24];      /* QEMU's */
static unsigned short feature_order[DCPROBE_MAX_FEATURES];  /* indexes sorted by QEMU name */
static size_t nfeature_names;
static pthread_once_t features_once = PTHREAD_ONCE_INIT;

static int cmp_qemu_name(const void *a, const void *b)
{
    return strcmp(feature_qemu[*(const unsigned short *)a], feature_qemu[*(const unsigned short *)b]);
}

static void split_features(void)
{
    for (const char *p = x86_feature_list; *p && nfeature_names < DCPROBE_MAX_FEATURES;) {
        size_t len = strcspn(p, " ");
        char *q = feature_qemu[nfeature_names];

        snprintf(feature_names[nfeature_names], sizeof(feature_names[0]), "%.*s", (int)len, p);
        snprintf(q, sizeof(feature_qemu[0]), "%s",
                 strcmp(feature_names[nfeature_names], "pclmuldq") == 0 ? "pclmulqdq"
                 : feature_names[nfeature_names]);
        for (; *q; q++)
            if (*q == '_')
                *q = '-';
        feature_order[nfeature_names] = (unsigned short)nfeature_names;
        nfeature_names++;
        p += len;
        p += strspn(p, " ");
    }
    qsort(feature_order, nfeature_names, sizeof(feature_order[0]), cmp_qemu_name);
}

static int feature_index(const char *qemu_name)
{
    size_t lo = 0, hi = nfeature_names;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(qemu_name, feature_qemu[feature_order[mid]]);
        if (c == 0)
            return feature_order[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

bool dcprobe_feat_has(const dcprobe_featset *f, size_t i) { return f->w[i / 64] >> (i % 64) & 1; }
size_t dcprobe_nfeatures(void) { pthread_once(&features_once, split_features); return nfeature_names; }
const char *dcprobe_feature_name(size_t i) { return feature_names[i]; }
static void feat_set(dcprobe_featset *f, size_t i) { f->w[i / 64] |= 1ULL << (i % 64); }

/* ---- probe results ---- */

static const char *const accel_names[DCPROBE_NACCELS] = { "tcg", "kvm" };
static dcprobe_binary *binaries;

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void accel_clear(dcprobe_accel *a)
{
    for (size_t i = 0; i < a->nmodels; i++) {
        free(a->models[i].name);
        free(a->models[i].info.vendor);
    }
    free(a->models);
    free(a->host.vendor);
    memset(a, 0, sizeof(*a));
}

static void binary_free(dcprobe_binary *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nmachines; i++) {
        free(b->machines[i].name);
        free(b->machines[i].alias);
    }
    free(b->machines);
    strv_free(b->types, b->ntypes);
    strv_free(b->cpu_names, b->ncpu_names);
    for (size_t i = 0; i < DCPROBE_NACCELS; i++)
        accel_clear(&b->accel[i]);
    free(b->path);
    free(b->error);
    free(b->arch);
    free(b);
}

void dcprobe_clear(void)
{
    while (binaries) {
        dcprobe_binary *b = binaries;
        binaries = b->next;
        binary_free(b);
    }
}

/* ---- reading QMP replies ---- */

typedef int (*reply_fn)(void *ud, const char *id, json_object *ret);

/* Call fn for each successful reply that has an id; failed commands are
 * simply absent (the feature they ask about is not there). */
static int for_each_reply(const char *path, char *out, reply_fn fn, void *ud)
{
    int r = 0;

    for (char *save = NULL, *line = strtok_r(out, "\r\n", &save); line && r >= 0;
         line = strtok_r(NULL, "\r\n", &save)) {
        json_object *o, *ret;
        const char *id;

        if (line[strspn(line, " \t")] != '{' || !(o = json_tokener_parse(line)))
            continue;
        id = qemu_json_str(o, "id");
        ret = qemu_json_get(o, "return");
        if (id && ret)
            r = fn(ud, id, ret);
        else if (id && qemu_json_get(o, "error"))
            log_debug("%s: QMP %s: %s", path, id, qemu_json_str(qemu_json_get(o, "error"), "desc") ?: "?");
        json_object_put(o);
    }
    return r;
}

static const char *vendor_name(const char *cpuid_vendor)
{
    if (!cpuid_vendor)
        return NULL;
    if (strcmp(cpuid_vendor, "GenuineIntel") == 0)
        return "Intel";
    if (strcmp(cpuid_vendor, "AuthenticAMD") == 0)
        return "AMD";
    if (strcmp(cpuid_vendor, "HygonGenuine") == 0)
        return "Hygon";
    return NULL;
}

/* A query-cpu-model-expansion reply. */
static int read_cpu_info(json_object *ret, dcprobe_cpu *info)
{
    json_object *props = qemu_json_get(qemu_json_get(ret, "model"), "props");
    const char *vendor;

    if (!props)
        return 0;
    json_object_object_foreach(props, key, val) {
        int i;
        if (json_object_is_type(val, json_type_boolean) && json_object_get_boolean(val) &&
            (i = feature_index(key)) >= 0)
            feat_set(&info->feat, (size_t)i);
    }
    vendor = vendor_name(qemu_json_str(props, "vendor"));
    if (vendor && !(info->vendor = strdup(vendor)))
        return -ENOMEM;
    info->family = (unsigned int)json_object_get_int(qemu_json_get(props, "family"));
    info->model = (unsigned int)json_object_get_int(qemu_json_get(props, "model"));
    info->valid = true;
    return 0;
}

/* ---- the accelerator-independent probe ---- */

static bool versioned_model(const char *name)
{
    const char *v = strrchr(name, '-');
    return v && v[1] == 'v' && v[2] && strspn(v + 2, "0123456789") == strlen(v + 2);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool dcprobe_has_type(const dcprobe_binary *b, const char *type)
{
    return bsearch(&type, b->types, b->ntypes, sizeof(char *), cmp_str) != NULL;
}

static int strv_from_names(json_object *arr, const char *key, bool cpu, char ***ret_v, size_t *ret_n)
{
    size_t n = json_object_array_length(arr), k = 0;
    char **v = calloc(n + 1, sizeof(*v));

    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *name = qemu_json_str(json_object_array_get_idx(arr, i), key);
        if (!name || (cpu && (versioned_model(name) || strcmp(name, "max") == 0 ||
                              strcmp(name, "host") == 0 || strcmp(name, "base") == 0)))
            continue;
        if (!(v[k++] = strdup(name))) {
            strv_free(v, k);
            return -ENOMEM;
        }
    }
    *ret_v = v;
    *ret_n = k;
    return 0;
}

static json_object *schema_entry(json_object *schema, const char *name)
{
    for (size_t i = 0; name && i < json_object_array_length(schema); i++) {
        json_object *e = json_object_array_get_idx(schema, i);
        const char *n = qemu_json_str(e, "name");
        if (n && strcmp(n, name) == 0)
            return e;
    }
    return NULL;
}

static void read_schema(dcprobe_binary *b, json_object *schema)
{
    json_object *disp, *members, *type = NULL, *values;

    for (size_t i = 0; i < json_object_array_length(schema); i++) {
        json_object *e = json_object_array_get_idx(schema, i);
        const char *name = qemu_json_str(e, "name"), *meta = qemu_json_str(e, "meta-type");

        if (!name || !meta || strcmp(meta, "command") != 0)
            continue;
        b->vnc |= strcmp(name, "query-vnc") == 0;
        b->spice |= strcmp(name, "query-spice") == 0;
        b->blockdev |= strcmp(name, "blockdev-add") == 0;
        b->backup |= strcmp(name, "blockdev-backup") == 0;
    }
    /* The display backends: the enum of query-display-options' "type". */
    disp = schema_entry(schema, qemu_json_str(schema_entry(schema, "query-display-options"), "ret-type"));
    members = qemu_json_get(disp, "members");
    for (size_t i = 0; members && i < json_object_array_length(members); i++) {
        json_object *m = json_object_array_get_idx(members, i);
        if (strcmp(qemu_json_str(m, "name") ?: "", "type") == 0)
            type = schema_entry(schema, qemu_json_str(m, "type"));
    }
    values = qemu_json_get(type, "values");
    for (size_t i = 0; values && i < json_object_array_length(values); i++) {
        const char *v = json_object_get_string(json_object_array_get_idx(values, i));
        b->disp_sdl |= strcmp(v, "sdl") == 0;
        b->disp_egl |= strcmp(v, "egl-headless") == 0;
        b->disp_dbus |= strcmp(v, "dbus") == 0;
    }
}

static int add_machine(dcprobe_binary *b, json_object *m)
{
    const char *name = qemu_json_str(m, "name"), *alias = qemu_json_str(m, "alias");
    dcprobe_machine *t, *slot;

    /* "none" is only good for probing. */
    if (!name || strcmp(name, "none") == 0)
        return 0;
    if (!(t = realloc(b->machines, (b->nmachines + 1) * sizeof(*t))))
        return -ENOMEM;
    b->machines = t;
    if (qemu_json_bool(m, "is-default")) {
        memmove(&t[1], &t[0], b->nmachines * sizeof(*t));
        slot = &t[0];
    } else {
        slot = &t[b->nmachines];
    }
    *slot = (dcprobe_machine) {
        .name = strdup(name), .alias = alias ? strdup(alias) : NULL,
        .cpu_max = json_object_get_int(qemu_json_get(m, "cpu-max")),
    };
    b->nmachines++;
    return slot->name && (!alias || slot->alias) ? 0 : -ENOMEM;
}

static int base_reply(void *ud, const char *id, json_object *ret)
{
    dcprobe_binary *b = ud;
    int r = 0;

    if (strcmp(id, "version") == 0) {
        json_object *q = qemu_json_get(ret, "qemu");
        b->version = (unsigned long long)json_object_get_int(qemu_json_get(q, "major")) * 1000000 +
                     (unsigned long long)json_object_get_int(qemu_json_get(q, "minor")) * 1000 +
                     (unsigned long long)json_object_get_int(qemu_json_get(q, "micro"));
    } else if (strcmp(id, "target") == 0 && qemu_json_str(ret, "arch")) {
        const char *t = qemu_json_str(ret, "arch"), *arch = t;
        for (size_t i = 0; i < ELEMENTSOF(target_arches); i++)
            if (strcmp(target_arches[i].qemu, t) == 0)
                arch = target_arches[i].arch;
        if (!(b->arch = strdup(arch)))
            return -ENOMEM;
    } else if (!json_object_is_type(ret, json_type_array)) {
        return 0;
    } else if (strcmp(id, "machines") == 0) {
        for (size_t i = 0; r >= 0 && i < json_object_array_length(ret); i++)
            r = add_machine(b, json_object_array_get_idx(ret, i));
    } else if (strcmp(id, "types") == 0) {
        r = strv_from_names(ret, "name", false, &b->types, &b->ntypes);
        if (r >= 0)
            qsort(b->types, b->ntypes, sizeof(char *), cmp_str);
    } else if (strcmp(id, "cpus") == 0) {
        r = strv_from_names(ret, "name", true, &b->cpu_names, &b->ncpu_names);
    } else if (strcmp(id, "schema") == 0) {
        read_schema(b, ret);
    } else if (strcmp(id, "tpm-models") == 0 || strcmp(id, "tpm-types") == 0) {
        for (size_t i = 0; i < json_object_array_length(ret); i++) {
            const char *v = json_object_get_string(json_object_array_get_idx(ret, i));
            b->tpm_tis |= strcmp(v, "tpm-tis") == 0;
            b->tpm_crb |= strcmp(v, "tpm-crb") == 0;
            b->tpm_spapr |= strcmp(v, "tpm-spapr") == 0;
            b->tpm_passthrough |= strcmp(v, "passthrough") == 0;
            b->tpm_emulator |= strcmp(v, "emulator") == 0;
        }
    }
    return r;
}

static const char base_script[] =
    "{\"execute\":\"query-version\",\"id\":\"version\"}\n"
    "{\"execute\":\"query-target\",\"id\":\"target\"}\n"
    "{\"execute\":\"query-machines\",\"id\":\"machines\"}\n"
    "{\"execute\":\"qom-list-types\",\"id\":\"types\"}\n"
    "{\"execute\":\"query-qmp-schema\",\"id\":\"schema\"}\n"
    "{\"execute\":\"query-tpm-models\",\"id\":\"tpm-models\"}\n"
    "{\"execute\":\"query-tpm-types\",\"id\":\"tpm-types\"}\n"
    "{\"execute\":\"query-cpu-definitions\",\"id\":\"cpus\"}\n";

static int probe_base(dcprobe_binary *b)
{
    _cleanup_free_ char *out = NULL;
    /* Some binaries run only under KVM (qemu-system-x86_64-microvm). */
    int r = qemu_caps_run_qmp(b->path, mv_host_kvm_usable() ? "kvm:tcg" : "tcg", base_script, &out);

    if (r >= 0)
        r = for_each_reply(b->path, out, base_reply, b);
    if (r >= 0 && (!b->version || !b->arch || !b->types))
        r = -EIO;
    return r;
}

/* ---- the per-accelerator CPU probe ---- */

bool dcprobe_is_x86(const char *arch)
{
    return strcmp(arch, "x86_64") == 0 || strcmp(arch, "i686") == 0;
}

static int accel_reply(void *ud, const char *id, json_object *ret)
{
    dcprobe_accel *a = ud;

    if (strcmp(id, "defs") == 0 && json_object_is_type(ret, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(ret); i++) {
            json_object *d = json_object_array_get_idx(ret, i), *un = qemu_json_get(d, "unavailable-features");
            const char *name = qemu_json_str(d, "name");
            for (size_t m = 0; name && m < a->nmodels; m++) {
                if (strcmp(a->models[m].name, name) != 0)
                    continue;
                a->models[m].usable = !un ? "unknown" : json_object_array_length(un) ? "no" : "yes";
                for (size_t k = 0; un && k < json_object_array_length(un); k++) {
                    const char *f = json_object_get_string(json_object_array_get_idx(un, k));
                    int fi = f ? feature_index(f) : -1;
                    if (fi >= 0)
                        feat_set(&a->models[m].blockers, (size_t)fi);
                }
                a->models[m].deprecated = qemu_json_bool(d, "deprecated");
            }
        }
    } else if (strcmp(id, "host") == 0) {
        json_object *props = qemu_json_get(qemu_json_get(ret, "model"), "props");
        a->migratable = qemu_json_get(props, "migratable") != NULL;
        a->hv_spinlocks = qemu_json_get(props, "hv-spinlocks") != NULL;
        a->hv_vendor_id = qemu_json_get(props, "hv-vendor-id") != NULL;
        return read_cpu_info(ret, &a->host);
    } else if (id[0] == 'm' && id[1] >= '0' && id[1] <= '9') {
        size_t m = strtoul(id + 1, NULL, 10);
        if (m < a->nmodels)
            return read_cpu_info(ret, &a->models[m].info);
    } else if (strcmp(id, "sev") == 0) {
        unsigned int regs[4] = { 0 };
        a->has_sev = true;
        a->sev.cbitpos = (unsigned int)json_object_get_int(qemu_json_get(ret, "cbitpos"));
        a->sev.reduced_phys_bits = (unsigned int)json_object_get_int(qemu_json_get(ret, "reduced-phys-bits"));
        /* How many guests the host's SEV runs: CPUID 0x8000001F. */
        if (mv_host_cpuid(0x8000001f, 0, regs) == 0) {
            a->sev.max_guests = regs[2];
            a->sev.max_es_guests = regs[3] ? regs[3] - 1 : 0;
        }
    } else if (strcmp(id, "sgx") == 0 && qemu_json_bool(ret, "sgx")) {
        json_object *secs = qemu_json_get(ret, "sections");
        a->has_sgx = true;
        a->sgx.flc = qemu_json_bool(ret, "flc");
        a->sgx.sgx1 = qemu_json_bool(ret, "sgx1");
        a->sgx.sgx2 = qemu_json_bool(ret, "sgx2");
        for (size_t i = 0; secs && i < json_object_array_length(secs); i++) {
            json_object *s = json_object_array_get_idx(secs, i);
            unsigned long long kib = (unsigned long long)json_object_get_int64(qemu_json_get(s, "size")) / 1024;
            a->sgx.section_size_kib += kib;
            if (a->sgx.nsections < ELEMENTSOF(a->sgx.sections))
                a->sgx.sections[a->sgx.nsections++] = (mv_domcaps_sgx_section) {
                    .node = (unsigned int)json_object_get_int(qemu_json_get(s, "node")), .size_kib = kib,
                };
        }
    }
    return 0;
}

static int append_cmd(char **buf, size_t *len, const char *id, const char *cmd, json_object *args)
{
    json_object *o = json_object_new_object();
    const char *text;
    size_t n;
    char *t;

    if (!o)
        return -ENOMEM;
    json_object_object_add(o, "execute", json_object_new_string(cmd));
    json_object_object_add(o, "id", json_object_new_string(id));
    if (args)
        json_object_object_add(o, "arguments", args);
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    n = strlen(text);
    if (!(t = realloc(*buf, *len + n + 2))) {
        json_object_put(o);
        return -ENOMEM;
    }
    memcpy(t + *len, text, n);
    t[*len + n] = '\n';
    t[*len + n + 1] = '\0';
    *buf = t;
    *len += n + 1;
    json_object_put(o);
    return 0;
}

static json_object *expansion_args(const char *type, const char *model)
{
    json_object *args = json_object_new_object(), *m = json_object_new_object();

    json_object_object_add(m, "name", json_object_new_string(model));
    json_object_object_add(args, "type", json_object_new_string(type));
    json_object_object_add(args, "model", m);
    return args;
}

static int probe_accel(const dcprobe_binary *b, int accel, dcprobe_accel *a)
{
    _cleanup_free_ char *script = NULL, *out = NULL;
    bool x86 = dcprobe_is_x86(b->arch);
    size_t len = 0;
    int r;

    pthread_once(&features_once, split_features);
    if (!(a->models = calloc(b->ncpu_names + 1, sizeof(*a->models))))
        return -ENOMEM;
    for (; a->nmodels < b->ncpu_names; a->nmodels++) {
        a->models[a->nmodels].usable = "unknown";
        if (!(a->models[a->nmodels].name = strdup(b->cpu_names[a->nmodels])))
            return -ENOMEM;
    }
    r = append_cmd(&script, &len, "defs", "query-cpu-definitions", NULL);
    if (r >= 0 && x86)
        r = append_cmd(&script, &len, "host", "query-cpu-model-expansion",
                       expansion_args("full", accel == DCPROBE_KVM ? "host" : "max"));
    for (size_t i = 0; r >= 0 && x86 && i < a->nmodels; i++) {
        char id[32];
        snprintf(id, sizeof(id), "m%zu", i);
        r = append_cmd(&script, &len, id, "query-cpu-model-expansion",
                       expansion_args("static", a->models[i].name));
    }
    if (r >= 0 && accel == DCPROBE_KVM && x86)
        r = append_cmd(&script, &len, "sev", "query-sev-capabilities", NULL);
    if (r >= 0 && accel == DCPROBE_KVM && x86)
        r = append_cmd(&script, &len, "sgx", "query-sgx-capabilities", NULL);
    if (r >= 0)
        r = qemu_caps_run_qmp(b->path, accel_names[accel], script, &out);
    if (r >= 0)
        r = for_each_reply(b->path, out, accel_reply, a);
    if (r >= 0 && x86 && !a->host.valid)
        r = -EIO;
    return r;
}

/* The accelerator's data, probing on first use; NULL if that failed. */
const dcprobe_accel *dcprobe_get_accel(dcprobe_binary *b, int accel)
{
    dcprobe_accel *a = &b->accel[accel];

    if (a->state == 0) {
        int r = probe_accel(b, accel, a);
        if (r < 0) {
            log_info("Cannot probe %s with %s: %s", b->path, accel_names[accel], strerror(-r));
            accel_clear(a);
            a->state = -1;
        } else {
            a->state = 1;
        }
    }
    return a->state > 0 ? a : NULL;
}

/* ---- the cache of binaries ---- */

static int stat_binary(const char *path, mv_file_key *ret);

int dcprobe_check_binary(const char *path)
{
    mv_file_key key;

    return stat_binary(path, &key);
}

static int stat_binary(const char *path, mv_file_key *ret)
{
    struct stat st;

    if (stat(path, &st) < 0)
        return mv_error_report_raw(-errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                   "Cannot check QEMU binary %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode) || access(path, X_OK) < 0) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        return mv_error_report_raw(-e, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                   "QEMU binary %s is not executable: %s", path, strerror(e));
    }
    mv_file_key_of(&st, ret);
    return 0;
}

/* Drop the entries past the first MAX_BINARIES (the oldest). */
static void trim_cache(void)
{
    dcprobe_binary **pp = &binaries;

    for (size_t n = 0; *pp && n < MAX_BINARIES; n++)
        pp = &(*pp)->next;
    while (*pp) {
        dcprobe_binary *old = *pp;
        *pp = old->next;
        binary_free(old);
    }
}

/* A new entry for path, probed; a failed probe is kept too, so that a
 * broken binary costs one probe per version of the file, not one per call. */
static int new_binary(const char *path, const mv_file_key *key, dcprobe_binary **ret)
{
    dcprobe_binary *b = calloc(1, sizeof(*b));
    int r;

    if (!b || !(b->path = strdup(path))) {
        free(b);
        return -ENOMEM;
    }
    b->key = *key;
    mv_error_reset();
    r = probe_base(b);
    if (r < 0) {
        const mv_error *e = mv_error_last();
        if (asprintf(&b->error, "internal error: Failed to probe capabilities for %s: %s",
                     path, e ? e->message : strerror(-r)) < 0) {
            binary_free(b);
            return -ENOMEM;
        }
        log_warn("%s", b->error);
    }
    b->next = binaries;
    binaries = b;
    trim_cache();
    *ret = b;
    return 0;
}

/* The probed binary at path; called with the caller's lock held. */
int dcprobe_lookup_binary(const char *path, dcprobe_binary **ret)
{
    dcprobe_binary **pp, *b = NULL;
    mv_file_key key;
    int r = stat_binary(path, &key);

    if (r < 0)
        return r;
    for (pp = &binaries; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->path, path) != 0)
            continue;
        b = *pp;
        if (memcmp(&b->key, &key, sizeof(key)) != 0) {
            *pp = b->next;      /* changed on disk: probe again */
            binary_free(b);
            b = NULL;
        }
        break;
    }
    if (!b && (r = new_binary(path, &key, &b)) < 0)
        return r;
    if (b->error)
        return mv_error_report_raw(-EIO, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "%s", b->error);
    *ret = b;
    return 0;
}

