/*
 * The relay: procedures this daemon does not serve go to the daemon that
 * owns them, byte for byte, over upstream connections that belong to one
 * client each (so serials never need rewriting).  An upstream is opened on
 * first use: connect to the owner's socket, CONNECT_SET_IDENTITY with the
 * client's identity, CONNECT_OPEN with that subsystem's URI (read-only
 * when the client is); packets the client sends meanwhile wait.  Replies,
 * event messages and stream packets come back the same way.  An upstream
 * that dies fails the calls it owed and ends the client's connection, as
 * libvirt reports a lost connection: never a hang.
 *
 * Flow control both ways: when the side we write to has more than its
 * soft limit queued, the side we read from is held until it drains.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "remote/client.h"
#include "util/cleanup.h"
#include "util/log.h"

/* The daemons a relay knows, by URI scheme and by the procedures they own. */
typedef struct daemon_entry {
    const char *scheme;
    const char *name;
    mv_owner owner;
} daemon_entry;

static const daemon_entry daemons[] = {
    { "qemu", "virtqemud", MV_OWNER_HYPERVISOR },
    { "xen", "virtxend", MV_OWNER_HYPERVISOR },
    { "lxc", "virtlxcd", MV_OWNER_HYPERVISOR },
    { "ch", "virtchd", MV_OWNER_HYPERVISOR },
    { "network", "virtnetworkd", MV_OWNER_NETWORK },
    { "storage", "virtstoraged", MV_OWNER_STORAGE },
    { "secret", "virtsecretd", MV_OWNER_SECRET },
    { "nodedev", "virtnodedevd", MV_OWNER_NODEDEV },
    { "interface", "virtinterfaced", MV_OWNER_INTERFACE },
    { "nwfilter", "virtnwfilterd", MV_OWNER_NWFILTER },
};
#define NDAEMONS (sizeof(daemons) / sizeof(daemons[0]))

/* Calls owed by one upstream: bounded by the client's own in-flight
 * limit; this is only the backstop against a broken count. */
#define PENDING_MAX 1024

typedef struct queued {
    struct queued *next;
    size_t len;
    uint8_t data[];
} queued;

typedef enum up_state { UP_IDENTITY, UP_OPEN, UP_READY } up_state;

typedef struct upstream {
    mv_relay *relay;
    unsigned index;             /* in daemons[] */
    char *uri;
    unsigned open_flags;
    mv_conn *conn;
    up_state state;
    bool answers_open;          /* its open reply answers the client's open */
    mv_header open_call;
    queued *q_head, *q_tail;    /* client packets waiting for UP_READY */
    mv_header *pending;         /* calls forwarded and not yet answered */
    unsigned npending, cap;
    bool holding_client;        /* client not read until we drain */
    bool held;                  /* we are not read until the client drains */
} upstream;

struct mv_relay {
    mv_client *client;
    upstream *ups[NDAEMONS];
    int primary;                /* daemon of the URI the client opened, or -1 */
    bool freeing;
};

static const mv_error lost_connection = {
    .code = MV_ERR_SYSTEM_ERROR,
    .domain = MV_FROM_RPC,
    .message = "End of file while reading data: Input/output error",
};

static int find_scheme(const char *scheme)
{
    for (unsigned i = 0; i < NDAEMONS; i++)
        if (strcmp(daemons[i].scheme, scheme) == 0)
            return i;
    return -1;
}

bool mv_relay_can_open(const char *scheme)
{
    return find_scheme(scheme) >= 0;
}

static char *socket_path(const mv_remote *r, unsigned index)
{
    char *path;

    if (asprintf(&path, "%s/%s-sock", r->cfg.socket_dir, daemons[index].name) < 0)
        return NULL;
    return path;
}

char *mv_relay_socket_path(const mv_remote *r, const char *uri)
{
    int index = find_scheme(strndupa(uri, strcspn(uri, ":")));

    return index < 0 ? NULL : socket_path(r, index);
}

char *mv_relay_probe_uri(const mv_remote *r)
{
    for (unsigned i = 0; i < NDAEMONS && daemons[i].owner == MV_OWNER_HYPERVISOR; i++) {
        _cleanup_free_ char *path = socket_path(r, i);

        if (path && access(path, F_OK) == 0)
            return mv_remote_default_uri(r, daemons[i].scheme);
    }
    return NULL;
}

