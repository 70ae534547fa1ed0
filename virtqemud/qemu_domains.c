#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu_domains.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/hashmap.h"
#include "util/journal.h"
#include "util/log.h"
#include "util/uuid.h"

#define DEF_FILE_MAX (16u << 20)
/* Room for a few hundred definitions between checkpoints; a replay after a
 * crash reads no more than this. */
#define JOURNAL_CAPACITY (1u << 20)

/* virConnectListAllDomains flags */
enum {
    LIST_ACTIVE = 1 << 0, LIST_INACTIVE = 1 << 1,
    LIST_PERSISTENT = 1 << 2, LIST_TRANSIENT = 1 << 3,
    LIST_RUNNING = 1 << 4, LIST_PAUSED = 1 << 5, LIST_SHUTOFF = 1 << 6, LIST_OTHER = 1 << 7,
    LIST_MANAGEDSAVE = 1 << 8, LIST_NO_MANAGEDSAVE = 1 << 9,
    LIST_AUTOSTART = 1 << 10, LIST_NO_AUTOSTART = 1 << 11,
    LIST_HAS_SNAPSHOT = 1 << 12, LIST_NO_SNAPSHOT = 1 << 13,
    LIST_HAS_CHECKPOINT = 1 << 14, LIST_NO_CHECKPOINT = 1 << 15,
};

enum { STATE_RUNNING = 1, STATE_PAUSED = 3, STATE_SHUTOFF = 5 };

/* A file of the config dir that could not be loaded at start.  Defining
 * its name or uuid would overwrite it or shadow it, so that is refused
 * while the file exists. */
typedef struct broken_file {
    char *name;                 /* NAME of NAME.xml */
    char *path;
    unsigned char uuid[16];
    bool has_uuid;
} broken_file;

struct qemu_domains {
    pthread_mutex_t lock;       /* the list lock: the indexes and broken */
    pthread_mutex_t io_lock;    /* serialises journal commits (util/journal.h) */
    char *config_dir;
    char *autostart_dir;
    mv_journal *journal;        /* makes NAME.xml changes durable */
    mv_hashmap *by_name;        /* may briefly hold a second name during a rename */
    mv_hashmap *by_uuid;
    broken_file *broken;
    size_t n_broken;
};

/*----- domain objects -----*/

static qemu_dom *dom_new(void)
{
    qemu_dom *d = calloc(1, sizeof(*d));

    if (!d)
        return NULL;
    d->refs = 1;
    pthread_mutex_init(&d->job, NULL);
    pthread_mutex_init(&d->lock, NULL);
    d->id = -1;
    d->state = STATE_SHUTOFF;
    d->reason = 0;      /* VIR_DOMAIN_SHUTOFF_UNKNOWN */
    d->persistent = true;
    return d;
}

qemu_dom *qemu_dom_ref(qemu_dom *dom)
{
    __atomic_add_fetch(&dom->refs, 1, __ATOMIC_RELAXED);
    return dom;
}

