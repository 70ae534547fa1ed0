#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/kvm.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "util/cleanup.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/hostinfo.h"

#define KVM_DEVICE "/dev/kvm"
/* sysfs and procfs files are small; this only bounds a bogus one. */
#define SMALL_FILE_MAX (4u << 20)
/* No host has more; it keeps a corrupt cpulist from allocating gigabytes. */
#define MAX_CPU_ID 65536

static char *host_root;

void mv_hostinfo_set_root(const char *root)
{
    free(host_root);
    host_root = root && *root ? strdup(root) : NULL;
}

char *mv_hostinfo_path(const char *path)
{
    return mv_path_join(host_root, path);
}

static int vread_text(char **ret, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static int vread_text(char **ret, const char *fmt, va_list ap)
{
    _cleanup_free_ char *rel = NULL, *path = NULL, *data = NULL;
    size_t len;
    int r;

    if (vasprintf(&rel, fmt, ap) < 0 || !(path = mv_hostinfo_path(rel)))
        return -ENOMEM;
    r = mv_read_file(path, SMALL_FILE_MAX, &data, &len);
    if (r < 0)
        return r;
    while (len > 0 && isspace((unsigned char)data[len - 1]))
        data[--len] = '\0';
    *ret = TAKE_PTR(data);
    return 0;
}

int mv_host_read(char **ret, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vread_text(ret, fmt, ap);
    va_end(ap);
    return r;
}

/* An integer file ("1\n"); negative values are accepted for the -1 some
 * topology files hold. */
static int __attribute__((format(printf, 2, 3))) read_int(long long *ret, const char *fmt, ...)
{
    _cleanup_free_ char *text = NULL;
    char *end;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vread_text(&text, fmt, ap);
    va_end(ap);
    if (r < 0)
        return r;
    errno = 0;
    *ret = strtoll(text, &end, 10);
    return errno || end == text || *end ? -EINVAL : 0;
}

/* ---- CPU sets, as the kernel prints them ("0-3,8") ---- */

typedef struct cpuset {
    size_t nbits;
    uint64_t *w;
} cpuset;

static void cpuset_clear(cpuset *s)
{
    free(s->w);
    s->w = NULL;
    s->nbits = 0;
}

static bool cpuset_has(const cpuset *s, unsigned int bit)
{
    return bit < s->nbits && (s->w[bit / 64] >> (bit % 64)) & 1;
}

static unsigned int cpuset_count(const cpuset *s)
{
    unsigned int n = 0;
    for (size_t i = 0; i < (s->nbits + 63) / 64; i++)
        n += __builtin_popcountll(s->w[i]);
    return n;
}

static int cpuset_parse(const char *text, cpuset *ret)
{
    cpuset s = { 0 };
    unsigned long lo, hi;
    const char *p = text;
    char *end;

    /* Size the set by the largest number in it. */
    for (const char *q = text; *q; ) {
        if (!isdigit((unsigned char)*q)) {
            q++;
            continue;
        }
        hi = strtoul(q, &end, 10);
        if (hi >= MAX_CPU_ID)
            return -ERANGE;
        if (hi + 1 > s.nbits)
            s.nbits = hi + 1;
        q = end;
    }
    s.w = calloc((s.nbits + 63) / 64 + 1, sizeof(uint64_t));
    if (!s.w)
        return -ENOMEM;
    while (*p) {
        while (isspace((unsigned char)*p) || *p == ',')
            p++;
        if (!*p)
            break;
        if (!isdigit((unsigned char)*p))
            goto bad;
        lo = hi = strtoul(p, &end, 10);
        p = end;
        if (*p == '-') {
            if (!isdigit((unsigned char)p[1]))
                goto bad;
            hi = strtoul(p + 1, &end, 10);
            p = end;
        }
        if (hi < lo || (*p && *p != ',' && !isspace((unsigned char)*p)))
            goto bad;
        for (unsigned long b = lo; b <= hi; b++)
            s.w[b / 64] |= UINT64_C(1) << (b % 64);
    }
    *ret = s;
    return 0;
bad:
    cpuset_clear(&s);
    return -EINVAL;
}

static int __attribute__((format(printf, 2, 3))) cpuset_read(cpuset *ret, const char *fmt, ...)
{
    _cleanup_free_ char *text = NULL;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vread_text(&text, fmt, ap);
    va_end(ap);
    return r < 0 ? r : cpuset_parse(text, ret);
}

/* libvirt's cpuset syntax: runs of two or more become "a-b". */
static char *cpuset_format(const cpuset *s)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    bool first = true;

    if (!f)
        return NULL;
    for (unsigned int b = 0; b < s->nbits; b++) {
        unsigned int e = b;
        if (!cpuset_has(s, b))
            continue;
        while (cpuset_has(s, e + 1))
            e++;
        fprintf(f, e > b ? "%s%u-%u" : "%s%u", first ? "" : ",", b, e);
        first = false;
        b = e;
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int mv_host_read_cpulist(char **ret, const char *fmt, ...)
{
    _cleanup_free_ char *text = NULL;
    cpuset set = { 0 };
    char *out;
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vread_text(&text, fmt, ap);
    va_end(ap);
    if (r < 0 || (r = cpuset_parse(text, &set)) < 0)
        return r;
    out = cpuset_format(&set);
    cpuset_clear(&set);
    if (!out)
        return -ENOMEM;
    *ret = out;
    return 0;
}

/* ---- small parsers ---- */

/* Value of "key: 123 kB" in a meminfo-style text, also in the per-node
 * form "Node 0 key: 123 kB". */
static int meminfo_value(const char *text, const char *key, unsigned long long *ret)
{
    size_t klen = strlen(key);

    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        const char *colon = strchr(line, ':');
        const char *nl = strchr(line, '\n');
        if (!colon || (nl && colon > nl) || (size_t)(colon - line) < klen)
            continue;
        if (strncmp(colon - klen, key, klen) != 0 ||
            (colon - klen > line && !isspace((unsigned char)colon[-(ptrdiff_t)klen - 1])))
            continue;
        *ret = strtoull(colon + 1, NULL, 10);
        return 0;
    }
    return -ENOENT;
}

static int cmp_uint(const void *a, const void *b)
{
    unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;
    return x < y ? -1 : x > y;
}

/* Directory entries "nodeN" in /sys/devices/system/node, ascending. */
static int list_nodes(unsigned int **ret_ids, size_t *ret_n)
{
    _cleanup_free_ char *path = mv_hostinfo_path("/sys/devices/system/node");
    _cleanup_free_ unsigned int *ids = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *d;

    if (!path)
        return -ENOMEM;
    d = opendir(path);
    if (!d) {
        if (errno != ENOENT)
            return -errno;
        *ret_ids = NULL;
        *ret_n = 0;
        return 0;
    }
    while ((de = readdir(d))) {
        unsigned int id;
        char extra;
        if (sscanf(de->d_name, "node%u%c", &id, &extra) != 1)
            continue;
        if (n == cap) {
            unsigned int *t = realloc(ids, (cap = cap ? cap * 2 : 8) * sizeof(*ids));
            if (!t) {
                closedir(d);
                return -ENOMEM;
            }
            ids = t;
        }
        ids[n++] = id;
    }
    closedir(d);
    if (n)
        qsort(ids, n, sizeof(*ids), cmp_uint);
    *ret_ids = TAKE_PTR(ids);
    *ret_n = n;
    return 0;
}

static int node_meminfo(unsigned int node, const char *key, unsigned long long *ret_kib)
{
    _cleanup_free_ char *text = NULL;
    int r = mv_host_read(&text, "/sys/devices/system/node/node%u/meminfo", node);
    return r < 0 ? r : meminfo_value(text, key, ret_kib);
}

static int proc_meminfo(const char *key, unsigned long long *ret_kib)
{
    _cleanup_free_ char *text = NULL;
    int r = mv_host_read(&text, "/proc/meminfo");
    return r < 0 ? r : meminfo_value(text, key, ret_kib);
}

/* key summed over the NUMA cells, or from /proc/meminfo without them. */
static int host_memory(const char *key, unsigned long long *ret_kib)
{
    _cleanup_free_ unsigned int *nodes = NULL;
    unsigned long long sum = 0, v;
    size_t n;
    int r;

    r = list_nodes(&nodes, &n);
    if (r < 0)
        return r;
    if (n == 0)
        return proc_meminfo(key, ret_kib);
    for (size_t i = 0; i < n; i++) {
        r = node_meminfo(nodes[i], key, &v);
        if (r < 0)
            return r;
        sum += v;
    }
    *ret_kib = sum;
    return 0;
}

/* ---- node info ---- */

static pthread_once_t arch_once = PTHREAD_ONCE_INIT;
static char host_arch[65];  /* utsname.machine size */

static void init_arch(void)
{
    struct utsname u;

    if (uname(&u) < 0) {
        snprintf(host_arch, sizeof(host_arch), "unknown");
        return;
    }
    /* libvirt has a single name for the 32-bit x86 family. */
    if (u.machine[0] == 'i' && u.machine[1] >= '3' && u.machine[1] <= '6' &&
        strcmp(u.machine + 2, "86") == 0)
        snprintf(host_arch, sizeof(host_arch), "i686");
    else
        snprintf(host_arch, sizeof(host_arch), "%s", u.machine);
}

const char *mv_host_arch(void)
{
    pthread_once(&arch_once, init_arch);
    return host_arch;
}

static bool arch_is_x86(const char *arch)
{
    return strcmp(arch, "x86_64") == 0 || strcmp(arch, "i686") == 0;
}

/* The frequency line of cpuinfo differs per architecture; ARM has none that
 * means anything.  The fractional part is dropped; the last line wins. */
static int cpuinfo_mhz(const char *arch)
{
    _cleanup_free_ char *text = NULL;
    const char *prefix = NULL;
    long long khz;
    int mhz = 0;

    if (arch_is_x86(arch))
        prefix = "cpu MHz";
    else if (strncmp(arch, "ppc", 3) == 0)
        prefix = "clock";
    else if (strncmp(arch, "s390", 4) == 0)
        prefix = "cpu MHz dynamic";
    if (prefix && mv_host_read(&text, "/proc/cpuinfo") == 0) {
        size_t plen = strlen(prefix);
        for (const char *line = text; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
            const char *p = line + plen;
            if (strncmp(line, prefix, plen) != 0)
                continue;
            p += strspn(p, " \t");
            if (*p == ':')
                mhz = (int)strtoul(p + 1, NULL, 10);
        }
    }
    /* Without a cpuinfo line, cpufreq's nominal maximum is the best hint. */
    if (mhz == 0 && read_int(&khz, "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq") == 0)
        mhz = (int)(khz / 1000);
    return mhz;
}

static unsigned int cpu_topology_value(unsigned int cpu, const char *name)
{
    long long v;

    /* Missing (old kernels) or -1 (not known): libvirt says 0. */
    if (read_int(&v, "/sys/devices/system/cpu/cpu%u/topology/%s", cpu, name) < 0 || v < 0)
        return 0;
    return (unsigned int)v;
}

static unsigned int cpu_thread_count(unsigned int cpu)
{
    cpuset s = { 0 };
    unsigned int n;

    if (cpuset_read(&s, "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list", cpu) < 0)
        return 1;
    n = cpuset_count(&s);
    cpuset_clear(&s);
    return n ? n : 1;
}

typedef struct topo_count {
    int cpus, offline, sockets, cores, threads;
} topo_count;

/* Count the online CPUs of one node (those of cpus that are present),
 * its distinct sockets, the most distinct cores in one socket and the most
 * threads in one core. */
static int count_topology(const cpuset *cpus, const cpuset *present, const cpuset *online,
                          bool s390, topo_count *ret)
{
    _cleanup_free_ unsigned int *sock = NULL, *core = NULL;
    topo_count t = { 0 };
    size_t n = 0;

    sock = calloc(cpus->nbits + 1, sizeof(*sock));
    core = calloc(cpus->nbits + 1, sizeof(*core));
    if (!sock || !core)
        return -ENOMEM;
    for (unsigned int cpu = 0; cpu < cpus->nbits; cpu++) {
        unsigned int threads;
        size_t i;

        if (!cpuset_has(cpus, cpu) || !cpuset_has(present, cpu))
            continue;
        if (!cpuset_has(online, cpu)) {
            t.offline++;
            continue;
        }
        t.cpus++;
        sock[n] = cpu_topology_value(cpu, "physical_package_id");
        /* On s390 each logical CPU is a core of its own. */
        core[n] = s390 ? cpu : cpu_topology_value(cpu, "core_id");
        for (i = 0; i < n && !(sock[i] == sock[n] && core[i] == core[n]); i++)
            ;
        if (i == n)
            n++;
        threads = cpu_thread_count(cpu);
        if ((int)threads > t.threads)
            t.threads = (int)threads;
    }
    /* n distinct (socket, core) pairs: count sockets and cores per socket. */
    for (size_t i = 0; i < n; i++) {
        int cores = 0;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = sock[j] == sock[i];
        if (seen)
            continue;
        t.sockets++;
        for (size_t j = i; j < n; j++)
            cores += sock[j] == sock[i];
        if (cores > t.cores)
            t.cores = cores;
    }
    *ret = t;
    return 0;
}

int mv_host_node_info(mv_node_info *ret)
{
    _cleanup_free_ unsigned int *nodes = NULL;
    cpuset present = { 0 }, online = { 0 };
    mv_node_info info = { 0 };
    const char *arch = mv_host_arch();
    bool s390 = strncmp(arch, "s390", 4) == 0;
    int offline = 0, r;
    size_t n;

    /* Copied by hand: GCC's sanitizer builds misjudge arch as maybe NULL
     * in a snprintf. */
    memcpy(info.model, arch, strnlen(arch, sizeof(info.model) - 1));
    info.mhz = cpuinfo_mhz(arch);
    r = host_memory("MemTotal", &info.memory_kib);
    if (r < 0)
        return r;
    r = cpuset_read(&present, "/sys/devices/system/cpu/present");
    if (r >= 0)
        r = cpuset_read(&online, "/sys/devices/system/cpu/online");
    if (r >= 0)
        r = list_nodes(&nodes, &n);
    for (size_t i = 0; r >= 0 && i < n; i++) {
        cpuset cpus = { 0 };
        topo_count t;

        r = cpuset_read(&cpus, "/sys/devices/system/node/node%u/cpulist", nodes[i]);
        if (r < 0)
            break;
        r = count_topology(&cpus, &present, &online, s390, &t);
        cpuset_clear(&cpus);
        if (r < 0)
            break;
        info.nodes++;
        info.cpus += t.cpus;
        offline += t.offline;
        if (t.sockets > info.sockets)
            info.sockets = t.sockets;
        if (t.cores > info.cores)
            info.cores = t.cores;
        if (t.threads > info.threads)
            info.threads = t.threads;
    }
    if (r >= 0 && (info.cpus == 0 || info.nodes == 0)) {
        /* No NUMA sysfs: every present CPU in one node. */
        topo_count t;
        r = count_topology(&present, &present, &online, s390, &t);
        if (r >= 0) {
            info.nodes = 1;
            info.cpus = t.cpus;
            offline = t.offline;
            info.sockets = t.sockets;
            info.cores = t.cores;
            info.threads = t.threads;
        }
    }
    cpuset_clear(&present);
    cpuset_clear(&online);
    if (r < 0)
        return r;
    if (info.cpus == 0 || info.sockets == 0 || info.threads == 0)
        return mv_error_report(-ENODEV, MV_ERR_INTERNAL_ERROR, MV_FROM_NONE,
                               "no CPUs found");
    /* A product that does not add up (hidden nodes, CPUs that count as both
     * cores and threads) is reported flat; capabilities has the truth. */
    if (info.nodes * info.sockets * info.cores * info.threads != info.cpus + offline) {
        info.nodes = 1;
        info.sockets = 1;
        info.cores = info.cpus + offline;
        info.threads = 1;
    }
    *ret = info;
    return 0;
}

/* ---- memory ---- */

int mv_host_free_memory(unsigned long long *ret_bytes)
{
    unsigned long long kib;
    int r = host_memory("MemFree", &kib);

    if (r < 0)
        return r;
    *ret_bytes = kib * 1024;
    return 0;
}

int mv_host_cells_free_memory(int start, int max, unsigned long long *ret_cells, int *ret_n)
{
    _cleanup_free_ unsigned int *nodes = NULL;
    _cleanup_free_ unsigned long long *cells = NULL;
    int last, n = 0, r;
    size_t nn;

    if (max <= 0)
        return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_NONE,
                               "maxCells must be greater than zero");
    r = list_nodes(&nodes, &nn);
    if (r < 0)
        return r;
    last = nn ? (int)nodes[nn - 1] : 0;
    if (start < 0 || start > last)
        return mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_NONE,
                               "start cell %d out of range (0-%d)", start, last);
    cells = calloc((size_t)(last - start + 1), sizeof(*cells));
    if (!cells)
        return -ENOMEM;
    for (int cell = start; cell <= last && n < max; cell++) {
        unsigned long long kib = 0;
        if (nn == 0)
            r = proc_meminfo("MemFree", &kib);
        else
            r = node_meminfo((unsigned int)cell, "MemFree", &kib);
        /* A gap in the node numbering is a cell with nothing free. */
        if (r < 0 && r != -ENOENT)
            return r;
        cells[n++] = kib * 1024;
    }
    memcpy(ret_cells, cells, (size_t)n * sizeof(*cells));
    *ret_n = n;
    return 0;
}

