/* Tests for virtqemud/qemu_capabilities against the installed
 * /usr/bin/qemu-system-x86_64 (skipped without it), plus fake binaries in
 * a temporary directory for change detection, hangs and absence. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "virtqemud/qemu_capabilities.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "test.h"

#define REAL_QEMU "/usr/bin/qemu-system-x86_64"
#define VALIDATOR "/usr/bin/virt-xml-validate"

static char tmpdir[] = "/tmp/mv-qemu-caps-XXXXXX";

static char *caps_xml(void)
{
    char *xml = NULL;
    CHECK_INT(qemu_caps_capabilities_xml(0, 0, &xml), 0);
    return xml;
}

static void write_script(const char *dir, const char *body)
{
    char path[4096], text[1024];

    snprintf(path, sizeof(path), "%s/qemu-system-x86_64", dir);
    snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
    CHECK_INT(mv_write_file_atomic(path, text, strlen(text), 0755), 0);
}

/* The real binary: machines, aliases, version, and probing only once. */
static void test_real(void)
{
    unsigned long long version = 0;
    unsigned int before;
    char *xml, *emu = NULL, *machine = NULL;

    qemu_caps_set_search_dirs(NULL);
    before = qemu_caps_probe_count();
    xml = caps_xml();
    CHECK(qemu_caps_probe_count() > before);
    if (xml) {
        CHECK(strstr(xml, "<arch name='x86_64'>") != NULL);
        CHECK(strstr(xml, "<emulator>" REAL_QEMU "</emulator>") != NULL);
        CHECK(strstr(xml, "<machine canonical='pc-i440fx-") != NULL);
        CHECK(strstr(xml, "'>pc</machine>") != NULL);
        CHECK(strstr(xml, "<machine canonical='pc-q35-") != NULL);
        CHECK(strstr(xml, "'>q35</machine>") != NULL);
        CHECK(strstr(xml, ">none</machine>") == NULL);
        CHECK(strstr(xml, "<domain type='qemu'/>") != NULL);
        CHECK(strstr(xml, "<baselabel type='qemu'>+0:+0</baselabel>") != NULL);
    }

    CHECK_INT(qemu_caps_version(&version), 0);
    CHECK(version > 7000000);
    CHECK_INT(qemu_caps_lookup_guest("x86_64", "pc", &emu, &machine), 0);
    CHECK_STR(emu, REAL_QEMU);
    CHECK(machine && strncmp(machine, "pc-i440fx-", 10) == 0);
    /* Debian 12's QEMU: the exact machine this host's libvirtd shows. */
    if (version / 1000 == 7002 && xml) {
        CHECK_STR(machine, "pc-i440fx-7.2");
        CHECK(strstr(xml, "<machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>") != NULL);
        CHECK(strstr(xml, "<machine canonical='pc-q35-7.2' maxCpus='288'>q35</machine>") != NULL);
        CHECK(strstr(xml, "<machine maxCpus='255' deprecated='yes'>pc-i440fx-1.4</machine>") != NULL);
    }
    free(emu);
    free(machine);
    emu = machine = NULL;
    CHECK_INT(qemu_caps_lookup_guest("x86_64", NULL, &emu, &machine), 0);   /* the default */
    CHECK(machine && strncmp(machine, "pc-i440fx-", 10) == 0);
    free(emu);
    free(machine);
    mv_error_reset();
    CHECK_INT(qemu_caps_lookup_guest("x86_64", "no-such-board", &emu, &machine), -ENOENT);
    CHECK(mv_error_last() && mv_error_last()->code == MV_ERR_CONFIG_UNSUPPORTED);

    /* Cached: a second document and the version need no QEMU. */
    before = qemu_caps_probe_count();
    free(xml);
    xml = caps_xml();
    CHECK_INT(qemu_caps_version(&version), 0);
    CHECK_INT(qemu_caps_probe_count(), before);

    /* The document validates, apart from a known libvirt schema gap: the
     * host CPU feature pattern has no '.', yet libvirt's own names (and
     * libvirtd's own output) include sse4.1 and sse4.2. */
    if (xml && access(VALIDATOR, X_OK) == 0) {
        char path[256], cmd[1024];
        snprintf(path, sizeof(path), "%s/caps.xml", tmpdir);
        CHECK_INT(mv_write_file_atomic(path, xml, strlen(xml), 0644), 0);
        snprintf(cmd, sizeof(cmd), "grep -v \"<feature name='[^']*[.][^']*'/>\" %s > %s.v && "
                 VALIDATOR " %s.v capability >/dev/null 2>&1", path, path, path);
        CHECK_INT(system(cmd), 0);
    }
    free(xml);
}

static void test_disk_cache(void)
{
    char dir[4096];
    unsigned int before;

    snprintf(dir, sizeof(dir), "%s/cache", tmpdir);
    qemu_caps_set_cache_dir(dir);
    qemu_caps_flush();
    before = qemu_caps_probe_count();
    free(caps_xml());
    CHECK(qemu_caps_probe_count() > before);    /* nothing on disk yet */

    /* A "restarted daemon": memory empty, the files are enough. */
    qemu_caps_flush();
    before = qemu_caps_probe_count();
    free(caps_xml());
    CHECK_INT(qemu_caps_probe_count(), before);
    qemu_caps_set_cache_dir(NULL);
}

