/*
 * The hypervisor owner's handlers (common/remote/remote_hypervisor.c,
 * remote_domain.c) over the wire: a call encoded as a libvirt client
 * encodes it goes through the real server, gate and handler
 * (server_fixture.h) to a fake driver table that records what it was
 * called with and answers canned results; the reply is decoded with the
 * same XDR routines.  Each group checks that the arguments reach the
 * driver as sent (and which flags a legacy call asks for) and that the
 * results come back in libvirt's layouts.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mv_remote.h"
#include "rpc/message.h"
#include "server_fixture.h"
#include "test.h"

/* virConnectListAllDomains flags, virDomainModificationImpact, ... as
 * libvirt's public headers have them. */
#define LIST_ACTIVE 1u
#define LIST_INACTIVE 2u
#define LIST_PERSISTENT 4u
#define AFFECT_LIVE 1u
#define AFFECT_CONFIG 2u
#define MEM_MAXIMUM 4u
#define XML_SECURE 1u
#define XML_INACTIVE 2u

static const unsigned char uuid_guest[16] = {
    0x4d, 0xea, 0x22, 0xb3, 0x1d, 0x52, 0xd8, 0xf3, 0x2c, 0x13, 0x0a, 0xc9, 0x9e, 0x6e, 0x02, 0x5f,
};
static const unsigned char uuid_found[16] = {
    0xf0, 0x0d, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0xff,
};

/*----- the fake driver: records the last call, answers canned results -----*/

/* What the last driver function got.  Handlers that are not 'prio' run
 * on a worker thread: every access holds the lock. */
static struct {
    const char *fn;             /* the driver function */
    unsigned calls;             /* driver calls in all */
    bool readonly;              /* the session it was called for */
    bool has_dom;
    char dom_name[64];          /* the domain reference it was given */
    unsigned char dom_uuid[16];
    int dom_id;
    unsigned flags;
    char *str;                  /* the main string: xml, name, type, value, new name */
    char *key, *uri;            /* metadata's other strings */
    bool str_set, key_set, uri_set;    /* false: the driver got NULL */
    long long num;              /* the main number: kib, vcpus, id, start, autostart, type */
    long long num2;             /* the second: max cells, device op */
} seen;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* What the driver answers. */
static struct {
    int fail;                   /* < 0: every function fails with this errno */
    mv_node_info node;
    mv_domain_ref *domains;     /* the list it returns */
    size_t n_domains;
    int n_cells;                /* cells it fills, at most max */
    const char *secmodel, *secdoi;
} canned;

static void seen_reset(void)
{
    pthread_mutex_lock(&lock);
    free(seen.str);
    free(seen.key);
    free(seen.uri);
    seen = (typeof(seen)){ 0 };
    pthread_mutex_unlock(&lock);
}

static void record_str(char **to, bool *set, const char *s)
{
    free(*to);
    *to = s ? strdup(s) : NULL;
    *set = s != NULL;
}

/* Record the call; returns the canned failure, recorded with
 * mv_error_report as a real driver does, or 0. */
static int enter(const mv_session *sess, const char *fn, const mv_domain_ref *dom)
{
    pthread_mutex_lock(&lock);
    seen.fn = fn;
    seen.calls++;
    seen.readonly = sess->readonly;
    seen.has_dom = dom != NULL;
    if (dom) {
        snprintf(seen.dom_name, sizeof(seen.dom_name), "%s", dom->name ? dom->name : "(null)");
        memcpy(seen.dom_uuid, dom->uuid, 16);
        seen.dom_id = dom->id;
    }
    pthread_mutex_unlock(&lock);
    if (canned.fail < 0)
        return mv_error_report(canned.fail, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
                               "no domain with matching uuid "
                               "'4dea22b3-1d52-d8f3-2c13-0ac99e6e025f' (%s)",
                               dom && dom->name ? dom->name : "?");
    return 0;
}

static void record(unsigned flags, const char *str, long long num, long long num2)
{
    pthread_mutex_lock(&lock);
    seen.flags = flags;
    record_str(&seen.str, &seen.str_set, str);
    seen.num = num;
    seen.num2 = num2;
    pthread_mutex_unlock(&lock);
}

static int drv_open(const mv_session *sess, const char *path)
{
    return 0;
}

static int drv_get_version(const mv_session *sess, unsigned long long *ret)
{
    int r = enter(sess, "connect_get_version", NULL);

    if (r >= 0)
        *ret = 9000001;     /* 9.0.1 */
    return r;
}

static int drv_get_max_vcpus(const mv_session *sess, const char *type, int *ret)
{
    int r = enter(sess, "connect_get_max_vcpus", NULL);

    record(0, type, 0, 0);
    if (r >= 0)
        *ret = type ? 16 : 288;
    return r;
}

static int drv_get_capabilities(const mv_session *sess, char **ret)
{
    int r = enter(sess, "connect_get_capabilities", NULL);

    if (r >= 0)
        *ret = strdup("<capabilities><host/></capabilities>");
    return r;
}

static int drv_get_sysinfo(const mv_session *sess, unsigned flags, char **ret)
{
    int r = enter(sess, "connect_get_sysinfo", NULL);

    record(flags, NULL, 0, 0);
    if (r >= 0)
        *ret = strdup("<sysinfo type='smbios'/>");
    return r;
}

static int drv_get_hostname(const mv_session *sess, char **ret)
{
    int r = enter(sess, "connect_get_hostname", NULL);

    if (r >= 0)
        *ret = strdup("host.example.org");
    return r;
}

/* Writes the fields it knows and nothing else, as a driver may: the
 * model's bytes past its NUL are not its business. */
static int drv_node_get_info(const mv_session *sess, mv_node_info *ret)
{
    int r = enter(sess, "node_get_info", NULL);

    if (r < 0)
        return r;
    memcpy(ret->model, canned.node.model, strnlen(canned.node.model, sizeof(ret->model)));
    if (strnlen(canned.node.model, sizeof(ret->model)) < sizeof(ret->model))
        ret->model[strlen(canned.node.model)] = '\0';
    ret->memory_kib = canned.node.memory_kib;
    ret->cpus = canned.node.cpus;
    ret->mhz = canned.node.mhz;
    ret->nodes = canned.node.nodes;
    ret->sockets = canned.node.sockets;
    ret->cores = canned.node.cores;
    ret->threads = canned.node.threads;
    return 0;
}

static int drv_free_memory(const mv_session *sess, unsigned long long *ret)
{
    int r = enter(sess, "node_get_free_memory", NULL);

    if (r >= 0)
        *ret = 123456789012ULL;
    return r;
}

static int drv_cells_free_memory(const mv_session *sess, int start, int max,
                                 unsigned long long *cells, int *ret_n)
{
    int r = enter(sess, "node_get_cells_free_memory", NULL);
    int n = canned.n_cells < max ? canned.n_cells : max;

    record(0, NULL, start, max);
    if (r < 0)
        return r;
    for (int i = 0; i < n; i++)
        cells[i] = (unsigned long long)(start + i) << 32 | 0x1000u;
    *ret_n = n;
    return 0;
}

static int drv_list_all(const mv_session *sess, unsigned flags, mv_domain_ref **ret,
                        size_t *ret_n)
{
    int r = enter(sess, "connect_list_all_domains", NULL);
    mv_domain_ref *refs;

    record(flags, NULL, 0, 0);
    if (r < 0)
        return r;
    refs = calloc(canned.n_domains ? canned.n_domains : 1, sizeof(*refs));
    if (!refs)
        return -ENOMEM;
    for (size_t i = 0; i < canned.n_domains; i++) {
        refs[i] = canned.domains[i];
        refs[i].name = strdup(canned.domains[i].name);
    }
    *ret = refs;
    *ret_n = canned.n_domains;
    return 0;
}

static int drv_security_model(const mv_session *sess, char **ret_model, char **ret_doi)
{
    int r = enter(sess, "node_get_security_model", NULL);

    if (r < 0)
        return r;
    *ret_model = strdup(canned.secmodel);
    *ret_doi = strdup(canned.secdoi);
    return 0;
}

/* The reference every lookup and define answers: another domain than the
 * one asked about, so that the reply shows it is the driver's. */
static void found(mv_domain_ref *ret, const char *name, int id)
{
    ret->name = strdup(name);
    memcpy(ret->uuid, uuid_found, 16);
    ret->id = id;
}

static int drv_lookup_by_name(const mv_session *sess, const char *name, mv_domain_ref *ret)
{
    int r = enter(sess, "domain_lookup_by_name", NULL);

    record(0, name, 0, 0);
    if (r >= 0)
        found(ret, "by-name", 11);
    return r;
}

static int drv_lookup_by_uuid(const mv_session *sess, const unsigned char *uuid, mv_domain_ref *ret)
{
    int r = enter(sess, "domain_lookup_by_uuid", NULL);

    pthread_mutex_lock(&lock);
    memcpy(seen.dom_uuid, uuid, 16);
    pthread_mutex_unlock(&lock);
    if (r >= 0)
        found(ret, "by-uuid", -1);
    return r;
}

static int drv_lookup_by_id(const mv_session *sess, int id, mv_domain_ref *ret)
{
    int r = enter(sess, "domain_lookup_by_id", NULL);

    record(0, NULL, id, 0);
    if (r >= 0)
        found(ret, "by-id", id);
    return r;
}

