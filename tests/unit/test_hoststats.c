/* Tests for util/hoststats: the parsers on fixture text, and the readers
 * on the fake trees of tests/data/hostinfo (numa2: 2 nodes, CPUs 0-7
 * present and 0-6 online, KSM files, free 2 MiB pages; flat: no NUMA
 * sysfs). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"
#include "util/hostinfo.h"
#include "util/hoststats.h"
#include "test.h"

static void use_root(const char *name)
{
    char root[4096];

    snprintf(root, sizeof(root), "%s/hostinfo/%s", TEST_DATA_DIR, name);
    mv_hostinfo_set_root(root);
}

static void check_error(int code, int domain, const char *message)
{
    const mv_error *e = mv_error_last();

    CHECK(e != NULL);
    if (!e)
        return;
    CHECK_INT(e->code, code);
    CHECK_INT(e->domain, domain);
    CHECK_STR(e->message, message);
    mv_error_reset();
}

static void test_parse_meminfo(void)
{
    mv_host_stat st[MV_HOST_STATS_MAX];
    int n = 0;

    CHECK_INT(mv_hoststats_parse_meminfo("MemTotal:  100 kB\nMemFree: 40 kB\nMemAvailable: 50 kB\n"
                                         "Buffers: 3 kB\nCached: 7 kB\nSwapCached: 9 kB\n", -1, st, &n), 0);
    CHECK_INT(n, 4);
    CHECK_STR(st[0].field, "total");
    CHECK_INT(st[0].value, 100);
    CHECK_STR(st[1].field, "free");
    CHECK_INT(st[1].value, 40);
    CHECK_STR(st[2].field, "buffers");
    CHECK_INT(st[2].value, 3);
    CHECK_STR(st[3].field, "cached");       /* not SwapCached */
    CHECK_INT(st[3].value, 7);
    /* a node's file: "Node N" in front of each key; two values */
    CHECK_INT(mv_hoststats_parse_meminfo("Node 12 MemTotal:  800 kB\nNode 12 MemFree:   300 kB\n", 12, st, &n), 0);
    CHECK_INT(n, 2);
    CHECK_INT(st[0].value, 800);
    CHECK_INT(st[1].value, 300);
    /* a missing key or a value that is no number */
    CHECK_INT(mv_hoststats_parse_meminfo("MemTotal: 1 kB\n", -1, st, &n), -EINVAL);
    CHECK_INT(mv_hoststats_parse_meminfo("MemTotal: x kB\nMemFree: 1\nBuffers: 1\nCached: 1\n", -1, st, &n),
              -EINVAL);
    CHECK_INT(mv_hoststats_parse_meminfo("", 0, st, &n), -EINVAL);
}

static void test_parse_stat(void)
{
    const char *text = "cpu  10 2 30 400 5 6 7 8 0 0\ncpu0 1 1 1 1 1 1 1\ncpu1 3 0 2 9 0\ncpu10 99 0 0 0 0\n";
    mv_host_stat st[MV_HOST_STATS_MAX];

    CHECK_INT(mv_hoststats_parse_stat(text, -1, 100, st), 0);
    CHECK_STR(st[0].field, "kernel");
    CHECK_INT(st[0].value, (30 + 6 + 7) * 10000000ULL);     /* system + irq + softirq */
    CHECK_STR(st[1].field, "user");
    CHECK_INT(st[1].value, (10 + 2) * 10000000ULL);         /* user + nice */
    CHECK_STR(st[2].field, "idle");
    CHECK_INT(st[2].value, 400 * 10000000ULL);
    CHECK_STR(st[3].field, "iowait");
    CHECK_INT(st[3].value, 5 * 10000000ULL);
    /* a short line (old kernels): the missing columns are 0 */
    CHECK_INT(mv_hoststats_parse_stat(text, 1, 1000, st), 0);
    CHECK_INT(st[0].value, 2 * 1000000ULL);
    CHECK_INT(st[3].value, 0);
    /* "cpu1" is not "cpu10" */
    CHECK_INT(mv_hoststats_parse_stat(text, 10, 100, st), 0);
    CHECK_INT(st[1].value, 99 * 10000000ULL);
    CHECK_INT(mv_hoststats_parse_stat(text, 2, 100, st), -ENOENT);
    CHECK_INT(mv_hoststats_parse_stat("cpu  1 2\n", -1, 100, st), -EINVAL);
}

