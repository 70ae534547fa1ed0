/*
 * How a connection moves bytes.  The framed connection (conn.c) reads and
 * writes through this interface only, so that TLS (gnutls records) and
 * SASL (its encode layer) slot in under it without the framing, the
 * dispatch or the relay knowing.  The plain transport is the socket itself.
 */
#ifndef MV_TRANSPORT_H
#define MV_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct mv_transport mv_transport;

typedef struct mv_transport_ops {
    /* Like read(2)/send(2) on a non-blocking socket: bytes moved, 0 at end
     * of input (read only), -EAGAIN when the socket is not ready, another
     * negative errno on failure. */
    ssize_t (*read)(mv_transport *t, void *buf, size_t len);
    ssize_t (*write)(mv_transport *t, const void *buf, size_t len);
    /* Input already decoded inside the layer, readable without the socket
     * becoming readable again (a TLS record read in part). */
    bool (*pending)(mv_transport *t);
    /* Whether the channel is safe from snooping (virConnectIsSecure). */
    bool (*secure)(mv_transport *t);
    void (*free)(mv_transport *t);
} mv_transport_ops;

struct mv_transport {
    const mv_transport_ops *ops;
    int fd;                 /* owned by the connection, not the transport */
    /* A descriptor the peer passed along with the bytes read (SCM_RIGHTS),
     * until someone takes it; -1: none.  Only the latest is kept, so a
     * peer cannot make us hold more than one. */
    int received_fd;
};

/* A unix socket: nothing between us and the peer, and nobody else can
 * read the bytes. */
int mv_transport_plain_new(int fd, mv_transport **ret);

/* Whether t is the plain transport of a unix socket: its peer could be
 * handed the socket itself. */
bool mv_transport_is_plain_unix(const mv_transport *t);

#endif
