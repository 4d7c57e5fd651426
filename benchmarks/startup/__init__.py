"""How fast the command line answers (``python -m benchmarks.startup``, part of ``make bench``)."""
