/*
 * Host statistics for the node calls (see hoststats.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/hostinfo.h"
#include "util/hoststats.h"

/* ---- parsers ---- */

/* Value of "Key:" at the start of a line (after "Node N " in a node's
 * file), in the file's unit (kB). */
static int meminfo_field(const char *text, const char *key, unsigned long long *ret)
{
    size_t klen = strlen(key);

    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        const char *p = line;
        char *end;

        if (strncmp(p, "Node ", 5) == 0) {
            p += 5;
            while (isdigit((unsigned char)*p))
                p++;
            while (*p == ' ')
                p++;
        }
        if (strncmp(p, key, klen) != 0 || p[klen] != ':')
            continue;
        p += klen + 1;
        errno = 0;
        *ret = strtoull(p, &end, 10);
        if (errno || end == p)
            return -EINVAL;
        return 0;
    }
    return -EINVAL;
}

int mv_hoststats_parse_meminfo(const char *text, int node, mv_host_stat ret[MV_HOST_STATS_MAX],
                               int *ret_n)
{
    static const struct { const char *key, *field; } all[] = {
        { "MemTotal", "total" }, { "MemFree", "free" }, { "Buffers", "buffers" }, { "Cached", "cached" },
    };
    int n = node < 0 ? 4 : 2;

    for (int i = 0; i < n; i++) {
        int r = meminfo_field(text, all[i].key, &ret[i].value);
        if (r < 0)
            return r;
        ret[i].field = all[i].field;
    }
    *ret_n = n;
    return 0;
}

int mv_hoststats_parse_stat(const char *text, int cpu, long ticks_per_sec,
                            mv_host_stat ret[MV_HOST_STATS_MAX])
{
    char name[32];
    size_t nlen;

    if (cpu < 0)
        snprintf(name, sizeof(name), "cpu ");
    else
        snprintf(name, sizeof(name), "cpu%d ", cpu);
    nlen = strlen(name);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        unsigned long long v[7] = { 0 };
        unsigned long long ns = 1000000000ULL / (unsigned long long)(ticks_per_sec > 0 ? ticks_per_sec : 100);

        if (strncmp(line, name, nlen) != 0)
            continue;
        /* user nice system idle iowait irq softirq */
        if (sscanf(line + nlen, "%llu %llu %llu %llu %llu %llu %llu",
                   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) < 4)
            return -EINVAL;
        ret[0] = (mv_host_stat){ "kernel", (v[2] + v[5] + v[6]) * ns };
        ret[1] = (mv_host_stat){ "user", (v[0] + v[1]) * ns };
        ret[2] = (mv_host_stat){ "idle", v[3] * ns };
        ret[3] = (mv_host_stat){ "iowait", v[4] * ns };
        return 0;
    }
    return -ENOENT;
}

int mv_hoststats_parse_cpulist(const char *text, unsigned char *map, size_t maplen, int *ret_max)
{
    const char *p = text;
    int max = -1;

    while (*p && isspace((unsigned char)*p))
        p++;
    while (*p && !isspace((unsigned char)*p)) {
        unsigned long a, b;
        char *end;

        if (!isdigit((unsigned char)*p))
            return -EINVAL;
        a = strtoul(p, &end, 10);
        b = a;
        p = end;
        if (*p == '-') {
            if (!isdigit((unsigned char)p[1]))
                return -EINVAL;
            b = strtoul(p + 1, &end, 10);
            p = end;
        }
        if (b < a || b >= maplen * 8)
            return b < a ? -EINVAL : -ERANGE;
        for (unsigned long i = a; i <= b; i++)
            map[i / 8] |= (unsigned char)(1u << (i % 8));
        if ((int)b > max)
            max = (int)b;
        if (*p == ',')
            p++;
        else if (*p && !isspace((unsigned char)*p))
            return -EINVAL;
    }
    *ret_max = max;
    return 0;
}

/* ---- readers ---- */

/* More CPUs or NUMA nodes than any host has; libvirt's own limits are
 * of the same order. */
#define MAX_IDS 8192

/* Highest id in a CPU or node list file; -ENOENT if the file is absent. */
static int list_max(const char *path, int *ret_max)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ unsigned char *map = calloc(MAX_IDS / 8, 1);
    int r;

    if (!map)
        return -ENOMEM;
    r = mv_host_read(&text, "%s", path);
    if (r < 0)
        return r;
    return mv_hoststats_parse_cpulist(text, map, MAX_IDS / 8, ret_max);
}

