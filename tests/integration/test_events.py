"""Domain lifecycle events with stock clients: `virsh event --all --loop` on
one connection sees what another connection does, exactly as Debian's
libvirtd reports it; python-libvirt's domainEventRegisterAny (with and
without a domain filter), its deregistration, and the old
domainEventRegister."""
import os
import shutil
import subprocess
import threading
import time
import unittest

import libvirt

import reference
from harness import DaemonTestCase, virsh, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
GUEST = os.path.join(HERE, "../data/integration/guest-linux.xml")
QEMU_DIR = "/etc/libvirt/qemu"
REF = None
loop_started = False


def setUpModule():
    global REF, loop_started
    REF = reference.Libvirtd()
    # python-libvirt delivers events from its default event loop: run it
    # once, for the whole module, before any connection opens.
    if not loop_started:
        libvirt.virEventRegisterDefaultImpl()
        threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)],
                         daemon=True).start()
        loop_started = True


def tearDownModule():
    REF.stop()


def guest_xml(name):
    with open(GUEST) as f:
        return f.read().replace("<name>guest1</name>", f"<name>{name}</name>")


class EventLoop:
    """`virsh event --all --loop` on its own connection, its output kept."""

    def __init__(self, uri):
        self.uri = uri
        self.out = open(os.path.join("/tmp", f"events-{os.getpid()}-{time.monotonic_ns()}"), "w+")
        self.proc = subprocess.Popen(["virsh", "-c", uri, "event", "--all", "--loop"],
                                     stdout=self.out, stderr=subprocess.STDOUT, text=True)
        # Registered once it reports an event: define and remove a probe
        # domain until one shows up.
        n = 0

        def probed():
            nonlocal n
            n += 1
            virsh("define", "/dev/stdin", uri=uri, input=guest_xml(f"probe{n}"))
            virsh("undefine", f"probe{n}", uri=uri)
            return "probe" in self.text()
        wait_for(probed, timeout=30, what="virsh event to register")
        self.skip = len(self.lines())

    def text(self):
        self.out.flush()
        with open(self.out.name) as f:
            return f.read()

    def lines(self):
        return [line for line in self.text().splitlines() if line.startswith("event ")]

    def events(self):
        """Events after the probes."""
        return [line for line in self.lines()[self.skip:] if "'probe" not in line]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.out.close()
        os.unlink(self.out.name)


def scenario(uri):
    """Define, redefine, rename and undefine on a connection of its own;
    returns what `virsh event --all --loop` printed meanwhile."""
    ev = EventLoop(uri)
    try:
        virsh("define", "/dev/stdin", uri=uri, input=guest_xml("evguest"))
        xml = virsh("dumpxml", "--inactive", "evguest", uri=uri).stdout
        virsh("define", "/dev/stdin", uri=uri, input=xml.replace("524288", "262144"))
        virsh("domrename", "evguest", "evguest2", uri=uri)
        virsh("undefine", "evguest2", uri=uri)
        wait_for(lambda: len(ev.events()) >= 5, timeout=30, what="five events")
        time.sleep(0.2)         # anything more would be a wrong extra event
        return ev.events()
    finally:
        ev.stop()


class VirshEvents(DaemonTestCase):
    def tearDown(self):
        super().tearDown()
        shutil.rmtree(QEMU_DIR, ignore_errors=True)

    def test_same_events_as_libvirtd(self):
        ours = scenario("qemu:///system")
        self.assertEqual(ours, [
            "event 'lifecycle' for domain 'evguest': Defined Added",
            "event 'lifecycle' for domain 'evguest': Defined Updated",
            "event 'lifecycle' for domain 'evguest': Undefined Renamed",
            "event 'lifecycle' for domain 'evguest2': Defined Renamed",
            "event 'lifecycle' for domain 'evguest2': Undefined Removed",
        ])
        self.assertEqual(ours, scenario(reference.URI))


class PythonEvents(DaemonTestCase):
    def setUp(self):
        super().setUp()
        self.conn = libvirt.open("qemu:///system")
        self.other = libvirt.open("qemu:///system")
        self.seen = []
        self.lock = threading.Lock()

    def tearDown(self):
        self.conn.close()
        self.other.close()
        super().tearDown()
        shutil.rmtree(QEMU_DIR, ignore_errors=True)

    def recorder(self, tag):
        def cb(conn, dom, event, detail, opaque):
            with self.lock:
                self.seen.append((tag, dom.name(), event, detail))
        return cb

    def got(self, tag):
        with self.lock:
            return [s[1:] for s in self.seen if s[0] == tag]

    def test_register_any_and_deregister(self):
        cb = self.conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                              self.recorder("a"), None)
        self.other.defineXML(guest_xml("pyguest"))
        wait_for(lambda: self.got("a"), what="the defined event")
        self.assertEqual(self.got("a"), [("pyguest", libvirt.VIR_DOMAIN_EVENT_DEFINED,
                                          libvirt.VIR_DOMAIN_EVENT_DEFINED_ADDED)])
        self.conn.domainEventDeregisterAny(cb)
        # A second callback proves delivery goes on; the first hears nothing.
        self.conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                         self.recorder("b"), None)
        self.other.lookupByName("pyguest").undefine()
        wait_for(lambda: self.got("b"), what="the undefined event")
        self.assertEqual(self.got("b"), [("pyguest", libvirt.VIR_DOMAIN_EVENT_UNDEFINED,
                                          libvirt.VIR_DOMAIN_EVENT_UNDEFINED_REMOVED)])
        self.assertEqual(len(self.got("a")), 1)

    def test_filter_by_domain(self):
        self.other.defineXML(guest_xml("watched"))
        dom = self.conn.lookupByName("watched")
        self.conn.domainEventRegisterAny(dom, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                         self.recorder("f"), None)
        self.other.defineXML(guest_xml("ignored"))
        self.other.lookupByName("watched").undefine()
        wait_for(lambda: self.got("f"), what="the watched domain's event")
        # Delivered in order on one connection: an event of the other
        # domain would have come first.
        self.assertEqual(self.got("f"), [("watched", libvirt.VIR_DOMAIN_EVENT_UNDEFINED,
                                          libvirt.VIR_DOMAIN_EVENT_UNDEFINED_REMOVED)])

    def test_old_style_register(self):
        def cb(conn, dom, event, detail, opaque):
            with self.lock:
                self.seen.append(("old", dom.name(), event, detail))
        self.conn.domainEventRegister(cb, None)
        self.other.defineXML(guest_xml("oldguest"))
        wait_for(lambda: self.got("old"), what="the event")
        self.assertEqual(self.got("old"), [("oldguest", libvirt.VIR_DOMAIN_EVENT_DEFINED,
                                            libvirt.VIR_DOMAIN_EVENT_DEFINED_ADDED)])
        self.conn.domainEventDeregister(cb)

    def test_read_only_connection_gets_events(self):
        ro = libvirt.openReadOnly("qemu:///system")
        try:
            ro.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                      self.recorder("ro"), None)
            self.other.defineXML(guest_xml("roguest"))
            wait_for(lambda: self.got("ro"), what="the event on the read-only connection")
        finally:
            ro.close()


if __name__ == "__main__":
    unittest.main()
