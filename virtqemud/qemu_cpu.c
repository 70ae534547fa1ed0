/*
 * CPU comparison and baseline (see qemu_cpu.h).  A CPU becomes a feature
 * set: its model's features from the map, plus or minus the features it
 * lists by policy.  Messages and codes are libvirtd's for the same input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain_conf_priv.h"      /* dx_read: libvirt-style XML parse errors */
#include "qemu_cpu.h"
#include "util/cleanup.h"
#include "util/error.h"

enum { MODE_CUSTOM, MODE_HOST_MODEL, MODE_HOST_PASSTHROUGH, MODE_MAXIMUM };
enum { MATCH_EXACT, MATCH_MINIMUM, MATCH_STRICT };

typedef struct cpudef {
    bool host;                      /* a host CPU: <arch>, no mode */
    bool has_mode;
    int mode, match;
    char *arch, *model, *vendor;
    size_t nfeat;
    struct { char *name; char *policy; } feat[QCPU_MAX_FEATURES];
} cpudef;

static void cpudef_clear(cpudef *c)
{
    free(c->arch);
    free(c->model);
    free(c->vendor);
    for (size_t i = 0; i < c->nfeat; i++) {
        free(c->feat[i].name);
        free(c->feat[i].policy);
    }
    memset(c, 0, sizeof(*c));
}

#define cpu_err(code, ...) mv_error_report(-EINVAL, code, MV_FROM_CPU, __VA_ARGS__)

static char *text_of(xmlNodePtr n)
{
    xmlChar *t = xmlNodeGetContent(n);
    char *s = t ? strdup((const char *)t) : NULL;

    xmlFree(t);
    return s;
}

static char *prop(xmlNodePtr n, const char *name)
{
    xmlChar *t = xmlGetProp(n, (const xmlChar *)name);
    char *s = t ? strdup((const char *)t) : NULL;

    xmlFree(t);
    return s;
}

static int parse(const char *xml, cpudef *c)
{
    _cleanup_free_ char *mode = NULL, *match = NULL;
    xmlDocPtr doc = NULL;
    xmlNodePtr root;
    int r;

    if (!xml || !*xml)
        return mv_error_report_raw(-EINVAL, MV_ERR_XML_DETAIL, MV_FROM_CPU,
                                   "(CPU_definition):1: Document is empty\n(null)\n^");
    r = dx_read(xml, "(CPU_definition)", DX_ANY_ROOT, &doc);
    if (r < 0) {
        /* the same text, from the CPU code */
        const mv_error *e = mv_error_last();
        if (e)
            return mv_error_report_raw(r, e->code, MV_FROM_CPU, "%s", e->message);
        return r;
    }
    root = xmlDocGetRootElement(doc);
    if (strcmp((const char *)root->name, "cpu") != 0) {
        xmlFreeDoc(doc);
        return cpu_err(MV_ERR_XML_ERROR, "XML does not contain expected '%s' element", "cpu");
    }
    mode = prop(root, "mode");
    match = prop(root, "match");
    for (xmlNodePtr n = root->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (strcmp((const char *)n->name, "arch") == 0 && !c->arch)
            c->arch = text_of(n);
        else if (strcmp((const char *)n->name, "model") == 0 && !c->model)
            c->model = text_of(n);
        else if (strcmp((const char *)n->name, "vendor") == 0 && !c->vendor)
            c->vendor = text_of(n);
        else if (strcmp((const char *)n->name, "feature") == 0 && c->nfeat < QCPU_MAX_FEATURES) {
            c->feat[c->nfeat].name = prop(n, "name");
            c->feat[c->nfeat].policy = prop(n, "policy");
            if (!c->feat[c->nfeat++].name) {
                xmlFreeDoc(doc);
                return cpu_err(MV_ERR_XML_ERROR, "%s", "Invalid CPU feature name");
            }
        }
    }
    xmlFreeDoc(doc);
    c->host = c->arch && !mode;
    c->has_mode = mode != NULL;
    c->mode = !mode || strcmp(mode, "custom") == 0 ? MODE_CUSTOM
            : strcmp(mode, "host-model") == 0 ? MODE_HOST_MODEL
            : strcmp(mode, "host-passthrough") == 0 ? MODE_HOST_PASSTHROUGH
            : strcmp(mode, "maximum") == 0 ? MODE_MAXIMUM : -1;
    if (c->mode < 0)
        return cpu_err(MV_ERR_XML_ERROR, "Invalid mode attribute '%s'", mode);
    c->match = !match || strcmp(match, "exact") == 0 ? MATCH_EXACT
             : strcmp(match, "minimum") == 0 ? MATCH_MINIMUM
             : strcmp(match, "strict") == 0 ? MATCH_STRICT : -1;
    if (c->match < 0)
        return cpu_err(MV_ERR_XML_ERROR, "Invalid match attribute for CPU specification: '%s'", match);
    return 0;
}

