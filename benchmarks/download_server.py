"""A stand-in for Looker's download URL: serves a result file once, chunked.

Looker streams the result document with chunked transfer encoding from a
one-time URL; a second GET of the same URL fails. This server does the same
on 127.0.0.1, from a file on disk, in 64 KB chunks.
"""

import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHUNK_BYTES = 64 * 1024


class DownloadServer:
    """Serves registered files at one-time URLs; use as a context manager."""

    def __init__(self):
        self._files = {}
        self._lock = threading.Lock()
        self.gets = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = None

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def publish(self, path):
        """Make `path` downloadable once; return its URL."""
        token = secrets.token_hex(12)
        with self._lock:
            self._files[token] = Path(path)
        return f"{self.url}/downloads/{token}"

    def take(self, token):
        """The file behind a token, which is used up; None if unknown or used."""
        with self._lock:
            self.gets += 1
            return self._files.pop(token, None)

    def start(self):
        """Serve on a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="download-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _handler_for(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            token = self.path.rsplit("/", 1)[-1]
            path = server.take(token) if self.path.startswith("/downloads/") else None
            if path is None:
                payload = b'{"error": "this download URL is unknown or was used"}'
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            with path.open("rb") as source:
                while chunk := source.read(CHUNK_BYTES):
                    self.wfile.write(b"%X\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True

    return Handler