void qemu_dom_unref(qemu_dom *dom)
{
    if (!dom || __atomic_sub_fetch(&dom->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    mv_domain_def_free(dom->def);
    free(dom->xml);
    pthread_mutex_destroy(&dom->job);
    pthread_mutex_destroy(&dom->lock);
    free(dom);
}

void qemu_dom_lock(qemu_dom *dom)
{
    pthread_mutex_lock(&dom->lock);
}

void qemu_dom_unlock(qemu_dom *dom)
{
    pthread_mutex_unlock(&dom->lock);
}

void qemu_dom_unlock_unrefp(qemu_dom **p)
{
    if (!*p)
        return;
    qemu_dom_unlock(*p);
    qemu_dom_unref(*p);
}

void qemu_dom_end_jobp(qemu_dom **p)
{
    if (!*p)
        return;
    pthread_mutex_unlock(&(*p)->job);
    qemu_dom_unref(*p);
}

/*----- the list -----*/

static void list_lock(qemu_domains *doms)
{
    pthread_mutex_lock(&doms->lock);
}

static void list_unlock(qemu_domains *doms)
{
    pthread_mutex_unlock(&doms->lock);
}

int qemu_domains_new(const char *config_dir, const char *journal_path, qemu_domains **ret)
{
    qemu_domains *doms = calloc(1, sizeof(*doms));
    int r;

    if (!doms)
        return -ENOMEM;
    pthread_mutex_init(&doms->lock, NULL);
    pthread_mutex_init(&doms->io_lock, NULL);
    doms->config_dir = strdup(config_dir);
    if (!doms->config_dir || asprintf(&doms->autostart_dir, "%s/autostart", config_dir) < 0 ||
        mv_hashmap_new(&doms->by_name) < 0 || mv_hashmap_new(&doms->by_uuid) < 0) {
        qemu_domains_free(doms);
        return -ENOMEM;
    }
    /* Opening the journal replays what a crash left in it, so it comes
     * before anything reads the directory. */
    r = mv_journal_open(journal_path, config_dir, JOURNAL_CAPACITY, &doms->journal);
    if (r < 0 && journal_path) {
        log_warn("cannot use the journal %s (%s): every definition is synced on its own",
                 journal_path, strerror(-r));
        r = mv_journal_open(NULL, config_dir, 0, &doms->journal);
    }
    if (r < 0) {
        qemu_domains_free(doms);
        return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                               "cannot open the directory of definitions %s: %s", config_dir,
                               strerror(-r));
    }
    *ret = doms;
    return 0;
}

static void unref_entry(const char *key, void *value, void *opaque)
{
    qemu_dom_unref(value);
}

void qemu_domains_free(qemu_domains *doms)
{
    if (!doms)
        return;
    /* by_uuid holds each domain once; by_name may hold one twice. */
    if (doms->by_uuid)
        mv_hashmap_foreach(doms->by_uuid, unref_entry, NULL);
    mv_hashmap_free(doms->by_name);
    mv_hashmap_free(doms->by_uuid);
    mv_journal_close(doms->journal);
    for (size_t i = 0; i < doms->n_broken; i++) {
        free(doms->broken[i].name);
        free(doms->broken[i].path);
    }
    free(doms->broken);
    free(doms->config_dir);
    free(doms->autostart_dir);
    pthread_mutex_destroy(&doms->lock);
    pthread_mutex_destroy(&doms->io_lock);
    free(doms);
}

/* Index d (taking the caller's reference for the list) under its def's
 * name and uuid; with the list lock held.  On failure nothing changed. */
static int index_dom(qemu_domains *doms, qemu_dom *d)
{
    char u[MV_UUID_STRLEN];

    mv_uuid_format(d->def->uuid, u);
    if (mv_hashmap_put(doms->by_name, d->def->name, d) < 0)
        return -ENOMEM;
    if (mv_hashmap_put(doms->by_uuid, u, d) < 0) {
        mv_hashmap_remove(doms->by_name, d->def->name);
        return -ENOMEM;
    }
    return 0;
}

/* Remove key from m if it maps to d (it may map to another domain after
 * a concurrent define of a name d just left). */
static void remove_if(mv_hashmap *m, const char *key, const qemu_dom *d)
{
    if (mv_hashmap_get(m, key) == d)
        mv_hashmap_remove(m, key);
}

/* Take d out of the list, with the list lock and d's job held; the
 * list's reference is then the caller's to drop. */
static void unindex_dom(qemu_domains *doms, qemu_dom *d)
{
    char u[MV_UUID_STRLEN];

    mv_uuid_format(d->def->uuid, u);
    remove_if(doms->by_name, d->def->name, d);
    remove_if(doms->by_uuid, u, d);
    qemu_dom_lock(d);
    d->removed = true;
    qemu_dom_unlock(d);
}

/* d, referenced and locked, if it is visible to readers (and, with name,
 * is still called so: by_name keeps a renamed domain's old name until
 * the rename is complete, and holds the new one from before it starts). */
static qemu_dom *lock_published(qemu_dom *d, const char *name)
{
    if (!d)
        return NULL;
    qemu_dom_lock(d);
    if (!d->published || d->removed || (name && strcmp(d->def->name, name) != 0)) {
        qemu_dom_unlock(d);
        return NULL;
    }
    return qemu_dom_ref(d);
}

qemu_dom *qemu_domains_find_name_locked(qemu_domains *doms, const char *name)
{
    qemu_dom *d;

    list_lock(doms);
    d = lock_published(mv_hashmap_get(doms->by_name, name), name);
    list_unlock(doms);
    return d;
}

qemu_dom *qemu_domains_find_uuid_locked(qemu_domains *doms, const unsigned char *uuid)
{
    qemu_dom *d;
    char key[MV_UUID_STRLEN];

    mv_uuid_format(uuid, key);
    list_lock(doms);
    d = lock_published(mv_hashmap_get(doms->by_uuid, key), NULL);
    list_unlock(doms);
    return d;
}

typedef struct id_search {
    int id;
    qemu_dom *found;
} id_search;

static void match_id(const char *key, void *value, void *opaque)
{
    id_search *s = opaque;
    qemu_dom *d;

    if (s->found)
        return;
    d = lock_published(value, NULL);
    if (d && d->id == s->id)
        s->found = d;
    else if (d)
        qemu_dom_unlock_unrefp(&d);
}

qemu_dom *qemu_domains_find_id_locked(qemu_domains *doms, int id)
{
    id_search s = { .id = id };

    if (id < 0)
        return NULL;
    list_lock(doms);
    mv_hashmap_foreach(doms->by_uuid, match_id, &s);
    list_unlock(doms);
    return s.found;
}

static int no_domain(const mv_domain_ref *ref)
{
    char u[MV_UUID_STRLEN];

    mv_uuid_format(ref->uuid, u);
    if (!ref->name)
        return mv_error_report(-ENOENT, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
                               "no domain with matching uuid '%s'", u);
    return mv_error_report(-ENOENT, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
                           "no domain with matching uuid '%s' (%s)", u, ref->name);
}

int qemu_domains_get_locked(qemu_domains *doms, const mv_domain_ref *ref, qemu_dom **ret)
{
    qemu_dom *d = qemu_domains_find_uuid_locked(doms, ref->uuid);

    if (!d)
        return no_domain(ref);
    *ret = d;
    return 0;
}

int qemu_domains_begin_job(qemu_domains *doms, const mv_domain_ref *ref, qemu_dom **ret)
{
    qemu_dom *d = qemu_domains_find_uuid_locked(doms, ref->uuid);

    if (!d)
        return no_domain(ref);
    qemu_dom_unlock(d);
    pthread_mutex_lock(&d->job);
    /* Only a job holder sets removed: no state lock needed to read it. */
    if (d->removed) {
        qemu_dom_end_jobp(&d);
        return no_domain(ref);
    }
    *ret = d;
    return 0;
}

/*----- files -----*/

static char *def_path(const char *dir, const char *name)
{
    char *p = NULL;

    if (asprintf(&p, "%s/%s.xml", dir, name) < 0)
        return NULL;
    return p;
}

/* What NAME.xml holds for def. */
static int def_doc(const mv_domain_def *def, char **ret, size_t *ret_len)
{
    _cleanup_free_ char *xml = NULL;
    int r, n;

    /* The on-disk copy keeps everything, secrets included, as libvirt's. */
    r = mv_domain_def_format(def, MV_DOMAIN_XML_SECURE | MV_DOMAIN_XML_INACTIVE, -1, &xml);
    if (r < 0)
        return r;
    n = asprintf(ret,
                 "<!--\n"
                 "Written by virtqemud (modvirt); read again whenever the daemon starts.\n"
                 "Change it with 'virsh edit %s' or 'virsh define': edits made here\n"
                 "are overwritten by the next change made through the daemon.\n"
                 "-->\n%s", def->name, xml);
    if (n < 0)
        return -ENOMEM;
    *ret_len = (size_t)n;
    return 0;
}

static int commit(qemu_domains *doms, const mv_journal_op *ops, size_t n)
{
    int r;

    pthread_mutex_lock(&doms->io_lock);
    r = mv_journal_commit(doms->journal, ops, n);
    pthread_mutex_unlock(&doms->io_lock);
    return r;
}

/* Store def as NAME.xml, durably, removing the file of old_name (a
 * rename) in the same step. */
static int write_def(qemu_domains *doms, const mv_domain_def *def, const char *old_name)
{
    _cleanup_free_ char *doc = NULL, *file = NULL, *old_file = NULL;
    mv_journal_op ops[2] = { { .mode = 0600 } };
    char u[MV_UUID_STRLEN];
    int r;

    r = def_doc(def, &doc, &ops[0].len);
    if (r < 0)
        return r;
    if (asprintf(&file, "%s.xml", def->name) < 0 ||
        (old_name && asprintf(&old_file, "%s.xml", old_name) < 0))
        return -ENOMEM;
    ops[0].name = file;
    ops[0].data = doc;
    ops[1].name = old_file;
    r = commit(doms, ops, old_name ? 2 : 1);
    if (r < 0) {
        mv_uuid_format(def->uuid, u);
        return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                               "cannot save the definition of '%s' (uuid %s) in %s: %s",
                               def->name, u, doms->config_dir, strerror(-r));
    }
    return 0;
}

