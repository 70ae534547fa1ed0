/*
 * wireclient — a tiny load generator that speaks the libvirt wire protocol.
 *
 * It hand-encodes the handful of messages a libvirt 9 client sends when it
 * opens a unix-socket connection, then times synchronous round trips of one
 * cheap procedure (CONNECT_GET_LIB_VERSION by default).  The protocol code
 * is wire.c, shared with domclient; it deliberately shares no code with the
 * daemons, so it measures them from the outside.
 *
 *   wireclient --socket PATH [--uri URI] [--conns N] [--seconds S | --calls N]
 *              [--proc P] [--readonly]
 *   wireclient --socket PATH [--uri URI] [--timeout S] --cold-start -- CMD ARGS...
 *
 * Output is one line of key=value pairs on stdout; diagnostics go to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

static const char *opt_socket;
static const char *opt_uri = "qemu:///system";
static int opt_conns = 1;
static double opt_seconds = 5;
static long opt_calls = -1;
static int opt_proc = PROC_LIB_VER;
static int opt_readonly;
static double opt_timeout = 30;

static pid_t child_pid;      /* the daemon --cold-start runs, until reaped */
static atomic_bool stop_flag;
static int stop_child(void);
static pthread_barrier_t start_barrier;

/* die()'s hook: never leave the daemon we started behind. */
static void die_hook(void)
{
    if (child_pid > 0)
        stop_child();
}

static void measured_call(struct conn *c)
{
    begin_call(c, opt_proc);
    struct xrd r = finish_call(c, opt_proc);
    if (opt_proc == PROC_LIB_VER && r.len != 8)
        die("GET_LIB_VERSION reply has %zu bytes, expected 8", r.len);
}

/* ---- load mode -------------------------------------------------------- */

struct worker {
    pthread_t tid;
    long quota;  /* calls to make, or -1 for "until stop_flag" */
    long done;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct conn c;
    conn_open(&c, opt_socket, opt_timeout + 1);
    wire_handshake(&c, opt_uri, opt_readonly);
    pthread_barrier_wait(&start_barrier);

    while (w->quota < 0 ? !atomic_load_explicit(&stop_flag, memory_order_relaxed)
                        : w->done < w->quota) {
        measured_call(&c);
        w->done++;
    }
    conn_close(&c);
    return NULL;
}

static int run_load(void)
{
    struct worker *ws = calloc((size_t)opt_conns, sizeof(*ws));
    if (!ws)
        die("out of memory");
    pthread_barrier_init(&start_barrier, NULL, (unsigned)opt_conns + 1);
    for (int i = 0; i < opt_conns; i++) {
        ws[i].quota = opt_calls < 0 ? -1
            : opt_calls / opt_conns + (i < opt_calls % opt_conns ? 1 : 0);
        int e = pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]);
        if (e)
            die("pthread_create: %s", strerror(e));
    }
    /* Every connection is open and handshaken before the clock starts. */
    pthread_barrier_wait(&start_barrier);
    double t0 = now_sec();
    if (opt_calls < 0) {
        struct timespec ts = { .tv_sec = (time_t)opt_seconds,
                               .tv_nsec = (long)((opt_seconds - (time_t)opt_seconds) * 1e9) };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
        atomic_store(&stop_flag, true);
    }
    long total = 0;
    for (int i = 0; i < opt_conns; i++) {
        pthread_join(ws[i].tid, NULL);
        total += ws[i].done;
    }
    double elapsed = now_sec() - t0;
    printf("conns=%d calls=%ld seconds=%.3f rps=%.0f\n",
           opt_conns, total, elapsed, elapsed > 0 ? total / elapsed : 0.0);
    free(ws);
    return 0;
}

/* ---- cold-start mode -------------------------------------------------- */

/* SIGTERM the daemon we started and reap it; SIGKILL if it lingers. */
static int stop_child(void)
{
    pid_t pid = child_pid;
    child_pid = 0;
    kill(pid, SIGTERM);
    for (double t = now_sec(); waitpid(pid, NULL, WNOHANG) != pid; usleep(2000)) {
        if (now_sec() - t > 10) {
            fprintf(stderr, "wireclient: pid %d ignored SIGTERM; killing it\n", (int)pid);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return 1;
        }
    }
    return 0;
}

