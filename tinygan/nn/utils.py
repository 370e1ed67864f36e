"""Constraints applied to weights between updates; a module switched to evaluation."""
from contextlib import contextmanager

from tinygan.backend import get_array_module

__all__ = ["clip_column_norms_", "grad_norm", "evaluating"]


def clip_column_norms_(weight, max_norm):
    """Rescale, in place, every column of ``weight`` (one unit's incoming weights) whose
    Euclidean norm exceeds ``max_norm`` down to exactly ``max_norm``:
        w_j ← w_j · min(1, max_norm / ‖w_j‖)
    (the ``max_col_norm`` constraint of the 2014 paper's configurations)."""
    data = weight.data if hasattr(weight, "data") else weight
    xp = get_array_module(data)
    norms = xp.sqrt((data * data).sum(axis=0))
    scale = xp.minimum(1, max_norm / xp.maximum(norms, 1e-12)).astype(data.dtype)
    data *= scale
    return weight


def grad_norm(parameters):
    """The Euclidean norm of all parameters' gradients together, ‖∇θ‖₂ (0 if none)."""
    total = 0.0
    for parameter in parameters:
        if parameter.grad is not None:
            g = parameter.grad.data
            total += float((g * g).sum())
    return total ** 0.5


@contextmanager
def evaluating(module):
    """``with evaluating(G): ...`` runs ``module`` in evaluation mode (``module.eval()``:
    batch norm uses and keeps its running statistics, dropout is off) and puts every
    sub-module back in the mode it had, also when the body raises."""
    modes = [(layer, layer.training) for _, layer in module.named_modules()]
    module.eval()
    try:
        yield module
    finally:
        for layer, training in modes:
            layer.training = training
