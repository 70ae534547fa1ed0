/*
 * wire.c — the libvirt wire-protocol client shared by the benchmark
 * programs: socket, packet framing, XDR, handshake.  See wire.h.
 */
#include "wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { KA_PING = 1, KA_PONG = 2 };                   /* keepalive procs */
enum { T_CALL = 0, T_REPLY = 1, T_MESSAGE = 2 };     /* packet types */
enum { ST_OK = 0, ST_ERROR = 1 };                    /* packet status */

const char *wire_prog = "bench";
void (*wire_die_hook)(void);

void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", wire_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (wire_die_hook)
        wire_die_hook();
    exit(1);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- XDR encoding ----------------------------------------------------- */

unsigned char *xb_grow(struct xbuf *b, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            die("out of memory");
    }
    unsigned char *at = b->p + b->len;
    b->len += n;
    return at;
}

void xb_u32(struct xbuf *b, uint32_t v)
{
    v = htonl(v);
    memcpy(xb_grow(b, 4), &v, 4);
}

/* Fixed-length opaque: bytes, zero padding to a multiple of 4. */
void xb_opaque(struct xbuf *b, const void *data, size_t n)
{
    size_t pad = (4 - n % 4) % 4;
    unsigned char *at = xb_grow(b, n + pad);
    memcpy(at, data, n);
    memset(at + n, 0, pad);
}

/* XDR string: length word, then the bytes as opaque. */
void xb_string(struct xbuf *b, const char *s)
{
    size_t n = strlen(s);
    xb_u32(b, (uint32_t)n);
    xb_opaque(b, s, n);
}

/* ---- XDR decoding ----------------------------------------------------- */

const unsigned char *xr_take(struct xrd *r, size_t n)
{
    size_t padded = n + (4 - n % 4) % 4;
    if (padded < n || padded > r->len - r->off)
        die("%s: reply body truncated", r->what);
    const unsigned char *at = r->p + r->off;
    r->off += padded;
    return at;
}

uint32_t xr_u32(struct xrd *r)
{
    uint32_t v;
    memcpy(&v, xr_take(r, 4), 4);
    return ntohl(v);
}

char *xr_string(struct xrd *r, size_t *lenp)
{
    uint32_t n = xr_u32(r);
    if (n > MAX_PACKET)
        die("%s: string length %u in reply", r->what, n);
    const unsigned char *s = xr_take(r, n);
    char *copy = xmalloc((size_t)n + 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    if (lenp)
        *lenp = n;
    return copy;
}

void xr_end(struct xrd *r)
{
    if (r->off != r->len)
        die("%s: %zu unexpected bytes after the reply body", r->what,
            r->len - r->off);
}

/* ---- packets ---------------------------------------------------------- */

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return ntohl(v);
}

static void put_header(unsigned char *p, uint32_t len, uint32_t prog, int proc,
                       uint32_t type, uint32_t serial)
{
    uint32_t words[7] = { len, prog, 1, (uint32_t)proc, type, serial, ST_OK };
    for (int i = 0; i < 7; i++) {
        uint32_t v = htonl(words[i]);
        memcpy(p + 4 * i, &v, 4);
    }
}