/* ---- host name ---- */

int mv_host_hostname(char **ret)
{
    char name[HOST_NAME_MAX + 1];
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_flags = AI_CANONNAME | AI_CANONIDN };
    struct addrinfo *ai = NULL;
    char *out;

    if (gethostname(name, sizeof(name)) < 0)
        return -errno;
    name[sizeof(name) - 1] = '\0';
    /* A name with a dot is taken as already qualified; otherwise ask the
     * resolver, and keep the short name when it knows nothing better. */
    if (!strchr(name, '.') && getaddrinfo(name, NULL, &hints, &ai) == 0 && ai &&
        ai->ai_canonname && strcmp(ai->ai_canonname, "localhost") != 0)
        out = strdup(ai->ai_canonname);
    else
        out = strdup(name);
    if (ai)
        freeaddrinfo(ai);
    if (!out)
        return -ENOMEM;
    *ret = out;
    return 0;
}

/* ---- pages and NUMA ---- */

int mv_host_page_sizes(mv_host_pages *ret)
{
    _cleanup_free_ char *path = mv_hostinfo_path("/sys/kernel/mm/hugepages");
    mv_host_pages p = { 0 };
    struct dirent *de;
    DIR *d;

    if (!path)
        return -ENOMEM;
    p.size_kib[p.n++] = (unsigned int)(sysconf(_SC_PAGESIZE) / 1024);
    d = opendir(path);
    while (d && (de = readdir(d))) {
        unsigned int kib;
        if (sscanf(de->d_name, "hugepages-%ukB", &kib) == 1 && p.n < MV_HOST_MAX_PAGE_SIZES)
            p.size_kib[p.n++] = kib;
    }
    if (d)
        closedir(d);
    qsort(p.size_kib, p.n, sizeof(p.size_kib[0]), cmp_uint);
    *ret = p;
    return 0;
}

