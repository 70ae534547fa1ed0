#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "remote/events.h"
#include "util/log.h"

#define DOMAIN_EVENT_ID_LAST 27     /* virDomainEventID values below this exist */
#define ID_RANGE (1 << 24)          /* each daemon's ids: base .. base + ID_RANGE */

struct mv_event_reg {
    int callback_id;
    int event_id;
    bool has_uuid;
    unsigned char uuid[16];
};

/* The program events are delivered to: one per daemon. */
static mv_remote *active;

void mv_events_attach(mv_remote *r)
{
    active = r;
}

void mv_events_detach(mv_remote *r)
{
    if (active == r)
        active = NULL;
}

static int next_id(mv_remote *r)
{
    int id = r->next_event_id++;

    if (r->next_event_id >= r->cfg.event_id_base + ID_RANGE)
        r->next_event_id = r->cfg.event_id_base;
    return id;
}

int mv_events_register_domain(mv_client *c, int event_id, const unsigned char *uuid)
{
    mv_remote *r = c->remote;
    mv_event_reg *n;

    if (event_id < 0 || event_id >= DOMAIN_EVENT_ID_LAST)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_RPC,
                               "unsupported event ID %d", event_id);
    if (c->nevents >= r->cfg.max_event_callbacks)
        return mv_error_report(-ENOBUFS, MV_ERR_OPERATION_FAILED, MV_FROM_RPC,
                               "too many event callbacks on this connection (at most %u)",
                               r->cfg.max_event_callbacks);
    n = realloc(c->events, (c->nevents + 1) * sizeof(*n));
    if (!n)
        return -ENOMEM;
    c->events = n;
    n = &c->events[c->nevents++];
    *n = (mv_event_reg){ .callback_id = next_id(r), .event_id = event_id, .has_uuid = uuid != NULL };
    if (uuid)
        memcpy(n->uuid, uuid, sizeof(n->uuid));
    return n->callback_id;
}

int mv_events_deregister(mv_client *c, int callback_id)
{
    for (unsigned i = 0; i < c->nevents; i++) {
        if (c->events[i].callback_id != callback_id)
            continue;
        c->events[i] = c->events[--c->nevents];
        return 0;
    }
    return mv_error_report(-ENOENT, MV_ERR_INVALID_ARG, MV_FROM_RPC,
                           "domain event %d not registered", callback_id);
}

void mv_events_client_gone(mv_client *c)
{
    free(c->events);
    c->events = NULL;
    c->nevents = 0;
}

/*----- domain events -----*/

/* An event as posted to the loop: what it is, for whom, and its message
 * encoded once, without the callbackID that each registration puts first. */
typedef struct domain_event {
    int event_id;               /* virDomainEventID */
    int proc;                   /* the MESSAGE procedure it is sent as */
    unsigned char uuid[16];
    size_t len;
    uint8_t body[];
} domain_event;

static void send_domain_event(mv_client *c, const domain_event *e, int callback_id)
{
    mv_header h = mv_remote_header(e->proc, MV_MESSAGE_ASYNC, 0);
    size_t len = MV_PACKET_MIN + 4 + e->len;
    uint8_t *pkt = malloc(len);

    if (!pkt) {
        log_warn("out of memory: an event for connection %d is lost", mv_conn_fd(c->conn));
        return;
    }
    mv_put_be32(pkt, len);
    mv_header_encode(&h, pkt + MV_MESSAGE_LEN_SIZE);
    mv_put_be32(pkt + MV_PACKET_MIN, callback_id);
    memcpy(pkt + MV_PACKET_MIN + 4, e->body, e->len);
    mv_conn_send(c->conn, pkt, len, 0);
    free(pkt);
}

static void deliver(void *data)
{
    domain_event *e = data;

    /* Sending never closes a client under us (conn.c closes from the
     * loop), so the list and the registrations stay as they are. */
    for (mv_client *c = active ? active->clients : NULL; c; c = c->next) {
        for (unsigned i = 0; i < c->nevents; i++) {
            const mv_event_reg *reg = &c->events[i];

            if (reg->event_id == e->event_id &&
                (!reg->has_uuid || memcmp(reg->uuid, e->uuid, sizeof(e->uuid)) == 0))
                send_domain_event(c, e, reg->callback_id);
        }
    }
    free(e);
}

/* Encode body (of which dom is the domain) and post its delivery. */
static void raise_event(const mv_domain_ref *dom, int event_id, int proc, xdrproc_t body_xdr,
                        void *body)
{
    mv_remote *r = active;
    size_t len;
    domain_event *e;

    if (!r)
        return;             /* no program: a unit test of a driver */
    len = mv_body_size(body_xdr, body);
    e = malloc(sizeof(*e) + len);
    if (!e || mv_body_encode(body_xdr, body, e->body, len) < 0) {
        free(e);
        log_warn("cannot encode event %d of domain %s: it is lost", event_id, dom->name);
        return;
    }
    e->event_id = event_id;
    e->proc = proc;
    e->len = len;
    memcpy(e->uuid, dom->uuid, sizeof(e->uuid));
    if (mv_loop_post(mv_server_loop(r->server), deliver, e) < 0) {
        log_warn("out of memory: event %d of domain %s is lost", event_id, dom->name);
        free(e);
    }
}

static mv_nonnull_domain wire_domain(const mv_domain_ref *dom)
{
    mv_nonnull_domain d = { .name = dom->name, .id = dom->id };

    memcpy(d.uuid, dom->uuid, sizeof(d.uuid));
    return d;
}

