"""Function: one node of the computational graph.

Every operation in topograd is a :class:`Function`. Calling ``SomeFunction.apply(*args)``
runs its ``forward`` and, when grad mode is on and some input requires grad, records
the node: the object itself is the context (``ctx``) that holds what ``backward``
needs, the edges to the nodes that made its inputs, and its inputs' shapes.

Two kinds of Function share this machinery:

* Built-in primitives (``_array_api = True``) see NumPy arrays in ``forward`` and
  ``backward``: the fast path, no Tensor objects in between. Their ``backward`` is
  written with operations that NumPy arrays and Tensors both have, so that the
  engine can replay it on Tensors when ``create_graph=True`` asks for a
  differentiable gradient.
* User-defined Functions (the PyTorch way) see Tensors, as in ``torch.autograd.Function``:

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

from .grad_mode import STATE

# Bound by topograd.tensor once the Tensor class exists (the two modules need each other).
Tensor = None

# Marks saved values released after a backward pass without retain_graph.
_FREED = object()

# ctx.next_edges of a primitive run without recording: no input needs a gradient.
_NO_EDGES = ()


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
        next_edges: for each positional argument, ``(node_or_leaf, output_index)`` or
            None where no gradient flows.
        in_shapes: a tuple, each argument's shape (None for arguments that are not Tensors).
        needs_input_grad: for each argument, whether it needs a gradient.
        saved: what ``forward`` passed to ``save_for_backward``.
    """

    __slots__ = ("next_edges", "in_shapes", "out_shapes", "saved", "_versions", "_out_pos",
                 "__dict__")
    _array_api = False  # built-in primitives set True: forward/backward see ndarrays
    _retained = None  # {output index: weakref to a tensor that keeps its .grad}
    # {output index: (dtype, {hook id: hook})} for the tensors this node made that have
    # hooks; retain_grad sets it too (maybe empty): the engine checks only this slot
    _hooks = None
    _out_dirty = False  # an output that backward needs was modified in place
    _saved_out_idx = 0  # which output the saved output (saved[_out_pos]) is

    # -- user-facing ctx API ----------------------------------------------------
    def save_for_backward(self, *values) -> None:
        """Keep values for ``backward``; read them back from ``ctx.saved_tensors``."""
        self.saved = values

    @property
    def saved_tensors(self) -> tuple:
        """What ``forward`` saved; an error once a backward pass has freed it."""
        if self.saved is _FREED:
            raise RuntimeError(_FREED_MESSAGE)
        return self.saved

    def mark_non_differentiable(self, *outputs) -> None:  # PyTorch compatibility
        """Accepted for PyTorch compatibility; outputs of ints/bools get no gradient anyway."""

    def set_materialize_grads(self, value: bool) -> None:  # PyTorch compatibility
        """Accepted for PyTorch compatibility: missing output gradients arrive as zeros."""

    @property
    def needs_input_grad(self) -> tuple:
        """For each positional argument of ``forward``, whether backward must return its
        gradient (PyTorch's ``ctx.needs_input_grad``)."""
        return tuple(e is not None for e in self.next_edges)

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

    # -- recording --------------------------------------------------------------
    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on ``args`` and record the node when a gradient is needed.

        Returns:
            A Tensor, or a tuple of Tensors when ``forward`` returns several arrays.
        """
        ctx = cls.__new__(cls)
        ctx.saved = ()
        record = False
        if STATE.enabled:
            for a in args:
                if isinstance(a, Tensor) and a.requires_grad:
                    record = True
                    break
        if record:
            # An edge is the parent node (output 0), a (node, index) pair for another
            # output, the leaf tensor itself, or None where no gradient flows. They are
            # known before forward runs, so that forward saves only what the gradients
            # that will be asked for need (ctx.needs_input_grad, as in PyTorch).
            edges = []
            shapes = []
            for a in args:
                if isinstance(a, Tensor):
                    shapes.append(a._data.shape)
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
                    shapes.append(None)  # not a tensor: no shape, no gradient
                edges.append(None)
            ctx.next_edges = edges
            ctx.in_shapes = tuple(shapes)  # a tuple leaves the GC's lists; a list never does
        else:
            ctx.next_edges = _NO_EDGES if cls._array_api else [None] * len(args)
        if cls._array_api:
            out = cls.forward(ctx, *[a._data if isinstance(a, Tensor) else a for a in args],
                              **kwargs)
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
        ctx._versions = None
        ctx._out_pos = -1
        if type(out) is not np.ndarray:
            if type(out) is tuple:
                outs = tuple(_wrap(o, ctx, i) for i, o in enumerate(out))
                ctx.out_shapes = [o._data.shape for o in outs]
                if ctx.saved:
                    ctx._track_saved(args, outs)
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
        if ctx.saved:
            ctx._track_saved(args, (first,))
        return first

    def _as_array_output(self, out):
        """NumPy returns scalars from 0-d computations: make the output an array, and
        keep what was saved pointing at it (so create_graph can recognise the output)."""
        if isinstance(out, Tensor):
            return out._data
        arr = np.asarray(out)
        if self.saved:
            self.saved = tuple(arr if s is out else s for s in self.saved)
        return arr

    def _track_saved(self, args, outs) -> None:
        """Note which saved values are inputs (with their versions) or an output.

        The versions let backward detect a value modified in place after it was saved;
        knowing which saved value is which input or output lets ``create_graph`` replay
        backward on Tensors connected to the graph.
        """
        versions = []
        for pos, s in enumerate(self.saved):
            if isinstance(s, Tensor):
                s = s._data
            for a in args:
                if isinstance(a, Tensor) and a._data is s:
                    versions.append(a)
                    versions.append(a._vc)
                    break
            else:
                for oi, o in enumerate(outs):
                    if o._data is s:
                        self._out_pos = pos
                        if oi:
                            self._saved_out_idx = oi
                        break
        if versions:
            self._versions = tuple(versions)


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved "
    "tensors after they have already been freed). Saved intermediate values of the "
    "graph are freed when you call .backward() or autograd.grad(). Specify "
    "retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward."
)


def _wrap(arr, ctx=None, idx=0) -> Tensor:
    """Make the output Tensor of an operation around ``arr`` (no copy)."""
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
