/*
 * Tests for util/journal: commits reach the files, a replay after a "crash"
 * (the journal image kept, the files' unsynced changes lost) brings every
 * acknowledged change back, torn and old records are not replayed, and a
 * full journal, an oversized record or a missing journal file still work.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/fileutil.h"
#include "util/journal.h"

static char root[] = "/tmp/test_journal.XXXXXX";
static char *dir, *jpath;

static char *in_dir(const char *name)
{
    char *p = NULL;

    if (asprintf(&p, "%s/%s", dir, name) < 0)
        abort();
    return p;
}

/* The content of dir/name, or NULL when it does not exist. */
static char *content(const char *name)
{
    _cleanup_free_ char *path = in_dir(name);
    char *data = NULL;

    return mv_read_file(path, 1 << 24, &data, NULL) < 0 ? NULL : data;
}

#define CHECK_CONTENT(name, want) do {                                          \
        char *_c = content(name);                                               \
        if ((want) == NULL)                                                     \
            CHECK(_c == NULL);                                                  \
        else                                                                    \
            CHECK_STR(_c, (want));                                              \
        free(_c);                                                               \
    } while (0)

static bool exists(const char *name)
{
    _cleanup_free_ char *path = in_dir(name);

    return access(path, F_OK) == 0;
}

/* Remove dir/name, if it is there. */
static void drop(const char *name)
{
    _cleanup_free_ char *path = in_dir(name);

    unlink(path);
}

static void put_file(const char *name, const char *data)
{
    _cleanup_free_ char *path = in_dir(name);

    CHECK_INT(mv_write_file_atomic(path, data, strlen(data), 0600), 0);
}

static int write_one(mv_journal *j, const char *name, const char *data)
{
    mv_journal_op op = { .name = name, .data = data, .len = data ? strlen(data) : 0, .mode = 0600 };

    return mv_journal_commit(j, &op, 1);
}

static char *image;
static size_t image_len;

/* The journal file as it is now: what a crash would leave of it. */
static void save_image(void)
{
    free(image);
    CHECK_INT(mv_read_file(jpath, 1 << 24, &image, &image_len), 0);
}

static void restore_image(void)
{
    _cleanup_close_ int fd = open(jpath, O_WRONLY | O_TRUNC);

    CHECK(fd >= 0);
    CHECK_INT(write(fd, image, image_len), (long long)image_len);
}

