"""guestbench.py — guest lifecycle timings through python3-libvirt, against
any daemon that speaks the libvirt protocol (Debian's libvirtd, virtqemud).
Run by run-guest-bench.sh inside a daemon's sandbox; usable by hand:

    python3 tests/bench/guestbench.py --uri 'qemu:///system?socket=PATH' \
        --pid DAEMON_PID [--aux-pid PID] [--runs N] [--parallel P] [--settle S]

The guests are the test guest (tests/guest, tests/integration/guest.py:
direct kernel boot of the 8 MB bzImage, TCG, 128 MiB, pty serial), defined
as benchgN and undefined at the end.  Measured (ms; each the median of --runs, 5):

  first_start_ms     the first create() (caches cold, not in start_ms)
  start_ms           dom.create() until it returns, the guest running
  destroy_ms         dom.destroy() of a guest running for --settle s (0.5)
  cpu_per_cycle_ms   the daemon's CPU over the start+destroy cycles, per
                     cycle: the sum of its threads' /proc/PID/task/*/schedstat
                     (ns) when no thread came or went meanwhile
                     (cpu_resolution_ms=0), else utime+stime of
                     /proc/PID/stat (clock ticks: cpu_resolution_ms says how
                     coarse); aux_cpu_per_cycle_ms the same for --aux-pid
                     (libvirtd's virtlogd)
  par_ms             P guests (--parallel, 8) created at once, one
                     connection and thread each, until the last returns
  floor_*_ms         with --floor: qemufloor's start, greeting, destroy and
                     par, one run of it before each run of start+destroy and
                     of the parallel start (so that both see the same
                     machine); the daemon's CPU is counted around its own
                     runs only
  suspend_ms, resume_ms           dom.suspend() / dom.resume() calls
  event_suspend_ms, event_resume_ms
                     from the call to the lifecycle event (SUSPENDED,
                     RESUMED) arriving on another connection
  event_start_ms, event_stop_ms   the same for create() and destroy()

Prints key=value lines (*_runs_ms=a,b,... every run).  If the daemon cannot
define or start a guest ("unknown procedure", "not supported"), prints
skipped=REASON and exits 0; a later part it does not support yet (events,
suspend, ...) gives skipped_PART=REASON and the rest is measured; any other
failure exits 1."""
import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

import libvirt

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../integration"))
import guest  # noqa: E402

UNSUPPORTED = (libvirt.VIR_ERR_NO_SUPPORT, libvirt.VIR_ERR_RPC,
               libvirt.VIR_ERR_OPERATION_UNSUPPORTED, libvirt.VIR_ERR_ARGUMENT_UNSUPPORTED)
EV_NAMES = {libvirt.VIR_DOMAIN_EVENT_STARTED: "start", libvirt.VIR_DOMAIN_EVENT_STOPPED: "stop",
            libvirt.VIR_DOMAIN_EVENT_SUSPENDED: "suspend",
            libvirt.VIR_DOMAIN_EVENT_RESUMED: "resume"}
TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")


def now_ms():
    return time.monotonic() * 1000.0


def cpu_ms(pid):
    """utime + stime of a process (every thread, living and gone), in ms."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_MS


def thread_cpu_ns(pid):
    """{tid: CPU ns} of a process's living threads (schedstat: exact, but
    a thread that ends takes its time along)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                out[tid] = int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


class CpuMeter:
    """A process's CPU time over the spans between start() and stop(): each
    span exact (schedstat) when the same threads lived throughout it, else
    from /proc/PID/stat, in clock ticks."""

    def __init__(self, pid):
        self.pid = pid
        self.total = 0.0
        self.exact = True

    def start(self):
        self.stat0 = cpu_ms(self.pid)
        self.threads0 = thread_cpu_ns(self.pid)

    def stop(self):
        threads = thread_cpu_ns(self.pid)
        if threads.keys() == self.threads0.keys():
            self.total += sum(threads[t] - self.threads0[t] for t in threads) / 1e6
        else:
            self.total += cpu_ms(self.pid) - self.stat0
            self.exact = False

    def per(self, n):
        """(ms per unit of n, exact?)"""
        return self.total / n, self.exact


