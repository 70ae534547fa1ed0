/*
 * The QEMU hypervisor driver table: connection-level calls.  Host facts
 * come from common/util/hostinfo.c, everything about the QEMU binaries from
 * qemu_capabilities.c (probed on first use, never at start).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/sysinfo_conf.h"
#include "qemu_capabilities.h"
#include "qemu_driver.h"
#include "util/cleanup.h"
#include "util/error.h"

static struct {
    bool privileged;
    unsigned qemu_uid;
    unsigned qemu_gid;
} driver;

int qemu_driver_init(const mv_daemon_env *env)
{
    _cleanup_free_ char *cache = NULL;

    driver.privileged = env->privileged;
    /* QEMU runs as the daemon's user until qemu.conf support sets one. */
    driver.qemu_uid = getuid();
    driver.qemu_gid = getgid();
    if (asprintf(&cache, "%s/qemu/capabilities", env->paths->cache_dir) < 0)
        return -ENOMEM;
    qemu_caps_set_cache_dir(cache);
    return 0;
}

void qemu_driver_cleanup(void)
{
}

static int qemu_connect_open(mv_conn *conn, const char *path)
{
    if (driver.privileged) {
        if (strcmp(path, "/system") != 0 && strcmp(path, "/session") != 0)
            return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                                   "unexpected QEMU URI path '%s', try qemu:///system", path);
    } else if (strcmp(path, "/session") != 0) {
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                               "unexpected QEMU URI path '%s', try qemu:///session", path);
    }
    return 0;
}

static int qemu_connect_get_version(mv_conn *conn, unsigned long long *ret)
{
    return qemu_caps_version(ret);
}

static int qemu_connect_get_max_vcpus(mv_conn *conn, const char *type, int *ret)
{
    return qemu_caps_max_vcpus(type, ret);
}

static int qemu_connect_get_capabilities(mv_conn *conn, char **ret)
{
    return qemu_caps_capabilities_xml(driver.qemu_uid, driver.qemu_gid, ret);
}

static int qemu_connect_get_sysinfo(mv_conn *conn, unsigned flags, char **ret)
{
    if (flags)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "unsupported flags (0x%x) in function virConnectGetSysinfo", flags);
    return mv_sysinfo_format_host(ret);
}

static int qemu_connect_get_hostname(mv_conn *conn, char **ret)
{
    return mv_host_hostname(ret);
}

static int qemu_node_get_info(mv_conn *conn, mv_node_info *ret)
{
    return mv_host_node_info(ret);
}

static int qemu_node_get_free_memory(mv_conn *conn, unsigned long long *ret)
{
    return mv_host_free_memory(ret);
}

static int qemu_node_get_cells_free_memory(mv_conn *conn, int start, int max,
                                           unsigned long long *cells, int *ret_n)
{
    return mv_host_cells_free_memory(start, max, cells, ret_n);
}

static int qemu_connect_list_all_domains(mv_conn *conn, unsigned flags,
                                         mv_domain_ref **ret, size_t *ret_n)
{
    /* Domain definitions arrive with the domain model (conf/domain_conf);
     * until then this host has none to list. */
    *ret = NULL;
    *ret_n = 0;
    return 0;
}

const mv_hypervisor_driver qemu_hypervisor_driver = {
    .name = "QEMU",
    .scheme = "qemu",
    .connect_open = qemu_connect_open,
    .connect_get_version = qemu_connect_get_version,
    .connect_get_max_vcpus = qemu_connect_get_max_vcpus,
    .connect_get_capabilities = qemu_connect_get_capabilities,
    .connect_get_sysinfo = qemu_connect_get_sysinfo,
    .connect_get_hostname = qemu_connect_get_hostname,
    .node_get_info = qemu_node_get_info,
    .node_get_free_memory = qemu_node_get_free_memory,
    .node_get_cells_free_memory = qemu_node_get_cells_free_memory,
    .connect_list_all_domains = qemu_connect_list_all_domains,
};