/* Names starting with '.' in dir. */
static int hidden_files(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while (d && (e = readdir(d)))
        n += e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

/* Removals made together are reaped after one wait for the batch, not one
 * per file: 50 files would take 5 s at 100 ms each; a batch is done far
 * sooner, so the bound below only fails if the reaper waits per file. */
static void test_reaper_batches(void)
{
    enum { N = 50 };
    mv_journal *j;
    struct timespec start, now;
    double elapsed = 0;

    CHECK_INT(mv_journal_open(jpath, dir, 1 << 20, &j), 0);
    for (int i = 0; i < N; i++) {
        char name[32];

        snprintf(name, sizeof(name), "r%d.xml", i);
        CHECK_INT(write_one(j, name, "x"), 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < N; i++) {
        char name[32];

        snprintf(name, sizeof(name), "r%d.xml", i);
        CHECK_INT(write_one(j, name, NULL), 0);
        CHECK(!exists(name));
    }
    while (hidden_files() > 0 && elapsed < N * 0.1 / 2) {
        usleep(10000);
        clock_gettime(CLOCK_MONOTONIC, &now);
        elapsed = (double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
    }
    CHECK_INT(hidden_files(), 0);
    mv_journal_close(j);
}

static void test_commit_and_close(void)
{
    mv_journal *j;
    mv_journal_op rename_ops[2] = {
        { .name = "b.xml", .data = "B", .len = 1, .mode = 0600 },
        { .name = "a.xml" },
    };
    struct stat st;

    CHECK_INT(mv_journal_open(jpath, dir, 1 << 20, &j), 0);
    CHECK_INT(stat(jpath, &st), 0);
    CHECK_INT(st.st_size, 0);           /* filled at the first commit */
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_INT(write_one(j, "a.xml", "first"), 0);
    CHECK_CONTENT("a.xml", "first");
    CHECK_INT(stat(jpath, &st), 0);
    CHECK_INT(st.st_size, 1 << 20);
    CHECK_INT(write_one(j, "a.xml", "second"), 0);
    CHECK_CONTENT("a.xml", "second");
    _cleanup_free_ char *a = in_dir("a.xml");
    CHECK_INT(stat(a, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_INT(mv_journal_commit(j, rename_ops, 2), 0);
    CHECK(!exists("a.xml"));
    CHECK_CONTENT("b.xml", "B");
    CHECK_INT(write_one(j, "b.xml", NULL), 0);
    CHECK(!exists("b.xml"));
    CHECK_INT(write_one(j, "gone.xml", NULL), 0);       /* removing nothing is fine */

    /* Bad names change nothing. */
    CHECK_INT(write_one(j, "../escape.xml", "x"), -EINVAL);
    CHECK_INT(write_one(j, ".hidden.xml", "x"), -EINVAL);
    CHECK_INT(write_one(j, "", "x"), -EINVAL);
    mv_journal_close(j);
    /* Removed files went under hidden names, and are gone by now. */
    CHECK_INT(hidden_files(), 0);
}

/* Removed files and temp files a crash left behind go at open; other
 * hidden files stay. */
static void test_leftovers(void)
{
    mv_journal *j;

    CHECK_INT(hidden_files(), 0);
    put_file(".g.xml.removed-12", "x");
    put_file(".g.xml.tmpAb3dEf", "x");
    put_file(".keep.removed-x", "x");
    put_file(".keep", "x");
    CHECK_INT(mv_journal_open(jpath, dir, 1 << 20, &j), 0);
    CHECK_INT(hidden_files(), 2);
    CHECK(exists(".keep") && exists(".keep.removed-x"));
    drop(".keep");
    drop(".keep.removed-x");
    mv_journal_close(j);
}

/* Changes whose files lost their unsynced contents come back at open. */
static void test_replay_after_crash(void)
{
    mv_journal *j;

    put_file("old.xml", "old");
    CHECK_INT(mv_journal_open(jpath, dir, 1 << 20, &j), 0);
    CHECK_INT(write_one(j, "g1.xml", "guest one"), 0);
    CHECK_INT(write_one(j, "g2.xml", "guest two"), 0);
    CHECK_INT(write_one(j, "g1.xml", "guest one, edited"), 0);
    CHECK_INT(write_one(j, "old.xml", NULL), 0);
    save_image();
    mv_journal_close(j);

    /* The crash: the journal holds the records, the files are as they
     * were before the changes. */
    drop("g1.xml");
    drop("g2.xml");
    put_file("old.xml", "old");
    restore_image();

    CHECK_INT(mv_journal_open(jpath, dir, 1 << 20, &j), 0);
    CHECK_CONTENT("g1.xml", "guest one, edited");
    CHECK_CONTENT("g2.xml", "guest two");
    CHECK(!exists("old.xml"));
    mv_journal_close(j);

    /* After that replay (or any checkpoint) the records are spent: a file
     * changed behind the daemon's back is left alone. */
    put_file("g2.xml", "changed by hand");
    CHECK_INT(mv_journal_open(jpath, dir, 1 << 20, &j), 0);
    CHECK_CONTENT("g2.xml", "changed by hand");
    mv_journal_close(j);
}

/* A record torn by the crash is not replayed; the ones before it are. */
static void test_torn_record(void)
{
    mv_journal *j;

    CHECK_INT(mv_journal_open(jpath, dir, 1 << 20, &j), 0);
    CHECK_INT(write_one(j, "t1.xml", "kept"), 0);
    CHECK_INT(write_one(j, "t2.xml", "torn"), 0);
    save_image();
    mv_journal_close(j);
    drop("t1.xml");
    drop("t2.xml");

    /* Flip the last byte of "torn" in the image. */
    char *p = memmem(image, image_len, "torn", 4);
    CHECK(p != NULL);
    if (p)
        p[3] ^= 1;
    restore_image();
    CHECK_INT(mv_journal_open(jpath, dir, 1 << 20, &j), 0);
    CHECK_CONTENT("t1.xml", "kept");
    CHECK(!exists("t2.xml"));
    /* New records go on from there and are replayed in turn. */
    CHECK_INT(write_one(j, "t3.xml", "after"), 0);
    save_image();
    mv_journal_close(j);
    drop("t3.xml");
    restore_image();
    CHECK_INT(mv_journal_open(jpath, dir, 1 << 20, &j), 0);
    CHECK_CONTENT("t3.xml", "after");
    mv_journal_close(j);
}

/* More than the journal holds: checkpoints make room; an oversized record
 * is synced on its own.  Everything is there after a replay. */
static void test_full_and_oversized(void)
{
    char name[32], data[3000];
    mv_journal *j;

    CHECK_INT(mv_journal_open(jpath, dir, 0, &j), 0);   /* the smallest journal */
    memset(data, 'x', sizeof(data) - 1);
    data[sizeof(data) - 1] = '\0';
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "f%d.xml", i);
        data[0] = (char)('a' + i % 26);
        CHECK_INT(write_one(j, name, data), 0);
    }
    size_t big_len = 1 << 20;
    char *big = malloc(big_len + 1);
    memset(big, 'B', big_len);
    big[big_len] = '\0';
    CHECK_INT(write_one(j, "big.xml", big), 0);
    CHECK_INT(write_one(j, "f199.xml", "last"), 0);
    save_image();
    mv_journal_close(j);

    drop("f199.xml");
    restore_image();
    CHECK_INT(mv_journal_open(jpath, dir, 0, &j), 0);
    CHECK_CONTENT("f199.xml", "last");
    _cleanup_free_ char *f7 = content("f7.xml");
    CHECK(f7 && f7[0] == 'h' && strlen(f7) == sizeof(data) - 1);
    _cleanup_free_ char *b = content("big.xml");
    CHECK(b && strlen(b) == big_len);
    free(big);
    mv_journal_close(j);
}

/* A record that cannot be applied at open (a directory where its file
 * goes) is kept, and applied by a later checkpoint. */
static void test_apply_failure_kept(void)
{
    _cleanup_free_ char *blocker = in_dir("blocked.xml");
    mv_journal *j;

    CHECK_INT(mv_journal_open(jpath, dir, 1 << 20, &j), 0);
    CHECK_INT(write_one(j, "blocked.xml", "wanted"), 0);
    save_image();
    mv_journal_close(j);
    unlink(blocker);
    CHECK_INT(mkdir(blocker, 0700), 0);
    restore_image();

    CHECK_INT(mv_journal_open(jpath, dir, 1 << 20, &j), 0);
    CHECK_CONTENT("blocked.xml", NULL);   /* still the directory */
    CHECK_INT(write_one(j, "other.xml", "appended"), 0);
    CHECK(mv_journal_checkpoint(j) < 0);
    rmdir(blocker);
    CHECK_INT(mv_journal_checkpoint(j), 0);
    CHECK_CONTENT("blocked.xml", "wanted");
    CHECK_CONTENT("other.xml", "appended");
    mv_journal_close(j);
}

/* A file that is not a journal is replaced; without a journal file every
 * change is synced on its own. */
static void test_bad_header_and_direct(void)
{
    mv_journal *j;

    image_len = 8192;
    free(image);
    image = calloc(1, image_len);
    memcpy(image, "not a journal", 13);
    restore_image();
    CHECK_INT(mv_journal_open(jpath, dir, 1 << 20, &j), 0);
    CHECK_INT(write_one(j, "h.xml", "fresh"), 0);
    mv_journal_close(j);
    CHECK_CONTENT("h.xml", "fresh");

    CHECK_INT(mv_journal_open(NULL, dir, 0, &j), 0);
    CHECK_INT(write_one(j, "d.xml", "direct"), 0);
    CHECK_CONTENT("d.xml", "direct");
    CHECK_INT(write_one(j, "d.xml", NULL), 0);
    CHECK(!exists("d.xml"));
    mv_journal_close(j);
}

/* What the fuzzer relies on: scan never reads past the image. */
static int count_op(const mv_journal_op *op, void *opaque)
{
    (*(int *)opaque)++;
    return 0;
}

static void test_scan_truncated(void)
{
    mv_journal *j;
    size_t tail, full_tail;
    uint64_t next;
    int n = 0;

    CHECK_INT(mv_journal_open(jpath, dir, 1 << 20, &j), 0);
    CHECK_INT(write_one(j, "s1.xml", "one"), 0);
    CHECK_INT(write_one(j, "s2.xml", "two"), 0);
    save_image();
    mv_journal_close(j);
    CHECK_INT(mv_journal_scan(image, image_len, 0, count_op, &n, &full_tail, &next), 0);
    CHECK_INT(n, 2);
    CHECK_INT(mv_journal_scan(image, 100, 0, count_op, &n, &tail, &next), -EBADMSG);
    /* Cut anywhere: only whole records count, and never more of them
     * for less of the image. */
    int prev = 0;
    for (size_t len = 4096; len <= full_tail; len++) {
        char *copy = malloc(len);     /* exact size: ASan catches overreads */
        memcpy(copy, image, len);
        n = 0;
        CHECK_INT(mv_journal_scan(copy, len, 0, count_op, &n, &tail, &next), 0);
        CHECK(n >= prev && tail <= len);
        CHECK_INT(n, len == 4096 ? 0 : len == full_tail - 1 ? 1 : len == full_tail ? 2 : n);
        prev = n;
        free(copy);
    }
    CHECK_INT(prev, 2);
}

int main(void)
{
    CHECK(mkdtemp(root) != NULL);
    if (asprintf(&dir, "%s/etc/qemu", root) < 0 ||
        asprintf(&jpath, "%s/lib/qemu/definitions.journal", root) < 0)
        abort();
    test_commit_and_close();
    test_reaper_batches();
    test_leftovers();
    test_replay_after_crash();
    test_torn_record();
    test_full_and_oversized();
    test_apply_failure_kept();
    test_bad_header_and_direct();
    test_scan_truncated();
    free(image);
    char *cmd = NULL;
    if (asprintf(&cmd, "rm -rf '%s'", root) >= 0)
        (void)!system(cmd);
    free(cmd);
    free(dir);
    free(jpath);
    TEST_DONE();
}
