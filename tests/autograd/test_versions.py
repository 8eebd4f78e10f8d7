"""autograd/versions.py: which saved tensors an op records, and watching saved outputs."""

import numpy as np
import pytest

import backprop as bp
from backprop.autograd.op import Op
from backprop.autograd.versions import saved_versions
from backprop.ops import elementwise as ew
from backprop.ops import matmul as mm


def _t(requires_grad):
    return bp.tensor(np.ones(2), requires_grad=requires_grad)


def test_cross_rule_records_each_factor_for_the_others_gradient():
    a, b = _t(True), _t(True)
    records = saved_versions("cross", (a, b), (a, b))
    assert [(i, t) for i, t, _ in records] == [(0, a), (1, b)]
    # only a needs a gradient: b is read (for a's gradient), a is not
    records = saved_versions("cross", (a, b), (a, None))
    assert [(i, t) for i, t, _ in records] == [(1, b)]
    records = saved_versions("cross", (a, b), (None, b))
    assert [(i, t) for i, t, _ in records] == [(0, a)]
    # a Python number needs no record
    assert saved_versions("cross", (0.5, b), (None, b)) is None


def test_plain_rule_records_every_tensor_input_with_its_version():
    a, b = _t(True), _t(False)
    with bp.no_grad():
        a.mul_(2)
    assert saved_versions(True, (a,), (a,)) == ((0, a, 1),)
    assert saved_versions(True, (a, 3.0), (a, None)) == ((0, a, 1),)
    assert saved_versions(True, (a, b, 2.0), (a, None, None)) == ((0, a, 1), (1, b, 0))


def test_ops_record_what_their_backward_reads():
    x, w = _t(True), bp.tensor(np.ones((3, 2)), requires_grad=True)
    y = mm.Linear.apply(x, w)
    assert [i for i, _, _ in y.grad_fn._version_check] == [0, 1]
    assert ew.Sigmoid.apply(x).grad_fn._version_check is None  # output: watched on a write


def test_writing_a_saved_output_in_place_is_caught_and_other_writes_are_not():
    x = _t(True)
    y = x.sigmoid()
    z = y * 2  # uses y, does not save it for x's gradient... but sigmoid saved y
    y.mul_(3)
    with pytest.raises(RuntimeError, match=r"SigmoidBackward: its output .* at version 1"):
        z.sum().backward()
    x2 = _t(True)
    s = x2 + 1  # Add saves nothing: writing its output after its use is harmless
    total = (s * 4.0).sum()
    s.mul_(2)
    total.backward()  # as in PyTorch: the product used s before the write
    np.testing.assert_array_equal(x2.grad.data, [4.0, 4.0])


def test_each_op_class_runs_its_own_copy_of_the_shared_code():
    """CPython's attribute caches live in the code object: one copy per node class keeps
    them specialised for one type (see ``function.own_copy``)."""
    codes = {id(cls.apply.__func__.__code__) for cls in (ew.Add, ew.Mul, ew.Sigmoid, mm.Linear)}
    assert len(codes) == 4
    runs = {id(cls.run_backward.__code__) for cls in (ew.Add, ew.Mul, ew.Sigmoid, mm.Linear)}
    assert len(runs) == 4
    assert ew.Add.apply.__func__.__code__.co_code == Op.apply.__func__.__code__.co_code
