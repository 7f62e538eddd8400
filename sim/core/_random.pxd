# Counter-based random numbers for the compiled kernels.
#
# Design note.  Every random number in a kernel is a pure function of
# (stream key, wave key, customer index, draw number): a SplitMix64 finalizer applied to a
# counter.  Nothing is carried from one customer to the next, so
#   * results do not depend on how a wave is split across threads or chunks,
#   * a customer's own noise is the same whatever the strategy did to other customers
#     (common random numbers across strategies),
#   * the NumPy twins (sim/core/twins/random.py) reproduce every draw bit for bit.
# Keys are uint64 values derived in Python (sim.rng); kernels never seed anything.

from libc.stdint cimport uint64_t, uint32_t

cdef enum:
    _GOLDEN = 0x9E3779B97F4A7C15

cdef inline uint64_t mix64(uint64_t z) noexcept nogil:
    """SplitMix64 finalizer: a bijective 64-bit mix with full avalanche."""
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    return z ^ (z >> 31)

cdef inline uint64_t customer_base(uint64_t wave_key, uint64_t customer) noexcept nogil:
    """The starting counter of one customer's draws within one wave."""
    return mix64(wave_key ^ (customer * <uint64_t>0x9E3779B97F4A7C15ULL))

cdef inline uint64_t draw_bits(uint64_t base, uint64_t j) noexcept nogil:
    """Draw number j (0, 1, 2, ...) of a customer: 64 random bits."""
    return mix64(base + (j + 1) * <uint64_t>0x9E3779B97F4A7C15ULL)

cdef inline double bits_to_uniform(uint64_t bits) noexcept nogil:
    """The top 53 bits as a double in [0, 1)."""
    return <double>(bits >> 11) * (1.0 / 9007199254740992.0)

cdef inline double draw_uniform(uint64_t base, uint64_t j) noexcept nogil:
    return bits_to_uniform(draw_bits(base, j))

cdef inline uint32_t bounded_low(uint64_t bits, uint32_t n) noexcept nogil:
    """An integer in [0, n) from the low 32 bits (multiply-shift, Lemire 2019)."""
    return <uint32_t>(((bits & <uint64_t>0xFFFFFFFFULL) * <uint64_t>n) >> 32)

cdef inline uint32_t bounded_high(uint64_t bits, uint32_t n) noexcept nogil:
    """An integer in [0, n) from the high 32 bits."""
    return <uint32_t>(((bits >> 32) * <uint64_t>n) >> 32)
