/*
 * Event callbacks of a client: registration with a hard limit per client,
 * callback ids from this daemon's own range (so that ids of two daemons
 * never collide on one client connection behind a relay, and the relay
 * never rewrites a payload), and delivery of the events drivers raise from
 * any thread, posted to the loop.
 */
#ifndef MV_REMOTE_EVENTS_H
#define MV_REMOTE_EVENTS_H

#include <stdbool.h>

#include "remote/client.h"

/* Register a domain event callback (eventID, optionally for one domain by
 * uuid); returns the callback id or < 0 with the error recorded. */
int mv_events_register_domain(mv_client *c, int event_id, const unsigned char *uuid);
int mv_events_deregister(mv_client *c, int callback_id);

#endif
