/*
 * The RPC server and the remote program in-process, over socketpairs, with
 * a driver defined here: replies, the per-client limit of calls in flight,
 * bad framing, shutdown draining, idle exit.
 */
#include <errno.h>
#include <signal.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mv_remote.h"
#include "rpc/message.h"
#include "rpc/server.h"
#include "server_fixture.h"
#include "test.h"

static int running, max_running;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Slow on purpose: lets calls pile up on the workers. */
static int test_get_version(const mv_session *sess, unsigned long long *ret)
{
    pthread_mutex_lock(&lock);
    if (++running > max_running)
        max_running = running;
    pthread_mutex_unlock(&lock);
    usleep(5000);
    pthread_mutex_lock(&lock);
    running--;
    pthread_mutex_unlock(&lock);
    *ret = 7002022;
    return 0;
}

static const mv_hypervisor_driver test_driver = {
    .name = "TEST",
    .scheme = "test",
    .connect_get_version = test_get_version,
};

static sd_event *event;

/* A packet of the remote program, encoded whole (length word included). */
static size_t encode_call(int proc, uint32_t serial, const void *body, size_t len, uint8_t *buf)
{
    mv_header h = { .prog = MV_REMOTE_PROGRAM, .vers = 1, .proc = proc,
                    .type = MV_MESSAGE_CALL, .serial = serial };
    size_t total = MV_PACKET_MIN + len;

    mv_put_be32(buf, total);
    mv_header_encode(&h, buf + 4);
    if (len)
        memcpy(buf + MV_PACKET_MIN, body, len);
    return total;
}

static void call(int fd, int proc, uint32_t serial, const void *body, size_t len)
{
    uint8_t buf[256];
    size_t total = encode_call(proc, serial, body, len, buf);

    CHECK_INT(write(fd, buf, total), (ssize_t)total);
}

/* Run the loop until a whole packet can be read from fd; 0 on EOF. */
static size_t reply(int fd, uint8_t *buf, size_t cap, mv_header *h)
{
    return fixture_read_packet(event, fd, buf, cap, h);
}

static void open_conn(int fd)
{
    static const uint8_t open_args[] = { 0, 0, 0, 1, 0, 0, 0, 11, 't', 'e', 's', 't',
                                         ':', '/', '/', '/', 'x', 'y', 'z', 0, 0, 0, 0, 0 };
    uint8_t buf[512];
    mv_header h;

    call(fd, MV_PROC_CONNECT_OPEN, 1, open_args, sizeof(open_args));
    CHECK(reply(fd, buf, sizeof(buf), &h) > 0);
    CHECK_INT(h.status, MV_STATUS_OK);
}

static fixture fx;

static mv_server *new_server(unsigned max_requests, unsigned idle)
{
    mv_server_config cfg;

    mv_server_config_defaults(&cfg);
    cfg.max_client_requests = max_requests;
    cfg.idle_timeout = idle;
    CHECK_INT(fixture_new(event, &cfg, &test_driver, &fx), 0);
    return fx.server;
}

static void free_server(mv_server *s)
{
    fixture_free(&fx);
}

static int new_client(mv_server *s)
{
    int fd = fixture_client(&fx, MV_LISTENER_RW, 0);

    CHECK(fd >= 0);
    return fd;
}

static void test_in_flight_limit(void)
{
    mv_server *s = new_server(2, 0);
    int fd = new_client(s);
    uint8_t buf[512];
    mv_header h;
    unsigned answered = 0;

    open_conn(fd);
    max_running = 0;
    for (uint32_t i = 0; i < 20; i++)
        call(fd, MV_PROC_CONNECT_GET_VERSION, 100 + i, NULL, 0);
    while (answered < 20 && reply(fd, buf, sizeof(buf), &h) > 0) {
        CHECK_INT(h.status, MV_STATUS_OK);
        CHECK(h.serial >= 100 && h.serial < 120);
        CHECK_INT(mv_be32(buf + MV_PACKET_MIN + 4), 7002022);
        answered++;
    }
    CHECK_INT(answered, 20);
    CHECK(max_running >= 1 && max_running <= 2);
    close(fd);
    free_server(s);
}

