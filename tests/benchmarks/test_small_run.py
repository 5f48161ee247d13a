"""`make bench` on a small Look: the harness runs end to end and reports truthfully."""

import json

from benchmarks import run


def test_a_small_benchmark_delivers_every_row_and_writes_its_report(tmp_path):
    argv = ["--sizes", "2000", "--sink-latency", "0.02", "--results", str(tmp_path)]
    assert run.main(argv) == 0

    results = json.loads((tmp_path / "latest.json").read_text())
    assert results["sink_latency_seconds"] == 0.02
    assert results["upload_threads"] >= 1
    runs = results["runs"]
    assert [(r["mode"], r["rows"]) for r in runs] == [("url", 2000), ("push", 2000)]
    for hub_run in runs:
        assert hub_run["success"] is True
        assert hub_run["problems"] == []
        assert hub_run["sink"]["messages"] == 2000
        assert hub_run["sink"]["distinct_message_ids"] == 2000
        assert hub_run["peak_rss_bytes"] > hub_run["idle_rss_bytes"] > 0
    assert results["baselines"]["2000"]["sink"]["messages"] == 2000

    table = (tmp_path / "latest.md").read_text()
    assert "waiting 0.02 s before answering each batch" in table
    assert "met: no row lost or duplicated" in table
