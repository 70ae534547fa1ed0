"""The host calls (node statistics, CPU map, CPU models, CPU comparison and
baseline) through stock virsh and python3-libvirt, side by side with
Debian's libvirtd on the same host: the same fields, units and results,
and the same errors (code, domain, message) for bad arguments."""
import re
import struct
import tempfile
import unittest

import libvirt

import harness
import reference
from harness import DaemonTestCase, Wire, virsh

REF = None


def setUpModule():
    global REF
    REF = reference.Libvirtd()


def tearDownModule():
    REF.stop()


def outcome(fn, *args):
    """('ok', result) or ('error', code, domain, message)."""
    try:
        return ("ok", fn(*args))
    except libvirt.libvirtError as e:
        return ("error", e.get_error_code(), e.get_error_domain(), e.get_error_message())


def host_cpu_xml(caps):
    return re.search(r"<cpu>.*?</cpu>", caps, re.S).group(0)


# CPU definitions both daemons get; the host's own (from libvirtd's
# capabilities) is added in setUp.
GUEST_CPUS = [
    "<cpu><arch>x86_64</arch><model>qemu64</model></cpu>",
    "<cpu mode='custom' match='exact'><model fallback='forbid'>EPYC-Milan</model>"
    "<feature policy='require' name='avx512f'/></cpu>",
    "<cpu mode='custom' match='exact'><model>Opteron_G1</model></cpu>",
    "<cpu><model>Opteron_G5</model></cpu>",
    "<cpu match='minimum'><model>Opteron_G1</model></cpu>",
    "<cpu match='strict'><model>Opteron_G1</model></cpu>",
    "<cpu><model>Opteron_G1</model><feature policy='forbid' name='avx'/></cpu>",
    "<cpu><model>Opteron_G1</model><feature policy='disable' name='fpu'/></cpu>",
    "<cpu><model>Opteron_G1</model><feature policy='optional' name='svm'/></cpu>",
    "<cpu><model>Opteron_G1</model><feature policy='require' name='svm'/></cpu>",
    "<cpu><model>qemu64</model><vendor>Intel</vendor></cpu>",
    "<cpu><arch>aarch64</arch><model>cortex-a57</model></cpu>",
    "<cpu mode='host-passthrough'/>",
    "<cpu mode='host-model'/>",
    # bad input
    "", "<cpu>", "<foo/>", "<cpu><arch>x86_64</arch></cpu>", "<cpu><model>foo</model></cpu>",
    "<cpu><model>Opteron_G1</model><feature name='foo'/></cpu>",
]

BASELINE_SETS = [
    ["<cpu><arch>x86_64</arch><model>Opteron_G1</model></cpu>"],
    ["<cpu><model>Opteron_G1</model></cpu>"],
    ["<cpu mode='custom'><model>Opteron_G1</model></cpu>"],
    ["<cpu><arch>x86_64</arch><model>Opteron_G2</model></cpu>",
     "<cpu><arch>x86_64</arch><model>Opteron_G1</model><feature name='sse3'/></cpu>"],
    ["<cpu><arch>aarch64</arch><model>cortex-a57</model></cpu>"],
    ["<cpu><arch>x86_64</arch><model>foo</model></cpu>"],
    [],
]