static void test_unsupported_and_bad_framing(void)
{
    mv_server *s = new_server(5, 0);
    int fd = new_client(s), other = new_client(s);
    uint8_t buf[512];
    mv_header h;

    open_conn(fd);
    open_conn(other);
    /* the test driver has no hostname function */
    call(fd, MV_PROC_CONNECT_GET_HOSTNAME, 2, NULL, 0);
    CHECK(reply(fd, buf, sizeof(buf), &h) > 0);
    CHECK_INT(h.status, MV_STATUS_ERROR);
    CHECK_INT(mv_be32(buf + MV_PACKET_MIN), 3);          /* VIR_ERR_NO_SUPPORT */

    /* a length word of 5 closes that client only */
    CHECK_INT(write(fd, "\0\0\0\5xxxxxxxx", 12), 12);
    CHECK_INT(reply(fd, buf, sizeof(buf), &h), 0);
    CHECK_INT(mv_server_client_count(s), 1);
    call(other, MV_PROC_CONNECT_GET_LIB_VERSION, 3, NULL, 0);
    CHECK(reply(other, buf, sizeof(buf), &h) > 0);
    CHECK_INT(h.status, MV_STATUS_OK);
    close(fd);
    close(other);
    free_server(s);
}

static void test_shutdown_drains(void)
{
    mv_server *s = new_server(5, 0);
    int fd = new_client(s);
    uint8_t buf[512];
    mv_header h;

    open_conn(fd);
    max_running = 0;
    call(fd, MV_PROC_CONNECT_GET_VERSION, 9, NULL, 0);
    /* let the server read the call, then ask it to stop */
    while (sd_event_run(event, 1000) >= 0) {
        pthread_mutex_lock(&lock);
        int r = running || max_running;
        pthread_mutex_unlock(&lock);
        if (r)
            break;
    }
    mv_server_shutdown(s);
    CHECK_INT(sd_event_loop(event), 0);
    CHECK(reply(fd, buf, sizeof(buf), &h) > 0);
    CHECK_INT(h.serial, 9);
    CHECK_INT(h.status, MV_STATUS_OK);
    close(fd);
    free_server(s);
}

/* Listener kinds count apart, and so do the relay's connections to the
 * read-write socket, which may not take root's places. */
static void test_client_buckets(void)
{
    mv_server_config cfg;
    int fds[8], n = 0;

    mv_server_config_defaults(&cfg);
    cfg.max_clients = 2;
    cfg.relay_uid = getuid();       /* our socketpairs are "the relay" */
    CHECK_INT(fixture_new(event, &cfg, &test_driver, &fx), 0);
    for (int i = 0; i < 4; i++)     /* 2 x max_clients for the relay */
        CHECK((fds[n++] = fixture_client(&fx, MV_LISTENER_RW, 0)) >= 0);
    CHECK_INT(mv_server_client_count(fx.server), 4);
    /* one more relayed connection is refused, and only that one */
    CHECK_INT(fixture_client(&fx, MV_LISTENER_RW, 0), -1);
    CHECK_INT(mv_server_client_count(fx.server), 4);
    /* the read-only kind has its own places */
    CHECK((fds[n++] = fixture_client(&fx, MV_LISTENER_RO, 0)) >= 0);
    CHECK_INT(mv_server_client_count(fx.server), 5);
    while (n > 0)
        close(fds[--n]);
    fixture_free(&fx);
}

/* Hand client (its socket) over on relay, with input; the handover's
 * reply status. */
