/*
 * wireclient — a tiny load generator that speaks the libvirt wire protocol.
 *
 * It hand-encodes the handful of messages a libvirt 9 client sends when it
 * opens a unix-socket connection, then times synchronous round trips of one
 * cheap procedure (CONNECT_GET_LIB_VERSION by default).  It deliberately
 * shares no code with the daemons, so it measures them from the outside.
 *
 *   wireclient --socket PATH [--uri URI] [--conns N] [--seconds S | --calls N]
 *              [--proc P] [--readonly]
 *   wireclient --socket PATH [--uri URI] [--timeout S] --cold-start -- CMD ARGS...
 *
 * Output is one line of key=value pairs on stdout; diagnostics go to stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROG_REMOTE     0x20008086u
#define PROG_KEEPALIVE  0x6b656570u
#define PROC_OPEN       1
#define PROC_FEATURE    60
#define PROC_AUTH_LIST  66
#define PROC_LIB_VER    157
enum { KA_PING = 1, KA_PONG = 2 };                   /* keepalive procs */
enum { T_CALL = 0, T_REPLY = 1, T_MESSAGE = 2 };     /* packet types */
enum { ST_OK = 0, ST_ERROR = 1 };                    /* packet status */
#define HDR_LEN         28 /* length word + 6 header words */
#define MAX_PACKET      (32u * 1024 * 1024)

