"""The row reader against arbitrary documents, split into chunks anywhere."""

import itertools
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from action_hub import results
from action_hub.errors import SourceError
from action_hub.results import ResultReader, ResultSource

FIELDS = {"dimensions": [{"name": "users.id", "label": "Users ID"}]}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
rows = st.lists(
    st.dictionaries(
        st.text(max_size=8), st.fixed_dictionaries({"value": values}), max_size=4
    )
    | values,
    max_size=6,
)


def split(raw, cuts):
    """`raw` cut at the given offsets (bytes, so UTF-8 characters may be split)."""
    edges = sorted({0, len(raw), *(cut % (len(raw) + 1) for cut in cuts)})
    return [raw[start:end] for start, end in itertools.pairwise(edges)]


@settings(max_examples=300, deadline=None)
@given(rows, st.lists(st.integers(min_value=0), max_size=40), st.booleans())
def test_any_rows_split_anywhere_come_out_as_json_reads_them(data, cuts, indent):
    document = {"fields": FIELDS, "data": data, "ran_at": "2026-01-01"}
    text = json.dumps(document, indent=2 if indent else None, ensure_ascii=False)
    raw = text.encode("utf-8")
    streamed = ResultReader(ResultSource(lambda: iter(split(raw, cuts))))
    assert list(streamed.rows()) == json.loads(text)["data"]
    assert streamed.finished
    whole = ResultReader(ResultSource(lambda: iter([raw]), text))
    assert list(whole.rows()) == json.loads(text)["data"]
    assert whole.header.ran_at == "2026-01-01"


