#!/bin/bash
# run-bench.sh — Debian's libvirtd and modvirt's daemons (virtqemud, and
# virtproxyd in front of it), measured side by side against the floor.
#
#   make bench  ==  meson compile -C build && \
#                   tests/bench/run-bench.sh --json build/bench.json build/virtqemud/virtqemud
#   CI smoke:       tests/bench/run-bench.sh --quick --json build/bench-quick.json
#
# usage: run-bench.sh [--quick] [--json FILE] [--build DIR] [--seconds S]
#                     [--rounds R] [--cold-runs N] [--virtproxyd PATH]
#                     [--no-libvirtd] [VIRTQEMUD]
#
# Needs root and Debian's libvirt-daemon + python3-libvirt.  Every daemon
# stack runs in its own sandbox (libvirtd-sandbox.sh: private mount, net
# and pid namespaces, tmpfs over /run, /etc/libvirt, /var/lib/libvirt,
# /var/log/libvirt, /var/cache/libvirt), one after the other: libvirtd;
# the floor; virtqemud with virtproxyd in front of it.  VIRTQEMUD defaults
# to BUILD/virtqemud/virtqemud and virtproxyd to BUILD/virtproxyd/virtproxyd;
# if one is missing its column is skipped with a note.  virtproxyd, started
# as root, drops to the user 'virtproxyd' (`make users`).
#
# The stacks and what the C wire client (wireclient) talks to:
#   floor       floord (tests/bench/floord.c): a wire-protocol server that
#               does no work; the most this machine allows a round trip
#   libvirtd    /usr/sbin/libvirtd, directly on libvirt-sock
#   virtqemud   virtqemud, directly on virtqemud-sock
#   virtproxyd  virtproxyd's libvirt-sock, opening qemu:///system, in front
#               of that same virtqemud, as users get it: a local client's
#               socket is handed over to virtqemud at connect open
#   relay       a second virtproxyd (local_handoff = 0, on /run/relay/)
#               that relays every call over its upstream connections, as it
#               does for clients it cannot hand over
#
# Round trips: wireclient, synchronous calls, 1 and 8 connections, each
# figure the median of R runs (--rounds; 3, --quick 1) of S seconds
# (--seconds; 5, --quick 1).  In the modvirt sandbox the virtqemud,
# virtproxyd and relay runs alternate, so all see the same machine.  Two
# calls:
#   CONNECT_GET_LIB_VERSION  the benchmark's call since its start; a relay
#       answers it itself (owner local), so through "relay" it measures
#       virtproxyd alone.
#   CONNECT_GET_TYPE         as cheap, but owned by the hypervisor driver:
#       through "relay" it crosses the relay.  (Not for the floor.)
# Derived, printed and in the JSON:
#   added latency per call, us = conns/rps(X) - conns/rps(virtqemud), for X
#                           virtproxyd and relay, within each round, then
#                           the median over the rounds
#   virtproxyd / libvirtd   calls/s through virtproxyd over libvirtd direct;
#                           the target is >= 2 (reported as met or not);
#                           relay / libvirtd alongside
#   virtqemud / floor       how much of the floor virtqemud reaches
#
# Per daemon (libvirtd, virtqemud):
#   c_rps_1, c_rps_8   the CONNECT_GET_LIB_VERSION round trips above
#   py_rps_1           python3-libvirt conn.getLibVersion() calls/s, 1 connection
#   first_start_ms     exec -> first answered call, first start (empty caches)
#   cold_start_ms      the same, median of --cold-runs later starts
#   idle_rss_kib       VmRSS after startup and one client connection
#   load_rss_kib       VmRSS after the rps runs (virtproxyd's too)
# Benchmarks measure; nothing here asserts timings.  Exit status is non-zero
# only when a measurement fails, and a wireclient error through virtproxyd
# (the relay cannot relay) is such a failure, --quick included.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench-lib.sh"

# A python3-libvirt client doing synchronous getLibVersion() calls.
PYBENCH='
import sys, time, libvirt
conn = libvirt.open(sys.argv[1])
conn.getLibVersion()
n, t0 = 0, time.monotonic()
end = t0 + float(sys.argv[2])
while True:
    for _ in range(100):
        conn.getLibVersion()
    n += 100
    t = time.monotonic()
    if t >= end:
        break
