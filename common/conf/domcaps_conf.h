/*
 * The domain capabilities document (virConnectGetDomainCapabilities,
 * `virsh domcapabilities`): what one emulator binary, machine type and
 * virtualization type can do, which virt-install and virt-manager read to
 * decide what domain XML to write.  A model plus its formatter; a driver
 * fills the model.
 *
 * Most of the document is "an element with supported='yes|no' holding
 * named enums of values", so the model keeps those generic (mv_domcaps_elem)
 * and the driver adds them in the order they print.  All strings belong to
 * the model (copied in) unless marked static, and go with mv_domcaps_clear().
 */
#ifndef MV_DOMCAPS_CONF_H
#define MV_DOMCAPS_CONF_H

#include <stdbool.h>
#include <stddef.h>

#define MV_DOMCAPS_MAX_VALUES 16
#define MV_DOMCAPS_MAX_ENUMS 6
#define MV_DOMCAPS_MAX_ELEMS 12

typedef struct mv_domcaps_enum {
    const char *name;                       /* static */
    size_t nvalues;
    char *values[MV_DOMCAPS_MAX_VALUES];
} mv_domcaps_enum;

/* <NAME supported='yes|no'> with <enum>s; printed empty when it has none. */
typedef struct mv_domcaps_elem {
    const char *name;                       /* static: "disk", "vmcoreinfo", ... */
    bool supported;
    size_t nenums;
    mv_domcaps_enum enums[MV_DOMCAPS_MAX_ENUMS];
} mv_domcaps_elem;

typedef struct mv_domcaps_cpu_model {
    char *name;
    const char *usable;                     /* static: "yes", "no", "unknown" */
    char *vendor;                           /* NULL: "unknown" */
    bool deprecated;
} mv_domcaps_cpu_model;

typedef struct mv_domcaps_cpu_feature {
    const char *policy;                     /* static: "require", "disable" */
    char *name;
} mv_domcaps_cpu_feature;

typedef struct mv_domcaps_sev {
    unsigned int cbitpos, reduced_phys_bits, max_guests, max_es_guests;
} mv_domcaps_sev;

typedef struct mv_domcaps_sgx_section {
    unsigned int node;
    unsigned long long size_kib;
} mv_domcaps_sgx_section;

typedef struct mv_domcaps_sgx {
    bool flc, sgx1, sgx2;
    unsigned long long section_size_kib;
    size_t nsections;
    mv_domcaps_sgx_section sections[8];
} mv_domcaps_sgx;

typedef struct mv_domcaps {
    char *path;
    const char *domain;                     /* static: "kvm", "qemu" */
    char *machine;                          /* NULL: no <machine> */
    char *arch;
    int max_vcpus;                          /* < 0: no <vcpu> */
    int iothreads;                          /* < 0: no <iothreads>, else 0/1 */

    bool has_os;
    mv_domcaps_elem os;                     /* supported + enum firmware */
    bool has_loader;
    mv_domcaps_elem loader;                 /* supported + enums type, readonly, secure */
    mv_domcaps_enum loader_values;          /* the <value>s before the enums */

    bool has_cpu;
    bool host_passthrough;
    mv_domcaps_enum host_passthrough_migratable;   /* printed when it has values */
    bool maximum;
    mv_domcaps_enum maximum_migratable;
    bool host_model;
    char *host_model_name;                  /* NULL: no <model> */
    char *host_model_vendor;                /* NULL: no <vendor> */
    size_t nhost_model_features;
    mv_domcaps_cpu_feature *host_model_features;
    bool custom;
    size_t ncustom_models;
    mv_domcaps_cpu_model *custom_models;

    bool has_memory_backing;
    mv_domcaps_elem memory_backing;         /* enum sourceType */

    bool has_devices;
    size_t ndevices;
    mv_domcaps_elem devices[MV_DOMCAPS_MAX_ELEMS];

    bool has_features;
    size_t nfeatures;
    mv_domcaps_elem features[MV_DOMCAPS_MAX_ELEMS];
    bool has_sev;                           /* details of a supported <sev> */
    mv_domcaps_sev sev;
    bool has_sgx;                           /* details of a supported <sgx> */
    mv_domcaps_sgx sgx;
} mv_domcaps;

/* Free what the model owns and zero it; safe on a zeroed model. */
void mv_domcaps_clear(mv_domcaps *caps);

/* Append a device / feature element; NULL when the table is full (a bug:
 * the sizes above fit every element the schema knows). */
mv_domcaps_elem *mv_domcaps_add_device(mv_domcaps *caps, const char *name, bool supported);
mv_domcaps_elem *mv_domcaps_add_feature(mv_domcaps *caps, const char *name, bool supported);

/* Append an empty enum to an element; NULL when full. */
mv_domcaps_enum *mv_domcaps_elem_add_enum(mv_domcaps_elem *elem, const char *name);

/* Append a copy of value; -E2BIG when full, -ENOMEM. */
int mv_domcaps_enum_add(mv_domcaps_enum *e, const char *value);

/* Append value to e when cond holds (a shorthand for long lists). */
int mv_domcaps_enum_add_if(mv_domcaps_enum *e, bool cond, const char *value);

/* Whether e holds value. */
bool mv_domcaps_enum_has(const mv_domcaps_enum *e, const char *value);

int mv_domcaps_add_cpu_model(mv_domcaps *caps, const char *name, const char *usable,
                             const char *vendor, bool deprecated);
int mv_domcaps_add_host_model_feature(mv_domcaps *caps, const char *policy, const char *name);

/* The document as libvirtd prints it (2-space indent, single-quoted
 * attributes, trailing newline); malloc'd. */
int mv_domcaps_format(const mv_domcaps *caps, char **ret_xml);

#endif
