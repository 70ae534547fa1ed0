/*
 * What the QEMU driver adds to a domain definition when it is defined, so
 * that `virsh dumpxml` after `virsh define` shows what libvirtd 9.x shows:
 * the emulator and canonical machine type of the installed QEMU, the
 * default CPU, implicit controllers, input devices, video, audio and
 * memballoon, the serial console pairing, and the addresses of every
 * device (PCI slots numbered as libvirtd numbers them, pcie-root-ports and
 * bridges added where libvirtd adds them, drive, USB and virtio-serial
 * addresses).  Invalid combinations fail with libvirtd's error code and
 * message.
 *
 * Defaults that do not depend on the hypervisor (UUID, MAC addresses,
 * currentMemory, controller indexes, lifecycle actions, clock offset,
 * graphics autoport) are the generic parser's; this adds only QEMU's.
 * Applying it twice changes nothing the second time.
 */
#ifndef QEMU_DOMAIN_DEFAULTS_H
#define QEMU_DOMAIN_DEFAULTS_H

#include "conf/domain_conf.h"

/* Fill in QEMU's defaults and addresses.  On error (recorded with
 * mv_error_report) def may have been partly filled in; callers discard it. */
int qemu_domain_post_parse(mv_domain_def *def);

/* The same for a definition read back from disk at daemon start, as
 * libvirt loads existing configurations: no QEMU binary is looked up or
 * probed (start stays fast and works without QEMU), the emulator and
 * machine type stay as written even if they no longer exist, and the
 * define-time checks (machine type, emulator, validation) are skipped.
 * A device change or a new define completes it strictly again. */
int qemu_domain_post_parse_lenient(mv_domain_def *def);

/* Where <nvram> files of domains with a pflash <loader> but no <nvram> go
 * (NAME_VARS.fd).  NULL restores /var/lib/libvirt/qemu/nvram. */
void qemu_domain_defaults_set_nvram_dir(const char *dir);

/* The directory of automatic virtio channel sockets: a unix channel whose
 * path lies there is shown without a path, as its path is chosen at
 * start.  NULL restores /var/lib/libvirt/qemu/channel/target. */
void qemu_domain_defaults_set_channel_dir(const char *dir);

/* ---- shared with qemu_domain_address.c and qemu_command.c ---- */

typedef enum qemu_machine_kind {
    QEMU_MACHINE_OTHER = 0,     /* no PCI bus libvirt knows how to fill */
    QEMU_MACHINE_I440FX,        /* pc, pc-i440fx-*, pc-0.x/1.x: pci-root */
    QEMU_MACHINE_Q35,           /* q35, pc-q35-*: pcie-root */
} qemu_machine_kind;

qemu_machine_kind qemu_machine_kind_of(const char *machine);

/* Index of a disk target name after its prefix: "sda" 0, "hdc" 2,
 * "vdaa" 26; -1 if it is not one. */
int qemu_disk_target_index(const char *dev);

/* Whether a device model string names a virtio device QEMU attaches as
 * PCI Express (everything but the *-transitional variants). */
bool qemu_virtio_model_is_pcie(const char *model);

#endif
