#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rpc/client.h"
#include "util/cleanup.h"
#include "util/log.h"

#define DRAIN_MAX_USEC (5u * 1000000u)   /* give replies this long on shutdown */

void mv_server_config_defaults(mv_server_config *cfg)
{
    *cfg = (mv_server_config){
        .max_clients = 5000,
        .min_workers = 5,
        .max_workers = 20,
        .prio_workers = 5,
        .max_client_requests = 5,
        .keepalive_interval = 5,
        .keepalive_count = 5,
        .idle_timeout = 0,
    };
}

static void set_accepting(mv_server *s, bool on)
{
    if (s->accepting == on)
        return;
    s->accepting = on;
    for (unsigned i = 0; i < s->nlisteners; i++)
        sd_event_source_set_enabled(s->listeners[i], on ? SD_EVENT_ON : SD_EVENT_OFF);
}

void mv_server_check_drained(mv_server *s)
{
    if (!s->shutting_down)
        return;
    if (s->workers && mv_workers_pending(s->workers) > 0)
        return;
    for (mv_client *c = s->clients; c; c = c->next)
        if (c->out_head)
            return;
    sd_event_exit(s->event, 0);
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

void mv_server_client_gone(mv_server *s, mv_client *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        s->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    s->nclients--;
    if (!s->shutting_down && s->nclients < s->cfg.max_clients)
        set_accepting(s, true);
    if (s->nclients == 0)
        arm_idle_timer(s);
    mv_server_check_drained(s);
}

int mv_server_add_client(mv_server *s, int fd, mv_listener_kind kind)
{
    mv_client *c;
    int r = mv_client_new(s, fd, kind, &c);

    if (r < 0)
        return r;
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->nclients++;
    if (s->idle_timer)
        sd_event_source_set_enabled(s->idle_timer, SD_EVENT_OFF);
    if (s->nclients >= s->cfg.max_clients)
        set_accepting(s, false);
    log_debug("new client %d uid %u pid %d", fd, (unsigned)c->conn.identity.uid,
              (int)c->conn.identity.pid);
    return 0;
}

typedef struct listener {
    mv_server *server;
    mv_listener_kind kind;
} listener;

static int on_listener(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
    listener *l = userdata;
    int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (cfd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            log_warn("accept failed: %m");
        return 0;
    }
    if (mv_server_add_client(l->server, cfd, l->kind) < 0) {
        log_warn("cannot set up a new client");
        close(cfd);
    }
    return 0;
}

int mv_server_add_listener(mv_server *s, int fd, mv_listener_kind kind)
{
    listener *l;
    int r;

    if (s->nlisteners >= ELEMENTSOF(s->listeners))
        return -E2BIG;
    l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    l->server = s;
    l->kind = kind;
    r = sd_event_add_io(s->event, &s->listeners[s->nlisteners], fd, EPOLLIN, on_listener, l);
    if (r < 0) {
        free(l);
        return r;
    }
    sd_event_source_set_io_fd_own(s->listeners[s->nlisteners], 1);
    sd_event_source_set_destroy_callback(s->listeners[s->nlisteners], free);
    s->nlisteners++;
    return 0;
}

int mv_server_new(sd_event *event, const mv_server_config *cfg, bool privileged,
                  mv_server **ret)
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
    s->privileged = privileged;
    s->accepting = true;
    if (s->cfg.max_workers > 0) {
        r = mv_workers_new(event, s->cfg.max_workers, &s->workers);
        if (r < 0) {
            mv_server_free(s);
            return r;
        }
    }
    arm_idle_timer(s);
    *ret = s;
    return 0;
}

void mv_server_set_hypervisor(mv_server *s, const mv_hypervisor_driver *drv)
{
    s->hypervisor = drv;
}

static int on_drain_timeout(sd_event_source *src, uint64_t usec, void *userdata)
{
    mv_server *s = userdata;

    log_warn("replies still pending after shutdown grace period, exiting anyway");
    sd_event_exit(s->event, 0);
    return 0;
}

void mv_server_shutdown(mv_server *s)
{
    uint64_t now;

    if (s->shutting_down)
        return;
    set_accepting(s, false);
    s->shutting_down = true;
    if (s->idle_timer)
        sd_event_source_set_enabled(s->idle_timer, SD_EVENT_OFF);
    sd_event_now(s->event, CLOCK_MONOTONIC, &now);
    sd_event_add_time(s->event, &s->drain_timer, CLOCK_MONOTONIC, now + DRAIN_MAX_USEC, 0,
                      on_drain_timeout, s);
    mv_server_check_drained(s);
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
        mv_client_close(s->clients, NULL);
    /* Joins the threads; their done callbacks drop the last client refs. */
    mv_workers_free(s->workers);
    for (unsigned i = 0; i < s->nlisteners; i++)
        sd_event_source_disable_unref(s->listeners[i]);
    sd_event_source_disable_unref(s->idle_timer);
    sd_event_source_disable_unref(s->drain_timer);
    sd_event_unref(s->event);
    free(s);
}
