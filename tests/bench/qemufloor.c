/*
 * qemufloor — the floors of starting and destroying a QEMU guest: what a
 * management daemon cannot beat, measured on this machine in the same run
 * as the daemons (run-guest-bench.sh).
 *
 *   qemufloor [--runs N] [--parallel P] [--settle MS] [--dir DIR]
 *             [--only start|parallel] -- QEMU-ARGV...
 *
 * QEMU-ARGV is the guest's command line without a monitor; it should
 * contain -S (start paused), as a daemon's does.  qemufloor adds the QMP
 * monitor itself: a unix socket it binds and listens on before the fork,
 * handed to QEMU as fd 3 (-chardev socket,fd=3,server=on,wait=off), so the
 * client connects at once, with no retries, and the first byte it reads is
 * QEMU's greeting.  Measured, each the median of N runs (--runs, 5):
 *
 *   start_ms     fork/exec -> QMP greeting -> qmp_capabilities -> cont,
 *                until cont's reply
 *   greeting_ms  fork/exec -> the greeting (part of start_ms)
 *   destroy_ms   SIGTERM to the running QEMU -> reaped (waitpid); the guest
 *                has run --settle ms (500) since cont, as a daemon's
 *                would have by the time someone destroys it
 *   par_ms       P QEMUs (--parallel, 8) forked at once, until the last
 *                has answered cont; then all are SIGTERMed and reaped
 *
 * --only runs one of the two parts (run-guest-bench.sh interleaves single
 * runs of each with the daemon's, so that both see the same machine).
 * Prints key=value lines (and *_runs_ms=a,b,... with every run).  QEMU's
 * output goes to DIR/qemu-I.log; its monitor sockets are DIR/mon-I.sock
 * (--dir: a new directory under /tmp, removed at the end).  Exit status 1
 * if a QEMU fails to start or answer (its log is printed).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAR 64
#define LINE_MAX_BYTES 65536
#define ANSWER_TIMEOUT_MS 60000

enum step { GREETING, CAPS, CONT, DONE };

struct qemu {
    pid_t pid;
    int fd;            /* our QMP connection */
    enum step step;
    char buf[LINE_MAX_BYTES];
    size_t len;
    double t_spawn, t_greeting, t_cont;
};

static char *const *qemu_argv;
static int qemu_argc;
static const char *dir;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void sock_path(struct sockaddr_un *sa, int i)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if ((size_t)snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/mon-%d.sock", dir, i) >=
        sizeof(sa->sun_path)) {
        fprintf(stderr, "qemufloor: --dir too long for a socket path\n");
        exit(2);
    }
}

/* Binds and listens on DIR/mon-I.sock, forks QEMU with the listening socket
 * as fd 3, and connects to it (the connection waits in the backlog until
 * QEMU accepts it). */
static void spawn(struct qemu *q, int i)
{
    struct sockaddr_un sa;
    sock_path(&sa, i);
    unlink(sa.sun_path);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0)
        die("monitor socket");

    char log[4096];
    snprintf(log, sizeof(log), "%s/qemu-%d.log", dir, i);
    int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0)
        die(log);

    /* Built before the fork: the child only dup2s and execs. */
    char **argv = calloc(qemu_argc + 5, sizeof(*argv));
    if (!argv)
        die("calloc");
    memcpy(argv, qemu_argv, qemu_argc * sizeof(*argv));
    argv[qemu_argc] = "-chardev";
    argv[qemu_argc + 1] = "socket,id=charmonitor,fd=3,server=on,wait=off";
    argv[qemu_argc + 2] = "-mon";
    argv[qemu_argc + 3] = "chardev=charmonitor,id=monitor,mode=control";

    q->t_spawn = now_ms();
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
            _exit(126);
        /* dup2 onto itself would keep close-on-exec. */
        if (lfd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(lfd, 3) < 0)
            _exit(126);
        execvp(argv[0], argv);
        _exit(127);
    }
    free(argv);
    close(logfd);
    q->pid = pid;
    q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (q->fd < 0 || connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        die("connect to the monitor");
    close(lfd);
    q->step = GREETING;
    q->len = 0;
}

static void send_cmd(struct qemu *q, const char *cmd)
{
    size_t n = strlen(cmd);
    if (write(q->fd, cmd, n) != (ssize_t)n)
        die("write to QMP");
}

/* One line from QEMU: advances the handshake on a greeting or a reply. */
static bool line(struct qemu *q, const char *l)
{
    if (strstr(l, "\"event\""))
        return true;
    if (strstr(l, "\"error\"")) {
        fprintf(stderr, "qemufloor: QMP error: %s\n", l);
        return false;
    }
    switch (q->step) {
    case GREETING:
        if (!strstr(l, "\"QMP\""))
            break;
        q->t_greeting = now_ms();
        send_cmd(q, "{\"execute\":\"qmp_capabilities\"}\n");
        q->step = CAPS;
        return true;
    case CAPS:
        if (!strstr(l, "\"return\""))
            break;
        send_cmd(q, "{\"execute\":\"cont\"}\n");
        q->step = CONT;
        return true;
    case CONT:
        if (!strstr(l, "\"return\""))
            break;
        q->t_cont = now_ms();
        q->step = DONE;
        return true;
    case DONE:
        return true;
    }
    fprintf(stderr, "qemufloor: unexpected from QMP: %s\n", l);
    return false;
}

static void show_log(int i)
{
    char path[4096], buf[4096];
    snprintf(path, sizeof(path), "%s/qemu-%d.log", dir, i);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    fprintf(stderr, "---- %s\n", path);
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, stderr);
    fclose(f);
}

