"""Benchmark suite for `reconcile` at estate scale: `python -m bench --help` (docs/performance.md)."""
