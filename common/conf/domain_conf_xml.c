/* XML reading and writing helpers of the domain document. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/relaxng.h>
#include <libxml/xmlsave.h>
#include <pthread.h>

#include "conf/domain_conf_priv.h"
#include "util/cleanup.h"

/* ---- reading a document ---- */

/* The first parse error, with the context libvirt shows: the line of the
 * input and a pointer to the column. */
struct read_error {
    bool set;
    int line;
    char message[512];
    char context[256];
};

static void read_error_cb(void *data, xmlErrorPtr err)
{
    xmlParserCtxtPtr ctxt = data;
    struct read_error *re = ctxt ? ctxt->_private : NULL;
    const xmlChar *cur, *base, *start, *end;
    size_t col, len, i;
    int n;

    if (!re || re->set || !err || err->level < XML_ERR_ERROR)
        return;
    re->set = true;
    re->line = err->line;
    snprintf(re->message, sizeof(re->message), "%s", err->message ? err->message : "error\n");
    if (!ctxt->input || !ctxt->input->cur || !ctxt->input->base)
        return;
    cur = ctxt->input->cur;
    base = ctxt->input->base;
    /* The line around the error (the one before, when the error is at
     * its end), at most 80 characters of it; the pointer counts from the
     * error position itself. */
    start = cur;
    while (start > base && (*start == '\n' || *start == '\r'))
        start--;
    while (start > base && start[-1] != '\n' && start[-1] != '\r' && cur - start < 80)
        start--;
    end = start;
    while (*end && *end != '\n' && *end != '\r' && end - start < 80)
        end++;
    col = (size_t)(cur - start);
    len = (size_t)(end - start);
    n = snprintf(re->context, sizeof(re->context), "%.*s\n", (int)len, (const char *)start);
    for (i = 0; i < col && n + 2 < (int)sizeof(re->context); i++)
        re->context[n++] = '-';
    re->context[n++] = '^';
    re->context[n] = '\0';
}

static pthread_once_t xml_init_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

int dx_read(const char *xml, const char *name, const char *root_name, xmlDocPtr *ret)
{
    struct read_error re = { 0 };
    xmlParserCtxtPtr ctxt;
    xmlDocPtr doc;
    xmlNodePtr root;
    size_t len = xml ? strlen(xml) : 0;

    if (!xml)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN, "no XML document");
    if (len == 0)
        return mv_error_report_raw(-EINVAL, MV_ERR_XML_DETAIL, MV_FROM_DOMAIN,
                                   "%s:1: Document is empty\n(null)\n^", name);
    if (len > MV_DOMAIN_XML_MAX_LEN)
        return mv_error_report(-E2BIG, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "document of %zu bytes is larger than the limit of %u",
                               len, MV_DOMAIN_XML_MAX_LEN);
    pthread_once(&xml_init_once, xml_init);
    ctxt = xmlCreateMemoryParserCtxt(xml, (int)len);
    if (!ctxt)
        return -ENOMEM;
    ctxt->_private = &re;
    ctxt->sax->serror = read_error_cb;
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOWARNING |
                      XML_PARSE_NOCDATA);
    xmlParseDocument(ctxt);
    doc = ctxt->myDoc;
    ctxt->myDoc = NULL;
    if (!ctxt->wellFormed && !re.set) {
        re.set = true;
        re.line = 1;
        snprintf(re.message, sizeof(re.message), "malformed document\n");
    }
    xmlFreeParserCtxt(ctxt);
    if (!doc || re.set) {
        xmlFreeDoc(doc);
        return mv_error_report_raw(-EINVAL, MV_ERR_XML_DETAIL, MV_FROM_DOMAIN, "%s:%d: %s%s",
                                   name, re.line, re.message, re.context);
    }
    /* No document type declarations: they bring entities, which the
     * document model has no use for and which could expand without bound. */
    if (doc->intSubset || doc->extSubset) {
        xmlFreeDoc(doc);
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "document type declarations are not supported");
    }
    root = xmlDocGetRootElement(doc);
    if (!root || (root_name && (root->ns || strcmp((const char *)root->name, root_name) != 0))) {
        int r = mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_XML,
                                "expecting root element of '%s', not '%s'", root_name ? root_name : "",
                                root ? (const char *)root->name : "");
        xmlFreeDoc(doc);
        return r;
    }
    *ret = doc;
    return 0;
}

