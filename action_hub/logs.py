"""Log set-up: one JSON object per line in production, plain text for people.

Log records carry schema, counts and ids only. Callers put structured values
in `extra={"fields": {...}}`; never write keys, tokens, emails or row values.
"""

import json
import logging
import sys
import time

_configured = False


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON line with its `fields` merged in."""

    def format(self, record):
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["error_type"] = record.exc_info[0].__name__
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """Render a record as 'level logger: message key=value ...'."""

    def format(self, record):
        fields = getattr(record, "fields", None) or {}
        tail = " ".join(f"{key}={value}" for key, value in fields.items())
        line = f"{record.levelname.lower()} {record.name}: {record.getMessage()}"
        return f"{line} {tail}" if tail else line


def configure_logging(log_format):
    """Send the hub's logs to stderr; silence the Segment library's own logger.

    segment-analytics-python logs whole messages (traits, ids) when it drops or
    queues them, so its logger is switched off; the hub reports every delivery
    outcome itself.
    """
    global _configured
    segment_log = logging.getLogger("segment")
    segment_log.setLevel(logging.CRITICAL + 1)
    segment_log.propagate = False

    if _configured:
        return
    _configured = True
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    for name in ("action_hub", "actions"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False
