/*
 * Calls every daemon answers itself (owner=local): the handshake, the
 * connection's own properties, and identity hand-over from a trusted
 * relay.  A daemon with no driver of its own (virtproxyd) answers connect
 * open from the daemon that owns the URI, through the relay.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mv_remote_handlers.h"
#include "remote/client.h"
#include "util/cleanup.h"
#include "util/log.h"

/* Split "scheme://host/path?query" into scheme and path. */
static int parse_uri(const char *uri, char **ret_scheme, char **ret_path)
{
    const char *sep = strstr(uri, "://");
    const char *path, *end;
    _cleanup_free_ char *scheme = NULL;

    if (!sep || sep == uri)
        return -EINVAL;
    path = strchr(sep + 3, '/');
    if (!path)
        path = "";
    end = path + strcspn(path, "?#");
    scheme = strndup(uri, sep - uri);
    *ret_path = strndup(path, end - path);
    if (!scheme || !*ret_path) {
        free(*ret_path);
        return -ENOMEM;
    }
    *ret_scheme = TAKE_PTR(scheme);
    return 0;
}

/* The scheme this daemon's own driver serves, and its open check. */
static const char *own_scheme(const mv_drivers *d,
                              int (**ret_open)(const mv_session *, const char *))
{
    if (d->hypervisor) {
        *ret_open = d->hypervisor->connect_open;
        return d->hypervisor->scheme;
    }
    if (d->network) {
        *ret_open = d->network->connect_open;
        return d->network->scheme;
    }
    if (d->storage) {
        *ret_open = d->storage->connect_open;
        return d->storage->scheme;
    }
    if (d->secret) {
        *ret_open = d->secret->connect_open;
        return d->secret->scheme;
    }
    *ret_open = NULL;
    return NULL;
}

static int no_driver(const char *uri)
{
    return mv_error_report(-ENOENT, MV_ERR_NO_CONNECT, MV_FROM_NONE, "%s", uri);
}

int mv_dispatch_connect_open(mv_call *call, mv_connect_open_args *args)
{
    mv_client *c = call->client;
    int (*open_fn)(const mv_session *, const char *);
    const char *scheme_ours = own_scheme(call->drivers, &open_fn);
    _cleanup_free_ char *scheme = NULL, *path = NULL, *uri = NULL;
    const char *name = args->name ? *args->name : NULL;
    bool readonly = c->sess->readonly || (args->flags & MV_CONNECT_RO);
    int r;

    if (!name || !*name) {
        /* The client asks for our default: our driver's system or session
         * instance, or for a relay, the first hypervisor daemon running. */
        uri = scheme_ours ? mv_remote_default_uri(c->remote, scheme_ours)
                          : mv_relay_probe_uri(c->remote);
        if (!uri)
            return scheme_ours ? -ENOMEM : no_driver("the default URI");
        name = uri;
    }
    r = parse_uri(name, &scheme, &path);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return no_driver(name);
    if (!scheme_ours || strcmp(scheme, scheme_ours) != 0) {
        if (!scheme_ours && c->remote->cfg.relay && mv_relay_can_open(scheme)) {
            r = mv_handoff_try(call, name, args);
            if (r != 0)
                return r;
            return mv_relay_open(call, name, args->flags | (readonly ? MV_CONNECT_RO : 0));
        }
        return no_driver(name);
    }
    if (open_fn && (r = open_fn(call->sess, path)) < 0)
        return r;
    if (!uri && asprintf(&uri, "%s://%s", scheme, path) < 0)
        return -ENOMEM;
    r = mv_client_update_session(c, uri, &readonly, NULL);
    if (r < 0)
        return r;
    mv_client_opened(c);
    log_debug("connection %d opened %s%s", mv_conn_fd(c->conn), uri, readonly ? " read-only" : "");
    return 0;
}

int mv_dispatch_connect_close(mv_call *call)
{
    /* A later open starts afresh, upstreams included. */
    call->client->open = false;
    mv_relay_free(call->client);
    return 0;
}

int mv_dispatch_connect_supports_feature(mv_call *call, mv_connect_supports_feature_args *args,
                                         mv_connect_supports_feature_ret *ret)
{
    switch (args->feature) {
    case MV_FEATURE_PROGRAM_KEEPALIVE:
        /* Asking is how a client says it answers our pings. */
        mv_conn_start_keepalive(call->client->conn);
        ret->supported = 1;
        break;
    case MV_FEATURE_TYPED_PARAM_STRING:
    case MV_FEATURE_REMOTE_EVENT_CALLBACK:
    case MV_FEATURE_REMOTE_CLOSE_CALLBACK:
        ret->supported = 1;
        break;
    default:
        /* Migration and fd passing are not offered yet. */
        ret->supported = 0;
        break;
    }
    return 0;
}

int mv_dispatch_auth_list(mv_call *call, mv_auth_list_ret *ret)
{
    ret->types.types_val = calloc(1, sizeof(mv_auth_type));
    if (!ret->types.types_val)
        return -ENOMEM;
    /* What the listener the client came through requires. */
    ret->types.types_val[0] = call->client->listener.auth;
    ret->types.types_len = 1;
    return 0;
}

