"""``canary bench``: the benchmark harness (``harness``), its scenarios and their reference points.

See docs/benchmarks.md for what each scenario measures, how, and the latest figures.
"""
