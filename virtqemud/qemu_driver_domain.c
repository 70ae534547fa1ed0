/*
 * Domain definitions in the QEMU driver: define, undefine, lookups,
 * XML, properties and configuration changes of shut-off domains.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu_domain_defaults.h"
#include "qemu_driver.h"
#include "qemu_driver_priv.h"
#include "util/cleanup.h"
#include "util/error.h"

/* virDomainModificationImpact */
enum { AFFECT_LIVE = 1, AFFECT_CONFIG = 2 };
enum { MEM_MAXIMUM = 4, VCPU_MAXIMUM = 4, VCPU_GUEST = 8 };
/* virDomainUndefineFlagsValues */
enum {
    UNDEFINE_MANAGED_SAVE = 1, UNDEFINE_SNAPSHOTS_METADATA = 2, UNDEFINE_NVRAM = 4,
    UNDEFINE_KEEP_NVRAM = 8, UNDEFINE_CHECKPOINTS_METADATA = 16, UNDEFINE_TPM = 32,
    UNDEFINE_KEEP_TPM = 64,
};
#define DEFINE_VALIDATE 1u

#define CHECK_FLAGS(flags, allowed, api) do {                                   \
        if ((flags) & ~(unsigned)(allowed))                                     \
            return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,   \
                                   "unsupported flags (0x%x) in function %s",   \
                                   (flags) & ~(unsigned)(allowed), api);        \
    } while (0)

/*
 * Readers (which run on the event loop) take the domain with its short
 * state lock, released by the guard:
 *     _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom = NULL;
 *     r = qemu_domains_get_locked(qemu_driver.doms, ref, &dom);
 * Writers (on workers) take its job, released by the guard:
 *     _cleanup_(qemu_dom_end_jobp) qemu_dom *dom = NULL;
 *     r = qemu_domains_begin_job(qemu_driver.doms, ref, &dom);
 * and change the definition through a copy committed by
 * qemu_domains_replace_def (qemu_domains.h).
 */

/* A shut-off domain has only its configuration: "current" means config,
 * and the live state cannot be changed.  With the job held. */
static int config_only(const qemu_dom *dom, unsigned flags)
{
    /* libvirt's check of the live/config choice is the domain's (VIR_FROM_DOMAIN) */
    if ((flags & AFFECT_LIVE) && dom->id < 0)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_DOMAIN,
                               "domain is not running");
    if (dom->id >= 0 && !(flags & AFFECT_CONFIG))
        return mv_error_report(-ENOTSUP, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                               "changing a running domain is not supported yet");
    if (!dom->persistent)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "cannot change persistent config of a transient domain");
    return 0;
}

/*----- lookups -----*/

int qemu_domain_lookup_by_name(const mv_session *sess, const char *name, mv_domain_ref *ret)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom =
        qemu_domains_find_name_locked(qemu_driver.doms, name);

    if (!dom)
        return mv_error_report(-ENOENT, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
                               "no domain with matching name '%s'", name);
    return qemu_dom_ref_dup(dom, ret);
}

int qemu_domain_lookup_by_uuid(const mv_session *sess, const unsigned char *uuid, mv_domain_ref *ret)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom = NULL;
    mv_domain_ref ref = { 0 };
    int r;

    memcpy(ref.uuid, uuid, sizeof(ref.uuid));
    r = qemu_domains_get_locked(qemu_driver.doms, &ref, &dom);
    if (r < 0)
        return r;
    return qemu_dom_ref_dup(dom, ret);
}

int qemu_domain_lookup_by_id(const mv_session *sess, int id, mv_domain_ref *ret)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom =
        qemu_domains_find_id_locked(qemu_driver.doms, id);

    if (!dom)
        return mv_error_report(-ENOENT, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
                               "no domain with matching id %d", id);
    return qemu_dom_ref_dup(dom, ret);
}

int qemu_connect_list_all_domains(const mv_session *sess, unsigned flags, mv_domain_ref **ret,
                                  size_t *ret_n)
{
    return qemu_domains_list(qemu_driver.doms, flags, ret, ret_n);
}

