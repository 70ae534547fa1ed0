/* Packet framing and XDR encoding, checked byte for byte. */
#include <errno.h>

#include "mv_remote.h"
#include "rpc/message.h"
#include "test.h"

static void test_header_round_trip(void)
{
    const mv_header h = { .prog = 0x11223344, .vers = 1, .proc = 666,
                          .type = MV_MESSAGE_CALL, .serial = 0x99, .status = MV_STATUS_OK };
    static const uint8_t expect[24] = {
        0x11, 0x22, 0x33, 0x44, 0, 0, 0, 1, 0, 0, 0x02, 0x9a,
        0, 0, 0, 0, 0, 0, 0, 0x99, 0, 0, 0, 0,
    };
    uint8_t buf[24];
    mv_header back;

    mv_header_encode(&h, buf);
    CHECK_MEM(buf, expect, sizeof(expect));
    mv_header_decode(buf, &back);
    CHECK(memcmp(&h, &back, sizeof(h)) == 0);

    /* negative procedure numbers survive the trip */
    mv_header neg = h;
    neg.proc = -5;
    mv_header_encode(&neg, buf);
    mv_header_decode(buf, &back);
    CHECK_INT(back.proc, -5);
}

static void test_length_limits(void)
{
    uint8_t b[4];
    uint32_t len = 0;

    memcpy(b, "\0\0\0\x1c", 4);          /* 28: header only */
    CHECK_INT(mv_packet_length(b, &len), 0);
    CHECK_INT(len, 28);
    memcpy(b, "\0\0\0\x1b", 4);          /* 27: shorter than a header */
    CHECK_INT(mv_packet_length(b, &len), -EBADMSG);
    memcpy(b, "\x02\0\0\0", 4);          /* exactly 32 MiB */
    CHECK_INT(mv_packet_length(b, &len), 0);
    memcpy(b, "\x02\0\0\x01", 4);        /* one byte more */
    CHECK_INT(mv_packet_length(b, &len), -EBADMSG);
    memcpy(b, "\xff\xff\xff\xff", 4);
    CHECK_INT(mv_packet_length(b, &len), -EBADMSG);
}

static void test_error_packet(void)
{
    const mv_header call = { .prog = 0x20008086, .vers = 1, .proc = 59,
                             .type = MV_MESSAGE_CALL, .serial = 7 };
    mv_error err = { .code = 42, .domain = 10 };
    mv_packet p;
    static const uint8_t expect[] = {
        0, 0, 0, 0x54,                                  /* length 84 */
        0x20, 0x00, 0x80, 0x86, 0, 0, 0, 1, 0, 0, 0, 59,
        0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0, 1,             /* REPLY, serial, ERROR */
        0, 0, 0, 42, 0, 0, 0, 10,                       /* code, domain */
        0, 0, 0, 1, 0, 0, 0, 5, 'o', 'o', 'p', 's', '!', 0, 0, 0,  /* message */
        0, 0, 0, 2,                                     /* level */
        0, 0, 0, 0,                                     /* dom */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,             /* str1-3 */
        0, 0, 0, 0, 0, 0, 0, 0,                         /* int1, int2 */
        0, 0, 0, 0,                                     /* net */
    };

    strcpy(err.message, "oops!");
    CHECK_INT(mv_packet_new_error(&call, &err, &p), 0);
    CHECK_INT(p.len, sizeof(expect));
    CHECK_MEM(p.data, expect, sizeof(expect));
    free(p.data);
}

