/*
 * The secret driver table, served by virtsecretd (secret:///system).  Its calls
 * come with that daemon; until then every other daemon relays the secret
 * procedures to virtsecretd's socket (common/remote/relay.c).
 */
#ifndef MV_DRIVER_SECRET_H
#define MV_DRIVER_SECRET_H

#include "driver/session.h"

typedef struct mv_secret_driver {
    const char *name;       /* what virConnectGetType reports */
    const char *scheme;     /* "secret" */
    /* Check the path of the URI the client opens; the scheme matched. */
    int (*connect_open)(const mv_session *sess, const char *path);
} mv_secret_driver;

#endif
