import pytest

from action_hub.auth import is_authorized, token_from_header


@pytest.mark.parametrize(
    "header, token",
    [
        ('Token token="abc"', "abc"),
        ('token token="abc"', "abc"),
        ('  Token   token="a b/c"  ', "a b/c"),
        ("Bearer abc", None),
        ("Token token=abc", None),
        ("", None),
        (None, None),
    ],
)
def test_token_is_read_from_lookers_header_form(header, token):
    assert token_from_header(header) == token


def test_right_token_is_authorized():
    assert is_authorized('Token token="s3cret"', "s3cret")


@pytest.mark.parametrize(
    "header", ['Token token="s3cre"', 'Token token="s3cret2"', "s3cret", None]
)
def test_wrong_or_missing_token_is_refused(header):
    assert not is_authorized(header, "s3cret")


def test_empty_secret_refuses_everything_unless_insecure_dev():
    assert not is_authorized('Token token=""', "")
    assert is_authorized(None, "", insecure_dev=True)