/*----- define and undefine -----*/

/* Parse (parse_flags: MV_DOMAIN_PARSE_*), apply QEMU's defaults, check it
 * is for us. */
static int parse_def(const char *xml, unsigned parse_flags, mv_domain_def **ret)
{
    _cleanup_(qemu_domain_def_freep) mv_domain_def *def = NULL;
    int r = mv_domain_def_parse(xml, parse_flags, &def);

    if (r < 0)
        return r;
    if (strcmp(def->virt_type, "qemu") != 0 && strcmp(def->virt_type, "kvm") != 0)
        return mv_error_report(-EINVAL, MV_ERR_NO_SUPPORT, MV_FROM_QEMU,
                               "emulator '%s' unsupported", def->virt_type);
    r = qemu_domain_post_parse(def);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(def);
    return 0;
}

int qemu_domain_define_xml(const mv_session *sess, const char *xml, unsigned flags, mv_domain_ref *ret)
{
    mv_domain_def *def;
    int r;

    CHECK_FLAGS(flags, DEFINE_VALIDATE, "virDomainDefineXMLFlags");
    /* Parsed and completed (which may probe QEMU) before any lock. */
    r = parse_def(xml, (flags & DEFINE_VALIDATE) ? MV_DOMAIN_PARSE_VALIDATE : 0, &def);
    if (r < 0)
        return r;
    return qemu_domains_define(qemu_driver.doms, def, ret);
}

/* With the job held. */
static int undefine(qemu_dom *dom, unsigned flags)
{
    const char *nvram = dom->def->os.nvram.present ? dom->def->os.nvram.path : NULL;

    if (!dom->persistent)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "cannot undefine transient domain");

    /* Only an nvram file that exists needs the caller's word, as libvirtd. */
    if (nvram && access(nvram, F_OK) == 0 && !(flags & (UNDEFINE_NVRAM | UNDEFINE_KEEP_NVRAM)))
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "cannot undefine domain with nvram");
    if (nvram && (flags & UNDEFINE_NVRAM) && unlink(nvram) < 0 && errno != ENOENT)
        return mv_error_report(-errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                               "failed to remove nvram: %s", nvram);
    return qemu_domains_undefine(qemu_driver.doms, dom);
}

int qemu_domain_undefine(const mv_session *sess, const mv_domain_ref *ref, unsigned flags)
{
    _cleanup_(qemu_dom_end_jobp) qemu_dom *dom = NULL;
    int r;

    CHECK_FLAGS(flags, UNDEFINE_MANAGED_SAVE | UNDEFINE_SNAPSHOTS_METADATA | UNDEFINE_NVRAM |
                UNDEFINE_KEEP_NVRAM | UNDEFINE_CHECKPOINTS_METADATA | UNDEFINE_TPM |
                UNDEFINE_KEEP_TPM, "virDomainUndefineFlags");
    if ((flags & UNDEFINE_NVRAM) && (flags & UNDEFINE_KEEP_NVRAM))
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "cannot both keep and remove nvram");
    r = qemu_domains_begin_job(qemu_driver.doms, ref, &dom);
    if (r < 0)
        return r;
    return undefine(dom, flags);
}

/* With the job held. */
static int rename_dom(qemu_dom *dom, const char *new_name)
{
    if (dom->id >= 0)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "cannot rename active domain");
    if (!dom->persistent)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "cannot rename a transient domain");
    return qemu_domains_rename(qemu_driver.doms, dom, new_name);
}

int qemu_domain_rename(const mv_session *sess, const mv_domain_ref *ref, const char *new_name,
                       unsigned flags)
{
    _cleanup_(qemu_dom_end_jobp) qemu_dom *dom = NULL;
    int r;

    CHECK_FLAGS(flags, 0, "virDomainRename");
    if (!new_name || !*new_name)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "new domain name must be a non-empty name");
    if (strchr(new_name, '/'))
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_QEMU,
                               "name %s cannot contain '/'", new_name);
    r = qemu_domains_begin_job(qemu_driver.doms, ref, &dom);
    if (r < 0)
        return r;
    return rename_dom(dom, new_name);
}

