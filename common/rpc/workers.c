#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "rpc/workers.h"
#include "util/log.h"

typedef struct work_item {
    struct work_item *next;
    mv_workers *owner;
    mv_work_fn work;
    mv_done_fn done;
    void *data;
} work_item;

struct mv_workers {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    work_item *head, *tail;    /* waiting for a thread */
    mv_loop *loop;
    unsigned max;
    unsigned nthreads;
    unsigned idle;
    unsigned pending;          /* loop thread only */
    bool quit;
    pthread_t *threads;
};

static void finished(void *data)
{
    work_item *j = data;

    j->owner->pending--;
    j->done(j->data);
    free(j);
}

static void *worker_main(void *arg)
{
    mv_workers *w = arg;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        work_item *j;

        while (!w->head && !w->quit) {
            w->idle++;
            pthread_cond_wait(&w->cond, &w->lock);
            w->idle--;
        }
        if (!w->head)
            break;
        j = w->head;
        w->head = j->next;
        if (!w->head)
            w->tail = NULL;
        pthread_mutex_unlock(&w->lock);

        j->work(j->data);
        /* Posting only fails for lack of memory; the reply would be lost
         * and the client left waiting, so retry rather than drop it. */
        while (mv_loop_post(w->loop, finished, j) < 0)
            log_error("cannot post a finished call to the loop, retrying");

        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int mv_workers_new(mv_loop *loop, unsigned max, mv_workers **ret)
{
    mv_workers *w = calloc(1, sizeof(*w));

    if (!w)
        return -ENOMEM;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->loop = loop;
    w->max = max ? max : 1;
    w->threads = calloc(w->max, sizeof(pthread_t));
    if (!w->threads) {
        mv_workers_free(w);
        return -ENOMEM;
    }
    *ret = w;
    return 0;
}

int mv_workers_submit(mv_workers *w, mv_work_fn work, mv_done_fn done, void *data)
{
    work_item *j = malloc(sizeof(*j));
    int r = 0;

    if (!j)
        return -ENOMEM;
    *j = (work_item){ .owner = w, .work = work, .done = done, .data = data };

    pthread_mutex_lock(&w->lock);
    if (w->idle == 0 && w->nthreads < w->max) {
        pthread_attr_t attr;

        /* Workers only run handlers; a modest stack keeps many cheap. */
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 512 * 1024);
        r = -pthread_create(&w->threads[w->nthreads], &attr, worker_main, w);
        pthread_attr_destroy(&attr);
        if (r == 0)
            w->nthreads++;
        else if (w->nthreads > 0)
            r = 0;          /* the existing threads will get to it */
    }
    if (r == 0) {
        if (w->tail)
            w->tail->next = j;
        else
            w->head = j;
        w->tail = j;
        pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
    if (r < 0) {
        free(j);
        return r;
    }
    w->pending++;
    return 0;
}

unsigned mv_workers_pending(const mv_workers *w)
{
    return w->pending;
}

void mv_workers_free(mv_workers *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->quit = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    for (unsigned i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    mv_loop_flush(w->loop);     /* the done callbacks still refer to w */
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w->threads);
    free(w);
}