static int run_cold_start(char **argv)
{
    double t0 = now_sec();
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(2, 1); /* keep the daemon's chatter off our result line */
        execvp(argv[0], argv);
        fprintf(stderr, "wireclient: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    child_pid = pid;

    int fd, status;
    while ((fd = wire_connect(opt_socket, opt_timeout + 1)) < 0) {
        if (errno != ENOENT && errno != ECONNREFUSED)
            die("connect %s: %s", opt_socket, strerror(errno));
        if (waitpid(pid, &status, WNOHANG) == pid) {
            child_pid = 0;
            die("%s exited (status 0x%x) before its socket answered", argv[0], status);
        }
        if (now_sec() - t0 > opt_timeout)
            die("%s: no socket at %s after %.0f s", argv[0], opt_socket, opt_timeout);
        usleep(1000);
    }
    double t_sock = now_sec();
    struct conn c;
    conn_init(&c, fd);
    wire_handshake(&c, opt_uri, opt_readonly);
    measured_call(&c);
    double t1 = now_sec();
    conn_close(&c);

    printf("cold_start_ms=%.1f socket_ms=%.1f\n",
           (t1 - t0) * 1e3, (t_sock - t0) * 1e3);
    fflush(stdout);
    return stop_child();
}

/* ---- main ------------------------------------------------------------- */

static void __attribute__((noreturn)) usage(int code)
{
    fprintf(code ? stderr : stdout,
        "usage: wireclient --socket PATH [--uri URI] [--conns N]\n"
        "                  [--seconds S | --calls N] [--proc P] [--readonly]\n"
        "       wireclient --socket PATH [--uri URI] --cold-start -- CMD ARGS...\n"
        "  --timeout S  give up on a silent server or absent socket after S s (30)\n");
    exit(code);
}

int main(int argc, char **argv)
{
    enum { O_SECONDS = 256, O_CALLS, O_PROC, O_READONLY, O_COLD, O_TIMEOUT };
    static const struct option opts[] = {
        { "socket",     required_argument, NULL, 's' },
        { "uri",        required_argument, NULL, 'u' },
        { "conns",      required_argument, NULL, 'c' },
        { "seconds",    required_argument, NULL, O_SECONDS },
        { "calls",      required_argument, NULL, O_CALLS },
        { "proc",       required_argument, NULL, O_PROC },
        { "readonly",   no_argument,       NULL, O_READONLY },
        { "cold-start", no_argument,       NULL, O_COLD },
        { "timeout",    required_argument, NULL, O_TIMEOUT },
        { "help",       no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int cold = 0, o;

    wire_prog = "wireclient";
    wire_die_hook = die_hook;

    while ((o = getopt_long(argc, argv, "+s:u:c:h", opts, NULL)) != -1) {
        switch (o) {
        case 's': opt_socket = optarg; break;
        case 'u': opt_uri = optarg; break;
        case 'c': opt_conns = atoi(optarg); break;
        case O_SECONDS: opt_seconds = atof(optarg); break;
        case O_CALLS: opt_calls = atol(optarg); break;
        case O_PROC: opt_proc = atoi(optarg); break;
        case O_READONLY: opt_readonly = 1; break;
        case O_COLD: cold = 1; break;
        case O_TIMEOUT: opt_timeout = atof(optarg); break;
        case 'h': usage(0);
        default: usage(2);
        }
    }
    if (!opt_socket)
        usage(2);
    if (opt_conns < 1 || opt_conns > 4096 || opt_seconds <= 0 || opt_timeout <= 0)
        die("bad --conns, --seconds or --timeout value");
    if (cold) {
        if (optind >= argc)
            die("--cold-start needs a command after --");
        return run_cold_start(argv + optind);
    }
    if (optind != argc)
        usage(2);
    return run_load();
}