/* Drives the handshakes of qs[0..n) until each has its cont reply. */
static bool handshake(struct qemu *qs, int n)
{
    struct pollfd pfd[MAX_PAR];
    double deadline = now_ms() + ANSWER_TIMEOUT_MS;
    int left = n;
    while (left > 0) {
        for (int i = 0; i < n; i++)
            pfd[i] = (struct pollfd){ .fd = qs[i].step == DONE ? -1 : qs[i].fd, .events = POLLIN };
        int r = poll(pfd, n, (int)(deadline - now_ms()));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fprintf(stderr, "qemufloor: no answer from QEMU in %d ms\n", ANSWER_TIMEOUT_MS);
            return false;
        }
        for (int i = 0; i < n; i++) {
            struct qemu *q = &qs[i];
            if (!pfd[i].revents)
                continue;
            ssize_t got = read(q->fd, q->buf + q->len, sizeof(q->buf) - 1 - q->len);
            if (got <= 0) {
                fprintf(stderr, "qemufloor: QEMU %d closed its monitor\n", i);
                show_log(i);
                return false;
            }
            q->len += got;
            q->buf[q->len] = 0;
            char *nl;
            while ((nl = strchr(q->buf, '\n'))) {
                *nl = 0;
                if (!line(q, q->buf))
                    return false;
                size_t used = nl + 1 - q->buf;
                memmove(q->buf, nl + 1, q->len - used + 1);
                q->len -= used;
            }
            if (q->len == sizeof(q->buf) - 1) {
                fprintf(stderr, "qemufloor: QMP line over %d bytes\n", LINE_MAX_BYTES);
                return false;
            }
            if (q->step == DONE)
                left--;
        }
    }
    return true;
}

static int reap(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    return st;
}

static void stop(struct qemu *q)
{
    close(q->fd);
    kill(q->pid, SIGTERM);
    reap(q->pid);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *key, double *v, int n)
{
    double s[n];
    memcpy(s, v, sizeof(s));
    qsort(s, n, sizeof(double), cmp_double);
    double med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    printf("%s_ms=%.2f\n%s_runs_ms=", key, med, key);
    for (int i = 0; i < n; i++)
        printf("%s%.2f", i ? "," : "", v[i]);
    printf("\n");
    fflush(stdout);
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int main(int argc, char **argv)
{
    int runs = 5, par = 8, settle = 500;
    char tmpl[] = "/tmp/qemufloor.XXXXXX";
    bool own_dir = false, do_start = true, do_par = true;
    static const struct option opts[] = {
        { "runs", required_argument, 0, 'n' }, { "parallel", required_argument, 0, 'p' },
        { "settle", required_argument, 0, 's' }, { "dir", required_argument, 0, 'd' },
        { "only", required_argument, 0, 'o' }, { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': runs = atoi(optarg); break;
        case 'p': par = atoi(optarg); break;
        case 's': settle = atoi(optarg); break;
        case 'd': dir = optarg; break;
        case 'o':
            do_start = strcmp(optarg, "start") == 0;
            do_par = strcmp(optarg, "parallel") == 0;
            if (do_start || do_par)
                break;
            fprintf(stderr, "qemufloor: --only start or --only parallel\n");
            return 2;
        default:
            fprintf(stderr, "usage: qemufloor [--runs N] [--parallel P] [--settle MS] [--dir DIR] "
                            "[--only start|parallel] -- QEMU-ARGV...\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (optind >= argc || runs < 1 || par < 1 || par > MAX_PAR || settle < 0) {
        fprintf(stderr, "qemufloor: need a QEMU command line after --, runs >= 1, "
                        "1 <= parallel <= %d\n", MAX_PAR);
        return 2;
    }
    qemu_argv = argv + optind;
    qemu_argc = argc - optind;
    if (!dir) {
        if (!mkdtemp(tmpl))
            die("mkdtemp");
        dir = tmpl;
        own_dir = true;
    }
    signal(SIGPIPE, SIG_IGN);

    double start[runs], greet[runs], destroy[runs], parv[runs];
    static struct qemu qs[MAX_PAR];
    int rc = 0;

    for (int r = 0; do_start && r < runs; r++) {
        spawn(&qs[0], 0);
        if (!handshake(qs, 1)) {
            show_log(0);
            stop(&qs[0]);
            rc = 1;
            goto out;
        }
        start[r] = qs[0].t_cont - qs[0].t_spawn;
        greet[r] = qs[0].t_greeting - qs[0].t_spawn;
        sleep_ms(settle);
        close(qs[0].fd);
        double t0 = now_ms();
        kill(qs[0].pid, SIGTERM);
        reap(qs[0].pid);
        destroy[r] = now_ms() - t0;
    }
    if (do_start) {
        report("start", start, runs);
        report("greeting", greet, runs);
        report("destroy", destroy, runs);
    }

    for (int r = 0; do_par && r < runs; r++) {
        double t0 = now_ms();
        for (int i = 0; i < par; i++)
            spawn(&qs[i], i);
        bool ok = handshake(qs, par);
        double t1 = now_ms();
        for (int i = 0; i < par; i++)
            stop(&qs[i]);
        if (!ok) {
            rc = 1;
            goto out;
        }
        parv[r] = t1 - t0;
    }
    if (do_par) {
        printf("parallel=%d\n", par);
        report("par", parv, runs);
    }

out:
    for (int i = 0; i < (par > 1 ? par : 1); i++) {
        struct sockaddr_un sa;
        sock_path(&sa, i);
        unlink(sa.sun_path);
        if (own_dir && rc == 0) {
            char log[4096];
            snprintf(log, sizeof(log), "%s/qemu-%d.log", dir, i);
            unlink(log);
        }
    }
    if (own_dir && rc == 0)
        rmdir(dir);
    return rc;
}
