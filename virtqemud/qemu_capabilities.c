#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "config.h"
#include "qemu_json.h"
#include "qemu_capabilities.h"
#include "conf/capabilities_conf.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/hostinfo.h"
#include "util/log.h"

#define MAX_SEARCH_DIRS 8
#define PROBE_OUTPUT_MAX (8u << 20)
#define CACHE_FORMAT 1
/* libvirt's limit for TCG guests; clients size their UIs by it. */
#define QEMU_TCG_MAX_VCPUS 16

/*
 * Guest architectures in libvirt's order (the order of its arch enum,
 * which is the order of <guest> elements), with the binary that runs
 * them and, for some, a binary that can stand in when that one is absent.
 */
static const struct guest_arch {
    const char *arch;
    int wordsize;
    const char *binary;             /* qemu-system-<binary> */
    const char *fallback;
} guest_arches[] = {
    { "alpha", 64, "alpha", NULL },
    { "armv6l", 32, "arm", NULL },
    { "armv7l", 32, "arm", "aarch64" },
    { "aarch64", 64, "aarch64", NULL },
    { "cris", 32, "cris", NULL },
    { "i686", 32, "i386", "x86_64" },
    { "m68k", 32, "m68k", NULL },
    { "microblaze", 32, "microblaze", NULL },
    { "microblazeel", 32, "microblazeel", NULL },
    { "mips", 32, "mips", NULL },
    { "mipsel", 32, "mipsel", NULL },
    { "mips64", 64, "mips64", NULL },
    { "mips64el", 64, "mips64el", NULL },
    { "openrisc", 32, "or1k", NULL },
    { "parisc", 32, "hppa", NULL },
    { "ppc", 32, "ppc", NULL },
    { "ppc64", 64, "ppc64", NULL },
    { "ppc64le", 64, "ppc64", NULL },
    { "riscv32", 32, "riscv32", NULL },
    { "riscv64", 64, "riscv64", NULL },
    { "s390x", 64, "s390x", NULL },
    { "sh4", 32, "sh4", NULL },
    { "sh4eb", 32, "sh4eb", NULL },
    { "sparc", 32, "sparc", NULL },
    { "sparc64", 64, "sparc64", NULL },
    { "x86_64", 64, "x86_64", NULL },
    { "xtensa", 32, "xtensa", NULL },
    { "xtensaeb", 32, "xtensaeb", NULL },
};

/* Every distinct binary of the table above. */
static const char *const binaries[] = {
    "alpha", "arm", "aarch64", "cris", "i386", "m68k", "microblaze", "microblazeel",
    "mips", "mipsel", "mips64", "mips64el", "or1k", "hppa", "ppc", "ppc64",
    "riscv32", "riscv64", "s390x", "sh4", "sh4eb", "sparc", "sparc64", "x86_64",
    "xtensa", "xtensaeb",
};
#define NBINARIES ELEMENTSOF(binaries)

typedef struct qemu_machine {
    char *name;
    char *alias;
    int cpu_max;
    bool deprecated;
} qemu_machine;

typedef struct qemu_binary {
    char *path;                     /* NULL: not installed */
    mv_file_key key;
    bool failed;                    /* probing this version failed: don't retry */
    unsigned long long version;
    size_t nmachines;
    qemu_machine *machines;         /* the default first */
} qemu_binary;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static qemu_binary bins[NBINARIES];
static unsigned int probe_count;
static char *cache_dir;
static char *host_uuid;
static bool have_probe_identity;
static uid_t probe_uid;
static gid_t probe_gid;
static unsigned int probe_timeout_ms = 10000;
static const char *const default_dirs[] = { "/usr/local/bin", "/usr/bin", "/usr/libexec", NULL };
static char *search_dirs[MAX_SEARCH_DIRS + 1];
static bool custom_dirs;
/* The search directories' mtimes at the last scan: a binary can only
 * appear, vanish or be replaced by a rename if its directory changes, so
 * while none did only the binaries already found need a stat. */
