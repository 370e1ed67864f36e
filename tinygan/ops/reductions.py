"""Reductions over axes: sum, mean, max, min, var, logsumexp."""
from tinygan.backend import get_array_module
from tinygan.ops.elementwise import exp
from tinygan.ops.shape import broadcast_to
from tinygan.ops.table import Case
from tinygan.tensor import as_tensor, constant, op, same_kind

__all__ = ["sum", "mean", "max", "min", "var", "logsumexp"]


def axes_of(axis, ndim):
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


def _kept(shape, axis):
    """The shape of a reduction over ``axis`` with keepdims=True."""
    axes = axes_of(axis, len(shape))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _sum_grad(g, y, x, axis, keepdims):
    return same_kind(broadcast_to, g.reshape(_kept(x.shape, axis)), shape=x.shape)


@op(grads=(_sum_grad,), methods=("sum",), arrays=True,
    cases=(Case(((3, 4),), label="all"), Case(((3, 4, 2),), call=lambda x: x.sum(axis=1)),
           Case(((3, 4),), call=lambda x: x.sum(axis=-1, keepdims=True), label="keepdims"),
           Case(((3, 4, 2),), call=lambda x: x.sum(axis=(0, 2)), label="tuple axes")))
def sum(x, axis=None, keepdims=False):  # noqa: A001
    """y = Σ_axis x;  ∂y/∂x = 1 (g is broadcast back over the summed axes)."""
    return get_array_module(x).asarray(x.sum(axis=axes_of(axis, x.ndim), keepdims=keepdims))


@op(derived=True, methods=("mean",),
    cases=(Case(((3, 4),), call=lambda x: x.mean(axis=0)),
           Case(((2, 3, 4),), call=lambda x: x.mean(axis=-2, keepdims=True), label="keepdims")))
def mean(x, axis=None, keepdims=False):
    """y = (1/N) Σ_axis x;  ∂y/∂x = 1/N."""
    x = as_tensor(x)
    axes = axes_of(axis, x.ndim)
    return sum(x, axes, keepdims) * (1.0 / _count(x.shape, axes))


def _share(x, y, axis):
    """1 at the arg-extreme entries of x (y the extreme), split evenly among ties."""
    winners = x == y.reshape(_kept(x.shape, axis))
    return (winners / winners.sum(axis=axes_of(axis, x.ndim), keepdims=True)).astype(x.dtype)


def _extremum_grad(g, y, x, axis, keepdims):
    """g routed to the arg-extreme entries, split evenly among ties."""
    return g.reshape(_kept(x.shape, axis)) * constant(_share, x, y, axis)


def _extremum(x, axis, keepdims, reduce):
    kept = reduce(x, axis=axes_of(axis, x.ndim), keepdims=keepdims)
    return get_array_module(x).asarray(kept)


@op(grads=(_extremum_grad,), methods=("max",), arrays=True,
    cases=(Case(((3, 5),), call=lambda x: x.max(axis=1)), Case(((3, 5),), label="all")))
def max(x, axis=None, keepdims=False):  # noqa: A001
    """y = max_axis x;  ∂y/∂x = 1 at the maximum (split evenly among ties), else 0."""
    return _extremum(x, axis, keepdims, get_array_module(x).max)


@op(grads=(_extremum_grad,), methods=("min",), arrays=True,
    cases=(Case(((4, 3),), call=lambda x: x.min(axis=0, keepdims=True)),))
def min(x, axis=None, keepdims=False):  # noqa: A001
    """y = min_axis x;  ∂y/∂x = 1 at the minimum (split evenly among ties), else 0."""
    return _extremum(x, axis, keepdims, get_array_module(x).min)


@op(derived=True, methods=("var",),
    cases=(Case(((5, 3),), call=lambda x: x.var(axis=0)),
           Case(((5, 3),), call=lambda x: x.var(ddof=1), label="ddof")))
def var(x, axis=None, keepdims=False, ddof=0):
    """y = Σ (x − x̄)² / (N − ddof);  from sub, mul and sum: 2(x − x̄)/(N − ddof)."""
    x = as_tensor(x)
    axes = axes_of(axis, x.ndim)
    centred = x - mean(x, axes, keepdims=True)
    return sum(centred * centred, axes, keepdims) * (1.0 / (_count(x.shape, axes) - ddof))


def _logsumexp_grad(g, y, x, axis, keepdims):
    """g · softmax(x) along the axis, as g · exp(x − y)."""
    kept = _kept(x.shape, axis)
    return g.reshape(kept) * same_kind(exp, x - y.reshape(kept))


@op(grads=(_logsumexp_grad,), methods=("logsumexp",), arrays=True,
    cases=(Case(((3, 5),), call=lambda x: x.logsumexp(axis=1)),
           Case(((2, 3, 4),), call=lambda x: x.logsumexp(axis=(0, 2), keepdims=True),
                label="keepdims")))
def logsumexp(x, axis=None, keepdims=False):
    """y = log Σ_axis eˣ, computed as m + log Σ e^(x − m) with m = max x (nothing
    overflows);  ∂y/∂x = e^(x − y), the softmax of x along the axis."""
    xp = get_array_module(x)
    axes = axes_of(axis, x.ndim)
    peak = x.max(axis=axes, keepdims=True)
    peak = xp.where(xp.isfinite(peak), peak, 0)        # all −∞ (or +∞) rows: no ∞ − ∞
    y = xp.log(xp.exp(x - peak).sum(axis=axes, keepdims=True)) + peak
    return xp.asarray(y if keepdims else y.squeeze(axis=axes))
