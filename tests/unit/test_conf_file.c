/* Tests for util/conf_file: every value type, errors and their messages. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/conf_file.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/log.h"

static int failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            failures++;                                                      \
        }                                                                    \
    } while (0)

typedef struct {
    int max_clients;
    int min_workers;
    unsigned max_workers;
    bool listen_tls;
    char *unix_sock_group;
    char *host_uuid;
    char **tls_allowed_dn_list;
} test_conf;

static const mv_conf_key keys[] = {
    MV_CONF_KEY(MV_CONF_INT, "max_clients", test_conf, max_clients),
    MV_CONF_KEY(MV_CONF_INT, "min_workers", test_conf, min_workers),
    MV_CONF_KEY(MV_CONF_UINT, "max_workers", test_conf, max_workers),
    MV_CONF_KEY(MV_CONF_BOOL, "listen_tls", test_conf, listen_tls),
    MV_CONF_KEY(MV_CONF_STRING, "unix_sock_group", test_conf, unix_sock_group),
    MV_CONF_KEY(MV_CONF_STRING, "host_uuid", test_conf, host_uuid),
    MV_CONF_KEY(MV_CONF_STRING_LIST, "tls_allowed_dn_list", test_conf, tls_allowed_dn_list),
};

static void defaults(test_conf *c)
{
    *c = (test_conf) { .max_clients = 100, .min_workers = 5, .max_workers = 20,
                       .listen_tls = true };
}

static size_t strv_len(char **l)
{
    size_t n = 0;
    while (l && l[n])
        n++;
    return n;
}

static int parse(const char *text, test_conf *c)
{
    mv_error_reset();
    return mv_conf_parse_string("test.conf", text, strlen(text), keys, ELEMENTSOF(keys), c);
}

static const char *last_message(void)
{
    const mv_error *e = mv_error_last();
    return e ? e->message : "";
}

/* text must fail with -EINVAL and a message holding want. */
static void check_error(const char *text, const char *want)
{
    test_conf c;
    const mv_error *e;
    int r;

    defaults(&c);
    r = parse(text, &c);
    e = mv_error_last();
    if (r != -EINVAL || !e || e->code != MV_ERR_CONF_SYNTAX || e->domain != MV_FROM_CONF ||
        !strstr(e->message, want)) {
        fprintf(stderr, "for input [%s]: r=%d, message '%s', wanted '%s'\n", text, r,
                e ? e->message : "(none)", want);
        failures++;
    }
    mv_conf_free(keys, ELEMENTSOF(keys), &c);
}

static void test_data_file(void)
{
    test_conf c;

    defaults(&c);
    CHECK(mv_conf_parse_file(TEST_DATA_DIR "/conf/valid.conf", keys, ELEMENTSOF(keys), &c) == 0);
    CHECK(c.max_clients == 5000);
    CHECK(c.min_workers == -3);
    CHECK(c.max_workers == 20); /* not in the file: default kept */
    CHECK(c.listen_tls);
    CHECK(c.unix_sock_group && strcmp(c.unix_sock_group, "libvirt") == 0);
    CHECK(c.host_uuid && strcmp(c.host_uuid, "c6ff2f4c-5f0b-4a1b-9d2f-1c2b3a4d5e6f") == 0);
    CHECK(strv_len(c.tls_allowed_dn_list) == 3);
    if (strv_len(c.tls_allowed_dn_list) == 3) {
        CHECK(strcmp(c.tls_allowed_dn_list[0], "C=GB,O=Example,CN=client1") == 0);
        CHECK(strcmp(c.tls_allowed_dn_list[1], "C=GB,O=Example,CN=client2") == 0);
        CHECK(strcmp(c.tls_allowed_dn_list[2], "C=GB,O=Other,CN=*") == 0);
    }
    mv_conf_free(keys, ELEMENTSOF(keys), &c);
    CHECK(c.unix_sock_group == NULL && c.tls_allowed_dn_list == NULL);

    defaults(&c);
    mv_error_reset();
    CHECK(mv_conf_parse_file(TEST_DATA_DIR "/conf/bad_type.conf", keys, ELEMENTSOF(keys), &c) ==
          -EINVAL);
    CHECK(strstr(last_message(), TEST_DATA_DIR "/conf/bad_type.conf:4: max_clients: "
                                 "expected an integer, got a string"));
    mv_conf_free(keys, ELEMENTSOF(keys), &c);
}

static void test_missing_file(void)
{
    test_conf c;

    defaults(&c);
    CHECK(mv_conf_parse_file(TEST_DATA_DIR "/conf/does-not-exist.conf", keys,
                             ELEMENTSOF(keys), &c) == 0);
    CHECK(c.max_clients == 100 && c.min_workers == 5 && c.max_workers == 20 && c.listen_tls);
    CHECK(c.unix_sock_group == NULL && c.tls_allowed_dn_list == NULL);
}

