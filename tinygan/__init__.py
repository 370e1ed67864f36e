"""tinygan: a small, from-scratch deep-learning library for learning Generative
Adversarial Networks, on NumPy (CPU) or CuPy (GPU).

The layers, bottom to top: ``backend`` (NumPy or CuPy) → ``Tensor`` and its ops
(autograd) → ``nn``, ``optim`` → ``theory`` → ``gan``, ``data``, ``metrics`` → the
``tinygan`` command line.
"""
__version__ = "0.1.0"

from tinygan import backend
from tinygan.backend import manual_seed, set_backend, get_backend
from tinygan import ops     # first: it loads the engine (tinygan.tensor) and fills the op table
from tinygan.ops import *   # noqa: F401,F403  every public op of the table: tinygan.add, …
from tinygan.tensor import Tensor, tensor, grad, no_grad, enable_grad, is_grad_enabled
from tinygan.gradcheck import gradcheck, gradgradcheck, GradcheckError
from tinygan.creation import zeros, ones, randn, rand, arange, zeros_like, ones_like
from tinygan import nn, optim
from tinygan.checkpoint import save, load, CheckpointError

__all__ = [
    "__version__", "backend", "set_backend", "get_backend", "manual_seed", "Tensor", "tensor",
    "grad", "no_grad", "enable_grad", "is_grad_enabled", "gradcheck", "gradgradcheck",
    "GradcheckError", "ops", *ops.__all__, "nn", "optim", "save", "load", "CheckpointError",
    "zeros", "ones", "randn", "rand", "arange", "zeros_like", "ones_like",
]

_SUBPACKAGES = ("theory", "gan", "data", "metrics", "plots")


def __getattr__(name):
    # ``tinygan.gan``, ``tinygan.theory``, … load on first use (PEP 562), so that
    # ``import tinygan`` stays light.
    if name in _SUBPACKAGES:
        import importlib
        return importlib.import_module(f"tinygan.{name}")
    raise AttributeError(f"module 'tinygan' has no attribute {name!r}")
