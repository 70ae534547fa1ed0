/* Tests for util/log: filters, outputs, the line format, disabled levels. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/log.h"


static char tmpdir[] = "/tmp/test_log.XXXXXX";
static char logpath[256];

static void check_filter(const char *file, int level, bool want)
{
    if (mv_log_enabled(level, file) != want) {
        fprintf(stderr, "level %d from %s: expected %s\n", level, file,
                want ? "enabled" : "disabled");
        test_failures++;
    }
}

static void test_filters(void)
{
    CHECK(mv_log_setup(MV_LOG_WARN, "1:rpc 2:+util\t4:object", NULL) == 0);
    CHECK(mv_log_min_level == MV_LOG_DEBUG);
    check_filter("../common/rpc/server.c", MV_LOG_DEBUG, true);
    check_filter("../common/util/conf_file.c", MV_LOG_DEBUG, false);
    check_filter("../common/util/conf_file.c", MV_LOG_INFO, true);
    check_filter("../common/conf/object_conf.c", MV_LOG_WARN, false);
    check_filter("../common/conf/object_conf.c", MV_LOG_ERROR, true);
    check_filter("../virtqemud/qemu_driver.c", MV_LOG_INFO, false);  /* global */
    check_filter("../virtqemud/qemu_driver.c", MV_LOG_WARN, true);

    /* The first matching filter decides, even if a later one is looser. */
    CHECK(mv_log_setup(MV_LOG_INFO, "4:common 1:rpc", NULL) == 0);
    check_filter("../common/rpc/server.c", MV_LOG_WARN, false);
    check_filter("../virtqemud/rpc_glue.c", MV_LOG_DEBUG, true);
    CHECK(mv_log_min_level == MV_LOG_DEBUG);

    /* Outputs further restrict: nothing below 3 goes anywhere. */
    CHECK(mv_log_setup(MV_LOG_DEBUG, "1:rpc", "3:stderr") == 0);
    CHECK(mv_log_min_level == MV_LOG_WARN);
    check_filter("../common/rpc/server.c", MV_LOG_INFO, false);
    check_filter("../common/rpc/server.c", MV_LOG_WARN, true);

    CHECK(mv_log_setup(MV_LOG_ERROR, "", "  ") == 0);
    CHECK(mv_log_min_level == MV_LOG_ERROR);
    mv_log_reset();
    CHECK(mv_log_min_level == MV_LOG_WARN);
}

static void check_bad(int level, const char *filters, const char *outputs, const char *want)
{
    const mv_error *e;
    int r;

    mv_error_reset();
    r = mv_log_setup(level, filters, outputs);
    e = mv_error_last();
    if (r != -EINVAL || !e || e->code != MV_ERR_CONF_SYNTAX || e->domain != MV_FROM_CONF ||
        !strstr(e->message, want)) {
        fprintf(stderr, "setup(%d, '%s', '%s'): r=%d, message '%s', wanted '%s'\n", level,
                filters ? filters : "", outputs ? outputs : "", r, e ? e->message : "(none)",
                want);
        test_failures++;
    }
    /* A failed setup changes nothing. */
    CHECK(mv_log_min_level == MV_LOG_ERROR);
}

static void test_parse_errors(void)
{
    CHECK(mv_log_setup(MV_LOG_ERROR, NULL, NULL) == 0);
    check_bad(0, NULL, NULL, "invalid log level 0");
    check_bad(5, NULL, NULL, "invalid log level 5");
    check_bad(1, "1:rpc 5:util", NULL, "invalid log filter '5:util'");
    check_bad(1, "rpc", NULL, "invalid log filter 'rpc'");
    check_bad(1, "x:rpc", NULL, "invalid log filter 'x:rpc'");
    check_bad(1, "1:", NULL, "invalid log filter '1:': empty match");
    check_bad(1, "1:+", NULL, "invalid log filter '1:+': empty match");
    check_bad(1, "12:rpc", NULL, "invalid log filter '12:rpc'");
    check_bad(1, NULL, "stderr", "invalid log output 'stderr'");
    check_bad(1, NULL, "0:stderr", "invalid log output '0:stderr'");
    check_bad(1, NULL, "3:stderr 3:nope", "invalid log output '3:nope': unknown type 'nope'");
    check_bad(1, NULL, "3:stderr:x", "invalid log output '3:stderr:x': stderr takes no argument");
    check_bad(1, NULL, "3:journald:x", "journald takes no argument");
    check_bad(1, NULL, "3:file", "invalid log output '3:file': file needs an absolute path");
    check_bad(1, NULL, "3:file:relative.log", "file needs an absolute path");
    check_bad(1, NULL, "3:syslog:", "empty syslog identifier");

    /* Good syntax for every type parses (nothing is logged here). */
    snprintf(logpath, sizeof(logpath), "%s/parse.log", tmpdir);
    {
        _cleanup_free_ char *outs = NULL;
        CHECK(asprintf(&outs, "3:stderr 1:file:%s 2:journald 3:syslog:test_log 4:syslog",
                       logpath) > 0);
        CHECK(mv_log_setup(MV_LOG_ERROR, NULL, outs) == 0);
        mv_log_reset();
        unlink(logpath);
    }
}

