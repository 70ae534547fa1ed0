/*
 * Calls every daemon answers itself: the handshake, the connection's own
 * properties, and identity hand-over from a trusted relay.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mv_remote_routes.h"
#include "rpc/dispatch.h"
#include "util/cleanup.h"
#include "util/log.h"

void mv_identity_clear(mv_identity *id)
{
    free(id->user_name);
    free(id->group_name);
    free(id->sasl_user_name);
    free(id->x509_dname);
    free(id->selinux_context);
    *id = (mv_identity){ 0 };
}

/* Split "scheme://host/path?query" into scheme and path. */
static int parse_uri(const char *uri, char **ret_scheme, char **ret_path)
{
    const char *sep = strstr(uri, "://");
    const char *path, *end;

    if (!sep || sep == uri)
        return -EINVAL;
    path = strchr(sep + 3, '/');
    if (!path)
        path = "";
    end = path + strcspn(path, "?#");
    *ret_scheme = strndup(uri, sep - uri);
    *ret_path = strndup(path, end - path);
    if (!*ret_scheme || !*ret_path) {
        free(*ret_scheme);
        free(*ret_path);
        return -ENOMEM;
    }
    return 0;
}

int mv_dispatch_connect_open(mv_call *call, mv_connect_open_args *args)
{
    const mv_hypervisor_driver *hv = call->server->hypervisor;
    _cleanup_free_ char *scheme = NULL, *path = NULL, *uri = NULL;
    const char *name = args->name ? *args->name : NULL;
    int r;

    if (call->conn->open)
        return mv_error_report(-EISCONN, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC,
                               "connection already open");
    if (!hv)
        return mv_error_report(-ENOENT, MV_ERR_NO_CONNECT, MV_FROM_NONE, "%s",
                               name && *name ? name : "this daemon");
    if (!name || !*name) {
        /* The client asks for our default: the driver's system or
         * session instance, as the daemon runs. */
        if (asprintf(&uri, "%s:///%s", hv->scheme,
                     call->server->privileged ? "system" : "session") < 0)
            return -ENOMEM;
        name = uri;
    }
    r = parse_uri(name, &scheme, &path);
    if (r == -ENOMEM)
        return r;
    if (r < 0 || strcmp(scheme, hv->scheme) != 0)
        return mv_error_report(-ENOENT, MV_ERR_NO_CONNECT, MV_FROM_NONE, "%s", name);
    if (hv->connect_open) {
        r = hv->connect_open(call->conn, path);
        if (r < 0)
            return r;
    }
    if (!uri && asprintf(&uri, "%s://%s", scheme, path) < 0)
        return -ENOMEM;

    free(call->conn->uri);
    call->conn->uri = TAKE_PTR(uri);
    call->conn->hypervisor = hv;
    if (args->flags & MV_CONNECT_RO)
        call->conn->readonly = true;
    call->conn->open = true;
    log_debug("client %d opened %s%s", call->client->fd, call->conn->uri,
              call->conn->readonly ? " read-only" : "");
    return 0;
}

int mv_dispatch_connect_close(mv_call *call)
{
    /* The URI stays until the client goes: a worker may still read it. */
    call->conn->open = false;
    return 0;
}

int mv_dispatch_connect_supports_feature(mv_call *call, mv_connect_supports_feature_args *args,
                                         mv_connect_supports_feature_ret *ret)
{
    switch (args->feature) {
    case MV_FEATURE_PROGRAM_KEEPALIVE:
        /* Asking is how a client says it answers our pings. */
        mv_client_start_keepalive(call->client);
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
    /* Unix sockets: the socket's mode and owner are the access control. */
    ret->types.types_val = calloc(1, sizeof(mv_auth_type));
    if (!ret->types.types_val)
        return -ENOMEM;
    ret->types.types_val[0] = MV_AUTH_NONE;
    ret->types.types_len = 1;
    return 0;
}

int mv_dispatch_connect_get_uri(mv_call *call, mv_connect_get_uri_ret *ret)
{
    ret->uri = strdup(call->conn->uri ? call->conn->uri : "");
    return ret->uri ? 0 : -ENOMEM;
}

int mv_dispatch_connect_is_secure(mv_call *call, mv_connect_is_secure_ret *ret)
{
    /* A local unix socket cannot be snooped. */
    ret->secure = 1;
    return 0;
}

int mv_dispatch_connect_get_lib_version(mv_call *call, mv_connect_get_lib_version_ret *ret)
{
    ret->lib_ver = MODVIRT_API_LEVEL;
    return 0;
}

int mv_dispatch_connect_register_close_callback(mv_call *call)
{
    /* The daemon's drivers are in-process: the connection only closes when
     * the socket does, which the client sees by itself. */
    return 0;
}

int mv_dispatch_connect_unregister_close_callback(mv_call *call)
{
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
    mv_identity id = { .uid = (uid_t)-1, .gid = (gid_t)-1 };
    int r = 0;

    /* Only root on the read-write socket (a relay) may speak for others;
     * the peer is judged by its socket, not by what it claimed before. */
    if (call->client->kind != MV_LISTENER_RW || call->client->peer_uid != 0)
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
            mv_identity_clear(&id);
            return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_RPC,
                                   "parameter '%s' not supported", p->field);
        }
        if (r == -EINVAL) {
            mv_identity_clear(&id);
            return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_RPC,
                                   "parameter '%s' has the wrong type", p->field);
        }
    }
    if (r < 0) {
        mv_identity_clear(&id);
        return r;
    }
    mv_identity_clear(&call->conn->identity);
    call->conn->identity = id;
    return 0;
}