class Events:
    """Lifecycle events on a connection of their own, with arrival times."""

    def __init__(self, uri):
        self.conn = libvirt.open(uri)
        self.cond = threading.Condition()
        self.seen = []   # (ms, domain name, kind)
        self.conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                         self._cb, None)

    def _cb(self, conn, dom, event, detail, opaque):
        t = now_ms()
        with self.cond:
            self.seen.append((t, dom.name(), EV_NAMES.get(event, str(event))))
            self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.seen)

    def wait(self, mark, name, kind, timeout=60):
        """The arrival time of the first (name, kind) event after mark."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, n, k in self.seen[mark:]:
                    if n == name and k == kind:
                        return t
                left = end - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"no {kind} event for {name} in {timeout} s")
                self.cond.wait(left)


def unsupported(e):
    return e.get_error_code() in UNSUPPORTED or "unknown procedure" in str(e)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--uri", required=True)
    ap.add_argument("--pid", type=int, required=True, help="the daemon's pid (CPU time)")
    ap.add_argument("--aux-pid", type=int, help="a helper daemon's pid (CPU time)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--parallel", type=int, default=8)
    ap.add_argument("--settle", type=float, default=0.5)
    ap.add_argument("--floor", help="qemufloor, run before each measured run (floor_* keys)")
    ap.add_argument("--floor-argv", help="the floor's QEMU command line, NUL-separated")
    ap.add_argument("--floor-dir", default="/tmp", help="qemufloor's --dir")
    a = ap.parse_args()
    floor_argv = []
    if a.floor:
        with open(a.floor_argv, "rb") as f:
            floor_argv = [x.decode() for x in f.read().split(b"\0") if x]

    libvirt.registerErrorHandler(lambda *_: None, None)
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)],
                     daemon=True).start()

    img = guest.ensure_guest_image()
    conn = libvirt.open(a.uri)
    try:
        events = Events(a.uri)
    except libvirt.libvirtError as e:
        if not unsupported(e):
            raise
        events = None
        print(f"skipped_events=cannot register for lifecycle events: {e}")
    names = [f"benchg{i}" for i in range(max(a.parallel, 1))]
    res, runs = {}, {}

    def record(key, values):
        if values:
            runs[key] = values
            res[key] = statistics.median(values)

    def mark():
        return events.mark() if events else None

    def floor(only, into):
        """One run of qemufloor (start or parallel), its figures appended to
        into[floor_KEY]."""
        if not a.floor:
            return
        p = subprocess.run([a.floor, "--runs", "1", "--parallel", str(len(names)),
                            "--settle", str(int(a.settle * 1000)), "--dir", a.floor_dir,
                            "--only", only, "--"] + floor_argv,
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"qemufloor failed: {p.stderr.strip()}")
        for line in p.stdout.splitlines():
            k, _, v = line.partition("=")
            if k.endswith("_ms") and not k.endswith("_runs_ms"):
                into.setdefault("floor_" + k, []).append(float(v))

    def event_after(m, dom, kind, t0, into):
        if events:
            into.append(events.wait(m, dom.name(), kind) - t0)

    def phase_cycles(dom):
        """The first start, then start + destroy cycles with the CPU they cost."""
        t0 = now_ms()
        dom.create()
        res["first_start_ms"] = now_ms() - t0
        time.sleep(a.settle)
        dom.destroy()
        start, destroy, ev_start, ev_stop, fl = [], [], [], [], {}
        cpu = CpuMeter(a.pid)
        aux = CpuMeter(a.aux_pid) if a.aux_pid else None
        for _ in range(a.runs):
            floor("start", fl)
            for meter in (cpu, aux):
                if meter:
                    meter.start()
            m = mark()
            t0 = now_ms()
            dom.create()
            t1 = now_ms()
            if dom.state()[0] != libvirt.VIR_DOMAIN_RUNNING:
                raise RuntimeError(f"after create() the guest is in state {dom.state()}")
            start.append(t1 - t0)
            event_after(m, dom, "start", t0, ev_start)
            time.sleep(a.settle)
            m = mark()
            t0 = now_ms()
            dom.destroy()
            destroy.append(now_ms() - t0)
            event_after(m, dom, "stop", t0, ev_stop)
            for meter in (cpu, aux):
                if meter:
                    meter.stop()
        res["cpu_per_cycle_ms"], exact = cpu.per(a.runs)
        res["cpu_resolution_ms"] = 0.0 if exact else TICK_MS / a.runs
        if aux:
            res["aux_cpu_per_cycle_ms"] = aux.per(a.runs)[0]
        for k, v in fl.items():
            record(k, v)
        record("start_ms", start)
        record("destroy_ms", destroy)
        record("event_start_ms", ev_start)
        record("event_stop_ms", ev_stop)

    def phase_suspend(dom):
        """Suspend and resume of a running guest."""
        dom.create()
        try:
            time.sleep(a.settle)
            sus, resm, ev_sus, ev_res = [], [], [], []
            for _ in range(a.runs):
                m = mark()
                t0 = now_ms()
                dom.suspend()
                sus.append(now_ms() - t0)
                event_after(m, dom, "suspend", t0, ev_sus)
                m = mark()
                t0 = now_ms()
                dom.resume()
                resm.append(now_ms() - t0)
                event_after(m, dom, "resume", t0, ev_res)
        finally:
            dom.destroy()
        record("suspend_ms", sus)
        record("resume_ms", resm)
        record("event_suspend_ms", ev_sus)
        record("event_resume_ms", ev_res)

    def phase_parallel(_dom):
        """P guests at once, each from its own connection and thread."""
        conns = [libvirt.open(a.uri) for _ in names]
        try:
            pdoms = [c.lookupByName(n) for c, n in zip(conns, names)]
            par, fl = [], {}
            for _ in range(a.runs):
                floor("parallel", fl)
                barrier = threading.Barrier(len(pdoms) + 1)
                errors = []

                def one(d):
                    barrier.wait()
                    try:
                        d.create()
                    except libvirt.libvirtError as e:
                        errors.append(e)

                threads = [threading.Thread(target=one, args=(d,)) for d in pdoms]
                for t in threads:
                    t.start()
                barrier.wait()
                t0 = now_ms()
                for t in threads:
                    t.join()
                par.append(now_ms() - t0)
                for d in pdoms:
                    if d.isActive():
                        d.destroy()
                if errors:
                    raise errors[0]
        finally:
            for c in conns:
                c.close()
        res["parallel"] = len(pdoms)
        for k, v in fl.items():
            record(k, v)
        record("par_ms", par)

    doms = []
    try:
        try:
            for n in names:
                for d in conn.listAllDomains():
                    if d.name() == n:
                        if d.isActive():
                            d.destroy()
                        d.undefine()
                doms.append(conn.defineXML(guest.guest_xml(n, image=img, fast_boot=False)))
        except libvirt.libvirtError as e:
            if unsupported(e):
                print(f"skipped=cannot define a guest: {e}")
                return 0
            raise
        # A phase the daemon cannot do yet is skipped with the reason; the
        # others still run.  Without starts there is nothing to measure.
        for name, phase in (("start", phase_cycles), ("suspend", phase_suspend),
                            ("parallel", phase_parallel)):
            try:
                phase(doms[0])
            except libvirt.libvirtError as e:
                if not unsupported(e):
                    raise
                if name == "start":
                    print(f"skipped=cannot start a guest: {e}")
                    return 0
                print(f"skipped_{name}={e}")
    finally:
        for d in doms:
            try:
                if d.isActive():
                    d.destroy()
                d.undefine()
            except libvirt.libvirtError:
                pass

    for k, v in res.items():
        print(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}")
    for k, v in runs.items():
        print(f"{k[:-3]}_runs_ms=" + ",".join(f"{x:.2f}" for x in v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
