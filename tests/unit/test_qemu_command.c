/*
 * Tests for virtqemud/qemu_domain_defaults (what defining a domain adds)
 * and virtqemud/qemu_command (the QEMU command line), data-driven:
 *
 *   tests/data/qemuxml2xml/NAME.in.xml  -> NAME.out.xml (or NAME.err: the
 *       error code, domain and message), as `virsh dumpxml --inactive` prints it after
 *       `virsh define`; the expected files were checked against what
 *       libvirtd 9.0 prints for the same input.
 *   tests/data/qemuxml2argv/NAME.xml    -> NAME.args, one argument a line,
 *       built with fixed runtime paths.
 *
 * MV_UPDATE_GOLDEN=1 rewrites the expected files instead of comparing.
 * The expected files name QEMU 7.2's machine types, so the comparisons are
 * skipped with another QEMU.  Finally several command lines are run with
 * the installed QEMU (under TCG, paused) to check that QEMU accepts them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/domain_conf.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "virtqemud/qemu_capabilities.h"
#include "virtqemud/qemu_command.h"
#include "virtqemud/qemu_domain_defaults.h"
#include "test.h"

#define QEMU_BIN "/usr/bin/qemu-system-x86_64"
#define QEMU_IMG "/usr/bin/qemu-img"
#define OVMF_CODE "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define OVMF_VARS "/usr/share/OVMF/OVMF_VARS_4M.fd"

static bool update_golden;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0;

    if (!f)
        return NULL;
    for (;;) {
        char *n = realloc(buf, len + 4097);
        size_t got;

        if (!n) {
            free(buf);
            fclose(f);
            return NULL;
        }
        buf = n;
        got = fread(buf + len, 1, 4096, f);
        len += got;
        if (got < 4096)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    CHECK(f != NULL);
    if (!f)
        return;
    fputs(text, f);
    CHECK(fclose(f) == 0);
}

/* Compare text with the expected file, or rewrite it. */
static void check_golden(const char *path, const char *text)
{
    char *want;

    if (update_golden) {
        write_file(path, text);
        return;
    }
    want = read_file(path);
    if (!want || strcmp(want, text) != 0) {
        fprintf(stderr, "%s differs from the result:\n%s\n", path, text);
        test_failures++;
    }
    free(want);
}

static int has_suffix(const struct dirent *d, const char *suffix)
{
    size_t n = strlen(d->d_name), s = strlen(suffix);

    return n > s && strcmp(d->d_name + n - s, suffix) == 0;
}

static int is_in_xml(const struct dirent *d) { return has_suffix(d, ".in.xml"); }
static int is_xml(const struct dirent *d) { return has_suffix(d, ".xml"); }

static mv_domain_def *parse_file(const char *path)
{
    char *xml = read_file(path);
    mv_domain_def *def = NULL;

    CHECK(xml != NULL);
    if (xml && mv_domain_def_parse(xml, 0, &def) < 0) {
        fprintf(stderr, "%s: parse failed: %s\n", path,
                mv_error_last() ? mv_error_last()->message : "?");
        test_failures++;
        def = NULL;
    }
    free(xml);
    return def;
}

static char *format_def(const mv_domain_def *def)
{
    char *xml = NULL;

    CHECK_INT(mv_domain_def_format(def, MV_DOMAIN_XML_INACTIVE, -1, &xml), 0);
    return xml;
}

/* ---- post-parse defaults ---- */

