import pytest

from action_hub.errors import SetupError
from actions.segment_group import SegmentGroup
from actions.segment_identify import SegmentIdentify
from actions.segment_track import SegmentTrack
from tests.actions.call_plans import (
    field,
    make_plan,
    request,
    row,
    run_look,
    settings,
)

FIELDS = [
    field("users.id", "Users ID", "ID", tags=["user_id"]),
    field("users.email", "Users Email", "Email", tags=["email"]),
    field("users.plan", "Users Plan", "Plan"),
]
ROWS = [
    row({"users.id": "u1", "users.email": "a@example.com", "users.plan": "pro"}),
    row({"users.id": "u2", "users.email": None, "users.plan": "pro"}),
    row({"users.id": None, "users.email": "c@example.com", "users.plan": "free"}),
]


@pytest.mark.parametrize("action_class", [SegmentIdentify, SegmentTrack])
def test_every_call_type_offers_the_destination_fields(action_class):
    names = [f["name"] for f in action_class(settings()).form({}, {})["fields"]]
    assert "destination" in names
    assert "destination_gaps" in names


def test_a_look_without_the_column_a_destination_needs_is_refused_on_that_setting():
    identify = SegmentIdentify(settings())
    without_email = [f for f in FIELDS if f.name != "users.email"]
    with pytest.raises(SetupError) as error:
        make_plan(identify, without_email, {"destination": "klaviyo"})
    assert error.value.field == "email_column"
    assert error.value.message.startswith("Klaviyo needs an email")


def test_an_unknown_destination_refuses_the_run():
    with pytest.raises(SetupError) as error:
        SegmentIdentify(settings()).start(request({"destination": "nope"}))
    assert error.value.field == "destination"


def test_rows_a_destination_cannot_use_are_sent_and_noted_by_default():
    looker, messages = run_look(
        SegmentIdentify, FIELDS, ROWS, {"destination": "klaviyo"}
    )

    assert len(messages) == 3
    assert looker["message"] == (
        "Sent 3 of 3 rows to Segment as Identify calls. "
        "1 row was sent anyway with no email, which Klaviyo requires."
    )


def test_rows_a_destination_cannot_use_are_skipped_when_asked():
    form = {"destination": "amplitude", "destination_gaps": "skip", "event": "E"}
    looker, messages = run_look(SegmentTrack, FIELDS, ROWS, form)

    assert [m["userId"] for m in messages] == ["u1", "u2"]
    assert looker["message"] == (
        "Sent 2 of 3 rows to Segment as Track calls. "
        "Skipped 1 row (no user ID, which Amplitude requires)."
    )


def test_without_a_destination_nothing_is_checked():
    looker, _ = run_look(SegmentIdentify, FIELDS, ROWS, {})
    assert looker["message"] == "Sent 3 of 3 rows to Segment as Identify calls."


def test_a_missing_extra_trait_is_noted():
    looker, _ = run_look(
        SegmentGroup,
        FIELDS + [field("accounts.id", "Accounts ID", tags=["segment_group_id"])],
        [row({"users.id": "u1", "accounts.id": 1})],
        {"destination": "salesmachine"},
    )
    assert "Salesmachine also needs a trait named account_uid" in looker["message"]