conn.close()
print("calls=%d seconds=%.3f rps=%.0f" % (n, t - t0, n / (t - t0)))
'

getkv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# The calls the round trips time (remote procedure numbers): see the top.
CALLS="157 3"

# rt OUT LOG TARGET SOCKET URI PROC CONNS: one wireclient run; appends
# rt.TARGET.PROC.CONNS=RPS to OUT.  On failure, says why on stderr (the
# client's own message) and returns 1.  Uses WC, BENCH_SECS, WC_TIMEOUT.
rt() {
    local out=$1 log=$2 target=$3 sock=$4 uri=$5 proc=$6 n=$7 line err
    err="$WORK/wireclient.err"
    if ! line=$("$WC" --socket "$sock" --uri "$uri" --proc "$proc" --conns "$n" \
            --seconds "$BENCH_SECS" --timeout "$WC_TIMEOUT" 2>"$err"); then
        cat "$err" >> "$log"
        note "$target: wireclient --proc $proc --conns $n FAILED: $(tail -1 "$err")"
        echo "error=$target: wireclient --proc $proc --conns $n: $(tail -1 "$err")" >> "$out"
        return 1
    fi
    note "$target: proc $proc: $line"
    echo "rt.$target.$proc.$n=$(getkv rps "$line")" >> "$out"
}

# load_direct OUT LOG NAME SOCKET URI: ROUNDS rounds of every call with 1
# and 8 connections, straight to the daemon.
# shellcheck disable=SC2317  # called as "$load" by bench_daemon
load_direct() {
    local out=$1 log=$2 name=$3 sock=$4 uri=$5 proc n
    for _ in $(seq "$ROUNDS"); do
        for proc in $CALLS; do
            for n in 1 8; do
                rt "$out" "$log" "$name" "$sock" "$uri" "$proc" "$n" || return 1
            done
        done
    done
}

# start_proxy LOG CONF SOCKET URI: a virtproxyd with config CONF listening
# on SOCKET; sets PROXY_PID.  Up when a call owned by virtqemud comes back
# through it; on failure says why and returns 1.  Uses VIRTPROXYD.
start_proxy() {
    local plog=$1 conf=$2 psock=$3 uri=$4 cerr="$WORK/proxy-check.err"
    rm -f "$psock" "$cerr"
    "$VIRTPROXYD" -f "$conf" -p "${psock%/*}/virtproxyd.pid" >>"$plog" 2>&1 &
    PROXY_PID=$!
    for _ in $(seq 300); do
        [ ! -S "$psock" ] || break
        kill -0 "$PROXY_PID" 2>/dev/null || { echo "virtproxyd exited" > "$cerr"; break; }
        sleep 0.1
    done
    [ -S "$psock" ] || [ -s "$cerr" ] || echo "no socket $psock after 30 s" > "$cerr"
    for _ in 1 2 3; do
        [ -S "$psock" ] || break
        if "$WC" --socket "$psock" --uri "$uri" --proc 3 --calls 1 \
                --timeout "$WC_TIMEOUT" >/dev/null 2>"$cerr"; then
            return 0
        fi
        sleep 0.2
    done
    note "virtproxyd ($conf): NO CALL CAME BACK (CONNECT_GET_TYPE on $psock): $(tail -1 "$cerr" 2>/dev/null)"
    echo "error=virtproxyd ($conf): no call came back: $(tail -1 "$cerr" 2>/dev/null)" >> "$out"
    return 1
}

