#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* We pass the caller's location ourselves; without this the header's
 * sd_journal_send() macro would record log.c as the source. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/log.h"

#define MAX_FILTERS 64
#define MAX_OUTPUTS 16
#define MAX_TOKEN 4096

typedef enum {
    OUT_STDERR,
    OUT_FILE,
    OUT_JOURNALD,
    OUT_SYSLOG,
} output_type;

typedef struct {
    int level;
    char *match;
} log_filter;

typedef struct {
    int level;
    output_type type;
    int fd;             /* OUT_FILE only */
} log_output;

typedef struct {
    int level;
    size_t nfilters;
    log_filter filters[MAX_FILTERS];
    size_t noutputs;
    log_output outputs[MAX_OUTPUTS];
    char *syslog_ident; /* openlog() keeps the pointer, so we own it */
} log_config;

/* Before mv_log_setup(): warnings and errors to stderr.  The default
 * output takes every level so that a filter such as "1:rpc" alone is
 * enough to see debug messages. */
static log_config default_config = {
    .level = MV_LOG_WARN,
    .noutputs = 1,
    .outputs = { { .level = MV_LOG_DEBUG, .type = OUT_STDERR, .fd = -1 } },
};

int mv_log_min_level = MV_LOG_WARN;

/* Messages take it shared, so worker threads log in parallel; only a
 * configuration change takes it exclusively. */
static pthread_rwlock_t config_lock = PTHREAD_RWLOCK_INITIALIZER;
static log_config *config = &default_config;
static char program[64] = "modvirt";

static const char *level_name(int level)
{
    switch (level) {
    case MV_LOG_DEBUG: return "debug";
    case MV_LOG_INFO: return "info";
    case MV_LOG_WARN: return "warning";
    default: return "error";
    }
}

static int level_priority(int level)
{
    switch (level) {
    case MV_LOG_DEBUG: return LOG_DEBUG;
    case MV_LOG_INFO: return LOG_INFO;
    case MV_LOG_WARN: return LOG_WARNING;
    default: return LOG_ERR;
    }
}

static void config_free(log_config *c)
{
    if (!c || c == &default_config)
        return;
    for (size_t i = 0; i < c->nfilters; i++)
        free(c->filters[i].match);
    for (size_t i = 0; i < c->noutputs; i++)
        if (c->outputs[i].fd >= 0)
            close(c->outputs[i].fd);
    free(c->syslog_ident);
    free(c);
}

static inline void config_freep(log_config **c) { config_free(*c); }

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Next whitespace separated token of *s into ret_tok (allocated); 0 at end
 * of input, 1 when a token was returned. */
static int next_token(const char **s, const char *what, char **ret_tok)
{
    const char *p = *s, *start;
    char *tok;

    while (*p && is_blank(*p))
        p++;
    if (!*p)
        return 0;
    start = p;
    while (*p && !is_blank(*p))
        p++;
    if ((size_t)(p - start) > MAX_TOKEN)
        return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                               "log %s '%.40s...' is too long", what, start);
    tok = strndup(start, (size_t)(p - start));
    if (!tok)
        return -ENOMEM;
    *s = p;
    *ret_tok = tok;
    return 1;
}

/* "N:rest" with N in 1..4: the level, and rest in ret_rest. */
static int parse_level_prefix(const char *tok, int *ret_level, const char **ret_rest)
{
    if (tok[0] < '1' || tok[0] > '4' || tok[1] != ':')
        return -EINVAL;
    *ret_level = tok[0] - '0';
    *ret_rest = tok + 2;
    return 0;
}

static int parse_filters(log_config *c, const char *filters)
{
    const char *s = filters;

    for (;;) {
        _cleanup_free_ char *tok = NULL;
        const char *match;
        int level, r;

        r = next_token(&s, "filter", &tok);
        if (r <= 0)
            return r;
        if (parse_level_prefix(tok, &level, &match) < 0)
            return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                                   "invalid log filter '%s': expected LEVEL:MATCH with LEVEL 1 to 4",
                                   tok);
        /* '+' asks libvirt for stack traces; we have none to give. */
        if (*match == '+')
            match++;
        if (!*match)
            return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                                   "invalid log filter '%s': empty match", tok);
        if (c->nfilters == MAX_FILTERS)
            return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                                   "too many log filters (at most %d)", MAX_FILTERS);
        c->filters[c->nfilters].match = strdup(match);
        if (!c->filters[c->nfilters].match)
            return -ENOMEM;
        c->filters[c->nfilters++].level = level;
    }
}