static int drv_define(const mv_session *sess, const char *xml, unsigned flags, mv_domain_ref *ret)
{
    int r = enter(sess, "domain_define_xml", NULL);

    record(flags, xml, 0, 0);
    if (r >= 0)
        found(ret, "defined", -1);
    return r;
}

static int drv_undefine(const mv_session *sess, const mv_domain_ref *dom, unsigned flags)
{
    int r = enter(sess, "domain_undefine", dom);

    record(flags, NULL, 0, 0);
    return r;
}

static int drv_get_xml_desc(const mv_session *sess, const mv_domain_ref *dom, unsigned flags,
                            char **ret)
{
    int r = enter(sess, "domain_get_xml_desc", dom);

    record(flags, NULL, 0, 0);
    if (r >= 0)
        *ret = strdup("<domain type='kvm'><name>guest</name></domain>");
    return r;
}

static int drv_get_info(const mv_session *sess, const mv_domain_ref *dom, mv_domain_info *ret)
{
    int r = enter(sess, "domain_get_info", dom);

    if (r >= 0)
        *ret = (mv_domain_info){ .state = 3, .max_mem_kib = 8388608, .memory_kib = 2097152,
                                 .nr_vcpus = 6, .cpu_time_ns = 987654321012345ULL };
    return r;
}

static int drv_get_state(const mv_session *sess, const mv_domain_ref *dom, unsigned flags,
                         int *ret_state, int *ret_reason)
{
    int r = enter(sess, "domain_get_state", dom);

    record(flags, NULL, 0, 0);
    if (r >= 0) {
        *ret_state = 3;     /* VIR_DOMAIN_PAUSED */
        *ret_reason = 2;    /* VIR_DOMAIN_PAUSED_MIGRATION */
    }
    return r;
}

static int drv_get_autostart(const mv_session *sess, const mv_domain_ref *dom, int *ret)
{
    int r = enter(sess, "domain_get_autostart", dom);

    if (r >= 0)
        *ret = 1;
    return r;
}

static int drv_set_autostart(const mv_session *sess, const mv_domain_ref *dom, int autostart)
{
    int r = enter(sess, "domain_set_autostart", dom);

    record(0, NULL, autostart, 0);
    return r;
}

static mv_domain_flags canned_flags;

static int drv_get_flags(const mv_session *sess, const mv_domain_ref *dom, mv_domain_flags *ret)
{
    int r = enter(sess, "domain_get_flags", dom);

    if (r >= 0)
        *ret = canned_flags;
    return r;
}

static int drv_set_memory(const mv_session *sess, const mv_domain_ref *dom, unsigned long long kib,
                          unsigned flags)
{
    int r = enter(sess, "domain_set_memory", dom);

    record(flags, NULL, (long long)kib, 0);
    return r;
}

static int drv_set_vcpus(const mv_session *sess, const mv_domain_ref *dom, unsigned n,
                         unsigned flags)
{
    int r = enter(sess, "domain_set_vcpus", dom);

    record(flags, NULL, n, 0);
    return r;
}

static int drv_get_vcpus(const mv_session *sess, const mv_domain_ref *dom, unsigned flags, int *ret)
{
    int r = enter(sess, "domain_get_vcpus", dom);

    record(flags, NULL, 0, 0);
    if (r >= 0)
        *ret = flags & 4u ? 8 : 3;
    return r;
}

static int drv_set_metadata(const mv_session *sess, const mv_domain_ref *dom, int type,
                            const char *value, const char *key, const char *uri, unsigned flags)
{
    int r = enter(sess, "domain_set_metadata", dom);

    record(flags, value, type, 0);
    pthread_mutex_lock(&lock);
    record_str(&seen.key, &seen.key_set, key);
    record_str(&seen.uri, &seen.uri_set, uri);
    pthread_mutex_unlock(&lock);
    return r;
}

static int drv_get_metadata(const mv_session *sess, const mv_domain_ref *dom, int type,
                            const char *uri, unsigned flags, char **ret)
{
    int r = enter(sess, "domain_get_metadata", dom);

    record(flags, NULL, type, 0);
    pthread_mutex_lock(&lock);
    record_str(&seen.uri, &seen.uri_set, uri);
    pthread_mutex_unlock(&lock);
    if (r >= 0)
        *ret = strdup(uri ? "<app xmlns='http://example.org/'/>" : "a description");
    return r;
}

static int drv_change_device(const mv_session *sess, const mv_domain_ref *dom, int op,
                             const char *xml, unsigned flags)
{
    int r = enter(sess, "domain_change_device", dom);

    record(flags, xml, 0, op);
    return r;
}

static int drv_rename(const mv_session *sess, const mv_domain_ref *dom, const char *new_name,
                      unsigned flags)
{
    int r = enter(sess, "domain_rename", dom);

    record(flags, new_name, 0, 0);
    return r;
}

static int drv_managed_save_remove(const mv_session *sess, const mv_domain_ref *dom,
                                   unsigned flags)
{
    int r = enter(sess, "domain_managed_save_remove", dom);

    record(flags, NULL, 0, 0);
    return r;
}

static const mv_hypervisor_driver fake_driver = {
    .name = "FAKE",
    .scheme = "test",
    .connect_open = drv_open,
    .connect_get_version = drv_get_version,
    .connect_get_max_vcpus = drv_get_max_vcpus,
    .connect_get_capabilities = drv_get_capabilities,
    .connect_get_sysinfo = drv_get_sysinfo,
    .connect_get_hostname = drv_get_hostname,
    .node_get_info = drv_node_get_info,
    .node_get_free_memory = drv_free_memory,
    .node_get_cells_free_memory = drv_cells_free_memory,
    .connect_list_all_domains = drv_list_all,
    .node_get_security_model = drv_security_model,
    .domain_lookup_by_name = drv_lookup_by_name,
    .domain_lookup_by_uuid = drv_lookup_by_uuid,
    .domain_lookup_by_id = drv_lookup_by_id,
    .domain_define_xml = drv_define,
    .domain_undefine = drv_undefine,
    .domain_get_xml_desc = drv_get_xml_desc,
    .domain_get_info = drv_get_info,
    .domain_get_state = drv_get_state,
    .domain_get_autostart = drv_get_autostart,
    .domain_set_autostart = drv_set_autostart,
    .domain_get_flags = drv_get_flags,
    .domain_set_memory = drv_set_memory,
    .domain_set_vcpus = drv_set_vcpus,
    .domain_get_vcpus = drv_get_vcpus,
    .domain_set_metadata = drv_set_metadata,
    .domain_get_metadata = drv_get_metadata,
    .domain_change_device = drv_change_device,
    .domain_rename = drv_rename,
    .domain_managed_save_remove = drv_managed_save_remove,
};

/* A driver with only what opening needs. */
static const mv_hypervisor_driver bare_driver = {
    .name = "BARE",
    .scheme = "test",
    .connect_open = drv_open,
};

/*----- the server, calls and replies -----*/

static sd_event *event;
static fixture fx;
static int rw, ro;              /* a read-write and a read-only client */
static uint32_t serial;

static int open_client(mv_listener_kind kind)
{
    char *uri = "test:///default";
    mv_connect_open_args args = { .name = &uri,
                                  .flags = kind == MV_LISTENER_RO ? MV_CONNECT_RO : 0 };
    static uint8_t buf[4096];
    int fd = fixture_client(&fx, kind, 0);
    mv_header h;

    CHECK(fd >= 0);
    CHECK_INT(fixture_call(fd, MV_PROC_CONNECT_OPEN, ++serial,
                           (xdrproc_t)xdr_mv_connect_open_args, &args), 0);
    CHECK(fixture_read_packet(event, fd, buf, sizeof(buf), &h) > 0);
    CHECK_INT(h.status, MV_STATUS_OK);
    return fd;
}

static void setup(const mv_hypervisor_driver *hv)
{
    mv_server_config cfg;

    mv_server_config_defaults(&cfg);
    cfg.max_workers = 2;        /* calls that are not prio really run on a worker */
    cfg.keepalive_interval = 0;
    CHECK_INT(sd_event_new(&event) >= 0, 1);
    CHECK_INT(fixture_new(event, &cfg, hv, &fx), 0);
    rw = open_client(MV_LISTENER_RW);
    ro = open_client(MV_LISTENER_RO);
    seen_reset();
    canned.fail = 0;
}

static void teardown(void)
{
    close(rw);
    close(ro);
    fixture_free(&fx);
    sd_event_unref(event);
    event = NULL;
    seen_reset();
}

/* Send a call of proc on fd and read its reply: decoded into ret with
 * rxdr when it succeeded (0), or its error into *err (-1; free with
 * mv_body_free). */
