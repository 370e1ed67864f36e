"""Elementwise functions of one or two tensors, and comparisons (no gradient)."""
from tinygan.backend import get_array_module
from tinygan.ops.table import POSITIVE, Case
from tinygan.tensor import Tensor, constant, op

__all__ = ["exp", "log", "sqrt", "abs", "clip", "maximum", "minimum", "where",
           "less", "less_equal", "greater", "greater_equal"]


@op(grads=(lambda g, y, x: g * y,), methods=("exp",), arrays=True, cases=(Case(((3, 4),)),))
def exp(x):
    """y = eˣ;  ∂y/∂x = y."""
    return get_array_module(x).exp(x)


@op(grads=(lambda g, y, x: g / x,), methods=("log",), arrays=True, cases=(Case(((3, 4),), POSITIVE),))
def log(x):
    """y = log x;  ∂y/∂x = 1/x."""
    return get_array_module(x).log(x)


@op(grads=(lambda g, y, x: g * 0.5 / y,), methods=("sqrt",), arrays=True,
    cases=(Case(((3, 4),), POSITIVE),))
def sqrt(x):
    """y = √x;  ∂y/∂x = 1/(2y)."""
    return get_array_module(x).sqrt(x)


def _sign(x):
    return get_array_module(x).sign(x)


@op(grads=(lambda g, y, x: g * constant(_sign, x),), methods=("abs", "__abs__"), arrays=True,
    cases=(Case(((3, 4),)),))
def abs(x):  # noqa: A001 - the function's name
    """y = |x|;  ∂y/∂x = sign(x) (0 at 0)."""
    return get_array_module(x).abs(x)


def _inside(x, low, high):
    """[low ≤ x ≤ high] (bounds left out are open)."""
    inside = get_array_module(x).ones(x.shape, dtype=bool)
    if low is not None:
        inside &= x >= low
    if high is not None:
        inside &= x <= high
    return inside


@op(grads=(lambda g, y, x, low, high: g * constant(_inside, x, low, high),), methods=("clip",),
    arrays=True,
    cases=(Case(((4, 5),), call=lambda x: clip(x, -0.5, 0.7)),))
def clip(x, low=None, high=None):
    """y = min(max(x, low), high);  ∂y/∂x = 1 where low ≤ x ≤ high, else 0."""
    return get_array_module(x).clip(x, low, high)


def _share(a, b, wins):
    """[a wins] + ½[a = b]: the winner takes g; a tie splits it (the mean of the slopes)."""
    return (wins(a, b) + 0.5 * (a == b)).astype(a.dtype)


def _larger(a, b):
    return a > b


def _smaller(a, b):
    return a < b


@op(grads=(lambda g, y, a, b: g * constant(_share, a, b, _larger),
           lambda g, y, a, b: g * (1 - constant(_share, a, b, _larger))),
    methods=("maximum",), broadcasts=True, arrays=True, cases=(Case(((3, 4), (4,))),))
def maximum(a, b):
    """y = max(a, b) elementwise;  ∂y/∂a = [a > b] + ½[a = b], ∂y/∂b = 1 − ∂y/∂a."""
    return get_array_module(a).maximum(a, b)


@op(grads=(lambda g, y, a, b: g * constant(_share, a, b, _smaller),
           lambda g, y, a, b: g * (1 - constant(_share, a, b, _smaller))),
    methods=("minimum",), broadcasts=True, arrays=True, cases=(Case(((3, 4), (3, 1))),))
def minimum(a, b):
    """y = min(a, b) elementwise;  ∂y/∂a = [a < b] + ½[a = b], ∂y/∂b = 1 − ∂y/∂a."""
    return get_array_module(a).minimum(a, b)


def _where_grad(g, condition, taken):
    """g where the condition picks this side, 0 elsewhere."""
    zero = Tensor(get_array_module(g.data).zeros((), dtype=g.dtype))
    return where(condition, g, zero) if taken else where(condition, zero, g)


@op(grads=(None, lambda g, y, c, a, b: _where_grad(g, c, True),
           lambda g, y, c, a, b: _where_grad(g, c, False)),
    broadcasts=True, cases=(Case(((3, 4), (3, 4)), call=lambda a, b: where(a > 0, a, b)),))
def where(condition, a, b):
    """y = a where condition else b;  ∂y/∂a = [condition], ∂y/∂b = [not condition]."""
    return get_array_module(a).where(condition, a, b)


def _no_gradient_case(compare):
    return (Case(((3, 4), (4,)), call=compare, label="no gradient"),)


@op(grads=(None, None), methods=("__lt__",), broadcasts=True,
    cases=_no_gradient_case(lambda a, b: a < b))
def less(a, b):
    """y = [a < b], a boolean tensor;  no gradient."""
    return a < b


@op(grads=(None, None), methods=("__le__",), broadcasts=True,
    cases=_no_gradient_case(lambda a, b: a <= b))
def less_equal(a, b):
    """y = [a ≤ b], a boolean tensor;  no gradient."""
    return a <= b


@op(grads=(None, None), methods=("__gt__",), broadcasts=True,
    cases=_no_gradient_case(lambda a, b: a > b))
def greater(a, b):
    """y = [a > b], a boolean tensor;  no gradient."""
    return a > b


@op(grads=(None, None), methods=("__ge__",), broadcasts=True,
    cases=_no_gradient_case(lambda a, b: a >= b))
def greater_equal(a, b):
    """y = [a ≥ b], a boolean tensor;  no gradient."""
    return a >= b