# load_modvirt OUT LOG NAME SOCKET URI: two virtproxyd in front of the
# running virtqemud, as users get it (local clients handed over to
# virtqemud at open) and relaying every call (local_handoff = 0, what a
# client the relay cannot hand over gets), then ROUNDS rounds of every call
# with 1 and 8 connections, each straight to virtqemud, then through each
# virtproxyd.  Uses VIRTPROXYD.
# shellcheck disable=SC2317  # called as "$load" by bench_daemon
load_modvirt() {
    local out=$1 log=$2 name=$3 sock=$4 uri=$5 proc n
    if [ -z "${VIRTPROXYD:-}" ]; then
        load_direct "$@"
        return
    fi
    local plog="$WORK/virtproxyd.log" rlog="$WORK/relay.log"
    local psock=/run/libvirt/libvirt-sock rsock=/run/relay/libvirt-sock ppid="" rpid=""
    echo "virtproxyd_binary=$(readlink -f "$VIRTPROXYD")" >> "$out"
    printf 'local_handoff = 1\n' > /etc/libvirt/virtproxyd.conf
    printf 'local_handoff = 0\nunix_sock_dir = "/run/relay"\n' > /etc/libvirt/virtproxyd-relay.conf
    mkdir -p /run/relay
    local failed=0
    if start_proxy "$plog" /etc/libvirt/virtproxyd.conf "$psock" "$uri"; then
        ppid=$PROXY_PID
        start_proxy "$rlog" /etc/libvirt/virtproxyd-relay.conf "$rsock" "$uri" || failed=1
        rpid=$PROXY_PID
    else
        failed=1
    fi
    if [ "$failed" = 0 ]; then
        sleep 0.5
        echo "proxy_idle_rss_kib=$(rss_kib "$ppid")" >> "$out"
        for _ in $(seq "$ROUNDS"); do
            for proc in $CALLS; do
                for n in 1 8; do
                    if ! rt "$out" "$log" virtqemud "$sock" "$uri" "$proc" "$n" ||
                       ! rt "$out" "$plog" virtproxyd "$psock" "$uri" "$proc" "$n" ||
                       ! rt "$out" "$rlog" relay "$rsock" "$uri" "$proc" "$n"; then
                        failed=1
                        break 3
                    fi
                done
            done
        done
        [ "$failed" = 1 ] || echo "proxy_load_rss_kib=$(rss_kib "$rpid")" >> "$out"
    fi
    if [ "$failed" = 1 ]; then
        note "==== virtproxyd could not serve; the daemons' last words: ===="
        note "---- virtproxyd ($plog)"; tail -20 "$plog" >&2 || true
        note "---- virtproxyd relaying ($rlog)"; tail -20 "$rlog" >&2 || true
        note "---- virtqemud ($log)"; tail -20 "$log" >&2 || true
    fi
    for p in $ppid $rpid; do
        kill -TERM "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    return "$failed"
}

# bench_daemon NAME OUTFILE SOCKET URI LOAD DAEMON-CMD...
# Runs every measurement against one daemon and appends key=value lines to
# OUTFILE; LOAD (load_direct or load_modvirt) runs the round trips.  Uses
# WC, BENCH_SECS, COLD_RUNS, WORK from the environment.
bench_daemon() {
    local name=$1 out=$2 sock=$3 uri=$4 load=$5 line i pid
    shift 5
    local log="$WORK/$name.log"
    kv() { echo "$1=$2" >> "$out"; }
    # The daemon is up when it answers a call, not when its socket appears.
    # shellcheck disable=SC2317  # called by wait_daemon
    answers() { "$WC" --socket "$sock" --uri "$uri" --calls 1 >/dev/null 2>>"$log"; }

    note "$name: cold starts ($((COLD_RUNS + 1)))"
    rm -f "$sock"
    line=$("$WC" --socket "$sock" --uri "$uri" --cold-start -- "$@" 2>>"$log") ||
        { note "$name: first start failed, see $log"; tail -5 "$log" >&2; return 1; }
    kv first_start_ms "$(getkv cold_start_ms "$line")"
    local runs=()
    for i in $(seq "$COLD_RUNS"); do
        rm -f "$sock"
        line=$("$WC" --socket "$sock" --uri "$uri" --cold-start -- "$@" 2>>"$log") ||
            { note "$name: cold start $i failed, see $log"; return 1; }
        runs+=("$(getkv cold_start_ms "$line")")
    done
    kv cold_start_runs_ms "$(IFS=,; echo "${runs[*]}")"

    note "$name: steady state"
    rm -f "$sock"
    start_daemon "$log" "$@"
    pid=$DAEMON_PID
    if ! wait_daemon "$sock" answers; then
        note "$name: daemon did not answer, see $log"
        stop_daemon
        return 1
    fi
    sleep 0.5
    kv idle_rss_kib "$(rss_kib "$pid")"

    "$load" "$out" "$log" "$name" "$sock" "$uri" || { stop_daemon; return 1; }
    if [ -n "${PY_OK:-}" ]; then
        line=$("$PY" -c "$PYBENCH" "$uri?socket=$sock" "$BENCH_SECS" 2>>"$log") ||
            { note "$name: python client failed, see $log"; stop_daemon; return 1; }
        note "$name: python: $line"
        kv py_rps_1 "$(getkv rps "$line")"
    fi
    kv load_rss_kib "$(rss_kib "$pid")"

    stop_daemon
}