static int remove_def(qemu_domains *doms, const char *name)
{
    _cleanup_free_ char *file = NULL;
    mv_journal_op op = { 0 };
    int r;

    if (asprintf(&file, "%s.xml", name) < 0)
        return -ENOMEM;
    op.name = file;
    r = commit(doms, &op, 1);
    if (r < 0)
        return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                               "cannot remove the definition of '%s' from %s: %s", name,
                               doms->config_dir, strerror(-r));
    return 0;
}

static int remove_link(qemu_domains *doms, const char *name)
{
    _cleanup_free_ char *path = def_path(doms->autostart_dir, name);

    if (!path)
        return -ENOMEM;
    if (unlink(path) < 0) {
        if (errno == ENOENT)
            return 0;
        return mv_error_report(-errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                               "cannot remove %s: %s", path, strerror(errno));
    }
    mv_fsync_dir(doms->autostart_dir);  /* best effort: the unlink itself succeeded */
    return 0;
}

static int link_autostart(qemu_domains *doms, const char *name)
{
    _cleanup_free_ char *target = def_path(doms->config_dir, name);
    _cleanup_free_ char *link = def_path(doms->autostart_dir, name);
    int r;

    if (!target || !link)
        return -ENOMEM;
    r = mv_mkdir_p(doms->autostart_dir, 0755);
    if (r < 0)
        return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                               "cannot create %s: %s", doms->autostart_dir, strerror(-r));
    if (symlink(target, link) < 0 && errno != EEXIST)
        return mv_error_report(-errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                               "cannot create autostart link %s: %s", link, strerror(errno));
    mv_fsync_dir(doms->autostart_dir);
    return 0;
}

