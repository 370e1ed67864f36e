"""Reductions over axes: sum, mean, max, min, var."""
from tinygan.backend import get_array_module
from tinygan.tensor import as_tensor, make_node

__all__ = ["sum", "mean", "max", "min", "var"]


def _axes(axis, ndim):
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted(a % ndim for a in axes))


def _count(shape, axes):
    """How many entries a reduction over ``axes`` combines."""
    count = 1
    for a in axes:
        count *= shape[a]
    return count


def _keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def sum(x, axis=None, keepdims=False):  # noqa: A001
    """y = Σ_axis x;  ∂y/∂x = 1 (g is broadcast back over the summed axes)."""
    x = as_tensor(x)
    xp = get_array_module(x.data)
    axes = _axes(axis, x.ndim)
    out = xp.asarray(x.data.sum(axis=axes, keepdims=keepdims))
    kept = _keepdims_shape(x.shape, axes)
    return make_node(out, (x,), lambda g: (xp.broadcast_to(g.reshape(kept), x.shape),), "sum")


def mean(x, axis=None, keepdims=False):
    """y = (1/N) Σ_axis x;  ∂y/∂x = 1/N."""
    x = as_tensor(x)
    axes = _axes(axis, x.ndim)
    return sum(x, axes, keepdims) * (1.0 / _count(x.shape, axes))


def _extremum(x, axis, keepdims, op):
    x = as_tensor(x)
    xp = get_array_module(x.data)
    axes = _axes(axis, x.ndim)
    kept_values = x.data.max(axis=axes, keepdims=True) if op == "max" else \
        x.data.min(axis=axes, keepdims=True)
    out = kept_values if keepdims else kept_values.reshape(
        tuple(n for i, n in enumerate(x.shape) if i not in axes))

    def backward(g):
        winners = x.data == kept_values          # the arg-extreme entries
        share = winners / winners.sum(axis=axes, keepdims=True)   # ties split g evenly
        return (g.reshape(kept_values.shape) * share.astype(g.dtype),)
    return make_node(xp.asarray(out), (x,), backward, op)


def max(x, axis=None, keepdims=False):  # noqa: A001
    """y = max_axis x;  ∂y/∂x = 1 at the maximum (split evenly among ties), else 0."""
    return _extremum(x, axis, keepdims, "max")


def min(x, axis=None, keepdims=False):  # noqa: A001
    """y = min_axis x;  ∂y/∂x = 1 at the minimum (split evenly among ties), else 0."""
    return _extremum(x, axis, keepdims, "min")


def var(x, axis=None, keepdims=False, ddof=0):
    """y = Σ (x − x̄)² / (N − ddof): derived from sub, mul, sum, so its gradient
    2(x − x̄)/(N − ddof) comes from theirs."""
    x = as_tensor(x)
    axes = _axes(axis, x.ndim)
    centred = x - mean(x, axes, keepdims=True)
    return sum(centred * centred, axes, keepdims) * (1.0 / (_count(x.shape, axes) - ddof))