static void test_values(void)
{
    test_conf c;

    defaults(&c);
    /* Later values replace earlier ones; ASan reports a leak if the old
     * string is not freed. */
    CHECK(parse("unix_sock_group = \"a\"\nunix_sock_group = 'b'\n"
                "tls_allowed_dn_list = [\"x\"]\ntls_allowed_dn_list = [ ]\n"
                "max_workers = 4294967295; listen_tls = 0\n"
                "min_workers = -2147483648\n"
                "max_clients = +7", &c) == 0); /* no final newline */
    CHECK(c.unix_sock_group && strcmp(c.unix_sock_group, "b") == 0);
    CHECK(c.tls_allowed_dn_list && strv_len(c.tls_allowed_dn_list) == 0);
    CHECK(c.max_workers == 4294967295u);
    CHECK(!c.listen_tls);
    CHECK(c.min_workers == -2147483647 - 1);
    CHECK(c.max_clients == 7);

    /* A single string is accepted where a list is expected. */
    CHECK(parse("tls_allowed_dn_list = \"only\"", &c) == 0);
    CHECK(strv_len(c.tls_allowed_dn_list) == 1 &&
          strcmp(c.tls_allowed_dn_list[0], "only") == 0);

    /* Empty strings, '#' inside a string, CRLF line ends. */
    CHECK(parse("host_uuid = \"\"\r\nunix_sock_group = \"a#b\" # c\r\n", &c) == 0);
    CHECK(c.host_uuid && c.host_uuid[0] == '\0');
    CHECK(c.unix_sock_group && strcmp(c.unix_sock_group, "a#b") == 0);

    CHECK(parse("", &c) == 0);
    CHECK(parse("\n\n# only comments\n   \t\n", &c) == 0);
    mv_conf_free(keys, ELEMENTSOF(keys), &c);
}

static void test_errors(void)
{
    _cleanup_free_ char *big = NULL, *longlist = NULL;
    size_t n;

    check_error("max_clients = \"x\"", "test.conf:1: max_clients: expected an integer, got a string");
    check_error("\n\nmax_clients = [ \"x\" ]", "test.conf:3: max_clients: expected an integer, got a list");
    check_error("max_clients = 2147483648", "test.conf:1: max_clients: value 2147483648 out of range");
    check_error("max_clients = 99999999999999999999", "test.conf:1: max_clients: integer out of range");
    check_error("max_workers = -1", "test.conf:1: max_workers: expected a non-negative integer, got -1");
    check_error("max_workers = 4294967296", "test.conf:1: max_workers: value 4294967296 out of range");
    check_error("listen_tls = 2", "test.conf:1: listen_tls: expected 0 or 1, got 2");
    check_error("listen_tls = \"yes\"", "test.conf:1: listen_tls: expected 0 or 1, got a string");
    check_error("# c\nhost_uuid = 5", "test.conf:2: host_uuid: expected a string, got an integer");
    check_error("tls_allowed_dn_list = [ \"a\", 1 ]",
                "test.conf:1: tls_allowed_dn_list: expected a list of strings");
    check_error("tls_allowed_dn_list = 3", "test.conf:1: tls_allowed_dn_list: expected a list of strings, got an integer");

    /* Syntax errors name the line where the parser stopped. */
    check_error("max_clients 5", "test.conf:1: max_clients: expected '=' after the key");
    check_error("max_clients =", "test.conf:1: max_clients: missing value");
    check_error("max_clients = yes", "test.conf:1: max_clients: expected an integer, a quoted string or a list");
    check_error("max_clients = 5x", "test.conf:1: max_clients: invalid integer");
    check_error("max_clients = -", "test.conf:1: max_clients: invalid integer");
    check_error("max_clients = 5 6", "test.conf:1: max_clients: unexpected text after the value");
    check_error("host_uuid = \"abc\nmax_clients = 1", "test.conf:1: host_uuid: unterminated string");
    check_error("host_uuid = 'abc", "test.conf:1: host_uuid: unterminated string");
    check_error("tls_allowed_dn_list = [\n \"a\",\n \"b\"\n", "test.conf:4: tls_allowed_dn_list: unterminated list");
    check_error("tls_allowed_dn_list = [\n \"a\"\n \"b\" ]", "test.conf:3: tls_allowed_dn_list: expected ',' or ']'");
    check_error("tls_allowed_dn_list = [ [ \"a\" ] ]", "test.conf:1: tls_allowed_dn_list: expected a quoted string or an integer");
    check_error("= 5", "test.conf:1: expected a key name");
    check_error("\n\n9key = 5", "test.conf:3: expected a key name");

    /* NUL bytes are errors, not truncation. */
    {
        static const char text[] = "host_uuid = \"a\0b\"";
        test_conf c;
        defaults(&c);
        mv_error_reset();
        CHECK(mv_conf_parse_string("nul.conf", text, sizeof(text) - 1, keys,
                                   ELEMENTSOF(keys), &c) == -EINVAL);
        CHECK(strstr(last_message(), "nul.conf:1: host_uuid: string contains a NUL byte"));
        mv_conf_free(keys, ELEMENTSOF(keys), &c);
    }

    /* Size limits. */
    n = MV_CONF_MAX_STRING + 1;
    big = malloc(n + 32);
    CHECK(big != NULL);
    if (big) {
        memcpy(big, "host_uuid = \"", 13);
        memset(big + 13, 'x', n);
        strcpy(big + 13 + n, "\"");
        check_error(big, "test.conf:1: host_uuid: string longer than");
    }
    longlist = malloc(32 + 5 * (MV_CONF_MAX_LIST + 1));
    CHECK(longlist != NULL);
    if (longlist) {
        char *p = longlist + sprintf(longlist, "tls_allowed_dn_list = [");
        for (int i = 0; i <= MV_CONF_MAX_LIST; i++)
            p += sprintf(p, "\"a\",");
        strcpy(p, "]");
        check_error(longlist, "test.conf:1: tls_allowed_dn_list: list longer than");
    }
}

