#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "rpc/loop.h"
#include "util/log.h"

typedef struct post {
    struct post *next;
    mv_loop_fn fn;
    void *data;
} post;

struct mv_loop {
    sd_event *event;
    pthread_mutex_t lock;
    post *head, *tail;
    int efd;
    sd_event_source *source;
};

static void run_posted(mv_loop *l)
{
    post *p;

    pthread_mutex_lock(&l->lock);
    p = l->head;
    l->head = l->tail = NULL;
    pthread_mutex_unlock(&l->lock);

    while (p) {
        post *next = p->next;

        p->fn(p->data);
        free(p);
        p = next;
    }
}

static int on_wakeup(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
    uint64_t n;

    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        return -errno;
    run_posted(userdata);
    return 0;
}

int mv_loop_new(sd_event *event, mv_loop **ret)
{
    mv_loop *l = calloc(1, sizeof(*l));
    int r;

    if (!l)
        return -ENOMEM;
    pthread_mutex_init(&l->lock, NULL);
    l->event = sd_event_ref(event);
    l->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->efd < 0) {
        r = -errno;
        mv_loop_free(l);
        return r;
    }
    r = sd_event_add_io(event, &l->source, l->efd, EPOLLIN, on_wakeup, l);
    if (r < 0) {
        mv_loop_free(l);
        return r;
    }
    *ret = l;
    return 0;
}

void mv_loop_flush(mv_loop *l)
{
    run_posted(l);
}

sd_event *mv_loop_event(mv_loop *l)
{
    return l->event;
}

int mv_loop_post(mv_loop *l, mv_loop_fn fn, void *data)
{
    post *p = malloc(sizeof(*p));
    uint64_t one = 1;
    bool wake;

    if (!p)
        return -ENOMEM;
    p->next = NULL;
    p->fn = fn;
    p->data = data;
    pthread_mutex_lock(&l->lock);
    wake = !l->head;            /* a non-empty queue already has a wakeup pending */
    if (l->tail)
        l->tail->next = p;
    else
        l->head = p;
    l->tail = p;
    pthread_mutex_unlock(&l->lock);
    if (wake && write(l->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        log_error("cannot wake the event loop: %m");
    return 0;
}

void mv_loop_free(mv_loop *l)
{
    if (!l)
        return;
    if (l->efd >= 0)
        run_posted(l);
    sd_event_source_disable_unref(l->source);
    if (l->efd >= 0)
        close(l->efd);
    pthread_mutex_destroy(&l->lock);
    sd_event_unref(l->event);
    free(l);
}