/* ---- reading elements and attributes ---- */

bool dx_is(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && !n->ns &&
           strcmp((const char *)n->name, name) == 0;
}

xmlNodePtr dx_next(xmlNodePtr n, xmlNodePtr prev, const char *name)
{
    for (xmlNodePtr c = prev ? prev->next : n->children; c; c = c->next) {
        if (dx_is(c, name)) {
            c->_private = DX_USED;
            return c;
        }
    }
    return NULL;
}

xmlNodePtr dx_child(xmlNodePtr n, const char *name)
{
    return dx_next(n, NULL, name);
}

size_t dx_count(xmlNodePtr n, const char *name)
{
    size_t count = 0;

    for (xmlNodePtr c = n->children; c; c = c->next)
        count += dx_is(c, name);
    return count;
}

static xmlAttrPtr find_attr(xmlNodePtr n, const char *name)
{
    for (xmlAttrPtr a = n->properties; a; a = a->next)
        if (!a->ns && strcmp((const char *)a->name, name) == 0)
            return a;
    return NULL;
}

bool dx_has_attr(xmlNodePtr n, const char *name)
{
    return find_attr(n, name) != NULL;
}

char *dx_strdup(dparse *p, const char *s)
{
    char *r;

    if (!s)
        return NULL;
    r = strdup(s);
    if (!r)
        p->oom = true;
    return r;
}

char *dx_attr(dparse *p, xmlNodePtr n, const char *name)
{
    xmlAttrPtr a = find_attr(n, name);
    xmlChar *v;
    char *r;

    if (!a)
        return NULL;
    a->_private = DX_USED;
    v = xmlNodeListGetString(n->doc, a->children, 1);
    r = dx_strdup(p, v ? (const char *)v : "");
    xmlFree(v);
    return r;
}

char *dx_text(dparse *p, xmlNodePtr n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *r = dx_strdup(p, v ? (const char *)v : "");

    xmlFree(v);
    return r;
}

int dx_lookup(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

int dx_err_invalid(const char *attr, const char *elem, const char *value)
{
    return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_XML,
                           "Invalid value for attribute '%s' in element '%s': '%s'.",
                           attr, elem, value);
}

int dx_err_missing(const char *attr, const char *elem)
{
    return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_XML,
                           "Missing required attribute '%s' in element '%s'", attr, elem);
}

int dx_attr_enum(dparse *p, xmlNodePtr n, const char *attr, const char *const *names,
                 size_t nnames, bool required, int *ret)
{
    _cleanup_free_ char *v = dx_attr(p, n, attr);
    int i;

    if (!v) {
        if (p->oom)
            return -ENOMEM;
        return required ? dx_err_missing(attr, (const char *)n->name) : 0;
    }
    i = *v ? dx_lookup(names, nnames, v) : -1;
    if (i < 0)
        return dx_err_invalid(attr, (const char *)n->name, v);
    *ret = i;
    return 1;
}

int dx_attr_in(dparse *p, xmlNodePtr n, const char *attr, const char *const *names, char **ret)
{
    char *v = dx_attr(p, n, attr);

    if (!v)
        return p->oom ? -ENOMEM : 0;
    free(*ret);
    *ret = v;
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], v) == 0)
            return 1;
    return 2;
}

int dx_attr_in_xml(dparse *p, xmlNodePtr n, const char *attr, const char *const *names,
                   char **ret)
{
    int r = dx_attr_in(p, n, attr, names, ret);

    if (r == 2)
        return dx_err_invalid(attr, (const char *)n->name, *ret);
    return r;
}

static int attr_bool(dparse *p, xmlNodePtr n, const char *attr, const char *yes,
                     const char *no, mv_tristate *ret)
{
    _cleanup_free_ char *v = dx_attr(p, n, attr);

    if (!v)
        return p->oom ? -ENOMEM : 0;
    if (strcmp(v, yes) == 0)
        *ret = MV_TRISTATE_YES;
    else if (strcmp(v, no) == 0)
        *ret = MV_TRISTATE_NO;
    else
        return dx_err_invalid(attr, (const char *)n->name, v);
    return 1;
}

