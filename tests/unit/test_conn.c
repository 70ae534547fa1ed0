/*
 * The framed connection alone (common/rpc/conn.c): one mv_conn over a
 * socketpair, its limits and a shared read budget, driven by an sd-event
 * loop run by hand.  The test plays both the owner (packet and closed
 * callbacks, replies) and the peer (the other end of the socketpair).
 *
 * Everything asserted is a count or a state: packets delivered, bytes the
 * peer can read, closed flags, budget in use.  Time only bounds the loops
 * that wait, so that a broken connection fails a check instead of hanging.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rpc/conn.h"
#include "rpc/message.h"
#include "test.h"

#define WAIT_USEC (5u * 1000000u)       /* a generous bound, never an assertion */

static sd_event *event;

/* What the owner of one connection saw. */
typedef struct owner {
    mv_conn *conn;
    int peer;                   /* the test's end of the socketpair */
    unsigned packets;
    unsigned calls;
    uint32_t last_serial;
    size_t last_len;
    mv_header last;
    bool closed;
    bool closed_in_send;        /* closed() ran inside mv_conn_send */
    unsigned drained;
} owner;

static bool in_send;

static void on_packet(mv_conn *c, const uint8_t *pkt, size_t len)
{
    owner *o = mv_conn_data(c);

    o->packets++;
    mv_header_decode(pkt + MV_MESSAGE_LEN_SIZE, &o->last);
    if (o->last.type == MV_MESSAGE_CALL)
        o->calls++;
    o->last_serial = o->last.serial;
    o->last_len = len;
}

static void on_drained(mv_conn *c)
{
    owner *o = mv_conn_data(c);

    o->drained++;
}

static void on_closed(mv_conn *c)
{
    owner *o = mv_conn_data(c);

    o->closed = true;
    o->closed_in_send = in_send;
}

static const mv_conn_ops ops = {
    .packet = on_packet,
    .drained = on_drained,
    .closed = on_closed,
};

static uint64_t now_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + ts.tv_nsec / 1000;
}

/* Run what the loop has to do now, without waiting. */
static void pump(void)
{
    for (int i = 0; i < 1000 && sd_event_run(event, 0) > 0; i++)
        ;
}

/* Run the loop until *flag, or give up after WAIT_USEC. */
static void pump_until(const bool *flag)
{
    uint64_t end = now_usec() + WAIT_USEC;

    while (!*flag && now_usec() < end)
        sd_event_run(event, 10000);
}

static mv_conn_limits limits(unsigned max_requests, size_t soft, size_t hard)
{
    return (mv_conn_limits){
        .max_requests = max_requests,
        .out_soft = soft,
        .out_hard = hard,
        .keepalive_interval = 0,
        .keepalive_count = 0,
    };
}

/* A started connection over a new socketpair; sndbuf > 0 makes its
 * socket's send buffer small, so that output queues up early.  The test
 * keeps a reference, dropped by owner_done(). */
static void owner_new(owner *o, const mv_conn_limits *l, mv_readmem *mem, int sndbuf)
{
    mv_transport *t;
    int sv[2];

    *o = (owner){ .peer = -1 };
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    if (sndbuf > 0) {
        CHECK_INT(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
        CHECK_INT(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf)), 0);
    }
    fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
    CHECK_INT(mv_transport_plain_new(sv[0], &t), 0);
    CHECK_INT(mv_conn_new(event, sv[0], t, l, mem, &o->conn), 0);
    mv_conn_ref(o->conn);
    mv_conn_start(o->conn, &ops, o);
    o->peer = sv[1];
}

static void owner_done(owner *o)
{
    if (!mv_conn_is_closed(o->conn))
        mv_conn_close(o->conn, NULL);
    mv_conn_unref(o->conn);
    if (o->peer >= 0)
        close(o->peer);
    pump();
}

/* A packet of len bytes in all (len >= MV_PACKET_MIN); the body is
 * filled with a pattern. */
