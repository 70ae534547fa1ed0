#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config.h"
#include "daemon/daemon.h"
#include "mv_remote.h"
#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/log.h"

typedef struct options {
    bool daemonize;
    bool verbose;
    const char *config;
    const char *pidfile;
    const char *root;
    int timeout;            /* -1: not given */
} options;

/* A socket we created, removed again on exit. */
typedef struct socket_spec {
    const char *suffix;     /* "-sock", "-sock-ro", "-admin-sock" */
    mv_listener_kind kind;
} socket_spec;

static const socket_spec socket_specs[] = {
    { "-sock", MV_LISTENER_RW },
    { "-sock-ro", MV_LISTENER_RO },
    { "-admin-sock", MV_LISTENER_ADMIN },
};

static void usage(const mv_daemon_spec *spec, FILE *out)
{
    fprintf(out,
            "Usage: %s [OPTIONS]\n"
            "%s\n\n"
            "  -d, --daemon           run in the background\n"
            "  -f, --config FILE      configuration file (default: %s/libvirt/%s.conf)\n"
            "  -p, --pid-file FILE    write the daemon's pid to FILE\n"
            "  -t, --timeout SECONDS  exit after SECONDS with no clients\n"
            "  -v, --verbose          log more\n"
            "      --root DIR         keep every path (sockets, config, state) under DIR\n"
            "  -V, --version          print the version and exit\n"
            "  -h, --help             print this help and exit\n",
            spec->name, spec->description, MODVIRT_SYSCONFDIR, spec->name);
}