static void test_xml2xml(void)
{
    const char *dir = TEST_DATA_DIR "/qemuxml2xml";
    struct dirent **ents;
    int n = scandir(dir, &ents, is_in_xml, alphasort);
    int cases = 0;

    CHECK(n > 0);
    for (int i = 0; i < n; i++) {
        char path[4096], out[4096], err[4096];
        size_t base = strlen(ents[i]->d_name) - strlen(".in.xml");
        mv_domain_def *def;
        char *xml;
        int r;

        snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
        snprintf(out, sizeof(out), "%s/%.*s.out.xml", dir, (int)base, ents[i]->d_name);
        snprintf(err, sizeof(err), "%s/%.*s.err", dir, (int)base, ents[i]->d_name);
        free(ents[i]);
        def = parse_file(path);
        if (!def)
            continue;
        cases++;
        mv_error_reset();
        r = qemu_domain_post_parse(def);
        if (r < 0) {
            const mv_error *e = mv_error_last();
            char msg[1100];

            /* libvirt's error code and domain, then the message */
            snprintf(msg, sizeof(msg), "%d %d %s\n", e ? e->code : -1, e ? e->domain : -1,
                     e ? e->message : "?");
            check_golden(err, msg);
            if (!update_golden && access(out, F_OK) == 0) {
                fprintf(stderr, "%s: expected success\n", path);
                test_failures++;
            }
            mv_domain_def_free(def);
            continue;
        }
        if (!update_golden && access(err, F_OK) == 0) {
            fprintf(stderr, "%s: expected an error\n", path);
            test_failures++;
        }
        xml = format_def(def);
        /* Applying the defaults again changes nothing. */
        if (xml && qemu_domain_post_parse(def) == 0) {
            char *again = format_def(def);

            if (!again || strcmp(again, xml) != 0) {
                fprintf(stderr, "%s: defaults applied twice differ:\n%s\n", path,
                        again ? again : "(null)");
                test_failures++;
            }
            free(again);
        } else {
            CHECK(!"post-parse failed on its own result");
        }
        mv_domain_def_free(def);
        if (!xml)
            continue;
        /* what virsh dumpxml shows after define is valid libvirt XML */
        if (!test_validate_xml(path, "domain", xml))
            test_failures++;
        check_golden(out, xml);

        /* Defining the result again (virsh edit) adds nothing; the parser
         * may order controllers differently, as libvirtd's does. */
        def = NULL;
        if (mv_domain_def_parse(xml, 0, &def) == 0) {
            char *parsed = format_def(def);
            char *again = qemu_domain_post_parse(def) == 0 ? format_def(def) : NULL;

            if (!parsed || !again || strcmp(again, parsed) != 0) {
                fprintf(stderr, "%s: defaults change the defined result:\n%s\n", path,
                        again ? again : mv_error_last() ? mv_error_last()->message : "?");
                test_failures++;
            }
            free(parsed);
            free(again);
        } else {
            fprintf(stderr, "%s: result does not parse again: %s\n", path,
                    mv_error_last() ? mv_error_last()->message : "?");
            test_failures++;
        }
        mv_domain_def_free(def);
        free(xml);
    }
    free(ents);
    CHECK(cases >= 20);
}

/* ---- command lines ---- */

static int build_argv(const mv_domain_def *def, const char *rundir, bool fds, char ***ret)
{
    static const int taps[] = { 30, 31, 32, 33, 34, 35, 36, 37 };
    char mon[1100], key[1100], chan[1100];
    qemu_command_opts opts = {
        .monitor_path = mon,
        .master_key_path = key,
        .channel_dir = chan,
        .start_paused = true,
        .tap_fds = fds ? taps : NULL,
        .ntap_fds = fds ? ELEMENTSOF(taps) : 0,
        .now = 1700000000,
    };

    snprintf(mon, sizeof(mon), "%s/monitor.sock", rundir);
    snprintf(key, sizeof(key), "%s/master-key.aes", rundir);
    snprintf(chan, sizeof(chan), "%s/channel", rundir);
    return qemu_command_build(def, &opts, ret);
}

static char *join_lines(char **argv)
{
    size_t len = 1;
    char *s, *p;

    for (char **a = argv; *a; a++)
        len += strlen(*a) + 1;
    s = p = malloc(len);
    if (!s)
        return NULL;
    for (char **a = argv; *a; a++)
        p += sprintf(p, "%s\n", *a);
    *p = '\0';
    return s;
}