static size_t make_packet(uint8_t *buf, size_t len, uint32_t prog, int proc, uint32_t type,
                          uint32_t serial)
{
    mv_header h = { .prog = prog, .vers = 1, .proc = proc, .type = type, .serial = serial,
                    .status = MV_STATUS_OK };

    buf[0] = len >> 24;
    buf[1] = len >> 16;
    buf[2] = len >> 8;
    buf[3] = len;
    mv_header_encode(&h, buf + MV_MESSAGE_LEN_SIZE);
    for (size_t i = MV_PACKET_MIN; i < len; i++)
        buf[i] = (uint8_t)i;
    return len;
}

static void peer_call(owner *o, uint32_t serial)
{
    uint8_t buf[MV_PACKET_MIN];

    make_packet(buf, sizeof(buf), 0x20008086, 4, MV_MESSAGE_CALL, serial);
    CHECK_INT(write(o->peer, buf, sizeof(buf)), (ssize_t)sizeof(buf));
}

/* Bytes the peer can read now (read and thrown away). */
static size_t peer_drain(owner *o)
{
    uint8_t buf[65536];
    size_t total = 0;
    ssize_t n;

    while ((n = read(o->peer, buf, sizeof(buf))) > 0)
        total += n;
    return total;
}

/* The peer reads everything the connection has queued, running the loop
 * between reads so that it writes the rest. */
static size_t peer_drain_all(owner *o)
{
    uint64_t end = now_usec() + WAIT_USEC;
    size_t total = 0;

    do {
        total += peer_drain(o);
        sd_event_run(event, 1000);
    } while ((mv_conn_queued(o->conn) > 0 || total == 0) && !o->closed && now_usec() < end);
    pump();
    total += peer_drain(o);
    return total;
}

/* Queue non-reply output until the socket is full and at least want bytes
 * wait in the connection.  Returns the bytes sent. */
static size_t fill_output(owner *o, size_t want)
{
    static uint8_t buf[1024];
    size_t sent = 0;

    make_packet(buf, sizeof(buf), 0x20008086, 318, MV_MESSAGE_ASYNC, 0);
    for (int i = 0; i < 100000 && (mv_conn_queued(o->conn) == 0 || mv_conn_queued(o->conn) < want);
         i++) {
        if (mv_conn_send(o->conn, buf, sizeof(buf), 0) < 0)
            break;
        sent += sizeof(buf);
    }
    return sent;
}

/*----- calls in flight -----*/

static void test_max_requests(void)
{
    mv_conn_limits l = limits(2, 1u << 20, 8u << 20);
    mv_readmem mem = { .max = 1u << 20 };
    uint8_t reply[MV_PACKET_MIN];
    owner o;

    owner_new(&o, &l, &mem, 8192);
    make_packet(reply, sizeof(reply), 0x20008086, 4, MV_MESSAGE_REPLY, 0);

    /* five calls pipelined: only two are read */
    for (uint32_t i = 1; i <= 5; i++)
        peer_call(&o, i);
    pump();
    CHECK_INT(o.packets, 2);
    CHECK_INT(mv_conn_in_flight(o.conn), 2);
    CHECK_INT(o.last_serial, 2);

    /* a packet that is not a reply frees nothing */
    CHECK_INT(mv_conn_send(o.conn, reply, sizeof(reply), 0), 0);
    pump();
    CHECK_INT(o.packets, 2);
    CHECK_INT(peer_drain(&o), sizeof(reply));

    /* a reply the socket takes at once frees one slot: one more call */
    CHECK_INT(mv_conn_send(o.conn, reply, sizeof(reply), MV_SEND_REPLY), 0);
    CHECK_INT(mv_conn_in_flight(o.conn), 1);
    pump();
    CHECK_INT(o.packets, 3);
    CHECK_INT(o.last_serial, 3);
    CHECK_INT(mv_conn_in_flight(o.conn), 2);
    CHECK_INT(peer_drain(&o), sizeof(reply));

    /* replies stuck behind output the peer does not read free nothing */
    fill_output(&o, 1);
    CHECK(mv_conn_queued(o.conn) > 0);
    CHECK_INT(mv_conn_send(o.conn, reply, sizeof(reply), MV_SEND_REPLY), 0);
    CHECK_INT(mv_conn_send(o.conn, reply, sizeof(reply), MV_SEND_REPLY), 0);
    pump();
    CHECK_INT(mv_conn_in_flight(o.conn), 2);
    CHECK_INT(o.packets, 3);

    /* the peer reads: the replies go out, and the last two calls come in */
    CHECK(peer_drain_all(&o) > 2 * sizeof(reply));
    CHECK_INT(mv_conn_queued(o.conn), 0);
    pump();
    CHECK_INT(o.packets, 5);
    CHECK_INT(o.last_serial, 5);
    CHECK_INT(mv_conn_in_flight(o.conn), 2);
    CHECK(!o.closed);
    owner_done(&o);
}

