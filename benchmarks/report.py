"""The benchmark's results: machine facts, targets checked, JSON and Markdown."""

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.procstats import MB

THROUGHPUT_FLOOR = 20_000
BASELINE_SHARE_FLOOR = 0.5
URL_PEAK_RSS_CEILING = 150 * MB
URL_PEAK_RSS_GROWTH_CEILING = 20 * MB
PUSH_GROWTH_PER_BODY_BYTE = 2.0


def machine():
    """CPU count, CPU model, memory, Python and OS of this machine."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_mb": round(memory / MB),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def code_version(root):
    """The commit under test and the hub files that differ from it, if any."""

    def git(*args):
        completed = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False
        )
        return completed.stdout.strip() if completed.returncode == 0 else None

    changed = git("status", "--porcelain", "--", "action_hub", "actions", "tools")
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_hub_changes": changed.splitlines() if changed else [],
    }


def now_utc():
    """The current time, ISO 8601 in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _ratio(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 2)


def compare(run, baseline):
    """Ratios of a hub run to the baseline on the same Look (hub / baseline)."""
    if baseline is None:
        return None
    return {
        "rows_per_second": _ratio(run["rows_per_second"], baseline["rows_per_second"]),
        "cpu_seconds_per_100k_rows": _ratio(
            run["cpu_seconds_per_100k_rows"], baseline["cpu_seconds_per_100k_rows"]
        ),
        "peak_rss": _ratio(run["peak_rss_bytes"], baseline["peak_rss_bytes"]),
    }


def _target(name, met, measured):
    return {"target": name, "met": met, "measured": measured}


def check_targets(runs, baselines):
    """Each target of benchmarks/README.md that these runs can decide."""
    targets = []
    # A run that lost rows counts under the last target, not as fast or small.
    delivered = [run for run in runs if not run["problems"]]
    by_key = {(r["mode"], r["rows"]): r for r in delivered}
    url_1m, url_100k = by_key.get(("url", 1_000_000)), by_key.get(("url", 100_000))
    if url_1m:
        peak = url_1m["peak_rss_bytes"]
        targets.append(
            _target(
                "1M rows by URL: peak worker RSS <= 150 MB",
                peak <= URL_PEAK_RSS_CEILING,
                f"{peak / MB:.1f} MB",
            )
        )
        if url_100k:
            growth = peak - url_100k["peak_rss_bytes"]
            targets.append(
                _target(
                    "1M rows by URL: peak RSS <= 20 MB more than at 100k rows",
                    growth <= URL_PEAK_RSS_GROWTH_CEILING,
                    f"{growth / MB:+.1f} MB",
                )
            )
    for run in delivered:
        if run["rows"] < 100_000:
            continue
        label = f"{run['rows']:,} rows by {run['mode']}"
        speed = run["rows_per_second"]
        targets.append(
            _target(
                f"{label}: >= {THROUGHPUT_FLOOR:,} rows/s",
                speed >= THROUGHPUT_FLOOR,
                f"{speed:,.0f} rows/s",
            )
        )
        baseline = baselines.get(str(run["rows"]))
        if baseline:
            share = speed / baseline["rows_per_second"]
            targets.append(
                _target(
                    f"{label}: >= half the baseline's rows/s",
                    share >= BASELINE_SHARE_FLOOR,
                    f"{share:.2f} of the baseline",
                )
            )
    streamed = {r["rows"]: r for r in delivered if r["mode"] == "url"}
    for run in delivered:
        # Below 100k rows the worker's fixed per-run growth outweighs the body.
        if run["mode"] != "push" or run["rows"] < 100_000:
            continue
        # What the body costs: the pushed run's growth less what a streamed run
        # of the same rows grew (the run's own threads and buffers).
        fixed = streamed.get(run["rows"], {}).get("rss_growth_bytes", 0)
        per_byte = (run["rss_growth_bytes"] - fixed) / run["body_bytes"]
        targets.append(
            _target(
                f"{run['rows']:,} rows pushed: memory growth <= ~2x body size",
                per_byte <= PUSH_GROWTH_PER_BODY_BYTE,
                f"{(run['rss_growth_bytes'] - fixed) / MB:.0f} MB beyond a streamed "
                f"run's {fixed / MB:.0f} MB, for a {run['body_bytes'] / MB:.0f} MB "
                f"body ({per_byte:.2f}x)",
            )
        )
    lost = [r for r in runs if r["problems"]]
    targets.append(
        _target(
            "no row lost or duplicated (every run)",
            not lost,
            "all rows arrived once" if not lost else f"{len(lost)} run(s) failed",
        )
    )
    return targets


