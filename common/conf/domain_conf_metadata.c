/*
 * virDomainSetMetadata / virDomainGetMetadata over a definition: the
 * description, the title and the per-namespace elements of <metadata>.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain_conf_priv.h"
#include "util/cleanup.h"

static void docp_free(xmlDocPtr *doc)
{
    xmlFreeDoc(*doc);
}

static int not_found(void)
{
    return mv_error_report_raw(-ENOENT, MV_ERR_NO_DOMAIN_METADATA, MV_FROM_DOMAIN,
                               "metadata not found: Requested metadata element is not present");
}

/* The stored <metadata> children as a document rooted at <metadata>. */
static int metadata_doc(const mv_domain_def *def, xmlDocPtr *ret)
{
    _cleanup_free_ char *xml = NULL;

    if (asprintf(&xml, "<metadata>%s</metadata>", def->metadata ? def->metadata : "") < 0)
        return -ENOMEM;
    return dx_read(xml, "(metadata_xml)", "metadata", ret);
}

static xmlNodePtr find_ns_child(xmlNodePtr md, const char *uri)
{
    for (xmlNodePtr c = md->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href &&
            strcmp((const char *)c->ns->href, uri) == 0)
            return c;
    return NULL;
}

/* The next element after n in document order within top, or NULL. */
static xmlNodePtr next_in(xmlNodePtr top, xmlNodePtr n)
{
    if (n->children && n->type == XML_ELEMENT_NODE)
        return n->children;
    while (n != top && !n->next)
        n = n->parent;
    return n == top ? NULL : n->next;
}

/* Drop namespace uri from top and everything below (elements, attributes
 * and declarations), iteratively: first every use, then the declarations,
 * so that nothing points at a freed declaration. */
static void strip_ns(xmlNodePtr top, const char *uri)
{
    for (xmlNodePtr n = top; n; n = next_in(top, n)) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (n->ns && xmlStrEqual(n->ns->href, BAD_CAST uri))
            n->ns = NULL;
        for (xmlAttrPtr a = n->properties; a; a = a->next)
            if (a->ns && xmlStrEqual(a->ns->href, BAD_CAST uri))
                a->ns = NULL;
    }
    for (xmlNodePtr n = top; n; n = next_in(top, n)) {
        xmlNsPtr *link;

        if (n->type != XML_ELEMENT_NODE)
            continue;
        link = &n->nsDef;
        while (*link) {
            xmlNsPtr ns = *link;

            if (xmlStrEqual(ns->href, BAD_CAST uri)) {
                *link = ns->next;
                ns->next = NULL;
                xmlFreeNs(ns);
            } else {
                link = &ns->next;
            }
        }
    }
}

/* Put top and the elements below it that have no namespace into ns. */
static void set_ns(xmlNodePtr top, xmlNsPtr ns)
{
    for (xmlNodePtr n = top; n; n = next_in(top, n))
        if (n->type == XML_ELEMENT_NODE && !n->ns)
            n->ns = ns;
}

int mv_domain_def_get_metadata(const mv_domain_def *def, int type, const char *uri, char **ret)
{
    _cleanup_(docp_free) xmlDocPtr doc = NULL;
    xmlNodePtr el;
    char *s;
    int r;

    switch (type) {
    case MV_DOMAIN_METADATA_DESCRIPTION:
    case MV_DOMAIN_METADATA_TITLE: {
        const char *v = type == MV_DOMAIN_METADATA_TITLE ? def->title : def->description;

        if (!v)
            return not_found();
        s = strdup(v);
        if (!s)
            return -ENOMEM;
        *ret = s;
        return 0;
    }
    case MV_DOMAIN_METADATA_ELEMENT:
        if (!uri)
            return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                       "uri in virDomainGetMetadata must not be NULL");
        if (!def->metadata)
            return not_found();
        r = metadata_doc(def, &doc);
        if (r < 0)
            return r;
        el = find_ns_child(xmlDocGetRootElement(doc), uri);
        if (!el)
            return not_found();
        xmlUnlinkNode(el);
        xmlReconciliateNs(doc, el);
        strip_ns(el, uri);
        s = dx_dump_node(el, 0);
        xmlFreeNode(el);
        if (!s)
            return -ENOMEM;
        *ret = s;
        return 0;
    default:
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                               "unknown metadata type '%d'", type);
    }
}

static int set_element(mv_domain_def *def, const char *value, const char *key, const char *uri)
{
    _cleanup_(docp_free) xmlDocPtr doc = NULL, frag = NULL;
    dparse p = { 0 };
    xmlNodePtr md, old, el;
    char *s = NULL;
    int r;

    if (!uri)
        return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                   "uri in virDomainSetMetadata must not be NULL");
    if (value && *value) {
        if (!key)
            return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                       "key in virDomainSetMetadata must not be NULL");
        if (xmlValidateNCName(BAD_CAST key, 0) != 0)
            return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                   "metadata key '%s' is not a valid XML namespace prefix", key);
        r = dx_read(value, "(metadata_xml)", DX_ANY_ROOT, &frag);
        if (r < 0)
            return r;
    }
    r = metadata_doc(def, &doc);
    if (r < 0)
        return r;
    md = xmlDocGetRootElement(doc);
    while ((old = find_ns_child(md, uri))) {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
    if (frag) {
        xmlNodePtr root = xmlDocGetRootElement(frag);
        xmlNsPtr ns;

        el = xmlDocCopyNode(root, doc, 1);
        if (!el)
            return -ENOMEM;
        ns = xmlNewNs(el, BAD_CAST uri, BAD_CAST key);
        if (!ns) {
            xmlFreeNode(el);
            return -ENOMEM;
        }
        set_ns(el, ns);
        if (!xmlAddChild(md, el)) {
            xmlFreeNode(el);
            return -ENOMEM;
        }
    }
    r = dx_metadata_serialise(&p, md, &s);
    if (r < 0)
        return r;
    free(def->metadata);
    def->metadata = s ? s : strdup("");
    return def->metadata ? 0 : -ENOMEM;
}

int mv_domain_def_set_metadata(mv_domain_def *def, int type, const char *value,
                               const char *key, const char *uri)
{
    char *s = NULL;

    switch (type) {
    case MV_DOMAIN_METADATA_DESCRIPTION:
    case MV_DOMAIN_METADATA_TITLE:
        if (type == MV_DOMAIN_METADATA_TITLE && value && strchr(value, '\n'))
            return mv_error_report_raw(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                       "metadata title can't contain newlines");
        if (value && *value && !(s = strdup(value)))
            return -ENOMEM;
        if (type == MV_DOMAIN_METADATA_TITLE) {
            free(def->title);
            def->title = s;
        } else {
            free(def->description);
            def->description = s;
        }
        return 0;
    case MV_DOMAIN_METADATA_ELEMENT:
        return set_element(def, value, key, uri);
    default:
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                               "unknown metadata type '%d'", type);
    }
}