static int rpc(int fd, int proc, xdrproc_t axdr, void *args, xdrproc_t rxdr, void *ret,
               mv_error_body *err)
{
    static uint8_t buf[1 << 16];
    uint32_t s = ++serial;
    size_t len;
    mv_header h;

    CHECK_INT(fixture_call(fd, proc, s, axdr, args), 0);
    len = fixture_read_packet(event, fd, buf, sizeof(buf), &h);
    CHECK(len > 0);
    if (!len)
        return -2;
    CHECK_INT(h.type, MV_MESSAGE_REPLY);
    CHECK_INT(h.proc, proc);
    CHECK_INT(h.serial, s);
    if (h.status != MV_STATUS_OK) {
        mv_error_body e = { 0 };

        CHECK_INT(mv_body_decode(buf + MV_PACKET_MIN, len - MV_PACKET_MIN,
                                 (xdrproc_t)xdr_mv_error_body, &e), 0);
        if (err)
            *err = e;
        else
            mv_body_free((xdrproc_t)xdr_mv_error_body, &e);
        return -1;
    }
    if (rxdr)
        CHECK_INT(mv_body_decode(buf + MV_PACKET_MIN, len - MV_PACKET_MIN, rxdr, ret), 0);
    else
        CHECK_INT(len, MV_PACKET_MIN);      /* a call with no result has an empty body */
    return 0;
}

/* A call that must succeed; its result decoded into ret. */
#define OK(fd, proc, args, ret)                                                 \
    ok_(__LINE__, fd, proc, args_xdr_##proc, args, ret_xdr_##proc, ret)

static void ok_(int line, int fd, int proc, xdrproc_t axdr, void *args, xdrproc_t rxdr, void *ret)
{
    mv_error_body e = { 0 };

    if (rpc(fd, proc, axdr, args, rxdr, ret, &e) == -1) {
        fprintf(stderr, "%s:%d: procedure %d failed: error %d: %s\n", __FILE__, line, proc,
                e.code, e.message ? *e.message : "(none)");
        test_failures++;
        mv_body_free((xdrproc_t)xdr_mv_error_body, &e);
    }
}

/* A call that must fail with code, domain and the exact message. */
#define FAILS(fd, proc, args, code, domain, message)                            \
    fails_(__LINE__, fd, proc, args_xdr_##proc, args, code, domain, message)

static void fails_(int line, int fd, int proc, xdrproc_t axdr, void *args, int code, int domain,
                   const char *message)
{
    mv_error_body e = { 0 };

    if (rpc(fd, proc, axdr, args, NULL, NULL, &e) != -1) {
        fprintf(stderr, "%s:%d: procedure %d succeeded, expected error %d\n", __FILE__, line,
                proc, code);
        test_failures++;
        return;
    }
    if (e.code != code || e.domain != domain || !e.message || strcmp(*e.message, message) != 0) {
        fprintf(stderr, "%s:%d: procedure %d: error %d/%d \"%s\", expected %d/%d \"%s\"\n",
                __FILE__, line, proc, e.code, e.domain, e.message ? *e.message : "(none)",
                code, domain, message);
        test_failures++;
    }
    mv_body_free((xdrproc_t)xdr_mv_error_body, &e);
}

/* The XDR routines of each procedure used, for OK() and FAILS(). */
#define XDR_OF(proc, a, r)                                                      \
    static const xdrproc_t args_xdr_##proc = (xdrproc_t)(a);                    \
    static const xdrproc_t ret_xdr_##proc = (xdrproc_t)(r)
XDR_OF(MV_PROC_CONNECT_GET_TYPE, NULL, xdr_mv_connect_get_type_ret);
XDR_OF(MV_PROC_CONNECT_GET_VERSION, NULL, xdr_mv_connect_get_version_ret);
XDR_OF(MV_PROC_CONNECT_GET_MAX_VCPUS, xdr_mv_connect_get_max_vcpus_args,
       xdr_mv_connect_get_max_vcpus_ret);
XDR_OF(MV_PROC_NODE_GET_INFO, NULL, xdr_mv_node_get_info_ret);
XDR_OF(MV_PROC_CONNECT_GET_CAPABILITIES, NULL, xdr_mv_connect_get_capabilities_ret);
XDR_OF(MV_PROC_CONNECT_GET_HOSTNAME, NULL, xdr_mv_connect_get_hostname_ret);
XDR_OF(MV_PROC_CONNECT_GET_SYSINFO, xdr_mv_connect_get_sysinfo_args,
       xdr_mv_connect_get_sysinfo_ret);
XDR_OF(MV_PROC_NODE_GET_CELLS_FREE_MEMORY, xdr_mv_node_get_cells_free_memory_args,
       xdr_mv_node_get_cells_free_memory_ret);
XDR_OF(MV_PROC_NODE_GET_FREE_MEMORY, NULL, xdr_mv_node_get_free_memory_ret);
XDR_OF(MV_PROC_NODE_GET_SECURITY_MODEL, NULL, xdr_mv_node_get_security_model_ret);
XDR_OF(MV_PROC_CONNECT_LIST_ALL_DOMAINS, xdr_mv_connect_list_all_domains_args,
       xdr_mv_connect_list_all_domains_ret);
XDR_OF(MV_PROC_CONNECT_LIST_DOMAINS, xdr_mv_connect_list_domains_args,
       xdr_mv_connect_list_domains_ret);
XDR_OF(MV_PROC_CONNECT_LIST_DEFINED_DOMAINS, xdr_mv_connect_list_defined_domains_args,
       xdr_mv_connect_list_defined_domains_ret);
XDR_OF(MV_PROC_CONNECT_NUM_OF_DOMAINS, NULL, xdr_mv_connect_num_of_domains_ret);
XDR_OF(MV_PROC_CONNECT_NUM_OF_DEFINED_DOMAINS, NULL, xdr_mv_connect_num_of_defined_domains_ret);
XDR_OF(MV_PROC_DOMAIN_LOOKUP_BY_NAME, xdr_mv_domain_lookup_by_name_args,
       xdr_mv_domain_lookup_by_name_ret);
XDR_OF(MV_PROC_DOMAIN_LOOKUP_BY_UUID, xdr_mv_domain_lookup_by_uuid_args,
       xdr_mv_domain_lookup_by_uuid_ret);
XDR_OF(MV_PROC_DOMAIN_LOOKUP_BY_ID, xdr_mv_domain_lookup_by_id_args,
       xdr_mv_domain_lookup_by_id_ret);
XDR_OF(MV_PROC_DOMAIN_DEFINE_XML, xdr_mv_domain_define_xml_args, xdr_mv_domain_define_xml_ret);
XDR_OF(MV_PROC_DOMAIN_DEFINE_XML_FLAGS, xdr_mv_domain_define_xml_flags_args,
       xdr_mv_domain_define_xml_flags_ret);
XDR_OF(MV_PROC_DOMAIN_UNDEFINE, xdr_mv_domain_undefine_args, NULL);
XDR_OF(MV_PROC_DOMAIN_UNDEFINE_FLAGS, xdr_mv_domain_undefine_flags_args, NULL);
XDR_OF(MV_PROC_DOMAIN_GET_XML_DESC, xdr_mv_domain_get_xml_desc_args,
       xdr_mv_domain_get_xml_desc_ret);
XDR_OF(MV_PROC_DOMAIN_GET_INFO, xdr_mv_domain_get_info_args, xdr_mv_domain_get_info_ret);
XDR_OF(MV_PROC_DOMAIN_GET_STATE, xdr_mv_domain_get_state_args, xdr_mv_domain_get_state_ret);
XDR_OF(MV_PROC_DOMAIN_IS_ACTIVE, xdr_mv_domain_is_active_args, xdr_mv_domain_is_active_ret);
XDR_OF(MV_PROC_DOMAIN_IS_PERSISTENT, xdr_mv_domain_is_persistent_args,
       xdr_mv_domain_is_persistent_ret);
XDR_OF(MV_PROC_DOMAIN_IS_UPDATED, xdr_mv_domain_is_updated_args, xdr_mv_domain_is_updated_ret);
XDR_OF(MV_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, xdr_mv_domain_has_managed_save_image_args,
       xdr_mv_domain_has_managed_save_image_ret);
XDR_OF(MV_PROC_DOMAIN_SNAPSHOT_NUM, xdr_mv_domain_snapshot_num_args,
       xdr_mv_domain_snapshot_num_ret);
XDR_OF(MV_PROC_DOMAIN_SET_MEMORY, xdr_mv_domain_set_memory_args, NULL);
XDR_OF(MV_PROC_DOMAIN_SET_MAX_MEMORY, xdr_mv_domain_set_max_memory_args, NULL);
XDR_OF(MV_PROC_DOMAIN_SET_MEMORY_FLAGS, xdr_mv_domain_set_memory_flags_args, NULL);
XDR_OF(MV_PROC_DOMAIN_SET_VCPUS_FLAGS, xdr_mv_domain_set_vcpus_flags_args, NULL);
XDR_OF(MV_PROC_DOMAIN_GET_VCPUS_FLAGS, xdr_mv_domain_get_vcpus_flags_args,
       xdr_mv_domain_get_vcpus_flags_ret);
XDR_OF(MV_PROC_DOMAIN_SET_METADATA, xdr_mv_domain_set_metadata_args, NULL);
XDR_OF(MV_PROC_DOMAIN_GET_METADATA, xdr_mv_domain_get_metadata_args,
       xdr_mv_domain_get_metadata_ret);
XDR_OF(MV_PROC_DOMAIN_ATTACH_DEVICE, xdr_mv_domain_attach_device_args, NULL);
XDR_OF(MV_PROC_DOMAIN_DETACH_DEVICE, xdr_mv_domain_detach_device_args, NULL);
XDR_OF(MV_PROC_DOMAIN_ATTACH_DEVICE_FLAGS, xdr_mv_domain_attach_device_flags_args, NULL);
XDR_OF(MV_PROC_DOMAIN_DETACH_DEVICE_FLAGS, xdr_mv_domain_detach_device_flags_args, NULL);
XDR_OF(MV_PROC_DOMAIN_UPDATE_DEVICE_FLAGS, xdr_mv_domain_update_device_flags_args, NULL);
XDR_OF(MV_PROC_DOMAIN_RENAME, xdr_mv_domain_rename_args, xdr_mv_domain_rename_ret);
XDR_OF(MV_PROC_DOMAIN_MANAGED_SAVE_REMOVE, xdr_mv_domain_managed_save_remove_args, NULL);
XDR_OF(MV_PROC_DOMAIN_SET_AUTOSTART, xdr_mv_domain_set_autostart_args, NULL);
XDR_OF(MV_PROC_DOMAIN_GET_AUTOSTART, xdr_mv_domain_get_autostart_args,
       xdr_mv_domain_get_autostart_ret);

/* The domain reference a client sends: "guest", its uuid, id 5. */
static mv_nonnull_domain guest(void)
{
    mv_nonnull_domain d = { .name = "guest", .id = 5 };

    memcpy(d.uuid, uuid_guest, 16);
    return d;
}

/* The last driver call was fn, for the guest reference as sent. */
#define CHECK_CALLED(f) check_called(__LINE__, f, true)
#define CHECK_CALLED_NODOM(f) check_called(__LINE__, f, false)

static void check_called(int line, const char *fn, bool with_dom)
{
    pthread_mutex_lock(&lock);
    if (!seen.fn || strcmp(seen.fn, fn) != 0) {
        fprintf(stderr, "%s:%d: driver function %s called, expected %s\n", __FILE__, line,
                seen.fn ? seen.fn : "(none)", fn);
        test_failures++;
    }
    if (with_dom && (!seen.has_dom || strcmp(seen.dom_name, "guest") != 0 ||
                     memcmp(seen.dom_uuid, uuid_guest, 16) != 0 || seen.dom_id != 5)) {
        fprintf(stderr, "%s:%d: %s got domain '%s' id %d, expected the guest as sent\n",
                __FILE__, line, fn, seen.dom_name, seen.dom_id);
        test_failures++;
    }
    seen.fn = NULL;
    pthread_mutex_unlock(&lock);
}

/* A field of what the driver got, read under the lock (a worker wrote
 * it; no call is running when the test reads). */
#define SEEN(f) ({                                                              \
        pthread_mutex_lock(&lock);                                              \
        typeof(seen.f) _v = seen.f;                                             \
        pthread_mutex_unlock(&lock);                                            \
        _v;                                                                     \
    })

