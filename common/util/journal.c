/*
 * The journal file: a 4 KiB header, then records appended in place.  The
 * file is preallocated with zeros so that appending never changes its size
 * or block map, and fdatasync has only the data to flush.
 *
 * A record is valid when its magic, checksum and sequence number (one more
 * than the record before; the first equals the header's base) all hold.
 * A checkpoint bumps the header's base past every record written so far,
 * so whatever old records are left further on stop matching.  Integers
 * are in host byte order: the file never leaves this host.
 *
 * A record that only removes files is written but not flushed: it becomes
 * durable with the next record that is, or the next checkpoint.  A power
 * cut can bring such a file back (as it can with libvirt), never lose one.
 * The removed file itself is renamed to a hidden name at once and unlinked
 * by a reaper thread: freeing the blocks of a file that reached the disk
 * costs more than all the rest of a removal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/journal.h"
#include "util/log.h"

#define HEADER_SIZE 4096u
#define MIN_CAPACITY (HEADER_SIZE + 64u * 1024)
#define IMAGE_MAX (256u << 20)
#define NAME_MAX_LEN 255u
#define RECORD_MAGIC 0x4352564du    /* "MVRC" */
#define JOURNAL_VERSION 1u
#define REAP_DELAY_MS 100

static const char journal_magic[8] = { 'M', 'V', 'J', 'R', 'N', 'L', 0, 1 };

typedef struct jheader {
    char magic[8];
    uint32_t version;
    uint32_t crc;           /* of the header with this field 0 */
    uint64_t base_seq;      /* sequence number of the first record */
} jheader;

typedef struct jrecord {
    uint32_t magic;
    uint32_t crc;           /* of the record's bytes after this field */
    uint64_t seq;
    uint32_t size;          /* of the whole record, a multiple of 8 */
    uint32_t n_ops;
} jrecord;                  /* followed by n_ops of (jop, name, data) */

typedef struct jop {
    uint32_t kind;
    uint32_t mode;
    uint32_t name_len;
    uint32_t data_len;
} jop;

enum { OP_WRITE = 1, OP_REMOVE = 2 };

struct mv_journal {
    int fd;                 /* the journal file; -1 when there is none */
    int dir_fd;
    char *dir;
    size_t capacity;
    size_t tail;            /* where the next record goes */
    uint64_t next_seq;
    char *path;
    bool unformatted;       /* new and empty: filled at the first commit, so
                             * that a first start does not wait for it */
    bool stale;             /* some record may not be applied to the files yet */
    uint64_t removed;       /* count, for unique hidden names */

    /* Hidden names of removed files, for the reaper thread to unlink. */
    pthread_mutex_t reap_lock;
    pthread_cond_t reap_cond;
    char **reap;
    size_t n_reap, cap_reap;
    pthread_t reaper;
    bool reaper_running, reaper_stop;
};

