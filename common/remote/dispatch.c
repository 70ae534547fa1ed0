#include <errno.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mv_remote_handlers.h"
#include "remote/dispatch.h"
#include "util/log.h"

/* Most argument and result structs are a few words: keep them on the stack. */
#define SMALL_STRUCT 256
#define SMALL_PACKET 4096

static void send_error(mv_client *c, const mv_header *h, int code, int domain,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void send_error(mv_client *c, const mv_header *h, int code, int domain,
                       const char *fmt, ...)
{
    mv_error err = { .code = code, .domain = domain };
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err.message, sizeof(err.message), fmt, ap);
    va_end(ap);
    mv_client_send_error(c, h, &err);
}

int mv_call_unsupported(const mv_call *call)
{
    return mv_error_report(-ENOTSUP, MV_ERR_NO_SUPPORT, MV_FROM_NONE, "%s", call->route->api);
}

static int run_handler(mv_call *call, mv_handler handler, void *args, void *ret)
{
    mv_error_reset();
    return handler(call, args, ret);
}

/* Encode the outcome of a call: into buf when it fits (*ret_heap NULL),
 * else into a new packet (*ret_heap, to free).  Returns the length. */
static ssize_t encode_outcome(const mv_header *call_hdr, const mv_route *route, int r, void *ret,
                              uint8_t *buf, size_t size, uint8_t **ret_heap)
{
    mv_header h = *call_hdr;
    mv_packet p;
    mv_error err;

    *ret_heap = NULL;
    if (r >= 0) {
        size_t len = mv_packet_size(route->ret_xdr, ret);

        h.type = MV_MESSAGE_REPLY;
        h.status = MV_STATUS_OK;
        if (len <= size && mv_packet_encode(&h, route->ret_xdr, ret, buf, len) == 0)
            return len;
        r = mv_packet_new(&h, route->ret_xdr, ret, &p);
        if (r >= 0) {
            *ret_heap = p.data;
            return p.len;
        }
        mv_error_report(r, MV_ERR_RPC, MV_FROM_RPC, "cannot encode the reply of %s", route->name);
    }
    mv_error_resolve(r, &err);
    r = mv_packet_new_error(call_hdr, &err, &p);
    if (r < 0)
        return r;
    *ret_heap = p.data;
    return p.len;
}

/*----- calls on workers -----*/

typedef struct job {
    mv_client *client;          /* the loop's: reached only in job_done */
    mv_call call;
    mv_handler handler;
    void *args;
    uint8_t *reply;
    ssize_t reply_len;
} job;

static void job_work(void *data)
{
    job *j = data;
    void *ret = calloc(1, j->call.route->ret_size ? j->call.route->ret_size : 1);
    int r;

    if (!ret) {
        j->reply_len = -ENOMEM;
        return;
    }
    r = run_handler(&j->call, j->handler, j->args, ret);
    j->reply_len = encode_outcome(&j->call.hdr, j->call.route, r, ret, NULL, 0, &j->reply);
    if (r >= 0)
        mv_body_free(j->call.route->ret_xdr, ret);
    free(ret);
}

static void job_done(void *data)
{
    job *j = data;
    mv_client *c = j->client;

    if (!c->closed) {
        if (j->reply_len < 0)
            mv_conn_abort(c->conn, "cannot encode a reply");
        else
            mv_client_send_reply(c, j->reply, j->reply_len);
    }
    free(j->reply);
    mv_body_free(j->call.route->args_xdr, j->args);
    free(j->args);
    mv_session_unref(j->call.sess);
    mv_client_unref(c);
    free(j);
}

