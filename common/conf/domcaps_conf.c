#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/xml_escape.h"
#include "conf/domcaps_conf.h"
#include "util/cleanup.h"

/* ---- model ---- */

static void enum_clear(mv_domcaps_enum *e)
{
    for (size_t i = 0; i < e->nvalues; i++)
        free(e->values[i]);
    e->nvalues = 0;
}

static void elem_clear(mv_domcaps_elem *el)
{
    for (size_t i = 0; i < el->nenums; i++)
        enum_clear(&el->enums[i]);
    el->nenums = 0;
}

void mv_domcaps_clear(mv_domcaps *caps)
{
    free(caps->path);
    free(caps->machine);
    free(caps->arch);
    elem_clear(&caps->os);
    elem_clear(&caps->loader);
    enum_clear(&caps->loader_values);
    enum_clear(&caps->host_passthrough_migratable);
    enum_clear(&caps->maximum_migratable);
    free(caps->host_model_name);
    free(caps->host_model_vendor);
    for (size_t i = 0; i < caps->nhost_model_features; i++)
        free(caps->host_model_features[i].name);
    free(caps->host_model_features);
    for (size_t i = 0; i < caps->ncustom_models; i++) {
        free(caps->custom_models[i].name);
        free(caps->custom_models[i].vendor);
    }
    free(caps->custom_models);
    elem_clear(&caps->memory_backing);
    for (size_t i = 0; i < caps->ndevices; i++)
        elem_clear(&caps->devices[i]);
    for (size_t i = 0; i < caps->nfeatures; i++)
        elem_clear(&caps->features[i]);
    memset(caps, 0, sizeof(*caps));
}

static mv_domcaps_elem *add_elem(mv_domcaps_elem *table, size_t *n, const char *name, bool supported)
{
    mv_domcaps_elem *el;

    if (*n >= MV_DOMCAPS_MAX_ELEMS)
        return NULL;
    el = &table[(*n)++];
    memset(el, 0, sizeof(*el));
    el->name = name;
    el->supported = supported;
    return el;
}

mv_domcaps_elem *mv_domcaps_add_device(mv_domcaps *caps, const char *name, bool supported)
{
    caps->has_devices = true;
    return add_elem(caps->devices, &caps->ndevices, name, supported);
}

mv_domcaps_elem *mv_domcaps_add_feature(mv_domcaps *caps, const char *name, bool supported)
{
    caps->has_features = true;
    return add_elem(caps->features, &caps->nfeatures, name, supported);
}

mv_domcaps_enum *mv_domcaps_elem_add_enum(mv_domcaps_elem *elem, const char *name)
{
    mv_domcaps_enum *e;

    if (elem->nenums >= MV_DOMCAPS_MAX_ENUMS)
        return NULL;
    e = &elem->enums[elem->nenums++];
    memset(e, 0, sizeof(*e));
    e->name = name;
    return e;
}

int mv_domcaps_enum_add(mv_domcaps_enum *e, const char *value)
{
    char *copy;

    if (e->nvalues >= MV_DOMCAPS_MAX_VALUES)
        return -E2BIG;
    if (!(copy = strdup(value)))
        return -ENOMEM;
    e->values[e->nvalues++] = copy;
    return 0;
}

int mv_domcaps_enum_add_if(mv_domcaps_enum *e, bool cond, const char *value)
{
    return cond ? mv_domcaps_enum_add(e, value) : 0;
}

bool mv_domcaps_enum_has(const mv_domcaps_enum *e, const char *value)
{
    for (size_t i = 0; i < e->nvalues; i++)
        if (strcmp(e->values[i], value) == 0)
            return true;
    return false;
}

int mv_domcaps_add_cpu_model(mv_domcaps *caps, const char *name, const char *usable,
                             const char *vendor, bool deprecated)
{
    mv_domcaps_cpu_model *t = realloc(caps->custom_models,
                                      (caps->ncustom_models + 1) * sizeof(*t));
    mv_domcaps_cpu_model *m;

    if (!t)
        return -ENOMEM;
    caps->custom_models = t;
    m = &t[caps->ncustom_models];
    *m = (mv_domcaps_cpu_model) {
        .name = strdup(name), .usable = usable,
        .vendor = vendor ? strdup(vendor) : NULL, .deprecated = deprecated,
    };
    if (!m->name || (vendor && !m->vendor)) {
        free(m->name);
        free(m->vendor);
        return -ENOMEM;
    }
    caps->ncustom_models++;
    return 0;
}

