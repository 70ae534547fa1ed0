/* Tests for util/hostinfo against fake /proc and /sys trees:
 *   numa2: 2 NUMA nodes, 1 socket each, 2 cores of 2 threads, CPU 7
 *          offline, hugepages of 2 MiB and 1 GiB;
 *   flat:  no NUMA sysfs, 3 CPUs whose topology does not add up, the
 *          frequency only in cpufreq. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/hostinfo.h"
#include "test.h"

static void use_root(const char *name)
{
    char root[4096];

    snprintf(root, sizeof(root), "%s/hostinfo/%s", TEST_DATA_DIR, name);
    mv_hostinfo_set_root(root);
}

static void test_numa2_node_info(void)
{
    mv_node_info ni;

    use_root("numa2");
    CHECK_INT(mv_host_node_info(&ni), 0);
    CHECK_STR(ni.model, mv_host_arch());
    /* The cells' memory, not /proc/meminfo's MemTotal (16800000). */
    CHECK_INT(ni.memory_kib, 2 * 8388608ULL);
    CHECK_INT(ni.cpus, 7);          /* online ones */
    CHECK_INT(ni.mhz, 2999);        /* fraction dropped */
    CHECK_INT(ni.nodes, 2);
    CHECK_INT(ni.sockets, 1);       /* per node */
    CHECK_INT(ni.cores, 2);
    CHECK_INT(ni.threads, 2);
}

