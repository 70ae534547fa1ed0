"""virtproxyd in front of virtqemud, with stock clients and by hand.

Relay (virtproxyd with local_handoff = 0, as for clients it cannot hand
over): the libvirt-sock URIs, read-only relaying, identity hand-over, URIs
no daemon serves, an upstream that dies in the middle of a call, and
identity hand-over refused to peers nobody trusts.

Handoff (the default for local clients): the client's socket goes to
virtqemud at connect open, which then serves it without virtproxyd, with
the client's own identity and the read-only rights of the socket it came
in through; input the client sent after its open is not lost; only a
trusted relay may hand a socket over."""
import os
import signal
import struct
import subprocess
import unittest

from harness import (ASYNC, CONFIG, KEEPALIVE_PROG, PROXY_SOCK, PROXY_SOCK_RO, QEMUD_SOCK, Daemon, Error, Wire,
                     packet, parse_error, start_proxy, virsh, wait_for, xdr_opt_string)

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST = os.path.join(HERE, "../data/integration/guest-linux.xml")
PROXY_URI = "qemu+unix:///system?socket=" + PROXY_SOCK
PROXY_URI_RO = "qemu+unix:///system?socket=" + PROXY_SOCK_RO


class Relay(unittest.TestCase):
    handoff = False

    def setUp(self):
        self.qemud = Daemon(config="log_level = 2\n").wait_ready()
        self.proxy = start_proxy(handoff=self.handoff)

    def tearDown(self):
        for d in (self.proxy, self.qemud):
            if d.proc.poll() is None:
                self.assertEqual(d.stop(), 0, d.output())
            d.check_clean(self)
        virsh("undefine", "guest1", check=False)
        for path in (CONFIG, "/etc/libvirt/qemu/guest1.xml"):
            if os.path.exists(path):
                os.unlink(path)

    def test_stock_clients_through_libvirt_sock(self):
        virsh("define", GUEST)
        self.assertEqual(virsh("list", "--all", "--name", uri=PROXY_URI).stdout.split(),
                         ["guest1"])
        info = virsh("dominfo", "guest1", uri=PROXY_URI_RO, readonly=True).stdout
        self.assertIn("shut off", info)
        self.assertEqual(virsh("dumpxml", "guest1", uri=PROXY_URI).stdout,
                         virsh("dumpxml", "guest1").stdout)
        self.assertEqual(virsh("hostname", uri=PROXY_URI).stdout, virsh("hostname").stdout)

    def test_read_only_is_forced_upstream(self):
        # Refused with the same error whether direct or relayed.
        direct = virsh("undefine", "guest1", readonly=True, check=False)
        relayed = virsh("undefine", "guest1", uri=PROXY_URI_RO, readonly=True, check=False)
        self.assertNotEqual(relayed.returncode, 0)
        self.assertEqual(relayed.stderr, direct.stderr)
        # The read-only socket forces read-only even when the client does
        # not ask for it.
        p = virsh("define", GUEST, uri=PROXY_URI_RO, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("read only access prevents virDomainDefineXML", p.stderr)

    def test_identity_is_handed_over(self):
        virsh("list", uri=PROXY_URI)
        # virtqemud saw virtproxyd's socket, and believed who it spoke for.
        wait_for(lambda: "speaks for uid 0 " in self.qemud.output(),
                 what="the identity hand-over in virtqemud's log")
        self.assertIn("(root)", self.qemud.output())

    def test_network_uri_without_its_daemon(self):
        # No virtnetworkd: the client falls back to libvirt-sock, and
        # virtproxyd says clearly what is missing.
        p = virsh("net-list", uri="network:///system", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no connection driver available for network:///system", p.stderr)
        self.assertIn("virtnetworkd is not running", p.stderr)

    def test_qemu_connection_relays_other_subsystems(self):
        # virtqemud relays network, storage and secret calls made on
        # qemu:///system; with their daemons absent the error says so.
        for cmd, daemon in (("net-list", "virtnetworkd"), ("pool-list", "virtstoraged"),
                            ("secret-list", "virtsecretd")):
            p = virsh(cmd, check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(f"{daemon} is not running on this host", p.stderr)
        # Read-only rights are checked before anything is relayed.
        p = virsh("secret-define", "/dev/null", readonly=True, check=False)
        self.assertIn("read only access prevents virSecretDefineXML", p.stderr)

    def test_unknown_scheme_refused(self):
        w = Wire(PROXY_SOCK)
        with self.assertRaises(Error) as e:
            w.open("bogus:///system")
        self.assertEqual(e.exception.code, 5)       # VIR_ERR_NO_CONNECT
        self.assertIn("bogus:///system", e.exception.message)
        self.assertEqual(virsh("list", "--name", uri=PROXY_URI).stdout.strip(), "")

    def test_upstream_killed_mid_call(self):
        w = Wire(PROXY_SOCK).open()
        other = Wire(PROXY_SOCK).open()
        self.qemud.proc.send_signal(signal.SIGSTOP)
        try:
            # CONNECT_GET_HOSTNAME, relayed and left unanswered...
            w.serial += 1
            w.send(struct.pack(">I", 28) + struct.pack(">IIiIII", 0x20008086, 1, 59, 0,
                                                       w.serial, 0))
            # A ping after it: virtproxyd handles a client's packets in
            # order, so its pong means the call was forwarded.
            w.send(packet(KEEPALIVE_PROG, 1, mtype=ASYNC, serial=0))
            while True:
                p = w.recv_packet()
                if p["prog"] == KEEPALIVE_PROG and p["proc"] == 2:
                    break
        finally:
            # ...until its daemon dies.
            self.qemud.proc.send_signal(signal.SIGKILL)
            self.qemud.proc.wait()
        p = w.recv_reply()
        self.assertEqual(p["serial"], w.serial)
        self.assertEqual(p["status"], 1)
        with self.assertRaises((EOFError, ConnectionResetError)):
            w.recv_packet()
        self.assertIn("End of file while reading data", parse_error(p["body"]).message)
        # An idle client of the dead daemon loses its connection too, the
        # way a client of a daemon that went away sees it.
        with self.assertRaises((EOFError, ConnectionResetError, BrokenPipeError)):
            other.call(59)
        # virtproxyd itself goes on: a restarted daemon is reached again.
        self.qemud = Daemon(config="log_level = 2\n").wait_ready()
        self.assertEqual(virsh("hostname", uri=PROXY_URI).stdout, virsh("hostname").stdout)

    def test_untrusted_peer_cannot_set_identity(self):
        # An unprivileged user on a read-write socket opened to everyone.
        self.qemud.stop()
        with open(CONFIG, "w") as f:
            f.write('unix_sock_rw_perms = "0777"\n')
        self.qemud = Daemon().wait_ready()
        script = (
            "import sys; sys.path.insert(0, %r)\n"
            "from harness import Wire, Error\n"
            "import struct\n"
            "w = Wire(%r)\n"
            "try:\n"
            "    w.call('CONNECT_SET_IDENTITY', struct.pack('>II', 0, 0))\n"
            "    print('accepted')\n"
            "except Error as e:\n"
            "    print(e.code, e.message)\n"
        ) % (HERE, QEMUD_SOCK)
        p = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            "/usr/bin/python3", "-c", script], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("88 ", p.stdout)      # VIR_ERR_ACCESS_DENIED
        self.assertIn("only a privileged relay may set the client identity", p.stdout)


def as_nobody(script):
    """Run a python script as nobody with the harness importable."""
    p = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                        "/usr/bin/python3", "-c", "import sys; sys.path.insert(0, %r)\n" % HERE
                        + script], capture_output=True, text=True, timeout=60)
    return p


