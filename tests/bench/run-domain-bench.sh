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
. "$here/bench-lib.sh"

# storage_of DIR: the file system DIR is on, as FSTYPE:SOURCE.
storage_of() { findmnt -n -o FSTYPE,SOURCE -T "$1" | tr -s ' ' ':'; }

# measure NAME OUT SOCKET DAEMON-CMD...
# Starts the daemon, waits for its socket, runs domclient, stops the daemon.
# Appends domclient's key=value lines to OUT.  Uses DC, COUNT, REPS,
# VIRT_TYPE, XML_FILE and WORK from the environment.
measure() {
    local name=$1 out=$2 sock=$3
    shift 3
    local log="$WORK/$name.log" err="$WORK/$name.err"
    rm -f "$sock"
    start_daemon "$log" "$@"
    local xml=()
    [ -z "${XML_FILE:-}" ] || xml=(--xml "$XML_FILE")
    if ! wait_daemon "$sock"; then
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

# ---- inside the libvirtd sandbox: --inner-libvirtd KIND OUT [DISKDIR] ------
if [ "${1:-}" = --inner-libvirtd ]; then
    inner_libvirtd_check
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
        echo "version=$(libvirtd_version)"
        echo "storage=$(storage_of /etc/libvirt)"
    } >> "$out"
    measure "libvirtd-$kind" "$out" /run/libvirt/libvirt-sock /usr/sbin/libvirtd
    exit
fi

# ---- in a private mount namespace: --inner-modvirt KIND OUT ROOT VIRTQEMUD ---
if [ "${1:-}" = --inner-modvirt ]; then
    kind=$2 out=$3 root=$4 virtqemud=$5
    mkdir -p "$root"
    [ "$kind" = tmpfs ] && mount -t tmpfs -o mode=0755 tmpfs "$root"
    virtqemud_root "$root" "$out"
    echo "storage=$(storage_of "$root/etc/libvirt")" >> "$out"
    measure "modvirt-$kind" "$out" "$VQ_SOCK" "${VQ_CMD[@]}"
    exit
fi

# ---- options ---------------------------------------------------------------
count=1000 reps=50 storage=both disk_dir=/var/tmp
virt_type="" do_modvirt=1 xml_file=""
own_option() {
    USED=2
    case $1 in
    --quick) count=50; reps=10; USED=1 ;;
    -n|--count) count=$2 ;;
    --list-reps) reps=$2 ;;
    --storage) storage=$2 ;;
    --disk-dir) disk_dir=$2 ;;
    --virt-type) virt_type=$2 ;;
    --xml) xml_file=$(realpath "$2") ;;
    --no-modvirt) do_modvirt=0; USED=1 ;;
    *) USED=0 ;;
    esac
}
parse_options "$@"
case $storage in
tmpfs) kinds="tmpfs" ;;
disk) kinds="disk" ;;
both) kinds="tmpfs disk" ;;
*) note "--storage takes tmpfs, disk or both"; exit 2 ;;
esac
need_root "the sandboxes"
if [ -z "$virt_type" ]; then
    if [ -w /dev/kvm ]; then virt_type=kvm; else virt_type=qemu; fi
fi

make_work modvirt-domain-bench
DISKWORK=""
if [[ " $kinds " = *" disk "* ]]; then
    DISKWORK=$(mktemp -d -p "$disk_dir" modvirt-domain-bench.XXXXXX)
    SCRATCH=$DISKWORK   # the definitions on disk are no logs: always removed
fi

DC=$(bench_client domclient)
export DC WORK COUNT=$count REPS=$reps VIRT_TYPE=$virt_type XML_FILE=$xml_file
rc=0

for kind in $kinds; do
    if [ $do_libvirtd = 1 ]; then
        run_libvirtd "$WORK/$kind-libvirtd.kv" "$kind" "$WORK/$kind-libvirtd.kv" \
            "$DISKWORK" || rc=1
    fi
    if [ $do_modvirt = 1 ] && have_virtqemud "$WORK/$kind-modvirt.kv"; then
        if [ "$kind" = tmpfs ]; then root="$WORK/root-tmpfs"; else root="$DISKWORK/root"; fi
        unshare -m --propagation private "$self" --inner-modvirt "$kind" \
            "$WORK/$kind-modvirt.kv" "$root" "$virtqemud" || rc=1
    fi
done

# ---- report ----------------------------------------------------------------
report "$WORK" "$json" "$count" "$reps" "$virt_type" "$kinds" "$xml_file" <<'EOF'
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
    print_notes(res)
print("(mean ms per call, p99 in parentheses; lower is better)")

write_json(json_path, {
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
})
EOF
exit $rc