int mv_domcaps_add_host_model_feature(mv_domcaps *caps, const char *policy, const char *name)
{
    mv_domcaps_cpu_feature *t = realloc(caps->host_model_features,
                                        (caps->nhost_model_features + 1) * sizeof(*t));

    if (!t)
        return -ENOMEM;
    caps->host_model_features = t;
    if (!(t[caps->nhost_model_features].name = strdup(name)))
        return -ENOMEM;
    t[caps->nhost_model_features++].policy = policy;
    return 0;
}

/* ---- formatter ---- */

static void put_text_elem(FILE *f, int indent, const char *name, const char *text)
{
    fprintf(f, "%*s<%s>", indent, "", name);
    mv_xml_put_escaped(f, text);
    fprintf(f, "</%s>\n", name);
}

static void put_values(FILE *f, int indent, const mv_domcaps_enum *e)
{
    for (size_t i = 0; i < e->nvalues; i++)
        put_text_elem(f, indent, "value", e->values[i]);
}

static void put_enum(FILE *f, int indent, const mv_domcaps_enum *e)
{
    fprintf(f, "%*s<enum name='%s'", indent, "", e->name);
    if (!e->nvalues) {
        fputs("/>\n", f);
        return;
    }
    fputs(">\n", f);
    put_values(f, indent + 2, e);
    fprintf(f, "%*s</enum>\n", indent, "");
}

static const char *yesno(bool b)
{
    return b ? "yes" : "no";
}

/* The opening tag; false when the element closed itself (nothing inside). */
static bool open_elem(FILE *f, int indent, const char *name, bool supported, bool has_content)
{
    fprintf(f, "%*s<%s supported='%s'%s>\n", indent, "", name, yesno(supported),
            has_content ? "" : "/");
    return has_content;
}

/* An unsupported element shows no enums. */
static void put_elem(FILE *f, int indent, const mv_domcaps_elem *el)
{
    if (!open_elem(f, indent, el->name, el->supported, el->supported && el->nenums > 0))
        return;
    for (size_t i = 0; i < el->nenums; i++)
        put_enum(f, indent + 2, &el->enums[i]);
    fprintf(f, "%*s</%s>\n", indent, "", el->name);
}

static void format_os(FILE *f, const mv_domcaps *caps)
{
    const mv_domcaps_elem *os = &caps->os, *ld = &caps->loader;

    if (!open_elem(f, 2, "os", os->supported, os->nenums > 0 || caps->has_loader))
        return;
    for (size_t i = 0; i < os->nenums; i++)
        put_enum(f, 4, &os->enums[i]);
    if (caps->has_loader &&
        open_elem(f, 4, "loader", ld->supported, ld->nenums > 0 || caps->loader_values.nvalues > 0)) {
        put_values(f, 6, &caps->loader_values);
        for (size_t i = 0; i < ld->nenums; i++)
            put_enum(f, 6, &ld->enums[i]);
        fputs("    </loader>\n", f);
    }
    fputs("  </os>\n", f);
}

static void format_mode(FILE *f, const char *name, bool supported, const mv_domcaps_enum *e)
{
    fprintf(f, "    <mode name='%s' supported='%s'", name, yesno(supported));
    if (!supported || !e->nvalues) {
        fputs("/>\n", f);
        return;
    }
    fputs(">\n", f);
    put_enum(f, 6, e);
    fputs("    </mode>\n", f);
}

static void format_cpu(FILE *f, const mv_domcaps *caps)
{
    fputs("  <cpu>\n", f);
    format_mode(f, "host-passthrough", caps->host_passthrough, &caps->host_passthrough_migratable);
    format_mode(f, "maximum", caps->maximum, &caps->maximum_migratable);

    fprintf(f, "    <mode name='host-model' supported='%s'", yesno(caps->host_model));
    if (caps->host_model && caps->host_model_name) {
        fputs(">\n      <model fallback='forbid'>", f);
        mv_xml_put_escaped(f, caps->host_model_name);
        fputs("</model>\n", f);
        if (caps->host_model_vendor)
            put_text_elem(f, 6, "vendor", caps->host_model_vendor);
        for (size_t i = 0; i < caps->nhost_model_features; i++) {
            fprintf(f, "      <feature policy='%s' name='", caps->host_model_features[i].policy);
            mv_xml_put_escaped(f, caps->host_model_features[i].name);
            fputs("'/>\n", f);
        }
        fputs("    </mode>\n", f);
    } else {
        fputs("/>\n", f);
    }

    fprintf(f, "    <mode name='custom' supported='%s'", yesno(caps->custom));
    if (caps->custom && caps->ncustom_models) {
        fputs(">\n", f);
        for (size_t i = 0; i < caps->ncustom_models; i++) {
            const mv_domcaps_cpu_model *m = &caps->custom_models[i];
            fprintf(f, "      <model usable='%s'%s vendor='", m->usable,
                    m->deprecated ? " deprecated='yes'" : "");
            mv_xml_put_escaped(f, m->vendor ? m->vendor : "unknown");
            fputs("'>", f);
            mv_xml_put_escaped(f, m->name);
            fputs("</model>\n", f);
        }
        fputs("    </mode>\n", f);
    } else {
        fputs("/>\n", f);
    }
    fputs("  </cpu>\n", f);
}

