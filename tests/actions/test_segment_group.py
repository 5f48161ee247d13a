import pytest

from action_hub.errors import SetupError
from actions.mapping import NO_IDENTIFIER, anonymous_id_for_email
from actions.segment_group import NO_GROUP_ID, SegmentGroup
from tests.actions.call_plans import field, make_plan, row, run_look, settings

FIELDS = [
    field("accounts.id", "Accounts ID", "Account ID", tags=["segment_group_id"]),
    field("accounts.name", "Accounts Name", "Account Name"),
    field("users.id", "Users ID", "User ID", tags=["user_id"]),
    field("users.email", "Users Email", "Email", tags=["email"]),
    field("accounts.seats", "Accounts Seats", "Seats", "measure"),
]


@pytest.fixture
def group():
    return SegmentGroup(settings())


@pytest.fixture
def plan(group):
    return make_plan(group, FIELDS, {})


def account_row(account_id="acc-1", user_id="u1", email="ann@example.com"):
    return row(
        {
            "accounts.id": account_id,
            "accounts.name": "Acme",
            "users.id": user_id,
            "users.email": email,
            "accounts.seats": 12,
        }
    )


def test_each_row_ties_its_user_to_the_group_in_one_group_call(group, plan):
    message = group.map_row(plan, 1, account_row())

    assert message["type"] == "group"
    assert message["groupId"] == "acc-1"
    assert message["userId"] == "u1"
    assert message["traits"] == {"account_name": "Acme", "seats": 12}


def test_group_id_and_user_identifier_columns_are_not_group_traits(group, plan):
    traits = group.map_row(plan, 1, account_row())["traits"]

    assert "account_id" not in traits
    assert "user_id" not in traits
    assert "email" not in traits


@pytest.mark.parametrize("value, expected", [(42, "42"), (42.0, "42"), (0, "0")])
def test_group_ids_are_sent_as_strings(group, plan, value, expected):
    assert group.map_row(plan, 1, account_row(account_id=value))["groupId"] == expected


def test_a_row_with_only_an_email_joins_under_an_anonymous_id_from_it(group, plan):
    message = group.map_row(plan, 1, account_row(user_id=None))

    assert "userId" not in message
    assert message["anonymousId"] == anonymous_id_for_email("ann@example.com")


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_a_row_without_a_group_id_is_skipped_with_its_own_reason(group, plan, blank):
    skipped = group.map_row(plan, 1, account_row(account_id=blank))

    assert skipped is NO_GROUP_ID
    assert skipped.slug == "no_group_id"
    assert skipped.text == "no group ID"


def test_a_row_without_user_id_or_email_is_skipped_as_having_no_identifier(group, plan):
    skipped = group.map_row(plan, 1, account_row(user_id=None, email=None))
    assert skipped is NO_IDENTIFIER


def test_group_id_column_named_in_the_form_wins_over_the_tag(group):
    plan = make_plan(group, FIELDS, {"group_id_column": "Account Name"})
    message = group.map_row(plan, 1, account_row())

    assert message["groupId"] == "Acme"
    assert message["traits"] == {"account_id": "acc-1", "seats": 12}


def test_a_look_without_a_group_id_column_is_a_form_error_saying_how_to_add_one(
    group,
):
    untagged = [f for f in FIELDS if f.name != "accounts.id"]
    with pytest.raises(SetupError) as error:
        make_plan(group, untagged, {})

    assert error.value.field == "group_id_column"
    assert "Group ID column" in error.value.message
    assert "segment_group_id" in error.value.message


def test_a_group_id_column_not_in_the_look_is_a_form_error(group):
    with pytest.raises(SetupError) as error:
        make_plan(group, FIELDS, {"group_id_column": "companies.id"})
    assert error.value.field == "group_id_column"
    assert "companies.id" in error.value.message


def test_form_offers_a_group_id_column_field(group):
    fields = group.form({"segment_write_key": "k"}, {})["fields"]
    by_name = {f["name"]: f for f in fields}

    assert by_name["group_id_column"]["type"] == "text"
    assert by_name["group_id_column"]["required"] is False
    assert "segment_group_id" in by_name["group_id_column"]["description"]


def test_rows_without_a_group_id_are_counted_apart_in_the_run_report():
    rows = [account_row(), account_row(account_id=None), account_row(account_id="")]
    looker, messages = run_look(SegmentGroup, FIELDS[:4], rows, {})

    assert [m["groupId"] for m in messages] == ["acc-1"]
    assert looker["message"] == (
        "Sent 1 of 3 rows to Segment as Group calls. Skipped 2 rows (no group ID)."
    )
