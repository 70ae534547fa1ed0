/*
 * What a handler of the remote program gets: the call.  Handlers are
 * generated thunks (gen_routes.py handlers) around the typed functions
 * mv_dispatch_<proc>() written in the owner's handler file.
 *
 * A handler returns 0 with ret filled, or < 0 with the error recorded
 * (util/error.h).  A handler of the local owner may instead return
 * MV_CALL_ASYNC: it took over the reply, which is sent later (the relay
 * answering CONNECT_OPEN from the daemon that owns the URI).
 */
#ifndef MV_REMOTE_HANDLER_H
#define MV_REMOTE_HANDLER_H

#include <errno.h>

#include "driver/hypervisor.h"
#include "driver/network.h"
#include "driver/secret.h"
#include "driver/session.h"
#include "driver/storage.h"
#include "rpc/message.h"
#include "route.h"
#include "util/error.h"

typedef struct mv_remote mv_remote;
typedef struct mv_client mv_client;

/* The drivers a daemon has, one per subsystem; NULL where it has none. */
typedef struct mv_drivers {
    const mv_hypervisor_driver *hypervisor;
    const mv_network_driver *network;
    const mv_storage_driver *storage;
    const mv_secret_driver *secret;
} mv_drivers;

typedef struct mv_call {
    mv_client *client;          /* NULL on a worker: use sess */
    mv_session *sess;           /* snapshot taken when the call was read */
    const mv_drivers *drivers;
    mv_remote *remote;          /* loop thread only */
    mv_header hdr;
    const mv_route *route;
} mv_call;

typedef int (*mv_handler)(mv_call *call, void *args, void *ret);

#define MV_CALL_ASYNC 1

/* The error libvirt gives for an API the connection's driver lacks. */
int mv_call_unsupported(const mv_call *call);

/* The hypervisor driver's function fn, or return the "not supported"
 * error from the handler. */
#define HV_FN(call, fn) ({                                                      \
        const mv_hypervisor_driver *_hv = (call)->drivers->hypervisor;          \
        if (!_hv || !_hv->fn)                                                   \
            return mv_call_unsupported(call);                                   \
        _hv->fn;                                                                \
    })

#endif
