"""Decisions made once per run: which columns are identifiers, what traits are called.

Everything here is pure: it takes the Look's fields and the form's answers and
returns plain data, so the per-row path is a few dictionary lookups.
"""

import re
from dataclasses import dataclass
from typing import NamedTuple

from action_hub.errors import SetupError


@dataclass(frozen=True)
class IdentifierSetting:
    """A form setting that names an identifier column, with its LookML tag."""

    form_field: str
    tag: str
    label: str


USER_ID = IdentifierSetting("user_id_column", "user_id", "User ID")
EMAIL = IdentifierSetting("email_column", "email", "Email")
ANONYMOUS_ID = IdentifierSetting(
    "anonymous_id_column", "segment_anonymous_id", "Anonymous ID"
)
GROUP_ID = IdentifierSetting("group_id_column", "segment_group_id", "Group ID")

TRAIT_NAME_STYLES = ("short_label", "field_name", "label")
EMAIL_TRAIT = "email"
_NOT_WORD = re.compile(r"\W+")
_DATE_TYPES = ("date", "time")


class TraitColumn(NamedTuple):
    """One trait (or property) taken from a column, or one pivot value of it."""

    field: str
    pivot_key: str | None
    name: str
    is_date: bool


def snake_case(text):
    """'Sessions Count' -> 'sessions_count'; 'Café Visits' -> 'café_visits'.

    Letters and digits of any script are kept, so names in other languages
    stay readable and distinct.
    """
    return _NOT_WORD.sub("_", text.casefold()).strip("_")


def _field_list(fields):
    return ", ".join(field.name for field in fields)


def resolve_column(fields, reference, setting):
    """Find the column a form setting names, by field name, label or short label.

    Matching ignores case and surrounding spaces. A field name wins over a label,
    and a label over a short label; a reference that matches several columns at
    the same level is refused, naming them, rather than guessed.
    """
    wanted = reference.strip().casefold()
    for attribute in ("name", "label", "label_short"):
        matches = [f for f in fields if getattr(f, attribute).casefold() == wanted]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            msg = (
                f'The {setting.label} column "{reference}" matches several columns '
                f"({_field_list(matches)}). Enter the field name of the one to use."
            )
            raise SetupError(msg, field=setting.form_field)

    msg = (
        f'The column chosen for {setting.label}, "{reference}", is not in this Look. '
        f"Its columns are: {_field_list(fields)}. Enter one of these, or leave the "
        f"setting blank to use the column tagged {setting.tag} in LookML."
    )
    raise SetupError(msg, field=setting.form_field)


def tagged_column(fields, setting):
    """The single column carrying the setting's LookML tag, or None."""
    matches = [field for field in fields if setting.tag in field.tags]
    if len(matches) > 1:
        msg = (
            f"Several columns carry the {setting.tag} tag ({_field_list(matches)}). "
            f"Enter the one to use as {setting.label} in the form."
        )
        raise SetupError(msg, field=setting.form_field)
    return matches[0] if matches else None


def find_identifier(fields, form, setting):
    """The column for an identifier: the form's choice, else the tagged column."""
    reference = form.get(setting.form_field, "")
    if reference:
        return resolve_column(fields, reference, setting)
    return tagged_column(fields, setting)


def _usable(names, fallback):
    """Drop names that came out empty (a label of only symbols); keep one."""
    kept = [name for name in names if name]
    return kept or [fallback]


def _pivot_candidates(field, pivot, style):
    exact = f"{field.name}|{pivot.key}"
    if style == "field_name":
        return [exact]
    if style == "label":
        return [
            f"{field.label_short} {pivot.label}",
            f"{field.label} {pivot.label}",
            exact,
        ]
    names = [
        snake_case(f"{field.label_short} {pivot.label}"),
        snake_case(f"{field.label} {pivot.label}"),
        snake_case(f"{field.name} {pivot.key}"),
    ]
    return _usable(names, exact)


def _candidates(field, style):
    if style == "field_name":
        return [field.name]
    if style == "label":
        return [field.label, f"{field.label} ({field.name})"]
    names = [
        snake_case(field.label_short),
        snake_case(field.label),
        snake_case(field.name),
    ]
    return _usable(names, field.name)


def assign_names(candidate_lists, taken=()):
    """Give each column the first name that no other column wants.

    Columns that would share a name all move on to their next candidate
    together, so neither keeps the plain name and the result does not depend on
    column order. The last candidate gets a numeric suffix if it still clashes.
    """
    level = [0] * len(candidate_lists)
    taken = set(taken)
    while True:
        names = [
            c[min(i, len(c) - 1)] for c, i in zip(candidate_lists, level, strict=True)
        ]
        owners = {}
        for index, name in enumerate(names):
            owners.setdefault(name, []).append(index)
        clashing = [
            group for name, group in owners.items() if len(group) > 1 or name in taken
        ]
        movable = [
            i
            for group in clashing
            for i in group
            if level[i] < len(candidate_lists[i]) - 1
        ]
        if not movable:
            break
        for index in movable:
            level[index] += 1

    seen = set(taken)
    unique = []
    for name in names:
        final, counter = name, 2
        while final in seen:
            final, counter = f"{name}_{counter}", counter + 1
        seen.add(final)
        unique.append(final)
    return unique


def is_pivoted(field, pivots, first_row):
    """Whether a column's cells are split by pivot value.

    In a pivoted Look every measure is; a table calculation may or may not be,
    which only its cells show (a plain cell has a non-object "value").
    """
    if not pivots or field.kind == "dimension":
        return False
    if field.kind == "measure":
        return True
    cell = first_row.get(field.name) if isinstance(first_row, dict) else None
    if not isinstance(cell, dict):
        return False
    return "value" not in cell or isinstance(cell["value"], dict)


def plan_trait_columns(fields, pivots, first_row, excluded, style, prefix=""):
    """The trait columns of a run: visible, non-identifier columns, pivots expanded."""
    sources = []
    candidate_lists = []
    for field in fields:
        if field.name in excluded:
            continue
        is_date = field.type.startswith(_DATE_TYPES)
        if is_pivoted(field, pivots, first_row):
            for pivot in pivots:
                sources.append((field.name, pivot.key, is_date))
                candidate_lists.append(_pivot_candidates(field, pivot, style))
        else:
            sources.append((field.name, None, is_date))
            candidate_lists.append(_candidates(field, style))

    candidate_lists = [[f"{prefix}{name}" for name in c] for c in candidate_lists]
    names = assign_names(candidate_lists, taken={EMAIL_TRAIT})
    return tuple(
        TraitColumn(field, key, name, is_date)
        for (field, key, is_date), name in zip(sources, names, strict=True)
    )
