/*
 * The gate of the remote program (common/remote/dispatch.c) and what sits
 * right behind it: local calls (local.c), event callbacks (events.c) and
 * the relay (relay.c), through an in-process server over socketpairs
 * (server_fixture.h) with a hypervisor driver of the test's own.  Every
 * refusal is checked for libvirt's error code and its exact text.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mv_remote.h"
#include "rpc/message.h"
#include "server_fixture.h"
#include "test.h"

#define BASE (1 << 24)          /* the fixture's event_id_base */

/*----- the driver: records who called -----*/

static uid_t seen_uid;
static unsigned seen_calls;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int drv_open(const mv_session *sess, const char *path)
{
    return 0;
}

static int drv_get_version(const mv_session *sess, unsigned long long *ret)
{
    pthread_mutex_lock(&lock);
    seen_uid = sess->identity.uid;
    seen_calls++;
    pthread_mutex_unlock(&lock);
    *ret = 1002003;
    return 0;
}

/* No connect_get_hostname: "not supported". */
static const mv_hypervisor_driver test_driver = {
    .name = "TEST",
    .scheme = "test",
    .connect_open = drv_open,
    .connect_get_version = drv_get_version,
};

static sd_event *event;
static fixture fx;

static void setup(const mv_remote_config *rc)
{
    mv_server_config cfg;

    mv_server_config_defaults(&cfg);
    cfg.max_workers = 2;        /* non-prio calls really go to a worker */
    cfg.keepalive_interval = 0;
    CHECK_INT(sd_event_new(&event) >= 0, 1);
    CHECK_INT(fixture_new_remote(event, &cfg, rc, &fx), 0);
}

static void setup_default(void)
{
    mv_remote_config rc;

    fixture_remote_defaults(&test_driver, &rc);
    setup(&rc);
}

static void teardown(void)
{
    fixture_free(&fx);
    sd_event_unref(event);
    event = NULL;
}

static int client(mv_listener_kind kind)
{
    int fd = fixture_client(&fx, kind, 0);

    CHECK(fd >= 0);
    return fd;
}

/*----- calls and what comes back -----*/

static void raw_call(int fd, uint32_t prog, uint32_t vers, int proc, uint32_t type,
                     uint32_t serial, uint32_t status)
{
    mv_header h = { .prog = prog, .vers = vers, .proc = proc, .type = type,
                    .serial = serial, .status = status };

    CHECK_INT(fixture_send(fd, &h, NULL, NULL), 0);
}

static void call(int fd, int proc, uint32_t serial, xdrproc_t xdr, void *body)
{
    CHECK_INT(fixture_call(fd, proc, serial, xdr, body), 0);
}

/* Read the next packet: a reply to serial that succeeded; its body is
 * decoded with xdr into ret when given. */
static void expect_ok(int fd, uint32_t serial, xdrproc_t xdr, void *ret)
{
    static uint8_t buf[1 << 16];
    mv_header h;
    size_t len = fixture_read_packet(event, fd, buf, sizeof(buf), &h);

    CHECK(len > 0);
    if (!len)
        return;
    CHECK_INT(h.type, MV_MESSAGE_REPLY);
    CHECK_INT(h.serial, serial);
    CHECK_INT(h.status, MV_STATUS_OK);
    if (h.status != MV_STATUS_OK) {
        mv_error_body e = { 0 };

        if (mv_body_decode(buf + MV_PACKET_MIN, len - MV_PACKET_MIN,
                           (xdrproc_t)xdr_mv_error_body, &e) == 0) {
            fprintf(stderr, "  error %d: %s\n", e.code, e.message ? *e.message : "(none)");
            mv_body_free((xdrproc_t)xdr_mv_error_body, &e);
        }
        return;
    }
    if (xdr)
        CHECK_INT(mv_body_decode(buf + MV_PACKET_MIN, len - MV_PACKET_MIN, xdr, ret), 0);
}

static mv_header last_error_hdr;

/* Read the next packet: an error reply to serial with code, domain and
 * the exact message (NULL: not checked). */
static void expect_error(int fd, uint32_t serial, int code, int domain, const char *message)
{
    static uint8_t buf[1 << 16];
    mv_error_body e = { 0 };
    mv_header h;
    size_t len = fixture_read_packet(event, fd, buf, sizeof(buf), &h);

    CHECK(len > 0);
    if (!len)
        return;
    last_error_hdr = h;
    CHECK_INT(h.type, MV_MESSAGE_REPLY);
    CHECK_INT(h.serial, serial);
    CHECK_INT(h.status, MV_STATUS_ERROR);
    CHECK_INT(mv_body_decode(buf + MV_PACKET_MIN, len - MV_PACKET_MIN,
                             (xdrproc_t)xdr_mv_error_body, &e), 0);
    CHECK_INT(e.code, code);
    CHECK_INT(e.domain, domain);
    CHECK(e.message != NULL);
    if (message && e.message)
        CHECK_STR(*e.message, message);
    mv_body_free((xdrproc_t)xdr_mv_error_body, &e);
}

static void open_uri(int fd, uint32_t serial, const char *uri, unsigned flags)
{
    char *name = (char *)uri;
    mv_connect_open_args args = { .name = uri ? &name : NULL, .flags = flags };

    call(fd, MV_PROC_CONNECT_OPEN, serial, (xdrproc_t)xdr_mv_connect_open_args, &args);
}

