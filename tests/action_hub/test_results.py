import base64
import json

import pytest

from action_hub.errors import BadRequest, SourceError
from action_hub.results import (
    HEADER_LOOKAHEAD_CHARS,
    ResultReader,
    ResultSource,
    fields_from_json,
    pivots_from_json,
    top_level_tail_value,
)
from action_hub.sources import attachment_source
from tests.looks import load_look

FIELDS = {
    "dimensions": [
        {
            "name": "users.id",
            "label": "Users ID",
            "label_short": "ID",
            "tags": ["user_id"],
        }
    ],
    "measures": [{"name": "orders.count", "label": "Orders Count", "type": "count"}],
    "table_calculations": [{"name": "ltv_bucket", "label": "LTV Bucket"}],
}
ROWS = [
    {"users.id": {"value": f"u{i}"}, "orders.count": {"value": i}} for i in range(5)
]


def source(document, size, in_memory):
    raw = json.dumps(document).encode()
    chunks = lambda: (raw[i : i + size] for i in range(0, len(raw), size))  # noqa: E731
    return ResultSource(chunks, raw if in_memory else None)


def read_all(document, size=7, in_memory=True):
    reader = ResultReader(source(document, size, in_memory))
    return reader, list(reader.rows())


@pytest.mark.parametrize("size", [1, 7, 64 * 1024])
def test_rows_stream_across_any_chunk_boundaries(size):
    document = {"fields": FIELDS, "data": ROWS, "ran_at": "2026-01-01T00:00:00+00:00"}
    reader, rows = read_all(document, size)
    assert rows == ROWS
    assert [f.name for f in reader.header.fields] == [
        "users.id",
        "orders.count",
        "ltv_bucket",
    ]
    assert reader.rows_read == 5
    assert reader.finished


def test_ran_at_after_the_rows_is_found_in_a_pushed_document():
    document = {"fields": FIELDS, "data": ROWS, "ran_at": "2026-11-30T08:00:00+00:00"}
    reader, _ = read_all(document, in_memory=True)
    assert reader.header.ran_at == "2026-11-30T08:00:00+00:00"


@pytest.mark.parametrize(
    "text, found",
    [
        ('{"data": [], "ran_at": "T1"}', "T1"),
        ('{"data": [], "ran_at": "T1", "x": {"y": [1]}}', "T1"),
        ('{"data": [{"ran_at": "T9"}]}', None),
        ('{"data": [{"a": {"value": "ran_at"}}]}', None),
        ('{"data": [{"a": {"value": "\\"ran_at\\": \\"T9\\"}"}}]}', None),
        ('{"ran_at": "T1", "data": [{"ran_at": "T9"}]}', None),
    ],
)
def test_tail_lookup_only_accepts_the_top_level_key(text, found):
    assert top_level_tail_value(text, "ran_at") == found
    assert top_level_tail_value(text.encode(), "ran_at") == found


# More rows than the reader looks ahead through before settling the header.
MANY_ROWS = [
    {"users.id": {"value": f"u{i}"}, "orders.count": {"value": i}}
    for i in range(HEADER_LOOKAHEAD_CHARS // 40)
]


def test_ran_at_after_the_rows_of_a_short_stream_is_found():
    document = {"fields": FIELDS, "data": ROWS, "ran_at": "2026-11-30T08:00:00+00:00"}
    reader, rows = read_all(document, in_memory=False)
    assert reader.header.ran_at == "2026-11-30T08:00:00+00:00"
    assert rows == ROWS


def test_ran_at_after_the_rows_of_a_long_one_time_stream_is_unknown():
    document = {"fields": FIELDS, "data": MANY_ROWS, "ran_at": "2026-11-30"}
    reader, rows = read_all(document, size=4096, in_memory=False)
    assert reader.header.ran_at is None
    assert len(rows) == len(MANY_ROWS)


def test_fields_after_rows_are_read_from_a_second_pass_when_possible():
    document = {"data": MANY_ROWS, "fields": FIELDS}
    reader, rows = read_all(document, size=4096, in_memory=True)
    assert len(reader.header.fields) == 3
    assert rows == MANY_ROWS


def test_fields_after_rows_of_a_long_one_time_stream_is_a_clear_error():
    document = {"data": MANY_ROWS, "fields": FIELDS}
    with pytest.raises(SourceError, match="rows before its columns"):
        read_all(document, size=4096, in_memory=False)


def test_zero_rows_is_a_valid_document():
    reader, rows = read_all({"fields": FIELDS, "data": []})
    assert rows == []
    assert reader.rows_read == 0


def test_document_cut_mid_row_reports_rows_read_so_far():
    raw = json.dumps({"fields": FIELDS, "data": ROWS}).encode()
    cut = raw[: raw.index(b'"u3"')]
    reader = ResultReader(ResultSource(lambda: iter([cut])))
    rows = reader.rows()
    with pytest.raises(SourceError, match="after 3 rows") as error:
        list(rows)
    assert "u2" not in error.value.message


def test_pivots_are_listed_with_readable_labels():
    pivots = pivots_from_json(
        [
            {"key": "2024-01", "is_total": False},
            {"key": "Yes|FIELD|Female", "is_total": False},
            {"key": "$$$_row_total_$$$", "is_total": True},
        ]
    )
    assert [p.label for p in pivots] == ["2024-01", "Yes Female", "Row Total"]
    assert pivots[2].is_total


def test_table_calculation_without_short_label_uses_its_label():
    fields = fields_from_json(FIELDS)
    assert fields[2].label_short == "LTV Bucket"
    assert fields[2].kind == "table_calculation"


def test_lookers_json_detail_example_reads_its_fields_and_rows():
    document = load_look("json_detail_example.json")
    reader, rows = read_all(document, size=4096)
    names = [f.name for f in reader.header.fields]
    assert "orders.created_month" in names
    assert len(rows) == len(document["data"])
    assert reader.header.ran_at == "2017-07-28T02:25:19+00:00"


@pytest.mark.parametrize(
    "attachment",
    [
        {
            "mimetype": "application/json",
            "data": json.dumps({"fields": FIELDS, "data": ROWS}),
        },
        {"mimetype": "application/json", "data": {"fields": FIELDS, "data": ROWS}},
        {
            "mimetype": "application/json;base64",
            "data": base64.b64encode(
                json.dumps({"fields": FIELDS, "data": ROWS}).encode()
            ).decode(),
        },
        {
            "mimetype": "application/json; charset=utf-8;base64",
            "data": base64.b64encode(
                json.dumps({"fields": FIELDS, "data": ROWS}).encode()
            ).decode(),
        },
    ],
)
def test_attachment_data_is_read_in_every_form_looker_uses(attachment):
    reader = ResultReader(attachment_source(attachment))
    assert list(reader.rows()) == ROWS


def test_attachment_marked_base64_but_not_base64_is_a_bad_request():
    with pytest.raises(BadRequest, match="base64"):
        attachment_source({"mimetype": "application/json;base64", "data": "{not b64"})