class Python(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.conn = libvirt.open("qemu:///system")
        self.ref = libvirt.open(reference.URI)
        self.host_cpu = host_cpu_xml(self.ref.getCapabilities())

    def tearDown(self):
        self.conn.close()
        self.ref.close()
        super().tearDown()

    def same(self, name, *args):
        theirs = outcome(getattr(self.ref, name), *args)
        ours = outcome(getattr(self.conn, name), *args)
        self.assertEqual(ours, theirs, f"{name}{args!r}")
        return ours

    def same_error(self, name, *args):
        theirs = outcome(getattr(self.ref, name), *args)
        self.assertEqual(theirs[0], "error", f"libvirtd accepted {name}{args!r}")
        self.assertEqual(outcome(getattr(self.conn, name), *args), theirs, f"{name}{args!r}")

    def test_memory_stats(self):
        for cell in (-1, 0):
            theirs = self.ref.getMemoryStats(cell)
            ours = self.conn.getMemoryStats(cell)
            self.assertEqual(list(ours), list(theirs), cell)
            self.assertEqual(ours["total"], theirs["total"])
            self.assertGreater(ours["free"], 0)
            self.assertLessEqual(ours["free"], ours["total"])
        self.assertEqual(list(self.conn.getMemoryStats(-1)), ["total", "free", "buffers", "cached"])
        ncells = len(self.ref.getCellsFreeMemory(0, 64))
        for cell, flags in ((ncells, 0), (ncells + 5, 0), (-2, 0), (-1, 1), (0, 2)):
            self.same_error("getMemoryStats", cell, flags)

    def test_cpu_stats(self):
        ncpus = self.ref.getCPUMap()[0]
        for cpu in [-1] + list(range(ncpus)):
            theirs = self.ref.getCPUStats(cpu)
            ours = self.conn.getCPUStats(cpu)
            self.assertEqual(list(ours), list(theirs), cpu)
            # the same counters in the same unit (ns), read after libvirtd's
            for k in ("kernel", "user", "idle", "iowait"):
                self.assertGreaterEqual(ours[k], theirs[k], (cpu, k))
                self.assertLess(ours[k] - theirs[k], max(theirs[k], 10**12), (cpu, k))
        for cpu, flags in ((ncpus, 0), (ncpus + 100, 0), (-2, 0), (-1, 1), (0, 8)):
            self.same_error("getCPUStats", cpu, flags)

    def test_cpu_map(self):
        self.same("getCPUMap")
        self.same("getCPUMap", 0)
        self.same_error("getCPUMap", 1)

    def test_memory_parameters_and_free_pages(self):
        self.same("getMemoryParameters")
        self.same_error("getMemoryParameters", 1)
        pagesizes = sorted(int(s) for s in
                           re.findall(r"<pages unit='KiB' size='(\d+)'", self.ref.getCapabilities()))
        theirs = self.ref.getFreePages(pagesizes, 0, 1)
        ours = self.conn.getFreePages(pagesizes, 0, 1)
        self.assertEqual({c: sorted(v) for c, v in ours.items()}, {c: sorted(v) for c, v in theirs.items()})
        self.assertEqual(ours[0][2048], theirs[0][2048])
        self.assertGreater(ours[0][pagesizes[0]], 0)
        self.same_error("getFreePages", [4], 5, 1)
        self.same_error("getFreePages", [33], 0, 1)
        self.same_error("getFreePages", [4], 0, 1, 1)

    def test_cpu_model_names(self):
        for arch in ("x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x"):
            self.same("getCPUModelNames", arch)
        self.assertIn("EPYC", self.conn.getCPUModelNames("x86_64"))
        for arch, flags in (("foo", 0), ("riscv64", 0), ("mips", 0), ("x86_64", 1)):
            self.same_error("getCPUModelNames", arch, flags)

    def test_compare_cpu(self):
        for xml in [self.host_cpu] + GUEST_CPUS:
            for flags in (0, libvirt.VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE):
                self.same("compareCPU", xml, flags)
        self.same_error("compareCPU", GUEST_CPUS[0], 4)
        self.assertEqual(self.conn.compareCPU(self.host_cpu), libvirt.VIR_CPU_COMPARE_IDENTICAL)

    def test_baseline_cpu(self):
        for cpus in [[self.host_cpu]] + BASELINE_SETS:
            for flags in (0, libvirt.VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES,
                          libvirt.VIR_CONNECT_BASELINE_CPU_MIGRATABLE):
                self.same("baselineCPU", cpus, flags)
        self.same_error("baselineCPU", [self.host_cpu], 8)

    def test_hypervisor_cpu(self):
        for xml in [self.host_cpu] + GUEST_CPUS:
            for flags in (0, libvirt.VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE):
                self.same("compareHypervisorCPU", None, None, None, None, xml, flags)
        # what virtinst asks for a host-model CPU: the domain capabilities'
        # host-model as a host CPU, its features expanded
        dc = self.ref.getDomainCapabilities(None, None, None, None, 0)
        hostmodel = "<cpu><arch>x86_64</arch>%s</cpu>" % re.search(
            r"<mode name='host-model' supported='yes'>(.*?)</mode>", dc, re.S).group(1)
        extra = [[hostmodel], [GUEST_CPUS[1]], ["<cpu><model>EPYC</model></cpu>"],
                 ["<cpu><model>EPYC</model><feature policy='require' name='monitor'/></cpu>"],
                 ["<cpu><arch>x86_64</arch><model>EPYC</model><feature policy='disable' name='topoext'/></cpu>"]]
        for cpus in [[self.host_cpu]] + extra + [s for s in BASELINE_SETS if s != [] and "aarch64" not in s[0]]:
            for flags in (0, libvirt.VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES):
                self.same("baselineHypervisorCPU", None, None, None, None, cpus, flags)
        self.same("baselineHypervisorCPU", "/usr/bin/qemu-system-x86_64", "x86_64", "pc", "qemu",
                  [hostmodel], libvirt.VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES)
        cpu = ["<cpu><model>Opteron_G1</model></cpu>"]
        for args in (("/usr/bin/nope", None, None, None), (None, None, None, "kvm"),
                     (None, "aarch64", None, None), (None, None, "nope", None),
                     (None, "foo", None, None), (None, None, None, "bar")):
            self.same("baselineHypervisorCPU", *args, cpu, 0)
            self.same("compareHypervisorCPU", *args, cpu[0], 0)
        self.same_error("baselineHypervisorCPU", None, None, None, None, [], 0)
        self.same_error("baselineHypervisorCPU", None, None, None, None, cpu, 8)
        self.same_error("compareHypervisorCPU", None, None, None, None, cpu[0], 4)


class RawWire(DaemonTestCase):
    """Arguments the client library never sends (it fixes nparams itself)
    but a raw client can: the daemon's own checks, against libvirtd's."""

    CALLS = [
        (227, struct.pack(">iiI", -1, 2, 0)),       # NODE_GET_CPU_STATS, wrong nparams
        (227, struct.pack(">iiI", -1, 17, 0)),      # over the wire limit
        (227, struct.pack(">iiI", -1, -1, 0)),
        (227, struct.pack(">iiI", 0, 4, 0)),
        (228, struct.pack(">iiI", 4, 0, 0)),        # NODE_GET_MEMORY_STATS of cell 0
        (228, struct.pack(">iiI", 3, -1, 0)),
        (228, struct.pack(">iiI", 5, -1, 0)),
        (228, struct.pack(">iiI", 17, -1, 0)),
        (228, struct.pack(">iiI", -1, -1, 0)),
        (289, struct.pack(">iI", 65, 0)),           # NODE_GET_MEMORY_PARAMETERS
        (289, struct.pack(">iI", -1, 0)),
        (289, struct.pack(">iI", 3, 0)),
        (340, struct.pack(">I", 600) + b"\0\0\0\4" * 600 + struct.pack(">iII", 0, 2, 0)),  # NODE_GET_FREE_PAGES
        (340, struct.pack(">I", 0) + struct.pack(">iII", 0, 1, 0)),
        (340, struct.pack(">I", 1) + b"\0\0\0\4" + struct.pack(">iII", 0, 0, 0)),
        (162, struct.pack(">II", 0, 0)),            # CONNECT_BASELINE_CPU of no CPU
        (394, struct.pack(">IIIIII", 0, 0, 0, 0, 0, 0)),  # CONNECT_BASELINE_HYPERVISOR_CPU
    ]

    def call(self, path, proc, body):
        w = Wire(path).open("qemu:///system")
        try:
            return ("ok", w.call(proc, body))
        except harness.Error as e:
            return ("error", e.code, e.domain, e.message)
        finally:
            w.close()

    def test_same_answers(self):
        for proc, body in self.CALLS:
            ours, theirs = self.call(harness.SOCK, proc, body), self.call(reference.SOCK, proc, body)
            if proc in (227, 228) and theirs[0] == "ok":
                # statistics move between two reads: compare the layout
                ours, theirs = (ours[0], len(ours[1]), ours[1][-4:]), (theirs[0], len(theirs[1]), theirs[1][-4:])
            self.assertEqual(ours, theirs, (proc, body[:16]))


class Virsh(DaemonTestCase):
    def both(self, *args):
        theirs = virsh(*args, uri=reference.URI, check=False)
        ours = virsh(*args, check=False)
        return ours, theirs

    def same(self, *args):
        ours, theirs = self.both(*args)
        self.assertEqual((ours.returncode, ours.stdout, ours.stderr),
                         (theirs.returncode, theirs.stdout, theirs.stderr), args)
        return ours

    def test_stats_commands(self):
        for args in (["nodememstats"], ["nodememstats", "--cell", "0"], ["nodecpustats"],
                     ["nodecpustats", "--cpu", "0"], ["nodecpustats", "--percent"]):
            ours, theirs = self.both(*args)
            self.assertEqual(ours.returncode, 0, ours.stderr)
            keys = lambda t: re.findall(r"^(\S+?)\s*:", t, re.M)
            self.assertEqual(keys(ours.stdout), keys(theirs.stdout), args)
        for args in (["nodememstats", "--cell", "1"], ["nodememstats", "--cell", "-2"],
                     ["nodecpustats", "--cpu", "2000"], ["nodecpustats", "--cpu", "-2"],
                     ["nodecpumap"], ["nodecpumap", "--pretty"], ["node-memory-tune"],
                     ["freepages", "--cellno", "5", "--pagesize", "4"]):
            self.same(*args)

    def test_cpu_models(self):
        for arch in ("x86_64", "aarch64", "ppc64le", "foo", "riscv64"):
            self.same("cpu-models", arch)

    def test_cpu_compare_and_baseline(self):
        caps = virsh("capabilities", uri=reference.URI).stdout
        with tempfile.NamedTemporaryFile("w", suffix=".xml") as capsf, \
             tempfile.NamedTemporaryFile("w", suffix=".xml") as g1, \
             tempfile.NamedTemporaryFile("w", suffix=".xml") as bad:
            capsf.write(caps)
            capsf.flush()
            g1.write("<cpu mode='custom' match='exact'><model fallback='forbid'>Opteron_G1</model></cpu>")
            g1.flush()
            bad.write("<cpu><model>foo</model></cpu>")
            bad.flush()
            for f in (capsf.name, g1.name, bad.name):
                self.same("cpu-compare", f)
                self.same("hypervisor-cpu-compare", f)
                self.same("cpu-baseline", f)
                self.same("hypervisor-cpu-baseline", f)
            for opt in ("--features", "--migratable"):
                self.same("cpu-baseline", opt, capsf.name)
            self.same("hypervisor-cpu-baseline", "--features", capsf.name)


if __name__ == "__main__":
    unittest.main()