static int parse_options(int argc, char **argv, const mv_daemon_spec *spec, options *o)
{
    static const struct option longopts[] = {
        { "daemon", no_argument, NULL, 'd' },
        { "config", required_argument, NULL, 'f' },
        { "pid-file", required_argument, NULL, 'p' },
        { "timeout", required_argument, NULL, 't' },
        { "verbose", no_argument, NULL, 'v' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { "root", required_argument, NULL, 'R' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    *o = (options){ .timeout = -1 };
    while ((c = getopt_long(argc, argv, "df:p:t:vVh", longopts, NULL)) != -1) {
        char *end;

        switch (c) {
        case 'd': o->daemonize = true; break;
        case 'f': o->config = optarg; break;
        case 'p': o->pidfile = optarg; break;
        case 'v': o->verbose = true; break;
        case 'R': o->root = optarg; break;
        case 't':
            errno = 0;
            o->timeout = (int)strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || o->timeout < 0) {
                fprintf(stderr, "%s: invalid timeout '%s': expected seconds\n", spec->name, optarg);
                return -EINVAL;
            }
            break;
        case 'V':
            printf("%s (modvirt) %s\n", spec->name, MODVIRT_VERSION);
            exit(EXIT_SUCCESS);
        case 'h':
            usage(spec, stdout);
            exit(EXIT_SUCCESS);
        default:
            usage(spec, stderr);
            return -EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", spec->name, argv[optind]);
        return -EINVAL;
    }
    return 0;
}

static char *xdg_dir(const char *var, const char *fallback)
{
    const char *v = getenv(var);
    const char *home = getenv("HOME");
    char *p = NULL;

    if (v && *v)
        return strdup(v);
    if (asprintf(&p, "%s/%s", home ? home : "/", fallback) < 0)
        return NULL;
    return p;
}

static int setup_paths(const char *root, bool privileged, mv_daemon_paths *p)
{
    const char *r = root ? root : "";

    p->root = strdup(r);
    if (privileged) {
        p->run_dir = mv_path_join(r, MODVIRT_RUNSTATEDIR "/libvirt");
        p->config_dir = mv_path_join(r, MODVIRT_SYSCONFDIR "/libvirt");
        p->state_dir = mv_path_join(r, MODVIRT_LOCALSTATEDIR "/lib/libvirt");
        p->cache_dir = mv_path_join(r, MODVIRT_LOCALSTATEDIR "/cache/libvirt");
        p->log_dir = mv_path_join(r, MODVIRT_LOCALSTATEDIR "/log/libvirt");
    } else {
        _cleanup_free_ char *run = NULL, *cfg = xdg_dir("XDG_CONFIG_HOME", ".config");
        _cleanup_free_ char *data = xdg_dir("XDG_DATA_HOME", ".local/share");
        _cleanup_free_ char *cache = xdg_dir("XDG_CACHE_HOME", ".cache");
        const char *rt = getenv("XDG_RUNTIME_DIR");
        char *tmp;

        if (rt && *rt)
            run = strdup(rt);
        else if (asprintf(&run, "/run/user/%u", (unsigned)getuid()) < 0)
            run = NULL;
        if (!run || !cfg || !data || !cache)
            return -ENOMEM;
#define UNDER(dst, base, sub) do { \
            if (asprintf(&tmp, "%s/%s", base, sub) < 0) return -ENOMEM; \
            dst = mv_path_join(r, tmp); free(tmp); } while (0)
        UNDER(p->run_dir, run, "libvirt");
        UNDER(p->config_dir, cfg, "libvirt");
        UNDER(p->state_dir, data, "libvirt");
        UNDER(p->cache_dir, cache, "libvirt");
        UNDER(p->log_dir, cache, "libvirt/log");
#undef UNDER
    }
    if (!p->root || !p->run_dir || !p->config_dir || !p->state_dir || !p->cache_dir || !p->log_dir)
        return -ENOMEM;
    return 0;
}

static void free_paths(mv_daemon_paths *p)
{
    free(p->root);
    free(p->run_dir);
    free(p->config_dir);
    free(p->state_dir);
    free(p->cache_dir);
    free(p->log_dir);
}

/* Is something answering on this unix socket path? */
static bool socket_alive(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    return fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
}

static int make_socket(const char *path, unsigned mode, gid_t gid)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    _cleanup_close_ int fd = -1;
    mode_t old;
    int r;

    if (strlen(path) >= sizeof(sa.sun_path))
        return mv_error_report(-ENAMETOOLONG, MV_ERR_INTERNAL_ERROR, MV_FROM_RPC,
                               "socket path too long: %s", path);
    if (socket_alive(path))
        return mv_error_report(-EADDRINUSE, MV_ERR_OPERATION_FAILED, MV_FROM_RPC,
                               "another daemon is already serving %s", path);
    unlink(path);
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    /* Never let the socket exist with wider permissions than asked. */
    old = umask(~mode & 0777);
    r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (r < 0)
        return mv_error_report(-errno, MV_ERR_SYSTEM_ERROR, MV_FROM_RPC,
                               "cannot bind %s: %s", path, strerror(errno));
    if (chmod(path, mode) < 0 || (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0))
        return mv_error_report(-errno, MV_ERR_SYSTEM_ERROR, MV_FROM_RPC,
                               "cannot set the owner or mode of %s: %s", path, strerror(errno));
    if (listen(fd, SOMAXCONN) < 0)
        return -errno;
    return TAKE_FD(fd);
}

static mv_listener_kind kind_from_name(const char *name)
{
    if (name && strstr(name, "-ro"))
        return MV_LISTENER_RO;
    if (name && strstr(name, "-admin"))
        return MV_LISTENER_ADMIN;
    return MV_LISTENER_RW;
}

/* Sockets handed over by systemd; returns how many. */
static int activated_sockets(mv_server *s)
{
    char **names = NULL;
    int n = sd_listen_fds_with_names(1, &names);

    for (int i = 0; i < n; i++) {
        int fd = SD_LISTEN_FDS_START + i;
        mv_listener_kind kind = kind_from_name(names ? names[i] : NULL);

        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (mv_server_add_listener(s, fd, &(mv_listener_opts){ .kind = kind,
                                                               .auth = MV_AUTH_NONE }) < 0)
            log_error("cannot serve activated socket %s", names ? names[i] : "?");
        else
            log_info("serving activated socket %s", names ? names[i] : "?");
    }
    if (names) {
        for (int i = 0; i < n; i++)
            free(names[i]);
        free(names);
    }
    return n;
}

static bool owns_subsystem(const mv_daemon_spec *spec)
{
    const mv_drivers *d = &spec->drivers;

    return d->hypervisor || d->network || d->storage || d->secret;
}

/* The group of the read-write socket: as configured, else the relay's
 * group where it exists, so that virtproxyd (unprivileged) reaches a
 * daemon that runs as root.  ret_default says the latter. */
static int socket_group(const mv_daemon_spec *spec, const mv_daemon_config *cfg, gid_t *ret,
                        bool *ret_default)
{
    struct group *g;

    *ret = (gid_t)-1;
    *ret_default = false;
    if (cfg->unix_sock_group) {
        g = getgrnam(cfg->unix_sock_group);
        if (!g)
            return mv_error_report(-ENOENT, MV_ERR_CONF_SYNTAX, MV_FROM_CONF,
                                   "unix_sock_group: no group named '%s'", cfg->unix_sock_group);
        *ret = g->gr_gid;
        return 0;
    }
    if (owns_subsystem(spec) && (g = getgrnam(MODVIRT_PROXY_USER))) {
        *ret = g->gr_gid;
        *ret_default = true;
    }
    return 0;
}

static int created_sockets(mv_server *s, const mv_daemon_spec *spec, const mv_daemon_paths *paths,
                           const mv_daemon_config *cfg, char ***ret_paths)
{
    gid_t gid;
    bool relay_group;
    int r = socket_group(spec, cfg, &gid, &relay_group);
    const char *perms[] = { cfg->unix_sock_rw_perms ? cfg->unix_sock_rw_perms
                                                    : relay_group ? "0770" : "0700",
                            cfg->unix_sock_ro_perms ? cfg->unix_sock_ro_perms : "0777",
                            cfg->unix_sock_admin_perms ? cfg->unix_sock_admin_perms : "0700" };
    _cleanup_free_ char *dir = cfg->unix_sock_dir ? mv_path_join(paths->root, cfg->unix_sock_dir)
                                                  : strdup(paths->run_dir);
    char **created = calloc(ELEMENTSOF(socket_specs) + 1, sizeof(char *));

    if (r < 0)
        return r;
    if (!dir || !created) {
        free(created);
        return -ENOMEM;
    }
    *ret_paths = created;
    r = mv_mkdir_p(dir, 0755);
    if (r < 0)
        return mv_error_report(r, MV_ERR_SYSTEM_ERROR, MV_FROM_RPC,
                               "cannot create %s: %s", dir, strerror(-r));
    for (size_t i = 0; i < ELEMENTSOF(socket_specs); i++) {
        _cleanup_free_ char *path = NULL;
        unsigned mode;
        int fd;

        if (asprintf(&path, "%s/%s%s", dir, spec->sockets ? spec->sockets : spec->name,
                     socket_specs[i].suffix) < 0)
            return -ENOMEM;
        r = mv_daemon_parse_perms("configuration", "unix socket permissions", perms[i], &mode);
        if (r < 0)
            return r;
        /* A configured group owns every socket; the relay's group only
         * the read-write one, its way in. */
        fd = make_socket(path, mode,
                         relay_group && socket_specs[i].kind != MV_LISTENER_RW ? (gid_t)-1 : gid);
        if (fd < 0)
            return fd;
        r = mv_server_add_listener(s, fd, &(mv_listener_opts){ .kind = socket_specs[i].kind,
                                                               .auth = MV_AUTH_NONE });
        if (r < 0) {
            close(fd);
            return r;
        }
        created[i] = TAKE_PTR(path);
    }
    return 0;
}

static int write_pidfile(const char *path)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    char buf[32];
    int n;

    if (fd < 0)
        return mv_error_report(-errno, MV_ERR_SYSTEM_ERROR, MV_FROM_NONE,
                               "cannot open pid file %s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) < 0)
        return mv_error_report(-EADDRINUSE, MV_ERR_OPERATION_FAILED, MV_FROM_NONE,
                               "pid file %s is locked: is the daemon already running?", path);
    n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, buf, n) != n)
        return -errno;
    return TAKE_FD(fd);     /* kept open: the lock lasts as long as we do */
}

