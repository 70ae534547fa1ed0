#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "rpc/workers.h"
#include "util/log.h"

typedef struct job {
    struct job *next;
    mv_work_fn work;
    mv_done_fn done;
    void *data;
} job;

typedef struct queue {
    job *head, *tail;
} queue;

struct mv_workers {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    queue todo;            /* waiting for a thread */
    queue finished;        /* waiting for the loop */
    unsigned max;
    unsigned nthreads;
    unsigned idle;
    unsigned pending;      /* loop thread only */
    bool quit;
    pthread_t *threads;
    int efd;
    sd_event_source *source;
};

static void push(queue *q, job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

static job *pop(queue *q)
{
    job *j = q->head;

    if (j) {
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
    }
    return j;
}

static void *worker_main(void *arg)
{
    mv_workers *w = arg;
    uint64_t one = 1;

    pthread_mutex_lock(&w->lock);
    for (;;) {
        job *j;

        while (!w->todo.head && !w->quit) {
            w->idle++;
            pthread_cond_wait(&w->cond, &w->lock);
            w->idle--;
        }
        if (w->quit && !w->todo.head)
            break;
        j = pop(&w->todo);
        pthread_mutex_unlock(&w->lock);

        j->work(j->data);

        pthread_mutex_lock(&w->lock);
        push(&w->finished, j);
        if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
            log_error("cannot wake the event loop: %m");
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void run_finished(mv_workers *w)
{
    queue done;

    pthread_mutex_lock(&w->lock);
    done = w->finished;
    w->finished.head = w->finished.tail = NULL;
    pthread_mutex_unlock(&w->lock);

    for (job *j = pop(&done); j; j = pop(&done)) {
        w->pending--;
        j->done(j->data);
        free(j);
    }
}

static int on_wakeup(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    uint64_t n;

    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        return -errno;
    run_finished(userdata);
    return 0;
}

int mv_workers_new(sd_event *event, unsigned max, mv_workers **ret)
{
    mv_workers *w = calloc(1, sizeof(*w));
    int r;

    if (!w)
        return -ENOMEM;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->max = max ? max : 1;
    w->threads = calloc(w->max, sizeof(pthread_t));
    w->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!w->threads || w->efd < 0) {
        r = w->threads ? -errno : -ENOMEM;
        mv_workers_free(w);
        return r;
    }
    r = sd_event_add_io(event, &w->source, w->efd, EPOLLIN, on_wakeup, w);
    if (r < 0) {
        mv_workers_free(w);
        return r;
    }
    *ret = w;
    return 0;
}

int mv_workers_submit(mv_workers *w, mv_work_fn work, mv_done_fn done, void *data)
{
    job *j = malloc(sizeof(*j));
    int r = 0;

    if (!j)
        return -ENOMEM;
    j->work = work;
    j->done = done;
    j->data = data;

    pthread_mutex_lock(&w->lock);
    push(&w->todo, j);
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
    if (r == 0)
        pthread_cond_signal(&w->cond);
    else {
        /* No thread at all: take the job back. */
        w->todo.head = w->todo.tail = NULL;
        free(j);
    }
    pthread_mutex_unlock(&w->lock);
    if (r == 0)
        w->pending++;
    return r;
}

unsigned mv_workers_pending(const mv_workers *w)
{
    return w->pending;
}

unsigned mv_workers_threads(const mv_workers *w)
{
    return w->nthreads;
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
    run_finished(w);
    sd_event_source_disable_unref(w->source);
    if (w->efd >= 0)
        close(w->efd);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w->threads);
    free(w);
}
