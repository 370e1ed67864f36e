"""Binary arithmetic with broadcasting: + - * / ** and matrix products.

Every gradient here is written for the broadcast shape; the engine sums it back to
each input's shape (``tensor._unbroadcast``), so no op repeats that logic.
"""
from tinygan.backend import get_array_module
from tinygan.tensor import Tensor, as_tensor, make_node

__all__ = ["add", "sub", "mul", "div", "pow", "neg", "matmul"]


def _operands(a, b, op):
    """Both operands as Tensors of one float dtype; mixing float32 with float64 is refused
    (NumPy would silently upcast to float64, doubling memory and time)."""
    a = as_tensor(a, like=b if isinstance(b, Tensor) else None)
    b = as_tensor(b, like=a)
    if a.dtype != b.dtype:
        a_float, b_float = a.dtype.kind == "f", b.dtype.kind == "f"
        if a_float and b_float:
            raise TypeError(f"{op}: mixing {a.dtype} and {b.dtype} would silently upcast; "
                            f"convert one side with .astype(...) first")
        if a_float:
            b = Tensor(b.data.astype(a.dtype))
        elif b_float:
            a = Tensor(a.data.astype(b.dtype))
    return a, b


def _broadcast_error(op, a, b, error):
    return ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together "
                      f"(NumPy broadcasting rules: trailing axes must match or be 1)")


def add(a, b):
    """y = a + b;  ∂y/∂a = 1, ∂y/∂b = 1."""
    a, b = _operands(a, b, "add")
    try:
        out = a.data + b.data
    except ValueError as error:
        raise _broadcast_error("add", a, b, error) from None
    return make_node(out, (a, b), lambda g: (g, g), "add")


def sub(a, b):
    """y = a − b;  ∂y/∂a = 1, ∂y/∂b = −1."""
    a, b = _operands(a, b, "sub")
    try:
        out = a.data - b.data
    except ValueError as error:
        raise _broadcast_error("sub", a, b, error) from None
    return make_node(out, (a, b), lambda g: (g, -g if b.requires_grad else None), "sub")


def mul(a, b):
    """y = a · b;  ∂y/∂a = b, ∂y/∂b = a."""
    a, b = _operands(a, b, "mul")
    try:
        out = a.data * b.data
    except ValueError as error:
        raise _broadcast_error("mul", a, b, error) from None

    def backward(g):
        return (g * b.data if a.requires_grad else None,
                g * a.data if b.requires_grad else None)
    return make_node(out, (a, b), backward, "mul")


def div(a, b):
    """y = a / b;  ∂y/∂a = 1/b, ∂y/∂b = −a/b² = −y/b."""
    a, b = _operands(a, b, "div")
    try:
        out = a.data / b.data
    except ValueError as error:
        raise _broadcast_error("div", a, b, error) from None

    def backward(g):
        return (g / b.data if a.requires_grad else None,
                -g * out / b.data if b.requires_grad else None)
    return make_node(out, (a, b), backward, "div")


def pow(a, b):  # noqa: A001 - the operator's name
    """y = a ** b;  ∂y/∂a = b·a^(b−1), ∂y/∂b = y·log a (a > 0)."""
    if isinstance(b, (int, float)) and not isinstance(b, bool):    # the common case: x ** 2
        a = as_tensor(a)
        out = a.data ** b
        return make_node(out, (a,), lambda g: (g * b * a.data ** (b - 1),), "pow")
    a, b = _operands(a, b, "pow")
    try:
        out = a.data ** b.data
    except ValueError as error:
        raise _broadcast_error("pow", a, b, error) from None

    def backward(g):
        return (g * b.data * a.data ** (b.data - 1) if a.requires_grad else None,
                g * out * get_array_module(a.data).log(a.data) if b.requires_grad else None)
    return make_node(out, (a, b), backward, "pow")


def neg(a):
    """y = −a;  ∂y/∂a = −1."""
    a = as_tensor(a)
    return make_node(-a.data, (a,), lambda g: (-g,), "neg")


def matmul(a, b):
    """y = a @ b for 1-D, 2-D and batched (..., n, k) @ (..., k, m) operands.

    ∂L/∂a = g @ bᵀ,  ∂L/∂b = aᵀ @ g  (a 1-D operand is a row (1, k) or column (k, 1)
    matrix for the product and loses that axis again afterwards).
    """
    a, b = _operands(a, b, "matmul")
    try:
        out = a.data @ b.data
        if a.ndim == 1 and b.ndim == 1:
            out = get_array_module(a.data).asarray(out)    # a 0-d array, not a scalar
    except ValueError as error:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} are not aligned: the last axis of the "
            f"first must equal the second-to-last axis of the second") from None

    if a.ndim == 2 and b.ndim == 2:          # the fast path every Linear layer takes
        def backward(g):
            return (g @ b.data.T if a.requires_grad else None,
                    a.data.T @ g if b.requires_grad else None)
        return make_node(out, (a, b), backward, "matmul")

    def backward(g):
        a2 = a.data if a.ndim > 1 else a.data[None, :]
        b2 = b.data if b.ndim > 1 else b.data[:, None]
        if b.ndim == 1:
            g = g[..., None]
        if a.ndim == 1:
            g = g[..., None, :]
        ga = gb = None
        if a.requires_grad:
            ga = g @ b2.swapaxes(-1, -2)
            ga = ga[..., 0, :] if a.ndim == 1 else ga
        if b.requires_grad:
            gb = a2.swapaxes(-1, -2) @ g
            gb = gb[..., 0] if b.ndim == 1 else gb
        return ga, gb
    return make_node(out, (a, b), backward, "matmul")
