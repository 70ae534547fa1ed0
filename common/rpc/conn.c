#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rpc/conn_priv.h"
#include "rpc/message.h"
#include "util/log.h"

#define RBUF_INITIAL 4096

typedef struct outbuf {
    struct outbuf *next;
    size_t len;
    size_t off;
    bool reply;
    uint8_t data[];
} outbuf;

struct mv_conn {
    int refs;
    int fd;
    mv_transport *transport;
    sd_event *event;
    sd_event_source *io;
    sd_event_source *resume;        /* deferred: packets already buffered */
    sd_event_source *keepalive;
    sd_event_source *deadline;
    const char *deadline_why;
    mv_conn_limits limits;
    mv_readmem *mem;
    mv_peer peer;

    const mv_conn_ops *ops;
    void *data;
    mv_conn_watch watch;

    bool started;
    bool closed;
    bool want_close;
    bool above_soft;                /* queued output went past out_soft */
    bool in_input;                  /* process_input is on the stack */
    const char *broken;             /* a send failed: close from the loop */
    size_t unread_off;              /* in a packet callback: the end of its packet */
    unsigned holds;

    uint8_t *rbuf;
    size_t rlen;
    size_t rcap;

    outbuf *out_head, *out_tail;
    size_t queued;
    unsigned in_flight;

    uint64_t last_rx;               /* CLOCK_MONOTONIC usec */
    unsigned keepalive_left;
};

static uint64_t now_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + ts.tv_nsec / 1000;
}

void mv_conn_ref(mv_conn *c)
{
    c->refs++;
}

static void release_rbuf(mv_conn *c)
{
    if (c->rcap > RBUF_INITIAL)
        c->mem->used -= c->rcap - RBUF_INITIAL;
    free(c->rbuf);
    c->rbuf = NULL;
    c->rcap = c->rlen = 0;
}

void mv_conn_unref(mv_conn *c)
{
    if (!c || --c->refs > 0)
        return;
    release_rbuf(c);
    free(c);
}

static bool can_read(const mv_conn *c)
{
    if (c->closed || c->broken || c->want_close || c->holds > 0 || !c->started)
        return false;
    if (c->limits.max_requests && c->in_flight >= c->limits.max_requests)
        return false;
    return c->queued <= c->limits.out_soft;
}

/* A whole packet waits in the buffer (or a malformed length, which
 * processing will refuse). */
static bool packet_buffered(const mv_conn *c)
{
    uint32_t len;

    if (c->rlen < MV_MESSAGE_LEN_SIZE)
        return false;
    return mv_packet_length(c->rbuf, &len) < 0 || c->rlen >= len;
}

static void update_events(mv_conn *c)
{
    uint32_t events = 0;

    if (c->closed)
        return;
    if (c->broken || (c->want_close && !c->out_head)) {
        /* Closed from the loop, never under whoever got us here. */
        sd_event_source_set_io_events(c->io, 0);
        sd_event_source_set_enabled(c->resume, SD_EVENT_ONESHOT);
        return;
    }
    if (can_read(c)) {
        events |= EPOLLIN;
        /* Whole packets may already wait in the buffer, or inside the
         * transport: no readiness will announce them.  (While input is
         * being processed, its own loop gets to them.) */
        if (!c->in_input &&
            (packet_buffered(c) || c->transport->ops->pending(c->transport)))
            sd_event_source_set_enabled(c->resume, SD_EVENT_ONESHOT);
    }
    if (c->out_head)
        events |= EPOLLOUT;
    sd_event_source_set_io_events(c->io, events);
}

void mv_conn_close(mv_conn *c, const char *why)
{
    if (c->closed)
        return;
    if (why)
        log_warn("closing connection %d: %s", c->fd, why);
    c->closed = true;
    c->io = sd_event_source_disable_unref(c->io);
    c->resume = sd_event_source_disable_unref(c->resume);
    c->keepalive = sd_event_source_disable_unref(c->keepalive);
    c->deadline = sd_event_source_disable_unref(c->deadline);
    c->transport->ops->free(c->transport);
    c->transport = NULL;
    close(c->fd);
    for (outbuf *o = c->out_head, *next; o; o = next) {
        next = o->next;
        free(o);
    }
    c->out_head = c->out_tail = NULL;
    c->queued = 0;
    release_rbuf(c);
    if (c->ops && c->ops->closed)
        c->ops->closed(c);
    if (c->watch.gone)
        c->watch.gone(c, c->watch.data);
    mv_conn_unref(c);           /* the reference of the open socket */
}

void mv_conn_close_when_flushed(mv_conn *c)
{
    c->want_close = true;
    update_events(c);
}

