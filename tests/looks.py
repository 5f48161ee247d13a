"""The example Looks shipped in tools/looks, for tests."""

import json
from pathlib import Path

LOOKS = Path(__file__).resolve().parent.parent / "tools" / "looks"


def load_look(name):
    """A parsed copy of tools/looks/<name>."""
    return json.loads((LOOKS / name).read_text())


def make_look(rows, user_prefix="u", ran_at="2026-11-30T08:00:00+00:00", extra=None):
    """A cohort-shaped Look with `rows` generated users."""
    fields = load_look("active_users_cohort.json")["fields"]
    data = [
        {
            "users.id": {"value": f"{user_prefix}{i}"},
            "users.name": {"value": f"Person {i}"},
            "users.email": {"value": f"person{i}@example.com"},
            "sessions.count": {"value": i % 17},
            "product_sessions.count": {"value": i % 5},
            **(extra or {}),
        }
        for i in range(rows)
    ]
    return {"fields": fields, "data": data, "ran_at": ran_at}
