#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rpc/conn_priv.h"
#include "rpc/server.h"
#include "util/log.h"

#define DRAIN_MAX_USEC (5u * 1000000u)   /* give replies this long on shutdown */
#define DRAIN_POLL_USEC (20u * 1000u)
#define MAX_LISTENERS 16

typedef struct listener {
    mv_server *server;
    mv_listener_opts opts;
    sd_event_source *source;
} listener;

/* A connection accepted by a listener. */
typedef struct client {
    struct client *prev, *next;
    mv_server *server;
    mv_conn *conn;
    unsigned bucket;            /* what it counts against */
} client;

struct mv_server {
    sd_event *event;
    mv_loop *loop;
    mv_workers *workers;
    mv_server_config cfg;
    mv_server_handler handler;
    mv_readmem readmem;
    bool shutting_down;
    listener *listeners[MAX_LISTENERS];
    unsigned nlisteners;
    client *clients;
    unsigned nclients;
    unsigned nbucket[MV_BUCKETS];
    sd_event_source *idle_timer;
    sd_event_source *drain_timer;
    uint64_t drain_until;
};

void mv_server_config_defaults(mv_server_config *cfg)
{
    *cfg = (mv_server_config){
        .max_clients = 5000,
        .max_workers = 20,
        .max_client_requests = 5,
        .keepalive_interval = 5,
        .keepalive_count = 5,
        .idle_timeout = 0,
        .client_out_soft = 256u << 10,
        .client_out_hard = 64u << 20,
        .read_memory_max = 512u << 20,
        .relay_uid = (uid_t)-1,
    };
}

/* A listener accepts while its kind has room and we are not stopping. */
static void update_listeners(mv_server *s)
{
    for (unsigned i = 0; i < s->nlisteners; i++) {
        listener *l = s->listeners[i];
        bool on = !s->shutting_down && s->nbucket[l->opts.kind] < s->cfg.max_clients;

        sd_event_source_set_enabled(l->source, on ? SD_EVENT_ON : SD_EVENT_OFF);
    }
}

static bool drained(mv_server *s)
{
    if (s->workers && mv_workers_pending(s->workers) > 0)
        return false;
    for (client *c = s->clients; c; c = c->next)
        if (mv_conn_queued(c->conn) > 0 || mv_conn_in_flight(c->conn) > 0)
            return false;
    return true;
}

static int on_drain_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
    mv_server *s = userdata;

    if (drained(s)) {
        sd_event_exit(s->event, 0);
        return 0;
    }
    if (usec >= s->drain_until) {
        log_warn("replies still pending after shutdown grace period, exiting anyway");
        sd_event_exit(s->event, 0);
        return 0;
    }
    sd_event_source_set_time(src, usec + DRAIN_POLL_USEC);
    sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
    return 0;
}

static int on_idle_timeout(sd_event_source *src, uint64_t usec, void *userdata)
{
    mv_server *s = userdata;

    if (s->nclients == 0) {
        log_info("no clients for %u seconds, exiting", s->cfg.idle_timeout);
        mv_server_shutdown(s);
    }
    return 0;
}

static void arm_idle_timer(mv_server *s)
{
    uint64_t now;

    if (!s->cfg.idle_timeout || s->shutting_down)
        return;
    sd_event_now(s->event, CLOCK_MONOTONIC, &now);
    now += (uint64_t)s->cfg.idle_timeout * 1000000u;
    if (s->idle_timer) {
        sd_event_source_set_time(s->idle_timer, now);
        sd_event_source_set_enabled(s->idle_timer, SD_EVENT_ONESHOT);
    } else if (sd_event_add_time(s->event, &s->idle_timer, CLOCK_MONOTONIC, now, 0,
                                 on_idle_timeout, s) < 0) {
        log_warn("cannot arm the idle timer");
    }
}

