/*
 * Calls answered by the hypervisor driver: decoded arguments in, one
 * function of the driver table, results out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mv_remote_handlers.h"
#include "remote/handler.h"
#include "util/cleanup.h"

#define LIST_ACTIVE 1u      /* virConnectListAllDomains flags */
#define LIST_INACTIVE 2u

int mv_dispatch_connect_get_type(mv_call *call, mv_connect_get_type_ret *ret)
{
    ret->type = strdup(call->drivers->hypervisor->name);
    return ret->type ? 0 : -ENOMEM;
}

int mv_dispatch_connect_get_version(mv_call *call, mv_connect_get_version_ret *ret)
{
    unsigned long long v;
    int r = HV_FN(call, connect_get_version)(call->sess, &v);

    if (r >= 0)
        ret->hv_ver = v;
    return r;
}

int mv_dispatch_connect_get_max_vcpus(mv_call *call, mv_connect_get_max_vcpus_args *args,
                                      mv_connect_get_max_vcpus_ret *ret)
{
    return HV_FN(call, connect_get_max_vcpus)(call->sess, args->type ? *args->type : NULL,
                                                  &ret->max_vcpus);
}

int mv_dispatch_node_get_info(mv_call *call, mv_node_get_info_ret *ret)
{
    mv_node_info info = { 0 };     /* the model's bytes past its NUL go on the wire */
    int r = HV_FN(call, node_get_info)(call->sess, &info);

    if (r < 0)
        return r;
    memcpy(ret->model, info.model, sizeof(ret->model));
    ret->memory = info.memory_kib;
    ret->cpus = info.cpus;
    ret->mhz = info.mhz;
    ret->nodes = info.nodes;
    ret->sockets = info.sockets;
    ret->cores = info.cores;
    ret->threads = info.threads;
    return 0;
}

int mv_dispatch_connect_get_capabilities(mv_call *call, mv_connect_get_capabilities_ret *ret)
{
    return HV_FN(call, connect_get_capabilities)(call->sess, &ret->capabilities);
}

int mv_dispatch_connect_get_sysinfo(mv_call *call, mv_connect_get_sysinfo_args *args,
                                    mv_connect_get_sysinfo_ret *ret)
{
    return HV_FN(call, connect_get_sysinfo)(call->sess, args->flags, &ret->sysinfo);
}

int mv_dispatch_connect_get_hostname(mv_call *call, mv_connect_get_hostname_ret *ret)
{
    return HV_FN(call, connect_get_hostname)(call->sess, &ret->hostname);
}

int mv_dispatch_node_get_free_memory(mv_call *call, mv_node_get_free_memory_ret *ret)
{
    unsigned long long v;
    int r = HV_FN(call, node_get_free_memory)(call->sess, &v);

    if (r >= 0)
        ret->freeMem = v;
    return r;
}

int mv_dispatch_node_get_cells_free_memory(mv_call *call, mv_node_get_cells_free_memory_args *args,
                                           mv_node_get_cells_free_memory_ret *ret)
{
    _cleanup_free_ unsigned long long *cells = NULL;
    int n = 0, r;

    if (args->maxcells <= 0 || args->maxcells > MV_NODE_MAX_CELLS || args->startCell < 0)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_RPC,
                               "maxCells must be in the range 1 to %d and startCell not negative",
                               MV_NODE_MAX_CELLS);
    cells = calloc(args->maxcells, sizeof(*cells));
    if (!cells)
        return -ENOMEM;
    r = HV_FN(call, node_get_cells_free_memory)(call->sess, args->startCell,
                                                    args->maxcells, cells, &n);
    if (r < 0)
        return r;
    ret->cells.cells_val = (u_quad_t *)TAKE_PTR(cells);
    ret->cells.cells_len = n;
    return 0;
}

/*----- domain lists: every form is derived from the driver's one list -----*/

static int list_domains(mv_call *call, unsigned flags, mv_domain_ref **ret, size_t *ret_n)
{
    return HV_FN(call, connect_list_all_domains)(call->sess, flags, ret, ret_n);
}

