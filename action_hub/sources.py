"""Where a run's result data comes from: the pushed attachment or a download URL.

Both become a ResultSource: a function returning byte chunks, plus the whole
document when it is already in memory (a pushed body is; a download is not).
"""

import base64
import binascii
import ipaddress
import json
import socket
import time
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

from action_hub.errors import BadRequest, SetupError, SourceError
from action_hub.results import ResultSource

CHUNK_BYTES = 64 * 1024
MAX_REDIRECTS = 5


def _byte_chunks(data):
    for start in range(0, len(data), CHUNK_BYTES):
        yield data[start : start + CHUNK_BYTES]


def _text_chunks(text):
    for start in range(0, len(text), CHUNK_BYTES):
        # A lone surrogate (from an escaped \ud800 in the body) is left for the
        # parser to refuse rather than failing to encode here.
        yield text[start : start + CHUNK_BYTES].encode("utf-8", "surrogatepass")


def attachment_source(attachment):
    """Open `attachment.data`: a JSON string, base64 text, or inline JSON."""
    mimetype = str(attachment.get("mimetype") or "").lower().replace(" ", "")
    data = attachment.get("data")

    if mimetype.endswith(";base64"):
        if not isinstance(data, str):
            msg = "The attachment is marked base64 but its data is not a string."
            raise BadRequest(msg)
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            msg = "The attachment is marked base64 but is not valid base64."
            raise BadRequest(msg) from None
        return ResultSource(lambda: _byte_chunks(raw), raw)

    if isinstance(data, str):
        return ResultSource(lambda: _text_chunks(data), data)
    if isinstance(data, (dict, list)):
        raw = json.dumps(data).encode("utf-8")
        return ResultSource(lambda: _byte_chunks(raw), raw)

    msg = "The request has an attachment without data."
    raise BadRequest(msg)


def _is_public(address):
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class DownloadPolicy:
    """Which download URLs the hub will fetch.

    With an allow-list of Looker hostnames, only those hosts are fetched (at
    any address they resolve to). Without one, any host is fetched as long as
    the address actually connected to is public: never loopback, private,
    link-local (cloud metadata lives there) or otherwise reserved. The address
    is checked on the open socket, so DNS tricks and redirects cannot dodge it.
    """

    def __init__(self, allowed_hosts=()):
        self.allowed_hosts = tuple(allowed_hosts)

    def check_url(self, url):
        """Refuse a URL whose scheme or host is not allowed."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a malformed port
        except ValueError:
            msg = "The download URL from Looker is not a valid URL."
            raise SetupError(msg) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            msg = "The download URL from Looker is not an http(s) URL."
            raise SetupError(msg)
        host = parts.hostname.lower()
        if self.allowed_hosts and host not in self.allowed_hosts:
            msg = (
                f"The download URL points at {host}, which is not in "
                "ACTION_HUB_DOWNLOAD_HOSTS. An admin can add the Looker host there."
            )
            raise SetupError(msg)
        return parts

    def check_peer(self, sock, host):
        """Refuse a connection that landed on a non-public address."""
        if self.allowed_hosts:
            return
        address = sock.getpeername()[0]
        if not _is_public(address):
            sock.close()
            msg = (
                f"The download URL's host {host} resolves to a private or local "
                "address, which the hub does not fetch. List the Looker host in "
                "ACTION_HUB_DOWNLOAD_HOSTS if this is intended."
            )
            raise SetupError(msg)


def _connection_classes(policy):
    class CheckedHTTP(HTTPConnection):
        def connect(self):
            super().connect()
            policy.check_peer(self.sock, self.host)

    class CheckedHTTPS(HTTPSConnection):
        def connect(self):
            super().connect()
            policy.check_peer(self.sock, self.host)

    return {"http": CheckedHTTP, "https": CheckedHTTPS}


def _open_download(url, policy, timeout_seconds):
    classes = _connection_classes(policy)
    timeout = urllib3.Timeout(
        connect=min(timeout_seconds, 15.0), read=min(timeout_seconds, 60.0)
    )
    socket_options = HTTPConnection.default_socket_options + [
        (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    ]
    for _ in range(MAX_REDIRECTS + 1):
        parts = policy.check_url(url)
        pool_class = (
            urllib3.HTTPSConnectionPool
            if parts.scheme == "https"
            else urllib3.HTTPConnectionPool
        )
        pool = pool_class(
            parts.hostname,
            parts.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            socket_options=socket_options,
        )
        pool.ConnectionCls = classes[parts.scheme]
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            response = pool.urlopen(
                "GET", path, redirect=False, preload_content=False, retries=False
            )
        except SetupError:
            raise
        except urllib3.exceptions.HTTPError:
            msg = (
                "The hub could not connect to Looker's download URL at "
                f"{parts.hostname}."
            )
            raise SourceError(msg) from None

        if response.status in (301, 302, 303, 307, 308):
            location = response.headers.get("Location")
            response.release_conn()
            pool.close()
            if not location:
                msg = (
                    f"Looker's download URL answered HTTP {response.status} "
                    "without saying where to go."
                )
                raise SourceError(msg)
            url = urljoin(url, location)
            continue
        if response.status != 200:
            response.release_conn()
            msg = (
                f"Looker's download URL answered HTTP {response.status}. "
                "The URL works once and expires an hour after the schedule ran."
            )
            raise SourceError(msg)
        return response

    msg = "Looker's download URL redirected too many times."
    raise SourceError(msg)


def download_source(url, policy, timeout_seconds):
    """Stream the result document from Looker's one-time download URL."""
    policy.check_url(url)

    def open_chunks():
        deadline = time.monotonic() + timeout_seconds
        response = _open_download(url, policy, timeout_seconds)
        try:
            # read1 returns what has arrived, so a slow trickle still reaches
            # the deadline check below.
            while chunk := response.read1(CHUNK_BYTES):
                yield chunk
                if time.monotonic() > deadline:
                    msg = (
                        f"The download from Looker took longer than "
                        f"{timeout_seconds:.0f} seconds and was stopped."
                    )
                    raise SourceError(msg)
        except urllib3.exceptions.HTTPError:
            msg = "The download from Looker broke off before the end of the data."
            raise SourceError(msg) from None
        finally:
            response.close()

    return ResultSource(open_chunks)
