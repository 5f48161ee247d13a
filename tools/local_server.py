"""An HTTP server on 127.0.0.1 that runs on a background thread."""

import threading
from http.server import ThreadingHTTPServer


class LocalServer:
    """Serve a handler class on 127.0.0.1; use as a context manager."""

    def __init__(self, handler_class, port=0):
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler_class)
        self._server.daemon_threads = True

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        """Start serving; return self."""
        thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=type(self).__name__,
            daemon=True,
        )
        thread.start()
        return self

    def stop(self):
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
