/*
 * The domain document, data driven over tests/data/domain:
 *
 *   NAME.in.xml + NAME.out.xml   parse, format; the output must equal the
 *                                expected file, where "{ANY}" stands for
 *                                generated text (a UUID, a MAC); it must parse
 *                                and format back to itself, copy to itself,
 *                                and validate against libvirt's schema
 *   NAME.in.xml + NAME.err       parse fails with the code on the first line
 *                                and a message containing the second line
 *   NAME.flags                   optional words: "status" (a status document:
 *                                parse keeps live data, format as live),
 *                                "nosecure" (format without passwords)
 *
 * and tests/data/domain/devices/NAME.ops: a domain file, then lines of
 * "attach|detach|update FILE [CODE MESSAGE]" applied in turn, each
 * succeeding or failing as said; the result must equal NAME.out.xml.
 *
 * `test_domain_conf --print FILE [status|nosecure]` prints what parsing
 * FILE gives, and `--print-ops NAME` what applying devices/NAME.ops gives,
 * for writing new cases (check them before adding).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/domain_conf.h"
#include "test.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileutil.h"

#define DATA TEST_DATA_DIR "/domain"


static char *read_text(const char *path)
{
    char *s = NULL;

    if (mv_read_file(path, 16 << 20, &s, NULL) < 0)
        return NULL;
    return s;
}

static char *path_of(const char *dir, const char *name, const char *suffix)
{
    char *p = NULL;

    if (asprintf(&p, "%s/%s%s", dir, name, suffix) < 0)
        abort();
    return p;
}

/* expected may hold "{ANY}", which matches a run of characters that are
 * neither a quote, '<' nor a newline. */
static bool matches(const char *expected, const char *actual)
{
    while (*expected) {
        if (strncmp(expected, "{ANY}", 5) == 0) {
            expected += 5;
            while (*actual && !strchr("'<\n", *actual))
                actual++;
            continue;
        }
        if (*expected++ != *actual++)
            return false;
    }
    return *actual == '\0';
}

static void show_diff(const char *name, const char *expected, const char *actual)
{
    char tmpl_e[] = "/tmp/domconf-expected-XXXXXX", tmpl_a[] = "/tmp/domconf-actual-XXXXXX";
    int fe = mkstemp(tmpl_e), fa = mkstemp(tmpl_a);
    char cmd[256];

    fprintf(stderr, "%s: output differs from the expected one\n", name);
    if (fe < 0 || fa < 0)
        return;
    if (write(fe, expected, strlen(expected)) < 0 || write(fa, actual, strlen(actual)) < 0)
        fprintf(stderr, "cannot write diff files\n");
    close(fe);
    close(fa);
    snprintf(cmd, sizeof(cmd), "diff -u %s %s >&2", tmpl_e, tmpl_a);
    if (system(cmd) < 0)
        fprintf(stderr, "cannot run diff\n");
    unlink(tmpl_e);
    unlink(tmpl_a);
}

static void flags_of(const char *dir, const char *name, unsigned *parse, unsigned *format)
{
    _cleanup_free_ char *path = path_of(dir, name, ".flags");
    _cleanup_free_ char *words = read_text(path);

    *parse = 0;
    *format = MV_DOMAIN_XML_SECURE | MV_DOMAIN_XML_INACTIVE;
    if (!words)
        return;
    if (strstr(words, "status")) {
        *parse |= MV_DOMAIN_PARSE_STATUS;
        *format &= ~(unsigned)MV_DOMAIN_XML_INACTIVE;
    }
    if (strstr(words, "nosecure"))
        *format &= ~(unsigned)MV_DOMAIN_XML_SECURE;
}