static int on_signal(sd_event_source *src, const struct signalfd_siginfo *si, void *userdata)
{
    mv_server *s = userdata;

    if (si->ssi_signo == SIGHUP) {
        log_info("SIGHUP: nothing to reload yet");
        return 0;
    }
    log_info("signal %d: shutting down", (int)si->ssi_signo);
    sd_notify(0, "STOPPING=1");
    mv_server_shutdown(s);
    return 0;
}

/* Fork; the parent waits until the child says it is ready (or failed). */
static int daemonize(int *ret_ready_fd)
{
    int p[2];
    pid_t pid;

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0)
        return -errno;
    if (pid > 0) {
        char status = 1;

        close(p[1]);
        if (read(p[0], &status, 1) != 1)
            status = 1;
        _exit(status);
    }
    close(p[0]);
    setsid();
    if (fork() > 0)
        _exit(0);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        close(null);
    }
    *ret_ready_fd = p[1];
    return 0;
}

static void report_ready(int *fd, char status)
{
    if (*fd >= 0) {
        if (write(*fd, &status, 1) < 0) {
            /* the parent is gone: nobody to tell */
        }
        close(*fd);
        *fd = -1;
    }
}

static int setup_logging(const mv_daemon_spec *spec, const options *o, const mv_daemon_config *cfg,
                         const mv_daemon_paths *paths)
{
    unsigned level = cfg->log_level;
    _cleanup_free_ char *outputs = NULL;

    if (o->verbose && level > 2)
        level = 2;
    mv_log_set_program(spec->name);
    if (cfg->log_outputs && *cfg->log_outputs)
        outputs = strdup(cfg->log_outputs);
    else if (getenv("JOURNAL_STREAM"))
        (void)!asprintf(&outputs, "%u:journald", level);
    else if (o->daemonize) {
        mv_mkdir_p(paths->log_dir, 0700);
        (void)!asprintf(&outputs, "%u:file:%s/%s.log", level, paths->log_dir, spec->name);
    } else
        (void)!asprintf(&outputs, "%u:stderr", level);
    if (!outputs)
        return -ENOMEM;
    return mv_log_setup((int)level, cfg->log_filters, outputs);
}

