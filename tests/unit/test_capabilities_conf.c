/* Tests for conf/capabilities_conf and conf/sysinfo_conf: documents
 * compared with golden files under tests/data (set MV_UPDATE_GOLDEN=1 to
 * rewrite them after a deliberate change) and checked with libvirt's
 * virt-xml-validate when it is installed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/capabilities_conf.h"
#include "conf/sysinfo_conf.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/hostinfo.h"
#include "test.h"

#define VALIDATOR "/usr/bin/virt-xml-validate"

static void check_golden(const char *name, const char *text)
{
    char path[4096];
    char *want = NULL;

    snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
    if (getenv("MV_UPDATE_GOLDEN")) {
        CHECK_INT(mv_write_file_atomic(path, text, strlen(text), 0644), 0);
        return;
    }
    CHECK_INT(mv_read_file(path, 1 << 20, &want, NULL), 0);
    if (want && strcmp(want, text) != 0) {
        fprintf(stderr, "%s differs; got:\n%s", path, text);
        test_failures++;
    }
    free(want);
}

/* 0 when valid or when the validator is not installed. */
static int validate(const char *text, const char *schema)
{
    char path[] = "/tmp/mv-caps-XXXXXX";
    char cmd[256];
    int fd, rc;

    if (access(VALIDATOR, X_OK) < 0) {
        fprintf(stderr, "note: %s not installed, schema check skipped\n", VALIDATOR);
        return 0;
    }
    fd = mkstemp(path);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        return -1;
    close(fd);
    snprintf(cmd, sizeof(cmd), VALIDATOR " %s %s >/dev/null 2>&1", path, schema);
    rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "%s fails to validate as %s (kept for inspection)\n", path, schema);
    else
        unlink(path);
    return rc;
}

static void set_test_cpu(mv_caps_host_cpu *cpu)
{
    static const char *const features[] = { "vme", "ht", "pclmuldq", "x2apic", "invtsc", "amd-ssbd" };

    *cpu = (mv_caps_host_cpu) {
        .model = "kvm64", .vendor = "AMD",
        .has_microcode = true, .microcode = 16777317,
        .has_signature = true, .family = 25, .model_id = 1, .stepping = 1,
        .tsc_hz = 2445404000ULL, .tsc_scaling = false,
        .sockets = 1, .dies = 1, .cores = 2, .threads = 1,
        .phys_bits = 48,
        .pages = { .n = 3, .size_kib = { 4, 2048, 1048576 } },
    };
    snprintf(cpu->arch, sizeof(cpu->arch), "x86_64");
    for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
        cpu->features[cpu->nfeatures++] = features[i];
}

static void add_test_guest(mv_caps *caps, const char *arch, int wordsize, const char *emulator)
{
    mv_caps_guest *g;

    CHECK_INT(mv_caps_add_guest(caps, &g), 0);
    g->os_type = "hvm";
    g->arch = strdup(arch);
    g->wordsize = wordsize;
    g->emulator = strdup(emulator);
    CHECK_INT(mv_caps_guest_add_machine(g, "pc-i440fx-7.2", NULL, 255, false), 0);
    CHECK_INT(mv_caps_guest_add_machine(g, "pc", "pc-i440fx-7.2", 255, false), 0);
    CHECK_INT(mv_caps_guest_add_machine(g, "pc-i440fx-1.4", NULL, 255, true), 0);
    CHECK_INT(mv_caps_guest_add_machine(g, "x-<odd>&'name'", NULL, 0, false), 0);
    g->domains[g->ndomains++] = "qemu";
    g->domains[g->ndomains++] = "kvm";
    if (wordsize == 32) {
        g->features[g->nfeatures++] = (mv_caps_guest_feature) { .name = "pae" };
        g->features[g->nfeatures++] = (mv_caps_guest_feature) { .name = "nonpae" };
    }
    g->features[g->nfeatures++] = (mv_caps_guest_feature) {
        .name = "acpi", .has_toggle = true, .default_on = true, .toggle = true };
    g->features[g->nfeatures++] = (mv_caps_guest_feature) {
        .name = "disksnapshot", .has_toggle = true, .default_on = true, .toggle = false };
}

static void add_test_secmodels(mv_caps *caps)
{
    mv_caps_secmodel *s = &caps->secmodels[caps->nsecmodels++];

    s->model = "none";
    snprintf(s->doi, sizeof(s->doi), "0");
    s = &caps->secmodels[caps->nsecmodels++];
    s->model = "dac";
    snprintf(s->doi, sizeof(s->doi), "0");
    s->labels[0].type = "kvm";
    snprintf(s->labels[0].label, sizeof(s->labels[0].label), "+64055:+64055");
    s->labels[1].type = "qemu";
    snprintf(s->labels[1].label, sizeof(s->labels[1].label), "+64055:+64055");
    s->nlabels = 2;
}

/* A model built by hand: one NUMA cell with an offline CPU, a cache, both
 * security models and two guests. */
