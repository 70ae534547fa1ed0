#!/bin/bash
# run-guest-bench.sh — running guests: Debian's libvirtd and modvirt's
# virtqemud side by side, with the floors of this machine measured in the
# same run (issue 8, part 10).
#
#   make bench  (after run-bench.sh and run-domain-bench.sh)
#   quick:      tests/bench/run-guest-bench.sh --quick
#
# usage: run-guest-bench.sh [--quick] [--runs N] [--parallel P] [--settle S]
#                           [--json FILE] [--build DIR] [--no-libvirtd]
#                           [--no-modvirt] [VIRTQEMUD]
#
# The guest is the test guest (tests/guest: Debian's kernel and a busybox
# initramfs, direct kernel boot, TCG, 128 MiB, a pty serial console), built
# or taken from its cache first.  Three stacks, one after the other, each in
# its own sandbox (libvirtd-sandbox.sh).  In each, every run of the daemon
# follows a run of the floor, so that each daemon is compared with a floor
# measured alongside it on the same machine (other load on it moves both):
#
#   floor      qemufloor (tests/bench/qemufloor.c): bare QEMU, the command
#              line a daemon runs for that guest (paused, QMP monitor on a
#              unix socket, pty serial, balloon, sandbox on), forked and
#              driven by hand: fork/exec -> QMP greeting -> qmp_capabilities
#              -> cont, until cont's reply (start); SIGTERM -> reaped
#              (destroy); P QEMUs forked at once until the last has
#              answered cont (parallel)
#   libvirtd   /usr/sbin/libvirtd with virtlogd (Debian's default
#              stdio_handler), QEMU run as root
#   virtqemud  VIRTQEMUD (default BUILD/virtqemud/virtqemud) on its own
#              socket, QEMU run as root; while it cannot start guests its
#              column says why
#
# The daemons are measured by guestbench.py (python3-libvirt; see its
# header): start (create() until it returns, the guest running), destroy,
# P guests started at once from P connections, suspend and resume, event
# latency (the call until the lifecycle event arrives on another
# connection), and the daemon's CPU time per start+destroy cycle (from
# /proc/PID/stat).  Each figure is the median of N runs (--runs; 5,
# --quick 1); P is --parallel (8); a guest runs --settle seconds (0.5)
# before it is destroyed.  Printed as a table (with the ratios to the
# floor and the issue's targets) and, with --json, written as JSON.
#
# Needs root (namespaces), qemu-system-x86, Debian's libvirt-daemon,
# libvirt-daemon-driver-qemu and python3-libvirt.  Benchmarks measure;
# nothing here asserts timings.  The exit status is non-zero only when a
# measurement fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
. "$here/bench-lib.sh"

GUESTBENCH="$here/guestbench.py"
IMAGE_DIR=${MODVIRT_GUEST_DIR:-/var/cache/modvirt-test-guest/image}

# floor_argv FILE: the guest's QEMU command line for the floor, without the
# monitor (which qemufloor adds), NUL-separated into FILE: what a daemon runs
# for guest.guest_xml() with no disk.  Uses WORK (the master key file) and
# IMAGE_DIR.
floor_argv() {
    local mem=128
    head -c 32 /dev/urandom > "$WORK/master-key.aes"
    # shellcheck disable=SC2054  # the commas are in QEMU option values
    local argv=(/usr/bin/qemu-system-x86_64
        -name guest=floorg,debug-threads=on -S
        -object "{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":\"$WORK/master-key.aes\"}"
        -machine pc,usb=off,dump-guest-core=off,memory-backend=pc.ram -accel tcg -cpu qemu64
        -m "$mem" -object "{\"qom-type\":\"memory-backend-ram\",\"id\":\"pc.ram\",\"size\":$((mem << 20))}"
        -overcommit mem-lock=off -smp 1,sockets=1,cores=1,threads=1
        -uuid 3e0e7d1c-9a43-4c1e-8f25-7a2b5c1d0f00 -display none -no-user-config -nodefaults
        -rtc base=utc -no-shutdown -boot strict=on
        -kernel "$IMAGE_DIR/vmlinuz" -initrd "$IMAGE_DIR/initrd.img" -append "$(cat "$IMAGE_DIR/cmdline")"
        -device '{"driver":"piix3-usb-uhci","id":"usb","bus":"pci.0","addr":"0x1.0x2"}'
        -chardev pty,id=charserial0
        -device '{"driver":"isa-serial","chardev":"charserial0","id":"serial0","index":0}'
        -audiodev '{"id":"audio1","driver":"none"}'
        -device '{"driver":"virtio-balloon-pci","id":"balloon0","bus":"pci.0","addr":"0x2"}'
        -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny
        -msg timestamp=on)
    printf '%s\0' "${argv[@]}" > "$1"
}

