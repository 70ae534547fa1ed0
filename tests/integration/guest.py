"""The test guest (tests/guest) for integration tests that run real QEMU:
build it, describe a domain that boots it, and talk to its serial console.

    img = guest.ensure_guest_image()          # kernel, initrd, cmdline
    xml = guest.guest_xml("g1", disk=guest.make_disk("/var/lib/libvirt/images/g1.qcow2"))
    dom = conn.createXML(xml, guest.start_flags(paused=False))
    with guest.Console(guest.console_path(dom.XMLDesc())) as con:
        con.wait(guest.UP)                    # ACPI shutdown is honoured from here
        con.send("disks"); con.wait("disks done")

The guest's lines on ttyS0 all start with "modvirt-guest: " (see
tests/guest/README.md for what it says and the commands it answers)."""
import collections
import os
import re
import select
import subprocess
import termios
import time
import tty
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_SCRIPT = os.path.join(HERE, "../guest/build-guest.sh")
# World-readable, outside the sandboxes' tmpfs: QEMU, as the QEMU user,
# reads the kernel and initrd from here.
IMAGE_DIR = os.environ.get("MODVIRT_GUEST_DIR", "/var/cache/modvirt-test-guest/image")

PREFIX = "modvirt-guest: "
UP = PREFIX + "up"        # the power button is watched from here on
READY = PREFIX + "ready"  # disks listed, commands answered from here on

# kernel: the bzImage (vmlinuz); vmlinux: the same uncompressed, booted
# through its PVH entry, faster under TCG (None if the build could not make it).
GuestImage = collections.namedtuple("GuestImage", "kernel initrd cmdline vmlinux")
_image = None


def ensure_guest_image(outdir=IMAGE_DIR):
    """Builds the guest if needed (build-guest.sh: cached, so cheap after the
    first time) and returns its GuestImage: the kernel and initrd paths, the
    kernel command line, and the uncompressed kernel's path."""
    global _image
    if _image is not None and outdir == IMAGE_DIR:
        return _image
    p = subprocess.run([BUILD_SCRIPT, outdir], capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise RuntimeError(f"build-guest.sh failed ({p.returncode}): {p.stderr}")
    paths = dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)
    with open(paths["cmdline"]) as f:
        img = GuestImage(paths["kernel"], paths["initrd"], f.read().strip(), paths.get("vmlinux"))
    if outdir == IMAGE_DIR:
        _image = img
    return img


