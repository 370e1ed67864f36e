"""Generators and discriminators: the 2014 paper's MNIST pair and small MLPs for toy data.

A ``Generator`` maps noise z ~ p_z to samples G(z); a ``Discriminator`` maps samples to
one logit l per sample, D(x) = σ(l) (the sigmoid is applied inside the losses, which is
numerically stable).
"""

import math
from numbers import Real

from tinygan import backend, nn
from tinygan.backend import host
from tinygan.tensor import Tensor

__all__ = ["Generator", "Discriminator", "mlp_generator", "mlp_discriminator",
           "paper_mnist_generator", "paper_mnist_discriminator", "output_bias_from_means", "NOISE",
           "noise_scale_problem"]

NOISE = ("uniform", "gaussian", "mixture")

ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": lambda: nn.LeakyReLU(0.2), "tanh": nn.Tanh}


def noise_scale_problem(scale):
    """Why ``scale`` cannot scale G's noise at sampling (a sentence), or None when it can."""
    if isinstance(scale, bool) or not isinstance(scale, Real) or not (math.isfinite(scale) and scale > 0):
        return f"the noise scale must be a finite number > 0, got {scale!r}"
    return None


class Generator(nn.Module):
    """G: z → x. ``noise`` is "uniform" (U(−r, r)^d with r = ``noise_range``: 1 is the
    common reading of the 2014 paper, √3 its released code's), "gaussian" (N(0, I)) or
    "mixture" (a Gaussian mixture, GM-GAN: see ``use_mixture_prior``, which must be called
    before such a G samples)."""

    def __init__(self, net, noise_dim, noise="gaussian", noise_range=1.0):
        super().__init__()
        if noise not in NOISE:
            raise ValueError(f"noise must be one of {NOISE}, got {noise!r}")
        self.net, self.noise_dim, self.noise = net, noise_dim, noise
        self.noise_range = float(noise_range)
        self.noise_sigma = None

    def use_mixture_prior(self, components, sigma, seed, spread=1.0):
        """p_z = (1/K) Σₖ N(μₖ, σ²I) with K = ``components`` fixed means μₖ ~ U(−r, r)^d
        (r = ``spread``, the run's ``noise_range``), drawn on the host from ``seed``: the
        same prior on every backend, rebuilt from the run's seed rather than saved (and
        never averaged by the EMA). The run's configuration checks K and σ. GM-GAN
        (Ben-Yosef & Weinshall 2018): G maps each component where it likes, so the prior's
        gaps can become the gaps between digits. From N(0, I), which is connected, a
        continuous G must put some samples between the modes it covers."""
        means = host.random.default_rng(seed).uniform(-1, 1, (components, self.noise_dim))
        self.noise_means = backend.asarray((means * spread).astype("float32"))
        self.noise, self.noise_sigma = "mixture", float(sigma)
        return self

    def sample_noise(self, m, dtype="float32", *, noise_scale=1.0):
        """m noise vectors z ~ p_z from the backend's seeded generator. ``noise_scale`` = s
        spreads them about their centre, z = c + s·(z₀ − c): U(−s·r, s·r), N(0, s²I), or
        the mixture's components N(μₖ, (s·σ)²I) with the same means. s < 1 trades variety
        for typical samples (truncation, BigGAN's ψ; GM-GAN's narrowed σ), s > 1 the
        reverse; G was trained at s = 1, so other values are a sampling choice to measure."""
        problem = noise_scale_problem(noise_scale)
        if problem:
            raise ValueError(problem)
        scale = float(noise_scale)             # a NumPy scalar would promote float32 z
        generator = backend.rng()
        if self.noise == "uniform":
            z = generator.random((m, self.noise_dim), dtype=dtype) * 2 - 1
            spread = self.noise_range * scale
            return Tensor(z * spread if spread != 1 else z)
        if self.noise == "mixture":
            if self.noise_sigma is None:
                raise ValueError("a generator with noise='mixture' needs use_mixture_prior("
                                 "components, sigma) before it samples")
            component = generator.integers(0, len(self.noise_means), size=m)
            z = generator.standard_normal((m, self.noise_dim), dtype=dtype)
            z *= self.noise_sigma * scale
            z += self.noise_means[component].astype(dtype, copy=False)
            return Tensor(z)
        z = generator.standard_normal((m, self.noise_dim), dtype=dtype)
        return Tensor(z * scale if scale != 1 else z)

    def forward(self, z):
        return self.net(z)

    def sample(self, m, *, noise_scale=1.0):
        """G(z) for m fresh noise vectors (``noise_scale``: see ``sample_noise``)."""
        return self(self.sample_noise(m, noise_scale=noise_scale))

    def extra_repr(self):
        extra = f", noise_range={self.noise_range:g}" if self.noise_range != 1 else ""
        if self.noise_sigma is not None:
            extra += f", components={len(self.noise_means)}, sigma={self.noise_sigma:g}"
        return f"noise_dim={self.noise_dim}, noise={self.noise!r}{extra}"


