"""Start the hub under gunicorn, as the Procfile does, on a free local port."""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
# What the Procfile runs, from the repository's root.
GUNICORN_COMMAND = [
    sys.executable,
    "-m",
    "gunicorn",
    "-c",
    "gunicorn.conf.py",
    "action_hub.wsgi:app",
]


def free_port():
    """A TCP port on 127.0.0.1 that nothing is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HubProcess:
    """gunicorn serving action_hub.wsgi:app; use as a context manager."""

    def __init__(self, segment_host, env=None, workers=1, log_path=None):
        self.port = free_port()
        self.secret = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ACTION_HUB_BASE_URL": self.url,
            "ACTION_HUB_LABEL": "Segment (local)",
            "ACTION_HUB_SECRET": self.secret,
            "ACTION_HUB_DOWNLOAD_HOSTS": "127.0.0.1",
            "ACTION_HUB_LOG_FORMAT": "text",
            "SEGMENT_API_HOST": segment_host,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": str(workers),
            **(env or {}),
        }
        self.log_path = log_path
        self.process = None
        self._log_file = None

    @property
    def auth_header(self):
        return {"Authorization": f'Token token="{self.secret}"'}

    def start(self, timeout=20.0):
        output = subprocess.DEVNULL
        if self.log_path:
            self._log_file = open(self.log_path, "wb")
            output = self._log_file
        self.process = subprocess.Popen(
            GUNICORN_COMMAND, cwd=ROOT, env=self.env, stdout=output, stderr=output
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                msg = f"gunicorn exited with code {self.process.returncode}"
                raise RuntimeError(msg)
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return self
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        msg = "gunicorn did not answer /healthz in time"
        raise RuntimeError(msg)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log_file:
            self._log_file.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def looker_headers(hub, version="24.6.12", webhook_id=None):
    """Headers as Looker sends them on every call to a hub."""
    headers = {
        **hub.auth_header,
        "User-Agent": f"LookerOutgoingWebhook/{version}",
        "Content-Type": "application/json",
        "X-Looker-Instance": "demo-instance",
    }
    if webhook_id:
        headers["X-Looker-Webhook-Id"] = webhook_id
    return headers


def chunked(body, size=16 * 1024):
    """Yield a body in pieces, so requests sends it with chunked encoding."""
    for start in range(0, len(body), size):
        yield body[start : start + size]