/* An error file: the code, then a substring of the message. */
static void check_error(const char *name, const char *errtext, int r)
{
    const mv_error *e = mv_error_last();
    char msg[1024];
    int code = atoi(errtext);
    const char *nl = strchr(errtext, '\n');

    snprintf(msg, sizeof(msg), "%s", nl ? nl + 1 : "");
    msg[strcspn(msg, "\n")] = '\0';
    if (r >= 0) {
        fprintf(stderr, "%s: parsed, expected error %d \"%s\"\n", name, code, msg);
        test_failures++;
        return;
    }
    if (!e || e->code != code || !strstr(e->message, msg)) {
        fprintf(stderr, "%s: error %d \"%s\", expected %d \"%s\"\n", name, e ? e->code : 0,
                e ? e->message : "(none)", code, msg);
        test_failures++;
    }
}

static void check_output(const char *name, const char *expected, mv_domain_def *def,
                         unsigned pflags, unsigned fflags)
{
    _cleanup_free_ char *out = NULL, *again = NULL, *copied = NULL;
    mv_domain_def *def2 = NULL, *copy = NULL;
    int r;

    r = mv_domain_def_format(def, fflags, -1, &out);
    if (r < 0) {
        fprintf(stderr, "%s: format failed: %d\n", name, r);
        test_failures++;
        return;
    }
    if (!matches(expected, out)) {
        show_diff(name, expected, out);
        test_failures++;
    }
    if (!test_validate_xml(name, "domain", out))
        test_failures++;
    /* format(parse(out)) == out */
    r = mv_domain_def_parse(out, pflags, &def2);
    if (r < 0) {
        fprintf(stderr, "%s: output does not parse back: %s\n", name,
                mv_error_last() ? mv_error_last()->message : "?");
        test_failures++;
    } else if (mv_domain_def_format(def2, fflags, -1, &again) < 0 || strcmp(out, again) != 0) {
        fprintf(stderr, "%s: not idempotent\n", name);
        show_diff(name, out, again ? again : "");
        test_failures++;
    }
    mv_domain_def_free(def2);
    /* copy(def) formats as def */
    if (mv_domain_def_copy(def, &copy) < 0 || mv_domain_def_format(copy, fflags, -1, &copied) < 0 ||
        strcmp(out, copied) != 0) {
        fprintf(stderr, "%s: copy differs\n", name);
        test_failures++;
    }
    mv_domain_def_free(copy);
}

static int run_case(const char *dir, const char *name)
{
    _cleanup_free_ char *in_path = path_of(dir, name, ".in.xml");
    _cleanup_free_ char *out_path = path_of(dir, name, ".out.xml");
    _cleanup_free_ char *err_path = path_of(dir, name, ".err");
    _cleanup_free_ char *in = read_text(in_path);
    _cleanup_free_ char *expected = read_text(out_path);
    _cleanup_free_ char *errtext = read_text(err_path);
    mv_domain_def *def = NULL;
    unsigned pflags, fflags;
    int r;

    if (!in || (!expected && !errtext)) {
        fprintf(stderr, "%s: missing input or expectation\n", name);
        test_failures++;
        return 0;
    }
    flags_of(dir, name, &pflags, &fflags);
    mv_error_reset();
    r = mv_domain_def_parse(in, pflags, &def);
    if (errtext) {
        check_error(name, errtext, r);
    } else if (r < 0) {
        fprintf(stderr, "%s: parse failed: %s\n", name,
                mv_error_last() ? mv_error_last()->message : "?");
        test_failures++;
    } else {
        check_output(name, expected, def, pflags, fflags);
    }
    mv_domain_def_free(def);
    return 1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of the files in dir ending in suffix, without it, sorted. */
static size_t list_cases(const char *dir, const char *suffix, char ***ret)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, slen = strlen(suffix);

    if (!d)
        return 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);

        if (len <= slen || strcmp(e->d_name + len - slen, suffix) != 0)
            continue;
        names = realloc(names, (n + 1) * sizeof(char *));
        if (!names)
            abort();
        names[n++] = strndup(e->d_name, len - slen);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(char *), cmp_names);
    *ret = names;
    return n;
}

/* ---- device operations ---- */

