"""tools.segment_sink.SegmentSink in a child process, reporting counts over a pipe.

The sink keeps no messages (keep_messages=False), only their count and the set
of their messageIds, so a 1,000,000-message run stays small. Running it in its
own process keeps its work out of the benchmark driver and out of the figures.
"""

import contextlib
import multiprocessing
import os
import time

from tools.segment_sink import Fault, SegmentSink

_START_TIMEOUT = 20.0


def _counts(sink):
    times = os.times()
    with sink.lock:
        return {
            "messages": sink.message_count,
            "distinct_message_ids": len(sink.message_ids),
            "requests": sink.requests,
            "max_batch_bytes": max(sink.batch_bytes, default=0),
            "write_keys": sorted(str(key) for key in sink.write_keys),
            "cpu_seconds": round(times.user + times.system, 3),
        }


def _serve(connection, latency):
    sink = SegmentSink(keep_messages=False).start()
    if latency > 0:
        # Every batch waits this long before it is answered, as a distant
        # Segment would make it; requests are served on threads, so batches
        # sent at once wait together.
        sink.fault_every = Fault(delay=latency)
    connection.send(sink.url)
    try:
        while True:
            command = connection.recv()
            if command == "counts":
                connection.send(_counts(sink))
            elif command == "stop":
                break
    except EOFError:
        pass
    finally:
        sink.stop()


class SinkProcess:
    """A Segment-compatible sink on 127.0.0.1 in a child process; a context manager."""

    def __init__(self, latency=0.0):
        self.latency = latency
        self._context = multiprocessing.get_context("spawn")
        self._connection = None
        self.process = None
        self.url = None

    def start(self):
        """Start the child and wait until its sink listens."""
        parent, child = self._context.Pipe()
        self.process = self._context.Process(
            target=_serve, args=(child, self.latency), name="segment-sink", daemon=True
        )
        self.process.start()
        child.close()
        self._connection = parent
        try:
            if not parent.poll(_START_TIMEOUT):
                msg = "the sink process did not start in time"
                raise RuntimeError(msg)
            self.url = parent.recv()
        except (EOFError, RuntimeError) as error:
            self.stop()
            msg = f"the sink process did not start (exit code {self.process.exitcode})"
            raise RuntimeError(msg) from error
        return self

    def counts(self):
        """Messages, distinct messageIds, requests and CPU seconds so far."""
        self._connection.send("counts")
        return self._connection.recv()

    def wait_for(self, expected, timeout=60.0):
        """Poll until `expected` messages arrived or `timeout` passed; return counts."""
        deadline = time.monotonic() + timeout
        counts = self.counts()
        while counts["messages"] < expected and time.monotonic() < deadline:
            time.sleep(0.01)
            counts = self.counts()
        return counts

    def stop(self):
        """Stop the sink and its process."""
        if self._connection is not None:
            with contextlib.suppress(OSError):
                self._connection.send("stop")
            self._connection.close()
            self._connection = None
        if self.process is not None:
            self.process.join(10)
            if self.process.is_alive():
                self.process.terminate()
                self.process.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
