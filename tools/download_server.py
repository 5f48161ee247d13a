"""A stand-in for Looker's one-time download URLs, on 127.0.0.1.

Each published document can be fetched once and is streamed with chunked
encoding, as Looker streams results. For tests it can also misbehave: answer
another status, redirect, stop part-way, or trickle out byte by byte.
"""

import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tools.local_server import LocalServer

CHUNK_BYTES = 64 * 1024


@dataclass
class _Download:
    body: bytes | Path
    cut_after: int | None = None
    status: int = 200
    redirect_to: str | None = None
    trickle: float = 0.0

    def pieces(self):
        """The body in chunks, ending early at `cut_after` bytes."""
        sent = 0
        if isinstance(self.body, Path):
            with self.body.open("rb") as source:
                while chunk := source.read(CHUNK_BYTES):
                    yield chunk
            return
        limit = len(self.body) if self.cut_after is None else self.cut_after
        while sent < limit:
            chunk = self.body[sent : min(sent + CHUNK_BYTES, limit)]
            sent += len(chunk)
            yield chunk


class DownloadServer(LocalServer):
    """Serves each published body (bytes, or a file's path) once."""

    def __init__(self):
        super().__init__(_handler_for(self))
        self.downloads = {}
        self.fetches = []
        self.lock = threading.Lock()

    def publish(self, body, cut_after=None, status=200, redirect_to=None, trickle=0.0):
        """Serve `body` once at a fresh URL; return the URL.

        With `trickle`, the body goes out one byte every `trickle` seconds.
        """
        path = f"/downloads/{secrets.token_hex(8)}"
        with self.lock:
            self.downloads[path] = _Download(
                body, cut_after, status, redirect_to, trickle
            )
        return self.url + path


def _handler_for(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _empty(self, status, headers=None):
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            with server.lock:
                download = server.downloads.pop(self.path, None)
                server.fetches.append((self.path, self.headers.get("Authorization")))
            if download is None:
                self._empty(410)
            elif download.redirect_to:
                self._empty(302, {"Location": download.redirect_to})
            elif download.trickle:
                self._trickle(download)
            else:
                self._stream(download)

        def _stream(self, download):
            self.send_response(download.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in download.pieces():
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            if download.cut_after is None:
                self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True

        def _trickle(self, download):
            body = download.body
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for index in range(len(body)):
                    self.wfile.write(body[index : index + 1])
                    self.wfile.flush()
                    time.sleep(download.trickle)
            except OSError:
                pass
            self.close_connection = True

    return Handler
