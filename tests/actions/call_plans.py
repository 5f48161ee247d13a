"""Building run plans and running whole Looks through a call type, without Segment."""

import json

from action_hub.action import ExecuteRequest
from action_hub.config import Settings
from action_hub.results import Field, ResultHeader

WRITE_KEY = "unit-test-write-key"
RAN_AT = "2024-05-01 10:00:00"


def settings():
    return Settings(base_url="http://127.0.0.1:1", label="t", secret="s")


def field(name, label, short=None, kind="dimension", tags=()):
    return Field(name, label, short or label, kind, "string", tuple(tags))


def row(values):
    """A row as Looker sends it: {"users.id": {"value": ...}}."""
    return {name: {"value": value} for name, value in values.items()}


def request(form, look=None):
    attachment = {"data": json.dumps(look)} if look is not None else None
    return ExecuteRequest(
        admin_params={"segment_write_key": WRITE_KEY},
        form=dict(form),
        scheduled_plan={"scheduled_plan_id": 7, "query_id": 11},
        attachment=attachment,
        settings=settings(),
        run_id="unit-run",
    )


def make_plan(action, fields, form, first_row=None):
    """The plan the pipeline would make for this Look and form."""
    run = request(form)
    # _options is where the pipeline validates the whole form, hooks included.
    options = action._options(run.form)
    header = ResultHeader(fields=list(fields), pivots=[], ran_at=RAN_AT)
    return action.plan(run, header, first_row, options)


def look_json(fields, rows):
    """A json_detail document with these dimensions and rows."""
    dimensions = [
        {
            "name": f.name,
            "label": f.label,
            "label_short": f.label_short,
            "type": f.type,
            "tags": list(f.tags),
        }
        for f in fields
    ]
    return {
        "fields": {"dimensions": dimensions, "measures": [], "table_calculations": []},
        "ran_at": RAN_AT,
        "data": rows,
    }


class RecordingDelivery:
    """Stands in for SegmentDelivery: accepts and keeps every message."""

    def __init__(self):
        self.messages = []
        self.failed = {}
        self.stop_reason = None

    @property
    def accepted(self):
        return len(self.messages)

    def send(self, message):
        self.messages.append(message)
        return True

    def close(self):
        pass


def run_look(action_class, fields, rows, form):
    """Run a whole Look through the call type's pipeline; (Looker answer, messages)."""
    delivery = RecordingDelivery()

    class Recorded(action_class):
        def new_delivery(self, write_key):
            return delivery

    action = Recorded(settings())
    run = request(form, look_json(fields, rows))
    answer = action.start(run)()
    return answer["looker"], delivery.messages