class Handoff(Relay):
    handoff = True

    # Relaying tests that do not apply once the client is virtqemud's own.
    test_identity_is_handed_over = None
    test_upstream_killed_mid_call = None

    def test_served_by_the_daemon_without_the_relay(self):
        virsh("define", GUEST)
        w = Wire(PROXY_SOCK).open()
        self.proxy.proc.send_signal(signal.SIGSTOP)
        try:
            # virtproxyd is frozen: only virtqemud can be answering.
            self.assertEqual(w.call(59)[4:].split(b"\0")[0], os.uname().nodename.encode())
            self.assertEqual(virsh("list", "--all", "--name").stdout.split(), ["guest1"])
        finally:
            self.proxy.proc.send_signal(signal.SIGCONT)

    def test_input_after_the_open_is_kept(self):
        # The open and a call after it in one write, before any reply: the
        # second arrives at virtproxyd with the first and must reach
        # virtqemud with the socket.
        w = Wire(PROXY_SOCK)
        w.call("AUTH_LIST")
        w.send(packet(0x20008086, 1, xdr_opt_string("qemu:///system") + struct.pack(">I", 0),
                      serial=10)
               + packet(0x20008086, 59, serial=11))
        first, second = w.recv_reply(), w.recv_reply()
        self.assertEqual((first["serial"], first["status"]), (10, 0))
        self.assertEqual((second["serial"], second["status"]), (11, 0))

    def test_client_identity_and_read_only_socket(self):
        # An unprivileged client on the read-only socket: virtqemud sees
        # that user (not virtproxyd) and keeps it read-only.
        self.qemud.stop()
        self.qemud = Daemon(config="log_level = 1\n").wait_ready()
        p = as_nobody(
            "from harness import Wire, Error\n"
            "w = Wire(%r).open()\n"
            "print('open')\n"
            "try:\n"
            "    w.call('DOMAIN_DEFINE_XML', b'\\0\\0\\0\\0')\n"
            "except Error as e:\n"
            "    print(e.code, e.message)\n" % PROXY_SOCK_RO)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("open", p.stdout)
        self.assertIn("read only access prevents virDomainDefineXML", p.stdout)
        nobody = subprocess.run(["id", "-u", "nobody"], capture_output=True, text=True).stdout.strip()
        self.assertIn(f"uid {nobody} ", self.qemud.output())

    def test_untrusted_peer_cannot_hand_over(self):
        self.qemud.stop()
        with open(CONFIG, "w") as f:
            f.write('unix_sock_rw_perms = "0777"\n')
        self.qemud = Daemon().wait_ready()
        p = as_nobody(
            "import socket, struct\n"
            "from harness import Wire, packet, parse_error\n"
            "w = Wire(%r)\n"
            "a, b = socket.socketpair()\n"
            "body = struct.pack('>iII', 0, 0, 0)\n"
            "socket.send_fds(w.sock, [packet(0x6d766866, 1, body, serial=1)], [a.fileno()])\n"
            "r = w.recv_reply()\n"
            "print(r['status'], parse_error(r['body']).code, parse_error(r['body']).message)\n"
            % QEMUD_SOCK)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("1 88 ", p.stdout)      # an error, VIR_ERR_ACCESS_DENIED
        self.assertIn("only a privileged relay may hand over a client", p.stdout)
        # And virtqemud serves everyone else as before.
        self.assertEqual(virsh("hostname").stdout, virsh("hostname", uri=PROXY_URI).stdout)


class ProxyProcess(unittest.TestCase):
    def test_runs_as_its_own_user_without_capabilities(self):
        qemud = Daemon().wait_ready()
        proxy = start_proxy()
        def status():
            with open(f"/proc/{proxy.proc.pid}/status") as f:
                return dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        try:
            # Its sockets exist before it drops root (nothing is served
            # until the loop runs, after the drop): wait for the drop.
            wait_for(lambda: int(status()["Uid"].split()[0]) != 0, what="virtproxyd to drop root")
            st = status()
            uid = int(st["Uid"].split()[0])
            self.assertEqual(subprocess.run(["id", "-u", "virtproxyd"], capture_output=True,
                                            text=True).stdout.strip(), str(uid))
            self.assertEqual(int(st["CapEff"].strip(), 16), 0)
            self.assertEqual(int(st["CapPrm"].strip(), 16), 0)
            self.assertEqual(st["NoNewPrivs"].strip(), "1")
        finally:
            self.assertEqual(proxy.stop(), 0, proxy.output())
            self.assertEqual(qemud.stop(), 0)


if __name__ == "__main__":
    unittest.main()