/*----- XML -----*/

/* With the state lock held: CPU work only. */
static int xml_desc(qemu_dom *dom, unsigned flags, char **ret)
{
    const char *cached;

    if (flags & (MV_DOMAIN_XML_SECURE | MV_DOMAIN_XML_MIGRATABLE))
        return mv_domain_def_format(dom->def, flags, dom->id, ret);
    /* A shut-off domain's live and inactive XML are the same. */
    cached = qemu_dom_xml(dom);
    if (!cached)
        return -ENOMEM;
    *ret = strdup(cached);
    return *ret ? 0 : -ENOMEM;
}

int qemu_domain_get_xml_desc(const mv_session *sess, const mv_domain_ref *ref, unsigned flags, char **ret)
{
    CHECK_FLAGS(flags, MV_DOMAIN_XML_SECURE | MV_DOMAIN_XML_INACTIVE | MV_DOMAIN_XML_UPDATE_CPU |
                MV_DOMAIN_XML_MIGRATABLE, "virDomainGetXMLDesc");
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom = NULL;
    int r;

    r = qemu_domains_get_locked(qemu_driver.doms, ref, &dom);
    if (r < 0)
        return r;
    return xml_desc(dom, flags, ret);
}

int qemu_connect_domain_xml_to_native(const mv_session *sess, const char *format, const char *xml,
                                      unsigned flags, char **ret)
{
    _cleanup_(qemu_domain_def_freep) mv_domain_def *def = NULL;
    int r;

    CHECK_FLAGS(flags, 0, "virConnectDomainXMLToNative");
    if (strcmp(format, "qemu-argv") != 0)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "unsupported config type %s", format);
    r = parse_def(xml, 0, &def);
    if (r < 0)
        return r;
    return qemu_driver_command_line(def, ret);
}

/*----- properties -----*/

int qemu_domain_get_info(const mv_session *sess, const mv_domain_ref *ref, mv_domain_info *ret)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom = NULL;
    int r = qemu_domains_get_locked(qemu_driver.doms, ref, &dom);

    if (r < 0)
        return r;
    *ret = (mv_domain_info){
        .state = dom->state,
        .max_mem_kib = dom->def->memory_kib,
        .memory_kib = dom->def->current_memory_kib,
        .nr_vcpus = dom->def->vcpus_current,
        .cpu_time_ns = 0,
    };
    return 0;
}

int qemu_domain_get_state(const mv_session *sess, const mv_domain_ref *ref, unsigned flags,
                          int *ret_state, int *ret_reason)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom = NULL;
    int r;

    CHECK_FLAGS(flags, 0, "virDomainGetState");
    r = qemu_domains_get_locked(qemu_driver.doms, ref, &dom);
    if (r < 0)
        return r;
    *ret_state = dom->state;
    *ret_reason = dom->reason;
    return 0;
}

int qemu_domain_get_os_type(const mv_session *sess, const mv_domain_ref *ref, char **ret)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom = NULL;
    int r = qemu_domains_get_locked(qemu_driver.doms, ref, &dom);
    char *type;

    if (r < 0)
        return r;
    type = strdup(dom->def->os.type ? dom->def->os.type : "hvm");
    if (!type)
        return -ENOMEM;
    *ret = type;
    return 0;
}

int qemu_domain_get_autostart(const mv_session *sess, const mv_domain_ref *ref, int *ret)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom = NULL;
    int r = qemu_domains_get_locked(qemu_driver.doms, ref, &dom);

    if (r < 0)
        return r;
    *ret = dom->autostart;
    return 0;
}

