from collections import Counter

import pytest

from action_hub.errors import SetupError
from action_hub.report import Reason
from actions.destinations import (
    REQUIREMENTS,
    all_destinations,
    check_columns,
    column_field_to_fill,
    destination_choices,
    destination_for,
    destination_form,
    extra_notes,
    gap_choice,
    gap_notes,
    parse_destinations,
    row_gap,
)

HEADER = "destination,catalog_slug,requires,extra,note\n"


def test_the_table_ships_with_the_package_and_every_kind_is_known():
    destinations = all_destinations()

    assert len(destinations) > 50
    assert {d.requires for d in destinations} == set(REQUIREMENTS)
    assert destination_for("klaviyo").requires == "email"
    assert destination_for("actions-mixpanel").name == "Mixpanel"


def test_destinations_without_a_catalog_slug_get_a_key_from_their_name():
    assert destination_for("drift").name == "Drift"
    assert destination_for("outbound").slug == ""


def test_destination_choices_start_with_no_destination_then_list_by_name():
    choices = destination_choices()

    assert choices[0]["name"] == "none"
    assert {"name": "klaviyo", "label": "Klaviyo"} in choices
    assert {"name": "customer-io", "label": "Customer.io"} in choices
    labels = [c["label"].casefold() for c in choices[1:]]
    assert labels == sorted(labels)
    assert len({c["name"] for c in choices}) == len(choices)


def test_destination_form_has_a_destination_select_and_a_gap_choice_to_send():
    destination, gaps = destination_form()

    assert destination["name"] == "destination"
    assert destination["type"] == "select"
    assert destination["default"] == "none"
    assert destination["options"] == destination_choices()
    assert gaps["name"] == "destination_gaps"
    assert gaps["default"] == "send"
    assert [o["name"] for o in gaps["options"]] == ["send", "skip"]


@pytest.mark.parametrize("blank", ["", "  ", "none", None])
def test_no_destination_means_no_checks(blank):
    assert destination_for(blank) is None


def test_an_unknown_destination_is_a_form_error_on_the_destination_field():
    with pytest.raises(SetupError) as error:
        destination_for("not-a-destination")
    assert error.value.field == "destination"
    assert '"not-a-destination"' in error.value.message


@pytest.mark.parametrize(
    "form, expected",
    [
        ({}, "send"),
        ({"destination_gaps": ""}, "send"),
        ({"destination_gaps": "skip"}, "skip"),
    ],
)
def test_rows_a_destination_cannot_use_are_sent_unless_skip_is_chosen(form, expected):
    assert gap_choice(form) == expected


def test_an_unknown_gap_choice_is_a_form_error():
    with pytest.raises(SetupError) as error:
        gap_choice({"destination_gaps": "drop"})
    assert error.value.field == "destination_gaps"


# Readiness before sending: (destination key, has user ID, has email, has
# anonymous ID column) -> the column setting to fill, or None when ready.
READINESS = [
    ("amplitude", True, False, False, None),
    ("amplitude", False, True, True, "user_id_column"),
    ("klaviyo", False, True, False, None),
    ("klaviyo", True, False, True, "email_column"),
    ("customer-io", True, True, False, None),
    ("customer-io", True, False, False, "email_column"),
    ("customer-io", False, True, False, "user_id_column"),
    ("intercom", False, True, False, None),
    ("intercom", True, False, False, None),
    ("intercom", False, False, True, "user_id_column"),
    ("amazon-kinesis", False, False, True, None),
    ("amazon-kinesis", False, True, False, None),
    ("amazon-kinesis", False, False, False, "user_id_column"),
    ("salesmachine", False, False, False, None),
]


@pytest.mark.parametrize("key, user_id, email, anonymous_id, to_fill", READINESS)
def test_readiness_check_names_the_column_setting_to_fill(
    key, user_id, email, anonymous_id, to_fill
):
    destination = destination_for(key)
    message = check_columns(destination, user_id, email, anonymous_id)

    assert column_field_to_fill(destination, user_id, email, anonymous_id) == to_fill
    if to_fill is None:
        assert message is None
    else:
        assert destination.name in message
        setting = "User ID column" if to_fill == "user_id_column" else "Email column"
        assert setting in message


