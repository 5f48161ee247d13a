import json

import pytest

from actions.delivery import MAX_MESSAGE_BYTES, exceeds_message_limit


def message_of(text):
    return {"type": "identify", "userId": "u1", "traits": {"bio": text, "n": 1}}


@pytest.mark.parametrize(
    "text",
    [
        "a" * 100,
        "a" * 32_000,
        "a" * 33_000,
        "é" * 10_000,
        "é" * 17_000,
        "\u2028" * 6_000,
        '"' * 16_500,
        "\x01" * 5_500,
    ],
)
def test_size_check_agrees_with_the_serialized_size(text):
    message = message_of(text)
    exact = len(json.dumps(message).encode("utf-8")) > MAX_MESSAGE_BYTES
    assert exceeds_message_limit(message) == exact


def test_long_identifier_counts_toward_the_limit():
    message = {"type": "identify", "userId": "x" * 40_000, "traits": {}}
    assert exceeds_message_limit(message)
