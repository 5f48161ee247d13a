"""The main job, end to end on this machine.

Starts a Segment-compatible sink and the hub under gunicorn on 127.0.0.1,
sends the example Look to the execute endpoint the way Looker does, and shows
what Looker is told and what Segment received. Everything it starts, it stops.
"""

import json
from pathlib import Path

import requests

from tools.hub_process import HubProcess, chunked, looker_headers
from tools.segment_sink import SegmentSink

LOOKS = Path(__file__).resolve().parent / "looks"
EXAMPLE = LOOKS / "execute_active_users_push.json"
DEMO_WRITE_KEY = "demo-write-key-not-a-real-one"


def _show(title, value):
    print(f"\n== {title}")
    print(json.dumps(value, indent=2) if not isinstance(value, str) else value)


def main():
    request_body = json.loads(EXAMPLE.read_text())
    request_body["data"]["segment_write_key"] = DEMO_WRITE_KEY
    look = json.loads(request_body["attachment"]["data"])

    with SegmentSink() as sink, HubProcess(sink.url) as hub:
        print(f"Segment-compatible sink on {sink.url}; hub (gunicorn) on {hub.url}")
        headers = looker_headers(hub, webhook_id="demo-webhook-0001")

        listing = requests.post(f"{hub.url}/", headers=headers, timeout=10).json()
        names = [f"{a['name']} ({a['label']})" for a in listing["integrations"]]
        _show("Looker adds the hub and sees these actions", ", ".join(names))

        print(
            f'\n== Looker sends the Look "{request_body["scheduled_plan"]["title"]}" '
            f"({len(look['data'])} rows) to /actions/segment_identify/execute"
        )
        body = json.dumps(request_body).encode()
        answer = requests.post(
            f"{hub.url}/actions/segment_identify/execute",
            data=chunked(body),
            headers=headers,
            timeout=60,
        )
        _show(f"Looker is told (HTTP {answer.status_code})", answer.json())

        calls = []
        for message in sink.messages:
            shown = {k: v for k, v in message.items() if not k.startswith("_")}
            shown.pop("context", None)
            calls.append(shown)
        _show(f"Segment received {len(calls)} Identify calls", calls)
        print(
            "\nEvery row became one call. Sam Whitlow has no email, so none is sent;"
            "\nLee Anonymous has no user ID, so the hub derived a stable anonymousId"
            "\nfrom the email. Each call also carries context (the hub's and the"
            "\nlibrary's names and versions), left out above."
        )

    ok = (
        answer.ok
        and answer.json()["looker"]["success"]
        and len(calls) == len(look["data"])
    )
    print("\nDemo finished: hub and sink stopped." if ok else "\nDemo FAILED.")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
