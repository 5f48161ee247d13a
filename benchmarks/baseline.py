"""The baseline: the least a pipeline must do to send a Look's rows to Segment.

It stream-parses the rows with ijson, builds each Identify message, closes a
batch at about 475 KB, gzips it (level 9, as segment-analytics-python does) and
POSTs it to the sink over one kept-alive connection, one batch at a time. It
runs in its own process and prints one JSON line with its figures:

    python -m benchmarks.baseline --look look.json --sink http://127.0.0.1:PORT
"""

import argparse
import base64
import gzip
import http.client
import json
import sys
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import ijson

from benchmarks.looks import EMAIL_FIELD, RAN_AT, USER_ID_FIELD, WRITE_KEY
from benchmarks.procstats import own_sample

BATCH_LIMIT_BYTES = 475_000
GZIP_LEVEL = 9
LIBRARY = {"name": "benchmark-baseline", "version": "0"}
# Trait name per column: the snake_case short label, as the hub names them.
TRAITS = (
    ("users.name", "name", False),
    ("users.plan", "plan", False),
    ("users.signup_date", "signup_date", True),
    ("users.last_seen_time", "last_seen_time", True),
    ("sessions.count", "count", False),
    ("orders.lifetime_value", "lifetime_value", False),
)


def identify_message(row, position):
    """The Identify message for one row."""
    traits = {}
    for field, name, is_date in TRAITS:
        value = row[field]["value"]
        if value is None or value == "":
            continue
        traits[name] = value.replace(" ", "T", 1) if is_date else value
    traits["email"] = row[EMAIL_FIELD]["value"]
    return {
        "type": "identify",
        "traits": traits,
        "userId": row[USER_ID_FIELD]["value"],
        "messageId": f"baseline-{position}",
        "timestamp": RAN_AT,
        "context": {"library": LIBRARY},
    }


class BatchPoster:
    """POSTs gzipped batches to /v1/batch over one kept-alive connection."""

    def __init__(self, sink_url):
        parts = urlsplit(sink_url)
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port)
        token = base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
        self._headers = {
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "Authorization": f"Basic {token}",
        }
        self.batches = 0

    def post(self, encoded_messages):
        """Send one batch of encoded messages; raise unless the sink answers 200."""
        sent_at = datetime.now(UTC).isoformat()
        tail = json.dumps({"sentAt": sent_at, "writeKey": WRITE_KEY})[1:]
        body = '{"batch": [' + ", ".join(encoded_messages) + "], " + tail
        payload = gzip.compress(body.encode("utf-8"), compresslevel=GZIP_LEVEL)
        self._connection.request("POST", "/v1/batch", payload, self._headers)
        response = self._connection.getresponse()
        answer = response.read()
        if response.status != 200:
            msg = f"the sink answered HTTP {response.status}: {answer[:200]!r}"
            raise RuntimeError(msg)
        self.batches += 1

    def close(self):
        """Close the connection."""
        self._connection.close()


def run_baseline(look_path, sink_url):
    """Send every row of the Look at `look_path` to the sink; return the figures."""
    before = own_sample()
    started = time.perf_counter()
    poster = BatchPoster(sink_url)
    dumps = json.dumps
    batch, batch_bytes, rows = [], 0, 0
    with open(look_path, "rb") as source:
        for rows, row in enumerate(ijson.items(source, "data.item", use_float=True), 1):
            encoded = dumps(identify_message(row, rows))
            if batch and batch_bytes + len(encoded) > BATCH_LIMIT_BYTES:
                poster.post(batch)
                batch, batch_bytes = [], 0
            batch.append(encoded)
            batch_bytes += len(encoded)
    if batch:
        poster.post(batch)
    poster.close()
    seconds = time.perf_counter() - started
    after = own_sample()
    return {
        "rows": rows,
        "batches": poster.batches,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds, 1) if seconds else None,
        "cpu_seconds": round(after.cpu_seconds - before.cpu_seconds, 3),
        "rss_before_bytes": before.rss_bytes,
        "peak_rss_bytes": after.peak_rss_bytes,
    }


def main():
    """Run the baseline once and print its figures as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--look", required=True, help="the Look document (a file)")
    parser.add_argument("--sink", required=True, help="the sink's base URL")
    args = parser.parse_args()
    print(json.dumps(run_baseline(args.look, args.sink)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
