"""Synthetic Looks in the json_detail_lite_stream shape, written to files as a stream.

Each Look has a user ID column (tagged user_id), an email column (tagged email)
and six trait columns: two strings, two numbers, a date and a date-time. The
document lists `fields`, then `data`, then `ran_at`, as Looker writes it. Rows
are generated in blocks and written straight to disk, so a 1,000,000-row Look
never exists in memory as a whole.
"""

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

RAN_AT = "2026-11-30T08:00:00+00:00"
WRITE_KEY = "benchmark-write-key-not-a-real-one"
USER_ID_FIELD = "users.id"
EMAIL_FIELD = "users.email"
_BLOCK_ROWS = 2000
_TEXT_CHUNK_CHARS = 256 * 1024

_FIRST_NAMES = ("Avery", "Jordan", "Riley", "Casey", "Morgan", "Quinn", "Rowan", "Sage")
_LAST_NAMES = ("Quill", "Vale", "Moss", "Hart", "Reyes", "Okafor", "Lindqvist", "Novak")
_PLANS = ("free", "starter", "team", "business", "enterprise")
_FIRST_SIGNUP = date(2019, 1, 1).toordinal()


@dataclass(frozen=True)
class Column:
    """One column of the synthetic Look."""

    name: str
    label: str
    label_short: str
    type: str
    measure: bool = False
    tags: tuple[str, ...] = ()

    def field_json(self):
        """The column as Looker describes it in `fields`."""
        return {
            "name": self.name,
            "label": self.label,
            "label_short": self.label_short,
            "view_label": self.label.removesuffix(self.label_short).strip(),
            "type": self.type,
            "tags": list(self.tags),
            "measure": self.measure,
            "is_numeric": self.type in ("number", "count", "sum"),
            "hidden": False,
            "primary_key": self.name == USER_ID_FIELD,
        }


COLUMNS = (
    Column(USER_ID_FIELD, "Users ID", "ID", "string", tags=("user_id",)),
    Column(EMAIL_FIELD, "Users Email", "Email", "string", tags=("email",)),
    Column("users.name", "Users Name", "Name", "string"),
    Column("users.plan", "Users Plan", "Plan", "string"),
    Column("users.signup_date", "Users Signup Date", "Signup Date", "date_date"),
    Column(
        "users.last_seen_time", "Users Last Seen Time", "Last Seen Time", "date_time"
    ),
    Column("sessions.count", "Sessions Count", "Count", "count", measure=True),
    Column(
        "orders.lifetime_value",
        "Orders Lifetime Value",
        "Lifetime Value",
        "sum",
        measure=True,
    ),
)
TRAIT_COLUMNS = tuple(c for c in COLUMNS if c.name not in (USER_ID_FIELD, EMAIL_FIELD))


@dataclass(frozen=True)
class LookFile:
    """A generated Look on disk."""

    path: Path
    rows: int
    bytes: int


def fields_json():
    """The document's `fields` object."""
    return {
        "dimensions": [c.field_json() for c in COLUMNS if not c.measure],
        "measures": [c.field_json() for c in COLUMNS if c.measure],
        "table_calculations": [],
        "pivots": [],
    }


def _row_text(rng, position):
    """One row as compact JSON; every string value is plain ASCII needing no escape."""
    first = rng.choice(_FIRST_NAMES)
    last = rng.choice(_LAST_NAMES)
    user_id = f"u{position:08d}{rng.getrandbits(32):08x}"
    email = f"{first.lower()}.{last.lower()}{position}@example.com"
    signup = date.fromordinal(_FIRST_SIGNUP + rng.randrange(2500))
    seen = signup + timedelta(days=rng.randrange(400))
    clock = rng.randrange(86400)
    hours, minutes, seconds = clock // 3600, clock // 60 % 60, clock % 60
    seen_at = f"{seen.isoformat()} {hours:02d}:{minutes:02d}:{seconds:02d}"
    # About one row in thirty has no lifetime value yet: a null cell.
    value = "null" if rng.random() < 0.033 else f"{rng.randrange(0, 500000) / 100}"
    return (
        f'{{"users.id":{{"value":"{user_id}"}},'
        f'"users.email":{{"value":"{email}"}},'
        f'"users.name":{{"value":"{first} {last}"}},'
        f'"users.plan":{{"value":"{rng.choice(_PLANS)}"}},'
        f'"users.signup_date":{{"value":"{signup.isoformat()}"}},'
        f'"users.last_seen_time":{{"value":"{seen_at}"}},'
        f'"sessions.count":{{"value":{rng.randrange(1, 900)}}},'
        f'"orders.lifetime_value":{{"value":{value}}}}}'
    )


def write_look(path, rows, seed=20261130):
    """Write a Look of `rows` rows to `path`, block by block; return its LookFile."""
    rng = random.Random(seed)
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write('{"fields":')
        out.write(json.dumps(fields_json(), separators=(",", ":")))
        out.write(',"data":[')
        for start in range(0, rows, _BLOCK_ROWS):
            stop = min(rows, start + _BLOCK_ROWS)
            block = ",\n".join(_row_text(rng, n) for n in range(start + 1, stop + 1))
            out.write(("\n" if start == 0 else ",\n") + block)
        out.write(f'\n],"ran_at":"{RAN_AT}"}}\n')
    return LookFile(path, rows, path.stat().st_size)


def scheduled_plan(download_url=None):
    """The scheduled_plan object Looker sends with a Look."""
    return {
        "scheduled_plan_id": 4242,
        "title": "Benchmark cohort",
        "type": "Look",
        "url": "https://looker.example.com/looks/4242",
        "query_id": 9191,
        "query": {
            "model": "web",
            "view": "users",
            "fields": [c.name for c in COLUMNS],
            "vis_config": {"hidden_fields": []},
        },
        "filters_differ_from_look": False,
        "download_url": download_url,
    }


def url_body(download_url):
    """An execute body that points the hub at a download URL (no attachment)."""
    body = {
        "type": "query",
        "scheduled_plan": scheduled_plan(download_url),
        "attachment": None,
        "data": {"segment_write_key": WRITE_KEY},
        "form_params": {},
    }
    return json.dumps(body).encode("utf-8")


def write_push_body(look, path):
    """Write an execute body carrying `look` as attachment.data (a JSON string)."""
    head = json.dumps(
        {
            "type": "query",
            "scheduled_plan": scheduled_plan(),
            "data": {"segment_write_key": WRITE_KEY},
            "form_params": {},
        }
    )
    attachment_open = (
        ', "attachment": {"mimetype": "application/json;charset=utf-8", '
        '"extension": "json", "data": "'
    )
    path = Path(path)
    with (
        look.path.open(encoding="utf-8") as source,
        path.open("w", encoding="utf-8", newline="\n") as out,
    ):
        out.write(head[:-1] + attachment_open)
        while text := source.read(_TEXT_CHUNK_CHARS):
            # Escaping piece by piece is exact: JSON escapes never span characters.
            out.write(json.dumps(text)[1:-1])
        out.write('"}}')
    return path


def file_chunks(path, size=64 * 1024):
    """Yield a file's bytes in pieces (requests sends a generator chunked)."""
    with Path(path).open("rb") as source:
        while chunk := source.read(size):
            yield chunk
