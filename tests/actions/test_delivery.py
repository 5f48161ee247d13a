import json

import pytest

from actions.segment_identify import SegmentIdentify
from tests.actions.call_plans import field, make_plan, row, settings

FIELDS = [
    field("users.id", "Users ID", "ID", tags=["user_id"]),
    field("users.bio", "Users Bio", "Bio"),
]


@pytest.mark.parametrize(
    "bio",
    ["a", "a" * 32_000, "é" * 10_000, "\u2028" * 600, '"' * 1_000, "\x01\U0001f600"],
)
def test_message_size_is_exactly_its_serialized_size(bio):
    action = SegmentIdentify(settings())
    plan = make_plan(action, FIELDS, {})
    message = action.map_row(plan, 1, row({"users.id": "u1", "users.bio": bio}))
    assert message.size == len(json.dumps(message).encode("utf-8"))
