"""A stand-in for Looker's one-time download URLs, on 127.0.0.1.

Each published document can be fetched once, streamed with chunked encoding.
A document can be cut short after a number of bytes to imitate a broken stream.
"""

import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class DownloadServer:
    def __init__(self):
        self.documents = {}
        self.fetches = []
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def publish(self, body, cut_after=None, status=200, redirect_to=None, trickle=0.0):
        """Serve `body` once at a fresh URL; return the URL.

        With `trickle`, the body goes out one byte every `trickle` seconds.
        """
        path = f"/downloads/{secrets.token_hex(8)}"
        with self.lock:
            self.documents[path] = (body, cut_after, status, redirect_to, trickle)
        return self.url + path

    def __enter__(self):
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        ).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


def _handler_for(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            with server.lock:
                entry = server.documents.pop(self.path, None)
                server.fetches.append((self.path, self.headers.get("Authorization")))
            if entry is None:
                self.send_response(410)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body, cut_after, status, redirect_to, trickle = entry
            if redirect_to:
                self.send_response(302)
                self.send_header("Location", redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if trickle:
                self._trickle(body, trickle)
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            payload = body if cut_after is None else body[:cut_after]
            for start in range(0, len(payload), 8192):
                piece = payload[start : start + 8192]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            if cut_after is None:
                self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True

        def _trickle(self, body, pause):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for index in range(len(body)):
                    self.wfile.write(body[index : index + 1])
                    self.wfile.flush()
                    time.sleep(pause)
            except OSError:
                pass
            self.close_connection = True

    return Handler
