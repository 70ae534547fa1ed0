#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/conf_file.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/log.h"

typedef enum {
    VAL_INT,
    VAL_STRING,
    VAL_LIST,
} value_kind;

typedef struct {
    value_kind kind;
    long long num;
    char *str;
    char **list;        /* NULL-terminated once complete */
    size_t nlist;
    bool list_has_int;  /* only string lists are usable, but an unknown
                         * key may legitimately hold integers */
} conf_value;

typedef struct {
    const char *name;   /* for messages */
    const char *p;
    const char *end;
    unsigned line;
} parser;

static void strv_free(char **l)
{
    if (!l)
        return;
    for (char **s = l; *s; s++)
        free(*s);
    free(l);
}

static void value_clear(conf_value *v)
{
    free(v->str);
    v->str = NULL;
    if (v->list) {
        for (size_t i = 0; i < v->nlist; i++)
            free(v->list[i]);
        free(v->list);
    }
    v->list = NULL;
    v->nlist = 0;
}

static const char *kind_name(value_kind k)
{
    switch (k) {
    case VAL_INT: return "an integer";
    case VAL_STRING: return "a string";
    default: return "a list";
    }
}

int mv_conf_report(int code, const char *name, unsigned line, const char *key,
                   const char *fmt, ...)
{
    char detail[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    return mv_error_report(-EINVAL, code, MV_FROM_CONF, "%s:%u: %s%s%s",
                           name, line, key ? key : "", key ? ": " : "", detail);
}

#define conf_error(name, line, key, ...) \
    mv_conf_report(MV_ERR_CONF_SYNTAX, name, line, key, __VA_ARGS__)

static bool at_end(const parser *ps) { return ps->p >= ps->end; }

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_key_start(char c) { return is_alpha(c) || c == '_'; }
static bool is_key_char(char c) { return is_key_start(c) || is_digit(c) || c == '.'; }

/* Spaces and tabs, not newlines: those end a statement. */
static void skip_blanks(parser *ps)
{
    while (!at_end(ps) && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r'))
        ps->p++;
}

/* Up to, not including, the newline. */
static void skip_comment(parser *ps)
{
    if (at_end(ps) || *ps->p != '#')
        return;
    while (!at_end(ps) && *ps->p != '\n')
        ps->p++;
}

/* Inside a list, newlines and comments are just white space. */
static void skip_space_in_list(parser *ps)
{
    for (;;) {
        skip_blanks(ps);
        skip_comment(ps);
        if (at_end(ps) || *ps->p != '\n')
            return;
        ps->line++;
        ps->p++;
    }
}

static int parse_string(parser *ps, const char *key, char **ret_str)
{
    char quote = *ps->p++;
    const char *start = ps->p;
    char *s;

    while (!at_end(ps) && *ps->p != quote) {
        if (*ps->p == '\n')
            return conf_error(ps->name, ps->line, key, "unterminated string");
        if (*ps->p == '\0')
            return conf_error(ps->name, ps->line, key, "string contains a NUL byte");
        ps->p++;
    }
    if (at_end(ps))
        return conf_error(ps->name, ps->line, key, "unterminated string");
    if ((size_t)(ps->p - start) > MV_CONF_MAX_STRING)
        return conf_error(ps->name, ps->line, key, "string longer than %d bytes",
                          MV_CONF_MAX_STRING);
    s = strndup(start, (size_t)(ps->p - start));
    if (!s)
        return -ENOMEM;
    ps->p++;
    *ret_str = s;
    return 0;
}

static int parse_int(parser *ps, const char *key, long long *ret_num)
{
    bool neg = false;
    unsigned long long n = 0, limit;
    const char *digits;

    if (*ps->p == '-' || *ps->p == '+')
        neg = *ps->p++ == '-';
    limit = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
    digits = ps->p;
    while (!at_end(ps) && is_digit(*ps->p)) {
        unsigned d = (unsigned)(*ps->p - '0');
        if (n > (limit - d) / 10)
            return conf_error(ps->name, ps->line, key, "integer out of range");
        n = n * 10 + d;
        ps->p++;
    }
    if (ps->p == digits || (!at_end(ps) && (is_key_char(*ps->p))))
        return conf_error(ps->name, ps->line, key, "invalid integer");
    /* -(LLONG_MAX + 1) without overflowing on the way. */
    *ret_num = neg ? (n == 0 ? 0 : -(long long)(n - 1) - 1) : (long long)n;
    return 0;
}

static int list_append(parser *ps, const char *key, conf_value *v, char *item)
{
    char **l;

    if (v->nlist >= MV_CONF_MAX_LIST) {
        free(item);
        return conf_error(ps->name, ps->line, key, "list longer than %d items",
                          MV_CONF_MAX_LIST);
    }
    l = realloc(v->list, (v->nlist + 2) * sizeof(*l));
    if (!l) {
        free(item);
        return -ENOMEM;
    }
    l[v->nlist++] = item;
    l[v->nlist] = NULL;
    v->list = l;
    return 0;
}

static int parse_list(parser *ps, const char *key, conf_value *v)
{
    int r;

    ps->p++; /* '[' */
    v->kind = VAL_LIST;
    v->list = calloc(1, sizeof(*v->list));
    if (!v->list)
        return -ENOMEM;

    for (;;) {
        skip_space_in_list(ps);
        if (at_end(ps))
            return conf_error(ps->name, ps->line, key, "unterminated list");
        if (*ps->p == ']')
            break;
        if (*ps->p == '"' || *ps->p == '\'') {
            char *s = NULL;
            r = parse_string(ps, key, &s);
            if (r < 0)
                return r;
            r = list_append(ps, key, v, s);
            if (r < 0)
                return r;
        } else if (is_digit(*ps->p) || *ps->p == '-' || *ps->p == '+') {
            long long ignored;
            r = parse_int(ps, key, &ignored);
            if (r < 0)
                return r;
            v->list_has_int = true;
        } else {
            return conf_error(ps->name, ps->line, key,
                              "expected a quoted string or an integer in the list");
        }
        skip_space_in_list(ps);
        if (at_end(ps))
            return conf_error(ps->name, ps->line, key, "unterminated list");
        if (*ps->p == ']')
            break;
        if (*ps->p != ',')
            return conf_error(ps->name, ps->line, key, "expected ',' or ']' in the list");
        ps->p++; /* a trailing comma before ']' is allowed */
    }
    ps->p++; /* ']' */
    return 0;
}

static int parse_value(parser *ps, const char *key, conf_value *v)
{
    if (at_end(ps))
        return conf_error(ps->name, ps->line, key, "missing value");
    switch (*ps->p) {
    case '"':
    case '\'':
        v->kind = VAL_STRING;
        return parse_string(ps, key, &v->str);
    case '[':
        return parse_list(ps, key, v);
    default:
        if (is_digit(*ps->p) || *ps->p == '-' || *ps->p == '+') {
            v->kind = VAL_INT;
            return parse_int(ps, key, &v->num);
        }
        return conf_error(ps->name, ps->line, key,
                          "expected an integer, a quoted string or a list");
    }
}

static const mv_conf_key *find_key(const mv_conf_key *keys, size_t nkeys, const char *name)
{
    for (size_t i = 0; i < nkeys; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

/* Store v into target per k, taking ownership of its strings. */
static int apply(const parser *ps, unsigned line, const mv_conf_key *k, conf_value *v,
                 void *target)
{
    void *field = (char *)target + k->offset;
    const char *key = k->name;

    switch (k->type) {
    case MV_CONF_INT:
        if (v->kind != VAL_INT)
            return conf_error(ps->name, line, key, "expected an integer, got %s",
                              kind_name(v->kind));
        if (v->num < INT_MIN || v->num > INT_MAX)
            return conf_error(ps->name, line, key, "value %lld out of range", v->num);
        *(int *)field = (int)v->num;
        return 0;
    case MV_CONF_UINT:
        if (v->kind != VAL_INT)
            return conf_error(ps->name, line, key, "expected an integer, got %s",
                              kind_name(v->kind));
        if (v->num < 0)
            return conf_error(ps->name, line, key,
                              "expected a non-negative integer, got %lld", v->num);
        if (v->num > UINT_MAX)
            return conf_error(ps->name, line, key, "value %lld out of range", v->num);
        *(unsigned *)field = (unsigned)v->num;
        return 0;
    case MV_CONF_BOOL:
        if (v->kind != VAL_INT)
            return conf_error(ps->name, line, key, "expected 0 or 1, got %s",
                              kind_name(v->kind));
        if (v->num != 0 && v->num != 1)
            return conf_error(ps->name, line, key, "expected 0 or 1, got %lld", v->num);
        *(bool *)field = v->num == 1;
        return 0;
    case MV_CONF_STRING:
        if (v->kind != VAL_STRING)
            return conf_error(ps->name, line, key, "expected a string, got %s",
                              kind_name(v->kind));
        free(*(char **)field);
        *(char **)field = TAKE_PTR(v->str);
        return 0;
    case MV_CONF_STRING_LIST:
        if (v->kind == VAL_STRING) {
            char **l = calloc(2, sizeof(*l));
            if (!l)
                return -ENOMEM;
            l[0] = TAKE_PTR(v->str);
            strv_free(*(char ***)field);
            *(char ***)field = l;
            return 0;
        }
        if (v->kind != VAL_LIST || v->list_has_int)
            return conf_error(ps->name, line, key, "expected a list of strings, got %s",
                              v->kind == VAL_LIST ? "a list holding integers"
                                                  : kind_name(v->kind));
        strv_free(*(char ***)field);
        *(char ***)field = TAKE_PTR(v->list);
        v->nlist = 0;
        return 0;
    }
    return conf_error(ps->name, line, key, "key table has an unknown type");
}

static int parse_statement(parser *ps, const mv_conf_key *keys, size_t nkeys, void *target)
{
    _cleanup_(value_clear) conf_value v = { 0 };
    char key[MV_CONF_MAX_KEY + 1];
    const char *start = ps->p;
    const mv_conf_key *k;
    unsigned line = ps->line;
    size_t klen;
    int r;

    if (!is_key_start(*ps->p))
        return conf_error(ps->name, ps->line, NULL, "expected a key name");
    while (!at_end(ps) && is_key_char(*ps->p))
        ps->p++;
    klen = (size_t)(ps->p - start);
    if (klen > MV_CONF_MAX_KEY)
        return conf_error(ps->name, ps->line, NULL, "key name longer than %d bytes",
                          MV_CONF_MAX_KEY);
    memcpy(key, start, klen);
    key[klen] = '\0';

    skip_blanks(ps);
    if (at_end(ps) || *ps->p != '=')
        return conf_error(ps->name, ps->line, key, "expected '=' after the key");
    ps->p++;
    skip_blanks(ps);
    r = parse_value(ps, key, &v);
    if (r < 0)
        return r;
    skip_blanks(ps);
    skip_comment(ps);
    if (!at_end(ps) && *ps->p != '\n' && *ps->p != ';')
        return conf_error(ps->name, ps->line, key, "unexpected text after the value");

    k = find_key(keys, nkeys, key);
    if (!k) {
        log_warn("%s:%u: unknown key '%s', ignored", ps->name, line, key);
        return 0;
    }
    r = apply(ps, line, k, &v, target);
    if (r < 0 || !k->check)
        return r;
    return k->check(ps->name, line, k->name, (const char *)target + k->offset);
}

int mv_conf_parse_string(const char *name, const char *text, size_t len,
                         const mv_conf_key *keys, size_t nkeys, void *target)
{
    parser ps = { .name = name ? name : "(string)", .p = text, .end = text + len, .line = 1 };
    int r;

    if (!text && len > 0)
        return -EINVAL;
    if (len > MV_CONF_MAX_FILE_SIZE)
        return conf_error(ps.name, 1, NULL, "larger than %d bytes", MV_CONF_MAX_FILE_SIZE);

    while (!at_end(&ps)) {
        switch (*ps.p) {
        case ' ': case '\t': case '\r':
            skip_blanks(&ps);
            break;
        case '#':
            skip_comment(&ps);
            break;
        case '\n':
            ps.line++;
            ps.p++;
            break;
        case ';': /* libvirt also allows ';' between statements */
            ps.p++;
            break;
        default:
            r = parse_statement(&ps, keys, nkeys, target);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

int mv_conf_parse_file(const char *path, const mv_conf_key *keys, size_t nkeys, void *target)
{
    _cleanup_free_ char *data = NULL;
    size_t len;
    int r;

    r = mv_read_file(path, MV_CONF_MAX_FILE_SIZE, &data, &len);
    if (r == -ENOENT)
        return 0;
    if (r == -EFBIG)
        return conf_error(path, 1, NULL, "larger than %d bytes", MV_CONF_MAX_FILE_SIZE);
    if (r < 0)
        return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_CONF,
                               "cannot read configuration file '%s': %s", path, strerror(-r));
    return mv_conf_parse_string(path, data, len, keys, nkeys, target);
}

void mv_conf_free(const mv_conf_key *keys, size_t nkeys, void *target)
{
    if (!target)
        return;
    for (size_t i = 0; i < nkeys; i++) {
        void *field = (char *)target + keys[i].offset;

        if (keys[i].type == MV_CONF_STRING) {
            free(*(char **)field);
            *(char **)field = NULL;
        } else if (keys[i].type == MV_CONF_STRING_LIST) {
            strv_free(*(char ***)field);
            *(char ***)field = NULL;
        }
    }
}
