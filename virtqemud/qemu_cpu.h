/*
 * CPU comparison and baseline on x86 feature sets, from libvirt's CPU map
 * (qemu_cpu_map.h): what virConnectCompareCPU, virConnectBaselineCPU and
 * their hypervisor variants compute.  Pure functions of their inputs and
 * the map; errors are libvirt's (VIR_FROM_CPU unless said).
 */
#ifndef QEMU_CPU_H
#define QEMU_CPU_H

#include <stdbool.h>
#include <stddef.h>

#include "qemu_cpu_map.h"

/* virCPUCompareResult */
enum { QCPU_ERROR = -1, QCPU_INCOMPATIBLE = 0, QCPU_IDENTICAL = 1, QCPU_SUPERSET = 2 };

/* virConnectCompareCPU flags and virConnectBaselineCPU flags */
#define QCPU_COMPARE_FAIL_INCOMPATIBLE 1u
#define QCPU_COMPARE_VALIDATE_XML 2u
#define QCPU_BASELINE_EXPAND_FEATURES 1u
#define QCPU_BASELINE_MIGRATABLE 2u

/* The CPU everything is compared with: the host's (from capabilities) or
 * the hypervisor's.  Feature names unknown to the map are ignored. */
typedef struct qcpu_ref {
    const char *arch;
    const char *vendor;             /* NULL: unknown */
    const char *model;              /* NULL: the features say everything */
    size_t nfeatures;
    const char *const *features;
} qcpu_ref;

/* Compare the CPU of xml with ref; *ret is a QCPU_* result. */
int qcpu_compare(const qcpu_ref *ref, const char *xml, unsigned flags, int *ret);

/* A CPU model as the hypervisor has it: the features it cannot give
 * (QEMU's unavailable-features), which a baseline in that model disables. */
typedef struct qcpu_hv_model {
    const char *name;
    size_t nblockers;
    const char *const *blockers;
} qcpu_hv_model;

/* Baseline of n CPU documents.  host_only: each must be a host CPU (an
 * <arch>, no mode), as virConnectBaselineCPU wants.  hv_models (NULL:
 * any model of the map) limits the candidates to the hypervisor's. */
int qcpu_baseline(const char *const *xmls, size_t n, bool host_only,
                  const qcpu_hv_model *hv_models, size_t hv_nmodels,
                  unsigned flags, char **ret_xml);

#endif
