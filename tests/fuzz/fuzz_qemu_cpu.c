/*
 * libFuzzer target for virtqemud's CPU definitions (qemu_cpu.c): arbitrary
 * bytes as the CPU of virConnectCompareCPU and as one or two CPUs of the
 * baseline calls, against libvirt's CPU map of this host.  A bad
 * definition must be an error, never a crash; a baseline must be a
 * well-formed definition that compare reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_cpu.h"
#include "util/cleanup.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const host_features[] = { "vme", "ssse3", "sse4.1", "avx", "invtsc" };
static const qcpu_ref host = {
    .arch = "x86_64", .vendor = "AMD", .model = "kvm64",
    .nfeatures = 5, .features = host_features,
};

static const char *const blockers[] = { "avx", "svm" };
static const qcpu_hv_model hv_model = { .name = "Opteron_G1", .nblockers = 2, .blockers = blockers };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_free_ char *xml = malloc(size + 1), *out = NULL, *out2 = NULL;
    const char *pair[2];
    size_t half;
    int res;

    if (!xml)
        return 0;
    memcpy(xml, data, size);
    xml[size] = '\0';
    qcpu_compare(&host, xml, data[0] & 1 ? QCPU_COMPARE_FAIL_INCOMPATIBLE : 0, &res);
    pair[0] = xml;
    if (qcpu_baseline(pair, 1, size && (data[0] & 2), NULL, 0,
                      size ? data[size - 1] & 3 : 0, &out) == 0 &&
        qcpu_compare(&host, out, 0, &res) < 0) {
        /* What the baseline prints, compare must read (an ARM model is
         * unknown to the x86 map, which is no fault of the document). */
        const mv_error *e = mv_error_last();
        if (!e || e->code == MV_ERR_XML_ERROR || e->code == MV_ERR_XML_DETAIL)
            abort();
    }
    /* two CPUs: the input split where a NUL would be */
    half = strlen(xml) / 2;
    pair[1] = xml + half;
    if (qcpu_baseline(pair, 2, false, &hv_model, 1, 0, &out2) == 0 && !out2)
        abort();
    mv_error_reset();
    return 0;
}