static bool has_autostart_link(qemu_domains *doms, const char *name)
{
    _cleanup_free_ char *link = def_path(doms->autostart_dir, name);

    return link && access(link, F_OK) == 0;
}

/* For steps after a success point: the change happened, so a failure
 * here is logged, not returned (and its recorded error dropped). */
static void log_failure(int r, const char *what, const char *name)
{
    const mv_error *e = mv_error_last();

    log_error("domain '%s': %s: %s", name, what, e ? e->message : strerror(-r));
    mv_error_reset();
}

/*----- files that could not be loaded -----*/

/* The uuid of a document the parser refused, if its <uuid> can be read. */
static bool scan_uuid(const char *xml, unsigned char out[16])
{
    const char *p = xml ? strstr(xml, "<uuid>") : NULL;

    if (!p)
        return false;
    p += strlen("<uuid>");
    p += strspn(p, " \t\n\r");
    return mv_uuid_scan(p, out, NULL) == 0;
}

/* Remember the file name.xml at path as broken; xml is what it holds, if
 * it could be read.  At load, before any other thread runs. */
static void remember_broken(qemu_domains *doms, const char *file, const char *path,
                            const char *xml)
{
    broken_file *n = realloc(doms->broken, (doms->n_broken + 1) * sizeof(*n));
    broken_file *b;

    if (!n)
        return;
    doms->broken = n;
    b = &n[doms->n_broken];
    *b = (broken_file){ 0 };
    b->name = strndup(file, strlen(file) - 4);
    b->path = strdup(path);
    if (!b->name || !b->path) {
        free(b->name);
        free(b->path);
        return;
    }
    b->has_uuid = scan_uuid(xml, b->uuid);
    doms->n_broken++;
}

/* Refuse name (and uuid, if given) when a file that could not be loaded
 * has it and still exists; action says what was asked.  Takes the list
 * lock only to look; the file is checked outside it. */
static int check_broken(qemu_domains *doms, const char *action, const char *name,
                        const unsigned char *uuid)
{
    for (;;) {
        _cleanup_free_ char *path = NULL;
        bool by_uuid = false;
        char u[MV_UUID_STRLEN];

        list_lock(doms);
        for (size_t i = 0; !path && i < doms->n_broken; i++) {
            broken_file *b = &doms->broken[i];

            by_uuid = strcmp(b->name, name) != 0;
            if (!by_uuid || (uuid && b->has_uuid && memcmp(b->uuid, uuid, 16) == 0))
                path = strdup(b->path);
        }
        list_unlock(doms);
        if (!path)
            return 0;
        if (access(path, F_OK) < 0 && errno == ENOENT) {
            /* Removed since: nothing is lost by reusing its name. */
            list_lock(doms);
            for (size_t i = 0; i < doms->n_broken; i++) {
                if (strcmp(doms->broken[i].path, path) == 0) {
                    free(doms->broken[i].name);
                    free(doms->broken[i].path);
                    doms->broken[i] = doms->broken[--doms->n_broken];
                    break;
                }
            }
            list_unlock(doms);
            continue;
        }
        if (by_uuid) {
            mv_uuid_format(uuid, u);
            return mv_error_report(-EEXIST, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                                   "cannot %s '%s': the configuration file %s has the same uuid %s but could not be loaded; fix it and restart virtqemud, or remove it",
                                   action, name, path, u);
        }
        return mv_error_report(-EEXIST, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                               "cannot %s '%s': its configuration file %s exists but could not be loaded; fix it and restart virtqemud, or remove it",
                               action, name, path);
    }
}

/*----- loading -----*/

/* Read and complete one definition file; NULL and logged if it cannot
 * be parsed at all. */
