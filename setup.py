"""Build script: compiles the customer kernels in ``sim/core``, ships ``configs/`` as ``sim.configs``
and ``experiments/`` as ``sim.experiments``.

In a source checkout it also compiles the kernels of the reference workload ref-v1
(``benchmarks/refv1/_kernels.pyx``, timed by ``make bench``), but only into the source tree
(``build_ext --inplace``, an editable install): a wheel holds the product, ``sim``, alone.

OpenMP is used where the compiler has it (``-fopenmp`` is probed once); without it the kernels
still build and run serially.  ``SIM_NO_OPENMP=1`` forces a serial build; ``SIM_CYTHON_DEBUG=1``
turns bounds checking back on for debugging.
"""

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup
from setuptools._distutils.ccompiler import new_compiler
from setuptools._distutils.sysconfig import customize_compiler
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent


def compiler_has_openmp() -> bool:
    """Compile and link a tiny OpenMP program; True when that works."""
    if os.environ.get("SIM_NO_OPENMP") == "1" or not sys.platform.startswith("linux"):
        return False
    cc = new_compiler()
    customize_compiler(cc)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "omp_probe.c")
        src.write_text("#include <omp.h>\nint main(void){return omp_get_max_threads() < 1;}\n")
        try:
            objs = cc.compile([str(src)], output_dir=tmp, extra_postargs=["-fopenmp"])
            cc.link_executable(objs, str(Path(tmp, "omp_probe")), extra_postargs=["-fopenmp"])
        except Exception:  # any compiler or linker failure means: no OpenMP
            return False
    return True


openmp_flags = ["-fopenmp"] if compiler_has_openmp() else []
debug = os.environ.get("SIM_CYTHON_DEBUG") == "1"


def compiled(name: str, sources: list[str]) -> Extension:
    """An extension built with the project's flags."""
    return Extension(
        name,
        sources,
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        # -ffp-contract=off keeps a*b+c as two roundings, exactly as the NumPy twins compute it.
        extra_compile_args=["-O3", "-ffp-contract=off", *openmp_flags],
        extra_link_args=openmp_flags,
    )


BENCHMARK_KERNELS = "benchmarks/refv1/_kernels.pyx"

extensions = [compiled("sim.core.*", ["sim/core/*.pyx"])]
if (HERE / BENCHMARK_KERNELS).exists():  # a source checkout, not an sdist
    extensions.append(compiled("benchmarks.refv1._kernels", [BENCHMARK_KERNELS]))


class BuildProductExtensions(build_ext):
    """``build_ext`` that compiles the benchmark kernels only into the source tree.

    A wheel (``pip install .``) ships the packages ``sim.*`` alone; a kernel of the
    ``benchmarks`` package there would be a module without its package.  An in-place build
    (``make``) stages its products in ``build/inplace`` before copying them into the tree, not
    in ``build/lib``, which a wheel built from this checkout later packs whole.
    """

    def finalize_options(self):
        super().finalize_options()
        if self.inplace:
            self.build_lib = os.path.join("build", "inplace")
        elif not self.editable_mode:  # an editable install stages in a directory of its own
            self.extensions = [e for e in self.extensions if not e.name.startswith("benchmarks.")]


config_root = HERE / "configs"
config_packages = ["sim.configs"] + sorted(
    "sim.configs." + ".".join(d.relative_to(config_root).parts)
    for d in config_root.rglob("*")
    if d.is_dir() and d.name != "__pycache__"
)

data_packages = [*config_packages, "sim.experiments"]

setup(
    # hydra_plugins.prepersona_search: the search sweeper (Hydra instantiates plugins from there only).
    packages=[*find_packages(include=["sim", "sim.*"]), "hydra_plugins.prepersona_search", *data_packages],
    package_dir={"sim.configs": "configs", "sim.experiments": "experiments"},
    package_data={"sim.core": ["*.pyi"], "sim.calibration": ["*.yaml"], **{p: ["*.yaml"] for p in data_packages}},
    exclude_package_data={"sim.core": ["*.c", "*.pyx", "*.pxd", "*.pxi", "*.html"]},
    cmdclass={"build_ext": BuildProductExtensions},
    # The extensions compile side by side, one per core (an editable install and `make` alike).
    options={"build_ext": {"parallel": os.cpu_count() or 1}},
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": "3",
            "boundscheck": debug,
            "wraparound": False,
            "initializedcheck": debug,
            "cdivision": True,
        },
    ),
)
