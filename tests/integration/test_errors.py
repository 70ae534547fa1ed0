"""The errors of the paths the other integration tests exercise (define,
lookups, configuration changes, devices, undefine, read-only refusals,
domcapabilities, bad URIs), each given to virtqemud and to Debian's
libvirtd: the same error code, domain and message.  Scripts and clients
match on these (VIR_FROM_QEMU vs VIR_FROM_DOMAIN vs VIR_FROM_XML)."""
import os
import shutil
import subprocess
import unittest

import libvirt

import reference
from harness import DaemonTestCase, virsh

DATA = os.path.join(os.path.dirname(__file__), "../data/integration")
GUEST = open(os.path.join(DATA, "guest-linux.xml")).read()
QEMU_DIR = "/etc/libvirt/qemu"
UUID = "5f2d6b8e-3c1a-4e55-9d7b-0a1b2c3d4e5f"
REF = None


def setUpModule():
    global REF
    REF = reference.Libvirtd()


def tearDownModule():
    REF.stop()


def outcome(fn, *args):
    try:
        fn(*args)
        return ("ok",)
    except libvirt.libvirtError as e:
        return ("error", e.get_error_code(), e.get_error_domain(), e.get_error_message())


def with_uuid(xml, uuid=UUID, name=None):
    xml = xml.replace("<name>guest1</name>", "<name>guest1</name><uuid>%s</uuid>" % uuid)
    return xml.replace("<name>guest1</name>", "<name>%s</name>" % name) if name else xml


