"""Reading Looker result documents (json_detail and json_detail_lite_stream).

A document arrives as a stream of byte chunks (or as one string, when Looker
pushed it in the request). The top-level object is walked key by key, and each
row of `data` is decoded on its own with the standard library's C decoder, so
memory does not grow with the number of rows. The header (fields, pivots,
ran_at) is what the document holds before its first row, where Looker writes
`fields`. A pushed document is also in memory whole, so header keys written
after the rows (Looker puts `ran_at` there) are found in it too.
"""

import codecs
import collections
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import ijson

from action_hub.errors import SourceError

ROW_TOTAL_KEY = "$$$_row_total_$$$"
_END = object()
_HEADER_KEYS = ("fields", "pivots", "ran_at")
# Header keys written after the rows are looked for only this close to the end
# of a whole document.
TAIL_LOOKUP_LIMIT = 8 * 1024 * 1024
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
    mistaken for the top-level key. Only the end of the document is looked
    at (TAIL_LOOKUP_LIMIT). Returns None when not found this way.
    """
    quoted = f'"{key}"'
    needle = quoted if isinstance(whole, str) else quoted.encode()
    position = whole.rfind(needle)
    if position < 0 or len(whole) - position > TAIL_LOOKUP_LIMIT:
        return None
    opener = "{" if isinstance(whole, str) else b"{"
    try:
        tail = json.loads(opener + whole[position:])
    except (ValueError, RecursionError):
        return None
    return tail.get(key) if isinstance(tail, dict) else None


class _Broken(Exception):
    """The document stops being valid JSON here."""


class _TooLong(Exception):
    """A number with more digits than Python converts (sys.get_int_max_str_digits)."""


class _TooBig(Exception):
    """One value larger than MAX_VALUE_CHARS."""


def _refuse_constant(name):
    # NaN and Infinity are not JSON, and Looker does not write them.
    raise _Broken(name)


def _number(text):
    """A JSON number with a fraction or exponent; exact when beyond a double."""
    number = float(text)
    return Decimal(text) if math.isinf(number) else number


_decode = json.JSONDecoder(
    parse_float=_number, parse_constant=_refuse_constant
).raw_decode
_SPACE = re.compile(r"[ \t\n\r]*")
# Strings whole (escapes included), brackets, or a quote that opens a string
# which does not end in the text at hand.
_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}"]')
# A decode error this close to the end of the text that has arrived may only
# mean the value goes on in the next chunk.
_CUT_MARGIN = 16
_NOT_UTF8 = object()
# Text read ahead at a time when a value does not fit in what has arrived.
_READ_AHEAD_CHARS = 256 * 1024
# The largest single value (a row, or a header value) read from a stream.
MAX_VALUE_CHARS = 64 * 1024 * 1024
# Rows are read this far into a stream before the header is settled, so a
# small document's keys after its rows (Looker writes ran_at there) count.
HEADER_LOOKAHEAD_CHARS = 64 * 1024


def _texts(chunks):
    """Decode a stream of UTF-8 byte chunks to text, wherever the chunks split.

    Invalid UTF-8 ends the text where it starts, followed by _NOT_UTF8: the
    document breaks off in the row that holds it, and the rows before it are
    still read.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in chunks:
            if isinstance(chunk, str):
                yield chunk
            elif chunk:
                yield decoder.decode(chunk)
        yield decoder.decode(b"", True)
    except UnicodeDecodeError as error:
        yield error.object[: error.start].decode("utf-8")
        yield _NOT_UTF8


def _value_end(text, start):
    """Where the array or object at `start` ends, without recursion; None if cut."""
    depth = 0
    for token in _NESTING.finditer(text, start):
        mark = token.group()
        if mark == '"':
            return None
        if mark[0] == '"':
            continue
        depth += 1 if mark in "[{" else -1
        if depth == 0:
            return token.end()
    return None


def _deeply_nested(text):
    """Decode a value nested too deeply for the C decoder's recursion."""
    raw = text.encode("utf-8", "surrogatepass")
    try:
        return next(ijson.items(raw, "", use_float=True))
    except (ijson.JSONError, StopIteration, UnicodeError):
        raise _Broken(text[:40]) from None


class _Text:
    """The document's text from `pos` on, read ahead only as far as needed."""

    def __init__(self, source):
        if isinstance(source.whole, str):
            self.text = source.whole
            self._pieces = iter(())
            self.complete = True
        else:
            self.text = ""
            self._pieces = _texts(source.open_chunks())
            self.complete = False
        self.pos = 0
        self._dropped = 0
        # The stream held bytes that are not UTF-8 where the text ends.
        self.not_utf8 = False

    @property
    def consumed(self):
        """Characters of the document parsed so far."""
        return self._dropped + self.pos

    def _read_more(self, at_least):
        """Append at least `at_least` characters, dropping what is parsed."""
        unparsed = len(self.text) - self.pos
        if unparsed > MAX_VALUE_CHARS:
            raise _TooBig
        at_least = max(1, min(at_least, MAX_VALUE_CHARS + 1 - unparsed))
        self._dropped += self.pos
        pieces = [self.text[self.pos :]]
        added = 0
        for piece in self._pieces:
            if piece is _NOT_UTF8:
                self.not_utf8 = True
                continue
            pieces.append(piece)
            added += len(piece)
            if added >= at_least:
                break
        else:
            self.complete = True
        self.text = "".join(pieces)
        self.pos = 0

    def next_char(self):
        """Skip whitespace; the next character, or "" at the end of the document."""
        while True:
            self.pos = _SPACE.match(self.text, self.pos).end()
            if self.pos < len(self.text):
                return self.text[self.pos]
            if self.complete:
                if self.not_utf8:
                    raise _Broken("not UTF-8")
                return ""
            self._read_more(1)

    def expect(self, char):
        if self.next_char() != char:
            raise _Broken(char)
        self.pos += 1

    def value(self):
        """Decode the JSON value that starts here (after next_char())."""
        while True:
            text, pos = self.text, self.pos
            try:
                value, end = _decode(text, pos)
            except json.JSONDecodeError as error:
                cut = error.msg.startswith("Unterminated string") or (
                    error.pos >= len(text) - _CUT_MARGIN
                )
                if self.complete or not cut:
                    raise _Broken(error.msg) from None
                self._read_more(max(len(text) - pos, _READ_AHEAD_CHARS))
                continue
            except RecursionError:
                end = _value_end(text, pos)
                if end is None:
                    if self.complete:
                        raise _Broken("nesting") from None
                    self._read_more(max(len(text) - pos, _READ_AHEAD_CHARS))
                    continue
                value = _deeply_nested(text[pos:end])
            except ValueError as error:
                raise _TooLong(str(error)) from None
            if end > len(text) - _CUT_MARGIN and not self.complete:
                # A number may go on in the next chunk ("1." of "1.5e-7").
                if not isinstance(value, (dict, list, str)):
                    self._read_more(max(len(text) - pos, _READ_AHEAD_CHARS))
                    continue
            self.pos = end
            return value


