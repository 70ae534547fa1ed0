/*
 * Handing a local client over: when a client of a relay (virtproxyd)
 * opens a URI on a plain unix socket, the relay gives the client's socket
 * itself to the daemon that owns the URI, instead of relaying every call
 * of the connection through itself.  The client never notices: the daemon
 * reads the CONNECT_OPEN the relay read, answers it, and serves the
 * connection from then on as one of its own, with the identity the kernel
 * gives for the socket (SO_PEERCRED names the client, not the relay) and
 * the kind of socket (read-write, read-only) the client came in through.
 *
 * A relayed call crosses two sockets and wakes three processes; a handed
 * over one is a direct call.  Clients the relay cannot hand over (a TLS
 * session lives in the relay; output still queued to the client; input
 * beyond what one handover carries) are relayed as before.
 *
 * Both ends live here: mv_handoff_try in the relay, mv_handoff_receive in
 * the daemon.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "remote/client.h"
#include "remote/dispatch.h"
#include "util/cleanup.h"
#include "util/log.h"

/*----- the relay's end -----*/

/* The handover call: the client's open, re-encoded as the client sent it,
 * followed by whatever the client sent after it. */
static int encode_handoff(mv_call *call, mv_connect_open_args *open_args, mv_packet *ret)
{
    mv_conn *conn = call->client->conn;
    mv_header h = {
        .prog = MV_HANDOFF_PROGRAM,
        .vers = MV_HANDOFF_VERSION,
        .proc = MV_HANDOFF_PROC,
        .type = MV_MESSAGE_CALL,
        .status = MV_STATUS_OK,
    };
    mv_handoff_args args = {
        .kind = call->client->listener.kind,
        .flags = mv_conn_keepalive_started(conn) ? MV_HANDOFF_KEEPALIVE : 0,
    };
    _cleanup_free_ uint8_t *input = NULL;
    const uint8_t *rest;
    size_t rest_len;
    mv_packet open;
    int r;

    rest = mv_conn_unread(conn, &rest_len);
    r = mv_packet_new(&call->hdr, (xdrproc_t)xdr_mv_connect_open_args, open_args, &open);
    if (r < 0)
        return r;
    if (open.len + rest_len > MV_HANDOFF_INPUT_MAX) {
        free(open.data);
        return -E2BIG;
    }
    input = malloc(open.len + rest_len);
    if (!input) {
        free(open.data);
        return -ENOMEM;
    }
    memcpy(input, open.data, open.len);
    memcpy(input + open.len, rest, rest_len);
    free(open.data);
    args.input.input_len = open.len + rest_len;
    args.input.input_val = (char *)input;
    return mv_packet_new(&h, (xdrproc_t)xdr_mv_handoff_args, &args, ret);
}

/* One sendmsg: the call and the client's socket together. */
static int send_with_fd(int sock, const mv_packet *p, int fd)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control = { 0 };
    struct iovec iov = { .iov_base = p->data, .iov_len = p->len };
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof(control.buf),
    };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    ssize_t n;

    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n < 0)
        return -errno;
    /* A fresh socket's buffer takes a whole handover; a part would leave
     * the daemon with half a call. */
    return (size_t)n == p->len ? 0 : -EAGAIN;
}

int mv_handoff_try(mv_call *call, const char *uri, mv_connect_open_args *open_args)
{
    mv_client *c = call->client;
    _cleanup_free_ char *path = NULL;
    _cleanup_close_ int sock = -1;
    mv_packet p;
    int r;

    /* Only a connection that is exactly where the daemon would start:
     * nothing owed to the client but this open, nothing relayed yet. */
    if (!c->remote->cfg.handoff || !mv_conn_passable(c->conn) ||
        mv_conn_queued(c->conn) > 0 || mv_conn_in_flight(c->conn) > 1 || c->relay ||
        c->nevents > 0)
        return 0;
    path = mv_relay_socket_path(c->remote, uri);
    if (!path)
        return 0;
    /* Anything that goes wrong before the daemon has the socket leaves
     * the client ours: relaying it reports a daemon that is not there. */
    if (mv_relay_connect(path, &sock) < 0)
        return 0;
    r = encode_handoff(call, open_args, &p);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return 0;
    r = send_with_fd(sock, &p, mv_conn_fd(c->conn));
    free(p.data);
    if (r < 0) {
        log_debug("cannot hand connection %d over to %s: %s", mv_conn_fd(c->conn), path,
                  strerror(-r));
        return 0;
    }
    log_debug("connection %d handed over to %s", mv_conn_fd(c->conn), path);
    /* The daemon holds the socket now; our copy goes, quietly, and the
     * open is answered over there. */
    c->opening = true;
    mv_conn_abort(c->conn, NULL);
    return MV_CALL_ASYNC;
}

