/*
 * Internal to the QEMU command line builder: the string, JSON and argv
 * helpers qemu_command.c and qemu_command_devices.c share.
 */
#ifndef QEMU_COMMAND_PRIV_H
#define QEMU_COMMAND_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/domain_conf.h"
#include "qemu_command.h"
#include "qemu_domain_defaults.h"

/* A growable string; an allocation failure sticks (oom) and is reported
 * when the string is taken. */
typedef struct qc_sb {
    char *s;
    size_t len, cap;
    bool oom;
} qc_sb;

void qc_sb_addn(qc_sb *b, const char *s, size_t n);
void qc_sb_add(qc_sb *b, const char *s);
void qc_sb_addf(qc_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void qc_sb_add_opt(qc_sb *b, const char *s);    /* a QemuOpts value: ',' doubled */
char *qc_sb_take(qc_sb *b);                     /* NULL on OOM; b is reset */
void qc_sb_done(qc_sb *b);

/* A JSON object, members in the order they are added. */
typedef struct qc_jb {
    qc_sb b;
    bool first;
} qc_jb;

void qc_jb_begin(qc_jb *j);
void qc_jb_str(qc_jb *j, const char *k, const char *v);    /* nothing if v is NULL */
void qc_jb_int(qc_jb *j, const char *k, long long v);
void qc_jb_bool(qc_jb *j, const char *k, bool v);
void qc_jb_raw(qc_jb *j, const char *k, const char *json);
char *qc_jb_end(qc_jb *j);

typedef struct qc_ctx {
    const mv_domain_def *def;
    const qemu_command_opts *opts;
    qemu_machine_kind kind;
    char **argv;
    size_t n, cap;
    int err;                    /* -ENOMEM once an allocation failed */
    bool pflash;
    unsigned boot_disk, boot_cdrom, boot_floppy, boot_net;  /* from <os><boot> */
    int next_placeholder_fd;
} qc_ctx;

void qc_add(qc_ctx *x, const char *s);
void qc_addf(qc_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void qc_add_sb(qc_ctx *x, const char *opt, qc_sb *b);
void qc_add_json(qc_ctx *x, const char *opt, qc_jb *j);

/* "bus"/"multifunction"/"addr" of a PCI address; "bus"/"port" of a USB
 * one; nothing for other address types. */
void qc_jb_pci_addr(qc_ctx *x, qc_jb *j, const mv_domain_device_info *info);
void qc_jb_usb_addr(qc_ctx *x, qc_jb *j, const mv_domain_device_info *info);

/* QEMU ids, as libvirtd names them (a device's own alias if it has one). */
const char *qc_disk_alias(const mv_domain_def *def, const mv_domain_disk *d, char buf[64]);
const char *qc_controller_alias(const mv_domain_def *def, const mv_domain_controller *c,
                                char buf[64]);
const char *qc_nth_alias(const mv_domain_device_info *info, const char *prefix, size_t n,
                         char buf[64]);

/* Everything from the controllers to the RNGs (qemu_command_devices.c). */
int qc_build_devices(qc_ctx *x);

#endif