static void test_open_args_round_trip(void)
{
    char *uri = "qemu:///system";
    mv_connect_open_args in = { .name = &uri, .flags = 1 }, out;
    mv_header h = { .prog = MV_REMOTE_PROGRAM, .vers = 1, .proc = MV_PROC_CONNECT_OPEN };
    static const uint8_t body[] = {
        0, 0, 0, 1, 0, 0, 0, 14, 'q', 'e', 'm', 'u', ':', '/', '/', '/',
        's', 'y', 's', 't', 'e', 'm', 0, 0, 0, 0, 0, 1,
    };
    mv_packet p;

    CHECK_INT(mv_packet_new(&h, (xdrproc_t)xdr_mv_connect_open_args, &in, &p), 0);
    CHECK_INT(p.len, MV_PACKET_MIN + sizeof(body));
    CHECK_MEM(p.data + MV_PACKET_MIN, body, sizeof(body));

    memset(&out, 0, sizeof(out));
    CHECK_INT(mv_body_decode(p.data + MV_PACKET_MIN, p.len - MV_PACKET_MIN,
                             (xdrproc_t)xdr_mv_connect_open_args, &out), 0);
    CHECK(out.name && strcmp(*out.name, uri) == 0);
    CHECK_INT(out.flags, 1);
    mv_body_free((xdrproc_t)xdr_mv_connect_open_args, &out);

    /* every truncation of the body fails cleanly */
    for (size_t n = 0; n < sizeof(body); n++) {
        memset(&out, 0, sizeof(out));
        CHECK_INT(mv_body_decode(body, n, (xdrproc_t)xdr_mv_connect_open_args, &out), -EBADMSG);
    }
    free(p.data);
}

static void test_string_limit(void)
{
    /* a string that claims to be longer than the protocol allows */
    static const uint8_t body[] = { 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 'x', 'y', 'z', 0 };
    mv_connect_open_args out = { 0 };

    CHECK_INT(mv_body_decode(body, sizeof(body), (xdrproc_t)xdr_mv_connect_open_args, &out),
              -EBADMSG);
}

static void test_no_body(void)
{
    CHECK_INT(mv_body_decode((const uint8_t *)"", 0, NULL, NULL), 0);
    CHECK_INT(mv_body_decode((const uint8_t *)"abcd", 4, NULL, NULL), -EBADMSG);
    CHECK_INT(mv_packet_size(NULL, NULL), 28);
}

static void test_typed_params(void)
{
    mv_typed_param params[2] = {
        { .field = "unix-user-id", .value = { .type = MV_TYPED_PARAM_ULLONG } },
        { .field = "user-name", .value = { .type = MV_TYPED_PARAM_STRING } },
    };
    mv_connect_set_identity_args in = { .params = { 2, params } }, out = { 0 };
    mv_header h = { .prog = MV_REMOTE_PROGRAM, .vers = 1, .proc = MV_PROC_CONNECT_SET_IDENTITY };
    mv_packet p;

    params[0].value.mv_typed_param_value_u.ul = 1000;
    params[1].value.mv_typed_param_value_u.s = "alice";
    CHECK_INT(mv_packet_new(&h, (xdrproc_t)xdr_mv_connect_set_identity_args, &in, &p), 0);
    CHECK_INT(mv_body_decode(p.data + MV_PACKET_MIN, p.len - MV_PACKET_MIN,
                             (xdrproc_t)xdr_mv_connect_set_identity_args, &out), 0);
    CHECK_INT(out.params.params_len, 2);
    CHECK_STR(out.params.params_val[1].field, "user-name");
    CHECK_STR(out.params.params_val[1].value.mv_typed_param_value_u.s, "alice");
    CHECK_INT(out.params.params_val[0].value.mv_typed_param_value_u.ul, 1000);
    mv_body_free((xdrproc_t)xdr_mv_connect_set_identity_args, &out);
    free(p.data);

    /* an unknown discriminant is refused */
    static const uint8_t bad[] = { 0, 0, 0, 1, 0, 0, 0, 1, 'a', 0, 0, 0, 0, 0, 0, 99, 0, 0, 0, 0 };
    memset(&out, 0, sizeof(out));
    CHECK_INT(mv_body_decode(bad, sizeof(bad), (xdrproc_t)xdr_mv_connect_set_identity_args, &out),
              -EBADMSG);
}

int main(void)
{
    test_header_round_trip();
    test_length_limits();
    test_error_packet();
    test_open_args_round_trip();
    test_string_limit();
    test_no_body();
    test_typed_params();
    TEST_DONE();
}
