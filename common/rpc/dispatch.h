/*
 * From a received packet to a reply: check the program, the phase and the
 * connection's rights against the routing table, decode the arguments, run
 * the handler inline or on a worker, encode the reply or the error.
 */
#ifndef MV_DISPATCH_H
#define MV_DISPATCH_H

#include "rpc/client.h"
#include "rpc/route.h"

struct mv_call {
    mv_client *client;
    mv_server *server;
    mv_conn *conn;
    const mv_header *hdr;
    const mv_route *route;
};

/* The connection's hypervisor driver function fn, or return the error
 * libvirt gives for an API the driver lacks.  For handlers only. */
#define DRIVER_FN(call, fn) ({                                                  \
        const mv_hypervisor_driver *_hv = (call)->conn->hypervisor;             \
        if (!_hv || !_hv->fn)                                                   \
            return mv_error_report(-ENOTSUP, MV_ERR_NO_SUPPORT, MV_FROM_NONE,   \
                                   "%s", (call)->route->api);                   \
        _hv->fn;                                                                \
    })

/* pkt is a whole packet of len bytes, length word included. */
void mv_dispatch_packet(mv_client *c, const uint8_t *pkt, size_t len);

#endif
