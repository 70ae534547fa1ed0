#!/bin/bash
# build-guest.sh — the tiny bootable guest the tests run under real QEMU.
#
#   tests/guest/build-guest.sh OUTDIR
#
# Writes OUTDIR/vmlinuz (Debian's own amd64 kernel, from the package that
# linux-image-amd64 depends on), OUTDIR/initrd.img (a gzip'd busybox
# initramfs: busybox-static, tests/guest/init as /init, and the kernel
# modules the guest needs: the ACPI power button, evdev, virtio, AHCI/IDE,
# SCSI disks and cdroms), OUTDIR/cmdline (the kernel command line to boot
# it with), OUTDIR/vmlinux (the same kernel uncompressed, an ELF that QEMU
# boots through its PVH entry, skipping the decompressor: about half the
# boot time under TCG, for 66 MB instead of 8) and OUTDIR/key.  Prints the
# paths as key=value lines (kernel=, initrd=, cmdline=, vmlinux=).
#
# Nothing is installed on the host: both packages are fetched with
# `apt-get download` (running `apt-get update` first if apt has no package
# lists) and unpacked with `dpkg -x`.  The .debs are kept in
# $MODVIRT_GUEST_CACHE/debs (default /var/cache/modvirt-test-guest/debs) and
# used from there from then on (remove them for a newer kernel; no network
# is needed once they are there).  OUTDIR is rebuilt only when its
# key changes: a hash of this script, tests/guest/init and the names and
# sizes of the two .debs (a Debian version names one content).  Concurrent
# runs serialize on a lock in the cache directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-guest.sh OUTDIR}
cache=${MODVIRT_GUEST_CACHE:-/var/cache/modvirt-test-guest}
debs=$cache/debs

# The power button and what reads it come first (see init).
MODULES_EARLY="button evdev"
MODULES_LATE="virtio_pci virtio_blk virtio_scsi virtio_balloon virtio_net ata_piix ahci sd_mod sr_mod"
# quiet keeps the console to the guest's own lines; scsi scans finish inside
# insmod, so the disks are there when init lists them; no real hardware to
# protect, so no speculation mitigations (slow under TCG), no crypto
# self-tests at boot (a third of a second of TCG) and not the two slowest
# initcalls nothing here uses (KDF108's self-test, kprobe tracing: a quarter
# of a second); panic=-1 turns a dead init into a reset rather than a
# spinning guest.
CMDLINE="console=ttyS0 quiet mitigations=off cryptomgr.notests initcall_blacklist=crypto_kdf108_init,init_kprobe_trace scsi_mod.scan=sync panic=-1"

note() { echo "build-guest: $*" >&2; }
die() { note "$*"; exit 1; }

[ "$(dpkg --print-architecture)" = amd64 ] || die "only amd64 hosts are supported"
mkdir -p "$debs" "$out"
# Readable by the unprivileged QEMU user, whatever the umask.
chmod 755 "$cache" "$debs"
exec 9>"$cache/lock"
flock 9

apt_updated=0
# apt_query CMD...: runs an apt-cache query, updating the package lists once
# if it finds nothing (a fresh system has none).
apt_query() {
    local res
    res=$("$@" 2>/dev/null || true)
    if [ -z "$res" ] && [ $apt_updated = 0 ]; then
        apt_updated=1
        apt-get update -qq >&2 || true
        res=$("$@" 2>/dev/null || true)
    fi
    echo "$res"
}

# cached_deb NAME-GLOB: the newest cached .deb of the packages matching it.
cached_deb() {
    find "$debs" -maxdepth 1 -name "$1_*.deb" | sort -V | tail -1
}

# fetch_deb NAME: downloads NAME's candidate .deb into the cache and prints
# its path.
fetch_deb() {
    local name=$1 ver file
    ver=$(apt_query apt-cache show --no-all-versions "$name" | sed -n 's/^Version: //p' | head -1)
    if [ -n "$ver" ]; then
        file="$debs/${name}_${ver//:/%3a}_amd64.deb"
        if [ ! -s "$file" ]; then
            note "downloading $name $ver"
            if (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "$name=$ver" >&2); then
                find "$debs" -maxdepth 1 -name "${name}_*.deb" ! -path "$file" -delete
            fi
        fi
        [ -s "$file" ] && { echo "$file"; return; }
    fi
    die "cannot download package $name (and none is cached in $debs)"
}

# A cached .deb is used as it is (the guest stays the same until the cache
# is removed); apt is asked only when there is none.
kdeb=$(cached_deb 'linux-image-[0-9]*-amd64')
if [ -z "$kdeb" ]; then
    kpkg=$(apt_query apt-cache depends linux-image-amd64 |
           sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -1)
    [ -n "$kpkg" ] || die "apt knows no linux-image-amd64 and no kernel .deb is cached in $debs"
    kdeb=$(fetch_deb "$kpkg")
