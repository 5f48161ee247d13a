"""Identify: each row updates one user's profile with the row's columns as traits."""

from actions.segment_common import SegmentAction, user_message


class SegmentIdentify(SegmentAction):
    """Send each row of a Look to Segment as one Identify call."""

    name = "segment_identify"
    label = "Send to Segment"
    call_name = "Identify"
    description = (
        "Send each row of the Look to Segment as an Identify call: the chosen "
        "columns identify the user and the other columns become traits."
    )

    def build_message(self, plan, row, ids, payload):
        """An Identify message for one row, or NO_IDENTIFIER."""
        return user_message(ids, payload, type="identify", traits=payload)
