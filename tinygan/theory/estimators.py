"""JSD from samples, because in practice a GAN gives only samples.

- ``histogram_jsd``: bin both sample sets on shared bins and take the plug-in JSD of the
  histograms (biased for few samples per bin; fine in 1-D and 2-D).
- ``discriminator_jsd``: train a discriminator D̂ to separate the two sets, then
  (V(D̂) + log 4)/2 ≤ (V(D*) + log 4)/2 = JSD: a lower bound that tightens as D̂ → D*.
  This is the GAN's own view of the divergence.
"""
from dataclasses import dataclass
import math

from tinygan import backend, nn, optim
from tinygan.nn import functional as F
from tinygan.ops import log_sigmoid
from tinygan.tensor import Tensor, no_grad
from tinygan.theory._arrays import as_array
from tinygan.theory.divergences import jsd

__all__ = ["histogram_jsd", "fit_discriminator", "discriminator_jsd", "JSDEstimate"]


def _samples(values, name):
    array = as_array(values, name)
    return array[:, None] if array.ndim == 1 else array


def histogram_jsd(samples_p, samples_q, bins=50, bounds=None, base=None):
    """Plug-in JSD of the two samples' histograms on shared bins (``bins`` per axis over
    ``bounds``: (low, high) in 1-D, a list of them per axis otherwise; default: the
    samples' joint extent)."""
    xp = backend.xp
    p, q = _samples(samples_p, "samples_p"), _samples(samples_q, "samples_q")
    if p.shape[1] != q.shape[1]:
        raise ValueError(f"samples have different dimensions: {p.shape[1]} and {q.shape[1]}")
    both = xp.concatenate([p, q])
    if bounds is None:
        low, high = both.min(axis=0), both.max(axis=0)
    else:
        per_axis = bounds if p.shape[1] > 1 else [bounds]
        low, high = as_array([b[0] for b in per_axis]), as_array([b[1] for b in per_axis])
    width = xp.where(high > low, (high - low) / bins, 1.0)

    def histogram(samples):
        cells = xp.clip(xp.floor((samples - low) / width), 0, bins - 1).astype("int64")
        flat = xp.zeros(samples.shape[0], dtype="int64")
        for axis in range(samples.shape[1]):
            flat = flat * bins + cells[:, axis]
        counts = xp.bincount(flat, minlength=bins ** samples.shape[1]).astype("float64")
        return counts / counts.sum()
    return jsd(histogram(p), histogram(q), base=base)


def fit_discriminator(samples_p, samples_q, hidden=64, depth=2, steps=2000, batch_size=256,
                      lr=2e-3, real_target=1.0, fake_target=0.0, seed=0):
    """Train an MLP discriminator (logit output) to tell samples_p (label ``real_target``)
    from samples_q (label ``fake_target``) by minimising BCE, i.e. maximising V(D, G)."""
    p, q = _samples(samples_p, "samples_p"), _samples(samples_q, "samples_q")
    p, q = p.astype("float32"), q.astype("float32")
    backend.manual_seed((seed, 0))
    layers, width = [], p.shape[1]
    for _ in range(depth):
        layers += [nn.Linear(width, hidden, init="he"), nn.LeakyReLU(0.2)]
        width = hidden
    discriminator = nn.Sequential(*layers, nn.Linear(width, 1))
    optimizer = optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    decay = optim.ExponentialDecay(optimizer, initial=lr, factor=(100.0) ** (1 / steps))
    for step in range(steps):
        backend.manual_seed((seed, step + 1))
        generator = backend.rng()
        real = Tensor(p[generator.integers(0, p.shape[0], size=batch_size)])
        fake = Tensor(q[generator.integers(0, q.shape[0], size=batch_size)])
        optimizer.zero_grad()
        F.discriminator_loss(discriminator(real), discriminator(fake),
                             real_target, fake_target).backward()
        optimizer.step()
        decay.step()
    return discriminator.eval()


@dataclass
class JSDEstimate:
    """``estimate`` = (V(D̂) + log 4)/2 in nats, its ``standard_error`` from the evaluation
    samples, the ``value`` V(D̂), and the trained ``discriminator`` (logits; apply
    ``tinygan.sigmoid`` for D̂(x))."""
    estimate: float
    standard_error: float
    value: float
    discriminator: object


def discriminator_jsd(samples_p, samples_q, holdout=0.5, **fit_options):
    """Lower-bound JSD(p ‖ q) by training a discriminator on part of the samples and
    evaluating V(D̂) = mean log D̂(x_p) + mean log(1 − D̂(x_q)) on the held-out rest."""
    p, q = _samples(samples_p, "samples_p"), _samples(samples_q, "samples_q")
    n_p, n_q = int(p.shape[0] * (1 - holdout)), int(q.shape[0] * (1 - holdout))
    discriminator = fit_discriminator(p[:n_p], q[:n_q], **fit_options)
    with no_grad():
        log_d_real = log_sigmoid(discriminator(Tensor(p[n_p:].astype("float32")))).data
        log_one_minus_d_fake = log_sigmoid(-discriminator(Tensor(q[n_q:].astype("float32")))).data
    value = float(log_d_real.mean()) + float(log_one_minus_d_fake.mean())
    variance = float(log_d_real.var()) / log_d_real.size + \
        float(log_one_minus_d_fake.var()) / log_one_minus_d_fake.size
    return JSDEstimate((value + math.log(4.0)) / 2, math.sqrt(variance) / 2, value, discriminator)
