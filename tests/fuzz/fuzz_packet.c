/*
 * libFuzzer target for everything a client's bytes reach: framing, the
 * header checks, the routing table, every procedure's argument decoder and
 * the handlers behind them.  The input is fed, as a client would send it,
 * into an in-process server over a socketpair; its first two bytes also
 * pick a procedure whose decoder gets the rest directly.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mv_remote_routes.h"
#include "rpc/message.h"
#include "rpc/server.h"
#include "util/log.h"

static int fuzz_version(mv_conn *conn, unsigned long long *ret)
{
    *ret = 1;
    return 0;
}

static int fuzz_list(mv_conn *conn, unsigned flags, mv_domain_ref **ret, size_t *ret_n)
{
    *ret = NULL;
    *ret_n = 0;
    return 0;
}

static const mv_hypervisor_driver fuzz_driver = {
    .name = "FUZZ",
    .scheme = "qemu",
    .connect_get_version = fuzz_version,
    .connect_list_all_domains = fuzz_list,
};

static void decode_one(const uint8_t *data, size_t size)
{
    const mv_route *r;
    uint8_t args[4096];

    if (size < 2)
        return;
    r = &mv_routes[((data[0] << 8) | data[1]) % MV_PROC_LIMIT];
    if (!(r->flags & MV_ROUTE_KNOWN) || r->args_size > sizeof(args))
        return;
    memset(args, 0, sizeof(args));
    if (mv_body_decode(data + 2, size - 2, r->args_xdr, args) == 0)
        mv_body_free(r->args_xdr, args);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sd_event *event;
    mv_server_config cfg;
    mv_server *s;
    int sv[2];
    uint8_t sink[65536];

    if (!event) {
        signal(SIGPIPE, SIG_IGN);
        mv_log_setup(MV_LOG_ERROR, NULL, "4:stderr");
        sd_event_new(&event);
    }
    decode_one(data, size);

    mv_server_config_defaults(&cfg);
    cfg.max_workers = 0;            /* everything inline: deterministic */
    cfg.keepalive_interval = 0;
    if (mv_server_new(event, &cfg, true, &s) < 0)
        return 0;
    mv_server_set_hypervisor(s, &fuzz_driver);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0 ||
        mv_server_add_client(s, sv[0], MV_LISTENER_RW) < 0) {
        mv_server_free(s);
        return 0;
    }
    for (size_t off = 0; off < size;) {
        ssize_t n = write(sv[1], data + off, size - off);

        if (n > 0)
            off += n;
        while (sd_event_run(event, 0) > 0)
            ;
        while (read(sv[1], sink, sizeof(sink)) > 0)
            ;
        if (n <= 0 && mv_server_client_count(s) == 0)
            break;
    }
    shutdown(sv[1], SHUT_WR);
    while (sd_event_run(event, 0) > 0)
        ;
    close(sv[1]);
    mv_server_free(s);
    return 0;
}