# ---- inside the sandboxes (libvirtd-sandbox.sh) ------------------------------
if [ "${1:-}" = --inner-libvirtd ]; then
    inner_libvirtd_check
    out=$2
    echo "version=$(libvirtd_version)" >> "$out"
    bench_daemon libvirtd "$out" /run/libvirt/libvirt-sock qemu:///system load_direct \
        /usr/sbin/libvirtd
    exit
fi
if [ "${1:-}" = --inner-modvirt ]; then
    inner_libvirtd_check
    out=$2
    mkdir -p /run/libvirt
    : > /etc/libvirt/virtqemud.conf
    : > /etc/libvirt/virtproxyd.conf
    echo "binary=$(readlink -f "$VIRTQEMUD")" >> "$out"
    bench_daemon virtqemud "$out" /run/libvirt/virtqemud-sock qemu:///system load_modvirt \
        "$VIRTQEMUD" -t 300 -f /etc/libvirt/virtqemud.conf
    exit
fi
if [ "${1:-}" = --inner-floor ]; then
    inner_libvirtd_check
    out=$2 sock=/run/floor-sock
    echo "binary=$(readlink -f "$FLOORD")" >> "$out"
    start_daemon "$WORK/floor.log" "$FLOORD" --socket "$sock"
    wait_daemon "$sock" || { note "floor: floord did not start, see $WORK/floor.log"; exit 1; }
    for _ in $(seq "$ROUNDS"); do
        for n in 1 8; do
            rt "$out" "$WORK/floor.log" floor "$sock" qemu:///system 157 "$n" || exit 1
        done
    done
    exit
fi

# ---- options ---------------------------------------------------------------
secs=5 cold_runs=10 rounds=3 wc_timeout=30 virtproxyd=""
own_option() {
    case $1 in
    --quick) secs=1; cold_runs=2; rounds=1; wc_timeout=10; USED=1 ;;
    --seconds) secs=$2; USED=2 ;;
    --rounds) rounds=$2; USED=2 ;;
    --cold-runs) cold_runs=$2; USED=2 ;;
    --virtproxyd) virtproxyd=$2; USED=2 ;;
    esac
}
parse_options "$@"
need_root "the sandboxes"
[ -n "$virtproxyd" ] || virtproxyd="$build/virtproxyd/virtproxyd"

make_work modvirt-bench
WC=$(bench_client wireclient -pthread)
FLOORD=$(bench_client floord -pthread)
PY_OK=""
if "$PY" -c 'import libvirt' 2>/dev/null; then
    PY_OK=1
else
    note "$PY has no libvirt module (apt install python3-libvirt): python rps skipped"
fi
VIRTQEMUD=$virtqemud VIRTPROXYD=""
if [ -x "$virtproxyd" ]; then
    VIRTPROXYD=$virtproxyd
    id virtproxyd >/dev/null 2>&1 ||
        note "no user 'virtproxyd' (make users): virtproxyd may refuse to start"
else
    note "no virtproxyd at $virtproxyd: virtproxyd column skipped"
    echo "skipped_virtproxyd=no virtproxyd binary at $virtproxyd" >> "$WORK/modvirt.kv"
fi
export WC FLOORD WORK PY_OK VIRTQEMUD VIRTPROXYD BENCH_SECS=$secs COLD_RUNS=$cold_runs \
    ROUNDS=$rounds WC_TIMEOUT=$wc_timeout
rc=0

# ---- (a) libvirtd ----------------------------------------------------------
if [ $do_libvirtd = 1 ]; then
    run_libvirtd "$WORK/libvirtd.kv" "$WORK/libvirtd.kv" ||
        { rc=1; echo "error=libvirtd measurement failed" >> "$WORK/libvirtd.kv"; }
fi

# ---- (b) the floor -----------------------------------------------------------
"$here/libvirtd-sandbox.sh" "$self" --inner-floor "$WORK/floor.kv" ||
    { rc=1; echo "error=floor measurement failed" >> "$WORK/floor.kv"; }

