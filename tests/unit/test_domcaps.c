/* Tests for virtqemud/qemu_domcaps (and common/conf/domcaps_conf) against
 * the installed /usr/bin/qemu-system-x86_64 (skipped without it): the
 * document validates and names the right binary and machine, firmware
 * comes from descriptors, CPU models are there, probes are cached, and
 * bad input gets the errors libvirtd 9.0 gives (measured against it). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "virtqemud/qemu_domcaps.h"
#include "virtqemud/qemu_capabilities.h"
#include "conf/domcaps_conf.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/hostinfo.h"
#include "test.h"

#define REAL_QEMU "/usr/bin/qemu-system-x86_64"
#define VALIDATOR "/usr/bin/virt-xml-validate"
#define DATA_DIR TEST_DATA_DIR "/domcaps"

static char tmpdir[] = "/tmp/mv-domcaps-XXXXXX";

static char *domcaps(const char *emulator, const char *arch, const char *machine, const char *type)
{
    char *xml = NULL;
    int r = qemu_domcaps_xml(emulator, arch, machine, type, 0, &xml);

    if (r < 0) {
        const mv_error *e = mv_error_last();
        fprintf(stderr, "domcaps(%s, %s, %s, %s): %d %s\n", emulator, arch, machine, type, r,
                e ? e->message : "");
    }
    CHECK_INT(r, 0);
    return xml;
}

static void validate(const char *xml, const char *name)
{
    char path[4096], cmd[8192];

    if (!xml || access(VALIDATOR, X_OK) < 0)
        return;
    snprintf(path, sizeof(path), "%s/%s.xml", tmpdir, name);
    CHECK_INT(mv_write_file_atomic(path, xml, strlen(xml), 0644), 0);
    snprintf(cmd, sizeof(cmd), VALIDATOR " %s domaincaps >/dev/null 2>&1", path);
    if (system(cmd) != 0) {
        fprintf(stderr, "%s does not validate\n", path);
        test_failures++;
    }
}

static bool has(const char *xml, const char *s)
{
    return xml && strstr(xml, s) != NULL;
}

/* The text of the first <tag>...</tag>. */
static void element_text(const char *xml, const char *tag, char *out, size_t size)
{
    char open[64];
    const char *p, *q;

    out[0] = '\0';
    snprintf(open, sizeof(open), "<%s>", tag);
    if (!xml || !(p = strstr(xml, open)) || !(q = strchr(p + strlen(open), '<')))
        return;
    p += strlen(open);
    snprintf(out, size, "%.*s", (int)(q - p), p);
}

/* The model and formatter alone, against a golden file. */
static void test_format(void)
{
    mv_domcaps c = { 0 };
    mv_domcaps_elem *el;
    mv_domcaps_enum *e;
    char *xml = NULL, *want = NULL;

    c.path = strdup("/usr/bin/qemu-system-x86_64");
    c.domain = "kvm";
    c.machine = strdup("pc-q35-7.2");
    c.arch = strdup("x86_64");
    c.max_vcpus = 288;
    c.iothreads = 1;
    c.has_os = c.os.supported = c.has_loader = c.loader.supported = true;
    c.os.name = "os";
    c.loader.name = "loader";
    CHECK_INT(mv_domcaps_enum_add(mv_domcaps_elem_add_enum(&c.os, "firmware"), "efi"), 0);
    CHECK_INT(mv_domcaps_enum_add(&c.loader_values, "/usr/share/OVMF/OVMF_CODE_4M.fd"), 0);
    e = mv_domcaps_elem_add_enum(&c.loader, "secure");
    CHECK_INT(mv_domcaps_enum_add(e, "yes"), 0);
    CHECK_INT(mv_domcaps_enum_add(e, "no"), 0);
    c.has_cpu = c.host_passthrough = c.maximum = c.host_model = c.custom = true;
    c.host_passthrough_migratable.name = "hostPassthroughMigratable";
    CHECK_INT(mv_domcaps_enum_add(&c.host_passthrough_migratable, "off"), 0);
    c.host_model_name = strdup("EPYC-Milan");
    c.host_model_vendor = strdup("AMD");
    CHECK_INT(mv_domcaps_add_host_model_feature(&c, "require", "x2apic"), 0);
    CHECK_INT(mv_domcaps_add_host_model_feature(&c, "disable", "pni"), 0);
    CHECK_INT(mv_domcaps_add_cpu_model(&c, "qemu64", "yes", NULL, false), 0);
    CHECK_INT(mv_domcaps_add_cpu_model(&c, "Old<&>", "no", "Intel", true), 0);
    el = mv_domcaps_add_device(&c, "hostdev", true);
    CHECK(mv_domcaps_elem_add_enum(el, "capsType") != NULL);
    mv_domcaps_add_device(&c, "tpm", false);
    mv_domcaps_add_feature(&c, "gic", false);
    mv_domcaps_add_feature(&c, "sev", true);
    c.has_sev = true;
    c.sev = (mv_domcaps_sev) { .cbitpos = 47, .reduced_phys_bits = 1, .max_guests = 15, .max_es_guests = 494 };
    CHECK_INT(mv_domcaps_format(&c, &xml), 0);
    CHECK_INT(mv_read_file(DATA_DIR "/format.xml", 1 << 20, &want, NULL), 0);
    if (xml && want && strcmp(xml, want) != 0) {
        fprintf(stderr, "format mismatch; got:\n%s", xml);
        test_failures++;
    }
    validate(xml, "format");
    free(xml);
    free(want);
    mv_domcaps_clear(&c);
    mv_domcaps_clear(&c);       /* safe twice */
}

