# The compiled form of a run's customer parameters (defined in _equations.pyx): kernels take a
# Params and hand the equations of _model.pxd a pointer to its struct.

from sim.core._model cimport CustomerParams


cdef class Params:
    cdef CustomerParams c