/*----- the daemon's end -----*/

static bool is_unix_stream(int fd)
{
    int domain = 0, type = 0;
    socklen_t len = sizeof(int);

    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0)
        return false;
    len = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
        return false;
    return domain == AF_UNIX && type == SOCK_STREAM;
}

static int adopt(mv_client *c, const mv_handoff_args *args, int fd)
{
    mv_listener_opts opts = { .kind = args->kind, .auth = MV_AUTH_NONE };
    mv_conn *conn;
    int r;

    if (args->kind != MV_LISTENER_RW && args->kind != MV_LISTENER_RO) {
        close(fd);
        return mv_error_report(-EINVAL, MV_ERR_RPC, MV_FROM_RPC,
                               "cannot hand over a client of listener kind %d", args->kind);
    }
    if (!is_unix_stream(fd)) {
        close(fd);
        return mv_error_report(-EINVAL, MV_ERR_RPC, MV_FROM_RPC,
                               "the handed over descriptor is not a unix stream socket");
    }
    r = mv_server_adopt_client(c->remote->server, fd, &opts, (const uint8_t *)args->input.input_val,
                               args->input.input_len, &conn);
    if (r == -EBUSY)
        return mv_error_report(r, MV_ERR_RPC, MV_FROM_RPC,
                               "too many clients: the handed over client is refused");
    if (r < 0)
        return mv_error_report(r, MV_ERR_RPC, MV_FROM_RPC, "cannot take the handed over client");
    if (args->flags & MV_HANDOFF_KEEPALIVE)
        mv_conn_start_keepalive(conn);
    return 0;
}

void mv_handoff_receive(mv_client *c, const mv_header *h, const uint8_t *pkt, size_t len)
{
    _cleanup_close_ int fd = mv_conn_take_fd(c->conn);
    mv_handoff_args args = { 0 };
    mv_header reply = *h;
    mv_packet p;
    int r;

    mv_error_reset();
    if (h->type != MV_MESSAGE_CALL || h->vers != MV_HANDOFF_VERSION || h->proc != MV_HANDOFF_PROC)
        r = mv_error_report(-EINVAL, MV_ERR_RPC, MV_FROM_RPC,
                            "cannot find program %u version %u procedure %d", h->prog, h->vers,
                            h->proc);
    else if (!mv_client_trusted_relay(c))
        r = mv_error_report(-EPERM, MV_ERR_ACCESS_DENIED, MV_FROM_ACCESS,
                            "only a privileged relay may hand over a client");
    else if (mv_body_decode(pkt + MV_PACKET_MIN, len - MV_PACKET_MIN,
                            (xdrproc_t)xdr_mv_handoff_args, &args) < 0)
        r = mv_error_report(-EINVAL, MV_ERR_RPC, MV_FROM_RPC,
                            "cannot decode the arguments of a handover");
    else if (fd < 0)
        r = mv_error_report(-EINVAL, MV_ERR_RPC, MV_FROM_RPC,
                            "no socket came with the handed over client");
    else
        r = adopt(c, &args, TAKE_FD(fd));
    mv_body_free((xdrproc_t)xdr_mv_handoff_args, &args);
    if (r < 0) {
        log_warn("refused a client handed over on connection %d", mv_conn_fd(c->conn));
        mv_client_fail_call(c, h, r);
        return;
    }
    reply.type = MV_MESSAGE_REPLY;
    if (mv_packet_new(&reply, NULL, NULL, &p) < 0) {
        mv_conn_abort(c->conn, "cannot encode a reply");
        return;
    }
    mv_client_send_reply(c, p.data, p.len);
    free(p.data);
}