/* The highest NUMA node; 0 on a host without NUMA sysfs, as libvirt. */
static int max_node(int *ret)
{
    int r = list_max("/sys/devices/system/node/online", ret);

    if (r == -ENOENT || (r >= 0 && *ret < 0)) {
        *ret = 0;
        return 0;
    }
    return r;
}

static int unsupported_flags(unsigned flags, const char *fn)
{
    return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_NONE,
                               "unsupported flags (0x%x) in function %s", flags, fn);
}

int mv_host_memory_stats(int cell, unsigned flags, mv_host_stat ret[MV_HOST_STATS_MAX], int *ret_n)
{
    _cleanup_free_ char *text = NULL;
    int max, r;

    if (flags)
        return unsupported_flags(flags, "virHostMemGetStats");
    if (cell < -1)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                   "cellNum in virNodeGetMemoryStats only accepts -1 as a negative value");
    if (cell == -1) {
        r = mv_host_read(&text, "/proc/meminfo");
    } else {
        if ((r = max_node(&max)) < 0)
            return r;
        if (cell > max)
            return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_NONE,
                                       "cellNum in virHostMemGetStats must be less than or equal to %d",
                                       max);
        r = mv_host_read(&text, "/sys/devices/system/node/node%d/meminfo", cell);
        /* A host without NUMA sysfs is one cell: the whole host's. */
        if (r == -ENOENT && cell == 0 && (r = mv_host_read(&text, "/proc/meminfo")) >= 0) {
            mv_host_stat all[MV_HOST_STATS_MAX];
            int n;
            if ((r = mv_hoststats_parse_meminfo(text, -1, all, &n)) < 0)
                return mv_error_report(r, MV_ERR_INTERNAL_ERROR, MV_FROM_NONE, "cannot parse /proc/meminfo");
            ret[0] = all[0];
            ret[1] = all[1];
            *ret_n = 2;
            return 0;
        }
    }
    if (r < 0)
        return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_NONE, "cannot read memory statistics: %s",
                               strerror(-r));
    r = mv_hoststats_parse_meminfo(text, cell, ret, ret_n);
    if (r < 0)
        return mv_error_report(r, MV_ERR_INTERNAL_ERROR, MV_FROM_NONE, "cannot parse memory statistics");
    return 0;
}

int mv_host_cpu_stats(int cpu, unsigned flags, mv_host_stat ret[MV_HOST_STATS_MAX], int *ret_n)
{
    _cleanup_free_ char *text = NULL;
    int r;

    if (flags)
        return unsupported_flags(flags, "virHostCPUGetStats");
    if (cpu < -1)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                   "cpuNum in virNodeGetCPUStats only accepts -1 as a negative value");
    /* Counting, as libvirt does, does not look whether the CPU exists. */
    if (!ret) {
        *ret_n = MV_HOST_STATS_MAX;
        return 0;
    }
    r = mv_host_read(&text, "/proc/stat");
    if (r < 0)
        return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_NONE, "cannot read /proc/stat: %s",
                               strerror(-r));
    r = mv_hoststats_parse_stat(text, cpu, sysconf(_SC_CLK_TCK), ret);
    if (r == -ENOENT)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_NONE,
                                   "Invalid cpuNum in virHostCPUGetStatsLinux");
    if (r < 0)
        return mv_error_report(r, MV_ERR_INTERNAL_ERROR, MV_FROM_NONE, "cannot parse /proc/stat");
    *ret_n = MV_HOST_STATS_MAX;
    return 0;
}

int mv_host_cpu_map(unsigned flags, unsigned char **ret_map, unsigned *ret_online, int *ret_ncpus)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ unsigned char *map = NULL;
    int present, online_max, r;
    unsigned online = 0;

    if (flags)
        return unsupported_flags(flags, "virHostCPUGetMap");
    r = list_max("/sys/devices/system/cpu/present", &present);
    if (r < 0)
        return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_NONE,
                               "cannot read the present CPUs: %s", strerror(-r));
    present++;
    if (!(map = calloc((size_t)(present + 7) / 8, 1)))
        return -ENOMEM;
    r = mv_host_read(&text, "/sys/devices/system/cpu/online");
    if (r >= 0)
        r = mv_hoststats_parse_cpulist(text, map, (size_t)(present + 7) / 8, &online_max);
    if (r < 0)
        return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_NONE,
                               "cannot read the online CPUs: %s", strerror(-r));
    for (int i = 0; i < present; i++)
        online += (map[i / 8] >> (i % 8)) & 1;
    *ret_map = TAKE_PTR(map);
    *ret_online = online;
    *ret_ncpus = present;
    return 0;
}

