"""gunicorn settings for the hub (used by the Procfile and `make serve`).

Runs stream for minutes, so each worker serves requests on threads (gthread)
and the worker's heartbeat does not depend on a request finishing.
"""

import os
import sys

from action_hub.config import ConfigError, load_settings


def _whole_number(name, default):
    raw = os.environ.get(name, "").strip() or default
    if not raw.isdigit() or int(raw) < 1:
        msg = f"{name} must be a whole number of at least 1, got {raw!r}."
        raise ConfigError(msg)
    return int(raw)


try:
    settings = load_settings()
    # gunicorn itself reads WEB_CONCURRENCY (and fails on a non-number) before
    # this file runs; by here it is a valid number.
    workers = int(os.environ.get("WEB_CONCURRENCY", "").strip() or 2)
    threads = _whole_number("GUNICORN_THREADS", "8")
except ConfigError as error:
    print(f"action hub: {error}", file=sys.stderr, flush=True)
    sys.exit(3)

if settings.insecure_dev and not settings.secret:
    print(
        "action hub: WARNING: ACTION_HUB_INSECURE_DEV=1 and no ACTION_HUB_SECRET: "
        "any caller can use this hub. Use this only on a machine of your own.",
        file=sys.stderr,
        flush=True,
    )

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8080')}"
worker_class = "gthread"
# gthread workers send their heartbeat from the main thread, so a long run
# does not count against this; it only catches a hung worker.
timeout = 120
graceful_timeout = 60
keepalive = 75
accesslog = None
