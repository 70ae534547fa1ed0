#!/bin/bash
# Run a command in a throw-away sandbox where Debian's libvirtd can run
# without touching the host's libvirt state.
#
#   tests/bench/libvirtd-sandbox.sh [--start] CMD ARGS...
#
# The script re-executes itself under unshare(1) with private mount, network
# and pid namespaces (needs root).  Inside, it mounts tmpfs over /run and over
# libvirt's state directories, gives the sandbox a passwd/group that contain
# the libvirt-qemu user (Debian's libvirtd refuses to start without it), writes
# a qemu.conf that runs QEMU as root, gives /dev/kvm (if any) root:kvm 0660,
# and brings up lo.  With --start it also
# starts /usr/sbin/libvirtd, waits for /run/libvirt/libvirt-sock, runs CMD,
# then stops libvirtd.  Without --start CMD runs in the prepared sandbox and
# may start libvirtd itself (as the benchmark's cold-start runs do).
#
# Everything lives on tmpfs inside the namespaces; when CMD exits, the pid
# namespace ends and takes any process left in it along.
#
# run-bench.sh runs its other stacks in the same kind of sandbox, one each:
# the floor (floord), and virtqemud with virtproxyd in front of it on the
# standard sockets (virtproxyd finds its 'virtproxyd' user in the copied
# passwd; libvirtd's qemu.conf is not read by either).
set -euo pipefail

if [ -z "${MODVIRT_LIBVIRTD_SANDBOX:-}" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "libvirtd-sandbox.sh: needs root (unshare of mount/net/pid namespaces)" >&2
        exit 1
    fi
    export MODVIRT_LIBVIRTD_SANDBOX=1
    exec unshare -m -n -p --fork --mount-proc --propagation private \
        "$(readlink -f "$0")" "$@"
fi

start=0
if [ "${1:-}" = --start ]; then
    start=1
    shift
fi
[ $# -gt 0 ] || { echo "usage: libvirtd-sandbox.sh [--start] CMD ARGS..." >&2; exit 2; }

mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/libvirt
for d in /etc/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
    mkdir -p "$d"
    mount -t tmpfs -o mode=0755 tmpfs "$d"
done

# passwd/group with the users libvirtd's qemu driver looks up.
etc=$(mktemp -d -p /run sandbox-etc.XXXXXX)
cp /etc/passwd /etc/group "$etc/"
grep -q '^libvirt-qemu:' "$etc/passwd" ||
    echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin' >> "$etc/passwd"
grep -q '^libvirt-qemu:' "$etc/group" || echo 'libvirt-qemu:x:64055:' >> "$etc/group"
grep -q '^kvm:' "$etc/group" || echo 'kvm:x:64056:' >> "$etc/group"
mount --bind "$etc/passwd" /etc/passwd
mount --bind "$etc/group" /etc/group

# libvirtd 9.0 probes QEMU again on every call while /dev/kvm exists but its
# QEMU user cannot open it: where there is one, the sandbox gets its own
# node with udev's usual owner and mode, root:kvm 0660.
if [ -c /dev/kvm ]; then
    devdir=$(mktemp -d -p /run sandbox-dev.XXXXXX)
    if mknod "$devdir/kvm" c "$((0x$(stat -c %t /dev/kvm)))" "$((0x$(stat -c %T /dev/kvm)))" &&
       chown root:kvm "$devdir/kvm" && chmod 0660 "$devdir/kvm"; then
        mount --bind "$devdir/kvm" /dev/kvm
    else
        echo "libvirtd-sandbox.sh: could not give /dev/kvm root:kvm 0660; left as it is" >&2
    fi
fi

printf 'user = "root"\ngroup = "root"\n' > /etc/libvirt/qemu.conf
: > /etc/libvirt/libvirtd.conf
ip link set lo up

if [ $start = 0 ]; then
    exec "$@"
fi

/usr/sbin/libvirtd > /run/libvirtd.log 2>&1 &
lvpid=$!
for _ in $(seq 300); do
    [ -S /run/libvirt/libvirt-sock ] && break
    kill -0 $lvpid 2>/dev/null || { cat /run/libvirtd.log >&2; echo "libvirtd died" >&2; exit 1; }
    sleep 0.1
done
[ -S /run/libvirt/libvirt-sock ] || { echo "libvirtd: no socket after 30 s" >&2; exit 1; }
rc=0
"$@" || rc=$?
kill -TERM $lvpid 2>/dev/null || true
wait $lvpid 2>/dev/null || true
exit $rc
