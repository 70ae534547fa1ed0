/*
 * The domain document's API for the daemons: every call goes to the module
 * mv-domain-conf.so, loaded at the first call (see domain_conf_module.h
 * for why).  It is never unloaded.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conf/domain_conf_module.h"
#include "util/error.h"
#include "util/log.h"

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const mv_domain_conf_ops *module;
static char load_error[512];

/* The module from the first directory of the daemon's library search path
 * (LD_LIBRARY_PATH, its RUNPATH: the build tree or the installed module
 * directory, the system directories) that holds it.  Not dlopen() by
 * name: a sanitizer runtime intercepts dlopen and calls the real one from
 * its own library, and the search then uses that library's RUNPATH. */
static void *open_module(void)
{
    void *self = dlopen(NULL, RTLD_NOW);
    Dl_serinfo size, *paths = NULL;
    void *h = NULL;

    snprintf(load_error, sizeof(load_error), "%s not found", MV_DOMAIN_CONF_MODULE);
    if (self && dlinfo(self, RTLD_DI_SERINFOSIZE, &size) == 0)
        paths = malloc(size.dls_size);
    if (paths) {
        *paths = size;
        if (dlinfo(self, RTLD_DI_SERINFO, paths) < 0)
            paths->dls_cnt = 0;
    }
    for (unsigned i = 0; paths && i < paths->dls_cnt; i++) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", paths->dls_serpath[i].dls_name,
                 MV_DOMAIN_CONF_MODULE);
        if (access(path, F_OK) < 0)
            continue;
        h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h)
            snprintf(load_error, sizeof(load_error), "%s", dlerror());
        break;
    }
    free(paths);
    if (self)
        dlclose(self);
    return h;
}

static void load(void)
{
    const mv_domain_conf_ops *m;
    void *h = open_module();

    if (!h)
        return;
    m = dlsym(h, MV_DOMAIN_CONF_SYMBOL);
    if (!m || m->size != sizeof(*m) || strcmp(m->version, MODVIRT_VERSION) != 0) {
        snprintf(load_error, sizeof(load_error), "%s is not from modvirt %s",
                 MV_DOMAIN_CONF_MODULE, MODVIRT_VERSION);
        dlclose(h);
        return;
    }
    log_debug("loaded %s", MV_DOMAIN_CONF_MODULE);
    module = m;
}

/* The module, or NULL with the error recorded. */
static const mv_domain_conf_ops *ops(void)
{
    pthread_once(&load_once, load);
    if (!module)
        mv_error_report(0, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                        "cannot load the domain XML module: %s", load_error);
    return module;
}

/* For calls that take an object only the module makes: it is loaded. */
static const mv_domain_conf_ops *loaded(void)
{
    const mv_domain_conf_ops *m = ops();

    if (!m)
        abort();
    return m;
}

int mv_domain_def_parse(const char *xml, unsigned flags, mv_domain_def **ret)
{
    const mv_domain_conf_ops *m = ops();

    return m ? m->def_parse(xml, flags, ret) : -ELIBACC;
}

int mv_domain_def_format(const mv_domain_def *def, unsigned flags, int id, char **ret_xml)
{
    return loaded()->def_format(def, flags, id, ret_xml);
}

void mv_domain_def_free(mv_domain_def *def)
{
    if (def)
        loaded()->def_free(def);
}

int mv_domain_def_copy(const mv_domain_def *def, mv_domain_def **ret)
{
    return loaded()->def_copy(def, ret);
}

int mv_domain_def_set_metadata(mv_domain_def *def, int type, const char *value,
                               const char *key, const char *uri)
{
    return loaded()->def_set_metadata(def, type, value, key, uri);
}

int mv_domain_def_get_metadata(const mv_domain_def *def, int type, const char *uri, char **ret)
{
    return loaded()->def_get_metadata(def, type, uri, ret);
}

bool mv_domain_def_has_opaque(const mv_domain_def *def)
{
    return loaded()->def_has_opaque(def);
}

int mv_domain_device_parse(const mv_domain_def *def, const char *xml, unsigned flags,
                           mv_domain_device **ret)
{
    const mv_domain_conf_ops *m = ops();

    return m ? m->device_parse(def, xml, flags, ret) : -ELIBACC;
}

int mv_domain_device_format(const mv_domain_device *dev, unsigned flags, char **ret_xml)
{
    return loaded()->device_format(dev, flags, ret_xml);
}

int mv_domain_def_attach_device(mv_domain_def *def, mv_domain_device *dev)
{
    return loaded()->def_attach_device(def, dev);
}

int mv_domain_def_detach_device(mv_domain_def *def, const mv_domain_device *dev)
{
    return loaded()->def_detach_device(def, dev);
}

int mv_domain_def_update_device(mv_domain_def *def, const mv_domain_device *dev)
{
    return loaded()->def_update_device(def, dev);
}

void mv_domain_device_free(mv_domain_device *dev)
{
    if (dev)
        loaded()->device_free(dev);
}

mv_domain_disk *mv_domain_def_find_disk(const mv_domain_def *def, const char *dev)
{
    return loaded()->def_find_disk(def, dev);
}

mv_domain_controller *mv_domain_def_find_controller(const mv_domain_def *def,
                                                    mv_controller_type type, int index)
{
    return loaded()->def_find_controller(def, type, index);
}

void mv_domain_def_generate_mac(const mv_domain_def *def, unsigned char mac[MV_DOMAIN_MAC_LEN])
{
    loaded()->def_generate_mac(def, mac);
}

#define STR_FN(type, name) \
    const char *mv_##name(type v) { return loaded()->name(v); }
STR_FN(mv_disk_type, disk_type_str)
STR_FN(mv_disk_device, disk_device_str)
STR_FN(mv_disk_bus, disk_bus_str)
STR_FN(mv_controller_type, controller_type_str)
STR_FN(mv_net_type, net_type_str)
STR_FN(mv_chr_device, chr_device_str)
STR_FN(mv_chr_type, chr_type_str)
STR_FN(mv_input_type, input_type_str)
STR_FN(mv_input_bus, input_bus_str)
STR_FN(mv_graphics_type, graphics_type_str)
STR_FN(mv_hostdev_type, hostdev_type_str)
STR_FN(mv_cpu_mode, cpu_mode_str)
STR_FN(mv_feature, feature_str)
STR_FN(mv_hyperv_feature, hyperv_feature_str)
#undef STR_FN
