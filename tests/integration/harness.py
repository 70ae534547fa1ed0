"""Helpers for the integration tests: start and stop real daemons, run the
stock clients, and speak the wire protocol by hand for the bad-input cases.
Runs inside the sandbox made by run.sh (private /run, /etc/libvirt, ...).

With MODVIRT_VIA_PROXY=1 every DaemonTestCase runs through virtproxyd: it
starts in front of virtqemud, the stock clients are told to use its socket
for qemu:///system (remote_mode = "legacy" in /etc/libvirt/libvirt.conf, as
an admin would), and the raw-wire tests talk to libvirt-sock*.  The same
tests then prove that the relay changes nothing a client can see."""
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

BUILD = os.environ.get("MODVIRT_BUILD", os.path.join(os.path.dirname(__file__), "../../build"))
VIRTQEMUD = os.path.join(BUILD, "virtqemud", "virtqemud")
VIRTPROXYD = os.path.join(BUILD, "virtproxyd", "virtproxyd")
QEMUD_SOCK = "/run/libvirt/virtqemud-sock"
PROXY_SOCK = "/run/libvirt/libvirt-sock"
PROXY_SOCK_RO = "/run/libvirt/libvirt-sock-ro"
VIA_PROXY = os.environ.get("MODVIRT_VIA_PROXY") == "1"
_PREFIX = "/run/libvirt/libvirt" if VIA_PROXY else "/run/libvirt/virtqemud"
# The sockets a client of the tests talks to: virtproxyd's when via proxy.
SOCK = _PREFIX + "-sock"
SOCK_RO = _PREFIX + "-sock-ro"
SOCK_ADMIN = _PREFIX + "-admin-sock"
CONFIG = "/etc/libvirt/virtqemud.conf"
PROXY_CONFIG = "/etc/libvirt/virtproxyd.conf"
CLIENT_CONFIG = "/etc/libvirt/libvirt.conf"

REMOTE_PROG = 0x20008086
KEEPALIVE_PROG = 0x6B656570
CALL, REPLY, ASYNC, STREAM = 0, 1, 2, 3
OK, ERROR = 0, 1

PROC = {
    "CONNECT_OPEN": 1, "CONNECT_CLOSE": 2, "CONNECT_GET_TYPE": 3, "CONNECT_GET_VERSION": 4,
    "NODE_GET_INFO": 6, "CONNECT_GET_CAPABILITIES": 7, "DOMAIN_DEFINE_XML": 11,
    "CONNECT_GET_HOSTNAME": 59, "CONNECT_SUPPORTS_FEATURE": 60, "AUTH_LIST": 66,
    "CONNECT_GET_LIB_VERSION": 157, "CONNECT_SET_IDENTITY": 419,
}


def wait_for(pred, timeout=20.0, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def can_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class Daemon:
    """A daemon we start (virtqemud unless told), by pid, with its stderr in
    a log file."""

    def __init__(self, args=(), config=None, root=None, sock=QEMUD_SOCK, env=None,
                 binary=VIRTQEMUD):
        self.args = list(args)
        self.root = root
        self.sock = sock
        self.name = os.path.basename(binary)
        self.log = tempfile.NamedTemporaryFile(prefix=self.name + "-", suffix=".log", delete=False)
        if config is not None:
            path = os.path.join(root or "/", "etc/libvirt", self.name + ".conf")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(config)
        cmd = [binary] + (["--root", root] if root else []) + self.args
        full_env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
                        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
        full_env.update(env or {})
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, env=full_env)

    def wait_ready(self):
        wait_for(lambda: can_connect(self.sock) or self.proc.poll() is not None,
                 what=f"{self.sock}")
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}: {self.output()}")
        return self

    def output(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            raise AssertionError(f"{self.name} did not exit on SIGTERM")
        return rc

    def check_clean(self, testcase):
        """No sanitizer report in the daemon's output."""
        out = self.output()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            testcase.assertNotIn(marker, out, out)


def start(args=(), config=None):
    return Daemon(args=args, config=config).wait_ready()


def virsh(*args, uri="qemu:///system", readonly=False, check=True, env=None, input=None):
    cmd = ["virsh"] + (["-r"] if readonly else []) + ["-c", uri] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, input=input,
                       env=dict(os.environ, **(env or {})))
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr}")
    return p