static void test_model(void)
{
    mv_caps caps = { 0 };
    mv_host_numa_cell *cell;
    char *xml = NULL;

    caps.has_uuid = true;
    snprintf(caps.uuid, sizeof(caps.uuid), "276b9444-7def-43e8-a400-b019dc0dc6cc");
    set_test_cpu(&caps.cpu);
    caps.has_power_management = true;
    caps.suspend = MV_CAPS_SUSPEND_MEM;
    caps.iommu = 0;
    caps.migration_live = true;
    caps.transports[caps.ntransports++] = "tcp";
    caps.transports[caps.ntransports++] = "rdma";

    caps.has_numa = true;
    caps.numa.ncells = 1;
    caps.numa.cells = cell = calloc(1, sizeof(*cell));
    cell->memory_kib = 5072672;
    cell->npages = 2;
    cell->page_size_kib[0] = 4;
    cell->page_count[0] = 1268168;
    cell->page_size_kib[1] = 2048;
    cell->ndistances = 1;
    cell->distance_id = calloc(1, sizeof(unsigned int));
    cell->distance = calloc(1, sizeof(unsigned int));
    cell->distance[0] = 10;
    cell->ncpus = 3;
    cell->cpus = calloc(3, sizeof(*cell->cpus));
    for (unsigned int i = 0; i < 2; i++) {
        cell->cpus[i] = (mv_host_numa_cpu) { .id = i, .online = true, .core_id = i };
        cell->cpus[i].siblings = strdup(i ? "1" : "0");
    }
    cell->cpus[2].id = 2;

    caps.nbanks = 1;
    caps.banks = calloc(1, sizeof(*caps.banks));
    caps.banks[0] = (mv_caps_cache_bank) { .id = 0, .level = 3, .type = "both",
                                           .size_bytes = 32ULL << 20, .cpus = strdup("0-1") };
    add_test_secmodels(&caps);
    add_test_guest(&caps, "i686", 32, "/usr/bin/qemu-system-i386");
    add_test_guest(&caps, "x86_64", 64, "/usr/bin/qemu-system-x86_64");

    CHECK_INT(mv_caps_format(&caps, &xml), 0);
    if (xml) {
        check_golden("capabilities/model.xml", xml);
        CHECK(strstr(xml, ">x-&lt;odd&gt;&amp;&apos;name&apos;</machine>") != NULL);
        CHECK_INT(validate(xml, "capability"), 0);
    }
    free(xml);
    mv_caps_clear(&caps);
    mv_caps_clear(&caps);
}

/* The host part probed from the fake numa2 tree; the CPU is set by hand as
 * a fake root has no CPUID. */
static void test_probe_numa2(void)
{
    char root[4096], uuid[37], *xml = NULL;
    mv_caps caps = { 0 };

    snprintf(root, sizeof(root), "%s/hostinfo/numa2", TEST_DATA_DIR);
    mv_hostinfo_set_root(root);

    CHECK_INT(mv_caps_host_uuid(uuid), 0);
    CHECK_STR(uuid, "4c4c4544-0042-3510-8052-b4c04f4a3132");

    CHECK_INT(mv_caps_probe_host(&caps, NULL), 0);
    set_test_cpu(&caps.cpu);
    CHECK(caps.has_uuid);
    CHECK_INT(caps.iommu, 1);
    CHECK_INT(caps.suspend, MV_CAPS_SUSPEND_MEM | MV_CAPS_SUSPEND_DISK | MV_CAPS_SUSPEND_HYBRID);
    CHECK_INT(caps.nbanks, 2);      /* one L3 per socket; L1 is left out */
    CHECK_INT(mv_caps_format(&caps, &xml), 0);
    if (xml) {
        check_golden("capabilities/numa2-host.xml", xml);
        CHECK_INT(validate(xml, "capability"), 0);
    }
    free(xml);
    mv_caps_clear(&caps);

    /* A configured host_uuid wins over the firmware's. */
    CHECK_INT(mv_caps_probe_host(&caps, "11111111-2222-3333-4444-555555555555"), 0);
    CHECK_STR(caps.uuid, "11111111-2222-3333-4444-555555555555");
    mv_caps_clear(&caps);
    mv_hostinfo_set_root(NULL);
}

static void test_real_host(void)
{
    char a[37], b[37];
    mv_caps_host_cpu cpu;

    /* The UUID must survive restarts: derived, never random. */
    if (mv_caps_host_uuid(a) == 0) {
        CHECK_INT(mv_caps_host_uuid(b), 0);
        CHECK_STR(a, b);
        CHECK_INT(strlen(a), 36);
    }
    CHECK_INT(mv_caps_probe_host_cpu(&cpu), 0);
    CHECK_STR(cpu.arch, mv_host_arch());
#if defined(__x86_64__)
    CHECK(cpu.nfeatures > 0);
    CHECK(cpu.model && strcmp(cpu.model, "kvm64") == 0);
    for (size_t i = 0; i < cpu.nfeatures; i++)
        CHECK(strcmp(cpu.features[i], "sse2") != 0);    /* part of kvm64 */
#endif
}

static void test_sysinfo(void)
{
    char root[4096], *xml = NULL;
    const mv_error *e;

    snprintf(root, sizeof(root), "%s/hostinfo/numa2", TEST_DATA_DIR);
    mv_hostinfo_set_root(root);
    CHECK_INT(mv_sysinfo_format_host(&xml), 0);
    if (xml) {
        check_golden("hostinfo/numa2-sysinfo.xml", xml);
        /* Empty files (board and chassis version) are left out. */
        CHECK(strstr(xml, "<entry name='version'></entry>") == NULL);
    }
    free(xml);
    xml = NULL;

    snprintf(root, sizeof(root), "%s/hostinfo/flat", TEST_DATA_DIR);
    mv_hostinfo_set_root(root);
    mv_error_reset();
    CHECK_INT(mv_sysinfo_format_host(&xml), -ENOTSUP);
    CHECK(xml == NULL);
    e = mv_error_last();
    CHECK(e != NULL);
    if (e) {
        CHECK_INT(e->code, MV_ERR_CONFIG_UNSUPPORTED);
        CHECK_INT(e->domain, MV_FROM_QEMU);
        CHECK_STR(e->message, "unsupported configuration: Host SMBIOS information is not available");
    }
    mv_hostinfo_set_root(NULL);
}

int main(void)
{
    test_model();
    test_probe_numa2();
    test_real_host();
    test_sysinfo();
    TEST_DONE();
}
