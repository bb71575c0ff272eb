"""Tensor.register_hook: the same calls, arguments and gradients as PyTorch.

Each scenario is written once as a function of the library (``torch`` or ``topograd``,
used the PyTorch way) and returns what it observed: gradients, what each hook was
given, in which order. The two libraries must observe the same, to 1e-12 in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import topograd

torch = pytest.importorskip("torch")

F64 = "float64"


def leaf(lib, values, dtype=F64):
    return lib.tensor(np.asarray(values, dtype=np.float64), dtype=getattr(lib, dtype),
                      requires_grad=True)


def _plain(obj):
    """What a scenario saw, with tensors turned into arrays (None stays None)."""
    if isinstance(obj, (list, tuple)):
        return [_plain(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (torch.Tensor, topograd.Tensor)):
        return np.array(obj.detach().numpy(), copy=True)
    return obj


def _assert_same(got, want, where="result"):
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{where}: {got} != {want}"
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same(g, w, f"{where}[{i}]")
    elif isinstance(want, dict):
        assert got.keys() == want.keys(), where
        for k in want:
            _assert_same(got[k], want[k], f"{where}[{k!r}]")
    elif isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), f"{where}: {got!r} is not an array"
        assert got.shape == want.shape, f"{where}: shape {got.shape} != {want.shape}"
        assert str(got.dtype) == str(want.dtype), f"{where}: {got.dtype} != {want.dtype}"
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=where)
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def same_as_torch(scenario):
    """Run ``scenario(lib)`` with both libraries and compare what they saw."""
    want = _plain(scenario(torch))
    got = _plain(scenario(topograd))
    _assert_same(got, want)
    return got


def recorder(log, name, ret=None):
    """A hook that logs (name, grad) and returns ``ret(grad)`` (None: observe only)."""
    def hook(g):
        log.append((name, g))
        return None if ret is None else ret(g)

    return hook


# -- leaves ---------------------------------------------------------------------------

def test_leaf_hook_doubles_the_gradient_before_accumulation():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, -2.0, 3.0])
        x.register_hook(recorder(log, "x", lambda g: g * 2))
        (x * x * x).sum().backward()
        return [log, x.grad]

    log, grad = same_as_torch(run)
    np.testing.assert_allclose(grad, 2 * 3 * np.array([1.0, 4.0, 9.0]))
    assert [name for name, _ in log] == ["x"]


def test_hook_returning_none_only_observes():
    def run(lib):
        log = []
        x = leaf(lib, [0.5, 1.5])
        x.register_hook(recorder(log, "x"))
        (x.exp() * 3).sum().backward()
        return [log, x.grad]

    log, grad = same_as_torch(run)
    np.testing.assert_allclose(log[0][1], grad)


def test_hooks_chain_in_registration_order():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        x.register_hook(recorder(log, "plus1", lambda g: g + 1))
        x.register_hook(recorder(log, "times3", lambda g: g * 3))
        x.register_hook(recorder(log, "observe"))
        (x * x).sum().backward()
        return [log, x.grad]

    log, grad = same_as_torch(run)
    assert [name for name, _ in log] == ["plus1", "times3", "observe"]
    np.testing.assert_allclose(grad, (2 * np.array([1.0, 2.0]) + 1) * 3)


def test_leaf_hook_sees_only_the_incoming_gradient_and_grad_accumulates():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        x.register_hook(recorder(log, "x", lambda g: g * 10))
        (x * 2).sum().backward()
        first = x.grad.clone()
        (x * 3).sum().backward()
        return [log, first, x.grad]

    same_as_torch(run)


def test_leaf_used_twice_sees_the_sum_once():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        x.register_hook(recorder(log, "x"))
        ((x * 3).sum() + (x * x).sum() + x.sin().sum()).backward()
        return [log, x.grad]

    log, _ = same_as_torch(run)
    assert len(log) == 1


def test_hook_on_a_leaf_that_is_the_root():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        x.register_hook(recorder(log, "x", lambda g: g + 1))
        x.backward(lib.tensor([0.5, -1.0], dtype=lib.float64))
        return [log, x.grad]

    same_as_torch(run)


def test_hook_on_a_parameter_of_a_layer():
    def run(lib):
        log = []
        lin = lib.nn.Linear(3, 2).double()
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(np.arange(6.0).reshape(2, 3) / 7, dtype=lib.float64))
            lin.bias.copy_(lib.tensor([0.1, -0.2], dtype=lib.float64))
        lin.weight.register_hook(recorder(log, "w", lambda g: g.clamp(-0.5, 0.5)))
        x = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=lib.float64)
        (lin(x) ** 2).sum().backward()
        return [log, lin.weight.grad, lin.bias.grad]

    same_as_torch(run)


# -- computed (non-leaf) tensors ------------------------------------------------------

def test_non_leaf_hook_modifies_what_flows_back():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, 2.0, 3.0])
        y = x * 3
        y.register_hook(recorder(log, "y", lambda g: g * 2))
        (y * y).sum().backward()
        return [log, x.grad]

    log, grad = same_as_torch(run)
    np.testing.assert_allclose(log[0][1], 2 * 3 * np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(grad, 2 * 2 * 9 * np.array([1.0, 2.0, 3.0]))


def test_non_leaf_used_twice_sees_the_summed_gradient_once():
    def run(lib):
        log = []
        x = leaf(lib, [0.3, -0.7])
        y = x.tanh()
        y.register_hook(recorder(log, "y", lambda g: g - 1))
        z = (y * 2).sum() + (y * y).sum() + y.exp().sum()
        z.backward()
        return [log, x.grad]

    log, _ = same_as_torch(run)
    assert len(log) == 1


def test_hooks_along_a_chain_run_from_the_output_down():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        x.register_hook(recorder(log, "x"))
        a = x * 2
        a.register_hook(recorder(log, "a", lambda g: g * 0.5))
        b = a.exp()
        b.register_hook(recorder(log, "b"))
        c = (b * a).sum()
        c.register_hook(recorder(log, "c", lambda g: g * 3))
        c.backward()
        return [log, x.grad]

    log, _ = same_as_torch(run)
    assert [name for name, _ in log] == ["c", "b", "a", "x"]


def test_hook_on_the_root_tensor():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        y.register_hook(recorder(log, "y", lambda g: g * 10))
        y.backward(lib.tensor([1.0, -1.0], dtype=lib.float64))
        return [log, x.grad]

    same_as_torch(run)


def test_hooks_registered_before_and_after_an_inplace_update():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        y.register_hook(recorder(log, "before"))
        y.mul_(3)
        y.register_hook(recorder(log, "after"))
        (y * y).sum().backward()
        return [log, x.grad]

    log, _ = same_as_torch(run)
    assert [name for name, _ in log] == ["after", "before"]


def test_hooks_run_with_grad_mode_off_without_create_graph():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        w = leaf(lib, [3.0, 4.0])
        x.register_hook(lambda g: log.append(("x", (g * w).requires_grad, g.requires_grad)))
        y = x * w
        y.register_hook(lambda g: log.append(("y", (g * w).requires_grad, g.requires_grad)))
        y.sum().backward()
        return log

    assert same_as_torch(run) == [["y", False, False], ["x", False, False]]


def test_hook_sees_the_tensors_dtype_in_a_mixed_graph():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, 2.0], dtype="float32")
        y = x * 2
        y.register_hook(lambda g: log.append(str(g.dtype).replace("torch.", "")))
        y.retain_grad()
        z = (y * lib.tensor([1.0, 2.0], dtype=lib.float64)).sum()
        (gx,) = lib.autograd.grad(z, x, retain_graph=True)
        z.backward()
        return [log, str(y.grad.dtype).replace("torch.", ""), x.grad, gx]

    same_as_torch(run)


# -- multi-output nodes ---------------------------------------------------------------

def _two_outputs(lib):
    class Two(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2, x * x

        @staticmethod
        def backward(ctx, ga, gb):
            (x,) = ctx.saved_tensors
            return ga * 2 + gb * 2 * x

    return Two


def test_hooks_on_each_output_of_a_multi_output_function():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, -2.0])
        a, b = _two_outputs(lib).apply(x)
        b.register_hook(recorder(log, "b", lambda g: g * 5))
        a.register_hook(recorder(log, "a", lambda g: g * 7))
        (a * b).sum().backward()
        return [log, x.grad]

    log, _ = same_as_torch(run)
    assert [name for name, _ in log] == ["b", "a"]  # the order they were registered in


def test_hook_on_an_unused_output_sees_none():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, -2.0])
        a, b = _two_outputs(lib).apply(x)
        b.register_hook(recorder(log, "b"))
        b.retain_grad()
        a.register_hook(recorder(log, "a", lambda g: g * 10))
        (a * 2).sum().backward()
        return [log, x.grad, b.grad]

    log, _, b_grad = same_as_torch(run)
    assert log[0] == ["b", None] and b_grad is None


@pytest.mark.parametrize("lib", [torch, topograd], ids=["torch", "topograd"])
def test_replacing_a_none_gradient_is_refused(lib):
    x = leaf(lib, [1.0, -2.0])
    a, b = _two_outputs(lib).apply(x)
    b.register_hook(lambda g: lib.zeros(2, dtype=lib.float64))
    with pytest.raises(RuntimeError, match="can't replace a None gradient with a non-None"):
        (a * 2).sum().backward()


# -- retain_grad ----------------------------------------------------------------------

@pytest.mark.parametrize("retain_first", [True, False])
def test_retained_grad_is_the_hooked_gradient_whatever_the_order(retain_first):
    def run(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 3
        if retain_first:
            y.retain_grad()
        y.register_hook(lambda g: g * 2)
        if not retain_first:
            y.retain_grad()
        (y * y).sum().backward()
        return [y.grad, x.grad]

    y_grad, x_grad = same_as_torch(run)
    # PyTorch 2.x runs retain_grad's hook after the tensor's other hooks
    np.testing.assert_allclose(y_grad, 2 * 2 * 3 * np.array([1.0, 2.0]))
    np.testing.assert_allclose(x_grad, 3 * y_grad)


def test_retained_grad_accumulates_over_backward_passes():
    def run(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: g + 1)
        z = (y * y).sum()
        z.backward(retain_graph=True)
        first = y.grad
        z.backward()
        return [first, y.grad, x.grad, y.grad is first]

    same_as_torch(run)


@pytest.mark.parametrize("lib", [torch, topograd], ids=["torch", "topograd"])
def test_retain_grad_needs_requires_grad(lib):
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad"):
        lib.ones(2).retain_grad()


# -- autograd.grad, backward(inputs=), create_graph -----------------------------------

def _graph_with_side_branch(lib, log):
    x = leaf(lib, [1.0, 2.0])
    w0 = leaf(lib, [0.5, -1.5])
    w = w0 * 2
    w.register_hook(recorder(log, "w"))
    w.retain_grad()
    w0.register_hook(recorder(log, "w0"))
    x.register_hook(recorder(log, "x", lambda g: g * 3))
    y = x * 3
    y.register_hook(recorder(log, "y", lambda g: g + 1))
    z = (y * w).sum()
    return x, y, w, z


def test_autograd_grad_runs_only_the_hooks_on_paths_to_its_inputs():
    def run(lib):
        log = []
        x, y, w, z = _graph_with_side_branch(lib, log)
        out = {}
        out["x"] = [list(lib.autograd.grad(z, x, retain_graph=True)), list(log), w.grad]
        log.clear()
        out["y"] = [list(lib.autograd.grad(z, y, retain_graph=True)), list(log)]
        log.clear()
        out["yx"] = [list(lib.autograd.grad(z, [y, x], retain_graph=True)), list(log)]
        log.clear()
        z.backward(inputs=[x])
        out["backward_inputs"] = [list(log), x.grad, w.grad]
        return out

    out = same_as_torch(run)
    assert [name for name, _ in out["x"][1]] == ["y", "x"]  # w, w0 are off the path
    assert out["x"][2] is None  # and w's retained grad is not filled


def _hooked_y(lib):
    x = leaf(lib, [1.0, 2.0])
    y = x * 3
    y.register_hook(lambda g: g + 1)
    y.retain_grad()
    return x, y, (y * y).sum()


def test_autograd_grad_of_a_computed_input_is_hooked_unless_its_node_leads_on():
    # PyTorch captures an input's gradient after its hooks when the node that made it
    # is not otherwise needed, and before them when it also leads to another input;
    # the hooks run (and retain_grad sees their result) either way
    def run(lib):
        out = {}
        x, y, z = _hooked_y(lib)
        out["y"] = [list(lib.autograd.grad(z, y)), y.grad]
        x, y, z = _hooked_y(lib)
        out["yx"] = [list(lib.autograd.grad(z, [y, x])), y.grad]
        return out

    out = same_as_torch(run)
    np.testing.assert_allclose(out["y"][0][0], [7.0, 13.0])  # 2y + 1
    np.testing.assert_allclose(out["yx"][0][0], [6.0, 12.0])  # 2y
    np.testing.assert_allclose(out["yx"][0][1], [21.0, 39.0])  # 3 (2y + 1)


def test_backward_inputs_gives_computed_inputs_the_hooked_gradient_once():
    def run(lib):
        out = {}
        x, y, z = _hooked_y(lib)
        z.backward(inputs=[y])
        out["y"] = [y.grad, x.grad]
        x, y, z = _hooked_y(lib)
        z.backward(inputs=[y, x, x])
        out["yxx"] = [y.grad, x.grad]
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        z = (y * y).sum()
        z.backward(inputs=[y], retain_graph=True)
        first = y.grad.clone()
        z.backward()  # y now keeps its .grad, as after retain_grad()
        out["then"] = [first, y.grad, x.grad]
        return out

    out = same_as_torch(run)
    np.testing.assert_allclose(out["y"][0], [7.0, 13.0])


@pytest.mark.parametrize("square", [False, True])
def test_hooks_with_create_graph_get_graph_tensors_and_double_backward_matches(square):
    def run(lib):
        log = []
        x = leaf(lib, [1.0, 2.0, -0.5])
        y = x ** 3
        y.register_hook(lambda g: log.append(("y", g.requires_grad)) or g * y)
        x.register_hook(lambda g: log.append(("x", g.requires_grad)) or g * x)
        out = (y * y).sum() if square else y.sum()
        (g,) = lib.autograd.grad(out, x, create_graph=True)
        first = list(log)
        (gg,) = lib.autograd.grad(g.sum(), x)
        return [first, log[len(first):], g, gg]

    first, second, _, _ = same_as_torch(run)
    # from sum() y's gradient is a constant (off the graph) and x's, g * y, is on it;
    # from (y * y).sum() both are on it; the second derivative runs the hooks again
    assert first == [["y", square], ["x", True]]
    assert [name for name, _ in second] == ["y", "x"]


def test_leaf_hook_with_backward_create_graph():
    def run(lib):
        x = leaf(lib, [1.0, 2.0])
        x.register_hook(lambda g: g * x)
        (x ** 3).sum().backward(create_graph=True)
        first = x.grad
        (gg,) = lib.autograd.grad(first.sum(), x)
        return [first, first.requires_grad, gg]

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch warns about the grad cycle
        same_as_torch(run)


# -- handles --------------------------------------------------------------------------

def test_remove_unregisters_and_is_idempotent():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        h1 = x.register_hook(recorder(log, "h1", lambda g: g * 2))
        x.register_hook(recorder(log, "h2"))
        (x * x).sum().backward()
        h1.remove()
        h1.remove()
        (x * x).sum().backward()
        return [log, x.grad]

    log, _ = same_as_torch(run)
    assert [name for name, _ in log] == ["h1", "h2", "h2"]


def test_remove_on_a_non_leaf_and_as_a_context_manager():
    def run(lib):
        log = []
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        with y.register_hook(recorder(log, "ctx", lambda g: g * 100)):
            pass
        h = y.register_hook(recorder(log, "removed"))
        h.remove()
        y.register_hook(recorder(log, "kept"))
        (y * y).sum().backward()
        return [log, x.grad]

    log, _ = same_as_torch(run)
    assert [name for name, _ in log] == ["kept"]


def test_a_hook_removed_by_an_earlier_hook_still_runs_in_that_pass():
    def run(lib):
        log, handles = [], []

        def first(g):
            log.append("first")
            handles[1].remove()
            return g * 2

        def second(g):
            log.append("second")
            return g * 3

        x = leaf(lib, [1.0, 2.0])
        handles.append(x.register_hook(first))
        handles.append(x.register_hook(second))
        (x * 1).sum().backward()
        grad1 = x.grad.clone()
        (x * 1).sum().backward()
        return [log, grad1, x.grad]

    log, _, _ = same_as_torch(run)
    assert log == ["first", "second", "first"]


def test_module_hook_handle_is_the_shared_class():
    from topograd.autograd.hooks import RemovableHandle
    from topograd.nn.modules.module import RemovableHandle as ModuleHandle

    assert ModuleHandle is RemovableHandle
    x = topograd.ones(2, requires_grad=True)
    assert isinstance(x.register_hook(lambda g: None), RemovableHandle)
    h = topograd.nn.ReLU().register_forward_hook(lambda m, a, out: None)
    assert isinstance(h, RemovableHandle)


# -- errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("lib", [torch, topograd], ids=["torch", "topograd"])
def test_hook_on_a_tensor_without_grad_is_refused(lib):
    with pytest.raises(RuntimeError,
                       match="cannot register a hook on a tensor that doesn't require gradient"):
        lib.ones(2).register_hook(lambda g: g)


@pytest.mark.parametrize("lib", [torch, topograd], ids=["torch", "topograd"])
@pytest.mark.parametrize("where", ["leaf", "non-leaf"])
def test_hook_changing_the_shape_is_refused(lib, where):
    x = lib.ones(2, 3, requires_grad=True)
    t = x if where == "leaf" else x * 2

    def widen(g):
        return lib.ones(3, 3)

    t.register_hook(widen)
    with pytest.raises(RuntimeError, match="hook 'widen' has changed the size of value") as e:
        (t * 2).sum().backward()
    if lib is topograd:  # and names both shapes
        assert "(2, 3)" in str(e.value) and "(3, 3)" in str(e.value)


@pytest.mark.parametrize("lib", [torch, topograd], ids=["torch", "topograd"])
def test_hook_changing_the_dtype_is_refused(lib):
    x = lib.ones(2, requires_grad=True)
    x.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match="hook '<lambda>' has changed the type of value"):
        (x * 2).sum().backward()


@pytest.mark.parametrize("lib", [torch, topograd], ids=["torch", "topograd"])
@pytest.mark.parametrize("value,name", [(3.0, "float"), (np.ones(2), "numpy.ndarray")])
def test_hook_returning_a_non_tensor_is_refused(lib, value, name):
    x = lib.ones(2, requires_grad=True)
    x.register_hook(lambda g: value)
    with pytest.raises(TypeError, match=f"expected Variable, but hook returned '{name}'"):
        (x * 2).sum().backward()


def test_hook_returning_the_callers_tensor_does_not_alias_grad():
    c = topograd.tensor([5.0, 6.0], dtype=topograd.float64)
    x = leaf(topograd, [1.0, 2.0])
    x.register_hook(lambda g: c)
    (x * 2).sum().backward()
    (x * 2).sum().backward()  # accumulates into x.grad in place
    np.testing.assert_array_equal(c.numpy(), [5.0, 6.0])
    np.testing.assert_array_equal(x.grad.numpy(), [10.0, 12.0])


def test_no_hooks_leaves_nodes_and_leaves_bare():
    x = leaf(topograd, [1.0, 2.0])
    y = x * 2
    assert y.grad_fn._hooks is None
    assert getattr(x, "_hooks", None) is None
    y.retain_grad()
    assert y.grad_fn._hooks == {}  # retain_grad opens the node's hook slot (no hooks)