def start_proxy(config=None, handoff=None):
    """virtproxyd in front of the daemons, on libvirt-sock*.  It hands
    local clients over to the daemon they open unless handoff is False
    (default: MODVIRT_PROXY_HANDOFF, "0" for relaying every call)."""
    if handoff is None:
        handoff = os.environ.get("MODVIRT_PROXY_HANDOFF", "1") != "0"
    if not handoff:
        config = (config or "") + "local_handoff = 0\n"
    return Daemon(config=config, sock=PROXY_SOCK, binary=VIRTPROXYD).wait_ready()


class DaemonTestCase(unittest.TestCase):
    """One virtqemud on the standard sockets for each test (and virtproxyd
    in front of it, with the same configuration, when via proxy)."""
    daemon_args = ()
    daemon_config = None

    def setUp(self):
        self.daemon = start(self.daemon_args, self.daemon_config)
        self.proxy = None
        if VIA_PROXY:
            with open(CLIENT_CONFIG, "w") as f:
                f.write('remote_mode = "legacy"\n')
            self.proxy = start_proxy(self.daemon_config)
        # The daemon the tests' clients talk to.
        self.front = self.proxy or self.daemon

    def tearDown(self):
        for d in (self.proxy, self.daemon):
            if d:
                rc = d.stop()
                d.check_clean(self)
                self.assertEqual(rc, 0, d.output())
        for path in (CONFIG, PROXY_CONFIG, CLIENT_CONFIG):
            if os.path.exists(path):
                os.unlink(path)


# ----- the wire protocol by hand -----

def xdr_string(s):
    b = s.encode()
    return struct.pack(">I", len(b)) + b + b"\0" * ((4 - len(b) % 4) % 4)


def xdr_opt_string(s):
    return struct.pack(">I", 0) if s is None else struct.pack(">I", 1) + xdr_string(s)


def packet(prog, proc, body=b"", serial=1, mtype=CALL, status=OK, vers=1):
    hdr = struct.pack(">IIiIII", prog, vers, proc, mtype, serial, status)
    return struct.pack(">I", 4 + len(hdr) + len(body)) + hdr + body


class Error(Exception):
    def __init__(self, code, domain, message):
        super().__init__(f"{code}/{domain}: {message}")
        self.code, self.domain, self.message = code, domain, message


def parse_error(body):
    code, domain, has_msg = struct.unpack(">iiI", body[:12])
    message = None
    if has_msg:
        (n,) = struct.unpack(">I", body[12:16])
        message = body[16:16 + n].decode()
    return Error(code, domain, message)


class Wire:
    """A raw connection; answers keepalive pings unless told not to."""

    def __init__(self, path=SOCK, answer_pings=True):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(path)
        self.serial = 0
        self.answer_pings = answer_pings
        self.pings = 0

    def close(self):
        self.sock.close()

    def __del__(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed by the daemon")
            buf += chunk
        return buf

    def recv_packet(self):
        (length,) = struct.unpack(">I", self.recv_exact(4))
        data = self.recv_exact(length - 4)
        prog, vers, proc, mtype, serial, status = struct.unpack(">IIiIII", data[:24])
        return dict(prog=prog, vers=vers, proc=proc, type=mtype, serial=serial,
                    status=status, body=data[24:])

    def recv_reply(self):
        while True:
            p = self.recv_packet()
            if p["prog"] == KEEPALIVE_PROG:
                self.pings += p["proc"] == 1
                if self.answer_pings and p["proc"] == 1:
                    self.send(packet(KEEPALIVE_PROG, 2, mtype=ASYNC, serial=0))
                continue
            return p

    def call(self, proc, body=b"", prog=REMOTE_PROG, **kw):
        self.serial += 1
        self.send(packet(prog, PROC.get(proc, proc) if isinstance(proc, str) else proc,
                         body, serial=self.serial, **kw))
        p = self.recv_reply()
        if p["serial"] != self.serial:
            raise AssertionError(f"reply serial {p['serial']} != {self.serial}")
        if p["status"] == ERROR:
            raise parse_error(p["body"])
        return p["body"]

    def open(self, uri="qemu:///system", flags=0):
        self.call("AUTH_LIST")
        self.call("CONNECT_SUPPORTS_FEATURE", struct.pack(">i", 10))
        self.call("CONNECT_OPEN", xdr_opt_string(uri) + struct.pack(">I", flags))
        return self

    def lib_version(self):
        return struct.unpack(">Q", self.call("CONNECT_GET_LIB_VERSION"))[0]


def have_libvirtd():
    return shutil.which("libvirtd") is not None or os.path.exists("/usr/sbin/libvirtd")
