"""Render the README section "Choosing identifiers" from actions/destinations.csv.

python -m tools.destinations_doc                   print the section
python -m tools.destinations_doc --check README.md exit 1 if it is out of date
python -m tools.destinations_doc --write README.md update it (append if absent)
"""

import argparse
import sys
from pathlib import Path

from actions.destinations import REQUIREMENTS, all_destinations, extra_phrase

START = "<!-- destinations:start -->"
END = "<!-- destinations:end -->"

# How to satisfy each requirement, as the form and LookML name the columns.
_FILL = {
    "user_id": "User ID column (or a dimension tagged `user_id`)",
    "email": "Email column (or a dimension tagged `email`)",
    "email_and_user_id": "User ID column and Email column",
    "email_or_user_id": "User ID column or Email column",
    "user_id_or_anonymous_id": "User ID, Anonymous ID or Email column",
    "none": "Any identifier column",
}

INTRO = """\
## Choosing identifiers

Segment passes every call on to the destinations of its source, and many
destinations drop calls that lack the identifier they key profiles by. Choose
the destination in the action's form: before sending, the hub checks that the
Look has the columns that destination needs and refuses the run, naming the
setting to fill, when it does not. Rows that lack the values are counted in the
run's report, and are sent anyway or skipped as the form's "Rows the destination
cannot use" says. An anonymous ID derived from an email satisfies "user ID or
anonymous ID" but never "user ID".

This section is generated from `actions/destinations.csv` by
`python -m tools.destinations_doc --write README.md`."""


def _cell(text):
    return text.replace("|", "\\|")


def _remark(destination):
    """'Woopra: needs a user ID or a cookie set in the destination settings.'"""
    text = f"{destination.name}: needs {destination.requirement.needs}"
    if destination.extra:
        text += f", and also {extra_phrase(destination)}"
    note = destination.note
    if note:
        # Some notes continue the requirement ("or a cookie ..."); others stand alone.
        joins = note.split(" ", 1)[0] in ("or", "and")
        text += f" {note}" if joins else f"; {note}"
    return f"- {text}."


def render_section():
    """The section's Markdown, markers excluded, ending in a newline."""
    destinations = all_destinations()
    lines = [INTRO, "", "| Every call needs | Fill in | Destinations |"]
    lines.append("| --- | --- | --- |")
    for kind, requirement in REQUIREMENTS.items():
        names = sorted(
            (_cell(d.name) for d in destinations if d.requires == kind),
            key=str.casefold,
        )
        if names:
            needs = requirement.needs[0].upper() + requirement.needs[1:]
            lines.append(f"| {needs} | {_FILL[kind]} | {', '.join(names)} |")

    remarks = sorted(
        (d for d in destinations if d.extra or d.note), key=lambda d: d.name.casefold()
    )
    if remarks:
        lines += ["", "Destinations with more to set up:", ""]
        lines += [_remark(destination) for destination in remarks]
    return "\n".join(lines) + "\n"


def _markers(text):
    """(start, end) offsets of the two markers, or None when either is missing."""
    start = text.find(START)
    if start == -1:
        return None
    end = text.find(END, start + len(START))
    return None if end == -1 else (start, end)


def _block():
    return f"{START}\n{render_section()}{END}"


def current_section(text):
    """The text between the markers, or None when they are missing."""
    found = _markers(text)
    if found is None:
        return None
    start, end = found
    return text[start + len(START) : end].strip("\n") + "\n"


def updated_readme(text):
    """The README text with the section replaced, or appended when it has none."""
    found = _markers(text)
    if found is None:
        if not text or text.endswith("\n\n"):
            separator = ""
        else:
            separator = "\n" if text.endswith("\n") else "\n\n"
        return f"{text}{separator}{_block()}\n"
    start, end = found
    return text[:start] + _block() + text[end + len(END) :]


def check(path):
    """0 when the README's section matches the table, 1 (with a hint) otherwise."""
    text = path.read_text("utf-8") if path.exists() else ""
    found = current_section(text)
    if found == render_section():
        return 0
    problem = (
        f"{path} has no {START} ... {END} section"
        if found is None
        else f'The "Choosing identifiers" section of {path} is out of date'
    )
    print(
        f"{problem}. Run: python -m tools.destinations_doc --write {path}",
        file=sys.stderr,
    )
    return 1


def write(path):
    """Replace (or append) the section in the README; 0 always."""
    text = path.read_text("utf-8") if path.exists() else ""
    new_text = updated_readme(text)
    if new_text != text:
        path.write_text(new_text, "utf-8")
    return 0


def main(argv=None):
    """Command line: print, --check or --write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", type=Path, metavar="README")
    mode.add_argument("--write", type=Path, metavar="README")
    args = parser.parse_args(argv)
    if args.check:
        return check(args.check)
    if args.write:
        return write(args.write)
    sys.stdout.write(render_section())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