/* The policies a guest CPU's features may have. */
enum { POL_FORCE, POL_REQUIRE, POL_OPTIONAL, POL_DISABLE, POL_FORBID };

static int policy_of(const cpudef *c, size_t i)
{
    static const char *const names[] = { "force", "require", "optional", "disable", "forbid" };
    const char *p = c->feat[i].policy;

    if (c->host || !p)
        return POL_REQUIRE;
    for (size_t k = 0; k < ELEMENTSOF(names); k++)
        if (strcmp(p, names[k]) == 0)
            return (int)k;
    return -1;
}

/* The sets of c by policy; model: the map's model (checked by the caller). */
static int feature_sets(const qcpu_map *m, const cpudef *c, qcpu_set sets[5])
{
    memset(sets, 0, 5 * sizeof(*sets));
    for (size_t i = 0; i < c->nfeat; i++) {
        int f = qcpu_feature_index(m, c->feat[i].name), p = policy_of(c, i);

        if (f < 0)
            return cpu_err(MV_ERR_INTERNAL_ERROR, "Unknown CPU feature %s", c->feat[i].name);
        if (p < 0)
            return cpu_err(MV_ERR_XML_ERROR, "Invalid CPU feature policy '%s'", c->feat[i].policy);
        qcpu_add(&sets[p], (size_t)f);
    }
    return 0;
}

static void set_or(qcpu_set *a, const qcpu_set *b)
{
    for (size_t w = 0; w < ELEMENTSOF(a->w); w++)
        a->w[w] |= b->w[w];
}

static void set_and(qcpu_set *a, const qcpu_set *b)
{
    for (size_t w = 0; w < ELEMENTSOF(a->w); w++)
        a->w[w] &= b->w[w];
}

static void set_sub(qcpu_set *a, const qcpu_set *b)
{
    for (size_t w = 0; w < ELEMENTSOF(a->w); w++)
        a->w[w] &= ~b->w[w];
}

static bool set_empty(const qcpu_set *a)
{
    for (size_t w = 0; w < ELEMENTSOF(a->w); w++)
        if (a->w[w])
            return false;
    return true;
}

static size_t set_count(const qcpu_set *a)
{
    size_t n = 0;

    for (size_t w = 0; w < ELEMENTSOF(a->w); w++)
        n += (size_t)__builtin_popcountll(a->w[w]);
    return n;
}

/* "a, b, c" of the set's names, in the map's order. */
static void set_names(const qcpu_map *m, const qcpu_set *s, char *buf, size_t size)
{
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < m->nfeatures && n + 1 < size; i++)
        if (qcpu_has(s, i))
            n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", m->features[i]);
}

static bool is_x86(const char *arch)
{
    return strcmp(arch, "x86_64") == 0 || strcmp(arch, "i686") == 0;
}

/* The result for an incompatible CPU: an error when the caller asked for
 * one, with why. */
#define incompatible(flags, ret, ...) ({                                        \
        char _msg[4096];                                                        \
        snprintf(_msg, sizeof(_msg), __VA_ARGS__);                              \
        incompatible_msg(flags, ret, _msg);                                     \
    })

