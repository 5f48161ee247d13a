from actions.mapping import anonymous_id_for_email
from actions.segment_identify import SegmentIdentify
from tests.actions.call_plans import field, make_plan, row, settings

FIELDS = [
    field("users.id", "Users ID", "ID", tags=["user_id"]),
    field("users.email", "Users Email", "Email", tags=["email"]),
    field("users.plan", "Users Plan", "Plan"),
]


def identify(values, form=None):
    action = SegmentIdentify(settings())
    plan = make_plan(action, FIELDS, form or {})
    return action.map_row(plan, 1, row(values))


def test_row_becomes_an_identify_call_with_email_among_the_traits():
    message = identify(
        {"users.id": 7, "users.email": "a@example.com", "users.plan": "pro"}
    )
    assert message["type"] == "identify"
    assert message["userId"] == "7"
    assert message["traits"] == {"plan": "pro", "email": "a@example.com"}
    assert message["messageId"].startswith("looker-")


def test_email_is_not_prefixed_but_other_traits_are():
    message = identify(
        {"users.id": 7, "users.email": "a@example.com", "users.plan": "pro"},
        {"trait_prefix": "lk_"},
    )
    assert message["traits"] == {"lk_plan": "pro", "email": "a@example.com"}


def test_email_only_row_is_identified_by_its_derived_anonymous_id():
    message = identify({"users.id": None, "users.email": "A@Example.com "})
    assert "userId" not in message
    assert message["anonymousId"] == anonymous_id_for_email("a@example.com")


def test_ran_at_in_lookers_sql_style_becomes_an_iso_timestamp():
    message = identify({"users.id": "u1"})
    assert message["timestamp"] == "2024-05-01T10:00:00"


def test_a_row_that_is_not_an_object_is_skipped_with_its_own_reason():
    action = SegmentIdentify(settings())
    plan = make_plan(action, FIELDS, {})
    assert action.map_row(plan, 1, None).slug == "not_a_row"


def test_identifiers_and_email_are_trimmed():
    message = identify({"users.id": " u9 ", "users.email": " A@B.com "})
    assert message["userId"] == "u9"
    assert message["traits"]["email"] == "A@B.com"
