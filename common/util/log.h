/*
 * Logging, configured with libvirt's log_level / log_filters / log_outputs
 * syntax so that existing daemon .conf files keep working.
 *
 * A message's category is the source file that logged it (__FILE__).  The
 * first filter whose MATCH is a substring of that path sets the minimum
 * level for it, else the global level does; each output then applies its
 * own minimum level on top.
 */
#ifndef MV_LOG_H
#define MV_LOG_H

#include <stdbool.h>

enum {
    MV_LOG_DEBUG = 1,
    MV_LOG_INFO = 2,
    MV_LOG_WARN = 3,
    MV_LOG_ERROR = 4,
};

/* Lowest level that any filter/output combination can let through.  Read
 * inline by the macros below so that a disabled log_debug() on the RPC hot
 * path costs one load and one compare; its arguments are not evaluated. */
extern int mv_log_min_level;

static inline bool mv_log_maybe(int level)
{
    return level >= __atomic_load_n(&mv_log_min_level, __ATOMIC_RELAXED);
}

/*
 * Replace the logging configuration.  level is 1..4.  filters is a
 * whitespace separated list of LEVEL:MATCH (a leading '+' on MATCH is
 * accepted and ignored); outputs a list of LEVEL:stderr, LEVEL:file:PATH
 * (absolute), LEVEL:journald, LEVEL:syslog[:IDENT].  NULL or empty filters
 * means none; NULL or empty outputs means stderr for every message that
 * passes the filters and the global level.  On error nothing
 * changes and -EINVAL (bad syntax, recorded with mv_error_report) or the
 * negative errno of opening a file output is returned.
 */
int mv_log_setup(int level, const char *filters, const char *outputs);

/* Back to the built-in defaults (warnings and errors to stderr), closing
 * any file or syslog output. */
void mv_log_reset(void);

/* Identifier for syslog and journald; defaults to "modvirt".  Takes effect
 * at the next mv_log_setup() for syslog. */
void mv_log_set_program(const char *name);

/* Whether a message at level from file would be written anywhere; for
 * callers that want to skip building an expensive message. */
bool mv_log_enabled(int level, const char *file);

/* Use the macros below.  Never changes errno. */
void mv_log_message(int level, const char *file, int line, const char *func,
                    const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define mv_log(level, ...)                                              \
    do {                                                                \
        if (mv_log_maybe(level))                                        \
            mv_log_message(level, __FILE__, __LINE__, __func__,         \
                           __VA_ARGS__);                                \
    } while (0)

#define log_debug(...) mv_log(MV_LOG_DEBUG, __VA_ARGS__)
#define log_info(...) mv_log(MV_LOG_INFO, __VA_ARGS__)
#define log_warn(...) mv_log(MV_LOG_WARN, __VA_ARGS__)
#define log_error(...) mv_log(MV_LOG_ERROR, __VA_ARGS__)

#endif
