/*
 * Internal to qemu_domcaps.c: what one QEMU binary offers, learnt over QMP
 * and kept per binary (path and file identity) until the file changes.
 *
 * Nothing here locks: the caller (qemu_domcaps.c) holds its lock around
 * every call and while it reads the returned data.
 */
#ifndef QEMU_DOMCAPS_PROBE_H
#define QEMU_DOMCAPS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/domcaps_conf.h"
#include "util/fileutil.h"

#define DCPROBE_MAX_FEATURES 256

typedef struct dcprobe_featset {
    uint64_t w[DCPROBE_MAX_FEATURES / 64];
} dcprobe_featset;

/* A CPU as query-cpu-model-expansion describes it (x86 only). */
typedef struct dcprobe_cpu {
    bool valid;
    char *vendor;                   /* libvirt's name ("AMD"); NULL: unknown */
    unsigned int family, model;
    dcprobe_featset feat;           /* indexes of dcprobe_feature_name() */
} dcprobe_cpu;

typedef struct dcprobe_model {
    char *name;
    const char *usable;             /* static: "yes", "no", "unknown" */
    bool deprecated;
    dcprobe_cpu info;
    dcprobe_featset blockers;       /* QEMU's unavailable-features of the model */
} dcprobe_model;

enum { DCPROBE_TCG, DCPROBE_KVM, DCPROBE_NACCELS };

/* What one accelerator makes of the CPUs. */
typedef struct dcprobe_accel {
    int state;                      /* 0 not probed, 1 probed, -1 failed */
    size_t nmodels;
    dcprobe_model *models;          /* the binary's cpu_names, same order */
    dcprobe_cpu host;               /* "host" under KVM, "max" under TCG */
    bool migratable, hv_spinlocks, hv_vendor_id;
    bool has_sev;
    mv_domcaps_sev sev;
    bool has_sgx;
    mv_domcaps_sgx sgx;
} dcprobe_accel;

typedef struct dcprobe_machine {
    char *name, *alias;
    int cpu_max;
} dcprobe_machine;

typedef struct dcprobe_binary {
    struct dcprobe_binary *next;
    char *path;
    mv_file_key key;
    char *error;                    /* the probe failed: the message */
    char *arch;                     /* libvirt's name of the target */
    unsigned long long version;     /* major * 1000000 + minor * 1000 + micro */
    size_t nmachines;
    dcprobe_machine *machines;      /* the default first; never "none" */
    size_t ntypes;
    char **types;                   /* QOM types, sorted */
    size_t ncpu_names;
    char **cpu_names;               /* CPU models to list, QEMU's order */
    bool vnc, spice, blockdev, backup, disp_sdl, disp_egl, disp_dbus;
    bool tpm_tis, tpm_crb, tpm_spapr, tpm_passthrough, tpm_emulator;
    dcprobe_accel accel[DCPROBE_NACCELS];
} dcprobe_binary;

/* The binary at path, probed (accelerator-independent part) on first use.
 * Errors as libvirtd reports them: a missing or non-executable file is a
 * system error, a binary that does not answer QMP an internal error (kept
 * until the file changes, so that it costs one probe). */
int dcprobe_lookup_binary(const char *path, dcprobe_binary **ret);

/* The accelerator's CPU data, probed on first use; NULL if it failed
 * (a binary without TCG, KVM not usable). */
const dcprobe_accel *dcprobe_get_accel(dcprobe_binary *b, int accel);

/* Whether path is an executable file, with libvirtd's errors otherwise
 * ("Cannot check QEMU binary ...": a definition naming a missing emulator
 * gets them too). */
int dcprobe_check_binary(const char *path);

/* Forget everything. */
void dcprobe_clear(void);

bool dcprobe_has_type(const dcprobe_binary *b, const char *type);
bool dcprobe_is_x86(const char *arch);

/* The QEMU target name of a libvirt architecture ("i686" -> "i386"). */
const char *dcprobe_qemu_target(const char *arch);

/* The x86 features in libvirt's names and listing order. */
size_t dcprobe_nfeatures(void);
const char *dcprobe_feature_name(size_t i);
bool dcprobe_feat_has(const dcprobe_featset *f, size_t i);

#endif
