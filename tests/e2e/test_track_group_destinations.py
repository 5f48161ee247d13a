"""Track, Group and destination checks through gunicorn and the Segment stand-in."""

import json

import pytest

from actions.mapping import anonymous_id_for_email
from tests.conftest import execute, execute_body, post_to_hub
from tests.looks import load_look

COHORT = load_look("active_users_cohort.json")


def test_hub_lists_identify_track_and_group(hub):
    listing = post_to_hub(hub, "/", b"").json()
    labels = {a["name"]: a["label"] for a in listing["integrations"]}
    assert labels == {
        "segment_identify": "Send to Segment",
        "segment_track": "Send to Segment as Track events",
        "segment_group": "Send to Segment as Group calls",
    }


def test_track_sends_one_event_per_row_with_columns_as_properties(hub, segment):
    body = execute_body(form={"event": "Cohort Member"})
    looker = execute(hub, action="segment_track", body=body)
    assert looker == {
        "success": True,
        "message": "Sent 6 of 6 rows to Segment as Track calls.",
        "refresh_query": False,
    }
    by_user = {m.get("userId") or m["anonymousId"]: m for m in segment.messages}
    avery = by_user["00MWWFOLRcETcTCf"]
    assert avery["type"] == "track"
    assert avery["event"] == "Cohort Member"
    assert avery["properties"] == {
        "name": "Avery Quill",
        "email": "avery.quill@example.com",
        "sessions_count": 2,
        "product_sessions_count": 1,
    }
    assert anonymous_id_for_email("lee.anon@example.com") in by_user


def test_track_with_a_blank_event_name_is_a_form_error(hub, segment):
    looker = execute(
        hub, action="segment_track", body=execute_body(form={"event": "  "})
    )
    assert looker["success"] is False
    assert set(looker["validation_errors"]) == {"event"}
    assert segment.message_count == 0


def group_look():
    look = json.loads(json.dumps(COHORT))
    look["fields"]["dimensions"].append(
        {
            "name": "accounts.id",
            "label": "Accounts ID",
            "label_short": "Account ID",
            "type": "number",
            "tags": ["segment_group_id"],
        }
    )
    for index, row in enumerate(look["data"]):
        row["accounts.id"] = {"value": 100 + index % 2 if index != 1 else None}
    return look


def test_group_ties_each_user_to_its_group_with_group_traits(hub, segment):
    looker = execute(hub, action="segment_group", body=execute_body(group_look()))
    assert looker["success"] is True
    assert looker["message"] == (
        "Sent 5 of 6 rows to Segment as Group calls. Skipped 1 row (no group ID)."
    )
    avery = next(m for m in segment.messages if m.get("userId") == "00MWWFOLRcETcTCf")
    assert avery["type"] == "group"
    assert avery["groupId"] == "100"
    assert avery["traits"] == {
        "name": "Avery Quill",
        "sessions_count": 2,
        "product_sessions_count": 1,
    }


def test_group_without_a_group_id_column_says_how_to_add_one(hub, segment):
    looker = execute(hub, action="segment_group", body=execute_body())
    assert looker["success"] is False
    assert "segment_group_id" in looker["message"]
    assert set(looker["validation_errors"]) == {"group_id_column"}
    assert segment.message_count == 0


def untagged(*keep):
    """The cohort with only the given identifier tags left on its columns."""
    look = json.loads(json.dumps(COHORT))
    for field in look["fields"]["dimensions"]:
        field["tags"] = [tag for tag in field["tags"] if tag in keep]
    return look


@pytest.mark.parametrize(
    "destination, look, field",
    [
        ("amplitude", untagged("email"), "user_id_column"),
        ("klaviyo", untagged("user_id"), "email_column"),
        ("customer-io", untagged("user_id"), "email_column"),
        ("intercom", untagged("segment_anonymous_id"), "user_id_column"),
    ],
)
def test_destination_missing_its_identifier_column_is_refused_before_sending(
    hub, segment, destination, look, field
):
    form = {"destination": destination}
    looker = execute(hub, action="segment_identify", body=execute_body(look, form=form))
    assert looker["success"] is False
    assert segment.message_count == 0
    assert set(looker["validation_errors"]) == {field}


@pytest.mark.parametrize(
    "destination, gaps, sent, note",
    [
        ("klaviyo", "send", 6, "1 row was sent anyway with no email, which Klaviyo"),
        ("klaviyo", "skip", 5, "Skipped 1 row (no email, which Klaviyo requires)"),
        ("amplitude", "skip", 5, "Skipped 1 row (no user ID, which Amplitude"),
        (
            "customer-io",
            "skip",
            4,
            "Skipped 1 row (no email, which Customer.io requires), "
            "1 row (no user ID, which Customer.io requires).",
        ),
        ("intercom", "send", 6, None),
        ("kissmetrics", "send", 6, None),
        ("salesmachine", "send", 6, "account_uid"),
    ],
)
def test_rows_a_destination_cannot_use_are_counted_and_sent_or_skipped(
    hub, segment, destination, gaps, sent, note
):
    form = {"destination": destination, "destination_gaps": gaps}
    looker = execute(hub, action="segment_identify", body=execute_body(form=form))
    assert segment.message_count == sent
    assert looker["message"].startswith(f"Sent {sent} of 6 rows")
    if note:
        assert note in looker["message"]
    else:
        assert looker["message"] == "Sent 6 of 6 rows to Segment as Identify calls."


def test_unknown_destination_is_a_form_error(hub, segment):
    looker = execute(
        hub,
        action="segment_identify",
        body=execute_body(form={"destination": "myspace"}),
    )
    assert looker["success"] is False
    assert set(looker["validation_errors"]) == {"destination"}
