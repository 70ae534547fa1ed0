/*
 * Device addresses for QEMU domains, numbered as libvirtd numbers them.
 * Part of qemu_domain_post_parse(); split out to keep files small.
 *
 * PCI: explicit addresses are kept (and checked for double use); the
 * machine's fixed places are taken next (PIIX3 slot 1 with the IDE and
 * UHCI functions and slot 2 for the primary video on i440fx; 00:1f for the
 * LPC/SATA/SMBus, 00:01.0 for the primary video, 00:1b.0 for ICH9 audio
 * and 00:1d for ICH9 USB on q35); then everything else is placed in
 * libvirtd's order (PCI controllers, filesystems, interfaces, sound,
 * other controllers, virtio disks, hostdevs, memballoon, rng, watchdog,
 * video, virtio input, PCI serial ports).  A first dry pass finds how many
 * buses that needs: on q35 each PCI Express device gets a pcie-root-port
 * of its own (plus one spare for hotplug when no PCI controller was given)
 * and conventional PCI devices share a pcie-to-pci-bridge; on i440fx a
 * pci-bridge is added when the 31 slots of the root bus are used up.
 */
#ifndef QEMU_DOMAIN_ADDRESS_H
#define QEMU_DOMAIN_ADDRESS_H

#include "conf/domain_conf.h"
#include "qemu_domain_defaults.h"

int qemu_domain_assign_pci_addresses(mv_domain_def *def, qemu_machine_kind kind);

/* USB ports on the controller of bus 0, in libvirtd's order (disks,
 * input, serial, sound, redirdev).  Errors when USB is disabled
 * (model='none') but USB devices exist, or when the ports run out (libvirt
 * would add a USB hub, which modvirt does not model). */
int qemu_domain_assign_usb_addresses(mv_domain_def *def);

#endif
