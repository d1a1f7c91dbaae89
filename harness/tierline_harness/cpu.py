"""CPU and memory of processes: each process of the stack, and the load generator, while
test-scaled runs (:class:`CpuMonitor`); a bench server's CPU per turn and peak memory.

A background thread reads every named process tree's CPU time once a second (psutil); the
report gives each one's average share of one core over any window (the whole load, each fault),
next to the machine's total, so a slow fault can be told apart: is the survivor at capacity,
is a restarting replica starving it, or is the load generator itself eating the machine?
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

MACHINE = "machine"  # every process of the machine: 100 % per busy core


@dataclass
class Sample:
    at: float
    percent: dict[str, float]  # name -> % of one core since the previous sample


def tree_cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of ``pid`` and of each of its descendants, by pid."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return {}
    seconds: dict[int, float] = {}
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far."""
    return sum(tree_cpu_seconds(pid).values())


@dataclass
class RssSampler:
    """Samples a process tree's resident memory every 0.2 s; keeps the peak."""

    pid: int
    peak_bytes: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _sample(self) -> None:
        try:
            root = psutil.Process(self.pid)
            tree = [root, *root.children(recursive=True)]
            total = sum(p.memory_info().rss for p in tree)
        except psutil.Error:
            return
        self.peak_bytes = max(self.peak_bytes, total)

    def _loop(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def begin(self) -> None:
        """Starts sampling in a background thread."""
        self._sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def end(self) -> float:
        """Stops sampling; the peak in MB."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return self.peak_bytes / 1e6


@dataclass
class CpuMonitor:
    """Samples ``roots()`` (name -> root pid, read each time: restarted services get new pids)."""

    roots: Callable[[], dict[str, int]]
    every: float = 1.0
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="cpu-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        before: dict[tuple[str, int], float] = {}
        machine_before = sum(psutil.cpu_times()[:3])  # user, nice, system
        then = time.monotonic()
        while not self._stop.wait(self.every):
            now = time.monotonic()
            elapsed = max(now - then, 1e-6)
            percent: dict[str, float] = {}
            current: dict[tuple[str, int], float] = {}
            for name, pid in self.roots().items():
                for child, seconds in tree_cpu_seconds(pid).items():
                    current[(name, child)] = seconds
                    used = seconds - before.get((name, child), seconds)
                    percent[name] = percent.get(name, 0.0) + 100 * max(used, 0.0) / elapsed
            machine = sum(psutil.cpu_times()[:3])
            percent[MACHINE] = 100 * (machine - machine_before) / elapsed
            self.samples.append(Sample(time.time(), percent))
            before, machine_before, then = current, machine, now

    def average(self, start: float, end: float) -> dict[str, float]:
        """Each name's average % of one core over the samples taken in [start, end]."""
        window = [s for s in self.samples if start <= s.at <= end]
        if not window:
            return {}
        names = {name for s in window for name in s.percent}
        return {n: sum(s.percent.get(n, 0.0) for s in window) / len(window) for n in names}


def format_average(label: str, average: dict[str, float]) -> str:
    """One line: the label, the machine's total, then every process busiest first."""
    if not average:
        return f"  cpu {label}: no samples"
    machine = average.get(MACHINE, 0.0)
    parts = [
        f"{name} {value:.0f}%"
        for name, value in sorted(average.items(), key=lambda item: -item[1])
        if name != MACHINE
    ]
    cores = psutil.cpu_count() or 1
    head = f"  cpu {label} (% of one core; machine {machine:.0f}% of {cores * 100}%): "
    return head + ", ".join(parts)
