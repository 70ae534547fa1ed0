/* Tests for util/fileutil: atomic writes, bounded reads, mkdir -p, --root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "util/cleanup.h"
#include "util/fileutil.h"


static char tmpdir[] = "/tmp/test_fileutil.XXXXXX";

static char *path_in(const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", tmpdir, name) < 0)
        abort();
    return p;
}

/* Number of entries in dir other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static bool file_is(const char *path, const char *content)
{
    _cleanup_free_ char *data = NULL;
    size_t len;

    if (mv_read_file(path, 1 << 20, &data, &len) < 0)
        return false;
    return len == strlen(content) && memcmp(data, content, len) == 0;
}

static void test_write_atomic(void)
{
    _cleanup_free_ char *sub = path_in("w"), *f = path_in("w/status.xml");
    _cleanup_free_ char *blocker = path_in("w/dir.xml"), *inner = path_in("w/dir.xml/keep");
    struct stat st;

    CHECK(mkdir(sub, 0700) == 0);
    umask(022);

    CHECK(mv_write_file_atomic(f, "first version\n", 14, 0640) == 0);
    CHECK(file_is(f, "first version\n"));
    CHECK(stat(f, &st) == 0 && (st.st_mode & 07777) == 0640);

    /* Replaces, shorter content, new mode (umask does not apply). */
    CHECK(mv_write_file_atomic(f, "v2", 2, 0666) == 0);
    CHECK(file_is(f, "v2"));
    CHECK(stat(f, &st) == 0 && (st.st_mode & 07777) == 0666);
    CHECK(mv_write_file_atomic(f, NULL, 0, 0600) == 0);
    CHECK(file_is(f, ""));
    CHECK(count_entries(sub) == 1); /* no temp files left behind */

    /* A failing rename (a non-empty directory is in the way) leaves the
     * target as it was and removes the temp file. */
    CHECK(mkdir(blocker, 0700) == 0);
    CHECK(mv_write_file_atomic(inner, "keep", 4, 0600) == 0);
    CHECK(mv_write_file_atomic(blocker, "x", 1, 0600) < 0);
    CHECK(stat(blocker, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(file_is(inner, "keep"));
    CHECK(count_entries(sub) == 2);
    CHECK(count_entries(blocker) == 1);

    /* Missing directory, a path naming a directory, empty path. */
    {
        _cleanup_free_ char *missing = path_in("nope/file");
        CHECK(mv_write_file_atomic(missing, "x", 1, 0600) == -ENOENT);
    }
    CHECK(mv_write_file_atomic("/tmp/", "x", 1, 0600) == -EINVAL);
    CHECK(mv_write_file_atomic("", "x", 1, 0600) == -EINVAL);

    /* A relative name lands in the current directory. */
    {
        _cleanup_free_ char *rel = path_in("w/rel.txt");
        char cwd[4096];
        CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
        CHECK(chdir(sub) == 0);
        CHECK(mv_write_file_atomic("rel.txt", "r", 1, 0600) == 0);
        CHECK(chdir(cwd) == 0);
        CHECK(file_is(rel, "r"));
        unlink(rel);
    }

    unlink(inner);
    rmdir(blocker);
    unlink(f);
    rmdir(sub);
}

static void test_read(void)
{
    _cleanup_free_ char *f = path_in("r.txt"), *big = NULL, *data = NULL;
    const size_t bigsize = 100000;
    size_t len = 12345;

    CHECK(mv_write_file_atomic(f, "hello", 5, 0600) == 0);
    CHECK(mv_read_file(f, 5, &data, &len) == 0);
    CHECK(data && len == 5 && strcmp(data, "hello") == 0);
    free(data);
    data = NULL;

    /* Past max_len: -EFBIG, outputs untouched. */
    len = 12345;
    CHECK(mv_read_file(f, 4, &data, &len) == -EFBIG);
    CHECK(data == NULL && len == 12345);
    CHECK(mv_read_file(f, 0, &data, &len) == -EFBIG);

    /* Several buffer growths. */
    big = malloc(bigsize);
    CHECK(big != NULL);
    if (big) {
        for (size_t i = 0; i < bigsize; i++)
            big[i] = (char)('a' + i % 26);
        CHECK(mv_write_file_atomic(f, big, bigsize, 0600) == 0);
        CHECK(mv_read_file(f, bigsize, &data, &len) == 0);
        CHECK(data && len == bigsize && memcmp(data, big, bigsize) == 0 && data[len] == '\0');
        free(data);
        data = NULL;
        CHECK(mv_read_file(f, bigsize - 1, &data, &len) == -EFBIG);
        CHECK(mv_read_file(f, (size_t)-1, &data, NULL) == 0); /* no limit */
        free(data);
        data = NULL;
    }

    CHECK(mv_write_file_atomic(f, "", 0, 0600) == 0);
    CHECK(mv_read_file(f, 0, &data, &len) == 0);
    CHECK(data && len == 0 && data[0] == '\0');
    free(data);
    data = NULL;

    /* stat() says 0 bytes for /proc files; the content is still read. */
    CHECK(mv_read_file("/proc/self/status", 1 << 20, &data, &len) == 0);
    CHECK(data && len > 0 && strstr(data, "Pid:"));
    free(data);
    data = NULL;

    CHECK(mv_read_file(tmpdir, 100, &data, &len) == -EISDIR);
    {
        _cleanup_free_ char *missing = path_in("missing");
        CHECK(mv_read_file(missing, 100, &data, &len) == -ENOENT);
    }
    unlink(f);
}

static void test_mkdir_p(void)
{
    _cleanup_free_ char *deep = path_in("a/b//c/"), *c = path_in("a/b/c");
    _cleanup_free_ char *file = path_in("a/file"), *under = path_in("a/file/x");
    _cleanup_free_ char *a = path_in("a"), *b = path_in("a/b");
    struct stat st;

    umask(0);
    CHECK(mv_mkdir_p(deep, 0750) == 0);
    CHECK(stat(c, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0750);
    CHECK(mv_mkdir_p(c, 0700) == 0); /* already there */
    CHECK(mv_mkdir_p(tmpdir, 0700) == 0);
    CHECK(mv_mkdir_p("/", 0700) == 0);
    CHECK(mv_mkdir_p("", 0700) == -EINVAL);

    CHECK(mv_write_file_atomic(file, "x", 1, 0600) == 0);
    CHECK(mv_mkdir_p(file, 0700) == -ENOTDIR);
    CHECK(mv_mkdir_p(under, 0700) == -ENOTDIR);
    umask(022);

    unlink(file);
    rmdir(c);
    rmdir(b);
    rmdir(a);
}

static void check_join(const char *root, const char *path, const char *want)
{
    _cleanup_free_ char *got = mv_path_join(root, path);

    if (!got || strcmp(got, want) != 0) {
        fprintf(stderr, "mv_path_join(%s, %s) = %s, wanted %s\n", root ? root : "NULL",
                path, got ? got : "NULL", want);
        test_failures++;
    }
}

static void test_path_join(void)
{
    check_join(NULL, "/etc/libvirt", "/etc/libvirt");
    check_join("", "/etc/libvirt", "/etc/libvirt");
    check_join("/tmp/r", "/etc/libvirt", "/tmp/r/etc/libvirt");
    check_join("/tmp/r/", "/etc/libvirt", "/tmp/r/etc/libvirt");
    check_join("/tmp/r//", "//run/x", "/tmp/r/run/x");
    check_join("/tmp/r", "relative", "/tmp/r/relative");
    check_join("/", "/etc", "/etc");
    CHECK(mv_path_join("/r", NULL) == NULL);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_write_atomic();
    test_read();
    test_mkdir_p();
    test_path_join();
    CHECK(count_entries(tmpdir) == 0);
    rmdir(tmpdir);
    TEST_DONE();
}
