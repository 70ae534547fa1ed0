#include <errno.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mv_remote_routes.h"
#include "rpc/dispatch.h"
#include "util/log.h"

/* Most argument and result structs are a few words: keep them on the stack. */
#define SMALL_STRUCT 256
#define SMALL_PACKET 4096

static void send_error(mv_client *c, const mv_header *h, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void send_error(mv_client *c, const mv_header *h, int code, const char *fmt, ...)
{
    mv_error err = { .code = code, .domain = MV_FROM_RPC };
    mv_packet p;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err.message, sizeof(err.message), fmt, ap);
    va_end(ap);
    if (mv_packet_new_error(h, &err, &p) < 0) {
        mv_client_close(c, "cannot encode an error reply");
        return;
    }
    mv_client_send(c, p.data, p.len);
    free(p.data);
}

/* Run the handler; returns its result, with ret filled on success. */
static int run_handler(mv_client *c, const mv_header *h, const mv_route *route,
                       void *args, void *ret)
{
    mv_call call = {
        .client = c,
        .server = c->server,
        .conn = &c->conn,
        .hdr = h,
        .route = route,
    };

    mv_error_reset();
    return route->handler(&call, args, ret);
}

/* Encode the outcome of a call into a new packet. */
static int encode_outcome(const mv_header *call_hdr, const mv_route *route, int r,
                          void *ret, mv_packet *out)
{
    mv_header h = *call_hdr;

    if (r >= 0) {
        h.type = MV_MESSAGE_REPLY;
        h.status = MV_STATUS_OK;
        r = mv_packet_new(&h, route->ret_xdr, ret, out);
        if (r >= 0)
            return 0;
        mv_error_report(r, MV_ERR_RPC, MV_FROM_RPC, "cannot encode the reply of %s", route->name);
    }
    mv_error err;
    mv_error_resolve(r, &err);
    return mv_packet_new_error(call_hdr, &err, out);
}

/*----- calls on workers -----*/

typedef struct job {
    mv_client *client;
    mv_header hdr;
    const mv_route *route;
    void *args;
    mv_packet reply;
    int encode_error;
} job;

static void job_work(void *data)
{
    job *j = data;
    void *ret = calloc(1, j->route->ret_size ? j->route->ret_size : 1);
    int r;

    if (!ret) {
        j->encode_error = -ENOMEM;
        return;
    }
    r = run_handler(j->client, &j->hdr, j->route, j->args, ret);
    j->encode_error = encode_outcome(&j->hdr, j->route, r, ret, &j->reply);
    if (r >= 0)
        mv_body_free(j->route->ret_xdr, ret);
    free(ret);
}

static void job_done(void *data)
{
    job *j = data;
    mv_client *c = j->client;

    if (!c->closed) {
        if (j->encode_error < 0)
            mv_client_close(c, "cannot encode a reply");
        else
            mv_client_send(c, j->reply.data, j->reply.len);
    }
    free(j->reply.data);
    mv_body_free(j->route->args_xdr, j->args);
    free(j->args);
    free(j);
    mv_client_call_done(c);
    mv_client_unref(c);
}

static void run_on_worker(mv_client *c, const mv_header *h, const mv_route *route, void *args)
{
    job *j = calloc(1, sizeof(*j));
    void *heap_args = malloc(route->args_size ? route->args_size : 1);
    int r;

    if (!j || !heap_args) {
        free(j);
        free(heap_args);
        mv_body_free(route->args_xdr, args);
        send_error(c, h, MV_ERR_NO_MEMORY, "cannot allocate memory");
        return;
    }
    memcpy(heap_args, args, route->args_size);
    j->client = c;
    j->hdr = *h;
    j->route = route;
    j->args = heap_args;
    mv_client_ref(c);
    c->inflight++;
    r = mv_workers_submit(c->server->workers, job_work, job_done, j);
    if (r < 0) {
        c->inflight--;
        mv_client_unref(c);
        mv_body_free(route->args_xdr, heap_args);
        free(heap_args);
        free(j);
        send_error(c, h, MV_ERR_INTERNAL_ERROR, "cannot start a worker: %s", strerror(-r));
    }
}

/*----- calls inline on the loop -----*/