def write_json(path, results):
    """Write the whole results document."""
    Path(path).write_text(json.dumps(results, indent=2) + "\n")


def _cell(value, pattern="{:,.0f}"):
    return "-" if value is None else pattern.format(value)


def _sink_line(latency):
    if not latency:
        return "- Sink: on 127.0.0.1, answering each batch as soon as it is read."
    return (
        f"- Sink: on 127.0.0.1, waiting {latency:g} s before answering each batch "
        "(`--sink-latency`), as a distant Segment would."
    )


def markdown(results):
    """The results as a short Markdown report."""
    m = results["machine"]
    code = results["code"]
    lines = [
        "# Hub benchmark results",
        "",
        f"- Date: {results['date']}",
        (
            f"- Machine: {m['nproc']} CPUs ({m['cpu_model']}), "
            f"{m['memory_mb']:,} MB RAM, Python {m['python']}, {m['platform']}"
        ),
        f"- Command: `{results['command']}`",
        f"- Code: commit {code['commit'] or 'unknown (not a git checkout)'}"
        + (
            f", with uncommitted changes to {len(code['uncommitted_hub_changes'])} "
            "hub file(s)"
            if code["uncommitted_hub_changes"]
            else ""
        ),
        (
            "- Hub: gunicorn, 1 gthread worker (as the Procfile starts it), "
            f"{results.get('upload_threads', '?')} upload threads; a fresh "
            "gunicorn and sink per run. Baseline: benchmarks/baseline.py in its own "
            "process, same Look, same sink."
        ),
        _sink_line(results.get("sink_latency_seconds") or 0),
        (
            "- Ratios are hub / baseline. CPU is user + system seconds of the worker "
            "process (all threads) per 100,000 rows; RSS is the worker's peak "
            "(VmHWM); RSS growth is that peak minus the worker's RSS just before "
            "the request."
        ),
        "",
        (
            "| rows | mode | body MB | hub rows/s | base rows/s | ratio "
            "| hub CPU s/100k | base CPU s/100k | ratio | hub peak MB | base peak MB "
            "| RSS growth MB | rows delivered once |"
        ),
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in results["runs"]:
        base = results["baselines"].get(str(run["rows"])) or {}
        base_peak = base.get("peak_rss_bytes")
        ratio = run.get("vs_baseline") or {}
        body = run["body_bytes"] if run["mode"] == "push" else run["look_bytes"]
        problems = run["problems"]
        delivered = "yes" if not problems else "NO: " + "; ".join(problems)
        lines.append(
            f"| {run['rows']:,} | {run['mode']} | {body / MB:,.0f} "
            f"| {_cell(run['rows_per_second'])} | {_cell(base.get('rows_per_second'))} "
            f"| {_cell(ratio.get('rows_per_second'), '{:.2f}')} "
            f"| {_cell(run['cpu_seconds_per_100k_rows'], '{:.2f}')} "
            f"| {_cell(base.get('cpu_seconds_per_100k_rows'), '{:.2f}')} "
            f"| {_cell(ratio.get('cpu_seconds_per_100k_rows'), '{:.2f}')} "
            f"| {run['peak_rss_bytes'] / MB:,.1f} "
            f"| {_cell(base_peak and base_peak / MB, '{:,.1f}')} "
            f"| {run['rss_growth_bytes'] / MB:,.1f} | {delivered} |"
        )
    versions = {json.dumps(run["code"], sort_keys=True) for run in results["runs"]}
    if len(versions) > 1:
        lines += [
            "",
            (
                "- **The hub's code changed during this benchmark**: the runs did "
                "not all test the same version (see `code` of each run in "
                "latest.json)."
            ),
        ]
    raised = [r for r in results["runs"] if r["hub_env"]]
    if raised:
        lines.append("")
        for run in raised:
            lines.append(
                f"- {run['rows']:,} rows pushed: the body is over the hub's default "
                f"250 MB limit, so this run set {run['hub_env']} for the hub."
            )
    lines += ["", "## Targets", ""]
    for target in results["targets"]:
        mark = "met" if target["met"] else "**MISSED**"
        lines.append(f"- {mark}: {target['target']} ({target['measured']})")
    return "\n".join(lines) + "\n"