static void run_on_worker(mv_call *call, mv_handler handler, void *args)
{
    mv_client *c = call->client;
    job *j = calloc(1, sizeof(*j));
    void *heap_args = malloc(call->route->args_size ? call->route->args_size : 1);
    int r;

    if (!j || !heap_args) {
        free(j);
        free(heap_args);
        mv_body_free(call->route->args_xdr, args);
        send_error(c, &call->hdr, MV_ERR_NO_MEMORY, MV_FROM_NONE, "cannot allocate memory");
        return;
    }
    memcpy(heap_args, args, call->route->args_size);
    j->client = c;
    j->call = *call;
    j->call.client = NULL;
    j->call.remote = NULL;
    j->handler = handler;
    j->args = heap_args;
    mv_session_ref(j->call.sess);
    mv_client_ref(c);
    r = mv_workers_submit(mv_server_workers(c->remote->server), job_work, job_done, j);
    if (r < 0) {
        mv_client_unref(c);
        mv_session_unref(j->call.sess);
        mv_body_free(call->route->args_xdr, heap_args);
        free(heap_args);
        free(j);
        send_error(c, &call->hdr, MV_ERR_INTERNAL_ERROR, MV_FROM_NONE,
                   "cannot start a worker: %s", strerror(-r));
    }
}

/*----- calls inline on the loop -----*/

static void run_inline(mv_call *call, mv_handler handler, void *args)
{
    alignas(max_align_t) uint8_t small[SMALL_STRUCT];
    alignas(4) uint8_t buf[SMALL_PACKET];
    const mv_route *route = call->route;
    void *ret = small;
    uint8_t *heap;
    ssize_t len;
    int r;

    if (route->ret_size > sizeof(small)) {
        ret = calloc(1, route->ret_size);
        if (!ret) {
            send_error(call->client, &call->hdr, MV_ERR_NO_MEMORY, MV_FROM_NONE,
                       "cannot allocate memory");
            return;
        }
    } else {
        memset(small, 0, route->ret_size);
    }
    r = run_handler(call, handler, args, ret);
    if (r != MV_CALL_ASYNC) {
        len = encode_outcome(&call->hdr, route, r, ret, buf, sizeof(buf), &heap);
        if (len < 0)
            mv_conn_abort(call->client->conn, "cannot encode a reply");
        else
            mv_client_send_reply(call->client, heap ? heap : buf, len);
        free(heap);
    }
    if (r >= 0 && r != MV_CALL_ASYNC)
        mv_body_free(route->ret_xdr, ret);
    if (ret != small)
        free(ret);
}

/*----- the gate -----*/

/* Procedures of owners this daemon does not serve go to their daemon. */
static bool relayed(const mv_client *c, const mv_route *route)
{
    return c->remote->cfg.relay && route->owner != MV_OWNER_LOCAL &&
           !c->remote->cfg.handlers[route->owner];
}

/* Types other than CALL: stream data of a relayed stream goes to its
 * owner; anything else a client sends gets an error and is dropped. */
static bool handle_non_call(mv_client *c, const mv_header *h, const uint8_t *pkt, size_t len)
{
    switch (h->type) {
    case MV_MESSAGE_CALL:
        return false;
    case MV_MESSAGE_CALL_WITH_FDS:
        send_error(c, h, MV_ERR_RPC, MV_FROM_RPC,
                   "file descriptor passing is not supported by this daemon");
        return true;
    case MV_MESSAGE_STREAM:
    case MV_MESSAGE_STREAM_HOLE:
        if (h->prog == MV_REMOTE_PROGRAM && h->proc > 0 && h->proc < MV_PROC_LIMIT &&
            (mv_routes[h->proc].flags & MV_ROUTE_KNOWN) && c->open &&
            relayed(c, &mv_routes[h->proc])) {
            mv_relay_forward(c, mv_routes[h->proc].owner, h, pkt, len);
            return true;
        }
        /* No stream of ours is open: a stray packet of a stream that
         * already ended.  Answered so that a client waiting on it wakes. */
        send_error(c, h, MV_ERR_RPC, MV_FROM_RPC, "no stream is open with this serial");
        return true;
    default:
        send_error(c, h, MV_ERR_RPC, MV_FROM_RPC, "unexpected message type from a client");
        return true;
    }
}

static mv_handler served_handler(const mv_client *c, const mv_route *route, int proc)
{
    const mv_handler *table = route->owner == MV_OWNER_LOCAL ? mv_local_handlers
                                                             : c->remote->cfg.handlers[route->owner];

    return table ? table[proc] : NULL;
}