static void open_ok(int fd)
{
    open_uri(fd, 1, "test:///default", 0);
    expect_ok(fd, 1, NULL, NULL);
}

static unsigned long long get_version(int fd, uint32_t serial)
{
    mv_connect_get_version_ret ret = { 0 };

    call(fd, MV_PROC_CONNECT_GET_VERSION, serial, NULL, NULL);
    expect_ok(fd, serial, (xdrproc_t)xdr_mv_connect_get_version_ret, &ret);
    return ret.hv_ver;
}

/*----- the gate -----*/

static void test_program_type_status_procedure(void)
{
    int fd;

    setup_default();
    fd = client(MV_LISTENER_RW);

    /* wrong program, wrong version */
    raw_call(fd, 0x12345678, 1, 1, MV_MESSAGE_CALL, 1, MV_STATUS_OK);
    expect_error(fd, 1, MV_ERR_RPC, MV_FROM_RPC, "cannot find program 305419896 version 1");
    CHECK_INT(last_error_hdr.prog, 0x12345678);     /* echoed, as libvirt does */
    raw_call(fd, MV_REMOTE_PROGRAM, 2, 1, MV_MESSAGE_CALL, 2, MV_STATUS_OK);
    expect_error(fd, 2, MV_ERR_RPC, MV_FROM_RPC, "cannot find program 536903814 version 2");

    /* a call with a status */
    raw_call(fd, MV_REMOTE_PROGRAM, 1, MV_PROC_CONNECT_GET_VERSION, MV_MESSAGE_CALL, 3,
             MV_STATUS_ERROR);
    expect_error(fd, 3, MV_ERR_RPC, MV_FROM_RPC, "unexpected status 1 in a call");

    /* procedures that are none, or only events */
    raw_call(fd, MV_REMOTE_PROGRAM, 1, 9999, MV_MESSAGE_CALL, 4, MV_STATUS_OK);
    expect_error(fd, 4, MV_ERR_RPC, MV_FROM_RPC, "unknown procedure: 9999");
    raw_call(fd, MV_REMOTE_PROGRAM, 1, 318, MV_MESSAGE_CALL, 5, MV_STATUS_OK);
    expect_error(fd, 5, MV_ERR_RPC, MV_FROM_RPC, "unknown procedure: 318");
    raw_call(fd, MV_REMOTE_PROGRAM, 1, 362, MV_MESSAGE_CALL, 6, MV_STATUS_OK);
    expect_error(fd, 6, MV_ERR_RPC, MV_FROM_RPC, "unknown procedure: 362");
    raw_call(fd, MV_REMOTE_PROGRAM, 1, 0, MV_MESSAGE_CALL, 7, MV_STATUS_OK);
    expect_error(fd, 7, MV_ERR_RPC, MV_FROM_RPC, "unknown procedure: 0");
    raw_call(fd, MV_REMOTE_PROGRAM, 1, -1, MV_MESSAGE_CALL, 8, MV_STATUS_OK);
    expect_error(fd, 8, MV_ERR_RPC, MV_FROM_RPC, "unknown procedure: -1");
    raw_call(fd, MV_REMOTE_PROGRAM, 1, 9, MV_MESSAGE_CALL, 9, MV_STATUS_OK);   /* a gap */
    expect_error(fd, 9, MV_ERR_RPC, MV_FROM_RPC, "unknown procedure: 9");

    /* a reply from a client is refused, and the connection lives on */
    raw_call(fd, MV_REMOTE_PROGRAM, 1, MV_PROC_CONNECT_GET_VERSION, MV_MESSAGE_REPLY, 10,
             MV_STATUS_OK);
    expect_error(fd, 10, MV_ERR_RPC, MV_FROM_RPC, "unexpected message type from a client");

    /* not open yet */
    call(fd, MV_PROC_CONNECT_GET_VERSION, 11, NULL, NULL);
    expect_error(fd, 11, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC, "internal error: connection not open");

    /* open, once */
    open_uri(fd, 12, "test:///default", 0);
    expect_ok(fd, 12, NULL, NULL);
    CHECK_INT(get_version(fd, 13), 1002003);
    open_uri(fd, 14, "test:///default", 0);
    expect_error(fd, 14, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC,
                 "internal error: connection already open");
    CHECK_INT(get_version(fd, 15), 1002003);

    /* a function the driver lacks */
    call(fd, MV_PROC_CONNECT_GET_HOSTNAME, 16, NULL, NULL);
    expect_error(fd, 16, MV_ERR_NO_SUPPORT, MV_FROM_NONE,
                 "this function is not supported by the connection driver: "
                 "virConnectGetHostname");
    CHECK_INT(mv_server_client_count(fx.server), 1);
    close(fd);
    teardown();
}

