/* Scope-bound cleanup, so that error paths are a single return. */
#ifndef MV_CLEANUP_H
#define MV_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void mv_freep(void *p) { free(*(void **)p); }
static inline void mv_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}
static inline void mv_fclosep(FILE **f) { if (*f) fclose(*f); }

#define _cleanup_free_ _cleanup_(mv_freep)
#define _cleanup_close_ _cleanup_(mv_closep)
#define _cleanup_fclose_ _cleanup_(mv_fclosep)

/* Hand a pointer or fd over to the caller: the cleanup then does nothing. */
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

#endif
