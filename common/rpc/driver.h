/*
 * What a daemon's drivers see of a client connection, and the driver
 * tables.  Dispatch (dispatch_*.c) turns a decoded call into one function
 * of a table; a driver never sees XDR, and dispatch never sees a driver's
 * insides.
 */
#ifndef MV_DRIVER_H
#define MV_DRIVER_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/hostinfo.h"

/* Who is calling: from SO_PEERCRED at accept, or handed over by a trusted
 * relay with CONNECT_SET_IDENTITY. */
typedef struct mv_identity {
    uid_t uid;
    gid_t gid;
    pid_t pid;
    unsigned long long process_time;
    char *user_name;
    char *group_name;
    char *sasl_user_name;
    char *x509_dname;
    char *selinux_context;
} mv_identity;

typedef struct mv_hypervisor_driver mv_hypervisor_driver;

typedef struct mv_conn {
    bool open;
    bool readonly;
    char *uri;
    mv_identity identity;
    const mv_hypervisor_driver *hypervisor;
} mv_conn;

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

struct mv_hypervisor_driver {
    const char *name;       /* what virConnectGetType reports, e.g. "QEMU" */
    const char *scheme;     /* URI scheme it serves, e.g. "qemu" */

    /* Check the path of the URI the client opened; the scheme matched. */
    int (*connect_open)(mv_conn *conn, const char *path);
    int (*connect_get_version)(mv_conn *conn, unsigned long long *ret);
    int (*connect_get_max_vcpus)(mv_conn *conn, const char *type, int *ret);
    int (*connect_get_capabilities)(mv_conn *conn, char **ret);
    int (*connect_get_sysinfo)(mv_conn *conn, unsigned flags, char **ret);
    int (*connect_get_hostname)(mv_conn *conn, char **ret);
    int (*node_get_info)(mv_conn *conn, mv_node_info *ret);
    int (*node_get_free_memory)(mv_conn *conn, unsigned long long *ret);
    int (*node_get_cells_free_memory)(mv_conn *conn, int start, int max,
                                      unsigned long long *cells, int *ret_n);
    /* Domains matching the virConnectListAllDomains flags; the caller
     * frees each name and the array. */
    int (*connect_list_all_domains)(mv_conn *conn, unsigned flags,
                                    mv_domain_ref **ret, size_t *ret_n);
    int (*connect_get_domain_capabilities)(mv_conn *conn, const char *emulator,
                                           const char *arch, const char *machine,
                                           const char *virttype, unsigned flags, char **ret);
    int (*connect_domain_xml_to_native)(mv_conn *conn, const char *format, const char *xml,
                                        unsigned flags, char **ret);
    int (*node_get_security_model)(mv_conn *conn, char **ret_model, char **ret_doi);

    /* Domains.  A domain named by a client is found by its uuid; the
     * name only makes the error readable.  ret refs are filled with an
     * allocated name. */
    int (*domain_lookup_by_name)(mv_conn *conn, const char *name, mv_domain_ref *ret);
    int (*domain_lookup_by_uuid)(mv_conn *conn, const unsigned char *uuid, mv_domain_ref *ret);
    int (*domain_lookup_by_id)(mv_conn *conn, int id, mv_domain_ref *ret);
    int (*domain_define_xml)(mv_conn *conn, const char *xml, unsigned flags, mv_domain_ref *ret);
    int (*domain_undefine)(mv_conn *conn, const mv_domain_ref *dom, unsigned flags);
    int (*domain_get_xml_desc)(mv_conn *conn, const mv_domain_ref *dom, unsigned flags,
                               char **ret);
    int (*domain_get_info)(mv_conn *conn, const mv_domain_ref *dom, mv_domain_info *ret);
    int (*domain_get_state)(mv_conn *conn, const mv_domain_ref *dom, unsigned flags,
                            int *ret_state, int *ret_reason);
    int (*domain_get_os_type)(mv_conn *conn, const mv_domain_ref *dom, char **ret);
    int (*domain_get_autostart)(mv_conn *conn, const mv_domain_ref *dom, int *ret);
    int (*domain_set_autostart)(mv_conn *conn, const mv_domain_ref *dom, int autostart);
    /* is_active, is_persistent, is_updated in one: the driver fills all */
    int (*domain_get_flags)(mv_conn *conn, const mv_domain_ref *dom, mv_domain_flags *ret);
    int (*domain_set_memory)(mv_conn *conn, const mv_domain_ref *dom, unsigned long long kib,
                             unsigned flags);
    int (*domain_set_vcpus)(mv_conn *conn, const mv_domain_ref *dom, unsigned n, unsigned flags);
    int (*domain_get_vcpus)(mv_conn *conn, const mv_domain_ref *dom, unsigned flags, int *ret);
    int (*domain_set_metadata)(mv_conn *conn, const mv_domain_ref *dom, int type,
                               const char *value, const char *key, const char *uri,
                               unsigned flags);
    int (*domain_get_metadata)(mv_conn *conn, const mv_domain_ref *dom, int type,
                               const char *uri, unsigned flags, char **ret);
    /* op: MV_DEVICE_ATTACH, MV_DEVICE_DETACH, MV_DEVICE_UPDATE */
    int (*domain_change_device)(mv_conn *conn, const mv_domain_ref *dom, int op,
                                const char *xml, unsigned flags);
    int (*domain_rename)(mv_conn *conn, const mv_domain_ref *dom, const char *new_name,
                         unsigned flags);
    int (*domain_managed_save_remove)(mv_conn *conn, const mv_domain_ref *dom, unsigned flags);
};

enum { MV_DEVICE_ATTACH, MV_DEVICE_DETACH, MV_DEVICE_UPDATE };

void mv_identity_clear(mv_identity *id);
void mv_domain_refs_free(mv_domain_ref *refs, size_t n);

#endif
