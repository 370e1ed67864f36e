"""Binary arithmetic with broadcasting: + − × / ** and matrix products.

Each rule is written for the broadcast shape; the engine sums it back to each input's
shape (``tensor.unbroadcast``), so no op repeats that logic. Rules take
(g, y, *inputs): g = ∂L/∂y, y the op's output, and return ∂L/∂input.
"""
from tinygan.backend import get_array_module
from tinygan.ops.elementwise import log
from tinygan.ops.table import POSITIVE, Case
from tinygan.tensor import op, same_kind

__all__ = ["add", "sub", "mul", "div", "pow", "neg", "matmul"]


@op(grads=(lambda g, y, a, b: g, lambda g, y, a, b: g),
    methods=("__add__",), reflected=("__radd__",), broadcasts=True, arrays=True,
    cases=(Case(((3, 4), (4,))), Case(((3, 1), (2, 3, 4)), label="keep-dim broadcast")))
def add(a, b):
    """y = a + b;  ∂y/∂a = 1, ∂y/∂b = 1."""
    return a + b


@op(grads=(lambda g, y, a, b: g, lambda g, y, a, b: -g),
    methods=("__sub__",), reflected=("__rsub__",), broadcasts=True, arrays=True,
    cases=(Case(((2, 3), (2, 1))), Case(((3,),), call=lambda a: 1.5 - a, label="rsub scalar")))
def sub(a, b):
    """y = a − b;  ∂y/∂a = 1, ∂y/∂b = −1."""
    return a - b


@op(grads=(lambda g, y, a, b: g * b, lambda g, y, a, b: g * a),
    methods=("__mul__",), reflected=("__rmul__",), broadcasts=True, arrays=True,
    cases=(Case(((2, 3, 4), (3, 1))), Case(((3, 2),), call=lambda a: a * a, label="square")))
def mul(a, b):
    """y = a · b;  ∂y/∂a = b, ∂y/∂b = a."""
    return a * b


@op(grads=(lambda g, y, a, b: g / b, lambda g, y, a, b: -g * y / b),
    methods=("__truediv__",), reflected=("__rtruediv__",), broadcasts=True,
    arrays=True,
    cases=(Case(((3, 4), (4,)), POSITIVE),
           Case(((3,),), POSITIVE, call=lambda a: 2.0 / a, label="rdiv scalar")))
def div(a, b):
    """y = a / b;  ∂y/∂a = 1/b, ∂y/∂b = −a/b² = −y/b."""
    return a / b


@op(grads=(lambda g, y, a, b: g * b * a ** (b - 1), lambda g, y, a, b: g * y * same_kind(log, a)),
    methods=("__pow__",), reflected=("__rpow__",), broadcasts=True, arrays=True,
    cases=(Case(((3, 2),), call=lambda a: a ** 3, label="scalar exponent"),
           Case(((3, 2), (2,)), POSITIVE)))
def pow(a, b):  # noqa: A001 - the operator's name
    """y = aᵇ;  ∂y/∂a = b·aᵇ⁻¹, ∂y/∂b = y·log a (a > 0)."""
    return a ** b


@op(grads=(lambda g, y, a: -g,), methods=("__neg__",), arrays=True, cases=(Case(((4,),)),))
def neg(a):
    """y = −a;  ∂y/∂a = −1."""
    return -a


def _swap(x):
    """x with its last two axes exchanged (the matrix transpose of a stack of matrices)."""
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return x.transpose(axes)


def _matmul_grad_a(g, y, a, b):
    if b.ndim == 1:                          # y[..., n] = Σ_k a[..., n, k] b[k]
        return g.reshape(g.shape + (1,)) * b if a.ndim > 1 else g * b
    if a.ndim == 1:                          # y[..., m] = Σ_k a[k] b[..., k, m]
        row = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
        return (row @ _swap(b)).reshape(g.shape[:-1] + (a.shape[0],))
    return g @ _swap(b)


def _matmul_grad_b(g, y, a, b):
    if a.ndim == 1:
        return a.reshape((a.shape[0], 1)) * g.reshape(g.shape[:-1] + (1, g.shape[-1])) \
            if b.ndim > 1 else g * a
    if b.ndim == 1:                          # ∂b[k] = Σ_n a[..., n, k] g[..., n]
        row = g.reshape(g.shape[:-1] + (1, g.shape[-1]))
        return (row @ a).reshape(g.shape[:-1] + (b.shape[0],))
    return _swap(a) @ g


@op(grads=(_matmul_grad_a, _matmul_grad_b), methods=("__matmul__", "matmul"),
    reflected=("__rmatmul__",), arrays=True,
    cases=(Case(((3, 4), (4, 5)), label="2-D"), Case(((4,), (4, 5)), label="1-D @ 2-D"),
           Case(((3, 4), (4,)), label="2-D @ 1-D"), Case(((4,), (4,)), label="1-D @ 1-D"),
           Case(((2, 3, 4), (2, 4, 5)), label="batched"),
           Case(((2, 3, 4), (4, 5)), label="batch broadcast"),
           Case(((4,), (2, 4, 5)), label="1-D @ batched"),
           Case(((2, 3, 4), (4,)), label="batched @ 1-D")))
def matmul(a, b):
    """y = a @ b for 1-D, 2-D and batched (…, n, k) @ (…, k, m) operands;  ∂L/∂a = g @ bᵀ,
    ∂L/∂b = aᵀ @ g (a 1-D operand is a row or column for the product)."""
    try:
        out = a @ b
    except ValueError:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned: the last "
                         f"axis of the first must equal the second-to-last axis of the "
                         f"second") from None
    if a.ndim == 1 and b.ndim == 1:
        out = get_array_module(a).asarray(out)      # a 0-d array, not a NumPy scalar
    return out
