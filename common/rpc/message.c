#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/message.h"

int mv_packet_length(const uint8_t buf[MV_MESSAGE_LEN_SIZE], uint32_t *ret_len)
{
    uint32_t len = mv_be32(buf);

    if (len < MV_PACKET_MIN || len > MV_MESSAGE_MAX)
        return -EBADMSG;
    *ret_len = len;
    return 0;
}

void mv_header_decode(const uint8_t buf[MV_MESSAGE_HEADER_SIZE], mv_header *ret)
{
    ret->prog = mv_be32(buf);
    ret->vers = mv_be32(buf + 4);
    ret->proc = (int32_t)mv_be32(buf + 8);
    ret->type = mv_be32(buf + 12);
    ret->serial = mv_be32(buf + 16);
    ret->status = mv_be32(buf + 20);
}

void mv_header_encode(const mv_header *h, uint8_t buf[MV_MESSAGE_HEADER_SIZE])
{
    mv_put_be32(buf, h->prog);
    mv_put_be32(buf + 4, h->vers);
    mv_put_be32(buf + 8, (uint32_t)h->proc);
    mv_put_be32(buf + 12, h->type);
    mv_put_be32(buf + 16, h->serial);
    mv_put_be32(buf + 20, h->status);
}

size_t mv_body_size(xdrproc_t body_xdr, void *body)
{
    return body_xdr ? xdr_sizeof(body_xdr, body) : 0;
}

int mv_body_encode(xdrproc_t body_xdr, void *body, uint8_t *buf, size_t len)
{
    XDR xdr;
    int ok;

    if (!body_xdr || len == 0)
        return 0;
    xdrmem_create(&xdr, (char *)buf, len, XDR_ENCODE);
    ok = body_xdr(&xdr, body, 0);
    xdr_destroy(&xdr);
    return ok ? 0 : -EBADMSG;
}

size_t mv_packet_size(xdrproc_t body_xdr, void *body)
{
    return MV_PACKET_MIN + mv_body_size(body_xdr, body);
}

int mv_packet_encode(const mv_header *h, xdrproc_t body_xdr, void *body,
                     uint8_t *buf, size_t len)
{
    if (len < MV_PACKET_MIN || len > MV_MESSAGE_MAX)
        return -EMSGSIZE;
    mv_put_be32(buf, (uint32_t)len);
    mv_header_encode(h, buf + MV_MESSAGE_LEN_SIZE);
    return mv_body_encode(body_xdr, body, buf + MV_PACKET_MIN, len - MV_PACKET_MIN);
}

int mv_packet_new(const mv_header *h, xdrproc_t body_xdr, void *body, mv_packet *ret)
{
    size_t len = mv_packet_size(body_xdr, body);
    uint8_t *buf;
    int r;

    if (len > MV_MESSAGE_MAX)
        return -EMSGSIZE;
    buf = malloc(len);
    if (!buf)
        return -ENOMEM;
    r = mv_packet_encode(h, body_xdr, body, buf, len);
    if (r < 0) {
        free(buf);
        return r;
    }
    ret->data = buf;
    ret->len = len;
    return 0;
}

int mv_packet_new_error(const mv_header *call_hdr, const mv_error *err, mv_packet *ret)
{
    mv_header h = *call_hdr;
    char *message = (char *)err->message;
    mv_error_body body = {
        .code = err->code,
        .domain = err->domain,
        .message = &message,
        .level = MV_ERR_LEVEL_ERROR,
    };

    h.type = MV_MESSAGE_REPLY;
    h.status = MV_STATUS_ERROR;
    return mv_packet_new(&h, (xdrproc_t)xdr_mv_error_body, &body, ret);
}

int mv_packet_error(const uint8_t *pkt, size_t len, mv_error *ret)
{
    mv_error_body body = { 0 };

    if (len < MV_PACKET_MIN ||
        mv_body_decode(pkt + MV_PACKET_MIN, len - MV_PACKET_MIN,
                       (xdrproc_t)xdr_mv_error_body, &body) < 0)
        return -EBADMSG;
    *ret = (mv_error){ .code = body.code, .domain = body.domain };
    snprintf(ret->message, sizeof(ret->message), "%s",
             body.message && *body.message ? *body.message : "unknown error");
    mv_body_free((xdrproc_t)xdr_mv_error_body, &body);
    return 0;
}

int mv_body_decode(const uint8_t *buf, size_t len, xdrproc_t body_xdr, void *body)
{
    XDR xdr;
    int ok;

    if (!body_xdr)
        return len == 0 ? 0 : -EBADMSG;
    xdrmem_create(&xdr, (char *)buf, len, XDR_DECODE);
    ok = body_xdr(&xdr, body, 0);
    xdr_destroy(&xdr);
    if (!ok) {
        xdr_free(body_xdr, body);
        return -EBADMSG;
    }
    return 0;
}

void mv_body_free(xdrproc_t body_xdr, void *body)
{
    if (body_xdr)
        xdr_free(body_xdr, body);
}
