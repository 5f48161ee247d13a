"""Download URLs are fetched only from hosts the admin allows."""

import json

import pytest

from action_hub.errors import SetupError, SourceError
from action_hub.sources import DownloadPolicy, _is_public, download_source
from tools.download_server import DownloadServer

DOCUMENT = json.dumps({"fields": {}, "data": []}).encode()


def fetch(url, allowed=()):
    source = download_source(url, DownloadPolicy(allowed), 30)
    assert source.whole is None
    return b"".join(source.open_chunks())


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fd00:ec2::254",
        "fe80::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ],
)
def test_local_private_and_metadata_addresses_are_not_public(address):
    assert not _is_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888"])
def test_public_addresses_are_public(address):
    assert _is_public(address)


def test_allowed_host_is_fetched():
    with DownloadServer() as server:
        assert fetch(server.publish(DOCUMENT), allowed=("127.0.0.1",)) == DOCUMENT


def test_without_an_allow_list_a_loopback_address_is_refused():
    with DownloadServer() as server:
        url = server.publish(DOCUMENT)
        with pytest.raises(SetupError, match="private or local address"):
            fetch(url)
        assert server.fetches == []


def test_without_an_allow_list_a_name_resolving_to_loopback_is_refused():
    with DownloadServer() as server:
        url = server.publish(DOCUMENT).replace("127.0.0.1", "localhost")
        with pytest.raises(SetupError, match="private or local address"):
            fetch(url)
        assert server.fetches == []


def test_host_not_in_the_allow_list_is_refused_before_connecting():
    with DownloadServer() as server:
        url = server.publish(DOCUMENT).replace("127.0.0.1", "localhost")
        with pytest.raises(SetupError, match="ACTION_HUB_DOWNLOAD_HOSTS"):
            fetch(url, allowed=("127.0.0.1",))
        assert server.fetches == []


def test_redirect_to_a_host_not_allowed_is_refused():
    with DownloadServer() as server:
        target = server.publish(DOCUMENT).replace("127.0.0.1", "localhost")
        start = server.publish(b"", redirect_to=target)
        with pytest.raises(SetupError, match="localhost"):
            fetch(start, allowed=("127.0.0.1",))
        assert len(server.fetches) == 1


def test_redirect_within_allowed_hosts_is_followed():
    with DownloadServer() as server:
        target = server.publish(DOCUMENT)
        start = server.publish(b"", redirect_to=target)
        assert fetch(start, allowed=("127.0.0.1",)) == DOCUMENT


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "nothing"])
def test_only_http_urls_are_fetched(url):
    with pytest.raises(SetupError, match="not an http"):
        fetch(url, allowed=("127.0.0.1",))


def test_second_fetch_of_a_one_time_url_is_an_error():
    with DownloadServer() as server:
        url = server.publish(DOCUMENT)
        fetch(url, allowed=("127.0.0.1",))
        with pytest.raises(SourceError, match="HTTP 410"):
            fetch(url, allowed=("127.0.0.1",))


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:99999/x", "http://127.0.0.1:abc/x", "http://[::1/x"]
)
def test_malformed_download_url_is_named_as_such(url):
    with pytest.raises(SetupError, match="not a valid URL"):
        fetch(url, allowed=("127.0.0.1",))


def test_a_download_trickling_in_is_stopped_at_the_time_limit():
    import time

    with DownloadServer() as server:
        url = server.publish(DOCUMENT * 20, trickle=0.05)
        source = download_source(url, DownloadPolicy(("127.0.0.1",)), 1)
        started = time.monotonic()
        with pytest.raises(SourceError, match="longer than 1 seconds"):
            b"".join(source.open_chunks())
        assert time.monotonic() - started < 5
