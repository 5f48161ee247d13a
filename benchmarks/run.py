"""Benchmark the hub end to end: `python -m benchmarks.run [--sizes ...] [--modes ...]`.

For each size it generates a Look, runs the baseline over it, then sends it to
a fresh one-worker gunicorn hub by download URL and as a pushed body, and
checks the sink got exactly one message per row. Results go to
benchmarks/results/latest.json and latest.md. It exits 1 when any run lost,
duplicated or failed rows. See benchmarks/README.md.
"""

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import looks, report
from benchmarks.hub_run import delivery_problems, hub_upload_threads, mb, run_hub
from benchmarks.sink_process import SinkProcess
from tools.download_server import DownloadServer

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ROOT = RESULTS_DIR.parent.parent
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
MODES = ("url", "push")
BASELINE_TIMEOUT_SECONDS = 1800


def _sizes(text):
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        msg = f"sizes must be whole numbers separated by commas, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None
    if not sizes or min(sizes) < 1:
        msg = "give at least one size of 1 row or more"
        raise argparse.ArgumentTypeError(msg)
    return sizes


def _modes(text):
    modes = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(modes) - set(MODES))
    if not modes or unknown:
        msg = f"modes are url and/or push, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return modes


def _seconds(text):
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 10:
        msg = f"expected seconds between 0 and 10, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return seconds


def parse_args(argv=None):
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=list(DEFAULT_SIZES),
        help="rows per Look, comma-separated (default 10000,100000,1000000)",
    )
    parser.add_argument(
        "--modes",
        type=_modes,
        default=list(MODES),
        help="url (download URL) and/or push (attachment.data); default both",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the baseline pipeline"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record each hub run with py-spy into DIR (slows the runs down)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS_DIR,
        help="where latest.json and latest.md go (default benchmarks/results)",
    )
    parser.add_argument(
        "--sink-latency",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="make the sink wait this long before answering each batch (default 0)",
    )
    parser.add_argument(
        "--keep-files", action="store_true", help="keep the generated Looks and logs"
    )
    return parser.parse_args(argv)


def run_baseline(look, sink_latency=0.0):
    """Run benchmarks.baseline over `look` in its own process against a fresh sink."""
    with SinkProcess(sink_latency) as sink:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.baseline",
                "--look",
                str(look.path),
                "--sink",
                sink.url,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=BASELINE_TIMEOUT_SECONDS,
            check=False,
        )
        counts = sink.counts()
    if completed.returncode != 0:
        msg = f"the baseline failed:\n{completed.stderr[-2000:]}"
        raise RuntimeError(msg)
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["cpu_seconds_per_100k_rows"] = round(
        result["cpu_seconds"] * 100_000 / look.rows, 3
    )
    result["sink"] = counts
    if counts["messages"] != look.rows or counts["distinct_message_ids"] != look.rows:
        msg = f"the baseline delivered {counts} for {look.rows:,} rows"
        raise RuntimeError(msg)
    return result


def _say(text):
    print(text, flush=True)


def _describe_run(run):
    ratio = run.get("vs_baseline") or {}
    versus = (
        f" ({ratio['rows_per_second']:.2f}x baseline)"
        if ratio.get("rows_per_second")
        else ""
    )
    status = "ok" if not run["problems"] else "FAILED: " + "; ".join(run["problems"])
    return (
        f"  hub {run['mode']:>4}: {run['rows_per_second']:>9,.0f} rows/s{versus}, "
        f"{run['cpu_seconds_per_100k_rows']:.2f} CPU s/100k rows, "
        f"peak RSS {mb(run['peak_rss_bytes'])} MB, {status}"
    )


def benchmark(args, work_dir):
    """Run every size and mode asked for; return the results document."""
    runs, baselines = [], {}
    with DownloadServer() as downloads:
        for size in args.sizes:
            started = time.perf_counter()
            look = looks.write_look(work_dir / f"look-{size}.json", size)
            _say(
                f"{size:,} rows: Look of {mb(look.bytes)} MB generated in "
                f"{time.perf_counter() - started:.1f} s"
            )
            baseline = None
            if not args.no_baseline:
                baseline = run_baseline(look, args.sink_latency)
                baselines[str(size)] = baseline
                _say(
                    f"  baseline: {baseline['rows_per_second']:>9,.0f} rows/s, "
                    f"{baseline['cpu_seconds_per_100k_rows']:.2f} CPU s/100k rows, "
                    f"peak RSS {mb(baseline['peak_rss_bytes'])} MB"
                )
            for mode in args.modes:
                push_body = None
                if mode == "push":
                    push_body = looks.write_push_body(
                        look, work_dir / f"push-{size}.json"
                    )
                run = run_hub(
                    mode,
                    look,
                    push_body,
                    downloads,
                    work_dir,
                    profile_dir=args.profile,
                    sink_latency=args.sink_latency,
                )
                run["vs_baseline"] = report.compare(run, baseline)
                runs.append(run)
                _say(_describe_run(run))
                if push_body is not None and not args.keep_files:
                    push_body.unlink()
            if not args.keep_files:
                look.path.unlink()
    return runs, baselines


def main(argv=None):
    """Run the benchmark, write the results, and exit 1 if any row went astray."""
    args = parse_args(argv)
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    args.results.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    _say(f"Working files in {work_dir}")
    try:
        runs, baselines = benchmark(args, work_dir)
    finally:
        if not args.keep_files:
            shutil.rmtree(work_dir, ignore_errors=True)

    results = {
        "date": report.now_utc(),
        "machine": report.machine(),
        "code": report.code_version(ROOT),
        "command": "python -m benchmarks.run " + shlex.join(argv or sys.argv[1:]),
        "sink_latency_seconds": args.sink_latency,
        "upload_threads": hub_upload_threads(),
        "runs": runs,
        "baselines": baselines,
        "targets": report.check_targets(runs, baselines),
    }
    report.write_json(args.results / "latest.json", results)
    table = report.markdown(results)
    (args.results / "latest.md").write_text(table)
    _say("\n" + table)

    failed = [run for run in runs if delivery_problems(run)]
    for run in failed:
        _say(f"FAILED {run['mode']} {run['rows']:,} rows: {'; '.join(run['problems'])}")
        for line in run.get("hub_log_tail", []):
            _say(f"    hub log: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
