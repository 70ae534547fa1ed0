"""Debian's own libvirtd, started inside the test sandbox, to compare what
stock clients print against what modvirt prints for the same host."""
import os
import shutil
import subprocess
import tempfile

from harness import can_connect, wait_for

# Its own socket directory: libvirt-sock in /run/libvirt is virtproxyd's.
SOCK_DIR = "/run/libvirt-reference"
SOCK = SOCK_DIR + "/libvirt-sock"
URI = "qemu:///system?socket=" + SOCK


class Libvirtd:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="libvirtd-ref-")
        self._fake_qemu_user()
        # QEMU's output straight to its log file: no virtlogd in the sandbox.
        with open("/etc/libvirt/qemu.conf", "w") as f:
            f.write('user = "root"\ngroup = "root"\nstdio_handler = "file"\n')
        os.makedirs(SOCK_DIR, exist_ok=True)
        conf = os.path.join(self.tmp, "libvirtd.conf")
        with open(conf, "w") as f:
            f.write('unix_sock_rw_perms = "0700"\nunix_sock_dir = "%s"\n' % SOCK_DIR)
        self.log = open(os.path.join(self.tmp, "libvirtd.log"), "w")
        self.proc = subprocess.Popen(["/usr/sbin/libvirtd", "-f", conf],
                                     stdout=self.log, stderr=self.log)
        wait_for(lambda: can_connect(SOCK) or self.proc.poll() is not None, timeout=60,
                 what="libvirtd")
        if self.proc.poll() is not None:
            raise RuntimeError("libvirtd did not start: " + open(self.log.name).read())

    def _fake_qemu_user(self):
        """Debian's libvirtd refuses to start without its libvirt-qemu user
        (created by libvirt-daemon-system, which we do not install): add it
        to private copies of passwd and group, bind-mounted in the sandbox."""
        for name, line in (("passwd", "libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin\n"),
                           ("group", "libvirt-qemu:x:64055:\n")):
            src = "/etc/" + name
            with open(src) as f:
                text = f.read()
            if "libvirt-qemu:" in text:
                continue
            copy = os.path.join(self.tmp, name)
            with open(copy, "w") as f:
                f.write(text + line)
            subprocess.run(["mount", "--bind", copy, src], check=True)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for name in ("passwd", "group"):
            subprocess.run(["umount", "/etc/" + name], stderr=subprocess.DEVNULL)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
