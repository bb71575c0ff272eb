"""Function: one node of the computational graph, and ``apply``, which records it.

Every operation in topograd is a :class:`Function`. Calling ``SomeFunction.apply(*args)``
runs its ``forward`` and, when grad mode is on and some input requires grad, records
the node: the object itself is the context (``ctx``) that holds what ``backward``
needs, the edges to the nodes that made its inputs, and its inputs' shapes.

Two kinds of Function share this machinery:

* Built-in primitives (``_array_api = True``, :class:`topograd.primitives.Primitive`)
  see NumPy arrays in ``forward`` and ``backward``: the fast path, no Tensor objects in
  between. Their ``backward`` is written with operations that NumPy arrays and Tensors
  both have, so that the engine can replay it on Tensors when ``create_graph=True``
  asks for a differentiable gradient.
* User-defined Functions (the PyTorch way) see Tensors, as in ``torch.autograd.Function``.

Positional arguments of ``apply`` are the node's inputs (each gets a gradient, or None);
keyword arguments are settings handed to ``forward`` (an axis, a shape).

What backward needs is said in forward, by index, as Chainer's ``retain_inputs`` and
``retain_outputs`` do: ``ctx.retain_inputs((0,))`` keeps input 0, ``ctx.retain_outputs((0,))``
output 0, and backward reads them from ``ctx.saved_inputs[i]`` / ``ctx.saved_outputs[i]``
(None where nothing was kept). The node knows what it kept, so a kept value modified in
place later makes backward raise instead of computing with stale values, and under
``create_graph`` backward gets the kept input tensors and its own outputs connected to
the graph. Anything else backward needs (a mask, a softmax) goes through
``ctx.save_for_backward`` and is a constant. ``ctx.needs_input_grad[i]`` says, already in
forward, whether input i needs a gradient, so forward keeps only what those need.

User Functions may also keep tensors the PyTorch way, ``ctx.save_for_backward(x, out)``:
there the saved tensors that are inputs or outputs are recognised as such (PyTorch's
rule), with the same checks. In a primitive, ``save_for_backward`` holds intermediates only.

>>> import topograd
>>> from topograd.autograd import Function
>>> class Cube(Function):
...     @staticmethod
...     def forward(ctx, x):
...         ctx.save_for_backward(x)
...         return x * x * x
...     @staticmethod
...     def backward(ctx, grad):
...         (x,) = ctx.saved_tensors
...         return grad * 3 * x * x
>>> x = topograd.tensor(2.0, requires_grad=True)
>>> Cube.apply(x).backward()
>>> x.grad.item()
12.0
"""

from __future__ import annotations

import numpy as np

from .. import tensor as _tensor  # the core loop: Tensor is read at call time
from .grad_mode import STATE

# Marks saved values released after a backward pass without retain_graph.
FREED = object()

# ctx.next_edges of a node run without recording: no input needs a gradient.
_NO_EDGES = ()

# ctx.needs_input_grad when every one of 0, 1, 2, 3 inputs needs a gradient.
_ALL_NEEDED = ((), (True,), (True, True), (True, True, True))
_NONE_NEEDED = ((), (False,), (False, False), (False, False, False))

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved "
    "tensors after they have already been freed). Saved intermediate values of the "
    "graph are freed when you call .backward() or autograd.grad(). Specify "
    "retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward."
)


