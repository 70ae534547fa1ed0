#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rpc/client.h"
#include "rpc/dispatch.h"
#include "util/log.h"

#define RBUF_INITIAL 4096
#define RBUF_KEEP (64 * 1024)     /* shrink back to RBUF_INITIAL above this */

static uint64_t now_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + ts.tv_nsec / 1000;
}

void mv_client_ref(mv_client *c)
{
    c->refs++;
}

void mv_client_unref(mv_client *c)
{
    if (--c->refs > 0)
        return;
    mv_identity_clear(&c->conn.identity);
    free(c->conn.uri);
    free(c->rbuf);
    free(c);
}

static void update_events(mv_client *c)
{
    uint32_t events = 0;

    if (c->closed)
        return;
    if (c->want_close && !c->out_head) {
        mv_client_close(c, NULL);
        return;
    }
    if (!c->want_close && c->inflight < c->server->cfg.max_client_requests)
        events |= EPOLLIN;
    if (c->out_head)
        events |= EPOLLOUT;
    sd_event_source_set_io_events(c->io, events);
}

void mv_client_close(mv_client *c, const char *why)
{
    if (c->closed)
        return;
    if (why)
        log_warn("closing client %d: %s", c->fd, why);
    c->closed = true;
    c->io = sd_event_source_disable_unref(c->io);
    c->keepalive = sd_event_source_disable_unref(c->keepalive);
    close(c->fd);
    c->fd = -1;
    for (mv_outbuf *o = c->out_head, *next; o; o = next) {
        next = o->next;
        free(o);
    }
    c->out_head = c->out_tail = NULL;
    c->conn.open = false;
    mv_server_client_gone(c->server, c);
    mv_client_unref(c);
}

/* Write queued output; returns false if the client was closed. */
static bool flush(mv_client *c)
{
    while (c->out_head) {
        mv_outbuf *o = c->out_head;
        ssize_t n = send(c->fd, o->data + o->off, o->len - o->off, MSG_NOSIGNAL);

        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return true;
            mv_client_close(c, "write failed");
            return false;
        }
        o->off += n;
        if (o->off < o->len)
            return true;
        c->out_head = o->next;
        if (!c->out_head)
            c->out_tail = NULL;
        free(o);
    }
    return true;
}

int mv_client_send(mv_client *c, const uint8_t *data, size_t len)
{
    size_t off = 0;
    mv_outbuf *o;

    if (c->closed)
        return -ENOTCONN;
    if (!c->out_head) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            mv_client_close(c, "write failed");
            return -EPIPE;
        }
        if (n > 0)
            off = n;
        if (off == len)
            return 0;
    }
    o = malloc(sizeof(*o) + len - off);
    if (!o) {
        mv_client_close(c, "out of memory queueing a reply");
        return -ENOMEM;
    }
    o->next = NULL;
    o->len = len - off;
    o->off = 0;
    memcpy(o->data, data + off, len - off);
    if (c->out_tail)
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
    update_events(c);
    return 0;
}

void mv_client_send_body(mv_client *c, const mv_header *h, xdrproc_t body_xdr, void *body)
{
    mv_packet p;

    if (mv_packet_new(h, body_xdr, body, &p) < 0) {
        mv_client_close(c, "cannot encode a message");
        return;
    }
    mv_client_send(c, p.data, p.len);
    free(p.data);
}

/*----- keepalive -----*/

static void send_keepalive(mv_client *c, int proc)
{
    mv_header h = {
        .prog = MV_KEEPALIVE_PROGRAM,
        .vers = MV_KEEPALIVE_VERSION,
        .proc = proc,
        .type = MV_MESSAGE_ASYNC,
        .serial = 0,
        .status = MV_STATUS_OK,
    };
    uint8_t buf[MV_PACKET_MIN];

    mv_packet_encode(&h, NULL, NULL, buf, sizeof(buf));
    mv_client_send(c, buf, sizeof(buf));
}

bool mv_client_handle_keepalive(mv_client *c, const mv_header *h)
{
    if (h->prog != MV_KEEPALIVE_PROGRAM)
        return false;
    if (h->type == MV_MESSAGE_ASYNC && h->proc == MV_KEEPALIVE_PROC_PING)
        send_keepalive(c, MV_KEEPALIVE_PROC_PONG);
    /* A PONG needs nothing more: every packet already reset the countdown. */
    return true;
}

static int on_keepalive_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
    mv_client *c = userdata;
    uint64_t interval = (uint64_t)c->server->cfg.keepalive_interval * 1000000u;

    if (usec - c->last_rx >= interval) {
        if (c->keepalive_left == 0) {
            mv_client_close(c, "connection closed due to keepalive timeout");
            return 0;
        }
        c->keepalive_left--;
        mv_client_ref(c);           /* sending may close and drop the client */
        send_keepalive(c, MV_KEEPALIVE_PROC_PING);
        if (!c->closed)
            sd_event_source_set_time(s, usec + interval);
        mv_client_unref(c);
        return 0;
    }
    sd_event_source_set_time(s, usec + interval);
    return 0;
}