void mv_host_numa_clear(mv_host_numa_info *info)
{
    for (size_t i = 0; i < info->ncells; i++) {
        mv_host_numa_cell *c = &info->cells[i];
        for (size_t j = 0; j < c->ncpus; j++)
            free(c->cpus[j].siblings);
        free(c->cpus);
        free(c->distance_id);
        free(c->distance);
    }
    free(info->cells);
    info->cells = NULL;
    info->ncells = 0;
}

static int fill_cell_cpus(mv_host_numa_cell *cell, const cpuset *cpus, const cpuset *online)
{
    unsigned int n = cpuset_count(cpus);

    cell->cpus = calloc(n ? n : 1, sizeof(*cell->cpus));
    if (!cell->cpus)
        return -ENOMEM;
    for (unsigned int cpu = 0; cpu < cpus->nbits; cpu++) {
        mv_host_numa_cpu *c;

        if (!cpuset_has(cpus, cpu))
            continue;
        c = &cell->cpus[cell->ncpus++];
        c->id = cpu;
        /* Offline CPUs have no topology to show; they are listed by id. */
        if (!cpuset_has(online, cpu))
            continue;
        c->online = true;
        c->socket_id = cpu_topology_value(cpu, "physical_package_id");
        c->die_id = cpu_topology_value(cpu, "die_id");
        c->core_id = cpu_topology_value(cpu, "core_id");
        if (mv_host_read_cpulist(&c->siblings, "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list",
                                 cpu) < 0 && asprintf(&c->siblings, "%u", cpu) < 0)
            c->siblings = NULL;
        if (!c->siblings)
            return -ENOMEM;
    }
    return 0;
}