int dx_attr_yesno(dparse *p, xmlNodePtr n, const char *attr, mv_tristate *ret)
{
    return attr_bool(p, n, attr, "yes", "no", ret);
}

int dx_attr_onoff(dparse *p, xmlNodePtr n, const char *attr, mv_tristate *ret)
{
    return attr_bool(p, n, attr, "on", "off", ret);
}

int dx_parse_ull(const char *s, int base, unsigned long long *ret)
{
    char *end;
    unsigned long long v;

    if (!s || !*s || isspace((unsigned char)*s) || *s == '-' || *s == '+')
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, base);
    if (errno || *end)
        return -EINVAL;
    *ret = v;
    return 0;
}

int dx_parse_ll(const char *s, long long *ret)
{
    char *end;
    long long v;

    if (!s || !*s || isspace((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end)
        return -EINVAL;
    *ret = v;
    return 0;
}

int dx_attr_uint(dparse *p, xmlNodePtr n, const char *attr, int base, unsigned long long max,
                 unsigned long long *ret)
{
    _cleanup_free_ char *v = dx_attr(p, n, attr);
    unsigned long long u;

    if (!v)
        return p->oom ? -ENOMEM : 0;
    if (dx_parse_ull(v, base, &u) < 0 || u > max)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_XML,
                               "Invalid value for attribute '%s' in element '%s': '%s'. "
                               "Expected non-negative integer value",
                               attr, (const char *)n->name, v);
    *ret = u;
    return 1;
}

int dx_attr_u32(dparse *p, xmlNodePtr n, const char *attr, unsigned *ret)
{
    unsigned long long v;
    int r = dx_attr_uint(p, n, attr, 10, UINT_MAX, &v);

    if (r > 0)
        *ret = (unsigned)v;
    return r;
}

int dx_attr_int(dparse *p, xmlNodePtr n, const char *attr, long long min, long long max,
                long long *ret)
{
    _cleanup_free_ char *v = dx_attr(p, n, attr);
    long long i;

    if (!v)
        return p->oom ? -ENOMEM : 0;
    if (dx_parse_ll(v, &i) < 0 || i < min || i > max)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_XML,
                               "Invalid value for attribute '%s' in element '%s': '%s'. "
                               "Expected integer value", attr, (const char *)n->name, v);
    *ret = i;
    return 1;
}

/* Units of a scaled size, in bytes. */
static int unit_scale(const char *unit, unsigned long long *ret)
{
    static const struct { const char *name; unsigned long long bytes; } units[] = {
        { "b", 1 }, { "bytes", 1 },
        { "KB", 1000ULL }, { "k", 1024ULL }, { "KiB", 1024ULL },
        { "MB", 1000000ULL }, { "M", 1ULL << 20 }, { "MiB", 1ULL << 20 },
        { "GB", 1000000000ULL }, { "G", 1ULL << 30 }, { "GiB", 1ULL << 30 },
        { "TB", 1000000000000ULL }, { "T", 1ULL << 40 }, { "TiB", 1ULL << 40 },
        { "PB", 1000000000000000ULL }, { "P", 1ULL << 50 }, { "PiB", 1ULL << 50 },
        { "EB", 1000000000000000000ULL }, { "E", 1ULL << 60 }, { "EiB", 1ULL << 60 },
    };

    /* Single-letter units are case-insensitive, as libvirt has them. */
    for (size_t i = 0; i < ELEMENTSOF(units); i++) {
        if (strcmp(units[i].name, unit) == 0 ||
            (strlen(unit) == 1 && strlen(units[i].name) == 1 &&
             tolower((unsigned char)*unit) == tolower((unsigned char)*units[i].name))) {
            *ret = units[i].bytes;
            return 0;
        }
    }
    return -EINVAL;
}

