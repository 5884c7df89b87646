"""Benchmarks: `make bench` writes bench/results.json and the tables in docs/benchmarks.md."""
