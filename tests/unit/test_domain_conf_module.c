/*
 * The domain document through its module, as the daemons use it: nothing
 * of libxml2 is mapped before the first call, the calls reach the module,
 * and the errors the module reports are the daemon's (mv_error_last).
 */
#include <dlfcn.h>

#include "test.h"
#include "conf/domain_conf.h"
#include "util/error.h"

static bool xml_loaded(void)
{
    void *h = dlopen("libxml2.so.2", RTLD_NOW | RTLD_NOLOAD);

    if (h)
        dlclose(h);
    return h != NULL;
}

int main(void)
{
    static const char good[] =
        "<domain type='qemu'><name>g</name><memory>65536</memory>"
        "<os><type arch='x86_64'>hvm</type></os>"
        "<devices><disk type='file' device='disk'><source file='/g.img'/>"
        "<target dev='vda' bus='virtio'/></disk></devices></domain>";
    mv_domain_def *def = NULL;
    char *xml = NULL;
    const mv_error *e;

    CHECK(!xml_loaded());
    mv_domain_def_free(NULL);           /* no object: nothing to load */
    CHECK(!xml_loaded());

    CHECK_INT(mv_domain_def_parse(good, 0, &def), 0);
    CHECK(xml_loaded());
    CHECK(def != NULL);
    if (def) {
        CHECK_STR(def->name, "g");
        CHECK_STR(mv_disk_bus_str(def->disks[0]->bus), "virtio");
        CHECK_INT(mv_domain_def_format(def, 0, -1, &xml), 0);
        CHECK(xml && strstr(xml, "<name>g</name>"));
    }
    free(xml);
    mv_domain_def_free(def);

    def = NULL;
    mv_error_reset();
    CHECK(mv_domain_def_parse("<domain", 0, &def) < 0);
    CHECK(def == NULL);
    e = mv_error_last();
    CHECK(e != NULL);
    if (e) {
        CHECK_INT(e->code, MV_ERR_XML_DETAIL);     /* libvirt's code for malformed XML */
        CHECK(e->message[0] != '\0');
    }
    TEST_DONE();
}
