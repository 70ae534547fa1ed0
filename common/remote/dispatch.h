/*
 * The gate of the remote program: from a client's packet to a handler of
 * ours, to the relay, or to an error.  In order: keepalive is already
 * answered by the connection; then the message type, the program, the
 * status, the procedure, the authentication phase, connect open, read-only
 * rights; then the owner, before anything is decoded: local and owners
 * served here are decoded and run (inline when the route says prio, else
 * on a worker), other owners are relayed byte for byte.
 */
#ifndef MV_REMOTE_DISPATCH_H
#define MV_REMOTE_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "remote/client.h"

void mv_dispatch_packet(mv_client *c, const uint8_t *pkt, size_t len);

#endif
