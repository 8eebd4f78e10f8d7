"""The test environment has the optional pieces the suite exercises (``pip install '.[dev]'``).

Without numba the fused optimizer loops and the RNN kernels would quietly fall back to
NumPy and their tests would check the NumPy path twice; this makes that loud instead.
"""

import backprop as bp
from backprop.ops import rnn
from backprop.optim import _fused


def test_numba_kernels_are_available():
    assert _fused.available(), "numba is missing: the fused optimizer loops go untested"
    assert rnn.compiled_kernels(bp.float64) is not None or not rnn.use_compiled_kernels, (
        "numba is missing: the RNN kernels go untested")
