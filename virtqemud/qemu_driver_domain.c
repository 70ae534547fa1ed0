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

/* Run body with the list locked and dom found from the client's ref. */
#define WITH_DOM(ref, dom, body) ({                                             \
        qemu_dom *dom;                                                          \
        int _r;                                                                 \
        qemu_domains_lock(qemu_driver.doms);                                    \
        _r = qemu_domains_get(qemu_driver.doms, (ref), &dom);                   \
        if (_r >= 0)                                                            \
            _r = (body);                                                        \
        qemu_domains_unlock(qemu_driver.doms);                                  \
        _r;                                                                     \
    })

/* A shut-off domain has only its configuration: "current" means config,
 * and the live state cannot be changed. */
static int config_only(const qemu_dom *dom, unsigned flags)
{
    if ((flags & AFFECT_LIVE) && dom->id < 0)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
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
    qemu_dom *dom;
    int r;

    qemu_domains_lock(qemu_driver.doms);
    dom = qemu_domains_find_name(qemu_driver.doms, name);
    r = dom ? qemu_dom_ref_dup(dom, ret)
            : mv_error_report(-ENOENT, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
                              "no domain with matching name '%s'", name);
    qemu_domains_unlock(qemu_driver.doms);
    return r;
}

int qemu_domain_lookup_by_uuid(const mv_session *sess, const unsigned char *uuid, mv_domain_ref *ret)
{
    mv_domain_ref ref = { 0 };

    memcpy(ref.uuid, uuid, sizeof(ref.uuid));
    return WITH_DOM(&ref, dom, qemu_dom_ref_dup(dom, ret));
}

int qemu_domain_lookup_by_id(const mv_session *sess, int id, mv_domain_ref *ret)
{
    qemu_dom *dom;
    int r;

    qemu_domains_lock(qemu_driver.doms);
    dom = qemu_domains_find_id(qemu_driver.doms, id);
    r = dom ? qemu_dom_ref_dup(dom, ret)
            : mv_error_report(-ENOENT, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
                              "no domain with matching id %d", id);
    qemu_domains_unlock(qemu_driver.doms);
    return r;
}

int qemu_connect_list_all_domains(const mv_session *sess, unsigned flags, mv_domain_ref **ret,
                                  size_t *ret_n)
{
    int r;

    qemu_domains_lock(qemu_driver.doms);
    r = qemu_domains_list(qemu_driver.doms, flags, ret, ret_n);
    qemu_domains_unlock(qemu_driver.doms);
    return r;
}

/*----- define and undefine -----*/

/* Parse (parse_flags: MV_DOMAIN_PARSE_*), apply QEMU's defaults, check it
 * is for us. */
static int parse_def(const char *xml, unsigned parse_flags, mv_domain_def **ret)
{
    mv_domain_def *def = NULL;
    int r = mv_domain_def_parse(xml, parse_flags, &def);

    if (r < 0)
        return r;
    if (strcmp(def->virt_type, "qemu") != 0 && strcmp(def->virt_type, "kvm") != 0) {
        r = mv_error_report(-EINVAL, MV_ERR_NO_SUPPORT, MV_FROM_QEMU,
                            "emulator '%s' unsupported", def->virt_type);
        mv_domain_def_free(def);
        return r;
    }
    r = qemu_domain_post_parse(def);
    if (r < 0) {
        mv_domain_def_free(def);
        return r;
    }
    *ret = def;
    return 0;
}

int qemu_domain_define_xml(const mv_session *sess, const char *xml, unsigned flags, mv_domain_ref *ret)
{
    mv_domain_def *def;
    qemu_dom *dom;
    int r;

    CHECK_FLAGS(flags, DEFINE_VALIDATE, "virDomainDefineXMLFlags");
    r = parse_def(xml, (flags & DEFINE_VALIDATE) ? MV_DOMAIN_PARSE_VALIDATE : 0, &def);
    if (r < 0)
        return r;
    qemu_domains_lock(qemu_driver.doms);
    r = qemu_domains_define(qemu_driver.doms, def, &dom);
    if (r >= 0)
        r = qemu_dom_ref_dup(dom, ret);
    qemu_domains_unlock(qemu_driver.doms);
    return r;
}

static int undefine(qemu_dom *dom, unsigned flags)
{
    if (!dom->persistent)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "cannot undefine transient domain");
    const char *nvram = dom->def->os.nvram.present ? dom->def->os.nvram.path : NULL;

    if (nvram && !(flags & (UNDEFINE_NVRAM | UNDEFINE_KEEP_NVRAM)))
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "cannot undefine domain with nvram");
    if (nvram && (flags & UNDEFINE_NVRAM) && unlink(nvram) < 0 && errno != ENOENT)
        return mv_error_report(-errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                               "failed to remove nvram: %s", nvram);
    return qemu_domains_undefine(qemu_driver.doms, dom);
}