void mv_dispatch_packet(mv_client *c, const uint8_t *pkt, size_t len)
{
    alignas(max_align_t) uint8_t small[SMALL_STRUCT];
    const mv_route *route;
    mv_handler handler;
    void *args = small;
    mv_header h;

    mv_header_decode(pkt + MV_MESSAGE_LEN_SIZE, &h);
    if (h.prog == MV_HANDOFF_PROGRAM) {
        mv_handoff_receive(c, &h, pkt, len);
        return;
    }
    if (handle_non_call(c, &h, pkt, len))
        return;
    if (h.prog != MV_REMOTE_PROGRAM || h.vers != MV_REMOTE_VERSION ||
        c->listener.kind == MV_LISTENER_ADMIN) {
        send_error(c, &h, MV_ERR_RPC, MV_FROM_RPC, "cannot find program %u version %u",
                   h.prog, h.vers);
        return;
    }
    if (h.status != MV_STATUS_OK) {
        send_error(c, &h, MV_ERR_RPC, MV_FROM_RPC, "unexpected status %u in a call", h.status);
        return;
    }
    if (h.proc <= 0 || h.proc >= MV_PROC_LIMIT ||
        (mv_routes[h.proc].flags & (MV_ROUTE_KNOWN | MV_ROUTE_EVENT)) != MV_ROUTE_KNOWN) {
        send_error(c, &h, MV_ERR_RPC, MV_FROM_RPC, "unknown procedure: %d", h.proc);
        return;
    }
    route = &mv_routes[h.proc];
    log_debug("connection %d call %s serial %u", mv_conn_fd(c->conn), route->name, h.serial);

    if (!c->authenticated && !(route->flags & MV_ROUTE_NOAUTH)) {
        send_error(c, &h, MV_ERR_RPC, MV_FROM_RPC, "authentication required");
        return;
    }
    if ((route->flags & MV_ROUTE_ONCE) && (c->open || c->opening)) {
        send_error(c, &h, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC, "internal error: connection already open");
        return;
    }
    if (!c->open && !(route->flags & MV_ROUTE_PREOPEN)) {
        send_error(c, &h, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC, "internal error: connection not open");
        return;
    }
    if (c->sess->readonly && !(route->flags & MV_ROUTE_RO)) {
        send_error(c, &h, MV_ERR_OPERATION_DENIED, MV_FROM_NONE,
                   "operation forbidden: read only access prevents %s", route->api);
        return;
    }

    if (relayed(c, route)) {
        mv_relay_forward(c, route->owner, &h, pkt, len);
        return;
    }
    handler = served_handler(c, route, h.proc);
    if (!handler) {
        send_error(c, &h, MV_ERR_NO_SUPPORT, MV_FROM_NONE,
                   "this function is not supported by the connection driver: %s", route->api);
        return;
    }

    if (route->args_size > sizeof(small)) {
        args = calloc(1, route->args_size);
        if (!args) {
            send_error(c, &h, MV_ERR_NO_MEMORY, MV_FROM_NONE, "cannot allocate memory");
            return;
        }
    } else {
        memset(small, 0, route->args_size);
    }
    if (mv_body_decode(pkt + MV_PACKET_MIN, len - MV_PACKET_MIN, route->args_xdr, args) < 0) {
        send_error(c, &h, MV_ERR_RPC, MV_FROM_RPC, "cannot decode the arguments of %s", route->name);
    } else {
        mv_call call = {
            .client = c,
            .sess = c->sess,
            .drivers = &c->remote->cfg.drivers,
            .remote = c->remote,
            .hdr = h,
            .route = route,
        };

        if ((route->flags & MV_ROUTE_PRIO) || !mv_server_workers(c->remote->server)) {
            /* The handler may replace the client's session: its own
             * snapshot stays valid until it returns. */
            mv_session_ref(call.sess);
            run_inline(&call, handler, args);
            mv_session_unref(call.sess);
            mv_body_free(route->args_xdr, args);
        } else {
            run_on_worker(&call, handler, args);
        }
    }
    if (args != small)
        free(args);
}
