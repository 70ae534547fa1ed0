/*
 * libFuzzer target for conf/domain_conf: arbitrary bytes as a <domain>
 * document, and as one device element attached to a small definition.
 * Whatever parses must format, parse back to the same text, and copy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain_conf.h"
#include "util/cleanup.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base_xml[] =
    "<domain type='kvm'><name>f</name><memory>65536</memory>"
    "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>"
    "<disk type='file' device='cdrom'><source file='/a.iso'/><target dev='sda' bus='sata'/></disk>"
    "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>"
    "<graphics type='vnc' passwd='x'/></devices></domain>";

/* format(parse(out)) must give out again. */
static void check_round_trip(const mv_domain_def *def)
{
    _cleanup_free_ char *out = NULL, *again = NULL;
    mv_domain_def *def2 = NULL, *copy = NULL;

    if (mv_domain_def_format(def, MV_DOMAIN_XML_SECURE | MV_DOMAIN_XML_INACTIVE, -1, &out) < 0)
        return;
    if (mv_domain_def_parse(out, 0, &def2) < 0)
        abort();    /* what we print, we must read */
    if (mv_domain_def_format(def2, MV_DOMAIN_XML_SECURE | MV_DOMAIN_XML_INACTIVE, -1, &again) < 0)
        abort();
    if (strcmp(out, again) != 0)
        abort();
    mv_domain_def_free(def2);
    if (mv_domain_def_copy(def, &copy) == 0)
        mv_domain_def_free(copy);
}

static void fuzz_device(const char *xml)
{
    mv_domain_def *def = NULL;
    mv_domain_device *dev = NULL;
    _cleanup_free_ char *out = NULL;

    if (mv_domain_def_parse(base_xml, 0, &def) < 0)
        abort();
    if (mv_domain_device_parse(def, xml, 0, &dev) == 0) {
        if (mv_domain_device_format(dev, MV_DOMAIN_XML_SECURE, &out) < 0)
            abort();
        (void)mv_domain_def_update_device(def, dev);
        if (mv_domain_def_attach_device(def, dev) == 0) {
            check_round_trip(def);
            mv_domain_device_free(dev);
            dev = NULL;
            if (mv_domain_device_parse(def, xml, 0, &dev) == 0)
                (void)mv_domain_def_detach_device(def, dev);
        }
        mv_domain_device_free(dev);
    }
    mv_domain_def_free(def);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_free_ char *xml = NULL;
    mv_domain_def *def = NULL;

    if (size > 256 * 1024)
        return 0;
    xml = malloc(size + 1);
    if (!xml)
        return 0;
    memcpy(xml, data, size);
    xml[size] = '\0';

    if (mv_domain_def_parse(xml, 0, &def) == 0) {
        char *md = NULL;

        check_round_trip(def);
        if (mv_domain_def_get_metadata(def, MV_DOMAIN_METADATA_ELEMENT, "http://a/", &md) == 0)
            free(md);
        (void)mv_domain_def_set_metadata(def, MV_DOMAIN_METADATA_ELEMENT, "<x><y/></x>", "k", "http://a/");
        mv_domain_def_free(def);
    }
    if (size < 16 * 1024)
        fuzz_device(xml);
    mv_error_reset();
    return 0;
}
