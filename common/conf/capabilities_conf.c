#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-id128.h>

#include "conf/xml_escape.h"
#include "conf/capabilities_conf.h"
#include "util/cleanup.h"
#include "util/hostinfo.h"

/* ---- model ---- */

static void guest_clear(mv_caps_guest *g)
{
    for (size_t i = 0; i < g->nmachines; i++) {
        free(g->machines[i].name);
        free(g->machines[i].canonical);
    }
    free(g->machines);
    free(g->arch);
    free(g->emulator);
}

void mv_caps_clear(mv_caps *caps)
{
    for (size_t i = 0; i < caps->nguests; i++)
        guest_clear(&caps->guests[i]);
    free(caps->guests);
    for (size_t i = 0; i < caps->nbanks; i++)
        free(caps->banks[i].cpus);
    free(caps->banks);
    mv_host_numa_clear(&caps->numa);
    memset(caps, 0, sizeof(*caps));
}

int mv_caps_add_guest(mv_caps *caps, mv_caps_guest **ret)
{
    mv_caps_guest *t = realloc(caps->guests, (caps->nguests + 1) * sizeof(*t));

    if (!t)
        return -ENOMEM;
    caps->guests = t;
    memset(&t[caps->nguests], 0, sizeof(*t));
    *ret = &t[caps->nguests++];
    return 0;
}

int mv_caps_guest_add_machine(mv_caps_guest *guest, const char *name, const char *canonical,
                              int max_cpus, bool deprecated)
{
    mv_caps_machine *t = realloc(guest->machines, (guest->nmachines + 1) * sizeof(*t));
    mv_caps_machine *m;

    if (!t)
        return -ENOMEM;
    guest->machines = t;
    m = &t[guest->nmachines];
    *m = (mv_caps_machine) {
        .name = strdup(name),
        .canonical = canonical ? strdup(canonical) : NULL,
        .max_cpus = max_cpus,
        .deprecated = deprecated,
    };
    if (!m->name || (canonical && !m->canonical)) {
        free(m->name);
        free(m->canonical);
        return -ENOMEM;
    }
    guest->nmachines++;
    return 0;
}

/* ---- host CPU ---- */

/*
 * x86 CPUID bits by libvirt feature name.  Each row names the bits of one
 * register from bit 0 up; "-" is a bit without a name, "@N" jumps to bit N.
 * Rows are in the order libvirt lists features, which clients diffing the
 * document against libvirtd's appreciate.  The names are those libvirt 9.0
 * knows (the API level modvirt offers): a client may hand this CPU to a
 * libvirt 9.0 elsewhere, which rejects names it does not know.
 */