static bool is_arm(const char *arch)
{
    return strcmp(arch, "aarch64") == 0 || strncmp(arch, "armv", 4) == 0;
}

static int incompatible_msg(unsigned flags, int *ret, const char *msg)
{
    if (!(flags & QCPU_COMPARE_FAIL_INCOMPATIBLE)) {
        *ret = QCPU_INCOMPATIBLE;
        return 0;
    }
    return mv_error_report_raw(-EINVAL, 91 /* VIR_ERR_CPU_INCOMPATIBLE */, MV_FROM_CPU,
                               "the CPU is incompatible with host CPU: %s", msg);
}

static int ref_set(const qcpu_map *m, const qcpu_ref *ref, qcpu_set *ret)
{
    const qcpu_model *md = ref->model ? qcpu_model_find(m, ref->model) : NULL;

    memset(ret, 0, sizeof(*ret));
    if (md)
        *ret = md->features;
    for (size_t i = 0; i < ref->nfeatures; i++) {
        int f = qcpu_feature_index(m, ref->features[i]);
        if (f >= 0)
            qcpu_add(ret, (size_t)f);
    }
    return 0;
}

int qcpu_compare(const qcpu_ref *ref, const char *xml, unsigned flags, int *ret)
{
    _cleanup_(cpudef_clear) cpudef c = { 0 };
    qcpu_set host, sets[5], required, extra, bad;
    const qcpu_model *md;
    const qcpu_map *m;
    char names[2048];
    int r;

    if ((r = parse(xml, &c)) < 0)
        return r;
    /* The host (or hypervisor) is what such a CPU becomes. */
    if (c.mode != MODE_CUSTOM) {
        *ret = QCPU_SUPERSET;
        return 0;
    }
    if (!c.model)
        return cpu_err(MV_ERR_XML_ERROR, "%s", "Missing CPU model name");
    if (c.arch && (!is_x86(c.arch) || !is_x86(ref->arch)))
        return incompatible(flags, ret, "CPU arch %s does not match host arch", c.arch);
    if ((r = qcpu_map_get(&m)) < 0)
        return r;
    if (!(md = qcpu_model_find(m, c.model)))
        return cpu_err(MV_ERR_INTERNAL_ERROR, "Unknown CPU model %s", c.model);
    if ((r = feature_sets(m, &c, sets)) < 0)
        return r;
    if (c.vendor && (!ref->vendor || strcmp(ref->vendor, c.vendor) != 0))
        return incompatible(flags, ret, "host CPU vendor does not match required CPU vendor %s", c.vendor);
    ref_set(m, ref, &host);

    bad = sets[POL_FORBID];
    set_and(&bad, &host);
    if (!set_empty(&bad)) {
        set_names(m, &bad, names, sizeof(names));
        return incompatible(flags, ret, "Host CPU provides forbidden features: %s", names);
    }
    required = md->features;
    set_or(&required, &sets[POL_REQUIRE]);
    set_or(&required, &sets[POL_FORCE]);
    set_sub(&required, &sets[POL_DISABLE]);
    bad = required;
    set_sub(&bad, &host);
    if (!set_empty(&bad)) {
        set_names(m, &bad, names, sizeof(names));
        return incompatible(flags, ret, "Host CPU does not provide required features: %s", names);
    }
    extra = host;
    set_sub(&extra, &required);
    set_sub(&extra, &sets[POL_OPTIONAL]);
    set_sub(&extra, &sets[POL_DISABLE]);
    if (!set_empty(&extra) && c.match == MATCH_STRICT) {
        set_names(m, &extra, names, sizeof(names));
        return incompatible(flags, ret, "Host CPU does not strictly match guest CPU: Extra features: %s",
                            names);
    }
    *ret = set_empty(&extra) ? QCPU_IDENTICAL : QCPU_SUPERSET;
    return 0;
}

/* ---- baseline ---- */

