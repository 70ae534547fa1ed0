/* A few assertion helpers shared by the unit tests. */
#ifndef MV_TEST_H
#define MV_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;

#define CHECK(cond) do {                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            test_failures++;                                                    \
        }                                                                       \
    } while (0)

#define CHECK_INT(a, b) do {                                                    \
        long long _a = (long long)(a), _b = (long long)(b);                     \
        if (_a != _b) {                                                         \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n",         \
                    __FILE__, __LINE__, #a, _a, #b, _b);                        \
            test_failures++;                                                    \
        }                                                                       \
    } while (0)

#define CHECK_STR(a, b) do {                                                    \
        const char *_a = (a), *_b = (b);                                        \
        if (!_a || !_b || strcmp(_a, _b) != 0) {                                \
            fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n",           \
                    __FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
            test_failures++;                                                    \
        }                                                                       \
    } while (0)

#define CHECK_MEM(a, b, n) do {                                                 \
        if (memcmp((a), (b), (n)) != 0) {                                       \
            fprintf(stderr, "%s:%d: bytes of %s differ from %s\n",              \
                    __FILE__, __LINE__, #a, #b);                                \
            test_failures++;                                                    \
        }                                                                       \
    } while (0)

#define TEST_DONE() do {                                                        \
        if (test_failures)                                                      \
            fprintf(stderr, "%d check(s) failed\n", test_failures);             \
        return test_failures ? EXIT_FAILURE : EXIT_SUCCESS;                     \
    } while (0)

#include <stdbool.h>
#include <unistd.h>

static inline bool test_have_validator(void)
{
    return system("command -v virt-xml-validate >/dev/null 2>&1") == 0;
}

/* Whether xml validates against libvirt's RNG schema (virt-xml-validate,
 * from Debian's libvirt packages); name says whose output it is. */
static inline bool test_validate_xml(const char *name, const char *schema, const char *xml)
{
    char tmpl[] = "/tmp/mv-validate-XXXXXX";
    char cmd[256];
    size_t len = strlen(xml);
    int fd, rc;

    fd = mkstemp(tmpl);
    if (fd < 0)
        return false;
    if (write(fd, xml, len) != (ssize_t)len) {
        close(fd);
        unlink(tmpl);
        return false;
    }
    close(fd);
    snprintf(cmd, sizeof(cmd), "virt-xml-validate %s %s >/dev/null 2>&1", tmpl, schema);
    rc = system(cmd);
    if (rc != 0) {
        fprintf(stderr, "%s: does not validate against the %s schema:\n", name, schema);
        snprintf(cmd, sizeof(cmd), "virt-xml-validate %s %s >&2", tmpl, schema);
        if (system(cmd) < 0)
            fprintf(stderr, "cannot run virt-xml-validate\n");
    }
    unlink(tmpl);
    return rc == 0;
}

#endif
