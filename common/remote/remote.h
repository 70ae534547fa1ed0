/*
 * The remote program of a daemon: what it serves and relays, and the glue
 * that makes it the handler of the server's connections.  A daemon's
 * main.c names its drivers and the handler arrays of the owners it
 * serves (common/daemon/daemon.h); everything else comes from here.
 */
#ifndef MV_REMOTE_H
#define MV_REMOTE_H

#include <stdbool.h>
#include <sys/types.h>

#include "remote/handler.h"
#include "rpc/server.h"

#define MV_TRUSTED_RELAYS_MAX 4

typedef struct mv_remote_config {
    const char *name;                   /* the daemon, for messages */
    bool privileged;                    /* URIs end in /system, else /session */
    mv_drivers drivers;
    /* Handler arrays, by owner, of the procedures served here; the local
     * owner's are always served. */
    const mv_handler *handlers[MV_OWNER_COUNT];
    /* Procedures of other owners go to the daemon that owns them; without
     * it they are "not supported". */
    bool relay;
    /* A relay hands local clients' sockets to the daemon they open
     * (handoff.c) rather than relaying their calls. */
    bool handoff;
    const char *socket_dir;             /* where the other daemons listen */
    int event_id_base;                  /* our event callback ids start here */
    unsigned max_event_callbacks;       /* per client */
    uint64_t handshake_timeout_usec;    /* a client must open within this */
    /* Peers (by uid) whose CONNECT_SET_IDENTITY we believe. */
    uid_t trusted_relays[MV_TRUSTED_RELAYS_MAX];
    unsigned n_trusted_relays;
} mv_remote_config;

/* Becomes the handler of s's connections. */
int mv_remote_new(mv_server *s, const mv_remote_config *cfg, mv_remote **ret);
void mv_remote_free(mv_remote *r);

#endif
