"""NumPy twins of the compiled kernels in :mod:`sim.core`.

Each twin is the readable reference of one kernel: same inputs, same counter-based random
numbers, same outputs.  The tests run both on the same data and assert they agree (the
reference workload's twin lives with it, in ``benchmarks/refv1/``).  Twins favour clarity over
speed.
"""