static mv_domain_def *load_file(const char *path, int (*post_parse)(mv_domain_def *def),
                                char **ret_xml)
{
    _cleanup_free_ char *xml = NULL;
    mv_domain_def *def = NULL;

    int r;

    mv_error_reset();
    r = mv_read_file(path, DEF_FILE_MAX, &xml, NULL);
    if (r < 0) {
        log_error("cannot read domain definition %s: %s", path, strerror(-r));
        return NULL;
    }
    if (mv_domain_def_parse(xml, 0, &def) < 0) {
        log_error("cannot load domain definition %s: %s", path,
                  mv_error_last() ? mv_error_last()->message : "invalid");
        *ret_xml = TAKE_PTR(xml);
        return NULL;
    }
    if (post_parse && post_parse(def) < 0) {
        /* Keep what was written rather than lose the domain: it is
         * refused, with the reason, when it is next changed. */
        log_warn("domain definition %s is kept as written: %s", path,
                 mv_error_last() ? mv_error_last()->message : "invalid");
        mv_domain_def_free(def);
        def = NULL;
        if (mv_domain_def_parse(xml, 0, &def) < 0)
            def = NULL;
    }
    mv_error_reset();
    *ret_xml = TAKE_PTR(xml);
    return def;
}

int qemu_domains_load(qemu_domains *doms, int (*post_parse)(mv_domain_def *def))
{
    DIR *dir = opendir(doms->config_dir);
    struct dirent *e;
    unsigned loaded = 0;

    if (!dir)
        return errno == ENOENT ? 0 : -errno;
    while ((e = readdir(dir))) {
        size_t len = strlen(e->d_name);
        _cleanup_free_ char *path = NULL, *xml = NULL;
        _cleanup_(qemu_domain_def_freep) mv_domain_def *def = NULL;
        _cleanup_(qemu_dom_unrefp) qemu_dom *d = NULL;
        char u[MV_UUID_STRLEN];
        int r;

        if (len < 5 || strcmp(e->d_name + len - 4, ".xml") != 0 || e->d_name[0] == '.')
            continue;
        if (asprintf(&path, "%s/%s", doms->config_dir, e->d_name) < 0)
            break;
        def = load_file(path, post_parse, &xml);
        if (!def) {
            remember_broken(doms, e->d_name, path, xml);
            continue;
        }
        if (strncmp(e->d_name, def->name, len - 4) != 0 || strlen(def->name) != len - 4) {
            log_error("ignoring %s: it defines domain '%s', not '%.*s'", path, def->name,
                      (int)(len - 4), e->d_name);
            remember_broken(doms, e->d_name, path, xml);
            continue;
        }
        d = dom_new();
        if (!d)
            break;
        d->autostart = has_autostart_link(doms, def->name);
        d->def = TAKE_PTR(def);
        d->published = true;
        mv_uuid_format(d->def->uuid, u);
        list_lock(doms);
        r = mv_hashmap_get(doms->by_uuid, u) ? -EEXIST : index_dom(doms, d);
        list_unlock(doms);
        if (r == -EEXIST) {
            log_error("ignoring %s: another definition has the same uuid", path);
            remember_broken(doms, e->d_name, path, xml);
            continue;
        }
        if (r < 0)
            break;
        TAKE_PTR(d);    /* the list's reference now */
        loaded++;
    }
    closedir(dir);
    log_info("loaded %u domain definitions from %s", loaded, doms->config_dir);
    return 0;
}

/*----- mutations -----*/

/* Under the list lock: refuse def if its name or uuid belongs to another
 * domain; else the domain it replaces (referenced), or NULL. */
static int check_define_locked(qemu_domains *doms, const mv_domain_def *def,
                               qemu_dom **ret_existing)
{
    qemu_dom *by_name = mv_hashmap_get(doms->by_name, def->name);
    qemu_dom *by_uuid;
    bool same_name;
    char u[MV_UUID_STRLEN];

    mv_uuid_format(def->uuid, u);
    by_uuid = mv_hashmap_get(doms->by_uuid, u);
    if (by_uuid) {
        qemu_dom_lock(by_uuid);
        same_name = strcmp(by_uuid->def->name, def->name) == 0;
        if (!same_name) {
            int r = mv_error_report(-EEXIST, MV_ERR_OPERATION_FAILED, MV_FROM_DOMAIN,
                                    "domain '%s' is already defined with uuid %s",
                                    by_uuid->def->name, u);
            qemu_dom_unlock(by_uuid);
            return r;
        }
        qemu_dom_unlock(by_uuid);
    }
    if (by_name && by_name != by_uuid) {
        qemu_dom_lock(by_name);
        mv_uuid_format(by_name->def->uuid, u);
        qemu_dom_unlock(by_name);
        return mv_error_report(-EEXIST, MV_ERR_OPERATION_FAILED, MV_FROM_DOMAIN,
                               "domain '%s' already exists with uuid %s", def->name, u);
    }
    *ret_existing = by_uuid ? qemu_dom_ref(by_uuid) : NULL;
    return 0;
}