/* The default document for this host. */
static void test_default(void)
{
    unsigned int before = qemu_caps_probe_count();
    char *xml = domcaps(NULL, NULL, NULL, NULL), *again, text[256];

    CHECK(qemu_caps_probe_count() > before);
    CHECK(has(xml, "<path>" REAL_QEMU "</path>"));
    CHECK(has(xml, mv_host_kvm_usable() ? "<domain>kvm</domain>" : "<domain>qemu</domain>"));
    element_text(xml, "machine", text, sizeof(text));
    CHECK(strncmp(text, "pc-i440fx-", 10) == 0);
    CHECK(has(xml, "<arch>x86_64</arch>"));
    CHECK(has(xml, "<vcpu max='255'/>"));
    CHECK(has(xml, "<iothreads supported='yes'/>"));
    CHECK(has(xml, "<mode name='maximum' supported='yes'>"));
    CHECK(has(xml, "vendor='unknown'>qemu64</model>"));
    CHECK(has(xml, "<mode name='host-model' supported='yes'>"));
    CHECK(has(xml, "<model fallback='forbid'>"));
    CHECK(has(xml, "<value>virtio</value>"));
    CHECK(has(xml, "<value>ide</value>"));          /* i440fx has IDE */
    CHECK(has(xml, "<value>vnc</value>"));
    CHECK(has(xml, "<value>memfd</value>"));
    CHECK(has(xml, "<value>tpm-crb</value>"));
    CHECK(has(xml, "<value>virtiofs</value>"));
    CHECK(has(xml, "<vmcoreinfo supported='yes'/>"));
    CHECK(has(xml, "<gic supported='no'/>"));
    CHECK(has(xml, "<hyperv supported='yes'>"));
    if (mv_host_kvm_usable())
        CHECK(has(xml, "<mode name='host-passthrough' supported='yes'>"));
    validate(xml, "default");

    /* Cached: no QEMU runs the second time, and the same document. */
    before = qemu_caps_probe_count();
    again = domcaps(NULL, "x86_64", NULL, mv_host_kvm_usable() ? "kvm" : "qemu");
    CHECK_INT(qemu_caps_probe_count(), before);
    CHECK(xml && again && strcmp(xml, again) == 0);
    free(again);
    free(xml);
}

static void test_machines(void)
{
    char *xml, text[256];

    xml = domcaps(NULL, NULL, "q35", NULL);
    element_text(xml, "machine", text, sizeof(text));
    CHECK(strncmp(text, "pc-q35-", 7) == 0);
    CHECK(has(xml, "<vcpu max='288'/>"));
    CHECK(!has(xml, "<value>ide</value>"));
    CHECK(has(xml, "<value>sata</value>"));
    validate(xml, "q35");
    free(xml);

    xml = domcaps(REAL_QEMU, "x86_64", "pc", "qemu");
    element_text(xml, "machine", text, sizeof(text));
    CHECK(strncmp(text, "pc-i440fx-", 10) == 0);
    CHECK(has(xml, "<domain>qemu</domain>"));
    CHECK(has(xml, "<mode name='host-passthrough' supported='no'/>"));
    CHECK(has(xml, "<model usable='yes' vendor='unknown'>qemu64</model>"));
    CHECK(has(xml, "<sev supported='no'/>"));
    validate(xml, "tcg");
    free(xml);

    xml = domcaps(NULL, NULL, "isapc", NULL);
    CHECK(has(xml, "<machine>isapc</machine>"));
    CHECK(has(xml, "<vcpu max='1'/>"));
    free(xml);

    if (access("/usr/bin/qemu-system-i386", X_OK) == 0) {
        xml = domcaps(NULL, "i686", NULL, NULL);
        CHECK(has(xml, "<path>/usr/bin/qemu-system-i386</path>"));
        CHECK(has(xml, "<arch>i686</arch>"));
        validate(xml, "i686");
        free(xml);
    }
    /* The path as given, even when not canonical. */
    xml = domcaps("/usr/bin/../bin/qemu-system-x86_64", NULL, NULL, NULL);
    CHECK(has(xml, "<path>/usr/bin/../bin/qemu-system-x86_64</path>"));
    free(xml);
}

