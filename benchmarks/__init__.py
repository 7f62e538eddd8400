"""Speed measurements: ``python -m benchmarks.run`` prints the benchmark table (``make bench``)."""
