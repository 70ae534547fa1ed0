/*
 * The daemon's own configuration file (virtqemud.conf and its siblings):
 * the settings every daemon shares, in libvirt's syntax and with libvirt's
 * defaults.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "util/conf_file.h"
#include "util/error.h"

#define KEY(n, t) { #n, MV_CONF_##t, offsetof(mv_daemon_config, n) }

static const mv_conf_key daemon_keys[] = {
    KEY(unix_sock_group, STRING),
    KEY(unix_sock_ro_perms, STRING),
    KEY(unix_sock_rw_perms, STRING),
    KEY(unix_sock_admin_perms, STRING),
    KEY(unix_sock_dir, STRING),
    KEY(max_clients, UINT),
    KEY(max_anonymous_clients, UINT),
    KEY(min_workers, UINT),
    KEY(max_workers, UINT),
    KEY(prio_workers, UINT),
    KEY(max_client_requests, UINT),
    KEY(keepalive_interval, INT),
    KEY(keepalive_count, UINT),
    KEY(keepalive_required, UINT),
    KEY(log_level, UINT),
    KEY(log_filters, STRING),
    KEY(log_outputs, STRING),
    KEY(host_uuid, STRING),
    KEY(host_uuid_source, STRING),
    KEY(admin_max_clients, UINT),
    KEY(admin_max_workers, UINT),
    KEY(admin_min_workers, UINT),
    KEY(admin_max_client_requests, UINT),
    KEY(admin_keepalive_interval, UINT),
    KEY(admin_keepalive_count, UINT),
    KEY(auth_unix_ro, STRING),
    KEY(auth_unix_rw, STRING),
    KEY(access_drivers, STRING_LIST),
    KEY(audit_level, UINT),
    KEY(audit_logging, UINT),
    KEY(ovs_timeout, UINT),
};

void mv_daemon_config_init(mv_daemon_config *cfg)
{
    mv_server_config s;

    mv_server_config_defaults(&s);
    *cfg = (mv_daemon_config){
        .max_clients = s.max_clients,
        .max_anonymous_clients = 20,
        .min_workers = 5,
        .max_workers = s.max_workers,
        .prio_workers = 5,
        .max_client_requests = s.max_client_requests,
        .keepalive_interval = s.keepalive_interval,
        .keepalive_count = s.keepalive_count,
        .log_level = 3,
        .admin_max_clients = 5000,
        .admin_max_workers = 5,
        .admin_min_workers = 1,
        .admin_max_client_requests = 5,
        .admin_keepalive_interval = 5,
        .admin_keepalive_count = 5,
        .audit_level = 1,
        .ovs_timeout = 5,
    };
}

int mv_daemon_parse_perms(const char *path, const char *key, const char *value,
                          unsigned *ret_mode)
{
    char *end;
    unsigned long mode;

    errno = 0;
    mode = strtoul(value, &end, 8);
    if (errno || end == value || *end || mode > 07777)
        return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                               "%s: %s: '%s' is not an octal permission mode such as \"0770\"",
                               path, key, value);
    *ret_mode = (unsigned)mode;
    return 0;
}

int mv_daemon_config_load(mv_daemon_config *cfg, const char *path)
{
    static const struct { const char *key; size_t off; } perms[] = {
        { "unix_sock_ro_perms", offsetof(mv_daemon_config, unix_sock_ro_perms) },
        { "unix_sock_rw_perms", offsetof(mv_daemon_config, unix_sock_rw_perms) },
        { "unix_sock_admin_perms", offsetof(mv_daemon_config, unix_sock_admin_perms) },
    };
    int r = mv_conf_parse_file(path, daemon_keys, sizeof(daemon_keys) / sizeof(daemon_keys[0]), cfg);

    if (r < 0)
        return r;
    /* Check values whose syntax the file format cannot express. */
    for (size_t i = 0; i < sizeof(perms) / sizeof(perms[0]); i++) {
        const char *v = *(char **)((char *)cfg + perms[i].off);
        unsigned mode;

        if (v && (r = mv_daemon_parse_perms(path, perms[i].key, v, &mode)) < 0)
            return r;
    }
    if (cfg->log_level < 1 || cfg->log_level > 4)
        return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                               "%s: log_level: %u is not a level from 1 (debug) to 4 (error)",
                               path, cfg->log_level);
    if (cfg->max_workers > 0 && cfg->min_workers > cfg->max_workers)
        return mv_error_report(-EINVAL, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                               "%s: min_workers (%u) is larger than max_workers (%u)",
                               path, cfg->min_workers, cfg->max_workers);
    return 0;
}

void mv_daemon_config_free(mv_daemon_config *cfg)
{
    mv_conf_free(daemon_keys, sizeof(daemon_keys) / sizeof(daemon_keys[0]), cfg);
}