static void client_gone(mv_conn *conn, void *data)
{
    client *c = data;
    mv_server *s = c->server;

    if (c->prev)
        c->prev->next = c->next;
    else
        s->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nclients--;
    s->nbucket[c->bucket]--;
    update_listeners(s);
    if (s->nclients == 0)
        arm_idle_timer(s);
    free(c);
}

static mv_conn_limits client_limits(const mv_server *s)
{
    return (mv_conn_limits){
        .max_requests = s->cfg.max_client_requests,
        .out_soft = s->cfg.client_out_soft,
        .out_hard = s->cfg.client_out_hard,
        .keepalive_interval = s->cfg.keepalive_interval,
        .keepalive_count = s->cfg.keepalive_count,
    };
}

static int add_client(mv_server *s, int fd, const mv_listener_opts *opts, bool adopted,
                      const uint8_t *input, size_t len, mv_conn **ret)
{
    mv_conn_limits limits = client_limits(s);
    mv_transport *t;
    mv_conn *conn;
    client *c;
    int r;

    if (!s->handler.accept) {
        close(fd);
        return -ENOTCONN;
    }
    /* No listener gates a handed-over client: the same rules, here. */
    if (adopted && (s->shutting_down || s->nbucket[opts->kind] >= s->cfg.max_clients)) {
        close(fd);
        return -EBUSY;
    }
    c = calloc(1, sizeof(*c));
    r = c ? mv_transport_plain_new(fd, &t) : -ENOMEM;
    if (r < 0) {
        free(c);
        close(fd);
        return r;
    }
    r = mv_conn_new(s->event, fd, t, &limits, &s->readmem, &conn);
    if (r >= 0 && len > 0 && (r = mv_conn_feed(conn, input, len)) < 0)
        mv_conn_close(conn, NULL);
    if (r < 0) {
        free(c);
        return r;
    }
    c->server = s;
    c->conn = conn;
    c->bucket = opts->kind;
    /* A handed-over client counts as what it is, whoever handed it. */
    if (!adopted && opts->kind == MV_LISTENER_RW && s->cfg.relay_uid != (uid_t)-1 &&
        mv_conn_peer(conn)->uid == s->cfg.relay_uid)
        c->bucket = MV_BUCKET_RELAYED;
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->nclients++;
    s->nbucket[c->bucket]++;
    mv_conn_set_watch(conn, &(mv_conn_watch){ .gone = client_gone, .data = c });
    if (s->idle_timer)
        sd_event_source_set_enabled(s->idle_timer, SD_EVENT_OFF);
    update_listeners(s);
    log_debug("new connection %d uid %d pid %d", fd, (int)mv_conn_peer(conn)->uid,
              (int)mv_conn_peer(conn)->pid);
    /* The relay's share does not stop the listener (root uses it too).
     * It holds what a relay with our max_clients on each of its two
     * listeners can bring, so that a flood of its read-only clients never
     * takes the places of its read-write ones. */
    if (c->bucket == MV_BUCKET_RELAYED && s->nbucket[c->bucket] > 2 * s->cfg.max_clients) {
        mv_conn_close(conn, "too many connections from the relay");
        return -EBUSY;
    }
    r = s->handler.accept(s->handler.data, conn, opts);
    if (r < 0) {
        mv_conn_close(conn, "the program refused the connection");
        return r;
    }
    if (ret)
        *ret = conn;
    return 0;
}

int mv_server_add_client(mv_server *s, int fd, const mv_listener_opts *opts)
{
    return add_client(s, fd, opts, false, NULL, 0, NULL);
}

int mv_server_adopt_client(mv_server *s, int fd, const mv_listener_opts *opts,
                           const uint8_t *input, size_t len, mv_conn **ret)
{
    return add_client(s, fd, opts, true, input, len, ret);
}

