"""Domain definitions with stock virsh, python3-libvirt and virt-install
against virtqemud: define, list, inspect, change, persist, undefine; and
the same input given to Debian's libvirtd for comparison."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unittest
import uuid

import libvirt

import reference
from harness import Daemon, DaemonTestCase, virsh

DATA = os.path.join(os.path.dirname(__file__), "../data/integration")
GUEST = os.path.join(DATA, "guest-linux.xml")
QEMU_DIR = "/etc/libvirt/qemu"


def validate(xml):
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(xml)
    p = subprocess.run(["virt-xml-validate", f.name, "domain"], capture_output=True, text=True)
    os.unlink(f.name)
    return p.returncode, p.stdout + p.stderr


def fields(text):
    return {k.strip(): v.strip() for k, v in
            (line.split(":", 1) for line in text.splitlines() if ":" in line)}


class Domains(DaemonTestCase):
    def tearDown(self):
        super().tearDown()
        shutil.rmtree(QEMU_DIR, ignore_errors=True)

    def define(self, path=GUEST):
        out = virsh("define", path).stdout
        self.assertIn("Domain 'guest1' defined", out)

    def test_define_list_inspect(self):
        self.define()
        self.assertTrue(os.path.exists(os.path.join(QEMU_DIR, "guest1.xml")))
        out = virsh("list", "--all").stdout
        self.assertRegex(out, r"-\s+guest1\s+shut off")
        self.assertEqual(virsh("list", "--all", "--name").stdout.split(), ["guest1"])
        self.assertEqual(virsh("list", "--inactive", "--name").stdout.split(), ["guest1"])
        self.assertEqual(virsh("list", "--name").stdout.split(), [])
        self.assertEqual(virsh("list", "--persistent", "--all", "--name").stdout.split(), ["guest1"])
        u = virsh("domuuid", "guest1").stdout.strip()
        uuid.UUID(u)
        self.assertEqual(virsh("list", "--all", "--uuid").stdout.split(), [u])
        self.assertEqual(virsh("domname", u).stdout.strip(), "guest1")
        self.assertEqual(virsh("domid", "guest1").stdout.strip(), "-")
        self.assertEqual(virsh("domstate", "--reason", "guest1").stdout.strip(), "shut off (unknown)")
        info = fields(virsh("dominfo", "guest1").stdout)
        self.assertEqual(info["Name"], "guest1")
        self.assertEqual(info["UUID"], u)
        self.assertEqual(info["State"], "shut off")
        self.assertEqual(info["CPU(s)"], "2")
        self.assertEqual(info["Max memory"], "524288 KiB")
        self.assertEqual(info["Persistent"], "yes")
        self.assertEqual(info["Autostart"], "disable")
        self.assertEqual(info["Security model"], "none")

    def test_dumpxml_validates_and_flags(self):
        self.define()
        for args in ([], ["--inactive"], ["--security-info"], ["--migratable"]):
            xml = virsh("dumpxml", *args, "guest1").stdout
            self.assertIn("<name>guest1</name>", xml)
            rc, msg = validate(xml)
            self.assertEqual(rc, 0, msg + xml)
        xml = virsh("dumpxml", "guest1").stdout
        self.assertIn("machine='pc-i440fx-", xml)
        self.assertIn("<emulator>/usr/bin/qemu-system-x86_64</emulator>", xml)

    def test_autostart(self):
        self.define()
        virsh("autostart", "guest1")
        link = os.path.join(QEMU_DIR, "autostart", "guest1.xml")
        self.assertTrue(os.path.islink(link))
        self.assertEqual(virsh("list", "--all", "--autostart", "--name").stdout.split(), ["guest1"])
        self.assertEqual(fields(virsh("dominfo", "guest1").stdout)["Autostart"], "enable")
        virsh("autostart", "--disable", "guest1")
        self.assertFalse(os.path.lexists(link))
        self.assertEqual(virsh("list", "--all", "--no-autostart", "--name").stdout.split(), ["guest1"])

    def test_config_changes(self):
        self.define()
        virsh("setmaxmem", "guest1", "1G", "--config")
        virsh("setmem", "guest1", "600M", "--config")
        virsh("setvcpus", "guest1", "3", "--config", "--maximum")
        virsh("setvcpus", "guest1", "2", "--config")
        xml = virsh("dumpxml", "guest1").stdout
        self.assertIn("<memory unit='KiB'>1048576</memory>", xml)
        self.assertIn("<currentMemory unit='KiB'>614400</currentMemory>", xml)
        self.assertRegex(xml, r"<vcpu placement='static' current='2'>3</vcpu>")
        bad = virsh("setmem", "guest1", "2G", "--config", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("cannot set memory higher than max memory", bad.stderr)
        live = virsh("setmem", "guest1", "500M", "--live", check=False)
        self.assertIn("domain is not running", live.stderr)
        virsh("desc", "guest1", "--config", "a test guest")
        self.assertEqual(virsh("desc", "guest1").stdout.strip(), "a test guest")
        virsh("desc", "guest1", "--config", "--title", "Guest One")
        self.assertEqual(virsh("desc", "guest1", "--title").stdout.strip(), "Guest One")
        virsh("metadata", "guest1", "http://example.org/app", "--key", "app", "--config",
              "--set", "<info owner='ops'/>")
        meta = virsh("metadata", "guest1", "http://example.org/app").stdout
        self.assertIn("owner=\"ops\"", meta.replace("'", "\""))
        rc, msg = validate(virsh("dumpxml", "guest1").stdout)
        self.assertEqual(rc, 0, msg)

    def test_devices(self):
        self.define()
        disk = os.path.join(DATA, "disk-vdb.xml")
        with open(disk, "w") as f:
            f.write("<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                    "<source file='/var/lib/libvirt/images/extra.img'/>"
                    "<target dev='vdb' bus='virtio'/></disk>\n")
        try:
            virsh("attach-device", "guest1", disk, "--config")
            self.assertIn("<target dev='vdb' bus='virtio'/>", virsh("dumpxml", "guest1").stdout)
            again = virsh("attach-device", "guest1", disk, "--config", check=False)
            self.assertNotEqual(again.returncode, 0)
            self.assertIn("vdb", again.stderr)
            virsh("detach-device", "guest1", disk, "--config")
            self.assertNotIn("dev='vdb'", virsh("dumpxml", "guest1").stdout)
        finally:
            os.unlink(disk)
        virsh("change-media", "guest1", "sda", "/tmp/some.iso", "--insert", "--config")
        self.assertIn("<source file='/tmp/some.iso'/>", virsh("dumpxml", "guest1").stdout)

    def test_define_validate(self):
        bad = open(GUEST).read().replace("<features>", "<features><bogus/>")
        p = subprocess.run(["virsh", "-c", "qemu:///system", "define", "--validate", "/dev/stdin"],
                           input=open(GUEST).read(), capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = subprocess.run(["virsh", "-c", "qemu:///system", "define", "--validate", "/dev/stdin"],
                           input=bad.replace("guest1", "guest9"), capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(virsh("list", "--all", "--name").stdout.split(), ["guest1"])

    def test_edit_round_trip(self):
        self.define()
        p = virsh("edit", "guest1",
                  env={"EDITOR": "sed -i -e 's|<vcpu placement=.static.>2</vcpu>|"
                                 "<vcpu placement=\"static\">4</vcpu>|'"})
        self.assertIn("edited", p.stdout)
        self.assertIn(">4</vcpu>", virsh("dumpxml", "guest1").stdout)

    def test_rename_and_undefine(self):
        self.define()
        virsh("autostart", "guest1")
        virsh("domrename", "guest1", "guest2")
        self.assertEqual(virsh("list", "--all", "--name").stdout.split(), ["guest2"])
        self.assertTrue(os.path.exists(os.path.join(QEMU_DIR, "guest2.xml")))
        self.assertFalse(os.path.exists(os.path.join(QEMU_DIR, "guest1.xml")))
        self.assertTrue(os.path.lexists(os.path.join(QEMU_DIR, "autostart", "guest2.xml")))
        virsh("undefine", "guest2")
        self.assertEqual(virsh("list", "--all", "--name").stdout.split(), [])
        self.assertFalse(os.path.exists(os.path.join(QEMU_DIR, "guest2.xml")))
        self.assertFalse(os.path.lexists(os.path.join(QEMU_DIR, "autostart", "guest2.xml")))
        gone = virsh("dominfo", "guest2", check=False)
        self.assertIn("failed to get domain 'guest2'", gone.stderr)

    def test_undefine_nvram(self):
        xml = open(GUEST).read().replace(
            "<os>", "<os><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>"
                    "<nvram>/var/lib/libvirt/qemu/nvram/guest1_VARS.fd</nvram>")
        path = os.path.join(DATA, "guest-nvram.xml")
        with open(path, "w") as f:
            f.write(xml)
        try:
            self.define(path)
        finally:
            os.unlink(path)
        # only an nvram file that exists stops the undefine (as libvirtd)
        os.makedirs("/var/lib/libvirt/qemu/nvram", exist_ok=True)
        open("/var/lib/libvirt/qemu/nvram/guest1_VARS.fd", "w").close()
        p = virsh("undefine", "guest1", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("nvram", p.stderr)
        virsh("undefine", "guest1", "--keep-nvram")
        self.assertEqual(virsh("list", "--all", "--name").stdout.split(), [])

    def test_errors(self):
        self.define()
        dup = open(GUEST).read()
        p = subprocess.run(["virsh", "-c", "qemu:///system", "define", "/dev/stdin"],
                           input=dup, capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("domain 'guest1' already exists with uuid", p.stderr)
        p = subprocess.run(["virsh", "-c", "qemu:///system", "define", "/dev/stdin"],
                           input="<domain type='qemu'><name>x", capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("(domain_definition):1: Premature end of data", p.stderr)
        p = virsh("dominfo", "nosuch", check=False)
        self.assertIn("failed to get domain 'nosuch'", p.stderr)
        # the daemon still serves
        self.assertEqual(virsh("list", "--all", "--name").stdout.split(), ["guest1"])

    def test_read_only_refused(self):
        self.define()
        self.assertEqual(virsh("list", "--all", "--name", readonly=True).stdout.split(), ["guest1"])
        self.assertIn("<name>guest1</name>", virsh("dumpxml", "guest1", readonly=True).stdout)
        p = virsh("undefine", "guest1", readonly=True, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("read only", p.stderr.lower().replace("-", " "))

    def test_python(self):
        c = libvirt.open("qemu:///system")
        d = c.defineXML(open(GUEST).read())
        self.assertEqual(d.name(), "guest1")
        self.assertEqual(c.lookupByName("guest1").UUIDString(), d.UUIDString())
        self.assertEqual(c.lookupByUUIDString(d.UUIDString()).name(), "guest1")
        self.assertEqual([x.name() for x in c.listAllDomains()], ["guest1"])
        self.assertEqual(c.listDefinedDomains(), ["guest1"])
        self.assertEqual(d.info()[0], libvirt.VIR_DOMAIN_SHUTOFF)
        self.assertFalse(d.isActive())
        self.assertTrue(d.isPersistent())
        self.assertEqual(d.OSType(), "hvm")
        self.assertIn("<name>guest1</name>", d.XMLDesc(0))
        with self.assertRaises(libvirt.libvirtError) as e:
            c.lookupByName("nope")
        self.assertEqual(e.exception.get_error_code(), libvirt.VIR_ERR_NO_DOMAIN)
        self.assertEqual(str(e.exception), "Domain not found: no domain with matching name 'nope'")
        with self.assertRaises(libvirt.libvirtError) as e:
            c.lookupByUUIDString("00000000-0000-4000-8000-000000000001")
        self.assertEqual(str(e.exception), "Domain not found: no domain with matching uuid "
                                           "'00000000-0000-4000-8000-000000000001'")
        with self.assertRaises(libvirt.libvirtError) as e:
            c.lookupByID(7)
        self.assertEqual(e.exception.get_error_code(), libvirt.VIR_ERR_NO_DOMAIN)
        other = d.XMLDesc(0).replace("<name>guest1</name>", "<name>other</name>")
        with self.assertRaises(libvirt.libvirtError) as e:
            c.defineXML(other)
        self.assertEqual(e.exception.get_error_code(), libvirt.VIR_ERR_OPERATION_FAILED)
        self.assertIn("is already defined with uuid", str(e.exception))
        d.undefine()
        self.assertEqual(c.listAllDomains(), [])
        c.close()

    def test_virt_install_print_xml(self):
        # Disks given by path go through the storage API (virtstoraged,
        # not here yet): a diskless import shows the rest of what
        # virt-install generates from our capabilities and domcapabilities.
        out = subprocess.run(
            ["virt-install", "--connect", "qemu:///system", "--print-xml", "--name", "vi1",
             "--memory", "1024", "--vcpus", "2", "--disk", "none", "--import",
             "--os-variant", "generic", "--network", "user", "--graphics", "vnc",
             "--noautoconsole"],
            capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            self.fail(out.stderr)
        p = subprocess.run(["virsh", "-c", "qemu:///system", "define", "/dev/stdin"],
                           input=out.stdout, capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr + out.stdout)
        rc, msg = validate(virsh("dumpxml", "vi1").stdout)
        self.assertEqual(rc, 0, msg)

    def test_domxml_to_native(self):
        self.define()
        out = virsh("domxml-to-native", "qemu-argv", "--domain", "guest1").stdout
        self.assertIn("/usr/bin/qemu-system-x86_64", out)
        # the device names the live XML will carry
        self.assertIn('"id":"virtio-disk0"', out)
        self.assertIn('"id":"sata0-0-0"', out)
        self.assertIn("-name guest=guest1", out)
        self.assertIn("-nodefaults", out)


class Persistence(unittest.TestCase):
    def tearDown(self):
        shutil.rmtree(QEMU_DIR, ignore_errors=True)

    def test_survives_kill_and_restart(self):
        d = Daemon().wait_ready()
        virsh("define", GUEST)
        virsh("autostart", "guest1")
        u = virsh("domuuid", "guest1").stdout.strip()
        d.proc.send_signal(signal.SIGKILL)      # nothing acknowledged may be lost
        d.proc.wait()
        d = Daemon().wait_ready()
        try:
            self.assertEqual(virsh("domuuid", "guest1").stdout.strip(), u)
            self.assertEqual(fields(virsh("dominfo", "guest1").stdout)["Autostart"], "enable")
            leftovers = [f for f in os.listdir(QEMU_DIR) if f.startswith(".")]
            self.assertEqual(leftovers, [])
        finally:
            self.assertEqual(d.stop(), 0)
            d.check_clean(self)

    def test_journal_replays_changes_the_files_lost(self):
        # What a power cut does to changes acknowledged but not yet written
        # back: the journal has them, the files do not.  Emulated by putting
        # the files back as they were before the changes.
        d = Daemon().wait_ready()
        virsh("define", GUEST)
        with open(os.path.join(QEMU_DIR, "guest1.xml")) as f:
            before = f.read()
        virsh("desc", "guest1", "--config", "after the crash")
        virsh("domrename", "guest1", "guest2")
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        os.unlink(os.path.join(QEMU_DIR, "guest2.xml"))
        with open(os.path.join(QEMU_DIR, "guest1.xml"), "w") as f:
            f.write(before)
        d = Daemon().wait_ready()
        try:
            names = virsh("list", "--all", "--name").stdout.split()
            self.assertEqual(names, ["guest2"])
            self.assertEqual(virsh("desc", "guest2").stdout.strip(), "after the crash")
            self.assertFalse(os.path.exists(os.path.join(QEMU_DIR, "guest1.xml")))
        finally:
            self.assertEqual(d.stop(), 0)
            d.check_clean(self)

    def test_keeps_definitions_whose_machine_or_emulator_is_gone(self):
        # What a QEMU upgrade that dropped a machine type leaves behind.
        os.makedirs(QEMU_DIR, exist_ok=True)
        xml = open(GUEST).read().replace("machine='pc'", "machine='pc-i440fx-99.0'").replace(
            "<devices>", "<devices><emulator>/nonexistent/qemu</emulator>")
        with open(os.path.join(QEMU_DIR, "guest1.xml"), "w") as f:
            f.write(xml)
        d = Daemon().wait_ready()
        try:
            self.assertEqual(virsh("list", "--all", "--name").stdout.split(), ["guest1"])
            out = virsh("dumpxml", "guest1").stdout
            self.assertIn("machine='pc-i440fx-99.0'", out)
            self.assertIn("<emulator>/nonexistent/qemu</emulator>", out)
            self.assertEqual(fields(virsh("dominfo", "guest1").stdout)["State"], "shut off")
            # a simple change keeps what was written
            virsh("setmaxmem", "guest1", "256M", "--config")
        finally:
            self.assertEqual(d.stop(), 0)
            d.check_clean(self)
        d = Daemon().wait_ready()
        try:
            out = virsh("dumpxml", "guest1").stdout
            self.assertIn("<memory unit='KiB'>262144</memory>", out)
            self.assertIn("machine='pc-i440fx-99.0'", out)
        finally:
            self.assertEqual(d.stop(), 0)
            d.check_clean(self)

    def test_broken_definition_is_not_overwritten(self):
        os.makedirs(QEMU_DIR, exist_ok=True)
        path = os.path.join(QEMU_DIR, "guest1.xml")
        broken = "<domain type='qemu'>\n  <name>guest1</name>\n  <memory"
        with open(path, "w") as f:
            f.write(broken)
        d = Daemon().wait_ready()
        try:
            self.assertEqual(virsh("list", "--all", "--name").stdout.split(), [])
            p = virsh("define", GUEST, check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("operation failed: cannot define domain 'guest1': its configuration "
                          f"file {path} exists but could not be loaded", p.stderr)
            conn = libvirt.open("qemu:///system")
            try:
                with self.assertRaises(libvirt.libvirtError) as e:
                    conn.defineXML(open(GUEST).read())
                self.assertEqual(e.exception.get_error_code(), libvirt.VIR_ERR_OPERATION_FAILED)
                self.assertEqual(e.exception.get_error_domain(), libvirt.VIR_FROM_QEMU)
            finally:
                conn.close()
            with open(path) as f:
                self.assertEqual(f.read(), broken)
            os.unlink(path)
            self.assertIn("Domain 'guest1' defined", virsh("define", GUEST).stdout)
        finally:
            self.assertEqual(d.stop(), 0)
            d.check_clean(self)

    def test_reads_definitions_written_by_libvirtd(self):
        ref = reference.Libvirtd()
        try:
            virsh("define", GUEST, uri=reference.URI)
            theirs = virsh("dumpxml", "guest1", uri=reference.URI).stdout
        finally:
            ref.stop()
        # libvirtd wrote /etc/libvirt/qemu/guest1.xml in this sandbox
        self.assertTrue(os.path.exists(os.path.join(QEMU_DIR, "guest1.xml")))
        d = Daemon().wait_ready()
        try:
            ours = virsh("dumpxml", "guest1").stdout
            strip_mac = lambda x: re.sub(r"<mac address='[^']*'/>", "", x)
            self.assertEqual(strip_mac(ours), strip_mac(theirs))
        finally:
            self.assertEqual(d.stop(), 0)

    def test_same_dumpxml_as_libvirtd_for_the_same_input(self):
        ref = reference.Libvirtd()
        try:
            virsh("define", GUEST, uri=reference.URI)
            theirs = virsh("dumpxml", "guest1", uri=reference.URI).stdout
            virsh("undefine", "guest1", uri=reference.URI)
        finally:
            ref.stop()
        d = Daemon().wait_ready()
        try:
            virsh("define", GUEST)
            ours = virsh("dumpxml", "guest1").stdout
            norm = lambda x: re.sub(r"<(uuid)>[^<]*</uuid>|<mac address='[^']*'/>", "", x)
            self.assertEqual(norm(ours), norm(theirs))
        finally:
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
