/*
 * Tests for virtqemud/qemu_domains: what define, replace, rename, undefine
 * and autostart leave on disk survives a reload; a commit that fails
 * leaves memory and disk as they were; definitions are loaded without
 * QEMU (a machine type or emulator that has gone keeps the domain listed);
 * a file that cannot be loaded blocks its name and uuid; readers never
 * wait for a writer's job.
 *
 * Everything runs in a temp dir with no QEMU binary in the search path,
 * so any attempt to ask QEMU fails (and is counted).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf/domain_conf.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "virtqemud/qemu_capabilities.h"
#include "virtqemud/qemu_domain_defaults.h"
#include "virtqemud/qemu_domains.h"
#include "test.h"

#define UUID_A "6d0f8e6a-1c52-4b0e-9a43-0c6d7f1e2a01"
#define UUID_B "6d0f8e6a-1c52-4b0e-9a43-0c6d7f1e2a02"
#define UUID_C "6d0f8e6a-1c52-4b0e-9a43-0c6d7f1e2a03"
#define UUID_BAD "6d0f8e6a-1c52-4b0e-9a43-0c6d7f1e2aff"

static char root[] = "/tmp/test_qemu_domains.XXXXXX";
static char *config_dir, *journal, *nobin;

/* root/dir/name.xml, or root/dir with name NULL */
static char *in_root(const char *dir, const char *name)
{
    char *p = NULL;

    if ((name ? asprintf(&p, "%s/%s/%s.xml", root, dir, name)
              : asprintf(&p, "%s/%s", root, dir)) < 0)
        abort();
    return p;
}

static char *config_file(const char *name)
{
    return in_root("qemu", name);
}

static char *link_file(const char *name)
{
    return in_root("qemu/autostart", name);
}

static bool exists(char *path)
{
    struct stat st;
    bool r = lstat(path, &st) == 0;

    free(path);
    return r;
}

/* The content of NAME.xml, or NULL. */
static char *file_content(const char *name)
{
    _cleanup_free_ char *path = config_file(name);
    char *data = NULL;

    return mv_read_file(path, 1 << 24, &data, NULL) < 0 ? NULL : data;
}

static void write_config(const char *name, const char *content)
{
    _cleanup_free_ char *path = config_file(name);

    if (mv_write_file_atomic(path, content, strlen(content), 0600) < 0)
        abort();
}

static char *domain_xml(const char *name, const char *uuid, unsigned mem_kib)
{
    char *xml = NULL;

    if (asprintf(&xml,
                 "<domain type='kvm'><name>%s</name><uuid>%s</uuid>"
                 "<memory unit='KiB'>%u</memory><vcpu>1</vcpu>"
                 "<os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>"
                 "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>"
                 "</domain>", name, uuid, mem_kib) < 0)
        abort();
    return xml;
}

static mv_domain_def *make_def(const char *name, const char *uuid, unsigned mem_kib)
{
    _cleanup_free_ char *xml = domain_xml(name, uuid, mem_kib);
    mv_domain_def *def = NULL;

    if (mv_domain_def_parse(xml, 0, &def) < 0)
        abort();
    return def;
}

static qemu_domains *open_doms(const char *journal_path)
{
    qemu_domains *doms = NULL;

    if (qemu_domains_new(config_dir, journal_path, &doms) < 0 ||
        qemu_domains_load(doms, qemu_domain_post_parse_lenient) < 0)
        abort();
    return doms;
}

static int define(qemu_domains *doms, const char *name, const char *uuid, unsigned mem_kib)
{
    mv_domain_ref ref = { 0 };
    int r;

    mv_error_reset();
    r = qemu_domains_define(doms, make_def(name, uuid, mem_kib), &ref);
    if (r >= 0) {
        CHECK_STR(ref.name, name);
        CHECK_INT(ref.id, -1);
    }
    free(ref.name);
    return r;
}

/* The names listed, sorted, space-separated. */
static char *list_names(qemu_domains *doms)
{
    mv_domain_ref *refs = NULL;
    size_t n = 0;
    char *out = calloc(1, 1);

    if (qemu_domains_list(doms, 0, &refs, &n) < 0)
        abort();
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(refs[j].name, refs[i].name) < 0) {
                mv_domain_ref t = refs[i];
                refs[i] = refs[j];
                refs[j] = t;
            }
    for (size_t i = 0; i < n; i++) {
        char *next = NULL;

        if (asprintf(&next, "%s%s%s", out, i ? " " : "", refs[i].name) < 0)
            abort();
        free(out);
        out = next;
    }
    mv_domain_refs_free(refs, n);
    return out;
}

