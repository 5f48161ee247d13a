"""Pure row mapping: a Looker row and a run plan in, Segment message parts out."""

import hashlib
import json
import math
import re
import uuid
from datetime import datetime
from decimal import Decimal

from action_hub.report import Reason

EMPTY = object()
_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{2}(?::\d{2}){0,2}(?:\.\d+)?)$")

# Anonymous IDs derived from an email are UUIDs in this namespace, so the same
# address maps to the same profile on every run and every hub instance.
EMAIL_NAMESPACE = uuid.UUID("6f1d3c2e-9a57-4b8e-8f0e-5c3a1b7d2e94")

NO_IDENTIFIER = Reason("no_identifier", "no user ID, anonymous ID or email")
NOT_A_ROW = Reason("not_a_row", "not a row of cells in the result data")


def cell_value(row, field, pivot_key=None):
    """The raw value of a cell, reaching into a pivoted cell when asked."""
    cell = row.get(field)
    if pivot_key is not None and isinstance(cell, dict):
        cell = cell.get(pivot_key)
    if isinstance(cell, dict):
        return cell.get("value")
    return None


def _is_whole_number(value):
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    if isinstance(value, Decimal):
        # Beyond about 4,000 digits int() is refused or takes minutes (1e1000000);
        # such a number is kept as its text instead.
        return (
            value.is_finite()
            and value.adjusted() < 4000
            and value == value.to_integral_value()
        )
    return False


def as_identifier(value):
    """An identifier as a trimmed string; None for blanks. 0 is an identifier."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_whole_number(value):
        return str(int(value))
    text = value.strip() if isinstance(value, str) else str(value)
    return text or None


def iso_timestamp(text):
    """Looker's ran_at as ISO-8601, or None if it is not a date and time."""
    if not isinstance(text, str):
        return None
    match = _DATE_TIME.match(text.strip())
    value = f"{match.group(1)}T{match.group(2)}" if match else text.strip()
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return None
    return value


def anonymous_id_for_email(email):
    """A stable anonymous ID from an email, ignoring case and surrounding spaces."""
    return str(uuid.uuid5(EMAIL_NAMESPACE, email.strip().casefold()))


def trait_value(value, is_date):
    """A cell value as Segment takes it: numbers stay numbers, the rest strings.

    Returns EMPTY for null and empty-string cells. Date and time values become
    ISO-8601 ("2024-03-05 14:22:01" -> "2024-03-05T14:22:01").
    """
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        number = float(value)
        if not math.isfinite(number):
            return str(value)
        value = number
    if isinstance(value, (int, float)):
        if is_date:
            return str(int(value)) if float(value).is_integer() else str(value)
        return value
    if isinstance(value, str):
        if is_date:
            match = _DATE_TIME.match(value)
            if match:
                return f"{match.group(1)}T{match.group(2)}"
        return value
    return json.dumps(value, sort_keys=True, default=str)


def build_traits(columns, row, empty_as_null):
    """The trait (or property) dict for one row.

    This runs once per row and column, so the common cases (a plain string or
    number) are handled inline and only the rest goes through trait_value.
    """
    traits = {}
    for field, pivot_key, name, is_date in columns:
        cell = row.get(field)
        if pivot_key is not None and type(cell) is dict:
            cell = cell.get(pivot_key)
        value = cell.get("value") if type(cell) is dict else None
        kind = type(value)
        if (kind is str and value and not is_date) or (
            (kind is int or kind is float) and not is_date
        ):
            traits[name] = value
            continue
        value = trait_value(value, is_date)
        if value is EMPTY:
            if empty_as_null:
                traits[name] = None
            continue
        traits[name] = value
    return traits


def identify_row(row, user_id_field, anonymous_id_field, email_field):
    """(user_id, anonymous_id, email) of a row; any may be None.

    A row with an email but no ID gets an anonymous ID derived from the email.
    """
    user_id = as_identifier(cell_value(row, user_id_field)) if user_id_field else None
    anonymous_id = (
        as_identifier(cell_value(row, anonymous_id_field))
        if anonymous_id_field
        else None
    )
    email = as_identifier(cell_value(row, email_field)) if email_field else None
    if user_id is None and anonymous_id is None and email is not None:
        anonymous_id = anonymous_id_for_email(email)
    return user_id, anonymous_id, email


def message_id(run_key, position, content):
    """A message ID fixed by the run, the row's position and the message's content.

    `content` is the message serialized without its ID: it follows from the
    row's values, so re-sending the same run yields the same IDs and Segment
    drops the repeats, while two rows of one run never share an ID because
    their positions differ.
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{run_key}\x1e{position}\x1e{content}".encode("utf-8"))
    return f"looker-{digest.hexdigest()}"
