/*
 * A framed connection: one socket, the packets read from it, the packets
 * waiting to be written, and the limits that keep one peer from holding
 * more than its share.  It is the same object on both ends: a client
 * accepted by a listener (server.c) and an upstream connection the relay
 * opens to another daemon.
 *
 * It knows packets, not programs: each whole packet goes to its owner's
 * packet callback.  Only keepalive (a program of the transport itself) is
 * answered here, before anything else, so that it works while every
 * worker is busy.
 *
 * Limits, on a connection that serves calls (max_requests > 0): a call is
 * counted from the moment its packet is read until the packet that answers
 * it (sent with MV_SEND_REPLY) has been written out; at max_requests, or
 * when more than out_soft bytes wait to be written, the connection stops
 * being read, so a peer that pipelines calls and never reads the replies
 * is throttled by its own socket.  Output beyond out_hard (events keep
 * coming) closes it.  Read buffers larger than the initial one come out of
 * a budget shared by all connections (mv_readmem).
 *
 * Loop thread only.
 */
#ifndef MV_CONN_H
#define MV_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "rpc/transport.h"

typedef struct mv_conn mv_conn;

typedef struct mv_conn_ops {
    /* A whole packet, length word included, valid during the call. */
    void (*packet)(mv_conn *c, const uint8_t *pkt, size_t len);
    /* The queued output fell below out_soft after having been above it
     * (optional: the relay resumes reading the other side). */
    void (*drained)(mv_conn *c);
    /* The connection is closed; called once, after which nothing is read
     * or written.  The owner drops what it keeps for the connection. */
    void (*closed)(mv_conn *c);
} mv_conn_ops;

/* Who is at the other end of a unix socket, read once when it connected. */
typedef struct mv_peer {
    bool known;                 /* SO_PEERCRED answered */
    uid_t uid;
    gid_t gid;
    pid_t pid;
    char selinux_context[256];  /* "" when the kernel has none */
} mv_peer;

typedef struct mv_conn_limits {
    unsigned max_requests;      /* 0: calls are not counted (our upstreams) */
    size_t out_soft;
    size_t out_hard;
    int keepalive_interval;     /* seconds; <= 0: we never ping */
    unsigned keepalive_count;
} mv_conn_limits;

/* Bytes of read buffer beyond the initial size of each connection, shared
 * by all connections of a daemon. */
typedef struct mv_readmem {
    size_t used;
    size_t max;
} mv_readmem;

/* Takes fd and t (also on failure).  Nothing is read until mv_conn_start. */
int mv_conn_new(sd_event *event, int fd, mv_transport *t, const mv_conn_limits *limits,
                mv_readmem *mem, mv_conn **ret);
void mv_conn_start(mv_conn *c, const mv_conn_ops *ops, void *data);
void *mv_conn_data(const mv_conn *c);

void mv_conn_ref(mv_conn *c);
void mv_conn_unref(mv_conn *c);

enum {
    MV_SEND_REPLY = 1u << 0,    /* answers a call read from this connection */
};

/* Queue a packet (copied) and write what the socket takes now.  A closed
 * connection takes nothing (-ENOTCONN); past out_hard it is closed. */
int mv_conn_send(mv_conn *c, const uint8_t *pkt, size_t len, unsigned flags);

/* The owner's own reason to stop reading (a relay waiting for its
 * upstream); reading resumes when every reason is gone. */
void mv_conn_hold(mv_conn *c, bool hold);

void mv_conn_close(mv_conn *c, const char *why);
/* Close from the loop, not under the caller (who may be walking state the
 * closed callback frees); nothing more is read or written meanwhile.
 * why NULL: an ordinary end, not logged. */
void mv_conn_abort(mv_conn *c, const char *why);
/* Stop reading and close once everything queued has been written. */
void mv_conn_close_when_flushed(mv_conn *c);
bool mv_conn_is_closed(const mv_conn *c);

/* Ping the peer every keepalive_interval seconds of silence and close it
 * after keepalive_count unanswered pings. */
void mv_conn_start_keepalive(mv_conn *c);
/* Close the connection if it is still open usec from now (0: cancel). */
void mv_conn_set_deadline(mv_conn *c, uint64_t usec, const char *why);

/*----- handing a connection's socket to another process -----*/

/* Give the connection input read elsewhere, before mv_conn_start: it is
 * processed as if read from the socket, ahead of it. */
int mv_conn_feed(mv_conn *c, const uint8_t *data, size_t len);
/* Bytes read from the socket that no packet callback has seen yet; inside
 * a packet callback, those after the current packet. */
const uint8_t *mv_conn_unread(const mv_conn *c, size_t *ret_len);
/* Whether the socket could be passed to the peer's other end as it is: a
 * plain unix socket with nothing decoded inside a transport layer. */
bool mv_conn_passable(const mv_conn *c);
/* A descriptor the peer passed us (SCM_RIGHTS), now the caller's; -1: none. */
int mv_conn_take_fd(mv_conn *c);
bool mv_conn_keepalive_started(const mv_conn *c);

const mv_peer *mv_conn_peer(const mv_conn *c);
bool mv_conn_secure(const mv_conn *c);
int mv_conn_fd(const mv_conn *c);           /* for log messages */
size_t mv_conn_queued(const mv_conn *c);    /* bytes waiting to be written */
unsigned mv_conn_in_flight(const mv_conn *c);

#endif
