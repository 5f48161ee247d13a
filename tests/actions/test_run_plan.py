import pytest

from action_hub.errors import SetupError
from action_hub.results import Field, Pivot
from actions.run_plan import (
    EMAIL,
    USER_ID,
    assign_names,
    find_identifier,
    plan_trait_columns,
    resolve_column,
    snake_case,
)


def field(name, label, short=None, kind="dimension", type_="string", tags=()):
    return Field(name, label, short or label, kind, type_, tuple(tags))


FIELDS = [
    field("users.id", "Users ID", "ID", tags=["user_id"]),
    field("users.email", "Users Email", "Email", tags=["email"]),
    field("sessions.count", "Sessions Sessions Count", "Sessions Count", "measure"),
    field(
        "users.created_date", "Users Created Date", "Created Date", type_="date_date"
    ),
    field(
        "orders.created_date", "Orders Created Date", "Created Date", type_="date_date"
    ),
]


@pytest.mark.parametrize(
    "reference", ["users.id", "USERS.ID", " Users ID ", "users id", "id", "ID"]
)
def test_column_is_found_by_field_name_label_or_short_label(reference):
    assert resolve_column(FIELDS, reference, USER_ID).name == "users.id"


def test_missing_column_error_lists_the_looks_columns_by_field_name():
    with pytest.raises(SetupError) as error:
        resolve_column(FIELDS, "users.ident", USER_ID)
    message = error.value.message
    assert '"users.ident"' in message
    assert "users.id, users.email, sessions.count" in message
    assert "user_id" in message
    assert error.value.field == "user_id_column"


def test_ambiguous_short_label_names_the_candidates():
    with pytest.raises(SetupError, match="users.created_date, orders.created_date"):
        resolve_column(FIELDS, "Created Date", USER_ID)


def test_blank_setting_falls_back_to_the_lookml_tag():
    assert find_identifier(FIELDS, {}, EMAIL).name == "users.email"
    assert find_identifier(FIELDS, {"email_column": ""}, EMAIL).name == "users.email"


def test_no_tag_and_no_setting_means_no_column():
    untagged = [field("users.id", "Users ID")]
    assert find_identifier(untagged, {}, USER_ID) is None


def test_two_tagged_columns_must_be_disambiguated_in_the_form():
    doubled = FIELDS + [field("accounts.id", "Accounts ID", tags=["user_id"])]
    with pytest.raises(SetupError, match="users.id, accounts.id"):
        find_identifier(doubled, {}, USER_ID)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Sessions Count", "sessions_count"),
        ("users.created_date", "users_created_date"),
        ("  LTV (90 days) ", "ltv_90_days"),
        ("Sign-ups: 7d", "sign_ups_7d"),
    ],
)
def test_snake_case(text, expected):
    assert snake_case(text) == expected


def names(style, prefix="", excluded=("users.id", "users.email")):
    columns = plan_trait_columns(FIELDS, [], None, set(excluded), style, prefix)
    return {c.field: c.name for c in columns}


def test_short_label_style_is_snake_case_and_clashes_fall_back_to_full_labels():
    assert names("short_label") == {
        "sessions.count": "sessions_count",
        "users.created_date": "users_created_date",
        "orders.created_date": "orders_created_date",
    }


def test_field_name_style_uses_field_names():
    assert names("field_name")["sessions.count"] == "sessions.count"


def test_label_style_uses_the_label_as_shown():
    assert names("label")["sessions.count"] == "Sessions Sessions Count"


def test_prefix_goes_before_every_trait_name():
    assert set(names("short_label", "looker_").values()) == {
        "looker_sessions_count",
        "looker_users_created_date",
        "looker_orders_created_date",
    }


def test_excluded_columns_are_not_traits():
    assert "users.created_date" not in names(
        "short_label", excluded={"users.created_date"}
    )


def test_a_trait_that_would_be_called_email_moves_aside():
    other = [field("contacts.email", "Contacts Email", "Email")]
    columns = plan_trait_columns(other, [], None, set(), "short_label")
    assert columns[0].name == "contacts_email"


def test_assign_names_moves_every_clashing_column_together():
    assert assign_names([["a", "x.a"], ["a", "y.a"], ["b"]]) == ["x.a", "y.a", "b"]


def test_assign_names_adds_a_suffix_when_candidates_run_out():
    assert assign_names([["a"], ["a"]]) == ["a", "a_2"]


def test_pivoted_measure_becomes_one_trait_per_pivot_value():
    pivots = [Pivot("2024-01", "2024-01", False), Pivot("2024-02", "2024-02", False)]
    first_row = {"sessions.count": {"2024-01": {"value": 1}, "2024-02": {"value": 2}}}
    columns = plan_trait_columns(FIELDS[2:3], pivots, first_row, set(), "short_label")
    assert [(c.pivot_key, c.name) for c in columns] == [
        ("2024-01", "sessions_count_2024_01"),
        ("2024-02", "sessions_count_2024_02"),
    ]


def test_date_fields_are_marked_for_iso_conversion():
    columns = plan_trait_columns(FIELDS, [], None, set(), "short_label")
    assert {c.field for c in columns if c.is_date} == {
        "users.created_date",
        "orders.created_date",
    }


@pytest.mark.parametrize(
    "label, expected",
    [
        ("Количество", "количество"),
        ("Café Visits", "café_visits"),
        ("東京 Sales", "東京_sales"),
    ],
)
def test_trait_names_keep_letters_of_any_script(label, expected):
    columns = plan_trait_columns([field("v.x", label)], [], None, set(), "short_label")
    assert columns[0].name == expected


def test_a_label_of_only_symbols_falls_back_to_the_field_name():
    columns = plan_trait_columns([field("v.x", "🙂 ✓")], [], None, set(), "short_label")
    assert columns[0].name == "v_x"


def test_measures_of_a_pivoted_look_are_pivoted_even_when_the_first_row_is_empty():
    pivots = [Pivot("a", "a", False)]
    columns = plan_trait_columns(
        FIELDS[2:3], pivots, {"sessions.count": None}, set(), "short_label"
    )
    assert [c.pivot_key for c in columns] == ["a"]


def test_a_pivot_key_called_value_is_still_a_pivot():
    pivots = [Pivot("value", "value", False)]
    calc = field("calc", "Calc", kind="table_calculation")
    first_row = {"calc": {"value": {"value": 1}}}
    columns = plan_trait_columns([calc], pivots, first_row, set(), "short_label")
    assert [c.pivot_key for c in columns] == ["value"]
