/*
 * libFuzzer target for everything a client's bytes reach: framing, the
 * header checks, the routing table, every procedure's argument decoder and
 * the handlers behind them.  The input is fed, as a client would send it,
 * into an in-process server over a socketpair; its first two bytes also
 * pick a procedure whose decoder gets the rest directly.
 */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rpc/message.h"
#include "server_fixture.h"
#include "util/log.h"

static int fuzz_version(const mv_session *sess, unsigned long long *ret)
{
    *ret = 1;
    return 0;
}

static int fuzz_list(const mv_session *sess, unsigned flags, mv_domain_ref **ret, size_t *ret_n)
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
    _Alignas(max_align_t) uint8_t args[4096];

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
    fixture f;
    int fd;
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
    if (fixture_new(event, &cfg, &fuzz_driver, &f) < 0)
        return 0;
    fd = fixture_client(&f, MV_LISTENER_RW, SOCK_NONBLOCK);
    if (fd < 0) {
        fixture_free(&f);
        return 0;
    }
    for (size_t off = 0; off < size;) {
        ssize_t n = write(fd, data + off, size - off);

        if (n > 0)
            off += n;
        while (sd_event_run(event, 0) > 0)
            ;
        while (read(fd, sink, sizeof(sink)) > 0)
            ;
        if (n <= 0 && mv_server_client_count(f.server) == 0)
            break;
    }
    shutdown(fd, SHUT_WR);
    while (sd_event_run(event, 0) > 0)
        ;
    close(fd);
    fixture_free(&f);
    return 0;
}
