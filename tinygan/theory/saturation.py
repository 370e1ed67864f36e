"""Why the generator's minimax loss saturates, measured with the engine's autograd.

With D(G(z)) = σ(l) for D's logit l:
    minimax         L = log(1 − σ(l)):   ∂L/∂l = −σ(l)       → 0   as D(G(z)) → 0
    non-saturating  L = −log σ(l):       ∂L/∂l = σ(l) − 1    → −1  as D(G(z)) → 0
Early in training D rejects G's samples (D(G(z)) ≈ 0), so the minimax gradient vanishes
exactly when G needs it most.
"""
from tinygan import backend
from tinygan.nn.losses import GENERATOR_LOSSES
from tinygan.tensor import Tensor
from tinygan.theory._arrays import as_array

__all__ = ["generator_gradient"]


def generator_gradient(d_fake, kind="non_saturating"):
    """|∂L/∂l| per sample, for D(G(z)) values ``d_fake`` in (0, 1), computed by backward()
    through ``tinygan.nn.functional.generator_loss`` (not by the closed form)."""
    xp = backend.xp
    d = as_array(d_fake, "d_fake")
    if bool(((d <= 0) | (d >= 1)).any()):
        raise ValueError("D(G(z)) values must lie strictly between 0 and 1")
    if kind not in GENERATOR_LOSSES:
        raise ValueError(f"kind must be one of {sorted(GENERATOR_LOSSES)}, got {kind!r}")
    logits = Tensor(xp.log(d) - xp.log1p(-d), requires_grad=True)
    (GENERATOR_LOSSES[kind](logits) * d.size).backward()   # undo the mean: per-sample slopes
    return xp.abs(logits.grad.data)
