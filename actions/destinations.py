"""Which identifiers Segment destinations need, and checks of a Look against them.

The table (destinations.csv beside this module) says, per destination, what
every call must carry for the destination to use it. A run that names its
destination is checked twice: once before sending (does the Look have the
columns at all?) and once per row (does this row have the values?).

Everything here is pure; the CSV is read once, on first use.
"""

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from action_hub.errors import SetupError
from action_hub.report import Reason, rows
from actions.run_plan import ANONYMOUS_ID, EMAIL, USER_ID

DESTINATION_FIELD = "destination"
GAPS_FIELD = "destination_gaps"
NO_DESTINATION = "none"
SEND_GAPS = "send"
SKIP_GAPS = "skip"
GAP_CHOICES = (SEND_GAPS, SKIP_GAPS)
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_NOUNS = {USER_ID: "user ID", EMAIL: "email", ANONYMOUS_ID: "anonymous ID"}


@dataclass(frozen=True)
class Requirement:
    """One kind of `requires`: what each call needs, in words for people."""

    kind: str
    needs: str
    lacks: str
    settings: tuple
    any_of: bool


# `lacks` reads after "Skipped 3 rows (" in the run report.
REQUIREMENTS = {
    r.kind: r
    for r in (
        Requirement("user_id", "a user ID", "no user ID", (USER_ID,), False),
        Requirement("email", "an email", "no email", (EMAIL,), False),
        Requirement(
            "email_and_user_id",
            "both a user ID and an email",
            "",
            (USER_ID, EMAIL),
            False,
        ),
        Requirement(
            "email_or_user_id",
            "a user ID or an email",
            "no user ID or email",
            (USER_ID, EMAIL),
            True,
        ),
        Requirement(
            "user_id_or_anonymous_id",
            "a user ID or an anonymous ID",
            "no user ID or anonymous ID",
            # Rows with an email and no ID get an anonymous ID derived from it.
            (USER_ID, ANONYMOUS_ID, EMAIL),
            True,
        ),
        Requirement("none", "no particular identifier", "", (), False),
    )
}


@dataclass(frozen=True)
class Destination:
    """One Segment destination and what its calls must carry."""

    name: str
    slug: str
    requires: str
    extra: str
    note: str

    @property
    def key(self):
        """The stable form value: the catalog slug, else the slugified name."""
        return self.slug or slugify(self.name)

    @property
    def requirement(self):
        """The Requirement behind `requires`."""
        return REQUIREMENTS[self.requires]


def slugify(name):
    """'Customer.io' -> 'customer-io'."""
    return _NOT_WORD.sub("-", name.casefold()).strip("-")


def parse_destinations(text):
    """Destination records from the CSV text; ValueError names a bad line."""
    destinations = []
    keys = {NO_DESTINATION}
    for line, raw in enumerate(csv.DictReader(io.StringIO(text)), 2):
        destination = Destination(
            name=(raw.get("destination") or "").strip(),
            slug=(raw.get("catalog_slug") or "").strip(),
            requires=(raw.get("requires") or "").strip(),
            extra=(raw.get("extra") or "").strip(),
            note=(raw.get("note") or "").strip(),
        )
        if not destination.name:
            msg = f"destinations.csv line {line}: the destination name is blank."
            raise ValueError(msg)
        if destination.requires not in REQUIREMENTS:
            msg = (
                f"destinations.csv line {line}: requires is {destination.requires!r}, "
                f"not one of {', '.join(REQUIREMENTS)}."
            )
            raise ValueError(msg)
        if destination.key in keys:
            msg = f"destinations.csv line {line}: the key {destination.key!r} repeats."
            raise ValueError(msg)
        keys.add(destination.key)
        destinations.append(destination)
    return tuple(destinations)


@cache
def all_destinations():
    """Every destination in destinations.csv, in its order."""
    text = resources.files("actions").joinpath("destinations.csv").read_text("utf-8")
    return parse_destinations(text)


@cache
def _by_key():
    return {destination.key: destination for destination in all_destinations()}


def destination_for(key):
    """The Destination a form value names; None for no destination."""
    key = (key or "").strip()
    if not key or key == NO_DESTINATION:
        return None
    destination = _by_key().get(key)
    if destination is None:
        msg = (
            f'The destination "{key}" is not one this hub knows. Choose one from '
            "the Destination list, or choose no particular destination."
        )
        raise SetupError(msg, field=DESTINATION_FIELD)
    return destination


def gap_choice(form):
    """The destination_gaps answer: send (the default) or skip."""
    value = (form.get(GAPS_FIELD) or SEND_GAPS).strip()
    if value not in GAP_CHOICES:
        msg = (
            f'"{value}" is not a choice for rows the destination cannot use. '
            "Choose Send them anyway or Skip them."
        )
        raise SetupError(msg, field=GAPS_FIELD)
    return value


def destination_choices():
    """Options of the destination select: no destination first, then by name."""
    ordered = sorted(all_destinations(), key=lambda d: d.name.casefold())
    return [
        {"name": NO_DESTINATION, "label": "No particular destination (no checks)"}
    ] + [{"name": d.key, "label": d.name} for d in ordered]