fi
bdeb=$(cached_deb busybox-static)
[ -n "$bdeb" ] || bdeb=$(fetch_deb busybox-static)

key=$( { sha256sum "$here/build-guest.sh" "$here/init" | cut -d' ' -f1
         for f in "$kdeb" "$bdeb"; do echo "$(basename "$f") $(stat -c %s "$f")"; done
       } | sha256sum | cut -d' ' -f1)

report() {
    printf 'kernel=%s\ninitrd=%s\ncmdline=%s\n' "$out/vmlinuz" "$out/initrd.img" "$out/cmdline"
    [ ! -s "$out/vmlinux" ] || printf 'vmlinux=%s\n' "$out/vmlinux"
}
if [ "$(cat "$out/key" 2>/dev/null)" = "$key" ] && [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ]; then
    report
    exit 0
fi

note "building the guest from $(basename "$kdeb") and $(basename "$bdeb")"
tmp=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg -x "$kdeb" "$tmp/k"
dpkg -x "$bdeb" "$tmp/b"

root=$tmp/root
mkdir -p "$root"/{bin,dev,proc,sys,etc,lib/modules}
cp "$tmp/b/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
cp "$here/init" "$root/init"
chmod 755 "$root/init"
# The kernel opens /dev/console for init before init mounts devtmpfs.
[ "$(id -u)" != 0 ] || mknod -m 600 "$root/dev/console" c 5 1

# Module name -> file, names normalized the way the kernel does (- is _).
kdir=$(find "$tmp/k/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -1)
[ -n "$kdir" ] || die "no modules in $(basename "$kdeb")"
declare -A kofile loaded
while read -r f; do
    n=${f##*/}
    n=${n%.ko}
    kofile[${n//-/_}]=$f
done < <(find "$kdir/kernel" -name '*.ko')

# order NAME LIST: appends NAME to LIST after its dependencies (each once),
# from the depends= field of the modules' .modinfo.
order() {
    local n=${1//-/_} list=$2 f deps d
    [ -z "${loaded[$n]:-}" ] || return 0
    f=${kofile[$n]:-}
    [ -n "$f" ] || die "module $n is not in $(basename "$kdeb") (built in?)"
    loaded[$n]=1
    deps=$(tr '\0' '\n' < "$f" | sed -n 's/^depends=//p' | head -1)
    for d in ${deps//,/ }; do
        order "$d" "$list"
    done
    cp "$f" "$root/lib/modules/$n.ko"
    echo "$n.ko" >> "$list"
}
: > "$root/etc/modules.early"
: > "$root/etc/modules.late"
for m in $MODULES_EARLY; do order "$m" "$root/etc/modules.early"; done
for m in $MODULES_LATE; do order "$m" "$root/etc/modules.late"; done

(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
    "$root/bin/busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -9n > "$tmp/initrd.img"
cp "$(find "$tmp/k/boot" -name 'vmlinuz-*' | head -1)" "$tmp/vmlinuz"
echo "$CMDLINE" > "$tmp/cmdline"

# The same kernel uncompressed: an ELF with a PVH entry point, which QEMU
# boots without running the decompressor (about half the boot under TCG).
# The bzImage header says where its payload is; Debian's is xz.
files="vmlinuz initrd.img cmdline"
if /usr/bin/python3 - "$tmp/vmlinuz" > "$tmp/vmlinux" <<'PYEOF'
import lzma, sys
d = open(sys.argv[1], "rb").read()
setup_sects = d[0x1f1] or 4
offset = int.from_bytes(d[0x248:0x24c], "little")
length = int.from_bytes(d[0x24c:0x250], "little")
start = (setup_sects + 1) * 512 + offset
payload = d[start:start + length]
if not payload.startswith(b"\xfd7zXZ\x00"):
    sys.exit("the kernel's payload is not xz")
elf = lzma.LZMADecompressor().decompress(payload)
if not elf.startswith(b"\x7fELF"):
    sys.exit("the kernel's payload is not an ELF")
sys.stdout.buffer.write(elf)
PYEOF
then
    files="$files vmlinux"
else
    note "no uncompressed vmlinux (the guest boots from vmlinuz only)"
    rm -f "$tmp/vmlinux"
fi

# World-readable: QEMU runs as the unprivileged QEMU user.
for f in $files; do chmod 644 "$tmp/$f"; done
chmod 755 "$out"
rm -f "$out/key" "$out/vmlinux"
for f in $files; do mv -f "$tmp/$f" "$out/$f"; done
echo "$key" > "$out/key.new" && mv -f "$out/key.new" "$out/key"
note "guest ready in $out ($(du -sh "$out/vmlinuz" | cut -f1) kernel, $(du -sh "$out/initrd.img" | cut -f1) initramfs)"
report
