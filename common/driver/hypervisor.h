/*
 * The hypervisor driver table (virtqemud, virtxend): connection-level
 * facts of the host, and domains.  The remote program's hypervisor
 * handlers (common/remote/remote_hypervisor.c, remote_domain.c) turn a
 * decoded call into one function of this table; a driver never sees XDR.
 */
#ifndef MV_DRIVER_HYPERVISOR_H
#define MV_DRIVER_HYPERVISOR_H

#include <stdbool.h>
#include <stddef.h>

#include "driver/session.h"
#include "util/hostinfo.h"
#include "util/hoststats.h"

typedef struct mv_domain_ref {
    char *name;
    unsigned char uuid[16];
    int id;                 /* -1 when inactive */
} mv_domain_ref;

typedef struct mv_domain_info {
    int state;              /* virDomainState */
    unsigned long long max_mem_kib;
    unsigned long long memory_kib;
    unsigned nr_vcpus;
    unsigned long long cpu_time_ns;
} mv_domain_info;

typedef struct mv_domain_flags {
    bool active;
    bool persistent;
    bool updated;           /* live config differs from persistent */
    bool autostart;
    bool managed_save;
    int snapshots;
} mv_domain_flags;

typedef struct mv_hypervisor_driver {
    const char *name;       /* what virConnectGetType reports, e.g. "QEMU" */
    const char *scheme;     /* URI scheme it serves, e.g. "qemu" */

    /* Check the path of the URI the client opens; the scheme matched.
     * sess is the session as it was before the open. */
    int (*connect_open)(const mv_session *sess, const char *path);
    int (*connect_get_version)(const mv_session *sess, unsigned long long *ret);
    int (*connect_get_max_vcpus)(const mv_session *sess, const char *type, int *ret);
    int (*connect_get_capabilities)(const mv_session *sess, char **ret);
    int (*connect_get_sysinfo)(const mv_session *sess, unsigned flags, char **ret);
    int (*connect_get_hostname)(const mv_session *sess, char **ret);
    int (*node_get_info)(const mv_session *sess, mv_node_info *ret);
    int (*node_get_free_memory)(const mv_session *sess, unsigned long long *ret);
    int (*node_get_cells_free_memory)(const mv_session *sess, int start, int max,
                                      unsigned long long *cells, int *ret_n);
    /* Domains matching the virConnectListAllDomains flags; the caller
     * frees each name and the array. */
    int (*connect_list_all_domains)(const mv_session *sess, unsigned flags,
                                    mv_domain_ref **ret, size_t *ret_n);
    int (*connect_get_domain_capabilities)(const mv_session *sess, const char *emulator,
                                           const char *arch, const char *machine,
                                           const char *virttype, unsigned flags, char **ret);
    int (*connect_domain_xml_to_native)(const mv_session *sess, const char *format, const char *xml,
                                        unsigned flags, char **ret);
    int (*node_get_security_model)(const mv_session *sess, char **ret_model, char **ret_doi);

    /* Domains.  A domain named by a client is found by its uuid; the
     * name only makes the error readable.  ret refs are filled with an
     * allocated name. */
    int (*domain_lookup_by_name)(const mv_session *sess, const char *name, mv_domain_ref *ret);
    int (*domain_lookup_by_uuid)(const mv_session *sess, const unsigned char *uuid, mv_domain_ref *ret);
    int (*domain_lookup_by_id)(const mv_session *sess, int id, mv_domain_ref *ret);
    int (*domain_define_xml)(const mv_session *sess, const char *xml, unsigned flags, mv_domain_ref *ret);
    int (*domain_undefine)(const mv_session *sess, const mv_domain_ref *dom, unsigned flags);
    int (*domain_get_xml_desc)(const mv_session *sess, const mv_domain_ref *dom, unsigned flags,
                               char **ret);
    int (*domain_get_info)(const mv_session *sess, const mv_domain_ref *dom, mv_domain_info *ret);
    int (*domain_get_state)(const mv_session *sess, const mv_domain_ref *dom, unsigned flags,
                            int *ret_state, int *ret_reason);
    int (*domain_get_os_type)(const mv_session *sess, const mv_domain_ref *dom, char **ret);
    int (*domain_get_autostart)(const mv_session *sess, const mv_domain_ref *dom, int *ret);
    int (*domain_set_autostart)(const mv_session *sess, const mv_domain_ref *dom, int autostart);
    /* is_active, is_persistent, is_updated in one: the driver fills all */
    int (*domain_get_flags)(const mv_session *sess, const mv_domain_ref *dom, mv_domain_flags *ret);
    int (*domain_set_memory)(const mv_session *sess, const mv_domain_ref *dom, unsigned long long kib,
                             unsigned flags);
    int (*domain_set_vcpus)(const mv_session *sess, const mv_domain_ref *dom, unsigned n, unsigned flags);
    int (*domain_get_vcpus)(const mv_session *sess, const mv_domain_ref *dom, unsigned flags, int *ret);
    int (*domain_set_metadata)(const mv_session *sess, const mv_domain_ref *dom, int type,
                               const char *value, const char *key, const char *uri,
                               unsigned flags);
    int (*domain_get_metadata)(const mv_session *sess, const mv_domain_ref *dom, int type,
                               const char *uri, unsigned flags, char **ret);
    /* op: MV_DEVICE_ATTACH, MV_DEVICE_DETACH, MV_DEVICE_UPDATE */
    int (*domain_change_device)(const mv_session *sess, const mv_domain_ref *dom, int op,
                                const char *xml, unsigned flags);
    int (*domain_rename)(const mv_session *sess, const mv_domain_ref *dom, const char *new_name,
                         unsigned flags);
    int (*domain_managed_save_remove)(const mv_session *sess, const mv_domain_ref *dom,
                                      unsigned flags);

    /* ---- host statistics and CPU models (virtqemud: qemu_host.c) ---- */
    /* cpu or cell -1: the whole host.  ret has MV_HOST_STATS_MAX entries;
     * for CPU statistics ret NULL asks only how many (the CPU number is
     * then not checked, as libvirt). */
    int (*node_get_cpu_stats)(const mv_session *sess, int cpu, unsigned flags,
                              mv_host_stat *ret, int *ret_n);
    int (*node_get_memory_stats)(const mv_session *sess, int cell, unsigned flags,
                                 mv_host_stat *ret, int *ret_n);
    /* ret_map: malloc'd bitmap of the online CPUs, ret_ncpus bits long */
    int (*node_get_cpu_map)(const mv_session *sess, unsigned flags, unsigned char **ret_map,
                            unsigned *ret_online, int *ret_ncpus);
    int (*node_get_memory_parameters)(const mv_session *sess, unsigned flags,
                                      mv_host_param *ret, int *ret_n);
    int (*node_get_free_pages)(const mv_session *sess, const unsigned *pages, size_t npages,
                               int start, unsigned count, unsigned flags,
                               unsigned long long *ret_counts, size_t *ret_n);
    /* The caller frees each name and the array. */
    int (*connect_get_cpu_model_names)(const mv_session *sess, const char *arch, unsigned flags,
                                       char ***ret, size_t *ret_n);
    /* ret: virCPUCompareResult */
    int (*connect_compare_cpu)(const mv_session *sess, const char *xml, unsigned flags, int *ret);
    int (*connect_baseline_cpu)(const mv_session *sess, const char *const *xmls, size_t n,
                                unsigned flags, char **ret);
    int (*connect_compare_hypervisor_cpu)(const mv_session *sess, const char *emulator,
                                          const char *arch, const char *machine,
                                          const char *virttype, const char *xml, unsigned flags,
                                          int *ret);
    int (*connect_baseline_hypervisor_cpu)(const mv_session *sess, const char *emulator,
                                           const char *arch, const char *machine,
                                           const char *virttype, const char *const *xmls,
                                           size_t n, unsigned flags, char **ret);
} mv_hypervisor_driver;

