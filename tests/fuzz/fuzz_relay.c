/*
 * libFuzzer target for the relay's packet path (common/remote/relay.c):
 * what an upstream daemon sends back.  An in-process daemon that serves
 * nothing and relays everything (virtproxyd) has a client over a
 * socketpair; the client opens qemu:///system, which the relay opens
 * upstream at <tmpdir>/virtqemud-sock, where this fuzzer listens and plays
 * virtqemud.  (The upstream that answers the client's own open; the
 * upstreams the relay opens by itself for other owners' calls, e.g.
 * virtnetworkd's, are not played here yet.)
 *
 * Input: one byte of flags, then upstream packets, each taken from the
 * input by its own length word (malformed lengths included: at least the
 * word itself is sent).  The flags can have the fuzzer answer the
 * handshake (SET_IDENTITY, CONNECT_OPEN) with valid replies, so that the
 * packets reach a ready upstream; without them the input's first packets
 * are the answers.  After the handshake the client sends a few calls the
 * packets may answer (serials 2 to 5) and a stream packet, and reads
 * everything the daemon
 * sends it, unless the flags make it a slow reader until the end.
 *
 * Single-threaded and deterministic: no workers, no keepalive timers.
 * The daemon must not crash, leak or hang, whatever the upstream says.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mv_remote.h"
#include "rpc/message.h"
#include "server_fixture.h"
#include "util/log.h"

enum {
    F_IDENTITY_OK = 1 << 0,     /* we answer SET_IDENTITY with success */
    F_OPEN_OK = 1 << 1,         /* we answer CONNECT_OPEN with success */
    F_CALLS = 1 << 2,           /* the client calls after the handshake */
    F_CLOSE_CB = 1 << 3,        /* it registers for the connection-closed event */
    F_CLIENT_FIRST = 1 << 4,    /* at the end the client hangs up first */
    F_SLOW_CLIENT = 1 << 5,     /* the client reads nothing until the end */
    F_SET_IDENTITY = 1 << 6,    /* the client hands over an identity first */
    F_READONLY = 1 << 7,        /* the client opens read-only */
};

#define PACKET_MAX 65536        /* bytes of input one upstream packet takes at most */

static sd_event *event;
static char dir[] = "/tmp/mv-fuzz-relay-XXXXXX";
static char sock_path[128];
static int listen_fd = -1;

static void cleanup(void)
{
    if (listen_fd >= 0)
        close(listen_fd);
    unlink(sock_path);
    rmdir(dir);
}

static int setup_once(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    signal(SIGPIPE, SIG_IGN);
    /* MV_FUZZ_DEBUG=1 shows what the daemon makes of an input */
    if (getenv("MV_FUZZ_DEBUG"))
        mv_log_setup(MV_LOG_DEBUG, NULL, "1:stderr");
    else
        mv_log_setup(MV_LOG_ERROR, NULL, "4:stderr");
    if (sd_event_new(&event) < 0 || !mkdtemp(dir))
        return -1;
    snprintf(sock_path, sizeof(sock_path), "%s/virtqemud-sock", dir);
    if (strlen(sock_path) >= sizeof(sa.sun_path))
        return -1;
    memcpy(sa.sun_path, sock_path, strlen(sock_path));
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(listen_fd, 16) < 0)
        return -1;
    atexit(cleanup);
    return 0;
}

/* What the client is owed: the serials of its calls not answered yet. */
typedef struct client_state {
    int fd;
    uint8_t buf[4096];
    size_t len;
    size_t skip;                /* rest of a packet larger than buf */
    bool eof;
    uint32_t owed[8];
    unsigned nowed;
} client_state;

static void owe(client_state *c, uint32_t serial)
{
    if (c->nowed < sizeof(c->owed) / sizeof(c->owed[0]))
        c->owed[c->nowed++] = serial;
}

static void answered(client_state *c, const uint8_t *pkt)
{
    mv_header h;

    mv_header_decode(pkt + MV_MESSAGE_LEN_SIZE, &h);
    if (h.type != MV_MESSAGE_REPLY)
        return;
    for (unsigned i = 0; i < c->nowed; i++) {
        if (c->owed[i] == h.serial) {
            c->owed[i] = c->owed[--c->nowed];
            return;
        }
    }
}

