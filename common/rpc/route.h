/*
 * One entry of a program's routing table.  The tables themselves are
 * generated from the protocol definition (common/protocol/gen_routes.py):
 * whether a read-only client may make the call, whether it runs inline on
 * the event loop or on a worker, which subsystem owns it, and how its
 * arguments and results are encoded.
 */
#ifndef MV_ROUTE_H
#define MV_ROUTE_H

#include <stddef.h>
#include <rpc/rpc.h>

typedef struct mv_call mv_call;

enum {
    MV_ROUTE_KNOWN = 1u << 0,   /* a procedure of this program */
    MV_ROUTE_RO = 1u << 1,      /* allowed on read-only connections */
    MV_ROUTE_PRIO = 1u << 2,    /* cheap: answered inline on the event loop */
    MV_ROUTE_PREOPEN = 1u << 3, /* allowed before connect open */
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
} mv_owner;

typedef struct mv_route {
    const char *name;       /* procedure name without prefix, e.g. CONNECT_OPEN */
    const char *api;        /* public API, for messages: virConnectOpen */
    unsigned flags;
    mv_owner owner;
    xdrproc_t args_xdr;     /* NULL: the call has no arguments */
    size_t args_size;
    xdrproc_t ret_xdr;      /* NULL: the reply has no body */
    size_t ret_size;
    int (*handler)(mv_call *call, void *args, void *ret);
} mv_route;

#endif
