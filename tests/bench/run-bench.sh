#!/bin/bash
# run-bench.sh — Debian's libvirtd and modvirt's virtqemud, measured side by side.
#
#   make bench  ==  meson compile -C build && \
#                   tests/bench/run-bench.sh --json build/bench.json build/virtqemud/virtqemud
#   CI smoke:       tests/bench/run-bench.sh --quick --json build/bench-quick.json
#
# usage: run-bench.sh [--quick] [--json FILE] [--build DIR] [--seconds S]
#                     [--cold-runs N] [--no-libvirtd] [VIRTQEMUD]
#
# Needs root (libvirtd runs in private mount/net/pid namespaces, see
# libvirtd-sandbox.sh) and Debian's libvirt-daemon + python3-libvirt.
# VIRTQEMUD defaults to BUILD/virtqemud/virtqemud; if it is missing the modvirt
# column is skipped with a note.  virtqemud runs unsandboxed under
# `--root DIR` (a fresh mktemp directory), so it touches nothing on the host.
#
# For each daemon:
#   c_rps_1, c_rps_8   wireclient getLibVersion round trips/s, 1 and 8 connections
#   py_rps_1           python3-libvirt conn.getLibVersion() calls/s, 1 connection
#   first_start_ms     exec -> first answered call, first start (empty caches)
#   cold_start_ms      the same, median of --cold-runs later starts
#   idle_rss_kib       VmRSS after startup and one client connection
#   load_rss_kib       VmRSS after the rps runs
# Benchmarks measure; nothing here asserts timings.  Exit status is non-zero
# only when a measurement fails.
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

# bench_daemon NAME OUTFILE SOCKET URI DAEMON-CMD...
# Runs every measurement against one daemon and appends key=value lines to
# OUTFILE.  Uses WC, BENCH_SECS, COLD_RUNS, WORK from the environment.
bench_daemon() {
    local name=$1 out=$2 sock=$3 uri=$4 line i pid
    shift 4
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

    for n in 1 8; do
        line=$("$WC" --socket "$sock" --uri "$uri" --conns $n --seconds "$BENCH_SECS" 2>>"$log") ||
            { note "$name: wireclient --conns $n failed, see $log"; stop_daemon; return 1; }
        note "$name: C client: $line"
        kv c_rps_$n "$(getkv rps "$line")"
    done
    if [ -n "${PY_OK:-}" ]; then
        line=$("$PY" -c "$PYBENCH" "$uri?socket=$sock" "$BENCH_SECS" 2>>"$log") ||
            { note "$name: python client failed, see $log"; stop_daemon; return 1; }
        note "$name: python: $line"
        kv py_rps_1 "$(getkv rps "$line")"
    fi
    kv load_rss_kib "$(rss_kib "$pid")"

    stop_daemon
}

# ---- inside the libvirtd sandbox ------------------------------------------
if [ "${1:-}" = --inner-libvirtd ]; then
    inner_libvirtd_check
    out=$2
    echo "version=$(libvirtd_version)" >> "$out"
    bench_daemon libvirtd "$out" /run/libvirt/libvirt-sock qemu:///system /usr/sbin/libvirtd
    exit
fi

# ---- options ---------------------------------------------------------------
secs=5 cold_runs=10
own_option() {
    case $1 in
    --quick) secs=1; cold_runs=2; USED=1 ;;
    --seconds) secs=$2; USED=2 ;;
    --cold-runs) cold_runs=$2; USED=2 ;;
    esac
}
parse_options "$@"
need_root "the libvirtd sandbox"

make_work modvirt-bench
WC=$(bench_client wireclient -pthread)
PY_OK=""
if "$PY" -c 'import libvirt' 2>/dev/null; then
    PY_OK=1
else
    note "$PY has no libvirt module (apt install python3-libvirt): python rps skipped"
fi
export WC WORK PY_OK BENCH_SECS=$secs COLD_RUNS=$cold_runs
rc=0

# ---- (a) libvirtd ----------------------------------------------------------
if [ $do_libvirtd = 1 ]; then
    run_libvirtd "$WORK/libvirtd.kv" "$WORK/libvirtd.kv" ||
        { rc=1; echo "error=libvirtd measurement failed" >> "$WORK/libvirtd.kv"; }
fi

# ---- (b) modvirt virtqemud -------------------------------------------------
if have_virtqemud "$WORK/modvirt.kv"; then
    virtqemud_root "$WORK/root" "$WORK/modvirt.kv"
    bench_daemon modvirt "$WORK/modvirt.kv" "$VQ_SOCK" qemu:///system "${VQ_CMD[@]}" ||
        { rc=1; echo "error=virtqemud measurement failed" >> "$WORK/modvirt.kv"; }
fi

# ---- report ----------------------------------------------------------------
report "$WORK" "$json" "$secs" "$cold_runs" <<'EOF'
import statistics
work, json_path, secs, cold_runs = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])

def load(name):
    path = os.path.join(work, name + ".kv")
    if not os.path.exists(path):
        return None
    d = {}
    for line in open(path):
        k, _, v = line.rstrip("\n").partition("=")
        if k == "cold_start_runs_ms":
            d[k] = [float(x) for x in v.split(",") if x]
            if d[k]:
                d["cold_start_ms"] = round(statistics.median(d[k]), 1)
        elif k in ("version", "binary", "skipped", "error"):
            d[k] = v
        elif v:
            d[k] = float(v)
    return d

res = {"libvirtd": load("libvirtd"), "modvirt": load("modvirt")}
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
print("%-34s %12s %12s %18s" % ("", "libvirtd", "modvirt", "modvirt/libvirtd"))
for key, label, fmt in rows:
    r = ratios.get(key)
    print("%-34s %12s %12s %18s" % (label, cell(a, key, fmt), cell(b, key, fmt),
                                    "%.2f" % r if r is not None else "-"))
print_notes(res)
print("(calls/s: higher is better; ms and RSS: lower is better)")

write_json(json_path, {
    "settings": {"seconds_per_rps_run": secs, "cold_runs": cold_runs,
                 "call": "CONNECT_GET_LIB_VERSION (remote proc 157)"},
    "libvirtd": res["libvirtd"], "modvirt": res["modvirt"],
    "ratios_modvirt_over_libvirtd": ratios,
})
EOF
exit $rc
