/* libFuzzer target for util/conf_file: arbitrary bytes as a .conf file. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/cleanup.h"
#include "util/conf_file.h"
#include "util/log.h"

typedef struct {
    int i;
    unsigned u;
    bool b;
    char *s;
    char **l;
} fuzz_conf;

/* Short names, so that random mutations hit known keys often. */
static const mv_conf_key keys[] = {
    MV_CONF_KEY(MV_CONF_INT, "i", fuzz_conf, i),
    MV_CONF_KEY(MV_CONF_UINT, "u", fuzz_conf, u),
    MV_CONF_KEY(MV_CONF_BOOL, "b", fuzz_conf, b),
    MV_CONF_KEY(MV_CONF_STRING, "s", fuzz_conf, s),
    MV_CONF_KEY(MV_CONF_STRING_LIST, "l", fuzz_conf, l),
    MV_CONF_KEY(MV_CONF_STRING, "unix_sock_group", fuzz_conf, s),
    MV_CONF_KEY(MV_CONF_STRING_LIST, "tls_allowed_dn_list", fuzz_conf, l),
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    fuzz_conf c = { 0 };

    /* Unknown-key warnings would flood stderr and slow the run. */
    if (!quiet) {
        mv_log_setup(MV_LOG_ERROR, NULL, NULL);
        quiet = true;
    }
    mv_conf_parse_string("fuzz.conf", (const char *)data, size, keys, ELEMENTSOF(keys), &c);
    mv_conf_free(keys, ELEMENTSOF(keys), &c);
    return 0;
}