static struct timespec dir_mtimes[MAX_SEARCH_DIRS + 1];
static bool scanned;
static bool have_host_cpu;
static mv_caps_host_cpu host_cpu;

static void binary_clear(qemu_binary *b)
{
    for (size_t i = 0; i < b->nmachines; i++) {
        free(b->machines[i].name);
        free(b->machines[i].alias);
    }
    free(b->machines);
    free(b->path);
    memset(b, 0, sizeof(*b));
}

/* ---- settings ---- */

static void set_string(char **slot, const char *value)
{
    pthread_mutex_lock(&lock);
    free(*slot);
    *slot = value ? strdup(value) : NULL;
    pthread_mutex_unlock(&lock);
}

void qemu_caps_set_cache_dir(const char *dir) { set_string(&cache_dir, dir); }
void qemu_caps_set_host_uuid(const char *uuid) { set_string(&host_uuid, uuid); }

void qemu_caps_set_probe_identity(unsigned int uid, unsigned int gid)
{
    pthread_mutex_lock(&lock);
    have_probe_identity = true;
    probe_uid = uid;
    probe_gid = gid;
    pthread_mutex_unlock(&lock);
}

void qemu_caps_set_search_dirs(const char *const *dirs)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < MAX_SEARCH_DIRS; i++) {
        free(search_dirs[i]);
        search_dirs[i] = NULL;
    }
    for (size_t i = 0; dirs && dirs[i] && i < MAX_SEARCH_DIRS; i++)
        search_dirs[i] = strdup(dirs[i]);
    custom_dirs = search_dirs[0] != NULL;
    scanned = false;
    pthread_mutex_unlock(&lock);
}

void qemu_caps_set_probe_timeout_ms(unsigned int ms)
{
    pthread_mutex_lock(&lock);
    probe_timeout_ms = ms;
    pthread_mutex_unlock(&lock);
}

unsigned int qemu_caps_probe_count(void)
{
    pthread_mutex_lock(&lock);
    unsigned int n = probe_count;
    pthread_mutex_unlock(&lock);
    return n;
}

void qemu_caps_flush(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < NBINARIES; i++)
        binary_clear(&bins[i]);
    scanned = false;
    pthread_mutex_unlock(&lock);
}

/* ---- probing one binary over QMP ---- */

static const char qmp_script[] =
    "{\"execute\":\"qmp_capabilities\",\"id\":\"caps\"}\n"
    "{\"execute\":\"query-version\",\"id\":\"version\"}\n"
    "{\"execute\":\"query-machines\",\"id\":\"machines\"}\n"
    "{\"execute\":\"quit\",\"id\":\"quit\"}\n";

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* In the child between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn)) exec_probe(int fd, const char *path, const char *machine,
                                                 int max_fd, bool drop, uid_t uid, gid_t gid)
{
    char *const argv[] = {
        (char *)path, "-S", "-no-user-config", "-nodefaults", "-nographic",
        "-machine", (char *)machine, "-qmp", "stdio", NULL,
    };
    char *const envp[] = {
        "LC_ALL=C", "HOME=/", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL,
    };
    struct sigaction dfl = { .sa_handler = SIG_DFL };
    sigset_t none;

    /* The daemon's blocked and ignored signals must not reach QEMU. */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);
    /* Its own session, and gone with us if the daemon dies mid-probe. */
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
        _exit(126);
    /* No daemon descriptor (sockets, files, KVM) may leak into QEMU. */
    if (close_range(3, ~0U, 0) < 0)
        for (int i = 3; i < max_fd; i++)
            close(i);
    if (drop && (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0))
        _exit(126);
    execve(path, argv, envp);
    _exit(127);
}