/* Page counts of a cell: hugepages from sysfs, the base page as whatever
 * memory the hugepages leave. */
static void fill_cell_pages(mv_host_numa_cell *cell, const mv_host_pages *sizes, bool numa)
{
    unsigned long long huge_kib = 0;
    long long v;

    cell->npages = sizes->n;
    for (size_t i = 1; i < sizes->n; i++) {
        int r;
        cell->page_size_kib[i] = sizes->size_kib[i];
        if (numa)
            r = read_int(&v, "/sys/devices/system/node/node%u/hugepages/hugepages-%ukB/nr_hugepages",
                         cell->id, sizes->size_kib[i]);
        else
            r = read_int(&v, "/sys/kernel/mm/hugepages/hugepages-%ukB/nr_hugepages", sizes->size_kib[i]);
        cell->page_count[i] = r == 0 && v > 0 ? (unsigned long long)v : 0;
        huge_kib += cell->page_count[i] * sizes->size_kib[i];
    }
    cell->page_size_kib[0] = sizes->size_kib[0];
    cell->page_count[0] = cell->memory_kib > huge_kib ?
        (cell->memory_kib - huge_kib) / sizes->size_kib[0] : 0;
}

static int fill_cell_distances(mv_host_numa_cell *cell, const unsigned int *nodes, size_t nnodes)
{
    _cleanup_free_ char *text = NULL;
    const char *p;
    char *end;

    if (mv_host_read(&text, "/sys/devices/system/node/node%u/distance", cell->id) < 0)
        return 0;   /* distances are optional in the document */
    cell->distance_id = calloc(nnodes, sizeof(unsigned int));
    cell->distance = calloc(nnodes, sizeof(unsigned int));
    if (!cell->distance_id || !cell->distance)
        return -ENOMEM;
    /* The kernel prints one value per online node, in node order. */
    for (p = text; cell->ndistances < nnodes; p = end) {
        unsigned long v = strtoul(p, &end, 10);
        if (end == p)
            break;
        cell->distance_id[cell->ndistances] = nodes[cell->ndistances];
        cell->distance[cell->ndistances++] = (unsigned int)v;
    }
    return 0;
}

