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
#include "qemu_command.h"
#include "qemu_domain_defaults.h"
#include "qemu_domcaps.h"
#include "qemu_driver.h"
#include "qemu_driver_priv.h"
#include "qemu_host.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/log.h"

qemu_driver_state qemu_driver;

int qemu_driver_init(const mv_daemon_env *env)
{
    _cleanup_free_ char *cache = NULL, *config = NULL, *journal = NULL;
    int r;

    qemu_driver.privileged = env->privileged;
    /* QEMU runs as the daemon's user until qemu.conf support sets one. */
    qemu_driver.qemu_uid = getuid();
    qemu_driver.qemu_gid = getgid();
    if (asprintf(&cache, "%s/qemu/capabilities", env->paths->cache_dir) < 0 ||
        asprintf(&config, "%s/qemu", env->paths->config_dir) < 0 ||
        asprintf(&qemu_driver.state_dir, "%s/qemu", env->paths->state_dir) < 0 ||
        asprintf(&journal, "%s/definitions.journal", qemu_driver.state_dir) < 0)
        return -ENOMEM;
    qemu_caps_set_cache_dir(cache);
    if (env->config->host_uuid)
        qemu_caps_set_host_uuid(env->config->host_uuid);
    r = qemu_domains_new(config, journal, &qemu_driver.doms);
    if (r < 0)
        return r;
    /* Definitions are read now: clients expect to see them at once.
     * Leniently, as libvirt loads existing configurations: without
     * asking QEMU, so start stays fast and a definition whose emulator or
     * machine type has gone is still listed. */
    return qemu_domains_load(qemu_driver.doms, qemu_domain_post_parse_lenient);
}

void qemu_driver_cleanup(void)
{
    qemu_domains_free(qemu_driver.doms);
    qemu_driver.doms = NULL;
    free(qemu_driver.state_dir);
    qemu_driver.state_dir = NULL;
}

int qemu_driver_command_line(mv_domain_def *def, char **ret)
{
    _cleanup_free_ char *dir = NULL, *monitor = NULL, *key = NULL, *chan = NULL;
    _cleanup_free_ char *env_str = NULL, *argv_str = NULL;
    char **argv = NULL, **env = NULL;
    int r;

    /* The paths a domain that is not running would get (id -1). */
    if (asprintf(&dir, "%s/domain--1-%s", qemu_driver.state_dir, def->name) < 0 ||
        asprintf(&monitor, "%s/monitor.sock", dir) < 0 ||
        asprintf(&key, "%s/master-key.aes", dir) < 0 ||
        asprintf(&chan, "%s/channel", qemu_driver.state_dir) < 0)
        return -ENOMEM;
    qemu_command_opts opts = {
        .monitor_path = monitor,
        .monitor_fd = -1,
        .master_key_path = key,
        .channel_dir = chan,
        .start_paused = true,
        .placeholder_fds = true,
    };
    r = qemu_command_assign_aliases(def);
    if (r >= 0)
        r = qemu_command_build(def, &opts, &argv);
    if (r >= 0)
        r = qemu_command_build_env(dir, &env);
    if (r >= 0)
        r = qemu_command_to_string(env, &env_str);
    if (r >= 0)
        r = qemu_command_to_string(argv, &argv_str);
    if (r >= 0 && asprintf(ret, "%s %s", env_str, argv_str) < 0)
        r = -ENOMEM;
    qemu_command_free(argv);
    qemu_command_free(env);
    return r;
}

static bool is_privileged(void)
{
    return qemu_driver.privileged;
}

static int qemu_connect_open(const mv_session *sess, const char *path)
{
    if (is_privileged()) {
        if (strcmp(path, "/system") != 0 && strcmp(path, "/session") != 0)
            return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                                   "unexpected qemu URI path '%s', try qemu:///system", path);
    } else if (strcmp(path, "/session") != 0) {
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                               "unexpected qemu URI path '%s', try qemu:///session", path);
    }
    return 0;
}

static int qemu_connect_get_version(const mv_session *sess, unsigned long long *ret)
{
    return qemu_caps_version(ret);
}

static int qemu_connect_get_max_vcpus(const mv_session *sess, const char *type, int *ret)
{
    return qemu_caps_max_vcpus(type, ret);
}