/* Everything readable from fd until EOF, within the deadline. */
static int read_all(int fd, long long deadline, char **ret_out)
{
    _cleanup_free_ char *out = NULL;
    size_t len = 0, cap = 0;

    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        long long left = deadline - now_ms();
        ssize_t n;

        if (left <= 0)
            return -ETIMEDOUT;
        n = poll(&pfd, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -ETIMEDOUT;
        if (cap - len < 65536) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *t;
            if (ncap > PROBE_OUTPUT_MAX)
                return -EFBIG;
            if (!(t = realloc(out, ncap)))
                return -ENOMEM;
            out = t;
            cap = ncap;
        }
        n = read(fd, out + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        /* QEMU may exit without reading our last bytes; the socket then
         * reports a reset, but only after everything QEMU wrote. */
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            break;
        if (n < 0)
            return -errno;
        len += (size_t)n;
    }
    if (!out)
        return -EIO;
    out[len] = '\0';
    *ret_out = TAKE_PTR(out);
    return 0;
}

/* Wait for the probe to exit, killing it (and anything it started in its
 * session) if it is still there at the deadline or kill is set. */
static void reap(pid_t pid, long long deadline, bool kill_now)
{
    int status;

    for (;;) {
        pid_t r = kill_now ? 0 : waitpid(pid, &status, WNOHANG);
        if (r < 0 && errno == EINTR)
            continue;
        if (r != 0)
            return;     /* reaped, or ECHILD when SIGCHLD is ignored */
        if (kill_now || now_ms() >= deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            return;
        }
        usleep(5000);
    }
}

/* How to run one probe; a copy of the settings, so that running needs no lock. */
typedef struct probe_opts {
    const char *machine;            /* the -machine argument */
    const char *script;             /* everything sent to QMP */
    size_t script_len;
    unsigned int timeout_ms;
    bool drop;
    uid_t uid;
    gid_t gid;
} probe_opts;

/* Run path with QMP on a socket pair and collect everything it prints until
 * it exits (it does on "quit") or the timeout. */
static int run_qmp_session(const char *path, const probe_opts *o, char **ret_out)
{
    int max_fd = (int)sysconf(_SC_OPEN_MAX), sv[2], r = 0;
    long long deadline = now_ms() + o->timeout_ms;
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        r = -errno;
        close(sv[0]);
        close(sv[1]);
        return r;
    }
    if (pid == 0)
        exec_probe(sv[1], path, o->machine, max_fd, o->drop, o->uid, o->gid);
    close(sv[1]);
    /* QEMU reads the script after its greeting; the socket buffers what
     * fits and the rest goes as QEMU reads. */
    for (size_t off = 0; r == 0 && off < o->script_len;) {
        ssize_t n = send(sv[0], o->script + off, o->script_len - off, MSG_NOSIGNAL);
        if (n < 0 && errno != EINTR)
            r = -errno;
        else if (n > 0)
            off += (size_t)n;
    }
    if (r == 0)
        r = read_all(sv[0], deadline, ret_out);
    close(sv[0]);
    reap(pid, deadline, r < 0);
    return r;
}

/* The machine-type probe; called with the lock held. */
static int run_probe(const char *path, char **ret_out)
{
    probe_opts o = {
        .machine = "none,accel=tcg", .script = qmp_script, .script_len = sizeof(qmp_script) - 1,
        .timeout_ms = probe_timeout_ms, .drop = have_probe_identity && geteuid() == 0,
        .uid = probe_uid, .gid = probe_gid,
    };

    probe_count++;
    return run_qmp_session(path, &o, ret_out);
}

