/*
 * The QEMU command line of a domain: a pure function of the definition
 * (after qemu_domain_post_parse()) and of runtime facts the caller gives
 * (paths, passed file descriptors).  Options and device properties are
 * those libvirtd 9.x gives QEMU 7.x: -blockdev/-device JSON, -netdev JSON,
 * -audiodev, -sandbox, ids and node names named as libvirtd names them, so
 * that QMP commands written against libvirtd's names work unchanged.
 *
 * The caller fills in what is decided at start time in the definition it
 * passes: graphics ports chosen for autoport (else 5900 is used) and, for
 * <os firmware='efi'>, the <loader>/<nvram> picked from the firmware
 * descriptors (without a <loader> the build fails).
 */
#ifndef QEMU_COMMAND_H
#define QEMU_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/domain_conf.h"

typedef struct qemu_command_opts {
    /* The QMP monitor: a unix socket QEMU creates at monitor_path
     * (server=on,wait=off), or, with monitor_path NULL, the listening
     * socket monitor_fd handed to QEMU. */
    const char *monitor_path;
    int monitor_fd;
    /* File of the per-domain master key (-object secret,id=masterKey0);
     * NULL leaves it out. */
    const char *master_key_path;
    /* Directory for the sockets of <channel type='unix'> without a path:
     * DIR/<target name>.  NULL: such channels are an error. */
    const char *channel_dir;
    /* -S: wait for "cont" on the monitor. */
    bool start_paused;
    /* Open tap devices of interfaces other than type='user', by index in
     * def->nets (-1: none); vhost-net fds likewise (optional). */
    const int *tap_fds;
    size_t ntap_fds;
    const int *vhost_fds;
    size_t nvhost_fds;
    /* For a printed command line only (virsh domxml-to-native): an
     * interface without a tap fd gets a placeholder number, as libvirtd
     * prints one, instead of failing. */
    bool placeholder_fds;
    /* Seconds since the epoch that <clock offset='variable'> counts from;
     * 0: now. */
    long long now;
} qemu_command_opts;

/* argv[0] is def->emulator; NULL-terminated.  Errors: CONFIG_UNSUPPORTED
 * for what modvirt cannot start (network disks, virtiofs, TPM, ...),
 * INTERNAL_ERROR for missing runtime facts. */
int qemu_command_build(const mv_domain_def *def, const qemu_command_opts *opts, char ***ret_argv);

/* The environment libvirtd gives QEMU: LC_ALL=C, PATH, HOME=home_dir and
 * the XDG directories under it; NULL-terminated. */
int qemu_command_build_env(const char *home_dir, char ***ret_env);

/* Words joined by spaces, each shell-quoted when it needs to be, as
 * `virsh domxml-to-native qemu-argv` prints them (env assignments first if
 * the caller puts them first). */
int qemu_command_to_string(char *const *argv, char **ret);

/* Free a vector from the functions above (NULL is fine). */
void qemu_command_free(char **argv);

/* Set the alias (QEMU id) of every device without one, as libvirtd names
 * them in a running domain's XML ("virtio-disk0", "net0", "pci.1", ...);
 * the command line uses the same names. */
int qemu_command_assign_aliases(mv_domain_def *def);

#endif
