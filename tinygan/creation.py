"""Tensors made from nothing: zeros, ones, and seeded random draws on the active backend."""
from tinygan import backend
from tinygan.tensor import Tensor

__all__ = ["zeros", "ones", "randn", "rand", "arange", "zeros_like", "ones_like"]


def _shape(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def zeros(*shape, dtype="float32", requires_grad=False):
    return Tensor(backend.xp.zeros(_shape(shape), dtype=dtype), requires_grad)


def ones(*shape, dtype="float32", requires_grad=False):
    return Tensor(backend.xp.ones(_shape(shape), dtype=dtype), requires_grad)


def zeros_like(x, requires_grad=False):
    return zeros(x.shape, dtype=x.dtype, requires_grad=requires_grad)


def ones_like(x, requires_grad=False):
    return ones(x.shape, dtype=x.dtype, requires_grad=requires_grad)


def randn(*shape, dtype="float32", requires_grad=False):
    """Standard normal draws from the seeded generator (``tinygan.manual_seed``)."""
    data = backend.rng().standard_normal(_shape(shape), dtype=dtype)
    return Tensor(data, requires_grad)


def rand(*shape, dtype="float32", requires_grad=False):
    """Uniform draws on [0, 1) from the seeded generator."""
    data = backend.rng().random(_shape(shape), dtype=dtype)
    return Tensor(data, requires_grad)


def arange(*args, dtype=None):
    return Tensor(backend.xp.arange(*args, dtype=dtype))