static int add_machine(qemu_binary *b, json_object *m)
{
    json_object *name = qemu_json_get(m, "name"), *alias = qemu_json_get(m, "alias");
    json_object *def = qemu_json_get(m, "is-default"), *cpu_max = qemu_json_get(m, "cpu-max"), *dep = qemu_json_get(m, "deprecated");
    qemu_machine *t, *slot;

    if (!name || !json_object_is_type(name, json_type_string))
        return -EBADMSG;
    /* "none" is only good for probing like this. */
    if (strcmp(json_object_get_string(name), "none") == 0)
        return 0;
    t = realloc(b->machines, (b->nmachines + 1) * sizeof(*t));
    if (!t)
        return -ENOMEM;
    b->machines = t;
    /* The default machine goes first, as it is the one a domain gets. */
    if (def && json_object_get_boolean(def)) {
        memmove(&t[1], &t[0], b->nmachines * sizeof(*t));
        slot = &t[0];
    } else {
        slot = &t[b->nmachines];
    }
    *slot = (qemu_machine) {
        .name = strdup(json_object_get_string(name)),
        .alias = alias ? strdup(json_object_get_string(alias)) : NULL,
        .cpu_max = cpu_max ? json_object_get_int(cpu_max) : 0,
        .deprecated = dep && json_object_get_boolean(dep),
    };
    b->nmachines++;
    return slot->name && (!alias || slot->alias) ? 0 : -ENOMEM;
}

/* The QMP transcript: one JSON object per line, mixed with whatever QEMU
 * wrote to stderr (kept for the error message). */
static int parse_probe(const char *path, char *out, qemu_binary *b)
{
    const char *diag = NULL;
    bool got_version = false, got_machines = false;
    int r = 0;

    for (char *save = NULL, *line = strtok_r(out, "\r\n", &save); line && r >= 0;
         line = strtok_r(NULL, "\r\n", &save)) {
        json_object *o, *ret, *id;
        const char *idstr;

        if (line[strspn(line, " \t")] != '{') {
            diag = line;
            continue;
        }
        o = json_tokener_parse(line);
        if (!o)
            continue;
        id = qemu_json_get(o, "id");
        idstr = id ? json_object_get_string(id) : "";
        ret = qemu_json_get(o, "return");
        if (qemu_json_get(o, "error")) {
            json_object *desc = qemu_json_get(qemu_json_get(o, "error"), "desc");
            log_warn("%s: QMP %s failed: %s", path, idstr, desc ? json_object_get_string(desc) : "?");
        } else if (ret && strcmp(idstr, "version") == 0) {
            json_object *q = qemu_json_get(ret, "qemu");
            b->version = (unsigned long long)json_object_get_int(qemu_json_get(q, "major")) * 1000000 +
                         (unsigned long long)json_object_get_int(qemu_json_get(q, "minor")) * 1000 +
                         (unsigned long long)json_object_get_int(qemu_json_get(q, "micro"));
            got_version = b->version > 0;
        } else if (ret && strcmp(idstr, "machines") == 0 && json_object_is_type(ret, json_type_array)) {
            for (size_t i = 0; r >= 0 && i < json_object_array_length(ret); i++)
                r = add_machine(b, json_object_array_get_idx(ret, i));
            got_machines = r >= 0;
        }
        json_object_put(o);
    }
    if (r < 0)
        return r;
    if (!got_version || !got_machines)
        return mv_error_report(-EIO, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                               "Failed to probe capabilities for %s: %s", path,
                               diag ? diag : "no QMP reply");
    return 0;
}

/* ---- on-disk cache ---- */

static char *cache_file(const char *name)
{
    char *p;
    return asprintf(&p, "%s/qemu-system-%s.json", cache_dir, name) < 0 ? NULL : p;
}

static json_object *key_to_json(const mv_file_key *k)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "dev", json_object_new_uint64(k->dev));
    json_object_object_add(o, "ino", json_object_new_uint64(k->ino));
    json_object_object_add(o, "size", json_object_new_uint64(k->size));
    json_object_object_add(o, "mtime_sec", json_object_new_int64(k->mtime_sec));
    json_object_object_add(o, "mtime_nsec", json_object_new_int64(k->mtime_nsec));
    json_object_object_add(o, "ctime_sec", json_object_new_int64(k->ctime_sec));
    json_object_object_add(o, "ctime_nsec", json_object_new_int64(k->ctime_nsec));
    return o;
}

