import json

import pytest

from action_hub.app import create_app
from tests.conftest import AUTH, SECRET, execute_body, make_settings


def test_health_check_needs_no_token(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


@pytest.mark.parametrize(
    "path",
    ["/", "/actions/segment_identify/form", "/actions/segment_identify/execute"],
)
@pytest.mark.parametrize(
    "header",
    [None, 'Token token="wrong"', f"Bearer {SECRET}", f'Token token="{SECRET}x"'],
)
def test_every_post_without_the_right_token_gets_401_and_does_nothing(
    client, sink, path, header
):
    headers = {"Authorization": header} if header else {}
    response = client.post(path, json=execute_body(), headers=headers)
    assert response.status_code == 401
    assert response.get_json() == {
        "success": False,
        "error": "Invalid 'Authorization' header.",
    }
    assert sink.message_count == 0


def test_action_list_describes_the_identify_action(client):
    listing = client.post("/", headers=AUTH).get_json()
    assert listing["label"] == "Segment"
    action = next(a for a in listing["integrations"] if a["name"] == "segment_identify")
    assert action["label"] == "Send to Segment"
    assert "Identify" in action["description"]
    assert action["url"] == "https://hub.example.com/actions/segment_identify/execute"
    assert action["form_url"] == "https://hub.example.com/actions/segment_identify/form"
    assert action["icon_data_uri"].startswith("data:image/svg+xml;base64,")
    assert action["supported_action_types"] == ["query"]
    assert action["supported_formats"] == ["json_detail_lite_stream"]
    assert action["supported_formattings"] == ["unformatted"]
    assert action["supported_visualization_formattings"] == ["noapply"]
    assert set(action["supported_download_settings"]) == {"push", "url"}
    [param] = action["params"]
    assert param["name"] == "segment_write_key"
    assert param["required"] and param["sensitive"]


@pytest.mark.parametrize(
    "agent, formats",
    [
        ("LookerOutgoingWebhook/6.0.12", ["json_detail"]),
        ("LookerOutgoingWebhook/5.24", ["json_detail"]),
        ("LookerOutgoingWebhook/6.2.0", ["json_detail_lite_stream"]),
        ("LookerOutgoingWebhook/24.6.12", ["json_detail_lite_stream"]),
        ("curl/8.0", ["json_detail_lite_stream"]),
    ],
)
def test_old_lookers_get_json_detail(client, agent, formats):
    listing = client.post("/", headers={**AUTH, "User-Agent": agent}).get_json()
    assert listing["integrations"][0]["supported_formats"] == formats


def test_form_asks_for_identifier_columns_and_trait_options(client):
    form = client.post("/actions/segment_identify/form", headers=AUTH).get_json()
    names = [f["name"] for f in form["fields"]]
    for name in (
        "user_id_column",
        "email_column",
        "anonymous_id_column",
        "trait_names",
        "trait_prefix",
        "empty_values",
    ):
        assert name in names
    trait_names = next(f for f in form["fields"] if f["name"] == "trait_names")
    assert trait_names["default"] == "short_label"
    assert [o["name"] for o in trait_names["options"]] == [
        "short_label",
        "field_name",
        "label",
    ]


def test_form_without_a_write_key_in_admin_params_explains_it(client):
    body = {"data": {"segment_write_key": ""}, "form_params": {}}
    form = client.post("/actions/segment_identify/form", json=body, headers=AUTH)
    assert form.status_code == 200
    assert form.get_json()["fields"] == []
    assert "write key" in form.get_json()["error"]


@pytest.mark.parametrize(
    "raw, fragment",
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (json.dumps({"attachment": None}).encode(), "type"),
        (json.dumps({"type": "spreadsheet"}).encode(), "type"),
        (json.dumps({"type": "query", "form_params": "x"}).encode(), "form_params"),
        (json.dumps({"type": "query", "scheduled_plan": 7}).encode(), "scheduled_plan"),
    ],
)
def test_malformed_execute_gets_a_looker_shaped_400(client, sink, raw, fragment):
    response = client.post(
        "/actions/segment_identify/execute",
        data=raw,
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["looker"]["success"] is False
    assert fragment in body["looker"]["message"]
    assert sink.message_count == 0


def test_unknown_action_is_a_404_in_lookers_shape(client):
    response = client.post("/actions/segment_pager/execute", json={}, headers=AUTH)
    assert response.status_code == 404
    assert "segment_pager" in response.get_json()["looker"]["message"]


def test_execute_without_write_key_fails_with_a_message(client, sink):
    response = client.post(
        "/actions/segment_identify/execute",
        json=execute_body(write_key=None),
        headers=AUTH,
    )
    looker = response.get_json()["looker"]
    assert looker["success"] is False
    assert "write key is not set" in looker["message"]
    assert sink.message_count == 0


def test_bad_select_value_is_a_validation_error_on_that_field(client):
    response = client.post(
        "/actions/segment_identify/execute",
        json=execute_body(form={"trait_names": "camelCase"}),
        headers=AUTH,
    )
    looker = response.get_json()["looker"]
    assert looker["success"] is False
    assert "trait_names" in looker["validation_errors"]


def test_body_over_the_limit_is_refused_with_a_clear_message(sink):
    settings = make_settings(sink.url, max_body_bytes=1024)
    client = create_app(settings).test_client()
    response = client.post(
        "/actions/segment_identify/execute", json=execute_body(), headers=AUTH
    )
    assert response.status_code == 413
    assert "larger than the hub accepts" in response.get_json()["looker"]["message"]
    assert sink.message_count == 0


def test_execute_through_the_app_sends_every_row(client, sink):
    response = client.post(
        "/actions/segment_identify/execute", json=execute_body(), headers=AUTH
    )
    looker = response.get_json()["looker"]
    assert looker == {
        "success": True,
        "message": "Sent 6 of 6 rows to Segment as Identify calls.",
        "refresh_query": False,
    }
    assert sink.message_count == 6


@pytest.mark.parametrize("kind", ["cell", "dashboard"])
def test_only_query_sends_are_accepted(client, sink, kind):
    body = dict(execute_body(), type=kind)
    response = client.post("/actions/segment_identify/execute", json=body, headers=AUTH)
    looker = response.get_json()["looker"]
    assert looker["success"] is False
    assert f"cannot send a {kind}" in looker["message"]
    assert sink.message_count == 0


def test_absurd_looker_version_is_treated_as_unknown(client):
    agent = "LookerOutgoingWebhook/" + "9" * 5000 + ".1"
    response = client.post("/", headers={**AUTH, "User-Agent": agent})
    assert response.status_code == 200


def test_form_value_that_is_not_text_is_refused(client, sink):
    body = execute_body(form={"trait_prefix": {"a": 1}})
    response = client.post("/actions/segment_identify/execute", json=body, headers=AUTH)
    assert response.status_code == 400
    assert (
        "form_params.trait_prefix is not text"
        in response.get_json()["looker"]["message"]
    )
    assert sink.message_count == 0
