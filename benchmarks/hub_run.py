"""One measured run: a fresh sink and a fresh one-worker gunicorn hub, one execute call.

A fresh gunicorn per run gives the worker a clean peak RSS (VmHWM). The clock
starts when the execute request starts and stops when the hub has answered and
the sink holds a message for every row.
"""

import json
import math
import os
import secrets
import time

import requests

from action_hub.config import Settings
from benchmarks import looks, report
from benchmarks.procstats import MB, only_child, sample
from benchmarks.profiling import Profiler, summarize
from benchmarks.sink_process import SinkProcess
from tools.hub_process import ROOT, HubProcess, chunked, looker_headers

EXECUTE_PATH = "/actions/segment_identify/execute"
DEFAULT_MAX_BODY_BYTES = 250 * MB
# The hub writes a newline every 20 s while it works, so this only trips on a hang.
READ_TIMEOUT_SECONDS = 300
SINK_WAIT_SECONDS = 60
SETTLE_SECONDS = 0.5


def _hub_env(body_bytes):
    """Raise ACTION_HUB_MAX_BODY_MB only when a pushed body is over the default."""
    if body_bytes is None or body_bytes <= DEFAULT_MAX_BODY_BYTES:
        return {}
    return {"ACTION_HUB_MAX_BODY_MB": str(math.ceil(body_bytes / MB) + 16)}


def _answer(response):
    """The hub's JSON answer (after its keep-alive newlines), or None."""
    try:
        return json.loads(response.text)
    except ValueError:
        return None


def _log_tail(path, lines=20):
    try:
        return path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def hub_upload_threads():
    """The upload threads each hub run uses (SEGMENT_UPLOAD_THREADS or its default)."""
    raw = os.environ.get("SEGMENT_UPLOAD_THREADS", "").strip()
    return int(raw) if raw.isdigit() else Settings.upload_threads


def run_hub(
    mode,
    look,
    push_body_path,
    downloads,
    work_dir,
    profile_dir=None,
    sink_latency=0.0,
):
    """Send `look` to a fresh hub by `mode` ("url" or "push"); return the figures."""
    name = f"{mode}-{look.rows}"
    body_bytes = push_body_path.stat().st_size if mode == "push" else None
    env = _hub_env(body_bytes)
    log_path = work_dir / f"hub-{name}.log"
    # The hub's code is read when gunicorn starts, so note the version it ran.
    code = report.code_version(ROOT)
    with (
        SinkProcess(sink_latency) as sink,
        HubProcess(sink.url, env=env, workers=1, log_path=log_path) as hub,
    ):
        worker = only_child(hub.process.pid)
        headers = looker_headers(hub, webhook_id=f"bench-{name}-{secrets.token_hex(4)}")
        if mode == "url":
            body = chunked(looks.url_body(downloads.publish(look.path)))
        else:
            body = looks.file_chunks(push_body_path)
        idle = sample(worker)
        profiler = None
        if profile_dir is not None:
            profiler = Profiler(worker, profile_dir / f"{name}.raw.txt").start()

        started = time.perf_counter()
        try:
            response = requests.post(
                f"{hub.url}{EXECUTE_PATH}",
                data=body,
                headers=headers,
                timeout=(10, READ_TIMEOUT_SECONDS),
            )
            status, answer = response.status_code, _answer(response)
        except requests.RequestException as error:
            status, answer = None, {"error": f"the request failed ({error!r})"}
        answered = time.perf_counter()
        wait = SINK_WAIT_SECONDS if status == 200 else SETTLE_SECONDS
        counts = sink.wait_for(look.rows, wait)
        finished = time.perf_counter()
        if profiler is not None:
            profiler.stop()
        # Late or duplicate batches still in flight would show up here.
        time.sleep(SETTLE_SECONDS)
        counts = sink.counts()
        done = sample(worker)

    looker = (answer or {}).get("looker") or {}
    seconds = finished - started
    cpu = done.cpu_seconds - idle.cpu_seconds
    result = {
        "mode": mode,
        "rows": look.rows,
        "look_bytes": look.bytes,
        "body_bytes": body_bytes,
        "hub_env": env,
        "code": code,
        "http_status": status,
        "success": looker.get("success"),
        "message": looker.get("message") or (answer or {}).get("error"),
        "seconds": round(seconds, 3),
        "answer_seconds": round(answered - started, 3),
        "rows_per_second": round(look.rows / seconds, 1),
        "cpu_seconds": round(cpu, 3),
        "cpu_seconds_per_100k_rows": round(cpu * 100_000 / look.rows, 3),
        "idle_rss_bytes": idle.rss_bytes,
        "peak_rss_bytes": done.peak_rss_bytes,
        "rss_growth_bytes": done.peak_rss_bytes - idle.rss_bytes,
        "sink": counts,
        "profiled": profiler is not None,
    }
    problems = delivery_problems(result)
    result["problems"] = problems
    if problems:
        result["hub_log_tail"] = _log_tail(log_path)
    if profiler is not None:
        result["profile"] = summarize(profiler.output_path)
    return result


def delivery_problems(result):
    """What went wrong with a run's delivery; empty when every row arrived once."""
    problems = []
    rows, sink = result["rows"], result["sink"]
    if result["http_status"] is None:
        problems.append(result["message"])
    elif result["http_status"] != 200:
        problems.append(f"the hub answered HTTP {result['http_status']}")
    if result["success"] is not True:
        problems.append(f"the hub reported failure: {result['message']}")
    if sink["messages"] != rows:
        problems.append(
            f"the sink received {sink['messages']:,} messages for {rows:,} rows"
        )
    if sink["distinct_message_ids"] != rows:
        problems.append(
            f"the sink saw {sink['distinct_message_ids']:,} distinct messageIds "
            f"for {rows:,} rows"
        )
    return problems


def mb(value):
    """Bytes as MB (MiB), one decimal; None stays None."""
    return None if value is None else round(value / MB, 1)