static mv_relay *relay_of(mv_client *c)
{
    if (!c->relay) {
        c->relay = calloc(1, sizeof(*c->relay));
        if (!c->relay)
            return NULL;
        c->relay->client = c;
        c->relay->primary = -1;
    }
    return c->relay;
}

/*----- the upstream connection -----*/

static void send_packet(upstream *up, const mv_header *h, xdrproc_t xdr, void *body)
{
    mv_packet p;

    if (mv_packet_new(h, xdr, body, &p) < 0) {
        mv_conn_abort(up->conn, "cannot encode a call to the upstream daemon");
        return;
    }
    mv_conn_send(up->conn, p.data, p.len, 0);
    free(p.data);
}

static unsigned long long process_start_time(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long t = 0;
    _cleanup_close_ int fd = -1;
    ssize_t n;
    char *p;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
        return 0;
    buf[n] = '\0';
    /* Field 22; the command name (field 2) may contain anything up to
     * its last ')'. */
    p = strrchr(buf, ')');
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (p)
        sscanf(p + 1, "%llu", &t);
    return t;
}

typedef struct params {
    mv_typed_param p[MV_IDENTITY_PARAMS_MAX];
    unsigned n;
    char pw[1024], gr[1024];
} params;

static void add_string(params *ps, const char *field, char *value)
{
    if (!value)
        return;
    ps->p[ps->n].field = (char *)field;
    ps->p[ps->n].value.type = MV_TYPED_PARAM_STRING;
    ps->p[ps->n].value.mv_typed_param_value_u.s = value;
    ps->n++;
}

static void add_number(params *ps, const char *field, int type, unsigned long long v)
{
    ps->p[ps->n].field = (char *)field;
    ps->p[ps->n].value.type = type;
    if (type == MV_TYPED_PARAM_LLONG)
        ps->p[ps->n].value.mv_typed_param_value_u.l = (long long)v;
    else
        ps->p[ps->n].value.mv_typed_param_value_u.ul = v;
    ps->n++;
}

/* The client's identity as CONNECT_SET_IDENTITY parameters; the names of
 * its user and group are looked up when the peer did not give them. */
static void identity_params(const mv_identity *id, params *ps)
{
    struct passwd pwd, *pwr = NULL;
    struct group grp, *grr = NULL;
    char *user = id->user_name, *group = id->group_name;

    ps->n = 0;
    if (id->uid != (uid_t)-1) {
        if (!user && getpwuid_r(id->uid, &pwd, ps->pw, sizeof(ps->pw), &pwr) == 0 && pwr)
            user = pwr->pw_name;
        add_string(ps, "user-name", user);
        add_number(ps, "unix-user-id", MV_TYPED_PARAM_ULLONG, id->uid);
    }
    if (id->gid != (gid_t)-1) {
        if (!group && getgrgid_r(id->gid, &grp, ps->gr, sizeof(ps->gr), &grr) == 0 && grr)
            group = grr->gr_name;
        add_string(ps, "group-name", group);
        add_number(ps, "unix-group-id", MV_TYPED_PARAM_ULLONG, id->gid);
    }
    if (id->pid > 0) {
        unsigned long long t = id->process_time ? id->process_time : process_start_time(id->pid);

        add_number(ps, "process-id", MV_TYPED_PARAM_LLONG, (unsigned long long)id->pid);
        if (t)
            add_number(ps, "process-time", MV_TYPED_PARAM_ULLONG, t);
    }
    add_string(ps, "sasl-user-name", id->sasl_user_name);
    add_string(ps, "x509-distinguished-name", id->x509_dname);
    add_string(ps, "selinux-context", id->selinux_context);
}

static void send_identity(upstream *up)
{
    params ps;
    mv_connect_set_identity_args args = { 0 };
    mv_header h = mv_remote_header(MV_PROC_CONNECT_SET_IDENTITY, MV_MESSAGE_CALL, 0);

    identity_params(&up->relay->client->sess->identity, &ps);
    args.params.params_len = ps.n;
    args.params.params_val = ps.p;
    send_packet(up, &h, (xdrproc_t)xdr_mv_connect_set_identity_args, &args);
}

static void send_open(upstream *up)
{
    char *name = up->uri;
    mv_connect_open_args args = { .name = &name, .flags = up->open_flags };
    mv_header h = up->answers_open ? up->open_call
                                   : mv_remote_header(MV_PROC_CONNECT_OPEN, MV_MESSAGE_CALL, 0);

    send_packet(up, &h, (xdrproc_t)xdr_mv_connect_open_args, &args);
}

