/*
 * The daemon's event loop, and the one way for any other thread to get
 * work done on it: mv_loop_post().  Replies are written, clients closed
 * and events delivered only by the loop thread; workers, QEMU monitor
 * threads and drivers post to it instead of touching connections.
 */
#ifndef MV_LOOP_H
#define MV_LOOP_H

#include <systemd/sd-event.h>

typedef struct mv_loop mv_loop;
typedef void (*mv_loop_fn)(void *data);

int mv_loop_new(sd_event *event, mv_loop **ret);
sd_event *mv_loop_event(mv_loop *l);

/* From any thread: run fn(data) on the loop thread, in posting order.
 * Fails only for lack of memory; fn is then not run. */
int mv_loop_post(mv_loop *l, mv_loop_fn fn, void *data);

/* Loop thread: run what is queued now, without waiting for the loop. */
void mv_loop_flush(mv_loop *l);

/* Runs what is still queued, then frees. */
void mv_loop_free(mv_loop *l);

#endif
