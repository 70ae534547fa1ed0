/* State and functions shared by the files of the QEMU driver. */
#ifndef QEMU_DRIVER_PRIV_H
#define QEMU_DRIVER_PRIV_H

#include "conf/domain_conf.h"
#include "qemu_domains.h"
#include "driver/hypervisor.h"

typedef struct qemu_driver_state {
    bool privileged;
    unsigned qemu_uid;
    unsigned qemu_gid;
    char *state_dir;            /* /var/lib/libvirt/qemu */
    qemu_domains *doms;
} qemu_driver_state;

extern qemu_driver_state qemu_driver;

/* The command line, environment included, that def would run with, as
 * `virsh domxml-to-native qemu-argv` prints it. */
int qemu_driver_command_line(mv_domain_def *def, char **ret);

/* qemu_driver_domain.c */
int qemu_connect_list_all_domains(const mv_session *sess, unsigned flags, mv_domain_ref **ret,
                                  size_t *ret_n);
int qemu_connect_domain_xml_to_native(const mv_session *sess, const char *format, const char *xml,
                                      unsigned flags, char **ret);
int qemu_domain_lookup_by_name(const mv_session *sess, const char *name, mv_domain_ref *ret);
int qemu_domain_lookup_by_uuid(const mv_session *sess, const unsigned char *uuid, mv_domain_ref *ret);
int qemu_domain_lookup_by_id(const mv_session *sess, int id, mv_domain_ref *ret);
int qemu_domain_define_xml(const mv_session *sess, const char *xml, unsigned flags, mv_domain_ref *ret);
int qemu_domain_undefine(const mv_session *sess, const mv_domain_ref *ref, unsigned flags);
int qemu_domain_rename(const mv_session *sess, const mv_domain_ref *ref, const char *new_name,
                       unsigned flags);
int qemu_domain_get_xml_desc(const mv_session *sess, const mv_domain_ref *ref, unsigned flags, char **ret);
int qemu_domain_get_info(const mv_session *sess, const mv_domain_ref *ref, mv_domain_info *ret);
int qemu_domain_get_state(const mv_session *sess, const mv_domain_ref *ref, unsigned flags,
                          int *ret_state, int *ret_reason);
int qemu_domain_get_os_type(const mv_session *sess, const mv_domain_ref *ref, char **ret);
int qemu_domain_get_autostart(const mv_session *sess, const mv_domain_ref *ref, int *ret);
int qemu_domain_set_autostart(const mv_session *sess, const mv_domain_ref *ref, int autostart);
int qemu_domain_get_flags(const mv_session *sess, const mv_domain_ref *ref, mv_domain_flags *ret);
int qemu_domain_managed_save_remove(const mv_session *sess, const mv_domain_ref *ref, unsigned flags);
int qemu_domain_set_memory(const mv_session *sess, const mv_domain_ref *ref, unsigned long long kib,
                           unsigned flags);
int qemu_domain_set_vcpus(const mv_session *sess, const mv_domain_ref *ref, unsigned n, unsigned flags);
int qemu_domain_get_vcpus(const mv_session *sess, const mv_domain_ref *ref, unsigned flags, int *ret);
int qemu_domain_set_metadata(const mv_session *sess, const mv_domain_ref *ref, int type, const char *value,
                             const char *key, const char *uri, unsigned flags);
int qemu_domain_get_metadata(const mv_session *sess, const mv_domain_ref *ref, int type, const char *uri,
                             unsigned flags, char **ret);
int qemu_domain_change_device(const mv_session *sess, const mv_domain_ref *ref, int op, const char *xml,
                              unsigned flags);

#endif
