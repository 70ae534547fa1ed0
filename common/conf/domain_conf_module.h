/*
 * The domain document as a loadable module.
 *
 * The domain_conf*.c files are built twice: into libmv_domain_conf.a,
 * which the unit tests and fuzzers link, and into the module
 * mv-domain-conf.so, the only object of a daemon that links libxml2.
 * Daemons link domain_conf_lazy.c instead: the same API, each call
 * forwarded to the module, which is loaded at the first call.  libxml2
 * maps ICU and the C++ runtime with it (over 2 MiB resident), and a
 * daemon without domain definitions never needs any of it.
 *
 * This table is the module's only exported symbol.  The module reports
 * errors with the daemon's mv_error_report() and mv_error_report_raw(),
 * which the daemon exports for it.
 */
#ifndef MV_DOMAIN_CONF_MODULE_H
#define MV_DOMAIN_CONF_MODULE_H

#include "conf/domain_conf.h"

/* Looked for in the daemon's library search path, where its RUNPATH puts
 * the build tree or, once installed, the module directory. */
#define MV_DOMAIN_CONF_MODULE "mv-domain-conf.so"
#define MV_DOMAIN_CONF_SYMBOL "mv_domain_conf_module"

typedef struct mv_domain_conf_ops {
    /* A module from another build is refused: the daemon and the module
     * share struct layouts. */
    size_t size;
    const char *version;

    int (*def_parse)(const char *xml, unsigned flags, mv_domain_def **ret);
    int (*def_format)(const mv_domain_def *def, unsigned flags, int id, char **ret_xml);
    void (*def_free)(mv_domain_def *def);
    int (*def_copy)(const mv_domain_def *def, mv_domain_def **ret);
    int (*def_set_metadata)(mv_domain_def *def, int type, const char *value, const char *key,
                            const char *uri);
    int (*def_get_metadata)(const mv_domain_def *def, int type, const char *uri, char **ret);
    bool (*def_has_opaque)(const mv_domain_def *def);
    int (*device_parse)(const mv_domain_def *def, const char *xml, unsigned flags,
                        mv_domain_device **ret);
    int (*device_format)(const mv_domain_device *dev, unsigned flags, char **ret_xml);
    int (*def_attach_device)(mv_domain_def *def, mv_domain_device *dev);
    int (*def_detach_device)(mv_domain_def *def, const mv_domain_device *dev);
    int (*def_update_device)(mv_domain_def *def, const mv_domain_device *dev);
    void (*device_free)(mv_domain_device *dev);
    mv_domain_disk *(*def_find_disk)(const mv_domain_def *def, const char *dev);
    mv_domain_controller *(*def_find_controller)(const mv_domain_def *def,
                                                 mv_controller_type type, int index);
    void (*def_generate_mac)(const mv_domain_def *def, unsigned char mac[MV_DOMAIN_MAC_LEN]);

    const char *(*disk_type_str)(mv_disk_type v);
    const char *(*disk_device_str)(mv_disk_device v);
    const char *(*disk_bus_str)(mv_disk_bus v);
    const char *(*controller_type_str)(mv_controller_type v);
    const char *(*net_type_str)(mv_net_type v);
    const char *(*chr_device_str)(mv_chr_device v);
    const char *(*chr_type_str)(mv_chr_type v);
    const char *(*input_type_str)(mv_input_type v);
    const char *(*input_bus_str)(mv_input_bus v);
    const char *(*graphics_type_str)(mv_graphics_type v);
    const char *(*hostdev_type_str)(mv_hostdev_type v);
    const char *(*cpu_mode_str)(mv_cpu_mode v);
    const char *(*feature_str)(mv_feature v);
    const char *(*hyperv_feature_str)(mv_hyperv_feature v);
} mv_domain_conf_ops;

#endif