def destination_form():
    """The two form fields: the destination, and what to do with rows it cannot use."""
    return [
        {
            "name": DESTINATION_FIELD,
            "label": "Destination",
            "type": "select",
            "default": NO_DESTINATION,
            "required": False,
            "description": (
                "The Segment destination these calls are meant for. The hub checks "
                "that the Look has the identifier columns it needs before sending, "
                "and counts the rows that lack the identifier values it needs."
            ),
            "options": destination_choices(),
        },
        {
            "name": GAPS_FIELD,
            "label": "Rows the destination cannot use",
            "type": "select",
            "default": SEND_GAPS,
            "required": False,
            "description": (
                "Rows without an identifier the chosen destination needs: send them "
                "anyway (other destinations of the source still get them) or skip "
                "them. Either way the run report counts them."
            ),
            "options": [
                {"name": SEND_GAPS, "label": "Send them anyway"},
                {"name": SKIP_GAPS, "label": "Skip them"},
            ],
        },
    ]


def _has_columns(requirement, has_user_id, has_email, has_anonymous_id):
    """Which of the requirement's settings have a column, in its order."""
    present = {
        USER_ID: has_user_id,
        EMAIL: has_email,
        ANONYMOUS_ID: has_anonymous_id,
    }
    return [present[setting] for setting in requirement.settings]


def missing_settings(destination, has_user_id, has_email, has_anonymous_id):
    """The column settings to fill for the destination; empty when none are missing."""
    requirement = destination.requirement
    present = _has_columns(requirement, has_user_id, has_email, has_anonymous_id)
    if requirement.any_of:
        return () if any(present) else requirement.settings
    return tuple(
        s for s, found in zip(requirement.settings, present, strict=True) if not found
    )


def _join(words, last):
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def check_columns(destination, has_user_id, has_email, has_anonymous_id):
    """None when the Look can give the destination what it needs, else what to fill."""
    missing = missing_settings(destination, has_user_id, has_email, has_anonymous_id)
    if not missing:
        return None
    requirement = destination.requirement
    joiner = "or" if requirement.any_of else "and"
    columns = _join([f"the {s.label} column" for s in missing], joiner)
    lacking = _join([f"no {_NOUNS[s]} column" for s in missing], "and")
    tags = _join([s.tag for s in missing], joiner)
    one_tag = len(missing) == 1 or requirement.any_of
    dimension = "a dimension" if one_tag else "dimensions"
    return (
        f"{destination.name} needs {requirement.needs} on every call, but this Look "
        f"has {lacking}. Enter {columns} in the form, or tag {dimension} {tags} "
        "in LookML. To send without this check, choose no particular destination."
    )


def column_field_to_fill(destination, has_user_id, has_email, has_anonymous_id):
    """The form field to show check_columns' message beside, or None."""
    missing = missing_settings(destination, has_user_id, has_email, has_anonymous_id)
    return missing[0].form_field if missing else None


def row_gap(destination, user_id, anonymous_id, email):
    """The Reason a row lacks what the destination needs, or None.

    An anonymous ID derived from the email counts as an anonymous ID (it is one
    in the message) but never as a user ID.
    """
    requirement = destination.requirement
    kind = requirement.kind
    if kind == "user_id":
        lacking = user_id is None
    elif kind == "email":
        lacking = email is None
    elif kind == "email_or_user_id":
        lacking = user_id is None and email is None
    elif kind == "user_id_or_anonymous_id":
        lacking = user_id is None and anonymous_id is None
    elif kind == "email_and_user_id":
        return _both_gap(destination, user_id, email)
    else:
        return None
    if not lacking:
        return None
    which = "one of which" if requirement.any_of else "which"
    return Reason(
        f"gap_no_{kind}", f"{requirement.lacks}, {which} {destination.name} requires"
    )


def _both_gap(destination, user_id, email):
    gaps = [
        (slug, words)
        for slug, words, value in (
            ("user_id", "no user ID", user_id),
            ("email", "no email", email),
        )
        if value is None
    ]
    if not gaps:
        return None
    slug = "_and_".join(slug for slug, _ in gaps)
    words = " and ".join(words for _, words in gaps)
    return Reason(f"gap_no_{slug}", f"{words}, which {destination.name} requires")


def gap_notes(gaps):
    """Report sentences for rows sent anyway despite a gap, most frequent first."""
    notes = []
    for reason, count in gaps.most_common():
        verb = "was" if count == 1 else "were"
        notes.append(f"{rows(count)} {verb} sent anyway with {reason.text}.")
    return notes


def extra_phrase(destination):
    """The destination's extra need in words: 'a trait named account_uid'."""
    extra = destination.extra
    if extra.startswith("trait:"):
        return f"a trait named {extra.removeprefix('trait:')}"
    return f"{extra}, which this hub does not set"


def extra_notes(destination, payload_names):
    """Sentences about the destination's extra needs that this run does not meet."""
    extra = destination.extra
    if not extra:
        return []
    if extra.startswith("trait:"):
        trait = extra.removeprefix("trait:")
        if trait in payload_names:
            return []
        note = (
            f"{destination.name} also needs {extra_phrase(destination)}, and no "
            "column of this Look became one: give a column a short label that reads "
            f"{trait} in snake_case, or choose another trait naming in the form."
        )
        return [note]
    note = (
        f"{destination.name} also needs {extra_phrase(destination)}, so it may "
        "ignore these calls."
    )
    return [note]
