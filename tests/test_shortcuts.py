"""Exact shortcuts in the compiled kernels: a coin decided without computing its probability
must come out as it would with the probability computed, also on inputs outside the model's
ranges (where the shortcut must not be taken)."""

import numpy as np
import pytest

from sim.core.kernels import call
from tests.test_kernels import DIMS, _inputs


@pytest.mark.parametrize("elasticity, fatigue_k", [(1.0, 0.15), (0.0, 0.0), (2.5, 0.3), (-1.0, 0.2), (1.0, -0.5)])
def test_expose_equals_the_twin_when_it_skips_the_probability(elasticity, fatigue_k):
    args = _inputs("expose", seed=4)
    rng = np.random.default_rng(4)
    n = DIMS["N"]
    # In range for most customers; some out of range (trust above 1, negative fatigue), where
    # the bound behind the shortcut does not hold.
    args["trust"] = np.where(rng.random(n) < 0.1, 1.5, rng.random(n)).astype(np.float32)
    args["fatigue"] = np.where(rng.random((n, DIMS["C"])) < 0.1, -3.0, 2 * rng.random((n, DIMS["C"]))
                               ).astype(np.float32)
    args.update(base_rate=0.3, trust_elasticity=elasticity, fatigue_k=fatigue_k)
    got = {**args, "exposed": np.zeros_like(args["exposed"])}
    want = {**args, "exposed": np.zeros_like(args["exposed"])}
    call("expose", "compiled", **{**got, "n_threads": 1})
    call("expose", "numpy", **{**want, "n_threads": 1})
    np.testing.assert_array_equal(got["exposed"], want["exposed"])
    assert 0 < got["exposed"].sum() < len(got["exposed"])