def make_disk(path, size_mib=16, fmt="qcow2"):
    """Creates an empty disk image (qemu-img) and returns its path."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", fmt, path, f"{size_mib}M"], check=True)
    return path


def _kernel(img, fast_boot):
    return img.vmlinux if fast_boot and img.vmlinux else img.kernel


def _disk_format(path):
    return "qcow2" if path.endswith(".qcow2") else "raw"


def guest_xml(name, memory_mib=128, vcpus=1, disk=None, disk_bus="virtio", disk_format=None,
              disks=(), uuid=None, machine="pc", cmdline_extra="", console_log=None,
              on_poweroff=None, on_reboot=None, on_crash=None, devices="", image=None,
              fast_boot=True):
    """A domain of type 'qemu' (TCG) that boots the test guest directly from
    its kernel and initrd, with ACPI (so the power button works), a pty
    serial console on ttyS0 and a virtio balloon.

    disk: an image path, attached as vda (disk_bus 'virtio'), sda ('sata',
    or 'scsi' on a virtio-scsi controller) or hda ('ide'); disk_format
    defaults to the extension's (.qcow2, else raw).  The guest names its
    disks itself (vdX for virtio, sdX for the rest, in probe order).
    disks: more, as (path, bus) pairs, named after the first.
    console_log: a file QEMU also writes the console to (<log file=...>),
    so nothing the guest says is lost before a reader opens the pty.
    devices: raw XML appended inside <devices>.
    fast_boot: boot the uncompressed kernel (vmlinux, 66 MB: about half the
    boot time under TCG) rather than the bzImage (vmlinuz, 8 MB)."""
    img = image or ensure_guest_image()
    kernel = _kernel(img, fast_boot)
    cmdline = img.cmdline + (" " + cmdline_extra if cmdline_extra else "")
    parts = [f"<domain type='qemu'>",
             f"  <name>{escape(name)}</name>"]
    if uuid:
        parts.append(f"  <uuid>{uuid}</uuid>")
    parts += [f"  <memory unit='MiB'>{int(memory_mib)}</memory>",
              f"  <vcpu>{int(vcpus)}</vcpu>",
              "  <os>",
              f"    <type arch='x86_64' machine={quoteattr(machine)}>hvm</type>",
              f"    <kernel>{escape(kernel)}</kernel>",
              f"    <initrd>{escape(img.initrd)}</initrd>",
              f"    <cmdline>{escape(cmdline)}</cmdline>",
              "  </os>",
              "  <features><acpi/><apic/></features>"]
    for tag, val in (("on_poweroff", on_poweroff), ("on_reboot", on_reboot),
                     ("on_crash", on_crash)):
        if val:
            parts.append(f"  <{tag}>{val}</{tag}>")
    parts.append("  <devices>")
    prefix = {"virtio": "vd", "sata": "sd", "scsi": "sd", "ide": "hd"}
    used = collections.Counter()
    all_disks = ([(disk, disk_bus)] if disk else []) + list(disks)
    for i, (path, bus) in enumerate(all_disks):
        dev = prefix[bus] + "abcdefghijklmnopqrstuvwxyz"[used[prefix[bus]]]
        used[prefix[bus]] += 1
        fmt = disk_format if (i == 0 and disk_format) else _disk_format(path)
        parts += ["    <disk type='file' device='disk'>",
                  f"      <driver name='qemu' type='{fmt}'/>",
                  f"      <source file={quoteattr(path)}/>",
                  f"      <target dev='{dev}' bus='{bus}'/>",
                  "    </disk>"]
    if any(bus == "scsi" for _, bus in all_disks):
        # libvirt's default SCSI controller on x86 is an LSI the guest has
        # no driver for.
        parts.append("    <controller type='scsi' index='0' model='virtio-scsi'/>")
    log = f"<log file={quoteattr(console_log)} append='off'/>" if console_log else ""
    parts += [f"    <serial type='pty'>{log}<target port='0'/></serial>",
              "    <console type='pty'><target type='serial' port='0'/></console>",
              "    <memballoon model='virtio'/>"]
    if devices:
        parts.append(devices)
    parts += ["  </devices>", "</domain>", ""]
    return "\n".join(parts)


def start_flags(paused=False):
    """The flags for virDomainCreateXML / createWithFlags (paused: -S and no
    cont, the guest stays paused)."""
    return 1 if paused else 0   # VIR_DOMAIN_START_PAUSED


def console_path(live_xml):
    """The host side of the guest's serial console (a /dev/pts path) from a
    running domain's live XML, or None."""
    root = ET.fromstring(live_xml)
    for tag in ("serial", "console"):
        for el in root.iterfind(f"./devices/{tag}[@type='pty']"):
            src = el.find("source")
            if src is not None and src.get("path"):
                return src.get("path")
    return None


class Console:
    """A guest's serial console through its pty (root may open it beside
    QEMU).  QEMU drops what the guest writes while no one has the pty open:
    open it before the guest speaks (start paused, or use console_log)."""

    def __init__(self, path):
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        # Raw, so nothing the guest writes is echoed back to it as input.
        tty.setraw(self.fd, termios.TCSANOW)
        self.buf = b""   # read, not yet consumed by wait()
        self.seen = b""  # everything read

    def read(self, timeout=0.1):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return
        try:
            data = os.read(self.fd, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:   # EIO: QEMU closed its side (the guest went away)
            raise EOFError(f"console {self.path} closed; output: {self.output()}")
        self.buf += data
        self.seen += data

    def wait(self, text, timeout=60):
        """Waits for text (a str, or a compiled bytes/str regex) in what the
        guest writes next; returns the output up to and including the match
        and consumes it."""
        end = time.monotonic() + timeout
        while True:
            if isinstance(text, re.Pattern):
                pat = text if isinstance(text.pattern, bytes) else re.compile(text.pattern.encode())
                m = pat.search(self.buf)
                stop = m.end() if m else -1
            else:
                i = self.buf.find(text.encode())
                stop = i + len(text.encode()) if i >= 0 else -1
            if stop >= 0:
                out, self.buf = self.buf[:stop], self.buf[stop:]
                return out.decode(errors="replace")
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {text!r} on {self.path}; "
                                     f"output: {self.output()}")
            self.read(min(left, 0.2))

    def send(self, line):
        """Sends one command line to the guest (see tests/guest/README.md)."""
        os.write(self.fd, line.encode() + b"\n")

    def command(self, line, answer, timeout=30):
        """send(line), then wait(answer)."""
        self.send(line)
        return self.wait(answer, timeout)

    def disks(self, timeout=30):
        """{name: sectors} of the block devices the guest sees."""
        return self.parse_disks(self.command("disks", PREFIX + "disks done", timeout))

    @staticmethod
    def parse_disks(out):
        """{name: sectors} from the guest's "disk NAME SECTORS" lines in out
        (what it prints at boot, before "ready", and for "disks")."""
        return {m.group(1): int(m.group(2))
                for m in re.finditer(re.escape(PREFIX) + r"disk (\S+) (\d+)", out)}

    def output(self):
        return self.seen.decode(errors="replace")

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def wait_console(path, text, timeout=60):
    """Opens the console at path, waits for text, closes it; returns the
    output up to the match."""
    with Console(path) as con:
        return con.wait(text, timeout)