static void test_xml2argv(void)
{
    const char *dir = TEST_DATA_DIR "/qemuxml2argv";
    struct dirent **ents;
    int n = scandir(dir, &ents, is_xml, alphasort);
    int cases = 0;

    CHECK(n > 0);
    for (int i = 0; i < n; i++) {
        char path[4096], args[4096], rundir[512];
        size_t base = strlen(ents[i]->d_name) - strlen(".xml");
        mv_domain_def *def;
        char **argv = NULL;
        char *text;

        snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
        snprintf(args, sizeof(args), "%s/%.*s.args", dir, (int)base, ents[i]->d_name);
        free(ents[i]);
        def = parse_file(path);
        if (!def)
            continue;
        if (qemu_domain_post_parse(def) < 0) {
            fprintf(stderr, "%s: %s\n", path, mv_error_last() ? mv_error_last()->message : "?");
            test_failures++;
            mv_domain_def_free(def);
            continue;
        }
        snprintf(rundir, sizeof(rundir), "/var/lib/libvirt/qemu/domain-1-%s", def->name);
        if (build_argv(def, rundir, true, &argv) < 0) {
            fprintf(stderr, "%s: %s\n", path, mv_error_last() ? mv_error_last()->message : "?");
            test_failures++;
        } else {
            cases++;
            text = join_lines(argv);
            CHECK(text != NULL);
            if (text)
                check_golden(args, text);
            /* The live definition carries the aliases: the command line
             * built from it must name the devices the same way. */
            char **again = NULL;
            CHECK_INT(qemu_command_assign_aliases(def), 0);
            if (build_argv(def, rundir, true, &again) == 0) {
                char *text2 = join_lines(again);
                if (text && text2 && strcmp(text, text2) != 0) {
                    fprintf(stderr, "%s: command line changes once aliases are assigned\n", path);
                    test_failures++;
                }
                free(text2);
            }
            qemu_command_free(again);
            free(text);
        }
        qemu_command_free(argv);
        mv_domain_def_free(def);
    }
    free(ents);
    CHECK(cases >= 20);
}

/* ---- small pieces ---- */

static void test_to_string(void)
{
    char *words[] = { "/usr/bin/qemu-system-x86_64", "-name", "guest=a,debug-threads=on",
                      "-object", "{\"qom-type\":\"secret\",\"id\":\"k\"}", "-append",
                      "console=ttyS0 root=/dev/vda", "it's", "", "PATH=/usr/bin:/bin", NULL };
    char *s = NULL;

    CHECK_INT(qemu_command_to_string(words, &s), 0);
    CHECK_STR(s, "/usr/bin/qemu-system-x86_64 -name guest=a,debug-threads=on "
                 "-object '{\"qom-type\":\"secret\",\"id\":\"k\"}' "
                 "-append 'console=ttyS0 root=/dev/vda' 'it'\\''s' '' PATH=/usr/bin:/bin");
    free(s);
}

static void test_env(void)
{
    char **env = NULL;

    CHECK_INT(qemu_command_build_env("/var/lib/libvirt/qemu/domain-1-x", &env), 0);
    if (!env)
        return;
    CHECK_STR(env[0], "LC_ALL=C");
    CHECK(strncmp(env[1], "PATH=", 5) == 0);
    CHECK_STR(env[2], "HOME=/var/lib/libvirt/qemu/domain-1-x");
    CHECK_STR(env[3], "XDG_DATA_HOME=/var/lib/libvirt/qemu/domain-1-x/.local/share");
    CHECK_STR(env[5], "XDG_CONFIG_HOME=/var/lib/libvirt/qemu/domain-1-x/.config");
    CHECK(env[6] == NULL);
    qemu_command_free(env);
}

static void test_helpers(void)
{
    CHECK_INT(qemu_disk_target_index("sda"), 0);
    CHECK_INT(qemu_disk_target_index("hdc"), 2);
    CHECK_INT(qemu_disk_target_index("vdz"), 25);
    CHECK_INT(qemu_disk_target_index("vdaa"), 26);
    CHECK_INT(qemu_disk_target_index("xvdb"), 1);
    CHECK_INT(qemu_disk_target_index("vd"), -1);
    CHECK_INT(qemu_disk_target_index("vd1"), -1);
    CHECK_INT(qemu_disk_target_index("nvme0"), -1);
    CHECK_INT(qemu_machine_kind_of("pc"), QEMU_MACHINE_I440FX);
    CHECK_INT(qemu_machine_kind_of("pc-i440fx-7.2"), QEMU_MACHINE_I440FX);
    CHECK_INT(qemu_machine_kind_of("q35"), QEMU_MACHINE_Q35);
    CHECK_INT(qemu_machine_kind_of("pc-q35-7.2"), QEMU_MACHINE_Q35);
    CHECK_INT(qemu_machine_kind_of("microvm"), QEMU_MACHINE_OTHER);
    CHECK(qemu_virtio_model_is_pcie("virtio"));
    CHECK(qemu_virtio_model_is_pcie("virtio-non-transitional"));
    CHECK(!qemu_virtio_model_is_pcie("virtio-transitional"));
}

