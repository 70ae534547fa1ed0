/*
 * Domain calls: the wire's domain reference in, one function of the
 * hypervisor driver table, results out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mv_remote_handlers.h"
#include "remote/handler.h"
#include "util/cleanup.h"

#define XML_SECURE 1u       /* virDomainXMLFlags */

/* The wire's reference, borrowed: valid while the arguments are. */
static mv_domain_ref ref_of(const mv_nonnull_domain *d)
{
    mv_domain_ref r = { .name = d->name, .id = d->id };

    memcpy(r.uuid, d->uuid, sizeof(r.uuid));
    return r;
}

/* Hand a driver's reference (allocated name) over to the reply. */
static void put_ref(mv_nonnull_domain *d, mv_domain_ref *r)
{
    d->name = TAKE_PTR(r->name);
    memcpy(d->uuid, r->uuid, sizeof(d->uuid));
    d->id = r->id;
}

static char *opt(mv_string s)
{
    return s ? *s : NULL;
}

/* Read-only connections never see secrets (graphics passwords, ...). */
static int check_secure(mv_call *call, unsigned flags)
{
    if ((flags & XML_SECURE) && call->sess->readonly)
        return mv_error_report(-EPERM, MV_ERR_OPERATION_DENIED, MV_FROM_DOMAIN,
                               "virDomainGetXMLDesc with secure flag");
    return 0;
}

/*----- lookups -----*/

int mv_dispatch_domain_lookup_by_name(mv_call *call, mv_domain_lookup_by_name_args *args,
                                      mv_domain_lookup_by_name_ret *ret)
{
    mv_domain_ref r = { 0 };
    int rc = HV_FN(call, domain_lookup_by_name)(call->sess, args->name, &r);

    if (rc >= 0)
        put_ref(&ret->dom, &r);
    return rc;
}

int mv_dispatch_domain_lookup_by_uuid(mv_call *call, mv_domain_lookup_by_uuid_args *args,
                                      mv_domain_lookup_by_uuid_ret *ret)
{
    mv_domain_ref r = { 0 };
    int rc = HV_FN(call, domain_lookup_by_uuid)(call->sess, (unsigned char *)args->uuid, &r);

    if (rc >= 0)
        put_ref(&ret->dom, &r);
    return rc;
}

int mv_dispatch_domain_lookup_by_id(mv_call *call, mv_domain_lookup_by_id_args *args,
                                    mv_domain_lookup_by_id_ret *ret)
{
    mv_domain_ref r = { 0 };
    int rc = HV_FN(call, domain_lookup_by_id)(call->sess, args->id, &r);

    if (rc >= 0)
        put_ref(&ret->dom, &r);
    return rc;
}

/*----- definition -----*/

static int define(mv_call *call, const char *xml, unsigned flags, mv_nonnull_domain *out)
{
    mv_domain_ref r = { 0 };
    int rc = HV_FN(call, domain_define_xml)(call->sess, xml, flags, &r);

    if (rc >= 0)
        put_ref(out, &r);
    return rc;
}

int mv_dispatch_domain_define_xml(mv_call *call, mv_domain_define_xml_args *args,
                                  mv_domain_define_xml_ret *ret)
{
    return define(call, args->xml, 0, &ret->dom);
}

int mv_dispatch_domain_define_xml_flags(mv_call *call, mv_domain_define_xml_flags_args *args,
                                        mv_domain_define_xml_flags_ret *ret)
{
    return define(call, args->xml, args->flags, &ret->dom);
}

int mv_dispatch_domain_undefine(mv_call *call, mv_domain_undefine_args *args)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_undefine)(call->sess, &r, 0);
}

int mv_dispatch_domain_undefine_flags(mv_call *call, mv_domain_undefine_flags_args *args)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_undefine)(call->sess, &r, args->flags);
}

int mv_dispatch_domain_get_xml_desc(mv_call *call, mv_domain_get_xml_desc_args *args,
                                    mv_domain_get_xml_desc_ret *ret)
{
    mv_domain_ref r = ref_of(&args->dom);
    int rc = check_secure(call, args->flags);

    if (rc < 0)
        return rc;
    return HV_FN(call, domain_get_xml_desc)(call->sess, &r, args->flags, &ret->xml);
}

int mv_dispatch_domain_rename(mv_call *call, mv_domain_rename_args *args,
                              mv_domain_rename_ret *ret)
{
    mv_domain_ref r = ref_of(&args->dom);
    int rc = HV_FN(call, domain_rename)(call->sess, &r, opt(args->new_name), args->flags);

    ret->retcode = rc < 0 ? -1 : 0;
    return rc;
}

/*----- state and properties -----*/

int mv_dispatch_domain_get_info(mv_call *call, mv_domain_get_info_args *args,
                                mv_domain_get_info_ret *ret)
{
    mv_domain_ref r = ref_of(&args->dom);
    mv_domain_info info;
    int rc = HV_FN(call, domain_get_info)(call->sess, &r, &info);

    if (rc < 0)
        return rc;
    ret->state = (u_char)info.state;
    ret->maxMem = info.max_mem_kib;
    ret->memory = info.memory_kib;
    ret->nrVirtCpu = (u_short)info.nr_vcpus;
    ret->cpuTime = info.cpu_time_ns;
    return 0;
}

