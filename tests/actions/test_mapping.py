from decimal import Decimal

import pytest

from actions.mapping import (
    EMPTY,
    anonymous_id_for_email,
    as_identifier,
    build_traits,
    cell_value,
    identify_row,
    iso_timestamp,
    message_id,
    trait_value,
)
from actions.run_plan import TraitColumn


@pytest.mark.parametrize(
    "value, expected",
    [
        (42, "42"),
        (0, "0"),
        (42.0, "42"),
        (4.5, "4.5"),
        ("abc", "abc"),
        ("", None),
        ("   ", None),
        ("  u9 ", "u9"),
        (None, None),
        (True, "true"),
        ({"x": 1}, None),
    ],
)
def test_identifiers_are_strings_and_zero_is_an_identifier(value, expected):
    assert as_identifier(value) == expected


@pytest.mark.parametrize(
    "value, is_date, expected",
    [
        (0, False, 0),
        (12.5, False, 12.5),
        (10**20, False, 10**20),
        ("Yes", False, "Yes"),
        (True, False, "true"),
        (None, False, EMPTY),
        ("", False, EMPTY),
        ("2024-03-05 14:22:01", True, "2024-03-05T14:22:01"),
        ("2024-03-05 14:22", True, "2024-03-05T14:22"),
        ("2024-03-05", True, "2024-03-05"),
        ("2024-01", True, "2024-01"),
        (2024, True, "2024"),
        ("2024-03-05 14:22:01", False, "2024-03-05 14:22:01"),
        ([1, 2], False, "[1, 2]"),
    ],
)
def test_trait_values(value, is_date, expected):
    assert trait_value(value, is_date) == expected


def test_empty_cells_are_omitted_or_sent_as_null():
    columns = (TraitColumn("a", None, "a", False), TraitColumn("b", None, "b", False))
    row = {"a": {"value": None}, "b": {"value": 0}}
    assert build_traits(columns, row, empty_as_null=False) == {"b": 0}
    assert build_traits(columns, row, empty_as_null=True) == {"a": None, "b": 0}


def test_pivoted_cells_are_reached_by_pivot_key():
    row = {"m": {"2024-01": {"value": 3}, "2024-02": {"value": None}}}
    assert cell_value(row, "m", "2024-01") == 3
    assert cell_value(row, "m", "2024-02") is None
    assert cell_value(row, "m", "missing") is None
    assert cell_value(row, "absent") is None


def test_email_only_row_gets_a_stable_anonymous_id():
    row = {"e": {"value": " Lee.Anon@Example.com "}}
    user_id, anonymous_id, email = identify_row(row, "u", None, "e")
    assert user_id is None
    assert anonymous_id == anonymous_id_for_email("lee.anon@example.com")
    assert email == "Lee.Anon@Example.com"


def test_row_with_user_id_keeps_no_derived_anonymous_id():
    row = {"u": {"value": 7}, "e": {"value": "a@example.com"}}
    assert identify_row(row, "u", None, "e") == ("7", None, "a@example.com")


def test_row_with_nothing_has_no_identifiers():
    assert identify_row({"u": {"value": None}}, "u", None, None) == (None, None, None)


def test_message_id_is_stable_and_distinct_per_position_and_content():
    content = '{"userId": "1"}'
    first = message_id("webhook:abc", 1, content)
    assert first == message_id("webhook:abc", 1, '{"userId": "1"}')
    assert first != message_id("webhook:abc", 2, content)
    assert first != message_id("webhook:abc", 1, '{"userId": "2"}')
    assert first != message_id("webhook:xyz", 1, content)
    assert len(first) <= 100


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-30T08:00:00+00:00", "2026-11-30T08:00:00+00:00"),
        ("2024-05-01 10:00:00", "2024-05-01T10:00:00"),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_ran_at_is_used_only_when_it_is_a_date_and_time(text, expected):
    assert iso_timestamp(text) == expected


def test_numbers_beyond_a_float_become_text():
    from decimal import Decimal

    assert trait_value(Decimal("2.5"), False) == 2.5
    assert trait_value(Decimal("1E+400"), False) == "1E+400"


@pytest.mark.parametrize("text", ["1e5000", "1e1000000", "-2.5e5000"])
def test_a_number_too_large_for_a_float_identifies_by_its_text(text):
    assert as_identifier(Decimal(text)) == str(Decimal(text))