struct conn {
    int fd;
    uint32_t serial;
    unsigned char *buf; /* receive buffer */
    size_t cap, len;    /* allocated, bytes held */
    size_t off;         /* start of unconsumed data */
};

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

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
    va_list ap;
    fputs("wireclient: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (child_pid > 0)  /* never leave the daemon we started behind */
        stop_child();
    exit(1);
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- XDR helpers ------------------------------------------------------ */

static size_t put_u32(unsigned char *p, uint32_t v)
{
    v = htonl(v);
    memcpy(p, &v, 4);
    return 4;
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return ntohl(v);
}

/* XDR string: length, bytes, zero padding to a multiple of 4. */
static size_t put_string(unsigned char *p, const char *s)
{
    size_t n = strlen(s), pad = (4 - n % 4) % 4;
    put_u32(p, (uint32_t)n);
    memcpy(p + 4, s, n);
    memset(p + 4 + n, 0, pad);
    return 4 + n + pad;
}

/* Build a complete packet in out[]; returns its length. */
static size_t build_packet(unsigned char *out, uint32_t prog, int proc,
                           uint32_t type, uint32_t serial,
                           const unsigned char *body, size_t body_len)
{
    size_t total = HDR_LEN + body_len;
    uint32_t words[7] = { (uint32_t)total, prog, 1, (uint32_t)proc, type, serial, ST_OK };
    for (int i = 0; i < 7; i++)
        put_u32(out + 4 * i, words[i]);
    if (body_len)
        memcpy(out + HDR_LEN, body, body_len);
    return total;
}

/* ---- socket I/O ------------------------------------------------------- */

static void write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("send: %s", strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Return a pointer to the next complete packet (starting at its length
 * word) and its length, reading from the socket as needed. */
static const unsigned char *next_packet(struct conn *c, uint32_t *plen)
{
    for (;;) {
        size_t avail = c->len - c->off;
        if (avail >= 4) {
            uint32_t len = get_u32(c->buf + c->off);
            if (len < HDR_LEN || len > MAX_PACKET)
                die("bad packet length %u from server", len);
            if (avail >= len) {
                const unsigned char *p = c->buf + c->off;
                c->off += len;
                *plen = len;
                return p;
            }
            if (len > c->cap) {
                c->cap = len;
                c->buf = realloc(c->buf, c->cap);
                if (!c->buf)
                    die("out of memory");
            }
        }
        /* Compact before reading more. */
        if (c->off > 0) {
            memmove(c->buf, c->buf + c->off, avail);
            c->len = avail;
            c->off = 0;
        }
        ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            die("timed out waiting for the server");
        if (r < 0)
            die("recv: %s", strerror(errno));
        if (r == 0)
            die("server closed the connection");
        c->len += (size_t)r;
    }
}

/* An ERROR reply carries remote_error { int code; int domain;
 * string *message; ... }: print it and exit. */
static void __attribute__((noreturn))
report_error(int proc, const unsigned char *b, size_t len)
{
    uint32_t n = len >= 16 && get_u32(b + 8) == 1 ? get_u32(b + 12) : 0;
    if (len < 12 || (n && n > len - 16))
        die("procedure %d failed (malformed error body)", proc);
    die("procedure %d failed: code=%d domain=%d: %.*s", proc, (int)get_u32(b),
        (int)get_u32(b + 4), (int)n, n ? (const char *)b + 16 : "");
}

/* Send a CALL and wait for its REPLY, answering keepalive PINGs and
 * skipping any other async message.  Returns the reply body. */
static const unsigned char *call(struct conn *c, int proc,
                                 const unsigned char *body, size_t body_len,
                                 uint32_t *reply_len)
{
    unsigned char out[HDR_LEN + 512];
    if (body_len > sizeof(out) - HDR_LEN)
        die("call body too large");
    uint32_t serial = ++c->serial;
    write_all(c->fd, out,
              build_packet(out, PROG_REMOTE, proc, T_CALL, serial, body, body_len));

    for (;;) {
        uint32_t len;
        const unsigned char *p = next_packet(c, &len);
        uint32_t prog = get_u32(p + 4), rproc = get_u32(p + 12);
        uint32_t type = get_u32(p + 16), rserial = get_u32(p + 20);
        uint32_t status = get_u32(p + 24);

        if (prog == PROG_KEEPALIVE) {
            if (type == T_MESSAGE && rproc == KA_PING) {
                unsigned char pong[HDR_LEN];
                write_all(c->fd, pong, build_packet(pong, PROG_KEEPALIVE, KA_PONG,
                                                    T_MESSAGE, 0, NULL, 0));
            }
            continue;
        }
        if (type == T_MESSAGE)
            continue; /* an event we never asked for; ignore */
        if (prog != PROG_REMOTE || type != T_REPLY || rserial != serial ||
            (int)rproc != proc)
            die("unexpected packet: prog=0x%x proc=%u type=%u serial=%u "
                "(waiting for proc %d serial %u)",
                prog, rproc, type, rserial, proc, serial);
        if (status == ST_ERROR)
            report_error(proc, p + HDR_LEN, len - HDR_LEN);
        if (status != ST_OK)
            die("procedure %d: unexpected status %u", proc, status);
        *reply_len = len - HDR_LEN;
        return p + HDR_LEN;
    }
}

/* Returns the fd, or -1 with errno set if connect() fails. */
static int try_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path))
        die("socket path too long: %s", path);
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    struct timeval tv = { .tv_sec = (time_t)opt_timeout + 1 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* The opening sequence of a libvirt 9 client on a unix socket. */
static void handshake(struct conn *c)
{
    unsigned char body[512];
    const unsigned char *r;
    uint32_t rlen;

    r = call(c, PROC_AUTH_LIST, NULL, 0, &rlen);
    if (rlen < 4)
        die("short AUTH_LIST reply");
    uint32_t n = get_u32(r);
    if (n > (rlen - 4) / 4)
        die("malformed AUTH_LIST reply");
    int none_ok = n == 0;
    for (uint32_t i = 0; i < n; i++)
        if (get_u32(r + 4 + 4 * i) == 0)
            none_ok = 1;
    if (!none_ok)
        die("server requires authentication (auth type %u); not supported",
            get_u32(r + 4));

    put_u32(body, 10); /* VIR_DRV_FEATURE_PROGRAM_KEEPALIVE */
    call(c, PROC_FEATURE, body, 4, &rlen);

    if (strlen(opt_uri) > sizeof(body) - 16)
        die("URI too long");
    size_t off = put_u32(body, 1); /* optional string: present */
    off += put_string(body + off, opt_uri);
    off += put_u32(body + off, opt_readonly ? 1 : 0);
    call(c, PROC_OPEN, body, off, &rlen);
}

static void conn_init(struct conn *c, int fd)
{
    *c = (struct conn){ .fd = fd, .cap = 65536, .buf = malloc(65536) };
    if (!c->buf)
        die("out of memory");
}

static void conn_close(struct conn *c)
{
    close(c->fd);
    free(c->buf);
    c->buf = NULL;
}

static void measured_call(struct conn *c)
{
    uint32_t rlen;
    call(c, opt_proc, NULL, 0, &rlen);
    if (opt_proc == PROC_LIB_VER && rlen != 8)
        die("GET_LIB_VERSION reply has %u bytes, expected 8", rlen);
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
    int fd = try_connect(opt_socket);
    if (fd < 0)
        die("connect %s: %s", opt_socket, strerror(errno));
    conn_init(&c, fd);
    handshake(&c);
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
    while ((fd = try_connect(opt_socket)) < 0) {
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
    handshake(&c);
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
