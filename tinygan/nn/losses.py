"""Losses, computed from logits where a sigmoid would otherwise saturate.

With D(x) = σ(l) for a logit l, the identities used throughout are
    −log σ(l) = softplus(−l),        −log(1 − σ(l)) = softplus(l),
and softplus(l) = max(l, 0) + log(1 + e^(−|l|)) is exact for every finite l.
"""
from tinygan import backend
from tinygan.ops import clip, log, softplus
from tinygan.ops.layers import bce_with_logits
from tinygan.ops.reductions import mean, sum as reduce_sum
from tinygan.tensor import Tensor, as_tensor

__all__ = ["binary_cross_entropy_with_logits", "binary_cross_entropy",
           "discriminator_loss", "generator_loss", "GENERATOR_LOSSES"]


def _reduce(per_sample, reduction):
    if reduction == "mean":
        return mean(per_sample)
    if reduction == "sum":
        return reduce_sum(per_sample)
    if reduction == "none":
        return per_sample
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _targets_like(targets, predictions, loss):
    """Targets as a number or an array of the predictions' dtype and shape. A shape that
    differs is refused: broadcasting (3, 1) against (3,) would silently average a 3 × 3
    table of pairs."""
    if isinstance(targets, Tensor):
        targets = targets.data
    if isinstance(targets, (int, float)) and not isinstance(targets, bool):
        return float(targets)
    targets = backend.asarray(targets, dtype=predictions.dtype)
    if targets.shape != predictions.shape:
        raise ValueError(f"{loss}: targets of shape {tuple(targets.shape)} do not match "
                         f"predictions of shape {predictions.shape}; reshape one of them "
                         f"(e.g. targets.reshape({predictions.shape}))")
    return targets


def binary_cross_entropy_with_logits(logits, targets, reduction="mean"):
    """ℓ(l, y) = −[y log σ(l) + (1 − y) log(1 − σ(l))] = softplus(l) − y·l, one fused op
    (``tinygan.ops.layers.bce_with_logits``);  ∂ℓ/∂l = σ(l) − y. Finite and exact at
    l = ±1e4. ``targets`` is a number or has the logits' shape."""
    logits = as_tensor(logits)
    y = _targets_like(targets, logits, "binary_cross_entropy_with_logits")
    return _reduce(bce_with_logits(logits, targets=y), reduction)


def binary_cross_entropy(probabilities, targets, reduction="mean", eps=1e-7):
    """ℓ(p, y) = −[y log p + (1 − y) log(1 − p)] on probabilities. p is clamped to
    [eps, 1 − eps] first (so log 0 = −inf cannot occur; the gradient is 0 where the clamp
    is active). Prefer :func:`binary_cross_entropy_with_logits`."""
    p = clip(as_tensor(probabilities), eps, 1 - eps)
    y = _targets_like(targets, p, "binary_cross_entropy")
    y = y if isinstance(y, float) else Tensor(y)
    return _reduce(-(log(p) * y + log(1 - p) * (1 - y)), reduction)


def discriminator_loss(real_logits, fake_logits, real_target=1.0, fake_target=0.0):
    """The discriminator's side of the minimax game, as a loss to minimise:
        −E_x[log D(x)] − E_z[log(1 − D(G(z)))]  =  −V(D, G)
    computed as BCE-with-logits against targets. One-sided label smoothing
    (Salimans et al. 2016) sets ``real_target = 1 − α``; ``fake_target = β > 0`` is the
    two-sided form (which rewards G for staying where p_data is small)."""
    return (binary_cross_entropy_with_logits(real_logits, real_target)
            + binary_cross_entropy_with_logits(fake_logits, fake_target))


def _minimax_generator_loss(fake_logits):
    """E_z[log(1 − D(G(z)))] = −E[softplus(l)]: the paper's G objective, minimised.
    Its gradient −σ(l) vanishes when D rejects the fakes (l → −∞)."""
    return -mean(softplus(as_tensor(fake_logits)))


def _non_saturating_generator_loss(fake_logits):
    """−E_z[log D(G(z))] = E[softplus(−l)]: same fixed point, gradient σ(l) − 1 → −1
    when D rejects the fakes, so G learns early."""
    return mean(softplus(-as_tensor(fake_logits)))


GENERATOR_LOSSES = {"minimax": _minimax_generator_loss,
                    "non_saturating": _non_saturating_generator_loss}


def generator_loss(fake_logits, kind="non_saturating"):
    """The generator's loss from D's logits on generated samples: ``"minimax"``
    (minimise E[log(1 − D(G(z)))]) or ``"non_saturating"`` (minimise −E[log D(G(z))])."""
    if kind not in GENERATOR_LOSSES:
        raise ValueError(f"generator loss must be one of {sorted(GENERATOR_LOSSES)}, got {kind!r}")
    return GENERATOR_LOSSES[kind](fake_logits)