/* An unknown key is reported as a warning naming file, line and key, and
 * the rest of the file still applies. */
static void test_unknown_key(void)
{
    char dir[] = "/tmp/test_conf_file.XXXXXX";
    _cleanup_free_ char *logpath = NULL, *outputs = NULL, *logged = NULL;
    test_conf c;

    CHECK(mkdtemp(dir) != NULL);
    CHECK(asprintf(&logpath, "%s/log", dir) > 0);
    CHECK(asprintf(&outputs, "3:file:%s", logpath) > 0);
    CHECK(mv_log_setup(MV_LOG_WARN, NULL, outputs) == 0);

    defaults(&c);
    CHECK(parse("max_clients = 1\n\nno_such_key = \"v\"\nmax_workers = 2\n", &c) == 0);
    CHECK(c.max_clients == 1 && c.max_workers == 2);
    mv_log_reset();

    CHECK(mv_read_file(logpath, 65536, &logged, NULL) == 0);
    CHECK(logged && strstr(logged, "test.conf:3: unknown key 'no_such_key'"));
    unlink(logpath);
    rmdir(dir);
}

/* A key's check sees the stored value and the line that set it; its error
 * ends the parse. */
static unsigned checked_line;

static int check_group(const char *name, unsigned line, const char *key, const void *field)
{
    const char *v = *(char *const *)field;

    checked_line = line;
    if (strcmp(v, "wheel") == 0)
        return mv_error_report(-EPERM, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_CONF,
                               "%s:%u: %s: refused", name, line, key);
    return 0;
}

static void test_check(void)
{
    static const mv_conf_key checked[] = {
        { "unix_sock_group", MV_CONF_STRING, offsetof(test_conf, unix_sock_group), check_group },
        MV_CONF_KEY(MV_CONF_INT, "max_clients", test_conf, max_clients),
    };
    static const char ok[] = "max_clients = 1\n# c\nunix_sock_group = \"libvirt\"\n";
    static const char bad[] = "\n\n\nunix_sock_group = 'wheel'\nmax_clients = 7\n";
    test_conf c;

    defaults(&c);
    CHECK(mv_conf_parse_string("t.conf", ok, strlen(ok), checked, ELEMENTSOF(checked), &c) == 0);
    CHECK(checked_line == 3);
    CHECK(c.unix_sock_group && strcmp(c.unix_sock_group, "libvirt") == 0);
    mv_conf_free(checked, ELEMENTSOF(checked), &c);

    defaults(&c);
    mv_error_reset();
    CHECK(mv_conf_parse_string("t.conf", bad, strlen(bad), checked, ELEMENTSOF(checked), &c) ==
          -EPERM);
    CHECK(checked_line == 4);
    CHECK(strstr(last_message(), "t.conf:4: unix_sock_group: refused"));
    CHECK(c.max_clients == 100); /* nothing after the refused key applied */
    mv_conf_free(checked, ELEMENTSOF(checked), &c);
}

int main(void)
{
    test_data_file();
    test_missing_file();
    test_values();
    test_errors();
    test_unknown_key();
    test_check();
    if (failures) {
        fprintf(stderr, "test_conf_file: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_conf_file: all checks passed\n");
    return 0;
}