static void test_aliases(void)
{
    mv_domain_def *def = parse_file(TEST_DATA_DIR "/qemuxml2argv/q35-basic.xml");

    if (!def)
        return;
    CHECK_INT(qemu_domain_post_parse(def), 0);
    CHECK_INT(qemu_command_assign_aliases(def), 0);
    CHECK_STR(def->disks[0]->info.alias, "virtio-disk0");
    CHECK_STR(def->disks[1]->info.alias, "sata0-0-0");
    CHECK_STR(def->nets[0]->info.alias, "net0");
    CHECK_STR(def->consoles[0]->info.alias, "serial0");
    CHECK_STR(def->channels[0]->info.alias, "channel0");
    CHECK_STR(def->memballoon->info.alias, "balloon0");
    for (size_t i = 0; i < def->ncontrollers; i++) {
        const mv_domain_controller *c = def->controllers[i];

        if (c->type == MV_CONTROLLER_SATA)
            CHECK_STR(c->info.alias, "ide");
        else if (c->type == MV_CONTROLLER_PCI && c->index == 0)
            CHECK_STR(c->info.alias, "pcie.0");
        else if (c->type == MV_CONTROLLER_PCI && c->index == 3)
            CHECK_STR(c->info.alias, "pci.3");
    }
    mv_domain_def_free(def);
}

/* Runtime facts the builder needs and the definition lacks are errors. */
static void test_build_errors(void)
{
    mv_domain_def *def = parse_file(TEST_DATA_DIR "/qemuxml2argv/disk-bus-from-target.xml");
    qemu_command_opts opts = { .monitor_path = "/tmp/m.sock" };
    char **argv = NULL;

    if (!def)
        return;
    CHECK_INT(qemu_domain_post_parse(def), 0);
    /* a bridged interface without its tap device */
    CHECK(qemu_command_build(def, &opts, &argv) < 0);
    CHECK(argv == NULL);
    CHECK(mv_error_last() && mv_error_last()->code == MV_ERR_INTERNAL_ERROR);
    /* printed only: placeholders, as libvirtd prints them */
    opts.placeholder_fds = true;
    CHECK_INT(qemu_command_build(def, &opts, &argv), 0);
    qemu_command_free(argv);
    argv = NULL;
    opts.monitor_path = NULL;
    opts.monitor_fd = -1;
    CHECK(qemu_command_build(def, &opts, &argv) < 0);
    mv_domain_def_free(def);
}

/* ---- QEMU accepts the command lines ---- */

static char tmpdir[] = "/tmp/mv-qemu-command-XXXXXX";

static char *tmp_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *tmp_path(const char *fmt, ...)
{
    char name[256], *p = NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    if (asprintf(&p, "%s/%s", tmpdir, name) < 0)
        return NULL;
    return p;
}

static void replace(char **field, char *value)
{
    free(*field);
    *field = value;
}

static void retarget_chr(mv_domain_chr_source *s, const char *tag, size_t i)
{
    if (s->type == MV_CHR_TYPE_FILE || s->type == MV_CHR_TYPE_PIPE)
        replace(&s->path, tmp_path("%s%zu.log", tag, i));
    else if (s->type == MV_CHR_TYPE_UNIX && s->path)
        replace(&s->path, tmp_path("%s%zu.sock", tag, i));
    else if (s->type == MV_CHR_TYPE_TCP)
        replace(&s->service, strdup("0"));
}

