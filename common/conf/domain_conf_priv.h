/*
 * Internal to the domain document: the XML reading and writing helpers
 * its files share, and the per-object functions split over
 * domain_conf.c, domain_conf_devices.c, domain_conf_chr.c and
 * domain_conf_device_ops.c.
 */
#ifndef MV_DOMAIN_CONF_PRIV_H
#define MV_DOMAIN_CONF_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <libxml/tree.h>

#include "conf/domain_conf.h"
#include "util/error.h"
#include "util/uuid.h"

/* ---- reading ----
 *
 * Every attribute and element the parser reads is marked (in libxml2's
 * _private field); once a document is parsed, dx_check_unused() rejects
 * whatever is left unmarked, so that nothing given is dropped silently.
 */

typedef struct dparse {
    unsigned flags;     /* MV_DOMAIN_PARSE_* */
    bool oom;           /* an allocation failed: the parse returns -ENOMEM */
} dparse;

#define DX_USED ((void *)1)
#define DX_VERBATIM ((void *)2)     /* kept as is: not looked into */

/* Read xml into a document whose root must be root_name.  name is what
 * errors call the input, as libvirt does: "(domain_definition)". */
int dx_read(const char *xml, const char *name, const char *root_name, xmlDocPtr *ret);
/* Same for a fragment with any root element. */
#define DX_ANY_ROOT NULL

/* Internal format flag: no alias, boot order or address (device comparison). */
#define DX_FORMAT_NO_INFO 0x10000u

/* The first element child of n called name (no namespace), marked; NULL if none. */
xmlNodePtr dx_child(xmlNodePtr n, const char *name);

/* The next element called name after prev (or the first if prev is NULL), marked. */
xmlNodePtr dx_next(xmlNodePtr n, xmlNodePtr prev, const char *name);

/* Number of element children called name. */
size_t dx_count(xmlNodePtr n, const char *name);

/* Whether n is an element in no namespace called name. */
bool dx_is(xmlNodePtr n, const char *name);

/* The value of attribute name of n, copied and marked; NULL if absent
 * (or on OOM, recorded in p). */
char *dx_attr(dparse *p, xmlNodePtr n, const char *name);

/* Whether attribute name is present (marks nothing). */
bool dx_has_attr(xmlNodePtr n, const char *name);

/* The text content of n, copied; "" for an empty element. */
char *dx_text(dparse *p, xmlNodePtr n);

/* strdup that records OOM in p. */
char *dx_strdup(dparse *p, const char *s);

/* Index of s in names[0..n), or -1. */
int dx_lookup(const char *const *names, size_t n, const char *s);

/* Attribute attr of n as an index in names: 1 and *ret set if present and
 * valid, 0 if absent (an error if required), -EINVAL with libvirt's
 * "Invalid value for attribute ..." (VIR_FROM_XML) if not in names. */
int dx_attr_enum(dparse *p, xmlNodePtr n, const char *attr, const char *const *names,
                 size_t nnames, bool required, int *ret);

/* Attribute attr of n, checked to be one of names (a NULL-terminated
 * list): stored (copied) in *ret if present.  1 if present and valid, 0 if
 * absent, 2 if present but not one of names (still stored, for the
 * caller's message). */
int dx_attr_in(dparse *p, xmlNodePtr n, const char *attr, const char *const *names, char **ret);

/* Same, reporting a bad value as libvirt's "Invalid value for attribute". */
int dx_attr_in_xml(dparse *p, xmlNodePtr n, const char *attr, const char *const *names,
                   char **ret);

/* yes/no or on/off attributes: 0 absent, 1 set, -EINVAL on a bad value. */
int dx_attr_yesno(dparse *p, xmlNodePtr n, const char *attr, mv_tristate *ret);
int dx_attr_onoff(dparse *p, xmlNodePtr n, const char *attr, mv_tristate *ret);

/* Unsigned / signed numbers (base 10, or base 0 for hex-friendly
 * attributes): 1 and *ret set if present, 0 if absent, -EINVAL with
 * libvirt's message on a bad value or one above max. */
int dx_attr_uint(dparse *p, xmlNodePtr n, const char *attr, int base, unsigned long long max,
                 unsigned long long *ret);
int dx_attr_int(dparse *p, xmlNodePtr n, const char *attr, long long min, long long max,
                long long *ret);
int dx_attr_u32(dparse *p, xmlNodePtr n, const char *attr, unsigned *ret);

/* Strict number parsing: all of s, no sign for unsigned. */
int dx_parse_ull(const char *s, int base, unsigned long long *ret);
int dx_parse_ll(const char *s, long long *ret);

