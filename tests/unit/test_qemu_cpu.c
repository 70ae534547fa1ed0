/* Tests for virtqemud's CPU map reader and the CPU comparison and baseline
 * computed from it, on the small map in tests/data/cpu_map:
 *   base  = fpu sse                      (no vendor)
 *   big   = base + sse2 pni avx          (Intel, signature 6/42; invtsc removed)
 *   other = fpu sse svm                  (AMD)
 * The host in these tests is "base" plus sse2, pni, osxsave, invtsc (Intel). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_cpu.h"
#include "qemu_cpu_map.h"
#include "util/error.h"
#include "test.h"

static const char *const host_features[] = { "sse2", "pni", "osxsave", "invtsc", "made-up" };
static const qcpu_ref host = {
    .arch = "x86_64", .vendor = "Intel", .model = "base",
    .nfeatures = 5, .features = host_features,
};

static void check_error(int code, int domain, const char *message)
{
    const mv_error *e = mv_error_last();

    CHECK(e != NULL);
    if (!e)
        return;
    CHECK_INT(e->code, code);
    CHECK_INT(e->domain, domain);
    CHECK_STR(e->message, message);
    mv_error_reset();
}

static void test_map(void)
{
    const qcpu_map *m;

    CHECK_INT(qcpu_map_get(&m), 0);
    CHECK_INT(m->nfeatures, 8);
    CHECK_STR(m->features[3], "pni");       /* aliases are not names */
    CHECK_INT(qcpu_feature_index(m, "sse3"), -1);
    CHECK_INT(m->nmodels, 3);
    CHECK_STR(m->models[1].name, "big");
    CHECK_STR(m->models[1].vendor, "Intel");
    /* a model built on another has its features */
    CHECK(qcpu_has(&m->models[1].features, (size_t)qcpu_feature_index(m, "fpu")));
    CHECK(qcpu_has(&m->models[1].removed, (size_t)qcpu_feature_index(m, "invtsc")));
    CHECK(!qcpu_has(&m->models[1].features, (size_t)qcpu_feature_index(m, "invtsc")));
    CHECK_INT(m->models[1].nsigs, 1);
    CHECK_INT(m->models[1].sig_model[0], 42);
    CHECK(qcpu_has(&m->non_migratable, (size_t)qcpu_feature_index(m, "invtsc")));
    CHECK_INT(m->nppc64, 2);
    CHECK_STR(m->ppc64[1], "POWERY");
    CHECK_INT(m->nvendors, 2);
}

static int compare(const char *xml, unsigned flags)
{
    int res = -99;

    if (qcpu_compare(&host, xml, flags, &res) < 0)
        return -1;
    return res;
}