/* Read what the daemon sent the client, packet by packet. */
static void client_read(client_state *c)
{
    for (int i = 0; i < 10000 && !c->eof; i++) {
        ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
        size_t pos = 0;

        if (n == 0)
            c->eof = true;
        if (n <= 0)
            return;
        c->len += n;
        while (c->len - pos >= 4) {
            size_t plen = mv_be32(c->buf + pos);

            if (c->skip) {
                size_t k = c->skip < c->len - pos ? c->skip : c->len - pos;

                c->skip -= k;
                pos += k;
                continue;
            }
            if (plen < MV_PACKET_MIN) {
                fprintf(stderr, "the daemon sent its client a packet of length %zu\n", plen);
                abort();
            }
            if (plen > sizeof(c->buf)) {
                if (c->len - pos >= MV_PACKET_MIN) {
                    answered(c, c->buf + pos);
                    c->skip = plen;
                    continue;
                }
                break;
            }
            if (c->len - pos < plen)
                break;
            answered(c, c->buf + pos);
            pos += plen;
        }
        memmove(c->buf, c->buf + pos, c->len - pos);
        c->len -= pos;
    }
}

static void pump(void)
{
    for (int i = 0; i < 10000 && sd_event_run(event, 0) > 0; i++)
        ;
}

static void drain(int fd)
{
    static uint8_t sink[65536];

    if (fd < 0)
        return;
    for (int i = 0; i < 1000 && read(fd, sink, sizeof(sink)) > 0; i++)
        ;
}

/* Write all of buf to fd, running the daemon while the socket is full;
 * gives up when the daemon stops reading for good or hung up. */
static void put(int fd, const uint8_t *buf, size_t len, int reader)
{
    for (int tries = 0; len > 0 && tries < 64; tries++) {
        ssize_t n = write(fd, buf, len);

        if (n > 0) {
            buf += n;
            len -= n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return;
        pump();
        drain(reader);
    }
}

static void send_packet(int fd, const mv_header *h, xdrproc_t xdr, void *body)
{
    mv_packet p;

    if (mv_packet_new(h, xdr, body, &p) < 0)
        return;
    put(fd, p.data, p.len, -1);
    free(p.data);
}

static void client_call(client_state *c, int proc, uint32_t type, uint32_t serial,
                        uint32_t status, xdrproc_t xdr, void *body)
{
    mv_header h = { .prog = MV_REMOTE_PROGRAM, .vers = MV_REMOTE_VERSION, .proc = proc,
                    .type = type, .serial = serial, .status = status };

    if (type == MV_MESSAGE_CALL)
        owe(c, serial);
    send_packet(c->fd, &h, xdr, body);
}

static void upstream_reply(int fd, int proc, uint32_t serial)
{
    mv_header h = { .prog = MV_REMOTE_PROGRAM, .vers = MV_REMOTE_VERSION, .proc = proc,
                    .type = MV_MESSAGE_REPLY, .serial = serial, .status = MV_STATUS_OK };

    send_packet(fd, &h, NULL, NULL);
}

static int accept_upstream(void)
{
    for (int i = 0; i < 4; i++) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

        if (fd >= 0)
            return fd;
        pump();
    }
    return -1;
}

static void client_handshake(client_state *client, uint8_t flags)
{
    char *uri = "qemu:///system";
    mv_connect_open_args open_args = {
        .name = &uri, .flags = (flags & F_READONLY) ? MV_CONNECT_RO : 0,
    };

    if (flags & F_SET_IDENTITY) {
        mv_typed_param p[3] = {
            { .field = "unix-user-id", .value = { .type = MV_TYPED_PARAM_ULLONG,
                                                  .mv_typed_param_value_u.ul = 4242 } },
            { .field = "process-id", .value = { .type = MV_TYPED_PARAM_LLONG,
                                                .mv_typed_param_value_u.l = 1 } },
            { .field = "x509-distinguished-name",
              .value = { .type = MV_TYPED_PARAM_STRING,
                         .mv_typed_param_value_u.s = "CN=fuzz" } },
        };
        mv_connect_set_identity_args args = { .params = { .params_len = 3, .params_val = p } };

        client_call(client, MV_PROC_CONNECT_SET_IDENTITY, MV_MESSAGE_CALL, 100, MV_STATUS_OK,
                    (xdrproc_t)xdr_mv_connect_set_identity_args, &args);
    }
    client_call(client, MV_PROC_CONNECT_OPEN, MV_MESSAGE_CALL, 1, MV_STATUS_OK,
                (xdrproc_t)xdr_mv_connect_open_args, &open_args);
}