static void test_open_without_driver(void)
{
    mv_connect_get_uri_ret uri = { 0 };
    int fd;

    setup_default();
    fd = client(MV_LISTENER_RW);
    /* a scheme of another subsystem: this daemon serves "test" only */
    open_uri(fd, 1, "network:///system", 0);
    expect_error(fd, 1, MV_ERR_NO_CONNECT, MV_FROM_NONE,
                 "no connection driver available for network:///system");
    open_uri(fd, 2, "not a uri", 0);
    expect_error(fd, 2, MV_ERR_NO_CONNECT, MV_FROM_NONE,
                 "no connection driver available for not a uri");
    /* failing to open leaves the client unopened, free to try again */
    call(fd, MV_PROC_CONNECT_GET_VERSION, 3, NULL, NULL);
    expect_error(fd, 3, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC, "internal error: connection not open");
    /* NULL asks for the default: ours */
    open_uri(fd, 4, NULL, 0);
    expect_ok(fd, 4, NULL, NULL);
    call(fd, MV_PROC_CONNECT_GET_URI, 5, NULL, NULL);
    expect_ok(fd, 5, (xdrproc_t)xdr_mv_connect_get_uri_ret, &uri);
    CHECK_STR(uri.uri, "test:///system");
    mv_body_free((xdrproc_t)xdr_mv_connect_get_uri_ret, &uri);
    close(fd);
    teardown();
}

/* A daemon with no driver that relays everything (virtproxyd), with no
 * other daemon running: an open of any subsystem names the URI. */
static void test_relay_no_daemon(void)
{
    mv_remote_config rc;
    int fd;

    fixture_remote_defaults(NULL, &rc);
    rc.handlers[MV_OWNER_HYPERVISOR] = NULL;
    setup(&rc);
    fd = client(MV_LISTENER_RW);
    open_uri(fd, 1, "network:///system", 0);
    expect_error(fd, 1, MV_ERR_NO_CONNECT, MV_FROM_NONE,
                 "no connection driver available for network:///system: virtnetworkd is not "
                 "running on this host (no socket /nonexistent/virtnetworkd-sock)");
    open_uri(fd, 2, "qemu:///system", 0);
    expect_error(fd, 2, MV_ERR_NO_CONNECT, MV_FROM_NONE,
                 "no connection driver available for qemu:///system: virtqemud is not "
                 "running on this host (no socket /nonexistent/virtqemud-sock)");
    /* a scheme no daemon serves */
    open_uri(fd, 3, "bogus:///system", 0);
    expect_error(fd, 3, MV_ERR_NO_CONNECT, MV_FROM_NONE,
                 "no connection driver available for bogus:///system");
    /* and the default, when no hypervisor daemon listens */
    open_uri(fd, 4, "", 0);
    expect_error(fd, 4, MV_ERR_NO_CONNECT, MV_FROM_NONE,
                 "no connection driver available for the default URI");
    call(fd, MV_PROC_CONNECT_GET_VERSION, 5, NULL, NULL);
    expect_error(fd, 5, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC, "internal error: connection not open");
    CHECK_INT(mv_server_client_count(fx.server), 1);
    close(fd);
    teardown();
}

/* A daemon that serves the hypervisor relays the other owners' calls; with
 * no virtnetworkd running, a network call fails naming its URI, and the
 * client carries on. */
static void test_relay_network_no_daemon(void)
{
    const char *msg = "no connection driver available for network:///system: virtnetworkd is "
                      "not running on this host (no socket /nonexistent/virtnetworkd-sock)";
    int fd;

    setup_default();
    fd = client(MV_LISTENER_RW);
    /* before open, the gate answers first */
    call(fd, MV_PROC_CONNECT_NUM_OF_NETWORKS, 1, NULL, NULL);
    expect_error(fd, 1, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC, "internal error: connection not open");
    open_ok(fd);
    call(fd, MV_PROC_CONNECT_NUM_OF_NETWORKS, 2, NULL, NULL);
    expect_error(fd, 2, MV_ERR_NO_CONNECT, MV_FROM_NONE, msg);
    /* the body is never decoded here: the relay would forward it as is */
    call(fd, MV_PROC_CONNECT_LIST_ALL_NETWORKS, 3, NULL, NULL);
    expect_error(fd, 3, MV_ERR_NO_CONNECT, MV_FROM_NONE, msg);
    CHECK_INT(get_version(fd, 4), 1002003);
    CHECK_INT(mv_server_client_count(fx.server), 1);
    close(fd);
    teardown();
}

static void test_read_only(void)
{
    mv_domain_define_xml_args define = { .xml = "<domain/>" };
    mv_connect_set_identity_args ident = { 0 };
    int ro, rw;

    setup_default();
    ro = client(MV_LISTENER_RO);
    rw = client(MV_LISTENER_RW);
    open_ok(ro);
    open_ok(rw);
    /* what read-only clients may call works */
    CHECK_INT(get_version(ro, 2), 1002003);
    call(ro, MV_PROC_DOMAIN_DEFINE_XML, 3, (xdrproc_t)xdr_mv_domain_define_xml_args, &define);
    expect_error(ro, 3, MV_ERR_OPERATION_DENIED, MV_FROM_NONE,
                 "operation forbidden: read only access prevents virDomainDefineXML");
    call(ro, MV_PROC_DOMAIN_DEFINE_XML_FLAGS, 4, (xdrproc_t)xdr_mv_domain_define_xml_flags_args,
         &(mv_domain_define_xml_flags_args){ .xml = "<domain/>" });
    expect_error(ro, 4, MV_ERR_OPERATION_DENIED, MV_FROM_NONE,
                 "operation forbidden: read only access prevents virDomainDefineXMLFlags");
    call(ro, MV_PROC_CONNECT_SET_IDENTITY, 5, (xdrproc_t)xdr_mv_connect_set_identity_args,
         &ident);
    expect_error(ro, 5, MV_ERR_OPERATION_DENIED, MV_FROM_NONE,
                 "operation forbidden: read only access prevents virConnectSetIdentity");
    /* the same call on the read-write listener passes the gate (and
     * reaches the driver, which lacks the function) */
    call(rw, MV_PROC_DOMAIN_DEFINE_XML, 3, (xdrproc_t)xdr_mv_domain_define_xml_args, &define);
    expect_error(rw, 3, MV_ERR_NO_SUPPORT, MV_FROM_NONE,
                 "this function is not supported by the connection driver: virDomainDefineXML");
    close(ro);
    close(rw);
    teardown();
}

