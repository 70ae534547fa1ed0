/*
 * Calls answered by the hypervisor driver about the host itself:
 * statistics, the CPU map, KSM parameters, free pages, CPU models and the
 * CPU comparison and baseline calls.  The "nparams = 0 asks how many"
 * convention of the statistics calls is handled here, as libvirt's daemon
 * does: the driver always fills everything it has.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mv_remote_handlers.h"
#include "remote/handler.h"
#include "util/cleanup.h"

static int nparams_too_large(void)
{
    return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC, "nparams too large");
}

/* Copy n statistics into the wire array (field names duplicated). */
static int put_stats(const mv_host_stat *st, int n, mv_node_stat **ret_val, u_int *ret_len)
{
    mv_node_stat *out = calloc((size_t)n, sizeof(*out));

    if (n > 0 && !out)
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        out[i].value = st[i].value;
        if (!(out[i].field = strdup(st[i].field))) {
            for (int j = 0; j < i; j++)
                free(out[j].field);
            free(out);
            return -ENOMEM;
        }
    }
    *ret_val = out;
    *ret_len = (u_int)n;
    return 0;
}

int mv_dispatch_node_get_cpu_stats(mv_call *call, mv_node_get_cpu_stats_args *args,
                                   mv_node_get_cpu_stats_ret *ret)
{
    mv_host_stat st[MV_HOST_STATS_MAX];
    int n = 0, r;

    if (args->nparams > MV_NODE_CPU_STATS_MAX)
        return nparams_too_large();
    if (args->nparams < 0)
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC,
                               "nparams must be non-negative");
    /* Counting checks the arguments, not whether the CPU exists. */
    r = HV_FN(call, node_get_cpu_stats)(call->sess, args->cpuNum, args->flags,
                                        args->nparams ? st : NULL, &n);
    if (r < 0)
        return r;
    if (args->nparams == 0) {
        ret->nparams = n;
        return 0;
    }
    if (args->nparams != n)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_NONE,
                                   "nparams in virHostCPUGetStatsLinux must be equal to %d", n);
    /* nparams is the count's answer only: libvirt leaves it 0 here */
    return put_stats(st, n, &ret->params.params_val, &ret->params.params_len);
}

int mv_dispatch_node_get_memory_stats(mv_call *call, mv_node_get_memory_stats_args *args,
                                      mv_node_get_memory_stats_ret *ret)
{
    mv_host_stat st[MV_HOST_STATS_MAX];
    int n = 0, r;

    if (args->nparams > MV_NODE_MEMORY_STATS_MAX)
        return nparams_too_large();
    if (args->nparams < 0)
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC,
                               "nparams must be non-negative");
    r = HV_FN(call, node_get_memory_stats)(call->sess, args->cellNum, args->flags, st, &n);
    if (r < 0)
        return r;
    if (args->nparams == 0) {
        ret->nparams = n;
        return 0;
    }
    if (args->nparams != n)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_NONE,
                                   "nparams in virHostMemGetStatsLinux must be %d", n);
    /* nparams is the count's answer only: libvirt leaves it 0 here */
    return put_stats(st, n, &ret->params.params_val, &ret->params.params_len);
}

int mv_dispatch_node_get_cpu_map(mv_call *call, mv_node_get_cpu_map_args *args,
                                 mv_node_get_cpu_map_ret *ret)
{
    _cleanup_free_ unsigned char *map = NULL;
    unsigned online = 0;
    int ncpus = 0;
    int r = HV_FN(call, node_get_cpu_map)(call->sess, args->flags, &map, &online, &ncpus);

    if (r < 0)
        return r;
    if ((ncpus + 7) / 8 > MV_CPUMAP_MAX)
        return mv_error_report(-E2BIG, MV_ERR_RPC, MV_FROM_RPC, "too many CPUs '%d' for limit '%d'",
                               ncpus, MV_CPUMAP_MAX * 8);
    if (args->need_map) {
        ret->cpumap.cpumap_val = (char *)TAKE_PTR(map);
        ret->cpumap.cpumap_len = (u_int)(ncpus + 7) / 8;
    }
    if (args->need_online)
        ret->online = online;
    ret->ret = ncpus;
    return 0;
}

int mv_dispatch_node_get_memory_parameters(mv_call *call, mv_node_get_memory_parameters_args *args,
                                           mv_node_get_memory_parameters_ret *ret)
{
    mv_host_param p[MV_HOST_MEMORY_PARAMS_MAX];
    int n = 0, r;

    if (args->nparams > MV_NODE_MEMORY_PARAMETERS_MAX)
        return nparams_too_large();
    if (args->nparams < 0)
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC,
                               "nparams must be non-negative");
    r = HV_FN(call, node_get_memory_parameters)(call->sess, args->flags, p, &n);
    if (r < 0)
        return r;
    if (args->nparams == 0) {
        ret->nparams = n;
        return 0;
    }
    if (args->nparams < n)
        n = args->nparams;
    if (n > 0 && !(ret->params.params_val = calloc((size_t)n, sizeof(mv_typed_param))))
        return -ENOMEM;
    ret->params.params_len = (u_int)n;
    for (int i = 0; i < n; i++) {
        mv_typed_param *t = &ret->params.params_val[i];

        if (!(t->field = strdup(p[i].field)))
            return -ENOMEM;     /* the XDR free of ret releases what is set */
        t->value.type = p[i].type;
        if (p[i].type == MV_TYPED_PARAM_UINT)
            t->value.mv_typed_param_value_u.ui = (unsigned)p[i].value;
        else
            t->value.mv_typed_param_value_u.ul = p[i].value;
    }
    /* nparams is the count's answer only: libvirt leaves it 0 here */
    return 0;
}