int mv_dispatch_connect_list_all_domains(mv_call *call, mv_connect_list_all_domains_args *args,
                                         mv_connect_list_all_domains_ret *ret)
{
    mv_domain_ref *refs = NULL;
    size_t n = 0;
    int r = list_domains(call, args->flags, &refs, &n);

    if (r < 0)
        return r;
    if (n > MV_DOMAIN_LIST_MAX) {
        mv_domain_refs_free(refs, n);
        return mv_error_report(-E2BIG, MV_ERR_RPC, MV_FROM_RPC,
                               "too many domains '%zu' for limit '%d'", n, MV_DOMAIN_LIST_MAX);
    }
    if (args->need_results && n > 0) {
        ret->domains.domains_val = calloc(n, sizeof(mv_nonnull_domain));
        if (!ret->domains.domains_val) {
            mv_domain_refs_free(refs, n);
            return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            mv_nonnull_domain *d = &ret->domains.domains_val[i];

            d->name = TAKE_PTR(refs[i].name);
            memcpy(d->uuid, refs[i].uuid, sizeof(d->uuid));
            d->id = refs[i].id;
        }
        ret->domains.domains_len = n;
    }
    ret->ret = n;
    mv_domain_refs_free(refs, n);
    return 0;
}

static int count_domains(mv_call *call, unsigned flags, int *ret)
{
    mv_domain_ref *refs = NULL;
    size_t n = 0;
    int r = list_domains(call, flags, &refs, &n);

    if (r < 0)
        return r;
    mv_domain_refs_free(refs, n);
    *ret = (int)n;
    return 0;
}

int mv_dispatch_connect_num_of_domains(mv_call *call, mv_connect_num_of_domains_ret *ret)
{
    return count_domains(call, LIST_ACTIVE, &ret->num);
}

int mv_dispatch_connect_num_of_defined_domains(mv_call *call,
                                               mv_connect_num_of_defined_domains_ret *ret)
{
    return count_domains(call, LIST_INACTIVE, &ret->num);
}

/* libvirt's texts: over the limit, its daemon's; a negative one, which
 * its client refuses before sending, the API's. */
static int check_max(int max, const char *arg, const char *api)
{
    if (max < 0)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                   "%s in %s must be zero or greater", arg, api);
    if (max > MV_DOMAIN_LIST_MAX)
        return mv_error_report(-EINVAL, MV_ERR_RPC, MV_FROM_RPC,
                               "%s > REMOTE_DOMAIN_LIST_MAX", arg);
    return 0;
}

int mv_dispatch_connect_list_domains(mv_call *call, mv_connect_list_domains_args *args,
                                     mv_connect_list_domains_ret *ret)
{
    mv_domain_ref *refs = NULL;
    size_t n = 0, k;
    int r = check_max(args->maxids, "maxids", "virConnectListDomains");

    if (r < 0 || (r = list_domains(call, LIST_ACTIVE, &refs, &n)) < 0)
        return r;
    k = n < (size_t)args->maxids ? n : (size_t)args->maxids;
    if (k > 0 && !(ret->ids.ids_val = calloc(k, sizeof(int)))) {
        mv_domain_refs_free(refs, n);
        return -ENOMEM;
    }
    for (size_t i = 0; i < k; i++)
        ret->ids.ids_val[i] = refs[i].id;
    ret->ids.ids_len = k;
    mv_domain_refs_free(refs, n);
    return 0;
}

int mv_dispatch_connect_list_defined_domains(mv_call *call,
                                             mv_connect_list_defined_domains_args *args,
                                             mv_connect_list_defined_domains_ret *ret)
{
    mv_domain_ref *refs = NULL;
    size_t n = 0, k;
    int r = check_max(args->maxnames, "maxnames", "virConnectListDefinedDomains");

    if (r < 0 || (r = list_domains(call, LIST_INACTIVE, &refs, &n)) < 0)
        return r;
    k = n < (size_t)args->maxnames ? n : (size_t)args->maxnames;
    if (k > 0 && !(ret->names.names_val = calloc(k, sizeof(char *)))) {
        mv_domain_refs_free(refs, n);
        return -ENOMEM;
    }
    for (size_t i = 0; i < k; i++)
        ret->names.names_val[i] = TAKE_PTR(refs[i].name);
    ret->names.names_len = k;
    mv_domain_refs_free(refs, n);
    return 0;
}
