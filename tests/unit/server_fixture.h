/*
 * A daemon's server and remote program in-process, for tests and fuzzers
 * that talk to them over socketpairs: the real transport, gate and
 * handlers, with a driver table of the test's own.
 */
#ifndef MV_SERVER_FIXTURE_H
#define MV_SERVER_FIXTURE_H

#include <sys/socket.h>
#include <unistd.h>

#include "mv_remote_handlers.h"
#include "remote/remote.h"
#include "rpc/server.h"

typedef struct fixture {
    mv_server *server;
    mv_remote *remote;
} fixture;

static inline int fixture_new(sd_event *event, const mv_server_config *cfg,
                              const mv_hypervisor_driver *hv, fixture *ret)
{
    mv_remote_config rc = {
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
    int r = mv_server_new(event, cfg, &ret->server);

    if (r < 0)
        return r;
    r = mv_remote_new(ret->server, &rc, &ret->remote);
    if (r < 0)
        mv_server_free(ret->server);
    return r;
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

#endif
