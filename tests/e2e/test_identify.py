"""Identify runs through gunicorn and a Segment stand-in, sent as Looker sends them."""

import json
from urllib.parse import urlsplit

import pytest

from actions.mapping import anonymous_id_for_email
from tests.conftest import WRITE_KEY, execute, execute_body, post_to_hub
from tests.looks import load_look
from tools.download_server import DownloadServer

COHORT = load_look("active_users_cohort.json")


def by_user(messages):
    return {m.get("userId") or m.get("anonymousId"): m for m in messages}


def look_with(rows, fields=None, **extra):
    document = {"fields": fields or COHORT["fields"], "data": rows}
    document.update(extra)
    return document


def test_pushed_cohort_arrives_as_one_identify_call_per_row(hub, segment):
    looker = execute(hub, execute_body(), webhook_id="wh-cohort-1")

    assert looker["success"] is True
    assert looker["message"] == "Sent 6 of 6 rows to Segment as Identify calls."
    messages = by_user(segment.messages)
    assert len(segment.messages) == 6
    avery = messages["00MWWFOLRcETcTCf"]
    assert avery["type"] == "identify"
    assert avery["traits"] == {
        "name": "Avery Quill",
        "email": "avery.quill@example.com",
        "sessions_count": 2,
        "product_sessions_count": 1,
    }
    assert avery["timestamp"] == "2026-11-30T08:00:00+00:00"
    assert avery["context"]["app"]["name"] == "looker-segment-hub"
    assert avery["context"]["library"]["name"] == "analytics-python"
    assert avery["_writeKey"] == WRITE_KEY
    assert "email" not in messages["04QWERTY5UIOP0AS"]["traits"]
    lee = messages[anonymous_id_for_email("lee.anon@example.com")]
    assert "userId" not in lee
    assert lee["traits"]["email"] == "lee.anon@example.com"


def test_resending_a_run_repeats_its_message_ids(hub, segment):
    execute(hub, execute_body(), webhook_id="wh-repeat")
    first = sorted(m["messageId"] for m in segment.messages)
    segment.clear()
    execute(hub, execute_body(), webhook_id="wh-repeat")
    second = sorted(m["messageId"] for m in segment.messages)
    assert first == second
    assert len(set(first)) == 6


def test_same_user_twice_in_one_run_stays_two_messages(hub, segment):
    row = COHORT["data"][0]
    looker = execute(hub, execute_body(look_with([row, row])), webhook_id="wh-twice")
    assert looker["success"]
    assert len({m["messageId"] for m in segment.messages}) == 2


def test_without_webhook_id_message_ids_come_from_plan_and_ran_at(hub, segment):
    execute(hub, execute_body())
    first = {m["messageId"] for m in segment.messages}
    segment.clear()
    look = dict(COHORT, ran_at="2026-12-01T08:00:00+00:00")
    execute(hub, execute_body(look))
    assert first.isdisjoint(m["messageId"] for m in segment.messages)


def test_download_url_is_streamed_once_without_auth(hub, segment):
    with DownloadServer() as server:
        url = server.publish(json.dumps(COHORT).encode())
        body = execute_body(download_url=url)
        body["attachment"] = None
        looker = execute(hub, body, webhook_id="wh-download")
        assert server.fetches == [(urlsplit(url).path, None)]
    assert looker["success"], looker
    assert len(segment.messages) == 6


def test_lookers_json_detail_example_has_no_identifier_and_says_how_to_fix(
    hub, segment
):
    look = load_look("json_detail_example.json")
    looker = execute(hub, execute_body(look))
    assert looker["success"] is False
    assert "no column to identify users" in looker["message"]
    assert "tag a dimension user_id" in looker["message"]
    assert looker["validation_errors"] == {"user_id_column": looker["message"]}
    assert segment.message_count == 0


def test_named_column_missing_from_the_look_lists_its_columns(hub, segment):
    looker = execute(hub, execute_body(form={"user_id_column": "users.ident"}))
    assert looker["success"] is False
    assert '"users.ident"' in looker["message"]
    assert "users.id, users.name, users.email" in looker["message"]
    assert "user_id_column" in looker["validation_errors"]
    assert segment.message_count == 0


def test_columns_can_be_named_by_label_instead_of_tags(hub, segment):
    fields = json.loads(json.dumps(COHORT["fields"]))
    for field in fields["dimensions"]:
        field["tags"] = []
    form = {"user_id_column": "users id", "email_column": "EMAIL"}
    looker = execute(hub, execute_body(look_with(COHORT["data"], fields), form=form))
    assert looker["success"], looker
    messages = by_user(segment.messages)
    assert messages["01ZZQK7PDNX4B2LM"]["traits"]["email"] == "jordan.vale@example.com"
    assert "id" not in messages["01ZZQK7PDNX4B2LM"]["traits"]


def test_anonymous_id_column_is_used_as_is(hub, segment):
    fields = json.loads(json.dumps(COHORT["fields"]))
    fields["dimensions"][0]["tags"] = ["segment_anonymous_id"]
    looker = execute(hub, execute_body(look_with(COHORT["data"][:1], fields)))
    assert looker["success"]
    [message] = segment.messages
    assert message["anonymousId"] == "00MWWFOLRcETcTCf"
    assert "userId" not in message


@pytest.mark.parametrize(
    "form, expected",
    [
        ({"trait_names": "field_name"}, {"users.name", "sessions.count"}),
        ({"trait_names": "label"}, {"Users Name", "Sessions Sessions Count"}),
        ({"trait_prefix": "looker_"}, {"looker_name", "looker_sessions_count"}),
    ],
)
def test_trait_name_options(hub, segment, form, expected):
    assert execute(hub, execute_body(form=form))["success"]
    traits = by_user(segment.messages)["00MWWFOLRcETcTCf"]["traits"]
    assert expected <= set(traits)
    assert "email" in traits


