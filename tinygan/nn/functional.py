"""Layers as functions: the building blocks ``tinygan.nn``'s modules call, plus the
activations and losses, so ``import tinygan.nn.functional as F`` works as in PyTorch."""
from tinygan import backend
from tinygan.backend import get_array_module
from tinygan.ops import (leaky_relu, log_sigmoid, relu, sigmoid, softplus, tanh,  # noqa: F401
                         exp)
from tinygan.ops.layers import linear as _linear, masked_scale, maxout as _maxout
from tinygan.ops.reductions import logsumexp, sum as reduce_sum, mean
from tinygan.tensor import Tensor, as_tensor
from tinygan.nn.losses import (binary_cross_entropy, binary_cross_entropy_with_logits,  # noqa: F401
                               discriminator_loss, generator_loss)
from tinygan.ops.conv import (avg_pool2d, batch_norm, batch_norm2d, conv2d, conv_transpose2d,  # noqa: F401
                              flatten, max_pool2d, unflatten)

__all__ = ["linear", "maxout", "dropout", "batch_norm", "log_softmax", "softmax", "relu",
           "leaky_relu", "sigmoid", "tanh", "softplus", "log_sigmoid",
           "binary_cross_entropy_with_logits", "binary_cross_entropy", "cross_entropy",
           "discriminator_loss", "generator_loss", "conv2d", "conv_transpose2d", "avg_pool2d",
           "max_pool2d", "flatten", "unflatten", "batch_norm2d"]


def linear(x, weight, bias=None):
    """y = x W + b, with W of shape (in_features, out_features): each column is one
    unit's incoming weights (PyTorch stores the transpose)."""
    if bias is not None and x.ndim == 2:
        return _linear(x, weight, bias)             # the fused op of the 2014 MLPs
    out = x @ weight
    return out + bias if bias is not None else out


def maxout(x, pieces):
    """Maxout (Goodfellow et al. 2013): y[:, j] = max_p x[:, p·U + j], U = width / pieces,
    pieces stored piece-major; the op and its gradient are ``tinygan.ops.layers.maxout``."""
    return _maxout(x, pieces=pieces)


# Dropout draws 16-bit integers rather than float32 uniforms: half the random bits.
_DRAW_LEVELS = 1 << 16


def dropout(x, p=0.5, training=True):
    """Inverted dropout: each entry is zeroed with probability p and the survivors are
    scaled by 1/(1 − p), so E[y] = x and evaluation needs no rescaling.

    The keep test is ``u < round((1 − p)·2¹⁶)`` on 16-bit draws u; the scale is the exact
    inverse of that keep rate, so E[y] = x holds exactly. ∂y/∂x = mask · scale
    (``tinygan.ops.layers.masked_scale``).
    """
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    x = as_tensor(x)
    if not training or p == 0:
        return x
    threshold = round((1 - p) * _DRAW_LEVELS)
    draws = backend.rng().integers(0, _DRAW_LEVELS, size=x.shape,
                                   dtype=get_array_module(x.data).uint16)
    return masked_scale(x, keep=draws < threshold, scale=_DRAW_LEVELS / threshold)


def log_softmax(x, axis=-1):
    """log softmax(x)ᵢ = xᵢ − log Σⱼ e^(xⱼ) (the op table's stable ``logsumexp``)."""
    x = as_tensor(x)
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x, axis=-1):
    return exp(log_softmax(x, axis))


def cross_entropy(logits, labels, reduction="mean"):
    """ℓ = −log softmax(l)[label] for integer class labels (multi-class classifiers)."""
    logits = as_tensor(logits)
    labels = labels.data if isinstance(labels, Tensor) else backend.asarray(labels)
    rows = get_array_module(logits.data).arange(logits.shape[0])
    per_sample = -log_softmax(logits)[rows, labels]
    return {"mean": mean, "sum": reduce_sum}[reduction](per_sample) if reduction != "none" \
        else per_sample
