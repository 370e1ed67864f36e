"""tinygan: a small, from-scratch deep-learning library for learning Generative
Adversarial Networks, on NumPy (CPU) or CuPy (GPU).

The layers, bottom to top: ``backend`` (NumPy or CuPy) → ``Tensor`` and its ops
(autograd) → ``nn``, ``optim`` → ``theory`` → ``gan``, ``data``, ``metrics`` → the
``tinygan`` command line.
"""
__version__ = "0.1.0"

from tinygan import backend
from tinygan.backend import manual_seed, set_backend, get_backend
from tinygan.tensor import Tensor, tensor, no_grad, enable_grad, is_grad_enabled
from tinygan import ops
from tinygan.ops import (abs, clip, concatenate, exp, leaky_relu, log, log_sigmoid, matmul,
                         maximum, mean, minimum, relu, sigmoid, softplus, sqrt, stack, tanh,
                         where)
from tinygan.gradcheck import gradcheck, GradcheckError
from tinygan.creation import zeros, ones, randn, rand, arange, zeros_like, ones_like
from tinygan import nn, optim
from tinygan.checkpoint import save, load, CheckpointError

__all__ = [
    "__version__", "backend", "set_backend", "get_backend", "manual_seed", "Tensor", "tensor",
    "no_grad", "enable_grad", "is_grad_enabled", "gradcheck", "GradcheckError", "ops",
    "abs", "clip", "concatenate", "exp", "leaky_relu", "log", "log_sigmoid", "matmul",
    "maximum", "mean", "minimum", "relu", "sigmoid", "softplus", "sqrt", "stack", "tanh",
    "where", "nn", "optim", "save", "load", "CheckpointError", "zeros", "ones", "randn", "rand", "arange", "zeros_like", "ones_like",
]

_SUBPACKAGES = ("theory", "gan", "data", "metrics", "plots")


def __getattr__(name):
    # ``tinygan.gan``, ``tinygan.theory``, … load on first use (PEP 562), so that
    # ``import tinygan`` stays light.
    if name in _SUBPACKAGES:
        import importlib
        return importlib.import_module(f"tinygan.{name}")
    raise AttributeError(f"module 'tinygan' has no attribute {name!r}")