static int add_output(log_config *c, const char *tok, int level, const char *type,
                      const char *arg)
{
    log_output *o;

    if (c->noutputs == MAX_OUTPUTS)
        return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                               "too many log outputs (at most %d)", MAX_OUTPUTS);
    o = &c->outputs[c->noutputs];
    o->level = level;
    o->fd = -1;

    if (strcmp(type, "stderr") == 0 || strcmp(type, "journald") == 0) {
        if (arg)
            return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                                   "invalid log output '%s': %s takes no argument", tok, type);
        o->type = type[0] == 's' ? OUT_STDERR : OUT_JOURNALD;
    } else if (strcmp(type, "file") == 0) {
        if (!arg || arg[0] != '/')
            return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                                   "invalid log output '%s': file needs an absolute path", tok);
        o->fd = open(arg, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (o->fd < 0) {
            int r = -errno;
            return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_NONE,
                                   "cannot open log file '%s': %s", arg, strerror(-r));
        }
        o->type = OUT_FILE;
    } else if (strcmp(type, "syslog") == 0) {
        if (arg && !*arg)
            return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                                   "invalid log output '%s': empty syslog identifier", tok);
        /* syslog(3) has one identity per process: the last output wins. */
        free(c->syslog_ident);
        c->syslog_ident = strdup(arg ? arg : program);
        if (!c->syslog_ident)
            return -ENOMEM;
        o->type = OUT_SYSLOG;
    } else {
        return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                               "invalid log output '%s': unknown type '%s'", tok, type);
    }
    c->noutputs++;
    return 0;
}

static int parse_outputs(log_config *c, const char *outputs)
{
    const char *s = outputs;

    for (;;) {
        _cleanup_free_ char *tok = NULL, *copy = NULL;
        const char *rest;
        char *type, *arg;
        int level, r;

        r = next_token(&s, "output", &tok);
        if (r <= 0)
            return r;
        if (parse_level_prefix(tok, &level, &rest) < 0)
            return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                                   "invalid log output '%s': expected LEVEL:TYPE[:ARG] with LEVEL 1 to 4",
                                   tok);
        copy = strdup(rest);
        if (!copy)
            return -ENOMEM;
        type = copy;
        /* The argument is everything after the type: paths may hold ':'. */
        arg = strchr(copy, ':');
        if (arg)
            *arg++ = '\0';
        r = add_output(c, tok, level, type, arg);
        if (r < 0)
            return r;
    }
}

static int config_min_level(const log_config *c)
{
    int filt = c->level, out = INT_MAX;

    for (size_t i = 0; i < c->nfilters; i++)
        if (c->filters[i].level < filt)
            filt = c->filters[i].level;
    for (size_t i = 0; i < c->noutputs; i++)
        if (c->outputs[i].level < out)
            out = c->outputs[i].level;
    return filt > out ? filt : out;
}

/* Caller holds config_lock; c is then the current configuration. */
static void apply_syslog(const log_config *old, const log_config *c)
{
    if (c->syslog_ident)
        openlog(c->syslog_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    else if (old->syslog_ident)
        closelog();
}

static void config_swap(log_config *c)
{
    log_config *old;

    pthread_rwlock_wrlock(&config_lock);
    old = config;
    config = c;
    apply_syslog(old, c);
    __atomic_store_n(&mv_log_min_level, config_min_level(c), __ATOMIC_RELAXED);
    pthread_rwlock_unlock(&config_lock);
    config_free(old);
}

int mv_log_setup(int level, const char *filters, const char *outputs)
{
    _cleanup_(config_freep) log_config *c = NULL;
    int r;

    if (level < MV_LOG_DEBUG || level > MV_LOG_ERROR)
        return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                               "invalid log level %d: expected 1 to 4", level);
    c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->level = level;

    if (filters) {
        r = parse_filters(c, filters);
        if (r < 0)
            return r;
    }
    if (outputs) {
        /* program is read for a syslog output without an identifier. */
        pthread_rwlock_rdlock(&config_lock);
        r = parse_outputs(c, outputs);
        pthread_rwlock_unlock(&config_lock);
        if (r < 0)
            return r;
    }
    if (c->noutputs == 0) {
        c->outputs[0] = (log_output) { .level = MV_LOG_DEBUG, .type = OUT_STDERR, .fd = -1 };
        c->noutputs = 1;
    }
    config_swap(TAKE_PTR(c));
    return 0;
}

void mv_log_reset(void)
{
    config_swap(&default_config);
}

void mv_log_set_program(const char *name)
{
    pthread_rwlock_wrlock(&config_lock);
    snprintf(program, sizeof(program), "%s", name ? name : "modvirt");
    pthread_rwlock_unlock(&config_lock);
}