def _bad_json(rows_read):
    msg = (
        "The result data from Looker is not valid JSON "
        f"(it broke after {rows_read:,} rows)."
    )
    return SourceError(msg)


def _where(rows_read, in_rows):
    if in_rows:
        return f"Row {rows_read + 1:,} of the result data"
    return "The result data, outside its rows,"


def _too_long(rows_read, in_rows):
    msg = (
        f"{_where(rows_read, in_rows)} holds a number of more than 4,300 digits, "
        "which the hub does not read. Cast that column to text in LookML."
    )
    return SourceError(msg)


def _too_big(rows_read, in_rows):
    msg = (
        f"{_where(rows_read, in_rows)} holds a value of more than "
        f"{MAX_VALUE_CHARS // (1024 * 1024)} MB, which the hub does not read."
    )
    return SourceError(msg)


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
        # Only what came complete before the problem counts.
        pass
    return {key: values[0] for key, values in found.items() if values}


class ResultReader:
    """Stream the rows of one result document, with its header known first."""

    def __init__(self, source: ResultSource):
        self.rows_read = 0
        self._source = source
        self._found = {}
        self._parsed = 0
        self._in_rows = False
        self._exhausted = False
        self._broken = False
        self._error = None
        text = _Text(source)
        self._rows = self._document(text)
        self._ahead = self._read_ahead(text)
        self.header = self._read_header()

    @property
    def finished(self):
        """True once every row of a valid document has been handed out."""
        return self._exhausted and not self._ahead and not self._broken

    def _read_ahead(self, text):
        """The first row, and more while the document is still short.

        A problem met here is kept, to be raised after the rows before it.
        """
        ahead = collections.deque()
        while not self._exhausted:
            try:
                row = self._next_row()
            except SourceError as error:
                if not ahead:
                    raise
                self._error = error
                break
            if row is not _END:
                ahead.append(row)
            if text.consumed >= HEADER_LOOKAHEAD_CHARS:
                break
        return ahead

    def _document(self, text):
        """Yield the rows of the top-level `data` array; note header keys."""
        first = text.next_char()
        if first == "\ufeff":
            text.pos += 1
            first = text.next_char()
        if first == "":
            raise _Broken("empty")
        if first != "{":
            msg = (
                "The result data from Looker is not a Looker result: it should be "
                "a JSON object with fields and data."
            )
            raise SourceError(msg)
        text.pos += 1
        if text.next_char() == "}":
            text.pos += 1
        else:
            while True:
                if text.next_char() != '"':
                    raise _Broken("key")
                key = text.value()
                text.expect(":")
                if key == "data" and text.next_char() == "[":
                    text.pos += 1
                    self._in_rows = True
                    yield from self._data_rows(text)
                    self._in_rows = False
                else:
                    text.next_char()
                    value = text.value()
                    if key in _HEADER_KEYS:
                        self._found.setdefault(key, value)
                if text.next_char() == "}":
                    text.pos += 1
                    break
                text.expect(",")
        if text.next_char() != "":
            raise _Broken("after the document")

    @staticmethod
    def _data_rows(text):
        if text.next_char() == "]":
            text.pos += 1
            return
        while True:
            text.next_char()
            yield text.value()
            if text.next_char() == "]":
                text.pos += 1
                return
            text.expect(",")

    def _next_row(self):
        try:
            row = next(self._rows)
        except StopIteration:
            self._exhausted = True
            return _END
        except _Broken:
            self._stop()
            raise _bad_json(self._parsed) from None
        except _TooLong:
            self._stop()
            raise _too_long(self._parsed, self._in_rows) from None
        except _TooBig:
            self._stop()
            raise _too_big(self._parsed, self._in_rows) from None
        except SourceError:
            self._stop()
            raise
        self._parsed += 1
        return row

    def _stop(self):
        self._exhausted = True
        self._broken = True

    def _read_header(self):
        found = dict(self._found)
        whole = self._source.whole
        if whole is not None and not self._exhausted:
            for key in ("ran_at", "pivots"):
                if key not in found:
                    value = top_level_tail_value(whole, key)
                    if value is not None:
                        found[key] = value
            if "fields" not in found:
                found.update(self._scan_whole())
        if self._ahead and "fields" not in found:
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
        ahead = self._ahead
        while ahead:
            self.rows_read += 1
            yield ahead.popleft()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        while (row := self._next_row()) is not _END:
            self.rows_read += 1
            yield row