enum { EAX, EBX, ECX, EDX };
static const struct cpuid_row {
    unsigned int leaf, subleaf, reg;
    const char *names;
} cpuid_rows[] = {
    { 0x1, 0, EDX, "fpu vme de pse tsc msr pae mce cx8 apic - sep mtrr pge mca cmov pat pse36 pn "
                   "clflush - ds acpi mmx fxsr sse sse2 ss ht tm ia64 pbe" },
    { 0x1, 0, ECX, "pni pclmuldq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 cid - fma cx16 xtpr "
                   "pdcm - pcid dca sse4.1 sse4.2 x2apic movbe popcnt tsc-deadline aes xsave "
                   "osxsave avx f16c rdrand hypervisor" },
    { 0x6, 0, EAX, "@2 arat" },
    { 0x7, 0, EBX, "fsgsbase tsc_adjust sgx bmi1 hle avx2 - smep bmi2 erms invpcid rtm cmt - mpx - "
                   "avx512f avx512dq rdseed adx smap avx512ifma pcommit clflushopt clwb intel-pt "
                   "avx512pf avx512er avx512cd sha-ni avx512bw avx512vl" },
    { 0x7, 0, ECX, "@1 avx512vbmi umip pku ospke waitpkg avx512vbmi2 - gfni vaes vpclmulqdq "
                   "avx512vnni avx512bitalg - avx512-vpopcntdq @16 la57 @22 rdpid "
                   "@24 bus-lock-detect cldemote - movdiri movdir64b - sgxlc pks" },
    { 0x7, 0, EDX, "@2 avx512-4vnniw avx512-4fmaps fsrm @8 avx512-vp2intersect - md-clear "
                   "@14 serialize - tsx-ldtrk - pconfig arch-lbr @22 amx-bf16 avx512-fp16 amx-tile "
                   "amx-int8 spec-ctrl stibp - arch-capabilities core-capability ssbd" },
    { 0x7, 1, EAX, "@4 avx-vnni avx512-bf16" },
    { 0xd, 1, EAX, "xsaveopt xsavec xgetbv1 xsaves xfd" },
    { 0xf, 1, EDX, "@1 mbm_total mbm_local" },
    { 0x12, 0, EAX, "sgx1 sgx2" },
    { 0x12, 0, EBX, "sgx-exinfo" },
    { 0x12, 1, EAX, "@1 sgx-debug sgx-mode64 - sgx-provisionkey sgx-tokenkey - sgx-kss" },
    { 0x14, 0, ECX, "@31 intel-pt-lip" },
    { 0x80000001, 0, EDX, "@11 syscall @20 nx - mmxext - - fxsr_opt pdpe1gb rdtscp - lm 3dnowext 3dnow" },
    { 0x80000001, 0, ECX, "lahf_lm cmp_legacy svm extapic cr8legacy abm sse4a misalignsse "
                          "3dnowprefetch osvw ibs xop skinit wdt - lwp fma4 tce cvt16 nodeid_msr - "
                          "tbm topoext perfctr_core perfctr_nb" },
    { 0x80000007, 0, EDX, "@8 invtsc" },
    { 0x80000008, 0, EBX, "clzero - xsaveerptr @9 wbnoinvd @12 ibpb - ibrs amd-stibp "
                          "@24 amd-ssbd virt-ssbd amd-no-ssb" },
    { 0x8000000a, 0, EDX, "npt lbrv svm-lock nrip-save tsc-scale vmcb-clean flushbyasid "
                          "decodeassists - - pause-filter - pfthreshold avic - v-vmsave-vmload vgif "
                          "@28 svme-addr-chk" },
};

/* The features of libvirt's kvm64 model, the baseline every x86-64 CPU
 * meets; the document names the model and lists only what lies beyond. */
static const char kvm64_features[] =
    " apic clflush cmov cx16 cx8 de fpu fxsr lm mca mce mmx msr mtrr nx pae pat pge pni"
    " pse pse36 sep sse sse2 syscall tsc ";

/* The table split into one NUL-terminated name per (row, bit), once, so
 * that the model can point at the names. */
#define MAX_NAME 24
static char cpuid_names[ELEMENTSOF(cpuid_rows)][32][MAX_NAME];
static size_t kvm64_count;
static pthread_once_t cpuid_names_once = PTHREAD_ONCE_INIT;

static void split_cpuid_names(void)
{
    for (const char *p = kvm64_features; *p; p++)
        kvm64_count += p[0] == ' ' && p[1] != '\0';
    for (size_t r = 0; r < ELEMENTSOF(cpuid_rows); r++) {
        unsigned int bit = 0;
        for (const char *p = cpuid_rows[r].names; *p && bit < 32; ) {
            size_t len = strcspn(p, " ");
            if (*p == '@')
                bit = (unsigned int)strtoul(p + 1, NULL, 10);
            else if (len < MAX_NAME && bit < 32)
                snprintf(cpuid_names[r][bit++], MAX_NAME, "%.*s", (int)len, *p == '-' ? "" : p);
            p += len;
            p += strspn(p, " ");
        }
    }
}

