/* What server.c keeps on a connection it accepted.  Internal to common/rpc. */
#ifndef MV_CONN_PRIV_H
#define MV_CONN_PRIV_H

#include "rpc/conn.h"

typedef struct mv_conn_watch {
    void (*gone)(mv_conn *c, void *data);   /* after the owner's closed() */
    void *data;
} mv_conn_watch;

void mv_conn_set_watch(mv_conn *c, const mv_conn_watch *w);

#endif