int mv_dispatch_connect_get_uri(mv_call *call, mv_connect_get_uri_ret *ret)
{
    ret->uri = strdup(call->sess->uri ? call->sess->uri : "");
    return ret->uri ? 0 : -ENOMEM;
}

int mv_dispatch_connect_is_secure(mv_call *call, mv_connect_is_secure_ret *ret)
{
    ret->secure = mv_conn_secure(call->client->conn);
    return 0;
}

int mv_dispatch_connect_get_lib_version(mv_call *call, mv_connect_get_lib_version_ret *ret)
{
    ret->lib_ver = MODVIRT_API_LEVEL;
    return 0;
}

int mv_dispatch_connect_register_close_callback(mv_call *call)
{
    /* Our own drivers never close a connection under the client; a relay
     * tells it when the daemon it relays to went away. */
    call->client->close_callback = true;
    return 0;
}

int mv_dispatch_connect_unregister_close_callback(mv_call *call)
{
    call->client->close_callback = false;
    return 0;
}

static int identity_string(const mv_typed_param *p, char **field)
{
    char *v;

    if (p->value.type != MV_TYPED_PARAM_STRING)
        return -EINVAL;
    v = strdup(p->value.mv_typed_param_value_u.s);
    if (!v)
        return -ENOMEM;
    free(*field);
    *field = v;
    return 0;
}

static int identity_number(const mv_typed_param *p, unsigned long long *ret)
{
    switch (p->value.type) {
    case MV_TYPED_PARAM_UINT:
        *ret = p->value.mv_typed_param_value_u.ui;
        return 0;
    case MV_TYPED_PARAM_INT:
        if (p->value.mv_typed_param_value_u.i < 0)
            return -EINVAL;
        *ret = (unsigned long long)p->value.mv_typed_param_value_u.i;
        return 0;
    case MV_TYPED_PARAM_ULLONG:
        *ret = p->value.mv_typed_param_value_u.ul;
        return 0;
    case MV_TYPED_PARAM_LLONG:
        if (p->value.mv_typed_param_value_u.l < 0)
            return -EINVAL;
        *ret = (unsigned long long)p->value.mv_typed_param_value_u.l;
        return 0;
    default:
        return -EINVAL;
    }
}

int mv_dispatch_connect_set_identity(mv_call *call, mv_connect_set_identity_args *args)
{
    _cleanup_(mv_identity_clear) mv_identity id = { .uid = (uid_t)-1, .gid = (gid_t)-1 };
    int r = 0;

    /* Only a relay we trust may speak for others; the peer is judged by
     * its socket, never by what it claimed before. */
    if (!mv_client_trusted_relay(call->client))
        return mv_error_report(-EPERM, MV_ERR_ACCESS_DENIED, MV_FROM_ACCESS,
                               "only a privileged relay may set the client identity");
    if (args->flags)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_RPC,
                               "unsupported flags (0x%x) in virConnectSetIdentity", args->flags);

    for (unsigned i = 0; i < args->params.params_len && r >= 0; i++) {
        const mv_typed_param *p = &args->params.params_val[i];
        unsigned long long n = 0;

        if (strcmp(p->field, "user-name") == 0)
            r = identity_string(p, &id.user_name);
        else if (strcmp(p->field, "group-name") == 0)
            r = identity_string(p, &id.group_name);
        else if (strcmp(p->field, "sasl-user-name") == 0)
            r = identity_string(p, &id.sasl_user_name);
        else if (strcmp(p->field, "x509-distinguished-name") == 0)
            r = identity_string(p, &id.x509_dname);
        else if (strcmp(p->field, "selinux-context") == 0)
            r = identity_string(p, &id.selinux_context);
        else if (strcmp(p->field, "unix-user-id") == 0) {
            if ((r = identity_number(p, &n)) >= 0)
                id.uid = (uid_t)n;
        } else if (strcmp(p->field, "unix-group-id") == 0) {
            if ((r = identity_number(p, &n)) >= 0)
                id.gid = (gid_t)n;
        } else if (strcmp(p->field, "process-id") == 0) {
            if ((r = identity_number(p, &n)) >= 0)
                id.pid = (pid_t)n;
        } else if (strcmp(p->field, "process-time") == 0) {
            r = identity_number(p, &id.process_time);
        } else {
            return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_RPC,
                                   "parameter '%s' not supported", p->field);
        }
        if (r == -EINVAL)
            return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_RPC,
                                   "parameter '%s' has the wrong type", p->field);
    }
    if (r < 0)
        return r;
    log_info("connection %d speaks for uid %d gid %d pid %d (%s)", mv_conn_fd(call->client->conn),
             (int)id.uid, (int)id.gid, (int)id.pid, id.user_name ? id.user_name : "?");
    return mv_client_update_session(call->client, NULL, NULL, &id);
}