static int qemu_connect_get_capabilities(const mv_session *sess, char **ret)
{
    return qemu_caps_capabilities_xml(qemu_driver.qemu_uid, qemu_driver.qemu_gid, ret);
}

static int qemu_connect_get_sysinfo(const mv_session *sess, unsigned flags, char **ret)
{
    if (flags)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                               "unsupported flags (0x%x) in function virConnectGetSysinfo", flags);
    return mv_sysinfo_format_host(ret);
}

static int qemu_connect_get_hostname(const mv_session *sess, char **ret)
{
    return mv_host_hostname(ret);
}

static int qemu_node_get_info(const mv_session *sess, mv_node_info *ret)
{
    return mv_host_node_info(ret);
}

static int qemu_node_get_free_memory(const mv_session *sess, unsigned long long *ret)
{
    return mv_host_free_memory(ret);
}

static int qemu_node_get_cells_free_memory(const mv_session *sess, int start, int max,
                                           unsigned long long *cells, int *ret_n)
{
    return mv_host_cells_free_memory(start, max, cells, ret_n);
}

static int qemu_connect_get_domain_capabilities(const mv_session *sess, const char *emulator,
                                                const char *arch, const char *machine,
                                                const char *virttype, unsigned flags, char **ret)
{
    return qemu_domcaps_xml(emulator, arch, machine, virttype, flags, ret);
}

static int qemu_node_get_security_model(const mv_session *sess, char **ret_model, char **ret_doi)
{
    /* No security driver labels QEMU yet: libvirt's answer for that. */
    _cleanup_free_ char *model = strdup("none"), *doi = strdup("0");

    if (!model || !doi)
        return -ENOMEM;
    *ret_model = TAKE_PTR(model);
    *ret_doi = TAKE_PTR(doi);
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
    .connect_get_domain_capabilities = qemu_connect_get_domain_capabilities,
    .connect_domain_xml_to_native = qemu_connect_domain_xml_to_native,
    .node_get_security_model = qemu_node_get_security_model,
    /* host statistics and CPU models: qemu_host.c */
    .node_get_cpu_stats = qemu_node_get_cpu_stats,
    .node_get_memory_stats = qemu_node_get_memory_stats,
    .node_get_cpu_map = qemu_node_get_cpu_map,
    .node_get_memory_parameters = qemu_node_get_memory_parameters,
    .node_get_free_pages = qemu_node_get_free_pages,
    .connect_get_cpu_model_names = qemu_connect_get_cpu_model_names,
    .connect_compare_cpu = qemu_connect_compare_cpu,
    .connect_baseline_cpu = qemu_connect_baseline_cpu,
    .connect_compare_hypervisor_cpu = qemu_connect_compare_hypervisor_cpu,
    .connect_baseline_hypervisor_cpu = qemu_connect_baseline_hypervisor_cpu,
    .domain_lookup_by_name = qemu_domain_lookup_by_name,
    .domain_lookup_by_uuid = qemu_domain_lookup_by_uuid,
    .domain_lookup_by_id = qemu_domain_lookup_by_id,
    .domain_define_xml = qemu_domain_define_xml,
    .domain_undefine = qemu_domain_undefine,
    .domain_get_xml_desc = qemu_domain_get_xml_desc,
    .domain_get_info = qemu_domain_get_info,
    .domain_get_state = qemu_domain_get_state,
    .domain_get_os_type = qemu_domain_get_os_type,
    .domain_get_autostart = qemu_domain_get_autostart,
    .domain_set_autostart = qemu_domain_set_autostart,
    .domain_get_flags = qemu_domain_get_flags,
    .domain_set_memory = qemu_domain_set_memory,
    .domain_set_vcpus = qemu_domain_set_vcpus,
    .domain_get_vcpus = qemu_domain_get_vcpus,
    .domain_set_metadata = qemu_domain_set_metadata,
    .domain_get_metadata = qemu_domain_get_metadata,
    .domain_change_device = qemu_domain_change_device,
    .domain_rename = qemu_domain_rename,
    .domain_managed_save_remove = qemu_domain_managed_save_remove,
};
