#!/bin/bash
# run-domain-bench.sh — domain definitions: Debian's libvirtd and modvirt's
# virtqemud measured side by side, with the definitions on tmpfs and on disk.
#
#   meson compile -C build && tests/bench/run-domain-bench.sh --json build/domain-bench.json
#   quick:   tests/bench/run-domain-bench.sh --quick
#
# usage: run-domain-bench.sh [--quick] [-n N] [--list-reps R] [--json FILE]
#                            [--build DIR] [--storage tmpfs|disk|both]
#                            [--disk-dir DIR] [--virt-type kvm|qemu] [--xml FILE]
#                            [--no-libvirtd] [--no-modvirt] [VIRTQEMUD]
#
# Each daemon, fresh for each storage kind, is driven by domclient (a C wire
# client, tests/bench/domclient.c, one connection, synchronous calls) through
# define x N, listAllDomains x R with N defined, lookupByName x N, XMLDesc x N
# and undefine x N.  N is 1000 (--quick: 50), R is 50 (--quick: 10).  The
# guest XML is domclient's built-in virt-install style Debian guest (2.4 KB:
# q35, qcow2 virtio disk, cdrom, virtio net on network 'default', vnc, rng);
# --xml FILE gives domclient a template of your own (see domclient --help).
#
# Storage of the definitions:
#   tmpfs  libvirtd: /etc/libvirt in libvirtd-sandbox.sh's sandbox is tmpfs.
#          virtqemud: --root on a tmpfs mounted in a private mount namespace.
#   disk   libvirtd: /etc/libvirt is a directory under --disk-dir (default
#          /var/tmp) bind-mounted into the sandbox.  virtqemud: --root under
#          --disk-dir.  Both write NAME.xml under .../etc/libvirt/qemu.
#
# Needs root (namespaces) and Debian's libvirt-daemon-driver-qemu.  VIRTQEMUD
# defaults to BUILD/virtqemud/virtqemud.  If virtqemud answers the define
# with "unknown procedure" its column is skipped with a note.  Benchmarks
# measure; the exit status is non-zero only when a measurement fails.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
self="$here/$(basename "$0")"
PY=/usr/bin/python3

note() { echo "run-domain-bench: $*" >&2; }

DAEMON_PID=""   # a daemon this process started and has not stopped yet
stop_daemon() {
    [ -n "$DAEMON_PID" ] || return 0
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=""
}

# measure NAME OUT SOCKET DAEMON-CMD...
# Starts the daemon, waits for its socket, runs domclient, stops the daemon.
# Appends domclient's key=value lines to OUT.  Uses DC, COUNT, REPS,
# VIRT_TYPE, XML_FILE and WORK from the environment.
measure() {
    local name=$1 out=$2 sock=$3
    shift 3
    local log="$WORK/$name.log" err="$WORK/$name.err"
    rm -f "$sock"
    "$@" >>"$log" 2>&1 &
    DAEMON_PID=$!
    local xml=()
    [ -z "${XML_FILE:-}" ] || xml=(--xml "$XML_FILE")
    for _ in $(seq 300); do
        [ -S "$sock" ] && break
        kill -0 "$DAEMON_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -S "$sock" ]; then
        note "$name: no socket at $sock, see $log"
        tail -5 "$log" >&2 || true
        stop_daemon
        echo "error=daemon did not start" >> "$out"
        return 1
    fi
    note "$name: domclient -n $COUNT --list-reps $REPS"
    if "$DC" --socket "$sock" -n "$COUNT" --list-reps "$REPS" \
            --virt-type "$VIRT_TYPE" "${xml[@]}" >> "$out" 2> "$err"; then
        stop_daemon
        return 0
    fi
    stop_daemon
    if grep -q 'DOMAIN_DEFINE_XML failed:.*unknown procedure' "$err"; then
        note "$name: $(tail -1 "$err")"
        note "$name: the daemon has no domain definitions yet: column skipped"
        echo "skipped=the daemon does not implement DOMAIN_DEFINE_XML yet (unknown procedure)" >> "$out"
        return 0
    fi
    cat "$err" >&2
    echo "error=$(tail -1 "$err")" >> "$out"
    return 1
}

trap 'stop_daemon' EXIT
trap 'exit 130' INT TERM

