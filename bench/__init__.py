"""Benchmarks: `make bench` writes bench/results.json and the tables in docs/benchmarks.md."""

import local  # noqa: F401  (puts the core layer on the path for every bench module)
