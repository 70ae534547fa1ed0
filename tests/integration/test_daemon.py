"""The daemon as an operator meets it: options, configuration errors,
--root, socket activation, readiness, idle exit, shutdown."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import unittest

from harness import (CONFIG, SOCK, SOCK_RO, VIRTQEMUD, Daemon, Wire, can_connect, virsh,
                     wait_for)

API_LEVEL = 9000000


def run(*args, **kw):
    return subprocess.run([VIRTQEMUD] + list(args), capture_output=True, text=True,
                          timeout=60, **kw)


class Options(unittest.TestCase):
    def test_version_and_help(self):
        p = run("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^virtqemud \(modvirt\) \d+\.\d+\.\d+")
        p = run("-h")
        self.assertEqual(p.returncode, 0)
        for opt in ("--daemon", "--config", "--pid-file", "--timeout", "--root", "--verbose"):
            self.assertIn(opt, p.stdout)

    def test_bad_option(self):
        p = run("--timeout", "soon")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("invalid timeout 'soon'", p.stderr)


class Config(unittest.TestCase):
    def tearDown(self):
        if os.path.exists(CONFIG):
            os.unlink(CONFIG)

    def test_malformed_value_names_file_line_key(self):
        with open(CONFIG, "w") as f:
            f.write("# comment\nmax_clients = 10\nmax_workers = \"lots\"\n")
        p = run("-t", "1")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(CONFIG + ":3", p.stderr)
        self.assertIn("max_workers", p.stderr)
        self.assertFalse(os.path.exists(SOCK))

    def test_bad_permissions_value(self):
        with open(CONFIG, "w") as f:
            f.write('unix_sock_rw_perms = "rwx"\n')
        p = run("-t", "1")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("unix_sock_rw_perms", p.stderr)

    def test_unimplemented_auth_is_refused(self):
        # Accepting it would leave the socket's permissions as the only
        # check while the file claims polkit authorisation.
        with open(CONFIG, "w") as f:
            f.write('unix_sock_rw_perms = "0777"\nauth_unix_rw = "polkit"\n')
        p = run("-t", "1")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(CONFIG + ':2: auth_unix_rw: "polkit" is not supported by this daemon: '
                      'only "none" (the socket\'s permissions decide) is', p.stderr)
        self.assertFalse(os.path.exists(SOCK))

    def test_unknown_key_is_a_warning(self):
        d = Daemon(config="no_such_setting = 1\nlog_outputs = \"3:stderr\"\n").wait_ready()
        try:
            self.assertIn("no_such_setting", d.output())
            self.assertIn(CONFIG + ":1", d.output())
        finally:
            self.assertEqual(d.stop(), 0)

    def test_socket_permissions_and_group(self):
        d = Daemon(config='unix_sock_rw_perms = "0770"\nunix_sock_ro_perms = "0775"\n'
                          'unix_sock_group = "adm"\n').wait_ready()
        try:
            st = os.stat(SOCK)
            self.assertEqual(st.st_mode & 0o777, 0o770)
            self.assertEqual(os.stat(SOCK_RO).st_mode & 0o777, 0o775)
            import grp
            self.assertEqual(st.st_gid, grp.getgrnam("adm").gr_gid)
        finally:
            d.stop()

    def test_explicit_config_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("max_client_requests = 0x\n")
        p = run("-f", f.name)
        os.unlink(f.name)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f.name, p.stderr)


class Lifecycle(unittest.TestCase):
    def test_root_dir_keeps_everything_under_it(self):
        root = tempfile.mkdtemp(prefix="mvroot-")
        sock = os.path.join(root, "run/libvirt/virtqemud-sock")
        d = Daemon(root=root, sock=sock, args=["-p", os.path.join(root, "pid")]).wait_ready()
        try:
            self.assertFalse(os.path.exists(SOCK))
            out = virsh("hostname", uri="qemu:///system?socket=" + sock).stdout
            self.assertEqual(out.strip(), socket.getfqdn() if "." in socket.getfqdn() else out.strip())
            with open(os.path.join(root, "pid")) as f:
                self.assertEqual(int(f.read()), d.proc.pid)
        finally:
            self.assertEqual(d.stop(), 0)
        self.assertFalse(os.path.exists(sock))
        shutil.rmtree(root)

    def test_sigterm_with_clients_connected(self):
        d = Daemon().wait_ready()
        w = Wire().open()
        self.assertEqual(w.lib_version(), API_LEVEL)
        self.assertEqual(d.stop(signal.SIGTERM), 0)
        self.assertFalse(os.path.exists(SOCK))
        d.check_clean(self)

    def test_idle_timeout(self):
        d = Daemon(args=["-t", "1"]).wait_ready()
        w = Wire().open()
        # a connected client keeps it alive well past the timeout
        with self.assertRaises(subprocess.TimeoutExpired):
            d.proc.wait(2.5)
        w.close()
        self.assertEqual(d.proc.wait(30), 0)
        d.check_clean(self)

    def test_second_instance_refused(self):
        d = Daemon(args=["-p", "/run/virtqemud-test.pid"]).wait_ready()
        try:
            p = run("-p", "/run/virtqemud-test.pid", "-t", "1")
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("already running", p.stderr)
            p = run("-p", "/run/virtqemud-other.pid", "-t", "1")
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("already serving", p.stderr)
            self.assertEqual(virsh("uri").stdout.strip(), "qemu:///system")
        finally:
            d.stop()

    def test_daemonize(self):
        p = run("--daemon", "--pid-file", "/run/virtqemud-bg.pid")
        self.assertEqual(p.returncode, 0, p.stderr)
        # the parent returns once the sockets answer
        self.assertTrue(can_connect(SOCK))
        with open("/run/virtqemud-bg.pid") as f:
            pid = int(f.read())
        self.assertEqual(virsh("uri").stdout.strip(), "qemu:///system")
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not os.path.exists("/run/virtqemud-bg.pid"), what="daemon exit")

    def test_sd_notify_ready(self):
        path = "/run/notify-test"
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        s.settimeout(30)
        d = Daemon(env={"NOTIFY_SOCKET": path})
        try:
            msg = s.recv(4096).decode()
            self.assertIn("READY=1", msg)
            self.assertTrue(can_connect(SOCK))
        finally:
            d.stop()
            s.close()
            os.unlink(path)


class SocketActivation(unittest.TestCase):
    def test_activated_sockets(self):
        os.makedirs("/run/libvirt", exist_ok=True)
        cmd = ["systemd-socket-activate",
               "-l", SOCK, "-l", SOCK_RO,
               "--fdname=virtqemud.socket:virtqemud-ro.socket",
               VIRTQEMUD, "-t", "30"]
        log = tempfile.TemporaryFile()
        p = subprocess.Popen(cmd, stdout=log, stderr=log)
        try:
            wait_for(lambda: os.path.exists(SOCK_RO), what="activation sockets")
            # the first connection starts the daemon
            self.assertEqual(virsh("uri").stdout.strip(), "qemu:///system")
            w = Wire(SOCK_RO).open()
            with self.assertRaises(Exception) as e:
                w.call("CONNECT_SET_IDENTITY", b"\0" * 8)
            self.assertEqual(e.exception.code, 29)
            self.assertEqual(virsh("hostname", readonly=True).returncode, 0)
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(30)
            log.seek(0)
            out = log.read().decode(errors="replace")
            self.assertNotIn("AddressSanitizer", out)


if __name__ == "__main__":
    unittest.main()
