"""Throughput and memory benchmark of the hub: `python -m benchmarks.run`."""
