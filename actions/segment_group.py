"""Group: each row ties one user to a group (an account) and sets the group's traits.

The group ID column and the user's identifier columns are not traits; every
other visible column is a trait of the group. The user's email only serves to
derive an anonymous ID when the row has no user ID: it is the user's, not the
group's, so it is not sent as a group trait.
"""

from action_hub.errors import SetupError
from action_hub.report import Reason
from actions.mapping import NO_IDENTIFIER, as_identifier, cell_value
from actions.run_plan import GROUP_ID, find_identifier
from actions.segment_common import SegmentAction, add_identity

NO_GROUP_ID = Reason("no_group_id", "no group ID")
GROUP_COLUMN = "group_column"

GROUP_ID_FORM_FIELD = {
    "name": GROUP_ID.form_field,
    "label": f"{GROUP_ID.label} column",
    "type": "text",
    "required": False,
    "description": (
        "The column holding the ID of the group (account, company, team) each "
        "row's user belongs to. Enter its field name (accounts.id), label or "
        f"short label. Blank: the column tagged {GROUP_ID.tag} in LookML."
    ),
}


def group_column(fields, form):
    """The group ID column's field name, or SetupError on the group ID field."""
    column = find_identifier(fields, form, GROUP_ID)
    if column is None:
        msg = (
            "This Look has no group ID column. Enter the Group ID column in the "
            "form (its field name, label or short label), or tag a dimension "
            f"{GROUP_ID.tag} in LookML."
        )
        raise SetupError(msg, field=GROUP_ID.form_field)
    return column.name


class SegmentGroup(SegmentAction):
    """Send each row of a Look to Segment as one Group call."""

    name = "segment_group"
    label = "Send to Segment as Group calls"
    call_name = "Group"
    payload_name = "traits"
    description = (
        "Send each row of the Look to Segment as a Group call: the group ID column "
        "names the group, the chosen columns identify the user in it, and the "
        "other columns become the group's traits."
    )

    def extra_form(self):
        """The group ID column field."""
        return [dict(GROUP_ID_FORM_FIELD)]

    def extra_plan(self, header, form, options):
        """Find the group ID column once per run."""
        return {GROUP_COLUMN: group_column(header.fields, form)}

    def identifier_columns(self, extras):
        """The group ID column is not a trait."""
        return (extras[GROUP_COLUMN],)

    def build_message(self, plan, row, ids, payload):
        """A Group message for one row, or NO_GROUP_ID / NO_IDENTIFIER."""
        group_id = as_identifier(cell_value(row, plan.extras[GROUP_COLUMN]))
        if group_id is None:
            return NO_GROUP_ID
        user_id, anonymous_id, _email = ids
        if user_id is None and anonymous_id is None:
            return NO_IDENTIFIER
        message = {"type": "group", "groupId": group_id, "traits": payload}
        return add_identity(message, user_id, anonymous_id)