/*----- identity hand-over -----*/

static void set_identity(int fd, uint32_t serial, unsigned long long uid)
{
    mv_typed_param p[2] = {
        { .field = "unix-user-id", .value = { .type = MV_TYPED_PARAM_ULLONG,
                                              .mv_typed_param_value_u.ul = uid } },
        { .field = "user-name", .value = { .type = MV_TYPED_PARAM_STRING,
                                           .mv_typed_param_value_u.s = "someone" } },
    };
    mv_connect_set_identity_args args = { .params = { .params_len = 2, .params_val = p } };

    call(fd, MV_PROC_CONNECT_SET_IDENTITY, serial, (xdrproc_t)xdr_mv_connect_set_identity_args,
         &args);
}

static uid_t version_caller(int fd, uint32_t serial)
{
    uid_t uid;

    get_version(fd, serial);
    pthread_mutex_lock(&lock);
    uid = seen_uid;
    pthread_mutex_unlock(&lock);
    return uid;
}

static void test_set_identity(void)
{
    mv_remote_config rc;
    int fd;

    /* we are a trusted relay: the identity we hand over is the caller */
    fixture_remote_defaults(&test_driver, &rc);
    rc.trusted_relays[0] = getuid();
    setup(&rc);
    fd = client(MV_LISTENER_RW);
    set_identity(fd, 1, 4242);
    expect_ok(fd, 1, NULL, NULL);
    open_uri(fd, 2, "test:///default", 0);
    expect_ok(fd, 2, NULL, NULL);
    CHECK_INT(version_caller(fd, 3), 4242);
    /* again after open, and a wrong one changes nothing */
    set_identity(fd, 4, 4343);
    expect_ok(fd, 4, NULL, NULL);
    CHECK_INT(version_caller(fd, 5), 4343);
    {
        mv_typed_param p = { .field = "favourite-colour",
                             .value = { .type = MV_TYPED_PARAM_STRING,
                                        .mv_typed_param_value_u.s = "blue" } };
        mv_connect_set_identity_args args = { .params = { .params_len = 1, .params_val = &p } };

        call(fd, MV_PROC_CONNECT_SET_IDENTITY, 6, (xdrproc_t)xdr_mv_connect_set_identity_args,
             &args);
        expect_error(fd, 6, MV_ERR_INVALID_ARG, MV_FROM_RPC,
                     "invalid argument: parameter 'favourite-colour' not supported");
        p.field = "unix-user-id";
        call(fd, MV_PROC_CONNECT_SET_IDENTITY, 7, (xdrproc_t)xdr_mv_connect_set_identity_args,
             &args);
        expect_error(fd, 7, MV_ERR_INVALID_ARG, MV_FROM_RPC,
                     "invalid argument: parameter 'unix-user-id' has the wrong type");
    }
    CHECK_INT(version_caller(fd, 8), 4343);
    close(fd);
    teardown();

    /* nobody trusts us: refused, and the caller stays who the socket says */
    fixture_remote_defaults(&test_driver, &rc);
    rc.trusted_relays[0] = getuid() + 1;
    setup(&rc);
    fd = client(MV_LISTENER_RW);
    set_identity(fd, 1, 4242);
    expect_error(fd, 1, MV_ERR_ACCESS_DENIED, MV_FROM_ACCESS,
                 "access denied: only a privileged relay may set the client identity");
    open_ok(fd);
    CHECK_INT(version_caller(fd, 3), getuid());
    set_identity(fd, 4, 4242);
    expect_error(fd, 4, MV_ERR_ACCESS_DENIED, MV_FROM_ACCESS,
                 "access denied: only a privileged relay may set the client identity");
    CHECK_INT(version_caller(fd, 5), getuid());
    close(fd);
    teardown();
}

/*----- event callbacks -----*/