def wait_log(path, text, timeout=60):
    """Waits for text in a console log file (guest_xml's console_log);
    returns the file's content."""
    end = time.monotonic() + timeout
    while True:
        try:
            with open(path, errors="replace") as f:
                data = f.read()
            if text in data:
                return data
        except FileNotFoundError:
            data = ""
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {text!r} in {path}; content: {data}")
        time.sleep(0.05)


def qemu_argv(name, monitor, memory_mib=128, disk=None, image=None, serial="none",
              fast_boot=True):
    """A bare QEMU command line for the guest, close to what a libvirt-style
    daemon runs for guest_xml(name) (paused, QMP on the unix socket monitor,
    no defaults).  serial: a QEMU -serial value ('none', 'stdio', 'pty',
    'file:PATH')."""
    img = image or ensure_guest_image()
    argv = ["qemu-system-x86_64", "-name", f"guest={name},debug-threads=on", "-S",
            "-machine", "pc,usb=off,dump-guest-core=off", "-accel", "tcg", "-cpu", "qemu64",
            "-m", str(memory_mib), "-smp", "1", "-display", "none", "-no-user-config",
            "-nodefaults", "-chardev", f"socket,id=charmonitor,path={monitor},server=on,wait=off",
            "-mon", "chardev=charmonitor,id=monitor,mode=control", "-rtc", "base=utc",
            "-kernel", _kernel(img, fast_boot), "-initrd", img.initrd, "-append", img.cmdline,
            "-serial", serial, "-device", "virtio-balloon-pci,id=balloon0",
            "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"]
    if disk:
        argv += ["-drive", f"file={disk},if=virtio,format={_disk_format(disk)}"]
    return argv


class Qmp:
    """A minimal synchronous QMP client (for tests that drive a bare QEMU)."""

    def __init__(self, path, timeout=30):
        import json
        import socket
        self._json = json
        wait_end = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > wait_end:
                    raise
                time.sleep(0.02)
        self.sock.settimeout(timeout)
        self.file = self.sock.makefile("rwb")
        self.events = []
        self.greeting = self._read()
        self.cmd("qmp_capabilities")

    def _read(self):
        line = self.file.readline()
        if not line:
            raise EOFError("QMP connection closed")
        return self._json.loads(line)

    def cmd(self, execute, **arguments):
        """Runs a command; returns its "return" value, raises on "error"."""
        msg = {"execute": execute}
        if arguments:
            msg["arguments"] = arguments
        self.file.write(self._json.dumps(msg).encode() + b"\n")
        self.file.flush()
        while True:
            r = self._read()
            if "event" in r:
                self.events.append(r)
            elif "error" in r:
                raise RuntimeError(f"QMP {execute}: {r['error']}")
            else:
                return r.get("return")

    def event(self, name, timeout=60):
        """Waits for (and consumes) the next event called name."""
        end = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["event"] == name:
                    return self.events.pop(i)
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            self.events.append(self._read())

    def close(self):
        self.file.close()
        self.sock.close()
