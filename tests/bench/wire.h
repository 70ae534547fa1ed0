/*
 * wire.h — the hand-written libvirt wire-protocol client shared by the
 * benchmark programs (wireclient, domclient).
 *
 * Connecting to a daemon's unix socket, framing a CALL, reading its REPLY
 * (answering keepalive PINGs on the way), XDR encoding and decoding, the
 * connect-open handshake of a libvirt 9 client, and die().  It deliberately
 * shares no code with the daemons, so the programs measure them from the
 * outside.  Every error is fatal: die() prints and exits 1.
 */
#ifndef BENCH_WIRE_H
#define BENCH_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define PROG_REMOTE     0x20008086u
#define PROG_KEEPALIVE  0x6b656570u

/* remote program procedures (libvirt's remote_protocol.x numbering) */
enum {
    PROC_OPEN = 1,
    PROC_DEFINE_XML = 11,
    PROC_GET_XML_DESC = 14,
    PROC_LOOKUP_BY_NAME = 23,
    PROC_FEATURE = 60,
    PROC_AUTH_LIST = 66,
    PROC_LIB_VER = 157,
    PROC_UNDEFINE_FLAGS = 231,
    PROC_LIST_ALL_DOMAINS = 273,
};

#define HDR_LEN         28 /* length word + 6 header words */
#define MAX_PACKET      (32u * 1024 * 1024)

/* die() prefixes messages with "PROG: " and calls the hook first (if set),
 * so that a program can clean up what it started. */
extern const char *wire_prog;
extern void (*wire_die_hook)(void);

void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...);
void *xmalloc(size_t n);
double now_sec(void);

/* ---- XDR encoding into a growable buffer ---- */

struct xbuf {
    unsigned char *p;
    size_t len, cap;
};

/* Reserve n more bytes at the end of b; returns where they start. */
unsigned char *xb_grow(struct xbuf *b, size_t n);
void xb_u32(struct xbuf *b, uint32_t v);
void xb_opaque(struct xbuf *b, const void *data, size_t n);
void xb_string(struct xbuf *b, const char *s);

/* ---- XDR decoding of a reply body ---- */

struct xrd {
    const unsigned char *p;
    size_t len, off;
    const char *what; /* the call, for messages */
};

const unsigned char *xr_take(struct xrd *r, size_t n);
uint32_t xr_u32(struct xrd *r);
/* Returns a malloc'd NUL-terminated copy; its length in *lenp if not NULL. */
char *xr_string(struct xrd *r, size_t *lenp);
/* Dies unless the whole body was read. */
void xr_end(struct xrd *r);

/* ---- the connection ---- */

struct conn {
    int fd;
    uint32_t serial;
    unsigned char *buf; /* receive buffer */
    size_t cap, len;    /* allocated, bytes held */
    size_t off;         /* start of unconsumed data */
    struct xbuf out;    /* the packet being sent */
    char what[32];      /* an unnamed procedure's name, for messages */
};

/* Connects to the unix socket at path with a receive timeout of
 * timeout_s seconds.  Returns the fd, or -1 with errno set if connect()
 * fails (so a caller can wait for a daemon to come up). */
int wire_connect(const char *path, double timeout_s);
/* Sets up c around a connected fd. */
void conn_init(struct conn *c, int fd);
/* wire_connect() + conn_init(), dying if the connection fails. */
void conn_open(struct conn *c, const char *path, double timeout_s);
void conn_close(struct conn *c);

/* Start a CALL of proc in c->out; append its arguments to the result. */
struct xbuf *begin_call(struct conn *c, int proc);
/* Send the CALL and wait for its REPLY.  Returns a reader over the reply
 * body, valid until the next call. */
struct xrd finish_call(struct conn *c, int proc);

/* AUTH_LIST (auth none only), CONNECT_SUPPORTS_FEATURE(keepalive), then
 * CONNECT_OPEN of uri with the given flags. */
void wire_handshake(struct conn *c, const char *uri, uint32_t open_flags);

#endif
