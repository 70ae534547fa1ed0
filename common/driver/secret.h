/*
 * The secret driver table (virtsecretd).  Its calls arrive with virtsecretd; until then a
 * daemon that has no secret driver relays the secret procedures to virtsecretd's
 * socket (common/remote/relay.c), and CONNECT_OPEN of secret:/// is refused
 * by daemons without one.
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