void mv_client_start_keepalive(mv_client *c)
{
    int interval = c->server->cfg.keepalive_interval;

    if (interval <= 0 || c->keepalive || c->closed)
        return;
    c->keepalive_left = c->server->cfg.keepalive_count;
    if (sd_event_add_time(c->server->event, &c->keepalive, CLOCK_MONOTONIC,
                          now_usec() + (uint64_t)interval * 1000000u, 0,
                          on_keepalive_timer, c) < 0)
        log_warn("cannot start keepalive for client %d", c->fd);
    else
        sd_event_source_set_enabled(c->keepalive, SD_EVENT_ON);
}

/*----- input -----*/

static void process_input(mv_client *c)
{
    size_t pos = 0;

    mv_client_ref(c);
    while (!c->closed && !c->want_close &&
           c->inflight < c->server->cfg.max_client_requests &&
           c->rlen - pos >= MV_MESSAGE_LEN_SIZE) {
        uint32_t len;

        if (mv_packet_length(c->rbuf + pos, &len) < 0) {
            mv_client_close(c, "malformed packet length");
            break;
        }
        if (c->rlen - pos < len) {
            if (len > c->rcap) {
                /* Make room for the whole packet; move it to the front. */
                uint8_t *n;

                memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
                c->rlen -= pos;
                pos = 0;
                n = realloc(c->rbuf, len);
                if (!n) {
                    mv_client_close(c, "out of memory for a packet");
                    break;
                }
                c->rbuf = n;
                c->rcap = len;
            }
            break;
        }
        mv_dispatch_packet(c, c->rbuf + pos, len);
        pos += len;
    }
    if (!c->closed && pos > 0) {
        memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
        c->rlen -= pos;
        if (c->rlen == 0 && c->rcap > RBUF_KEEP) {
            uint8_t *n = realloc(c->rbuf, RBUF_INITIAL);
            if (n) {
                c->rbuf = n;
                c->rcap = RBUF_INITIAL;
            }
        }
    }
    update_events(c);
    mv_client_unref(c);
}

void mv_client_call_done(mv_client *c)
{
    c->inflight--;
    if (!c->closed)
        process_input(c);
    mv_server_check_drained(c->server);
}

static void handle_io(mv_client *c, uint32_t revents)
{
    if (revents & EPOLLOUT) {
        if (!flush(c))
            return;
        update_events(c);
        if (c->closed)
            return;
        if (!c->out_head)
            mv_server_check_drained(c->server);
    }
    if ((revents & EPOLLIN) && c->rlen == c->rcap) {
        process_input(c);   /* a full buffer only holds whole packets */
        return;
    }
    if (revents & EPOLLIN) {
        ssize_t n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);

        if (n == 0) {
            mv_client_close(c, NULL);
            return;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                mv_client_close(c, "read failed");
            return;
        }
        c->rlen += n;
        c->last_rx = now_usec();
        c->keepalive_left = c->server->cfg.keepalive_count;
        process_input(c);
        return;
    }
    if (revents & (EPOLLHUP | EPOLLERR))
        mv_client_close(c, NULL);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    mv_client *c = userdata;

    /* Anything below may close the client; keep it until we are done. */
    mv_client_ref(c);
    handle_io(c, revents);
    mv_client_unref(c);
    return 0;
}

static void read_peer_identity(mv_client *c)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
        c->conn.identity.uid = cred.uid;
        c->conn.identity.gid = cred.gid;
        c->conn.identity.pid = cred.pid;
        c->peer_uid = cred.uid;
    } else {
        c->peer_uid = (uid_t)-1;
        /* Unknown peer: nobody. */
        c->conn.identity.uid = (uid_t)-1;
        c->conn.identity.gid = (gid_t)-1;
    }
}

int mv_client_new(mv_server *s, int fd, mv_listener_kind kind, mv_client **ret)
{
    mv_client *c = calloc(1, sizeof(*c));
    int r;

    if (!c)
        return -ENOMEM;
    c->server = s;
    c->fd = fd;
    c->kind = kind;
    c->refs = 1;
    c->conn.readonly = kind == MV_LISTENER_RO;
    c->rcap = RBUF_INITIAL;
    c->rbuf = malloc(c->rcap);
    c->last_rx = now_usec();
    if (!c->rbuf) {
        free(c);
        return -ENOMEM;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    read_peer_identity(c);
    r = sd_event_add_io(s->event, &c->io, fd, EPOLLIN, on_io, c);
    if (r < 0) {
        free(c->rbuf);
        free(c);
        return r;
    }
    *ret = c;
    return 0;
}