def rows_after(start, most_chunks):
    """`start`, then 64 KB chunks of rows; fail the test past `most_chunks` of them."""
    yield start
    row = b',{"users.id": {"value": "u"}}'
    chunk = row * (64 * 1024 // len(row))
    for served in itertools.count():
        assert served < most_chunks, "the reader kept reading after the document broke"
        yield chunk


def test_a_broken_row_stops_the_reading_there():
    # A break near the end of what has arrived may be a value cut by the
    # chunking, so the reader may read ahead once (256 KB), but not on.
    start = b'{"fields": {}, "data": [{"a": {"value": 1}}, {"a": {"value": tru} }'
    reader = ResultReader(ResultSource(lambda: rows_after(start, most_chunks=8)))
    with pytest.raises(SourceError, match="after 1 rows"):
        list(reader.rows())


@pytest.mark.parametrize(
    "text",
    [
        '{"fields": {}, "data": [{"a": NaN}]}',
        '{"fields": {}, "data": [{"a": 1}] } trailing',
        '{"fields": {}, "data": [{"a": 1},]}',
        '{"fields": {}, "data": [{"a": 1}',
        '{"fields": {} "data": []}',
    ],
)
def test_documents_that_are_not_json_are_refused(text):
    for whole in (None, text):
        source = ResultSource(lambda: iter([text.encode()]), whole)
        with pytest.raises(SourceError, match="not valid JSON"):
            list(ResultReader(source).rows())


@pytest.mark.parametrize("text", ['[{"a": 1}]', '"data"', "null"])
def test_a_document_that_is_not_an_object_is_named_as_such(text):
    with pytest.raises(SourceError, match="not a Looker result"):
        ResultReader(ResultSource(lambda: iter([text.encode()])))


def test_a_row_nested_deeper_than_the_decoder_recurses_is_still_read():
    deep = "[" * 5000 + "1" + "]" * 5000
    text = '{"fields": {}, "data": [{"a": {"value": %s}}, {"b": 2}]}' % deep
    raw = text.encode()
    reader = ResultReader(ResultSource(lambda: iter(split(raw, range(0, 20000, 999)))))
    first, second = reader.rows()
    value = first["a"]["value"]
    for _ in range(4999):
        value = value[0]
    assert value == [1]
    assert second == {"b": 2}


def test_pivots_written_after_the_rows_of_a_pushed_document_are_found():
    text = json.dumps(
        {"fields": FIELDS, "data": [{"a": 1}], "pivots": [{"key": "2026-10"}]}
    )
    reader = ResultReader(ResultSource(lambda: iter([text.encode()]), text))
    assert [pivot.key for pivot in reader.header.pivots] == ["2026-10"]


def test_a_number_cut_by_a_chunk_is_read_whole():
    text = json.dumps(
        {"fields": FIELDS, "data": [-1.5e-07, {"a": 2.5}, 1e21], "t": 0.284465}
    )
    raw = text.encode()
    for cut in range(len(raw)):
        pieces = [raw[:cut], raw[cut:]]
        reader = ResultReader(ResultSource(lambda pieces=pieces: iter(pieces)))
        assert list(reader.rows()) == [-1.5e-07, {"a": 2.5}, 1e21], cut
        assert reader.finished


def test_a_number_beyond_a_double_is_kept_exact():
    text = '{"fields": {}, "data": [{"a": {"value": 1.5e400}}, {"a": 2.5}]}'
    for whole in (None, text):
        source = ResultSource(lambda: iter([text.encode()]), whole)
        first, second = ResultReader(source).rows()
        assert first["a"]["value"] == Decimal("1.5e400")
        assert second == {"a": 2.5}


def test_invalid_utf8_breaks_the_document_at_its_row():
    row = b'{"users.id": {"value": "u"}},'
    raw = b'{"fields": {}, "data": [' + row * 5000 + b'{"a": "\xff"}]}'
    chunks = [raw[i : i + 1024] for i in range(0, len(raw), 1024)]
    reader = ResultReader(ResultSource(lambda: iter(chunks)))
    read = []
    with pytest.raises(SourceError, match="after 5,000 rows"):
        read.extend(reader.rows())
    assert len(read) == 5000


def test_a_broken_deep_row_is_not_read_past_the_value_limit(monkeypatch):
    monkeypatch.setattr(results, "MAX_VALUE_CHARS", 1024 * 1024)
    # Too deep for the C decoder, and a stray quote: no end can be found.
    start = b'{"fields": {}, "data": [' + b"[" * 3000 + b'"a" "'
    source = ResultSource(lambda: rows_after(start, most_chunks=24))
    with pytest.raises(SourceError, match="more than 1 MB"):
        list(ResultReader(source).rows())


def test_a_lone_surrogate_where_text_is_re_encoded_is_refused_in_words():
    # json.loads of the request body turns an escaped \ud800 into a lone
    # surrogate, which UTF-8 cannot encode; the deep-row fallback and the
    # second look for fields both encode the text again.
    deep = "[" * 3000 + '"\ud800"' + "]" * 3000
    rows = ", ".join(['{"a": "\ud800"}'] * 8000)
    cases = [
        ('{"fields": {}, "data": [{"a": %s}]}' % deep, "not valid JSON"),
        ('{"data": [%s], "fields": {}}' % rows, "no fields"),
    ]
    for text, refusal in cases:
        with pytest.raises(SourceError, match=refusal):
            list(ResultReader(ResultSource(lambda: iter([]), text)).rows())


@pytest.mark.parametrize("text", ["", "  \n", '{"fields": {}, "data": [1]'])
def test_an_empty_or_unfinished_document_is_not_valid_json(text):
    with pytest.raises(SourceError, match="not valid JSON"):
        list(ResultReader(ResultSource(lambda: iter([text.encode()]))).rows())


def test_a_byte_order_mark_is_allowed():
    raw = '\ufeff{"fields": {}, "data": [{"a": 1}]}'.encode()
    assert list(ResultReader(ResultSource(lambda: iter([raw]))).rows()) == [{"a": 1}]


def test_a_huge_number_outside_the_rows_is_named_as_such():
    text = '{"fields": {}, "n": %s, "data": [{"a": 1}]}' % ("9" * 5000)
    with pytest.raises(SourceError, match="outside its rows, holds a number"):
        ResultReader(ResultSource(lambda: iter([text.encode()])))


def test_an_empty_chunk_inside_a_character_changes_nothing():
    raw = '{"fields": {}, "data": [{"a": "é"}, {"b": 1}]}'.encode()
    split_at = raw.index("é".encode()) + 1
    chunks = [raw[:split_at], b"", raw[split_at:]]
    reader = ResultReader(ResultSource(lambda: iter(chunks)))
    assert list(reader.rows()) == [{"a": "é"}, {"b": 1}]
    assert reader.finished


@pytest.mark.parametrize("tail", [b"\xff", b"\xc3", b"\n\xff\xfe garbage"])
def test_bytes_that_are_not_utf8_after_the_document_are_refused(tail):
    raw = b'{"fields": {}, "data": [{"a": 1}]}' + tail
    reader = ResultReader(ResultSource(lambda: iter([raw])))
    with pytest.raises(SourceError, match="not valid JSON"):
        list(reader.rows())
    assert not reader.finished


def test_a_document_that_broke_is_not_finished():
    raw = b'{"fields": {}, "data": [{"a": 1}, {"a": 2}, {"a": tru'
    reader = ResultReader(ResultSource(lambda: iter([raw])))
    with pytest.raises(SourceError, match="after 2 rows"):
        list(reader.rows())
    assert reader.rows_read == 2
    assert not reader.finished
