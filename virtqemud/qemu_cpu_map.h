/*
 * libvirt's CPU map: the CPU models and x86 features the libvirt client
 * library installs in /usr/share/libvirt/cpu_map (Debian package libvirt0,
 * present wherever a libvirt client is).  libvirtd answers `virsh
 * cpu-models` and compares and baselines CPUs from these files, so
 * virtqemud reads the same ones: the answers then match libvirtd's on any
 * host, and a newer libvirt0 brings its new models to both.
 *
 * Loaded once, on first use; read-only afterwards, so thread-safe.
 */
#ifndef QEMU_CPU_MAP_H
#define QEMU_CPU_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QCPU_MAX_FEATURES 512

typedef struct qcpu_set {
    uint64_t w[QCPU_MAX_FEATURES / 64];
} qcpu_set;

typedef struct qcpu_model {
    char *name;
    char *vendor;                   /* libvirt's vendor name; NULL: none */
    bool decode_host, decode_guest;
    size_t nsigs;
    unsigned sig_family[8], sig_model[8];
    qcpu_set features;
    qcpu_set removed;               /* dropped from the model by QEMU: not
                                     * part of it, disabled in what names it */
} qcpu_model;

typedef struct qcpu_map {
    /* x86 */
    size_t nfeatures;
    char **features;                /* the map's order, which libvirt lists in */
    qcpu_set non_migratable;
    size_t nvendors;
    char **vendors;
    size_t nmodels;
    qcpu_model *models;             /* index.xml order */
    /* model names of the other architectures with a model list */
    size_t nppc64;
    char **ppc64;
} qcpu_map;

/* The map, loaded on first use; errors (a missing or broken file) are
 * recorded and repeated on every call. */
int qcpu_map_get(const qcpu_map **ret);

/* Read the map from dir instead (tests); NULL restores the default.  Call
 * before the first qcpu_map_get(). */
void qcpu_map_set_dir(const char *dir);

/* Index of a feature or model by name; -1 if unknown. */
int qcpu_feature_index(const qcpu_map *m, const char *name);
const qcpu_model *qcpu_model_find(const qcpu_map *m, const char *name);

static inline bool qcpu_has(const qcpu_set *s, size_t i)
{
    return (s->w[i / 64] >> (i % 64)) & 1;
}

static inline void qcpu_add(qcpu_set *s, size_t i)
{
    s->w[i / 64] |= 1ULL << (i % 64);
}

static inline void qcpu_del(qcpu_set *s, size_t i)
{
    s->w[i / 64] &= ~(1ULL << (i % 64));
}

#endif