static void decode_cpuid(mv_caps_host_cpu *cpu)
{
    bool in_kvm64[MV_CAPS_MAX_CPU_FEATURES] = { false };
    size_t nkvm64 = 0, kept = 0;

    pthread_once(&cpuid_names_once, split_cpuid_names);
    for (size_t r = 0; r < ELEMENTSOF(cpuid_rows); r++) {
        unsigned int regs[4];

        if (mv_host_cpuid(cpuid_rows[r].leaf, cpuid_rows[r].subleaf, regs) < 0)
            continue;
        for (unsigned int bit = 0; bit < 32; bit++) {
            const char *name = cpuid_names[r][bit];
            char word[MAX_NAME + 2];

            if (!name[0] || !((regs[cpuid_rows[r].reg] >> bit) & 1) ||
                cpu->nfeatures == MV_CAPS_MAX_CPU_FEATURES)
                continue;
            snprintf(word, sizeof(word), " %s ", name);
            in_kvm64[cpu->nfeatures] = strstr(kvm64_features, word) != NULL;
            nkvm64 += in_kvm64[cpu->nfeatures];
            cpu->features[cpu->nfeatures++] = name;
        }
    }
    /* Only a 64-bit host has the whole baseline (lm, nx, syscall). */
    if (strcmp(cpu->arch, "x86_64") != 0 || nkvm64 != kvm64_count)
        return;
    cpu->model = "kvm64";
    for (size_t i = 0; i < cpu->nfeatures; i++)
        if (!in_kvm64[i])
            cpu->features[kept++] = cpu->features[i];
    cpu->nfeatures = kept;
}