int qemu_domain_undefine(const mv_session *sess, const mv_domain_ref *ref, unsigned flags)
{
    CHECK_FLAGS(flags, UNDEFINE_MANAGED_SAVE | UNDEFINE_SNAPSHOTS_METADATA | UNDEFINE_NVRAM |
                UNDEFINE_KEEP_NVRAM | UNDEFINE_CHECKPOINTS_METADATA | UNDEFINE_TPM |
                UNDEFINE_KEEP_TPM, "virDomainUndefineFlags");
    if ((flags & UNDEFINE_NVRAM) && (flags & UNDEFINE_KEEP_NVRAM))
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "cannot both keep and remove nvram");
    return WITH_DOM(ref, dom, undefine(dom, flags));
}

static int rename_dom(qemu_dom *dom, const char *new_name)
{
    if (dom->id >= 0)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "cannot rename active domain");
    if (!dom->persistent)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "cannot rename a transient domain");
    if (qemu_domains_find_name(qemu_driver.doms, new_name))
        return mv_error_report(-EEXIST, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "domain with name '%s' already exists", new_name);
    return qemu_domains_rename(qemu_driver.doms, dom, new_name);
}

int qemu_domain_rename(const mv_session *sess, const mv_domain_ref *ref, const char *new_name,
                       unsigned flags)
{
    CHECK_FLAGS(flags, 0, "virDomainRename");
    if (!new_name || !*new_name || strchr(new_name, '/'))
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "new domain name must be a non-empty name without '/'");
    return WITH_DOM(ref, dom, rename_dom(dom, new_name));
}

/*----- XML -----*/

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
    return WITH_DOM(ref, dom, xml_desc(dom, flags, ret));
}

int qemu_connect_domain_xml_to_native(const mv_session *sess, const char *format, const char *xml,
                                      unsigned flags, char **ret)
{
    mv_domain_def *def;
    int r;

    CHECK_FLAGS(flags, 0, "virConnectDomainXMLToNative");
    if (strcmp(format, "qemu-argv") != 0)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "unsupported config type %s", format);
    r = parse_def(xml, 0, &def);
    if (r < 0)
        return r;
    r = qemu_driver_command_line(def, ret);
    mv_domain_def_free(def);
    return r;
}

/*----- properties -----*/

int qemu_domain_get_info(const mv_session *sess, const mv_domain_ref *ref, mv_domain_info *ret)
{
    return WITH_DOM(ref, dom, ({
        ret->state = dom->state;
        ret->max_mem_kib = dom->def->memory_kib;
        ret->memory_kib = dom->def->current_memory_kib;
        ret->nr_vcpus = dom->def->vcpus_current;
        ret->cpu_time_ns = 0;
        0;
    }));
}

int qemu_domain_get_state(const mv_session *sess, const mv_domain_ref *ref, unsigned flags,
                          int *ret_state, int *ret_reason)
{
    CHECK_FLAGS(flags, 0, "virDomainGetState");
    return WITH_DOM(ref, dom, ({ *ret_state = dom->state; *ret_reason = dom->reason; 0; }));
}

int qemu_domain_get_os_type(const mv_session *sess, const mv_domain_ref *ref, char **ret)
{
    return WITH_DOM(ref, dom, ({
        *ret = strdup(dom->def->os.type ? dom->def->os.type : "hvm");
        *ret ? 0 : -ENOMEM;
    }));
}

int qemu_domain_get_autostart(const mv_session *sess, const mv_domain_ref *ref, int *ret)
{
    return WITH_DOM(ref, dom, ({ *ret = dom->autostart; 0; }));
}

static int set_autostart(qemu_dom *dom, int on)
{
    if (!dom->persistent)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "cannot set autostart for transient domain");
    return qemu_domains_set_autostart(qemu_driver.doms, dom, on != 0);
}

int qemu_domain_set_autostart(const mv_session *sess, const mv_domain_ref *ref, int autostart)
{
    return WITH_DOM(ref, dom, set_autostart(dom, autostart));
}

int qemu_domain_get_flags(const mv_session *sess, const mv_domain_ref *ref, mv_domain_flags *ret)
{
    return WITH_DOM(ref, dom, ({
        *ret = (mv_domain_flags){
            .active = dom->id >= 0,
            .persistent = dom->persistent,
            .autostart = dom->autostart,
        };
        0;
    }));
}

int qemu_domain_managed_save_remove(const mv_session *sess, const mv_domain_ref *ref, unsigned flags)
{
    CHECK_FLAGS(flags, 0, "virDomainManagedSaveRemove");
    /* There are no managed save images yet: nothing to remove. */
    return WITH_DOM(ref, dom, 0);
}

/*----- configuration changes -----*/

static int set_memory(qemu_dom *dom, unsigned long long kib, unsigned flags)
{
    mv_domain_def *def = dom->def;
    int r = config_only(dom, flags);

    if (r < 0)
        return r;
    if (kib == 0)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "memory must be greater than zero");
    if (flags & MEM_MAXIMUM) {
        def->memory_kib = kib;
        if (def->current_memory_kib > kib)
            def->current_memory_kib = kib;
    } else {
        if (kib > def->memory_kib)
            return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                                   "cannot set memory higher than max memory");
        def->current_memory_kib = kib;
    }
    return qemu_domains_save(qemu_driver.doms, dom);
}

