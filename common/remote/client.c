/*
 * The remote program as the server's connection handler: a client object
 * per accepted connection, its session snapshots, and sending replies.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "remote/client.h"
#include "remote/dispatch.h"
#include "util/cleanup.h"
#include "util/log.h"

void mv_client_ref(mv_client *c)
{
    c->refs++;
}

void mv_client_unref(mv_client *c)
{
    if (!c || --c->refs > 0)
        return;
    mv_session_unref(c->sess);
    mv_conn_unref(c->conn);
    free(c);
}

void mv_client_send_reply(mv_client *c, const uint8_t *pkt, size_t len)
{
    mv_conn_send(c->conn, pkt, len, MV_SEND_REPLY);
}

mv_header mv_remote_header(int proc, uint32_t type, uint32_t serial)
{
    return (mv_header){
        .prog = MV_REMOTE_PROGRAM,
        .vers = MV_REMOTE_VERSION,
        .proc = proc,
        .type = type,
        .serial = serial,
        .status = MV_STATUS_OK,
    };
}

void mv_client_send_error(mv_client *c, const mv_header *h, const mv_error *err)
{
    bool call = h->type == MV_MESSAGE_CALL || h->type == MV_MESSAGE_CALL_WITH_FDS;
    mv_packet p;

    if (mv_packet_new_error(h, err, &p) < 0) {
        mv_conn_abort(c->conn, "cannot encode an error reply");
        return;
    }
    mv_conn_send(c->conn, p.data, p.len, call ? MV_SEND_REPLY : 0);
    free(p.data);
}

void mv_client_fail_call(mv_client *c, const mv_header *h, int r)
{
    mv_error err;

    mv_error_resolve(r, &err);
    mv_client_send_error(c, h, &err);
}

void mv_client_send_event(mv_client *c, int proc, xdrproc_t msg_xdr, void *msg)
{
    mv_header h = mv_remote_header(proc, MV_MESSAGE_ASYNC, 0);
    mv_packet p;

    if (mv_packet_new(&h, msg_xdr, msg, &p) < 0) {
        log_warn("cannot encode event %d for connection %d", proc, mv_conn_fd(c->conn));
        return;
    }
    mv_conn_send(c->conn, p.data, p.len, 0);
    free(p.data);
}

int mv_client_update_session(mv_client *c, const char *uri, const bool *readonly,
                             mv_identity *identity_taken)
{
    const mv_session *old = c->sess;
    mv_session *s = calloc(1, sizeof(*s));

    if (!s)
        return -ENOMEM;
    s->refs = 1;
    s->readonly = readonly ? *readonly : old->readonly;
    uri = uri ? uri : old->uri;
    if ((uri && !(s->uri = strdup(uri))) ||
        (!identity_taken && mv_identity_copy(&old->identity, &s->identity) < 0)) {
        s->identity = (mv_identity){ 0 };
        mv_session_unref(s);
        return -ENOMEM;
    }
    if (identity_taken) {
        s->identity = *identity_taken;
        *identity_taken = (mv_identity){ .uid = (uid_t)-1, .gid = (gid_t)-1 };
    }
    mv_session_unref(c->sess);
    c->sess = s;
    return 0;
}

void mv_client_opened(mv_client *c)
{
    c->open = true;
    c->opening = false;
    mv_conn_set_deadline(c->conn, 0, NULL);
}

bool mv_client_trusted_relay(const mv_client *c)
{
    const mv_peer *peer = mv_conn_peer(c->conn);

    if (c->listener.kind != MV_LISTENER_RW || !peer->known)
        return false;
    for (unsigned i = 0; i < c->remote->cfg.n_trusted_relays; i++)
        if (peer->uid == c->remote->cfg.trusted_relays[i])
            return true;
    return false;
}

char *mv_remote_default_uri(const mv_remote *r, const char *scheme)
{
    char *uri;

    if (asprintf(&uri, "%s:///%s", scheme, r->cfg.privileged ? "system" : "session") < 0)
        return NULL;
    return uri;
}

static void on_packet(mv_conn *conn, const uint8_t *pkt, size_t len)
{
    mv_dispatch_packet(mv_conn_data(conn), pkt, len);
}

static void on_drained(mv_conn *conn)
{
    mv_relay_client_drained(mv_conn_data(conn));
}

static void on_closed(mv_conn *conn)
{
    mv_client *c = mv_conn_data(conn);
    mv_remote *r = c->remote;

    c->closed = true;
    if (c->prev)
        c->prev->next = c->next;
    else
        r->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    mv_events_client_gone(c);
    mv_relay_free(c);
    mv_client_unref(c);
}

static const mv_conn_ops client_ops = {
    .packet = on_packet,
    .drained = on_drained,
    .closed = on_closed,
};

static int new_session(const mv_peer *peer, bool readonly, mv_session **ret)
{
    mv_session *s = calloc(1, sizeof(*s));

    if (!s)
        return -ENOMEM;
    s->refs = 1;
    s->readonly = readonly;
    s->identity = (mv_identity){ .uid = peer->uid, .gid = peer->gid, .pid = peer->pid };
    if (peer->selinux_context[0] && !(s->identity.selinux_context = strdup(peer->selinux_context))) {
        free(s);
        return -ENOMEM;
    }
    *ret = s;
    return 0;
}

static int on_accept(void *data, mv_conn *conn, const mv_listener_opts *opts)
{
    mv_remote *r = data;
    mv_client *c = calloc(1, sizeof(*c));
    int rc;

    if (!c)
        return -ENOMEM;
    rc = new_session(mv_conn_peer(conn), opts->kind == MV_LISTENER_RO, &c->sess);
    if (rc < 0) {
        free(c);
        return rc;
    }
    c->refs = 1;                /* dropped when the connection closes */
    c->remote = r;
    c->listener = *opts;
    c->authenticated = opts->auth == MV_AUTH_NONE;
    mv_conn_ref(conn);
    c->conn = conn;
    c->next = r->clients;
    if (r->clients)
        r->clients->prev = c;
    r->clients = c;
    /* A connection that never opens holds a slot for nothing. */
    if (r->cfg.handshake_timeout_usec)
        mv_conn_set_deadline(conn, r->cfg.handshake_timeout_usec,
                             "no connect open within the handshake timeout");
    mv_conn_start(conn, &client_ops, c);
    return 0;
}

int mv_remote_new(mv_server *s, const mv_remote_config *cfg, mv_remote **ret)
{
    mv_remote *r = calloc(1, sizeof(*r));

    if (!r)
        return -ENOMEM;
    r->server = s;
    r->cfg = *cfg;
    r->next_event_id = cfg->event_id_base;
    mv_server_set_handler(s, &(mv_server_handler){ .accept = on_accept, .data = r });
    mv_events_attach(r);
    *ret = r;
    return 0;
}

void mv_remote_free(mv_remote *r)
{
    if (!r)
        return;
    mv_events_detach(r);
    free(r);
}