static int hand_over(int relay, int kind, int client, uint8_t *input, size_t len)
{
    mv_header h = { .prog = MV_HANDOFF_PROGRAM, .vers = MV_HANDOFF_VERSION, .proc = MV_HANDOFF_PROC,
                    .type = MV_MESSAGE_CALL, .serial = 1 };
    mv_handoff_args args = { .kind = kind, .input = { len, (char *)input } };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control = { 0 };
    mv_packet p;
    uint8_t buf[512];
    mv_header rh;

    CHECK_INT(mv_packet_new(&h, (xdrproc_t)xdr_mv_handoff_args, &args, &p), 0);
    struct iovec iov = { p.data, p.len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                          .msg_controllen = sizeof(control.buf) };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &client, sizeof(int));
    CHECK_INT(sendmsg(relay, &msg, 0), (ssize_t)p.len);
    free(p.data);
    CHECK(reply(relay, buf, sizeof(buf), &rh) > 0);
    return rh.status;
}

/* A relay hands a client's socket over with its open and a call sent
 * after it: the daemon answers both on that socket, counts the client as
 * one of the kind it came through, and refuses a kind that does not exist. */
static void test_handoff(void)
{
    static const uint8_t open_args[] = { 0, 0, 0, 1, 0, 0, 0, 11, 't', 'e', 's', 't',
                                         ':', '/', '/', '/', 'x', 'y', 'z', 0, 0, 0, 0, 0 };
    mv_server_config cfg;
    uint8_t input[256], buf[512];
    size_t len;
    int relay, pair[2];
    mv_header h;

    mv_server_config_defaults(&cfg);
    cfg.max_clients = 2;
    CHECK_INT(fixture_new(event, &cfg, &test_driver, &fx), 0);
    relay = fixture_client(&fx, MV_LISTENER_RW, 0);
    CHECK(relay >= 0);

    len = encode_call(MV_PROC_CONNECT_OPEN, 7, open_args, sizeof(open_args), input);
    len += encode_call(MV_PROC_CONNECT_GET_LIB_VERSION, 8, NULL, 0, input + len);
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    CHECK_INT(hand_over(relay, MV_LISTENER_RO, pair[1], input, len), MV_STATUS_OK);
    close(pair[1]);                 /* the daemon has its own copy */
    CHECK_INT(mv_server_client_count(fx.server), 2);
    CHECK(reply(pair[0], buf, sizeof(buf), &h) > 0);
    CHECK_INT(h.serial, 7);
    CHECK_INT(h.status, MV_STATUS_OK);
    CHECK(reply(pair[0], buf, sizeof(buf), &h) > 0);
    CHECK_INT(h.serial, 8);
    CHECK_INT(h.status, MV_STATUS_OK);
    /* it came through a read-only socket: read-only it stays */
    call(pair[0], MV_PROC_DOMAIN_DEFINE_XML, 9, "\0\0\0\0\0\0\0\0", 8);
    CHECK(reply(pair[0], buf, sizeof(buf), &h) > 0);
    CHECK_INT(h.status, MV_STATUS_ERROR);
    CHECK_INT(mv_be32(buf + MV_PACKET_MIN), 29);        /* VIR_ERR_OPERATION_DENIED */

    close(pair[0]);
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    CHECK_INT(hand_over(relay, 7, pair[1], input, len), MV_STATUS_ERROR);
    close(pair[1]);
    CHECK_INT(reply(pair[0], buf, sizeof(buf), &h), 0);  /* refused: closed */
    close(pair[0]);
    close(relay);
    fixture_free(&fx);
}

static void test_idle_exit(void)
{
    mv_server *s = new_server(5, 1);

    /* no client ever comes: the loop ends by itself */
    CHECK_INT(sd_event_loop(event), 0);
    free_server(s);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    CHECK_INT(sd_event_new(&event) >= 0, 1);
    test_in_flight_limit();
    test_unsupported_and_bad_framing();
    test_client_buckets();
    test_handoff();
    sd_event_unref(event);

    CHECK_INT(sd_event_new(&event) >= 0, 1);
    test_shutdown_drains();
    sd_event_unref(event);
    CHECK_INT(sd_event_new(&event) >= 0, 1);
    test_idle_exit();
    sd_event_unref(event);
    TEST_DONE();
}