def test_missing_email_column_message_says_what_to_enter_or_tag():
    message = check_columns(destination_for("klaviyo"), True, False, False)
    assert message.startswith(
        "Klaviyo needs an email on every call, but this Look has no email column. "
        "Enter the Email column in the form, or tag a dimension email in LookML."
    )


def test_a_destination_needing_both_names_both_missing_columns():
    message = check_columns(destination_for("customer-io"), False, False, True)
    assert "no user ID column and no email column" in message
    assert "the User ID column and the Email column" in message


DERIVED = "0b4e0c5e-derived-from-email"


@pytest.mark.parametrize(
    "key, user_id, anonymous_id, email, gap",
    [
        ("amplitude", "u1", None, None, None),
        ("amplitude", None, DERIVED, "a@example.com", "gap_no_user_id"),
        ("amplitude", None, "anon-1", None, "gap_no_user_id"),
        ("klaviyo", None, DERIVED, "a@example.com", None),
        ("klaviyo", "u1", None, None, "gap_no_email"),
        ("customer-io", "u1", None, "a@example.com", None),
        ("customer-io", "u1", None, None, "gap_no_email"),
        ("customer-io", None, DERIVED, "a@example.com", "gap_no_user_id"),
        ("customer-io", None, "anon-1", None, "gap_no_user_id_and_email"),
        ("intercom", None, DERIVED, "a@example.com", None),
        ("intercom", "u1", None, None, None),
        ("intercom", None, "anon-1", None, "gap_no_email_or_user_id"),
        ("amazon-kinesis", None, "anon-1", None, None),
        ("amazon-kinesis", None, DERIVED, "a@example.com", None),
        ("amazon-kinesis", None, None, None, "gap_no_user_id_or_anonymous_id"),
        ("salesmachine", None, None, None, None),
    ],
)
def test_row_gap_says_which_identifier_the_row_lacks(
    key, user_id, anonymous_id, email, gap
):
    found = row_gap(destination_for(key), user_id, anonymous_id, email)
    assert (found.slug if found else None) == gap


def test_row_gap_reasons_read_as_report_clauses():
    klaviyo, intercom = destination_for("klaviyo"), destination_for("intercom")

    assert row_gap(klaviyo, "u1", None, None) == Reason(
        "gap_no_email", "no email, which Klaviyo requires"
    )
    assert row_gap(intercom, None, "a", None).text == (
        "no user ID or email, one of which Intercom requires"
    )


def test_gap_notes_count_rows_sent_anyway():
    klaviyo, amplitude = destination_for("klaviyo"), destination_for("amplitude")
    gaps = Counter({row_gap(klaviyo, "u", None, None): 3})
    gaps[row_gap(amplitude, None, "a", None)] += 1

    assert gap_notes(gaps) == [
        "3 rows were sent anyway with no email, which Klaviyo requires.",
        "1 row was sent anyway with no user ID, which Amplitude requires.",
    ]


def test_extra_needs_are_noted_unless_the_run_meets_them():
    salesmachine = destination_for("salesmachine")

    assert extra_notes(salesmachine, {"account_uid", "plan"}) == []
    (note,) = extra_notes(salesmachine, {"plan"})
    assert "account_uid" in note
    (totango,) = extra_notes(destination_for("totango"), {"plan"})
    assert "context.groupId" in totango
    assert extra_notes(destination_for("klaviyo"), set()) == []


def test_an_unknown_requirement_in_the_table_is_refused_with_its_line():
    with pytest.raises(ValueError, match="line 3"):
        parse_destinations(HEADER + "A,a,user_id,,\nB,b,phone,,\n")


def test_two_destinations_with_the_same_key_are_refused():
    with pytest.raises(ValueError, match="'same'"):
        parse_destinations(HEADER + "Same,,user_id,,\nOther,same,email,,\n")