/* A <memory unit=...>-style value scaled to KiB (rounded up), or -EINVAL /
 * -ERANGE with libvirt's messages; xpath names it in messages. */
int dx_scaled_kib(dparse *p, xmlNodePtr n, const char *xpath, const char *default_unit,
                  unsigned long long *ret);

/* The element a mark check would complain about first; 0 if none. */
int dx_check_unused(xmlNodePtr root);

/* Mark n and all below as read. */
void dx_mark_subtree(xmlNodePtr n);

/* Serialise n (a subtree) on its own, its namespaces declared on it,
 * indented for level (2 spaces each).  The first line carries no
 * indentation; no trailing newline. */
char *dx_dump_node(xmlNodePtr n, int level);

/* Validate doc against libvirt's domain schema (VIR_ERR_XML_INVALID_SCHEMA). */
int dx_validate_schema(xmlDocPtr doc);

/* Value of a hex digit, -1 if c is none. */

/* The <metadata> children as stored in mv_domain_def.metadata. */
int dx_metadata_serialise(dparse *p, xmlNodePtr md, char **ret);

/* Report an unexpected value the libvirt way. */
int dx_err_invalid(const char *attr, const char *elem, const char *value);
int dx_err_missing(const char *attr, const char *elem);

/* ---- writing ---- */

typedef struct dbuf {
    char *s;
    size_t len, cap;
    int indent;         /* in levels of two spaces */
    bool oom;
} dbuf;

