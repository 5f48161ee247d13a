"""The pipeline every Segment call type shares: form, run plan, rows, delivery, report.

A call type (identify, track, group) subclasses SegmentAction and supplies only
what differs: its labels, any extra form fields, and how a mapped row becomes
a message.
"""

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass

from segment.analytics.version import VERSION as SEGMENT_LIBRARY_VERSION

from action_hub import __version__
from action_hub.action import Action
from action_hub.errors import SetupError, SourceError
from action_hub.report import Reason, RunReport
from actions.delivery import MAX_MESSAGE_BYTES, NOT_SENT, Message, SegmentDelivery
from actions.destinations import (
    SKIP_GAPS,
    check_columns,
    column_field_to_fill,
    destination_for,
    destination_form,
    extra_notes,
    gap_choice,
    gap_notes,
    row_gap,
)
from actions.mapping import (
    NO_IDENTIFIER,
    NOT_A_ROW,
    build_traits,
    identify_row,
    iso_timestamp,
    message_id,
)
from actions.run_plan import (
    ANONYMOUS_ID,
    EMAIL,
    EMAIL_TRAIT,
    TRAIT_NAME_STYLES,
    USER_ID,
    find_identifier,
    is_pivoted,
    plan_trait_columns,
)

log = logging.getLogger(__name__)

WRITE_KEY_PARAM = "segment_write_key"
EMPTY_VALUE_CHOICES = ("omit", "null")
TOO_LARGE = Reason("message_too_large", "over Segment's 32 KB message limit")
TOO_DEEP = Reason("value_too_deep", "a value nested too deeply to send")
CONTEXT = {
    "app": {"name": "looker-segment-hub", "version": __version__},
    "library": {"name": "analytics-python", "version": SEGMENT_LIBRARY_VERSION},
}

ICON = (
    "data:image/svg+xml;base64,"
    "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCA2NCA2NCI+"
    "PHJlY3Qgd2lkdGg9IjY0IiBoZWlnaHQ9IjY0IiByeD0iMTQiIGZpbGw9IiMxZjJhNDQiLz48cGF0aCBk"
    "PSJNMTQgMjJoMjhsLTYtNk0xNCAzMmgzNk01MCA0MkgyMmw2IDYiIHN0cm9rZT0iIzUyYmQ5NCIgc3Ry"
    "b2tlLXdpZHRoPSI1IiBmaWxsPSJub25lIiBzdHJva2UtbGluZWNhcD0icm91bmQiIHN0cm9rZS1saW5l"
    "am9pbj0icm91bmQiLz48L3N2Zz4="
)

WRITE_KEY_DESCRIPTION = (
    "The write key of the Segment source that should receive the rows (Connections > "
    "Sources > your HTTP API or Python source > Settings > API Keys). Segment accepts "
    "any key without complaint, so after the first run check that the calls appear "
    "in that source's debugger; an EU workspace also needs the hub's SEGMENT_API_HOST "
    "set to the EU host."
)


def _select(name, label, choices, default, description):
    return {
        "name": name,
        "label": label,
        "type": "select",
        "default": default,
        "required": False,
        "description": description,
        "options": [{"name": value, "label": text} for value, text in choices],
    }


def _column_field(setting, example, description):
    return {
        "name": setting.form_field,
        "label": f"{setting.label} column",
        "type": "text",
        "required": False,
        "description": (
            f"{description} Enter its field name ({example}), label or short label. "
            f"Blank: the column tagged {setting.tag} in LookML."
        ),
    }


IDENTITY_FORM = [
    _column_field(USER_ID, "users.id", "The column holding the Segment user ID."),
    _column_field(EMAIL, "users.email", "The column holding the email address."),
    _column_field(
        ANONYMOUS_ID, "users.anonymous_id", "The column holding a Segment anonymous ID."
    ),
]


def shape_form(payload_name, item_name):
    """Form fields that decide how columns become traits or properties."""
    return [
        _select(
            "trait_names",
            f"{item_name.capitalize()} names",
            [
                ("short_label", "Short label in snake_case (sessions_count)"),
                ("field_name", "Field name (sessions.count)"),
                ("label", "Label as shown (Sessions Count)"),
            ],
            "short_label",
            f"How each column is named in the {payload_name}.",
        ),
        {
            "name": "trait_prefix",
            "label": f"{item_name.capitalize()} name prefix",
            "type": "text",
            "required": False,
            "description": (
                f"Optional text put before every {item_name} name "
                "(email excepted), for example looker_."
            ),
        },
        _select(
            "empty_values",
            "Empty cells",
            [
                ("omit", "Leave them out"),
                ("null", "Send them as null (clears the value)"),
            ],
            "omit",
            "Segment keeps a value that is left out, and removes one sent as null.",
        ),
    ]


@dataclass(frozen=True)
class RunPlan:
    """Everything decided once per run; the per-row path only reads it."""

    user_id: str | None
    anonymous_id: str | None
    email: str | None
    columns: tuple
    empty_as_null: bool
    timestamp: str | None
    run_key: str
    extras: dict
    destination: object = None
    skip_gaps: bool = False


