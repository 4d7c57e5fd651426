"""``python -m benchmarks``: the before/after benchmark (``make bench``)."""

from benchmarks.cli import main

raise SystemExit(main())
