"""Reading Looker result documents (json_detail and json_detail_lite_stream).

A document arrives as a stream of byte chunks. The header (fields, pivots,
ran_at) is read first; rows are then parsed one at a time, so memory does not
grow with the number of rows. Looker writes `fields` before `data`; when a
document does not, and the source can be read again (a pushed attachment), the
header is taken from a second pass instead.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import ijson

from action_hub.errors import SourceError

ROW_TOTAL_KEY = "$$$_row_total_$$$"
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
    """What the document says about itself before (or apart from) its rows."""

    fields: list[Field]
    pivots: list[Pivot]
    ran_at: str | None


def fields_from_json(raw):
    """List the columns of a document's `fields` object, in Looker's order."""
    if not isinstance(raw, dict):
        return []
    fields = []
    for key, kind in _FIELD_KINDS:
        entries = raw.get(key) or []
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, dict) and entry.get("name"):
                fields.append(Field.from_json(entry, kind))
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


def _header_from(found):
    ran_at = found["ran_at"][0] if found["ran_at"] else None
    return ResultHeader(
        fields=fields_from_json(found["fields"][0] if found["fields"] else None),
        pivots=pivots_from_json(found["pivots"][0] if found["pivots"] else None),
        ran_at=ran_at if isinstance(ran_at, str) and ran_at else None,
    )


def _bad_json(rows_read):
    msg = (
        "The result data from Looker is not valid JSON "
        f"(it broke after {rows_read:,} rows)."
    )
    return SourceError(msg)


class ResultReader:
    """Stream the rows of one result document, with its header known first.

    `open_chunks` returns a fresh iterable of byte chunks each time it is
    called; `rewindable` says whether it may be called more than once.
    """

    def __init__(self, open_chunks: Callable[[], Iterable[bytes]], rewindable):
        self._open = open_chunks
        self._rewindable = rewindable
        self.rows_read = 0
        self._chunks = iter(open_chunks())
        self._pending = ijson.sendable_list()
        self._rows = ijson.items_coro(self._pending, "data.item", use_float=True)
        self._finished = False
        self.header = self._read_header()

    def _send(self, coro, chunk):
        try:
            coro.send(chunk)
        except ijson.JSONError:
            raise _bad_json(self.rows_read) from None

    def _close(self, coro):
        try:
            coro.close()
        except ijson.JSONError:
            raise _bad_json(self.rows_read) from None

    def _read_header(self):
        found = {key: ijson.sendable_list() for key in _HEADER_KEYS}
        coros = {
            key: ijson.items_coro(found[key], key, use_float=True)
            for key in _HEADER_KEYS
        }
        for chunk in self._chunks:
            self._send(self._rows, chunk)
            for coro in coros.values():
                self._send(coro, chunk)
            if self._pending:
                break
        else:
            self._finish()
            for coro in coros.values():
                self._close(coro)

        complete = found["fields"] and found["ran_at"]
        if self._pending and not complete and self._rewindable:
            return self._scan_header(found)
        if self._pending and not found["fields"]:
            msg = (
                "Looker's result data lists its rows before its columns, so it "
                "cannot be streamed. Send the Look again; if this repeats, turn off "
                "streaming for this schedule."
            )
            raise SourceError(msg)
        return _header_from(found)

    def _scan_header(self, found):
        """Read the whole document once more for header keys after the rows."""
        missing = [key for key in _HEADER_KEYS if not found[key]]
        coros = {
            key: ijson.items_coro(found[key], key, use_float=True) for key in missing
        }
        for chunk in self._open():
            for coro in coros.values():
                self._send(coro, chunk)
        for coro in coros.values():
            self._close(coro)
        return _header_from(found)

    def _finish(self):
        if not self._finished:
            self._finished = True
            self._close(self._rows)

    @property
    def finished(self):
        """True once the whole document has been read."""
        return self._finished and not self._pending

    def rows(self) -> Iterator[dict]:
        """Yield each row (a dict of field name to cell) once, in order."""
        pending = self._pending
        while True:
            for row in pending:
                self.rows_read += 1
                yield row if isinstance(row, dict) else {}
            del pending[:]
            if self._finished:
                return
            chunk = next(self._chunks, None)
            if chunk is None:
                self._finish()
            else:
                self._send(self._rows, chunk)
