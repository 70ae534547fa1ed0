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
#include "util/log.h"

/*
 * Keys this daemon takes from libvirt's files but does not implement are
 * never accepted silently.  A value that would promise protection it does
 * not give (authentication, access control, required keepalive or audit)
 * stops the daemon: an admin who sets auth_unix_rw = "polkit" and opens the
 * socket's permissions must not get a socket anyone can drive.  Tuning
 * that does nothing yet is accepted, so that stock files keep working, with
 * one warning each.  Both name file, line and key.
 */
#define refuse(name, line, key, ...) \
    mv_conf_report(MV_ERR_CONFIG_UNSUPPORTED, name, line, key, __VA_ARGS__)

static void no_effect(const char *name, unsigned line, const char *key, const char *why)
{
    log_warn("%s:%u: %s: accepted for compatibility but has no effect yet: %s",
             name, line, key, why);
}

static int check_auth_unix(const char *name, unsigned line, const char *key, const void *field)
{
    const char *v = *(char *const *)field;

    if (strcmp(v, "none") == 0)
        return 0;
    return refuse(name, line, key,
                  "\"%s\" is not supported by this daemon: only \"none\" "
                  "(the socket's permissions decide) is", v);
}

static int check_access_drivers(const char *name, unsigned line, const char *key,
                                const void *field)
{
    char *const *l = *(char **const *)field;

    if (!l || !l[0])
        return 0;
    return refuse(name, line, key,
                  "\"%s\" is not supported by this daemon: no access control driver is, "
                  "only an empty list (the socket's permissions decide)", l[0]);
}

static int check_keepalive_required(const char *name, unsigned line, const char *key,
                                    const void *field)
{
    unsigned v = *(const unsigned *)field;

    if (v == 0)
        return 0;
    return refuse(name, line, key,
                  "%u is not supported by this daemon: clients without keepalive are "
                  "not turned away; only 0 is", v);
}

static int check_audit_level(const char *name, unsigned line, const char *key, const void *field)
{
    unsigned v = *(const unsigned *)field;

    if (v >= 2)
        return refuse(name, line, key,
                      "%u is not supported by this daemon: it writes no audit records, "
                      "so it cannot require them; only 0 and 1 are", v);
    if (v == 1)
        no_effect(name, line, key, "this daemon writes no audit records");
    return 0;
}

static int check_audit_logging(const char *name, unsigned line, const char *key,
                               const void *field)
{
    if (*(const unsigned *)field != 0)
        no_effect(name, line, key, "this daemon writes no audit records");
    return 0;
}

static int check_host_uuid_source(const char *name, unsigned line, const char *key,
                                  const void *field)
{
    if (strcmp(*(char *const *)field, "smbios") != 0)
        no_effect(name, line, key,
                  "the host UUID comes from SMBIOS, else from the machine ID");
    return 0;
}

static int check_anonymous(const char *name, unsigned line, const char *key, const void *field)
{
    no_effect(name, line, key, "with auth \"none\" no client waits for authentication");
    return 0;
}

static int check_min_workers(const char *name, unsigned line, const char *key, const void *field)
{
    no_effect(name, line, key, "worker threads start on demand, up to max_workers");
    return 0;
}

static int check_prio_workers(const char *name, unsigned line, const char *key,
                              const void *field)
{
    no_effect(name, line, key, "priority calls run on the event loop");
    return 0;
}

static int check_admin(const char *name, unsigned line, const char *key, const void *field)
{
    no_effect(name, line, key, "the admin interface is not implemented");
    return 0;
}

static int check_ovs_timeout(const char *name, unsigned line, const char *key,
                             const void *field)
{
    no_effect(name, line, key, "this daemon does not call ovs-vsctl");
    return 0;
}

#define KEY(n, t) { #n, MV_CONF_##t, offsetof(mv_daemon_config, n), NULL }
#define KEY_CHECK(n, t, check) { #n, MV_CONF_##t, offsetof(mv_daemon_config, n), check }

static const mv_conf_key daemon_keys[] = {
    KEY(unix_sock_group, STRING),
    KEY(unix_sock_ro_perms, STRING),
    KEY(unix_sock_rw_perms, STRING),
    KEY(unix_sock_admin_perms, STRING),
    KEY(unix_sock_dir, STRING),
    KEY(max_clients, UINT),
    KEY_CHECK(max_anonymous_clients, UINT, check_anonymous),
    KEY_CHECK(min_workers, UINT, check_min_workers),
    KEY(max_workers, UINT),
    KEY_CHECK(prio_workers, UINT, check_prio_workers),
    KEY(max_client_requests, UINT),
    KEY(keepalive_interval, INT),
    KEY(keepalive_count, UINT),
    KEY_CHECK(keepalive_required, UINT, check_keepalive_required),
    KEY(log_level, UINT),
    KEY(log_filters, STRING),
    KEY(log_outputs, STRING),
    KEY(host_uuid, STRING),
    KEY_CHECK(host_uuid_source, STRING, check_host_uuid_source),
    KEY_CHECK(admin_max_clients, UINT, check_admin),
    KEY_CHECK(admin_max_workers, UINT, check_admin),
    KEY_CHECK(admin_min_workers, UINT, check_admin),
    KEY_CHECK(admin_max_client_requests, UINT, check_admin),
    KEY_CHECK(admin_keepalive_interval, UINT, check_admin),
    KEY_CHECK(admin_keepalive_count, UINT, check_admin),
    KEY_CHECK(auth_unix_ro, STRING, check_auth_unix),
    KEY_CHECK(auth_unix_rw, STRING, check_auth_unix),
    KEY_CHECK(access_drivers, STRING_LIST, check_access_drivers),
    KEY_CHECK(audit_level, UINT, check_audit_level),
    KEY_CHECK(audit_logging, UINT, check_audit_logging),
    KEY_CHECK(ovs_timeout, UINT, check_ovs_timeout),
    KEY(local_handoff, UINT),
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
        .local_handoff = 1,
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