# guestbench OUT LOG URI PID [AUX-PID]: guestbench.py against a daemon,
# its key=value lines appended to OUT.
guestbench() {
    local out=$1 log=$2 uri=$3 pid=$4 aux=${5:-} err="$WORK/guestbench.err"
    local args=(--uri "$uri" --pid "$pid" --runs "$RUNS" --parallel "$PAR" --settle "$SETTLE"
                --floor "$QF" --floor-argv "$WORK/floor.argv" --floor-dir "$WORK")
    [ -z "$aux" ] || args+=(--aux-pid "$aux")
    if ! "$PY" "$GUESTBENCH" "${args[@]}" >> "$out" 2> "$err"; then
        cat "$err" >&2
        note "guestbench failed; the daemon's last words:"
        grep -v 'ethtool ioctl error' "$log" | tail -20 >&2 || true
        echo "error=$(tail -1 "$err")" >> "$out"
        return 1
    fi
}

# ---- inside the sandboxes (libvirtd-sandbox.sh) ------------------------------
case ${1:-} in
--inner-libvirtd)
    inner_libvirtd_check
    out=$2
    echo "version=$(libvirtd_version)" >> "$out"
    log="$WORK/libvirtd.log"
    /usr/sbin/virtlogd >> "$WORK/virtlogd.log" 2>&1 &
    logd=$!
    start_daemon "$log" /usr/sbin/libvirtd
    rc=0
    if wait_daemon /run/libvirt/libvirt-sock; then
        guestbench "$out" "$log" qemu:///system "$DAEMON_PID" "$logd" || rc=1
    else
        note "libvirtd did not start, see $log"
        echo "error=libvirtd did not start" >> "$out"
        rc=1
    fi
    stop_daemon
    kill -TERM "$logd" 2>/dev/null || true
    wait "$logd" 2>/dev/null || true
    exit $rc
    ;;
--inner-virtqemud)
    inner_libvirtd_check
    out=$2 bin=$3
    echo "binary=$(readlink -f "$bin")" >> "$out"
    log="$WORK/virtqemud.log"
    sock=/run/libvirt/virtqemud-sock
    start_daemon "$log" "$bin"
    rc=0
    if wait_daemon "$sock"; then
        guestbench "$out" "$log" "qemu:///system?socket=$sock" "$DAEMON_PID" || rc=1
    else
        note "virtqemud did not start, see $log"
        tail -5 "$log" >&2 || true
        echo "error=virtqemud did not start" >> "$out"
        rc=1
    fi
    stop_daemon
    exit $rc
    ;;
esac

# ---- the run ------------------------------------------------------------------
QUICK=0 RUNS="" PAR=8 SETTLE=0.5 do_modvirt=1
# shellcheck disable=SC2317  # called by parse_options
own_option() {
    case $1 in
    --quick) QUICK=1; USED=1 ;;
    --runs) RUNS=$2; USED=2 ;;
    --parallel) PAR=$2; USED=2 ;;
    --settle) SETTLE=$2; USED=2 ;;
    --no-modvirt) do_modvirt=0; USED=1 ;;
    *) USED=0 ;;
    esac
}
parse_options "$@"
[ -n "$RUNS" ] || { [ $QUICK = 1 ] && RUNS=1 || RUNS=5; }
need_root "the daemons' sandboxes"
[ -x /usr/bin/qemu-system-x86_64 ] || { note "no /usr/bin/qemu-system-x86_64"; exit 1; }

make_work run-guest-bench
export WORK RUNS PAR SETTLE IMAGE_DIR
note "the test guest: $("$here/../guest/build-guest.sh" "$IMAGE_DIR" | tr '\n' ' ')"

libvirtd_kv="$WORK/libvirtd.kv" modvirt_kv="$WORK/virtqemud.kv"
: > "$libvirtd_kv"; : > "$modvirt_kv"
rc=0

QF="$build/tests/bench/qemufloor"
if [ ! -x "$QF" ]; then
    note "no $QF; compiling tests/bench/qemufloor.c into $WORK"
    QF="$WORK/qemufloor"
    cc -std=gnu11 -O2 -D_GNU_SOURCE -o "$QF" "$here/qemufloor.c"
fi
export QF
floor_argv "$WORK/floor.argv"

if [ "$do_libvirtd" = 1 ]; then
    note "libvirtd: guestbench, a floor run before each of its runs; $RUNS run(s), $PAR in parallel"
    run_libvirtd "$libvirtd_kv" "$libvirtd_kv" || rc=1
else
    echo "skipped=--no-libvirtd" >> "$libvirtd_kv"
fi

if [ "$do_modvirt" = 0 ]; then
    echo "skipped=--no-modvirt" >> "$modvirt_kv"
elif have_virtqemud "$modvirt_kv"; then
    note "virtqemud: guestbench, a floor run before each of its runs; $RUNS run(s), $PAR in parallel"
    "$here/libvirtd-sandbox.sh" "$self" --inner-virtqemud "$modvirt_kv" "$virtqemud" || rc=1
fi

