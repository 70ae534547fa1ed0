/*
 * The QEMU driver's calls about the host: node statistics (util/hoststats),
 * the CPU models of libvirt's CPU map, and CPU comparison and baseline
 * against the host CPU of the capabilities or the hypervisor's CPU.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "conf/capabilities_conf.h"
#include "qemu_cpu.h"
#include "qemu_cpu_map.h"
#include "qemu_domcaps.h"
#include "qemu_host.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/hoststats.h"

int qemu_node_get_cpu_stats(const mv_session *sess, int cpu, unsigned flags,
                                   mv_host_stat *ret, int *ret_n)
{
    return mv_host_cpu_stats(cpu, flags, ret, ret_n);
}

int qemu_node_get_memory_stats(const mv_session *sess, int cell, unsigned flags,
                                      mv_host_stat *ret, int *ret_n)
{
    return mv_host_memory_stats(cell, flags, ret, ret_n);
}

int qemu_node_get_cpu_map(const mv_session *sess, unsigned flags, unsigned char **ret_map,
                                 unsigned *ret_online, int *ret_ncpus)
{
    return mv_host_cpu_map(flags, ret_map, ret_online, ret_ncpus);
}

int qemu_node_get_memory_parameters(const mv_session *sess, unsigned flags,
                                           mv_host_param *ret, int *ret_n)
{
    return mv_host_memory_parameters(flags, ret, ret_n);
}

int qemu_node_get_free_pages(const mv_session *sess, const unsigned *pages, size_t npages,
                                    int start, unsigned count, unsigned flags,
                                    unsigned long long *ret_counts, size_t *ret_n)
{
    if (flags)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                                   "unsupported flags (0x%x) in function qemuNodeGetFreePages", flags);
    return mv_host_free_pages(pages, npages, start, count, 0, ret_counts, ret_n);
}

/* Which model list an architecture's CPU driver has in libvirt: the x86
 * and ppc64 ones list the map's models; ARM and s390 accept any model and
 * list none; other architectures have no CPU driver. */
int qemu_connect_get_cpu_model_names(const mv_session *sess, const char *arch, unsigned flags,
                                            char ***ret, size_t *ret_n)
{
    static const char *const no_list[] = { "armv6l", "armv7l", "armv7b", "aarch64", "s390", "s390x" };
    const qcpu_map *m;
    char **names = NULL;
    const char *const *src = NULL;
    size_t n = 0;
    bool x86, ppc;
    int r;

    if (flags)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                                   "unsupported flags (0x%x) in function qemuConnectGetCPUModelNames", flags);
    if (!qemu_domcaps_arch_known(arch))
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "cannot find architecture %s", arch);
    x86 = strcmp(arch, "x86_64") == 0 || strcmp(arch, "i686") == 0;
    ppc = strcmp(arch, "ppc64") == 0 || strcmp(arch, "ppc64le") == 0;
    if (!x86 && !ppc) {
        for (size_t i = 0; i < ELEMENTSOF(no_list); i++) {
            if (strcmp(arch, no_list[i]) == 0) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
            }
        }
        return mv_error_report(-ENOTSUP, MV_ERR_NO_SUPPORT, MV_FROM_CPU,
                               "'%s' architecture is not supported by CPU driver", arch);
    }
    if ((r = qcpu_map_get(&m)) < 0)
        return r;
    n = x86 ? m->nmodels : m->nppc64;
    if (!(names = calloc(n + 1, sizeof(*names))))
        return -ENOMEM;
    src = ppc ? (const char *const *)m->ppc64 : NULL;
    for (size_t i = 0; i < n; i++) {
        if (!(names[i] = strdup(x86 ? m->models[i].name : src[i]))) {
            for (size_t j = 0; j < i; j++)
                free(names[j]);
            free(names);
            return -ENOMEM;
        }
    }
    *ret = names;
    *ret_n = n;
    return 0;
}

/* The host CPU of the capabilities, read once (CPUID does not change). */
static mv_caps_host_cpu host_cpu;
static int host_cpu_result;
static pthread_once_t host_cpu_once = PTHREAD_ONCE_INIT;