int mv_dispatch_domain_get_max_memory(mv_call *call, mv_domain_get_max_memory_args *args,
                                      mv_domain_get_max_memory_ret *ret)
{
    mv_domain_ref r = ref_of(&args->dom);
    mv_domain_info info;
    int rc = HV_FN(call, domain_get_info)(call->sess, &r, &info);

    if (rc >= 0)
        ret->memory = info.max_mem_kib;
    return rc;
}

int mv_dispatch_domain_get_state(mv_call *call, mv_domain_get_state_args *args,
                                 mv_domain_get_state_ret *ret)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_get_state)(call->sess, &r, args->flags,
                                             &ret->state, &ret->reason);
}

int mv_dispatch_domain_get_os_type(mv_call *call, mv_domain_get_os_type_args *args,
                                   mv_domain_get_os_type_ret *ret)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_get_os_type)(call->sess, &r, &ret->type);
}

int mv_dispatch_domain_get_autostart(mv_call *call, mv_domain_get_autostart_args *args,
                                     mv_domain_get_autostart_ret *ret)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_get_autostart)(call->sess, &r, &ret->autostart);
}

int mv_dispatch_domain_set_autostart(mv_call *call, mv_domain_set_autostart_args *args)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_set_autostart)(call->sess, &r, args->autostart);
}

static int get_flags(mv_call *call, const mv_nonnull_domain *dom, mv_domain_flags *out)
{
    mv_domain_ref r = ref_of(dom);

    return HV_FN(call, domain_get_flags)(call->sess, &r, out);
}

int mv_dispatch_domain_is_active(mv_call *call, mv_domain_is_active_args *args,
                                 mv_domain_is_active_ret *ret)
{
    mv_domain_flags f = { 0 };
    int rc = get_flags(call, &args->dom, &f);

    ret->active = f.active;
    return rc;
}

int mv_dispatch_domain_is_persistent(mv_call *call, mv_domain_is_persistent_args *args,
                                     mv_domain_is_persistent_ret *ret)
{
    mv_domain_flags f = { 0 };
    int rc = get_flags(call, &args->dom, &f);

    ret->persistent = f.persistent;
    return rc;
}

int mv_dispatch_domain_is_updated(mv_call *call, mv_domain_is_updated_args *args,
                                  mv_domain_is_updated_ret *ret)
{
    mv_domain_flags f = { 0 };
    int rc = get_flags(call, &args->dom, &f);

    ret->updated = f.updated;
    return rc;
}

int mv_dispatch_domain_has_managed_save_image(mv_call *call,
                                              mv_domain_has_managed_save_image_args *args,
                                              mv_domain_has_managed_save_image_ret *ret)
{
    mv_domain_flags f = { 0 };
    int rc = get_flags(call, &args->dom, &f);

    ret->result = f.managed_save;
    return rc;
}

int mv_dispatch_domain_snapshot_num(mv_call *call, mv_domain_snapshot_num_args *args,
                                    mv_domain_snapshot_num_ret *ret)
{
    mv_domain_flags f = { 0 };
    int rc = get_flags(call, &args->dom, &f);

    ret->num = f.snapshots;
    return rc;
}

int mv_dispatch_domain_managed_save_remove(mv_call *call,
                                           mv_domain_managed_save_remove_args *args)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_managed_save_remove)(call->sess, &r, args->flags);
}

int mv_dispatch_domain_get_messages(mv_call *call, mv_domain_get_messages_args *args,
                                    mv_domain_get_messages_ret *ret)
{
    /* No taint or deprecation messages are recorded yet: a real, empty
     * list, after checking the domain exists. */
    mv_domain_flags f = { 0 };

    return get_flags(call, &args->dom, &f);
}

/*----- memory and vcpus -----*/

#define MEM_MAXIMUM 4u      /* virDomainMemoryModFlags */

int mv_dispatch_domain_set_max_memory(mv_call *call, mv_domain_set_max_memory_args *args)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_set_memory)(call->sess, &r, args->memory, MEM_MAXIMUM);
}

int mv_dispatch_domain_set_memory(mv_call *call, mv_domain_set_memory_args *args)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_set_memory)(call->sess, &r, args->memory, 0);
}

int mv_dispatch_domain_set_memory_flags(mv_call *call, mv_domain_set_memory_flags_args *args)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_set_memory)(call->sess, &r, args->memory, args->flags);
}

int mv_dispatch_domain_set_vcpus_flags(mv_call *call, mv_domain_set_vcpus_flags_args *args)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_set_vcpus)(call->sess, &r, args->nvcpus, args->flags);
}

int mv_dispatch_domain_get_vcpus_flags(mv_call *call, mv_domain_get_vcpus_flags_args *args,
                                       mv_domain_get_vcpus_flags_ret *ret)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_get_vcpus)(call->sess, &r, args->flags, &ret->num);
}

