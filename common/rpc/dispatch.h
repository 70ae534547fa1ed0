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

/* pkt is a whole packet of len bytes, length word included. */
void mv_dispatch_packet(mv_client *c, const uint8_t *pkt, size_t len);

#endif
