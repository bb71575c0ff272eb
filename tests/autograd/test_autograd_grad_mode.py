"""no_grad, enable_grad and set_grad_enabled: context managers and decorators."""

from __future__ import annotations

import pytest

import topograd
from topograd.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    yield
    assert is_grad_enabled(), "a test left grad mode off"


def x():
    return topograd.ones(2, requires_grad=True)


def test_no_grad_context():
    with no_grad():
        assert not is_grad_enabled()
        y = x() * 2
    assert is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


@pytest.mark.parametrize("with_parens", [True, False])
def test_no_grad_decorator(with_parens):
    def double(t):
        assert not is_grad_enabled()
        return t * 2

    double = no_grad()(double) if with_parens else no_grad(double)
    assert double.__name__ == "double"
    assert not double(x()).requires_grad
    assert is_grad_enabled()


def test_enable_grad_inside_no_grad():
    with no_grad():
        with enable_grad():
            assert (x() * 2).requires_grad
        assert not (x() * 2).requires_grad


def test_enable_grad_decorator_inside_no_grad():
    @enable_grad()
    def f(t):
        return t * 2

    @enable_grad
    def g(t):
        return t * 2

    with no_grad():
        assert f(x()).requires_grad and g(x()).requires_grad
        assert not is_grad_enabled()


def test_set_grad_enabled_context_and_call():
    with set_grad_enabled(False):
        assert not is_grad_enabled()
    assert is_grad_enabled()
    set_grad_enabled(False)
    try:
        assert not is_grad_enabled()
    finally:
        set_grad_enabled(True)
    with no_grad(), set_grad_enabled(True):
        assert (x() * 2).requires_grad


def test_set_grad_enabled_decorator():
    @set_grad_enabled(False)
    def f(t):
        return t * 2

    assert is_grad_enabled()  # making the decorator does not switch the mode
    assert not f(x()).requires_grad
    assert is_grad_enabled()


def test_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with no_grad():
            raise ValueError
    assert is_grad_enabled()

    @no_grad()
    def boom():
        raise KeyError

    with pytest.raises(KeyError):
        boom()


def test_one_instance_entered_twice():
    ng = no_grad()
    with ng:
        with ng:
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_recursive_decorated_function():
    @no_grad()
    def depth(n):
        return 0 if n == 0 else 1 + depth(n - 1)

    assert depth(5) == 5


def test_public_names():
    assert topograd.no_grad is no_grad and topograd.enable_grad is enable_grad
    assert topograd.set_grad_enabled is set_grad_enabled
    assert topograd.is_grad_enabled is is_grad_enabled


def test_in_place_update_of_parameter_under_no_grad():
    w = topograd.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with no_grad():
        w -= 0.5 * w.grad
        w.add_(1.0)
        w.mul_(2.0)
        w[0] = 10.0
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert w.tolist() == [10.0, 2 * (2.0 - 2.0 + 1.0)]
    w.grad = None
    (w * 3).sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]