# ---- (c) modvirt: virtqemud, virtproxyd in front of it ----------------------
if have_virtqemud "$WORK/modvirt.kv"; then
    "$here/libvirtd-sandbox.sh" "$self" --inner-modvirt "$WORK/modvirt.kv" ||
        { rc=1; echo "error=modvirt measurement failed" >> "$WORK/modvirt.kv"; }
fi

# ---- report ----------------------------------------------------------------
report "$WORK" "$json" "$secs" "$cold_runs" "$rounds" <<'EOF'
import statistics
work, json_path, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
cold_runs, rounds = int(sys.argv[4]), int(sys.argv[5])
CALLS = {"157": "CONNECT_GET_LIB_VERSION", "3": "CONNECT_GET_TYPE"}
SHORT = {"157": "getLibVersion", "3": "getType"}
TARGETS = ("floor", "libvirtd", "virtqemud", "virtproxyd", "relay")
VIA = ("virtproxyd", "relay")
CONNS = ("1", "8")
TARGET_RATIO = 2.0

rt = {}  # rt[proc][target][conns] = [calls/s of each run]

def load(name):
    path = os.path.join(work, name + ".kv")
    if not os.path.exists(path):
        return None
    d = {}
    for line in open(path):
        k, _, v = line.rstrip("\n").partition("=")
        if k.startswith("rt."):
            _, target, proc, n = k.split(".")
            rt.setdefault(proc, {}).setdefault(target, {}).setdefault(n, []).append(float(v))
        elif k == "cold_start_runs_ms":
            d[k] = [float(x) for x in v.split(",") if x]
            if d[k]:
                d["cold_start_ms"] = round(statistics.median(d[k]), 1)
        elif k == "error":
            d[k] = d[k] + "; " + v if k in d else v
        elif k in ("version", "binary", "virtproxyd_binary", "skipped", "skipped_virtproxyd"):
            d[k] = v
        elif v:
            d[k] = float(v)
    return d

res = {"libvirtd": load("libvirtd"), "modvirt": load("modvirt"), "floor": load("floor")}

def med(proc, target, n):
    runs = rt.get(proc, {}).get(target, {}).get(n)
    return statistics.median(runs) if runs else None

# The daemons' own columns: their direct CONNECT_GET_LIB_VERSION figures.
for name, target in (("libvirtd", "libvirtd"), ("modvirt", "virtqemud")):
    for n in CONNS:
        v = med("157", target, n)
        if res[name] is not None and v is not None:
            res[name]["c_rps_" + n] = round(v)

rows = [("c_rps_1", "C client calls/s, 1 conn", "%.0f"),
        ("c_rps_8", "C client calls/s, 8 conns", "%.0f"),
        ("py_rps_1", "python3-libvirt calls/s, 1 conn", "%.0f"),
        ("cold_start_ms", "cold start ms (median of %d)" % cold_runs, "%.1f"),
        ("first_start_ms", "first start ms (empty caches)", "%.1f"),
        ("idle_rss_kib", "idle RSS MiB", None),
        ("load_rss_kib", "RSS after load MiB", None)]
ratios = {}
a, b = res["libvirtd"] or {}, res["modvirt"] or {}
for key, _, _ in rows:
    if a.get(key) and b.get(key) is not None:
        ratios[key] = round(b[key] / a[key], 3)

def cell(d, key, fmt):
    v = d.get(key)
    if v is None:
        return "-"
    return "%.1f" % (v / 1024) if fmt is None else fmt % v

print()
print("%-34s %12s %12s %18s" % ("", "libvirtd", "virtqemud", "virtqemud/libvirtd"))
for key, label, fmt in rows:
    r = ratios.get(key)
    print("%-34s %12s %12s %18s" % (label, cell(a, key, fmt), cell(b, key, fmt),
                                    "%.2f" % r if r is not None else "-"))
if b.get("proxy_load_rss_kib"):
    print("%-34s %12s %12s" % ("virtproxyd RSS idle / after load MiB", "",
          "%.1f / %.1f" % (b["proxy_idle_rss_kib"] / 1024, b["proxy_load_rss_kib"] / 1024)))

