"""Toy distributions with a sampler and a density: the 1-D Gaussian of the paper's
Figure 1, 1-D mixtures, and the 2-D ring and grid mixtures of the mode-collapse
literature (geometry as fixed in the project's reference sheet)."""
import hashlib
import json
import math
from dataclasses import dataclass, field

from tinygan import backend

__all__ = ["GaussianMixture", "gaussian1d", "mixture1d", "ring", "grid", "TOY_DATASETS",
           "make_toy"]


@dataclass
class GaussianMixture:
    """Σ_c w_c N(μ_c, σ_c² I) in ``dim`` dimensions. ``means`` is (components, dim)."""
    name: str
    means: list
    stds: list
    weights: list = None
    settings: dict = field(default_factory=dict)

    def __post_init__(self):
        count = len(self.means)
        self.weights = self.weights or [1.0 / count] * count
        if not (len(self.stds) == len(self.weights) == count):
            raise ValueError("means, stds and weights must have one entry per component")
        if abs(sum(self.weights) - 1) > 1e-9 or min(self.weights) < 0:
            raise ValueError("mixture weights must be ≥ 0 and sum to 1")
        if min(self.stds) <= 0:
            raise ValueError("standard deviations must be positive")

    def provenance(self):
        """Where these data come from: ``name``, ``origin`` (the generating call),
        ``path`` (None: nothing is read) and ``sha256`` of the mixture's parameters."""
        parameters = json.dumps({"means": self.means, "stds": self.stds,
                                 "weights": self.weights}, sort_keys=True)
        arguments = ", ".join(f"{k}={v}" for k, v in sorted(self.settings.items()))
        return {"name": self.name, "origin": f"tinygan.data.{self.name}({arguments})",
                "path": None, "sha256": hashlib.sha256(parameters.encode()).hexdigest()}

    @property
    def dim(self):
        return len(self.means[0])

    @property
    def components(self):
        return len(self.means)

    def sample(self, n, dtype="float32"):
        """n samples as an (n, dim) array of the active backend, from ``backend.rng()``."""
        xp, generator = backend.xp, backend.rng()
        cumulative = xp.asarray([sum(self.weights[:i + 1]) for i in range(self.components)])
        choice = xp.searchsorted(cumulative, generator.random(n) * cumulative[-1])
        choice = xp.minimum(choice, self.components - 1)
        means = xp.asarray(self.means, dtype=dtype)[choice]
        stds = xp.asarray(self.stds, dtype=dtype)[choice][:, None]
        noise = generator.standard_normal((n, self.dim), dtype=dtype)
        return means + stds * noise

    def density(self, x):
        """p(x) at points x of shape (n, dim) (or (n,) in 1-D), on the active backend."""
        xp = backend.xp
        x = backend.asarray(x, dtype="float64")
        x = x[:, None] if x.ndim == 1 else x
        total = xp.zeros(x.shape[0])
        for mean, std, weight in zip(self.means, self.stds, self.weights):
            squared = ((x - xp.asarray(mean)) ** 2).sum(axis=1)
            total += weight * xp.exp(-0.5 * squared / std ** 2) / (
                (std * math.sqrt(2 * math.pi)) ** self.dim)
        return total


def gaussian1d(mu=4.0, sigma=0.5):
    """N(μ, σ²) in 1-D: the data of the paper's Figure 1."""
    return GaussianMixture("gaussian1d", [[mu]], [sigma], settings=dict(mu=mu, sigma=sigma))


def mixture1d(means=(-2.0, 2.0), stds=(0.5, 0.5), weights=None):
    return GaussianMixture("mixture1d", [[m] for m in means], list(stds),
                           list(weights) if weights else None,
                           settings=dict(means=list(means), stds=list(stds)))


def ring(modes=8, radius=2.0, std=0.02):
    """``modes`` equal-weight Gaussians with means at radius r on angles 2πi/modes."""
    means = [[radius * math.cos(2 * math.pi * i / modes), radius * math.sin(2 * math.pi * i / modes)]
             for i in range(modes)]
    return GaussianMixture("ring", means, [std] * modes,
                           settings=dict(modes=modes, radius=radius, std=std))


def grid(size=5, spacing=2.0, std=0.05):
    """size × size equal-weight Gaussians with means at {−2, …, 2}·spacing (for size 5)."""
    offsets = [(i - (size - 1) / 2) * spacing for i in range(size)]
    means = [[x, y] for x in offsets for y in offsets]
    return GaussianMixture("grid", means, [std] * len(means),
                           settings=dict(size=size, spacing=spacing, std=std))


TOY_DATASETS = {"gaussian1d": gaussian1d, "mixture1d": mixture1d, "ring": ring, "grid": grid}


def make_toy(name, **settings):
    if name not in TOY_DATASETS:
        raise ValueError(f"unknown toy data set {name!r}; choose from {sorted(TOY_DATASETS)}")
    return TOY_DATASETS[name](**settings)
