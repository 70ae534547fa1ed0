/*
 * The storage driver table (virtstoraged).  Its calls arrive with virtstoraged; until then a
 * daemon that has no storage driver relays the storage procedures to virtstoraged's
 * socket (common/remote/relay.c), and CONNECT_OPEN of storage:/// is refused
 * by daemons without one.
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