enum { MV_DEVICE_ATTACH, MV_DEVICE_DETACH, MV_DEVICE_UPDATE };

void mv_domain_refs_free(mv_domain_ref *refs, size_t n);

/* Domain lifecycle events (virDomainEventType and its details), from any
 * thread: delivered to the clients that registered for them.  Implemented
 * in common/remote/events.c. */
enum {
    MV_DOMAIN_EVENT_DEFINED = 0,
    MV_DOMAIN_EVENT_UNDEFINED = 1,
};
enum {
    MV_DOMAIN_EVENT_DEFINED_ADDED = 0,
    MV_DOMAIN_EVENT_DEFINED_UPDATED = 1,
    MV_DOMAIN_EVENT_DEFINED_RENAMED = 2,
};
enum {
    MV_DOMAIN_EVENT_UNDEFINED_REMOVED = 0,
    MV_DOMAIN_EVENT_UNDEFINED_RENAMED = 1,
};
void mv_domain_event_lifecycle(const mv_domain_ref *dom, int event, int detail);

/* The other domain events a hypervisor raises, with libvirt's arguments
 * (virDomainEventID callbacks); the same rules as above.  io_error raises
 * both IO_ERROR and IO_ERROR_REASON, block_job both BLOCK_JOB (by file)
 * and BLOCK_JOB_2 (by disk target), pm PMSUSPEND or PMWAKEUP, device
 * DEVICE_ADDED or DEVICE_REMOVED. */
void mv_domain_event_reboot(const mv_domain_ref *dom);
void mv_domain_event_control_error(const mv_domain_ref *dom);
void mv_domain_event_rtc_change(const mv_domain_ref *dom, long long offset);
void mv_domain_event_watchdog(const mv_domain_ref *dom, int action);
void mv_domain_event_io_error(const mv_domain_ref *dom, const char *src_path,
                              const char *dev_alias, int action, const char *reason);
void mv_domain_event_block_job(const mv_domain_ref *dom, const char *path, const char *target,
                               int type, int status);
void mv_domain_event_tray_change(const mv_domain_ref *dom, const char *dev_alias, int reason);
void mv_domain_event_pm(const mv_domain_ref *dom, bool suspended);
void mv_domain_event_balloon_change(const mv_domain_ref *dom, unsigned long long actual_kib);
void mv_domain_event_device(const mv_domain_ref *dom, const char *dev_alias, bool added);

#endif
