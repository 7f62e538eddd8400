# Thread-count helpers that work with and without OpenMP.
#
# Calling omp_* functions from a module built without -fopenmp compiles but fails at import
# (undefined symbol), so the calls go through verbatim C guarded by _OPENMP.

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    static int sim_openmp_enabled(void) { return 1; }
    static int sim_max_threads(void) { return omp_get_max_threads(); }
    #else
    static int sim_openmp_enabled(void) { return 0; }
    static int sim_max_threads(void) { return 1; }
    #endif
    """
    int sim_openmp_enabled() nogil
    int sim_max_threads() nogil


def openmp_enabled():
    """1 when compiled with OpenMP, else 0."""
    return sim_openmp_enabled()


def max_threads():
    """OpenMP's default thread count (1 without OpenMP)."""
    return sim_max_threads()