bool mv_conn_is_closed(const mv_conn *c)
{
    return c->closed;
}

/* A reply is out: one call less in flight.  True when that makes the
 * connection readable again. */
static bool reply_written(mv_conn *c)
{
    bool was_full = c->limits.max_requests && c->in_flight >= c->limits.max_requests;

    if (c->in_flight > 0)
        c->in_flight--;
    return was_full;
}

/* Write queued output; returns false if the connection was closed. */
static bool flush(mv_conn *c)
{
    while (c->out_head) {
        outbuf *o = c->out_head;
        ssize_t n = c->transport->ops->write(c->transport, o->data + o->off, o->len - o->off);

        if (n == -EAGAIN)
            break;
        if (n < 0) {
            mv_conn_close(c, "write failed");
            return false;
        }
        o->off += n;
        c->queued -= n;
        if (o->off < o->len)
            break;
        c->out_head = o->next;
        if (!c->out_head)
            c->out_tail = NULL;
        if (o->reply)
            reply_written(c);
        free(o);
    }
    if (c->above_soft && c->queued <= c->limits.out_soft) {
        c->above_soft = false;
        if (c->ops && c->ops->drained) {
            c->ops->drained(c);
            if (c->closed)
                return false;
        }
    }
    return true;
}

/* Sending never closes the connection under its caller (who may be in
 * the middle of walking its own state): the loop closes it next. */
static int break_conn(mv_conn *c, const char *why, int r)
{
    c->broken = why;
    update_events(c);
    return r;
}

/* What broken holds for an abort that is an ordinary end. */
static const char quiet_end[] = "";

void mv_conn_abort(mv_conn *c, const char *why)
{
    if (!c->closed && !c->broken)
        break_conn(c, why ? why : quiet_end, 0);
}

int mv_conn_send(mv_conn *c, const uint8_t *pkt, size_t len, unsigned flags)
{
    size_t off = 0;
    outbuf *o;

    if (c->closed || c->broken)
        return -ENOTCONN;
    if (!c->out_head) {
        ssize_t n = c->transport->ops->write(c->transport, pkt, len);

        if (n < 0 && n != -EAGAIN)
            return break_conn(c, "write failed", -EPIPE);
        if (n > 0)
            off = n;
        if (off == len) {
            /* Reading resumes here only if the limit had stopped it, and
             * not while input is being processed (its loop goes on). */
            if ((flags & MV_SEND_REPLY) && reply_written(c) && !c->in_input)
                update_events(c);
            return 0;
        }
    } else if (c->queued + len > c->limits.out_hard) {
        /* One packet of any size may always wait; beyond that the peer
         * is not reading what it asked for. */
        return break_conn(c, "too much output queued: the peer does not read", -ENOBUFS);
    }
    o = malloc(sizeof(*o) + len - off);
    if (!o)
        return break_conn(c, "out of memory queueing a packet", -ENOMEM);
    *o = (outbuf){ .len = len - off, .reply = flags & MV_SEND_REPLY };
    memcpy(o->data, pkt + off, len - off);
    if (c->out_tail)
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
    c->queued += o->len;
    if (c->queued > c->limits.out_soft)
        c->above_soft = true;
    update_events(c);
    return 0;
}

void mv_conn_hold(mv_conn *c, bool hold)
{
    if (hold)
        c->holds++;
    else if (c->holds > 0)
        c->holds--;
    update_events(c);
}

/*----- keepalive -----*/

static void send_keepalive(mv_conn *c, int proc)
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
    mv_conn_send(c, buf, sizeof(buf), 0);
}

static bool handle_keepalive(mv_conn *c, const uint8_t *pkt)
{
    mv_header h;

    if (mv_be32(pkt + MV_MESSAGE_LEN_SIZE) != MV_KEEPALIVE_PROGRAM)
        return false;
    mv_header_decode(pkt + MV_MESSAGE_LEN_SIZE, &h);
    if (h.type == MV_MESSAGE_ASYNC && h.proc == MV_KEEPALIVE_PROC_PING)
        send_keepalive(c, MV_KEEPALIVE_PROC_PONG);
    /* A PONG needs nothing more: every packet already reset the countdown. */
    return true;
}

static int on_keepalive_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
    mv_conn *c = userdata;
    uint64_t interval = (uint64_t)c->limits.keepalive_interval * 1000000u;

    if (usec - c->last_rx >= interval) {
        if (c->keepalive_left == 0) {
            mv_conn_close(c, "connection closed due to keepalive timeout");
            return 0;
        }
        c->keepalive_left--;
        send_keepalive(c, MV_KEEPALIVE_PROC_PING);    /* never closes under us */
        sd_event_source_set_time(s, usec + interval);
        return 0;
    }
    sd_event_source_set_time(s, c->last_rx + interval);
    return 0;
}