/* Answer every call the upstream owed with err (NULL: the client is gone)
 * and drop what waits to be sent; queued calls are among those owed. */
static void fail_calls(upstream *up, const mv_error *err)
{
    for (unsigned i = 0; err && i < up->npending; i++)
        mv_client_send_error(up->relay->client, &up->pending[i], err);
    up->npending = 0;
    for (queued *q = up->q_head, *next; q; q = next) {
        next = q->next;
        free(q);
    }
    up->q_head = up->q_tail = NULL;
}

static void flush_queue(upstream *up)
{
    while (up->q_head) {
        queued *q = up->q_head;

        up->q_head = q->next;
        if (!up->q_head)
            up->q_tail = NULL;
        mv_conn_send(up->conn, q->data, q->len, 0);
        free(q);
    }
}

/* Hold the upstream while the client has too much to write. */
static void forward_to_client(upstream *up, const uint8_t *pkt, size_t len, unsigned flags)
{
    mv_client *c = up->relay->client;
    const mv_server_config *cfg = mv_server_get_config(c->remote->server);

    mv_conn_send(c->conn, pkt, len, flags);
    if (!up->held && mv_conn_queued(c->conn) > cfg->client_out_soft) {
        up->held = true;
        mv_conn_hold(up->conn, true);
    }
}

static bool take_pending(upstream *up, uint32_t serial)
{
    for (unsigned i = 0; i < up->npending; i++) {
        if (up->pending[i].serial != serial)
            continue;
        up->pending[i] = up->pending[--up->npending];
        return true;
    }
    return false;
}

static void on_open_reply(upstream *up, const mv_header *h, const uint8_t *pkt, size_t len)
{
    mv_client *c = up->relay->client;
    mv_error err;

    if (up->answers_open) {
        /* Same serial and procedure as the client's own open: its answer.
         * Anything else would leave the client waiting for its open: the
         * upstream is broken, and closing it answers the open with an error. */
        if (h->prog != up->open_call.prog || h->proc != up->open_call.proc ||
            h->serial != up->open_call.serial) {
            mv_conn_close(up->conn, "the upstream daemon answered another call than connect open");
            return;
        }
        c->opening = false;
        if (h->status == MV_STATUS_OK) {
            bool ro = up->open_flags & MV_CONNECT_RO;

            if (mv_client_update_session(c, up->uri, &ro, NULL) < 0) {
                mv_client_fail_call(c, &up->open_call, -ENOMEM);
                mv_conn_close(up->conn, NULL);
                return;
            }
            up->state = UP_READY;
            mv_client_opened(c);
            mv_client_send_reply(c, pkt, len);
        } else {
            mv_client_send_reply(c, pkt, len);
            mv_conn_close(up->conn, NULL);
        }
        return;
    }
    if (h->status == MV_STATUS_OK) {
        up->state = UP_READY;
        flush_queue(up);
        return;
    }
    if (mv_packet_error(pkt, len, &err) < 0)
        err = lost_connection;
    fail_calls(up, &err);
    mv_conn_close(up->conn, NULL);
}

static void on_upstream_packet(mv_conn *conn, const uint8_t *pkt, size_t len)
{
    upstream *up = mv_conn_data(conn);
    mv_error err;
    mv_header h;

    mv_header_decode(pkt + MV_MESSAGE_LEN_SIZE, &h);
    switch (up->state) {
    case UP_IDENTITY:
        if (h.type != MV_MESSAGE_REPLY)
            break;
        if (h.status != MV_STATUS_OK) {
            if (mv_packet_error(pkt, len, &err) < 0)
                err = lost_connection;
            log_warn("%s refused the identity of connection %d: %s",
                     daemons[up->index].name, mv_conn_fd(up->relay->client->conn), err.message);
            if (up->answers_open) {
                up->relay->client->opening = false;
                mv_client_send_error(up->relay->client, &up->open_call, &err);
            }
            fail_calls(up, &err);
            mv_conn_close(conn, NULL);
            return;
        }
        up->state = UP_OPEN;
        send_open(up);
        return;
    case UP_OPEN:
        if (h.type == MV_MESSAGE_REPLY)
            on_open_reply(up, &h, pkt, len);
        return;
    case UP_READY:
        switch (h.type) {
        case MV_MESSAGE_REPLY:
            if (take_pending(up, h.serial))
                forward_to_client(up, pkt, len, MV_SEND_REPLY);
            else
                log_warn("%s answered serial %u, which nobody asked", daemons[up->index].name,
                         h.serial);
            return;
        case MV_MESSAGE_ASYNC:
        case MV_MESSAGE_STREAM:
        case MV_MESSAGE_STREAM_HOLE:
            forward_to_client(up, pkt, len, 0);
            return;
        default:
            break;
        }
        break;
    }
    log_warn("dropping an unexpected packet (type %u) from %s", h.type, daemons[up->index].name);
}