/* Minimum level for messages from file: first matching filter, else the
 * global level. */
static int category_level(const log_config *c, const char *file)
{
    for (size_t i = 0; i < c->nfilters; i++)
        if (strstr(file, c->filters[i].match))
            return c->filters[i].level;
    return c->level;
}

static bool config_enabled(const log_config *c, int level, const char *file)
{
    if (level < category_level(c, file))
        return false;
    for (size_t i = 0; i < c->noutputs; i++)
        if (level >= c->outputs[i].level)
            return true;
    return false;
}

bool mv_log_enabled(int level, const char *file)
{
    bool ret;

    if (!mv_log_maybe(level))
        return false;
    pthread_rwlock_rdlock(&config_lock);
    ret = config_enabled(config, level, file);
    pthread_rwlock_unlock(&config_lock);
    return ret;
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* nowhere left to report a logging failure */
        buf += n;
        len -= (size_t)n;
    }
}

/* The whole line is built first so that it goes out in one write() and
 * lines from different threads never interleave. */
static void write_line(int fd, int level, int line, const char *func, const char *msg)
{
    char hdr[256], stackbuf[2048];
    _cleanup_free_ char *heap = NULL;
    struct timespec ts;
    struct tm tm;
    size_t hlen, mlen = strlen(msg), total;
    char *buf = stackbuf;
    int n;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = snprintf(hdr, sizeof(hdr), "%04d-%02d-%02d %02d:%02d:%02d.%03d+0000: %d: %s : %s:%d : ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                 tm.tm_sec, (int)(ts.tv_nsec / 1000000), (int)gettid(), level_name(level),
                 func, line);
    if (n < 0)
        return;
    hlen = (size_t)n < sizeof(hdr) ? (size_t)n : sizeof(hdr) - 1;
    if (mlen > 0 && msg[mlen - 1] == '\n')
        mlen--;
    total = hlen + mlen + 1;
    if (total > sizeof(stackbuf)) {
        heap = malloc(total);
        if (!heap) {
            /* Out of memory: a truncated line beats none. */
            total = sizeof(stackbuf);
            mlen = total - hlen - 1;
        } else {
            buf = heap;
        }
    }
    memcpy(buf, hdr, hlen);
    memcpy(buf + hlen, msg, mlen);
    buf[hlen + mlen] = '\n';
    write_all(fd, buf, total);
}

static void emit(const log_config *c, int level, const char *file, int line,
                 const char *func, const char *msg)
{
    for (size_t i = 0; i < c->noutputs; i++) {
        const log_output *o = &c->outputs[i];

        if (level < o->level)
            continue;
        switch (o->type) {
        case OUT_STDERR:
            write_line(STDERR_FILENO, level, line, func, msg);
            break;
        case OUT_FILE:
            write_line(o->fd, level, line, func, msg);
            break;
        case OUT_JOURNALD:
            sd_journal_send("MESSAGE=%s", msg,
                            "PRIORITY=%d", level_priority(level),
                            "CODE_FILE=%s", file,
                            "CODE_LINE=%d", line,
                            "CODE_FUNC=%s", func,
                            "SYSLOG_IDENTIFIER=%s", program,
                            NULL);
            break;
        case OUT_SYSLOG:
            syslog(level_priority(level), "%s", msg);
            break;
        }
    }
}

void mv_log_message(int level, const char *file, int line, const char *func,
                    const char *fmt, ...)
{
    int saved_errno = errno;
    char stackbuf[1024];
    _cleanup_free_ char *heap = NULL;
    const char *msg = stackbuf;
    va_list ap;
    int n;

    if (level < MV_LOG_DEBUG)
        level = MV_LOG_DEBUG;
    if (level > MV_LOG_ERROR)
        level = MV_LOG_ERROR;

    pthread_rwlock_rdlock(&config_lock);
    if (!config_enabled(config, level, file))
        goto out;

    errno = saved_errno; /* for %m */
    va_start(ap, fmt);
    n = vsnprintf(stackbuf, sizeof(stackbuf), fmt, ap);
    va_end(ap);
    if (n < 0)
        goto out;
    if ((size_t)n >= sizeof(stackbuf)) {
        heap = malloc((size_t)n + 1);
        if (heap) {
            errno = saved_errno;
            va_start(ap, fmt);
            vsnprintf(heap, (size_t)n + 1, fmt, ap);
            va_end(ap);
            msg = heap;
        }
    }
    emit(config, level, file, line, func, msg);
out:
    pthread_rwlock_unlock(&config_lock);
    errno = saved_errno;
}