/* Descriptors are the limit on clients: take what the hard limit allows,
 * as systemd gives services. */
static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Become user (and its groups) for good, with no capabilities left and
 * no way to gain any. */
static int drop_privileges(const char *user)
{
    struct passwd *pw;

    if (geteuid() != 0)
        return 0;           /* started unprivileged: nothing to drop */
    pw = getpwnam(user);
    if (!pw)
        return mv_error_report(-ENOENT, MV_ERR_SYSTEM_ERROR, MV_FROM_NONE,
                               "user '%s' does not exist: create it with "
                               "systemd-sysusers (systemd/sysusers.d/modvirt.conf)", user);
    if (initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
        return mv_error_report(-errno, MV_ERR_SYSTEM_ERROR, MV_FROM_NONE,
                               "cannot become user '%s': %s", user, strerror(errno));
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return mv_error_report(-errno, MV_ERR_SYSTEM_ERROR, MV_FROM_NONE,
                               "cannot forbid new privileges: %s", strerror(errno));
    return 0;
}

static void server_config(const mv_daemon_config *cfg, const options *o, mv_server_config *ret)
{
    mv_server_config_defaults(ret);
    ret->max_clients = cfg->max_clients;
    ret->max_workers = cfg->max_workers;
    ret->max_client_requests = cfg->max_client_requests;
    ret->keepalive_interval = cfg->keepalive_interval;
    ret->keepalive_count = cfg->keepalive_count;
    ret->idle_timeout = o->timeout > 0 ? (unsigned)o->timeout : 0;
}

static uid_t relay_uid(void)
{
    struct passwd *pw = getpwnam(MODVIRT_PROXY_USER);

    return pw ? pw->pw_uid : (uid_t)-1;
}

int mv_daemon_main(int argc, char **argv, const mv_daemon_spec *spec)
{
    mv_daemon_paths paths = { 0 };
    mv_daemon_config cfg;
    mv_server_config scfg;
    _cleanup_free_ char *config_path = NULL, *pid_path = NULL;
    char **created = NULL;
    mv_server *server = NULL;
    mv_remote *remote = NULL;
    sd_event *event = NULL;
    bool privileged = geteuid() == 0;
    int ready_fd = -1, pid_fd = -1, r, ret = EXIT_FAILURE;
    bool driver_up = false;
    options o;

    if (parse_options(argc, argv, spec, &o) < 0)
        return EXIT_FAILURE;
    mv_daemon_config_init(&cfg);
    if (setup_paths(o.root, privileged, &paths) < 0) {
        fprintf(stderr, "%s: out of memory\n", spec->name);
        goto out;
    }
    if (o.config)
        config_path = strdup(o.config);
    else if (asprintf(&config_path, "%s/%s.conf", paths.config_dir, spec->name) < 0)
        config_path = NULL;
    if (!config_path || mv_daemon_config_load(&cfg, config_path) < 0 ||
        setup_logging(spec, &o, &cfg, &paths) < 0) {
        const mv_error *e = mv_error_last();

        fprintf(stderr, "%s: %s\n", spec->name, e ? e->message : "cannot load the configuration");
        goto out;
    }

    if (o.daemonize && (r = daemonize(&ready_fd)) < 0) {
        log_error("cannot run in the background: %s", strerror(-r));
        goto out;
    }

    if (o.pidfile)
        pid_path = strdup(o.pidfile);
    else if (privileged)
        pid_path = mv_path_join(paths.root, MODVIRT_RUNSTATEDIR);
    if (pid_path && !o.pidfile) {
        char *p = NULL;

        if (asprintf(&p, "%s/%s.pid", pid_path, spec->name) < 0)
            goto out;
        free(pid_path);
        pid_path = p;
        mv_mkdir_p(paths.run_dir, 0755);
    }
    if (pid_path && (pid_fd = write_pidfile(pid_path)) < 0) {
        log_error("%s", mv_error_last() ? mv_error_last()->message : "cannot write the pid file");
        goto out;
    }

    signal(SIGPIPE, SIG_IGN);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);

    /* A loop of our own, not sd_event_default(): the default loop checks
     * with gettid() on every iteration that it runs in its thread, one
     * system call per request more. */
    if ((r = sd_event_new(&event)) < 0)
        goto out;
    raise_fd_limit();
    server_config(&cfg, &o, &scfg);
    /* The relay's connections count apart, and it may speak for others
     * (CONNECT_SET_IDENTITY), as may root. */
    scfg.relay_uid = spec->user ? (uid_t)-1 : relay_uid();
    if ((r = mv_server_new(event, &scfg, &server)) < 0) {
        log_error("cannot create the server: %s", strerror(-r));
        goto out;
    }
    mv_remote_config rcfg = {
        .name = spec->name,
        .privileged = privileged,
        .drivers = spec->drivers,
        .relay = spec->relay,
        .handoff = spec->relay && cfg.local_handoff,
        .socket_dir = paths.run_dir,
        .event_id_base = spec->event_id_base,
        .max_event_callbacks = 512,
        .handshake_timeout_usec = 60u * 1000000u,
    };
    memcpy(rcfg.handlers, spec->handlers, sizeof(rcfg.handlers));
    rcfg.trusted_relays[rcfg.n_trusted_relays++] = 0;
    if (scfg.relay_uid != (uid_t)-1)
        rcfg.trusted_relays[rcfg.n_trusted_relays++] = scfg.relay_uid;
    if ((r = mv_remote_new(server, &rcfg, &remote)) < 0) {
        log_error("cannot create the remote program: %s", strerror(-r));
        goto out;
    }
    sd_event_add_signal(event, NULL, SIGTERM, on_signal, server);
    sd_event_add_signal(event, NULL, SIGINT, on_signal, server);
    sd_event_add_signal(event, NULL, SIGHUP, on_signal, server);

    if (activated_sockets(server) <= 0 &&
        created_sockets(server, spec, &paths, &cfg, &created) < 0) {
        log_error("%s", mv_error_last() ? mv_error_last()->message : "cannot create the sockets");
        goto out;
    }
    if (spec->user && drop_privileges(spec->user) < 0) {
        log_error("%s", mv_error_last()->message);
        goto out;
    }

    mv_daemon_env env = { .name = spec->name, .privileged = privileged,
                          .paths = &paths, .config = &cfg };
    if (spec->init && (r = spec->init(&env)) < 0) {
        log_error("driver initialisation failed: %s",
                  mv_error_last() ? mv_error_last()->message : strerror(-r));
        goto out;
    }
    driver_up = true;

    sd_notify(0, "READY=1\nSTATUS=serving");
    report_ready(&ready_fd, 0);
    log_info("%s %s ready", spec->name, MODVIRT_VERSION);

    r = sd_event_loop(event);
    ret = r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

out:
    report_ready(&ready_fd, 1);
    mv_server_free(server);
    mv_remote_free(remote);
    if (driver_up && spec->cleanup)
        spec->cleanup();
    if (created) {
        for (char **p = created; *p; p++) {
            unlink(*p);
            free(*p);
        }
        free(created);
    }
    if (pid_fd >= 0) {
        unlink(pid_path);
        close(pid_fd);
    }
    sd_event_unref(event);
    mv_daemon_config_free(&cfg);
    free_paths(&paths);
    return ret;
}
