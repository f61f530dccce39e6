"""Where a whole-process run's wall time went: CPU of the client, of PostgreSQL, of the rest.

Linux only (reads /proc). :func:`measure` runs a command and returns an :class:`Account`:

* ``client``: the command's own CPU, user + system, from ``getrusage(RUSAGE_CHILDREN)``;
* ``server``: CPU of every ``postgres`` process, backends that ended included (their time is
  added to the postmaster's ``cutime``/``cstime`` when it reaps them), before vs after. That is
  every session's work on the server, other programs' too (kernel ticks: exact in sum, not per
  process); ``server_ours`` is the part sampled (every 10 ms, the scheduler's nanosecond run
  time) from the backends connected to the run's databases: a lower bound, since a backend's
  last ms before it exits and a backend that lives less than 10 ms are not seen;
* ``helpers``: CPU of extra processes the run depends on (the latency proxy);
* ``busy`` / ``idle`` / ``iowait`` / ``steal``: the whole machine, from /proc/stat, in core-seconds;
  ``others`` = busy − client − server − helpers: other programs on the same cores.
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

HZ = os.sysconf("SC_CLK_TCK")


def machine() -> tuple[float, float, float, float]:
    """(busy, idle, iowait, steal) core-seconds since boot; steal: the hypervisor ran another
    machine on our core."""
    with open("/proc/stat", encoding="ascii") as f:
        v = [int(x) for x in f.readline().split()[1:]] + [0] * 8
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / HZ, v[3] / HZ, v[4] / HZ, v[7] / HZ


def _stat(pid: int | str) -> tuple[str, list[str]] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            s = f.read()
    except OSError:
        return None
    return s[s.index("(") + 1:s.rindex(")")], s[s.rindex(")") + 2:].split()


def cpu_of(pid: int | str, children: bool = False) -> float:
    """utime + stime of a process (+ its reaped children's); 0 when it is gone."""
    st = _stat(pid)
    if st is None:
        return 0.0
    f = st[1]
    return sum(int(x) for x in f[11:15 if children else 13]) / HZ


def schedstat(path: str) -> tuple[float, float] | None:
    """(seconds run on a core, seconds runnable but waiting for one) of a task: the scheduler's
    nanosecond counts, not ticks. ``path``: ``/proc/PID`` or ``/proc/PID/task/TID``."""
    try:
        with open(f"{path}/schedstat", encoding="ascii") as f:
            run, wait = f.read().split()[:2]
        return int(run) / 1e9, int(wait) / 1e9
    except (OSError, ValueError):
        return None


def postgres_pids() -> list[str]:
    return [p for p in os.listdir("/proc") if p.isdigit() and (_stat(p) or ("",))[0] == "postgres"]


def postgres_cpu() -> float:
    """All postgres processes, ended backends included (in their postmaster's cutime)."""
    return sum(cpu_of(p, children=True) for p in postgres_pids())


class Sampler(threading.Thread):
    """Samples, every ``every`` s, the run time and run-queue wait of the backends whose command
    line names one of ``databases`` and of the client's threads (``client``: its pid, once known)."""

    def __init__(self, databases: Sequence[str], every: float = 0.01) -> None:
        super().__init__(daemon=True, name="backend-sampler")
        self.databases = tuple(f" {d} " for d in databases)
        self.every = every
        self.client: int | None = None
        self.stop = threading.Event()
        #: task path -> (run, wait) last seen; base: what a task had used before the run
        self.last: dict[str, tuple[float, float]] = {}
        self.base: dict[str, tuple[float, float]] = {}
        self._ignored: set[str] = set()
        self._parents = [p for p in postgres_pids() if (_stat(p) or ("", ["", "0"]))[1][1] == "1"]
        self._poll(first=True)

    def _children(self) -> list[str]:
        out: list[str] = []
        for parent in self._parents:
            try:
                with open(f"/proc/{parent}/task/{parent}/children", encoding="ascii") as f:
                    out += f.read().split()
            except OSError:
                pass
        return out

    def _ours(self, pid: str) -> bool | None:
        """Whether a backend serves one of the databases (None: it has no title yet)."""
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace") + " "
        except OSError:
            return None
        if any(d in cmd for d in self.databases):
            return True
        return False if cmd.startswith("postgres: ") else None

    def _poll(self, first: bool = False) -> None:
        paths = []
        for pid in self._children():
            if pid in self._ignored:
                continue
            if f"/proc/{pid}" not in self.last:
                ours = self._ours(pid)
                if ours is False:
                    self._ignored.add(pid)
                if not ours:
                    continue
            paths.append(f"/proc/{pid}")
        if self.client is not None:
            try:
                paths += [f"/proc/{self.client}/task/{t}" for t in os.listdir(f"/proc/{self.client}/task")]
            except OSError:
                pass
        for path in paths:
            st = schedstat(path)
            if st is None:
                continue
            if first:  # running before the run: only what it uses from now on counts
                self.base[path] = st
            old = self.last.get(path, (0.0, 0.0))
            self.last[path] = (max(st[0], old[0]), max(st[1], old[1]))

    def run(self) -> None:
        while not self.stop.wait(self.every):
            self._poll()

    def totals(self) -> tuple[float, float, float]:
        """(backends' run time, backends' run-queue wait, client threads' run-queue wait)."""
        self.stop.set()
        self.join()
        out = [0.0, 0.0, 0.0]
        for path, (run, wait) in self.last.items():
            b_run, b_wait = self.base.get(path, (0.0, 0.0))
            if "/task/" in path:
                out[2] += wait - b_wait
            else:
                out[0] += run - b_run
                out[1] += wait - b_wait
        return out[0], out[1], out[2]


@dataclass
class Account:
    wall: float
    client: float
    server: float
    server_ours: float
    helpers: float
    busy: float
    idle: float
    iowait: float
    steal: float
    #: run-queue wait of the client's threads and of the run's backends: runnable, no core free
    starved: float
    load: float
    cores: int

    @property
    def others(self) -> float:
        return max(0.0, self.busy - self.client - self.server - self.helpers)

    @property
    def work(self) -> float:
        """CPU the run itself needed: client + its server work (sampled) + helpers."""
        return self.client + self.server_ours + self.helpers

    def lines(self) -> list[str]:
        cap = self.wall * self.cores
        helper = f", proxy {self.helpers:.2f}" if self.helpers else ""
        return [
            f"  CPU s: client {self.client:.2f}, PostgreSQL {self.server:.2f} (of which this run's backends "
            f">= {self.server_ours:.2f}){helper}, other programs {self.others:.2f}",
            f"  machine: {cap:.2f} core-s = busy {self.busy:.2f} + idle {self.idle:.2f} + iowait {self.iowait:.2f}"
            f" + stolen by the hypervisor {self.steal:.2f}; the run's processes waited {self.starved:.2f} s "
            f"runnable for a core; the client used {self.client / self.wall:.2f} cores on average, "
            f"load average {self.load:.2f}",
        ]


def measure(cmd: Sequence[str], env: dict[str, str], databases: Sequence[str],
            helper_pids: Sequence[int] = (), check: Callable[[subprocess.CompletedProcess], None] | None = None,
            ) -> Account:
    """Run ``cmd`` to the end and account for its wall time."""
    sampler = Sampler(databases)
    sampler.start()
    r0, m0, p0 = resource.getrusage(resource.RUSAGE_CHILDREN), machine(), postgres_cpu()
    h0 = sum(cpu_of(p) for p in helper_pids)
    t0 = time.perf_counter()
    with subprocess.Popen(list(cmd), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as popen:
        sampler.client = popen.pid
        out, err = popen.communicate()
    wall = time.perf_counter() - t0
    r1, m1, p1 = resource.getrusage(resource.RUSAGE_CHILDREN), machine(), postgres_cpu()
    h1 = sum(cpu_of(p) for p in helper_pids)
    ours, b_wait, c_wait = sampler.totals()
    if check is not None:
        check(subprocess.CompletedProcess(popen.args, popen.returncode, out, err))
    client = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
    busy, idle, iowait, steal = (b - a for a, b in zip(m0, m1))
    return Account(wall, client, p1 - p0, ours, h1 - h0, busy, idle, iowait, steal, b_wait + c_wait,
                   os.getloadavg()[0], os.cpu_count() or 1)
