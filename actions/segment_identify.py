"""Identify: each row updates one user's profile with the row's columns as traits."""

from actions.mapping import NO_IDENTIFIER
from actions.run_plan import EMAIL_TRAIT
from actions.segment_common import SegmentAction, add_identity


class SegmentIdentify(SegmentAction):
    name = "segment_identify"
    label = "Send to Segment"
    call_name = "Identify"
    description = (
        "Send each row of the Look to Segment as an Identify call: the chosen "
        "columns identify the user and the other columns become traits."
    )

    def build_message(self, plan, row, ids, payload):
        user_id, anonymous_id, email = ids
        if user_id is None and anonymous_id is None:
            return NO_IDENTIFIER
        if email is not None:
            payload[EMAIL_TRAIT] = email
        message = {"type": "identify", "traits": payload}
        return add_identity(message, user_id, anonymous_id)