static void write_descriptor(const char *dir, const char *name, const char *code,
                             const char *machines, bool secure)
{
    char path[4096], text[2048];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(text, sizeof(text),
             "{ \"interface-types\": [\"uefi\"],\n"
             "  \"mapping\": { \"device\": \"flash\", \"executable\": { \"filename\": \"%s\" } },\n"
             "  \"targets\": [ { \"architecture\": \"x86_64\", \"machines\": [ %s ] } ],\n"
             "  \"features\": [ %s ] }\n", code, machines, secure ? "\"requires-smm\", \"secure-boot\"" : "");
    CHECK_INT(mv_write_file_atomic(path, text, strlen(text), 0644), 0);
}

/* <os> follows the descriptors: efi only when one matches the machine. */
static void test_firmware(void)
{
    char high[256], low[256], code1[256], code2[256], path[4096];
    const char *dirs[] = { high, low, NULL };
    char *xml;

    snprintf(high, sizeof(high), "%s/etc-fw", tmpdir);
    snprintf(low, sizeof(low), "%s/share-fw", tmpdir);
    snprintf(code1, sizeof(code1), "%s/CODE1.fd", tmpdir);
    snprintf(code2, sizeof(code2), "%s/CODE2.fd", tmpdir);
    CHECK_INT(mv_mkdir_p(high, 0755), 0);
    CHECK_INT(mv_mkdir_p(low, 0755), 0);
    CHECK_INT(mv_write_file_atomic(code1, "x", 1, 0644), 0);
    CHECK_INT(mv_write_file_atomic(code2, "x", 1, 0644), 0);
    qemu_domcaps_set_firmware_dirs(dirs);

    /* No descriptors: no efi. */
    xml = domcaps(NULL, NULL, "q35", NULL);
    CHECK(has(xml, "<enum name='firmware'/>"));
    CHECK(!has(xml, "<value>efi</value>"));
    validate(xml, "nofw");
    free(xml);

    write_descriptor(low, "50-secure.json", code1, "\"pc-q35-*\"", true);
    write_descriptor(low, "60-plain.json", code2, "\"pc-i440fx-*\", \"pc-q35-*\"", false);
    xml = domcaps(NULL, NULL, "q35", NULL);
    CHECK(has(xml, "<enum name='firmware'>\n      <value>efi</value>"));
    snprintf(path, sizeof(path), "<value>%s</value>\n      <value>%s</value>\n      <enum name='type'>",
             code1, code2);
    CHECK(has(xml, path));
    CHECK(has(xml, "<enum name='secure'>\n        <value>yes</value>\n        <value>no</value>"));
    validate(xml, "fw-q35");
    free(xml);

    /* i440fx: only the plain one, no secure boot. */
    xml = domcaps(NULL, NULL, "pc", NULL);
    CHECK(has(xml, "<value>efi</value>"));
    CHECK(!has(xml, code1));
    CHECK(has(xml, code2));
    CHECK(has(xml, "<enum name='secure'>\n        <value>no</value>"));
    free(xml);

    /* An empty file of the same name in the higher directory masks it. */
    snprintf(path, sizeof(path), "%s/50-secure.json", high);
    CHECK_INT(mv_write_file_atomic(path, "", 0, 0644), 0);
    xml = domcaps(NULL, NULL, "q35", NULL);
    CHECK(!has(xml, code1));
    CHECK(has(xml, code2));
    free(xml);

    /* isapc matches nothing. */
    xml = domcaps(NULL, NULL, "isapc", NULL);
    CHECK(has(xml, "<enum name='firmware'/>"));
    CHECK(!has(xml, code2));
    free(xml);
    qemu_domcaps_set_firmware_dirs(NULL);

    /* The host's own descriptors, if any. */
    xml = domcaps(NULL, NULL, "q35", NULL);
    CHECK(has(xml, "<value>efi</value>") == (access("/usr/share/qemu/firmware/60-edk2-x86_64.json", R_OK) == 0));
    free(xml);
}

