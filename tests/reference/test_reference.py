"""Every entry of the table, against PyTorch 2.13 (float64), ``bp.gradcheck`` and in float32.

Binary element-wise entries (``broadcast=True``) are also run on operand shapes that
hypothesis draws from NumPy's broadcasting rules.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from .harness import check_against_torch, check_float32, check_gradcheck, draw_inputs
from .table import OPS

IDS = [c.name for c in OPS]
# Softmax() without dim: both libraries warn (tested in tests/nn); the values are checked here.
# NumPy's RuntimeWarnings (overflow, 0/0) on these ordinary inputs would be bugs.
# torch's note that padding='same' with an even kernel pads a copy of the input: not ours.
pytestmark = [pytest.mark.filterwarnings("ignore:Implicit dimension choice:UserWarning"),
              pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning"),
              pytest.mark.filterwarnings("error::RuntimeWarning")]


def test_names_are_unique():
    assert len(IDS) == len(set(IDS))


@pytest.mark.parametrize("case", OPS, ids=IDS)
def test_matches_torch(case):
    check_against_torch(case)


@pytest.mark.parametrize("case", [c for c in OPS if c.gradcheck],
                         ids=[c.name for c in OPS if c.gradcheck])
def test_gradcheck(case):
    check_gradcheck(case)


@pytest.mark.parametrize("case", OPS, ids=IDS)
def test_float32_stays_float32(case):
    check_float32(case)


BROADCAST = [c for c in OPS if c.broadcast]


@pytest.mark.parametrize("case", BROADCAST, ids=[c.name for c in BROADCAST])
@settings(max_examples=8, deadline=None, derandomize=True)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0,
                                           max_side=3),
       seed=st.integers(0, 2**16))
def test_broadcast_matches_torch(case, shapes, seed):
    a, b = shapes.input_shapes
    varied = type(case)(**{**case.__dict__, "inputs": (case.inputs[0].with_shape(a),
                                                       case.inputs[1].with_shape(b))})
    arrays = draw_inputs(varied, seed_extra=seed)
    check_against_torch(varied, arrays)
