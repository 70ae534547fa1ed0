/*
 * domclient — the domain-definition benchmark, speaking the libvirt wire
 * protocol by hand.
 *
 * The libvirt client library costs tens of microseconds per call, which
 * would hide the daemon, so this client hand-encodes each call on one unix
 * socket connection and times synchronous round trips.  After the
 * handshake it runs five phases, each timed separately:
 *
 *   define    N x DOMAIN_DEFINE_XML     (bench-0000 ... ; no uuid: the daemon makes one)
 *   list      R x CONNECT_LIST_ALL_DOMAINS with the N domains defined
 *   lookup    N x DOMAIN_LOOKUP_BY_NAME
 *   dumpxml   N x DOMAIN_GET_XML_DESC
 *   undefine  N x DOMAIN_UNDEFINE_FLAGS (flags 0)
 *
 * One warm-up domain is defined, read and undefined first: a daemon's first
 * define may probe the QEMU binary, which is not what the phases measure.
 * Each phase prints one line of key=value pairs on stdout:
 *
 *   phase=define calls=1000 seconds=0.912 ms=0.912 p50_ms=0.880 p99_ms=1.410
 *
 * Replies are checked (names, uuids, counts); an ERROR reply prints the
 * remote_error code, domain and message on stderr and exits 1.  The
 * protocol code is wire.c, shared with wireclient and with no code of the
 * daemons.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define UUID_LEN        16

static const char *opt_socket;
static const char *opt_uri = "qemu:///system";
static const char *opt_prefix = "bench-";
static const char *opt_virt_type = "kvm";
static const char *opt_xml_file;
static long opt_count = 1000;
static long opt_list_reps = 50;
static double opt_timeout = 60;

/* remote_nonnull_domain { string name; opaque uuid[16]; int id; } */
struct dom {
    char *name;
    unsigned char uuid[UUID_LEN];
    int32_t id;
};

static void xb_dom(struct xbuf *b, const struct dom *d)
{
    xb_string(b, d->name);
    xb_opaque(b, d->uuid, UUID_LEN);
    xb_u32(b, (uint32_t)d->id);
}

static void xr_dom(struct xrd *r, struct dom *d)
{
    d->name = xr_string(r, NULL);
    memcpy(d->uuid, xr_take(r, UUID_LEN), UUID_LEN);
    d->id = (int32_t)xr_u32(r);
}

/* ---- the five calls --------------------------------------------------- */

static void define_xml(struct conn *c, const char *xml, const char *name,
                       struct dom *out)
{
    xb_string(begin_call(c, PROC_DEFINE_XML), xml);
    struct xrd r = finish_call(c, PROC_DEFINE_XML);
    xr_dom(&r, out);
    xr_end(&r);
    if (strcmp(out->name, name) != 0)
        die("define of %s answered with domain %s", name, out->name);
}

/* Returns how many of the listed domains have names starting with
 * opt_prefix. */
static long list_all(struct conn *c)
{
    struct xbuf *b = begin_call(c, PROC_LIST_ALL_DOMAINS);
    xb_u32(b, 1); /* need_results */
    xb_u32(b, 0); /* flags */
    struct xrd r = finish_call(c, PROC_LIST_ALL_DOMAINS);
    uint32_t n = xr_u32(&r);
    long ours = 0;
    size_t plen = strlen(opt_prefix);
    for (uint32_t i = 0; i < n; i++) {
        struct dom d;
        xr_dom(&r, &d);
        ours += strncmp(d.name, opt_prefix, plen) == 0;
        free(d.name);
    }
    uint32_t ret = xr_u32(&r);
    xr_end(&r);
    if (ret != n)
        die("CONNECT_LIST_ALL_DOMAINS: %u domains but ret=%u", n, ret);
    return ours;
}

static void lookup_by_name(struct conn *c, const struct dom *want)
{
    xb_string(begin_call(c, PROC_LOOKUP_BY_NAME), want->name);
    struct xrd r = finish_call(c, PROC_LOOKUP_BY_NAME);
    struct dom d;
    xr_dom(&r, &d);
    xr_end(&r);
    if (strcmp(d.name, want->name) != 0 || memcmp(d.uuid, want->uuid, UUID_LEN))
        die("lookup of %s answered with another domain (%s)", want->name, d.name);
    free(d.name);
}

