"""Benchmarks: `python -m bench NAME|all` prints numbers; never a pass/fail on timing."""
