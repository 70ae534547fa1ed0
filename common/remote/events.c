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

/*----- domain lifecycle -----*/

typedef struct lifecycle {
    char *name;
    unsigned char uuid[16];
    int id;
    int event;
    int detail;
} lifecycle;

static void deliver_lifecycle(void *data)
{
    lifecycle *e = data;
    mv_domain_event_callback_lifecycle_msg msg = {
        .msg = {
            .dom = { .name = e->name, .id = e->id },
            .event = e->event,
            .detail = e->detail,
        },
    };

    memcpy(msg.msg.dom.uuid, e->uuid, sizeof(e->uuid));
    /* Sending never closes a client under us (conn.c closes from the
     * loop), so the list and the registrations stay as they are. */
    for (mv_client *c = active ? active->clients : NULL; c; c = c->next) {
        for (unsigned i = 0; i < c->nevents; i++) {
            const mv_event_reg *reg = &c->events[i];

            if (reg->event_id != 0 /* VIR_DOMAIN_EVENT_ID_LIFECYCLE */ ||
                (reg->has_uuid && memcmp(reg->uuid, e->uuid, sizeof(e->uuid)) != 0))
                continue;
            msg.callbackID = reg->callback_id;
            mv_client_send_event(c, MV_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
                                 (xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg, &msg);
        }
    }
    free(e->name);
    free(e);
}

void mv_domain_event_lifecycle(const mv_domain_ref *dom, int event, int detail)
{
    mv_remote *r = active;
    lifecycle *e;

    if (!r)
        return;             /* no program: a unit test of a driver */
    e = calloc(1, sizeof(*e));
    if (!e || !(e->name = strdup(dom->name))) {
        free(e);
        log_warn("out of memory: a lifecycle event of domain %s is lost", dom->name);
        return;
    }
    memcpy(e->uuid, dom->uuid, sizeof(e->uuid));
    e->id = dom->id;
    e->event = event;
    e->detail = detail;
    if (mv_loop_post(mv_server_loop(r->server), deliver_lifecycle, e) < 0) {
        log_warn("out of memory: a lifecycle event of domain %s is lost", dom->name);
        free(e->name);
        free(e);
    }
}
