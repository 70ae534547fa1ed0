#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rpc/transport.h"

static void keep_received_fd(mv_transport *t, struct msghdr *msg)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
        size_t n;

        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;

            memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
            if (t->received_fd >= 0)
                close(t->received_fd);
            t->received_fd = fd;
        }
    }
}

/* recvmsg rather than read: a relay hands a client's socket over with the
 * bytes of its handover call. */
static ssize_t plain_read(mv_transport *t, void *buf, size_t len)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof(control.buf),
    };
    ssize_t n = recvmsg(t->fd, &msg, MSG_CMSG_CLOEXEC);

    if (n < 0)
        return errno == EINTR ? -EAGAIN : -errno;
    if (msg.msg_controllen > 0)
        keep_received_fd(t, &msg);
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
    if (t->received_fd >= 0)
        close(t->received_fd);
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
    t->received_fd = -1;
    *ret = t;
    return 0;
}

bool mv_transport_is_plain_unix(const mv_transport *t)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);

    return t->ops == &plain_ops && getsockname(t->fd, (struct sockaddr *)&sa, &len) == 0 &&
           sa.ss_family == AF_UNIX;
}
