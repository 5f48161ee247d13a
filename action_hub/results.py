"""Reading Looker result documents (json_detail and json_detail_lite_stream).

A document arrives as a stream of byte chunks. Rows are parsed one at a time,
so memory does not grow with the number of rows. The header (fields, pivots,
ran_at) is read from the part of the document before the first row, where
Looker writes `fields`. A pushed document is also in memory whole, so header
keys written after the rows (Looker puts `ran_at` there) are found in it too.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import ijson
from ijson.backends import python as exact_ijson

from action_hub.errors import SourceError

ROW_TOTAL_KEY = "$$$_row_total_$$$"
_END = object()
# The part of a document before its first row is kept to read the header from;
# past this size the header is taken to be absent rather than kept growing.
HEADER_BYTES_LIMIT = 8 * 1024 * 1024
_HEADER_KEYS = ("fields", "pivots", "ran_at")
_FIELD_KINDS = (
    ("dimensions", "dimension"),
    ("measures", "measure"),
    ("table_calculations", "table_calculation"),
)


@dataclass(frozen=True)
class Field:
    """One column of a Look, as Looker describes it."""

    name: str
    label: str
    label_short: str
    kind: str
    type: str
    tags: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, raw, kind):
        """Build a Field from Looker's field object, tolerating missing keys."""
        name = str(raw.get("name") or "")
        label = str(raw.get("label") or raw.get("label_short") or name)
        tags = raw.get("tags") or ()
        if not isinstance(tags, (list, tuple)):
            tags = ()
        return cls(
            name=name,
            label=label,
            label_short=str(raw.get("label_short") or label),
            kind=kind,
            type=str(raw.get("type") or ""),
            tags=tuple(str(t).lower() for t in tags if isinstance(t, str)),
        )


@dataclass(frozen=True)
class Pivot:
    """One pivot column of a pivoted Look."""

    key: str
    label: str
    is_total: bool


@dataclass
class ResultHeader:
    """What the document says about itself apart from its rows."""

    fields: list[Field]
    pivots: list[Pivot]
    ran_at: str | None


@dataclass
class ResultSource:
    """A document as byte chunks, and as a whole when it is already in memory."""

    open_chunks: Callable[[], Iterable[bytes]]
    whole: bytes | str | None = None


def fields_from_json(raw):
    """List the columns of a document's `fields` object, in Looker's order."""
    if not isinstance(raw, dict):
        return []
    fields = []
    seen = set()
    for key, kind in _FIELD_KINDS:
        entries = raw.get(key) or []
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, dict) and entry.get("name"):
                field = Field.from_json(entry, kind)
                if field.name not in seen:
                    seen.add(field.name)
                    fields.append(field)
    return fields


def pivots_from_json(raw):
    """List the pivot columns of a document's top-level `pivots` array."""
    if not isinstance(raw, list):
        return []
    pivots = []
    for entry in raw:
        if not isinstance(entry, dict) or entry.get("key") is None:
            continue
        key = str(entry["key"])
        if key == ROW_TOTAL_KEY:
            label = "Row Total"
        else:
            label = key.replace("|FIELD|", " ")
        pivots.append(Pivot(key, label, bool(entry.get("is_total"))))
    return pivots


def top_level_tail_value(whole, key):
    """The value of a top-level key written near the end of a whole document.

    Looks at the last occurrence of "key" and accepts it only if everything
    from there to the end parses as the closing members of the top-level
    object; an occurrence inside a row or a string cannot, so it is never
    mistaken for the top-level key. Returns None when not found this way.
    """
    quoted = f'"{key}"'
    needle = quoted if isinstance(whole, str) else quoted.encode()
    position = whole.rfind(needle)
    if position < 0:
        return None
    opener = "{" if isinstance(whole, str) else b"{"
    try:
        tail = json.loads(opener + whole[position:])
    except (ValueError, RecursionError):
        return None
    return tail.get(key) if isinstance(tail, dict) else None


