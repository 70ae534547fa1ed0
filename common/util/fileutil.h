/* Whole-file reads, crash-safe writes, directories and --root paths. */
#ifndef MV_FILEUTIL_H
#define MV_FILEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Replace path with len bytes of data, so that a crash at any instant
 * leaves either the old or the new content: write a hidden temp file in
 * the same directory, fsync it, rename it over path, fsync the directory.
 * The file gets exactly mode (umask does not apply).  On failure before
 * the rename the old file is untouched and the temp file is removed; if
 * only the final directory fsync fails, the new content is in place and
 * the error is still returned.
 */
int mv_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Its first half: a hidden temp file beside path (".BASE.tmpXXXXXX") with
 * data and mode, fsync'ed only when sync is true.  The caller renames it
 * over path, or unlinks it. */
int mv_write_temp_file(const char *path, const void *data, size_t len, mode_t mode, bool sync,
                       char **ret_tmp);

/* mv_write_file_atomic without any fsync: readers see the old or the new
 * content, but a crash may lose the change (callers that journal it). */
int mv_replace_file(const char *path, const void *data, size_t len, mode_t mode);

/* fsync a directory, so that names created or removed in it last. */
int mv_fsync_dir(const char *dir);

/*
 * Read all of path into a malloc'd buffer with a NUL appended (not counted
 * in *ret_len; ret_len may be NULL).  -EFBIG if the file holds more than
 * max_len bytes.  Works on files whose size stat() does not know (/proc).
 */
int mv_read_file(const char *path, size_t max_len, char **ret_data, size_t *ret_len);

/* mkdir -p: create path and missing parents with mode; 0 if it already
 * is a directory, -ENOTDIR if it exists as something else. */
int mv_mkdir_p(const char *path, mode_t mode);

/*
 * path moved under root, for --root DIR: ("/tmp/r", "/etc/libvirt") gives
 * "/tmp/r/etc/libvirt".  A NULL or empty root gives a copy of path.
 * Returns a malloc'd string, or NULL when out of memory.
 */
char *mv_path_join(const char *root, const char *path);

/* What identifies one version of a file: replacing, rewriting or touching
 * it changes the key.  Used to notice that a cached probe is stale. */
typedef struct mv_file_key {
    unsigned long long dev, ino, size;
    long long mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
} mv_file_key;

struct stat;
void mv_file_key_of(const struct stat *st, mv_file_key *ret);

#endif