static void cache_save(const char *name, const qemu_binary *b)
{
    _cleanup_free_ char *file = NULL;
    json_object *o, *ms;
    const char *text;
    int r;

    if (!cache_dir || !(file = cache_file(name)))
        return;
    o = json_object_new_object();
    ms = json_object_new_array();
    json_object_object_add(o, "format", json_object_new_int(CACHE_FORMAT));
    json_object_object_add(o, "modvirt", json_object_new_string(MODVIRT_VERSION));
    json_object_object_add(o, "path", json_object_new_string(b->path));
    json_object_object_add(o, "key", key_to_json(&b->key));
    json_object_object_add(o, "version", json_object_new_uint64(b->version));
    for (size_t i = 0; i < b->nmachines; i++) {
        json_object *m = json_object_new_object();
        json_object_object_add(m, "name", json_object_new_string(b->machines[i].name));
        if (b->machines[i].alias)
            json_object_object_add(m, "alias", json_object_new_string(b->machines[i].alias));
        json_object_object_add(m, "cpu-max", json_object_new_int(b->machines[i].cpu_max));
        json_object_object_add(m, "deprecated", json_object_new_boolean(b->machines[i].deprecated));
        json_object_array_add(ms, m);
    }
    json_object_object_add(o, "machines", ms);
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
    r = mv_mkdir_p(cache_dir, 0700);
    if (r >= 0)
        r = mv_write_file_atomic(file, text, strlen(text), 0600);
    if (r < 0)
        log_warn("Cannot write QEMU capabilities cache %s: %s", file, strerror(-r));
    json_object_put(o);
}

/* Fill b (path and key set) from the cache if it describes this very file. */
static bool cache_load(const char *name, qemu_binary *b)
{
    _cleanup_free_ char *file = NULL, *data = NULL;
    json_object *o, *ms, *want;
    bool ok = false;

    if (!cache_dir || !(file = cache_file(name)) || mv_read_file(file, PROBE_OUTPUT_MAX, &data, NULL) < 0)
        return false;
    if (!(o = json_tokener_parse(data)))
        return false;
    want = key_to_json(&b->key);
    ms = qemu_json_get(o, "machines");
    if (json_object_get_int(qemu_json_get(o, "format")) == CACHE_FORMAT &&
        strcmp(json_object_get_string(qemu_json_get(o, "modvirt")) ?: "", MODVIRT_VERSION) == 0 &&
        strcmp(json_object_get_string(qemu_json_get(o, "path")) ?: "", b->path) == 0 &&
        json_object_equal(qemu_json_get(o, "key"), want) && json_object_is_type(ms, json_type_array)) {
        b->version = json_object_get_uint64(qemu_json_get(o, "version"));
        ok = b->version > 0;
        for (size_t i = 0; ok && i < json_object_array_length(ms); i++)
            ok = add_machine(b, json_object_array_get_idx(ms, i)) == 0;
    }
    json_object_put(want);
    json_object_put(o);
    if (!ok) {
        /* Leave b as it came: path and key only. */
        for (size_t i = 0; i < b->nmachines; i++) {
            free(b->machines[i].name);
            free(b->machines[i].alias);
        }
        free(b->machines);
        b->machines = NULL;
        b->nmachines = 0;
        b->version = 0;
    }
    return ok;
}

/* ---- the set of binaries ---- */

static bool find_binary(const char *name, char **ret_path, mv_file_key *ret_key)
{
    const char *const *dirs = custom_dirs ? (const char *const *)search_dirs : default_dirs;

    for (size_t i = 0; dirs[i]; i++) {
        char path[4096];
        struct stat st;

        snprintf(path, sizeof(path), "%s/qemu-system-%s", dirs[i], name);
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || access(path, X_OK) < 0)
            continue;
        mv_file_key_of(&st, ret_key);
        *ret_path = strdup(path);
        return *ret_path != NULL;
    }
    return false;
}