def _bad_json(rows_read, error=None):
    if error is not None and "overflow" in str(error):
        msg = (
            f"Row {rows_read + 1:,} of the result data holds a number too large to "
            "read exactly (beyond 64 bits). Send the Look without streaming, or "
            "cast that column to text in LookML."
        )
        return SourceError(msg)
    msg = (
        "The result data from Looker is not valid JSON "
        f"(it broke after {rows_read:,} rows)."
    )
    return SourceError(msg)


class _ChunkFile:
    """A read()-able view of a chunk iterator that can keep what it served."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self.kept = []
        self.kept_bytes = 0
        self.keeping = True

    def read(self, size=-1):
        if size == 0:
            return b""
        chunk = next(self._chunks, b"")
        if self.keeping and chunk:
            self.kept.append(chunk)
            self.kept_bytes += len(chunk)
            self.keeping = self.kept_bytes < HEADER_BYTES_LIMIT
        return chunk


def _header_in(prefix_chunks):
    """Header values that appear complete within the start of a document."""
    found = {key: ijson.sendable_list() for key in _HEADER_KEYS}
    coros = [ijson.items_coro(found[key], key, use_float=True) for key in _HEADER_KEYS]
    try:
        for chunk in prefix_chunks:
            if not chunk:
                continue
            for coro in coros:
                coro.send(chunk)
    except ijson.JSONError:
        # The row parser decides whether the document is broken; here only
        # what came complete before the problem counts.
        pass
    return {key: values[0] for key, values in found.items() if values}


class ResultReader:
    """Stream the rows of one result document, with its header known first."""

    def __init__(self, source: ResultSource):
        self.rows_read = 0
        self.finished = False
        self._source = source
        self._exact = False
        self._file = _ChunkFile(source.open_chunks())
        self._rows = ijson.items(self._file, "data.item", use_float=True)
        self._first = self._next_row()
        self.header = self._read_header()

    def _next_row(self):
        try:
            return next(self._rows)
        except StopIteration:
            self.finished = True
            return _END
        except ijson.JSONError as error:
            if self._can_read_exactly(error):
                return self._next_row()
            raise _bad_json(self.rows_read, error) from None

    def _can_read_exactly(self, error):
        """Switch to the exact (slower) parser for numbers beyond 64 bits.

        The fast parser cannot hold such numbers. A document that is in memory
        is read again from the start by the exact parser, skipping the rows
        already handed out; a one-time download cannot be.
        """
        if self._exact or self._source.whole is None or "overflow" not in str(error):
            return False
        self._exact = True
        rows = exact_ijson.items(
            _ChunkFile(self._source.open_chunks()), "data.item", use_float=False
        )
        for _ in range(self.rows_read):
            next(rows)
        self._rows = rows
        return True

    def _read_header(self):
        self._file.keeping = False
        found = _header_in(self._file.kept)
        self._file.kept = []

        whole = self._source.whole
        if whole is not None and not self.finished:
            if "ran_at" not in found:
                ran_at = top_level_tail_value(whole, "ran_at")
                if ran_at is not None:
                    found["ran_at"] = ran_at
            if "fields" not in found:
                found.update(self._scan_whole())
        if self._first is not _END and "fields" not in found:
            if whole is not None:
                msg = "The result data from Looker has no fields (columns) to send."
                raise SourceError(msg)
            msg = (
                "Looker's result data lists its rows before its columns, so it "
                "cannot be streamed. Send the Look again; if this repeats, turn off "
                "streaming for this schedule."
            )
            raise SourceError(msg)

        ran_at = found.get("ran_at")
        return ResultHeader(
            fields=fields_from_json(found.get("fields")),
            pivots=pivots_from_json(found.get("pivots")),
            ran_at=ran_at if isinstance(ran_at, str) and ran_at else None,
        )

    def _scan_whole(self):
        """Read header keys from anywhere in a whole document (a second pass)."""
        return _header_in(self._source.open_chunks())

    def rows(self) -> Iterator:
        """Yield each row once, in order: normally a dict of field name to cell.

        Whatever else the data array holds (null, a number) is yielded as is,
        for the caller to count as an unusable row.
        """
        row = self._first
        self._first = None
        while row is not _END:
            self.rows_read += 1
            yield row
            row = self._next_row()
