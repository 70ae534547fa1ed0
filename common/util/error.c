#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

static __thread mv_error last_error;
static __thread int have_error;

/* The prefix libvirt clients show in front of the detail for each code. */
static const char *code_prefix(int code)
{
    switch (code) {
    case MV_ERR_INTERNAL_ERROR: return "internal error";
    case MV_ERR_NO_MEMORY: return "cannot allocate memory";
    case MV_ERR_NO_SUPPORT: return "this function is not supported by the connection driver";
    case MV_ERR_NO_CONNECT: return "no connection driver available for";
    case MV_ERR_INVALID_ARG: return "invalid argument";
    case MV_ERR_OPERATION_FAILED: return "operation failed";
    case MV_ERR_XML_ERROR: return "XML error";
    case MV_ERR_OPERATION_DENIED: return "operation forbidden";
    case MV_ERR_CONF_SYNTAX: return "configuration file syntax error";
    case MV_ERR_RPC: return NULL;
    case MV_ERR_NO_DOMAIN: return "Domain not found";
    case MV_ERR_AUTH_FAILED: return "authentication failed";
    case MV_ERR_OPERATION_INVALID: return "Requested operation is not valid";
    case MV_ERR_CONFIG_UNSUPPORTED: return "unsupported configuration";
    case MV_ERR_ARGUMENT_UNSUPPORTED: return "argument unsupported";
    case MV_ERR_OVERFLOW: return "value too large";
    case MV_ERR_OPERATION_UNSUPPORTED: return "Operation not supported";
    case MV_ERR_ACCESS_DENIED: return "access denied";
    default: return NULL;
    }
}

__attribute__((format(printf, 5, 0), nonnull(5)))
static int report(int ret, int code, int domain, int prefixed, const char *fmt, va_list ap)
{
    const char *prefix = prefixed ? code_prefix(code) : NULL;
    char *msg = last_error.message;
    size_t size = sizeof(last_error.message);
    int n = 0;

    /* Format into a local copy: fmt's arguments may point into the last
     * error itself. */
    char detail[sizeof(last_error.message)];
    vsnprintf(detail, sizeof(detail), fmt, ap);
    if (prefix)
        n = snprintf(msg, size, "%s%s", prefix, code == MV_ERR_NO_CONNECT ? " " : ": ");
    snprintf(msg + n, size - n, "%.*s", (int)(size - n - 1), detail);
    last_error.code = code;
    last_error.domain = domain;
    have_error = 1;
    return ret;
}

int mv_error_report(int ret, int code, int domain, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ret = report(ret, code, domain, 1, fmt, ap);
    va_end(ap);
    return ret;
}

int mv_error_report_raw(int ret, int code, int domain, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ret = report(ret, code, domain, 0, fmt, ap);
    va_end(ap);
    return ret;
}

void mv_error_reset(void)
{
    have_error = 0;
}

const mv_error *mv_error_last(void)
{
    return have_error ? &last_error : NULL;
}

void mv_error_resolve(int err, mv_error *out)
{
    if (have_error) {
        *out = last_error;
        have_error = 0;
        return;
    }
    if (err < 0)
        err = -err;
    out->domain = MV_FROM_NONE;
    switch (err) {
    case ENOMEM:
        out->code = MV_ERR_NO_MEMORY;
        snprintf(out->message, sizeof(out->message), "cannot allocate memory");
        return;
    case ENOTSUP:
        out->code = MV_ERR_NO_SUPPORT;
        snprintf(out->message, sizeof(out->message), "%s", code_prefix(MV_ERR_NO_SUPPORT));
        return;
    case EINVAL:
        out->code = MV_ERR_INVALID_ARG;
        snprintf(out->message, sizeof(out->message), "invalid argument: %s", strerror(err));
        return;
    default:
        out->code = MV_ERR_SYSTEM_ERROR;
        snprintf(out->message, sizeof(out->message), "%s", strerror(err));
        return;
    }
}
