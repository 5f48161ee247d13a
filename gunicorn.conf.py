"""gunicorn settings for the hub (used by the Procfile and `make serve`).

Runs stream for minutes, so each worker serves requests on threads (gthread)
and the worker's heartbeat does not depend on a request finishing.
"""

import os
import sys

from action_hub.config import ConfigError, load_settings

try:
    load_settings()
except ConfigError as error:
    print(f"action hub: {error}", file=sys.stderr, flush=True)
    sys.exit(3)

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8080')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# gthread workers send their heartbeat from the main thread, so a long run
# does not count against this; it only catches a hung worker.
timeout = 120
graceful_timeout = 60
keepalive = 75
accesslog = None