/* The main string argument: NULL when the driver got NULL. */
#define SEEN_STR() (SEEN(str_set) ? SEEN(str) : NULL)

#define CHECK_NULL(p) CHECK((p) == NULL)

/*----- connection calls -----*/

static void test_connection(void)
{
    setup(&fake_driver);

    {
        mv_connect_get_type_ret ret = { 0 };

        OK(rw, MV_PROC_CONNECT_GET_TYPE, NULL, &ret);
        CHECK_STR(ret.type, "FAKE");
        mv_body_free(ret_xdr_MV_PROC_CONNECT_GET_TYPE, &ret);
        CHECK_INT(SEEN(calls), 0);     /* answered from the table's name */
    }
    {
        mv_connect_get_version_ret ret = { 0 };

        OK(ro, MV_PROC_CONNECT_GET_VERSION, NULL, &ret);
        CHECK_CALLED_NODOM("connect_get_version");
        CHECK_INT(ret.hv_ver, 9000001);
        CHECK(SEEN(readonly));           /* the session is the caller's */
    }
    {
        char *kvm = "kvm";
        mv_connect_get_max_vcpus_args args = { .type = NULL };
        mv_connect_get_max_vcpus_ret ret = { 0 };

        OK(rw, MV_PROC_CONNECT_GET_MAX_VCPUS, &args, &ret);
        CHECK_CALLED_NODOM("connect_get_max_vcpus");
        CHECK_NULL(SEEN_STR());
        CHECK_INT(ret.max_vcpus, 288);
        args.type = &kvm;
        OK(rw, MV_PROC_CONNECT_GET_MAX_VCPUS, &args, &ret);
        CHECK_STR(SEEN_STR(), "kvm");
        CHECK_INT(ret.max_vcpus, 16);
    }
    {
        mv_node_get_info_ret ret = { 0 };
        char padded[32] = "x86_64";

        canned.node = (mv_node_info){ .model = "x86_64", .memory_kib = 65747464, .cpus = 16,
                                      .mhz = 3400, .nodes = 2, .sockets = 1, .cores = 4,
                                      .threads = 2 };
        OK(ro, MV_PROC_NODE_GET_INFO, NULL, &ret);
        CHECK_CALLED_NODOM("node_get_info");
        CHECK_MEM(ret.model, padded, 32);       /* NUL-padded to 32 bytes */
        CHECK_INT(ret.memory, 65747464);
        CHECK_INT(ret.cpus, 16);
        CHECK_INT(ret.mhz, 3400);
        CHECK_INT(ret.nodes, 2);
        CHECK_INT(ret.sockets, 1);
        CHECK_INT(ret.cores, 4);
        CHECK_INT(ret.threads, 2);

        /* a model of 32 characters fills the field with no NUL (the
         * client cuts it to 31); a longer one cannot reach the wire */
        memcpy(canned.node.model, "0123456789abcdef0123456789ABCDEF", 32);
        OK(ro, MV_PROC_NODE_GET_INFO, NULL, &ret);
        CHECK_MEM(ret.model, "0123456789abcdef0123456789ABCDEF", 32);
    }
    {
        mv_connect_get_capabilities_ret caps = { 0 };
        mv_connect_get_hostname_ret host = { 0 };
        mv_connect_get_sysinfo_args sargs = { .flags = 0 };
        mv_connect_get_sysinfo_ret sys = { 0 };
        mv_node_get_free_memory_ret mem = { 0 };

        OK(ro, MV_PROC_CONNECT_GET_CAPABILITIES, NULL, &caps);
        CHECK_CALLED_NODOM("connect_get_capabilities");
        CHECK_STR(caps.capabilities, "<capabilities><host/></capabilities>");
        mv_body_free(ret_xdr_MV_PROC_CONNECT_GET_CAPABILITIES, &caps);

        OK(ro, MV_PROC_CONNECT_GET_HOSTNAME, NULL, &host);
        CHECK_CALLED_NODOM("connect_get_hostname");
        CHECK_STR(host.hostname, "host.example.org");
        mv_body_free(ret_xdr_MV_PROC_CONNECT_GET_HOSTNAME, &host);

        sargs.flags = 0x5a;
        OK(rw, MV_PROC_CONNECT_GET_SYSINFO, &sargs, &sys);
        CHECK_CALLED_NODOM("connect_get_sysinfo");
        CHECK_INT(SEEN(flags), 0x5a);
        CHECK_STR(sys.sysinfo, "<sysinfo type='smbios'/>");
        mv_body_free(ret_xdr_MV_PROC_CONNECT_GET_SYSINFO, &sys);

        OK(ro, MV_PROC_NODE_GET_FREE_MEMORY, NULL, &mem);
        CHECK_CALLED_NODOM("node_get_free_memory");
        CHECK_INT(mem.freeMem, 123456789012ULL);
    }
    {
        mv_node_get_cells_free_memory_args args = { .startCell = 1, .maxcells = 8 };
        mv_node_get_cells_free_memory_ret ret = { 0 };

        canned.n_cells = 3;             /* the host has fewer cells than asked */
        OK(ro, MV_PROC_NODE_GET_CELLS_FREE_MEMORY, &args, &ret);
        CHECK_CALLED_NODOM("node_get_cells_free_memory");
        CHECK_INT(SEEN(num), 1);
        CHECK_INT(SEEN(num2), 8);
        CHECK_INT(ret.cells.cells_len, 3);
        if (ret.cells.cells_len == 3) {
            CHECK_INT(ret.cells.cells_val[0], 1ULL << 32 | 0x1000);
            CHECK_INT(ret.cells.cells_val[1], 2ULL << 32 | 0x1000);
            CHECK_INT(ret.cells.cells_val[2], 3ULL << 32 | 0x1000);
        }
        mv_body_free(ret_xdr_MV_PROC_NODE_GET_CELLS_FREE_MEMORY, &ret);

        /* at most as many as asked */
        args = (mv_node_get_cells_free_memory_args){ .startCell = 0, .maxcells = 2 };
        OK(ro, MV_PROC_NODE_GET_CELLS_FREE_MEMORY, &args, &ret);
        CHECK_INT(SEEN(num2), 2);
        CHECK_INT(ret.cells.cells_len, 2);
        mv_body_free(ret_xdr_MV_PROC_NODE_GET_CELLS_FREE_MEMORY, &ret);

        /* a range the handler refuses never reaches the driver */
        seen_reset();
        args = (mv_node_get_cells_free_memory_args){ .startCell = -1, .maxcells = 2 };
        FAILS(ro, MV_PROC_NODE_GET_CELLS_FREE_MEMORY, &args, MV_ERR_INVALID_ARG, MV_FROM_RPC,
              "invalid argument: maxCells must be in the range 1 to 1024 and startCell not "
              "negative");
        args = (mv_node_get_cells_free_memory_args){ .startCell = 0, .maxcells = 1025 };
        FAILS(ro, MV_PROC_NODE_GET_CELLS_FREE_MEMORY, &args, MV_ERR_INVALID_ARG, MV_FROM_RPC,
              "invalid argument: maxCells must be in the range 1 to 1024 and startCell not "
              "negative");
        CHECK_INT(SEEN(calls), 0);
    }
    {
        mv_node_get_security_model_ret ret = { 0 };
        char doi[300];

        /* char arrays that carry their NUL, as libvirt sends them */
        canned.secmodel = "selinux";
        canned.secdoi = "0";
        OK(ro, MV_PROC_NODE_GET_SECURITY_MODEL, NULL, &ret);
        CHECK_CALLED_NODOM("node_get_security_model");
        CHECK_INT(ret.model.model_len, 8);
        CHECK_MEM(ret.model.model_val, "selinux", 8);
        CHECK_INT(ret.doi.doi_len, 2);
        CHECK_MEM(ret.doi.doi_val, "0", 2);
        mv_body_free(ret_xdr_MV_PROC_NODE_GET_SECURITY_MODEL, &ret);

        /* no security driver: empty strings, still with their NUL */
        canned.secmodel = "";
        canned.secdoi = "";
        OK(ro, MV_PROC_NODE_GET_SECURITY_MODEL, NULL, &ret);
        CHECK_INT(ret.model.model_len, 1);
        CHECK_INT(ret.doi.doi_len, 1);
        mv_body_free(ret_xdr_MV_PROC_NODE_GET_SECURITY_MODEL, &ret);

        /* longer than the wire allows: an error, nothing left behind */
        memset(doi, 'd', sizeof(doi) - 1);
        doi[sizeof(doi) - 1] = '\0';
        canned.secmodel = "selinux";
        canned.secdoi = doi;
        FAILS(ro, MV_PROC_NODE_GET_SECURITY_MODEL, NULL, MV_ERR_RPC, MV_FROM_RPC,
              "security string too long");
        canned.secmodel = doi;
        canned.secdoi = "0";
        FAILS(ro, MV_PROC_NODE_GET_SECURITY_MODEL, NULL, MV_ERR_RPC, MV_FROM_RPC,
              "security string too long");
    }
    teardown();
}