static size_t xml_desc(struct conn *c, const struct dom *d)
{
    struct xbuf *b = begin_call(c, PROC_GET_XML_DESC);
    xb_dom(b, d);
    xb_u32(b, 0); /* flags */
    struct xrd r = finish_call(c, PROC_GET_XML_DESC);
    size_t len;
    char *xml = xr_string(&r, &len);
    xr_end(&r);
    char tag[300];
    snprintf(tag, sizeof(tag), "<name>%s</name>", d->name);
    if (!strstr(xml, tag))
        die("XML of %s has no %s", d->name, tag);
    free(xml);
    return len;
}

static void undefine(struct conn *c, const struct dom *d)
{
    struct xbuf *b = begin_call(c, PROC_UNDEFINE_FLAGS);
    xb_dom(b, d);
    xb_u32(b, 0); /* flags */
    struct xrd r = finish_call(c, PROC_UNDEFINE_FLAGS);
    xr_end(&r);
}

/* ---- the guest XML ---------------------------------------------------- */

/* What virt-install writes for a Debian 12 guest with a qcow2 disk, an
 * install ISO and the default network, less the uuid.  @NAME@, @TYPE@ and
 * @MAC@ are replaced per domain. */
static const char default_template[] =
"<domain type='@TYPE@'>\n"
"  <name>@NAME@</name>\n"
"  <metadata>\n"
"    <libosinfo:libosinfo xmlns:libosinfo='http://libosinfo.org/xmlns/libvirt/domain/1.0'>\n"
"      <libosinfo:os id='http://debian.org/debian/12'/>\n"
"    </libosinfo:libosinfo>\n"
"  </metadata>\n"
"  <memory unit='KiB'>2097152</memory>\n"
"  <currentMemory unit='KiB'>2097152</currentMemory>\n"
"  <vcpu placement='static'>2</vcpu>\n"
"  <os>\n"
"    <type arch='x86_64' machine='q35'>hvm</type>\n"
"    <boot dev='hd'/>\n"
"  </os>\n"
"  <features>\n"
"    <acpi/>\n"
"    <apic/>\n"
"    <vmport state='off'/>\n"
"  </features>\n"
"  <cpu mode='host-passthrough' check='none' migratable='on'/>\n"
"  <clock offset='utc'>\n"
"    <timer name='rtc' tickpolicy='catchup'/>\n"
"    <timer name='pit' tickpolicy='delay'/>\n"
"    <timer name='hpet' present='no'/>\n"
"  </clock>\n"
"  <on_poweroff>destroy</on_poweroff>\n"
"  <on_reboot>restart</on_reboot>\n"
"  <on_crash>destroy</on_crash>\n"
"  <pm>\n"
"    <suspend-to-mem enabled='no'/>\n"
"    <suspend-to-disk enabled='no'/>\n"
"  </pm>\n"
"  <devices>\n"
"    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
"    <disk type='file' device='disk'>\n"
"      <driver name='qemu' type='qcow2' discard='unmap'/>\n"
"      <source file='/var/lib/libvirt/images/@NAME@.qcow2'/>\n"
"      <target dev='vda' bus='virtio'/>\n"
"    </disk>\n"
"    <disk type='file' device='cdrom'>\n"
"      <driver name='qemu' type='raw'/>\n"
"      <source file='/var/lib/libvirt/images/debian-12.8.0-amd64-netinst.iso'/>\n"
"      <target dev='sda' bus='sata'/>\n"
"      <readonly/>\n"
"    </disk>\n"
"    <controller type='usb' model='qemu-xhci' ports='15'/>\n"
"    <controller type='virtio-serial'/>\n"
"    <interface type='network'>\n"
"      <mac address='@MAC@'/>\n"
"      <source network='default'/>\n"
"      <model type='virtio'/>\n"
"    </interface>\n"
"    <serial type='pty'>\n"
"      <target type='isa-serial' port='0'/>\n"
"    </serial>\n"
"    <console type='pty'>\n"
"      <target type='serial' port='0'/>\n"
"    </console>\n"
"    <channel type='unix'>\n"
"      <target type='virtio' name='org.qemu.guest_agent.0'/>\n"
"    </channel>\n"
"    <input type='tablet' bus='usb'/>\n"
"    <input type='mouse' bus='ps2'/>\n"
"    <input type='keyboard' bus='ps2'/>\n"
"    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'>\n"
"      <listen type='address' address='127.0.0.1'/>\n"
"    </graphics>\n"
"    <video>\n"
"      <model type='virtio' heads='1' primary='yes'/>\n"
"    </video>\n"
"    <memballoon model='virtio'/>\n"
"    <rng model='virtio'>\n"
"      <backend model='random'>/dev/urandom</backend>\n"
"    </rng>\n"
"  </devices>\n"
"</domain>\n";