/* pattern: '\1' one digit, '\2' one or more digits, anything else literal. */
static bool match(const char *pat, const char *s)
{
    for (; *pat; pat++) {
        if (*pat == '\1') {
            if (*s < '0' || *s > '9')
                return false;
            s++;
        } else if (*pat == '\2') {
            if (*s < '0' || *s > '9')
                return false;
            while (*s >= '0' && *s <= '9')
                s++;
        } else if (*pat != *s++) {
            return false;
        }
    }
    return *s == '\0';
}

static char *read_log(void)
{
    char *data = NULL;
    if (mv_read_file(logpath, 1 << 20, &data, NULL) < 0)
        return strdup("");
    return data;
}

static void test_file_output(void)
{
    _cleanup_free_ char *outs = NULL, *text = NULL, *want = NULL;
    int line, evaluated = 0;
    struct stat st;

    snprintf(logpath, sizeof(logpath), "%s/out.log", tmpdir);
    CHECK(asprintf(&outs, "1:file:%s", logpath) > 0);
    CHECK(mv_log_setup(MV_LOG_INFO, NULL, outs) == 0);
    CHECK(stat(logpath, &st) == 0 && (st.st_mode & 0777) == 0600);

    errno = EAGAIN;
    line = __LINE__ + 1;
    log_info("hello %d %s", 42, "world");
    CHECK(errno == EAGAIN); /* logging never clobbers errno */

    /* Disabled: nothing written, arguments not even evaluated. */
    log_debug("not shown %d", ++evaluated);
    CHECK(evaluated == 0);

    text = read_log();
    CHECK(asprintf(&want, "\1\1\1\1-\1\1-\1\1 \1\1:\1\1:\1\1.\1\1\1+0000: %d: info : "
                          "test_file_output:%d : hello 42 world\n", (int)gettid(), line) > 0);
    if (!match(want, text)) {
        fprintf(stderr, "unexpected log content: [%s]\n", text);
        test_failures++;
    }

    /* A file output at level 3 ignores info even though the global level
     * lets it through; warnings and errors go out. */
    free(outs);
    outs = NULL;
    CHECK(asprintf(&outs, "3:file:%s", logpath) > 0);
    CHECK(mv_log_setup(MV_LOG_DEBUG, NULL, outs) == 0);
    log_info("info is filtered");
    log_warn("a warning");
    log_error("an error\n"); /* a trailing newline is not doubled */
    mv_log_reset();
    free(text);
    text = read_log();
    CHECK(!strstr(text, "info is filtered"));
    CHECK(strstr(text, ": warning : test_file_output:"));
    CHECK(strstr(text, ": error : test_file_output:"));
    CHECK(strstr(text, " : an error\n") && !strstr(text, "an error\n\n"));

    /* Long messages are not truncated. */
    {
        _cleanup_free_ char *big = malloc(10001);
        CHECK(big != NULL);
        if (big) {
            memset(big, 'z', 10000);
            big[10000] = '\0';
            CHECK(mv_log_setup(MV_LOG_DEBUG, NULL, outs) == 0);
            log_error("%s|end", big);
            mv_log_reset();
            free(text);
            text = read_log();
            CHECK(strstr(text, big) && strstr(text, "z|end\n"));
        }
    }
    unlink(logpath);
}

static void *thread_main(void *arg)
{
    for (int i = 0; i < 200; i++)
        log_warn("thread %ld message %d with some padding text to make it longer", (long)arg, i);
    return NULL;
}

/* Lines from concurrent threads never interleave. */
static void test_threads(void)
{
    _cleanup_free_ char *outs = NULL, *text = NULL;
    pthread_t th[8];
    size_t lines = 0;

    snprintf(logpath, sizeof(logpath), "%s/threads.log", tmpdir);
    CHECK(asprintf(&outs, "1:file:%s", logpath) > 0);
    CHECK(mv_log_setup(MV_LOG_DEBUG, NULL, outs) == 0);
    for (long i = 0; i < 8; i++)
        CHECK(pthread_create(&th[i], NULL, thread_main, (void *)i) == 0);
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    mv_log_reset();

    text = read_log();
    for (char *l = text, *nl; (nl = strchr(l, '\n')); l = nl + 1) {
        *nl = '\0';
        if (!match("\1\1\1\1-\1\1-\1\1 \1\1:\1\1:\1\1.\1\1\1+0000: \2: warning : "
                   "thread_main:\2 : thread \2 message \2 with some padding text to make it longer",
                   l)) {
            fprintf(stderr, "malformed line: [%s]\n", l);
            test_failures++;
            break;
        }
        lines++;
    }
    CHECK(lines == 8 * 200);
    unlink(logpath);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    mv_log_set_program("test_log");
    test_filters();
    test_parse_errors();
    test_file_output();
    test_threads();
    rmdir(tmpdir);
    TEST_DONE();
}