/*----- domain lists -----*/

static void set_domains(void)
{
    static mv_domain_ref doms[3] = {
        { .name = "alpha", .uuid = { 0xa1 }, .id = 1 },
        { .name = "beta", .uuid = { 0xb2 }, .id = 7 },
        { .name = "gamma", .uuid = { 0xc3 }, .id = -1 },
    };

    canned.domains = doms;
    canned.n_domains = 3;
}

static void test_lists(void)
{
    const unsigned char ua[16] = { 0xa1 }, ub[16] = { 0xb2 }, uc[16] = { 0xc3 };

    setup(&fake_driver);
    set_domains();
    {
        mv_connect_list_all_domains_args args = { .need_results = 1,
                                                  .flags = LIST_ACTIVE | LIST_PERSISTENT };
        mv_connect_list_all_domains_ret ret = { 0 };

        OK(ro, MV_PROC_CONNECT_LIST_ALL_DOMAINS, &args, &ret);
        CHECK_CALLED_NODOM("connect_list_all_domains");
        CHECK_INT(SEEN(flags), LIST_ACTIVE | LIST_PERSISTENT);
        CHECK_INT(ret.ret, 3);
        CHECK_INT(ret.domains.domains_len, 3);
        if (ret.domains.domains_len == 3) {
            CHECK_STR(ret.domains.domains_val[0].name, "alpha");
            CHECK_MEM(ret.domains.domains_val[0].uuid, ua, 16);
            CHECK_INT(ret.domains.domains_val[0].id, 1);
            CHECK_STR(ret.domains.domains_val[1].name, "beta");
            CHECK_MEM(ret.domains.domains_val[1].uuid, ub, 16);
            CHECK_INT(ret.domains.domains_val[1].id, 7);
            CHECK_STR(ret.domains.domains_val[2].name, "gamma");
            CHECK_MEM(ret.domains.domains_val[2].uuid, uc, 16);
            CHECK_INT(ret.domains.domains_val[2].id, -1);
        }
        mv_body_free(ret_xdr_MV_PROC_CONNECT_LIST_ALL_DOMAINS, &ret);

        /* only the count: virConnectListAllDomains(conn, NULL, flags) */
        args = (mv_connect_list_all_domains_args){ .need_results = 0, .flags = 0x3ff0 };
        OK(ro, MV_PROC_CONNECT_LIST_ALL_DOMAINS, &args, &ret);
        CHECK_INT(SEEN(flags), 0x3ff0);
        CHECK_INT(ret.ret, 3);
        CHECK_INT(ret.domains.domains_len, 0);
        mv_body_free(ret_xdr_MV_PROC_CONNECT_LIST_ALL_DOMAINS, &ret);

        /* none */
        canned.n_domains = 0;
        args.need_results = 1;
        OK(ro, MV_PROC_CONNECT_LIST_ALL_DOMAINS, &args, &ret);
        CHECK_INT(ret.ret, 0);
        CHECK_INT(ret.domains.domains_len, 0);
        mv_body_free(ret_xdr_MV_PROC_CONNECT_LIST_ALL_DOMAINS, &ret);
        set_domains();
    }
    {
        mv_connect_num_of_domains_ret num = { 0 };
        mv_connect_num_of_defined_domains_ret ndef = { 0 };

        /* the old calls ask the driver for active, resp. inactive ones */
        OK(ro, MV_PROC_CONNECT_NUM_OF_DOMAINS, NULL, &num);
        CHECK_CALLED_NODOM("connect_list_all_domains");
        CHECK_INT(SEEN(flags), LIST_ACTIVE);
        CHECK_INT(num.num, 3);
        OK(ro, MV_PROC_CONNECT_NUM_OF_DEFINED_DOMAINS, NULL, &ndef);
        CHECK_CALLED_NODOM("connect_list_all_domains");
        CHECK_INT(SEEN(flags), LIST_INACTIVE);
        CHECK_INT(ndef.num, 3);
    }
    {
        mv_connect_list_domains_args args = { .maxids = 10 };
        mv_connect_list_domains_ret ret = { 0 };

        OK(ro, MV_PROC_CONNECT_LIST_DOMAINS, &args, &ret);
        CHECK_CALLED_NODOM("connect_list_all_domains");
        CHECK_INT(SEEN(flags), LIST_ACTIVE);
        CHECK_INT(ret.ids.ids_len, 3);
        if (ret.ids.ids_len == 3) {
            CHECK_INT(ret.ids.ids_val[0], 1);
            CHECK_INT(ret.ids.ids_val[1], 7);
            CHECK_INT(ret.ids.ids_val[2], -1);
        }
        mv_body_free(ret_xdr_MV_PROC_CONNECT_LIST_DOMAINS, &ret);

        /* cut to maxids */
        args.maxids = 2;
        OK(ro, MV_PROC_CONNECT_LIST_DOMAINS, &args, &ret);
        CHECK_INT(ret.ids.ids_len, 2);
        if (ret.ids.ids_len == 2) {
            CHECK_INT(ret.ids.ids_val[0], 1);
            CHECK_INT(ret.ids.ids_val[1], 7);
        }
        mv_body_free(ret_xdr_MV_PROC_CONNECT_LIST_DOMAINS, &ret);
        args.maxids = 0;
        OK(ro, MV_PROC_CONNECT_LIST_DOMAINS, &args, &ret);
        CHECK_INT(ret.ids.ids_len, 0);
        mv_body_free(ret_xdr_MV_PROC_CONNECT_LIST_DOMAINS, &ret);

        /* a negative max: libvirt's client never sends one (the API
         * refuses it first, with this error); over the limit: the text
         * of libvirt's daemon.  Neither reaches the driver. */
        seen_reset();
        args.maxids = -1;
        FAILS(ro, MV_PROC_CONNECT_LIST_DOMAINS, &args, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
              "maxids in virConnectListDomains must be zero or greater");
        args.maxids = 16385;
        FAILS(ro, MV_PROC_CONNECT_LIST_DOMAINS, &args, MV_ERR_RPC, MV_FROM_RPC,
              "maxids > REMOTE_DOMAIN_LIST_MAX");
        CHECK_INT(SEEN(calls), 0);
    }
    {
        mv_connect_list_defined_domains_args args = { .maxnames = 10 };
        mv_connect_list_defined_domains_ret ret = { 0 };

        OK(ro, MV_PROC_CONNECT_LIST_DEFINED_DOMAINS, &args, &ret);
        CHECK_CALLED_NODOM("connect_list_all_domains");
        CHECK_INT(SEEN(flags), LIST_INACTIVE);
        CHECK_INT(ret.names.names_len, 3);
        if (ret.names.names_len == 3) {
            CHECK_STR(ret.names.names_val[0], "alpha");
            CHECK_STR(ret.names.names_val[1], "beta");
            CHECK_STR(ret.names.names_val[2], "gamma");
        }
        mv_body_free(ret_xdr_MV_PROC_CONNECT_LIST_DEFINED_DOMAINS, &ret);

        args.maxnames = 1;
        OK(ro, MV_PROC_CONNECT_LIST_DEFINED_DOMAINS, &args, &ret);
        CHECK_INT(ret.names.names_len, 1);
        if (ret.names.names_len == 1)
            CHECK_STR(ret.names.names_val[0], "alpha");
        mv_body_free(ret_xdr_MV_PROC_CONNECT_LIST_DEFINED_DOMAINS, &ret);

        seen_reset();
        args.maxnames = -5;
        FAILS(ro, MV_PROC_CONNECT_LIST_DEFINED_DOMAINS, &args, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
              "maxnames in virConnectListDefinedDomains must be zero or greater");
        args.maxnames = 20000;
        FAILS(ro, MV_PROC_CONNECT_LIST_DEFINED_DOMAINS, &args, MV_ERR_RPC, MV_FROM_RPC,
              "maxnames > REMOTE_DOMAIN_LIST_MAX");
        CHECK_INT(SEEN(calls), 0);
    }
    {
        /* the driver's failure is the reply */
        mv_connect_list_all_domains_args args = { .need_results = 1 };

        canned.fail = -ENOMEM;
        FAILS(ro, MV_PROC_CONNECT_LIST_ALL_DOMAINS, &args, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
              "Domain not found: no domain with matching uuid "
              "'4dea22b3-1d52-d8f3-2c13-0ac99e6e025f' (?)");
        FAILS(ro, MV_PROC_CONNECT_NUM_OF_DOMAINS, NULL, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
              "Domain not found: no domain with matching uuid "
              "'4dea22b3-1d52-d8f3-2c13-0ac99e6e025f' (?)");
        canned.fail = 0;
    }
    teardown();
}

