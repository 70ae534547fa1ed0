/* The <cpu> and <clock> elements of the domain document. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain_conf_priv.h"
#include "util/cleanup.h"

/* ---- enum names ---- */

const char *const dx_cpu_mode_names[] = { "custom", "host-model", "host-passthrough", "maximum" };
const size_t dx_cpu_mode_count = ELEMENTSOF(dx_cpu_mode_names);

const char *mv_cpu_mode_str(mv_cpu_mode v)
{
    return (unsigned)v < dx_cpu_mode_count ? dx_cpu_mode_names[v] : NULL;
}

void dx_cpu_clear(mv_domain_cpu *cpu)
{
    free(cpu->match);
    free(cpu->check);
    free(cpu->model);
    free(cpu->model_fallback);
    free(cpu->model_vendor_id);
    free(cpu->vendor);
    free(cpu->cache_mode);
    for (size_t i = 0; i < cpu->nfeatures; i++) {
        free(cpu->features[i].policy);
        free(cpu->features[i].name);
    }
    free(cpu->features);
    for (size_t i = 0; i < cpu->ncells; i++) {
        free(cpu->cells[i].cpus);
        free(cpu->cells[i].mem_access);
    }
    free(cpu->cells);
}

void dx_clock_clear(mv_domain_clock *clock)
{
    free(clock->offset);
    free(clock->timezone);
    free(clock->basis);
    for (size_t i = 0; i < clock->ntimers; i++) {
        free(clock->timers[i].name);
        free(clock->timers[i].tickpolicy);
        free(clock->timers[i].track);
        free(clock->timers[i].mode);
    }
    free(clock->timers);
}

/* ---- <cpu> ---- */

static int parse_cpu_numa(dparse *p, xmlNodePtr numa, mv_domain_cpu *cpu)
{
    static const char *const accesses[] = { "shared", "private", NULL };
    xmlNodePtr n = NULL;
    size_t count = dx_count(numa, "cell");
    int r;

    if (count > 256)
        return mv_error_report(-E2BIG, MV_ERR_XML_ERROR, MV_FROM_DOMAIN, "too many NUMA cells");
    cpu->cells = calloc(count ? count : 1, sizeof(*cpu->cells));
    if (!cpu->cells)
        return -ENOMEM;
    while ((n = dx_next(numa, n, "cell"))) {
        mv_domain_numa_cell *cell = &cpu->cells[cpu->ncells++];
        _cleanup_free_ char *cpus = NULL, *unit = NULL, *mem = NULL;
        long long id;
        unsigned long long v, scale;

        cell->id = -1;
        if ((r = dx_attr_int(p, n, "id", 0, INT_MAX, &id)) < 0)
            return r;
        if (r > 0)
            cell->id = (int)id;
        cpus = dx_attr(p, n, "cpus");
        if (cpus && (r = dx_cpuset_canon(cpus, MV_DOMAIN_MAX_VCPUS, &cell->cpus)) < 0)
            return r == -ENOMEM ? r :
                   mv_error_report(r, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "Failed to parse bitmap '%s'", cpus);
        mem = dx_attr(p, n, "memory");
        unit = dx_attr(p, n, "unit");
        if (!mem)
            return p->oom ? -ENOMEM :
                   mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "Missing 'memory' attribute in NUMA cell");
        if (dx_parse_ull(mem, 10, &v) < 0)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_XML,
                                   "Invalid value '%s' for element or attribute './@memory'", mem);
        scale = 1;
        if (unit) {
            static const char *const units[] = { "KiB", "k", "K", "MiB", "M", "m", "GiB", "G", "g", "TiB", "T", "t" };
            int u = dx_lookup(units, ELEMENTSOF(units), unit);

            if (u < 0)
                return mv_error_report(-EINVAL, MV_ERR_INVALID_ARG, MV_FROM_NONE,
                                       "unknown suffix '%s'", unit);
            scale = 1ULL << (10 * (u / 3));
        }
        if (v > (unsigned long long)LLONG_MAX / 1024 / scale)
            return mv_error_report_raw(-ERANGE, MV_ERR_OVERFLOW, MV_FROM_NONE,
                                       "numerical overflow: value too large: %s%s", mem,
                                       unit ? unit : "");
        cell->memory_kib = v * scale;
        if ((r = dx_attr_in_xml(p, n, "memAccess", accesses, &cell->mem_access)) < 0 ||
            (r = dx_attr_yesno(p, n, "discard", &cell->discard)) < 0)
            return r;
    }
    return p->oom ? -ENOMEM : 0;
}

