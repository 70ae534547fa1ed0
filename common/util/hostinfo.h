/*
 * Facts about the host, read from /proc and /sys, as the node-info,
 * free-memory and capabilities calls report them.  The numbers follow the
 * rules libvirt's clients are used to (see each function), so that
 * `virsh nodeinfo` prints the same on modvirt as on libvirtd.
 *
 * All functions are thread-safe, except mv_hostinfo_set_root(), which
 * tests call before anything else.
 */
#ifndef MV_HOSTINFO_H
#define MV_HOSTINFO_H

#include <stdbool.h>
#include <stddef.h>

/* Read /proc and /sys under root instead (a fake host for tests); NULL or
 * "" restores the real ones.  With a root set, facts that cannot come from
 * files (CPUID, /dev/kvm) are left out rather than mixed in from the real
 * machine. */
void mv_hostinfo_set_root(const char *root);

/* path ("/sys/...") under the current root; malloc'd, NULL when out of
 * memory. */
char *mv_hostinfo_path(const char *path);

/* Read a file under the root, trailing whitespace removed; -ENOENT when
 * it does not exist.  For probes of host facts outside this file. */
int mv_host_read(char **ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read a CPU list file ("0-3,8-11") and return it in libvirt's cpuset
 * syntax, the one capabilities prints. */
int mv_host_read_cpulist(char **ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The host architecture in libvirt's naming (uname machine, with i386..i686
 * folded into "i686"). */
const char *mv_host_arch(void) __attribute__((returns_nonnull));

typedef struct mv_node_info {
    char model[32];                 /* mv_host_arch() */
    unsigned long long memory_kib;  /* sum of the NUMA cells, else MemTotal */
    int cpus;                       /* online CPUs */
    int mhz;
    int nodes;
    int sockets;                    /* per node */
    int cores;                      /* per socket */
    int threads;                    /* per core */
} mv_node_info;

/* What virNodeGetInfo returns.  When nodes * sockets * cores * threads does
 * not add up to the CPUs present, the topology is reported flat (1 node,
 * 1 socket, one core per CPU, 1 thread) as libvirt does; the capabilities
 * document has the real one. */
int mv_host_node_info(mv_node_info *ret);

/* Free memory in bytes: the cells' MemFree summed, else /proc/meminfo. */
int mv_host_free_memory(unsigned long long *ret_bytes);

/* Free bytes of cells start .. start+max-1 (fewer if the host has fewer);
 * ret_cells holds max entries.  Hosts without NUMA sysfs have one cell.  A
 * start past the last cell is an error (recorded with mv_error_report). */
int mv_host_cells_free_memory(int start, int max, unsigned long long *ret_cells, int *ret_n);

/* The host name, fully qualified when the resolver knows it; malloc'd. */
int mv_host_hostname(char **ret);

/* Page sizes the host offers, in KiB, ascending: the base page, then each
 * hugepage size in /sys/kernel/mm/hugepages. */
#define MV_HOST_MAX_PAGE_SIZES 8
typedef struct mv_host_pages {
    size_t n;
    unsigned int size_kib[MV_HOST_MAX_PAGE_SIZES];
} mv_host_pages;
int mv_host_page_sizes(mv_host_pages *ret);

typedef struct mv_host_numa_cpu {
    unsigned int id;
    bool online;            /* the topology fields are valid only if set */
    unsigned int socket_id;
    unsigned int die_id;
    unsigned int core_id;
    char *siblings;         /* "0-1,8": thread siblings, libvirt cpuset syntax */
} mv_host_numa_cpu;

typedef struct mv_host_numa_cell {
    unsigned int id;
    unsigned long long memory_kib;
    size_t npages;                                  /* parallel to the sizes */
    unsigned int page_size_kib[MV_HOST_MAX_PAGE_SIZES];
    unsigned long long page_count[MV_HOST_MAX_PAGE_SIZES];
    size_t ndistances;
    unsigned int *distance_id;                      /* sibling cell ids */
    unsigned int *distance;
    size_t ncpus;
    mv_host_numa_cpu *cpus;
} mv_host_numa_cell;

typedef struct mv_host_numa_info {
    size_t ncells;
    mv_host_numa_cell *cells;
} mv_host_numa_info;

/* The host's NUMA cells with memory, page counts, distances and CPUs.
 * Hosts without NUMA sysfs get one cell 0 holding everything.  Free with
 * mv_host_numa_clear() (also safe on a zeroed struct). */
int mv_host_numa(mv_host_numa_info *ret);
void mv_host_numa_clear(mv_host_numa_info *info);

/* Raw CPUID registers (eax, ebx, ecx, edx) of leaf/subleaf on x86 hosts;
 * -ENOTSUP elsewhere or with a fake root; -ENOENT for a leaf past the
 * CPU's maximum. */
int mv_host_cpuid(unsigned int leaf, unsigned int subleaf, unsigned int ret_regs[4]);

/* 1 when /dev/kvm opens read-write and speaks KVM API version 12, else 0. */
int mv_host_kvm_usable(void);

/* Most vCPUs KVM gives one guest (KVM_CAP_MAX_VCPUS, else KVM_CAP_NR_VCPUS,
 * else 4).  Failure to open /dev/kvm is recorded with mv_error_report. */
int mv_host_kvm_max_vcpus(int *ret);

/* TSC frequency as KVM sees it, and whether KVM can scale it for guests;
 * -ENOTSUP without KVM or with a fake root. */
int mv_host_kvm_tsc(unsigned long long *ret_hz, bool *ret_scaling);

#endif
