"""Errors grouped by what the hub does next.

HubError
 +-- BadRequest     the request is not what Looker sends: answer 4xx, do nothing
 +-- SetupError     the run cannot start: tell the user what to fix, send nothing
 +-- SourceError    the result data broke while being read: stop, report counts
"""


class HubError(Exception):
    """Base class; the message is written for a Looker user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class BadRequest(HubError):
    """The request body is malformed or incomplete."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


class SetupError(HubError):
    """A setting or the Look itself prevents the run; nothing was sent.

    `field` names the form field to fix, so Looker can show the message beside it.
    """

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


class SourceError(HubError):
    """The result data could not be read to the end."""


__all__ = ["HubError", "BadRequest", "SetupError", "SourceError"]
