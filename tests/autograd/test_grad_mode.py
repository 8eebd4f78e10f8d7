"""no_grad, enable_grad and set_grad_enabled, as context managers and as decorators."""

import backprop as bp


def _x():
    return bp.tensor([1.0, 2.0], requires_grad=True)


def test_no_grad_builds_no_graph():
    x = _x()
    with bp.no_grad():
        y = x * 2
        assert not bp.is_grad_enabled()
    assert bp.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_enable_grad_inside_no_grad():
    x = _x()
    with bp.no_grad():
        with bp.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad


def test_set_grad_enabled_as_context_manager_and_function():
    x = _x()
    with bp.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    bp.set_grad_enabled(False)
    assert not (x * 2).requires_grad
    bp.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_no_grad_as_decorator():
    @bp.no_grad()
    def double(t):
        return t * 2

    assert not double(_x()).requires_grad
    assert bp.is_grad_enabled()


def test_enable_grad_as_decorator():
    @bp.enable_grad()
    def double(t):
        return t * 2

    with bp.no_grad():
        assert double(_x()).requires_grad
        assert not bp.is_grad_enabled()


def test_set_grad_enabled_as_decorator():
    @bp.set_grad_enabled(False)
    def double(t):
        return t * 2

    assert not double(_x()).requires_grad
    assert bp.is_grad_enabled()


def test_state_restored_after_exception():
    try:
        with bp.no_grad():
            raise ValueError
    except ValueError:
        pass
    assert bp.is_grad_enabled()


def test_nested_no_grad_restores_outer_state():
    with bp.no_grad():
        with bp.no_grad():
            pass
        assert not bp.is_grad_enabled()
    assert bp.is_grad_enabled()
