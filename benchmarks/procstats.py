"""CPU time and memory of one process, read from psutil and /proc/<pid>/status.

VmHWM in /proc/<pid>/status is the process's peak resident set since it
started, so a clean peak per run needs a fresh process per run.
"""

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

MB = 1024 * 1024


@dataclass(frozen=True)
class ProcessSample:
    """CPU seconds (user + system) and resident memory of a process at one moment."""

    cpu_seconds: float
    rss_bytes: int
    peak_rss_bytes: int

    def as_dict(self):
        """The sample as plain data for the results file."""
        return asdict(self)


def _status_kilobytes(pid, key):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    msg = f"/proc/{pid}/status has no {key} line"
    raise RuntimeError(msg)


def sample(pid):
    """CPU seconds and current and peak resident memory of `pid` (all its threads)."""
    times = psutil.Process(pid).cpu_times()
    return ProcessSample(
        cpu_seconds=times.user + times.system,
        rss_bytes=_status_kilobytes(pid, "VmRSS") * 1024,
        peak_rss_bytes=_status_kilobytes(pid, "VmHWM") * 1024,
    )


def own_sample():
    """A ProcessSample of the calling process."""
    return sample(psutil.Process().pid)


def only_child(parent_pid, timeout=10.0):
    """The pid of the single child of `parent_pid` (a one-worker gunicorn's worker)."""
    deadline = time.monotonic() + timeout
    children = []
    while time.monotonic() < deadline:
        children = psutil.Process(parent_pid).children()
        if len(children) == 1:
            return children[0].pid
        time.sleep(0.05)
    msg = f"expected one child of process {parent_pid}, found {len(children)}"
    raise RuntimeError(msg)
