"""The anomaly benchmark (``python -m benchmarks.anomaly``, part of ``make bench``): how long a
training job with rescoring takes on the demo ledger, and whether live scoring keeps up with a
sustained stream of bookings."""