#define CHECK_NAMES(doms, want) do {                                            \
        char *_n = list_names(doms);                                            \
        CHECK_STR(_n, want);                                                    \
        free(_n);                                                               \
    } while (0)

/* Memory of the domain called name, 0 if there is none. */
static unsigned long long memory_of(qemu_domains *doms, const char *name)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom = qemu_domains_find_name_locked(doms, name);

    return dom ? dom->def->memory_kib : 0;
}

static int begin_job(qemu_domains *doms, const char *name, qemu_dom **ret)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *found = qemu_domains_find_name_locked(doms, name);
    mv_domain_ref ref = { 0 };

    if (!found)
        return -ENOENT;
    memcpy(ref.uuid, found->def->uuid, sizeof(ref.uuid));
    qemu_dom_unlock_unrefp(&found);
    found = NULL;
    return qemu_domains_begin_job(doms, &ref, ret);
}

/* Replace name's memory through a copy, as the driver's config changes do. */
static int set_memory(qemu_domains *doms, const char *name, unsigned long long kib)
{
    _cleanup_(qemu_dom_end_jobp) qemu_dom *dom = NULL;
    mv_domain_def *def = NULL;
    int r;

    r = begin_job(doms, name, &dom);
    if (r < 0)
        return r;
    r = mv_domain_def_copy(dom->def, &def);
    if (r < 0)
        return r;
    def->memory_kib = def->current_memory_kib = kib;
    mv_error_reset();
    return qemu_domains_replace_def(doms, dom, def);
}

static int do_rename(qemu_domains *doms, const char *name, const char *new_name)
{
    _cleanup_(qemu_dom_end_jobp) qemu_dom *dom = NULL;
    int r = begin_job(doms, name, &dom);

    mv_error_reset();
    return r < 0 ? r : qemu_domains_rename(doms, dom, new_name);
}

static int do_undefine(qemu_domains *doms, const char *name)
{
    _cleanup_(qemu_dom_end_jobp) qemu_dom *dom = NULL;
    int r = begin_job(doms, name, &dom);

    mv_error_reset();
    return r < 0 ? r : qemu_domains_undefine(doms, dom);
}

static int do_autostart(qemu_domains *doms, const char *name, bool on)
{
    _cleanup_(qemu_dom_end_jobp) qemu_dom *dom = NULL;
    int r = begin_job(doms, name, &dom);

    return r < 0 ? r : qemu_domains_set_autostart(doms, dom, on);
}

static bool autostart_of(qemu_domains *doms, const char *name)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom = qemu_domains_find_name_locked(doms, name);

    return dom && dom->autostart;
}

static bool content_has(const char *name, const char *needle)
{
    _cleanup_free_ char *c = file_content(name);

    return c && strstr(c, needle);
}

static void clear_config_dir(void)
{
    _cleanup_free_ char *cmd = NULL;

    if (asprintf(&cmd, "rm -rf '%s' && mkdir -p '%s'", config_dir, config_dir) < 0 ||
        system(cmd) != 0)
        abort();
}

/*----- tests -----*/

