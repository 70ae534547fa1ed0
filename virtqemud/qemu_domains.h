/*
 * The domains virtqemud knows: their definitions, state, and where the
 * persistent ones live on disk (/etc/libvirt/qemu/NAME.xml, autostart
 * links in /etc/libvirt/qemu/autostart/).  One lock guards the list;
 * lookups hold it only long enough to copy out what they need.
 */
#ifndef QEMU_DOMAINS_H
#define QEMU_DOMAINS_H

#include <pthread.h>
#include <stdbool.h>

#include "conf/domain_conf.h"
#include "driver/hypervisor.h"

typedef struct qemu_dom {
    mv_domain_def *def;         /* the persistent definition */
    char *xml;                  /* def formatted (flags 0), NULL until asked */
    int id;                     /* -1 while shut off */
    int state;                  /* virDomainState */
    int reason;
    bool persistent;
    bool autostart;
} qemu_dom;

typedef struct qemu_domains qemu_domains;

/* The definitions live in config_dir; journal_path (NULL: none) makes
 * their changes durable with one flush each (util/journal.h). */
int qemu_domains_new(const char *config_dir, const char *journal_path, qemu_domains **ret);
void qemu_domains_free(qemu_domains *doms);

/* Read every NAME.xml of the config dir; a file that cannot be read is
 * logged and skipped, never fatal. */
int qemu_domains_load(qemu_domains *doms, int (*post_parse)(mv_domain_def *def));

void qemu_domains_lock(qemu_domains *doms);
void qemu_domains_unlock(qemu_domains *doms);

/* With the lock held.  NULL when there is none (no error recorded). */
qemu_dom *qemu_domains_find_name(qemu_domains *doms, const char *name);
qemu_dom *qemu_domains_find_uuid(qemu_domains *doms, const unsigned char *uuid);
qemu_dom *qemu_domains_find_id(qemu_domains *doms, int id);
/* The domain a client's reference names, or an error like libvirt's. */
int qemu_domains_get(qemu_domains *doms, const mv_domain_ref *ref, qemu_dom **ret);

/* Store def (taking it) as the persistent definition: on disk, durably,
 * before returning.  Replaces the domain of the same uuid;
 * refuses a name or uuid already used by another. */
int qemu_domains_define(qemu_domains *doms, mv_domain_def *def, qemu_dom **ret);
/* Write dom's definition again after a change made in place. */
int qemu_domains_save(qemu_domains *doms, qemu_dom *dom);
int qemu_domains_undefine(qemu_domains *doms, qemu_dom *dom);
int qemu_domains_rename(qemu_domains *doms, qemu_dom *dom, const char *new_name);
int qemu_domains_set_autostart(qemu_domains *doms, qemu_dom *dom, bool on);

/* Snapshot of the domains matching virConnectListAllDomains flags. */
int qemu_domains_list(qemu_domains *doms, unsigned flags, mv_domain_ref **ret, size_t *ret_n);

void qemu_dom_ref(const qemu_dom *dom, mv_domain_ref *ret_borrowed);
int qemu_dom_ref_dup(const qemu_dom *dom, mv_domain_ref *ret);
/* dom->xml, formatted if needed. */
const char *qemu_dom_xml(qemu_dom *dom);

#endif
