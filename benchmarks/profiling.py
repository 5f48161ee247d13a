"""Sampling the hub's worker with py-spy during a run, and summing up the samples.

py-spy's raw format (with --threads) has one line per distinct stack: the
thread, then frames from the thread's root to the sampled frame, separated by
';', then the sample count. Without
--idle only threads that are running (not waiting) are sampled, so the counts
approximate where the worker spends CPU.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

SAMPLES_PER_SECOND = 100
_FILE_IN_FRAME = " ("


def py_spy_path():
    """The py-spy executable next to this Python, or on PATH; None if missing."""
    beside = Path(sys.executable).parent / "py-spy"
    if beside.exists():
        return str(beside)
    return shutil.which("py-spy")


class Profiler:
    """`py-spy record --format raw` attached to one process; stop() writes the file."""

    def __init__(self, pid, output_path):
        self.pid = pid
        self.output_path = Path(output_path)
        self._process = None

    def start(self):
        """Attach py-spy and give it a moment to start sampling."""
        executable = py_spy_path()
        if executable is None:
            msg = "py-spy is not installed: pip install -e '.[bench]'"
            raise RuntimeError(msg)
        command = [
            executable,
            "record",
            "--pid",
            str(self.pid),
            "--format",
            "raw",
            "--nolineno",
            "--threads",
            "--rate",
            str(SAMPLES_PER_SECOND),
            "--output",
            str(self.output_path),
        ]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(0.5)
        if self._process.poll() is not None:
            error = self._process.stderr.read().decode(errors="replace")
            msg = f"py-spy could not attach to {self.pid}: {error.strip()}"
            raise RuntimeError(msg)
        return self

    def stop(self):
        """Stop sampling; py-spy writes its output when interrupted."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(30)
        except subprocess.TimeoutExpired:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait()


def _function(frame):
    """'encode (json/encoder.py:12)' -> 'encode (json/encoder.py)'."""
    if frame.startswith("thread ("):
        # 'thread (7091): segment-upload' -> the thread's name
        return "thread " + frame.partition(": ")[2]
    name, _, where = frame.partition(_FILE_IN_FRAME)
    return f"{name} ({where.rstrip(')').split(':')[0]})" if where else name


def read_raw(path):
    """(frames, count) for each stack in a py-spy raw file, root first."""
    stacks = []
    for line in Path(path).read_text().splitlines():
        text, _, count = line.rpartition(" ")
        if not text or not count.isdigit():
            continue
        stacks.append(([_function(f) for f in text.split(";")], int(count)))
    return stacks


def _thread_role(thread):
    """Group the worker's threads: the run thread, upload threads, the rest."""
    name = thread.removeprefix("thread ")
    if name.startswith("run-"):
        return "run thread (read, parse, map, enqueue)"
    if name == "segment-upload":
        return "segment-upload threads (batch, JSON, gzip, POST)"
    if name.startswith("ThreadPoolExecutor"):
        return "request threads (gunicorn gthread: body, keep-alive stream)"
    return f"other ({name or 'unnamed'})"


def summarize(path, top=15):
    """Top functions by own and by total samples, and samples per thread role."""
    stacks = read_raw(path)
    total = sum(count for _, count in stacks) or 1
    own, inclusive, roles = Counter(), Counter(), Counter()
    for frames, count in stacks:
        thread = frames[0] if frames[0].startswith("thread ") else "thread "
        code = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not code:
            continue
        own[code[-1]] += count
        for function in set(code):
            inclusive[function] += count
        roles[_thread_role(thread)] += count

    def shares(counter, key="function"):
        return [
            {key: name, "samples": n, "share": round(n / total, 3)}
            for name, n in counter.most_common(top)
        ]

    return {
        "samples": total,
        "by_thread_role": shares(roles, key="threads"),
        "top_own": shares(own),
        "top_total": shares(inclusive),
    }