static int apply_op(mv_domain_def *def, const char *dir, const char *op, const char *file)
{
    _cleanup_free_ char *path = path_of(dir, file, "");
    _cleanup_free_ char *xml = read_text(path);
    mv_domain_device *dev = NULL;
    int r;

    if (!xml) {
        fprintf(stderr, "cannot read %s\n", path);
        return -ENOENT;
    }
    r = mv_domain_device_parse(def, xml, 0, &dev);
    if (r < 0)
        return r;
    if (strcmp(op, "attach") == 0)
        r = mv_domain_def_attach_device(def, dev);
    else if (strcmp(op, "detach") == 0)
        r = mv_domain_def_detach_device(def, dev);
    else if (strcmp(op, "update") == 0)
        r = mv_domain_def_update_device(def, dev);
    else
        r = -EINVAL;
    mv_domain_device_free(dev);
    return r;
}

/* Apply NAME.ops; compare with NAME.out.xml, or print the result if print is set. */
static void run_ops(const char *dir, const char *name, bool print)
{
    _cleanup_free_ char *ops_path = path_of(dir, name, ".ops");
    _cleanup_free_ char *out_path = path_of(dir, name, ".out.xml");
    _cleanup_free_ char *ops = read_text(ops_path);
    _cleanup_free_ char *expected = read_text(out_path);
    _cleanup_free_ char *out = NULL;
    mv_domain_def *def = NULL;
    char *save = NULL, *line;
    int lineno = 0;

    if (!ops || (!expected && !print)) {
        fprintf(stderr, "%s: missing .ops or .out.xml\n", name);
        test_failures++;
        return;
    }
    for (line = strtok_r(ops, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char op[16], file[128], msg[512] = "";
        int code = 0, fields, r;

        lineno++;
        if (!*line || *line == '#')
            continue;
        fields = sscanf(line, "%15s %127s %d %511[^\n]", op, file, &code, msg);
        if (fields < 2) {
            fprintf(stderr, "%s:%d: bad line\n", name, lineno);
            test_failures++;
            continue;
        }
        if (strcmp(op, "domain") == 0) {
            _cleanup_free_ char *path = path_of(dir, file, "");
            _cleanup_free_ char *xml = read_text(path);

            if (!xml || mv_domain_def_parse(xml, 0, &def) < 0) {
                fprintf(stderr, "%s: cannot load %s\n", name, file);
                test_failures++;
                return;
            }
            continue;
        }
        if (!def) {
            fprintf(stderr, "%s: no domain line first\n", name);
            test_failures++;
            return;
        }
        mv_error_reset();
        r = apply_op(def, dir, op, file);
        if (fields >= 3) {
            const mv_error *e = mv_error_last();

            if (r >= 0 || !e || e->code != code || !strstr(e->message, msg)) {
                fprintf(stderr, "%s:%d: %s %s gave %d (%d \"%s\"), expected error %d \"%s\"\n",
                        name, lineno, op, file, r, e ? e->code : 0, e ? e->message : "",
                        code, msg);
                test_failures++;
            }
        } else if (r < 0) {
            fprintf(stderr, "%s:%d: %s %s failed: %s\n", name, lineno, op, file,
                    mv_error_last() ? mv_error_last()->message : "?");
            test_failures++;
        }
    }
    if (def && mv_domain_def_format(def, MV_DOMAIN_XML_INACTIVE | MV_DOMAIN_XML_SECURE, -1, &out) == 0) {
        if (print) {
            fputs(out, stdout);
        } else if (!matches(expected, out)) {
            show_diff(name, expected, out);
            test_failures++;
        }
        if (!test_validate_xml(name, "domain", out))
            test_failures++;
    }
    mv_domain_def_free(def);
}

/* ---- metadata ---- */

static void test_metadata(void)
{
    static const char xml[] =
        "<domain type='kvm'><name>m</name><memory>1024</memory><os><type>hvm</type></os>"
        "<metadata><a:app xmlns:a='http://a/'><a:x k='v'>1</a:x></a:app>"
        "<b:other xmlns:b='http://b/'/></metadata></domain>";
    mv_domain_def *def = NULL;
    char *s = NULL;

    CHECK_INT(mv_domain_def_parse(xml, 0, &def), 0);
    if (!def)
        return;
    CHECK_INT(mv_domain_def_get_metadata(def, MV_DOMAIN_METADATA_ELEMENT, "http://a/", &s), 0);
    CHECK_STR(s, "<app>\n  <x k=\"v\">1</x>\n</app>");
    free(s);
    s = NULL;
    CHECK_INT(mv_domain_def_get_metadata(def, MV_DOMAIN_METADATA_ELEMENT, "http://none/", &s), -ENOENT);
    CHECK_INT(mv_error_last()->code, MV_ERR_NO_DOMAIN_METADATA);
    CHECK_STR(mv_error_last()->message, "metadata not found: Requested metadata element is not present");
    CHECK_INT(mv_domain_def_get_metadata(def, MV_DOMAIN_METADATA_TITLE, NULL, &s), -ENOENT);

    CHECK_INT(mv_domain_def_set_metadata(def, MV_DOMAIN_METADATA_ELEMENT, "<new><y a='b'>z</y></new>",
                                         "nk", "http://new/"), 0);
    CHECK_INT(mv_domain_def_set_metadata(def, MV_DOMAIN_METADATA_ELEMENT, "<repl/>", "r", "http://a/"), 0);
    CHECK_INT(mv_domain_def_set_metadata(def, MV_DOMAIN_METADATA_TITLE, "A title", NULL, NULL), 0);
    CHECK_INT(mv_domain_def_set_metadata(def, MV_DOMAIN_METADATA_DESCRIPTION, "Some\ntext", NULL, NULL), 0);
    CHECK_STR(def->metadata,
              "    <b:other xmlns:b=\"http://b/\"/>\n"
              "    <nk:new xmlns:nk=\"http://new/\">\n"
              "      <nk:y a=\"b\">z</nk:y>\n"
              "    </nk:new>\n"
              "    <r:repl xmlns:r=\"http://a/\"/>\n");
    CHECK_INT(mv_domain_def_get_metadata(def, MV_DOMAIN_METADATA_ELEMENT, "http://new/", &s), 0);
    CHECK_STR(s, "<new>\n  <y a=\"b\">z</y>\n</new>");
    free(s);
    s = NULL;
    CHECK_INT(mv_domain_def_get_metadata(def, MV_DOMAIN_METADATA_TITLE, NULL, &s), 0);
    CHECK_STR(s, "A title");
    free(s);
    s = NULL;

    CHECK_INT(mv_domain_def_set_metadata(def, MV_DOMAIN_METADATA_TITLE, "a\nb", NULL, NULL), -EINVAL);
    CHECK_INT(mv_error_last()->code, MV_ERR_INVALID_ARG);
    CHECK_STR(mv_error_last()->message, "metadata title can't contain newlines");
    CHECK_INT(mv_domain_def_set_metadata(def, MV_DOMAIN_METADATA_ELEMENT, "<a/><b/>", "k", "http://x/"),
              -EINVAL);
    CHECK_INT(mv_error_last()->code, MV_ERR_XML_DETAIL);
    CHECK(strstr(mv_error_last()->message, "(metadata_xml):1: Extra content at the end of the document") != NULL);
    CHECK_INT(mv_domain_def_set_metadata(def, MV_DOMAIN_METADATA_ELEMENT, "<a/>", NULL, "http://x/"), -EINVAL);
    CHECK_STR(mv_error_last()->message, "key in virDomainSetMetadata must not be NULL");
    CHECK_INT(mv_domain_def_set_metadata(def, 5, "x", NULL, NULL), -EINVAL);
    CHECK_STR(mv_error_last()->message, "invalid argument: unknown metadata type '5'");

    /* remove */
    CHECK_INT(mv_domain_def_set_metadata(def, MV_DOMAIN_METADATA_ELEMENT, NULL, NULL, "http://new/"), 0);
    CHECK_INT(mv_domain_def_set_metadata(def, MV_DOMAIN_METADATA_TITLE, NULL, NULL, NULL), 0);
    CHECK(def->title == NULL);
    CHECK_INT(mv_domain_def_get_metadata(def, MV_DOMAIN_METADATA_ELEMENT, "http://new/", &s), -ENOENT);
    CHECK_STR(def->metadata,
              "    <b:other xmlns:b=\"http://b/\"/>\n"
              "    <r:repl xmlns:r=\"http://a/\"/>\n");
    mv_domain_def_free(def);
}

/* ---- formatting flags and the API around the model ---- */

static void test_api(void)
{
    static const char xml[] =
        "<domain type='kvm' id='7'><name>f</name><memory>1024</memory><os><type>hvm</type></os>"
        "<devices><disk type='file' device='disk'><source file='/a'/><target dev='vda'/>"
        "<alias name='virtio-disk0'/></disk>"
        "<graphics type='vnc' port='5901' autoport='yes' passwd='pw'/></devices></domain>";
    mv_domain_def *def = NULL;
    char *s = NULL;

    /* A user's definition loses live data; a status document keeps it. */
    CHECK_INT(mv_domain_def_parse(xml, 0, &def), 0);
    if (!def)
        return;
    CHECK(def->disks[0]->info.alias == NULL);
    CHECK_INT(def->graphics[0]->port, -1);
    CHECK_INT(mv_domain_def_format(def, 0, 7, &s), 0);
    CHECK(strstr(s, "<domain type='kvm' id='7'>") != NULL);
    CHECK(strstr(s, "passwd") == NULL);
    free(s);
    s = NULL;
    mv_domain_def_free(def);
    def = NULL;

    CHECK_INT(mv_domain_def_parse(xml, MV_DOMAIN_PARSE_STATUS, &def), 0);
    if (!def)
        return;
    CHECK_STR(def->disks[0]->info.alias, "virtio-disk0");
    CHECK_INT(def->graphics[0]->port, 5901);
    CHECK_INT(mv_domain_def_format(def, MV_DOMAIN_XML_SECURE, 7, &s), 0);
    CHECK(strstr(s, "<graphics type='vnc' port='5901' autoport='yes' passwd='pw'>") != NULL ||
          strstr(s, "<graphics type='vnc' port='5901' autoport='yes' passwd='pw'/>") != NULL);
    CHECK(strstr(s, "<alias name='virtio-disk0'/>") != NULL);
    free(s);
    s = NULL;
    CHECK_INT(mv_domain_def_format(def, MV_DOMAIN_XML_INACTIVE, 7, &s), 0);
    CHECK(strstr(s, "<domain type='kvm'>") != NULL);
    CHECK(strstr(s, "port='-1' autoport='yes'") != NULL);
    CHECK(strstr(s, "<alias") == NULL);
    free(s);
    s = NULL;

    CHECK(mv_domain_def_find_disk(def, "vda") == def->disks[0]);
    CHECK(mv_domain_def_find_disk(def, "vdb") == NULL);
    CHECK_STR(mv_disk_bus_str(def->disks[0]->bus), "virtio");
    CHECK_STR(mv_graphics_type_str(MV_GRAPHICS_SPICE), "spice");
    CHECK_STR(mv_feature_str(MV_FEATURE_VMCOREINFO), "vmcoreinfo");
    CHECK(!mv_domain_def_has_opaque(def));
    mv_domain_def_free(def);
    def = NULL;

    /* VIR_DOMAIN_DEFINE_VALIDATE: the schema too. */
    if (test_have_validator()) {
        static const char bad_machine[] =
            "<domain type='kvm'><name>v</name><memory>1024</memory>"
            "<os><type machine='pc q35'>hvm</type></os></domain>";

        CHECK_INT(mv_domain_def_parse(xml, MV_DOMAIN_PARSE_VALIDATE, &def), 0);
        mv_domain_def_free(def);
        def = NULL;
        CHECK_INT(mv_domain_def_parse(bad_machine, 0, &def), 0);
        mv_domain_def_free(def);
        def = NULL;
        CHECK_INT(mv_domain_def_parse(bad_machine, MV_DOMAIN_PARSE_VALIDATE, &def), -EINVAL);
        CHECK_INT(mv_error_last()->code, MV_ERR_XML_INVALID_SCHEMA);
        CHECK(strstr(mv_error_last()->message, "XML document failed to validate against schema") != NULL);
    }

    /* Verbatim elements are reported. */
    CHECK_INT(mv_domain_def_parse("<domain type='kvm'><name>o</name><memory>1024</memory>"
                                  "<os><type>hvm</type></os><cputune><shares>10</shares></cputune>"
                                  "</domain>", 0, &def), 0);
    if (def) {
        CHECK(mv_domain_def_has_opaque(def));
        CHECK_INT(def->nopaque, 1);
        CHECK_STR(def->opaque[0].name, "cputune");
    }
    mv_domain_def_free(def);

    /* Device format on its own. */
    {
        mv_domain_device *dev = NULL;

        CHECK_INT(mv_domain_device_parse(NULL, "<input type='tablet'/>", 0, &dev), 0);
        CHECK_INT(mv_domain_device_format(dev, 0, &s), 0);
        CHECK_STR(s, "<input type='tablet' bus='usb'/>\n");
        free(s);
        s = NULL;
        mv_domain_device_free(dev);
        dev = NULL;
        CHECK(mv_domain_device_parse(NULL, "<panic model='isa'/>", 0, &dev) < 0);
        CHECK_INT(mv_error_last()->code, MV_ERR_CONFIG_UNSUPPORTED);
        CHECK(mv_domain_device_parse(NULL, "<disk", 0, &dev) < 0);
        CHECK_INT(mv_error_last()->code, MV_ERR_XML_DETAIL);
        CHECK(strstr(mv_error_last()->message, "(device_definition):1:") != NULL);
    }
}

static int print_file(const char *path, const char *flags)
{
    _cleanup_free_ char *in = read_text(path);
    _cleanup_free_ char *out = NULL;
    mv_domain_def *def = NULL;
    unsigned pflags = 0, fflags = MV_DOMAIN_XML_SECURE | MV_DOMAIN_XML_INACTIVE;

    if (flags && strstr(flags, "status")) {
        pflags |= MV_DOMAIN_PARSE_STATUS;
        fflags &= ~(unsigned)MV_DOMAIN_XML_INACTIVE;
    }
    if (flags && strstr(flags, "nosecure"))
        fflags &= ~(unsigned)MV_DOMAIN_XML_SECURE;
    if (!in)
        return 2;
    if (mv_domain_def_parse(in, pflags, &def) < 0) {
        printf("%d\n%s\n", mv_error_last() ? mv_error_last()->code : 0,
               mv_error_last() ? mv_error_last()->message : "");
        return 1;
    }
    if (mv_domain_def_format(def, fflags, -1, &out) == 0)
        fputs(out, stdout);
    mv_domain_def_free(def);
    return 0;
}

int main(int argc, char **argv)
{
    char **names = NULL;
    size_t n, ran = 0;

    if (argc >= 3 && strcmp(argv[1], "--print") == 0)
        return print_file(argv[2], argc > 3 ? argv[3] : NULL);
    if (argc >= 3 && strcmp(argv[1], "--print-ops") == 0) {
        run_ops(DATA "/devices", argv[2], true);
        TEST_DONE();
    }

    /* make check installs it: without it the schema checks would be skipped */
    CHECK(test_have_validator());

    n = list_cases(DATA, ".in.xml", &names);
    for (size_t i = 0; i < n; i++) {
        ran += run_case(DATA, names[i]);
        free(names[i]);
    }
    free(names);
    fprintf(stderr, "%zu document cases\n", ran);
    CHECK(ran >= 100);

    n = list_cases(DATA "/devices", ".ops", &names);
    for (size_t i = 0; i < n; i++) {
        run_ops(DATA "/devices", names[i], false);
        free(names[i]);
    }
    free(names);
    fprintf(stderr, "%zu device operation cases\n", n);
    CHECK(n >= 5);

    test_metadata();
    test_api();
    TEST_DONE();
}
