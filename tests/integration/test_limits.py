"""What one local user can make the root daemon hold: a client that
pipelines calls on the read-only socket and never reads the replies, and
thousands of connections to the read-only socket.  The daemon's memory
stays bounded, and everyone else, root above all, is still served.
(Through virtproxyd too, when the suite runs via the proxy.)"""
import os
import resource
import socket
import struct
import threading
import time
import unittest

from harness import (QEMUD_SOCK, REMOTE_PROG, SOCK, SOCK_RO, DaemonTestCase, Wire, packet,
                     virsh, wait_for, xdr_opt_string)

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST = os.path.join(HERE, "../data/integration/guest-linux.xml")
API_LEVEL = 9000000


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def xdr_domain(name, uuid_bytes):
    n = name.encode()
    return struct.pack(">I", len(n)) + n + b"\0" * ((4 - len(n) % 4) % 4) + uuid_bytes + \
        struct.pack(">i", -1)


class Flood(DaemonTestCase):
    def tearDown(self):
        super().tearDown()
        virsh_dir = "/etc/libvirt/qemu"
        for f in os.listdir(virsh_dir) if os.path.isdir(virsh_dir) else []:
            if f.endswith(".xml"):
                os.unlink(os.path.join(virsh_dir, f))

    def test_client_that_never_reads(self):
        virsh("define", GUEST)
        uuid = bytes.fromhex(virsh("domuuid", "guest1").stdout.strip().replace("-", ""))
        # DOMAIN_GET_XML_DESC: answered inline, a few KiB per reply.
        call = xdr_domain("guest1", uuid) + struct.pack(">I", 0)
        bad = Wire(SOCK_RO).open(flags=1)
        bad.sock.setblocking(False)
        before = [rss_kib(d.proc.pid) for d in (self.daemon, self.proxy) if d]
        sent = 0
        stuck_since = None
        # Pipeline until the daemon has stopped reading us for a while: our
        # socket buffer and its are full, and it holds what it holds.
        while sent < 100000:    # a daemon that never stops reading grows past any bound
            try:
                sent += bad.sock.send(packet(REMOTE_PROG, 14, call, serial=1000 + sent))
                stuck_since = None
            except BlockingIOError:
                stuck_since = stuck_since or time.monotonic()
                if time.monotonic() - stuck_since > 2:
                    break
                time.sleep(0.05)
        self.assertGreater(sent, 0)
        after = [rss_kib(d.proc.pid) for d in (self.daemon, self.proxy) if d]
        # Everyone else is served meanwhile, root on the read-write socket
        # and other read-only clients alike.
        self.assertEqual(Wire(SOCK).open().lib_version(), API_LEVEL)
        self.assertEqual(Wire(SOCK_RO).open(flags=1).lib_version(), API_LEVEL)
        self.assertIn("guest1", virsh("list", "--all", "--name").stdout)
        # Bounded: the queued output cap per client, not what was sent.
        for b, a in zip(before, after):
            self.assertLess(a - b, 32 * 1024, f"daemon grew from {b} to {a} KiB")
        bad.close()


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class ManyConnections(DaemonTestCase):
    # Limits per listener kind: the read-only socket fills up, the
    # read-write one does not; behind virtproxyd, the connections it opens
    # for them fill only the relay's share of virtqemud's read-write socket.
    daemon_config = "max_clients = 500\n"

    def test_thousands_on_read_only_while_root_connects(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
        handshake = (packet(REMOTE_PROG, 66, serial=1) +
                     packet(REMOTE_PROG, 60, struct.pack(">i", 10), serial=2) +
                     packet(REMOTE_PROG, 1, xdr_opt_string("qemu:///system") +
                            struct.pack(">I", 1), serial=3))
        conns = []
        base = open_fds(self.daemon.proc.pid)
        try:
            for _ in range(2000):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.setblocking(False)
                try:
                    s.connect(SOCK_RO)
                    s.send(handshake)       # opens, and never reads
                except (BlockingIOError, InterruptedError):
                    pass        # in the backlog: the listener is full
                except OSError:
                    s.close()
                    continue
                conns.append(s)
            self.assertGreaterEqual(len(conns), 500)
            # The daemon (behind the proxy: through its upstreams) took all
            # it will take.
            wait_for(lambda: open_fds(self.daemon.proc.pid) >= base + 500, timeout=60,
                     what="500 connections reaching virtqemud")
            # Root still gets in on the read-write socket, and is served:
            # on the socket the tests use, and straight to virtqemud.
            for path in {SOCK, QEMUD_SOCK}:
                w = Wire(path).open()
                self.assertEqual(w.lib_version(), API_LEVEL)
                w.close()
            self.assertEqual(virsh("list", "--all", "--name").stdout.strip(), "")
        finally:
            for s in conns:
                s.close()
        # Once they are gone, read-only clients get in again.
        wait_for(lambda: self._ro_works(), timeout=30, what="read-only socket to accept again")

    def _ro_works(self):
        try:
            return Wire(SOCK_RO).open(flags=1).lib_version() == API_LEVEL
        except (OSError, EOFError):
            return False


if __name__ == "__main__":
    unittest.main()
