/*
 * Reading libvirt's CPU map (see qemu_cpu_map.h): index.xml names, per
 * architecture, the files that define vendors, features and models.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "qemu_cpu_map.h"
#include "util/cleanup.h"
#include "util/error.h"

#define DEFAULT_DIR "/usr/share/libvirt/cpu_map"
#define MAX_MODELS 1024

static const char *map_dir = DEFAULT_DIR;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static qcpu_map the_map;
static int load_result;
static mv_error load_error;

void qcpu_map_set_dir(const char *dir)
{
    map_dir = dir ? dir : DEFAULT_DIR;
}

static bool is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static char *attr(xmlNodePtr n, const char *name)
{
    return (char *)xmlGetProp(n, (const xmlChar *)name);
}

static int push(char ***list, size_t *n, char *s)
{
    char **t;

    if (!s)
        return -ENOMEM;
    if (*n >= MAX_MODELS || !(t = realloc(*list, (*n + 1) * sizeof(*t)))) {
        free(s);
        return *n >= MAX_MODELS ? -E2BIG : -ENOMEM;
    }
    t[(*n)++] = s;
    *list = t;
    return 0;
}

int qcpu_feature_index(const qcpu_map *m, const char *name)
{
    for (size_t i = 0; i < m->nfeatures; i++)
        if (strcmp(m->features[i], name) == 0)
            return (int)i;
    return -1;
}

const qcpu_model *qcpu_model_find(const qcpu_map *m, const char *name)
{
    for (size_t i = 0; i < m->nmodels; i++)
        if (strcmp(m->models[i].name, name) == 0)
            return &m->models[i];
    return NULL;
}

static int bad_file(const char *file, const char *what)
{
    return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_CPU,
                           "cannot read CPU map file %s/%s: %s", map_dir, file, what);
}

static int x86_model(qcpu_map *m, xmlNodePtr node, const char *file)
{
    qcpu_model *t, *md;

    if (m->nmodels >= MAX_MODELS || !(t = realloc(m->models, (m->nmodels + 1) * sizeof(*t))))
        return -ENOMEM;
    m->models = t;
    md = &m->models[m->nmodels];
    memset(md, 0, sizeof(*md));
    if (!(md->name = attr(node, "name")))
        return bad_file(file, "a model without a name");
    m->nmodels++;
    md->decode_host = md->decode_guest = true;
    for (xmlNodePtr c = node->children; c; c = c->next) {
        _cleanup_free_ char *name = NULL, *a = NULL, *b = NULL;

        if (is(c, "decode")) {
            a = attr(c, "host");
            b = attr(c, "guest");
            md->decode_host = !a || strcmp(a, "on") == 0;
            md->decode_guest = !b || strcmp(b, "on") == 0;
        } else if (is(c, "signature")) {
            a = attr(c, "family");
            b = attr(c, "model");
            if (a && b && md->nsigs < ELEMENTSOF(md->sig_family)) {
                md->sig_family[md->nsigs] = (unsigned)strtoul(a, NULL, 10);
                md->sig_model[md->nsigs++] = (unsigned)strtoul(b, NULL, 10);
            }
        } else if (is(c, "vendor")) {
            free(md->vendor);
            md->vendor = attr(c, "name");
        } else if (is(c, "feature")) {
            int i;
            if (!(name = attr(c, "name")) || (i = qcpu_feature_index(m, name)) < 0)
                return bad_file(file, "a model with an unknown feature");
            a = attr(c, "removed");
            qcpu_add(a && strcmp(a, "yes") == 0 ? &md->removed : &md->features, (size_t)i);
        } else if (is(c, "model")) {
            /* a model built on another: its features first */
            const qcpu_model *base;
            if (!(name = attr(c, "name")) || !(base = qcpu_model_find(m, name)))
                return bad_file(file, "a model based on an unknown model");
            for (size_t w = 0; w < ELEMENTSOF(md->features.w); w++) {
                md->features.w[w] |= base->features.w[w];
                md->removed.w[w] |= base->removed.w[w];
            }
            if (!md->vendor && base->vendor && !(md->vendor = strdup(base->vendor)))
                return -ENOMEM;
        }
    }
    return 0;
}

/* One file of an architecture's section. */
static int load_file(qcpu_map *m, const char *arch, const char *file)
{
    _cleanup_free_ char *path = NULL;
    xmlDocPtr doc;
    xmlNodePtr root;
    int r = 0;

    if (strchr(file, '/') || asprintf(&path, "%s/%s", map_dir, file) < 0)
        return strchr(file, '/') ? bad_file(file, "a path in an include") : -ENOMEM;
    doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
    if (!doc)
        return bad_file(file, "not a readable XML document");
    root = xmlDocGetRootElement(doc);
    for (xmlNodePtr c = root ? root->children : NULL; c && r >= 0; c = c->next) {
        if (strcmp(arch, "x86") == 0) {
            if (is(c, "feature")) {
                _cleanup_free_ char *mig = attr(c, "migratable");
                char *name = attr(c, "name");
                if (m->nfeatures >= QCPU_MAX_FEATURES) {
                    free(name);
                    r = bad_file(file, "too many features");
                    break;
                }
                if (mig && strcmp(mig, "no") == 0)
                    qcpu_add(&m->non_migratable, m->nfeatures);
                r = push(&m->features, &m->nfeatures, name);
            } else if (is(c, "vendor")) {
                r = push(&m->vendors, &m->nvendors, attr(c, "name"));
            } else if (is(c, "model")) {
                r = x86_model(m, c, file);
            }
        } else if (strcmp(arch, "ppc64") == 0 && is(c, "model")) {
            r = push(&m->ppc64, &m->nppc64, attr(c, "name"));
        }
    }
    xmlFreeDoc(doc);
    return r;
}

static int load(qcpu_map *m)
{
    _cleanup_free_ char *path = NULL;
    xmlDocPtr doc;
    xmlNodePtr root;
    int r = 0;

    if (asprintf(&path, "%s/index.xml", map_dir) < 0)
        return -ENOMEM;
    doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);
    if (!doc)
        return bad_file("index.xml", "not a readable XML document");
    root = xmlDocGetRootElement(doc);
    for (xmlNodePtr a = root ? root->children : NULL; a && r >= 0; a = a->next) {
        _cleanup_free_ char *arch = NULL;

        if (!is(a, "arch") || !(arch = attr(a, "name")))
            continue;
        if (strcmp(arch, "x86") != 0 && strcmp(arch, "ppc64") != 0)
            continue;
        for (xmlNodePtr inc = a->children; inc && r >= 0; inc = inc->next) {
            _cleanup_free_ char *file = NULL;
            if (is(inc, "include") && (file = attr(inc, "filename")))
                r = load_file(m, arch, file);
        }
    }
    xmlFreeDoc(doc);
    return r;
}

static void load_once(void)
{
    mv_error_reset();
    load_result = load(&the_map);
    if (load_result < 0)
        mv_error_resolve(load_result, &load_error);
}

int qcpu_map_get(const qcpu_map **ret)
{
    pthread_once(&once, load_once);
    if (load_result < 0)
        return mv_error_report_raw(load_result, load_error.code, load_error.domain, "%s",
                                   load_error.message);
    *ret = &the_map;
    return 0;
}
