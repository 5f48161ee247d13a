"""Delivery under faults: every count Looker is told matches what Segment recorded."""

import json
import re
import threading

import pytest

from tests.conftest import execute, execute_body, post_to_hub
from tests.looks import make_look
from tools.download_server import DownloadServer
from tools.hub_process import HubProcess, free_port
from tools.segment_sink import Fault

EXECUTE = "/actions/segment_identify/execute"


def sent_count(message):
    return int(re.match(r"Sent ([\d,]+) of", message).group(1).replace(",", ""))


def test_burst_of_429s_and_5xx_then_success_delivers_everything_once(hub, segment):
    segment.fail_next(
        Fault(status=429, headers={"Retry-After": "1"}),
        Fault(status=429),
        Fault(status=503),
        Fault(reset=True),
    )
    looker = execute(hub, execute_body(make_look(3000)))
    assert looker["success"] is True, looker
    assert looker["message"] == "Sent 3,000 of 3,000 rows to Segment as Identify calls."
    assert segment.message_count == 3000
    assert len(segment.message_ids) == 3000


def test_segment_down_for_the_whole_run_says_nothing_was_delivered(segment):
    dead = f"http://127.0.0.1:{free_port()}"
    env = {"SEGMENT_MAX_RETRIES": "1"}
    with HubProcess(dead, env=env) as down_hub:
        small = execute(down_hub, execute_body(make_look(50)))
        large = execute(down_hub, execute_body(make_look(30_000)))
    assert small["success"] is False
    assert small["message"].startswith("Sent 0 of 50 rows")
    assert "Failed 50 rows (the hub could not reach Segment)" in small["message"]

    assert large["success"] is False
    assert large["message"].startswith("Sent 0 of ")
    assert "(the hub could not reach Segment)" in large["message"]
    assert large["message"].endswith(
        "Sending stopped there, and the rest of the Look was not read."
    )
    read = int(
        re.search(r"of ([\d,]+) rows", large["message"]).group(1).replace(",", "")
    )
    failed = sum(
        int(n.replace(",", ""))
        for n in re.findall(r"([\d,]+) rows? \(", large["message"])
    )
    assert failed == read < 30_000


def test_rejected_write_key_is_reported_without_the_key(hub, segment):
    segment.rejected_write_keys.add("wk-rejected-123")
    looker = execute(hub, execute_body(make_look(20), write_key="wk-rejected-123"))
    assert looker["success"] is False
    assert "Segment rejected the write key" in looker["message"]
    assert "wk-rejected-123" not in looker["message"]
    assert looker["message"].startswith("Sent 0 of 20 rows")
    assert segment.message_count == 0


def test_permanent_400_is_not_retried(hub, segment):
    segment.fail_next(Fault(status=400))
    looker = execute(hub, execute_body(make_look(10)))
    assert looker["success"] is False
    assert "rejected the batch as invalid (HTTP 400)" in looker["message"]
    assert segment.requests == 0
    assert segment.message_count == 0


def test_oversize_row_fails_alone_and_is_named_by_number(hub, segment):
    look = make_look(5)
    look["data"][2]["users.name"] = {"value": "x" * 40_000}
    looker = execute(hub, execute_body(look))
    assert looker["success"] is False
    assert looker["message"] == (
        "Sent 4 of 5 rows to Segment as Identify calls. "
        "Failed 1 row (over Segment's 32 KB message limit; row 3)."
    )
    assert sorted(m["userId"] for m in segment.messages) == ["u0", "u1", "u3", "u4"]


def test_batches_stay_under_segments_500_kb_limit(hub, segment):
    look = make_look(400, extra={"users.bio": {"value": "y" * 3000}})
    assert execute(hub, execute_body(look))["success"]
    assert segment.message_count == 400
    assert max(segment.batch_bytes) < 500 * 1024


def test_download_cut_mid_row_reports_what_was_sent_before_the_break(hub, segment):
    raw = json.dumps(make_look(3000)).encode()
    with DownloadServer() as server:
        url = server.publish(raw, cut_after=len(raw) // 2)
        body = execute_body(download_url=url)
        body["attachment"] = None
        looker = execute(hub, body)
    assert looker["success"] is False
    assert "broke off before the end" in looker["message"]
    sent = sent_count(looker["message"])
    assert 0 < sent < 3000
    assert segment.message_count == sent


def test_download_that_answers_an_error_status_is_reported(hub, segment):
    with DownloadServer() as server:
        url = server.publish(b"expired", status=403)
        body = execute_body(download_url=url)
        body["attachment"] = None
        looker = execute(hub, body)
    assert looker["success"] is False
    assert "HTTP 403" in looker["message"]
    assert segment.message_count == 0


def test_concurrent_runs_deliver_everything_to_their_own_write_keys(hub, segment):
    results = {}

    def send(index):
        look = make_look(5000, user_prefix=f"k{index}-")
        body = execute_body(look, write_key=f"wk-concurrent-{index}")
        results[index] = execute(hub, body, timeout=300)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(result["success"] for result in results.values()), results
    assert segment.message_count == 100_000
    assert len(segment.message_ids) == 100_000
    for message in segment.messages:
        index = message["userId"].split("-", 1)[0][1:]
        assert message["_writeKey"] == f"wk-concurrent-{index}"


@pytest.fixture(scope="module")
def slow_hub(e2e_sink):
    env = {
        "ACTION_HUB_KEEPALIVE_SECONDS": "0.2",
        "SEGMENT_TIMEOUT_SECONDS": "1",
        "SEGMENT_MAX_RETRIES": "3",
    }
    with HubProcess(e2e_sink.url, env=env) as running:
        yield running


def test_long_run_keeps_the_connection_alive_with_whitespace(slow_hub, segment):
    segment.fail_next(Fault(delay=0.8), Fault(delay=0.8))
    response = post_to_hub(slow_hub, EXECUTE, execute_body(make_look(10)))
    text = response.text
    assert text.startswith("\n")
    assert json.loads(text)["looker"]["success"] is True
    assert segment.message_count == 10


def test_segment_slower_than_the_timeout_is_retried(slow_hub, segment):
    segment.fail_next(Fault(delay=1.5))
    looker = json.loads(
        post_to_hub(slow_hub, EXECUTE, execute_body(make_look(10))).text
    )
    assert looker["looker"]["success"] is True
    assert segment.message_count >= 10
    assert len(segment.message_ids) == 10