static void format_sev(FILE *f, const mv_domcaps_sev *sev)
{
    fputs("    <sev supported='yes'>\n", f);
    fprintf(f, "      <cbitpos>%u</cbitpos>\n", sev->cbitpos);
    fprintf(f, "      <reducedPhysBits>%u</reducedPhysBits>\n", sev->reduced_phys_bits);
    fprintf(f, "      <maxGuests>%u</maxGuests>\n", sev->max_guests);
    fprintf(f, "      <maxESGuests>%u</maxESGuests>\n", sev->max_es_guests);
    fputs("    </sev>\n", f);
}

static void format_sgx(FILE *f, const mv_domcaps_sgx *sgx)
{
    fputs("    <sgx supported='yes'>\n", f);
    fprintf(f, "      <flc>%s</flc>\n", yesno(sgx->flc));
    fprintf(f, "      <sgx1>%s</sgx1>\n", yesno(sgx->sgx1));
    fprintf(f, "      <sgx2>%s</sgx2>\n", yesno(sgx->sgx2));
    fprintf(f, "      <section_size unit='KiB'>%llu</section_size>\n", sgx->section_size_kib);
    if (sgx->nsections) {
        fputs("      <sections>\n", f);
        for (size_t i = 0; i < sgx->nsections; i++)
            fprintf(f, "        <section node='%u' size='%llu' unit='KiB'/>\n",
                    sgx->sections[i].node, sgx->sections[i].size_kib);
        fputs("      </sections>\n", f);
    }
    fputs("    </sgx>\n", f);
}

static void format_features(FILE *f, const mv_domcaps *caps)
{
    fputs("  <features>\n", f);
    for (size_t i = 0; i < caps->nfeatures; i++) {
        const mv_domcaps_elem *el = &caps->features[i];

        if (el->supported && caps->has_sev && strcmp(el->name, "sev") == 0)
            format_sev(f, &caps->sev);
        else if (el->supported && caps->has_sgx && strcmp(el->name, "sgx") == 0)
            format_sgx(f, &caps->sgx);
        else
            put_elem(f, 4, el);
    }
    fputs("  </features>\n", f);
}

int mv_domcaps_format(const mv_domcaps *caps, char **ret_xml)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    FILE *f;

    if (!caps->path || !caps->domain || !caps->arch)
        return -EINVAL;
    f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    fputs("<domainCapabilities>\n", f);
    put_text_elem(f, 2, "path", caps->path);
    put_text_elem(f, 2, "domain", caps->domain);
    if (caps->machine)
        put_text_elem(f, 2, "machine", caps->machine);
    put_text_elem(f, 2, "arch", caps->arch);
    if (caps->max_vcpus >= 0)
        fprintf(f, "  <vcpu max='%d'/>\n", caps->max_vcpus);
    if (caps->iothreads >= 0)
        fprintf(f, "  <iothreads supported='%s'/>\n", yesno(caps->iothreads));
    if (caps->has_os)
        format_os(f, caps);
    if (caps->has_cpu)
        format_cpu(f, caps);
    if (caps->has_memory_backing)
        put_elem(f, 2, &caps->memory_backing);
    if (caps->has_devices) {
        fputs("  <devices>\n", f);
        for (size_t i = 0; i < caps->ndevices; i++)
            put_elem(f, 4, &caps->devices[i]);
        fputs("  </devices>\n", f);
    }
    if (caps->has_features)
        format_features(f, caps);
    fputs("</domainCapabilities>\n", f);
    if (fclose(f) != 0)
        return -ENOMEM;
    *ret_xml = TAKE_PTR(buf);
    return 0;
}
