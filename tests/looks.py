"""The example Looks shipped in tools/looks, for tests."""

import json
from pathlib import Path

LOOKS = Path(__file__).resolve().parent.parent / "tools" / "looks"


def load_look(name):
    """A parsed copy of tools/looks/<name>."""
    return json.loads((LOOKS / name).read_text())