static void on_upstream_drained(mv_conn *conn)
{
    upstream *up = mv_conn_data(conn);

    if (up->holding_client) {
        up->holding_client = false;
        mv_conn_hold(up->relay->client->conn, false);
    }
}

static void send_connection_closed(mv_client *c)
{
    mv_connect_event_connection_closed_msg msg = { .reason = 1 /* VIR_CONNECT_CLOSE_REASON_EOF */ };

    mv_client_send_event(c, MV_PROC_CONNECT_EVENT_CONNECTION_CLOSED,
                         (xdrproc_t)xdr_mv_connect_event_connection_closed_msg, &msg);
}

static void upstream_free(upstream *up)
{
    /* Calls still owed are answered, if the client is there to hear it. */
    fail_calls(up, up->relay->client->closed ? NULL : &lost_connection);
    free(up->pending);
    free(up->uri);
    free(up);
}

static void on_upstream_closed(mv_conn *conn)
{
    upstream *up = mv_conn_data(conn);
    mv_relay *relay = up->relay;
    mv_client *c = relay->client;

    relay->ups[up->index] = NULL;
    if (relay->freeing) {
        upstream_free(up);
        return;
    }
    if (up->holding_client)
        mv_conn_hold(c->conn, false);
    if (up->answers_open && up->state != UP_READY && c->opening) {
        c->opening = false;
        mv_client_send_error(c, &up->open_call, &lost_connection);
    }
    /* Whatever it owed, it will never answer. */
    fail_calls(up, &lost_connection);
    if (up->state == UP_READY) {
        /* The daemon went away under a client that was using it. */
        log_warn("%s closed the connection of client %d", daemons[up->index].name,
                 mv_conn_fd(c->conn));
        if (c->close_callback)
            send_connection_closed(c);
        mv_conn_close_when_flushed(c->conn);
    }
    upstream_free(up);
}

static const mv_conn_ops upstream_ops = {
    .packet = on_upstream_packet,
    .drained = on_upstream_drained,
    .closed = on_upstream_closed,
};

int mv_relay_connect(const char *path, int *ret_fd)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    _cleanup_close_ int fd = -1;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    /* A unix connect completes at once, or fails at once when the
     * daemon's backlog is full: the loop never waits here. */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return -errno;
    *ret_fd = TAKE_FD(fd);
    return 0;
}

static int open_upstream(mv_client *c, unsigned index, const char *uri, unsigned flags,
                         const mv_header *open_call, upstream **ret)
{
    mv_relay *relay = relay_of(c);
    _cleanup_free_ char *path = socket_path(c->remote, index);
    upstream *up;
    int fd = -1, r;

    if (!relay || !path)
        return -ENOMEM;
    r = mv_relay_connect(path, &fd);
    if (r == -ENOENT || r == -ECONNREFUSED)
        return mv_error_report(r, MV_ERR_NO_CONNECT, MV_FROM_NONE,
                               "%s: %s is not running on this host (no socket %s)",
                               uri, daemons[index].name, path);
    if (r < 0)
        return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_RPC,
                               "Failed to connect socket to '%s': %s", path, strerror(-r));
    up = calloc(1, sizeof(*up));
    if (!up || !(up->uri = strdup(uri))) {
        free(up);
        close(fd);
        return -ENOMEM;
    }
    r = mv_server_connect(c->remote->server, fd, &up->conn);
    if (r < 0) {
        free(up->uri);
        free(up);
        return r;
    }
    up->relay = relay;
    up->index = index;
    up->open_flags = flags;
    if (open_call) {
        up->answers_open = true;
        up->open_call = *open_call;
    }
    relay->ups[index] = up;
    mv_conn_start(up->conn, &upstream_ops, up);
    send_identity(up);
    if (ret)
        *ret = up;
    return 0;
}

