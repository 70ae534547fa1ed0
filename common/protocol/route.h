/*
 * What the routing table says about one procedure of a program: its
 * names, when and by whom it may be called, which subsystem owns it, and
 * how its arguments and results are encoded.  The tables are generated
 * from the protocol definition (gen_routes.py) and carry no code: the
 * handlers of each owner are separate arrays, compiled into that owner's
 * library (common/remote/handler.h), so that a daemon links only what it
 * serves.
 */
#ifndef MV_ROUTE_H
#define MV_ROUTE_H

#include <stddef.h>
#include <rpc/rpc.h>

enum {
    MV_ROUTE_KNOWN = 1u << 0,   /* a procedure of this program */
    MV_ROUTE_RO = 1u << 1,      /* allowed on read-only connections */
    MV_ROUTE_PRIO = 1u << 2,    /* never blocks: answered inline on the event loop */
    MV_ROUTE_PREOPEN = 1u << 3, /* allowed before connect open */
    MV_ROUTE_ONCE = 1u << 4,    /* at most once per connection (connect open) */
    MV_ROUTE_NOAUTH = 1u << 5,  /* allowed before authentication */
    MV_ROUTE_EVENT = 1u << 6,   /* an event message the daemon sends, never a call */
};

typedef enum mv_owner {
    MV_OWNER_LOCAL,         /* the connection itself, answered by every daemon */
    MV_OWNER_HYPERVISOR,
    MV_OWNER_NETWORK,
    MV_OWNER_STORAGE,
    MV_OWNER_SECRET,
    MV_OWNER_NODEDEV,
    MV_OWNER_INTERFACE,
    MV_OWNER_NWFILTER,
    MV_OWNER_COUNT,
} mv_owner;

/* Streams the call opens: data from the daemon to the client (read), the
 * other way (write), or both (a console). */
typedef enum mv_stream_dir {
    MV_STREAM_NONE,
    MV_STREAM_READ,
    MV_STREAM_WRITE,
    MV_STREAM_BOTH,
} mv_stream_dir;

typedef struct mv_route {
    const char *name;       /* procedure name without prefix, e.g. CONNECT_OPEN */
    const char *api;        /* public API, for messages: virConnectOpen */
    unsigned flags;
    mv_owner owner;
    mv_stream_dir stream;
    const char *access;     /* access class "object:permission", NULL: none needed */
    xdrproc_t args_xdr;     /* NULL: the call has no arguments */
    size_t args_size;
    xdrproc_t ret_xdr;      /* NULL: the reply has no body */
    size_t ret_size;
} mv_route;

const char *mv_owner_name(mv_owner owner);

#endif
