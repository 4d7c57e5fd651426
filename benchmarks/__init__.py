"""Before/after benchmarks and the load test of modular-server (never shipped with the package).

``python -m benchmarks`` (``make bench``) measures the baseline app, the product in several
configurations and two floors in one interleaved run and writes ``benchmarks/results/``;
``python -m benchmarks.loadtest`` (``make loadtest``) runs mixed traffic against two workers.
"""
