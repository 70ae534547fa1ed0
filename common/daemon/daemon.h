/*
 * The shared daemon main: options, configuration, paths (with --root),
 * sockets (created or handed over by systemd), pid file, signals, idle
 * exit and readiness.  A daemon's main.c fills an mv_daemon_spec and calls
 * mv_daemon_main().
 */
#ifndef MV_DAEMON_H
#define MV_DAEMON_H

#include <stdbool.h>

#include "remote/remote.h"
#include "rpc/server.h"

/* Where a daemon keeps things; all under --root DIR when given. */
typedef struct mv_daemon_paths {
    char *root;             /* "" when none */
    char *run_dir;          /* sockets, pid file, live status: /run/libvirt */
    char *config_dir;       /* /etc/libvirt */
    char *state_dir;        /* /var/lib/libvirt */
    char *cache_dir;        /* /var/cache/libvirt */
    char *log_dir;          /* /var/log/libvirt */
} mv_daemon_paths;

typedef struct mv_daemon_config {
    char *unix_sock_group;
    char *unix_sock_ro_perms;
    char *unix_sock_rw_perms;
    char *unix_sock_admin_perms;
    char *unix_sock_dir;
    unsigned max_clients;
    unsigned max_anonymous_clients;
    unsigned min_workers;
    unsigned max_workers;
    unsigned prio_workers;
    unsigned max_client_requests;
    int keepalive_interval;
    unsigned keepalive_count;
    unsigned keepalive_required;
    unsigned log_level;
    char *log_filters;
    char *log_outputs;
    char *host_uuid;
    char *host_uuid_source;
    unsigned admin_max_clients;
    unsigned admin_max_workers;
    unsigned admin_min_workers;
    unsigned admin_max_client_requests;
    unsigned admin_keepalive_interval;
    unsigned admin_keepalive_count;
    char *auth_unix_ro;
    char *auth_unix_rw;
    char **access_drivers;
    unsigned audit_level;
    unsigned audit_logging;
    unsigned ovs_timeout;
    /* modvirt's own: a relay hands local clients to the daemon they open
     * (1, the default) or relays all their calls (0). */
    unsigned local_handoff;
} mv_daemon_config;

typedef struct mv_daemon_env {
    const char *name;               /* "virtqemud" */
    bool privileged;
    const mv_daemon_paths *paths;
    const mv_daemon_config *config;
} mv_daemon_env;

typedef struct mv_daemon_spec {
    const char *name;                       /* "virtqemud": units, config, log */
    const char *description;                /* for --help */
    /* Sockets: SOCKETS-sock, SOCKETS-sock-ro, SOCKETS-admin-sock; NULL:
     * the daemon's name. */
    const char *sockets;
    mv_drivers drivers;                     /* the subsystems served here */
    /* Handler arrays, by owner, of the procedures served here. */
    const mv_handler *handlers[MV_OWNER_COUNT];
    bool relay;                             /* relay other owners' procedures */
    int event_id_base;                      /* MV_EVENT_ID_BASE_* */
    /* An unprivileged user to become once the sockets are open (NULL:
     * keep running as started). */
    const char *user;
    /* Driver state: must stay cheap, nothing that could be done on the
     * first call that needs it (cold start counts). */
    int (*init)(const mv_daemon_env *env);
    void (*cleanup)(void);
} mv_daemon_spec;

/* Each daemon's event callback ids start at its own base. */
enum {
    MV_EVENT_ID_BASE_HYPERVISOR = 1 << 24,
    MV_EVENT_ID_BASE_NETWORK = 2 << 24,
    MV_EVENT_ID_BASE_STORAGE = 3 << 24,
    MV_EVENT_ID_BASE_SECRET = 4 << 24,
    MV_EVENT_ID_BASE_NODEDEV = 5 << 24,
};

int mv_daemon_main(int argc, char **argv, const mv_daemon_spec *spec);

/* daemon_config.c */
void mv_daemon_config_init(mv_daemon_config *cfg);
int mv_daemon_config_load(mv_daemon_config *cfg, const char *path);
void mv_daemon_config_free(mv_daemon_config *cfg);
/* Octal permission string such as "0770"; the error names file and key. */
int mv_daemon_parse_perms(const char *path, const char *key, const char *value,
                          unsigned *ret_mode);

#endif
