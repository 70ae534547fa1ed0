/*
 * The capabilities document (virConnectGetCapabilities, `virsh
 * capabilities`): a model of the host and of the guests each hypervisor
 * binary can run, the probe that fills the host part from /proc, /sys and
 * CPUID, and the formatter that prints it the way libvirtd does.
 *
 * The model is plain data; a driver fills the guests and security models
 * and formats it.  Strings marked "static" point at constants and are not
 * freed; everything else belongs to the model and goes with mv_caps_clear().
 */
#ifndef MV_CAPABILITIES_CONF_H
#define MV_CAPABILITIES_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "util/hostinfo.h"

#define MV_CAPS_MAX_CPU_FEATURES 256

typedef struct mv_caps_host_cpu {
    char arch[32];
    const char *model;              /* static; NULL: no <model> */
    const char *vendor;             /* static, libvirt's name ("AMD"); NULL: none */
    bool has_microcode;
    unsigned long long microcode;
    bool has_signature;
    unsigned int family, model_id, stepping;
    unsigned long long tsc_hz;      /* 0: no <counter> */
    bool tsc_scaling;
    int sockets, dies, cores, threads;  /* 0 sockets: no <topology> */
    unsigned int phys_bits;         /* 0: no <maxphysaddr> */
    size_t nfeatures;
    const char *features[MV_CAPS_MAX_CPU_FEATURES]; /* static names */
    mv_host_pages pages;
} mv_caps_host_cpu;

typedef struct mv_caps_cache_bank {
    unsigned int id;
    unsigned int level;
    const char *type;               /* static: "both", "data" or "code" */
    unsigned long long size_bytes;
    char *cpus;                     /* cpuset syntax */
} mv_caps_cache_bank;

typedef struct mv_caps_secmodel {
    const char *model;              /* static: "none", "dac", "selinux" */
    char doi[32];
    size_t nlabels;
    struct {
        const char *type;           /* static: virt type, "kvm" or "qemu" */
        char label[64];             /* "+64055:+64055" */
    } labels[4];
} mv_caps_secmodel;

typedef struct mv_caps_machine {
    char *name;
    char *canonical;                /* set on an alias: the machine it stands for */
    int max_cpus;                   /* 0: leave out */
    bool deprecated;
} mv_caps_machine;

typedef struct mv_caps_guest_feature {
    const char *name;               /* static: "acpi", "pae", ... */
    bool has_toggle;                /* prints default= and toggle= */
    bool default_on;
    bool toggle;
} mv_caps_guest_feature;

typedef struct mv_caps_guest {
    const char *os_type;            /* static: "hvm" */
    char *arch;
    int wordsize;
    char *emulator;
    size_t nmachines;
    mv_caps_machine *machines;
    size_t ndomains;
    const char *domains[4];         /* static: "qemu", "kvm" */
    size_t nfeatures;
    mv_caps_guest_feature features[8];
} mv_caps_guest;

typedef struct mv_caps {
    bool has_uuid;
    char uuid[37];
    mv_caps_host_cpu cpu;
    bool has_power_management;
    unsigned int suspend;           /* MV_CAPS_SUSPEND_* */
    int iommu;                      /* -1: leave out, else 0 or 1 */
    bool migration_live;
    size_t ntransports;
    const char *transports[4];      /* static: "tcp", "rdma" */
    bool has_numa;
    mv_host_numa_info numa;
    size_t nbanks;
    mv_caps_cache_bank *banks;
    size_t nsecmodels;
    mv_caps_secmodel secmodels[4];
    size_t nguests;
    mv_caps_guest *guests;
} mv_caps;

enum {
    MV_CAPS_SUSPEND_MEM = 1 << 0,
    MV_CAPS_SUSPEND_DISK = 1 << 1,
    MV_CAPS_SUSPEND_HYBRID = 1 << 2,
};

/* Free what the model owns and zero it; safe on a zeroed model. */
void mv_caps_clear(mv_caps *caps);

/* Probe the host CPU: architecture, identity, topology, page sizes and, on
 * x86, the CPUID features in libvirt's names, described as the kvm64
 * baseline plus the features beyond it, and the invariant TSC's frequency
 * when KVM can tell it.  The result owns no memory, so callers may keep a
 * copy (probing the TSC creates a throwaway KVM VM). */
int mv_caps_probe_host_cpu(mv_caps_host_cpu *ret);

/* Fill the rest of the host part: uuid (host_uuid when not NULL, else
 * mv_caps_host_uuid()), power management, IOMMU, NUMA cells and caches.
 * Leaves cpu, migration, secmodels and guests to the caller. */
int mv_caps_probe_host(mv_caps *caps, const char *host_uuid);

/* The host UUID: /sys/class/dmi/id/product_uuid when the firmware set a
 * real one, else derived from /etc/machine-id with a one-way,
 * application-specific hash (stable across restarts, and it does not
 * reveal the machine id).  -ENOENT when neither exists. */
int mv_caps_host_uuid(char ret[37]);

/* Append a zeroed guest / a machine; the returned pointer is valid until
 * the next append to the same array. */
int mv_caps_add_guest(mv_caps *caps, mv_caps_guest **ret);
int mv_caps_guest_add_machine(mv_caps_guest *guest, const char *name, const char *canonical,
                              int max_cpus, bool deprecated);

/* The document as libvirtd prints it (2-space indent, blank lines around
 * the host and each guest, trailing newline); malloc'd. */
int mv_caps_format(const mv_caps *caps, char **ret_xml);

#endif
