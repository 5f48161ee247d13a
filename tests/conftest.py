import json

import pytest

from action_hub.app import create_app
from action_hub.config import Settings
from tests.looks import load_look
from tools.hub_process import HubProcess, chunked, looker_headers
from tools.segment_sink import SegmentSink

SECRET = "test-hub-secret-0000"
WRITE_KEY = "test-write-key-not-real"
AUTH = {"Authorization": f'Token token="{SECRET}"'}


@pytest.fixture
def sink():
    with SegmentSink() as running:
        yield running


def make_settings(segment_host, **overrides):
    values = {
        "base_url": "https://hub.example.com",
        "label": "Segment",
        "secret": SECRET,
        "segment_host": segment_host,
        "download_hosts": ("127.0.0.1",),
        "log_format": "text",
        "segment_max_retries": 2,
        "segment_timeout_seconds": 5.0,
        "keepalive_seconds": 5.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def client(sink):
    return create_app(make_settings(sink.url)).test_client()


def execute_body(look=None, form=None, write_key=WRITE_KEY, hidden=(), **plan):
    """An execute request body shaped as Looker pushes one."""
    body = load_look("execute_active_users_push.json")
    if look is not None:
        body["attachment"]["data"] = json.dumps(look)
    body["data"] = {"segment_write_key": write_key} if write_key else {}
    body["form_params"] = form or {}
    body["scheduled_plan"]["query"]["vis_config"]["hidden_fields"] = list(hidden)
    body["scheduled_plan"].update(plan)
    return body


@pytest.fixture(scope="module")
def e2e_sink():
    with SegmentSink() as running:
        yield running


@pytest.fixture(scope="module")
def hub(e2e_sink):
    env = {"SEGMENT_MAX_RETRIES": "4", "SEGMENT_TIMEOUT_SECONDS": "5"}
    with HubProcess(e2e_sink.url, env=env, workers=2) as running:
        yield running


@pytest.fixture
def segment(e2e_sink):
    """The module's sink, emptied for this test."""
    e2e_sink.clear()
    return e2e_sink


def post_to_hub(hub, path, body, webhook_id=None, version="24.6.12", **kwargs):
    """POST a body to the running hub as Looker does: chunked, with its headers."""
    import requests

    raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
    return requests.post(
        f"{hub.url}{path}",
        data=chunked(raw),
        headers=looker_headers(hub, version=version, webhook_id=webhook_id),
        timeout=kwargs.pop("timeout", 60),
        **kwargs,
    )


def execute(hub, body, action="segment_identify", **kwargs):
    """Run an action on the hub as Looker does; return Looker's view of it."""
    response = post_to_hub(hub, f"/actions/{action}/execute", body, **kwargs)
    assert response.status_code == 200
    return response.json()["looker"]
