/*
 * The error a call reports.  Functions return negative errno; a function
 * that knows the libvirt error a user should see also records it here
 * (per thread) with mv_error_report().  The RPC edge turns the pair into
 * the wire error: the recorded one if any, else one derived from errno.
 */
#ifndef MV_ERROR_H
#define MV_ERROR_H

#include "util/virt_errors.h"

typedef struct mv_error {
    int code;           /* MV_ERR_* */
    int domain;         /* MV_FROM_* */
    char message[1024]; /* full text as virsh prints it */
} mv_error;

/* Record an error for this thread and return ret (a negative errno), so
 * that a caller can write: return mv_error_report(-EINVAL, ...). The
 * message gets libvirt's prefix for the code ("unsupported configuration:
 * ..."), as clients print it verbatim. */
int mv_error_report(int ret, int code, int domain, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Same, with the message taken as is (no prefix). */
int mv_error_report_raw(int ret, int code, int domain, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void mv_error_reset(void);

/* The error recorded on this thread, or NULL. */
const mv_error *mv_error_last(void);

/* Fill out from the recorded error, or from errno value err if none. */
void mv_error_resolve(int err, mv_error *out);

#endif
