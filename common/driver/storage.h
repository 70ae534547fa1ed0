/*
 * The storage driver table, served by virtstoraged (storage:///system).  Its calls
 * come with that daemon; until then every other daemon relays the storage
 * procedures to virtstoraged's socket (common/remote/relay.c).
 */
#ifndef MV_DRIVER_STORAGE_H
#define MV_DRIVER_STORAGE_H

#include "driver/session.h"

typedef struct mv_storage_driver {
    const char *name;       /* what virConnectGetType reports */
    const char *scheme;     /* "storage" */
    /* Check the path of the URI the client opens; the scheme matched. */
    int (*connect_open)(const mv_session *sess, const char *path);
} mv_storage_driver;

#endif