# ---- inside the libvirtd sandbox: --inner-libvirtd KIND OUT [DISKDIR] ------
if [ "${1:-}" = --inner-libvirtd ]; then
    [ -n "${MODVIRT_LIBVIRTD_SANDBOX:-}" ] || { note "--inner-libvirtd is internal"; exit 2; }
    kind=$2 out=$3
    if [ "$kind" = disk ]; then
        # The sandbox put /etc/libvirt on tmpfs; move it (with the qemu.conf
        # and libvirtd.conf the sandbox wrote) to a directory on disk.
        etc="$4/libvirtd-etc"
        mkdir -p "$etc"
        cp -a /etc/libvirt/. "$etc/"
        umount /etc/libvirt
        mount --bind "$etc" /etc/libvirt
    fi
    {
        echo "version=$(/usr/sbin/libvirtd --version | awk '{ print $NF }')"
        echo "storage=$(findmnt -n -o FSTYPE,SOURCE -T /etc/libvirt | tr -s ' ' ':')"
    } >> "$out"
    measure "libvirtd-$kind" "$out" /run/libvirt/libvirt-sock /usr/sbin/libvirtd
    exit
fi

# ---- in a private mount namespace: --inner-modvirt KIND OUT ROOT VIRTQEMUD ---
if [ "${1:-}" = --inner-modvirt ]; then
    kind=$2 out=$3 root=$4 virtqemud=$5
    mkdir -p "$root"
    [ "$kind" = tmpfs ] && mount -t tmpfs -o mode=0755 tmpfs "$root"
    mkdir -p "$root/etc/libvirt" "$root/run/libvirt"
    : > "$root/etc/libvirt/virtqemud.conf"
    {
        echo "binary=$(readlink -f "$virtqemud")"
        echo "storage=$(findmnt -n -o FSTYPE,SOURCE -T "$root/etc/libvirt" | tr -s ' ' ':')"
    } >> "$out"
    measure "modvirt-$kind" "$out" "$root/run/libvirt/virtqemud-sock" \
        "$virtqemud" --root "$root" -t 300 -f "$root/etc/libvirt/virtqemud.conf"
    exit
fi

# ---- options ---------------------------------------------------------------
json="" build="" count=1000 reps=50 storage=both disk_dir=/var/tmp
virt_type="" do_libvirtd=1 do_modvirt=1 virtqemud="" xml_file=""
while [ $# -gt 0 ]; do
    case $1 in
    --quick) count=50; reps=10 ;;
    -n|--count) count=$2; shift ;;
    --list-reps) reps=$2; shift ;;
    --json) json=$2; shift ;;
    --build) build=$2; shift ;;
    --storage) storage=$2; shift ;;
    --disk-dir) disk_dir=$2; shift ;;
    --virt-type) virt_type=$2; shift ;;
    --xml) xml_file=$(realpath "$2"); shift ;;
    --no-libvirtd) do_libvirtd=0 ;;
    --no-modvirt) do_modvirt=0 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    -*) note "unknown option $1"; exit 2 ;;
    *) virtqemud=$1 ;;
    esac
    shift
done
case $storage in
tmpfs) kinds="tmpfs" ;;
disk) kinds="disk" ;;
both) kinds="tmpfs disk" ;;
*) note "--storage takes tmpfs, disk or both"; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { note "needs root (namespaces for the sandboxes)"; exit 1; }
[ -n "$build" ] || build=$(realpath -m "$here/../../build")
[ -n "$virtqemud" ] || virtqemud="$build/virtqemud/virtqemud"
if [ -z "$virt_type" ]; then
    if [ -w /dev/kvm ]; then virt_type=kvm; else virt_type=qemu; fi
fi

WORK=$(mktemp -d /tmp/modvirt-domain-bench.XXXXXX)
DISKWORK=""
if [[ " $kinds " = *" disk "* ]]; then
    DISKWORK=$(mktemp -d -p "$disk_dir" modvirt-domain-bench.XXXXXX)
fi
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
    local st=$?
    stop_daemon
    [ -z "$DISKWORK" ] || rm -rf "$DISKWORK"
    if [ "$st" = 0 ]; then
        rm -rf "$WORK"
    else
        note "logs kept in $WORK"
    fi
}
trap cleanup EXIT

DC="$build/tests/bench/domclient"
if [ ! -x "$DC" ]; then
    note "no $DC; compiling tests/bench/domclient.c into $WORK"
    DC="$WORK/domclient"
    cc -std=gnu11 -O2 -D_GNU_SOURCE -o "$DC" "$here/domclient.c"
fi
export DC WORK COUNT=$count REPS=$reps VIRT_TYPE=$virt_type XML_FILE=$xml_file
rc=0

