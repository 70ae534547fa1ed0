/*
 * Worker threads for calls that may block (QEMU monitor, spawning, disk
 * I/O).  A job's work runs on a worker; its done callback runs afterwards on
 * the event loop (posted with mv_loop_post), so replies are only ever
 * written by the loop.
 */
#ifndef MV_WORKERS_H
#define MV_WORKERS_H

#include "rpc/loop.h"

typedef struct mv_workers mv_workers;
typedef void (*mv_work_fn)(void *data);
typedef void (*mv_done_fn)(void *data);

/* Threads are started on demand up to max and kept once started. */
int mv_workers_new(mv_loop *loop, unsigned max, mv_workers **ret);
int mv_workers_submit(mv_workers *w, mv_work_fn work, mv_done_fn done, void *data);
/* Jobs submitted whose done callback has not run yet (loop thread). */
unsigned mv_workers_pending(const mv_workers *w);
/* Loop thread: waits for running and queued jobs and runs their done
 * callbacks before returning. */
void mv_workers_free(mv_workers *w);

#endif