report "$libvirtd_kv" "$modvirt_kv" "$json" "$RUNS" "$PAR" "$SETTLE" <<'EOF' || rc=1
def load(path):
    d = {}
    with open(path) as f:
        for line in f:
            k, sep, v = line.rstrip("\n").partition("=")
            if not sep:
                continue
            if k.endswith("_runs_ms"):
                d[k] = [float(x) for x in v.split(",") if x]
                continue
            try:
                d[k] = float(v)
            except ValueError:
                d[k] = v
    return d

lv, vq = (load(p) for p in sys.argv[1:3])
json_path, runs, par, settle = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
res = {"libvirtd": lv, "virtqemud": vq}
# Each daemon's own floor, measured alongside it in its sandbox.
flv = {k[6:]: v for k, v in lv.items() if k.startswith("floor_")}
fvq = {k[6:]: v for k, v in vq.items() if k.startswith("floor_")}

# (label, key, floor's key, target: the most a daemon may take, as a
# multiple of the floor)
ROWS = [("start -> running ms", "start_ms", "start_ms", 1.3),
        ("destroy ms", "destroy_ms", "destroy_ms", 3.0),
        ("%d guests started at once ms" % par, "par_ms", "par_ms", 1.3),
        ("first start ms (cold)", "first_start_ms", None, None),
        ("suspend ms", "suspend_ms", None, None),
        ("resume ms", "resume_ms", None, None),
        ("event latency, suspend ms", "event_suspend_ms", None, None),
        ("event latency, resume ms", "event_resume_ms", None, None),
        ("event latency, start ms", "event_start_ms", None, None),
        ("event latency, destroy ms", "event_stop_ms", None, None),
        ("daemon CPU per start+destroy ms", "cpu_per_cycle_ms", None, None)]

def cell(d, k):
    v = d.get(k) if k else None
    return "%.1f" % v if isinstance(v, float) else "-"

def ratio(a, b):
    return a / b if isinstance(a, float) and isinstance(b, float) and b > 0 else None

ratios, targets = {}, {}
FMT = "%-32s %8s %9s %8s %9s %8s %8s %7s"
print()
print(FMT % ("", "floor", "libvirtd", "floor", "virtqemud", "lv/floor", "vq/floor", "target"))
for label, k, fk, tgt in ROWS:
    rl = ratio(lv.get(k), flv.get(fk)) if fk else None
    rq = ratio(vq.get(k), fvq.get(fk)) if fk else None
    if fk:
        ratios[k] = {"libvirtd_over_floor": rl, "virtqemud_over_floor": rq}
        if rq is not None:
            targets[k] = {"target_over_floor": tgt, "ratio": round(rq, 3), "met": rq <= tgt}
    print(FMT % (label, cell(flv, fk), cell(lv, k), cell(fvq, fk), cell(vq, k),
                 "%.2f" % rl if rl is not None else "-", "%.2f" % rq if rq is not None else "-",
                 "<=%.1fx" % tgt if tgt else ""))
cl, cq = lv.get("cpu_per_cycle_ms"), vq.get("cpu_per_cycle_ms")
if isinstance(lv.get("aux_cpu_per_cycle_ms"), float):
    print(FMT % ("  virtlogd CPU per cycle ms", "", cell(lv, "aux_cpu_per_cycle_ms"), "", "", "", "", ""))
rc = ratio(cq, cl)
if rc is not None:
    targets["cpu_per_cycle_ms"] = {"target_over_libvirtd": 0.2, "ratio": round(rc, 3), "met": rc <= 0.2}
print("virtqemud / libvirtd daemon CPU per cycle: %s (target <= 0.20)"
      % ("%.2f" % rc if rc is not None else "-"))
for k, t in targets.items():
    print("target %-26s %s" % (k, "met" if t["met"] else "NOT met"))
print()
print("medians of %d run%s; a guest runs %.1f s before it is destroyed; "
      "CPU resolution per cycle (0: exact): libvirtd %s ms, virtqemud %s ms"
      % (runs, "s" if runs != 1 else "", settle, cell(lv, "cpu_resolution_ms"),
         cell(vq, "cpu_resolution_ms")))
print("floor: bare QEMU driven by qemufloor (fork/exec -> greeting -> qmp_capabilities -> cont; "
      "SIGTERM -> reaped), one run before each of the daemon's, in its sandbox")
print_notes(res)
for name, d in res.items():
    for k, v in d.items():
        if k.startswith("skipped_"):
            print("%s: %s not measured: %s" % (name, k[8:], v))
errors = [n for n, d in res.items() if "error" in d]
write_json(json_path, {
    "settings": {"runs": runs, "parallel": par, "settle_s": settle,
                 "guest": "tests/guest (direct kernel boot, TCG, 128 MiB)"},
    "libvirtd": lv, "virtqemud": vq,
    "ratios_over_floor": ratios, "targets": targets,
})
sys.exit(1 if errors else 0)
EOF
exit $rc
