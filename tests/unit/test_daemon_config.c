/*
 * Tests for daemon/daemon_config: keys whose value would promise protection
 * the daemon does not give are refused with file, line and key; tuning that
 * does nothing yet is accepted with one warning each.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "daemon/daemon.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/log.h"

static char dir[] = "/tmp/test_daemon_config.XXXXXX";

static char *write_conf(const char *text)
{
    char *path = NULL;

    if (asprintf(&path, "%s/virtqemud.conf", dir) < 0)
        abort();
    if (mv_write_file_atomic(path, text, strlen(text), 0600) < 0)
        abort();
    return path;
}

/* text must be refused with a message holding "PATH:want". */
static void check_refused(const char *text, const char *want)
{
    _cleanup_free_ char *path = write_conf(text), *expect = NULL;
    mv_daemon_config cfg;
    const mv_error *e;
    int r;

    mv_daemon_config_init(&cfg);
    mv_error_reset();
    r = mv_daemon_config_load(&cfg, path);
    e = mv_error_last();
    if (asprintf(&expect, "%s:%s", path, want) < 0)
        abort();
    if (r != -EINVAL || !e || e->code != MV_ERR_CONFIG_UNSUPPORTED || e->domain != MV_FROM_CONF ||
        !strstr(e->message, expect)) {
        fprintf(stderr, "for [%s]: r=%d, message '%s', wanted '%s'\n", text, r,
                e ? e->message : "(none)", expect);
        test_failures++;
    }
    mv_daemon_config_free(&cfg);
}

static void test_refused(void)
{
    check_refused("max_clients = 10\n\nauth_unix_rw = \"polkit\"\n",
                  "3: auth_unix_rw: \"polkit\" is not supported by this daemon: "
                  "only \"none\" (the socket's permissions decide) is");
    check_refused("auth_unix_ro = \"sasl\"\n", "1: auth_unix_ro: \"sasl\" is not supported");
    check_refused("# a comment\naccess_drivers = [ \"polkit\" ]\n",
                  "2: access_drivers: \"polkit\" is not supported by this daemon");
    check_refused("keepalive_required = 1\n", "1: keepalive_required: 1 is not supported");
    check_refused("audit_level = 2\n", "1: audit_level: 2 is not supported");
}

/* What the daemon does anyway is accepted without a word; tuning it ignores
 * is accepted with a warning naming file:line: key. */
static void test_accepted(void)
{
    static const char text[] =
        "auth_unix_ro = \"none\"\n"
        "auth_unix_rw = \"none\"\n"
        "access_drivers = [ ]\n"
        "keepalive_required = 0\n"
        "audit_level = 0\n"
        "host_uuid_source = \"smbios\"\n"
        "max_clients = 7\n"
        "min_workers = 2\n"                     /* 8 */
        "prio_workers = 3\n"
        "admin_max_clients = 4\n"
        "ovs_timeout = 9\n"
        "max_anonymous_clients = 1\n"
        "audit_level = 1\n"                     /* 13 */
        "host_uuid_source = \"machine-id\"\n";
    static const char *const warned[] = {
        ":8: min_workers: accepted for compatibility but has no effect yet",
        ":9: prio_workers: accepted for compatibility but has no effect yet",
        ":10: admin_max_clients: accepted for compatibility but has no effect yet",
        ":11: ovs_timeout: accepted for compatibility but has no effect yet",
        ":12: max_anonymous_clients: accepted for compatibility but has no effect yet",
        ":13: audit_level: accepted for compatibility but has no effect yet",
        ":14: host_uuid_source: accepted for compatibility but has no effect yet",
    };
    _cleanup_free_ char *path = write_conf(text), *logpath = NULL, *outputs = NULL;
    _cleanup_free_ char *logged = NULL;
    mv_daemon_config cfg;
    size_t nlines = 0;

    CHECK(asprintf(&logpath, "%s/log", dir) > 0);
    CHECK(asprintf(&outputs, "3:file:%s", logpath) > 0);
    CHECK_INT(mv_log_setup(MV_LOG_WARN, NULL, outputs), 0);
    mv_daemon_config_init(&cfg);
    CHECK_INT(mv_daemon_config_load(&cfg, path), 0);
    CHECK_INT(cfg.max_clients, 7);
    CHECK_STR(cfg.auth_unix_rw, "none");
    mv_daemon_config_free(&cfg);
    mv_log_reset();

    CHECK_INT(mv_read_file(logpath, 65536, &logged, NULL), 0);
    for (size_t i = 0; i < ELEMENTSOF(warned); i++) {
        _cleanup_free_ char *want = NULL;

        CHECK(asprintf(&want, "%s%s", path, warned[i]) > 0);
        if (!logged || !strstr(logged, want)) {
            fprintf(stderr, "not logged: %s\n", want);
            test_failures++;
        }
    }
    /* One line per ignored key, none for the keys that do what they say. */
    for (const char *p = logged; p && *p; p++)
        nlines += *p == '\n';
    CHECK_INT(nlines, ELEMENTSOF(warned));
    unlink(logpath);
}

int main(void)
{
    _cleanup_free_ char *path = NULL;

    if (!mkdtemp(dir))
        return EXIT_FAILURE;
    test_refused();
    test_accepted();
    path = write_conf("");
    unlink(path);
    rmdir(dir);
    TEST_DONE();
}
