/*
 * A daemon's server and remote program in-process, for tests and fuzzers
 * that talk to them over socketpairs: the real transport, gate and
 * handlers, with a driver table of the test's own.
 */
#ifndef MV_SERVER_FIXTURE_H
#define MV_SERVER_FIXTURE_H

#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mv_remote_handlers.h"
#include "mv_remote.h"
#include "remote/remote.h"
#include "rpc/message.h"
#include "rpc/server.h"

typedef struct fixture {
    mv_server *server;
    mv_remote *remote;
} fixture;

/* The remote program as the fixture sets it up: a daemon serving the
 * hypervisor owner with driver hv (NULL: none), relaying the rest to
 * /nonexistent (so that every relayed call finds no daemon), trusting
 * root's CONNECT_SET_IDENTITY.  Tests change what they need. */
static inline void fixture_remote_defaults(const mv_hypervisor_driver *hv, mv_remote_config *rc)
{
    *rc = (mv_remote_config){
        .name = "test",
        .privileged = true,
        .drivers = { .hypervisor = hv },
        .handlers = { [MV_OWNER_HYPERVISOR] = mv_hypervisor_handlers },
        .socket_dir = "/nonexistent",
        .relay = true,
        .event_id_base = 1 << 24,
        .max_event_callbacks = 8,
        .trusted_relays = { 0 },
        .n_trusted_relays = 1,
    };
}

static inline int fixture_new_remote(sd_event *event, const mv_server_config *cfg,
                                     const mv_remote_config *rc, fixture *ret)
{
    int r = mv_server_new(event, cfg, &ret->server);

    if (r < 0)
        return r;
    r = mv_remote_new(ret->server, rc, &ret->remote);
    if (r < 0)
        mv_server_free(ret->server);
    return r;
}

static inline int fixture_new(sd_event *event, const mv_server_config *cfg,
                              const mv_hypervisor_driver *hv, fixture *ret)
{
    mv_remote_config rc;

    fixture_remote_defaults(hv, &rc);
    return fixture_new_remote(event, cfg, &rc, ret);
}

static inline void fixture_free(fixture *f)
{
    mv_server_free(f->server);
    mv_remote_free(f->remote);
}

/* A client on a listener of kind; returns our end of the socketpair. */
static inline int fixture_client(fixture *f, mv_listener_kind kind, int flags)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0, sv) < 0)
        return -1;
    if (mv_server_add_client(f->server, sv[0], &(mv_listener_opts){ .kind = kind }) < 0) {
        close(sv[1]);
        return -1;
    }
    return sv[1];
}

/* Write a packet of the remote program to fd: header h (length filled in)
 * and a body encoded with xdr (NULL: none).  0, or -1 when it could not be
 * written whole. */
static inline int fixture_send(int fd, const mv_header *h, xdrproc_t xdr, void *body)
{
    mv_packet p;
    ssize_t n;

    if (mv_packet_new(h, xdr, body, &p) < 0)
        return -1;
    n = write(fd, p.data, p.len);
    free(p.data);
    return n == (ssize_t)p.len ? 0 : -1;
}

/* A CALL of the remote program. */
static inline int fixture_call(int fd, int proc, uint32_t serial, xdrproc_t xdr, void *body)
{
    mv_header h = { .prog = MV_REMOTE_PROGRAM, .vers = MV_REMOTE_VERSION, .proc = proc,
                    .type = MV_MESSAGE_CALL, .serial = serial, .status = MV_STATUS_OK };

    return fixture_send(fd, &h, xdr, body);
}

/* Run the loop until a whole packet can be read from fd (given up after
 * 5 s, so that a test fails instead of hanging).  Returns its length, 0
 * on EOF, on timeout or when it is larger than cap. */
static inline size_t fixture_read_packet(sd_event *event, int fd, uint8_t *buf, size_t cap,
                                         mv_header *h)
{
    size_t got = 0, need = 4;
    int idle = 0;

    while (got < need) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, 0) == 0) {
            if (sd_event_get_state(event) == SD_EVENT_FINISHED || idle++ > 50)
                return 0;
            sd_event_run(event, 100000);
            continue;
        }
        n = read(fd, buf + got, need - got);
        if (n <= 0)
            return 0;
        got += n;
        if (got == 4) {
            need = mv_be32(buf);
            if (need > cap || need < MV_PACKET_MIN)
                return 0;
        }
    }
    mv_header_decode(buf + 4, h);
    return got;
}

/* Whether fd has anything to read now (after the loop ran what it had). */
static inline bool fixture_readable(sd_event *event, int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    for (int i = 0; i < 100 && sd_event_run(event, 0) > 0; i++)
        ;
    return poll(&p, 1, 0) > 0;
}

#endif