static void test_round_trips(void)
{
    qemu_domains *doms = open_doms(journal);

    CHECK_NAMES(doms, "");
    CHECK_INT(define(doms, "alpha", UUID_A, 524288), 0);
    CHECK_NAMES(doms, "alpha");
    CHECK(content_has("alpha", "<memory unit='KiB'>524288</memory>"));

    /* same name and uuid: a replacement */
    CHECK_INT(define(doms, "alpha", UUID_A, 1048576), 0);
    CHECK_INT(memory_of(doms, "alpha"), 1048576);
    CHECK(content_has("alpha", "<memory unit='KiB'>1048576</memory>"));

    /* the name or the uuid of another domain */
    CHECK_INT(define(doms, "alpha", UUID_B, 1024), -EEXIST);
    CHECK_INT(mv_error_last()->code, MV_ERR_OPERATION_FAILED);
    CHECK(strstr(mv_error_last()->message, "domain 'alpha' already exists with uuid " UUID_A));
    CHECK_INT(define(doms, "beta", UUID_A, 1024), -EEXIST);
    CHECK(strstr(mv_error_last()->message, "domain 'alpha' is already defined with uuid " UUID_A));
    CHECK_NAMES(doms, "alpha");
    CHECK_INT(memory_of(doms, "alpha"), 1048576);

    CHECK_INT(set_memory(doms, "alpha", 786432), 0);
    CHECK_INT(do_autostart(doms, "alpha", true), 0);
    CHECK(exists(link_file("alpha")));
    qemu_domains_free(doms);

    doms = open_doms(journal);
    CHECK_NAMES(doms, "alpha");
    CHECK_INT(memory_of(doms, "alpha"), 786432);
    CHECK(autostart_of(doms, "alpha"));

    /* rename: file, link and indexes follow */
    CHECK_INT(define(doms, "gamma", UUID_C, 1024), 0);
    CHECK_INT(do_rename(doms, "alpha", "gamma"), -EEXIST);
    CHECK_STR(mv_error_last()->message,
              "Requested operation is not valid: domain with name 'gamma' already exists");
    CHECK_INT(do_rename(doms, "alpha", "beta"), 0);
    CHECK_NAMES(doms, "beta gamma");
    CHECK(memory_of(doms, "alpha") == 0);
    CHECK_INT(memory_of(doms, "beta"), 786432);
    CHECK(!exists(config_file("alpha")));
    CHECK(content_has("beta", "<name>beta</name>"));
    CHECK(!exists(link_file("alpha")));
    CHECK(exists(link_file("beta")));
    CHECK(autostart_of(doms, "beta"));
    /* the old name is free again */
    CHECK_INT(define(doms, "alpha", UUID_B, 2048), 0);
    CHECK_INT(do_undefine(doms, "alpha"), 0);
    qemu_domains_free(doms);

    doms = open_doms(journal);
    CHECK_NAMES(doms, "beta gamma");
    CHECK(autostart_of(doms, "beta"));

    /* undefine: definition and link gone, name and uuid free */
    CHECK_INT(do_undefine(doms, "beta"), 0);
    CHECK_NAMES(doms, "gamma");
    CHECK(!exists(config_file("beta")));
    CHECK(!exists(link_file("beta")));
    CHECK_INT(do_undefine(doms, "beta"), -ENOENT);
    qemu_domains_free(doms);

    doms = open_doms(journal);
    CHECK_NAMES(doms, "gamma");
    CHECK_INT(define(doms, "beta", UUID_A, 4096), 0);
    CHECK(!autostart_of(doms, "beta"));
    qemu_domains_free(doms);
    clear_config_dir();
}

/* An autostart link an interrupted undefine left behind does not make a
 * new domain of that name autostart. */
static void test_stale_link(void)
{
    qemu_domains *doms = open_doms(journal);
    _cleanup_free_ char *target = config_file("delta");
    _cleanup_free_ char *link = link_file("delta");
    _cleanup_free_ char *dir = in_root("qemu/autostart", NULL);

    mkdir(dir, 0755);
    CHECK_INT(symlink(target, link), 0);
    CHECK_INT(define(doms, "delta", UUID_A, 1024), 0);
    CHECK(!autostart_of(doms, "delta"));
    qemu_domains_free(doms);
    doms = open_doms(journal);
    CHECK(!autostart_of(doms, "delta"));
    qemu_domains_free(doms);
    clear_config_dir();
}

/* A journal that cannot be written: every commit fails (its first write
 * formats the file, which /dev/full refuses). */
static void test_failed_commit_journal(void)
{
    qemu_domains *doms = open_doms(journal);
    _cleanup_free_ char *before = NULL;

    CHECK_INT(define(doms, "alpha", UUID_A, 524288), 0);
    CHECK_INT(do_autostart(doms, "alpha", true), 0);
    qemu_domains_free(doms);
    before = file_content("alpha");

    if (access("/dev/full", W_OK) < 0) {
        fprintf(stderr, "no /dev/full: skipping the journal failure cases\n");
        clear_config_dir();
        return;
    }
    doms = open_doms("/dev/full");
    CHECK_NAMES(doms, "alpha");

    /* a config change */
    CHECK(set_memory(doms, "alpha", 1048576) < 0);
    CHECK_INT(mv_error_last()->code, MV_ERR_SYSTEM_ERROR);
    CHECK(strstr(mv_error_last()->message, "cannot save the definition of 'alpha'"));
    CHECK_INT(memory_of(doms, "alpha"), 524288);
    {
        _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom =
            qemu_domains_find_name_locked(doms, "alpha");
        const char *xml = dom ? qemu_dom_xml(dom) : NULL;

        CHECK(xml && strstr(xml, "<memory unit='KiB'>524288</memory>"));
    }

    /* a replacing define, a new define */
    CHECK(define(doms, "alpha", UUID_A, 2097152) < 0);
    CHECK_INT(memory_of(doms, "alpha"), 524288);
    CHECK(define(doms, "beta", UUID_B, 1024) < 0);
    CHECK_NAMES(doms, "alpha");
    CHECK(!exists(config_file("beta")));

    /* rename: the old name stays, the new one is not kept claimed */
    CHECK(do_rename(doms, "alpha", "gamma") < 0);
    CHECK_NAMES(doms, "alpha");
    CHECK(memory_of(doms, "gamma") == 0);
    CHECK(exists(link_file("alpha")));
    CHECK(!exists(config_file("gamma")));

    /* undefine */
    CHECK(do_undefine(doms, "alpha") < 0);
    CHECK_NAMES(doms, "alpha");
    CHECK(autostart_of(doms, "alpha"));
    CHECK(exists(link_file("alpha")));
    qemu_domains_free(doms);

    {
        _cleanup_free_ char *after = file_content("alpha");

        CHECK_STR(after, before);
    }
    doms = open_doms(journal);
    CHECK_NAMES(doms, "alpha");
    CHECK_INT(memory_of(doms, "alpha"), 524288);
    CHECK(autostart_of(doms, "alpha"));
    /* nothing claimed by the failures is left behind */
    CHECK_INT(do_rename(doms, "alpha", "gamma"), 0);
    CHECK_INT(define(doms, "beta", UUID_B, 1024), 0);
    CHECK_NAMES(doms, "beta gamma");
    qemu_domains_free(doms);
    clear_config_dir();
}

