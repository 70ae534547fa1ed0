/*
 * What the installed QEMU binaries can do: their versions and machine
 * types, learnt by asking each qemu-system-* over QMP.
 *
 * Nothing is probed at daemon start (cold start must stay fast): the first
 * call that needs a binary's data probes it, on the caller's thread, and
 * the result is kept in memory (and in the cache directory, if one is set)
 * until the binary changes (mtime, ctime, size or inode) or disappears.
 * Every call checks the binaries with stat(), so a QEMU upgrade is seen at
 * the next call.  All functions are thread-safe.
 */
#ifndef QEMU_CAPABILITIES_H
#define QEMU_CAPABILITIES_H

#include <stdbool.h>

/* The full `virsh capabilities` document: the host, and one <guest> per
 * architecture an installed binary runs.  qemu_uid/gid are the user QEMU
 * runs as, shown in the DAC security model's base labels.  Without any
 * binary the document has the host part only, as libvirtd's has. */
int qemu_caps_capabilities_xml(unsigned int qemu_uid, unsigned int qemu_gid, char **ret_xml);

/* Version of the binary for the host architecture (else the first found)
 * as major * 1000000 + minor * 1000 + micro. */
int qemu_caps_version(unsigned long long *ret);

/* virConnectGetMaxVcpus: NULL or "qemu" (any case) 16, "kvm" what KVM
 * allows; other types are an invalid-argument error. */
int qemu_caps_max_vcpus(const char *type, int *ret);

/* The emulator and canonical machine type for a guest of arch (NULL: the
 * host's) and machine (an alias such as "pc", a full name, or NULL for the
 * binary's default).  Unknown arch or machine: CONFIG_UNSUPPORTED error. */
int qemu_caps_lookup_guest(const char *arch, const char *machine,
                           char **ret_emulator, char **ret_machine);

/* Keep probe results in dir (created 0700 if needed), so that a restarted
 * daemon need not probe again; NULL turns it off.  Files are replaced
 * atomically. */
void qemu_caps_set_cache_dir(const char *dir);

/* The host_uuid setting of the daemon config; NULL: from the host. */
void qemu_caps_set_host_uuid(const char *uuid);

/* Run probes as this user and group instead of the daemon's own (which
 * needs root), as QEMU itself runs unprivileged. */
void qemu_caps_set_probe_identity(unsigned int uid, unsigned int gid);

/* Run the binary at path as the probes do (same user, sandboxing, timeout
 * and output limit) with "-machine none,accel=ACCEL", send it commands (QMP
 * commands, one JSON object per line, a few KiB at most) between
 * qmp_capabilities and quit, and return everything it printed.  For probes
 * that live elsewhere (qemu_domcaps.c). */
int qemu_caps_run_qmp(const char *path, const char *accel, const char *commands, char **ret_out);

/* ---- for tests ---- */

/* Directories searched for qemu-system-*, in order (NULL-terminated, at
 * most 8); NULL restores /usr/local/bin, /usr/bin, /usr/libexec. */
void qemu_caps_set_search_dirs(const char *const *dirs);

/* How long one probe may take before it is killed (default 10 s). */
void qemu_caps_set_probe_timeout_ms(unsigned int ms);

/* Number of QEMU processes run so far. */
unsigned int qemu_caps_probe_count(void);

/* Forget what is cached in memory (the cache directory stays). */
void qemu_caps_flush(void);

#endif
