/*
 * The RPC server of a daemon: unix listeners, clients, the worker pool and
 * idle exit, all on one sd-event loop.
 */
#ifndef MV_SERVER_H
#define MV_SERVER_H

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "rpc/driver.h"

typedef struct mv_server mv_server;

typedef struct mv_server_config {
    unsigned max_clients;
    unsigned min_workers;
    unsigned max_workers;
    unsigned prio_workers;          /* accepted for compatibility: prio calls run inline */
    unsigned max_client_requests;   /* calls in flight per client before we stop reading */
    int keepalive_interval;         /* seconds; <= 0 disables our pings */
    unsigned keepalive_count;
    unsigned idle_timeout;          /* seconds with no clients before exit; 0 never */
} mv_server_config;

void mv_server_config_defaults(mv_server_config *cfg);

typedef enum mv_listener_kind {
    MV_LISTENER_RW,
    MV_LISTENER_RO,
    MV_LISTENER_ADMIN,
} mv_listener_kind;

/* privileged selects the default URI path (/system or /session). */
int mv_server_new(sd_event *event, const mv_server_config *cfg, bool privileged,
                  mv_server **ret);
void mv_server_set_hypervisor(mv_server *s, const mv_hypervisor_driver *drv);

/* Takes ownership of a listening unix socket. */
int mv_server_add_listener(mv_server *s, int fd, mv_listener_kind kind);

/* Serve an already connected socket (socketpair in tests). */
int mv_server_add_client(mv_server *s, int fd, mv_listener_kind kind);

/* Stop accepting, let calls in flight finish and replies drain, then exit
 * the event loop. */
void mv_server_shutdown(mv_server *s);

unsigned mv_server_client_count(const mv_server *s);
void mv_server_free(mv_server *s);

#endif
