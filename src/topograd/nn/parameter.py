"""``topograd.nn.parameter.Parameter``, where ``torch.nn.parameter`` has it, for code
written against that path.

Parameter is defined with the Tensor in :mod:`topograd.tensor` (the engine knows it); topograd
itself imports it from there.

>>> from topograd.nn.parameter import Parameter
>>> import topograd
>>> Parameter is topograd.nn.Parameter
True
"""

from ..tensor import Parameter

__all__ = ["Parameter"]
