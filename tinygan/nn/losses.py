"""Losses, computed from logits where a sigmoid would otherwise saturate.

With D(x) = σ(l) for a logit l, the identities used throughout are
    −log σ(l) = softplus(−l),        −log(1 − σ(l)) = softplus(l),
and softplus(l) = max(l, 0) + log(1 + e^(−|l|)) is exact for every finite l.
"""
from tinygan import backend
from tinygan.ops import clip, log, softplus
from tinygan.ops.activations import sigmoid_array, softplus_array
from tinygan.ops.reductions import mean, sum as reduce_sum
from tinygan.tensor import Tensor, as_tensor, make_node

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


def _targets_like(targets, logits):
    if isinstance(targets, Tensor):
        targets = targets.data
    if isinstance(targets, (int, float)):
        return float(targets)
    return backend.asarray(targets, dtype=logits.dtype)


def binary_cross_entropy_with_logits(logits, targets, reduction="mean"):
    """ℓ(l, y) = −[y log σ(l) + (1 − y) log(1 − σ(l))] = softplus(l) − y·l,
    one fused op;  ∂ℓ/∂l = σ(l) − y. Finite and exact at l = ±1e4."""
    logits = as_tensor(logits)
    y = _targets_like(targets, logits)
    per_sample = softplus_array(logits.data) - y * logits.data

    def backward(g):
        return (g * (sigmoid_array(logits.data) - y),)
    return _reduce(make_node(per_sample, (logits,), backward, "bce_with_logits"), reduction)


def binary_cross_entropy(probabilities, targets, reduction="mean", eps=1e-7):
    """ℓ(p, y) = −[y log p + (1 − y) log(1 − p)] on probabilities. p is clamped to
    [eps, 1 − eps] first (so log 0 = −inf cannot occur; the gradient is 0 where the clamp
    is active). Prefer :func:`binary_cross_entropy_with_logits`."""
    p = clip(as_tensor(probabilities), eps, 1 - eps)
    y = _targets_like(targets, p)
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