void mv_conn_start_keepalive(mv_conn *c)
{
    int interval = c->limits.keepalive_interval;

    if (interval <= 0 || c->keepalive || c->closed)
        return;
    c->keepalive_left = c->limits.keepalive_count;
    if (sd_event_add_time(c->event, &c->keepalive, CLOCK_MONOTONIC,
                          now_usec() + (uint64_t)interval * 1000000u, 0,
                          on_keepalive_timer, c) < 0)
        log_warn("cannot start keepalive for connection %d", c->fd);
    else
        sd_event_source_set_enabled(c->keepalive, SD_EVENT_ON);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata)
{
    mv_conn *c = userdata;

    mv_conn_close(c, c->deadline_why);
    return 0;
}

void mv_conn_set_deadline(mv_conn *c, uint64_t usec, const char *why)
{
    if (c->closed)
        return;
    c->deadline = sd_event_source_disable_unref(c->deadline);
    c->deadline_why = why;
    if (usec && sd_event_add_time_relative(c->event, &c->deadline, CLOCK_MONOTONIC, usec, 0,
                                           on_deadline, c) < 0)
        log_warn("cannot arm a deadline for connection %d", c->fd);
}

/*----- input -----*/

/* Make room for a packet of len bytes, from the shared budget. */
static int grow_rbuf(mv_conn *c, size_t len)
{
    size_t extra = len - c->rcap;
    uint8_t *n;

    if (c->mem->used + extra > c->mem->max)
        return -ENOBUFS;
    n = realloc(c->rbuf, len);
    if (!n)
        return -ENOMEM;
    c->rbuf = n;
    c->mem->used += extra;
    c->rcap = len;
    return 0;
}

static void shrink_rbuf(mv_conn *c)
{
    uint8_t *n;

    if (c->rcap <= RBUF_INITIAL || c->rlen > RBUF_INITIAL)
        return;
    n = realloc(c->rbuf, RBUF_INITIAL);
    if (!n)
        return;
    c->mem->used -= c->rcap - RBUF_INITIAL;
    c->rbuf = n;
    c->rcap = RBUF_INITIAL;
}

static void process_input(mv_conn *c)
{
    size_t pos = 0;

    c->in_input = true;
    while (can_read(c) && c->rlen - pos >= MV_MESSAGE_LEN_SIZE) {
        uint32_t len;
        int r;

        if (mv_packet_length(c->rbuf + pos, &len) < 0) {
            mv_conn_close(c, "malformed packet length");
            break;
        }
        if (c->rlen - pos < len) {
            if (len > c->rcap) {
                memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
                c->rlen -= pos;
                pos = 0;
                r = grow_rbuf(c, len);
                if (r < 0) {
                    mv_conn_close(c, r == -ENOBUFS ? "packet too large for the memory left "
                                                     "to all connections" :
                                                     "out of memory for a packet");
                    break;
                }
            }
            break;
        }
        if (!handle_keepalive(c, c->rbuf + pos)) {
            /* The header's fourth word is the message type. */
            uint32_t type = mv_be32(c->rbuf + pos + MV_MESSAGE_LEN_SIZE + 12);

            if (c->limits.max_requests &&
                (type == MV_MESSAGE_CALL || type == MV_MESSAGE_CALL_WITH_FDS))
                c->in_flight++;
            c->unread_off = pos + len;
            c->ops->packet(c, c->rbuf + pos, len);
            if (c->closed)
                break;
        }
        pos += len;
    }
    c->in_input = false;
    c->unread_off = 0;
    if (pos > 0 && !c->closed) {
        memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
        c->rlen -= pos;
        shrink_rbuf(c);
    }
}

static void read_input(mv_conn *c)
{
    ssize_t n;

    if (c->rlen == c->rcap)
        return;             /* a full buffer holds a whole packet: process it first */
    n = c->transport->ops->read(c->transport, c->rbuf + c->rlen, c->rcap - c->rlen);
    if (n == 0) {
        mv_conn_close(c, NULL);
        return;
    }
    if (n == -EAGAIN)
        return;
    if (n < 0) {
        mv_conn_close(c, "read failed");
        return;
    }
    c->rlen += n;
    c->last_rx = now_usec();
    c->keepalive_left = c->limits.keepalive_count;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    mv_conn *c = userdata;

    /* Anything below may close the connection; keep it until we are done. */
    mv_conn_ref(c);
    if ((revents & EPOLLOUT) && !flush(c))
        goto out;
    if ((revents & EPOLLIN) && can_read(c)) {
        read_input(c);
        if (!c->closed)
            process_input(c);
    } else if (revents & (EPOLLHUP | EPOLLERR) && !(revents & EPOLLIN)) {
        mv_conn_close(c, NULL);
    }
    update_events(c);
out:
    mv_conn_unref(c);
    return 0;
}