int mv_host_memory_parameters(unsigned flags, mv_host_param ret[MV_HOST_MEMORY_PARAMS_MAX], int *ret_n)
{
    static const struct { const char *file, *field; int type; } params[] = {
        { "pages_to_scan", "shm_pages_to_scan", 2 },
        { "sleep_millisecs", "shm_sleep_millisecs", 2 },
        { "pages_shared", "shm_pages_shared", 4 },
        { "pages_sharing", "shm_pages_sharing", 4 },
        { "pages_unshared", "shm_pages_unshared", 4 },
        { "pages_volatile", "shm_pages_volatile", 4 },
        { "full_scans", "shm_full_scans", 4 },
        { "merge_across_nodes", "shm_merge_across_nodes", 2 },
    };
    int n = 0;

    /* VIR_TYPED_PARAM_STRING_OKAY (clients add it) is allowed */
    if (flags & ~4u)
        return unsupported_flags(flags & ~4u, "virHostMemGetParameters");
    for (size_t i = 0; i < ELEMENTSOF(params); i++) {
        _cleanup_free_ char *text = NULL;
        char *end;
        int r = mv_host_read(&text, "/sys/kernel/mm/ksm/%s", params[i].file);

        /* Kernels without NUMA have no merge_across_nodes: left out. */
        if (r == -ENOENT && strcmp(params[i].file, "merge_across_nodes") == 0)
            continue;
        if (r < 0)
            return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_NONE,
                                   "unable to read /sys/kernel/mm/ksm/%s: %s", params[i].file, strerror(-r));
        errno = 0;
        ret[n].value = strtoull(text, &end, 10);
        if (errno || end == text)
            return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_NONE,
                                   "failed to parse %s", params[i].file);
        ret[n].field = params[i].field;
        ret[n].type = params[i].type;
        n++;
    }
    *ret_n = n;
    return 0;
}

/* Free pages of size_kib on cell (with NUMA sysfs: the node's files). */
static int cell_free_pages(int cell, bool numa, unsigned size_kib, unsigned long long *ret)
{
    _cleanup_free_ char *text = NULL;
    unsigned page_kib = (unsigned)(sysconf(_SC_PAGESIZE) / 1024);
    char *end;
    int r;

    if (size_kib == page_kib) {
        mv_host_stat st[MV_HOST_STATS_MAX];
        int n;

        if (numa)
            r = mv_host_read(&text, "/sys/devices/system/node/node%d/meminfo", cell);
        else
            r = mv_host_read(&text, "/proc/meminfo");
        if (r >= 0)
            r = mv_hoststats_parse_meminfo(text, numa ? cell : -1, st, &n);
        if (r < 0)
            return r;
        *ret = st[1].value / page_kib;
        return 0;
    }
    if (numa)
        r = mv_host_read(&text, "/sys/devices/system/node/node%d/hugepages/hugepages-%ukB/free_hugepages",
                         cell, size_kib);
    else
        r = mv_host_read(&text, "/sys/kernel/mm/hugepages/hugepages-%ukB/free_hugepages", size_kib);
    if (r < 0)
        return r;
    errno = 0;
    *ret = strtoull(text, &end, 10);
    return errno || end == text ? -EINVAL : 0;
}

int mv_host_free_pages(const unsigned *pages, size_t npages, int start, unsigned count,
                       unsigned flags, unsigned long long *ret_counts, size_t *ret_n)
{
    _cleanup_free_ char *probe = NULL;
    int last, r;
    bool numa;
    size_t n = 0;

    if (flags)
        return unsupported_flags(flags, "virHostMemGetFreePages");
    if ((r = max_node(&last)) < 0)
        return r;
    numa = mv_host_read(&probe, "/sys/devices/system/node/online") >= 0;
    if (start < 0 || start > last)
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_NONE,
                               "start cell %d out of range (0-%d)", start, last);
    if ((long long)start + count - 1 < last)
        last = (int)((long long)start + count - 1);
    for (int cell = start; cell <= last; cell++) {
        for (size_t i = 0; i < npages; i++) {
            r = cell_free_pages(cell, numa, pages[i], &ret_counts[n]);
            if (r == -ENOENT)
                return mv_error_report(-EINVAL, MV_ERR_OPERATION_FAILED, MV_FROM_NONE,
                                       "page size %u is not available on node %d", pages[i], cell);
            if (r < 0)
                return mv_error_report(r, MV_ERR_INTERNAL_ERROR, MV_FROM_NONE,
                                       "cannot read the free pages of node %d", cell);
            n++;
        }
    }
    *ret_n = n;
    return 0;
}
