"""Entry point for gunicorn: `gunicorn action_hub.wsgi:app`.

A missing or malformed setting stops start-up with one line naming it.
"""

import sys

from action_hub.app import create_app
from action_hub.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    print(f"action hub: {error}", file=sys.stderr, flush=True)
    sys.exit(3)
