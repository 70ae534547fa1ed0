/*
 * The network driver table, served by virtnetworkd (network:///system).  Its calls
 * come with that daemon; until then every other daemon relays the network
 * procedures to virtnetworkd's socket (common/remote/relay.c).
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
