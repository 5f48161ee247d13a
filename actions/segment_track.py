"""Track: each row records one event, named in the form, with the columns as properties.

The row's email, when there is one, goes into properties.email, the same way
Identify puts it into traits.email, so every call type carries it in its payload.
"""

from action_hub.errors import SetupError
from actions.segment_common import SegmentAction, user_message

EVENT_FIELD = "event"

EVENT_FORM_FIELD = {
    "name": EVENT_FIELD,
    "label": "Event name",
    "type": "text",
    "required": True,
    "description": (
        "The name of the Track event every row is sent as, for example "
        "Cohort Member or Order Completed. Segment and its destinations show it as is."
    ),
}


def event_name(form):
    """The event name from the form, or SetupError on the event field."""
    event = form.get(EVENT_FIELD, "").strip()
    if not event:
        msg = (
            "The event name is blank. Enter the name every row should be sent "
            "to Segment as, for example Cohort Member."
        )
        raise SetupError(msg, field=EVENT_FIELD)
    return event


class SegmentTrack(SegmentAction):
    """Send each row of a Look to Segment as one Track event."""

    name = "segment_track"
    label = "Send to Segment as Track events"
    call_name = "Track"
    payload_name = "properties"
    payload_item = "property"
    description = (
        "Send each row of the Look to Segment as a Track event with the name you "
        "choose: the chosen columns identify the user and the other columns "
        "become the event's properties."
    )

    def extra_form(self):
        """The event name field."""
        return [dict(EVENT_FORM_FIELD)]

    def extra_options(self, form):
        """The event name, checked before anything is read or sent."""
        return {EVENT_FIELD: event_name(form)}

    def extra_plan(self, header, form, options):
        """The event name travels to the per-row path in the plan."""
        return {EVENT_FIELD: options[EVENT_FIELD]}

    def build_message(self, plan, row, ids, payload):
        """A Track message for one row, or NO_IDENTIFIER."""
        event = plan.extras[EVENT_FIELD]
        return user_message(ids, payload, type="track", event=event, properties=payload)
