"""The Flask app: the action list, forms, execute runs, and a health check."""

import json
import logging
import threading
import time
import traceback
import uuid

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from action_hub import __version__
from action_hub.action import ExecuteRequest, looker_version
from action_hub.auth import is_authorized
from action_hub.config import load_settings
from action_hub.errors import BadRequest, HubError, SetupError
from action_hub.logs import configure_logging
from action_hub.schemas import (
    ExecuteRequestSchema,
    FormRequestSchema,
    form_values,
    load_request,
    looker_response,
)

log = logging.getLogger(__name__)

_READ_BYTES = 1024 * 1024
_execute_schema = ExecuteRequestSchema()
_form_schema = FormRequestSchema()


def _error(status, message):
    return jsonify({"success": False, "error": message}), status


def _read_json_body():
    """Decode the body, holding at most about twice its size at any moment.

    A pushed Look arrives whole inside the body, so the bytes are decoded to
    text and dropped before the text is parsed.
    """
    body = bytearray()
    while chunk := request.stream.read(_READ_BYTES):
        body += chunk
    if not body.strip():
        return {}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        msg = "The request body is not valid UTF-8 JSON."
        raise BadRequest(msg) from None
    del body
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        msg = "The request body is not valid JSON."
        raise BadRequest(msg) from None


def _failure(error):
    """Looker's answer for a run that could not start or finish."""
    field = getattr(error, "field", None)
    errors = {field: error.message} if field else None
    return looker_response(False, error.message, errors)


def _run_in_background(job, run_fields, interval):
    """Run `job` on its own thread; stream whitespace until its JSON is ready.

    Load balancers cut requests that stay silent for 30-60 s. Leading
    whitespace is valid JSON, so Looker still reads one document.
    """
    outcome = {}
    done = threading.Event()

    def work():
        started = time.monotonic()
        try:
            outcome["body"] = job()
        except HubError as error:
            outcome["body"] = _failure(error)
            log.warning(
                "run stopped",
                extra={"fields": {**run_fields, "reason": type(error).__name__}},
            )
        except Exception as error:
            # Exception text can quote row values, so only the type and the
            # code location are logged.
            frames = traceback.format_tb(error.__traceback__)[-3:]
            log.error(
                "run crashed",
                extra={
                    "fields": {
                        **run_fields,
                        "error_type": type(error).__name__,
                        "where": "".join(frames).strip(),
                    }
                },
            )
            message = (
                "The hub hit an unexpected error. Its logs have the details "
                f"under run id {run_fields['run_id']}."
            )
            outcome["body"] = looker_response(False, message)
        finally:
            outcome["seconds"] = round(time.monotonic() - started, 3)
            done.set()

    thread = threading.Thread(target=work, name=f"run-{run_fields['run_id']}")
    thread.daemon = True
    thread.start()

    def stream():
        while not done.wait(interval):
            yield b"\n"
        yield json.dumps(outcome["body"]).encode("utf-8")

    return Response(stream(), mimetype="application/json")


def create_app(settings=None, actions=None):
    """Build the hub. Settings come from the environment unless given."""
    settings = settings or load_settings()
    if actions is None:
        from actions import all_actions

        actions = all_actions(settings)
    actions_by_name = {action.name: action for action in actions}
    configure_logging(settings.log_format)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["HUB_SETTINGS"] = settings

    @app.before_request
    def require_token():
        if request.method != "POST":
            return None
        header = request.headers.get("Authorization")
        if not is_authorized(header, settings.secret, settings.insecure_dev):
            log.info("unauthorized call", extra={"fields": {"path": request.path}})
            return _error(401, "Invalid 'Authorization' header.")
        return None

    @app.get("/healthz")
    def health():
        return jsonify({"status": "ok", "version": __version__})

    @app.post("/")
    def list_actions():
        version = looker_version(request.headers.get("User-Agent"))
        return jsonify(
            {
                "label": settings.label,
                "integrations": [
                    action.definition(settings.base_url, version)
                    for action in actions_by_name.values()
                ],
            }
        )

    def find_action(name):
        action = actions_by_name.get(name)
        if action is None:
            msg = f"There is no action named {name!r} on this hub."
            raise BadRequest(msg, status=404)
        return action

    @app.post("/actions/<name>/form")
    def form(name):
        action = find_action(name)
        body = load_request(_form_schema, _read_json_body())
        admin = form_values(body.get("data"), "data")
        return jsonify(action.form(admin, form_values(body.get("form_params"))))

    @app.post("/actions/<name>/execute")
    def execute(name):
        action = find_action(name)
        body = load_request(_execute_schema, _read_json_body())
        run = ExecuteRequest(
            admin_params=form_values(body.get("data"), "data"),
            form=form_values(body.get("form_params")),
            action_type=body["type"],
            scheduled_plan=body.get("scheduled_plan"),
            attachment=body.get("attachment"),
            webhook_id=request.headers.get("X-Looker-Webhook-Id"),
            instance_id=request.headers.get("X-Looker-Instance"),
            settings=settings,
            run_id=uuid.uuid4().hex[:12],
        )
        run_fields = {
            "run_id": run.run_id,
            "action": name,
            "webhook_id": run.webhook_id,
            "looker_instance": run.instance_id,
        }
        try:
            job = action.start(run)
        except SetupError as error:
            log.info(
                "run refused", extra={"fields": {**run_fields, "field": error.field}}
            )
            return jsonify(_failure(error))
        return _run_in_background(job, run_fields, settings.keepalive_seconds)

    @app.errorhandler(BadRequest)
    def bad_request(error):
        return jsonify(looker_response(False, error.message)), error.status

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code == 413:
            limit_mb = settings.max_body_bytes / (1024 * 1024)
            message = (
                "The request body is larger than the hub accepts "
                f"({limit_mb:,.0f} MB). Send the Look with streaming (download "
                "URL) or raise ACTION_HUB_MAX_BODY_MB."
            )
            return jsonify(looker_response(False, message)), 413
        return _error(error.code or 500, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected(error):
        log.error(
            "request crashed",
            extra={
                "fields": {"path": request.path, "error_type": type(error).__name__}
            },
        )
        return _error(500, "The hub hit an unexpected error; see its logs.")

    return app
