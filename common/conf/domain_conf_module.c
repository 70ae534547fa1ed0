/* The entry point of mv-domain-conf.so (see domain_conf_module.h). */
#include "config.h"
#include "conf/domain_conf_module.h"

const mv_domain_conf_ops mv_domain_conf_module = {
    .size = sizeof(mv_domain_conf_ops),
    .version = MODVIRT_VERSION,

    .def_parse = mv_domain_def_parse,
    .def_format = mv_domain_def_format,
    .def_free = mv_domain_def_free,
    .def_copy = mv_domain_def_copy,
    .def_set_metadata = mv_domain_def_set_metadata,
    .def_get_metadata = mv_domain_def_get_metadata,
    .def_has_opaque = mv_domain_def_has_opaque,
    .device_parse = mv_domain_device_parse,
    .device_format = mv_domain_device_format,
    .def_attach_device = mv_domain_def_attach_device,
    .def_detach_device = mv_domain_def_detach_device,
    .def_update_device = mv_domain_def_update_device,
    .device_free = mv_domain_device_free,
    .def_find_disk = mv_domain_def_find_disk,
    .def_find_controller = mv_domain_def_find_controller,
    .def_generate_mac = mv_domain_def_generate_mac,

    .disk_type_str = mv_disk_type_str,
    .disk_device_str = mv_disk_device_str,
    .disk_bus_str = mv_disk_bus_str,
    .controller_type_str = mv_controller_type_str,
    .net_type_str = mv_net_type_str,
    .chr_device_str = mv_chr_device_str,
    .chr_type_str = mv_chr_type_str,
    .input_type_str = mv_input_type_str,
    .input_bus_str = mv_input_bus_str,
    .graphics_type_str = mv_graphics_type_str,
    .hostdev_type_str = mv_hostdev_type_str,
    .cpu_mode_str = mv_cpu_mode_str,
    .feature_str = mv_feature_str,
    .hyperv_feature_str = mv_hyperv_feature_str,
};
