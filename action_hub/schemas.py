"""Marshmallow schemas for what Looker sends, and builders for what it reads back."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from action_hub.errors import BadRequest


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class AttachmentSchema(_Lenient):
    mimetype = fields.String(load_default="application/json")
    extension = fields.String(allow_none=True)
    data = fields.Raw(allow_none=True)


class VisConfigSchema(_Lenient):
    hidden_fields = fields.List(fields.String(), allow_none=True, load_default=list)


class QuerySchema(_Lenient):
    model = fields.String(allow_none=True)
    view = fields.String(allow_none=True)
    query_fields = fields.List(fields.String(), allow_none=True, data_key="fields")
    vis_config = fields.Nested(VisConfigSchema, allow_none=True)


class ScheduledPlanSchema(_Lenient):
    scheduled_plan_id = fields.Integer(allow_none=True, strict=False)
    title = fields.String(allow_none=True)
    type = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    query_id = fields.Integer(allow_none=True, strict=False)
    query = fields.Nested(QuerySchema, allow_none=True)
    download_url = fields.String(allow_none=True)


def _string_map():
    return fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True),
        allow_none=True,
        load_default=dict,
    )


class ExecuteRequestSchema(_Lenient):
    """The body of POST /actions/<name>/execute."""

    type = fields.String(
        required=True, validate=validate.OneOf(["query", "cell", "dashboard"])
    )
    scheduled_plan = fields.Nested(ScheduledPlanSchema, allow_none=True)
    attachment = fields.Nested(AttachmentSchema, allow_none=True)
    data = _string_map()
    form_params = _string_map()


class FormRequestSchema(_Lenient):
    """The body of POST /actions/<name>/form (often empty)."""

    data = _string_map()
    form_params = _string_map()


def _describe(errors, prefix=""):
    """Flatten marshmallow's nested error dict into 'path: message' parts."""
    parts = []
    for key, value in errors.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            parts.extend(_describe(value, f"{path}."))
        else:
            text = " ".join(str(v) for v in value) if isinstance(value, list) else value
            parts.append(f"{path}: {text}")
    return parts


def load_request(schema, payload):
    """Validate a decoded body, or raise BadRequest naming what is wrong."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        msg = "The request body must be a JSON object."
        raise BadRequest(msg)
    try:
        return schema.load(payload)
    except ValidationError as error:
        detail = "; ".join(_describe(error.messages)[:5])
        msg = f"The request from Looker is not valid ({detail})."
        raise BadRequest(msg) from None


def form_values(raw, where="form_params"):
    """Form answers as trimmed strings; Looker sends strings, blanks may be missing.

    Numbers and booleans are taken as their text; a list or an object is refused.
    """
    values = {}
    for key, value in (raw or {}).items():
        if value is None:
            continue
        if isinstance(value, (dict, list)):
            msg = f"The request from Looker is not valid ({where}.{key} is not text)."
            raise BadRequest(msg)
        values[key] = value.strip() if isinstance(value, str) else str(value)
    return values


def looker_response(success, message=None, validation_errors=None):
    """The execute answer Looker reads: {"looker": {...}}."""
    body = {"success": bool(success), "refresh_query": False}
    if message:
        body["message"] = message
    if validation_errors:
        body["validation_errors"] = validation_errors
    return {"looker": body}