/* Without a journal, a target path that is a directory makes the commit
 * itself fail. */
static void test_failed_commit_direct(void)
{
    qemu_domains *doms = open_doms(NULL);
    _cleanup_free_ char *blocker = config_file("gamma");
    _cleanup_free_ char *inside = in_root("qemu/gamma.xml/x", NULL);

    CHECK_INT(define(doms, "alpha", UUID_A, 524288), 0);
    CHECK_INT(mkdir(blocker, 0755), 0);
    CHECK_INT(mkdir(inside, 0755), 0);

    CHECK(define(doms, "gamma", UUID_C, 1024) < 0);
    CHECK_INT(mv_error_last()->code, MV_ERR_SYSTEM_ERROR);
    CHECK_NAMES(doms, "alpha");
    CHECK(do_rename(doms, "alpha", "gamma") < 0);
    CHECK_NAMES(doms, "alpha");
    CHECK(content_has("alpha", "<name>alpha</name>"));

    rmdir(inside);
    rmdir(blocker);
    /* neither failure left the name claimed */
    CHECK_INT(do_rename(doms, "alpha", "gamma"), 0);
    CHECK_NAMES(doms, "gamma");
    CHECK_INT(define(doms, "alpha", UUID_B, 1024), 0);
    CHECK_NAMES(doms, "alpha gamma");
    qemu_domains_free(doms);
    doms = open_doms(NULL);
    CHECK_NAMES(doms, "alpha gamma");
    qemu_domains_free(doms);
    clear_config_dir();
}

/* A machine type and emulator QEMU does not have: loaded without asking
 * QEMU, listed, formatted as written. */
static void test_lenient_load(void)
{
    static const char old_machine[] =
        "<domain type='kvm'><name>old</name><uuid>" UUID_A "</uuid>"
        "<memory unit='KiB'>262144</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='pc-i440fx-99.0'>hvm</type></os>"
        "<devices><emulator>/nonexistent/qemu</emulator></devices></domain>";
    unsigned probes = qemu_caps_probe_count();
    qemu_domains *doms;
    mv_domain_def *strict = NULL;

    write_config("old", old_machine);
    doms = open_doms(journal);
    CHECK_NAMES(doms, "old");
    CHECK_INT(qemu_caps_probe_count(), probes);
    {
        _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom =
            qemu_domains_find_name_locked(doms, "old");
        const char *xml = dom ? qemu_dom_xml(dom) : NULL;

        CHECK(xml && strstr(xml, "machine='pc-i440fx-99.0'"));
        CHECK(xml && strstr(xml, "<emulator>/nonexistent/qemu</emulator>"));
        /* the generic defaults are there (memballoon, i440fx's pci-root) */
        CHECK(xml && strstr(xml, "<memballoon model='virtio'>"));
        CHECK(xml && strstr(xml, "model='pci-root'"));
    }
    /* what the strict post-parse would have said */
    CHECK_INT(mv_domain_def_parse(old_machine, 0, &strict), 0);
    CHECK(strict && qemu_domain_post_parse(strict) < 0);
    mv_domain_def_free(strict);
    /* and the file is as it was */
    CHECK(content_has("old", "machine='pc-i440fx-99.0'"));
    qemu_domains_free(doms);
    clear_config_dir();
}

