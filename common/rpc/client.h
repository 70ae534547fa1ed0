/*
 * A connected client: its socket, what it has sent us so far, the replies
 * waiting to be written, and its connection state.  Internal to common/rpc.
 */
#ifndef MV_CLIENT_H
#define MV_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "rpc/driver.h"
#include "rpc/message.h"
#include "rpc/server.h"
#include "rpc/workers.h"

typedef struct mv_outbuf {
    struct mv_outbuf *next;
    size_t len;
    size_t off;
    uint8_t data[];
} mv_outbuf;

typedef struct mv_client {
    mv_server *server;
    struct mv_client *prev, *next;      /* server's client list */
    int refs;                           /* loop thread only */
    int fd;
    sd_event_source *io;
    sd_event_source *keepalive;
    mv_listener_kind kind;
    uid_t peer_uid;                     /* SO_PEERCRED, never replaced */
    bool closed;
    bool want_close;                    /* close once the output is written */

    uint8_t *rbuf;
    size_t rlen;
    size_t rcap;

    mv_outbuf *out_head, *out_tail;
    unsigned inflight;                  /* calls on workers */

    uint64_t last_rx;                   /* CLOCK_MONOTONIC usec */
    unsigned keepalive_left;            /* unanswered pings allowed */

    mv_conn conn;
} mv_client;

struct mv_server {
    sd_event *event;
    mv_server_config cfg;
    bool privileged;
    bool shutting_down;
    const mv_hypervisor_driver *hypervisor;
    mv_workers *workers;
    sd_event_source *listeners[8];
    unsigned nlisteners;
    bool accepting;
    mv_client *clients;
    unsigned nclients;
    sd_event_source *idle_timer;
    sd_event_source *drain_timer;
};

int mv_client_new(mv_server *s, int fd, mv_listener_kind kind, mv_client **ret);

/* Queue a packet (copied) for the client and try to write it now. */
int mv_client_send(mv_client *c, const uint8_t *data, size_t len);
/* Encode and send; on encode failure sends an error reply instead. */
void mv_client_send_body(mv_client *c, const mv_header *h, xdrproc_t body_xdr, void *body);

void mv_client_close(mv_client *c, const char *why);
void mv_client_ref(mv_client *c);
void mv_client_unref(mv_client *c);

/* Called when a worker call finished: may resume reading. */
void mv_client_call_done(mv_client *c);

/* Start our pings (the client said it speaks keepalive). */
void mv_client_start_keepalive(mv_client *c);
/* A keepalive packet arrived; true if it was one. */
bool mv_client_handle_keepalive(mv_client *c, const mv_header *h);

/* server.c: client bookkeeping */
void mv_server_client_gone(mv_server *s, mv_client *c);
/* During shutdown: exit the loop once nothing is left to answer. */
void mv_server_check_drained(mv_server *s);

#endif