int mv_host_numa(mv_host_numa_info *ret)
{
    _cleanup_free_ unsigned int *nodes = NULL;
    mv_host_numa_info info = { 0 };
    cpuset online = { 0 };
    mv_host_pages sizes;
    size_t n;
    int r;

    r = list_nodes(&nodes, &n);
    if (r < 0)
        return r;
    r = mv_host_page_sizes(&sizes);
    if (r < 0)
        return r;
    r = cpuset_read(&online, "/sys/devices/system/cpu/online");
    if (r < 0)
        return r;
    info.cells = calloc(n ? n : 1, sizeof(*info.cells));
    if (!info.cells) {
        cpuset_clear(&online);
        return -ENOMEM;
    }
    for (size_t i = 0; r >= 0 && i < (n ? n : 1); i++) {
        mv_host_numa_cell *cell = &info.cells[info.ncells++];
        cpuset cpus = { 0 };

        if (n) {
            cell->id = nodes[i];
            r = node_meminfo(cell->id, "MemTotal", &cell->memory_kib);
            if (r >= 0)
                r = cpuset_read(&cpus, "/sys/devices/system/node/node%u/cpulist", cell->id);
            if (r >= 0)
                r = fill_cell_distances(cell, nodes, n);
        } else {
            /* No NUMA sysfs: one cell holding all memory and CPUs. */
            r = proc_meminfo("MemTotal", &cell->memory_kib);
            if (r >= 0)
                r = cpuset_read(&cpus, "/sys/devices/system/cpu/present");
        }
        if (r >= 0)
            r = fill_cell_cpus(cell, &cpus, &online);
        if (r >= 0)
            fill_cell_pages(cell, &sizes, n > 0);
        cpuset_clear(&cpus);
    }
    cpuset_clear(&online);
    if (r < 0) {
        mv_host_numa_clear(&info);
        return r;
    }
    *ret = info;
    return 0;
}