static void run_inline(mv_client *c, const mv_header *h, const mv_route *route, void *args)
{
    alignas(max_align_t) uint8_t small[SMALL_STRUCT];
    void *ret = small;
    int r;

    if (route->ret_size > sizeof(small)) {
        ret = calloc(1, route->ret_size);
        if (!ret) {
            send_error(c, h, MV_ERR_NO_MEMORY, "cannot allocate memory");
            return;
        }
    } else {
        memset(small, 0, route->ret_size);
    }

    r = run_handler(c, h, route, args, ret);
    if (r >= 0) {
        /* The common case: a small reply encoded on the stack and written
         * straight to the socket. */
        mv_header rh = *h;
        size_t len;

        rh.type = MV_MESSAGE_REPLY;
        rh.status = MV_STATUS_OK;
        len = mv_packet_size(route->ret_xdr, ret);
        if (len <= SMALL_PACKET) {
            alignas(4) uint8_t buf[SMALL_PACKET];

            if (mv_packet_encode(&rh, route->ret_xdr, ret, buf, len) == 0) {
                mv_client_send(c, buf, len);
                goto out;
            }
        }
    }
    {
        mv_packet p;

        if (encode_outcome(h, route, r, ret, &p) < 0)
            mv_client_close(c, "cannot encode a reply");
        else {
            mv_client_send(c, p.data, p.len);
            free(p.data);
        }
    }
out:
    if (r >= 0)
        mv_body_free(route->ret_xdr, ret);
    if (ret != small)
        free(ret);
    mv_body_free(route->args_xdr, args);
}

/*----- entry -----*/

static bool handle_non_call(mv_client *c, const mv_header *h)
{
    switch (h->type) {
    case MV_MESSAGE_CALL:
        return false;
    case MV_MESSAGE_CALL_WITH_FDS:
        send_error(c, h, MV_ERR_RPC, "file descriptor passing is not supported by this daemon");
        return true;
    case MV_MESSAGE_STREAM:
    case MV_MESSAGE_STREAM_HOLE:
        /* No stream is open on this connection: a stray packet of a stream
         * that already ended.  Answer so a waiting client unblocks. */
        send_error(c, h, MV_ERR_RPC, "no stream is open with serial %u", h->serial);
        return true;
    default:
        send_error(c, h, MV_ERR_RPC, "unexpected message type %u from a client", h->type);
        return true;
    }
}

void mv_dispatch_packet(mv_client *c, const uint8_t *pkt, size_t len)
{
    alignas(max_align_t) uint8_t small[SMALL_STRUCT];
    const mv_route *route;
    void *args = small;
    mv_header h;

    mv_header_decode(pkt + MV_MESSAGE_LEN_SIZE, &h);
    if (mv_client_handle_keepalive(c, &h))
        return;
    if (handle_non_call(c, &h))
        return;
    if (h.prog != MV_REMOTE_PROGRAM || h.vers != MV_REMOTE_VERSION ||
        c->kind == MV_LISTENER_ADMIN) {
        send_error(c, &h, MV_ERR_RPC, "cannot find program %u version %u", h.prog, h.vers);
        return;
    }
    if (h.status != MV_STATUS_OK) {
        send_error(c, &h, MV_ERR_RPC, "unexpected status %u in a call", h.status);
        return;
    }
    if (h.proc <= 0 || h.proc >= MV_PROC_LIMIT || !(mv_routes[h.proc].flags & MV_ROUTE_KNOWN)) {
        send_error(c, &h, MV_ERR_RPC, "unknown procedure: %d", h.proc);
        return;
    }
    route = &mv_routes[h.proc];
    log_debug("client %d call %s serial %u", c->fd, route->name, h.serial);

    if (!c->conn.open && !(route->flags & MV_ROUTE_PREOPEN)) {
        send_error(c, &h, MV_ERR_INTERNAL_ERROR, "internal error: connection not open");
        return;
    }
    if (c->conn.readonly && !(route->flags & MV_ROUTE_RO)) {
        mv_error err = { .code = MV_ERR_OPERATION_DENIED, .domain = MV_FROM_NONE };
        mv_packet p;

        snprintf(err.message, sizeof(err.message),
                 "operation forbidden: read only access prevents %s", route->api);
        if (mv_packet_new_error(&h, &err, &p) == 0) {
            mv_client_send(c, p.data, p.len);
            free(p.data);
        }
        return;
    }

    if (route->args_size > sizeof(small)) {
        args = calloc(1, route->args_size);
        if (!args) {
            send_error(c, &h, MV_ERR_NO_MEMORY, "cannot allocate memory");
            return;
        }
    } else {
        memset(small, 0, route->args_size);
    }
    if (mv_body_decode(pkt + MV_PACKET_MIN, len - MV_PACKET_MIN, route->args_xdr, args) < 0) {
        send_error(c, &h, MV_ERR_RPC, "cannot decode the arguments of %s", route->name);
    } else if ((route->flags & MV_ROUTE_PRIO) || !c->server->workers) {
        run_inline(c, &h, route, args);
    } else {
        run_on_worker(c, &h, route, args);
    }
    if (args != small)
        free(args);
}