static bool dirs_unchanged(void)
{
    const char *const *dirs = custom_dirs ? (const char *const *)search_dirs : default_dirs;
    bool same = scanned;

    for (size_t i = 0; dirs[i] && i < ELEMENTSOF(dir_mtimes); i++) {
        struct stat st;
        struct timespec t = { 0 };

        if (stat(dirs[i], &st) == 0)
            t = st.st_mtim;
        if (t.tv_sec != dir_mtimes[i].tv_sec || t.tv_nsec != dir_mtimes[i].tv_nsec)
            same = false;
        dir_mtimes[i] = t;
    }
    scanned = true;
    return same;
}

/* Bring bins[] in line with the file system; called with the lock held.
 * A binary that cannot be probed is logged and left out. */
static void refresh_locked(void)
{
    bool quick = dirs_unchanged();

    for (size_t i = 0; i < NBINARIES; i++) {
        qemu_binary *b = &bins[i];
        _cleanup_free_ char *out = NULL;
        char *path = NULL;
        mv_file_key key;
        int r;

        if (quick && !b->path)
            continue;
        if (!find_binary(binaries[i], &path, &key)) {
            binary_clear(b);
            continue;
        }
        if (b->path && strcmp(b->path, path) == 0 && memcmp(&b->key, &key, sizeof(key)) == 0) {
            free(path);
            continue;
        }
        binary_clear(b);
        b->path = path;
        b->key = key;
        if (cache_load(binaries[i], b))
            continue;
        mv_error_reset();
        r = run_probe(path, &out);
        if (r >= 0)
            r = parse_probe(path, out, b);
        if (r < 0) {
            /* Remembered per file version so a broken binary costs one
             * probe, not one per call. */
            const mv_error *e = mv_error_last();
            log_warn("Cannot probe %s: %s", path, e ? e->message : strerror(-r));
            b->failed = true;
            continue;
        }
        log_debug("Probed %s: version %llu, %zu machines", path, b->version, b->nmachines);
        cache_save(binaries[i], b);
    }
    mv_error_reset();   /* probe failures are logged, not the caller's error */
}

static const qemu_binary *binary_by_name(const char *name)
{
    for (size_t i = 0; i < NBINARIES; i++)
        if (strcmp(binaries[i], name) == 0)
            return bins[i].path && !bins[i].failed ? &bins[i] : NULL;
    return NULL;
}

static const qemu_binary *binary_for_arch(const struct guest_arch *ga)
{
    const qemu_binary *b = binary_by_name(ga->binary);
    return b || !ga->fallback ? b : binary_by_name(ga->fallback);
}

static const struct guest_arch *guest_arch_by_name(const char *arch)
{
    for (size_t i = 0; i < ELEMENTSOF(guest_arches); i++)
        if (strcmp(guest_arches[i].arch, arch) == 0)
            return &guest_arches[i];
    return NULL;
}

/* ---- public calls ---- */

/* Whether KVM on this host runs guests of arch. */
static bool kvm_runs(const char *host, const char *arch)
{
    if (strcmp(host, arch) == 0)
        return true;
    if (strcmp(host, "x86_64") == 0)
        return strcmp(arch, "i686") == 0;
    if (strncmp(host, "ppc64", 5) == 0)
        return strncmp(arch, "ppc64", 5) == 0;
    return false;
}

static void add_feature(mv_caps_guest *g, const char *name, bool toggle_attrs, bool toggle)
{
    g->features[g->nfeatures++] = (mv_caps_guest_feature) {
        .name = name, .has_toggle = toggle_attrs, .default_on = true, .toggle = toggle,
    };
}