/* Point every file the definition names into the temporary directory. */
static bool make_runnable(mv_domain_def *def)
{
    char cmd[8192];

    for (size_t i = 0; i < def->ndisks; i++) {
        mv_domain_disk *d = def->disks[i];
        const char *fmt = d->driver.type ? d->driver.type : "raw";

        if (d->type != MV_DISK_TYPE_FILE || !d->source.path)
            continue;
        replace(&d->source.path, tmp_path("%s-disk%zu.%s", def->name, i, fmt));
        snprintf(cmd, sizeof(cmd), QEMU_IMG " create -q -f %s %s 16M", fmt, d->source.path);
        if (system(cmd) != 0)
            return false;
    }
    for (size_t i = 0; i < def->nserials; i++)
        retarget_chr(&def->serials[i]->source, "serial", i);
    for (size_t i = 0; i < def->nparallels; i++)
        retarget_chr(&def->parallels[i]->source, "parallel", i);
    for (size_t i = 0; i < def->nconsoles; i++)
        retarget_chr(&def->consoles[i]->source, "serial", i);
    for (size_t i = 0; i < def->nchannels; i++)
        retarget_chr(&def->channels[i]->source, "channel", i);
    for (size_t i = 0; i < def->nfilesystems; i++)
        replace(&def->filesystems[i]->source, strdup(tmpdir));
    for (size_t i = 0; i < def->ngraphics; i++) {
        mv_domain_graphics *g = def->graphics[i];

        if (g->nlisten == 0)
            continue;
        g->listens[0].type = MV_LISTEN_SOCKET;
        replace(&g->listens[0].address, NULL);
        replace(&g->listens[0].socket, tmp_path("graphics%zu.sock", i));
    }
    if (def->os.nvram.path) {
        replace(&def->os.nvram.path, tmp_path("%s_VARS.fd", def->name));
        snprintf(cmd, sizeof(cmd), "cp %s %s", OVMF_VARS, def->os.nvram.path);
        if (system(cmd) != 0)
            return false;
    }
    return true;
}

/* One line from the monitor; NULL at EOF or after a long silence. */
static char *qmp_line(int fd, char *buf, size_t size, size_t *have)
{
    for (;;) {
        char *nl = memchr(buf, '\n', *have);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (nl) {
            char *line = strndup(buf, (size_t)(nl - buf));

            *have -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, *have);
            return line;
        }
        if (*have + 1 >= size || poll(&p, 1, 60000) <= 0)
            return NULL;
        n = read(fd, buf + *have, size - *have - 1);
        if (n <= 0)
            return NULL;
        *have += (size_t)n;
    }
}

/* Send cmd and return the reply's line (events skipped). */
static char *qmp_call(int fd, const char *cmd, char *buf, size_t size, size_t *have)
{
    char *line;

    if (write(fd, cmd, strlen(cmd)) != (ssize_t)strlen(cmd))
        return NULL;
    while ((line = qmp_line(fd, buf, size, have))) {
        if (strstr(line, "\"return\"") || strstr(line, "\"error\""))
            return line;
        free(line);
    }
    return NULL;
}

static void dump_log(const char *name, const char *log)
{
    char *text = read_file(log);

    fprintf(stderr, "%s: QEMU said:\n%s\n", name, text ? text : "(nothing)");
    free(text);
}