for kind in $kinds; do
    if [ $do_libvirtd = 1 ]; then
        if [ -x /usr/sbin/libvirtd ]; then
            "$here/libvirtd-sandbox.sh" "$self" --inner-libvirtd "$kind" \
                "$WORK/$kind-libvirtd.kv" "$DISKWORK" || rc=1
        else
            echo "skipped=/usr/sbin/libvirtd not installed" >> "$WORK/$kind-libvirtd.kv"
        fi
    fi
    if [ $do_modvirt = 1 ]; then
        if [ -x "$virtqemud" ]; then
            if [ "$kind" = tmpfs ]; then root="$WORK/root-tmpfs"; else root="$DISKWORK/root"; fi
            unshare -m --propagation private "$self" --inner-modvirt "$kind" \
                "$WORK/$kind-modvirt.kv" "$root" "$virtqemud" || rc=1
        else
            note "no virtqemud at $virtqemud: modvirt column skipped (build it, or pass its path)"
            echo "skipped=no virtqemud binary at $virtqemud" >> "$WORK/$kind-modvirt.kv"
        fi
    fi
done

# ---- report ----------------------------------------------------------------
"$PY" - "$WORK" "$json" "$count" "$reps" "$virt_type" "$kinds" "$xml_file" <<'EOF'
import json, os, platform, sys, time
work, json_path, count, reps, virt_type, kinds, xml_file = sys.argv[1:8]
count, reps, kinds = int(count), int(reps), kinds.split()
PHASES = ["define", "list", "lookup", "dumpxml", "undefine"]
LABELS = {"define": "define", "list": "list(%d)" % count, "lookup": "lookup",
          "dumpxml": "dumpxml", "undefine": "undefine"}

def load(path):
    """domclient's lines: phase=X k=v ... per phase, plain k=v otherwise."""
    if not os.path.exists(path):
        return None
    d = {"phases": {}}
    for line in open(path):
        line = line.strip()
        if line.startswith(("skipped=", "error=")):
            k, _, v = line.partition("=")
            d[k] = v
            continue
        kv = dict(w.partition("=")[::2] for w in line.split())
        if "phase" in kv:
            ph = kv.pop("phase")
            d["phases"][ph] = {k: (int(v) if k == "calls" else float(v))
                               for k, v in kv.items()}
            continue
        for k, v in kv.items():
            try:
                d[k] = float(v) if "." in v else int(v)
            except ValueError:
                d[k] = v
    return d

results, ratios = {}, {}
for kind in kinds:
    res = {n: load(os.path.join(work, "%s-%s.kv" % (kind, n)))
           for n in ("libvirtd", "modvirt")}
    results[kind] = res
    a = (res["libvirtd"] or {}).get("phases", {})
    b = (res["modvirt"] or {}).get("phases", {})
    ratios[kind] = {p: round(b[p]["ms"] / a[p]["ms"], 3)
                    for p in PHASES if p in a and p in b and a[p]["ms"] > 0}

    def cell(ph, p):
        if p not in ph:
            return "-"
        return "%.3f (%.3f)" % (ph[p]["ms"], ph[p]["p99_ms"])
    print()
    where = ", ".join("%s on %s" % (n, d["storage"].split("[")[0]) for n, d in res.items()
                      if d and "storage" in d)
    xb = next((d["xml_bytes"] for d in res.values() if d and "xml_bytes" in d), "?")
    print("storage: %s  (N=%d, %s-byte XML; %s)" % (kind, count, xb, where))
    print("%-16s %20s %20s %10s" % ("ms/call (p99)", "libvirtd", "modvirt",
                                    "modvirt/libvirtd"))
    for p in PHASES:
        r = ratios[kind].get(p)
        print("%-16s %20s %20s %10s" % (LABELS[p], cell(a, p), cell(b, p),
                                        "%.2f" % r if r is not None else "-"))
    for n, d in res.items():
        for k in ("skipped", "error"):
            if d and k in d:
                print("%s: %s: %s" % (n, k, d[k]))
print("(mean ms per call, p99 in parentheses; lower is better)")

if json_path:
    doc = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": {"nproc": os.cpu_count(), "kernel": platform.release(),
                 "machine": platform.machine()},
        "settings": {"domains": count, "list_reps": reps, "virt_type": virt_type,
                     "xml": xml_file or "domclient built-in (virt-install style)",
                     "client": "domclient (C wire client, 1 connection, synchronous)",
                     "procs": {"define": "DOMAIN_DEFINE_XML (11)",
                               "list": "CONNECT_LIST_ALL_DOMAINS (273)",
                               "lookup": "DOMAIN_LOOKUP_BY_NAME (23)",
                               "dumpxml": "DOMAIN_GET_XML_DESC (14)",
                               "undefine": "DOMAIN_UNDEFINE_FLAGS (231)"}},
        "results": results,
        "ratios_modvirt_over_libvirtd": ratios,
    }
    with open(json_path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print("results written to", json_path)
EOF
exit $rc
