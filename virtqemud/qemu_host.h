/*
 * The QEMU driver's calls about the host (qemu_host.c): node statistics,
 * CPU models, CPU comparison and baseline.  Entries of the driver table.
 */
#ifndef QEMU_HOST_H
#define QEMU_HOST_H

#include "driver/hypervisor.h"

int qemu_node_get_cpu_stats(const mv_session *sess, int cpu, unsigned flags, mv_host_stat *ret, int *ret_n);
int qemu_node_get_memory_stats(const mv_session *sess, int cell, unsigned flags, mv_host_stat *ret, int *ret_n);
int qemu_node_get_cpu_map(const mv_session *sess, unsigned flags, unsigned char **ret_map, unsigned *ret_online, int *ret_ncpus);
int qemu_node_get_memory_parameters(const mv_session *sess, unsigned flags, mv_host_param *ret, int *ret_n);
int qemu_node_get_free_pages(const mv_session *sess, const unsigned *pages, size_t npages, int start, unsigned count, unsigned flags, unsigned long long *ret_counts, size_t *ret_n);
int qemu_connect_get_cpu_model_names(const mv_session *sess, const char *arch, unsigned flags, char ***ret, size_t *ret_n);
int qemu_connect_compare_cpu(const mv_session *sess, const char *xml, unsigned flags, int *ret);
int qemu_connect_baseline_cpu(const mv_session *sess, const char *const *xmls, size_t n, unsigned flags, char **ret);
int qemu_connect_compare_hypervisor_cpu(const mv_session *sess, const char *emulator, const char *arch, const char *machine, const char *virttype, const char *xml, unsigned flags, int *ret);
int qemu_connect_baseline_hypervisor_cpu(const mv_session *sess, const char *emulator, const char *arch, const char *machine, const char *virttype, const char *const *xmls, size_t n, unsigned flags, char **ret);

#endif