int qemu_domain_set_memory(const mv_session *sess, const mv_domain_ref *ref, unsigned long long kib,
                           unsigned flags)
{
    CHECK_FLAGS(flags, AFFECT_LIVE | AFFECT_CONFIG | MEM_MAXIMUM, "virDomainSetMemoryFlags");
    return WITH_DOM(ref, dom, set_memory(dom, kib, flags));
}

static int set_vcpus(qemu_dom *dom, unsigned n, unsigned flags)
{
    mv_domain_def *def = dom->def;
    int r = config_only(dom, flags);

    if (r < 0)
        return r;
    if (n == 0)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "argument unsupported: vcpu count must be greater than zero");
    if (flags & VCPU_MAXIMUM) {
        def->vcpus = n;
        if (def->vcpus_current > n)
            def->vcpus_current = n;
    } else {
        if (n > def->vcpus)
            return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                                   "requested vcpus is greater than max allowable vcpus for the persistent domain: %u > %u",
                                   n, def->vcpus);
        def->vcpus_current = n;
    }
    return qemu_domains_save(qemu_driver.doms, dom);
}

int qemu_domain_set_vcpus(const mv_session *sess, const mv_domain_ref *ref, unsigned n, unsigned flags)
{
    CHECK_FLAGS(flags, AFFECT_LIVE | AFFECT_CONFIG | VCPU_MAXIMUM, "virDomainSetVcpusFlags");
    return WITH_DOM(ref, dom, set_vcpus(dom, n, flags));
}

int qemu_domain_get_vcpus(const mv_session *sess, const mv_domain_ref *ref, unsigned flags, int *ret)
{
    CHECK_FLAGS(flags, AFFECT_LIVE | AFFECT_CONFIG | VCPU_MAXIMUM | VCPU_GUEST,
                "virDomainGetVcpusFlags");
    if (flags & VCPU_GUEST)
        return mv_error_report(-EINVAL, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                               "domain is not running");
    return WITH_DOM(ref, dom, ({
        *ret = (int)((flags & VCPU_MAXIMUM) ? dom->def->vcpus : dom->def->vcpus_current);
        0;
    }));
}

static int set_metadata(qemu_dom *dom, int type, const char *value, const char *key,
                        const char *uri, unsigned flags)
{
    int r = config_only(dom, flags);

    if (r < 0)
        return r;
    r = mv_domain_def_set_metadata(dom->def, type, value, key, uri);
    if (r < 0)
        return r;
    return qemu_domains_save(qemu_driver.doms, dom);
}

int qemu_domain_set_metadata(const mv_session *sess, const mv_domain_ref *ref, int type, const char *value,
                             const char *key, const char *uri, unsigned flags)
{
    CHECK_FLAGS(flags, AFFECT_LIVE | AFFECT_CONFIG, "virDomainSetMetadata");
    return WITH_DOM(ref, dom, set_metadata(dom, type, value, key, uri, flags));
}

int qemu_domain_get_metadata(const mv_session *sess, const mv_domain_ref *ref, int type, const char *uri,
                             unsigned flags, char **ret)
{
    CHECK_FLAGS(flags, AFFECT_LIVE | AFFECT_CONFIG, "virDomainGetMetadata");
    return WITH_DOM(ref, dom, mv_domain_def_get_metadata(dom->def, type, uri, ret));
}

/* Work on a copy, so that a failure leaves the definition untouched. */
static int change_device(qemu_dom *dom, int op, const char *xml, unsigned flags)
{
    mv_domain_device *dev = NULL;
    mv_domain_def *copy = NULL;
    int r = config_only(dom, flags);

    if (r < 0)
        return r;
    r = mv_domain_def_copy(dom->def, &copy);
    if (r >= 0)
        r = mv_domain_device_parse(copy, xml, 0, &dev);
    if (r >= 0) {
        switch (op) {
        case MV_DEVICE_ATTACH: r = mv_domain_def_attach_device(copy, dev); break;
        case MV_DEVICE_DETACH: r = mv_domain_def_detach_device(copy, dev); break;
        default: r = mv_domain_def_update_device(copy, dev); break;
        }
    }
    if (r >= 0)
        r = qemu_domain_post_parse(copy);
    mv_domain_device_free(dev);
    if (r < 0) {
        mv_domain_def_free(copy);
        return r;
    }
    mv_domain_def_free(dom->def);
    dom->def = copy;
    return qemu_domains_save(qemu_driver.doms, dom);
}

int qemu_domain_change_device(const mv_session *sess, const mv_domain_ref *ref, int op, const char *xml,
                              unsigned flags)
{
    CHECK_FLAGS(flags, AFFECT_LIVE | AFFECT_CONFIG | 4u /* FORCE for update */,
                "virDomainAttachDeviceFlags");
    return WITH_DOM(ref, dom, change_device(dom, op, xml, flags));
}