static bool in_names(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static const char *const os_controlled[] = { "osxsave", "ospke" };

typedef struct { const char *name; const char *policy; } outfeat;

static int cmp_outfeat(const void *a, const void *b)
{
    return strcmp(((const outfeat *)a)->name, ((const outfeat *)b)->name);
}

static int format(const qcpu_map *m, const qcpu_model *md, bool forbid_fallback, const char *vendor,
                  const qcpu_set *req, const qcpu_set *dis, bool expand, char **ret)
{
    _cleanup_free_ outfeat *f = calloc(m->nfeatures * 2 + 1, sizeof(*f));
    size_t n = 0, len = 0;
    char *buf = NULL;
    FILE *out;

    if (!f)
        return -ENOMEM;
    for (size_t i = 0; i < m->nfeatures; i++)
        if (qcpu_has(req, i) || (expand && qcpu_has(&md->features, i) && !qcpu_has(dis, i)))
            f[n++] = (outfeat){ m->features[i], "require" };
    for (size_t i = 0; i < m->nfeatures; i++)
        if (qcpu_has(dis, i))
            f[n++] = (outfeat){ m->features[i], "disable" };
    /* the model's removed features, unless named already, come last */
    for (size_t i = 0; i < m->nfeatures; i++)
        if (qcpu_has(&md->removed, i) && !qcpu_has(req, i) && !qcpu_has(dis, i))
            f[n++] = (outfeat){ m->features[i], "disable" };
    if (expand)
        qsort(f, n, sizeof(*f), cmp_outfeat);
    if (!(out = open_memstream(&buf, &len)))
        return -ENOMEM;
    fprintf(out, "<cpu mode='custom' match='exact'>\n  <model fallback='%s'>%s</model>\n",
            forbid_fallback ? "forbid" : "allow", md->name);
    if (vendor)
        fprintf(out, "  <vendor>%s</vendor>\n", vendor);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  <feature policy='%s' name='%s'/>\n", f[i].policy, f[i].name);
    fputs("</cpu>\n", out);
    if (fclose(out) != 0) {
        free(buf);
        return -ENOMEM;
    }
    *ret = buf;
    return 0;
}

static const qcpu_hv_model *hv_find(const qcpu_hv_model *models, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(models[i].name, name) == 0)
            return &models[i];
    return NULL;
}