static void *caps_thread(void *arg)
{
    free(caps_xml());
    return NULL;
}

/* Concurrent first calls probe each binary once. */
static void test_threads(void)
{
    pthread_t t[4];
    unsigned int before, after_one;

    qemu_caps_flush();
    before = qemu_caps_probe_count();
    free(caps_xml());
    after_one = qemu_caps_probe_count() - before;

    qemu_caps_flush();
    before = qemu_caps_probe_count();
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, caps_thread, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    CHECK_INT(qemu_caps_probe_count() - before, after_one);
}

/* A wrapper script in a private directory: probed again when it changes. */
static void test_change(void)
{
    const char *dirs[] = { tmpdir, NULL };
    unsigned long long version;
    unsigned int before;

    write_script(tmpdir, "exec " REAL_QEMU " \"$@\"");
    qemu_caps_set_search_dirs(dirs);
    before = qemu_caps_probe_count();
    CHECK_INT(qemu_caps_version(&version), 0);
    CHECK_INT(qemu_caps_probe_count(), before + 1);
    CHECK_INT(qemu_caps_version(&version), 0);
    CHECK_INT(qemu_caps_probe_count(), before + 1);

    write_script(tmpdir, "# upgraded\nexec " REAL_QEMU " \"$@\"");
    CHECK_INT(qemu_caps_version(&version), 0);
    CHECK_INT(qemu_caps_probe_count(), before + 2);
}

/* A binary that never answers is killed at the timeout and reaped, and
 * not probed again until it changes. */
static void test_hang(void)
{
    const char *dirs[] = { tmpdir, NULL };
    unsigned long long version;
    struct timespec t0, t1;
    unsigned int before;
    char *xml;
    int status;

    write_script(tmpdir, "exec sleep 60");
    qemu_caps_set_search_dirs(dirs);
    qemu_caps_set_probe_timeout_ms(300);
    before = qemu_caps_probe_count();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    xml = caps_xml();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK_INT(qemu_caps_probe_count(), before + 1);
    CHECK(t1.tv_sec - t0.tv_sec < 30);
    CHECK(xml && strstr(xml, "<guest>") == NULL);
    free(xml);
    CHECK(waitpid(-1, &status, WNOHANG) <= 0);      /* no zombie left */
    CHECK_INT(qemu_caps_version(&version), -ENOENT);
    CHECK_INT(qemu_caps_probe_count(), before + 1);
    qemu_caps_set_probe_timeout_ms(10000);
}

/* No QEMU at all: the host-only document, and a clear error for the
 * version. */
static void test_none(void)
{
    char empty[4096];
    const char *dirs[] = { empty, NULL };
    unsigned long long version;
    const mv_error *e;
    char *xml;

    snprintf(empty, sizeof(empty), "%s/empty", tmpdir);
    CHECK_INT(mv_mkdir_p(empty, 0755), 0);
    qemu_caps_set_search_dirs(dirs);
    xml = caps_xml();
    CHECK(xml && strstr(xml, "<host>") && !strstr(xml, "<guest>"));
    free(xml);
    mv_error_reset();
    CHECK_INT(qemu_caps_version(&version), -ENOENT);
    e = mv_error_last();
    CHECK(e && e->code == MV_ERR_INTERNAL_ERROR && e->domain == MV_FROM_QEMU);
    CHECK(e && strncmp(e->message, "internal error: Cannot find suitable emulator for ", 50) == 0);
    qemu_caps_set_search_dirs(NULL);
}

static void test_max_vcpus(void)
{
    const mv_error *e;
    int n = 0;

    CHECK_INT(qemu_caps_max_vcpus(NULL, &n), 0);
    CHECK_INT(n, 16);
    CHECK_INT(qemu_caps_max_vcpus("QEMU", &n), 0);
    CHECK_INT(n, 16);
    if (access("/dev/kvm", R_OK | W_OK) == 0) {
        CHECK_INT(qemu_caps_max_vcpus("kvm", &n), 0);
        CHECK(n >= 4);
    }
    mv_error_reset();
    CHECK_INT(qemu_caps_max_vcpus("bogus", &n), -EINVAL);
    e = mv_error_last();
    CHECK(e != NULL);
    if (e) {
        CHECK_INT(e->code, MV_ERR_INVALID_ARG);
        CHECK_INT(e->domain, MV_FROM_QEMU);
        CHECK_STR(e->message, "invalid argument: unknown type 'bogus'");
    }
}

int main(void)
{
    test_max_vcpus();
    if (access(REAL_QEMU, X_OK) < 0) {
        fprintf(stderr, "%s not installed: QEMU tests skipped\n", REAL_QEMU);
        return 77;
    }
    if (!mkdtemp(tmpdir))
        return 1;
    test_real();
    test_disk_cache();
    test_threads();
    test_change();
    test_hang();
    test_none();
    if (!test_failures) {
        char cmd[4200];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", tmpdir);
    }
    TEST_DONE();
}