class Function:
    """Base class of graph nodes; subclass it and write ``forward`` and ``backward``.

    ``forward(ctx, *args)`` computes the result from Tensors (grad mode is off inside)
    and may keep values with ``ctx.save_for_backward``; ``backward(ctx, *grads)``
    returns one gradient per positional argument of ``forward`` (None for arguments
    that need none, see ``ctx.needs_input_grad``). Call ``YourFunction.apply(...)``.

    >>> import topograd
    >>> class Square(topograd.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return grad * 2 * x
    >>> x = topograd.tensor([3.0], requires_grad=True)
    >>> Square.apply(x).sum().backward()
    >>> x.grad
    tensor([6.], dtype=float32)

    Attributes set on the node by :meth:`apply`:
        needs_input_grad: for each positional argument, whether it needs a gradient
            (known before ``forward`` runs).
        next_edges: for each positional argument, ``(node_or_leaf, output_index)`` or
            None where no gradient flows (read by the engine only).
        in_shapes: a tuple, each argument's shape (None for arguments that are not Tensors).
        saved_inputs, saved_outputs: what ``retain_inputs``/``retain_outputs`` kept, one
            entry per input/output (None where nothing was kept).
        saved: what ``forward`` passed to ``save_for_backward``.
    """

    # Few slots: the graph keeps every node alive until backward, and the garbage
    # collector visits each slot of each. Between retain_inputs/retain_outputs and the end
    # of apply(), saved_inputs/saved_outputs hold the indexes to keep, then the values.
    # _versions is (input index, tensor, its version when kept, ...) for the kept inputs.
    __slots__ = ("next_edges", "needs_input_grad", "in_shapes", "out_shapes", "saved",
                 "saved_inputs", "saved_outputs", "_versions", "__dict__")
    _array_api = False  # built-in primitives set True: forward/backward see ndarrays
    _saved_out = ()  # a user Function's saved outputs: (position in saved, output index, ...)
    _retained = None  # {output index: weakref to a tensor that keeps its .grad}
    # {output index: (dtype, {hook id: hook})} for the tensors this node made that have
    # hooks; retain_grad sets it too (maybe empty): the engine checks only this slot
    _hooks = None
    _out_dirty = False  # an output that backward needs was modified in place

    # -- what forward keeps for backward --------------------------------------------
    def retain_inputs(self, indexes: tuple) -> None:
        """Keep the inputs at ``indexes`` for backward (read them from ``ctx.saved_inputs``).

        Args:
            indexes: positions of ``forward``'s positional arguments; a kept tensor is
                version-checked, any other argument (a number) is kept as is.

        >>> import topograd
        >>> class Times(topograd.autograd.Function):
        ...     @staticmethod
        ...     def forward(ctx, x, y):
        ...         ctx.retain_inputs((0, 1))
        ...         return x * y
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         x, y = ctx.saved_inputs
        ...         return g * y, g * x
        >>> x = topograd.tensor(3.0, requires_grad=True)
        >>> Times.apply(x, topograd.tensor(4.0)).backward()
        >>> x.grad.item()
        4.0
        """
        self.saved_inputs = indexes  # apply() turns the indexes into the values

    def retain_outputs(self, indexes: tuple) -> None:
        """Keep the outputs at ``indexes`` for backward (read them from ``ctx.saved_outputs``).

        Modifying a kept output in place makes a later backward raise; under
        ``create_graph`` backward gets it as a tensor this node made, so the derivative
        of a rule written with its output (exp, tanh, sigmoid) is right.
        """
        self.saved_outputs = indexes  # apply() turns the indexes into the values

    def save_for_backward(self, *values) -> None:
        """Keep values for ``backward``; read them back from ``ctx.saved_tensors``.

        PyTorch's API. In a user Function a saved tensor that is an input or an output is
        recognised as one (version-checked, and connected to the graph under
        ``create_graph``); in a primitive the values are intermediates, constants to
        backward (inputs and outputs are kept by index: :meth:`retain_inputs`).
        """
        self.saved = values

    @property
    def saved_tensors(self) -> tuple:
        """What ``forward`` saved; an error once a backward pass has freed it."""
        if self.saved is FREED:
            raise RuntimeError(FREED_MESSAGE)
        return self.saved

    def mark_non_differentiable(self, *outputs) -> None:  # PyTorch compatibility
        """Accepted for PyTorch compatibility; outputs of ints/bools get no gradient anyway."""

    def set_materialize_grads(self, value: bool) -> None:  # PyTorch compatibility
        """Accepted for PyTorch compatibility: missing output gradients arrive as zeros."""

    @property
    def name(self) -> str:
        """The operation's name, e.g. ``"Mul"``."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(
            "a Function subclass must define backward(ctx, *grad_outputs) to be differentiated"
        )

    # -- recording --------------------------------------------------------------------
    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on ``args`` and record the node when a gradient is needed.

        Positional arguments are the node's inputs (each gets a gradient or None); keyword
        arguments are passed to ``forward`` as settings.

        Returns:
            A Tensor, or a tuple of Tensors when ``forward`` returns several arrays.
        """
        Tensor = _tensor.Tensor
        ctx = cls.__new__(cls)
        if not STATE.enabled and cls._array_api:
            # Grad mode off (inference, optimizer steps): nothing is recorded, so the
            # primitive runs on the arrays and its output is wrapped, nothing more.
            ctx.next_edges = _NO_EDGES
            ctx.needs_input_grad = _NONE_NEEDED[len(args)] if len(args) < 4 else \
                (False,) * len(args)
            out = cls.forward(ctx, *[a._data if isinstance(a, Tensor) else a for a in args],
                              **kwargs)
            if type(out) is np.ndarray:
                first = Tensor.__new__(Tensor)
                first._data = out
                first.grad = None
                first._ctx = None
                first._out_idx = 0
                first._vc = 0
                first.requires_grad = False
                return first
            if type(out) is tuple:
                return tuple(_wrap(o) for o in out)
            return _wrap(out)
        record = False
        if STATE.enabled:
            for a in args:
                if isinstance(a, Tensor) and a.requires_grad:
                    record = True
                    break
        if record:
            # An edge is the parent node (output 0), a (node, index) pair for another
            # output, the leaf tensor itself, or None where no gradient flows. They are
            # known before forward runs, so that forward keeps only what the gradients
            # that will be asked for need (ctx.needs_input_grad, as in PyTorch).
            edges = []
            shapes = []
            values = []  # what a primitive's forward gets: arrays for tensors
            every = True  # every input needs a gradient (the common case: no list to build)
            for a in args:
                if isinstance(a, Tensor):
                    arr = a._data
                    values.append(arr)
                    shapes.append(arr.shape)
                    if a.requires_grad:
                        node = a._ctx
                        if node is None:
                            edges.append(a)
                        elif a._out_idx == 0:
                            edges.append(node)
                        else:
                            edges.append((node, a._out_idx))
                        continue
                else:
                    values.append(a)
                    shapes.append(None)  # not a tensor: no shape, no gradient
                edges.append(None)
                every = False
            ctx.next_edges = edges
            ctx.needs_input_grad = (_ALL_NEEDED[len(edges)] if every and len(edges) < 4
                                    else tuple([e is not None for e in edges]))
            ctx.in_shapes = tuple(shapes)  # a tuple leaves the GC's lists; a list never does
            ctx.saved = ctx.saved_inputs = ctx.saved_outputs = ()
            ctx._versions = None
        else:
            ctx.next_edges = _NO_EDGES
            ctx.needs_input_grad = (False,) * len(args)
            if cls._array_api:
                values = [a._data if isinstance(a, Tensor) else a for a in args]
        if cls._array_api:
            out = cls.forward(ctx, *values, **kwargs)
        else:
            prev = STATE.enabled
            STATE.enabled = False
            try:
                out = cls.forward(ctx, *args, **kwargs)
            finally:
                STATE.enabled = prev
        if not record:
            if type(out) is tuple:
                return tuple(_wrap(o) for o in out)
            return _wrap(out)
        keep = ctx.saved_inputs
        if keep:  # the inputs forward asked to keep, and the kept tensors' versions
            kept = [None] * len(args)
            versions = ()
            for i in keep:
                a = args[i]
                if isinstance(a, Tensor):
                    kept[i] = a._data if cls._array_api else a
                    versions += (i, a, a._vc)
                else:
                    kept[i] = a
            ctx.saved_inputs = tuple(kept)
            if versions:
                ctx._versions = versions
        if type(out) is not np.ndarray:
            if type(out) is tuple:
                outs = tuple(_wrap(o, ctx, i) for i, o in enumerate(out))
                ctx.out_shapes = [o._data.shape for o in outs]
                if ctx.saved_outputs or ctx.saved:
                    ctx._keep_outputs(args, outs)
                return outs
            out = ctx._as_array_output(out)
        # _wrap(out, ctx, 0), inlined: this runs once per recorded op
        first = Tensor.__new__(Tensor)
        first._data = out
        first.grad = None
        first._out_idx = 0
        first._vc = 0
        if out.dtype.kind in "fc":
            first._ctx = ctx
            first.requires_grad = True
        else:
            first._ctx = None
            first.requires_grad = False
        ctx.out_shapes = (out.shape,)
        if cls._array_api:
            if ctx.saved_outputs:  # one output: retain_outputs((0,))
                ctx.saved_outputs = (out,)
        elif ctx.saved_outputs or ctx.saved:
            ctx._keep_outputs(args, (first,))
        return first

    @staticmethod
    def _as_array_output(out) -> np.ndarray:
        """A user Function returns a Tensor, NumPy a scalar from a 0-d computation: the
        output as an array."""
        if isinstance(out, _tensor.Tensor):
            return out._data
        return np.asarray(out)

    def _keep_outputs(self, args, outs) -> None:
        """Store the outputs at the indexes in ``saved_outputs``; in a user Function, first
        find the inputs and outputs among the tensors given to ``save_for_backward``."""
        if self.saved and not self._array_api:
            self._match_saved(args, outs)
        keep = self.saved_outputs
        if not keep:
            return
        kept = [None] * len(outs)
        for i in keep:
            arr = outs[i]._data
            kept[i] = arr if self._array_api else _tensor.Tensor._from_array(arr)
        self.saved_outputs = tuple(kept)

    def _match_saved(self, args, outs) -> None:
        """PyTorch's rule for ``save_for_backward`` in a user Function: a saved tensor that
        is an input is version-checked, one that is an output is the node's own output
        (version-checked, and made part of the graph under ``create_graph``)."""
        Tensor = _tensor.Tensor
        versions = list(self._versions or ())
        saved_out, keep_out = [], list(self.saved_outputs)
        for pos, s in enumerate(self.saved):
            if isinstance(s, Tensor):
                s = s._data
            for i, a in enumerate(args):
                if isinstance(a, Tensor) and a._data is s:
                    versions += (i, a, a._vc)
                    break
            else:
                for oi, o in enumerate(outs):
                    if o._data is s:
                        saved_out += (pos, oi)
                        if oi not in keep_out:
                            keep_out.append(oi)
                        break
        if versions:
            self._versions = tuple(versions)
        if saved_out:
            self._saved_out = tuple(saved_out)
            self.saved_outputs = tuple(keep_out)


def _wrap(arr, ctx=None, idx=0):
    """Make the output Tensor of an operation around ``arr`` (no copy)."""
    Tensor = _tensor.Tensor
    if type(arr) is not np.ndarray:
        if isinstance(arr, Tensor):
            arr = arr._data
        else:
            arr = np.asarray(arr)
    t = Tensor.__new__(Tensor)
    t._data = arr
    t.grad = None
    t._ctx = ctx
    t._out_idx = idx
    t._vc = 0
    t.requires_grad = ctx is not None and arr.dtype.kind in "fc"
    if ctx is not None and not t.requires_grad:
        t._ctx = None
    return t