static int register_event(int fd, uint32_t serial, int event_id, const unsigned char *uuid)
{
    mv_nonnull_domain dom = { .name = "d", .id = -1 };
    mv_connect_domain_event_callback_register_any_args args = { .eventID = event_id };
    mv_connect_domain_event_callback_register_any_ret ret = { .callbackID = -1 };

    if (uuid) {
        memcpy(dom.uuid, uuid, sizeof(dom.uuid));
        args.dom = &dom;
    }
    call(fd, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, serial,
         (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_args, &args);
    expect_ok(fd, serial, (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_ret, &ret);
    return ret.callbackID;
}

static void deregister_event(int fd, uint32_t serial, int id)
{
    mv_connect_domain_event_callback_deregister_any_args args = { .callbackID = id };

    call(fd, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, serial,
         (xdrproc_t)xdr_mv_connect_domain_event_callback_deregister_any_args, &args);
}

static void test_event_registration(void)
{
    mv_connect_domain_event_callback_register_any_args bad = { .eventID = 99 };
    int fd, other, ids[8];
    char msg[128];

    setup_default();
    fd = client(MV_LISTENER_RO);        /* registering is allowed read-only */
    other = client(MV_LISTENER_RW);
    open_ok(fd);
    open_ok(other);
    for (int i = 0; i < 8; i++) {
        ids[i] = register_event(fd, 10 + i, 0, NULL);
        CHECK_INT(ids[i], BASE + i);
    }
    /* the ninth is one too many for this client, not for another */
    call(fd, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 20,
         (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_args,
         &(mv_connect_domain_event_callback_register_any_args){ .eventID = 0 });
    expect_error(fd, 20, MV_ERR_OPERATION_FAILED, MV_FROM_RPC,
                 "operation failed: too many event callbacks on this connection (at most 8)");
    CHECK_INT(register_event(other, 2, 0, NULL), BASE + 8);

    /* an unknown id, or one of another client */
    deregister_event(fd, 21, 12345);
    expect_error(fd, 21, MV_ERR_INVALID_ARG, MV_FROM_RPC,
                 "invalid argument: domain event 12345 not registered");
    deregister_event(fd, 22, BASE + 8);
    snprintf(msg, sizeof(msg), "invalid argument: domain event %d not registered", BASE + 8);
    expect_error(fd, 22, MV_ERR_INVALID_ARG, MV_FROM_RPC, msg);

    /* one gone makes room for one; ids are not reused */
    deregister_event(fd, 23, ids[3]);
    expect_ok(fd, 23, NULL, NULL);
    deregister_event(fd, 24, ids[3]);
    snprintf(msg, sizeof(msg), "invalid argument: domain event %d not registered", ids[3]);
    expect_error(fd, 24, MV_ERR_INVALID_ARG, MV_FROM_RPC, msg);
    CHECK_INT(register_event(fd, 25, 0, NULL), BASE + 9);

    /* an event id libvirt does not have */
    deregister_event(fd, 26, ids[0]);
    expect_ok(fd, 26, NULL, NULL);
    call(fd, MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 27,
         (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_args, &bad);
    expect_error(fd, 27, MV_ERR_INVALID_ARG, MV_FROM_RPC, "invalid argument: unsupported event ID 99");
    close(fd);
    close(other);
    teardown();
}

static const unsigned char uuid_a[16] = { 0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const unsigned char uuid_b[16] = { 0xbb, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

static void *raise_event(void *data)
{
    mv_domain_ref ref = { .name = "guest", .id = 3 };

    memcpy(ref.uuid, uuid_a, sizeof(ref.uuid));
    mv_domain_event_lifecycle(&ref, MV_DOMAIN_EVENT_DEFINED, MV_DOMAIN_EVENT_DEFINED_UPDATED);
    return NULL;
}

static void expect_lifecycle(int fd, int callback_id)
{
    static uint8_t buf[4096];
    mv_domain_event_callback_lifecycle_msg msg = { 0 };
    mv_header h;
    size_t len = fixture_read_packet(event, fd, buf, sizeof(buf), &h);

    CHECK(len > 0);
    if (!len)
        return;
    CHECK_INT(h.prog, MV_REMOTE_PROGRAM);
    CHECK_INT(h.vers, MV_REMOTE_VERSION);
    CHECK_INT(h.type, MV_MESSAGE_ASYNC);
    CHECK_INT(h.serial, 0);
    CHECK_INT(h.status, MV_STATUS_OK);
    CHECK_INT(h.proc, 318);
    CHECK_INT(mv_be32(buf + MV_PACKET_MIN), callback_id);
    CHECK_INT(mv_body_decode(buf + MV_PACKET_MIN, len - MV_PACKET_MIN,
                             (xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg, &msg), 0);
    CHECK_INT(msg.callbackID, callback_id);
    CHECK_STR(msg.msg.dom.name, "guest");
    CHECK_MEM(msg.msg.dom.uuid, uuid_a, 16);
    CHECK_INT(msg.msg.dom.id, 3);
    CHECK_INT(msg.msg.event, MV_DOMAIN_EVENT_DEFINED);
    CHECK_INT(msg.msg.detail, MV_DOMAIN_EVENT_DEFINED_UPDATED);
    mv_body_free((xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg, &msg);
}

static void test_lifecycle_event(void)
{
    int all, mine, other_dom, reboot, none, id_all, id_mine, id_all2;
    pthread_t t;

    setup_default();
    all = client(MV_LISTENER_RW);
    mine = client(MV_LISTENER_RO);
    other_dom = client(MV_LISTENER_RW);
    reboot = client(MV_LISTENER_RW);
    none = client(MV_LISTENER_RW);
    open_ok(all);
    open_ok(mine);
    open_ok(other_dom);
    open_ok(reboot);
    open_ok(none);
    id_all = register_event(all, 2, 0, NULL);
    id_all2 = register_event(all, 3, 0, NULL);
    id_mine = register_event(mine, 2, 0, uuid_a);
    register_event(other_dom, 2, 0, uuid_b);
    register_event(reboot, 2, 1 /* VIR_DOMAIN_EVENT_ID_REBOOT */, NULL);

    CHECK_INT(pthread_create(&t, NULL, raise_event, NULL), 0);
    pthread_join(t, NULL);

    /* one message per callback that matches */
    expect_lifecycle(all, id_all);
    expect_lifecycle(all, id_all2);
    expect_lifecycle(mine, id_mine);
    CHECK(!fixture_readable(event, all));
    CHECK(!fixture_readable(event, mine));
    CHECK(!fixture_readable(event, other_dom));
    CHECK(!fixture_readable(event, reboot));
    CHECK(!fixture_readable(event, none));

    /* deregistered: no more */
    deregister_event(all, 4, id_all);
    expect_ok(all, 4, NULL, NULL);
    CHECK_INT(pthread_create(&t, NULL, raise_event, NULL), 0);
    pthread_join(t, NULL);
    expect_lifecycle(all, id_all2);
    expect_lifecycle(mine, id_mine);
    CHECK(!fixture_readable(event, all));

    /* a client gone with its callbacks leaves the others theirs */
    close(all);
    CHECK(!fixture_readable(event, mine));
    CHECK_INT(mv_server_client_count(fx.server), 4);
    CHECK_INT(pthread_create(&t, NULL, raise_event, NULL), 0);
    pthread_join(t, NULL);
    expect_lifecycle(mine, id_mine);
    CHECK(!fixture_readable(event, none));

    close(mine);
    close(other_dom);
    close(reboot);
    close(none);
    teardown();
}

/* The events other than lifecycle: each to the callbacks of its own
 * event id, as its own procedure, the callback id first, then the body. */
static void *raise_others(void *data)
{
    mv_domain_ref ref = { .name = "guest", .id = 3 };

    memcpy(ref.uuid, uuid_a, sizeof(ref.uuid));
    mv_domain_event_reboot(&ref);
    mv_domain_event_io_error(&ref, "/img/a.qcow2", "virtio-disk0", 1, "enospc");
    mv_domain_event_block_job(&ref, "/img/a.qcow2", "vda", 2, 0);
    mv_domain_event_balloon_change(&ref, 524288);
    mv_domain_event_device(&ref, "net0", false);
    return NULL;
}

/* The next event on fd: its procedure, and its body after the callback id. */
static void expect_event(int fd, int proc, int callback_id, xdrproc_t body_xdr, void *body)
{
    static uint8_t buf[4096];
    mv_header h;
    size_t len = fixture_read_packet(event, fd, buf, sizeof(buf), &h);

    CHECK(len > MV_PACKET_MIN + 4);
    if (len <= MV_PACKET_MIN + 4)
        return;
    CHECK_INT(h.type, MV_MESSAGE_ASYNC);
    CHECK_INT(h.proc, proc);
    CHECK_INT(mv_be32(buf + MV_PACKET_MIN), callback_id);
    CHECK_INT(mv_body_decode(buf + MV_PACKET_MIN + 4, len - MV_PACKET_MIN - 4, body_xdr, body), 0);
}

static void test_other_events(void)
{
    int fd, reboot, io, io_reason, job2, balloon, removed;
    mv_domain_event_reboot_body rb = { 0 };
    mv_domain_event_io_error_body ie = { 0 };
    mv_domain_event_io_error_reason_body ir = { 0 };
    mv_domain_event_block_job_body bj = { 0 };
    mv_domain_event_balloon_change_body bc = { 0 };
    mv_domain_event_device_body dr = { 0 };
    pthread_t t;

    setup_default();
    fd = client(MV_LISTENER_RW);
    open_ok(fd);
    reboot = register_event(fd, 2, 1, NULL);
    io = register_event(fd, 3, 4, NULL);
    io_reason = register_event(fd, 4, 6, uuid_a);
    job2 = register_event(fd, 5, 16, NULL);
    balloon = register_event(fd, 6, 13, NULL);
    removed = register_event(fd, 7, 15, NULL);
    register_event(fd, 8, 15, uuid_b);         /* another domain's: nothing */

    CHECK_INT(pthread_create(&t, NULL, raise_others, NULL), 0);
    pthread_join(t, NULL);
    expect_event(fd, 319, reboot, (xdrproc_t)xdr_mv_domain_event_reboot_body, &rb);
    CHECK_STR(rb.dom.name, "guest");
    CHECK_INT(rb.dom.id, 3);
    expect_event(fd, 322, io, (xdrproc_t)xdr_mv_domain_event_io_error_body, &ie);
    CHECK_STR(ie.srcPath, "/img/a.qcow2");
    CHECK_STR(ie.devAlias, "virtio-disk0");
    CHECK_INT(ie.action, 1);
    expect_event(fd, 324, io_reason, (xdrproc_t)xdr_mv_domain_event_io_error_reason_body, &ir);
    CHECK_STR(ir.reason, "enospc");
    expect_event(fd, 339, job2, (xdrproc_t)xdr_mv_domain_event_block_job_body, &bj);
    CHECK_STR(bj.path, "vda");
    CHECK_INT(bj.type, 2);
    expect_event(fd, 331, balloon, (xdrproc_t)xdr_mv_domain_event_balloon_change_body, &bc);
    CHECK(bc.actual == 524288);
    expect_event(fd, 333, removed, (xdrproc_t)xdr_mv_domain_event_device_body, &dr);
    CHECK_STR(dr.devAlias, "net0");
    CHECK(!fixture_readable(event, fd));
    mv_body_free((xdrproc_t)xdr_mv_domain_event_reboot_body, &rb);
    mv_body_free((xdrproc_t)xdr_mv_domain_event_io_error_body, &ie);
    mv_body_free((xdrproc_t)xdr_mv_domain_event_io_error_reason_body, &ir);
    mv_body_free((xdrproc_t)xdr_mv_domain_event_block_job_body, &bj);
    mv_body_free((xdrproc_t)xdr_mv_domain_event_balloon_change_body, &bc);
    mv_body_free((xdrproc_t)xdr_mv_domain_event_device_body, &dr);
    close(fd);
    teardown();
}

/*----- relayed calls -----*/

static char sockdir[] = "/tmp/mv-test-dispatch-XXXXXX";

static int listen_at(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    CHECK(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strnlen(path, sizeof(sa.sun_path) - 1));
    CHECK(fd >= 0);
    CHECK_INT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    CHECK_INT(listen(fd, 8), 0);
    return fd;
}

/* The upstream side: accept the relay's connection (running the loop
 * until it comes). */
static int accept_upstream(int lfd)
{
    for (int i = 0; i < 100; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

        if (fd >= 0)
            return fd;
        sd_event_run(event, 10000);
    }
    CHECK(!"the relay never connected");
    return -1;
}

static void reply_to(int fd, const mv_header *call_hdr, xdrproc_t xdr, void *body)
{
    mv_header h = *call_hdr;

    h.type = MV_MESSAGE_REPLY;
    h.status = MV_STATUS_OK;
    CHECK_INT(fixture_send(fd, &h, xdr, body), 0);
}

/* A relay with no driver of its own (as virtproxyd) whose virtqemud is a
 * socket we listen on (*ret_lfd); returns a read-write client of it. */
static int relay_setup(int *ret_lfd)
{
    mv_remote_config rc;
    char path[128];

    strcpy(sockdir, "/tmp/mv-test-dispatch-XXXXXX");
    CHECK(mkdtemp(sockdir) != NULL);
    snprintf(path, sizeof(path), "%s/virtqemud-sock", sockdir);
    *ret_lfd = listen_at(path);
    fixture_remote_defaults(NULL, &rc);
    rc.handlers[MV_OWNER_HYPERVISOR] = NULL;
    rc.socket_dir = sockdir;
    setup(&rc);
    return client(MV_LISTENER_RW);
}

static void relay_cleanup(int lfd)
{
    char path[128];

    close(lfd);
    snprintf(path, sizeof(path), "%s/virtqemud-sock", sockdir);
    unlink(path);
    rmdir(sockdir);
}

static void test_relay(void)
{
    static uint8_t buf[1 << 16], sent[256];
    mv_connect_get_version_ret ver = { .hv_ver = 42 };
    mv_connect_get_uri_ret uri = { 0 };
    int lfd, fd, up;
    size_t len;
    mv_header h;

    fd = relay_setup(&lfd);

    /* the open goes upstream: identity first, then the client's own open */
    open_uri(fd, 7, "qemu:///system", 0);
    up = accept_upstream(lfd);
    len = fixture_read_packet(event, up, buf, sizeof(buf), &h);
    CHECK(len > 0);
    CHECK_INT(h.proc, MV_PROC_CONNECT_SET_IDENTITY);
    CHECK_INT(h.type, MV_MESSAGE_CALL);
    {
        mv_connect_set_identity_args args = { 0 };
        bool uid_seen = false;

        CHECK_INT(mv_body_decode(buf + MV_PACKET_MIN, len - MV_PACKET_MIN,
                                 (xdrproc_t)xdr_mv_connect_set_identity_args, &args), 0);
        for (unsigned i = 0; i < args.params.params_len; i++) {
            const mv_typed_param *p = &args.params.params_val[i];

            if (strcmp(p->field, "unix-user-id") == 0) {
                uid_seen = true;
                CHECK_INT(p->value.mv_typed_param_value_u.ul, getuid());
            }
        }
        CHECK(uid_seen);
        mv_body_free((xdrproc_t)xdr_mv_connect_set_identity_args, &args);
    }
    reply_to(up, &h, NULL, NULL);
    len = fixture_read_packet(event, up, buf, sizeof(buf), &h);
    CHECK(len > 0);
    CHECK_INT(h.proc, MV_PROC_CONNECT_OPEN);
    CHECK_INT(h.serial, 7);
    {
        mv_connect_open_args args = { 0 };

        CHECK_INT(mv_body_decode(buf + MV_PACKET_MIN, len - MV_PACKET_MIN,
                                 (xdrproc_t)xdr_mv_connect_open_args, &args), 0);
        CHECK(args.name != NULL);
        if (args.name)
            CHECK_STR(*args.name, "qemu:///system");
        CHECK_INT(args.flags, 0);
        mv_body_free((xdrproc_t)xdr_mv_connect_open_args, &args);
    }
    CHECK(!fixture_readable(event, fd));
    reply_to(up, &h, NULL, NULL);
    expect_ok(fd, 7, NULL, NULL);
    call(fd, MV_PROC_CONNECT_GET_URI, 8, NULL, NULL);
    expect_ok(fd, 8, (xdrproc_t)xdr_mv_connect_get_uri_ret, &uri);
    CHECK_STR(uri.uri, "qemu:///system");
    mv_body_free((xdrproc_t)xdr_mv_connect_get_uri_ret, &uri);

    /* a hypervisor call goes up byte for byte, its reply comes back */
    {
        mv_header ch = { .prog = MV_REMOTE_PROGRAM, .vers = 1, .proc = MV_PROC_CONNECT_GET_VERSION,
                         .type = MV_MESSAGE_CALL, .serial = 9 };
        size_t n = mv_packet_size(NULL, NULL);

        CHECK_INT(mv_packet_encode(&ch, NULL, NULL, sent, n), 0);
        CHECK_INT(write(fd, sent, n), (ssize_t)n);
        len = fixture_read_packet(event, up, buf, sizeof(buf), &h);
        CHECK_INT(len, n);
        CHECK_MEM(buf, sent, n);
    }
    reply_to(up, &h, (xdrproc_t)xdr_mv_connect_get_version_ret, &ver);
    ver.hv_ver = 0;
    expect_ok(fd, 9, (xdrproc_t)xdr_mv_connect_get_version_ret, &ver);
    CHECK_INT(ver.hv_ver, 42);

    /* a reply nobody asked for is dropped; an event passes unchanged */
    reply_to(up, &(mv_header){ .prog = MV_REMOTE_PROGRAM, .vers = 1, .proc = 4, .serial = 99 },
             (xdrproc_t)xdr_mv_connect_get_version_ret, &ver);
    CHECK(!fixture_readable(event, fd));
    {
        mv_header eh = { .prog = MV_REMOTE_PROGRAM, .vers = 1, .proc = 318,
                         .type = MV_MESSAGE_ASYNC, .serial = 0 };
        mv_domain_event_callback_lifecycle_msg msg = {
            .callbackID = 77, .msg = { .dom = { .name = "guest", .id = 3 } },
        };

        memcpy(msg.msg.dom.uuid, uuid_a, 16);
        msg.msg.event = MV_DOMAIN_EVENT_DEFINED;
        msg.msg.detail = MV_DOMAIN_EVENT_DEFINED_UPDATED;
        CHECK_INT(fixture_send(up, &eh, (xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg,
                               &msg), 0);
        expect_lifecycle(fd, 77);
    }

    /* the upstream dies owing a call: the call fails, the client is closed */
    call(fd, MV_PROC_CONNECT_GET_VERSION, 10, NULL, NULL);
    len = fixture_read_packet(event, up, buf, sizeof(buf), &h);
    CHECK_INT(h.serial, 10);
    close(up);
    expect_error(fd, 10, MV_ERR_SYSTEM_ERROR, MV_FROM_RPC,
                 "End of file while reading data: Input/output error");
    CHECK_INT(fixture_read_packet(event, fd, buf, sizeof(buf), &h), 0);
    CHECK_INT(mv_server_client_count(fx.server), 0);
    close(fd);
    teardown();
    relay_cleanup(lfd);
}

/* An upstream that answers the client's open with a reply to something
 * else: the client still gets an answer to its own open, with its serial. */
static void test_relay_foreign_open_reply(void)
{
    static uint8_t buf[4096];
    int lfd, fd, up;
    mv_header h;

    fd = relay_setup(&lfd);

    for (int round = 0; round < 2; round++) {
        uint32_t serial = 7 + round;

        open_uri(fd, serial, "qemu:///system", 0);
        up = accept_upstream(lfd);
        CHECK(fixture_read_packet(event, up, buf, sizeof(buf), &h) > 0);
        CHECK_INT(h.proc, MV_PROC_CONNECT_SET_IDENTITY);
        reply_to(up, &h, NULL, NULL);
        CHECK(fixture_read_packet(event, up, buf, sizeof(buf), &h) > 0);
        CHECK_INT(h.proc, MV_PROC_CONNECT_OPEN);
        CHECK_INT(h.serial, serial);
        /* first a success, then a failure, each for another serial */
        h.serial = 4242;
        h.type = MV_MESSAGE_REPLY;
        h.status = round == 0 ? MV_STATUS_OK : MV_STATUS_ERROR;
        if (round == 0) {
            CHECK_INT(fixture_send(up, &h, NULL, NULL), 0);
        } else {
            mv_error e = { .code = MV_ERR_INTERNAL_ERROR, .domain = MV_FROM_RPC,
                           .message = "not yours" };
            mv_packet p;

            CHECK_INT(mv_packet_new_error(&h, &e, &p), 0);
            CHECK_INT(write(up, p.data, p.len), (ssize_t)p.len);
            free(p.data);
        }
        expect_error(fd, serial, MV_ERR_SYSTEM_ERROR, MV_FROM_RPC,
                     "End of file while reading data: Input/output error");
        CHECK(!fixture_readable(event, fd));
        /* the client is not open, and may try again */
        call(fd, MV_PROC_CONNECT_GET_VERSION, 20, NULL, NULL);
        expect_error(fd, 20, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC,
                     "internal error: connection not open");
        close(up);
    }
    CHECK_INT(mv_server_client_count(fx.server), 1);
    close(fd);
    teardown();
    relay_cleanup(lfd);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_program_type_status_procedure();
    test_open_without_driver();
    test_relay_no_daemon();
    test_relay_network_no_daemon();
    test_read_only();
    test_set_identity();
    test_event_registration();
    test_lifecycle_event();
    test_other_events();
    test_relay();
    test_relay_foreign_open_reply();
    TEST_DONE();
}