static int ref_of_def(const mv_domain_def *def, mv_domain_ref *ret)
{
    char *name = strdup(def->name);

    if (!name)
        return -ENOMEM;
    *ret = (mv_domain_ref){ .name = name, .id = -1 };
    memcpy(ret->uuid, def->uuid, sizeof(ret->uuid));
    return 0;
}

/* The first definition of d, which is indexed but not published, with
 * its job held. */
/* Every domain here is shut off: events carry no id. */
static void emit_lifecycle(const char *name, const unsigned char *uuid, int event, int detail)
{
    mv_domain_ref ref = { .name = (char *)name, .id = -1 };

    memcpy(ref.uuid, uuid, sizeof(ref.uuid));
    mv_domain_event_lifecycle(&ref, event, detail);
}

static int define_new(qemu_domains *doms, qemu_dom *d, mv_domain_ref *ret)
{
    mv_domain_ref ref = { 0 };
    int r;

    r = ref_of_def(d->def, &ref);
    if (r >= 0)
        r = write_def(doms, d->def, NULL);
    if (r < 0) {
        free(ref.name);
        list_lock(doms);
        unindex_dom(doms, d);
        list_unlock(doms);
        qemu_dom_unref(d);      /* the list's */
        return r;
    }
    /* A link left by an undefine whose second step failed must not make
     * this new domain autostart at the next daemon start. */
    r = remove_link(doms, d->def->name);
    if (r < 0)
        log_failure(r, "cannot remove a stale autostart link", d->def->name);
    qemu_dom_lock(d);
    d->published = true;
    qemu_dom_unlock(d);
    mv_domain_event_lifecycle(&ref, MV_DOMAIN_EVENT_DEFINED, MV_DOMAIN_EVENT_DEFINED_ADDED);
    *ret = ref;
    return 0;
}

/* Publish def as dom's definition (after its commit), persistent from now
 * on if asked; the old definition is returned for the caller to free
 * outside the lock. */
static mv_domain_def *swap_def(qemu_dom *dom, mv_domain_def *def, bool persistent)
{
    mv_domain_def *old;

    qemu_dom_lock(dom);
    old = dom->def;
    dom->def = def;
    free(dom->xml);
    dom->xml = NULL;
    if (persistent)
        dom->persistent = true;
    qemu_dom_unlock(dom);
    return old;
}

/* Replace the definition of existing (same name and uuid) by def.
 * -EAGAIN when existing changed while we waited for its job. */
static int define_replace(qemu_domains *doms, qemu_dom *existing, mv_domain_def **def,
                          mv_domain_ref *ret)
{
    mv_domain_def *old;
    mv_domain_ref ref;
    int r;

    pthread_mutex_lock(&existing->job);
    if (existing->removed || strcmp(existing->def->name, (*def)->name) != 0) {
        pthread_mutex_unlock(&existing->job);
        return -EAGAIN;
    }
    r = ref_of_def(*def, &ref);
    if (r >= 0) {
        r = write_def(doms, *def, NULL);
        if (r < 0)
            free(ref.name);
    }
    if (r < 0) {
        pthread_mutex_unlock(&existing->job);
        return r;
    }
    old = swap_def(existing, TAKE_PTR(*def), true);
    mv_domain_event_lifecycle(&ref, MV_DOMAIN_EVENT_DEFINED, MV_DOMAIN_EVENT_DEFINED_UPDATED);
    pthread_mutex_unlock(&existing->job);
    mv_domain_def_free(old);
    *ret = ref;
    return 0;
}

int qemu_domains_define(qemu_domains *doms, mv_domain_def *def_in, mv_domain_ref *ret)
{
    _cleanup_(qemu_domain_def_freep) mv_domain_def *def = def_in;
    int r;

    r = check_broken(doms, "define domain", def->name, def->uuid);
    if (r < 0)
        return r;
    for (;;) {
        _cleanup_(qemu_dom_unrefp) qemu_dom *existing = NULL;
        qemu_dom *d = NULL;

        list_lock(doms);
        r = check_define_locked(doms, def, &existing);
        if (r >= 0 && !existing) {
            /* Indexed before its commit, unpublished: readers do not see
             * it, a concurrent define of its name or uuid does. */
            d = dom_new();
            if (!d) {
                r = -ENOMEM;
            } else {
                pthread_mutex_lock(&d->job);    /* new: nobody else can hold it */
                d->def = TAKE_PTR(def);
                r = index_dom(doms, d);
                if (r < 0)
                    def = TAKE_PTR(d->def);
            }
        }
        list_unlock(doms);
        if (r < 0) {
            if (d) {
                pthread_mutex_unlock(&d->job);
                qemu_dom_unref(d);
            }
            return r;
        }
        if (!existing) {
            /* d holds the list's reference; ours is d's job. */
            qemu_dom_ref(d);
            r = define_new(doms, d, ret);
            qemu_dom_end_jobp(&d);
            return r;
        }
        r = define_replace(doms, existing, &def, ret);
        if (r != -EAGAIN)
            return r;
    }
}