/* Calls the upstream's packets may answer: serials 2 to 5. */
static void client_calls(client_state *client, uint8_t flags)
{
    mv_connect_list_all_domains_args list = { .need_results = 1 };

    client_call(client, MV_PROC_CONNECT_GET_VERSION, MV_MESSAGE_CALL, 2, MV_STATUS_OK, NULL, NULL);
    client_call(client, MV_PROC_CONNECT_LIST_ALL_DOMAINS, MV_MESSAGE_CALL, 3, MV_STATUS_OK,
                (xdrproc_t)xdr_mv_connect_list_all_domains_args, &list);
    /* a stream packet of a (pretend) stream of call 4, then the call */
    client_call(client, MV_PROC_DOMAIN_GET_XML_DESC, MV_MESSAGE_STREAM, 4, MV_STATUS_CONTINUE,
                NULL, NULL);
    client_call(client, MV_PROC_CONNECT_GET_HOSTNAME, MV_MESSAGE_CALL, 4, MV_STATUS_OK, NULL, NULL);
    if (flags & F_CLOSE_CB)
        client_call(client, MV_PROC_CONNECT_REGISTER_CLOSE_CALLBACK, MV_MESSAGE_CALL, 5,
                    MV_STATUS_OK, NULL, NULL);
    else
        client_call(client, MV_PROC_CONNECT_GET_MAX_VCPUS, MV_MESSAGE_CALL, 5, MV_STATUS_OK,
                    (xdrproc_t)xdr_mv_connect_get_max_vcpus_args,
                    &(mv_connect_get_max_vcpus_args){ .type = NULL });
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static client_state cs;
    mv_server_config cfg;
    mv_remote_config rc;
    uint8_t flags = size ? data[0] : 0;
    bool reading = !(flags & F_SLOW_CLIENT);
    unsigned calls_after;
    int up;
    fixture f;

    if (!event && setup_once() < 0)
        abort();
    if (size)
        data++, size--;

    mv_server_config_defaults(&cfg);
    cfg.max_workers = 0;                /* everything inline: deterministic */
    cfg.keepalive_interval = 0;
    cfg.client_out_soft = 4096;         /* flow control within reach of small inputs */
    cfg.read_memory_max = 1u << 20;     /* a huge length word meets the budget */
    fixture_remote_defaults(NULL, &rc);
    rc.handlers[MV_OWNER_HYPERVISOR] = NULL;
    rc.socket_dir = dir;
    if (fixture_new_remote(event, &cfg, &rc, &f) < 0)
        return 0;
    memset(&cs, 0, sizeof(cs));
    cs.fd = fixture_client(&f, MV_LISTENER_RW, SOCK_NONBLOCK);
    if (cs.fd < 0) {
        fixture_free(&f);
        return 0;
    }

    client_handshake(&cs, flags);
    pump();
    up = accept_upstream();
    drain(up);
    if (up >= 0 && (flags & F_IDENTITY_OK)) {
        upstream_reply(up, MV_PROC_CONNECT_SET_IDENTITY, 0);
        pump();
        drain(up);
    }
    if (up >= 0 && (flags & F_OPEN_OK)) {
        upstream_reply(up, MV_PROC_CONNECT_OPEN, 1);
        pump();
        drain(up);
    }
    if (reading)
        client_read(&cs);
    /* The client calls once the handshake is over: at once if we answered
     * it, else after the packets of the input that answer it. */
    calls_after = !(flags & F_IDENTITY_OK) + !(flags & F_OPEN_OK);

    /* The upstream's packets, as the input splits them. */
    for (size_t off = 0, i = 0; up >= 0; i++) {
        size_t n = size - off;

        if (i == calls_after && (flags & F_CALLS)) {
            client_calls(&cs, flags);
            pump();
            drain(up);
            if (reading)
                client_read(&cs);
        }
        if (off >= size)
            break;
        if (n >= 4) {
            size_t len = mv_be32(data + off);

            if (len < 4)
                len = 4;
            if (len < n)
                n = len;
        }
        if (n > PACKET_MAX)
            n = PACKET_MAX;
        put(up, data + off, n, reading ? cs.fd : -1);
        off += n;
        pump();
        drain(up);
        if (reading)
            client_read(&cs);
    }

    /* Hang up, one side then the other, and let the daemon notice. */
    if (flags & F_CLIENT_FIRST) {
        client_read(&cs);
        close(cs.fd);
        cs.fd = -1;
    } else {
        /* The upstream goes away: every call the client made is answered,
         * or its connection ends; it is never left waiting. */
        if (up >= 0)
            close(up);
        up = -1;
        for (int i = 0; i < 100 && !cs.eof && cs.nowed > 0; i++) {
            pump();
            client_read(&cs);
        }
        if (!cs.eof && cs.nowed > 0) {
            fprintf(stderr, "the client is left waiting for %u call(s), serial %u first\n",
                    cs.nowed, cs.owed[0]);
            abort();
        }
    }
    pump();
    drain(up);
    if (cs.fd >= 0)
        close(cs.fd);
    if (up >= 0)
        close(up);
    pump();
    fixture_free(&f);
    /* a connection the relay made but we never took */
    for (int fd; (fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0;)
        close(fd);
    return 0;
}