int dx_scaled_kib(dparse *p, xmlNodePtr n, const char *xpath, const char *default_unit,
                  unsigned long long *ret)
{
    _cleanup_free_ char *unit = dx_attr(p, n, "unit");
    _cleanup_free_ char *text = dx_text(p, n);
    unsigned long long v, scale, bytes;

    if (p->oom)
        return -ENOMEM;
    if (dx_parse_ull(text, 10, &v) < 0)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_XML,
                               "Invalid value '%s' for element or attribute '%s'", text, xpath);
    if (unit_scale(unit ? unit : default_unit, &scale) < 0)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_NONE,
                               "unknown suffix '%s'", unit);
    /* libvirt's limit: the size in bytes fits in a long long. */
    if (v > (unsigned long long)LLONG_MAX / scale)
        return mv_error_report_raw(-ERANGE, MV_ERR_OVERFLOW, MV_FROM_NONE,
                                   "numerical overflow: value too large: %s%s", text,
                                   unit ? unit : "");
    bytes = v * scale;
    *ret = bytes / 1024 + (bytes % 1024 != 0);
    return 0;
}

/* ---- what is left unread ---- */

static void node_path(xmlNodePtr n, char *out, size_t size)
{
    const char *names[32];
    size_t depth = 0, off = 0;

    for (xmlNodePtr c = n; c && c->type == XML_ELEMENT_NODE && depth < ELEMENTSOF(names);
         c = c->parent)
        names[depth++] = (const char *)c->name;
    out[0] = '\0';
    while (depth-- > 0 && off + 1 < size) {
        int w = snprintf(out + off, size - off, "%s%s", off ? "/" : "", names[depth]);
        if (w < 0)
            break;
        off += (size_t)w;
    }
}

static bool has_used_sibling(xmlNodePtr n)
{
    for (xmlNodePtr c = n->parent ? n->parent->children : NULL; c; c = c->next)
        if (c != n && c->type == XML_ELEMENT_NODE && c->_private &&
            xmlStrEqual(c->name, n->name) && c->ns == n->ns)
            return true;
    return false;
}

int dx_check_unused(xmlNodePtr root)
{
    xmlNodePtr n = root;
    char path[512];

    /* Depth first, without recursion. */
    while (n) {
        if (n->type == XML_ELEMENT_NODE && n->_private != DX_VERBATIM) {
            if (!n->_private) {
                node_path(n, path, sizeof(path));
                if (has_used_sibling(n))
                    return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                           "element '%s' may appear only once", path);
                return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                       "unsupported element '%s'", path);
            }
            for (xmlAttrPtr a = n->properties; a; a = a->next) {
                if (!a->_private) {
                    node_path(n, path, sizeof(path));
                    return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                           "unsupported attribute '%s%s%s' of element '%s'",
                                           a->ns && a->ns->prefix ? (const char *)a->ns->prefix : "",
                                           a->ns && a->ns->prefix ? ":" : "",
                                           (const char *)a->name, path);
                }
            }
            if (n->children) {
                n = n->children;
                continue;
            }
        }
        while (n && n != root && !n->next)
            n = n->parent;
        if (!n || n == root)
            break;
        n = n->next;
    }
    return 0;
}

void dx_mark_subtree(xmlNodePtr n)
{
    n->_private = DX_VERBATIM;
}

char *dx_dump_node(xmlNodePtr n, int level)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlBufferPtr buf = NULL;
    xmlNodePtr copy;
    char *r = NULL;

    if (!doc)
        return NULL;
    copy = xmlDocCopyNode(n, doc, 1);
    if (!copy)
        goto out;
    xmlDocSetRootElement(doc, copy);
    xmlReconciliateNs(doc, copy);
    buf = xmlBufferCreate();
    if (!buf)
        goto out;
    if (xmlNodeDump(buf, doc, copy, level, 1) < 0)
        goto out;
    r = strdup((const char *)xmlBufferContent(buf));
out:
    xmlBufferFree(buf);
    xmlFreeDoc(doc);
    return r;
}

/* ---- writing ---- */

static void db_reserve(dbuf *b, size_t extra)
{
    size_t need, cap;
    char *s;

    if (b->oom)
        return;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    s = realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return;
    }
    b->s = s;
    b->cap = cap;
}

