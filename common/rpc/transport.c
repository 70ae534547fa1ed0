#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rpc/transport.h"

static ssize_t plain_read(mv_transport *t, void *buf, size_t len)
{
    ssize_t n = read(t->fd, buf, len);

    if (n < 0)
        return errno == EINTR ? -EAGAIN : -errno;
    return n;
}

static ssize_t plain_write(mv_transport *t, const void *buf, size_t len)
{
    ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);

    if (n < 0)
        return errno == EINTR ? -EAGAIN : -errno;
    return n;
}

static bool plain_pending(mv_transport *t)
{
    return false;
}

static bool plain_secure(mv_transport *t)
{
    return true;
}

static void plain_free(mv_transport *t)
{
    free(t);
}

static const mv_transport_ops plain_ops = {
    .read = plain_read,
    .write = plain_write,
    .pending = plain_pending,
    .secure = plain_secure,
    .free = plain_free,
};

int mv_transport_plain_new(int fd, mv_transport **ret)
{
    mv_transport *t = calloc(1, sizeof(*t));

    if (!t)
        return -ENOMEM;
    t->ops = &plain_ops;
    t->fd = fd;
    *ret = t;
    return 0;
}
