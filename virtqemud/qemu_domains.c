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

struct qemu_domains {
    pthread_mutex_t lock;
    char *config_dir;
    char *autostart_dir;
    mv_journal *journal;    /* makes NAME.xml changes durable */
    mv_hashmap *by_name;
    mv_hashmap *by_uuid;
};

static void uuid_str(const unsigned char *u, char out[37])
{
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
             u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void dom_free(qemu_dom *d)
{
    if (!d)
        return;
    mv_domain_def_free(d->def);
    free(d->xml);
    free(d);
}

int qemu_domains_new(const char *config_dir, const char *journal_path, qemu_domains **ret)
{
    qemu_domains *doms = calloc(1, sizeof(*doms));
    int r;

    if (!doms)
        return -ENOMEM;
    pthread_mutex_init(&doms->lock, NULL);
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

static void free_entry(const char *key, void *value, void *opaque)
{
    dom_free(value);
}

void qemu_domains_free(qemu_domains *doms)
{
    if (!doms)
        return;
    if (doms->by_name)
        mv_hashmap_foreach(doms->by_name, free_entry, NULL);
    mv_hashmap_free(doms->by_name);
    mv_hashmap_free(doms->by_uuid);
    mv_journal_close(doms->journal);
    free(doms->config_dir);
    free(doms->autostart_dir);
    pthread_mutex_destroy(&doms->lock);
    free(doms);
}

void qemu_domains_lock(qemu_domains *doms)
{
    pthread_mutex_lock(&doms->lock);
}

void qemu_domains_unlock(qemu_domains *doms)
{
    pthread_mutex_unlock(&doms->lock);
}

qemu_dom *qemu_domains_find_name(qemu_domains *doms, const char *name)
{
    return mv_hashmap_get(doms->by_name, name);
}

qemu_dom *qemu_domains_find_uuid(qemu_domains *doms, const unsigned char *uuid)
{
    char key[37];

    uuid_str(uuid, key);
    return mv_hashmap_get(doms->by_uuid, key);
}

typedef struct id_search {
    int id;
    qemu_dom *found;
} id_search;

static void match_id(const char *key, void *value, void *opaque)
{
    id_search *s = opaque;
    qemu_dom *d = value;

    if (d->id == s->id)
        s->found = d;
}

qemu_dom *qemu_domains_find_id(qemu_domains *doms, int id)
{
    id_search s = { .id = id };

    if (id < 0)
        return NULL;
    mv_hashmap_foreach(doms->by_name, match_id, &s);
    return s.found;
}

int qemu_domains_get(qemu_domains *doms, const mv_domain_ref *ref, qemu_dom **ret)
{
    qemu_dom *d = qemu_domains_find_uuid(doms, ref->uuid);
    char u[37];

    if (!d) {
        uuid_str(ref->uuid, u);
        if (!ref->name)
            return mv_error_report(-ENOENT, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
                                   "no domain with matching uuid '%s'", u);
        return mv_error_report(-ENOENT, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
                               "no domain with matching uuid '%s' (%s)", u, ref->name);
    }
    *ret = d;
    return 0;
}

/*----- files -----*/

static char *def_path(const qemu_domains *doms, const char *dir, const char *name)
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

/* Store def as NAME.xml, durably, removing the file of old_name (a
 * rename) in the same step. */
static int write_def(qemu_domains *doms, const mv_domain_def *def, const char *old_name)
{
    _cleanup_free_ char *doc = NULL, *file = NULL, *old_file = NULL;
    mv_journal_op ops[2] = { { .mode = 0600 } };
    char u[37];
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
    r = mv_journal_commit(doms->journal, ops, old_name ? 2 : 1);
    if (r < 0) {
        uuid_str(def->uuid, u);
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
    r = mv_journal_commit(doms->journal, &op, 1);
    if (r < 0)
        return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                               "cannot remove the definition of '%s' from %s: %s", name,
                               doms->config_dir, strerror(-r));
    return 0;
}

static int remove_link(qemu_domains *doms, const char *name)
{
    _cleanup_free_ char *path = def_path(doms, doms->autostart_dir, name);

    if (!path)
        return -ENOMEM;
    if (unlink(path) < 0 && errno != ENOENT)
        return mv_error_report(-errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                               "cannot remove %s: %s", path, strerror(errno));
    mv_fsync_dir(doms->autostart_dir);  /* best effort: the unlink itself succeeded */
    return 0;
}

static int link_autostart(qemu_domains *doms, const char *name)
{
    _cleanup_free_ char *target = def_path(doms, doms->config_dir, name);
    _cleanup_free_ char *link = def_path(doms, doms->autostart_dir, name);
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
    _cleanup_free_ char *link = def_path(doms, doms->autostart_dir, name);

    return link && access(link, F_OK) == 0;
}

/*----- the list -----*/

static int index_dom(qemu_domains *doms, qemu_dom *d)
{
    char u[37];

    uuid_str(d->def->uuid, u);
    if (mv_hashmap_put(doms->by_name, d->def->name, d) < 0)
        return -ENOMEM;
    if (mv_hashmap_put(doms->by_uuid, u, d) < 0) {
        mv_hashmap_remove(doms->by_name, d->def->name);
        return -ENOMEM;
    }
    return 0;
}

static void unindex_dom(qemu_domains *doms, qemu_dom *d)
{
    char u[37];

    uuid_str(d->def->uuid, u);
    mv_hashmap_remove(doms->by_name, d->def->name);
    mv_hashmap_remove(doms->by_uuid, u);
}

static qemu_dom *dom_new(mv_domain_def *def)
{
    qemu_dom *d = calloc(1, sizeof(*d));

    if (!d)
        return NULL;
    d->def = def;
    d->id = -1;
    d->state = STATE_SHUTOFF;
    d->reason = 0;      /* VIR_DOMAIN_SHUTOFF_UNKNOWN */
    d->persistent = true;
    return d;
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
        mv_domain_def *def = NULL;
        qemu_dom *d;

        if (len < 5 || strcmp(e->d_name + len - 4, ".xml") != 0 || e->d_name[0] == '.')
            continue;
        if (asprintf(&path, "%s/%s", doms->config_dir, e->d_name) < 0)
            break;
        mv_error_reset();
        if (mv_read_file(path, DEF_FILE_MAX, &xml, NULL) < 0 ||
            mv_domain_def_parse(xml, 0, &def) < 0 ||
            (post_parse && post_parse(def) < 0)) {
            log_error("cannot load domain definition %s: %s", path,
                      mv_error_last() ? mv_error_last()->message : "unreadable");
            mv_domain_def_free(def);
            continue;
        }
        if (strncmp(e->d_name, def->name, len - 4) != 0 || strlen(def->name) != len - 4) {
            log_error("ignoring %s: it defines domain '%s', not '%.*s'", path, def->name,
                      (int)(len - 4), e->d_name);
            mv_domain_def_free(def);
            continue;
        }
        if (qemu_domains_find_uuid(doms, def->uuid)) {
            log_error("ignoring %s: another definition has the same uuid", path);
            mv_domain_def_free(def);
            continue;
        }
        d = dom_new(def);
        if (!d || index_dom(doms, d) < 0) {
            dom_free(d);
            continue;
        }
        d->autostart = has_autostart_link(doms, def->name);
        loaded++;
    }
    closedir(dir);
    log_info("loaded %u domain definitions from %s", loaded, doms->config_dir);
    return 0;
}

int qemu_domains_define(qemu_domains *doms, mv_domain_def *def, qemu_dom **ret)
{
    qemu_dom *by_uuid = qemu_domains_find_uuid(doms, def->uuid);
    qemu_dom *by_name = qemu_domains_find_name(doms, def->name);
    char u[37];
    int r;

    if (by_uuid && strcmp(by_uuid->def->name, def->name) != 0) {
        uuid_str(def->uuid, u);
        mv_domain_def_free(def);
        return mv_error_report(-EEXIST, MV_ERR_OPERATION_FAILED, MV_FROM_DOMAIN,
                               "domain '%s' is already defined with uuid %s",
                               by_uuid->def->name, u);
    }
    if (by_name && by_name != by_uuid) {
        uuid_str(by_name->def->uuid, u);
        mv_domain_def_free(def);
        return mv_error_report(-EEXIST, MV_ERR_OPERATION_FAILED, MV_FROM_DOMAIN,
                               "domain '%s' already exists with uuid %s", by_name->def->name, u);
    }
    r = write_def(doms, def, NULL);
    if (r < 0) {
        mv_domain_def_free(def);
        return r;
    }
    if (by_uuid) {
        /* Same name and uuid: the new definition replaces the old. */
        mv_domain_def_free(by_uuid->def);
        by_uuid->def = def;
        free(by_uuid->xml);
        by_uuid->xml = NULL;
        by_uuid->persistent = true;
        *ret = by_uuid;
        return 0;
    }
    qemu_dom *d = dom_new(def);
    if (!d || index_dom(doms, d) < 0) {
        if (!d)
            mv_domain_def_free(def);
        dom_free(d);
        return -ENOMEM;
    }
    *ret = d;
    return 0;
}

int qemu_domains_save(qemu_domains *doms, qemu_dom *dom)
{
    free(dom->xml);
    dom->xml = NULL;
    return write_def(doms, dom->def, NULL);
}

int qemu_domains_undefine(qemu_domains *doms, qemu_dom *dom)
{
    int r;

    if (dom->autostart) {
        r = remove_link(doms, dom->def->name);
        if (r < 0)
            return r;
        dom->autostart = false;
    }
    r = remove_def(doms, dom->def->name);
    if (r < 0)
        return r;
    if (dom->id >= 0) {
        dom->persistent = false;    /* runs on, as a transient domain */
        return 0;
    }
    unindex_dom(doms, dom);
    dom_free(dom);
    return 0;
}

int qemu_domains_rename(qemu_domains *doms, qemu_dom *dom, const char *new_name)
{
    _cleanup_free_ char *old_name = NULL;
    bool autostart = dom->autostart;
    char *copy = strdup(new_name);
    int r;

    if (!copy)
        return -ENOMEM;
    unindex_dom(doms, dom);
    old_name = dom->def->name;
    dom->def->name = copy;
    free(dom->xml);
    dom->xml = NULL;
    r = write_def(doms, dom->def, old_name);
    if (r < 0) {
        dom->def->name = TAKE_PTR(old_name);
        free(copy);
        index_dom(doms, dom);
        return r;
    }
    index_dom(doms, dom);
    if (autostart) {
        remove_link(doms, old_name);
        return link_autostart(doms, new_name);
    }
    return 0;
}

int qemu_domains_set_autostart(qemu_domains *doms, qemu_dom *dom, bool on)
{
    int r;

    if (dom->autostart == on)
        return 0;
    r = on ? link_autostart(doms, dom->def->name) : remove_link(doms, dom->def->name);
    if (r >= 0)
        dom->autostart = on;
    return r;
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
    qemu_dom *d = value;

    if (c->err || !matches(d, c->flags))
        return;
    if (qemu_dom_ref_dup(d, &c->refs[c->n]) < 0)
        c->err = -ENOMEM;
    else
        c->n++;
}

int qemu_domains_list(qemu_domains *doms, unsigned flags, mv_domain_ref **ret, size_t *ret_n)
{
    collect c = { .flags = flags };

    c.refs = calloc(mv_hashmap_size(doms->by_name) + 1, sizeof(mv_domain_ref));
    if (!c.refs)
        return -ENOMEM;
    mv_hashmap_foreach(doms->by_name, collect_one, &c);
    if (c.err) {
        mv_domain_refs_free(c.refs, c.n);
        return c.err;
    }
    *ret = c.refs;
    *ret_n = c.n;
    return 0;
}

void qemu_dom_ref(const qemu_dom *dom, mv_domain_ref *ret)
{
    ret->name = dom->def->name;
    memcpy(ret->uuid, dom->def->uuid, sizeof(ret->uuid));
    ret->id = dom->id;
}

int qemu_dom_ref_dup(const qemu_dom *dom, mv_domain_ref *ret)
{
    char *name = strdup(dom->def->name);

    if (!name)
        return -ENOMEM;
    qemu_dom_ref(dom, ret);
    ret->name = name;
    return 0;
}

const char *qemu_dom_xml(qemu_dom *dom)
{
    if (!dom->xml && mv_domain_def_format(dom->def, 0, dom->id, &dom->xml) < 0)
        dom->xml = NULL;
    return dom->xml;
}