int mv_host_cpuid(unsigned int leaf, unsigned int subleaf, unsigned int ret_regs[4])
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned int a, b, c, d;

    if (host_root)
        return -ENOTSUP;
    if (leaf > (unsigned int)__get_cpuid_max(leaf & 0x80000000u, NULL))
        return -ENOENT;
    __cpuid_count(leaf, subleaf, a, b, c, d);
    ret_regs[0] = a;
    ret_regs[1] = b;
    ret_regs[2] = c;
    ret_regs[3] = d;
    return 0;
#else
    return -ENOTSUP;
#endif
}

/* ---- KVM ---- */

static int kvm_open(void)
{
    if (host_root)
        return -ENOENT;     /* a fake host has no KVM */
    int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int mv_host_kvm_usable(void)
{
    _cleanup_close_ int fd = kvm_open();

    return fd >= 0 && ioctl(fd, KVM_GET_API_VERSION, 0) == KVM_API_VERSION;
}

int mv_host_kvm_max_vcpus(int *ret)
{
    _cleanup_close_ int fd = kvm_open();
    int n;

    if (fd < 0)
        return mv_error_report(fd, MV_ERR_SYSTEM_ERROR, MV_FROM_NONE,
                               "Unable to open %s: %s", KVM_DEVICE, strerror(-fd));
    /* Newer kernels state the hard limit; older ones only a recommended
     * count; the oldest neither, and took 4. */
    n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (n <= 0)
        n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    *ret = n > 0 ? n : 4;
    return 0;
}

int mv_host_kvm_tsc(unsigned long long *ret_hz, bool *ret_scaling)
{
#ifdef KVM_GET_TSC_KHZ
    _cleanup_close_ int fd = kvm_open();
    _cleanup_close_ int vm = -1;
    _cleanup_close_ int vcpu = -1;
    int khz;

    if (fd < 0)
        return -ENOTSUP;
    /* The frequency is per vCPU, so it takes a throwaway VM to ask. */
    do
        vm = ioctl(fd, KVM_CREATE_VM, 0);
    while (vm < 0 && errno == EINTR);
    if (vm < 0)
        return -errno;
    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        return -errno;
    khz = ioctl(vcpu, KVM_GET_TSC_KHZ, 0);
    if (khz <= 0)
        return khz < 0 ? -errno : -ENOTSUP;
    *ret_hz = (unsigned long long)khz * 1000;
    *ret_scaling = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL) > 0;
    return 0;
#else
    return -ENOTSUP;
#endif
}