class Errors(DaemonTestCase):
    """Each case runs on both connections (ours first), each with the same
    guest1 defined."""

    def setUp(self):
        super().setUp()
        self.conns = [libvirt.open("qemu:///system"), libvirt.open(reference.URI)]
        self.ro = [libvirt.openReadOnly("qemu:///system"), libvirt.openReadOnly(reference.URI)]
        for c in self.conns:
            c.defineXML(with_uuid(GUEST))

    def tearDown(self):
        for c in self.conns:
            for d in c.listAllDomains():
                d.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_KEEP_NVRAM)
            c.close()
        for c in self.ro:
            c.close()
        super().tearDown()
        shutil.rmtree(QEMU_DIR, ignore_errors=True)

    def same(self, fn, what=None):
        """fn(conn) on both; the outcomes must be the same error."""
        ours, theirs = (outcome(fn, c) for c in self.conns)
        self.assertEqual(theirs[0], "error", f"libvirtd accepted {what or fn}")
        self.assertEqual(ours, theirs, what)

    def same_outcome(self, fn, what=None):
        """fn(conn) on both: the same success or the same error."""
        ours, theirs = (outcome(fn, c) for c in self.conns)
        self.assertEqual(ours, theirs, what)

    def same_ro(self, fn, what=None):
        ours, theirs = (outcome(fn, c) for c in self.ro)
        self.assertEqual(theirs[0], "error", f"libvirtd accepted {what or fn}")
        self.assertEqual(ours, theirs, what)

    def test_define(self):
        cases = {
            "same name, other uuid": GUEST.replace("<name>guest1</name>",
                                                   "<name>guest1</name><uuid>00000000-0000-4000-8000-000000000009</uuid>"),
            "same uuid, other name": with_uuid(GUEST, name="other"),
            "malformed": "<domain type='qemu'><name>x",
            "empty": "",
            "not a domain": "<network><name>x</name></network>",
            "no name": GUEST.replace("<name>guest1</name>", ""),
            "bad memory": GUEST.replace("<memory unit='MiB'>512</memory>", "<memory unit='MiB'>lots</memory>"),
            "unknown machine": GUEST.replace("machine='pc'", "machine='nope'").replace("guest1", "g2"),
            "unknown arch": GUEST.replace("arch='x86_64'", "arch='foo'").replace("guest1", "g2"),
            "unknown os type": GUEST.replace(">hvm<", ">nope<").replace("guest1", "g2"),
            "unknown emulator": GUEST.replace("<devices>", "<devices><emulator>/usr/bin/nope</emulator>")
                                     .replace("guest1", "g2"),
            "bad domain type": GUEST.replace("type='qemu'", "type='nope'", 1).replace("guest1", "g2"),
            "duplicate disk target": GUEST.replace(
                "<devices>", "<devices><disk type='file' device='disk'><source file='/x.img'/>"
                             "<target dev='vda' bus='virtio'/></disk>").replace("guest1", "g2"),
            "cdrom on virtio": GUEST.replace("target dev='sda' bus='sata'", "target dev='vdc' bus='virtio'")
                                    .replace("guest1", "g2"),
        }
        for what, xml in cases.items():
            self.same(lambda c: c.defineXML(xml), what)
            self.same(lambda c: c.defineXMLFlags(xml, libvirt.VIR_DOMAIN_DEFINE_VALIDATE), what + " (validate)")
        bogus = GUEST.replace("<features>", "<features><bogus/>").replace("guest1", "g9")
        self.same(lambda c: c.defineXMLFlags(bogus, libvirt.VIR_DOMAIN_DEFINE_VALIDATE), "schema")

    def test_lookups(self):
        self.same(lambda c: c.lookupByName("nope"), "name")
        self.same(lambda c: c.lookupByUUIDString("00000000-0000-4000-8000-000000000001"), "uuid")
        self.same(lambda c: c.lookupByID(7), "id")

    def test_changes_of_a_shut_off_guest(self):
        dom = lambda c: c.lookupByName("guest1")
        self.same(lambda c: dom(c).setMemoryFlags(2 * 1024 * 1024, libvirt.VIR_DOMAIN_AFFECT_CONFIG),
                  "setmem over max")
        self.same(lambda c: dom(c).setMemoryFlags(500 * 1024, libvirt.VIR_DOMAIN_AFFECT_LIVE), "setmem live")
        self.same(lambda c: dom(c).setVcpusFlags(64, libvirt.VIR_DOMAIN_AFFECT_CONFIG), "setvcpus over max")
        self.same(lambda c: dom(c).setVcpusFlags(2, libvirt.VIR_DOMAIN_AFFECT_LIVE), "setvcpus live")
        self.same(lambda c: dom(c).setVcpusFlags(0, libvirt.VIR_DOMAIN_AFFECT_CONFIG), "setvcpus 0")
        self.same(lambda c: dom(c).metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, "http://example.org/x",
                                            libvirt.VIR_DOMAIN_AFFECT_CONFIG), "no metadata")
        self.same(lambda c: dom(c).setMetadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, "<a/>", None,
                                               "http://example.org/x", libvirt.VIR_DOMAIN_AFFECT_CONFIG),
                  "metadata without key")
        self.same(lambda c: dom(c).rename("guest1"), "rename to itself")
        self.same(lambda c: dom(c).rename("bad/name"), "rename with a slash")

    def test_devices(self):
        dom = lambda c: c.lookupByName("guest1")
        cfg = libvirt.VIR_DOMAIN_AFFECT_CONFIG
        vda = ("<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
               "<source file='/var/lib/libvirt/images/x.img'/><target dev='vda' bus='virtio'/></disk>")
        vdz = vda.replace("vda", "vdz")
        self.same(lambda c: dom(c).attachDeviceFlags(vda, cfg), "attach a taken target")
        self.same(lambda c: dom(c).detachDeviceFlags(vdz, cfg), "detach a missing disk")
        self.same(lambda c: dom(c).updateDeviceFlags(vdz, cfg), "update a missing disk")
        self.same(lambda c: dom(c).attachDeviceFlags("<disk", cfg), "malformed device")
        self.same(lambda c: dom(c).attachDeviceFlags("<bogus/>", cfg), "unknown device")
        self.same(lambda c: dom(c).attachDeviceFlags(vdz, libvirt.VIR_DOMAIN_AFFECT_LIVE), "attach live")

    def test_undefine_and_read_only(self):
        nvram = with_uuid(GUEST, "5f2d6b8e-3c1a-4e55-9d7b-0a1b2c3d4e60", "g3").replace(
            "<os>", "<os><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>"
                    "<nvram>/var/lib/libvirt/qemu/nvram/g3_VARS.fd</nvram>")
        for c in self.conns:
            c.defineXML(nvram)
        # an nvram file that does not exist needs no flag; one that does, does
        self.same_outcome(lambda c: c.lookupByName("g3").undefine(), "undefine, no nvram file")
        for c in self.conns:
            c.defineXML(nvram)
        os.makedirs("/var/lib/libvirt/qemu/nvram", exist_ok=True)
        open("/var/lib/libvirt/qemu/nvram/g3_VARS.fd", "w").close()
        self.same(lambda c: c.lookupByName("g3").undefine(), "undefine with nvram")
        self.same_ro(lambda c: c.lookupByName("guest1").undefine(), "read-only undefine")
        self.same_ro(lambda c: c.defineXML(GUEST), "read-only define")
        self.same_ro(lambda c: c.lookupByName("guest1").setAutostart(1), "read-only autostart")

    def test_domain_capabilities(self):
        for args in (("/usr/bin/nope", None, None, None), (None, "foo", None, None),
                     (None, "aarch64", None, None), (None, None, "nope", None),
                     (None, None, None, "bar"), (None, None, None, "kvm"),
                     (None, None, None, "xen"), ("/usr/bin/qemu-system-x86_64", "aarch64", None, None)):
            self.same(lambda c: c.getDomainCapabilities(*args), args)
        self.same(lambda c: c.getDomainCapabilities(None, None, None, None, 1), "flags")

    def test_virsh_messages(self):
        """What virsh prints for the same failures (its own words around ours)."""
        for args in (["dominfo", "nosuch"], ["undefine", "nosuch"], ["domcapabilities", "--arch", "foo"],
                     ["setmem", "guest1", "2G", "--config"], ["start", "nosuch"]):
            ours = virsh(*args, check=False)
            theirs = virsh(*args, uri=reference.URI, check=False)
            self.assertEqual((ours.returncode, ours.stderr), (theirs.returncode, theirs.stderr), args)

    def test_bad_uris(self):
        for path in ("/bogus", "/session/x", "/embed"):
            ours = virsh("uri", uri="qemu://" + path, check=False)
            theirs = virsh("uri", uri="qemu://" + path + "?socket=" + reference.SOCK, check=False)
            self.assertEqual((ours.returncode, ours.stderr), (theirs.returncode, theirs.stderr), path)


if __name__ == "__main__":
    unittest.main()
