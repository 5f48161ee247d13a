"""The hub token Looker sends with every call: Token token="<secret>"."""

import hmac
import re

_TOKEN_HEADER = re.compile(r'^\s*token\s+token="(?P<token>[^"]*)"\s*$', re.IGNORECASE)


def token_from_header(header):
    """The token inside an Authorization header, or None if it is not Looker's form."""
    match = _TOKEN_HEADER.match(header or "")
    return match.group("token") if match else None


def is_authorized(header, secret, insecure_dev=False):
    """Whether the header carries the hub's secret (compared in constant time)."""
    if not secret:
        return insecure_dev
    token = token_from_header(header)
    if token is None:
        return False
    return hmac.compare_digest(token.encode("utf-8"), secret.encode("utf-8"))