int qcpu_baseline(const char *const *xmls, size_t n, bool host_only,
                  const qcpu_hv_model *hv_models, size_t hv_nmodels,
                  unsigned flags, char **ret_xml)
{
    const char *preferred = NULL, *vendor = NULL;
    _cleanup_free_ char *vendor_copy = NULL;
    const qcpu_model *best = NULL;
    qcpu_set data, best_req = { 0 }, best_dis = { 0 };
    size_t best_n = 0;
    const qcpu_map *m;
    bool same_model = true, output_vendor = false;
    int r;

    if ((r = qcpu_map_get(&m)) < 0)
        return r;
    for (size_t i = 0; i < n; i++) {
        _cleanup_(cpudef_clear) cpudef c = { 0 };
        qcpu_set sets[5], cur;
        const qcpu_model *md;

        if ((r = parse(xmls[i], &c)) < 0)
            return r;
        if (host_only) {
            if (c.has_mode)
                return cpu_err(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                               "Attribute mode is only allowed for guest CPU");
            if (!c.arch)
                return cpu_err(MV_ERR_XML_ERROR, "%s", "Missing CPU architecture");
        }
        /* ARM CPUs have no feature data: the first CPU's model, which
         * QEMU may replace (fallback allow), as libvirt answers. */
        if (i == 0 && c.arch && is_arm(c.arch) && c.model) {
            if (asprintf(ret_xml, "<cpu mode='custom' match='exact'>\n"
                         "  <model fallback='allow'>%s</model>\n</cpu>\n", c.model) < 0)
                return -ENOMEM;
            return 0;
        }
        if (c.arch && !is_x86(c.arch))
            return mv_error_report(-ENOTSUP, MV_ERR_NO_SUPPORT, MV_FROM_CPU,
                                   "cannot compute baseline CPU of %s architecture", c.arch);
        if (!c.model)
            return cpu_err(MV_ERR_XML_ERROR, "%s", "Missing CPU model name");
        if (!(md = qcpu_model_find(m, c.model)))
            return cpu_err(MV_ERR_INTERNAL_ERROR, "Unknown CPU model %s", c.model);
        if ((r = feature_sets(m, &c, sets)) < 0)
            return r;
        cur = md->features;
        set_or(&cur, &sets[POL_REQUIRE]);
        set_or(&cur, &sets[POL_FORCE]);
        set_sub(&cur, &sets[POL_DISABLE]);
        set_sub(&cur, &sets[POL_FORBID]);
        if (i == 0) {
            data = cur;
            preferred = md->name;
            if (c.vendor) {
                if (!in_names((const char *const *)m->vendors, m->nvendors, c.vendor))
                    return cpu_err(MV_ERR_INTERNAL_ERROR, "Unknown CPU vendor %s", c.vendor);
                if (!(vendor_copy = strdup(c.vendor)))
                    return -ENOMEM;
                vendor = vendor_copy;
                output_vendor = true;
            }
        } else {
            const char *vn = c.vendor ? c.vendor : md->vendor;
            set_and(&data, &cur);
            same_model = same_model && strcmp(preferred, md->name) == 0;
            if (vn && vendor && strcmp(vn, vendor) != 0)
                return cpu_err(MV_ERR_OPERATION_FAILED, "%s", "CPU vendors do not match");
        }
    }
    if (!same_model)
        preferred = NULL;
    /* OSXSAVE and OSPKE mirror what the guest OS set in CR4: no CPU
     * definition can ask for them. */
    for (size_t i = 0; i < ELEMENTSOF(os_controlled); i++) {
        int f = qcpu_feature_index(m, os_controlled[i]);
        if (f >= 0)
            qcpu_del(&data, (size_t)f);
    }
    if (flags & QCPU_BASELINE_MIGRATABLE)
        set_sub(&data, &m->non_migratable);
    if (set_empty(&data))
        return cpu_err(MV_ERR_OPERATION_FAILED, "%s", "CPUs are incompatible");

    /* The model that needs the fewest listed features, newest first; the
     * CPUs' common model when they have one. */
    for (size_t k = m->nmodels; k-- > 0; ) {
        const qcpu_model *md = &m->models[k];
        qcpu_set req = data, dis = md->features;
        size_t cnt;

        const qcpu_hv_model *hm = hv_models ? hv_find(hv_models, hv_nmodels, md->name) : NULL;

        if (hv_models && !hm)
            continue;
        if (vendor && md->vendor && strcmp(vendor, md->vendor) != 0)
            continue;
        if (!md->decode_guest)
            continue;
        set_sub(&req, &md->features);
        set_sub(&dis, &data);
        /* what the hypervisor cannot give in this model is disabled,
         * unless the CPUs have it beyond the model */
        for (size_t b = 0; hm && b < hm->nblockers; b++) {
            int f = qcpu_feature_index(m, hm->blockers[b]);
            if (f >= 0 && !qcpu_has(&req, (size_t)f))
                qcpu_add(&dis, (size_t)f);
        }
        cnt = set_count(&req) + set_count(&dis);
        if (preferred && strcmp(md->name, preferred) == 0) {
            best = md, best_req = req, best_dis = dis;
            break;
        }
        if (!best || best_n > cnt) {
            best = md, best_req = req, best_dis = dis;
            best_n = cnt;
        }
    }
    if (!best)
        return cpu_err(MV_ERR_OPERATION_FAILED, "%s", "Cannot find suitable CPU model for given data");
    return format(m, best, preferred && strcmp(best->name, preferred) == 0,
                  output_vendor ? vendor : NULL, &best_req, &best_dis,
                  flags & QCPU_BASELINE_EXPAND_FEATURES, ret_xml);
}