/*----- output limits -----*/

static void test_out_soft_stops_reading(void)
{
    mv_conn_limits l = limits(100, 8192, 64u << 20);
    mv_readmem mem = { .max = 1u << 20 };
    owner o;

    owner_new(&o, &l, &mem, 4096);
    peer_call(&o, 1);
    pump();
    CHECK_INT(o.packets, 1);

    /* the peer never reads: output piles up past out_soft */
    fill_output(&o, 8192 + 1);
    CHECK(mv_conn_queued(o.conn) > 8192);
    peer_call(&o, 2);
    peer_call(&o, 3);
    pump();
    CHECK_INT(o.packets, 1);
    CHECK_INT(o.drained, 0);
    CHECK(!o.closed);

    /* once it reads, the connection drains and reads the calls */
    CHECK(peer_drain_all(&o) > 8192);
    CHECK_INT(mv_conn_queued(o.conn), 0);
    CHECK_INT(o.drained, 1);
    pump();
    CHECK_INT(o.packets, 3);
    CHECK_INT(o.last_serial, 3);
    CHECK(!o.closed);
    owner_done(&o);
}

static void test_out_hard_closes(void)
{
    mv_conn_limits l = limits(100, 4096, 65536);
    mv_readmem mem = { .max = 1u << 20 };
    static uint8_t big[200000];
    uint8_t small[1024];
    owner o;
    int r;

    owner_new(&o, &l, &mem, 4096);
    /* one packet of any size may wait, even one above out_hard */
    make_packet(big, sizeof(big), 0x20008086, 318, MV_MESSAGE_ASYNC, 0);
    CHECK_INT(mv_conn_send(o.conn, big, sizeof(big), 0), 0);
    CHECK(mv_conn_queued(o.conn) > 65536);
    pump();
    CHECK(!o.closed);

    /* more output beyond out_hard: refused, and the connection is closed
     * by the loop, not under the sender */
    make_packet(small, sizeof(small), 0x20008086, 318, MV_MESSAGE_ASYNC, 0);
    in_send = true;
    r = mv_conn_send(o.conn, small, sizeof(small), 0);
    in_send = false;
    CHECK_INT(r, -ENOBUFS);
    CHECK(!o.closed);
    CHECK(!mv_conn_is_closed(o.conn));
    /* nothing more is taken meanwhile */
    CHECK_INT(mv_conn_send(o.conn, small, sizeof(small), 0), -ENOTCONN);
    pump_until(&o.closed);
    CHECK(o.closed);
    CHECK(!o.closed_in_send);
    CHECK(mv_conn_is_closed(o.conn));
    CHECK_INT(mv_conn_queued(o.conn), 0);
    CHECK_INT(mv_conn_send(o.conn, small, sizeof(small), 0), -ENOTCONN);
    /* the peer gets what had been written, then the end */
    {
        uint8_t buf[65536];
        size_t total = 0;
        ssize_t n;

        while ((n = read(o.peer, buf, sizeof(buf))) > 0)
            total += n;
        CHECK_INT(n, 0);
        CHECK(total < sizeof(big) + sizeof(small));
    }
    owner_done(&o);
}

/*----- the shared read budget -----*/