static void test_parse_cpulist(void)
{
    unsigned char map[4] = { 0 };
    int max = 0;

    CHECK_INT(mv_hoststats_parse_cpulist("0-3,8,10-11\n", map, sizeof(map), &max), 0);
    CHECK_INT(max, 11);
    CHECK_INT(map[0], 0x0f);
    CHECK_INT(map[1], 0x0d);
    memset(map, 0, sizeof(map));
    CHECK_INT(mv_hoststats_parse_cpulist("", map, sizeof(map), &max), 0);
    CHECK_INT(max, -1);
    CHECK_INT(mv_hoststats_parse_cpulist("0-40", map, sizeof(map), &max), -ERANGE);
    CHECK_INT(mv_hoststats_parse_cpulist("3-1", map, sizeof(map), &max), -EINVAL);
    CHECK_INT(mv_hoststats_parse_cpulist("1,,2", map, sizeof(map), &max), -EINVAL);
    CHECK_INT(mv_hoststats_parse_cpulist("a", map, sizeof(map), &max), -EINVAL);
    CHECK_INT(mv_hoststats_parse_cpulist("1-", map, sizeof(map), &max), -EINVAL);
}

static void test_memory_stats(void)
{
    mv_host_stat st[MV_HOST_STATS_MAX];
    int n = 0;

    use_root("numa2");
    CHECK_INT(mv_host_memory_stats(-1, 0, st, &n), 0);
    CHECK_INT(n, 4);
    CHECK_INT(st[0].value, 16800000);
    CHECK_INT(st[2].value, 12345);
    CHECK_INT(mv_host_memory_stats(1, 0, st, &n), 0);
    CHECK_INT(n, 2);
    CHECK_INT(st[1].value, 7000000);
    CHECK(mv_host_memory_stats(2, 0, st, &n) < 0);
    check_error(MV_ERR_INVALID_ARG, MV_FROM_NONE,
                "cellNum in virHostMemGetStats must be less than or equal to 1");
    CHECK(mv_host_memory_stats(-2, 0, st, &n) < 0);
    check_error(MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                "cellNum in virNodeGetMemoryStats only accepts -1 as a negative value");
    CHECK(mv_host_memory_stats(-1, 1, st, &n) < 0);
    check_error(MV_ERR_INVALID_ARG, MV_FROM_NONE, "unsupported flags (0x1) in function virHostMemGetStats");
    /* without NUMA sysfs, cell 0 is the whole host */
    use_root("flat");
    CHECK_INT(mv_host_memory_stats(0, 0, st, &n), 0);
    CHECK_INT(n, 2);
    CHECK_INT(st[0].value, 4096000);
    CHECK(mv_host_memory_stats(1, 0, st, &n) < 0);
    check_error(MV_ERR_INVALID_ARG, MV_FROM_NONE,
                "cellNum in virHostMemGetStats must be less than or equal to 0");
}

