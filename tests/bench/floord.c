/*
 * floord — the floor: a libvirt wire-protocol server that does no work.
 *
 * It answers what wireclient sends and nothing more: AUTH_LIST (auth none),
 * CONNECT_SUPPORTS_FEATURE (0: no keepalive, so it never pings),
 * CONNECT_OPEN, CONNECT_GET_LIB_VERSION (a constant) and CONNECT_GET_TYPE
 * ("FLOOR"); any other call gets an error reply.  One thread per
 * connection doing blocking read and write: the fewest system calls a
 * round trip can cost.  The rate wireclient reaches against it is the
 * floor of this machine (the client's own cost, the kernel's unix socket
 * and the scheduling of both sides), measured in the same run as the real
 * daemons, so that "virtqemud / floor" says how much of a round trip is
 * the daemon's own work.
 *
 *   floord --socket PATH
 *
 * Runs until SIGTERM or SIGINT; removes PATH on the way out.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "wire.h"

enum { T_CALL = 0, T_REPLY = 1 };
enum { ST_OK = 0, ST_ERROR = 1 };
enum { PROC_GET_TYPE = 3 };
#define LIB_VERSION 9000000u /* what floord says it is: 9.0.0 */

static bool read_full(int fd, unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        p += r;
        n -= (size_t)r;
    }
    return true;
}

static bool write_full(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return ntohl(v);
}

/* The reply to one CALL whose header (after the length word) is hdr. */
static void make_reply(struct xbuf *out, const unsigned char *hdr)
{
    uint32_t proc = get_u32(hdr + 8);
    uint32_t status = ST_OK;
    struct xbuf body = { 0 };

    switch (proc) {
    case PROC_AUTH_LIST:
        xb_u32(&body, 1);
        xb_u32(&body, 0); /* REMOTE_AUTH_NONE */
        break;
    case PROC_FEATURE:
        xb_u32(&body, 0);
        break;
    case PROC_OPEN:
        break;
    case PROC_LIB_VER:
        xb_u32(&body, 0);
        xb_u32(&body, LIB_VERSION);
        break;
    case PROC_GET_TYPE:
        xb_string(&body, "FLOOR");
        break;
    default: /* remote_error: code, domain, message, level, 4 nulls, 2 ints, 1 null */
        status = ST_ERROR;
        xb_u32(&body, 12); /* VIR_ERR_NO_SUPPORT */
        xb_u32(&body, 0);
        xb_u32(&body, 1);
        xb_string(&body, "floord answers only the calls wireclient makes");
        xb_u32(&body, 2);
        for (int i = 0; i < 4; i++)
            xb_u32(&body, 0);
        xb_u32(&body, 0);
        xb_u32(&body, 0);
        xb_u32(&body, 0);
        break;
    }

    out->len = 0;
    uint32_t words[7] = { (uint32_t)(HDR_LEN + body.len), get_u32(hdr), get_u32(hdr + 4),
                          proc, T_REPLY, get_u32(hdr + 16), status };
    unsigned char *p = xb_grow(out, HDR_LEN);
    for (int i = 0; i < 7; i++) {
        uint32_t v = htonl(words[i]);
        memcpy(p + 4 * i, &v, 4);
    }
    if (body.len)
        memcpy(xb_grow(out, body.len), body.p, body.len);
    free(body.p);
}

static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    unsigned char hdr[HDR_LEN], *rest = NULL;
    size_t rest_cap = 0;
    struct xbuf out = { 0 };

    while (read_full(fd, hdr, HDR_LEN)) {
        uint32_t len = get_u32(hdr);
        if (len < HDR_LEN || len > MAX_PACKET)
            break;
        if (len - HDR_LEN > rest_cap) {
            rest_cap = len - HDR_LEN;
            free(rest);
            rest = xmalloc(rest_cap);
        }
        if (!read_full(fd, rest, len - HDR_LEN))
            break;
        if (get_u32(hdr + 16) != T_CALL)
            continue; /* keepalive PONGs and the like: nothing to answer */
        make_reply(&out, hdr + 4);
        if (!write_full(fd, out.p, out.len))
            break;
    }
    free(rest);
    free(out.p);
    close(fd);
    return NULL;
}

static const char *sock_path;
static volatile sig_atomic_t stopping;
static void on_signal(int sig) { (void)sig; stopping = 1; }

int main(int argc, char **argv)
{
    wire_prog = "floord";
    if (argc != 3 || strcmp(argv[1], "--socket") != 0) {
        fprintf(stderr, "usage: floord --socket PATH\n");
        return 2;
    }
    sock_path = argv[2];

    struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: accept() returns */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen(sock_path) >= sizeof(addr.sun_path))
        die("socket path too long: %s", sock_path);
    strcpy(addr.sun_path, sock_path);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        die("socket: %s", strerror(errno));
    unlink(sock_path);
    if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, 128) < 0)
        die("bind/listen %s: %s", sock_path, strerror(errno));

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    while (!stopping) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            die("accept: %s", strerror(errno));
        }
        pthread_t t;
        int e = pthread_create(&t, &attr, serve, (void *)(intptr_t)fd);
        if (e)
            die("pthread_create: %s", strerror(e));
    }
    unlink(sock_path);
    return 0;
}