static void write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("send: %s", strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Return a pointer to the next complete packet (starting at its length
 * word) and its length, reading from the socket as needed. */
static const unsigned char *next_packet(struct conn *c, uint32_t *plen)
{
    for (;;) {
        size_t avail = c->len - c->off;
        if (avail >= 4) {
            uint32_t len = get_u32(c->buf + c->off);
            if (len < HDR_LEN || len > MAX_PACKET)
                die("bad packet length %u from server", len);
            if (avail >= len) {
                const unsigned char *p = c->buf + c->off;
                c->off += len;
                *plen = len;
                return p;
            }
            if (len > c->cap) {
                c->cap = len;
                c->buf = realloc(c->buf, c->cap);
                if (!c->buf)
                    die("out of memory");
            }
        }
        if (c->off > 0) { /* compact before reading more */
            memmove(c->buf, c->buf + c->off, avail);
            c->len = avail;
            c->off = 0;
        }
        ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            die("timed out waiting for the server");
        if (r < 0)
            die("recv: %s", strerror(errno));
        if (r == 0)
            die("server closed the connection");
        c->len += (size_t)r;
    }
}

/* A name for messages; "procedure N" for ones this file does not know
 * (wireclient --proc can time any argument-less call). */
static const char *proc_name(int proc, char *buf, size_t size)
{
    switch (proc) {
    case PROC_OPEN: return "CONNECT_OPEN";
    case PROC_DEFINE_XML: return "DOMAIN_DEFINE_XML";
    case PROC_GET_XML_DESC: return "DOMAIN_GET_XML_DESC";
    case PROC_LOOKUP_BY_NAME: return "DOMAIN_LOOKUP_BY_NAME";
    case PROC_FEATURE: return "CONNECT_SUPPORTS_FEATURE";
    case PROC_AUTH_LIST: return "AUTH_LIST";
    case PROC_LIB_VER: return "CONNECT_GET_LIB_VERSION";
    case PROC_UNDEFINE_FLAGS: return "DOMAIN_UNDEFINE_FLAGS";
    case PROC_LIST_ALL_DOMAINS: return "CONNECT_LIST_ALL_DOMAINS";
    default:
        snprintf(buf, size, "procedure %d", proc);
        return buf;
    }
}

/* remote_error { int code; int domain; string *message; int level; ... } */
static void __attribute__((noreturn))
report_error(const char *what, const unsigned char *b, size_t len)
{
    struct xrd r = { .p = b, .len = len, .what = what };
    int code = (int)xr_u32(&r), domain = (int)xr_u32(&r);
    char *msg = xr_u32(&r) ? xr_string(&r, NULL) : NULL;
    die("%s failed: code=%d domain=%d message=%s", what, code, domain,
        msg ? msg : "(none)");
}

struct xbuf *begin_call(struct conn *c, int proc)
{
    c->out.len = 0;
    /* the length word is patched in finish_call() */
    put_header(xb_grow(&c->out, HDR_LEN), 0, PROG_REMOTE, proc, T_CALL,
               ++c->serial);
    return &c->out;
}

/* Answers keepalive PINGs and skips other async messages while waiting. */
struct xrd finish_call(struct conn *c, int proc)
{
    uint32_t serial = c->serial;
    uint32_t out_len = htonl((uint32_t)c->out.len);
    memcpy(c->out.p, &out_len, 4);
    write_all(c->fd, c->out.p, c->out.len);

    for (;;) {
        uint32_t len;
        const unsigned char *p = next_packet(c, &len);
        uint32_t prog = get_u32(p + 4), rproc = get_u32(p + 12);
        uint32_t type = get_u32(p + 16), rserial = get_u32(p + 20);
        uint32_t status = get_u32(p + 24);

        if (prog == PROG_KEEPALIVE) {
            if (type == T_MESSAGE && rproc == KA_PING) {
                unsigned char pong[HDR_LEN];
                put_header(pong, HDR_LEN, PROG_KEEPALIVE, KA_PONG, T_MESSAGE, 0);
                write_all(c->fd, pong, HDR_LEN);
            }
            continue;
        }
        if (type == T_MESSAGE)
            continue; /* an event we never asked for */
        if (prog != PROG_REMOTE || type != T_REPLY || rserial != serial ||
            (int)rproc != proc)
            die("unexpected packet: prog=0x%x proc=%u type=%u serial=%u "
                "(waiting for proc %d serial %u)",
                prog, rproc, type, rserial, proc, serial);
        const char *what = proc_name(proc, c->what, sizeof(c->what));
        if (status == ST_ERROR)
            report_error(what, p + HDR_LEN, len - HDR_LEN);
        if (status != ST_OK)
            die("%s: unexpected status %u", what, status);
        return (struct xrd){ .p = p + HDR_LEN, .len = len - HDR_LEN,
                             .what = what };
    }
}

/* ---- connections ------------------------------------------------------ */

int wire_connect(const char *path, double timeout_s)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path))
        die("socket path too long: %s", path);
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    /* A silent server then ends the run in next_packet() instead of
     * hanging it. */
    struct timeval tv = { .tv_sec = (time_t)timeout_s };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

void conn_init(struct conn *c, int fd)
{
    *c = (struct conn){ .fd = fd, .cap = 65536, .buf = xmalloc(65536) };
}

void conn_open(struct conn *c, const char *path, double timeout_s)
{
    int fd = wire_connect(path, timeout_s);
    if (fd < 0)
        die("connect %s: %s", path, strerror(errno));
    conn_init(c, fd);
}

void conn_close(struct conn *c)
{
    close(c->fd);
    free(c->buf);
    free(c->out.p);
    c->buf = NULL;
    c->out = (struct xbuf){ 0 };
}

/* The opening sequence of a libvirt 9 client on a unix socket. */
void wire_handshake(struct conn *c, const char *uri, uint32_t open_flags)
{
    begin_call(c, PROC_AUTH_LIST);
    struct xrd r = finish_call(c, PROC_AUTH_LIST);
    uint32_t n = xr_u32(&r), first = 0;
    bool none_ok = n == 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t type = xr_u32(&r);
        if (i == 0)
            first = type;
        if (type == 0)
            none_ok = true;
    }
    if (!none_ok)
        die("server requires authentication (auth type %u); not supported",
            first);

    xb_u32(begin_call(c, PROC_FEATURE), 10); /* VIR_DRV_FEATURE_PROGRAM_KEEPALIVE */
    finish_call(c, PROC_FEATURE);

    struct xbuf *b = begin_call(c, PROC_OPEN);
    xb_u32(b, 1); /* optional string: present */
    xb_string(b, uri);
    xb_u32(b, open_flags);
    finish_call(c, PROC_OPEN);
}