int qemu_domains_replace_def(qemu_domains *doms, qemu_dom *dom, mv_domain_def *def_in)
{
    _cleanup_(qemu_domain_def_freep) mv_domain_def *def = def_in;
    mv_domain_def *old;
    int r;

    r = write_def(doms, def, NULL);
    if (r < 0)
        return r;
    old = swap_def(dom, TAKE_PTR(def), false);
    /* event: none here (libvirt sends none for setmem/setvcpus/devices); see set_metadata */
    mv_domain_def_free(old);
    return 0;
}

int qemu_domains_undefine(qemu_domains *doms, qemu_dom *dom)
{
    const char *name = dom->def->name;
    int r;

    /*
     * The definition goes first, and that commit is the success point.
     * A crash or failure after it leaves at most an autostart link to
     * nothing: no domain autostarts from it, and a later define of the
     * name removes it (define_new).  The other order could fail after
     * the link is gone, reporting a failed undefine that had silently
     * turned autostart off.  (An undefine is journaled without a flush:
     * if a power cut loses it, the definition comes back without its
     * link, i.e. not autostarted, which is the safe side.)
     */
    r = remove_def(doms, name);
    if (r < 0)
        return r;
    emit_lifecycle(name, dom->def->uuid, MV_DOMAIN_EVENT_UNDEFINED,
                   MV_DOMAIN_EVENT_UNDEFINED_REMOVED);
    if (dom->autostart) {
        r = remove_link(doms, name);
        if (r < 0)
            log_failure(r, "undefined, but its autostart link remains", name);
    }
    if (dom->id >= 0) {
        qemu_dom_lock(dom);
        dom->persistent = false;    /* runs on, as a transient domain */
        dom->autostart = false;
        qemu_dom_unlock(dom);
        return 0;
    }
    list_lock(doms);
    unindex_dom(doms, dom);
    list_unlock(doms);
    qemu_dom_lock(dom);
    dom->autostart = false;
    qemu_dom_unlock(dom);
    qemu_dom_unref(dom);    /* the list's; the caller still holds one */
    return 0;
}

int qemu_domains_rename(qemu_domains *doms, qemu_dom *dom, const char *new_name)
{
    _cleanup_(qemu_domain_def_freep) mv_domain_def *def = NULL;
    _cleanup_free_ char *old_name = NULL;
    mv_domain_def *old;
    int r;

    r = check_broken(doms, "rename domain to", new_name, NULL);
    if (r < 0)
        return r;
    old_name = strdup(dom->def->name);
    if (!old_name)
        return -ENOMEM;
    r = mv_domain_def_copy(dom->def, &def);
    if (r < 0)
        return r;
    free(def->name);
    def->name = strdup(new_name);
    if (!def->name)
        return -ENOMEM;

    /* Claim the new name before the commit, so that a concurrent define
     * or rename cannot take it and a failed insert changes nothing.
     * Readers ignore it until the new definition is swapped in. */
    /* libvirt's domain list gives these errors (VIR_FROM_DOMAIN) */
    if (strcmp(dom->def->name, new_name) == 0)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_DOMAIN,
                               "Can't rename domain to itself");
    list_lock(doms);
    if (mv_hashmap_get(doms->by_name, new_name))
        r = mv_error_report(-EEXIST, MV_ERR_OPERATION_INVALID, MV_FROM_DOMAIN,
                            "domain with name '%s' already exists", new_name);
    else if (mv_hashmap_put(doms->by_name, new_name, dom) < 0)
        r = -ENOMEM;
    list_unlock(doms);
    if (r < 0)
        return r;

    r = write_def(doms, def, old_name);
    if (r < 0) {
        list_lock(doms);
        remove_if(doms->by_name, new_name, dom);
        list_unlock(doms);
        return r;
    }
    old = swap_def(dom, TAKE_PTR(def), false);
    list_lock(doms);
    remove_if(doms->by_name, old_name, dom);
    list_unlock(doms);
    mv_domain_def_free(old);
    emit_lifecycle(old_name, dom->def->uuid, MV_DOMAIN_EVENT_UNDEFINED,
                   MV_DOMAIN_EVENT_UNDEFINED_RENAMED);
    emit_lifecycle(new_name, dom->def->uuid, MV_DOMAIN_EVENT_DEFINED,
                   MV_DOMAIN_EVENT_DEFINED_RENAMED);

    /* The rename happened: a link that cannot follow is logged, and the
     * flag tells the truth about what is on disk. */
    if (dom->autostart) {
        r = link_autostart(doms, new_name);
        if (r < 0) {
            log_failure(r, "renamed, but autostart is now off", new_name);
            qemu_dom_lock(dom);
            dom->autostart = false;
            qemu_dom_unlock(dom);
        }
        r = remove_link(doms, old_name);
        if (r < 0)
            log_failure(r, "cannot remove the old autostart link", old_name);
    }
    return 0;
}