void db_free(dbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

void db_addn(dbuf *b, const char *s, size_t n)
{
    db_reserve(b, n);
    if (b->oom)
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void db_add(dbuf *b, const char *s)
{
    if (s)
        db_addn(b, s, strlen(s));
}

void db_addf(dbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    db_reserve(b, (size_t)n);
    if (b->oom)
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void db_esc(dbuf *b, const char *s)
{
    if (!s)
        return;
    for (;;) {
        size_t plain = strcspn(s, "<>&\"'");    /* most values have nothing to escape */
        const char *rep;

        db_addn(b, s, plain);
        s += plain;
        switch (*s) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default: return;    /* the end */
        }
        db_add(b, rep);
        s++;
    }
}

void db_indent(dbuf *b)
{
    static const char spaces[] = "                                                  ";
    size_t n = 2 * (size_t)b->indent;

    for (; n > sizeof(spaces) - 1; n -= sizeof(spaces) - 1)
        db_addn(b, spaces, sizeof(spaces) - 1);
    db_addn(b, spaces, n);
}

void db_child(dbuf *child, const dbuf *parent)
{
    *child = (dbuf) { .indent = parent->indent + 1 };
}

void db_start(dbuf *b, const char *name)
{
    db_indent(b);
    db_add(b, "<");
    db_add(b, name);
}

void db_attr(dbuf *b, const char *name, const char *value)
{
    if (!value)
        return;
    db_addn(b, " ", 1);
    db_add(b, name);
    db_addn(b, "='", 2);
    db_esc(b, value);
    db_addn(b, "'", 1);
}

void db_attrf(dbuf *b, const char *name, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    db_attr(b, name, tmp);
}

void db_attr_yesno(dbuf *b, const char *name, mv_tristate v)
{
    if (v != MV_TRISTATE_ABSENT)
        db_attr(b, name, v == MV_TRISTATE_YES ? "yes" : "no");
}

void db_attr_onoff(dbuf *b, const char *name, mv_tristate v)
{
    if (v != MV_TRISTATE_ABSENT)
        db_attr(b, name, v == MV_TRISTATE_YES ? "on" : "off");
}

void db_end(dbuf *b)
{
    db_add(b, "/>\n");
}

void db_add_empty(dbuf *b, const char *name)
{
    db_start(b, name);
    db_end(b);
}

void db_finish(dbuf *b, const char *name, dbuf *child)
{
    if (child->oom)
        b->oom = true;
    if (!child->len) {
        db_end(b);
    } else {
        db_add(b, ">\n");
        db_addn(b, child->s, child->len);
        db_indent(b);
        db_add(b, "</");
        db_add(b, name);
        db_add(b, ">\n");
    }
    db_free(child);
}

void db_text_elem(dbuf *b, const char *name, const char *text)
{
    if (!text)
        return;
    db_indent(b);
    db_addn(b, "<", 1);
    db_add(b, name);
    db_addn(b, ">", 1);
    db_esc(b, text);
    db_addn(b, "</", 2);
    db_add(b, name);
    db_addn(b, ">\n", 2);
}

int db_steal(dbuf *b, char **ret)
{
    if (b->oom) {
        db_free(b);
        return -ENOMEM;
    }
    if (!b->s) {
        b->s = strdup("");
        if (!b->s)
            return -ENOMEM;
    }
    *ret = b->s;
    b->s = NULL;
    b->len = b->cap = 0;
    return 0;
}

/* ---- small parsers ---- */

int dx_mac_parse(const char *s, unsigned char mac[MV_DOMAIN_MAC_LEN])
{
    for (size_t i = 0; i < MV_DOMAIN_MAC_LEN; i++) {
        int hi = mv_hexval(*s), lo;

        if (hi < 0)
            return -EINVAL;
        s++;
        lo = mv_hexval(*s);
        if (lo >= 0) {
            hi = hi << 4 | lo;
            s++;
        }
        mac[i] = (unsigned char)hi;
        if (i + 1 < MV_DOMAIN_MAC_LEN) {
            if (*s != ':')
                return -EINVAL;
            s++;
        }
    }
    return *s ? -EINVAL : 0;
}

void dx_mac_format(const unsigned char mac[MV_DOMAIN_MAC_LEN], char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
             mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int dx_cpuset_canon(const char *s, unsigned max, char **ret)
{
    _cleanup_free_ unsigned char *set = calloc(max, 1);
    _cleanup_free_ unsigned char *neg = calloc(max, 1);
    dbuf b = { 0 };
    bool any = false;

    if (!set || !neg)
        return -ENOMEM;
    while (*s) {
        bool negate = false;
        unsigned long lo, hi;
        char *end;

        while (*s == ' ')
            s++;
        if (*s == '^') {
            negate = true;
            s++;
        }
        if (!isdigit((unsigned char)*s))
            return -EINVAL;
        errno = 0;
        lo = strtoul(s, &end, 10);
        if (errno || lo >= max)
            return -EINVAL;
        s = end;
        hi = lo;
        if (*s == '-' && !negate) {
            s++;
            if (!isdigit((unsigned char)*s))
                return -EINVAL;
            hi = strtoul(s, &end, 10);
            if (errno || hi >= max || hi < lo)
                return -EINVAL;
            s = end;
        }
        for (unsigned long i = lo; i <= hi; i++)
            (negate ? neg : set)[i] = 1;
        while (*s == ' ')
            s++;
        if (*s == ',')
            s++;
        else if (*s)
            return -EINVAL;
    }
    for (unsigned i = 0; i < max; i++) {
        unsigned j;

        if (!set[i] || neg[i])
            continue;
        for (j = i; j + 1 < max && set[j + 1] && !neg[j + 1]; j++)
            ;
        if (any)
            db_add(&b, ",");
        if (j > i)
            db_addf(&b, "%u-%u", i, j);
        else
            db_addf(&b, "%u", i);
        any = true;
        i = j;
    }
    if (!any) {
        db_free(&b);
        return -EINVAL;
    }
    return db_steal(&b, ret);
}

/* ---- schema validation ---- */

#define DOMAIN_SCHEMA "/usr/share/libvirt/schemas/domain.rng"

static pthread_once_t schema_once = PTHREAD_ONCE_INIT;
static xmlRelaxNGPtr domain_schema;

static void schema_quiet(void *ctx, xmlErrorPtr err)
{
}

static void schema_load(void)
{
    xmlRelaxNGParserCtxtPtr pc = xmlRelaxNGNewParserCtxt(DOMAIN_SCHEMA);

    if (!pc)
        return;
    xmlRelaxNGSetParserStructuredErrors(pc, schema_quiet, NULL);
    domain_schema = xmlRelaxNGParse(pc);
    xmlRelaxNGFreeParserCtxt(pc);
}

static void schema_error(void *ctx, xmlErrorPtr err)
{
    dbuf *b = ctx;

    if (b->len < 2048 && err && err->message) {
        db_add(b, "\n");
        db_add(b, err->message);
        if (b->len && b->s[b->len - 1] == '\n')
            b->s[--b->len] = '\0';
    }
}

int dx_validate_schema(xmlDocPtr doc)
{
    xmlRelaxNGValidCtxtPtr vc;
    dbuf errs = { 0 };
    int r;

    pthread_once(&schema_once, schema_load);
    if (!domain_schema)
        return mv_error_report(-ENOENT, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                               "Unable to load the RNG schema %s", DOMAIN_SCHEMA);
    vc = xmlRelaxNGNewValidCtxt(domain_schema);
    if (!vc)
        return -ENOMEM;
    xmlRelaxNGSetValidStructuredErrors(vc, schema_error, &errs);
    r = xmlRelaxNGValidateDoc(vc, doc);
    xmlRelaxNGFreeValidCtxt(vc);
    if (r != 0) {
        /* libvirt's XML code reports it (VIR_FROM_XML), each line ended */
        r = mv_error_report_raw(-EINVAL, MV_ERR_XML_INVALID_SCHEMA, MV_FROM_XML,
                                "XML document failed to validate against schema: "
                                "Unable to validate doc against %s%s\n",
                                DOMAIN_SCHEMA, errs.s ? errs.s : "");
        db_free(&errs);
        return r;
    }
    db_free(&errs);
    return 0;
}