int qemu_domain_set_autostart(const mv_session *sess, const mv_domain_ref *ref, int autostart)
{
    _cleanup_(qemu_dom_end_jobp) qemu_dom *dom = NULL;
    int r = qemu_domains_begin_job(qemu_driver.doms, ref, &dom);

    if (r < 0)
        return r;
    if (!dom->persistent)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "cannot set autostart for transient domain");
    return qemu_domains_set_autostart(qemu_driver.doms, dom, autostart != 0);
}

int qemu_domain_get_flags(const mv_session *sess, const mv_domain_ref *ref, mv_domain_flags *ret)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom = NULL;
    int r = qemu_domains_get_locked(qemu_driver.doms, ref, &dom);

    if (r < 0)
        return r;
    *ret = (mv_domain_flags){
        .active = dom->id >= 0,
        .persistent = dom->persistent,
        .autostart = dom->autostart,
    };
    return 0;
}

int qemu_domain_managed_save_remove(const mv_session *sess, const mv_domain_ref *ref, unsigned flags)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom = NULL;

    CHECK_FLAGS(flags, 0, "virDomainManagedSaveRemove");
    /* There are no managed save images yet: nothing to remove. */
    return qemu_domains_get_locked(qemu_driver.doms, ref, &dom);
}

/*----- configuration changes -----*/

/* An edit of a copy of the definition: fails (with the error recorded)
 * or changes def. */
typedef int (*config_edit_fn)(mv_domain_def *def, const void *args);

/*
 * The one path of every configuration change: with dom's job held, copy
 * the published definition, edit the copy (complete it again with QEMU's
 * defaults if post_parse, which may probe QEMU), and commit it; the copy
 * replaces the definition only once it is on disk.
 */
static int change_config(const mv_domain_ref *ref, unsigned flags, bool post_parse,
                         config_edit_fn edit, const void *args)
{
    _cleanup_(qemu_dom_end_jobp) qemu_dom *dom = NULL;
    _cleanup_(qemu_domain_def_freep) mv_domain_def *def = NULL;
    int r;

    r = qemu_domains_begin_job(qemu_driver.doms, ref, &dom);
    if (r < 0)
        return r;
    r = config_only(dom, flags);
    if (r < 0)
        return r;
    r = mv_domain_def_copy(dom->def, &def);
    if (r < 0)
        return r;
    r = edit(def, args);
    if (r < 0)
        return r;
    if (post_parse) {
        r = qemu_domain_post_parse(def);
        if (r < 0)
            return r;
    }
    return qemu_domains_replace_def(qemu_driver.doms, dom, TAKE_PTR(def));
}

typedef struct memory_args {
    unsigned long long kib;
    unsigned flags;
} memory_args;

static int edit_memory(mv_domain_def *def, const void *opaque)
{
    const memory_args *a = opaque;

    if (a->kib == 0)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "memory must be greater than zero");
    if (a->flags & MEM_MAXIMUM) {
        def->memory_kib = a->kib;
        if (def->current_memory_kib > a->kib)
            def->current_memory_kib = a->kib;
        return 0;
    }
    if (a->kib > def->memory_kib)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "cannot set memory higher than max memory");
    def->current_memory_kib = a->kib;
    return 0;
}

int qemu_domain_set_memory(const mv_session *sess, const mv_domain_ref *ref, unsigned long long kib,
                           unsigned flags)
{
    memory_args a = { .kib = kib, .flags = flags };

    CHECK_FLAGS(flags, AFFECT_LIVE | AFFECT_CONFIG | MEM_MAXIMUM, "virDomainSetMemoryFlags");
    return change_config(ref, flags, false, edit_memory, &a);
}

typedef struct vcpus_args {
    unsigned n;
    unsigned flags;
} vcpus_args;

static int edit_vcpus(mv_domain_def *def, const void *opaque)
{
    const vcpus_args *a = opaque;

    if (a->n == 0)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "argument unsupported: vcpu count must be greater than zero");
    if (a->flags & VCPU_MAXIMUM) {
        def->vcpus = a->n;
        if (def->vcpus_current > a->n)
            def->vcpus_current = a->n;
        return 0;
    }
    if (a->n > def->vcpus)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "requested vcpus is greater than max allowable vcpus for the persistent domain: %u > %u",
                               a->n, def->vcpus);
    def->vcpus_current = a->n;
    return 0;
}

