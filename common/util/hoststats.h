/*
 * Host statistics as virNodeGetMemoryStats, virNodeGetCPUStats,
 * virNodeGetCPUMap, virNodeGetMemoryParameters and virNodeGetFreePages
 * report them: /proc/meminfo, /proc/stat, the NUMA nodes' meminfo, the
 * CPU lists and KSM's files in /sys, read under the root of hostinfo.h
 * (mv_hostinfo_set_root), so tests run on fixture trees.
 *
 * The parsers of file contents are separate pure functions (tested on
 * fixture text); the readers add the files and libvirt's errors, which
 * come from its host layer (VIR_FROM_NONE) with its function names.
 */
#ifndef MV_HOSTSTATS_H
#define MV_HOSTSTATS_H

#include <stddef.h>

#define MV_HOST_STATS_MAX 4

typedef struct mv_host_stat {
    const char *field;              /* static: libvirt's parameter name */
    unsigned long long value;
} mv_host_stat;

/* ---- parsers ---- */

/* /proc/meminfo (node < 0: total, free, buffers, cached) or a NUMA node's
 * meminfo ("Node N Key: V kB"; total, free), values in KiB.  A missing
 * key is -EINVAL. */
int mv_hoststats_parse_meminfo(const char *text, int node, mv_host_stat ret[MV_HOST_STATS_MAX],
                               int *ret_n);

/* The line of cpu (-1: the "cpu" total) in /proc/stat as libvirt's four
 * values in nanoseconds: kernel (system+irq+softirq), user (user+nice),
 * idle, iowait.  -ENOENT when the CPU has no line. */
int mv_hoststats_parse_stat(const char *text, int cpu, long ticks_per_sec,
                            mv_host_stat ret[MV_HOST_STATS_MAX]);

/* A CPU list ("0-3,8,10-11"): sets bit i of map (maplen bytes) for each
 * i listed; ret_max gets the highest id (-1 for an empty list).  Ids past
 * the map are an error (-ERANGE), as is bad syntax (-EINVAL). */
int mv_hoststats_parse_cpulist(const char *text, unsigned char *map, size_t maplen, int *ret_max);

/* ---- readers ---- */

/* virNodeGetMemoryStats: cell -1 for the host, else a NUMA cell. */
int mv_host_memory_stats(int cell, unsigned flags, mv_host_stat ret[MV_HOST_STATS_MAX], int *ret_n);

/* virNodeGetCPUStats: cpu -1 for the total.  ret NULL: only the count
 * (the arguments checked, not whether the CPU exists). */
int mv_host_cpu_stats(int cpu, unsigned flags, mv_host_stat ret[MV_HOST_STATS_MAX], int *ret_n);

/* virNodeGetCPUMap: the CPUs present (the map's length in bits), the
 * online ones as a bitmap (malloc'd) and their count. */
int mv_host_cpu_map(unsigned flags, unsigned char **ret_map, unsigned *ret_online, int *ret_ncpus);

/* virNodeGetMemoryParameters: KSM's settings and counters. */
#define MV_HOST_MEMORY_PARAMS_MAX 8
typedef struct mv_host_param {
    const char *field;              /* static */
    int type;                       /* virTypedParameterType: 2 uint, 4 ullong */
    unsigned long long value;
} mv_host_param;
int mv_host_memory_parameters(unsigned flags, mv_host_param ret[MV_HOST_MEMORY_PARAMS_MAX], int *ret_n);

/* virNodeGetFreePages: free pages of each size in pages[] (KiB) on cells
 * start .. start+count-1 (fewer if the host has fewer); ret_counts holds
 * npages * count entries, cell-major; ret_n gets how many were filled. */
int mv_host_free_pages(const unsigned *pages, size_t npages, int start, unsigned count,
                       unsigned flags, unsigned long long *ret_counts, size_t *ret_n);

#endif