static void test_compare(void)
{
    /* the host itself, as capabilities shows it */
    CHECK_INT(compare("<cpu><arch>x86_64</arch><model>base</model><vendor>Intel</vendor>"
                      "<feature name='sse2'/><feature name='pni'/><feature name='osxsave'/>"
                      "<feature name='invtsc'/></cpu>", 0), QCPU_IDENTICAL);
    CHECK_INT(compare("<cpu><model>base</model></cpu>", 0), QCPU_SUPERSET);
    CHECK_INT(compare("<cpu mode='host-model'/>", 0), QCPU_SUPERSET);
    CHECK_INT(compare("<cpu mode='host-passthrough'/>", 0), QCPU_SUPERSET);
    CHECK_INT(compare("<cpu><model>big</model></cpu>", 0), QCPU_INCOMPATIBLE);
    CHECK_INT(compare("<cpu><model>big</model><feature policy='disable' name='avx'/></cpu>", 0),
              QCPU_SUPERSET);
    CHECK_INT(compare("<cpu><model>base</model><feature policy='forbid' name='pni'/></cpu>", 0),
              QCPU_INCOMPATIBLE);
    CHECK_INT(compare("<cpu><model>base</model><feature policy='optional' name='svm'/></cpu>", 0),
              QCPU_SUPERSET);
    CHECK_INT(compare("<cpu match='strict'><model>base</model></cpu>", 0), QCPU_INCOMPATIBLE);
    CHECK_INT(compare("<cpu><model>base</model><vendor>AMD</vendor></cpu>", 0), QCPU_INCOMPATIBLE);
    CHECK_INT(compare("<cpu><arch>aarch64</arch><model>base</model></cpu>", 0), QCPU_INCOMPATIBLE);

    /* why, when asked to fail: in the map's order */
    CHECK_INT(compare("<cpu><model>big</model><feature name='svm'/></cpu>", QCPU_COMPARE_FAIL_INCOMPATIBLE), -1);
    check_error(91, MV_FROM_CPU, "the CPU is incompatible with host CPU: "
                "Host CPU does not provide required features: avx, svm");
    CHECK_INT(compare("<cpu><model>base</model><feature policy='forbid' name='pni'/></cpu>",
                      QCPU_COMPARE_FAIL_INCOMPATIBLE), -1);
    check_error(91, MV_FROM_CPU, "the CPU is incompatible with host CPU: "
                "Host CPU provides forbidden features: pni");

    /* bad input */
    CHECK_INT(compare("", 0), -1);
    check_error(MV_ERR_XML_DETAIL, MV_FROM_CPU, "(CPU_definition):1: Document is empty\n(null)\n^");
    CHECK_INT(compare("<cpu>", 0), -1);
    CHECK(mv_error_last() && mv_error_last()->code == MV_ERR_XML_DETAIL);
    mv_error_reset();
    CHECK_INT(compare("<foo/>", 0), -1);
    check_error(MV_ERR_XML_ERROR, MV_FROM_CPU, "XML error: XML does not contain expected 'cpu' element");
    CHECK_INT(compare("<cpu><arch>x86_64</arch></cpu>", 0), -1);
    check_error(MV_ERR_XML_ERROR, MV_FROM_CPU, "XML error: Missing CPU model name");
    CHECK_INT(compare("<cpu><model>nope</model></cpu>", 0), -1);
    check_error(MV_ERR_INTERNAL_ERROR, MV_FROM_CPU, "internal error: Unknown CPU model nope");
    CHECK_INT(compare("<cpu><model>base</model><feature name='sse3'/></cpu>", 0), -1);
    check_error(MV_ERR_INTERNAL_ERROR, MV_FROM_CPU, "internal error: Unknown CPU feature sse3");
}

static char *baseline(const char *a, const char *b, bool host_only, unsigned flags)
{
    const char *xmls[2] = { a, b };
    char *out = NULL;

    if (qcpu_baseline(xmls, b ? 2 : 1, host_only, NULL, 0, flags, &out) < 0)
        return NULL;
    return out;
}