static void test_read_budget(void)
{
    mv_conn_limits l = limits(100, 1u << 20, 8u << 20);
    mv_readmem mem = { .max = 16384 };
    static uint8_t pkt_a[4096 + 12000], pkt_b[4096 + 8000];
    owner a, b, c;

    owner_new(&a, &l, &mem, 0);
    owner_new(&b, &l, &mem, 0);
    owner_new(&c, &l, &mem, 0);
    make_packet(pkt_a, sizeof(pkt_a), 0x20008086, 4, MV_MESSAGE_CALL, 1);
    make_packet(pkt_b, sizeof(pkt_b), 0x20008086, 4, MV_MESSAGE_CALL, 1);

    /* a's packet is under way: its buffer grew out of the budget */
    CHECK_INT(write(a.peer, pkt_a, 100), 100);
    pump();
    CHECK_INT(mem.used, 12000);
    CHECK(!a.closed);

    /* b's packet needs more than is left: b alone is closed */
    CHECK_INT(write(b.peer, pkt_b, sizeof(pkt_b)), (ssize_t)sizeof(pkt_b));
    pump();
    CHECK(b.closed);
    CHECK_INT(b.packets, 0);
    CHECK(!a.closed);
    CHECK(!c.closed);
    CHECK_INT(mem.used, 12000);

    /* c still works, within its initial buffer */
    peer_call(&c, 7);
    pump();
    CHECK_INT(c.packets, 1);

    /* a completes its packet: delivered whole, budget returned */
    CHECK_INT(write(a.peer, pkt_a + 100, sizeof(pkt_a) - 100), (ssize_t)(sizeof(pkt_a) - 100));
    pump();
    CHECK_INT(a.packets, 1);
    CHECK_INT(a.last_len, sizeof(pkt_a));
    CHECK_INT(mem.used, 0);

    /* with the budget back, b's packet fits for c */
    CHECK_INT(write(c.peer, pkt_b, sizeof(pkt_b)), (ssize_t)sizeof(pkt_b));
    pump();
    CHECK_INT(c.packets, 2);
    CHECK(!c.closed);

    /* a connection that closes in the middle of a big packet gives its
     * share back */
    CHECK_INT(write(a.peer, pkt_a, 100), 100);
    pump();
    CHECK_INT(mem.used, 12000);
    close(a.peer);
    a.peer = -1;
    pump_until(&a.closed);
    CHECK(a.closed);
    CHECK_INT(mem.used, 0);

    owner_done(&a);
    owner_done(&b);
    owner_done(&c);
    CHECK_INT(mem.used, 0);
}

/*----- keepalive, deadline, framing -----*/

static void test_keepalive_ping(void)
{
    mv_conn_limits l = limits(5, 1u << 20, 8u << 20);
    mv_readmem mem = { .max = 1u << 20 };
    uint8_t ping[MV_PACKET_MIN], buf[256];
    mv_header h;
    owner o;
    ssize_t n;

    owner_new(&o, &l, &mem, 0);
    make_packet(ping, sizeof(ping), MV_KEEPALIVE_PROGRAM, MV_KEEPALIVE_PROC_PING,
                MV_MESSAGE_ASYNC, 0);
    CHECK_INT(write(o.peer, ping, sizeof(ping)), (ssize_t)sizeof(ping));
    peer_call(&o, 11);
    pump();
    /* the call reaches the owner, the ping does not, and is not counted */
    CHECK_INT(o.packets, 1);
    CHECK_INT(o.last_serial, 11);
    CHECK_INT(mv_conn_in_flight(o.conn), 1);

    n = read(o.peer, buf, sizeof(buf));
    CHECK_INT(n, MV_PACKET_MIN);
    if (n == MV_PACKET_MIN) {
        CHECK_INT(mv_be32(buf), MV_PACKET_MIN);
        mv_header_decode(buf + MV_MESSAGE_LEN_SIZE, &h);
        CHECK_INT(h.prog, MV_KEEPALIVE_PROGRAM);
        CHECK_INT(h.vers, MV_KEEPALIVE_VERSION);
        CHECK_INT(h.proc, MV_KEEPALIVE_PROC_PONG);
        CHECK_INT(h.type, MV_MESSAGE_ASYNC);
        CHECK_INT(h.serial, 0);
        CHECK_INT(h.status, MV_STATUS_OK);
    }

    /* a pong from the peer is swallowed too */
    make_packet(ping, sizeof(ping), MV_KEEPALIVE_PROGRAM, MV_KEEPALIVE_PROC_PONG,
                MV_MESSAGE_ASYNC, 0);
    CHECK_INT(write(o.peer, ping, sizeof(ping)), (ssize_t)sizeof(ping));
    pump();
    CHECK_INT(o.packets, 1);
    CHECK_INT(peer_drain(&o), 0);
    CHECK(!o.closed);
    owner_done(&o);
}