static int add_guest(mv_caps *caps, const struct guest_arch *ga, const qemu_binary *b, bool kvm)
{
    bool x86 = strcmp(ga->arch, "x86_64") == 0 || strcmp(ga->arch, "i686") == 0;
    mv_caps_guest *g;
    int r;

    r = mv_caps_add_guest(caps, &g);
    if (r < 0)
        return r;
    g->os_type = "hvm";
    g->wordsize = ga->wordsize;
    g->arch = strdup(ga->arch);
    g->emulator = strdup(b->path);
    if (!g->arch || !g->emulator)
        return -ENOMEM;
    for (size_t i = 0; r >= 0 && i < b->nmachines; i++) {
        const qemu_machine *m = &b->machines[i];
        r = mv_caps_guest_add_machine(g, m->name, NULL, m->cpu_max, m->deprecated);
        /* An alias ("pc") is listed right after the machine it names. */
        if (r >= 0 && m->alias)
            r = mv_caps_guest_add_machine(g, m->alias, m->name, m->cpu_max, m->deprecated);
    }
    if (r < 0)
        return r;
    g->domains[g->ndomains++] = "qemu";
    if (kvm && kvm_runs(mv_host_arch(), ga->arch))
        g->domains[g->ndomains++] = "kvm";
    if (strcmp(ga->arch, "i686") == 0) {
        add_feature(g, "pae", false, false);
        add_feature(g, "nonpae", false, false);
    }
    if (x86 || strcmp(ga->arch, "aarch64") == 0)
        add_feature(g, "acpi", true, true);
    if (x86)
        add_feature(g, "apic", true, false);
    add_feature(g, "cpuselection", false, false);
    add_feature(g, "deviceboot", false, false);
    add_feature(g, "disksnapshot", true, false);
    return 0;
}

static void add_secmodels(mv_caps *caps, unsigned int uid, unsigned int gid)
{
    mv_caps_secmodel *none = &caps->secmodels[caps->nsecmodels++];
    mv_caps_secmodel *dac = &caps->secmodels[caps->nsecmodels++];

    none->model = "none";
    snprintf(none->doi, sizeof(none->doi), "0");
    dac->model = "dac";
    snprintf(dac->doi, sizeof(dac->doi), "0");
    /* Both virt types run QEMU as the same user. */
    dac->labels[0].type = "kvm";
    dac->labels[1].type = "qemu";
    for (size_t i = 0; i < 2; i++)
        snprintf(dac->labels[i].label, sizeof(dac->labels[i].label), "+%u:+%u", uid, gid);
    dac->nlabels = 2;
}

int qemu_caps_capabilities_xml(unsigned int qemu_uid, unsigned int qemu_gid, char **ret_xml)
{
    _cleanup_free_ char *uuid = NULL;
    mv_caps caps = { 0 };
    bool kvm = mv_host_kvm_usable();
    int r;

    pthread_mutex_lock(&lock);
    uuid = host_uuid ? strdup(host_uuid) : NULL;
    /* The CPU part is fixed for the life of the host, and its TSC probe
     * costs a KVM VM: do it once. */
    if (!have_host_cpu)
        have_host_cpu = mv_caps_probe_host_cpu(&host_cpu) >= 0;
    caps.cpu = host_cpu;
    pthread_mutex_unlock(&lock);
    if (!have_host_cpu)
        snprintf(caps.cpu.arch, sizeof(caps.cpu.arch), "%s", mv_host_arch());

    r = mv_caps_probe_host(&caps, uuid);
    if (r < 0) {
        mv_caps_clear(&caps);
        return r;
    }
    caps.migration_live = true;
    caps.transports[caps.ntransports++] = "tcp";
    caps.transports[caps.ntransports++] = "rdma";
    add_secmodels(&caps, qemu_uid, qemu_gid);

    pthread_mutex_lock(&lock);
    refresh_locked();
    for (size_t i = 0; r >= 0 && i < ELEMENTSOF(guest_arches); i++) {
        const qemu_binary *b = binary_for_arch(&guest_arches[i]);
        if (b)
            r = add_guest(&caps, &guest_arches[i], b, kvm);
    }
    pthread_mutex_unlock(&lock);
    if (r >= 0)
        r = mv_caps_format(&caps, ret_xml);
    mv_caps_clear(&caps);
    return r;
}

