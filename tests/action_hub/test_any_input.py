"""Whatever JSON arrives, the hub answers in Looker's shape or with a JSON 4xx."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from action_hub.app import create_app
from tests.conftest import AUTH, execute_body, make_settings
from tools.segment_sink import SegmentSink

PATHS = [
    "/",
    "/actions/segment_identify/form",
    "/actions/segment_identify/execute",
    "/actions/unknown/execute",
]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()
)
any_json = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
keys = st.sampled_from(
    [
        "type",
        "attachment",
        "data",
        "form_params",
        "scheduled_plan",
        "mimetype",
        "download_url",
        "query",
        "vis_config",
        "hidden_fields",
        "fields",
        "ran_at",
    ]
)
looker_like = st.recursive(
    scalars,
    lambda inner: (
        st.dictionaries(keys, inner, max_size=5) | st.lists(inner, max_size=3)
    ),
    max_leaves=25,
)


def mutated_execute(draw_value, key):
    body = execute_body()
    body[key] = draw_value
    return body


@pytest.fixture(scope="module")
def app_client():
    with SegmentSink() as sink:
        settings_ = make_settings(sink.url, segment_max_retries=0)
        yield create_app(settings_).test_client()


def check_answer(response):
    assert response.status_code < 500
    body = json.loads(response.get_data())
    assert "unexpected error" not in json.dumps(body)
    if response.status_code >= 400:
        assert body.get("error") or body["looker"]["success"] is False
    elif "looker" in body:
        assert isinstance(body["looker"]["success"], bool)
        assert "unexpected error" not in body["looker"].get("message", "")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(PATHS), body=st.one_of(any_json, looker_like))
def test_arbitrary_json_never_causes_a_500(app_client, path, body):
    response = app_client.post(path, data=json.dumps(body), headers=AUTH)
    check_answer(response)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    key=st.sampled_from(
        ["type", "attachment", "data", "form_params", "scheduled_plan"]
    ),
    value=st.one_of(any_json, looker_like),
)
def test_execute_with_one_part_replaced_never_causes_a_500(app_client, key, value):
    body = mutated_execute(value, key)
    response = app_client.post(
        "/actions/segment_identify/execute", data=json.dumps(body), headers=AUTH
    )
    check_answer(response)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=looker_like)
def test_any_attachment_document_never_causes_a_500(app_client, document):
    body = execute_body()
    body["attachment"]["data"] = json.dumps(document)
    response = app_client.post(
        "/actions/segment_identify/execute", data=json.dumps(body), headers=AUTH
    )
    check_answer(response)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_never_cause_a_500(app_client, raw):
    response = app_client.post(
        "/actions/segment_identify/execute", data=raw, headers=AUTH
    )
    check_answer(response)