static void test_deadline(void)
{
    mv_conn_limits l = limits(5, 1u << 20, 8u << 20);
    mv_readmem mem = { .max = 1u << 20 };
    uint8_t buf[16];
    owner o, busy;

    /* an idle connection is closed when its deadline passes */
    owner_new(&o, &l, &mem, 0);
    mv_conn_set_deadline(o.conn, 20000, "test deadline");
    pump_until(&o.closed);
    CHECK(o.closed);
    CHECK_INT(read(o.peer, buf, sizeof(buf)), 0);
    owner_done(&o);

    /* a cancelled deadline closes nothing; a later one replaces it */
    owner_new(&busy, &l, &mem, 0);
    owner_new(&o, &l, &mem, 0);
    mv_conn_set_deadline(busy.conn, 20000, "cancelled");
    mv_conn_set_deadline(busy.conn, 0, NULL);
    mv_conn_set_deadline(o.conn, 50000, "second");
    pump_until(&o.closed);
    CHECK(o.closed);
    CHECK(!busy.closed);
    peer_call(&busy, 3);
    pump();
    CHECK_INT(busy.packets, 1);
    owner_done(&o);
    owner_done(&busy);
}

static void test_malformed_length(void)
{
    static const uint8_t too_short[] = { 0, 0, 0, 5, 'x', 'x', 'x', 'x' };
    static const uint8_t too_long[] = { 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
    mv_conn_limits l = limits(5, 1u << 20, 8u << 20);
    mv_readmem mem = { .max = 1u << 20 };
    uint8_t buf[16];
    owner o, other;

    owner_new(&o, &l, &mem, 0);
    owner_new(&other, &l, &mem, 0);
    /* a good call, then a length word no packet can have */
    peer_call(&o, 1);
    CHECK_INT(write(o.peer, too_short, sizeof(too_short)), (ssize_t)sizeof(too_short));
    pump_until(&o.closed);
    CHECK(o.closed);
    CHECK_INT(o.packets, 1);
    CHECK_INT(read(o.peer, buf, sizeof(buf)), 0);
    CHECK(!other.closed);
    owner_done(&o);

    /* larger than any packet may be: closed before any buffer grows */
    owner_new(&o, &l, &mem, 0);
    CHECK_INT(write(o.peer, too_long, sizeof(too_long)), (ssize_t)sizeof(too_long));
    pump_until(&o.closed);
    CHECK(o.closed);
    CHECK_INT(o.packets, 0);
    CHECK_INT(mem.used, 0);
    owner_done(&o);

    /* a length word alone is only the start of a packet */
    {
        uint8_t call[MV_PACKET_MIN];

        make_packet(call, sizeof(call), 0x20008086, 4, MV_MESSAGE_CALL, 9);
        CHECK_INT(write(other.peer, call, 4), 4);
        pump();
        CHECK(!other.closed);
        CHECK_INT(other.packets, 0);
        CHECK_INT(write(other.peer, call + 4, sizeof(call) - 4), (ssize_t)sizeof(call) - 4);
        pump();
        CHECK_INT(other.packets, 1);
        CHECK_INT(other.last_serial, 9);
    }
    owner_done(&other);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    CHECK_INT(sd_event_new(&event) >= 0, 1);
    test_max_requests();
    test_out_soft_stops_reading();
    test_out_hard_closes();
    test_read_budget();
    test_keepalive_ping();
    test_deadline();
    test_malformed_length();
    sd_event_unref(event);
    TEST_DONE();
}
