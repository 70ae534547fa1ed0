#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fileutil.h"

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Directory part of path ("." if none) and base name, both malloc'd. */
static int split_path(const char *path, char **ret_dir, char **ret_base)
{
    const char *slash = strrchr(path, '/');
    _cleanup_free_ char *dir = NULL;
    char *base;

    if (!*path || (slash && !slash[1]))
        return -EINVAL; /* empty, or names a directory */
    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    base = strdup(slash ? slash + 1 : path);
    if (!dir || !base) {
        free(base);
        return -ENOMEM;
    }
    *ret_dir = TAKE_PTR(dir);
    *ret_base = base;
    return 0;
}

int mv_fsync_dir(const char *dir)
{
    _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    if (fsync(fd) < 0)
        return -errno;
    return 0;
}

int mv_write_temp_file(const char *path, const void *data, size_t len, mode_t mode, bool sync,
                       char **ret_tmp)
{
    _cleanup_free_ char *dir = NULL, *base = NULL, *tmp = NULL;
    _cleanup_close_ int fd = -1;
    int r;

    if (!path || (!data && len > 0))
        return -EINVAL;
    r = split_path(path, &dir, &base);
    if (r < 0)
        return r;
    /* Hidden, so that a directory scan for *.xml never sees a half-written
     * file. */
    if (asprintf(&tmp, "%s/.%s.tmpXXXXXX", dir, base) < 0) {
        tmp = NULL;
        return -ENOMEM;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -errno;

    if (fchmod(fd, mode) < 0)
        r = -errno;
    if (r >= 0)
        r = write_all(fd, data, len);
    if (r >= 0 && sync && fsync(fd) < 0)
        r = -errno;
    /* close() can report a deferred write error (NFS). */
    if (r >= 0 && close(TAKE_FD(fd)) < 0)
        r = -errno;
    if (r < 0) {
        unlink(tmp);
        return r;
    }
    *ret_tmp = TAKE_PTR(tmp);
    return 0;
}

/* A temp file with data (synced or not), renamed over path. */
static int write_and_rename(const char *path, const void *data, size_t len, mode_t mode,
                            bool sync)
{
    _cleanup_free_ char *tmp = NULL;
    int r = mv_write_temp_file(path, data, len, mode, sync, &tmp);

    if (r < 0)
        return r;
    if (rename(tmp, path) < 0) {
        r = -errno;
        unlink(tmp);
    }
    return r;
}

int mv_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
    _cleanup_free_ char *dir = NULL, *base = NULL;
    int r;

    r = split_path(path ? path : "", &dir, &base);
    if (r < 0)
        return r;
    r = write_and_rename(path, data, len, mode, true);
    if (r < 0)
        return r;
    return mv_fsync_dir(dir);
}

int mv_replace_file(const char *path, const void *data, size_t len, mode_t mode)
{
    return write_and_rename(path, data, len, mode, false);
}

int mv_read_file(const char *path, size_t max_len, char **ret_data, size_t *ret_len)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    size_t size = 0, cap;
    struct stat st;

    if (!path || !ret_data)
        return -EINVAL;
    if (max_len > SIZE_MAX - 2)
        max_len = SIZE_MAX - 2; /* "no limit", leaving room for the sums below */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISDIR(st.st_mode))
        return -EISDIR;

    /* Room for one byte past max_len, so that an overlong file is seen
     * without reading all of it. */
    cap = 4096;
    if (S_ISREG(st.st_mode) && st.st_size > 0 && (unsigned long long)st.st_size < cap)
        cap = (size_t)st.st_size + 2;
    if (cap > max_len + 2)
        cap = max_len + 2;

    buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        ssize_t n;

        /* Full: one byte for data and one for the NUL are needed.  Never
         * reached at cap == max_len + 2, as size <= max_len here. */
        if (cap - size < 2) {
            size_t ncap = cap > (max_len + 2) / 2 ? max_len + 2 : cap * 2;
            char *nbuf;

            nbuf = realloc(buf, ncap);
            if (!nbuf)
                return -ENOMEM;
            buf = nbuf;
            cap = ncap;
        }
        n = read(fd, buf + size, cap - size - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        size += (size_t)n;
        if (size > max_len)
            return -EFBIG;
    }
    buf[size] = '\0';
    *ret_data = TAKE_PTR(buf);
    if (ret_len)
        *ret_len = size;
    return 0;
}

int mv_mkdir_p(const char *path, mode_t mode)
{
    _cleanup_free_ char *copy = NULL;
    struct stat st;

    if (!path || !*path)
        return -EINVAL;
    copy = strdup(path);
    if (!copy)
        return -ENOMEM;

    /* Each prefix ending just before a '/', then the whole path. */
    for (char *p = copy + 1;; p++) {
        bool last = *p == '\0';

        if (*p != '/' && !last)
            continue;
        *p = '\0';
        if (mkdir(copy, mode) < 0 && errno != EEXIST)
            return -errno;
        if (last)
            break;
        *p = '/';
        while (p[1] == '/')
            p++; /* "a//b" */
        if (p[1] == '\0')
            break; /* trailing slash */
    }
    if (stat(path, &st) < 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

char *mv_path_join(const char *root, const char *path)
{
    size_t rlen;
    char *ret;

    if (!path)
        return NULL;
    if (!root || !*root)
        return strdup(path);
    rlen = strlen(root);
    while (rlen > 0 && root[rlen - 1] == '/')
        rlen--;
    while (*path == '/')
        path++;
    if (asprintf(&ret, "%.*s/%s", (int)(rlen > INT_MAX ? INT_MAX : rlen), root, path) < 0)
        return NULL;
    return ret;
}

void mv_file_key_of(const struct stat *st, mv_file_key *ret)
{
    /* Zeroed first: the key is compared with memcmp. */
    memset(ret, 0, sizeof(*ret));
    ret->dev = st->st_dev;
    ret->ino = st->st_ino;
    ret->size = (unsigned long long)st->st_size;
    ret->mtime_sec = st->st_mtim.tv_sec;
    ret->mtime_nsec = st->st_mtim.tv_nsec;
    ret->ctime_sec = st->st_ctim.tv_sec;
    ret->ctime_nsec = st->st_ctim.tv_nsec;
}
