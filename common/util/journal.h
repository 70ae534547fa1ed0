/*
 * A write-ahead journal for the small files of one directory (persistent
 * definitions).  A change is durable once its record is in the journal
 * and one fdatasync of the journal has returned; the files themselves are
 * then replaced without waiting for the disk.  That is one flush per
 * change instead of a file fsync plus a directory fsync.
 *
 * A checkpoint makes the files durable (syncfs of the directory's file
 * system) and empties the journal.  It runs when the journal is full, at
 * close, and at open after replaying the records a crash left behind.
 * The files stay ordinary files: anything reading the directory sees every
 * change at once; only durability goes through the journal.
 *
 * Calls on one journal must be serialized by the caller.
 */
#ifndef MV_JOURNAL_H
#define MV_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct mv_journal mv_journal;

/* One change to a file of the directory. */
typedef struct mv_journal_op {
    const char *name;   /* a file name in the directory: no '/', no leading '.' */
    const void *data;   /* the new content; NULL removes the file */
    size_t len;
    mode_t mode;
} mv_journal_op;

/*
 * Open the journal file at path (created with capacity bytes if missing)
 * for the files of dir (created if missing), and replay what it holds.
 * With path NULL there is no journal file: every change is then synced on
 * its own (file and directory fsync).  A record that cannot be replayed
 * now is kept, logged, and tried again at the next checkpoint.
 */
int mv_journal_open(const char *path, const char *dir, size_t capacity, mv_journal **ret);

/* Apply ops as one unit: when this returns 0 all of them survive a crash;
 * when it fails, none of them was made (the files are untouched). */
int mv_journal_commit(mv_journal *j, const mv_journal_op *ops, size_t n_ops);

int mv_journal_checkpoint(mv_journal *j);

/* Checkpoint (errors are logged: the records then stay for the next
 * open) and free. */
void mv_journal_close(mv_journal *j);

/*
 * Decode a journal image (the whole file): call fn for every op of every
 * valid record after the header, in order, and stop at the first slot that
 * holds no record of the current generation.  The ops of a record are all
 * checked before the first is passed on.  *ret_tail is where the next
 * record goes and *ret_next_seq its sequence number.  -EBADMSG when the
 * header is not a journal's; otherwise fn's first error (fn is not called
 * after it).  Exposed for replay and for the fuzzer, which passes
 * MV_JOURNAL_SCAN_NO_CHECKSUMS so that its mutations reach the decoder.
 */
enum { MV_JOURNAL_SCAN_NO_CHECKSUMS = 1 };
typedef int (*mv_journal_apply_fn)(const mv_journal_op *op, void *opaque);
int mv_journal_scan(const void *image, size_t len, unsigned flags, mv_journal_apply_fn fn,
                    void *opaque, size_t *ret_tail, uint64_t *ret_next_seq);

#endif
