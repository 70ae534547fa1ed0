/*
 * The domain capabilities document (`virsh domcapabilities`) for the
 * installed QEMU: which machine types, CPU models, devices, firmware and
 * features one emulator offers under one virtualization type.
 *
 * What a binary can do is learnt over QMP the first time it is asked about
 * (never at daemon start): one probe for what does not depend on the
 * accelerator (devices, machine types, commands), one per accelerator for
 * the CPU (host CPU, model definitions, usability).  Results are kept in
 * memory per (emulator, virttype) until the binary changes on disk; the
 * document itself is built per call, as firmware descriptors may change.
 * All functions are thread-safe.
 */
#ifndef QEMU_DOMCAPS_H
#define QEMU_DOMCAPS_H

#include <stdbool.h>
#include <stddef.h>

#include "qemu_cpu.h"

/*
 * virConnectGetDomainCapabilities.  emulator, arch, machine and virttype
 * may each be NULL: the host architecture's binary (or, with an emulator
 * given, the host architecture), the binary's default machine, and "kvm"
 * when KVM can run the binary's guests, else "qemu".  flags must be 0.
 * Bad input gets the error code and message libvirtd gives for it.
 */
int qemu_domcaps_xml(const char *emulator, const char *arch, const char *machine,
                     const char *virttype, unsigned int flags, char **ret_xml);

/* Whether arch is one of libvirt's architecture names. */
bool qemu_domcaps_arch_known(const char *arch);

/* The CPU a guest of (emulator, arch, machine, virttype) gets when it asks
 * for the host's ("host" under KVM, "max" under TCG, as QEMU expands it),
 * with the CPU models that binary knows: what virConnectCompareHypervisorCPU
 * and virConnectBaselineHypervisorCPU work against.  Arguments as for
 * qemu_domcaps_xml(); errors as libvirtd gives them for those calls. */
typedef struct qemu_hv_cpu {
    char *arch;
    char *vendor;                   /* NULL: unknown */
    size_t nfeatures;
    char **features;                /* libvirt's names */
    size_t nmodels;
    qcpu_hv_model *models;          /* names and blockers owned here */
} qemu_hv_cpu;
int qemu_domcaps_hypervisor_cpu(const char *emulator, const char *arch, const char *machine,
                                const char *virttype, qemu_hv_cpu *ret);
void qemu_hv_cpu_clear(qemu_hv_cpu *c);

/* ---- for tests ---- */

/* Directories searched for firmware descriptors (*.json), highest priority
 * first (NULL-terminated, at most 4); NULL restores /etc/qemu/firmware,
 * /usr/share/qemu/firmware. */
void qemu_domcaps_set_firmware_dirs(const char *const *dirs);

/* Forget every probe result. */
void qemu_domcaps_flush(void);

#endif