/* The virDomainEventID values of the events raised here. */
enum {
    ID_LIFECYCLE = 0, ID_REBOOT = 1, ID_RTC_CHANGE = 2, ID_WATCHDOG = 3, ID_IO_ERROR = 4,
    ID_IO_ERROR_REASON = 6, ID_CONTROL_ERROR = 7, ID_BLOCK_JOB = 8, ID_TRAY_CHANGE = 10,
    ID_PMWAKEUP = 11, ID_PMSUSPEND = 12, ID_BALLOON_CHANGE = 13, ID_DEVICE_REMOVED = 15,
    ID_BLOCK_JOB_2 = 16, ID_DEVICE_ADDED = 19,
};

#define RAISE(dom, id, proc, type, ...)                                                     \
    do {                                                                                    \
        type body_ = { __VA_ARGS__ };                                                       \
        raise_event(dom, id, proc, (xdrproc_t)xdr_##type, &body_);                          \
    } while (0)

void mv_domain_event_lifecycle(const mv_domain_ref *dom, int event, int detail)
{
    RAISE(dom, ID_LIFECYCLE, MV_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
          mv_domain_event_lifecycle_msg, .dom = wire_domain(dom), .event = event, .detail = detail);
}

void mv_domain_event_reboot(const mv_domain_ref *dom)
{
    RAISE(dom, ID_REBOOT, MV_PROC_DOMAIN_EVENT_CALLBACK_REBOOT, mv_domain_event_reboot_body,
          .dom = wire_domain(dom));
}

void mv_domain_event_control_error(const mv_domain_ref *dom)
{
    /* Its message is the reboot event's: the domain alone. */
    RAISE(dom, ID_CONTROL_ERROR, MV_PROC_DOMAIN_EVENT_CALLBACK_CONTROL_ERROR,
          mv_domain_event_reboot_body, .dom = wire_domain(dom));
}

void mv_domain_event_rtc_change(const mv_domain_ref *dom, long long offset)
{
    RAISE(dom, ID_RTC_CHANGE, MV_PROC_DOMAIN_EVENT_CALLBACK_RTC_CHANGE,
          mv_domain_event_rtc_change_body, .dom = wire_domain(dom), .offset = offset);
}

void mv_domain_event_watchdog(const mv_domain_ref *dom, int action)
{
    RAISE(dom, ID_WATCHDOG, MV_PROC_DOMAIN_EVENT_CALLBACK_WATCHDOG,
          mv_domain_event_watchdog_body, .dom = wire_domain(dom), .action = action);
}

void mv_domain_event_io_error(const mv_domain_ref *dom, const char *src_path,
                              const char *dev_alias, int action, const char *reason)
{
    RAISE(dom, ID_IO_ERROR, MV_PROC_DOMAIN_EVENT_CALLBACK_IO_ERROR,
          mv_domain_event_io_error_body, .dom = wire_domain(dom), .srcPath = (char *)src_path,
          .devAlias = (char *)dev_alias, .action = action);
    RAISE(dom, ID_IO_ERROR_REASON, MV_PROC_DOMAIN_EVENT_CALLBACK_IO_ERROR_REASON,
          mv_domain_event_io_error_reason_body, .dom = wire_domain(dom),
          .srcPath = (char *)src_path, .devAlias = (char *)dev_alias, .action = action,
          .reason = (char *)reason);
}

void mv_domain_event_block_job(const mv_domain_ref *dom, const char *path, const char *target,
                               int type, int status)
{
    RAISE(dom, ID_BLOCK_JOB, MV_PROC_DOMAIN_EVENT_CALLBACK_BLOCK_JOB,
          mv_domain_event_block_job_body, .dom = wire_domain(dom), .path = (char *)path,
          .type = type, .status = status);
    RAISE(dom, ID_BLOCK_JOB_2, MV_PROC_DOMAIN_EVENT_BLOCK_JOB_2, mv_domain_event_block_job_body,
          .dom = wire_domain(dom), .path = (char *)target, .type = type, .status = status);
}

void mv_domain_event_tray_change(const mv_domain_ref *dom, const char *dev_alias, int reason)
{
    RAISE(dom, ID_TRAY_CHANGE, MV_PROC_DOMAIN_EVENT_CALLBACK_TRAY_CHANGE,
          mv_domain_event_tray_change_body, .dom = wire_domain(dom),
          .devAlias = (char *)dev_alias, .reason = reason);
}

void mv_domain_event_pm(const mv_domain_ref *dom, bool suspended)
{
    if (suspended)
        RAISE(dom, ID_PMSUSPEND, MV_PROC_DOMAIN_EVENT_CALLBACK_PMSUSPEND, mv_domain_event_pm_body,
              .dom = wire_domain(dom));
    else
        RAISE(dom, ID_PMWAKEUP, MV_PROC_DOMAIN_EVENT_CALLBACK_PMWAKEUP, mv_domain_event_pm_body,
              .dom = wire_domain(dom));
}

void mv_domain_event_balloon_change(const mv_domain_ref *dom, unsigned long long actual_kib)
{
    RAISE(dom, ID_BALLOON_CHANGE, MV_PROC_DOMAIN_EVENT_CALLBACK_BALLOON_CHANGE,
          mv_domain_event_balloon_change_body, .dom = wire_domain(dom), .actual = actual_kib);
}

void mv_domain_event_device(const mv_domain_ref *dom, const char *dev_alias, bool added)
{
    RAISE(dom, added ? ID_DEVICE_ADDED : ID_DEVICE_REMOVED,
          added ? MV_PROC_DOMAIN_EVENT_CALLBACK_DEVICE_ADDED
                : MV_PROC_DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED,
          mv_domain_event_device_body, .dom = wire_domain(dom), .devAlias = (char *)dev_alias);
}
