"""Running the hub as an admin would: start-up checks, logs, and long-term stability."""

import json
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import execute_body, post_to_hub
from tests.looks import make_look
from tools.download_server import DownloadServer
from tools.hub_process import GUNICORN_COMMAND, ROOT, HubProcess, free_port

EXECUTE = "/actions/segment_identify/execute"
GUNICORN_THREADS = 8


def start_gunicorn(env):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ACTION_HUB")}
    full_env.update(env, PORT=str(free_port()), HOST="127.0.0.1")
    return subprocess.run(
        GUNICORN_COMMAND,
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    "env, line",
    [
        (
            {"ACTION_HUB_LABEL": "Segment", "ACTION_HUB_SECRET": "x"},
            "action hub: ACTION_HUB_BASE_URL is not set",
        ),
        (
            {"ACTION_HUB_BASE_URL": "https://h.example.com", "ACTION_HUB_LABEL": "S"},
            "action hub: ACTION_HUB_SECRET is not set",
        ),
        (
            {
                "ACTION_HUB_BASE_URL": "https://h.example.com",
                "ACTION_HUB_LABEL": "S",
                "ACTION_HUB_SECRET": "x",
                "GUNICORN_THREADS": "eight",
            },
            "action hub: GUNICORN_THREADS must be a whole number",
        ),
    ],
)
def test_start_up_stops_with_one_line_naming_the_missing_setting(env, line):
    result = start_gunicorn(env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(line)


def test_insecure_dev_mode_allows_an_empty_secret_and_warns(e2e_sink, tmp_path):
    env = {"ACTION_HUB_SECRET": "", "ACTION_HUB_INSECURE_DEV": "1"}
    log_path = tmp_path / "hub.log"
    with HubProcess(e2e_sink.url, env=env, log_path=log_path) as hub:
        response = post_to_hub(hub, "/", b"")
    assert response.status_code == 200
    assert "any caller can use this hub" in log_path.read_text()


SECRET_VALUES = [
    "wk-SECRET-write-key-7781",
    "rare.person@secret-domain.example",
    "Zebediah Quux-Trait",
    "user-id-SECRET-4421",
    "download-token-SECRET-99",
]


@pytest.fixture
def logged_hub(e2e_sink, tmp_path):
    log_path = tmp_path / "hub.log"
    env = {"ACTION_HUB_LOG_FORMAT": "json"}
    with HubProcess(e2e_sink.url, env=env, log_path=log_path) as hub:
        yield hub, log_path


def test_logs_are_json_lines_without_secrets_or_customer_data(logged_hub, segment):
    hub, log_path = logged_hub
    write_key, email, name, user_id, token = SECRET_VALUES
    look = make_look(3)
    look["data"][0].update(
        {
            "users.id": {"value": user_id},
            "users.email": {"value": email},
            "users.name": {"value": name},
        }
    )
    look["data"][1]["users.name"] = {"value": name + "x" * 40_000}

    post_to_hub(hub, EXECUTE, execute_body(look, write_key=write_key))
    segment.rejected_write_keys.add(write_key)
    post_to_hub(hub, EXECUTE, execute_body(look, write_key=write_key))
    with DownloadServer() as server:
        url = server.publish(json.dumps(look).encode(), cut_after=200)
        body = execute_body(write_key=write_key, download_url=url + "?t=" + token)
        body["attachment"] = None
        post_to_hub(hub, EXECUTE, body)
    post_to_hub(
        hub, EXECUTE, b'{"type": "query", "data": {"x": "' + name.encode() + b'"'
    )
    time.sleep(0.3)

    text = Path(log_path).read_text()
    for secret in SECRET_VALUES + [hub.secret]:
        assert secret not in text
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    finished = [r for r in records if r["message"] == "run finished"]
    assert len(finished) == 2
    assert [r["reason"] for r in records if r["message"] == "run stopped"] == [
        "SourceError"
    ]
    first = finished[0]
    assert first["action"] == "segment_identify"
    assert first["rows"] == 3 and first["sent"] == 2
    assert first["failed_message_too_large"] == 1
    assert len(first["run_id"]) == 12 and first["seconds"] >= 0
    assert any(r["message"] == "segment batch failed" for r in records)


def _worker_pid(master_pid):
    children = (
        Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    )
    assert len(children) == 1
    return int(children[0])


def _threads_and_rss_kb(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    values = dict(line.split(":", 1) for line in status.splitlines())
    return int(values["Threads"]), int(values["VmRSS"].split()[0])


def test_hundreds_of_runs_leave_threads_and_memory_flat(e2e_sink):
    env = {"GUNICORN_THREADS": str(GUNICORN_THREADS)}
    with HubProcess(e2e_sink.url, env=env, workers=1) as hub:
        worker = _worker_pid(hub.process.pid)
        body = json.dumps(execute_body(make_look(20))).encode()
        # Concurrent runs first, so gunicorn has started every request thread
        # it will keep; later counts then show only what runs leave behind.
        warm_up = [
            threading.Thread(target=post_to_hub, args=(hub, EXECUTE, body))
            for _ in range(GUNICORN_THREADS * 2)
        ]
        for thread in warm_up:
            thread.start()
        for thread in warm_up:
            thread.join()
        for _ in range(30):
            assert post_to_hub(hub, EXECUTE, body).json()["looker"]["success"]
        time.sleep(1.0)
        threads_before, rss_before = _threads_and_rss_kb(worker)

        for _ in range(300):
            assert post_to_hub(hub, EXECUTE, body).json()["looker"]["success"]
        time.sleep(1.0)
        threads_after, rss_after = _threads_and_rss_kb(worker)

    assert threads_after <= threads_before
    assert rss_after - rss_before < 10 * 1024