static void run_case(const char *name)
{
    char path[4096], buf[65536];
    char *mon = tmp_path("%s.qmp", name), *key = tmp_path("master-key.aes");
    char *log = tmp_path("%s.log", name);
    qemu_command_opts opts = { .monitor_path = mon, .master_key_path = key,
                               .channel_dir = tmpdir, .start_paused = true };
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    mv_domain_def *def;
    char **argv = NULL;
    char *line;
    size_t have = 0;
    bool started = false;
    int status, fd = -1;
    pid_t pid;

    snprintf(path, sizeof(path), "%s/qemuxml2argv/%s.xml", TEST_DATA_DIR, name);
    def = parse_file(path);
    if (!def || qemu_domain_post_parse(def) < 0 || !make_runnable(def) ||
        qemu_command_build(def, &opts, &argv) < 0) {
        fprintf(stderr, "%s: cannot prepare: %s\n", name,
                mv_error_last() ? mv_error_last()->message : "?");
        test_failures++;
        goto out;
    }
    pid = fork();
    if (pid == 0) {
        int lfd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        dup2(lfd, 1);
        dup2(lfd, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    CHECK(pid > 0);
    if (pid <= 0)
        goto out;
    /* wait for the monitor socket, or for QEMU to give up */
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", mon);
    for (int tries = 0; tries < 1200 && fd < 0; tries++) {
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            fd = s;
            break;
        }
        close(s);
        if (waitpid(pid, &status, WNOHANG) == pid) {
            pid = -1;
            break;
        }
        usleep(50000);
    }
    if (fd >= 0 && (line = qmp_line(fd, buf, sizeof(buf), &have))) {
        CHECK(strstr(line, "\"QMP\"") != NULL);
        free(line);
        line = qmp_call(fd, "{\"execute\":\"qmp_capabilities\"}\n", buf, sizeof(buf), &have);
        CHECK(line && strstr(line, "\"return\""));
        free(line);
        line = qmp_call(fd, "{\"execute\":\"query-status\"}\n", buf, sizeof(buf), &have);
        started = line && strstr(line, "\"status\": \"prelaunch\"");
        free(line);
        line = qmp_call(fd, "{\"execute\":\"quit\"}\n", buf, sizeof(buf), &have);
        free(line);
    }
    if (!started) {
        fprintf(stderr, "%s: QEMU did not start\n", name);
        dump_log(name, log);
        test_failures++;
    }
    if (fd >= 0)
        close(fd);
    if (pid > 0) {
        for (int tries = 0; tries < 1200 && waitpid(pid, &status, WNOHANG) == 0; tries++)
            usleep(50000);
        if (waitpid(pid, &status, WNOHANG) == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
    }
out:
    qemu_command_free(argv);
    mv_domain_def_free(def);
    free(mon);
    free(key);
    free(log);
}

static void test_qemu_accepts(void)
{
    static const char *const cases[] = {
        "i440fx-basic", "q35-basic", "windows-guest", "q35-uefi-pflash", "virtio-scsi",
        "channels-agent", "spice-qxl", "many-devices", "q35-many-devices", "fs-9p",
        "usb-ich9-companions", "q35-pcie-pci-bridge", "chardevs", "q35-sata-seven-disks",
        "scsi-eight-disks", "i440fx-pci-bridge", "serial-pci-usb", "q35-sound",
        "cpu-features-clock", "q35-loader-nvram", "virtio-consoles", "explicit-multifunction",
    };
    char cmd[4200];

    if (access(QEMU_BIN, X_OK) != 0 || access(QEMU_IMG, X_OK) != 0 ||
        access(OVMF_CODE, R_OK) != 0 || access(OVMF_VARS, R_OK) != 0) {
        fprintf(stderr, "QEMU, qemu-img or OVMF missing: not running QEMU\n");
        return;
    }
    CHECK(mkdtemp(tmpdir) != NULL);
    snprintf(cmd, sizeof(cmd), "head -c 32 /dev/urandom > %s/master-key.aes", tmpdir);
    CHECK_INT(system(cmd), 0);
    for (size_t i = 0; i < ELEMENTSOF(cases); i++)
        run_case(cases[i]);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    CHECK_INT(system(cmd), 0);
}

int main(void)
{
    unsigned long long version = 0;
    const char *upd = getenv("MV_UPDATE_GOLDEN");

    update_golden = upd && *upd && strcmp(upd, "0") != 0;
    signal(SIGPIPE, SIG_IGN);
    test_to_string();
    test_env();
    test_helpers();
    if (access(QEMU_BIN, X_OK) != 0 || qemu_caps_version(&version) < 0) {
        fprintf(stderr, "no usable " QEMU_BIN ": skipping the data-driven tests\n");
        TEST_DONE();
    }
    /* The expected files are for QEMU 7.2's machine types (Debian 12). */
    if (version / 1000 != 7002 && !update_golden) {
        fprintf(stderr, "QEMU %llu is not 7.2: skipping the expected-file comparisons\n", version);
        if (test_failures)
            TEST_DONE();
        return 77;
    }
    test_xml2xml();
    test_xml2argv();
    test_aliases();
    test_build_errors();
    test_qemu_accepts();
    TEST_DONE();
}
