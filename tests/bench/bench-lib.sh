# shellcheck shell=bash
# bench-lib.sh — what run-bench.sh and run-domain-bench.sh share: messages,
# option parsing, the work directory, building the C clients, starting and
# stopping daemons, and the Python helpers of their reports.
#
# Sourced (after `set -euo pipefail`) with $here set to tests/bench.  The
# calling script provides own_option (see parse_options).

self="$here/$(basename "$0")"   # the script, re-run inside the sandboxes
PY=/usr/bin/python3   # Debian's python3: the one with the libvirt module
BENCH_NAME=$(basename "$0" .sh)

note() { echo "$BENCH_NAME: $*" >&2; }

# The help is the script's header comment.
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

need_root() {
    [ "$(id -u)" = 0 ] || { note "needs root (namespaces for $1)"; exit 1; }
}

# ---- options ----------------------------------------------------------------

# parse_options ARGS...
# Handles the options both scripts take: --json FILE, --build DIR,
# --no-libvirtd, -h/--help and a VIRTQEMUD path; sets json, build,
# do_libvirtd and virtqemud (defaults: BUILD = the tree's build directory,
# VIRTQEMUD = BUILD/virtqemud/virtqemud).  Any other option goes to the
# script's own_option NAME [VALUE...], which sets USED to the words it took
# (1 or 2) and leaves it 0 for an option it does not know either.
parse_options() {
    json="" build="" do_libvirtd=1 virtqemud=""
    while [ $# -gt 0 ]; do
        USED=1
        case $1 in
        --json) json=$2; USED=2 ;;
        --build) build=$2; USED=2 ;;
        --no-libvirtd) do_libvirtd=0 ;;
        -h|--help) usage; exit 0 ;;
        -*)
            USED=0
            own_option "$@"
            [ "$USED" != 0 ] || { note "unknown option $1"; exit 2; }
            ;;
        *) virtqemud=$1 ;;
        esac
        shift "$USED"
    done
    [ -n "$build" ] || build=$(realpath -m "$here/../../build")
    [ -n "$virtqemud" ] || virtqemud="$build/virtqemud/virtqemud"
}

# ---- the work directory -----------------------------------------------------

DAEMON_PID=""   # a daemon this process started and has not stopped yet
stop_daemon() {
    [ -n "$DAEMON_PID" ] || return 0
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=""
}

# Until make_work: a daemon is never left behind, even in the --inner modes.
trap stop_daemon EXIT
trap 'exit 130' INT TERM

WORK=${WORK:-}  # the --inner modes inherit it from the run that made it
SCRATCH=""      # another directory to remove at exit, whatever the status
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
    local st=$?
    stop_daemon
    [ -z "$SCRATCH" ] || rm -rf "$SCRATCH"
    if [ "$st" = 0 ]; then
        rm -rf "$WORK"
    else
        note "logs kept in $WORK"
    fi
}

# make_work NAME: WORK becomes a fresh /tmp/NAME.XXXXXX, removed at exit if
# all went well and kept (for its logs) if not.
make_work() {
    WORK=$(mktemp -d "/tmp/$1.XXXXXX")
    trap cleanup EXIT
}

# bench_client NAME [CFLAGS...]: prints the path of the C client NAME from
# the build directory, or compiles NAME.c and wire.c into WORK without one.
bench_client() {
    local name=$1 bin="$build/tests/bench/$1"
    shift
    if [ ! -x "$bin" ]; then
        note "no $bin; compiling tests/bench/$name.c and wire.c into $WORK"
        bin="$WORK/$name"
        cc -std=gnu11 -O2 -D_GNU_SOURCE "$@" -o "$bin" "$here/$name.c" "$here/wire.c" >&2
    fi
    echo "$bin"
}

# ---- daemons ----------------------------------------------------------------

# start_daemon LOG CMD...: runs CMD in the background as DAEMON_PID.
start_daemon() {
    local log=$1
    shift
    "$@" >>"$log" 2>&1 &
    DAEMON_PID=$!
}

# wait_daemon SOCKET [PROBE...]: waits up to 30 s for DAEMON_PID to create
# SOCKET and, given a PROBE command, for the probe to succeed.  Fails early
# if the daemon exits.
wait_daemon() {
    local sock=$1
    shift
    for _ in $(seq 300); do
        if [ -S "$sock" ] && { [ $# = 0 ] || "$@"; }; then
            return 0
        fi
        kill -0 "$DAEMON_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# The --inner-libvirtd modes are the scripts re-run by libvirtd-sandbox.sh.
inner_libvirtd_check() {
    [ -n "${MODVIRT_LIBVIRTD_SANDBOX:-}" ] || { note "--inner-libvirtd is internal"; exit 2; }
}

libvirtd_version() { /usr/sbin/libvirtd --version | awk '{ print $NF }'; }

# run_libvirtd KVFILE ARGS...: runs this script with --inner-libvirtd ARGS in
# libvirtd-sandbox.sh, or notes in KVFILE that libvirtd is not installed.
run_libvirtd() {
    local kv=$1
    shift
    if [ ! -x /usr/sbin/libvirtd ]; then
        echo "skipped=/usr/sbin/libvirtd not installed" >> "$kv"
        return 0
    fi
    "$here/libvirtd-sandbox.sh" "$self" --inner-libvirtd "$@"
}

# have_virtqemud KVFILE: true if $virtqemud can run, else says why not (on
# stderr and in KVFILE).
have_virtqemud() {
    [ ! -x "$virtqemud" ] || return 0
    note "no virtqemud at $virtqemud: modvirt column skipped (build it, or pass its path)"
    echo "skipped=no virtqemud binary at $virtqemud" >> "$1"
    return 1
}

# virtqemud_root ROOT KVFILE: prepares ROOT for `virtqemud --root ROOT` (so
# it touches nothing on the host), records the binary in KVFILE and sets
# VQ_SOCK and VQ_CMD, the socket and the command line.
virtqemud_root() {
    local root=$1
    mkdir -p "$root/etc/libvirt" "$root/run/libvirt"
    : > "$root/etc/libvirt/virtqemud.conf"
    echo "binary=$(readlink -f "$virtqemud")" >> "$2"
    VQ_SOCK="$root/run/libvirt/virtqemud-sock"
    VQ_CMD=("$virtqemud" --root "$root" -t 300 -f "$root/etc/libvirt/virtqemud.conf")
}

# ---- the report ---------------------------------------------------------------

# report ARGS... < PYTHON: runs the script's report code (on stdin) after
# these helpers, with ARGS as sys.argv[1:].
PY_REPORT_LIB='
import json, os, platform, sys, time

def print_notes(res):
    """The skipped= and error= lines of each daemon."""
    for name, d in res.items():
        for k in ("skipped", "error"):
            if d and k in d:
                print("%s: %s: %s" % (name, k, d[k]))

def write_json(path, fields):
    """Writes the date, the host and then fields to path, if one was given."""
    if not path:
        return
    doc = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": {"nproc": os.cpu_count(), "kernel": platform.release(),
                 "machine": platform.machine()},
    }
    doc.update(fields)
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print("results written to", path)
'
report() { "$PY" -c "$PY_REPORT_LIB$(cat)" "$@"; }