/* Bad input: code, domain and message as libvirtd 9.0 reported them. */
static void test_errors(void)
{
    static const struct {
        const char *emulator, *arch, *machine, *type;
        unsigned int flags;
        int code;
        const char *message;
    } cases[] = {
        { NULL, NULL, NULL, NULL, 1, MV_ERR_INVALID_ARG,
          "unsupported flags (0x1) in function qemuConnectGetDomainCapabilities" },
        { NULL, "sparc", NULL, NULL, 0, MV_ERR_CONFIG_UNSUPPORTED,
          "unsupported configuration: unable to find any emulator to serve 'sparc' architecture" },
        { NULL, "armv7b", NULL, NULL, 0, MV_ERR_CONFIG_UNSUPPORTED,
          "unsupported configuration: unable to find any emulator to serve 'armv7b' architecture" },
        { NULL, "bogus", NULL, NULL, 0, MV_ERR_INVALID_ARG, "invalid argument: unknown architecture: bogus" },
        { NULL, "X86_64", NULL, NULL, 0, MV_ERR_INVALID_ARG, "invalid argument: unknown architecture: X86_64" },
        { NULL, NULL, "bogus", NULL, 0, MV_ERR_INVALID_ARG,
          "invalid argument: the machine 'bogus' is not supported by emulator '" REAL_QEMU "'" },
        { NULL, NULL, "none", NULL, 0, MV_ERR_INVALID_ARG,
          "invalid argument: the machine 'none' is not supported by emulator '" REAL_QEMU "'" },
        { NULL, NULL, "PC", NULL, 0, MV_ERR_INVALID_ARG,
          "invalid argument: the machine 'PC' is not supported by emulator '" REAL_QEMU "'" },
        { NULL, NULL, NULL, "bogus", 0, MV_ERR_INVALID_ARG, "invalid argument: unknown virttype: bogus" },
        { NULL, NULL, NULL, "KVM", 0, MV_ERR_INVALID_ARG, "invalid argument: unknown virttype: KVM" },
        { NULL, NULL, NULL, "xen", 0, MV_ERR_INVALID_ARG,
          "invalid argument: the accel 'tcg' is not supported by '" REAL_QEMU "' on this host" },
        { NULL, NULL, "bogus", "xen", 0, MV_ERR_INVALID_ARG,
          "invalid argument: the machine 'bogus' is not supported by emulator '" REAL_QEMU "'" },
        { NULL, "bogus", NULL, "bogus", 0, MV_ERR_INVALID_ARG, "invalid argument: unknown virttype: bogus" },
        { NULL, "aarch64", NULL, "kvm", 0, MV_ERR_CONFIG_UNSUPPORTED,
          "unsupported configuration: unable to find any emulator to serve 'aarch64' architecture" },
        { "/nonexistent", NULL, NULL, NULL, 0, MV_ERR_SYSTEM_ERROR,
          "Cannot check QEMU binary /nonexistent: No such file or directory" },
        { "/nonexistent", "bogus", NULL, NULL, 0, MV_ERR_INVALID_ARG, "invalid argument: unknown architecture: bogus" },
        { "/tmp", NULL, NULL, NULL, 0, MV_ERR_SYSTEM_ERROR, "QEMU binary /tmp is not executable: Is a directory" },
        { REAL_QEMU, "aarch64", NULL, NULL, 0, MV_ERR_INVALID_ARG,
          "invalid argument: architecture from emulator 'x86_64' doesn't match given architecture 'aarch64'" },
        { REAL_QEMU, "armv7l", "bogus", NULL, 0, MV_ERR_INVALID_ARG,
          "invalid argument: architecture from emulator 'x86_64' doesn't match given architecture 'armv7l'" },
        { "/usr/bin/qemu-system-i386", NULL, NULL, NULL, 0, MV_ERR_INVALID_ARG,
          "invalid argument: Emulator '/usr/bin/qemu-system-i386' does not support arch 'x86_64'" },
        { "/usr/bin/qemu-system-i386", "x86_64", "bogus", "xen", 0, MV_ERR_INVALID_ARG,
          "invalid argument: the machine 'bogus' is not supported by emulator '/usr/bin/qemu-system-i386'" },
        { "/usr/bin/qemu-system-i386", "x86_64", NULL, "xen", 0, MV_ERR_INVALID_ARG,
          "invalid argument: Emulator '/usr/bin/qemu-system-i386' does not support arch 'x86_64'" },
        { "/usr/bin/qemu-system-i386", "aarch64", NULL, NULL, 0, MV_ERR_INVALID_ARG,
          "invalid argument: architecture from emulator 'i686' doesn't match given architecture 'aarch64'" },
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        char *xml = NULL;
        const mv_error *e;
        int r;

        if (cases[i].emulator && strstr(cases[i].emulator, "qemu-system") &&
            access(cases[i].emulator, X_OK) < 0)
            continue;
        mv_error_reset();
        r = qemu_domcaps_xml(cases[i].emulator, cases[i].arch, cases[i].machine, cases[i].type,
                             cases[i].flags, &xml);
        e = mv_error_last();
        CHECK(r < 0);
        CHECK(xml == NULL);
        CHECK(e != NULL);
        if (r >= 0 || !e) {
            fprintf(stderr, "case %zu: no error\n", i);
            free(xml);
            continue;
        }
        CHECK_INT(e->code, cases[i].code);
        CHECK_INT(e->domain, MV_FROM_QEMU);
        CHECK_STR(e->message, cases[i].message);
    }
    /* KVM asked for where it cannot run: the host without /dev/kvm. */
    if (!mv_host_kvm_usable()) {
        char *xml = NULL;
        mv_error_reset();
        CHECK(qemu_domcaps_xml(NULL, NULL, NULL, "kvm", 0, &xml) < 0);
        CHECK_STR(mv_error_last() ? mv_error_last()->message : NULL,
                  "invalid argument: the accel 'kvm' is not supported by '" REAL_QEMU "' on this host");
    }
}