/*----- checksum: CRC-32 (IEEE) -----*/

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_of(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint32_t c = 0xffffffffu;

    pthread_once(&crc_once, crc_init);
    while (len--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/*----- records -----*/

static bool valid_name(const char *name, size_t len)
{
    return len > 0 && len <= NAME_MAX_LEN && name[0] != '.' && !memchr(name, '/', len) &&
           !memchr(name, '\0', len);
}

static uint32_t header_crc(jheader h)
{
    h.crc = 0;
    return crc32_of(&h, sizeof(h));
}

/* Walk the ops of one record's payload; with fn NULL only check them. */
static int walk_ops(const uint8_t *p, size_t len, uint32_t n_ops, mv_journal_apply_fn fn,
                    void *opaque)
{
    size_t off = 0;

    for (uint32_t i = 0; i < n_ops; i++) {
        char name[NAME_MAX_LEN + 1];
        jop o;

        if (len - off < sizeof(o))
            return -EBADMSG;
        memcpy(&o, p + off, sizeof(o));
        off += sizeof(o);
        if ((o.kind != OP_WRITE && o.kind != OP_REMOVE) || (o.mode & ~07777u) ||
            o.name_len == 0 || o.name_len > NAME_MAX_LEN ||
            (o.kind == OP_REMOVE && o.data_len != 0) ||
            len - off < o.name_len || len - off - o.name_len < o.data_len)
            return -EBADMSG;
        memcpy(name, p + off, o.name_len);
        name[o.name_len] = '\0';
        if (!valid_name(name, o.name_len))
            return -EBADMSG;
        off += o.name_len;
        if (fn) {
            mv_journal_op op = {
                .name = name,
                .data = o.kind == OP_WRITE ? p + off : NULL,
                .len = o.data_len,
                .mode = o.mode,
            };
            int r = fn(&op, opaque);
            if (r < 0)
                return r;
        }
        off += o.data_len;
    }
    return len - off < 8 ? 0 : -EBADMSG;   /* only the padding may follow */
}

int mv_journal_scan(const void *image, size_t len, unsigned flags, mv_journal_apply_fn fn,
                    void *opaque, size_t *ret_tail, uint64_t *ret_next_seq)
{
    bool sums = !(flags & MV_JOURNAL_SCAN_NO_CHECKSUMS);
    const uint8_t *p = image;
    size_t off = HEADER_SIZE;
    int first_err = 0;
    uint64_t seq;
    jheader h;

    if (len < HEADER_SIZE)
        return -EBADMSG;
    memcpy(&h, p, sizeof(h));
    if (memcmp(h.magic, journal_magic, sizeof(h.magic)) != 0 || h.version != JOURNAL_VERSION ||
        (sums && h.crc != header_crc(h)))
        return -EBADMSG;
    for (seq = h.base_seq;; seq++) {
        const uint8_t *payload = p + off + sizeof(jrecord);
        jrecord r;

        if (len - off < sizeof(r))
            break;
        memcpy(&r, p + off, sizeof(r));
        if (r.magic != RECORD_MAGIC || r.seq != seq || r.size < sizeof(r) || r.size % 8 ||
            r.size > len - off || (sums && crc32_of(p + off + 8, r.size - 8) != r.crc))
            break;
        /* A record that checks out but does not parse ends the journal
         * like a torn one: none of its ops is applied. */
        if (walk_ops(payload, r.size - sizeof(r), r.n_ops, NULL, NULL) < 0)
            break;
        /* After a failure, later records wait: order matters. */
        if (!first_err && fn)
            first_err = walk_ops(payload, r.size - sizeof(r), r.n_ops, fn, opaque);
        off += r.size;
    }
    *ret_tail = off;
    *ret_next_seq = seq;
    return first_err;
}

/* One record holding ops, zero-padded to a multiple of 8. */
static int encode(const mv_journal_op *ops, size_t n_ops, uint64_t seq, uint8_t **ret,
                  size_t *ret_size)
{
    size_t size = sizeof(jrecord), off;
    uint8_t *buf;

    for (size_t i = 0; i < n_ops; i++) {
        size_t name_len = strlen(ops[i].name), data_len = ops[i].data ? ops[i].len : 0;

        if (data_len > UINT32_MAX - 64)
            return -EFBIG;
        size += sizeof(jop) + name_len + data_len;
        if (size > UINT32_MAX - 64)
            return -EFBIG;
    }
    size = (size + 7) & ~(size_t)7;
    buf = calloc(1, size);
    if (!buf)
        return -ENOMEM;
    off = sizeof(jrecord);
    for (size_t i = 0; i < n_ops; i++) {
        jop o = {
            .kind = ops[i].data ? OP_WRITE : OP_REMOVE,
            .mode = (uint32_t)ops[i].mode,
            .name_len = (uint32_t)strlen(ops[i].name),
            .data_len = ops[i].data ? (uint32_t)ops[i].len : 0,
        };
        memcpy(buf + off, &o, sizeof(o));
        off += sizeof(o);
        memcpy(buf + off, ops[i].name, o.name_len);
        off += o.name_len;
        if (o.data_len)
            memcpy(buf + off, ops[i].data, o.data_len);
        off += o.data_len;
    }
    jrecord r = { .magic = RECORD_MAGIC, .seq = seq, .size = (uint32_t)size, .n_ops = (uint32_t)n_ops };
    memcpy(buf, &r, sizeof(r));
    r.crc = crc32_of(buf + 8, size - 8);
    memcpy(buf, &r, sizeof(r));
    *ret = buf;
    *ret_size = size;
    return 0;
}

/*----- the files -----*/

static char *file_path(const mv_journal *j, const char *name)
{
    char *p = NULL;

    return asprintf(&p, "%s/%s", j->dir, name) < 0 ? NULL : p;
}

static void *reaper_main(void *arg)
{
    mv_journal *j = arg;

    pthread_mutex_lock(&j->reap_lock);
    for (;;) {
        while (!j->n_reap && !j->reaper_stop)
            pthread_cond_wait(&j->reap_cond, &j->reap_lock);
        if (!j->n_reap)
            break;
        if (!j->reaper_stop) {
            /* Let removals gather: one wakeup per batch, not per file. */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += REAP_DELAY_MS * 1000000L;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            while (!j->reaper_stop &&
                   pthread_cond_timedwait(&j->reap_cond, &j->reap_lock, &until) == 0)
                ;
        }
        /* Take the whole batch, so that names arriving while it is
         * unlinked start the next batch and its wait. */
        char **batch = j->reap;
        size_t n = j->n_reap;

        j->reap = NULL;
        j->n_reap = j->cap_reap = 0;
        pthread_mutex_unlock(&j->reap_lock);
        for (size_t i = 0; i < n; i++) {
            unlinkat(j->dir_fd, batch[i], 0);
            free(batch[i]);
        }
        free(batch);
        pthread_mutex_lock(&j->reap_lock);
    }
    pthread_mutex_unlock(&j->reap_lock);
    return NULL;
}

/* Hand a hidden name to the reaper (taking it); false if it cannot. */
static bool reap_later(mv_journal *j, char *name)
{
    bool ok = true;

    pthread_mutex_lock(&j->reap_lock);
    if (j->n_reap == j->cap_reap) {
        size_t cap = j->cap_reap ? 2 * j->cap_reap : 16;
        char **v = realloc(j->reap, cap * sizeof(*v));
        if (v) {
            j->reap = v;
            j->cap_reap = cap;
        }
        ok = v != NULL;
    }
    if (ok && !j->reaper_running)
        ok = j->reaper_running = pthread_create(&j->reaper, NULL, reaper_main, j) == 0;
    if (ok) {
        /* The reaper waits for the first of a batch only. */
        if (j->n_reap++ == 0)
            pthread_cond_signal(&j->reap_cond);
        j->reap[j->n_reap - 1] = name;
    }
    pthread_mutex_unlock(&j->reap_lock);
    return ok;
}

static void stop_reaper(mv_journal *j)
{
    pthread_mutex_lock(&j->reap_lock);
    j->reaper_stop = true;
    pthread_cond_signal(&j->reap_cond);
    pthread_mutex_unlock(&j->reap_lock);
    if (j->reaper_running)
        pthread_join(j->reaper, NULL);
    free(j->reap);
}

/* ".NAME.removed-N" (remove_file) or ".NAME.tmpXXXXXX" (mv_write_temp_file) */
static bool is_leftover(const char *name)
{
    size_t len = strlen(name);
    const char *dash = strrchr(name, '-');

    if (name[0] != '.')
        return false;
    if (len > 11 && memcmp(name + len - 10, ".tmp", 4) == 0)
        return true;
    return dash && dash - name > 8 && memcmp(dash - 8, ".removed", 8) == 0 && dash[1] &&
           strspn(dash + 1, "0123456789") == strlen(dash + 1);
}

/* Unlink what a crash left: removed files the reaper had not reached and
 * temp files of writes that never finished. */
static void remove_leftovers(mv_journal *j)
{
    int fd = dup(j->dir_fd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((e = readdir(d)))
        if (is_leftover(e->d_name))
            unlinkat(j->dir_fd, e->d_name, 0);
    closedir(d);
}

static int remove_file(mv_journal *j, const char *name)
{
    char *hidden = NULL;

    /* Without a journal the removal must be on disk before the reply. */
    if (j->fd >= 0 &&
        asprintf(&hidden, ".%s.removed-%llu", name, (unsigned long long)++j->removed) >= 0) {
        if (renameat(j->dir_fd, name, j->dir_fd, hidden) == 0) {
            if (!reap_later(j, hidden)) {
                unlinkat(j->dir_fd, hidden, 0);
                free(hidden);
            }
            return 0;
        }
        free(hidden);
        if (errno == ENOENT)
            return 0;
    }
    return unlinkat(j->dir_fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
}

/* Replay: apply one op, without syncing (the checkpoint after does). */
static int apply_op(const mv_journal_op *op, void *opaque)
{
    mv_journal *j = opaque;
    _cleanup_free_ char *path = NULL;

    if (!op->data)
        return remove_file(j, op->name);
    path = file_path(j, op->name);
    return path ? mv_replace_file(path, op->data, op->len, op->mode) : -ENOMEM;
}

/* Put the temp files in place and remove what ops remove. */
static int finish_ops(mv_journal *j, const mv_journal_op *ops, char **tmps, size_t n_ops)
{
    int r = 0;

    for (size_t i = 0; i < n_ops; i++) {
        _cleanup_free_ char *path = file_path(j, ops[i].name);

        if (!path)
            r = -ENOMEM;
        else if (tmps[i] && rename(tmps[i], path) < 0)
            r = -errno;
        else if (!tmps[i])
            r = remove_file(j, ops[i].name);
        if (r < 0)
            return r;
        free(tmps[i]);
        tmps[i] = NULL;
    }
    return 0;
}

/*----- the journal file -----*/

static int write_header(mv_journal *j, uint64_t base_seq)
{
    jheader h = { .version = JOURNAL_VERSION, .base_seq = base_seq };

    memcpy(h.magic, journal_magic, sizeof(h.magic));
    h.crc = header_crc(h);
    errno = 0;
    if (pwrite(j->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || fdatasync(j->fd) < 0)
        return errno ? -errno : -EIO;
    j->tail = HEADER_SIZE;
    j->next_seq = base_seq;
    return 0;
}

/* The directory part of path, or NULL for none (or no memory). */
static char *parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash && slash != path ? strndup(path, (size_t)(slash - path)) : NULL;
}

/* A fresh journal of j->capacity zeros and a header: its blocks are all
 * allocated and written, so later appends change no metadata. */
static int create_file(mv_journal *j, uint64_t base_seq)
{
    static const uint8_t zeros[64 * 1024];
    _cleanup_free_ char *parent = parent_dir(j->path);

    if (ftruncate(j->fd, 0) < 0)
        return -errno;
    for (size_t off = 0; off < j->capacity; off += sizeof(zeros)) {
        size_t n = j->capacity - off < sizeof(zeros) ? j->capacity - off : sizeof(zeros);
        errno = 0;
        if (pwrite(j->fd, zeros, n, (off_t)off) != (ssize_t)n)
            return errno ? -errno : -EIO;
    }
    if (fsync(j->fd) < 0)
        return -errno;
    if (parent)
        mv_fsync_dir(parent);   /* the journal's own name must last too */
    j->unformatted = false;
    return write_header(j, base_seq);
}

/* Apply every record again (they are idempotent), for a checkpoint after a
 * record could not be applied at once. */
static int replay(mv_journal *j)
{
    _cleanup_free_ uint8_t *image = malloc(j->tail);
    size_t tail;
    uint64_t next;
    int r;

    if (!image)
        return -ENOMEM;
    errno = 0;
    if (pread(j->fd, image, j->tail, 0) != (ssize_t)j->tail)
        return errno ? -errno : -EIO;
    r = mv_journal_scan(image, j->tail, 0, apply_op, j, &tail, &next);
    j->stale = r < 0;
    return r;
}

int mv_journal_checkpoint(mv_journal *j)
{
    int r;

    if (j->fd < 0 || (j->tail == HEADER_SIZE && !j->stale))
        return 0;
    if (j->stale) {
        r = replay(j);
        if (r < 0)
            return r;
    }
    if (syncfs(j->dir_fd) < 0)
        return -errno;
    return write_header(j, j->next_seq);
}

int mv_journal_commit(mv_journal *j, const mv_journal_op *ops, size_t n_ops)
{
    _cleanup_free_ uint8_t *rec = NULL;
    char **tmps = calloc(n_ops + 1, sizeof(char *));
    size_t size = 0;
    bool direct = j->fd < 0, flush = false;
    int r = 0;

    if (!tmps)
        return -ENOMEM;
    for (size_t i = 0; i < n_ops; i++) {
        if (!valid_name(ops[i].name, strlen(ops[i].name)) || (ops[i].mode & ~07777u))
            r = -EINVAL;
        flush |= ops[i].data != NULL;
    }
    if (r >= 0 && !direct && j->unformatted)
        r = create_file(j, 1);
    if (r >= 0 && !direct) {
        r = encode(ops, n_ops, j->next_seq, &rec, &size);
        /* Too big for the journal: sync it on its own, after the rest. */
        if (r >= 0 && size > j->capacity - HEADER_SIZE) {
            direct = true;
            r = mv_journal_checkpoint(j);
        } else if (r >= 0 && j->tail + size > j->capacity) {
            r = mv_journal_checkpoint(j);
        }
    }
    /* New contents go to temp files first: a full disk fails here, with
     * nothing changed yet. */
    for (size_t i = 0; r >= 0 && i < n_ops; i++) {
        _cleanup_free_ char *path = NULL;

        if (!ops[i].data)
            continue;
        path = file_path(j, ops[i].name);
        r = path ? mv_write_temp_file(path, ops[i].data, ops[i].len, ops[i].mode, direct, &tmps[i])
                 : -ENOMEM;
    }
    if (r >= 0 && direct) {
        r = finish_ops(j, ops, tmps, n_ops);
        if (r >= 0 && fsync(j->dir_fd) < 0)
            r = -errno;
    } else if (r >= 0) {
        errno = 0;
        if (pwrite(j->fd, rec, size, (off_t)j->tail) != (ssize_t)size ||
            (flush && fdatasync(j->fd) < 0)) {
            static const uint32_t none;

            r = errno ? -errno : -EIO;
            /* It must not come back to life at the next replay. */
            (void)!pwrite(j->fd, &none, sizeof(none), (off_t)j->tail);
        } else {
            j->tail += size;
            j->next_seq++;
            /* Durable now: if the files cannot follow, the next
             * checkpoint (or start) applies the record again. */
            int f = finish_ops(j, ops, tmps, n_ops);
            if (f < 0) {
                log_error("journal: cannot apply a change to %s yet: %s", j->dir, strerror(-f));
                j->stale = true;
            }
        }
    }
    for (size_t i = 0; i < n_ops; i++) {
        if (tmps[i])
            unlink(tmps[i]);
        free(tmps[i]);
    }
    free(tmps);
    return r;
}

/* The records of an existing journal file are replayed; a missing,
 * empty or unrecognisable one is started anew. */
static int open_file(mv_journal *j, const char *path)
{
    _cleanup_free_ char *parent = parent_dir(path);
    _cleanup_free_ uint8_t *image = NULL;
    size_t tail = HEADER_SIZE, len;
    uint64_t next = 1;
    struct stat st;
    ssize_t n;
    int r;

    if (parent)
        mv_mkdir_p(parent, 0755);
    j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (j->fd < 0 || fstat(j->fd, &st) < 0)
        return -errno;
    if (st.st_size == 0) {
        j->unformatted = true;
        j->tail = HEADER_SIZE;
        j->next_seq = 1;
        return 0;
    }

    len = (size_t)st.st_size < IMAGE_MAX ? (size_t)st.st_size : IMAGE_MAX;
    image = malloc(len);
    if (!image)
        return -ENOMEM;
    n = pread(j->fd, image, len, 0);
    if (n < 0)
        return -errno;
    r = mv_journal_scan(image, (size_t)n, 0, apply_op, j, &tail, &next);
    if (r == -EBADMSG) {
        log_warn("journal %s has no valid header: starting a new one", path);
        return create_file(j, 1);
    }
    if (r < 0) {
        /* Keep every record for the next try; append after them. */
        log_error("journal %s: cannot replay into %s yet: %s", path, j->dir, strerror(-r));
        j->capacity = (size_t)n;
        j->tail = tail;
        j->next_seq = next;
        j->stale = true;
        return 0;
    }
    if (tail == HEADER_SIZE && (size_t)st.st_size == j->capacity) {
        j->tail = tail;
        j->next_seq = next;
        return 0;
    }
    /* The replayed files must be on disk before the journal forgets them. */
    if (tail > HEADER_SIZE)
        log_info("journal %s: replayed into %s what a crash had left unsynced", path, j->dir);
    if (syncfs(j->dir_fd) < 0)
        return -errno;
    return (size_t)st.st_size == j->capacity ? write_header(j, next) : create_file(j, next);
}

static void journal_free(mv_journal *j)
{
    stop_reaper(j);
    pthread_mutex_destroy(&j->reap_lock);
    pthread_cond_destroy(&j->reap_cond);
    if (j->fd >= 0)
        close(j->fd);
    if (j->dir_fd >= 0)
        close(j->dir_fd);
    free(j->dir);
    free(j->path);
    free(j);
}

int mv_journal_open(const char *path, const char *dir, size_t capacity, mv_journal **ret)
{
    mv_journal *j = calloc(1, sizeof(*j));
    int r;

    if (!j)
        return -ENOMEM;
    j->fd = -1;
    j->dir_fd = -1;
    pthread_mutex_init(&j->reap_lock, NULL);
    pthread_cond_init(&j->reap_cond, NULL);
    j->capacity = capacity < MIN_CAPACITY ? MIN_CAPACITY : capacity;
    j->dir = strdup(dir);
    r = j->dir ? mv_mkdir_p(dir, 0755) : -ENOMEM;
    if (r >= 0 && (j->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        r = -errno;
    if (r >= 0)
        remove_leftovers(j);
    if (r >= 0 && path)
        r = (j->path = strdup(path)) ? open_file(j, path) : -ENOMEM;
    if (r < 0) {
        journal_free(j);
        return r;
    }
    *ret = j;
    return 0;
}

void mv_journal_close(mv_journal *j)
{
    int r;

    if (!j)
        return;
    if ((r = mv_journal_checkpoint(j)) < 0)
        log_error("journal of %s: checkpoint failed, its records stay for the next start: %s",
                  j->dir, strerror(-r));
    journal_free(j);
}