class Discriminator(nn.Module):
    """D: x → logit, shape (m, 1).

    With ``pack`` = p > 1 (PacGAN, Lin et al. 2018, a named stabiliser against mode
    collapse) D judges p samples at once: rows are grouped in consecutive packs of p and
    concatenated, so m samples give m/p logits. A generator that covers few modes makes
    packs that are visibly less diverse than real ones, which D then penalises.
    """

    def __init__(self, net, pack=1):
        super().__init__()
        self.net, self.pack = net, pack

    def forward(self, x):
        if self.pack > 1:
            if x.shape[0] % self.pack:
                raise ValueError(f"PacGAN with pack {self.pack} needs a batch divisible by "
                                 f"{self.pack}, got {x.shape[0]} samples")
            x = x.reshape(x.shape[0] // self.pack, x.shape[1] * self.pack)
        return self.net(x)

    def extra_repr(self):
        return f"pack={self.pack}" if self.pack > 1 else ""


def _mlp(sizes, activation, init):
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, init=init))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return layers


def mlp_generator(noise_dim, data_dim, hidden=128, depth=2, activation="relu",
                  noise="gaussian", output=None):
    """An MLP generator: ``depth`` hidden layers of ``hidden`` units, a linear output (or
    ``output="sigmoid"`` for data in [0, 1])."""
    layers = _mlp([noise_dim] + [hidden] * depth + [data_dim], activation, "fan_in")
    if output == "sigmoid":
        layers.append(nn.Sigmoid())
    return Generator(nn.Sequential(*layers), noise_dim, noise)


def mlp_discriminator(data_dim, hidden=128, depth=2, activation="leaky_relu", pack=1):
    """An MLP discriminator with one logit output (per pack of ``pack`` samples)."""
    layers = _mlp([data_dim * pack] + [hidden] * depth + [1], activation, "fan_in")
    return Discriminator(nn.Sequential(*layers), pack)


def output_bias_from_means(layer, pixel_means, marginal_clip=1e-3):
    """Set a sigmoid output layer's bias to log(p/(1 − p)) of each pixel's mean p over the
    training data (clipped to p ∈ [c, 1 − c], c = ``marginal_clip``): G starts at the
    average digit."""
    xp = backend.xp
    p = xp.clip(backend.asarray(pixel_means, dtype="float64"), marginal_clip, 1 - marginal_clip)
    layer.bias.data[...] = xp.log(p / (1 - p))


def paper_mnist_generator(noise_dim=100, hidden=1200, pixel_means=None, noise="uniform",
                          weight_range=0.05, noise_range=1.0, marginal_clip=1e-3):
    """The 2014 MNIST generator: z(100) → 1200 ReLU → 1200 ReLU → 784 sigmoid, weights
    U(±0.05), and the output bias set to log(p/(1 − p)) of each pixel's mean p over the
    training data (``output_bias_from_means``, p clipped to [c, 1 − c], c = ``marginal_clip``;
    pylearn2's init_sigmoid_bias_from_marginals clips at 1e-7), so G starts at the average digit."""
    output = nn.Linear(hidden, 784, init=weight_range)
    if pixel_means is not None:
        output_bias_from_means(output, pixel_means, marginal_clip)
    net = nn.Sequential(nn.Linear(noise_dim, hidden, init=weight_range), nn.ReLU(),
                        nn.Linear(hidden, hidden, init=weight_range), nn.ReLU(),
                        output, nn.Sigmoid())
    return Generator(net, noise_dim, noise, noise_range)


def paper_mnist_discriminator(units=240, pieces=5, weight_range=0.005, input_keep=0.8,
                              hidden_keep=0.5, pack=1):
    """The 2014 MNIST discriminator: 784 → maxout(240 × 5) → maxout(240 × 5) → 1 logit,
    weights U(±0.005), dropout keeping inputs of the first layer with probability 0.8 and
    of later layers with probability 0.5 (training only). ``pack`` > 1 (PacGAN, not in the
    paper) makes it judge packs of that many images."""
    net = nn.Sequential(nn.Dropout(1 - input_keep),
                        nn.Maxout(784 * pack, units, pieces, init=weight_range),
                        nn.Dropout(1 - hidden_keep), nn.Maxout(units, units, pieces, init=weight_range),
                        nn.Dropout(1 - hidden_keep), nn.Linear(units, 1, init=weight_range))
    return Discriminator(net, pack)