/* A binary that is no QEMU: an internal error, probed once per version. */
static void test_broken_binary(void)
{
    char path[4096];
    unsigned int before;
    char *xml = NULL;

    snprintf(path, sizeof(path), "%s/qemu-broken", tmpdir);
    CHECK_INT(mv_write_file_atomic(path, "#!/bin/sh\necho no qmp here\n", 27, 0755), 0);
    before = qemu_caps_probe_count();
    CHECK(qemu_domcaps_xml(path, NULL, NULL, NULL, 0, &xml) < 0);
    CHECK(mv_error_last() && mv_error_last()->code == MV_ERR_INTERNAL_ERROR);
    CHECK(mv_error_last() && strstr(mv_error_last()->message, "Failed to probe capabilities for "));
    CHECK(qemu_domcaps_xml(path, NULL, NULL, NULL, 0, &xml) < 0);
    CHECK_INT(qemu_caps_probe_count(), before + 1);
    CHECK(xml == NULL);
    unlink(path);
}

static void *thread_main(void *arg)
{
    char *xml = NULL;
    int r = qemu_domcaps_xml(NULL, NULL, (const char *)arg, NULL, 0, &xml);

    free(xml);
    return (void *)(long)r;
}

/* Concurrent first calls probe once and all succeed. */
static void test_threads(void)
{
    static const char *const machines[] = { "q35", "pc", NULL, "isapc", "q35", "microvm" };
    pthread_t t[ELEMENTSOF(machines)];
    unsigned int before;

    qemu_domcaps_flush();
    before = qemu_caps_probe_count();
    for (size_t i = 0; i < ELEMENTSOF(t); i++)
        CHECK_INT(pthread_create(&t[i], NULL, thread_main, (void *)machines[i]), 0);
    for (size_t i = 0; i < ELEMENTSOF(t); i++) {
        void *r;
        pthread_join(t[i], &r);
        CHECK_INT((long)r, 0);
    }
    /* The base probe, the TCG CPU probe and, with KVM, the KVM one
     * (qemu_capabilities' own probe is cached already). */
    CHECK_INT(qemu_caps_probe_count() - before, mv_host_kvm_usable() ? 3 : 2);
}

int main(void)
{
    char cmd[256];

    if (!mkdtemp(tmpdir))
        return EXIT_FAILURE;
    test_format();
    if (access(REAL_QEMU, X_OK) == 0) {
        test_default();
        test_machines();
        test_firmware();
        test_errors();
        test_broken_binary();
        test_threads();
    } else {
        fprintf(stderr, "%s missing: skipping the QEMU tests\n", REAL_QEMU);
    }
    qemu_domcaps_flush();
    qemu_caps_flush();
    qemu_domcaps_set_firmware_dirs(NULL);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
    TEST_DONE();
}
