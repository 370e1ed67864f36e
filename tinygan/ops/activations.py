"""Activation functions, written to stay finite for |x| up to 1e4 in float32."""
from tinygan import fused
from tinygan.backend import get_array_module
from tinygan.ops.table import Case
from tinygan.tensor import constant, op, same_kind

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "softplus", "log_sigmoid",
           "sigmoid_array", "softplus_array"]


def sigmoid_array(x):
    """σ(x) = ½(1 + tanh(x/2)): no exp that can overflow (Chainer's formulation)."""
    out = fused.sigmoid(x)
    if out is not None:
        return out
    out = get_array_module(x).tanh(x * 0.5)
    out += 1
    out *= 0.5
    return out


def softplus_array(x):
    """log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)): exact for large |x|."""
    out = fused.softplus(x)
    if out is not None:
        return out
    xp = get_array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


@op(grads=(lambda g, y, x: g * (y > 0),), methods=("relu",), arrays=True,
    cases=(Case(((4, 5),)),))
def relu(x):
    """y = max(x, 0);  ∂y/∂x = [x > 0]."""
    return get_array_module(x).maximum(x, 0)


def _slope(x, negative_slope):
    """1 where x > 0, else the negative slope s (NaN included, as in PyTorch), exactly:
    [x > 0] written as 0/1 floats, then max(·, s) when 0 ≤ s ≤ 1 (two passes), else
    b + (1 − b)·s."""
    slope = fused.leaky_slope(x, negative_slope)       # one GPU kernel on CuPy arrays
    if slope is not None:
        return slope
    xp = get_array_module(x)
    slope = xp.greater(x, 0, out=xp.empty_like(x))
    if 0 <= negative_slope <= 1:
        return xp.maximum(slope, negative_slope, out=slope)
    return slope + (1 - slope) * negative_slope


@op(grads=(lambda g, y, x, negative_slope: g * constant(_slope, x, negative_slope),),
    methods=("leaky_relu",), arrays=True, cases=(Case(((4, 5),), call=lambda x: leaky_relu(x, 0.2)),))
def leaky_relu(x, negative_slope=0.01):
    """y = x if x > 0 else s·x;  ∂y/∂x = 1 if x > 0 else s. For 0 < s ≤ 1 that is
    max(x, s·x), two passes."""
    if 0 < negative_slope <= 1:                  # (s = 0 would give max(∞, 0·∞) = NaN)
        y = x * negative_slope
        return get_array_module(x).maximum(x, y, out=y)
    return x * _slope(x, negative_slope)


@op(grads=(lambda g, y, x: g * y * (1 - y),), methods=("sigmoid",), arrays=True, cases=(Case(((4, 5),)),))
def sigmoid(x):
    """y = σ(x) = 1/(1 + e^(−x));  ∂y/∂x = y(1 − y)."""
    return sigmoid_array(x)


@op(grads=(lambda g, y, x: g * (1 - y * y),), methods=("tanh",), arrays=True, cases=(Case(((4, 5),)),))
def tanh(x):
    """y = tanh x;  ∂y/∂x = 1 − y²."""
    return get_array_module(x).tanh(x)


@op(grads=(lambda g, y, x: g * same_kind(sigmoid, x),), methods=("softplus",), arrays=True,
    cases=(Case(((4, 5),)),))
def softplus(x):
    """y = log(1 + eˣ);  ∂y/∂x = σ(x)."""
    return softplus_array(x)


@op(grads=(lambda g, y, x: g * same_kind(sigmoid, -x),), methods=("log_sigmoid",), arrays=True,
    cases=(Case(((4, 5),)),))
def log_sigmoid(x):
    """y = log σ(x) = −softplus(−x);  ∂y/∂x = 1 − σ(x) = σ(−x)."""
    return -softplus_array(-x)