int qemu_caps_version(unsigned long long *ret)
{
    const struct guest_arch *ga = guest_arch_by_name(mv_host_arch());
    const qemu_binary *b = NULL;
    unsigned long long v = 0;

    pthread_mutex_lock(&lock);
    refresh_locked();
    if (ga)
        b = binary_for_arch(ga);
    for (size_t i = 0; !b && i < NBINARIES; i++)
        b = binary_by_name(binaries[i]);
    if (b)
        v = b->version;
    pthread_mutex_unlock(&lock);
    if (!b)
        return mv_error_report(-ENOENT, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                               "Cannot find suitable emulator for %s", mv_host_arch());
    *ret = v;
    return 0;
}

int qemu_caps_max_vcpus(const char *type, int *ret)
{
    if (!type || strcasecmp(type, "qemu") == 0) {
        *ret = QEMU_TCG_MAX_VCPUS;
        return 0;
    }
    if (strcasecmp(type, "kvm") == 0)
        return mv_host_kvm_max_vcpus(ret);
    return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "unknown type '%s'", type);
}

int qemu_caps_lookup_guest(const char *arch, const char *machine,
                           char **ret_emulator, char **ret_machine)
{
    const struct guest_arch *ga = guest_arch_by_name(arch ? arch : mv_host_arch());
    const qemu_binary *b;
    const qemu_machine *found = NULL;
    char *emu, *name;

    pthread_mutex_lock(&lock);
    refresh_locked();
    b = ga ? binary_for_arch(ga) : NULL;
    if (!b) {
        pthread_mutex_unlock(&lock);
        return mv_error_report(-ENOENT, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                               "No emulator found for arch '%s'", arch ? arch : mv_host_arch());
    }
    for (size_t i = 0; !found && i < b->nmachines; i++)
        if (!machine || strcmp(b->machines[i].name, machine) == 0 ||
            (b->machines[i].alias && strcmp(b->machines[i].alias, machine) == 0))
            found = &b->machines[i];
    if (!found) {
        int r = mv_error_report(-ENOENT, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                                "Emulator '%s' does not support machine type '%s'",
                                b->path, machine ? machine : "");
        pthread_mutex_unlock(&lock);
        return r;
    }
    emu = strdup(b->path);
    name = strdup(found->name);
    pthread_mutex_unlock(&lock);
    if (!emu || !name) {
        free(emu);
        free(name);
        return -ENOMEM;
    }
    *ret_emulator = emu;
    *ret_machine = name;
    return 0;
}

/* ---- QMP sessions for other probes (qemu_domcaps.c) ---- */

int qemu_caps_run_qmp(const char *path, const char *accel, const char *commands, char **ret_out)
{
    _cleanup_free_ char *machine = NULL, *script = NULL;
    probe_opts o;
    int len;

    if (asprintf(&machine, "none,accel=%s", accel) < 0)
        return -ENOMEM;
    len = asprintf(&script, "{\"execute\":\"qmp_capabilities\",\"id\":\"caps\"}\n%s"
                   "{\"execute\":\"quit\",\"id\":\"quit\"}\n", commands);
    if (len < 0)
        return -ENOMEM;
    pthread_mutex_lock(&lock);
    o = (probe_opts) {
        .machine = machine, .script = script, .script_len = (size_t)len,
        .timeout_ms = probe_timeout_ms, .drop = have_probe_identity && geteuid() == 0,
        .uid = probe_uid, .gid = probe_gid,
    };
    probe_count++;
    pthread_mutex_unlock(&lock);
    return run_qmp_session(path, &o, ret_out);
}