/* Value after "key<spaces>:" in the first processor of /proc/cpuinfo. */
static const char *cpuinfo_field(const char *text, const char *key)
{
    size_t klen = strlen(key);

    for (const char *line = text; line && *line && *line != '\n'; ) {
        if (strncmp(line, key, klen) == 0) {
            const char *p = line + klen + strspn(line + klen, " \t");
            if (*p == ':')
                return p + 1 + strspn(p + 1, " \t");
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return NULL;
}

static void parse_cpuinfo(mv_caps_host_cpu *cpu)
{
    static const struct { const char *id, *name; } vendors[] = {
        { "GenuineIntel", "Intel" }, { "AuthenticAMD", "AMD" }, { "HygonGenuine", "Hygon" },
    };
    _cleanup_free_ char *text = NULL;
    const char *v, *fam, *mod, *step;

    if (mv_host_read(&text, "/proc/cpuinfo") < 0)
        return;
    if ((v = cpuinfo_field(text, "vendor_id")))
        for (size_t i = 0; i < ELEMENTSOF(vendors); i++)
            if (strncmp(v, vendors[i].id, strlen(vendors[i].id)) == 0)
                cpu->vendor = vendors[i].name;
    fam = cpuinfo_field(text, "cpu family");
    mod = cpuinfo_field(text, "model");
    step = cpuinfo_field(text, "stepping");
    if (fam && mod && step && isdigit((unsigned char)*fam) && isdigit((unsigned char)*mod) &&
        isdigit((unsigned char)*step)) {
        cpu->has_signature = true;
        cpu->family = (unsigned int)strtoul(fam, NULL, 10);
        cpu->model_id = (unsigned int)strtoul(mod, NULL, 10);
        cpu->stepping = (unsigned int)strtoul(step, NULL, 10);
    }
    if ((v = cpuinfo_field(text, "microcode")) && isxdigit((unsigned char)*v)) {
        cpu->has_microcode = true;
        cpu->microcode = strtoull(v, NULL, 0);
    }
    if ((v = cpuinfo_field(text, "address sizes")))
        cpu->phys_bits = (unsigned int)strtoul(v, NULL, 10);
}

int mv_caps_probe_host_cpu(mv_caps_host_cpu *ret)
{
    mv_caps_host_cpu cpu = { 0 };
    mv_node_info ni;
    int r;

    snprintf(cpu.arch, sizeof(cpu.arch), "%s", mv_host_arch());
    r = mv_host_page_sizes(&cpu.pages);
    if (r < 0)
        return r;
    /* The host CPU's topology is node info's, per socket. */
    if (mv_host_node_info(&ni) == 0) {
        cpu.sockets = ni.sockets;
        cpu.dies = 1;
        cpu.cores = ni.cores;
        cpu.threads = ni.threads;
    }
    parse_cpuinfo(&cpu);
    decode_cpuid(&cpu);
    /* A TSC frequency means something to guests only if it is invariant. */
    for (size_t i = 0; i < cpu.nfeatures; i++)
        if (strcmp(cpu.features[i], "invtsc") == 0 && mv_host_kvm_tsc(&cpu.tsc_hz, &cpu.tsc_scaling) < 0)
            cpu.tsc_hz = 0;
    *ret = cpu;
    return 0;
}

/* ---- rest of the host ---- */

static int bank_cmp(const void *a, const void *b)
{
    const mv_caps_cache_bank *x = a, *y = b;

    if (x->level != y->level)
        return x->level < y->level ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return strcmp(x->type, y->type);
}

#define CACHE_FILE "/sys/devices/system/cpu/cpu%u/cache/%s/%s"

/* One cache of one CPU; 1 when it is of level 3 or more, the caches libvirt
 * lists (resource control works on those). */
static int read_cache_bank(unsigned int cpu, const char *index, mv_caps_cache_bank *ret)
{
    _cleanup_free_ char *level = NULL, *id = NULL, *type = NULL, *size = NULL;
    char *end;

    if (mv_host_read(&level, CACHE_FILE, cpu, index, "level") < 0 || atoi(level) < 3)
        return 0;
    /* Caches without an id cannot be told apart: leave them out. */
    if (mv_host_read(&id, CACHE_FILE, cpu, index, "id") < 0 ||
        mv_host_read(&type, CACHE_FILE, cpu, index, "type") < 0 ||
        mv_host_read(&size, CACHE_FILE, cpu, index, "size") < 0)
        return 0;
    ret->level = (unsigned int)atoi(level);
    ret->id = (unsigned int)strtoul(id, NULL, 10);
    ret->type = strcmp(type, "Data") == 0 ? "data" :
                strcmp(type, "Instruction") == 0 ? "code" : "both";
    ret->size_bytes = strtoull(size, &end, 10);
    ret->size_bytes <<= *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
    if (mv_host_read_cpulist(&ret->cpus, CACHE_FILE, cpu, index, "shared_cpu_list") < 0)
        return 0;
    return 1;
}

static bool bank_known(const mv_caps *caps, const mv_caps_cache_bank *b)
{
    for (size_t i = 0; i < caps->nbanks; i++) {
        const mv_caps_cache_bank *o = &caps->banks[i];
        if (o->id == b->id && o->level == b->level && strcmp(o->type, b->type) == 0 &&
            o->size_bytes == b->size_bytes && strcmp(o->cpus, b->cpus) == 0)
            return true;
    }
    return false;
}

/* Every CPU sharing a cache lists it again; keep one of each. */
static int probe_caches(mv_caps *caps)
{
    for (size_t c = 0; c < caps->numa.ncells; c++) {
        for (size_t i = 0; i < caps->numa.cells[c].ncpus; i++) {
            const mv_host_numa_cpu *cpu = &caps->numa.cells[c].cpus[i];
            _cleanup_free_ char *rel = NULL, *path = NULL;
            struct dirent *de;
            DIR *d;

            if (!cpu->online)
                continue;       /* offline CPUs have no cache information */
            if (asprintf(&rel, "/sys/devices/system/cpu/cpu%u/cache", cpu->id) < 0 ||
                !(path = mv_hostinfo_path(rel)))
                return -ENOMEM;
            if (!(d = opendir(path)))
                continue;
            while ((de = readdir(d))) {
                mv_caps_cache_bank b = { 0 };
                mv_caps_cache_bank *t;

                if (strncmp(de->d_name, "index", 5) != 0 || read_cache_bank(cpu->id, de->d_name, &b) <= 0)
                    continue;
                if (bank_known(caps, &b) ||
                    !(t = realloc(caps->banks, (caps->nbanks + 1) * sizeof(*t)))) {
                    free(b.cpus);
                    continue;
                }
                caps->banks = t;
                caps->banks[caps->nbanks++] = b;
            }
            closedir(d);
        }
    }
    if (caps->nbanks)
        qsort(caps->banks, caps->nbanks, sizeof(*caps->banks), bank_cmp);
    return 0;
}

static unsigned int suspend_targets(void)
{
    _cleanup_free_ char *text = NULL;
    unsigned int mask = 0;
    char *save = NULL;

    if (mv_host_read(&text, "/sys/power/state") < 0)
        return 0;
    for (char *tok = strtok_r(text, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        if (strcmp(tok, "mem") == 0)
            mask |= MV_CAPS_SUSPEND_MEM;
        else if (strcmp(tok, "disk") == 0)
            mask |= MV_CAPS_SUSPEND_DISK;
    }
    /* Hybrid sleep writes the image to disk and then suspends to RAM. */
    if ((mask & MV_CAPS_SUSPEND_MEM) && (mask & MV_CAPS_SUSPEND_DISK))
        mask |= MV_CAPS_SUSPEND_HYBRID;
    return mask;
}

static bool host_has_iommu(void)
{
    _cleanup_free_ char *path = mv_hostinfo_path("/sys/kernel/iommu_groups");
    struct dirent *de;
    bool found = false;
    DIR *d;

    if (!path || !(d = opendir(path)))
        return false;
    while (!found && (de = readdir(d)))
        found = de->d_name[0] != '.';
    closedir(d);
    return found;
}

/* Firmware fills an unset UUID with one repeated digit (all 0 or all F). */
static bool uuid_is_real(const char *s)
{
    bool varied = false;

    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
        if (!dash && tolower((unsigned char)s[i]) != tolower((unsigned char)s[0]))
            varied = true;
    }
    return varied;
}

int mv_caps_host_uuid(char ret[37])
{
    /* Keys the machine-id hash to modvirt. */
    static const sd_id128_t app = { .bytes = {
        0x01, 0x69, 0xbc, 0x26, 0xea, 0x03, 0x4c, 0xb6,
        0xb8, 0x32, 0xe1, 0x29, 0x1b, 0xaf, 0x4f, 0xd4 } };
    _cleanup_free_ char *dmi = NULL;
    sd_id128_t id;
    int r;

    if (mv_host_read(&dmi, "/sys/class/dmi/id/product_uuid") == 0 && uuid_is_real(dmi)) {
        for (int i = 0; i < 37; i++)
            ret[i] = (char)tolower((unsigned char)dmi[i]);
        return 0;
    }
    r = sd_id128_get_machine_app_specific(app, &id);
    if (r < 0)
        return r == -ENOMEDIUM ? -ENOENT : r;
    snprintf(ret, 37, SD_ID128_UUID_FORMAT_STR, SD_ID128_FORMAT_VAL(id));
    return 0;
}

int mv_caps_probe_host(mv_caps *caps, const char *host_uuid)
{
    int r;

    if (host_uuid && uuid_is_real(host_uuid)) {
        for (int i = 0; i < 37; i++)
            caps->uuid[i] = (char)tolower((unsigned char)host_uuid[i]);
        caps->has_uuid = true;
    } else {
        caps->has_uuid = mv_caps_host_uuid(caps->uuid) == 0;
    }
    caps->has_power_management = true;
    caps->suspend = suspend_targets();
    caps->iommu = host_has_iommu();
    r = mv_host_numa(&caps->numa);
    if (r < 0)
        return r;
    caps->has_numa = true;
    return probe_caches(caps);
}

/* ---- formatter ---- */

/* Sizes print in the largest binary unit that keeps them whole. */
static void put_scaled(FILE *f, unsigned long long bytes)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    size_t u = 0;

    while (bytes && bytes % 1024 == 0 && u + 1 < ELEMENTSOF(units)) {
        bytes /= 1024;
        u++;
    }
    fprintf(f, "size='%llu' unit='%s'", bytes, units[u]);
}

static void format_cpu(FILE *f, const mv_caps_host_cpu *cpu)
{
    fputs("    <cpu>\n      <arch>", f);
    mv_xml_put_escaped(f, cpu->arch);
    fputs("</arch>\n", f);
    if (cpu->model)
        fprintf(f, "      <model>%s</model>\n", cpu->model);
    if (cpu->vendor)
        fprintf(f, "      <vendor>%s</vendor>\n", cpu->vendor);
    if (cpu->has_microcode)
        fprintf(f, "      <microcode version='%llu'/>\n", cpu->microcode);
    if (cpu->has_signature)
        fprintf(f, "      <signature family='%u' model='%u' stepping='%u'/>\n",
                cpu->family, cpu->model_id, cpu->stepping);
    if (cpu->tsc_hz)
        fprintf(f, "      <counter name='tsc' frequency='%llu' scaling='%s'/>\n",
                cpu->tsc_hz, cpu->tsc_scaling ? "yes" : "no");
    if (cpu->sockets)
        fprintf(f, "      <topology sockets='%d' dies='%d' cores='%d' threads='%d'/>\n",
                cpu->sockets, cpu->dies, cpu->cores, cpu->threads);
    if (cpu->phys_bits)
        fprintf(f, "      <maxphysaddr mode='emulate' bits='%u'/>\n", cpu->phys_bits);
    for (size_t i = 0; i < cpu->nfeatures; i++)
        fprintf(f, "      <feature name='%s'/>\n", cpu->features[i]);
    for (size_t i = 0; i < cpu->pages.n; i++)
        fprintf(f, "      <pages unit='KiB' size='%u'/>\n", cpu->pages.size_kib[i]);
    fputs("    </cpu>\n", f);
}

static void format_numa(FILE *f, const mv_host_numa_info *numa)
{
    fprintf(f, "    <topology>\n      <cells num='%zu'>\n", numa->ncells);
    for (size_t i = 0; i < numa->ncells; i++) {
        const mv_host_numa_cell *c = &numa->cells[i];

        fprintf(f, "        <cell id='%u'>\n", c->id);
        fprintf(f, "          <memory unit='KiB'>%llu</memory>\n", c->memory_kib);
        for (size_t p = 0; p < c->npages; p++)
            fprintf(f, "          <pages unit='KiB' size='%u'>%llu</pages>\n",
                    c->page_size_kib[p], c->page_count[p]);
        if (c->ndistances) {
            fputs("          <distances>\n", f);
            for (size_t d = 0; d < c->ndistances; d++)
                fprintf(f, "            <sibling id='%u' value='%u'/>\n", c->distance_id[d], c->distance[d]);
            fputs("          </distances>\n", f);
        }
        fprintf(f, "          <cpus num='%zu'>\n", c->ncpus);
        for (size_t j = 0; j < c->ncpus; j++) {
            const mv_host_numa_cpu *cpu = &c->cpus[j];
            if (!cpu->online) {
                fprintf(f, "            <cpu id='%u'/>\n", cpu->id);
                continue;
            }
            fprintf(f, "            <cpu id='%u' socket_id='%u' die_id='%u' core_id='%u' siblings='",
                    cpu->id, cpu->socket_id, cpu->die_id, cpu->core_id);
            mv_xml_put_escaped(f, cpu->siblings ? cpu->siblings : "");
            fputs("'/>\n", f);
        }
        fputs("          </cpus>\n        </cell>\n", f);
    }
    fputs("      </cells>\n    </topology>\n", f);
}

static void format_host(FILE *f, const mv_caps *caps)
{
    static const char *const suspend_names[] = { "suspend_mem", "suspend_disk", "suspend_hybrid" };

    fputs("  <host>\n", f);
    if (caps->has_uuid)
        fprintf(f, "    <uuid>%s</uuid>\n", caps->uuid);
    format_cpu(f, &caps->cpu);
    if (caps->has_power_management) {
        if (!caps->suspend)
            fputs("    <power_management/>\n", f);
        else {
            fputs("    <power_management>\n", f);
            for (size_t i = 0; i < ELEMENTSOF(suspend_names); i++)
                if (caps->suspend & (1u << i))
                    fprintf(f, "      <%s/>\n", suspend_names[i]);
            fputs("    </power_management>\n", f);
        }
    }
    if (caps->iommu >= 0)
        fprintf(f, "    <iommu support='%s'/>\n", caps->iommu ? "yes" : "no");
    if (caps->migration_live || caps->ntransports) {
        fputs("    <migration_features>\n", f);
        if (caps->migration_live)
            fputs("      <live/>\n", f);
        if (caps->ntransports) {
            fputs("      <uri_transports>\n", f);
            for (size_t i = 0; i < caps->ntransports; i++)
                fprintf(f, "        <uri_transport>%s</uri_transport>\n", caps->transports[i]);
            fputs("      </uri_transports>\n", f);
        }
        fputs("    </migration_features>\n", f);
    }
    if (caps->has_numa && caps->numa.ncells)
        format_numa(f, &caps->numa);
    if (caps->nbanks) {
        fputs("    <cache>\n", f);
        for (size_t i = 0; i < caps->nbanks; i++) {
            const mv_caps_cache_bank *b = &caps->banks[i];
            fprintf(f, "      <bank id='%u' level='%u' type='%s' ", b->id, b->level, b->type);
            put_scaled(f, b->size_bytes);
            fputs(" cpus='", f);
            mv_xml_put_escaped(f, b->cpus);
            fputs("'/>\n", f);
        }
        fputs("    </cache>\n", f);
    }
    for (size_t i = 0; i < caps->nsecmodels; i++) {
        const mv_caps_secmodel *s = &caps->secmodels[i];
        fprintf(f, "    <secmodel>\n      <model>%s</model>\n      <doi>", s->model);
        mv_xml_put_escaped(f, s->doi);
        fputs("</doi>\n", f);
        for (size_t j = 0; j < s->nlabels; j++) {
            fprintf(f, "      <baselabel type='%s'>", s->labels[j].type);
            mv_xml_put_escaped(f, s->labels[j].label);
            fputs("</baselabel>\n", f);
        }
        fputs("    </secmodel>\n", f);
    }
    fputs("  </host>\n", f);
}

static void format_guest(FILE *f, const mv_caps_guest *g)
{
    fprintf(f, "  <guest>\n    <os_type>%s</os_type>\n    <arch name='", g->os_type ? g->os_type : "hvm");
    mv_xml_put_escaped(f, g->arch);
    fprintf(f, "'>\n      <wordsize>%d</wordsize>\n", g->wordsize);
    if (g->emulator) {
        fputs("      <emulator>", f);
        mv_xml_put_escaped(f, g->emulator);
        fputs("</emulator>\n", f);
    }
    for (size_t i = 0; i < g->nmachines; i++) {
        const mv_caps_machine *m = &g->machines[i];
        fputs("      <machine", f);
        if (m->canonical) {
            fputs(" canonical='", f);
            mv_xml_put_escaped(f, m->canonical);
            fputc('\'', f);
        }
        if (m->max_cpus > 0)
            fprintf(f, " maxCpus='%d'", m->max_cpus);
        if (m->deprecated)
            fputs(" deprecated='yes'", f);
        fputc('>', f);
        mv_xml_put_escaped(f, m->name);
        fputs("</machine>\n", f);
    }
    for (size_t i = 0; i < g->ndomains; i++)
        fprintf(f, "      <domain type='%s'/>\n", g->domains[i]);
    fputs("    </arch>\n", f);
    if (g->nfeatures) {
        fputs("    <features>\n", f);
        for (size_t i = 0; i < g->nfeatures; i++) {
            const mv_caps_guest_feature *ft = &g->features[i];
            if (ft->has_toggle)
                fprintf(f, "      <%s default='%s' toggle='%s'/>\n", ft->name,
                        ft->default_on ? "on" : "off", ft->toggle ? "yes" : "no");
            else
                fprintf(f, "      <%s/>\n", ft->name);
        }
        fputs("    </features>\n", f);
    }
    fputs("  </guest>\n", f);
}

int mv_caps_format(const mv_caps *caps, char **ret_xml)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);

    if (!f)
        return -ENOMEM;
    fputs("<capabilities>\n\n", f);
    format_host(f, caps);
    for (size_t i = 0; i < caps->nguests; i++) {
        fputc('\n', f);
        format_guest(f, &caps->guests[i]);
    }
    fputs("\n</capabilities>\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    *ret_xml = buf;
    return 0;
}
