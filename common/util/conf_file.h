/*
 * Parser for libvirt's daemon .conf syntax (virtqemud.conf, qemu.conf, ...):
 *
 *   # comment
 *   max_clients = 5000
 *   listen_tls = 0                     # booleans are the integers 0 and 1
 *   unix_sock_group = "libvirt"        # or 'libvirt'
 *   tls_allowed_dn_list = [ "C=GB,O=Example",
 *                           "C=GB,O=Other" ]
 *
 * The caller describes the keys it knows with a table of (name, type,
 * offset into its own struct); parsing stores each value there.  Fields
 * keep whatever default the caller put in them unless the text sets them.
 */
#ifndef MV_CONF_FILE_H
#define MV_CONF_FILE_H

#include <stddef.h>

typedef enum {
    MV_CONF_INT,         /* int */
    MV_CONF_UINT,        /* unsigned int */
    MV_CONF_BOOL,        /* bool, from 0 or 1 */
    MV_CONF_STRING,      /* char *, malloc'd */
    MV_CONF_STRING_LIST, /* char **, malloc'd, NULL-terminated; a single
                          * string is taken as a list of one */
} mv_conf_type;

/*
 * Called once the value of a key has been stored in field, with where the
 * file set it (name as given to the parser, line of the key), so that a
 * caller's check of the value can name file, line and key.  Returns 0, or
 * a negative errno with an error recorded, which ends the parse.
 */
typedef int (*mv_conf_check_fn)(const char *name, unsigned line, const char *key,
                                const void *field);

typedef struct mv_conf_key {
    const char *name;
    mv_conf_type type;
    size_t offset;       /* offsetof() the field in the target struct */
    mv_conf_check_fn check; /* may be NULL */
} mv_conf_key;

#define MV_CONF_KEY(type_, name_, struct_, field_) \
    { .name = (name_), .type = (type_), .offset = offsetof(struct_, field_) }

/* Record the error "NAME:LINE: KEY: detail" (KEY omitted when NULL) with
 * code (MV_ERR_CONF_SYNTAX, MV_ERR_CONFIG_UNSUPPORTED, ...) and return
 * -EINVAL: the shape of every complaint about a config file. */
int mv_conf_report(int code, const char *name, unsigned line, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Hard limits: anything larger is an error, not a truncation. */
#define MV_CONF_MAX_FILE_SIZE (1024 * 1024)
#define MV_CONF_MAX_STRING 65536
#define MV_CONF_MAX_LIST 1024
#define MV_CONF_MAX_KEY 256

/*
 * Parse path into target.  A missing file is not an error: 0, and target
 * keeps its defaults.  Malformed text, a value of the wrong type or out of
 * range gives -EINVAL with an MV_ERR_CONF_SYNTAX error recorded whose
 * message names the file, line and key; a key's check may fail the parse
 * with its own error.  Unknown keys are logged as
 * warnings and skipped.  On error target may be partly updated but is
 * always safe to pass to mv_conf_free().
 */
int mv_conf_parse_file(const char *path, const mv_conf_key *keys, size_t nkeys, void *target);

/* Same for text of len bytes (need not be NUL-terminated); name is used in
 * messages in place of a file name. */
int mv_conf_parse_string(const char *name, const char *text, size_t len,
                         const mv_conf_key *keys, size_t nkeys, void *target);

/* Free the strings and lists the table names in target and set them to
 * NULL. */
void mv_conf_free(const mv_conf_key *keys, size_t nkeys, void *target);

#endif
