"""A Segment-compatible HTTP server for local runs: it records every message.

It answers POST /v1/batch like Segment's tracking API (gzip bodies, writeKey in
the body or Basic auth) and can be told to misbehave for chosen requests:
answer a status, answer slowly, or reset the connection. It listens on
127.0.0.1 only.

    python -m tools.segment_sink --port 9099    # prints each call it receives
"""

import argparse
import base64
import gzip
import json
import socket
import struct
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tools.local_server import LocalServer


@dataclass
class Fault:
    """What to do instead of accepting one batch request."""

    status: int | None = None
    headers: dict = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False


class SegmentSink(LocalServer):
    """Records messages per write key; use as a context manager."""

    def __init__(self, port=0, keep_messages=True, echo=False):
        super().__init__(_handler_for(self), port)
        self.keep_messages = keep_messages
        self.echo = echo
        self.messages = []
        self.message_ids = set()
        self.message_count = 0
        self.requests = 0  # batches accepted
        self.attempts = 0  # every POST, faults included
        self.batch_bytes = []
        self.write_keys = set()
        self.rejected_write_keys = set()
        self.faults = deque()
        self.fault_every = None
        self.lock = threading.Lock()

    def fail_next(self, *faults):
        """Answer the next requests with these faults, in order."""
        with self.lock:
            self.faults.extend(faults)

    def clear(self):
        """Forget everything received and any faults still planned."""
        with self.lock:
            self.messages.clear()
            self.message_ids.clear()
            self.message_count = 0
            self.requests = 0
            self.attempts = 0
            self.batch_bytes.clear()
            self.write_keys.clear()
            self.rejected_write_keys.clear()
            self.faults.clear()
            self.fault_every = None

    def next_fault(self):
        with self.lock:
            if self.faults:
                return self.faults.popleft()
            if self.fault_every is not None:
                return self.fault_every
        return None

    def record(self, write_key, batch, size):
        with self.lock:
            self.requests += 1
            self.batch_bytes.append(size)
            self.write_keys.add(write_key)
            for message in batch:
                self.message_count += 1
                self.message_ids.add(message.get("messageId"))
                if self.echo:
                    print(json.dumps(message), flush=True)
                if self.keep_messages:
                    message["_writeKey"] = write_key
                    self.messages.append(message)

    def wait_for(self, count, timeout=10.0):
        """Wait until at least `count` messages arrived; return the count."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.message_count >= count:
                break
            time.sleep(0.02)
        return self.message_count


def _handler_for(sink):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _answer(self, status, body, headers=None):
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            with sink.lock:
                sink.attempts += 1
            fault = sink.next_fault()
            if fault is not None:
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.reset:
                    # SO_LINGER 0 makes close() send a TCP reset.
                    linger = struct.pack("ii", 1, 0)
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, linger
                    )
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault.status:
                    body = {"code": "fault", "message": "injected by the test sink"}
                    self._answer(fault.status, body, fault.headers)
                    return

            if self.path.rstrip("/") != "/v1/batch":
                self._answer(404, {"code": "not_found", "message": "unknown route"})
                return
            if self.headers.get("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            try:
                body = json.loads(raw)
                batch = body["batch"]
            except (ValueError, KeyError, TypeError):
                self._answer(400, {"code": "invalid_json", "message": "bad body"})
                return
            size = len(raw)
            if size > 500 * 1024:
                self._answer(400, {"code": "too_large", "message": "batch over 500 KB"})
                return
            write_key = body.get("writeKey") or _basic_user(self.headers)
            if write_key in sink.rejected_write_keys:
                self._answer(401, {"code": "unauthorized", "message": "bad write key"})
                return
            sink.record(write_key, batch, size)
            self._answer(200, {"success": True})

    return Handler


def _basic_user(headers):
    value = headers.get("Authorization") or ""
    if not value.startswith("Basic "):
        return None
    try:
        return base64.b64decode(value[6:]).decode().split(":", 1)[0]
    except ValueError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9099)
    parser.add_argument(
        "--quiet", action="store_true", help="count calls instead of printing them"
    )
    args = parser.parse_args()
    sink = SegmentSink(port=args.port, keep_messages=False, echo=not args.quiet)
    sink.start()
    print(
        f"Segment-compatible sink listening on {sink.url}; point the hub's "
        f"SEGMENT_API_HOST at it. Each call received is printed as one JSON line.",
        file=sys.stderr,
        flush=True,
    )
    seen = 0
    try:
        while True:
            time.sleep(5)
            if sink.message_count != seen:
                seen = sink.message_count
                print(f"calls received so far: {seen:,}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        sink.stop()


if __name__ == "__main__":
    main()
