/*
 * The transport side of a daemon: its listeners, the connections they
 * accept, the worker pool and the loop's posting queue, idle exit and
 * drain on shutdown, all on one sd-event loop.  Whole packets go to the
 * program that accepted the connection (mv_server_handler); the server
 * never looks inside them.
 */
#ifndef MV_SERVER_H
#define MV_SERVER_H

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "rpc/conn.h"
#include "rpc/loop.h"
#include "rpc/workers.h"

typedef struct mv_server mv_server;

typedef struct mv_server_config {
    unsigned max_clients;           /* per listener kind: read-write, read-only, admin */
    unsigned max_workers;
    unsigned max_client_requests;   /* calls in flight per client before we stop reading */
    int keepalive_interval;         /* seconds; <= 0 disables our pings */
    unsigned keepalive_count;
    unsigned idle_timeout;          /* seconds with no clients before exit; 0 never */
    size_t client_out_soft;         /* queued output at which a client is no longer read */
    size_t client_out_hard;         /* queued output at which it is closed */
    size_t read_memory_max;         /* read buffers of all connections together */
    /* A relay's user (virtproxyd's): its connections to the read-write
     * socket are counted apart, so that clients it relays can never take
     * the places of local root clients.  (uid_t)-1: none. */
    uid_t relay_uid;
} mv_server_config;

void mv_server_config_defaults(mv_server_config *cfg);

typedef enum mv_listener_kind {
    MV_LISTENER_RW,
    MV_LISTENER_RO,
    MV_LISTENER_ADMIN,
    MV_LISTENER_KINDS,
} mv_listener_kind;

/* Connections are counted by kind of listener, each kind up to
 * max_clients, and the relay's apart from the read-write listener's other
 * clients, up to twice max_clients (what its two listeners can bring). */
enum { MV_BUCKET_RELAYED = MV_LISTENER_KINDS, MV_BUCKETS };

/* What a listener promises the connections it accepts. */
typedef struct mv_listener_opts {
    mv_listener_kind kind;
    int auth;                   /* MV_AUTH_NONE, ...: what AUTH_LIST answers */
} mv_listener_opts;

/* The program a daemon serves on its connections. */
typedef struct mv_server_handler {
    /* A connection was accepted: start it (mv_conn_start) with the
     * program's callbacks, or return < 0 to have it closed. */
    int (*accept)(void *data, mv_conn *c, const mv_listener_opts *opts);
    void *data;
} mv_server_handler;

int mv_server_new(sd_event *event, const mv_server_config *cfg, mv_server **ret);
void mv_server_set_handler(mv_server *s, const mv_server_handler *h);

sd_event *mv_server_event(mv_server *s);
mv_loop *mv_server_loop(mv_server *s);
mv_workers *mv_server_workers(mv_server *s);        /* NULL: calls run inline */
const mv_server_config *mv_server_get_config(const mv_server *s);

/* Limits and shared read budget for a connection the program opens itself
 * (an upstream of the relay). */
int mv_server_connect(mv_server *s, int fd, mv_conn **ret);

/* Takes ownership of a listening socket. */
int mv_server_add_listener(mv_server *s, int fd, const mv_listener_opts *opts);

/* Serve an already connected socket (socketpair in tests). */
int mv_server_add_client(mv_server *s, int fd, const mv_listener_opts *opts);
/* Serve a client socket another process accepted and hands over, with the
 * bytes it read from it and did not handle (input, len); counted as a
 * client of opts' kind.  *ret (may be NULL) is the new connection,
 * borrowed. */
int mv_server_adopt_client(mv_server *s, int fd, const mv_listener_opts *opts,
                           const uint8_t *input, size_t len, mv_conn **ret);

/* Stop accepting, let calls in flight finish and replies drain, then exit
 * the event loop. */
void mv_server_shutdown(mv_server *s);

unsigned mv_server_client_count(const mv_server *s);
void mv_server_free(mv_server *s);

#endif