int mv_dispatch_node_get_free_pages(mv_call *call, mv_node_get_free_pages_args *args,
                                    mv_node_get_free_pages_ret *ret)
{
    _cleanup_free_ unsigned long long *counts = NULL;
    size_t len, n = 0;
    int r;

    if (args->pages.pages_len == 0)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                   "npages in virNodeGetFreePages must not be zero");
    if (args->cellCount == 0)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                   "cellCount in virNodeGetFreePages must not be zero");
    if ((unsigned long long)args->pages.pages_len * args->cellCount > MV_NODE_MAX_CELLS)
        return mv_error_report(-E2BIG, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC,
                               "the result won't fit into REMOTE_NODE_MAX_CELLS");
    len = (size_t)args->pages.pages_len * args->cellCount;
    if (!(counts = calloc(len, sizeof(*counts))))
        return -ENOMEM;
    r = HV_FN(call, node_get_free_pages)(call->sess, args->pages.pages_val, args->pages.pages_len,
                                         args->startCell, args->cellCount, args->flags, counts, &n);
    if (r < 0)
        return r;
    ret->counts.counts_val = (u_quad_t *)TAKE_PTR(counts);
    ret->counts.counts_len = (u_int)n;
    return 0;
}

int mv_dispatch_connect_get_cpu_model_names(mv_call *call, mv_connect_get_cpu_model_names_args *args,
                                            mv_connect_get_cpu_model_names_ret *ret)
{
    char **models = NULL;
    size_t n = 0;
    int r = HV_FN(call, connect_get_cpu_model_names)(call->sess, args->arch, args->flags, &models, &n);

    if (r < 0)
        return r;
    if (n > MV_CONNECT_CPU_MODELS_MAX) {
        for (size_t i = 0; i < n; i++)
            free(models[i]);
        free(models);
        return mv_error_report(-E2BIG, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC,
                               "Too many CPU models '%zu' for limit '%d'", n, MV_CONNECT_CPU_MODELS_MAX);
    }
    if (args->need_results) {
        ret->models.models_val = models;
        ret->models.models_len = (u_int)n;
    } else {
        for (size_t i = 0; i < n; i++)
            free(models[i]);
        free(models);
    }
    ret->ret = (int)n;
    return 0;
}

int mv_dispatch_connect_compare_cpu(mv_call *call, mv_connect_compare_cpu_args *args,
                                    mv_connect_compare_cpu_ret *ret)
{
    return HV_FN(call, connect_compare_cpu)(call->sess, args->xml, args->flags, &ret->result);
}

int mv_dispatch_connect_baseline_cpu(mv_call *call, mv_connect_baseline_cpu_args *args,
                                     mv_connect_baseline_cpu_ret *ret)
{
    if (args->xmlCPUs.xmlCPUs_len == 0)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                   "xmlCPUs in virConnectBaselineCPU must not be NULL");
    return HV_FN(call, connect_baseline_cpu)(call->sess, (const char *const *)args->xmlCPUs.xmlCPUs_val,
                                             args->xmlCPUs.xmlCPUs_len, args->flags, &ret->cpu);
}

#define OPT(s) ((s) ? *(s) : NULL)

int mv_dispatch_connect_compare_hypervisor_cpu(mv_call *call, mv_connect_compare_hypervisor_cpu_args *args,
                                               mv_connect_compare_hypervisor_cpu_ret *ret)
{
    return HV_FN(call, connect_compare_hypervisor_cpu)(call->sess, OPT(args->emulator), OPT(args->arch),
                                                       OPT(args->machine), OPT(args->virttype),
                                                       args->xmlCPU, args->flags, &ret->result);
}

int mv_dispatch_connect_baseline_hypervisor_cpu(mv_call *call,
                                                mv_connect_baseline_hypervisor_cpu_args *args,
                                                mv_connect_baseline_hypervisor_cpu_ret *ret)
{
    if (args->xmlCPUs.xmlCPUs_len == 0)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                   "xmlCPUs in virConnectBaselineHypervisorCPU must not be NULL");
    return HV_FN(call, connect_baseline_hypervisor_cpu)(call->sess, OPT(args->emulator), OPT(args->arch),
                                                        OPT(args->machine), OPT(args->virttype),
                                                        (const char *const *)args->xmlCPUs.xmlCPUs_val,
                                                        args->xmlCPUs.xmlCPUs_len, args->flags, &ret->cpu);
}