/* Copy tmpl with every @KEY@ of keys[] replaced by vals[]. */
static char *expand(const char *tmpl, const char *const keys[],
                    const char *const vals[], int nkeys)
{
    struct xbuf b = { 0 };
    for (const char *p = tmpl; *p;) {
        int k;
        for (k = 0; k < nkeys; k++)
            if (strncmp(p, keys[k], strlen(keys[k])) == 0)
                break;
        if (k < nkeys) {
            size_t vlen = strlen(vals[k]);
            memcpy(xb_grow(&b, vlen), vals[k], vlen);
            p += strlen(keys[k]);
        } else {
            *xb_grow(&b, 1) = (unsigned char)*p++;
        }
    }
    *xb_grow(&b, 1) = '\0';
    return (char *)b.p;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("%s: %s", path, strerror(errno));
    struct xbuf b = { 0 };
    size_t n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        memcpy(xb_grow(&b, n), chunk, n);
    if (ferror(f))
        die("%s: read error", path);
    fclose(f);
    *xb_grow(&b, 1) = '\0';
    return (char *)b.p;
}

static char *domain_xml(const char *tmpl, const char *name, long i)
{
    static const char *const keys[] = { "@NAME@", "@TYPE@", "@MAC@" };
    char mac[32];
    snprintf(mac, sizeof(mac), "52:54:00:%02lx:%02lx:%02lx",
             (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
    const char *const vals[] = { name, opt_virt_type, mac };
    return expand(tmpl, keys, vals, 3);
}

/* ---- timing ----------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n-1]. */
static double percentile(const double *v, long n, double pct)
{
    long rank = (long)(pct / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    return v[(rank > n ? n : rank) - 1];
}

struct phase {
    const char *name;
    double *lat; /* per-call seconds */
    long n;
    double t0;
};

static void phase_begin(struct phase *ph, const char *name, long calls)
{
    *ph = (struct phase){ .name = name, .lat = xmalloc(sizeof(double) * (size_t)calls) };
    ph->t0 = now_sec();
}

static void phase_end(struct phase *ph)
{
    double total = now_sec() - ph->t0;
    qsort(ph->lat, (size_t)ph->n, sizeof(double), cmp_double);
    printf("phase=%s calls=%ld seconds=%.4f ms=%.4f p50_ms=%.4f p99_ms=%.4f "
           "max_ms=%.4f\n", ph->name, ph->n, total, total / (double)ph->n * 1e3,
           percentile(ph->lat, ph->n, 50) * 1e3, percentile(ph->lat, ph->n, 99) * 1e3,
           ph->lat[ph->n - 1] * 1e3);
    fflush(stdout);
    free(ph->lat);
}

/* ---- main ------------------------------------------------------------- */

static void __attribute__((noreturn)) usage(int code)
{
    fprintf(code ? stderr : stdout,
        "usage: domclient --socket PATH [--uri URI] [-n N] [--list-reps R]\n"
        "                 [--prefix P] [--virt-type kvm|qemu] [--xml FILE]\n"
        "                 [--timeout S]\n"
        "  -n N          domains to define, look up, dump and undefine (1000)\n"
        "  --list-reps R CONNECT_LIST_ALL_DOMAINS calls with N defined (50)\n"
        "  --prefix P    domain names are P0000, P0001, ... (bench-)\n"
        "  --virt-type T <domain type='T'> of the built-in XML (kvm)\n"
        "  --xml FILE    a template instead of the built-in virt-install style XML;\n"
        "                @NAME@, @TYPE@ and @MAC@ are replaced for each domain\n"
        "  --timeout S   give up on a silent server after S seconds (60)\n");
    exit(code);
}

int main(int argc, char **argv)
{
    enum { O_REPS = 256, O_PREFIX, O_TYPE, O_XML, O_TIMEOUT };
    static const struct option opts[] = {
        { "socket",    required_argument, NULL, 's' },
        { "uri",       required_argument, NULL, 'u' },
        { "count",     required_argument, NULL, 'n' },
        { "list-reps", required_argument, NULL, O_REPS },
        { "prefix",    required_argument, NULL, O_PREFIX },
        { "virt-type", required_argument, NULL, O_TYPE },
        { "xml",       required_argument, NULL, O_XML },
        { "timeout",   required_argument, NULL, O_TIMEOUT },
        { "help",      no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int o;

    wire_prog = "domclient";
    while ((o = getopt_long(argc, argv, "s:u:n:h", opts, NULL)) != -1) {
        switch (o) {
        case 's': opt_socket = optarg; break;
        case 'u': opt_uri = optarg; break;
        case 'n': opt_count = atol(optarg); break;
        case O_REPS: opt_list_reps = atol(optarg); break;
        case O_PREFIX: opt_prefix = optarg; break;
        case O_TYPE: opt_virt_type = optarg; break;
        case O_XML: opt_xml_file = optarg; break;
        case O_TIMEOUT: opt_timeout = atof(optarg); break;
        case 'h': usage(0);
        default: usage(2);
        }
    }
    if (!opt_socket || optind != argc)
        usage(2);
    if (opt_count < 1 || opt_count > 1000000 || opt_list_reps < 1 ||
        opt_timeout < 1 || strlen(opt_prefix) > 200)
        die("bad -n, --list-reps, --timeout or --prefix value");

    const char *tmpl = opt_xml_file ? read_file(opt_xml_file) : default_template;
    long n = opt_count;
    struct dom *doms = xmalloc(sizeof(*doms) * (size_t)n);
    char **xmls = xmalloc(sizeof(*xmls) * (size_t)n);
    char name[256];
    for (long i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%s%04ld", opt_prefix, i);
        xmls[i] = domain_xml(tmpl, name, i);
    }

    struct conn c;
    conn_open(&c, opt_socket, opt_timeout);
    wire_handshake(&c, opt_uri, 0);

    /* Warm-up, untimed in the phases: the first define may probe QEMU. */
    snprintf(name, sizeof(name), "%swarmup", opt_prefix);
    char *xml = domain_xml(tmpl, name, 0xffffff);
    struct dom warm;
    double t = now_sec();
    define_xml(&c, xml, name, &warm);
    double warm_ms = (now_sec() - t) * 1e3;
    lookup_by_name(&c, &warm);
    xml_desc(&c, &warm);
    undefine(&c, &warm);
    long before = list_all(&c);
    if (before)
        die("%ld domains named %s* exist already; undefine them first",
            before, opt_prefix);
    printf("domains=%ld xml_bytes=%zu warmup_define_ms=%.3f\n", n,
           strlen(xmls[0]), warm_ms);
    free(xml);
    free(warm.name);

    struct phase ph;
    size_t xml_out = 0;
    phase_begin(&ph, "define", n);
    for (long i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%s%04ld", opt_prefix, i);
        double t0 = now_sec();
        define_xml(&c, xmls[i], name, &doms[i]);
        ph.lat[ph.n++] = now_sec() - t0;
    }
    phase_end(&ph);

    phase_begin(&ph, "list", opt_list_reps);
    for (long i = 0; i < opt_list_reps; i++) {
        double t0 = now_sec();
        long got = list_all(&c);
        ph.lat[ph.n++] = now_sec() - t0;
        if (got != n)
            die("CONNECT_LIST_ALL_DOMAINS listed %ld of the %ld domains", got, n);
    }
    phase_end(&ph);

    phase_begin(&ph, "lookup", n);
    for (long i = 0; i < n; i++) {
        double t0 = now_sec();
        lookup_by_name(&c, &doms[i]);
        ph.lat[ph.n++] = now_sec() - t0;
    }
    phase_end(&ph);

    phase_begin(&ph, "dumpxml", n);
    for (long i = 0; i < n; i++) {
        double t0 = now_sec();
        xml_out += xml_desc(&c, &doms[i]);
        ph.lat[ph.n++] = now_sec() - t0;
    }
    phase_end(&ph);

    phase_begin(&ph, "undefine", n);
    for (long i = 0; i < n; i++) {
        double t0 = now_sec();
        undefine(&c, &doms[i]);
        ph.lat[ph.n++] = now_sec() - t0;
    }
    phase_end(&ph);

    long left = list_all(&c);
    if (left)
        die("%ld domains named %s* remain after undefine", left, opt_prefix);
    printf("dumpxml_bytes=%zu\n", xml_out / (size_t)n);

    for (long i = 0; i < n; i++) {
        free(doms[i].name);
        free(xmls[i]);
    }
    free(doms);
    free(xmls);
    conn_close(&c);
    return 0;
}
