/*
 * Packets of the libvirt RPC wire protocol: the header, and whole packets
 * (length word, header, XDR body) built from a body and its XDR routine.
 */
#ifndef MV_MESSAGE_H
#define MV_MESSAGE_H

#include <stdint.h>
#include <stddef.h>
#include <rpc/rpc.h>

#include "mv_packet.h"
#include "util/error.h"

#define MV_PACKET_MIN (MV_MESSAGE_LEN_SIZE + MV_MESSAGE_HEADER_SIZE)

typedef struct mv_header {
    uint32_t prog;
    uint32_t vers;
    int32_t proc;
    uint32_t type;
    uint32_t serial;
    uint32_t status;
} mv_header;

/* A packet ready to send; data points at the length word. */
typedef struct mv_packet {
    uint8_t *data;
    size_t len;
} mv_packet;

static inline uint32_t mv_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void mv_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* Length word of a packet: -EBADMSG when it cannot be a valid packet. */
int mv_packet_length(const uint8_t buf[MV_MESSAGE_LEN_SIZE], uint32_t *ret_len);

void mv_header_decode(const uint8_t buf[MV_MESSAGE_HEADER_SIZE], mv_header *ret);
void mv_header_encode(const mv_header *h, uint8_t buf[MV_MESSAGE_HEADER_SIZE]);

/* Bytes needed for a packet with this body (body_xdr NULL: no body). */
size_t mv_packet_size(xdrproc_t body_xdr, void *body);

/* Encode header and body into buf (of mv_packet_size() bytes). */
int mv_packet_encode(const mv_header *h, xdrproc_t body_xdr, void *body,
                     uint8_t *buf, size_t len);

/* Allocate and encode a packet. */
int mv_packet_new(const mv_header *h, xdrproc_t body_xdr, void *body, mv_packet *ret);

/* An error reply to the call whose header is call_hdr. */
int mv_packet_new_error(const mv_header *call_hdr, const mv_error *err, mv_packet *ret);
/* The error an error reply (a whole packet of len bytes) carries. */
int mv_packet_error(const uint8_t *pkt, size_t len, mv_error *ret);

/* Bytes of a body alone, and its encoding into buf (of that many bytes). */
size_t mv_body_size(xdrproc_t body_xdr, void *body);
int mv_body_encode(xdrproc_t body_xdr, void *body, uint8_t *buf, size_t len);

/* Decode a body; on failure everything decoded so far is freed. */
int mv_body_decode(const uint8_t *buf, size_t len, xdrproc_t body_xdr, void *body);

/* Free what decoding allocated inside body; body_xdr may be NULL. */
void mv_body_free(xdrproc_t body_xdr, void *body);

#endif