static void test_baseline(void)
{
    const char *hostxml = "<cpu><arch>x86_64</arch><model>base</model><vendor>Intel</vendor>"
                          "<feature name='sse2'/><feature name='osxsave'/><feature name='invtsc'/></cpu>";
    char *out;

    /* one CPU: its model; osxsave never, the vendor because it was given */
    out = baseline(hostxml, NULL, true, 0);
    CHECK_STR(out, "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>base</model>\n"
                   "  <vendor>Intel</vendor>\n  <feature policy='require' name='sse2'/>\n"
                   "  <feature policy='require' name='invtsc'/>\n</cpu>\n");
    free(out);
    out = baseline(hostxml, NULL, true, QCPU_BASELINE_MIGRATABLE | QCPU_BASELINE_EXPAND_FEATURES);
    CHECK_STR(out, "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>base</model>\n"
                   "  <vendor>Intel</vendor>\n  <feature policy='require' name='fpu'/>\n"
                   "  <feature policy='require' name='sse'/>\n  <feature policy='require' name='sse2'/>\n</cpu>\n");
    free(out);
    /* two CPUs of different models: the common features, in the model that
     * lists fewest; no vendor unless the first CPU named one */
    out = baseline("<cpu><arch>x86_64</arch><model>big</model></cpu>",
                   "<cpu><arch>x86_64</arch><model>base</model><feature name='pni'/></cpu>", true, 0);
    CHECK_STR(out, "<cpu mode='custom' match='exact'>\n  <model fallback='allow'>base</model>\n"
                   "  <feature policy='require' name='pni'/>\n</cpu>\n");
    free(out);
    /* the guest CPUs of the hypervisor variant */
    out = baseline("<cpu mode='custom'><model>big</model><feature policy='disable' name='avx'/></cpu>",
                   NULL, false, 0);
    /* a removed feature is disabled last, unless named */
    CHECK_STR(out, "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>big</model>\n"
                   "  <feature policy='disable' name='avx'/>\n"
                   "  <feature policy='disable' name='invtsc'/>\n</cpu>\n");
    free(out);
    /* the hypervisor's models only, each with what it cannot give */
    {
        static const char *const blockers[] = { "avx", "made-up" };
        static const qcpu_hv_model hv[] = {
            { .name = "base" }, { .name = "big", .nblockers = 2, .blockers = blockers },
        };
        const char *xmls[1] = { "<cpu><model>big</model><feature policy='require' name='svm'/></cpu>" };

        out = NULL;
        CHECK_INT(qcpu_baseline(xmls, 1, false, hv, 2, 0, &out), 0);
        CHECK_STR(out, "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>big</model>\n"
                       "  <feature policy='require' name='svm'/>\n"
                       "  <feature policy='disable' name='avx'/>\n"
                       "  <feature policy='disable' name='invtsc'/>\n</cpu>\n");
        free(out);
        out = NULL;
        /* a blocker the CPU has beyond the model stays required */
        xmls[0] = "<cpu><model>big</model><feature policy='require' name='invtsc'/></cpu>";
        CHECK_INT(qcpu_baseline(xmls, 1, false, hv, 2, 0, &out), 0);
        CHECK_STR(out, "<cpu mode='custom' match='exact'>\n  <model fallback='forbid'>big</model>\n"
                       "  <feature policy='require' name='invtsc'/>\n"
                       "  <feature policy='disable' name='avx'/>\n</cpu>\n");
        free(out);
        out = NULL;
        /* "other" is not the hypervisor's: the best of its models */
        xmls[0] = "<cpu><model>other</model></cpu>";
        CHECK_INT(qcpu_baseline(xmls, 1, false, hv, 2, 0, &out), 0);
        CHECK_STR(out, "<cpu mode='custom' match='exact'>\n  <model fallback='allow'>base</model>\n"
                       "  <feature policy='require' name='svm'/>\n</cpu>\n");
        free(out);
    }
    out = baseline("<cpu><arch>aarch64</arch><model>cortex-z</model></cpu>", NULL, true, 0);
    CHECK_STR(out, "<cpu mode='custom' match='exact'>\n  <model fallback='allow'>cortex-z</model>\n</cpu>\n");
    free(out);

    /* bad input */
    CHECK(!baseline("<cpu><model>base</model></cpu>", NULL, true, 0));
    check_error(MV_ERR_XML_ERROR, MV_FROM_CPU, "XML error: Missing CPU architecture");
    CHECK(!baseline("<cpu mode='custom'><model>base</model></cpu>", NULL, true, 0));
    check_error(MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_CPU,
                "unsupported configuration: Attribute mode is only allowed for guest CPU");
    CHECK(!baseline("<cpu><arch>x86_64</arch><model>base</model><vendor>Intel</vendor></cpu>",
                    "<cpu><arch>x86_64</arch><model>other</model></cpu>", true, 0));
    check_error(MV_ERR_OPERATION_FAILED, MV_FROM_CPU, "operation failed: CPU vendors do not match");
}

int main(void)
{
    qcpu_map_set_dir(TEST_DATA_DIR "/cpu_map");
    test_map();
    test_compare();
    test_baseline();
    TEST_DONE();
}