/*----- lookups, definition, state -----*/

/* A reference in a reply is the driver's: "<name>", uuid_found, id. */
static void check_found(const mv_nonnull_domain *d, const char *name, int id)
{
    CHECK_STR(d->name, name);
    CHECK_MEM(d->uuid, uuid_found, 16);
    CHECK_INT(d->id, id);
}

static void test_lookups_and_definition(void)
{
    setup(&fake_driver);
    {
        mv_domain_lookup_by_name_args name = { .name = "guest" };
        mv_domain_lookup_by_name_ret rn = { 0 };
        mv_domain_lookup_by_uuid_args uuid;
        mv_domain_lookup_by_uuid_ret ru = { 0 };
        mv_domain_lookup_by_id_args id = { .id = 42 };
        mv_domain_lookup_by_id_ret ri = { 0 };

        OK(ro, MV_PROC_DOMAIN_LOOKUP_BY_NAME, &name, &rn);
        CHECK_CALLED_NODOM("domain_lookup_by_name");
        CHECK_STR(SEEN_STR(), "guest");
        check_found(&rn.dom, "by-name", 11);
        mv_body_free(ret_xdr_MV_PROC_DOMAIN_LOOKUP_BY_NAME, &rn);

        memcpy(uuid.uuid, uuid_guest, 16);
        OK(ro, MV_PROC_DOMAIN_LOOKUP_BY_UUID, &uuid, &ru);
        CHECK_CALLED_NODOM("domain_lookup_by_uuid");
        CHECK_MEM(seen.dom_uuid, uuid_guest, 16);
        check_found(&ru.dom, "by-uuid", -1);
        mv_body_free(ret_xdr_MV_PROC_DOMAIN_LOOKUP_BY_UUID, &ru);

        OK(ro, MV_PROC_DOMAIN_LOOKUP_BY_ID, &id, &ri);
        CHECK_CALLED_NODOM("domain_lookup_by_id");
        CHECK_INT(SEEN(num), 42);
        check_found(&ri.dom, "by-id", 42);
        mv_body_free(ret_xdr_MV_PROC_DOMAIN_LOOKUP_BY_ID, &ri);
    }
    {
        mv_domain_define_xml_args def = { .xml = "<domain type='kvm'/>" };
        mv_domain_define_xml_ret rd = { 0 };
        mv_domain_define_xml_flags_args deff = { .xml = "<domain type='qemu'/>", .flags = 1 };
        mv_domain_define_xml_flags_ret rdf = { 0 };

        OK(rw, MV_PROC_DOMAIN_DEFINE_XML, &def, &rd);
        CHECK_CALLED_NODOM("domain_define_xml");
        CHECK_STR(SEEN_STR(), "<domain type='kvm'/>");
        CHECK_INT(SEEN(flags), 0);
        check_found(&rd.dom, "defined", -1);
        mv_body_free(ret_xdr_MV_PROC_DOMAIN_DEFINE_XML, &rd);

        OK(rw, MV_PROC_DOMAIN_DEFINE_XML_FLAGS, &deff, &rdf);
        CHECK_CALLED_NODOM("domain_define_xml");
        CHECK_STR(SEEN_STR(), "<domain type='qemu'/>");
        CHECK_INT(SEEN(flags), 1);     /* VIR_DOMAIN_DEFINE_VALIDATE */
        check_found(&rdf.dom, "defined", -1);
        mv_body_free(ret_xdr_MV_PROC_DOMAIN_DEFINE_XML_FLAGS, &rdf);
    }
    {
        mv_domain_undefine_args und = { .dom = guest() };
        mv_domain_undefine_flags_args undf = { .dom = guest(), .flags = 0x23 };

        OK(rw, MV_PROC_DOMAIN_UNDEFINE, &und, NULL);
        CHECK_CALLED("domain_undefine");
        CHECK_INT(SEEN(flags), 0);
        OK(rw, MV_PROC_DOMAIN_UNDEFINE_FLAGS, &undf, NULL);
        CHECK_CALLED("domain_undefine");
        CHECK_INT(SEEN(flags), 0x23);
    }
    {
        mv_domain_get_xml_desc_args args = { .dom = guest(), .flags = XML_INACTIVE };
        mv_domain_get_xml_desc_ret ret = { 0 };

        OK(ro, MV_PROC_DOMAIN_GET_XML_DESC, &args, &ret);
        CHECK_CALLED("domain_get_xml_desc");
        CHECK_INT(SEEN(flags), XML_INACTIVE);
        CHECK_STR(ret.xml, "<domain type='kvm'><name>guest</name></domain>");
        mv_body_free(ret_xdr_MV_PROC_DOMAIN_GET_XML_DESC, &ret);

        /* secrets: not for a read-only connection, as libvirt says it */
        args.flags = XML_SECURE | XML_INACTIVE;
        FAILS(ro, MV_PROC_DOMAIN_GET_XML_DESC, &args, MV_ERR_OPERATION_DENIED, MV_FROM_DOMAIN,
              "operation forbidden: virDomainGetXMLDesc with secure flag");
        CHECK_NULL(SEEN(fn));
        OK(rw, MV_PROC_DOMAIN_GET_XML_DESC, &args, &ret);
        CHECK_CALLED("domain_get_xml_desc");
        CHECK_INT(SEEN(flags), XML_SECURE | XML_INACTIVE);
        CHECK(!SEEN(readonly));
        mv_body_free(ret_xdr_MV_PROC_DOMAIN_GET_XML_DESC, &ret);
    }
    {
        mv_domain_get_info_args args = { .dom = guest() };
        mv_domain_get_info_ret ret = { 0 };

        OK(ro, MV_PROC_DOMAIN_GET_INFO, &args, &ret);
        CHECK_CALLED("domain_get_info");
        CHECK_INT(ret.state, 3);
        CHECK_INT(ret.maxMem, 8388608);
        CHECK_INT(ret.memory, 2097152);
        CHECK_INT(ret.nrVirtCpu, 6);
        CHECK_INT(ret.cpuTime, 987654321012345ULL);
    }
    {
        mv_domain_get_state_args args = { .dom = guest(), .flags = 0 };
        mv_domain_get_state_ret ret = { 0 };

        OK(ro, MV_PROC_DOMAIN_GET_STATE, &args, &ret);
        CHECK_CALLED("domain_get_state");
        CHECK_INT(SEEN(flags), 0);
        CHECK_INT(ret.state, 3);
        CHECK_INT(ret.reason, 2);
    }
    {
        mv_domain_is_active_args a = { .dom = guest() };
        mv_domain_is_active_ret ra = { -1 };
        mv_domain_is_persistent_args p = { .dom = guest() };
        mv_domain_is_persistent_ret rp = { -1 };
        mv_domain_is_updated_args u = { .dom = guest() };
        mv_domain_is_updated_ret ru = { -1 };
        mv_domain_has_managed_save_image_args m = { .dom = guest() };
        mv_domain_has_managed_save_image_ret rm = { -1 };
        mv_domain_snapshot_num_args s = { .dom = guest() };
        mv_domain_snapshot_num_ret rs = { -1 };

        /* each answer is its own field of domain_get_flags */
        canned_flags = (mv_domain_flags){ .active = true, .persistent = false, .updated = true,
                                          .managed_save = false, .snapshots = 5 };
        OK(ro, MV_PROC_DOMAIN_IS_ACTIVE, &a, &ra);
        CHECK_CALLED("domain_get_flags");
        CHECK_INT(ra.active, 1);
        OK(ro, MV_PROC_DOMAIN_IS_PERSISTENT, &p, &rp);
        CHECK_CALLED("domain_get_flags");
        CHECK_INT(rp.persistent, 0);
        OK(ro, MV_PROC_DOMAIN_IS_UPDATED, &u, &ru);
        CHECK_CALLED("domain_get_flags");
        CHECK_INT(ru.updated, 1);
        OK(ro, MV_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, &m, &rm);
        CHECK_CALLED("domain_get_flags");
        CHECK_INT(rm.result, 0);
        OK(ro, MV_PROC_DOMAIN_SNAPSHOT_NUM, &s, &rs);
        CHECK_CALLED("domain_get_flags");
        CHECK_INT(rs.num, 5);

        canned_flags = (mv_domain_flags){ .active = false, .persistent = true, .updated = false,
                                          .managed_save = true, .snapshots = 0 };
        OK(ro, MV_PROC_DOMAIN_IS_ACTIVE, &a, &ra);
        CHECK_INT(ra.active, 0);
        OK(ro, MV_PROC_DOMAIN_IS_PERSISTENT, &p, &rp);
        CHECK_INT(rp.persistent, 1);
        OK(ro, MV_PROC_DOMAIN_IS_UPDATED, &u, &ru);
        CHECK_INT(ru.updated, 0);
        OK(ro, MV_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE, &m, &rm);
        CHECK_INT(rm.result, 1);
        OK(ro, MV_PROC_DOMAIN_SNAPSHOT_NUM, &s, &rs);
        CHECK_INT(rs.num, 0);
    }
    teardown();
}

