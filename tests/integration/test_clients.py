"""Stock virsh and python3-libvirt against virtqemud, compared with what
Debian's libvirtd prints for the same host."""
import os
import re
import subprocess
import tempfile
import unittest

import libvirt

import reference
from harness import DaemonTestCase, virsh

API_LEVEL = 9000000
REF = None


def setUpModule():
    global REF
    REF = reference.Libvirtd()


def tearDownModule():
    REF.stop()


def fields(text):
    """virsh's 'Key:   value' lines as a dict."""
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def validate(xml, schema):
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(xml)
    try:
        p = subprocess.run(["virt-xml-validate", f.name, schema], capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr
    finally:
        os.unlink(f.name)


class Virsh(DaemonTestCase):
    def test_version(self):
        ours = fields(virsh("version").stdout)
        theirs = fields(virsh("version", uri=reference.URI).stdout)
        self.assertEqual(ours, theirs)
        self.assertEqual(ours["Running hypervisor"].split()[0], "QEMU")
        daemon = fields(virsh("version", "--daemon").stdout)
        self.assertEqual(daemon["Running against daemon"], "9.0.0")

    def test_nodeinfo_matches_libvirtd(self):
        ours = fields(virsh("nodeinfo").stdout)
        theirs = fields(virsh("nodeinfo", uri=reference.URI).stdout)
        for key in ("CPU model", "CPU(s)", "CPU socket(s)", "Core(s) per socket",
                    "Thread(s) per core", "NUMA cell(s)", "Memory size"):
            self.assertEqual(ours[key], theirs[key], key)
        # the clock of a VM may move a little between two reads
        self.assertAlmostEqual(int(ours["CPU frequency"].split()[0]),
                               int(theirs["CPU frequency"].split()[0]), delta=50)

    def test_hostname_read_only(self):
        self.assertEqual(virsh("hostname", readonly=True).stdout,
                         virsh("hostname", uri=reference.URI).stdout)

    def test_list_all(self):
        out = virsh("list", "--all").stdout
        self.assertRegex(out, r"Id\s+Name\s+State")
        self.assertEqual(virsh("list", "--all", "--name").stdout.strip(), "")

    def test_capabilities(self):
        xml = virsh("capabilities").stdout
        # Debian 12's schema forbids '.' in CPU feature names, yet libvirt's
        # own names (sse4.1, sse4.2) have one and libvirtd prints them too:
        # validate everything else.
        rc, msg = validate(re.sub(r"\s*<feature name='[^']*\.[^']*'/>", "", xml), "capability")
        self.assertEqual(rc, 0, msg)
        ref = virsh("capabilities", uri=reference.URI).stdout
        machines = lambda x: sorted(set(re.findall(r"<machine[^>]*>([^<]+)</machine>", x)))
        self.assertEqual(machines(xml), machines(ref))
        self.assertEqual(re.findall(r"<arch name='([^']+)'", xml),
                         re.findall(r"<arch name='([^']+)'", ref))
        self.assertIn("canonical='pc-i440fx-", xml)
        self.assertEqual(re.findall(r"<cpu id='(\d+)' socket_id='(\d+)'", xml),
                         re.findall(r"<cpu id='(\d+)' socket_id='(\d+)'", ref))
        self.assertIn("<domain type='qemu'/>", xml)

    def test_freecell(self):
        ours = virsh("freecell", "--all").stdout
        theirs = virsh("freecell", "--all", uri=reference.URI).stdout
        cells = lambda t: re.findall(r"^\s*(\d+):", t, re.M)
        self.assertEqual(cells(ours), cells(theirs))
        self.assertIn("Total:", ours)

    def test_sysinfo_same_outcome_as_libvirtd(self):
        ours = virsh("sysinfo", check=False)
        theirs = virsh("sysinfo", uri=reference.URI, check=False)
        self.assertEqual(ours.returncode, theirs.returncode)
        if theirs.returncode:
            self.assertEqual(ours.stderr, theirs.stderr)
        else:
            rc, msg = validate(ours.stdout.replace("<sysinfo", "<domain type='qemu'><name>x</name><memory>1</memory><os><type>hvm</type></os><sysinfo", 1)
                               .replace("</sysinfo>", "</sysinfo></domain>"), "domain")
            self.assertEqual(rc, 0, msg)

    def test_uri_and_secure(self):
        self.assertEqual(virsh("uri").stdout.strip(), "qemu:///system")


class Python(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.conn = libvirt.open("qemu:///system")
        self.ref = libvirt.open(reference.URI)

    def tearDown(self):
        self.conn.close()
        self.ref.close()
        super().tearDown()

    def test_versions(self):
        self.assertEqual(self.conn.getLibVersion(), API_LEVEL)
        self.assertEqual(self.conn.getVersion(), self.ref.getVersion())
        self.assertEqual(self.conn.getType(), "QEMU")

    def test_host(self):
        self.assertEqual(self.conn.getHostname(), self.ref.getHostname())
        ours, theirs = self.conn.getInfo(), self.ref.getInfo()
        self.assertEqual(ours[:2] + ours[3:], theirs[:2] + theirs[3:])
        self.assertEqual(self.conn.getMaxVcpus(None), self.ref.getMaxVcpus(None))
        self.assertEqual(self.conn.getMaxVcpus("qemu"), self.ref.getMaxVcpus("qemu"))
        self.assertTrue(self.conn.isAlive())
        self.assertEqual(self.conn.isSecure(), 1)

    def test_memory(self):
        total = self.conn.getInfo()[1] * 1024 * 1024
        free = self.conn.getFreeMemory()
        self.assertGreater(free, 0)
        self.assertLess(free, total * 1.01)
        cells = self.conn.getCellsFreeMemory(0, 64)
        self.assertEqual(len(cells), len(self.ref.getCellsFreeMemory(0, 64)))
        self.assertTrue(all(c > 0 for c in cells))

    def test_capabilities_and_sysinfo(self):
        caps = self.conn.getCapabilities()
        self.assertIn("<capabilities>", caps)
        try:
            theirs = self.ref.getSysinfo()
        except libvirt.libvirtError as e:
            with self.assertRaises(libvirt.libvirtError) as ours:
                self.conn.getSysinfo()
            self.assertEqual(ours.exception.get_error_code(), e.get_error_code())
            self.assertEqual(str(ours.exception), str(e))
        else:
            self.assertIn("<sysinfo", self.conn.getSysinfo())
            self.assertIn("<sysinfo", theirs)

    def test_list_all_domains(self):
        self.assertEqual(self.conn.listAllDomains(), [])
        self.assertEqual(self.conn.listDomainsID(), [])
        self.assertEqual(self.conn.listDefinedDomains(), [])
        self.assertEqual(self.conn.numOfDomains(), 0)

    def test_read_only_connection_refuses_writes(self):
        ro = libvirt.openReadOnly("qemu:///system")
        self.assertEqual(ro.getLibVersion(), API_LEVEL)
        self.assertEqual(ro.getHostname(), self.conn.getHostname())
        # refused by the daemon itself (the client library lets it through)
        with self.assertRaises(libvirt.libvirtError) as e:
            ro.setIdentity({"unix-user-id": 0})
        self.assertEqual(e.exception.get_error_code(), libvirt.VIR_ERR_OPERATION_DENIED)
        # and by the client library before it reaches us
        with self.assertRaises(libvirt.libvirtError) as e:
            ro.defineXML("<domain type='qemu'><name>x</name></domain>")
        self.assertEqual(e.exception.get_error_code(), libvirt.VIR_ERR_OPERATION_DENIED)
        ro.close()

    def test_many_connections(self):
        conns = [libvirt.open("qemu:///system") for _ in range(20)]
        for c in conns:
            self.assertEqual(c.getLibVersion(), API_LEVEL)
        for c in conns:
            c.close()


if __name__ == "__main__":
    unittest.main()