static void test_cpu_stats(void)
{
    mv_host_stat st[MV_HOST_STATS_MAX];
    unsigned long long tick = 1000000000ULL / (unsigned long long)sysconf(_SC_CLK_TCK);
    int n = 0;

    use_root("numa2");
    CHECK_INT(mv_host_cpu_stats(-1, 0, st, &n), 0);
    CHECK_INT(n, 4);
    CHECK_INT(st[1].value, 1050 * tick);
    CHECK_INT(mv_host_cpu_stats(6, 0, st, &n), 0);
    CHECK_INT(st[2].value, 2000 * tick);
    /* counting does not look for the CPU; reading does */
    CHECK_INT(mv_host_cpu_stats(7, 0, NULL, &n), 0);
    CHECK_INT(n, 4);
    CHECK(mv_host_cpu_stats(7, 0, st, &n) < 0);
    check_error(MV_ERR_INVALID_ARG, MV_FROM_NONE, "Invalid cpuNum in virHostCPUGetStatsLinux");
    CHECK(mv_host_cpu_stats(-2, 0, NULL, &n) < 0);
    check_error(MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                "cpuNum in virNodeGetCPUStats only accepts -1 as a negative value");
    CHECK(mv_host_cpu_stats(0, 2, st, &n) < 0);
    check_error(MV_ERR_INVALID_ARG, MV_FROM_NONE, "unsupported flags (0x2) in function virHostCPUGetStats");
}

static void test_cpu_map(void)
{
    unsigned char *map = NULL;
    unsigned online = 0;
    int ncpus = 0;

    use_root("numa2");
    CHECK_INT(mv_host_cpu_map(0, &map, &online, &ncpus), 0);
    CHECK_INT(ncpus, 8);
    CHECK_INT(online, 7);
    CHECK(map && map[0] == 0x7f);
    free(map);
    CHECK(mv_host_cpu_map(1, &map, &online, &ncpus) < 0);
    check_error(MV_ERR_INVALID_ARG, MV_FROM_NONE, "unsupported flags (0x1) in function virHostCPUGetMap");
}

static void test_memory_parameters(void)
{
    mv_host_param p[MV_HOST_MEMORY_PARAMS_MAX];
    int n = 0;

    use_root("numa2");
    CHECK_INT(mv_host_memory_parameters(4 /* VIR_TYPED_PARAM_STRING_OKAY */, p, &n), 0);
    CHECK_INT(n, 8);
    CHECK_STR(p[0].field, "shm_pages_to_scan");
    CHECK_INT(p[0].type, 2);
    CHECK_INT(p[0].value, 100);
    CHECK_STR(p[3].field, "shm_pages_sharing");
    CHECK_INT(p[3].type, 4);
    CHECK_INT(p[3].value, 17);
    CHECK_STR(p[7].field, "shm_merge_across_nodes");
    CHECK(mv_host_memory_parameters(1, p, &n) < 0);
    check_error(MV_ERR_INVALID_ARG, MV_FROM_NONE,
                "unsupported flags (0x1) in function virHostMemGetParameters");
}

static void test_free_pages(void)
{
    unsigned pages[2] = { (unsigned)(sysconf(_SC_PAGESIZE) / 1024), 2048 };
    unsigned long long counts[8];
    size_t n = 0;

    use_root("numa2");
    CHECK_INT(mv_host_free_pages(pages, 2, 0, 5, 0, counts, &n), 0);
    CHECK_INT(n, 4);                /* 2 cells: the count is clamped */
    CHECK_INT(counts[0], 6000000ULL / pages[0]);
    CHECK_INT(counts[1], 7);
    CHECK_INT(counts[3], 17);
    CHECK_INT(mv_host_free_pages(pages + 1, 1, 1, 1, 0, counts, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(counts[0], 17);
    CHECK(mv_host_free_pages(pages, 1, 2, 1, 0, counts, &n) < 0);
    check_error(MV_ERR_INTERNAL_ERROR, MV_FROM_NONE, "internal error: start cell 2 out of range (0-1)");
    pages[0] = 33;
    CHECK(mv_host_free_pages(pages, 1, 0, 1, 0, counts, &n) < 0);
    check_error(MV_ERR_OPERATION_FAILED, MV_FROM_NONE,
                "operation failed: page size 33 is not available on node 0");
}

int main(void)
{
    test_parse_meminfo();
    test_parse_stat();
    test_parse_cpulist();
    test_memory_stats();
    test_cpu_stats();
    test_cpu_map();
    test_memory_parameters();
    test_free_pages();
    TEST_DONE();
}