static void test_numa2_memory(void)
{
    unsigned long long bytes, cells[8];
    const mv_error *e;
    int n = -1;

    use_root("numa2");
    CHECK_INT(mv_host_free_memory(&bytes), 0);
    CHECK_INT(bytes, (6000000ULL + 7000000ULL) * 1024);

    CHECK_INT(mv_host_cells_free_memory(0, 8, cells, &n), 0);
    CHECK_INT(n, 2);
    CHECK_INT(cells[0], 6000000ULL * 1024);
    CHECK_INT(cells[1], 7000000ULL * 1024);

    CHECK_INT(mv_host_cells_free_memory(1, 8, cells, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(cells[0], 7000000ULL * 1024);

    CHECK_INT(mv_host_cells_free_memory(0, 1, cells, &n), 0);
    CHECK_INT(n, 1);

    mv_error_reset();
    CHECK_INT(mv_host_cells_free_memory(2, 8, cells, &n), -EINVAL);
    e = mv_error_last();
    CHECK(e != NULL);
    if (e) {
        CHECK_INT(e->code, MV_ERR_INTERNAL_ERROR);
        CHECK_INT(e->domain, MV_FROM_NONE);
        CHECK_STR(e->message, "internal error: start cell 2 out of range (0-1)");
    }
}

static void test_numa2_topology(void)
{
    mv_host_numa_info numa = { 0 };
    mv_host_pages pages;

    use_root("numa2");
    CHECK_INT(mv_host_page_sizes(&pages), 0);
    CHECK_INT(pages.n, 3);
    CHECK_INT(pages.size_kib[1], 2048);
    CHECK_INT(pages.size_kib[2], 1048576);

    CHECK_INT(mv_host_numa(&numa), 0);
    CHECK_INT(numa.ncells, 2);
    if (numa.ncells == 2) {
        const mv_host_numa_cell *c0 = &numa.cells[0], *c1 = &numa.cells[1];

        CHECK_INT(c0->id, 0);
        CHECK_INT(c0->memory_kib, 8388608);
        CHECK_INT(c0->npages, 3);
        CHECK_INT(c0->page_count[1], 512);
        CHECK_INT(c0->page_count[2], 1);
        /* What the hugepages leave, in base pages. */
        CHECK_INT(c0->page_count[0], (8388608 - 512 * 2048 - 1048576) / pages.size_kib[0]);
        CHECK_INT(c1->page_count[0], 8388608 / pages.size_kib[0]);
        CHECK_INT(c1->page_count[1], 0);

        CHECK_INT(c0->ndistances, 2);
        CHECK_INT(c0->distance_id[1], 1);
        CHECK_INT(c0->distance[0], 10);
        CHECK_INT(c0->distance[1], 21);
        CHECK_INT(c1->distance[0], 21);

        CHECK_INT(c0->ncpus, 4);
        CHECK_INT(c0->cpus[2].id, 2);
        CHECK(c0->cpus[2].online);
        CHECK_INT(c0->cpus[2].socket_id, 0);
        CHECK_INT(c0->cpus[2].core_id, 1);
        CHECK_STR(c0->cpus[2].siblings, "2-3");

        CHECK_INT(c1->id, 1);
        CHECK_INT(c1->ncpus, 4);
        CHECK_INT(c1->cpus[0].socket_id, 1);
        CHECK_INT(c1->cpus[3].id, 7);
        CHECK(!c1->cpus[3].online);
    }
    mv_host_numa_clear(&numa);
    mv_host_numa_clear(&numa);      /* twice is harmless */
}

static void test_flat(void)
{
    unsigned long long cells[4];
    mv_host_numa_info numa = { 0 };
    mv_node_info ni;
    int n = -1;

    use_root("flat");
    CHECK_INT(mv_host_node_info(&ni), 0);
    CHECK_INT(ni.memory_kib, 4096000);
    CHECK_INT(ni.cpus, 3);
    CHECK_INT(ni.mhz, 3600);        /* from cpufreq */
    /* 1 node * 1 socket * 2 cores * 2 threads is not 3 CPUs: reported flat. */
    CHECK_INT(ni.nodes, 1);
    CHECK_INT(ni.sockets, 1);
    CHECK_INT(ni.cores, 3);
    CHECK_INT(ni.threads, 1);

    CHECK_INT(mv_host_cells_free_memory(0, 4, cells, &n), 0);
    CHECK_INT(n, 1);
    CHECK_INT(cells[0], 1024000ULL * 1024);
    mv_error_reset();
    CHECK_INT(mv_host_cells_free_memory(1, 4, cells, &n), -EINVAL);
    CHECK(mv_error_last() && strcmp(mv_error_last()->message,
                                    "internal error: start cell 1 out of range (0-0)") == 0);
    CHECK_INT(mv_host_cells_free_memory(0, 0, cells, &n), -EINVAL);

    CHECK_INT(mv_host_numa(&numa), 0);
    CHECK_INT(numa.ncells, 1);
    if (numa.ncells == 1) {
        CHECK_INT(numa.cells[0].id, 0);
        CHECK_INT(numa.cells[0].memory_kib, 4096000);
        CHECK_INT(numa.cells[0].ncpus, 3);
        CHECK_INT(numa.cells[0].npages, 1);
        CHECK_INT(numa.cells[0].ndistances, 0);
    }
    mv_host_numa_clear(&numa);

    /* A fake host has no KVM. */
    CHECK_INT(mv_host_kvm_usable(), 0);
}

static void test_read_helpers(void)
{
    char *s = NULL;

    use_root("numa2");
    CHECK_INT(mv_host_read_cpulist(&s, "/sys/devices/system/node/node%d/cpulist", 1), 0);
    CHECK_STR(s, "4-7");
    free(s);
    s = NULL;
    CHECK_INT(mv_host_read(&s, "/sys/devices/system/node/node0/distance"), 0);
    CHECK_STR(s, "10 21");          /* trailing newline gone */
    free(s);
    CHECK_INT(mv_host_read(&s, "/sys/nonexistent"), -ENOENT);
}

static void test_real_host(void)
{
    mv_node_info ni;
    unsigned long long bytes;
    char *name = NULL;

    mv_hostinfo_set_root(NULL);
    CHECK_INT(mv_host_node_info(&ni), 0);
    CHECK(ni.cpus > 0 && ni.memory_kib > 0 && ni.nodes > 0);
    CHECK_INT(ni.nodes * ni.sockets * ni.cores * ni.threads >= ni.cpus, 1);
    CHECK_INT(mv_host_free_memory(&bytes), 0);
    CHECK(bytes > 0);
    CHECK_INT(mv_host_hostname(&name), 0);
    CHECK(name && name[0]);
    free(name);
}

int main(void)
{
    test_numa2_node_info();
    test_numa2_memory();
    test_numa2_topology();
    test_flat();
    test_read_helpers();
    test_real_host();
    mv_hostinfo_set_root(NULL);
    TEST_DONE();
}