@pytest.mark.parametrize("choice, expected", [("omit", {}), ("null", {"name": None})])
def test_empty_cells_are_left_out_or_sent_as_null(hub, segment, choice, expected):
    row = dict(COHORT["data"][4], **{"users.name": {"value": None}})
    look = look_with([row])
    assert execute(hub, execute_body(look, form={"empty_values": choice}))["success"]
    [message] = segment.messages
    assert message["traits"] == {
        **expected,
        "sessions_count": 3,
        "product_sessions_count": 2,
    }


def test_hidden_fields_are_not_sent_as_traits(hub, segment):
    looker = execute(hub, execute_body(hidden=["product_sessions.count"]))
    assert looker["success"]
    for message in segment.messages:
        assert "product_sessions_count" not in message["traits"]
        assert "sessions_count" in message["traits"]


def test_rows_without_any_identifier_are_skipped_and_counted(hub, segment):
    blank = {
        "users.id": {"value": None},
        "users.name": {"value": "Nobody"},
        "users.email": {"value": ""},
        "sessions.count": {"value": 1},
        "product_sessions.count": {"value": 1},
    }
    rows = COHORT["data"][:2] + [blank, blank]
    looker = execute(hub, execute_body(look_with(rows)))
    assert looker["success"] is True
    assert looker["message"] == (
        "Sent 2 of 4 rows to Segment as Identify calls. "
        "Skipped 2 rows (no user ID, anonymous ID or email)."
    )
    assert segment.message_count == 2


def test_numeric_ids_become_strings_and_zero_is_an_id(hub, segment):
    rows = []
    for value in (42, 0):
        row = dict(COHORT["data"][0])
        row["users.id"] = {"value": value}
        rows.append(row)
    assert execute(hub, execute_body(look_with(rows)))["success"]
    assert sorted(m["userId"] for m in segment.messages) == ["0", "42"]


def test_pivoted_measures_become_one_trait_per_pivot_value(hub, segment):
    fields = json.loads(json.dumps(COHORT["fields"]))
    fields["pivots"] = [{"name": "sessions.month", "label": "Sessions Month"}]
    pivots = [
        {"key": "2026-10", "is_total": False},
        {"key": "2026-11", "is_total": False},
    ]
    row = {
        "users.id": {"value": "p1"},
        "users.name": {"value": "Pat"},
        "users.email": {"value": None},
        "sessions.count": {"2026-10": {"value": 3}, "2026-11": {"value": 0}},
        "product_sessions.count": {"2026-10": {"value": None}, "2026-11": {"value": 1}},
    }
    look = look_with([row], fields, pivots=pivots)
    assert execute(hub, execute_body(look))["success"]
    [message] = segment.messages
    assert message["traits"] == {
        "name": "Pat",
        "sessions_count_2026_10": 3,
        "sessions_count_2026_11": 0,
        "product_sessions_count_2026_11": 1,
    }


def test_old_looker_version_is_offered_json_detail(hub):
    response = post_to_hub(hub, "/", b"", version="6.0.4")
    [action] = [
        a for a in response.json()["integrations"] if a["name"] == "segment_identify"
    ]
    assert action["supported_formats"] == ["json_detail"]


def test_rows_that_are_not_objects_are_skipped_and_the_run_goes_on(hub, segment):
    rows = [COHORT["data"][0], None, 7, COHORT["data"][1]]
    looker = execute(hub, execute_body(look_with(rows)))
    assert looker["message"] == (
        "Sent 2 of 4 rows to Segment as Identify calls. "
        "Skipped 2 rows (not a row of cells in the result data)."
    )
    assert segment.message_count == 2


def big_number_look():
    row = dict(COHORT["data"][0], **{"sessions.count": {"value": 10**25}})
    return look_with([COHORT["data"][1], row, COHORT["data"][2]])


@pytest.mark.parametrize("streamed", [False, True], ids=["pushed", "download"])
def test_numbers_beyond_64_bits_are_sent_exactly(hub, segment, streamed):
    document = json.dumps(big_number_look())
    with DownloadServer() as server:
        if streamed:
            body = execute_body(download_url=server.publish(document.encode()))
            body["attachment"] = None
        else:
            body = execute_body(big_number_look())
        looker = execute(hub, body)
    assert looker["success"], looker
    sent = by_user(segment.messages)["00MWWFOLRcETcTCf"]
    assert sent["traits"]["sessions_count"] == 10**25
    assert segment.message_count == 3


def test_a_number_of_thousands_of_digits_stops_the_run_at_its_row(hub, segment):
    text = json.dumps(big_number_look()).replace(str(10**25), "9" * 5000)
    body = execute_body()
    body["attachment"]["data"] = text
    looker = execute(hub, body)
    assert looker["success"] is False
    assert (
        "Row 2 of the result data holds a number of more than 4,300"
        in (looker["message"])
    )
    assert looker["message"].startswith("Sent 1 of 1 row")


def test_a_value_nested_too_deeply_fails_its_row_alone(hub, segment):
    row = dict(COHORT["data"][0], **{"users.name": {"value": "DEEP"}})
    text = json.dumps(look_with([row, COHORT["data"][1]]))
    text = text.replace('"DEEP"', "[" * 3000 + "1" + "]" * 3000)
    body = execute_body()
    body["attachment"]["data"] = text
    looker = execute(hub, body)
    assert looker["success"] is False
    assert (
        "Failed 1 row (a value nested too deeply to send; row 1)." in looker["message"]
    )
    assert segment.message_count == 1