int qemu_domain_set_vcpus(const mv_session *sess, const mv_domain_ref *ref, unsigned n, unsigned flags)
{
    vcpus_args a = { .n = n, .flags = flags };

    CHECK_FLAGS(flags, AFFECT_LIVE | AFFECT_CONFIG | VCPU_MAXIMUM, "virDomainSetVcpusFlags");
    return change_config(ref, flags, false, edit_vcpus, &a);
}

int qemu_domain_get_vcpus(const mv_session *sess, const mv_domain_ref *ref, unsigned flags, int *ret)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom = NULL;
    int r;

    CHECK_FLAGS(flags, AFFECT_LIVE | AFFECT_CONFIG | VCPU_MAXIMUM | VCPU_GUEST,
                "virDomainGetVcpusFlags");
    if (flags & VCPU_GUEST)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "domain is not running");
    r = qemu_domains_get_locked(qemu_driver.doms, ref, &dom);
    if (r < 0)
        return r;
    *ret = (int)((flags & VCPU_MAXIMUM) ? dom->def->vcpus : dom->def->vcpus_current);
    return 0;
}

typedef struct metadata_args {
    int type;
    const char *value, *key, *uri;
} metadata_args;

static int edit_metadata(mv_domain_def *def, const void *opaque)
{
    const metadata_args *a = opaque;

    return mv_domain_def_set_metadata(def, a->type, a->value, a->key, a->uri);
}

int qemu_domain_set_metadata(const mv_session *sess, const mv_domain_ref *ref, int type, const char *value,
                             const char *key, const char *uri, unsigned flags)
{
    metadata_args a = { .type = type, .value = value, .key = key, .uri = uri };
    int r;

    CHECK_FLAGS(flags, AFFECT_LIVE | AFFECT_CONFIG, "virDomainSetMetadata");
    r = change_config(ref, flags, false, edit_metadata, &a);
    if (r < 0)
        return r;
    /* event: VIR_DOMAIN_EVENT_ID_METADATA_CHANGE */
    return 0;
}

int qemu_domain_get_metadata(const mv_session *sess, const mv_domain_ref *ref, int type, const char *uri,
                             unsigned flags, char **ret)
{
    _cleanup_(qemu_dom_unlock_unrefp) qemu_dom *dom = NULL;
    int r;

    CHECK_FLAGS(flags, AFFECT_LIVE | AFFECT_CONFIG, "virDomainGetMetadata");
    r = qemu_domains_get_locked(qemu_driver.doms, ref, &dom);
    if (r < 0)
        return r;
    return mv_domain_def_get_metadata(dom->def, type, uri, ret);
}

typedef struct device_args {
    int op;
    const char *xml;
} device_args;

static int edit_device(mv_domain_def *def, const void *opaque)
{
    const device_args *a = opaque;
    mv_domain_device *dev = NULL;
    int r;

    r = mv_domain_device_parse(def, a->xml, 0, &dev);
    if (r < 0)
        return r;
    switch (a->op) {
    case MV_DEVICE_ATTACH: r = mv_domain_def_attach_device(def, dev); break;
    case MV_DEVICE_DETACH: r = mv_domain_def_detach_device(def, dev); break;
    default: r = mv_domain_def_update_device(def, dev); break;
    }
    mv_domain_device_free(dev);
    return r;
}

int qemu_domain_change_device(const mv_session *sess, const mv_domain_ref *ref, int op, const char *xml,
                              unsigned flags)
{
    device_args a = { .op = op, .xml = xml };

    CHECK_FLAGS(flags, AFFECT_LIVE | AFFECT_CONFIG | 4u /* FORCE for update */,
                "virDomainAttachDeviceFlags");
    /* A device changes what QEMU's defaults and addresses fill in. */
    return change_config(ref, flags, true, edit_device, &a);
}