static void probe_host_cpu(void)
{
    host_cpu_result = mv_caps_probe_host_cpu(&host_cpu);
}

static int host_ref(qcpu_ref *ret)
{
    pthread_once(&host_cpu_once, probe_host_cpu);
    if (host_cpu_result < 0)
        return mv_error_report(host_cpu_result, MV_ERR_OPERATION_INVALID, MV_FROM_CPU,
                               "cannot get host CPU capabilities");
    *ret = (qcpu_ref){
        .arch = host_cpu.arch, .vendor = host_cpu.vendor, .model = host_cpu.model,
        .nfeatures = host_cpu.nfeatures, .features = host_cpu.features,
    };
    return 0;
}

int qemu_connect_compare_cpu(const mv_session *sess, const char *xml, unsigned flags, int *ret)
{
    qcpu_ref ref;
    int r;

    if (flags & ~(QCPU_COMPARE_FAIL_INCOMPATIBLE | QCPU_COMPARE_VALIDATE_XML))
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                                   "unsupported flags (0x%x) in function qemuConnectCompareCPU",
                                   flags & ~(QCPU_COMPARE_FAIL_INCOMPATIBLE | QCPU_COMPARE_VALIDATE_XML));
    if ((r = host_ref(&ref)) < 0)
        return r;
    return qcpu_compare(&ref, xml, flags, ret);
}

int qemu_connect_baseline_cpu(const mv_session *sess, const char *const *xmls, size_t n,
                                     unsigned flags, char **ret)
{
    unsigned ok = QCPU_BASELINE_EXPAND_FEATURES | QCPU_BASELINE_MIGRATABLE;

    if (flags & ~ok)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                                   "unsupported flags (0x%x) in function qemuConnectBaselineCPU",
                                   flags & ~ok);
    return qcpu_baseline(xmls, n, true, NULL, 0, flags, ret);
}

int qemu_connect_compare_hypervisor_cpu(const mv_session *sess, const char *emulator,
                                               const char *arch, const char *machine,
                                               const char *virttype, const char *xml, unsigned flags,
                                               int *ret)
{
    _cleanup_(qemu_hv_cpu_clear) qemu_hv_cpu hv = { 0 };
    unsigned ok = QCPU_COMPARE_FAIL_INCOMPATIBLE | QCPU_COMPARE_VALIDATE_XML;
    int r;

    if (flags & ~ok)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                                   "unsupported flags (0x%x) in function qemuConnectCompareHypervisorCPU",
                                   flags & ~ok);
    if ((r = qemu_domcaps_hypervisor_cpu(emulator, arch, machine, virttype, &hv)) < 0)
        return r;
    qcpu_ref ref = {
        .arch = hv.arch, .vendor = hv.vendor, .model = NULL,
        .nfeatures = hv.nfeatures, .features = (const char *const *)hv.features,
    };
    return qcpu_compare(&ref, xml, flags, ret);
}

int qemu_connect_baseline_hypervisor_cpu(const mv_session *sess, const char *emulator,
                                                const char *arch, const char *machine,
                                                const char *virttype, const char *const *xmls,
                                                size_t n, unsigned flags, char **ret)
{
    _cleanup_(qemu_hv_cpu_clear) qemu_hv_cpu hv = { 0 };
    unsigned ok = QCPU_BASELINE_EXPAND_FEATURES | QCPU_BASELINE_MIGRATABLE;
    int r;

    if (flags & ~ok)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                                   "unsupported flags (0x%x) in function qemuConnectBaselineHypervisorCPU",
                                   flags & ~ok);
    if ((r = qemu_domcaps_hypervisor_cpu(emulator, arch, machine, virttype, &hv)) < 0)
        return r;
    /* The hypervisor's features do not limit the baseline (libvirt 9.0
     * passes none for TCG); its models and what each lacks do. */
    return qcpu_baseline(xmls, n, false, hv.models, hv.nmodels, flags, ret);
}