int mv_server_connect(mv_server *s, int fd, mv_conn **ret)
{
    mv_conn_limits limits = client_limits(s);
    mv_transport *t;
    int r = mv_transport_plain_new(fd, &t);

    if (r < 0) {
        close(fd);
        return r;
    }
    /* Our own calls to another daemon: nothing to count, and replies
     * that wait for the client are the client's limit, not ours. */
    limits.max_requests = 0;
    limits.keepalive_interval = 0;
    return mv_conn_new(s->event, fd, t, &limits, &s->readmem, ret);
}

static int on_listener(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
    listener *l = userdata;
    int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (cfd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            log_warn("accept failed: %m");
        return 0;
    }
    if (mv_server_add_client(l->server, cfd, &l->opts) < 0)
        log_warn("cannot set up a new client");
    return 0;
}

int mv_server_add_listener(mv_server *s, int fd, const mv_listener_opts *opts)
{
    listener *l;
    int r;

    if (s->nlisteners >= MAX_LISTENERS)
        return -E2BIG;
    l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    l->server = s;
    l->opts = *opts;
    r = sd_event_add_io(s->event, &l->source, fd, EPOLLIN, on_listener, l);
    if (r < 0) {
        free(l);
        return r;
    }
    sd_event_source_set_io_fd_own(l->source, 1);
    s->listeners[s->nlisteners++] = l;
    update_listeners(s);
    return 0;
}

int mv_server_new(sd_event *event, const mv_server_config *cfg, mv_server **ret)
{
    mv_server *s = calloc(1, sizeof(*s));
    int r;

    if (!s)
        return -ENOMEM;
    s->event = sd_event_ref(event);
    s->cfg = *cfg;
    if (s->cfg.max_client_requests == 0)
        s->cfg.max_client_requests = 1;
    if (s->cfg.max_clients == 0)
        s->cfg.max_clients = 1;
    s->readmem.max = s->cfg.read_memory_max;
    r = mv_loop_new(event, &s->loop);
    if (r >= 0 && s->cfg.max_workers > 0)
        r = mv_workers_new(s->loop, s->cfg.max_workers, &s->workers);
    if (r < 0) {
        mv_server_free(s);
        return r;
    }
    arm_idle_timer(s);
    *ret = s;
    return 0;
}

void mv_server_set_handler(mv_server *s, const mv_server_handler *h)
{
    s->handler = *h;
}

sd_event *mv_server_event(mv_server *s)
{
    return s->event;
}

mv_loop *mv_server_loop(mv_server *s)
{
    return s->loop;
}

mv_workers *mv_server_workers(mv_server *s)
{
    return s->workers;
}

const mv_server_config *mv_server_get_config(const mv_server *s)
{
    return &s->cfg;
}

void mv_server_shutdown(mv_server *s)
{
    uint64_t now;

    if (s->shutting_down)
        return;
    s->shutting_down = true;
    update_listeners(s);
    if (s->idle_timer)
        sd_event_source_set_enabled(s->idle_timer, SD_EVENT_OFF);
    sd_event_now(s->event, CLOCK_MONOTONIC, &now);
    s->drain_until = now + DRAIN_MAX_USEC;
    if (sd_event_add_time(s->event, &s->drain_timer, CLOCK_MONOTONIC, now, 0,
                          on_drain_timer, s) < 0)
        sd_event_exit(s->event, 0);
}

unsigned mv_server_client_count(const mv_server *s)
{
    return s->nclients;
}

void mv_server_free(mv_server *s)
{
    if (!s)
        return;
    while (s->clients)
        mv_conn_close(s->clients->conn, NULL);
    /* Joins the threads and runs their done callbacks, which drop the
     * last references to the calls' clients. */
    mv_workers_free(s->workers);
    for (unsigned i = 0; i < s->nlisteners; i++) {
        sd_event_source_disable_unref(s->listeners[i]->source);
        free(s->listeners[i]);
    }
    sd_event_source_disable_unref(s->idle_timer);
    sd_event_source_disable_unref(s->drain_timer);
    mv_loop_free(s->loop);
    sd_event_unref(s->event);
    free(s);
}