# ---- round trips -----------------------------------------------------------
round_trips, added_us, over_libvirtd, over_floor, target = {}, {}, {}, {}, {}
for proc, call in CALLS.items():
    round_trips[call] = {t: {n: {"rps": round(med(proc, t, n)), "runs": rt[proc][t][n]}
                             for n in CONNS if med(proc, t, n) is not None}
                         for t in TARGETS if rt.get(proc, {}).get(t)}
    for n in CONNS:
        q, l, f = med(proc, "virtqemud", n), med(proc, "libvirtd", n), med(proc, "floor", n)
        for via in VIA:
            p = med(proc, via, n)
            if q and p:
                # A synchronous connection has one call in flight: latency
                # = conns / rate.  The difference is taken within each
                # round (the runs were back to back), then the median.
                pairs = zip(rt[proc]["virtqemud"][n], rt[proc][via][n])
                added_us.setdefault(via, {}).setdefault(call, {})[n] = round(statistics.median(
                    (int(n) / pv - int(n) / qv) * 1e6 for qv, pv in pairs if qv and pv), 2)
            if p and l:
                over_libvirtd.setdefault(via, {}).setdefault(call, {})[n] = round(p / l, 3)
        p = med(proc, "virtproxyd", n)
        if p and l:
            target.setdefault(call, {})[n] = {"ratio": round(p / l, 3), "met": p >= TARGET_RATIO * l}
        if q and f:
            over_floor.setdefault(call, {})[n] = round(q / f, 3)

def rps_cell(proc, t, n):
    v = med(proc, t, n)
    return "-" if v is None else "%.0f" % v

print()
print("C wire client round trips, calls/s (median of %d run%s of %g s)"
      % (rounds, "s" if rounds > 1 else "", secs))
print("%-26s %10s %10s %10s %11s %10s" % ("", *TARGETS))
for proc, call in CALLS.items():
    for n in CONNS:
        print("%-26s %10s %10s %10s %11s %10s" % (
            "%s, %s conn%s" % (SHORT[proc], n, "s" if n != "1" else ""),
            *(rps_cell(proc, t, n) for t in TARGETS)))
print()
W = 58
print("%-*s %9s %9s" % (W, "", "1 conn", "8 conns"))
def line(label, table, call, fmt):
    vals = table.get(call, {})
    print("%-*s %9s %9s" % (W, label, *(fmt % vals[n] if n in vals else "-" for n in CONNS)))
for via in VIA:
    for proc, call in CALLS.items():
        line("added us/call via %s, %s" % (via, SHORT[proc]), added_us.get(via, {}), call, "%+.2f")
for proc, call in CALLS.items():
    line("virtproxyd / libvirtd, %s (target >= %g)" % (SHORT[proc], TARGET_RATIO),
         over_libvirtd.get("virtproxyd", {}), call, "%.2f")
    t = target.get(call, {})
    print("%-*s %9s %9s" % (W, "  target met?", *(("yes" if t[n]["met"] else "NO") if n in t else "-"
                                                   for n in CONNS)))
for proc, call in CALLS.items():
    line("relay / libvirtd, %s" % SHORT[proc], over_libvirtd.get("relay", {}), call, "%.2f")
line("virtqemud / floor, getLibVersion", over_floor, CALLS["157"], "%.2f")
print("added us/call = conns/rate(X) - conns/rate(virtqemud), median over rounds")
print("virtproxyd hands local clients to virtqemud at open; relay (local_handoff = 0)")
print("relays getType and answers getLibVersion itself")
print()
print_notes(res)
print("(calls/s: higher is better; ms, us and RSS: lower is better)")

write_json(json_path, {
    "settings": {"seconds_per_rps_run": secs, "rounds": rounds, "cold_runs": cold_runs,
                 "call": "CONNECT_GET_LIB_VERSION (remote proc 157)",
                 "calls": {c: "remote proc " + p for p, c in CALLS.items()},
                 "note": "virtproxyd hands local clients to virtqemud at connect open; "
                         "relay is virtproxyd with local_handoff = 0, which answers "
                         "CONNECT_GET_LIB_VERSION itself and relays CONNECT_GET_TYPE"},
    "libvirtd": res["libvirtd"], "modvirt": res["modvirt"], "floor": res["floor"],
    "ratios_modvirt_over_libvirtd": ratios,
    "round_trips_rps": round_trips,
    "added_latency_us_over_virtqemud": added_us,
    "ratios_over_libvirtd": over_libvirtd,
    "target_virtproxyd_at_least_2x_libvirtd": target,
    "ratios_virtqemud_over_floor": over_floor,
})
EOF
exit $rc