void db_free(dbuf *b);
void db_add(dbuf *b, const char *s);
void db_addn(dbuf *b, const char *s, size_t n);
void db_addf(dbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void db_esc(dbuf *b, const char *s);
void db_indent(dbuf *b);
/* A buffer for the children of an element b is writing. */
void db_child(dbuf *child, const dbuf *parent);
/* indent + "<name" */
void db_start(dbuf *b, const char *name);
/* " name='value'" if value is not NULL */
void db_attr(dbuf *b, const char *name, const char *value);
void db_attrf(dbuf *b, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void db_attr_yesno(dbuf *b, const char *name, mv_tristate v);
void db_attr_onoff(dbuf *b, const char *name, mv_tristate v);
/* "/>\n" */
void db_end(dbuf *b);
/* indent "<name/>\n" */
void db_add_empty(dbuf *b, const char *name);
/* "/>\n" if child is empty, else ">\n" child "</name>\n"; frees child. */
void db_finish(dbuf *b, const char *name, dbuf *child);
/* indent "<name>text</name>\n" if text is not NULL */
void db_text_elem(dbuf *b, const char *name, const char *text);
/* Take the string (NULL and -ENOMEM if an allocation failed). */
int db_steal(dbuf *b, char **ret);

/* ---- enums, shared ---- */

extern const char *const dx_disk_type_names[];
extern const char *const dx_disk_device_names[];
extern const char *const dx_disk_bus_names[];
extern const char *const dx_controller_type_names[];
extern const char *const dx_net_type_names[];
extern const char *const dx_chr_device_names[];
extern const char *const dx_chr_type_names[];
extern const char *const dx_input_type_names[];
extern const char *const dx_input_bus_names[];
extern const char *const dx_graphics_type_names[];
extern const char *const dx_hostdev_type_names[];
extern const char *const dx_cpu_mode_names[];
extern const char *const dx_feature_names[];
extern const char *const dx_hyperv_names[];
extern const char *const dx_kvm_names[];
extern const size_t dx_disk_type_count, dx_disk_device_count, dx_disk_bus_count,
    dx_controller_type_count, dx_net_type_count, dx_chr_type_count, dx_input_type_count,
    dx_input_bus_count, dx_graphics_type_count, dx_hostdev_type_count, dx_cpu_mode_count;

/* ---- top-level objects (domain_conf_os.c, domain_conf_cpu.c) ---- */

int dx_os_parse(dparse *p, xmlNodePtr root, mv_domain_def *def);
void dx_os_format(dbuf *b, const mv_domain_def *def);
void dx_os_clear(mv_domain_os *os);
int dx_features_parse(dparse *p, xmlNodePtr root, mv_domain_def *def);
void dx_features_format(dbuf *b, const mv_domain_features *f);
int dx_cpu_parse(dparse *p, xmlNodePtr root, mv_domain_def *def);
void dx_cpu_format(dbuf *b, const mv_domain_def *def);
void dx_cpu_clear(mv_domain_cpu *cpu);
int dx_clock_parse(dparse *p, xmlNodePtr root, mv_domain_def *def);
void dx_clock_format(dbuf *b, const mv_domain_def *def);
void dx_clock_clear(mv_domain_clock *clock);

/* ---- devices (domain_conf_devices.c and the files per kind) ---- */

int dx_address_parse(dparse *p, xmlNodePtr n, mv_domain_address *addr);
void dx_address_format(dbuf *b, const mv_domain_address *addr);
/* <alias>, <boot>, <address> children of device node n */
int dx_info_parse(dparse *p, xmlNodePtr n, mv_domain_device_info *info, bool boot);
void dx_info_format(dbuf *b, const mv_domain_device_info *info, unsigned flags, bool boot);
/* Same with a <rom bar= file=/> after the alias (interfaces, hostdevs). */
void dx_info_format_rom(dbuf *b, const mv_domain_device_info *info, unsigned flags, bool boot,
                        const char *rom_bar, const char *rom_file);
void dx_info_clear(mv_domain_device_info *info);

/* One device element: its kind from the element name; -ENOENT if the name
 * is not one of the modelled devices. */
int dx_device_parse(dparse *p, xmlNodePtr n, mv_domain_device *ret);
void dx_device_format(dbuf *b, const mv_domain_device *dev, unsigned flags);
void dx_device_clear(mv_domain_device *dev);

int dx_chr_parse(dparse *p, xmlNodePtr n, mv_chr_device device, mv_domain_chr **ret);
void dx_chr_format(dbuf *b, const mv_domain_chr *chr, unsigned flags);
void dx_chr_free(mv_domain_chr *chr);
int dx_chr_source_parse(dparse *p, xmlNodePtr n, mv_domain_chr_source *src);
void dx_chr_source_format(dbuf *b, const mv_domain_chr_source *src, unsigned flags);
void dx_chr_source_clear(mv_domain_chr_source *src);

#define DX_DEVICE_FUNCS(kind, type)                                        \
    int dx_##kind##_parse(dparse *p, xmlNodePtr n, type **ret);            \
    void dx_##kind##_format(dbuf *b, const type *obj, unsigned flags);     \
    void dx_##kind##_free(type *obj);
DX_DEVICE_FUNCS(net, mv_domain_net)
DX_DEVICE_FUNCS(input, mv_domain_input)
DX_DEVICE_FUNCS(graphics, mv_domain_graphics)
DX_DEVICE_FUNCS(video, mv_domain_video)
DX_DEVICE_FUNCS(sound, mv_domain_sound)
DX_DEVICE_FUNCS(audio, mv_domain_audio)
DX_DEVICE_FUNCS(memballoon, mv_domain_memballoon)
DX_DEVICE_FUNCS(rng, mv_domain_rng)
DX_DEVICE_FUNCS(watchdog, mv_domain_watchdog)
DX_DEVICE_FUNCS(tpm, mv_domain_tpm)
DX_DEVICE_FUNCS(hostdev, mv_domain_hostdev)
DX_DEVICE_FUNCS(redirdev, mv_domain_redirdev)
#undef DX_DEVICE_FUNCS

/* Defaults that need the whole definition. */
int dx_net_post_parse(dparse *p, const mv_domain_def *def, mv_domain_net *net);
int dx_input_post_parse(const mv_domain_def *def, mv_domain_input *input);
void dx_disk_post_parse(mv_domain_disk *disk);

void dx_disk_free(mv_domain_disk *d);
void dx_controller_free(mv_domain_controller *c);
void dx_fs_free(mv_domain_fs *f);

/* Add dev's object to def's arrays (ownership moves; dev's pointer is
 * cleared); -E2BIG past MV_DOMAIN_MAX_DEVICES.  ordered: put a disk or
 * controller where libvirt would (an attach); else append (a parse, which
 * orders everything at the end). */
int dx_def_add_device(mv_domain_def *def, mv_domain_device *dev, bool ordered);

/* Checks and defaults over def's devices after a parse or an attach. */
int dx_devices_post_parse(dparse *p, mv_domain_def *def);

/* Format the <devices> element. */
void dx_devices_format(dbuf *b, const mv_domain_def *def, unsigned flags);

/* MAC helpers */
int dx_mac_parse(const char *s, unsigned char mac[MV_DOMAIN_MAC_LEN]);
void dx_mac_format(const unsigned char mac[MV_DOMAIN_MAC_LEN], char out[18]);

/* cpuset canonicalisation: "0-3,^2,8" -> "0-1,3,8"; -EINVAL if malformed. */
int dx_cpuset_canon(const char *s, unsigned max, char **ret);

#endif
