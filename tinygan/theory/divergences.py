"""Entropy, Kullback–Leibler and Jensen–Shannon divergences.

For discrete distributions p, q (arrays summing to 1 along ``axis``; batches allowed):
    H(p)        = −Σ p log p
    KL(p ‖ q)   =  Σ p log(p / q)        (0·log 0 = 0;  = +inf where q = 0 < p)
    JSD(p ‖ q)  =  ½ KL(p ‖ m) + ½ KL(q ‖ m),   m = (p + q)/2,   0 ≤ JSD ≤ log 2
``base`` is e (nats, the default) or 2 (bits). The ``*_densities`` versions take density
values on a grid and integrate with the trapezoid rule instead of summing.
"""
import math

from tinygan import backend
from tinygan.theory._arrays import (as_array, check_normalized, integrate, nonnegative, result,
                                    xlogy_ratio)

__all__ = ["entropy", "kl", "jsd", "kl_densities", "jsd_densities", "kl_gaussian",
           "kl_diagonal_gaussian"]


def _log_base(base):
    if base is None or base == math.e:
        return 1.0
    if not (isinstance(base, (int, float)) and math.isfinite(base)) or base <= 0 or base == 1:
        raise ValueError(f"base must be a finite number > 0 other than 1, got {base}")
    return math.log(base)


def _distributions(p, q=None, axis=-1, normalize=False):
    """Check (or normalise) discrete distributions along ``axis`` and move it last."""
    xp = backend.xp
    arrays = [as_array(p, "p")] + ([as_array(q, "q")] if q is not None else [])
    if q is not None and arrays[0].shape != arrays[1].shape:
        raise ValueError(f"p and q must have the same shape, got {arrays[0].shape} and "
                         f"{arrays[1].shape}")
    checked = []
    for name, array in zip("pq", arrays):
        if array.ndim == 0:
            raise ValueError(f"{name} must be an array of probabilities, got a scalar")
        array = nonnegative(xp.moveaxis(array, axis, -1), name)
        if normalize:
            totals = array.sum(axis=-1, keepdims=True)
            if bool((totals <= 0).any()):
                raise ValueError(f"{name} sums to 0 and cannot be normalised")
            array = array / totals
        check_normalized(array, None, name, f" along axis {axis}; pass normalize=True to "
                                            f"rescale it")
        checked.append(array)
    return checked


def entropy(p, axis=-1, base=None, normalize=False):
    """H(p) = −Σ p log p."""
    (p,) = _distributions(p, axis=axis, normalize=normalize)
    xp = backend.get_array_module(p)
    return result(-integrate(xlogy_ratio(p, xp.ones_like(p)), None) / _log_base(base))


def kl(p, q, axis=-1, base=None, normalize=False):
    """KL(p ‖ q) = Σ p log(p/q) ≥ 0; +inf where q = 0 < p."""
    p, q = _distributions(p, q, axis=axis, normalize=normalize)
    return result(integrate(xlogy_ratio(p, q), None) / _log_base(base))


def jsd(p, q, axis=-1, base=None, normalize=False):
    """JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2: symmetric, in [0, log 2]."""
    p, q = _distributions(p, q, axis=axis, normalize=normalize)
    m = (p + q) * 0.5
    return result(integrate(0.5 * xlogy_ratio(p, m) + 0.5 * xlogy_ratio(q, m), None)
                  / _log_base(base))


def _densities(p, q, x):
    """Density values on the grid ``x``, each checked to integrate to 1 there."""
    p, q = as_array(p, "p"), as_array(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"p and q must be sampled on the same grid, got shapes {p.shape} "
                         f"and {q.shape}")
    return (check_normalized(p, x, "p", "; is the grid too coarse, or does it miss part of p?"),
            check_normalized(q, x, "q", "; is the grid too coarse, or does it miss part of q?"))


def kl_densities(p, q, x, base=None):
    """KL(p ‖ q) = ∫ p log(p/q) dx for densities sampled on the grid ``x`` (a 1-D array,
    or a tuple of two axes for a 2-D grid)."""
    p, q = _densities(p, q, x)
    return result(integrate(xlogy_ratio(p, q), x) / _log_base(base))


def jsd_densities(p, q, x, base=None):
    """JSD(p ‖ q) = ½ ∫ p log(p/m) + ½ ∫ q log(q/m), m = (p + q)/2, on the grid ``x``."""
    p, q = _densities(p, q, x)
    m = (p + q) * 0.5
    return result(integrate(0.5 * xlogy_ratio(p, m) + 0.5 * xlogy_ratio(q, m), x)
                  / _log_base(base))


def kl_gaussian(mu1, sigma1, mu2=0.0, sigma2=1.0):
    """KL(N(μ₁, σ₁²) ‖ N(μ₂, σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²)/(2σ₂²) − ½, elementwise."""
    xp = backend.xp
    mu1, sigma1 = as_array(mu1, "mu1"), as_array(sigma1, "sigma1")
    mu2, sigma2 = as_array(mu2, "mu2"), as_array(sigma2, "sigma2")
    if bool((sigma1 <= 0).any()) or bool((sigma2 <= 0).any()):
        raise ValueError("standard deviations must be positive")
    return result(xp.log(sigma2 / sigma1) + (sigma1 ** 2 + (mu1 - mu2) ** 2) / (2 * sigma2 ** 2)
                  - 0.5)


def kl_diagonal_gaussian(mu1, sigma1, mu2=0.0, sigma2=1.0):
    """KL between diagonal Gaussians: the sum over the last axis of :func:`kl_gaussian`.
    Against N(0, I) it is the VAE's term ½ Σ (σ² + μ² − 1 − log σ²)."""
    terms = kl_gaussian(mu1, sigma1, mu2, sigma2)
    return result(as_array(terms).sum(axis=-1))
