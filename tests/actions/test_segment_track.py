import pytest

from action_hub.errors import SetupError
from actions.mapping import NO_IDENTIFIER, anonymous_id_for_email
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
    field("sessions.count", "Sessions Count", "Sessions Count", "measure"),
]
FORM = {"event": "Cohort Member"}


@pytest.fixture
def track():
    return SegmentTrack(settings())


@pytest.fixture
def plan(track):
    return make_plan(track, FIELDS, FORM)


def test_each_row_becomes_one_track_event_named_in_the_form(track, plan):
    cells = {"users.id": "u1", "users.email": None, "users.plan": "pro"}
    message = track.map_row(plan, 1, row({**cells, "sessions.count": 3}))

    assert message["type"] == "track"
    assert message["event"] == "Cohort Member"
    assert message["userId"] == "u1"
    assert message["properties"] == {"plan": "pro", "sessions_count": 3}
    assert "traits" not in message
    assert "anonymousId" not in message
    assert message["messageId"].startswith("looker-")


def test_the_rows_email_is_sent_as_the_email_property(track, plan):
    cells = {"users.id": "u1", "users.email": "ann@example.com", "users.plan": "pro"}
    message = track.map_row(plan, 1, row(cells))

    assert message["properties"]["email"] == "ann@example.com"
    assert message["userId"] == "u1"


def test_a_row_with_only_an_email_is_tracked_under_an_anonymous_id_from_it(track, plan):
    cells = {"users.id": None, "users.email": "Ann@Example.com", "users.plan": "pro"}
    message = track.map_row(plan, 1, row(cells))

    assert "userId" not in message
    assert message["anonymousId"] == anonymous_id_for_email("ann@example.com")
    assert message["properties"]["email"] == "Ann@Example.com"


def test_a_row_without_user_id_or_email_is_skipped_as_having_no_identifier(track, plan):
    cells = {"users.id": "", "users.email": None, "users.plan": "pro"}
    assert track.map_row(plan, 1, row(cells)) is NO_IDENTIFIER


@pytest.mark.parametrize("blank", [{}, {"event": ""}, {"event": "   "}])
def test_blank_event_name_is_a_form_error(track, blank):
    request_form = {"user_id_column": "users.id", **blank}
    with pytest.raises(SetupError) as error:
        make_plan(track, FIELDS, request_form)

    assert error.value.field == "event"
    assert "event name" in error.value.message


def test_blank_event_name_refuses_the_run_before_anything_is_read(track):
    with pytest.raises(SetupError) as error:
        track.start(request({"event": ""}))
    assert error.value.field == "event"


def test_event_name_is_trimmed(track):
    plan = make_plan(track, FIELDS, {"event": "  Order Completed "})
    message = track.map_row(plan, 1, row({"users.id": "u1"}))
    assert message["event"] == "Order Completed"


def test_form_asks_for_a_required_event_name_and_speaks_of_properties(track):
    fields = track.form({"segment_write_key": "k"}, {})["fields"]
    by_name = {f["name"]: f for f in fields}

    assert by_name["event"]["required"] is True
    assert by_name["event"]["type"] == "text"
    assert "user_id_column" in by_name
    assert by_name["trait_names"]["label"] == "Property names"
    assert "every property name" in by_name["trait_prefix"]["description"]


def test_track_is_listed_with_its_own_name_and_label(track):
    definition = track.definition("http://127.0.0.1:1", None)

    assert definition["name"] == "segment_track"
    assert definition["label"] == "Send to Segment as Track events"
    assert definition["url"] == "http://127.0.0.1:1/actions/segment_track/execute"


def test_a_whole_look_is_reported_as_track_calls():
    rows = [
        row({"users.id": "u1", "users.email": "a@example.com", "users.plan": "pro"}),
        row({"users.id": None, "users.email": None, "users.plan": "free"}),
    ]
    looker, messages = run_look(SegmentTrack, FIELDS[:3], rows, FORM)

    assert [m["event"] for m in messages] == ["Cohort Member"]
    assert looker["success"] is True
    assert looker["message"].startswith("Sent 1 of 2 rows to Segment as Track calls.")
    assert "1 row (no user ID, anonymous ID or email)" in looker["message"]