static int on_resume(sd_event_source *s, void *userdata)
{
    mv_conn *c = userdata;

    if (c->broken || (c->want_close && !c->out_head)) {
        mv_conn_close(c, c->broken == quiet_end ? NULL : c->broken);
        return 0;
    }
    mv_conn_ref(c);
    if (c->transport->ops->pending(c->transport))
        read_input(c);
    if (!c->closed)
        process_input(c);
    update_events(c);
    mv_conn_unref(c);
    return 0;
}

static void read_peer(mv_conn *c)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    c->peer = (mv_peer){ .uid = (uid_t)-1, .gid = (gid_t)-1 };
    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
        c->peer.known = true;
        c->peer.uid = cred.uid;
        c->peer.gid = cred.gid;
        c->peer.pid = cred.pid;
    }
    len = sizeof(c->peer.selinux_context) - 1;
    if (getsockopt(c->fd, SOL_SOCKET, SO_PEERSEC, c->peer.selinux_context, &len) == 0)
        c->peer.selinux_context[len] = '\0';
    else
        c->peer.selinux_context[0] = '\0';
}

int mv_conn_new(sd_event *event, int fd, mv_transport *t, const mv_conn_limits *limits,
                mv_readmem *mem, mv_conn **ret)
{
    mv_conn *c = calloc(1, sizeof(*c));
    int r;

    if (!c || !(c->rbuf = malloc(RBUF_INITIAL))) {
        free(c);
        t->ops->free(t);
        close(fd);
        return -ENOMEM;
    }
    c->refs = 1;
    c->fd = fd;
    c->transport = t;
    c->event = event;
    c->limits = *limits;
    c->mem = mem;
    c->rcap = RBUF_INITIAL;
    c->last_rx = now_usec();
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    read_peer(c);
    r = sd_event_add_io(event, &c->io, fd, 0, on_io, c);
    if (r >= 0)
        r = sd_event_add_defer(event, &c->resume, on_resume, c);
    if (r < 0) {
        c->io = sd_event_source_disable_unref(c->io);
        t->ops->free(t);
        close(fd);
        free(c->rbuf);
        free(c);
        return r;
    }
    sd_event_source_set_enabled(c->resume, SD_EVENT_OFF);
    *ret = c;
    return 0;
}

void mv_conn_start(mv_conn *c, const mv_conn_ops *ops, void *data)
{
    c->ops = ops;
    c->data = data;
    c->started = true;
    update_events(c);
}

void mv_conn_set_watch(mv_conn *c, const mv_conn_watch *w)
{
    c->watch = *w;
}

void *mv_conn_data(const mv_conn *c)
{
    return c->data;
}

int mv_conn_feed(mv_conn *c, const uint8_t *data, size_t len)
{
    int r;

    if (c->started || c->closed)
        return -EINVAL;
    if (c->rlen + len > c->rcap && (r = grow_rbuf(c, c->rlen + len)) < 0)
        return r;
    memcpy(c->rbuf + c->rlen, data, len);
    c->rlen += len;
    return 0;
}

const uint8_t *mv_conn_unread(const mv_conn *c, size_t *ret_len)
{
    *ret_len = c->rlen - c->unread_off;
    return c->rbuf + c->unread_off;
}

bool mv_conn_passable(const mv_conn *c)
{
    return !c->closed && !c->broken && mv_transport_is_plain_unix(c->transport);
}

int mv_conn_take_fd(mv_conn *c)
{
    int fd;

    if (c->closed)
        return -1;
    fd = c->transport->received_fd;
    c->transport->received_fd = -1;
    return fd;
}

bool mv_conn_keepalive_started(const mv_conn *c)
{
    return c->keepalive != NULL;
}

const mv_peer *mv_conn_peer(const mv_conn *c)
{
    return &c->peer;
}

bool mv_conn_secure(const mv_conn *c)
{
    return c->transport && c->transport->ops->secure(c->transport);
}

int mv_conn_fd(const mv_conn *c)
{
    return c->fd;
}

size_t mv_conn_queued(const mv_conn *c)
{
    return c->queued;
}

unsigned mv_conn_in_flight(const mv_conn *c)
{
    return c->in_flight;
}
