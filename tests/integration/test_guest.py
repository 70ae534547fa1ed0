"""The test guest itself (tests/guest, guest.py), before any daemon runs it:
under bare QEMU it boots, says so on its serial console, sees the disks it
is given, answers commands, powers off on the ACPI power button and boots
again on a reset; and Debian's libvirtd runs guest_xml() as it is, so the
XML the daemon tests use is what a real libvirt accepts and boots."""
import os
import shutil
import subprocess
import tempfile
import unittest

import libvirt

import guest
import reference
from harness import wait_for

IMAGES = "/var/lib/libvirt/images"


class BareQemu(unittest.TestCase):
    """The guest under qemu-system-x86_64 alone, as guest.qemu_argv starts it:
    the bzImage in one test, the uncompressed kernel (PVH) in the other."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="guest-")
        self.mon = os.path.join(self.tmp, "qmp.sock")
        self.disk = guest.make_disk(os.path.join(self.tmp, "vda.qcow2"), size_mib=24)
        self.log = open(os.path.join(self.tmp, "qemu.log"), "w+")
        # Each test boots one of the two kernels (see fast_boot).
        fast = self._testMethodName.startswith("test_reset")
        self.qemu = subprocess.Popen(guest.qemu_argv("bare", self.mon, disk=self.disk, serial="pty",
                                                     fast_boot=fast),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.qmp = guest.Qmp(self.mon)
        # Paused (-S): open the console before the guest can say anything.
        pty = [c["filename"] for c in self.qmp.cmd("query-chardev") if c["label"] == "serial0"]
        self.assertEqual(len(pty), 1, self.qmp.cmd("query-chardev"))
        self.con = guest.Console(pty[0].split(":", 1)[1])
        self.qmp.cmd("cont")

    def tearDown(self):
        self.con.close()
        self.qmp.close()
        if self.qemu.poll() is None:
            self.qemu.kill()
        self.qemu.wait()
        self.log.close()
        shutil.rmtree(self.tmp)

    def test_boots_lists_disk_and_powers_off_on_acpi_button(self):
        self.con.wait(guest.UP)
        out = self.con.wait(guest.READY)
        self.assertIn(guest.PREFIX + "disk vda %d" % (24 * 2048), out)
        self.assertEqual(self.con.command("ping", guest.PREFIX + "pong").strip(),
                         guest.PREFIX + "pong")
        self.assertEqual(self.con.disks(), {"vda": 24 * 2048})
        self.qmp.cmd("system_powerdown")
        self.con.wait(guest.PREFIX + "power button: powering off")
        # No -no-shutdown here: the ACPI power off ends QEMU by itself.
        self.assertEqual(self.qemu.wait(60), 0)

    def test_reset_and_reboot_boot_again(self):
        self.con.wait(guest.READY)
        self.qmp.cmd("system_reset")
        self.con.wait(guest.UP)
        self.con.wait(guest.READY)
        self.con.command("reboot", guest.PREFIX + "rebooting")
        self.qmp.event("RESET")
        self.con.wait(guest.UP)
        self.con.command("poweroff", guest.PREFIX + "powering off")
        self.assertEqual(self.qemu.wait(60), 0)


class WithLibvirtd(unittest.TestCase):
    """guest_xml() through Debian's libvirtd: its XML boots, the console
    is where console_path() says and in the console_log file, the disks are
    seen, reboot (ACPI, then a
    reset) boots it again and ACPI shutdown ends it."""

    @classmethod
    def setUpClass(cls):
        cls.ref = reference.Libvirtd()
        # The finally clause's destroy of a guest already gone is expected.
        libvirt.registerErrorHandler(lambda *_: None, None)
        cls.conn = libvirt.open(reference.URI)

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        cls.ref.stop()

    def test_create_boot_disks_shutdown(self):
        os.makedirs(IMAGES, exist_ok=True)
        disk = guest.make_disk(os.path.join(IMAGES, "ref-g1.qcow2"), size_mib=8)
        sata = guest.make_disk(os.path.join(IMAGES, "ref-g1-sata.raw"), size_mib=4, fmt="raw")
        scsi = guest.make_disk(os.path.join(IMAGES, "ref-g1-scsi.qcow2"), size_mib=2)
        log = os.path.join(tempfile.mkdtemp(prefix="guest-"), "console.log")
        xml = guest.guest_xml("ref-g1", disk=disk, disks=[(sata, "sata"), (scsi, "scsi")],
                              console_log=log)
        dom = self.conn.createXML(xml, guest.start_flags(paused=True))
        try:
            self.assertEqual(dom.state()[0], libvirt.VIR_DOMAIN_PAUSED)
            with guest.Console(guest.console_path(dom.XMLDesc())) as con:
                dom.resume()
                con.wait(guest.UP)
                con.wait(guest.READY)
                disks = con.disks()
                # The guest names its SCSI and SATA disks in probe order.
                self.assertEqual(sorted(disks), ["sda", "sdb", "vda"])
                self.assertEqual(disks["vda"], 8 * 2048)
                self.assertEqual({disks["sda"], disks["sdb"]}, {4 * 2048, 2 * 2048})
                # QEMU writes the console to the log file too.
                self.assertIn(guest.PREFIX + "disk vda 16384", guest.wait_log(log, guest.READY))
                # Without an agent libvirt reboots through the power button
                # and resets the guest once it has powered off.
                dom.reboot()
                con.wait(guest.PREFIX + "power button: powering off")
                con.wait(guest.UP)
                self.assertEqual(sorted(guest.Console.parse_disks(con.wait(guest.READY))),
                                 ["sda", "sdb", "vda"])
                dom.shutdown()   # no agent: ACPI power button
                con.wait(guest.PREFIX + "power button: powering off")
            # A transient guest that powered off is gone.
            wait_for(lambda: "ref-g1" not in [d.name() for d in self.conn.listAllDomains()],
                     timeout=60, what="ref-g1 to end")
        finally:
            try:
                dom.destroy()
            except libvirt.libvirtError:
                pass
            for f in (disk, sata, scsi):
                os.unlink(f)
            shutil.rmtree(os.path.dirname(log))


if __name__ == "__main__":
    unittest.main()