int dx_cpu_parse(dparse *p, xmlNodePtr root, mv_domain_def *def)
{
    static const char *const matches[] = { "minimum", "exact", "strict", NULL };
    static const char *const checks[] = { "none", "partial", "full", NULL };
    static const char *const fallbacks[] = { "allow", "forbid", NULL };
    static const char *const policies[] = { "force", "require", "optional", "disable", "forbid", NULL };
    static const char *const cache_modes[] = { "emulate", "passthrough", "disable", NULL };
    mv_domain_cpu *cpu = &def->cpu;
    xmlNodePtr n = dx_child(root, "cpu"), c;
    _cleanup_free_ char *mode = NULL;
    int r, m;

    if (!n)
        return 0;
    cpu->present = true;
    cpu->cache_level = -1;
    mode = dx_attr(p, n, "mode");
    if (mode) {
        m = dx_lookup(dx_cpu_mode_names, dx_cpu_mode_count, mode);
        if (m < 0)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_CPU,
                                   "Invalid mode attribute '%s'", mode);
        cpu->mode = (mv_cpu_mode)m;
    }
    r = dx_attr_in(p, n, "match", matches, &cpu->match);
    if (r == 2)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_CPU,
                               "Invalid match attribute for CPU specification");
    r = dx_attr_in(p, n, "check", checks, &cpu->check);
    if (r == 2)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_CPU,
                               "Invalid check attribute for CPU specification");
    if ((r = dx_attr_onoff(p, n, "migratable", &cpu->migratable)) < 0)
        return r;
    if (cpu->migratable && cpu->mode != MV_CPU_MODE_HOST_PASSTHROUGH &&
        cpu->mode != MV_CPU_MODE_MAXIMUM)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_CPU,
                               "Attribute migratable is only allowed for 'host-passthrough' / 'maximum' CPU mode");

    if ((c = dx_child(n, "model"))) {
        cpu->model = dx_text(p, c);
        if (cpu->model && !*cpu->model) {
            free(cpu->model);
            cpu->model = NULL;
        }
        r = dx_attr_in(p, c, "fallback", fallbacks, &cpu->model_fallback);
        if (r == 2)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_CPU,
                                   "Invalid fallback attribute");
        cpu->model_vendor_id = dx_attr(p, c, "vendor_id");
        if (cpu->model_vendor_id && strlen(cpu->model_vendor_id) != 12)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_CPU,
                                   "vendor_id must be exactly 12 characters long");
    }
    if ((c = dx_child(n, "vendor"))) {
        cpu->vendor = dx_text(p, c);
        if (!cpu->model && !p->oom)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_CPU,
                                   "CPU vendor specified without CPU model");
    }
    if ((c = dx_child(n, "topology"))) {
        static const char *const names[] = { "sockets", "dies", "cores", "threads" };
        unsigned *fields[] = { &cpu->sockets, &cpu->dies, &cpu->cores, &cpu->threads };

        cpu->has_topology = true;
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
            r = dx_attr_u32(p, c, names[i], fields[i]);
            if (r < 0)
                return r;
            if (r == 0 && i == 1)
                cpu->dies = 1;
            else if (r == 0)
                return dx_err_missing(names[i], "topology");
            if (*fields[i] == 0)
                return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_CPU,
                                       "Invalid '%s' value in CPU topology", names[i]);
        }
    }
    if ((c = dx_child(n, "cache"))) {
        long long lvl;

        r = dx_attr_in(p, c, "mode", cache_modes, &cpu->cache_mode);
        if (r == 0 || r == 2)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_CPU,
                                   "Invalid CPU cache mode '%s'", cpu->cache_mode ? cpu->cache_mode : "");
        if ((r = dx_attr_int(p, c, "level", 1, 3, &lvl)) < 0)
            return r;
        if (r > 0)
            cpu->cache_level = (int)lvl;
    }
    if (dx_count(n, "feature")) {
        size_t count = dx_count(n, "feature");

        if (count > 1024)
            return mv_error_report(-E2BIG, MV_ERR_XML_ERROR, MV_FROM_CPU, "too many CPU features");
        if (cpu->mode == MV_CPU_MODE_CUSTOM && !cpu->model)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_CPU,
                                   "Non-empty feature list specified without CPU model");
        cpu->features = calloc(count, sizeof(*cpu->features));
        if (!cpu->features)
            return -ENOMEM;
        cpu->nfeatures = count;
        c = NULL;
        for (size_t i = 0; (c = dx_next(n, c, "feature")); i++) {
            mv_domain_cpu_feature *feat = &cpu->features[i];

            r = dx_attr_in(p, c, "policy", policies, &feat->policy);
            if (r == 2)
                return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_CPU,
                                       "Invalid CPU feature policy");
            if (r == 0)
                feat->policy = dx_strdup(p, "require");
            feat->name = dx_attr(p, c, "name");
            if (!feat->name)
                return p->oom ? -ENOMEM :
                       mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_CPU,
                                       "Invalid CPU feature name");
            for (size_t j = 0; j < i; j++)
                if (strcmp(cpu->features[j].name, feat->name) == 0)
                    return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_CPU,
                                           "CPU feature '%s' specified more than once",
                                           feat->name);
        }
    }
    if ((c = dx_child(n, "numa")) && (r = parse_cpu_numa(p, c, cpu)) < 0)
        return r;
    /* A custom CPU with a model is matched exactly, allowing fallback,
     * unless said otherwise. */
    if (cpu->mode == MV_CPU_MODE_CUSTOM && cpu->model) {
        if (!cpu->match)
            cpu->match = dx_strdup(p, "exact");
        if (!cpu->model_fallback)
            cpu->model_fallback = dx_strdup(p, "allow");
    }
    return p->oom ? -ENOMEM : 0;
}

