"""Weight initialisations, drawn from the backend's seeded generator.

For a weight of shape (fan_in, fan_out):
- ``uniform_(w, r)``: U(−r, r), as in the 2014 paper's configurations (r = 0.05 for G,
  0.005 for D);
- ``xavier_uniform_(w)`` (Glorot & Bengio 2010): U(−a, a), a = √(6 / (fan_in + fan_out));
- ``he_uniform_(w)`` (He et al. 2015, for ReLU): U(−a, a), a = √(6 / fan_in);
- ``fan_in_uniform_(w)`` (PyTorch's default for Linear): U(−a, a), a = 1/√fan_in, used for
  the bias too, so that units do not all start as hyperplanes through the origin.
"""
import math

from tinygan import backend

__all__ = ["uniform_", "xavier_uniform_", "he_uniform_", "fan_in_uniform_", "zeros_", "INITS"]


def uniform_(weight, bound):
    """Fill ``weight`` in place with U(−bound, bound)."""
    draws = backend.rng().random(weight.shape, dtype=weight.dtype)
    weight.data[...] = (draws * 2 - 1) * bound
    return weight


def xavier_uniform_(weight):
    fan_in, fan_out = weight.shape[0], weight.shape[-1]
    return uniform_(weight, math.sqrt(6.0 / (fan_in + fan_out)))


def he_uniform_(weight):
    return uniform_(weight, math.sqrt(6.0 / weight.shape[0]))


def fan_in_uniform_(weight, fan_in=None):
    return uniform_(weight, 1.0 / math.sqrt(fan_in or weight.shape[0]))


def zeros_(weight):
    weight.data[...] = 0
    return weight


INITS = {"xavier": xavier_uniform_, "he": he_uniform_, "fan_in": fan_in_uniform_}
