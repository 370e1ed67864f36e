"""Activation functions, written to stay finite for |x| up to 1e4 in float32."""
from tinygan.backend import get_array_module
from tinygan.tensor import as_tensor, make_node

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "softplus", "log_sigmoid"]


def relu(x):
    """y = max(x, 0);  ∂y/∂x = [x > 0]."""
    x = as_tensor(x)
    out = get_array_module(x.data).maximum(x.data, 0)
    return make_node(out, (x,), lambda g: (g * (out > 0),), "relu")


def leaky_relu(x, negative_slope=0.01):
    """y = x if x > 0 else s·x;  ∂y/∂x = 1 if x > 0 else s."""
    x = as_tensor(x)
    xp = get_array_module(x.data)
    slope = xp.where(x.data > 0, xp.ones((), x.dtype), xp.asarray(negative_slope, x.dtype))
    return make_node(x.data * slope, (x,), lambda g: (g * slope,), "leaky_relu")


def sigmoid_array(x):
    """σ(x) = ½(1 + tanh(x/2)): no exp that can overflow (Chainer's formulation)."""
    xp = get_array_module(x)
    out = xp.tanh(x * 0.5)
    out += 1
    out *= 0.5
    return out


def softplus_array(x):
    """log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)): exact for large |x|."""
    xp = get_array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def sigmoid(x):
    """y = σ(x) = 1/(1 + e^(−x));  ∂y/∂x = y(1 − y)."""
    x = as_tensor(x)
    out = sigmoid_array(x.data)
    return make_node(out, (x,), lambda g: (g * out * (1 - out),), "sigmoid")


def tanh(x):
    """y = tanh x;  ∂y/∂x = 1 − y²."""
    x = as_tensor(x)
    out = get_array_module(x.data).tanh(x.data)
    return make_node(out, (x,), lambda g: (g * (1 - out * out),), "tanh")


def softplus(x):
    """y = log(1 + eˣ);  ∂y/∂x = σ(x)."""
    x = as_tensor(x)
    return make_node(softplus_array(x.data), (x,),
                     lambda g: (g * sigmoid_array(x.data),), "softplus")


def log_sigmoid(x):
    """y = log σ(x) = −softplus(−x);  ∂y/∂x = 1 − σ(x) = σ(−x)."""
    x = as_tensor(x)
    return make_node(-softplus_array(-x.data), (x,),
                     lambda g: (g * sigmoid_array(-x.data),), "log_sigmoid")