static void test_broken_file(void)
{
    static const char broken[] =
        "<domain type='kvm'>\n  <name>bad</name>\n  <uuid>" UUID_BAD "</uuid>\n  <memory";
    qemu_domains *doms;
    _cleanup_free_ char *bad_path = config_file("bad");

    write_config("bad", broken);
    /* a file whose name is not its domain's */
    {
        _cleanup_free_ char *xml = domain_xml("right", UUID_C, 1024);

        write_config("wrong", xml);
    }
    doms = open_doms(journal);
    CHECK_NAMES(doms, "");

    CHECK_INT(define(doms, "bad", UUID_A, 1024), -EEXIST);
    CHECK_INT(mv_error_last()->code, MV_ERR_OPERATION_FAILED);
    CHECK_INT(mv_error_last()->domain, MV_FROM_QEMU);
    CHECK(strstr(mv_error_last()->message, "operation failed: cannot define domain 'bad'"));
    CHECK(strstr(mv_error_last()->message, bad_path));
    CHECK(strstr(mv_error_last()->message, "fix it and restart virtqemud, or remove it"));

    /* its uuid, under another name */
    CHECK_INT(define(doms, "other", UUID_BAD, 1024), -EEXIST);
    CHECK_INT(mv_error_last()->code, MV_ERR_OPERATION_FAILED);
    CHECK(strstr(mv_error_last()->message, bad_path));
    CHECK(strstr(mv_error_last()->message, UUID_BAD));

    CHECK_INT(define(doms, "wrong", UUID_B, 1024), -EEXIST);
    CHECK(strstr(mv_error_last()->message, "wrong.xml"));

    /* a rename onto it */
    CHECK_INT(define(doms, "other", UUID_B, 1024), 0);
    CHECK_INT(do_rename(doms, "other", "bad"), -EEXIST);
    CHECK_INT(mv_error_last()->code, MV_ERR_OPERATION_FAILED);
    CHECK_NAMES(doms, "other");
    {
        _cleanup_free_ char *c = file_content("bad");

        CHECK_STR(c, broken);
    }

    /* once removed, the name is free */
    CHECK_INT(unlink(bad_path), 0);
    CHECK_INT(define(doms, "bad", UUID_A, 1024), 0);
    CHECK_NAMES(doms, "bad other");
    qemu_domains_free(doms);
    clear_config_dir();
}

typedef struct reader_args {
    qemu_domains *doms;
    int done;
    char *names;
    unsigned long long memory;
} reader_args;

static void *reader(void *opaque)
{
    reader_args *a = opaque;

    a->names = list_names(a->doms);
    a->memory = memory_of(a->doms, "alpha");
    __atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* While a writer holds a domain's job (as across a commit or a QEMU
 * probe), lookups and lists of it still answer. */
static void test_readers_skip_the_job(void)
{
    qemu_domains *doms = open_doms(journal);
    qemu_dom *job = NULL;
    reader_args a = { .doms = doms };
    pthread_t t;

    CHECK_INT(define(doms, "alpha", UUID_A, 524288), 0);
    CHECK_INT(begin_job(doms, "alpha", &job), 0);
    CHECK_INT(pthread_create(&t, NULL, reader, &a), 0);
    for (int i = 0; i < 500 && !__atomic_load_n(&a.done, __ATOMIC_ACQUIRE); i++)
        usleep(10000);
    CHECK(__atomic_load_n(&a.done, __ATOMIC_ACQUIRE));
    qemu_dom_end_jobp(&job);   /* lets a blocked reader finish, so join returns */
    pthread_join(t, NULL);
    CHECK_STR(a.names, "alpha");
    CHECK_INT(a.memory, 524288);
    free(a.names);
    qemu_domains_free(doms);
    clear_config_dir();
}

int main(void)
{
    const char *no_dirs[] = { NULL, NULL };

    if (!mkdtemp(root))
        return EXIT_FAILURE;
    config_dir = in_root("qemu", NULL);
    journal = in_root("definitions.journal", NULL);
    nobin = in_root("bin", NULL);
    if (mkdir(config_dir, 0755) < 0 || mkdir(nobin, 0755) < 0)
        return EXIT_FAILURE;
    /* No QEMU anywhere: asking it would fail (and count a probe). */
    no_dirs[0] = nobin;
    qemu_caps_set_search_dirs(no_dirs);

    test_round_trips();
    test_stale_link();
    test_failed_commit_journal();
    test_failed_commit_direct();
    test_lenient_load();
    test_broken_file();
    test_readers_skip_the_job();

    {
        _cleanup_free_ char *cmd = NULL;

        if (asprintf(&cmd, "rm -rf '%s'", root) >= 0 && system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", root);
    }
    free(config_dir);
    free(journal);
    free(nobin);
    TEST_DONE();
}
