/*
 * The domains virtqemud knows: their definitions, state, and where the
 * persistent ones live on disk (/etc/libvirt/qemu/NAME.xml, autostart
 * links in /etc/libvirt/qemu/autostart/).
 *
 * Readers (lookups, lists, dumpxml, get-info, ...) run inline on the
 * event loop, so nothing they wait for may wait for the disk or QEMU.
 * Hence three kinds of lock, always taken in this order:
 *
 *   a domain's job  ->  the list lock  ->  a domain's state lock
 *
 * - The list lock guards the indexes (by name, by uuid) and the records of
 *   broken files.  It is held only to find, insert or remove an entry and
 *   take a reference: never across I/O, parsing or QEMU post-parse.
 * - A domain's state lock guards the fields marked so below.  Readers hold
 *   it briefly, for CPU-only work (copying fields out, formatting).
 * - A domain's job mutex serialises its writers (define, undefine, rename,
 *   config changes, autostart), which may hold it across disk I/O and
 *   QEMU probes.  Readers never take it.
 *
 * A published definition is an immutable snapshot: a writer builds a new
 * one, commits it to disk, and only then swaps the pointer under the
 * state lock; a failed commit therefore changes nothing.  Only a job
 * holder swaps def, so a job holder may read def without the state lock.
 */
#ifndef QEMU_DOMAINS_H
#define QEMU_DOMAINS_H

#include <pthread.h>
#include <stdbool.h>

#include "conf/domain_conf.h"
#include "driver/hypervisor.h"

typedef struct qemu_dom {
    unsigned refs;              /* atomic; the list holds one while indexed */
    pthread_mutex_t job;        /* writers: held across I/O */
    pthread_mutex_t lock;       /* the state lock: short, CPU-only */

    /* Under the state lock; written only by the job holder. */
    mv_domain_def *def;         /* the persistent definition, never modified in place */
    char *xml;                  /* def formatted (flags 0), NULL until asked */
    int id;                     /* -1 while shut off */
    int state;                  /* virDomainState */
    int reason;
    bool persistent;
    bool autostart;
    bool published;             /* false while its first definition is being committed */
    bool removed;               /* out of the list (undefined, or its define failed) */
} qemu_dom;

typedef struct qemu_domains qemu_domains;

/* The definitions live in config_dir; journal_path (NULL: none) makes
 * their changes durable with one flush each (util/journal.h). */
int qemu_domains_new(const char *config_dir, const char *journal_path, qemu_domains **ret);
void qemu_domains_free(qemu_domains *doms);

/* Read every NAME.xml of the config dir, completing each with post_parse
 * (the lenient one: qemu_domain_post_parse_lenient).  A file that cannot
 * be loaded is logged and remembered: defining its name or uuid is then
 * refused until the file is removed, so that it is never overwritten
 * silently. */
int qemu_domains_load(qemu_domains *doms, int (*post_parse)(mv_domain_def *def));

/*----- references and locks -----*/

qemu_dom *qemu_dom_ref(qemu_dom *dom);
void qemu_dom_unref(qemu_dom *dom);
void qemu_dom_lock(qemu_dom *dom);
void qemu_dom_unlock(qemu_dom *dom);

/* Scope guards: _cleanup_(qemu_dom_unrefp), _cleanup_(qemu_dom_unlock_unrefp)
 * for what the *_locked lookups return, _cleanup_(qemu_dom_end_jobp) for
 * what qemu_domains_begin_job returns. */
static inline void qemu_dom_unrefp(qemu_dom **p)
{
    if (*p)
        qemu_dom_unref(*p);
}
void qemu_dom_unlock_unrefp(qemu_dom **p);
void qemu_dom_end_jobp(qemu_dom **p);

static inline void qemu_domain_def_freep(mv_domain_def **p)
{
    mv_domain_def_free(*p);
}

/*----- readers -----*/

/* The published domain of that name, uuid or id, referenced and with its
 * state lock held; NULL when there is none (no error recorded). */
qemu_dom *qemu_domains_find_name_locked(qemu_domains *doms, const char *name);
qemu_dom *qemu_domains_find_uuid_locked(qemu_domains *doms, const unsigned char *uuid);
qemu_dom *qemu_domains_find_id_locked(qemu_domains *doms, int id);
/* The domain a client's reference names, the same way, or an error like
 * libvirt's. */
int qemu_domains_get_locked(qemu_domains *doms, const mv_domain_ref *ref, qemu_dom **ret);

/* Snapshot of the domains matching virConnectListAllDomains flags. */
int qemu_domains_list(qemu_domains *doms, unsigned flags, mv_domain_ref **ret, size_t *ret_n);

/* With the state lock or the job held. */
int qemu_dom_ref_dup(const qemu_dom *dom, mv_domain_ref *ret);
/* dom->xml, formatted if needed; with the state lock held. */
const char *qemu_dom_xml(qemu_dom *dom);

/*----- writers -----*/

/* The domain a client's reference names, referenced and with its job
 * held, or an error like libvirt's (also when it was undefined while we
 * waited for the job). */
int qemu_domains_begin_job(qemu_domains *doms, const mv_domain_ref *ref, qemu_dom **ret);

/* Each mutation below is one step with one success point: the commit of
 * the definition to disk.  If that fails, memory and disk are as before
 * and the error is returned. */

/* Store def (taking it) as the persistent definition, durably, before
 * returning: a new domain, or the replacement of the domain of the same
 * name and uuid (its job is taken here).  Refuses a name or uuid used by
 * another domain or by a file that could not be loaded. */
int qemu_domains_define(qemu_domains *doms, mv_domain_def *def, mv_domain_ref *ret);
/* The following need dom's job held. */
/* Replace dom's definition by def (taking it), built from a copy. */
int qemu_domains_replace_def(qemu_domains *doms, qemu_dom *dom, mv_domain_def *def);
int qemu_domains_undefine(qemu_domains *doms, qemu_dom *dom);
int qemu_domains_rename(qemu_domains *doms, qemu_dom *dom, const char *new_name);
int qemu_domains_set_autostart(qemu_domains *doms, qemu_dom *dom, bool on);

#endif