int mv_dispatch_domain_get_max_vcpus(mv_call *call, mv_domain_get_max_vcpus_args *args,
                                     mv_domain_get_max_vcpus_ret *ret)
{
    mv_domain_ref r = ref_of(&args->dom);

    /* VIR_DOMAIN_VCPU_MAXIMUM | VIR_DOMAIN_AFFECT_LIVE semantics for a
     * shut-off domain: the configured maximum. */
    return HV_FN(call, domain_get_vcpus)(call->sess, &r, 4u, &ret->num);
}

/*----- metadata and devices -----*/

int mv_dispatch_domain_set_metadata(mv_call *call, mv_domain_set_metadata_args *args)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_set_metadata)(call->sess, &r, args->type, opt(args->metadata),
                                                opt(args->key), opt(args->uri), args->flags);
}

int mv_dispatch_domain_get_metadata(mv_call *call, mv_domain_get_metadata_args *args,
                                    mv_domain_get_metadata_ret *ret)
{
    mv_domain_ref r = ref_of(&args->dom);

    return HV_FN(call, domain_get_metadata)(call->sess, &r, args->type, opt(args->uri),
                                                args->flags, &ret->metadata);
}

static int change_device(mv_call *call, const mv_nonnull_domain *dom, int op, const char *xml,
                         unsigned flags)
{
    mv_domain_ref r = ref_of(dom);

    return HV_FN(call, domain_change_device)(call->sess, &r, op, xml, flags);
}

int mv_dispatch_domain_attach_device(mv_call *call, mv_domain_attach_device_args *args)
{
    return change_device(call, &args->dom, MV_DEVICE_ATTACH, args->xml, 0);
}

int mv_dispatch_domain_detach_device(mv_call *call, mv_domain_detach_device_args *args)
{
    return change_device(call, &args->dom, MV_DEVICE_DETACH, args->xml, 0);
}

int mv_dispatch_domain_attach_device_flags(mv_call *call, mv_domain_attach_device_flags_args *args)
{
    return change_device(call, &args->dom, MV_DEVICE_ATTACH, args->xml, args->flags);
}

int mv_dispatch_domain_detach_device_flags(mv_call *call, mv_domain_detach_device_flags_args *args)
{
    return change_device(call, &args->dom, MV_DEVICE_DETACH, args->xml, args->flags);
}

int mv_dispatch_domain_update_device_flags(mv_call *call, mv_domain_update_device_flags_args *args)
{
    return change_device(call, &args->dom, MV_DEVICE_UPDATE, args->xml, args->flags);
}

/*----- host-side documents -----*/

int mv_dispatch_connect_domain_xml_to_native(mv_call *call,
                                             mv_connect_domain_xml_to_native_args *args,
                                             mv_connect_domain_xml_to_native_ret *ret)
{
    return HV_FN(call, connect_domain_xml_to_native)(call->sess, args->nativeFormat,
                                                         args->domainXml, args->flags,
                                                         &ret->nativeConfig);
}

int mv_dispatch_connect_get_domain_capabilities(mv_call *call,
                                                mv_connect_get_domain_capabilities_args *args,
                                                mv_connect_get_domain_capabilities_ret *ret)
{
    return HV_FN(call, connect_get_domain_capabilities)(
        call->sess, opt(args->emulatorbin), opt(args->arch), opt(args->machine),
        opt(args->virttype), args->flags, &ret->capabilities);
}

/* A char array on the wire that includes its terminating NUL. */
static int put_chars(char *s, u_int *len, char **val, size_t max)
{
    size_t n = strlen(s) + 1;

    if (n > max) {
        free(s);
        return mv_error_report(-EOVERFLOW, MV_ERR_RPC, MV_FROM_RPC, "security string too long");
    }
    *val = s;
    *len = n;
    return 0;
}

int mv_dispatch_node_get_security_model(mv_call *call, mv_node_get_security_model_ret *ret)
{
    char *model = NULL, *doi = NULL;
    int rc = HV_FN(call, node_get_security_model)(call->sess, &model, &doi);

    if (rc < 0)
        return rc;
    rc = put_chars(model, &ret->model.model_len, &ret->model.model_val, MV_SECURITY_MODEL_MAX);
    if (rc < 0) {
        free(doi);
        return rc;
    }
    rc = put_chars(doi, &ret->doi.doi_len, &ret->doi.doi_val, MV_SECURITY_DOI_MAX);
    if (rc < 0) {
        /* a failed call's result is never freed: nothing may stay in it */
        free(ret->model.model_val);
        ret->model.model_val = NULL;
        ret->model.model_len = 0;
    }
    return rc;
}

int mv_dispatch_domain_get_security_label(mv_call *call, mv_domain_get_security_label_args *args,
                                          mv_domain_get_security_label_ret *ret)
{
    mv_domain_flags f = { 0 };
    int rc = get_flags(call, &args->dom, &f);

    /* No security driver labels processes yet: an empty label, not
     * enforcing, as libvirt reports with the 'none' model. */
    ret->enforcing = 0;
    return rc;
}
