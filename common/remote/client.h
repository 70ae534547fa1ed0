/*
 * The remote program's state for one client connection, and the pieces of
 * the program that share it (dispatch, local calls, relay, events).
 * Internal to common/remote; loop thread only.
 */
#ifndef MV_REMOTE_CLIENT_H
#define MV_REMOTE_CLIENT_H

#include <stdbool.h>

#include "mv_remote_routes.h"
#include "remote/remote.h"
#include "rpc/conn.h"

typedef struct mv_relay mv_relay;
typedef struct mv_event_reg mv_event_reg;

struct mv_remote {
    mv_server *server;
    mv_remote_config cfg;
    mv_client *clients;                 /* every client, for events */
    int next_event_id;
};

struct mv_client {
    int refs;
    mv_remote *remote;
    mv_client *prev, *next;
    mv_conn *conn;                      /* a reference is held */
    mv_listener_opts listener;
    bool authenticated;
    bool open;
    bool opening;                       /* an open is being answered elsewhere */
    bool close_callback;                /* wants CONNECT_EVENT_CONNECTION_CLOSED */
    bool closed;
    mv_session *sess;                   /* current snapshot; calls take a ref */
    mv_relay *relay;                    /* upstreams; NULL until needed */
    mv_event_reg *events;               /* event callbacks registered */
    unsigned nevents;
};

void mv_client_ref(mv_client *c);
void mv_client_unref(mv_client *c);

/* A header of the remote program. */
mv_header mv_remote_header(int proc, uint32_t type, uint32_t serial);

/* Send a packet that answers one of the client's calls. */
void mv_client_send_reply(mv_client *c, const uint8_t *pkt, size_t len);
/* Answer the packet with header h with err (code, domain, message); an
 * answer to a call completes it. */
void mv_client_send_error(mv_client *c, const mv_header *h, const mv_error *err);
/* Answer the call with header h with the error recorded on this thread
 * (or one derived from r). */
void mv_client_fail_call(mv_client *c, const mv_header *h, int r);
/* A new snapshot: the current one with these changes (NULL: keep). */
int mv_client_update_session(mv_client *c, const char *uri, const bool *readonly,
                             mv_identity *identity_taken);

/* The client's connect open succeeded (here or upstream). */
void mv_client_opened(mv_client *c);
/* The peer is a relay we believe when it speaks for others. */
bool mv_client_trusted_relay(const mv_client *c);

/* The URI a daemon with driver scheme gives for its default instance. */
char *mv_remote_default_uri(const mv_remote *r, const char *scheme);

/* events.c */
void mv_events_client_gone(mv_client *c);
void mv_events_attach(mv_remote *r);
void mv_events_detach(mv_remote *r);
/* Send an event MESSAGE packet to the client. */
void mv_client_send_event(mv_client *c, int proc, xdrproc_t msg_xdr, void *msg);

/* relay.c */
/* Forward a packet of a procedure of owner, byte for byte. */
void mv_relay_forward(mv_client *c, mv_owner owner, const mv_header *h,
                      const uint8_t *pkt, size_t len);
/* Answer the client's CONNECT_OPEN from the daemon that owns uri; returns
 * MV_CALL_ASYNC, or < 0 with the error recorded. */
int mv_relay_open(mv_call *call, const char *uri, unsigned flags);
bool mv_relay_can_open(const char *scheme);
/* The default URI of a relay: the first hypervisor daemon listening. */
char *mv_relay_probe_uri(const mv_remote *r);
void mv_relay_client_drained(mv_client *c);
/* The socket of the daemon that owns uri (by its scheme); NULL: none. */
char *mv_relay_socket_path(const mv_remote *r, const char *uri);
/* Connect to a daemon's socket without waiting. */
int mv_relay_connect(const char *path, int *ret_fd);

/* handoff.c */
/* Hand the client's socket to the daemon that owns uri, with its open
 * (open_args): MV_CALL_ASYNC when the daemon has it, 0 when the client
 * stays here (to be relayed), < 0 on failure. */
int mv_handoff_try(mv_call *call, const char *uri, mv_connect_open_args *open_args);
/* A packet of MV_HANDOFF_PROGRAM, from a relay. */
void mv_handoff_receive(mv_client *c, const mv_header *h, const uint8_t *pkt, size_t len);
void mv_relay_free(mv_client *c);

#endif