/*----- what dispatch calls -----*/

int mv_relay_open(mv_call *call, const char *uri, unsigned flags)
{
    mv_client *c = call->client;
    int index = find_scheme(strndupa(uri, strcspn(uri, ":")));
    int r;

    if (index < 0)
        return mv_error_report(-ENOENT, MV_ERR_NO_CONNECT, MV_FROM_NONE, "%s", uri);
    r = open_upstream(c, index, uri, flags, &call->hdr, NULL);
    if (r < 0)
        return r;
    c->relay->primary = index;
    c->opening = true;
    return MV_CALL_ASYNC;
}

/* Which daemon owns the procedures of owner, for this client. */
static int target_of(const mv_client *c, mv_owner owner)
{
    if (owner == MV_OWNER_HYPERVISOR)
        return c->relay ? c->relay->primary : -1;
    /* A client that opened this subsystem's URI uses that connection. */
    if (c->relay && c->relay->primary >= 0 && daemons[c->relay->primary].owner == owner)
        return c->relay->primary;
    for (unsigned i = 0; i < NDAEMONS; i++)
        if (daemons[i].owner == owner)
            return i;
    return -1;
}

static void queue_packet(upstream *up, const uint8_t *pkt, size_t len)
{
    queued *q = malloc(sizeof(*q) + len);

    if (!q) {
        mv_conn_abort(up->relay->client->conn, "out of memory queueing a relayed call");
        return;
    }
    q->next = NULL;
    q->len = len;
    memcpy(q->data, pkt, len);
    if (up->q_tail)
        up->q_tail->next = q;
    else
        up->q_head = q;
    up->q_tail = q;
}

static int add_pending(upstream *up, const mv_header *h)
{
    if (up->npending == up->cap) {
        unsigned cap = up->cap ? up->cap * 2 : 8;
        mv_header *n;

        if (cap > PENDING_MAX)
            return -ENOBUFS;
        n = realloc(up->pending, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        up->pending = n;
        up->cap = cap;
    }
    up->pending[up->npending++] = *h;
    return 0;
}

void mv_relay_forward(mv_client *c, mv_owner owner, const mv_header *h,
                      const uint8_t *pkt, size_t len)
{
    const mv_server_config *cfg = mv_server_get_config(c->remote->server);
    int index = target_of(c, owner);
    bool call = h->type == MV_MESSAGE_CALL;
    upstream *up;
    int r;

    if (index < 0) {
        if (call)
            mv_client_fail_call(c, h, mv_error_report(-ENOTSUP, MV_ERR_NO_SUPPORT, MV_FROM_NONE,
                                                      "%s", mv_routes[h->proc].api));
        return;
    }
    up = c->relay ? c->relay->ups[index] : NULL;
    if (!up) {
        _cleanup_free_ char *uri = mv_remote_default_uri(c->remote, daemons[index].scheme);

        mv_error_reset();
        r = uri ? open_upstream(c, index, uri, c->sess->readonly ? MV_CONNECT_RO : 0, NULL, &up)
                : -ENOMEM;
        if (r < 0) {
            if (call)
                mv_client_fail_call(c, h, r);
            return;
        }
    }
    if (call && (r = add_pending(up, h)) < 0) {
        mv_conn_abort(c->conn, "too many relayed calls in flight");
        return;
    }
    if (up->state != UP_READY) {
        queue_packet(up, pkt, len);
        return;
    }
    mv_conn_send(up->conn, pkt, len, 0);
    if (!up->holding_client && mv_conn_queued(up->conn) > cfg->client_out_soft) {
        up->holding_client = true;
        mv_conn_hold(c->conn, true);
    }
}

void mv_relay_client_drained(mv_client *c)
{
    if (!c->relay)
        return;
    for (unsigned i = 0; i < NDAEMONS; i++) {
        upstream *up = c->relay->ups[i];

        if (up && up->held) {
            up->held = false;
            mv_conn_hold(up->conn, false);
        }
    }
}

void mv_relay_free(mv_client *c)
{
    mv_relay *relay = c->relay;

    if (!relay)
        return;
    relay->freeing = true;
    for (unsigned i = 0; i < NDAEMONS; i++)
        if (relay->ups[i])
            mv_conn_close(relay->ups[i]->conn, NULL);
    free(relay);
    c->relay = NULL;
}