/* When the driver fails, the reply is its error, code, domain and
 * message as it recorded them. */
static void test_driver_errors(void)
{
    const char *msg = "Domain not found: no domain with matching uuid "
                      "'4dea22b3-1d52-d8f3-2c13-0ac99e6e025f' (guest)";
    mv_nonnull_domain d = guest();

    setup(&fake_driver);
    canned.fail = -ENOENT;
    FAILS(ro, MV_PROC_DOMAIN_GET_INFO, &(mv_domain_get_info_args){ .dom = d }, MV_ERR_NO_DOMAIN,
          MV_FROM_QEMU, msg);
    CHECK_CALLED("domain_get_info");
    FAILS(ro, MV_PROC_DOMAIN_GET_STATE, &(mv_domain_get_state_args){ .dom = d },
          MV_ERR_NO_DOMAIN, MV_FROM_QEMU, msg);
    FAILS(ro, MV_PROC_DOMAIN_GET_XML_DESC, &(mv_domain_get_xml_desc_args){ .dom = d },
          MV_ERR_NO_DOMAIN, MV_FROM_QEMU, msg);
    FAILS(ro, MV_PROC_DOMAIN_IS_ACTIVE, &(mv_domain_is_active_args){ .dom = d },
          MV_ERR_NO_DOMAIN, MV_FROM_QEMU, msg);
    FAILS(ro, MV_PROC_DOMAIN_IS_PERSISTENT, &(mv_domain_is_persistent_args){ .dom = d },
          MV_ERR_NO_DOMAIN, MV_FROM_QEMU, msg);
    FAILS(ro, MV_PROC_DOMAIN_IS_UPDATED, &(mv_domain_is_updated_args){ .dom = d },
          MV_ERR_NO_DOMAIN, MV_FROM_QEMU, msg);
    FAILS(ro, MV_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE,
          &(mv_domain_has_managed_save_image_args){ .dom = d }, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
          msg);
    FAILS(ro, MV_PROC_DOMAIN_SNAPSHOT_NUM, &(mv_domain_snapshot_num_args){ .dom = d },
          MV_ERR_NO_DOMAIN, MV_FROM_QEMU, msg);
    FAILS(ro, MV_PROC_DOMAIN_GET_AUTOSTART, &(mv_domain_get_autostart_args){ .dom = d },
          MV_ERR_NO_DOMAIN, MV_FROM_QEMU, msg);
    FAILS(ro, MV_PROC_DOMAIN_GET_VCPUS_FLAGS, &(mv_domain_get_vcpus_flags_args){ .dom = d },
          MV_ERR_NO_DOMAIN, MV_FROM_QEMU, msg);
    FAILS(rw, MV_PROC_DOMAIN_UNDEFINE, &(mv_domain_undefine_args){ .dom = d }, MV_ERR_NO_DOMAIN,
          MV_FROM_QEMU, msg);
    FAILS(rw, MV_PROC_DOMAIN_SET_MEMORY, &(mv_domain_set_memory_args){ .dom = d },
          MV_ERR_NO_DOMAIN, MV_FROM_QEMU, msg);
    FAILS(rw, MV_PROC_DOMAIN_RENAME, &(mv_domain_rename_args){ .dom = d }, MV_ERR_NO_DOMAIN,
          MV_FROM_QEMU, msg);
    FAILS(ro, MV_PROC_DOMAIN_LOOKUP_BY_NAME, &(mv_domain_lookup_by_name_args){ .name = "guest" },
          MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
          "Domain not found: no domain with matching uuid "
          "'4dea22b3-1d52-d8f3-2c13-0ac99e6e025f' (?)");
    FAILS(ro, MV_PROC_NODE_GET_INFO, NULL, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
          "Domain not found: no domain with matching uuid "
          "'4dea22b3-1d52-d8f3-2c13-0ac99e6e025f' (?)");

    /* and the connection goes on */
    canned.fail = 0;
    {
        mv_domain_is_active_ret ra = { -1 };

        canned_flags = (mv_domain_flags){ .active = true };
        OK(ro, MV_PROC_DOMAIN_IS_ACTIVE, &(mv_domain_is_active_args){ .dom = d }, &ra);
        CHECK_INT(ra.active, 1);
    }
    teardown();
}

/*----- changes -----*/

