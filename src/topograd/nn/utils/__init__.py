"""Utilities for modules and their parameters: gradient clipping, flattening parameters
into a vector, and differentiable L1 / L2 / elastic-net penalties.

>>> import topograd
>>> from topograd import nn
>>> model = nn.Linear(2, 1)
>>> loss = model(topograd.ones(4, 2)).pow(2).mean() + 1e-3 * nn.utils.l2_penalty(model)
>>> loss.backward()
>>> float(nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)) >= 0
True
"""

from .clip_grad import clip_grad_norm_, clip_grad_value_
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .penalties import elastic_net_penalty, l1_penalty, l2_penalty

__all__ = [
    "clip_grad_norm_", "clip_grad_value_", "elastic_net_penalty", "l1_penalty", "l2_penalty",
    "parameters_to_vector", "vector_to_parameters",
]