def _choice(form, name, label, choices):
    value = form.get(name) or choices[0]
    if value not in choices:
        msg = (
            f"The {label} setting must be one of: {', '.join(choices)} (got {value!r})."
        )
        raise SetupError(msg, field=name)
    return value


def run_key_for(request, ran_at):
    """What makes message IDs of this run deterministic."""
    if request.webhook_id:
        return f"webhook:{request.webhook_id}"
    plan = request.scheduled_plan or {}
    plan_id = plan.get("scheduled_plan_id")
    query_id = plan.get("query_id")
    if ran_at and (plan_id is not None or query_id is not None):
        return f"plan:{plan_id}:query:{query_id}:ran_at:{ran_at}"
    # Without a time the same schedule's next run would repeat these IDs and
    # Segment would drop its calls as duplicates, so the run gets its own.
    return f"run:{request.run_id}"


class SegmentAction(Action):
    """An action that turns every row of a Look into one Segment call."""

    call_name = ""
    payload_name = "traits"
    payload_item = "trait"
    icon_data_uri = ICON

    def __init__(self, settings):
        self.settings = settings

    @property
    def params(self):
        return [
            {
                "name": WRITE_KEY_PARAM,
                "label": "Segment write key",
                "required": True,
                "sensitive": True,
                "description": WRITE_KEY_DESCRIPTION,
            }
        ]

    # Hooks for call types -------------------------------------------------

    def extra_form(self):
        """Form fields this call type adds."""
        return []

    def extra_options(self, form):
        """Validate this call type's own form answers; return what the plan needs."""
        return {}

    def extra_plan(self, header, form, options):
        """Per-run decisions of this call type; may name more identifier columns."""
        return {}

    def identifier_columns(self, extras):
        """Columns that are not sent as traits because they identify something."""
        return ()

    def build_message(self, plan, row, ids, payload):
        """A message dict for one row, or a Reason to skip it."""
        raise NotImplementedError

    # The shared pipeline ---------------------------------------------------

    def form(self, admin_params, values):
        """The form; an error instead when the admin has not set a write key."""
        fields = (
            IDENTITY_FORM
            + self.extra_form()
            + destination_form()
            + shape_form(self.payload_name, self.payload_item)
        )
        if admin_params and not admin_params.get(WRITE_KEY_PARAM):
            return {"fields": [], "error": _missing_key_message()}
        return {"fields": fields}

    def _options(self, form):
        options = {
            "trait_names": _choice(
                form,
                "trait_names",
                f"{self.payload_item.capitalize()} names",
                TRAIT_NAME_STYLES,
            ),
            "empty_values": _choice(
                form, "empty_values", "Empty cells", EMPTY_VALUE_CHOICES
            ),
            "trait_prefix": form.get("trait_prefix", ""),
            "destination": destination_for(form.get("destination")),
            "skip_gaps": gap_choice(form) == SKIP_GAPS,
        }
        options.update(self.extra_options(form))
        return options

    def start(self, request):
        """Check settings now; return the job that reads, maps and delivers."""
        if request.action_type != "query":
            msg = (
                f"{self.label} sends the rows of a Look or query; it cannot send a "
                f"{request.action_type}."
            )
            raise SetupError(msg)
        write_key = request.admin_params.get(WRITE_KEY_PARAM, "")
        if not write_key:
            raise SetupError(_missing_key_message())
        options = self._options(request.form)
        return lambda: self.run(request, write_key, options)

    def plan(self, request, header, first_row, options):
        """Resolve columns and names for this run, or raise SetupError."""
        fields = header.fields
        if not fields:
            msg = (
                "The result from Looker lists no columns, so there is nothing to send."
            )
            raise SetupError(msg)

        form = request.form
        user_id = find_identifier(fields, form, USER_ID)
        email = find_identifier(fields, form, EMAIL)
        anonymous_id = find_identifier(fields, form, ANONYMOUS_ID)
        if not (user_id or email or anonymous_id):
            msg = (
                "This Look has no column to identify users by. Enter the User ID, "
                "Email or Anonymous ID column in the form, or tag a dimension "
                "user_id, email or segment_anonymous_id in LookML."
            )
            raise SetupError(msg, field=USER_ID.form_field)

        destination = options["destination"]
        if destination is not None:
            found = (bool(user_id), bool(email), bool(anonymous_id))
            problem = check_columns(destination, *found)
            if problem:
                field = column_field_to_fill(destination, *found)
                raise SetupError(problem, field=field)

        extras = self.extra_plan(header, form, options)
        identifiers = {c.name for c in (user_id, email, anonymous_id) if c}
        identifiers.update(self.identifier_columns(extras))
        for column in fields:
            if column.name in identifiers:
                _refuse_pivoted(column, header, first_row)
        excluded = identifiers | set(request.hidden_fields)
        columns = plan_trait_columns(
            fields,
            header.pivots,
            first_row,
            excluded,
            options["trait_names"],
            options["trait_prefix"],
        )
        return RunPlan(
            user_id=user_id.name if user_id else None,
            anonymous_id=anonymous_id.name if anonymous_id else None,
            email=email.name if email else None,
            columns=columns,
            empty_as_null=options["empty_values"] == "null",
            timestamp=iso_timestamp(header.ran_at),
            run_key=run_key_for(request, header.ran_at),
            extras=extras,
            destination=destination,
            skip_gaps=options["skip_gaps"],
        )

    def map_row(self, plan, position, row, gaps=None):
        """One row to a message, or a Reason it is skipped.

        Rows the plan's destination cannot use are skipped or, when sent, counted
        in `gaps` (a Counter) if one is given.
        """
        if not isinstance(row, dict):
            return NOT_A_ROW
        ids = identify_row(row, plan.user_id, plan.anonymous_id, plan.email)
        payload = build_traits(plan.columns, row, plan.empty_as_null)
        built = self.build_message(plan, row, ids, payload)
        if isinstance(built, Reason):
            return built
        if plan.destination is not None:
            user_id, anonymous_id, email = ids
            gap = row_gap(plan.destination, user_id, anonymous_id, email)
            if gap is not None:
                if plan.skip_gaps:
                    return gap
                if gaps is not None:
                    gaps[gap] += 1
        if plan.timestamp:
            built["timestamp"] = plan.timestamp
        built["context"] = CONTEXT
        content = json.dumps(built)
        built["messageId"] = identifier = message_id(plan.run_key, position, content)
        # What json.dumps(built) now gives: the ID is the last key.
        return Message(built, f'{content[:-1]}, "messageId": "{identifier}"}}')

    def new_delivery(self, write_key):
        """The one seam between the pipeline and Segment."""
        settings = self.settings
        return SegmentDelivery(
            write_key,
            settings.segment_host,
            threads=settings.upload_threads,
            timeout=settings.segment_timeout_seconds,
            max_retries=settings.segment_max_retries,
        )

    def run(self, request, write_key, options):
        """Read every row, send what can be sent, and say what happened."""
        started = time.monotonic()
        report = RunReport(self.call_name)
        reader = request.open_result()
        rows = reader.rows()
        first_row = next(rows, None)
        plan = self.plan(request, reader.header, first_row, options)

        delivery = self.new_delivery(write_key)
        gaps = Counter()
        try:
            if first_row is not None:
                all_rows = _chain(first_row, rows)
                self._send_rows(plan, all_rows, delivery, report, gaps)
        except SourceError as error:
            report.stopped = error.message
        finally:
            delivery.close()

        report.rows_read = reader.rows_read
        report.sent = delivery.accepted
        for reason, count in delivery.failed.items():
            report.fail(reason, count)
        report.notes.extend(gap_notes(gaps))
        if plan.destination is not None:
            names = {column.name for column in plan.columns}
            report.notes.extend(extra_notes(plan.destination, names))
        if delivery.stop_reason and report.stopped is None:
            unread = (
                "" if reader.finished else ", and the rest of the Look was not read"
            )
            report.stopped = f"Sending stopped there{unread}."

        log.info(
            "run finished",
            extra={
                "fields": {
                    "run_id": request.run_id,
                    "action": self.name,
                    "webhook_id": request.webhook_id,
                    "success": report.success,
                    "seconds": round(time.monotonic() - started, 3),
                    **report.counts(),
                }
            },
        )
        return {
            "looker": {
                "success": report.success,
                "message": report.sentence(),
                "refresh_query": False,
            }
        }

    def _send_rows(self, plan, rows, delivery, report, gaps):
        map_row = self.map_row
        for position, row in enumerate(rows, 1):
            try:
                message = map_row(plan, position, row, gaps)
            except RecursionError:
                report.fail(TOO_DEEP, row=position)
                continue
            if isinstance(message, Reason):
                report.skip(message)
                continue
            if message.size > MAX_MESSAGE_BYTES:
                report.fail(TOO_LARGE, row=position)
                continue
            if not delivery.send(message):
                report.fail(NOT_SENT)
                break


def _refuse_pivoted(column, header, first_row):
    """Identifiers must have one value per row, which a pivoted column has not."""
    if column is not None and is_pivoted(column, header.pivots, first_row):
        msg = (
            f"The column {column.name} is pivoted, so it has no single value per "
            "row to identify anyone by. Choose a dimension instead."
        )
        raise SetupError(msg)


def user_message(ids, payload, **message):
    """A message about the row's user, email in its payload; or NO_IDENTIFIER."""
    user_id, anonymous_id, email = ids
    if user_id is None and anonymous_id is None:
        return NO_IDENTIFIER
    if email is not None:
        payload[EMAIL_TRAIT] = email
    return add_identity(message, user_id, anonymous_id)


def add_identity(message, user_id, anonymous_id):
    """Put the IDs a row has on its message; return the message."""
    if user_id is not None:
        message["userId"] = user_id
    if anonymous_id is not None:
        message["anonymousId"] = anonymous_id
    return message


def _chain(first, rest):
    yield first
    yield from rest


def _missing_key_message():
    return (
        "The Segment write key is not set. A Looker admin can enter it in this "
        "action's settings (Admin > Actions)."
    )