int qemu_domains_set_autostart(qemu_domains *doms, qemu_dom *dom, bool on)
{
    int r;

    if (dom->autostart == on)
        return 0;
    r = on ? link_autostart(doms, dom->def->name) : remove_link(doms, dom->def->name);
    if (r < 0)
        return r;
    qemu_dom_lock(dom);
    dom->autostart = on;
    qemu_dom_unlock(dom);
    return 0;
}

/*----- listing -----*/

static bool matches(const qemu_dom *d, unsigned f)
{
    bool active = d->id >= 0;

    if ((f & (LIST_ACTIVE | LIST_INACTIVE)) &&
        !((f & LIST_ACTIVE && active) || (f & LIST_INACTIVE && !active)))
        return false;
    if ((f & (LIST_PERSISTENT | LIST_TRANSIENT)) &&
        !((f & LIST_PERSISTENT && d->persistent) || (f & LIST_TRANSIENT && !d->persistent)))
        return false;
    if ((f & (LIST_RUNNING | LIST_PAUSED | LIST_SHUTOFF | LIST_OTHER)) &&
        !((f & LIST_RUNNING && d->state == STATE_RUNNING) ||
          (f & LIST_PAUSED && d->state == STATE_PAUSED) ||
          (f & LIST_SHUTOFF && d->state == STATE_SHUTOFF) ||
          (f & LIST_OTHER && d->state != STATE_RUNNING && d->state != STATE_PAUSED &&
           d->state != STATE_SHUTOFF)))
        return false;
    /* no managed save images, snapshots or checkpoints exist yet */
    if ((f & (LIST_MANAGEDSAVE | LIST_NO_MANAGEDSAVE)) && !(f & LIST_NO_MANAGEDSAVE))
        return false;
    if ((f & (LIST_AUTOSTART | LIST_NO_AUTOSTART)) &&
        !((f & LIST_AUTOSTART && d->autostart) || (f & LIST_NO_AUTOSTART && !d->autostart)))
        return false;
    if ((f & (LIST_HAS_SNAPSHOT | LIST_NO_SNAPSHOT)) && !(f & LIST_NO_SNAPSHOT))
        return false;
    if ((f & (LIST_HAS_CHECKPOINT | LIST_NO_CHECKPOINT)) && !(f & LIST_NO_CHECKPOINT))
        return false;
    return true;
}

typedef struct collect {
    unsigned flags;
    mv_domain_ref *refs;
    size_t n;
    int err;
} collect;

static void collect_one(const char *key, void *value, void *opaque)
{
    collect *c = opaque;
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *d = lock_published(value, NULL);

    if (!d || c->err || !matches(d, c->flags))
        return;
    if (qemu_dom_ref_dup(d, &c->refs[c->n]) < 0)
        c->err = -ENOMEM;
    else
        c->n++;
}

int qemu_domains_list(qemu_domains *doms, unsigned flags, mv_domain_ref **ret, size_t *ret_n)
{
    collect c = { .flags = flags };

    list_lock(doms);
    c.refs = calloc(mv_hashmap_size(doms->by_uuid) + 1, sizeof(mv_domain_ref));
    if (c.refs)
        mv_hashmap_foreach(doms->by_uuid, collect_one, &c);
    list_unlock(doms);
    if (!c.refs)
        return -ENOMEM;
    if (c.err) {
        mv_domain_refs_free(c.refs, c.n);
        return c.err;
    }
    *ret = c.refs;
    *ret_n = c.n;
    return 0;
}

int qemu_dom_ref_dup(const qemu_dom *dom, mv_domain_ref *ret)
{
    char *name = strdup(dom->def->name);

    if (!name)
        return -ENOMEM;
    *ret = (mv_domain_ref){ .name = name, .id = dom->id };
    memcpy(ret->uuid, dom->def->uuid, sizeof(ret->uuid));
    return 0;
}

const char *qemu_dom_xml(qemu_dom *dom)
{
    if (!dom->xml && mv_domain_def_format(dom->def, 0, dom->id, &dom->xml) < 0)
        dom->xml = NULL;
    return dom->xml;
}