void dx_cpu_format(dbuf *b, const mv_domain_def *def)
{
    const mv_domain_cpu *cpu = &def->cpu;
    dbuf c;

    if (!cpu->present)
        return;
    db_start(b, "cpu");
    if (cpu->mode != MV_CPU_MODE_CUSTOM || cpu->model || cpu->match)
        db_attr(b, "mode", dx_cpu_mode_names[cpu->mode]);
    db_attr(b, "match", cpu->match);
    db_attr(b, "check", cpu->check);
    db_attr_onoff(b, "migratable", cpu->migratable);
    db_child(&c, b);
    if (cpu->model || cpu->model_fallback || cpu->model_vendor_id) {
        db_start(&c, "model");
        db_attr(&c, "fallback", cpu->model_fallback);
        db_attr(&c, "vendor_id", cpu->model_vendor_id);
        if (cpu->model) {
            db_add(&c, ">");
            db_esc(&c, cpu->model);
            db_add(&c, "</model>\n");
        } else {
            db_end(&c);
        }
    }
    db_text_elem(&c, "vendor", cpu->vendor);
    if (cpu->has_topology) {
        db_start(&c, "topology");
        db_attrf(&c, "sockets", "%u", cpu->sockets);
        db_attrf(&c, "dies", "%u", cpu->dies);
        db_attrf(&c, "cores", "%u", cpu->cores);
        db_attrf(&c, "threads", "%u", cpu->threads);
        db_end(&c);
    }
    if (cpu->cache_mode) {
        db_start(&c, "cache");
        if (cpu->cache_level >= 0)
            db_attrf(&c, "level", "%d", cpu->cache_level);
        db_attr(&c, "mode", cpu->cache_mode);
        db_end(&c);
    }
    for (size_t i = 0; i < cpu->nfeatures; i++) {
        db_start(&c, "feature");
        db_attr(&c, "policy", cpu->features[i].policy);
        db_attr(&c, "name", cpu->features[i].name);
        db_end(&c);
    }
    if (cpu->ncells) {
        db_indent(&c);
        db_add(&c, "<numa>\n");
        c.indent++;
        for (size_t i = 0; i < cpu->ncells; i++) {
            const mv_domain_numa_cell *cell = &cpu->cells[i];

            db_start(&c, "cell");
            if (cell->id >= 0)
                db_attrf(&c, "id", "%d", cell->id);
            db_attr(&c, "cpus", cell->cpus);
            db_attrf(&c, "memory", "%llu", cell->memory_kib);
            db_attr(&c, "unit", "KiB");
            db_attr(&c, "memAccess", cell->mem_access);
            db_attr_yesno(&c, "discard", cell->discard);
            db_end(&c);
        }
        c.indent--;
        db_indent(&c);
        db_add(&c, "</numa>\n");
    }
    db_finish(b, "cpu", &c);
}

/* ---- <clock> ---- */

