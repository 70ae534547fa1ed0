/*
 * The network driver table (virtnetworkd).  Its calls arrive with virtnetworkd; until then a
 * daemon that has no network driver relays the network procedures to virtnetworkd's
 * socket (common/remote/relay.c), and CONNECT_OPEN of network:/// is refused
 * by daemons without one.
 */
#ifndef MV_DRIVER_NETWORK_H
#define MV_DRIVER_NETWORK_H

#include "driver/session.h"

typedef struct mv_network_driver {
    const char *name;       /* what virConnectGetType reports */
    const char *scheme;     /* "network" */
    /* Check the path of the URI the client opens; the scheme matched. */
    int (*connect_open)(const mv_session *sess, const char *path);
} mv_network_driver;

#endif
