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
};

void mv_identity_clear(mv_identity *id);
void mv_domain_refs_free(mv_domain_ref *refs, size_t n);

#endif