static void test_changes(void)
{
    setup(&fake_driver);
    {
        mv_domain_set_memory_args sm = { .dom = guest(), .memory = 1048576 };
        mv_domain_set_max_memory_args smax = { .dom = guest(), .memory = 4194304 };
        mv_domain_set_memory_flags_args smf = { .dom = guest(), .memory = 3145728,
                                                .flags = AFFECT_CONFIG };

        /* virDomainSetMemory: the current memory, live (flags 0);
         * virDomainSetMaxMemory: VIR_DOMAIN_MEM_MAXIMUM; the _FLAGS form
         * passes the caller's */
        OK(rw, MV_PROC_DOMAIN_SET_MEMORY, &sm, NULL);
        CHECK_CALLED("domain_set_memory");
        CHECK_INT(SEEN(num), 1048576);
        CHECK_INT(SEEN(flags), 0);
        OK(rw, MV_PROC_DOMAIN_SET_MAX_MEMORY, &smax, NULL);
        CHECK_CALLED("domain_set_memory");
        CHECK_INT(SEEN(num), 4194304);
        CHECK_INT(SEEN(flags), MEM_MAXIMUM);
        OK(rw, MV_PROC_DOMAIN_SET_MEMORY_FLAGS, &smf, NULL);
        CHECK_CALLED("domain_set_memory");
        CHECK_INT(SEEN(num), 3145728);
        CHECK_INT(SEEN(flags), AFFECT_CONFIG);
        smf.flags = AFFECT_LIVE | AFFECT_CONFIG | MEM_MAXIMUM;
        smf.memory = 1ULL << 40;        /* an unsigned hyper, whole */
        OK(rw, MV_PROC_DOMAIN_SET_MEMORY_FLAGS, &smf, NULL);
        CHECK_INT(SEEN(num), 1LL << 40);
        CHECK_INT(SEEN(flags), AFFECT_LIVE | AFFECT_CONFIG | MEM_MAXIMUM);
    }
    {
        mv_domain_set_vcpus_flags_args sv = { .dom = guest(), .nvcpus = 4,
                                              .flags = AFFECT_CONFIG | 4u };
        mv_domain_get_vcpus_flags_args gv = { .dom = guest(), .flags = AFFECT_LIVE };
        mv_domain_get_vcpus_flags_ret rv = { 0 };

        OK(rw, MV_PROC_DOMAIN_SET_VCPUS_FLAGS, &sv, NULL);
        CHECK_CALLED("domain_set_vcpus");
        CHECK_INT(SEEN(num), 4);
        CHECK_INT(SEEN(flags), AFFECT_CONFIG | 4u);
        OK(ro, MV_PROC_DOMAIN_GET_VCPUS_FLAGS, &gv, &rv);
        CHECK_CALLED("domain_get_vcpus");
        CHECK_INT(SEEN(flags), AFFECT_LIVE);
        CHECK_INT(rv.num, 3);
        gv.flags = AFFECT_CONFIG | 4u;  /* VIR_DOMAIN_VCPU_MAXIMUM */
        OK(ro, MV_PROC_DOMAIN_GET_VCPUS_FLAGS, &gv, &rv);
        CHECK_INT(SEEN(flags), AFFECT_CONFIG | 4u);
        CHECK_INT(rv.num, 8);
    }
    {
        char *value = "<app xmlns='http://example.org/'/>", *key = "app",
             *uri = "http://example.org/";
        mv_domain_set_metadata_args sm = { .dom = guest(), .type = 2, .metadata = &value,
                                           .key = &key, .uri = &uri, .flags = AFFECT_CONFIG };
        mv_domain_get_metadata_args gm = { .dom = guest(), .type = 2, .uri = &uri,
                                           .flags = AFFECT_LIVE };
        mv_domain_get_metadata_ret rm = { 0 };

        /* VIR_DOMAIN_METADATA_ELEMENT with all three strings */
        OK(rw, MV_PROC_DOMAIN_SET_METADATA, &sm, NULL);
        CHECK_CALLED("domain_set_metadata");
        CHECK_INT(SEEN(num), 2);
        CHECK_STR(SEEN_STR(), "<app xmlns='http://example.org/'/>");
        CHECK(SEEN(key_set));
        CHECK_STR(SEEN(key), "app");
        CHECK(SEEN(uri_set));
        CHECK_STR(SEEN(uri), "http://example.org/");
        CHECK_INT(SEEN(flags), AFFECT_CONFIG);

        /* VIR_DOMAIN_METADATA_DESCRIPTION removed: every string NULL */
        sm = (mv_domain_set_metadata_args){ .dom = guest(), .type = 0 };
        OK(rw, MV_PROC_DOMAIN_SET_METADATA, &sm, NULL);
        CHECK_CALLED("domain_set_metadata");
        CHECK_INT(SEEN(num), 0);
        CHECK_NULL(SEEN_STR());
        CHECK(!SEEN(key_set));
        CHECK(!SEEN(uri_set));
        CHECK_INT(SEEN(flags), 0);

        OK(ro, MV_PROC_DOMAIN_GET_METADATA, &gm, &rm);
        CHECK_CALLED("domain_get_metadata");
        CHECK_INT(SEEN(num), 2);
        CHECK(SEEN(uri_set));
        CHECK_STR(SEEN(uri), "http://example.org/");
        CHECK_INT(SEEN(flags), AFFECT_LIVE);
        CHECK_STR(rm.metadata, "<app xmlns='http://example.org/'/>");
        mv_body_free(ret_xdr_MV_PROC_DOMAIN_GET_METADATA, &rm);

        gm = (mv_domain_get_metadata_args){ .dom = guest(), .type = 0, .uri = NULL };
        OK(ro, MV_PROC_DOMAIN_GET_METADATA, &gm, &rm);
        CHECK_INT(SEEN(num), 0);
        CHECK(!SEEN(uri_set));
        CHECK_STR(rm.metadata, "a description");
        mv_body_free(ret_xdr_MV_PROC_DOMAIN_GET_METADATA, &rm);
    }
    {
        const char *disk = "<disk type='file' device='disk'/>";
        mv_domain_attach_device_args a = { .dom = guest(), .xml = (char *)disk };
        mv_domain_detach_device_args d = { .dom = guest(), .xml = (char *)disk };
        mv_domain_attach_device_flags_args af = { .dom = guest(), .xml = (char *)disk,
                                                  .flags = AFFECT_CONFIG };
        mv_domain_detach_device_flags_args df = { .dom = guest(), .xml = (char *)disk,
                                                  .flags = AFFECT_LIVE | AFFECT_CONFIG };
        mv_domain_update_device_flags_args uf = { .dom = guest(), .xml = (char *)disk,
                                                  .flags = AFFECT_LIVE | 4u };

        OK(rw, MV_PROC_DOMAIN_ATTACH_DEVICE, &a, NULL);
        CHECK_CALLED("domain_change_device");
        CHECK_INT(SEEN(num2), MV_DEVICE_ATTACH);
        CHECK_STR(SEEN_STR(), disk);
        CHECK_INT(SEEN(flags), 0);
        OK(rw, MV_PROC_DOMAIN_DETACH_DEVICE, &d, NULL);
        CHECK_CALLED("domain_change_device");
        CHECK_INT(SEEN(num2), MV_DEVICE_DETACH);
        CHECK_STR(SEEN_STR(), disk);
        CHECK_INT(SEEN(flags), 0);
        OK(rw, MV_PROC_DOMAIN_ATTACH_DEVICE_FLAGS, &af, NULL);
        CHECK_CALLED("domain_change_device");
        CHECK_INT(SEEN(num2), MV_DEVICE_ATTACH);
        CHECK_INT(SEEN(flags), AFFECT_CONFIG);
        OK(rw, MV_PROC_DOMAIN_DETACH_DEVICE_FLAGS, &df, NULL);
        CHECK_CALLED("domain_change_device");
        CHECK_INT(SEEN(num2), MV_DEVICE_DETACH);
        CHECK_INT(SEEN(flags), AFFECT_LIVE | AFFECT_CONFIG);
        OK(rw, MV_PROC_DOMAIN_UPDATE_DEVICE_FLAGS, &uf, NULL);
        CHECK_CALLED("domain_change_device");
        CHECK_INT(SEEN(num2), MV_DEVICE_UPDATE);
        CHECK_STR(SEEN_STR(), disk);
        CHECK_INT(SEEN(flags), AFFECT_LIVE | 4u);
    }
    {
        char *new_name = "renamed";
        mv_domain_rename_args args = { .dom = guest(), .new_name = &new_name, .flags = 0 };
        mv_domain_rename_ret ret = { -7 };
        mv_domain_managed_save_remove_args msr = { .dom = guest(), .flags = 0 };

        OK(rw, MV_PROC_DOMAIN_RENAME, &args, &ret);
        CHECK_CALLED("domain_rename");
        CHECK_STR(SEEN_STR(), "renamed");
        CHECK_INT(ret.retcode, 0);
        /* NULL on the wire reaches the driver as NULL (its check) */
        args.new_name = NULL;
        ret.retcode = -7;
        OK(rw, MV_PROC_DOMAIN_RENAME, &args, &ret);
        CHECK_CALLED("domain_rename");
        CHECK_NULL(SEEN_STR());

        OK(rw, MV_PROC_DOMAIN_MANAGED_SAVE_REMOVE, &msr, NULL);
        CHECK_CALLED("domain_managed_save_remove");
        CHECK_INT(SEEN(flags), 0);
    }
    {
        mv_domain_set_autostart_args sa = { .dom = guest(), .autostart = 1 };
        mv_domain_get_autostart_args ga = { .dom = guest() };
        mv_domain_get_autostart_ret ra = { -1 };

        OK(rw, MV_PROC_DOMAIN_SET_AUTOSTART, &sa, NULL);
        CHECK_CALLED("domain_set_autostart");
        CHECK_INT(SEEN(num), 1);
        sa.autostart = 0;
        OK(rw, MV_PROC_DOMAIN_SET_AUTOSTART, &sa, NULL);
        CHECK_CALLED("domain_set_autostart");
        CHECK_INT(SEEN(num), 0);
        OK(ro, MV_PROC_DOMAIN_GET_AUTOSTART, &ga, &ra);
        CHECK_CALLED("domain_get_autostart");
        CHECK_INT(ra.autostart, 1);
    }
    teardown();
}

/*----- a driver that lacks a function -----*/

static void test_unsupported(void)
{
    mv_domain_set_memory_flags_args mem = { .dom = guest(), .memory = 1024 };
    mv_connect_get_type_ret type = { 0 };

    setup(&bare_driver);
    OK(ro, MV_PROC_CONNECT_GET_TYPE, NULL, &type);
    CHECK_STR(type.type, "BARE");
    mv_body_free(ret_xdr_MV_PROC_CONNECT_GET_TYPE, &type);
    FAILS(ro, MV_PROC_CONNECT_GET_SYSINFO, &(mv_connect_get_sysinfo_args){ 0 },
          MV_ERR_NO_SUPPORT, MV_FROM_NONE,
          "this function is not supported by the connection driver: virConnectGetSysinfo");
    /* on a worker as inline */
    FAILS(rw, MV_PROC_DOMAIN_SET_MEMORY_FLAGS, &mem, MV_ERR_NO_SUPPORT, MV_FROM_NONE,
          "this function is not supported by the connection driver: virDomainSetMemoryFlags");
    FAILS(ro, MV_PROC_DOMAIN_IS_ACTIVE, &(mv_domain_is_active_args){ .dom = guest() },
          MV_ERR_NO_SUPPORT, MV_FROM_NONE,
          "this function is not supported by the connection driver: virDomainIsActive");
    FAILS(ro, MV_PROC_CONNECT_NUM_OF_DOMAINS, NULL, MV_ERR_NO_SUPPORT, MV_FROM_NONE,
          "this function is not supported by the connection driver: virConnectNumOfDomains");
    CHECK_INT(SEEN(calls), 0);
    teardown();
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    test_connection();
    test_lists();
    test_lookups_and_definition();
    test_driver_errors();
    test_changes();
    test_unsupported();
    TEST_DONE();
}