int dx_clock_parse(dparse *p, xmlNodePtr root, mv_domain_def *def)
{
    static const char *const offsets[] = { "utc", "localtime", "timezone", "variable", "absolute", NULL };
    static const char *const bases[] = { "utc", "localtime", NULL };
    static const char *const timer_names[] = { "platform", "pit", "rtc", "hpet", "tsc", "kvmclock",
                                               "hypervclock", "armvtimer", NULL };
    static const char *const tickpolicies[] = { "delay", "catchup", "merge", "discard", NULL };
    static const char *const tracks[] = { "boot", "guest", "wall", "realtime", NULL };
    static const char *const tsc_modes[] = { "auto", "native", "emulate", "paravirt", "smpsafe", NULL };
    mv_domain_clock *clk = &def->clock;
    xmlNodePtr n = dx_child(root, "clock"), t = NULL;
    _cleanup_free_ char *adj = NULL;
    int r;

    if (!n)
        return 0;
    r = dx_attr_in(p, n, "offset", offsets, &clk->offset);
    if (r < 0)
        return r;
    if (r == 2)
        return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                               "unknown clock offset '%s'", clk->offset);
    if (!clk->offset && !(clk->offset = dx_strdup(p, "utc")))
        return -ENOMEM;
    adj = dx_attr(p, n, "adjustment");
    if (adj && strcmp(clk->offset, "utc") != 0 && strcmp(clk->offset, "localtime") != 0 &&
        strcmp(clk->offset, "variable") != 0)
        return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                               "unsupported attribute 'adjustment' for clock offset '%s'", clk->offset);
    if (adj && strcmp(adj, "reset") == 0 && strcmp(clk->offset, "variable") != 0) {
        clk->adjustment_reset = true;
    } else if (adj) {
        if (dx_parse_ll(adj, &clk->adjustment) < 0)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_XML,
                                   "Invalid value '%s' for element or attribute './clock/@adjustment'", adj);
        clk->has_adjustment = true;
        /* A utc or localtime clock with an adjustment is a variable one. */
        if (strcmp(clk->offset, "variable") != 0) {
            free(clk->basis);
            clk->basis = clk->offset;
            clk->offset = dx_strdup(p, "variable");
        }
    }
    if (strcmp(clk->offset, "variable") == 0) {
        r = dx_attr_in(p, n, "basis", bases, &clk->basis);
        if (r == 2)
            return mv_error_report(-EINVAL, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN,
                                   "unknown basis '%s'", clk->basis);
        if (!clk->basis)
            clk->basis = dx_strdup(p, "utc");
        clk->has_adjustment = true;
    } else if (strcmp(clk->offset, "timezone") == 0) {
        clk->timezone = dx_attr(p, n, "timezone");
        if (!clk->timezone)
            return p->oom ? -ENOMEM :
                   mv_error_report(-EINVAL, MV_ERR_INTERNAL_ERROR, MV_FROM_DOMAIN,
                                   "missing 'timezone' attribute for clock with offset='timezone'");
    } else if (strcmp(clk->offset, "absolute") == 0) {
        if ((r = dx_attr_uint(p, n, "start", 10, ULLONG_MAX, &clk->start)) < 0)
            return r;
        if (r == 0)
            return mv_error_report(-EINVAL, MV_ERR_XML_ERROR, MV_FROM_DOMAIN,
                                   "missing 'start' attribute for clock with offset='absolute'");
    }

    if (dx_count(n, "timer") > 16)
        return mv_error_report(-E2BIG, MV_ERR_XML_ERROR, MV_FROM_DOMAIN, "too many timers");
    clk->timers = calloc(dx_count(n, "timer") + 1, sizeof(*clk->timers));
    if (!clk->timers)
        return -ENOMEM;
    clk->ntimers = dx_count(n, "timer");
    for (size_t i = 0; (t = dx_next(n, t, "timer")); i++) {
        mv_domain_timer *tm = &clk->timers[i];

        if ((r = dx_attr_in_xml(p, t, "name", timer_names, &tm->name)) < 0)
            return r;
        if (r == 0)
            return dx_err_missing("name", "timer");
        if ((r = dx_attr_yesno(p, t, "present", &tm->present)) < 0 ||
            (r = dx_attr_in_xml(p, t, "tickpolicy", tickpolicies, &tm->tickpolicy)) < 0 ||
            (r = dx_attr_in_xml(p, t, "track", tracks, &tm->track)) < 0 ||
            (r = dx_attr_in_xml(p, t, "mode", tsc_modes, &tm->mode)) < 0 ||
            (r = dx_attr_uint(p, t, "frequency", 10, ULLONG_MAX, &tm->frequency)) < 0)
            return r;
    }
    return p->oom ? -ENOMEM : 0;
}

void dx_clock_format(dbuf *b, const mv_domain_def *def)
{
    const mv_domain_clock *clk = &def->clock;
    dbuf c;

    db_start(b, "clock");
    db_attr(b, "offset", clk->offset ? clk->offset : "utc");
    if (clk->adjustment_reset)
        db_attr(b, "adjustment", "reset");
    else if (clk->has_adjustment)
        db_attrf(b, "adjustment", "%lld", clk->adjustment);
    db_attr(b, "basis", clk->basis);
    db_attr(b, "timezone", clk->timezone);
    if (clk->offset && strcmp(clk->offset, "absolute") == 0)
        db_attrf(b, "start", "%llu", clk->start);
    db_child(&c, b);
    for (size_t i = 0; i < clk->ntimers; i++) {
        const mv_domain_timer *t = &clk->timers[i];

        db_start(&c, "timer");
        db_attr(&c, "name", t->name);
        db_attr_yesno(&c, "present", t->present);
        db_attr(&c, "tickpolicy", t->tickpolicy);
        db_attr(&c, "track", t->track);
        if (t->frequency)
            db_attrf(&c, "frequency", "%llu", t->frequency);
        db_attr(&c, "mode", t->mode);
        db_end(&c);
    }
    db_finish(b, "clock", &c);
}

