"""Elementwise functions of one or two tensors."""
from tinygan.backend import get_array_module
from tinygan.ops.arithmetic import _operands, _broadcast_error
from tinygan.tensor import as_tensor, make_node

__all__ = ["exp", "log", "sqrt", "abs", "clip", "maximum", "minimum", "where"]


def exp(x):
    """y = eˣ;  ∂y/∂x = y."""
    x = as_tensor(x)
    out = get_array_module(x.data).exp(x.data)
    return make_node(out, (x,), lambda g: (g * out,), "exp")


def log(x):
    """y = log x;  ∂y/∂x = 1/x."""
    x = as_tensor(x)
    out = get_array_module(x.data).log(x.data)
    return make_node(out, (x,), lambda g: (g / x.data,), "log")


def sqrt(x):
    """y = √x;  ∂y/∂x = 1/(2y)."""
    x = as_tensor(x)
    out = get_array_module(x.data).sqrt(x.data)
    return make_node(out, (x,), lambda g: (g * 0.5 / out,), "sqrt")


def abs(x):  # noqa: A001 - the function's name
    """y = |x|;  ∂y/∂x = sign(x) (0 at 0)."""
    x = as_tensor(x)
    xp = get_array_module(x.data)
    return make_node(xp.abs(x.data), (x,), lambda g: (g * xp.sign(x.data),), "abs")


def clip(x, low=None, high=None):
    """y = min(max(x, low), high);  ∂y/∂x = 1 where low ≤ x ≤ high, else 0."""
    x = as_tensor(x)
    xp = get_array_module(x.data)
    out = xp.clip(x.data, low, high)

    def backward(g):
        inside = xp.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x.data >= low
        if high is not None:
            inside &= x.data <= high
        return (g * inside,)
    return make_node(out, (x,), backward, "clip")


def _extremum(a, b, op):
    a, b = _operands(a, b, op)
    xp = get_array_module(a.data)
    try:
        out = xp.maximum(a.data, b.data) if op == "maximum" else xp.minimum(a.data, b.data)
    except ValueError as error:
        raise _broadcast_error(op, a, b, error) from None

    def backward(g):
        # the winning side gets g; a tie splits it in half (the mean of the one-sided slopes)
        a_wins = (a.data > b.data) if op == "maximum" else (a.data < b.data)
        share = a_wins + 0.5 * (a.data == b.data)
        share = share.astype(g.dtype)
        return (g * share if a.requires_grad else None,
                g * (1 - share) if b.requires_grad else None)
    return make_node(out, (a, b), backward, op)


def maximum(a, b):
    """y = max(a, b) elementwise;  ∂y/∂a = [a > b] + ½[a = b], ∂y/∂b = 1 − ∂y/∂a."""
    return _extremum(a, b, "maximum")


def minimum(a, b):
    """y = min(a, b) elementwise;  ∂y/∂a = [a < b] + ½[a = b], ∂y/∂b = 1 − ∂y/∂a."""
    return _extremum(a, b, "minimum")


def where(condition, a, b):
    """y = a where condition else b;  ∂y/∂a = [condition], ∂y/∂b = [not condition]."""
    condition = as_tensor(condition).data
    a, b = _operands(a, b, "where")
    xp = get_array_module(a.data)
    try:
        out = xp.where(condition, a.data, b.data)
    except ValueError as error:
        raise _broadcast_error("where", a, b, error) from None
    zero = xp.zeros((), dtype=out.dtype)
    return make_node(out, (a, b), lambda g: (
        xp.where(condition, g, zero) if a.requires_grad else None,
        xp.where(condition, zero, g) if b.requires_grad else None), "where")
