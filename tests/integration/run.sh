#!/bin/bash
# Run the integration tests against the daemons of a build directory, in a
# sandbox: private mount and pid namespaces with tmpfs over the paths the
# daemons and libvirtd use, so nothing touches the host's /run/libvirt or
# /etc/libvirt, and every process started here ends with the sandbox.
#   usage: tests/integration/run.sh BUILD_DIR [unittest args...]
set -euo pipefail
build=$(realpath "${1:?usage: run.sh BUILD_DIR [test names]}")
shift
here=$(dirname "$(realpath "$0")")
[ "$(id -u)" = 0 ] || { echo "integration tests need root (namespaces)" >&2; exit 1; }
export MODVIRT_BUILD="$build"
exec unshare --mount --pid --fork --mount-proc --propagation private -- \
  bash -c '
    set -e
    mount -t tmpfs -o mode=0755 tmpfs /run
    for d in /etc/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
      mkdir -p "$d"; mount -t tmpfs -o mode=0755 tmpfs "$d"
    done
    cd "$0"
    # bash stays PID 1 of the namespace (no exec): it reaps orphans, such as
    # the QEMU probes libvirtd double-forks, which python would leave as
    # zombies that libvirtd then waits on.
    if [ $# -gt 0 ]; then /usr/bin/python3 -m unittest -v "$@"; exit; fi
    /usr/bin/python3 -m unittest discover -s . -p "test_*.py" -v
  ' "$here" "$@"
