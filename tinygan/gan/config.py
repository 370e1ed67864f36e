"""Everything a GAN run depends on, in one record that is saved beside its results.

``GANConfig`` fields are plain values (numbers, strings) so a run is reproducible from
its ``config.json`` alone. ``PRESETS`` hold the defaults per data set; the command line
and ``gan.build`` start from a preset and override fields.
"""
from dataclasses import asdict, dataclass, fields, replace

__all__ = ["GANConfig", "PRESETS", "preset", "DATASETS"]


@dataclass(frozen=True)
class GANConfig:
    dataset: str = "ring"
    model: str = "toy"                 # "toy" (MLPs) or "mnist_2014" (the paper's pair)
    steps: int = 4000                  # generator updates (iterations of Algorithm 1)
    batch_size: int = 256              # m
    k: int = 1                         # discriminator steps per generator step
    loss: str = "non_saturating"       # generator loss: "minimax" or "non_saturating"
    label_smoothing: float = 0.0       # α: real targets 1 − α (one-sided smoothing)
    fake_label: float = 0.0            # β: fake targets (two-sided smoothing when > 0)
    seed: int = 0
    # models
    noise: str = "gaussian"
    noise_dim: int = 16
    g_hidden: int = 256
    g_depth: int = 3
    d_hidden: int = 256
    d_depth: int = 3
    # optimisation
    optimizer: str = "adam"            # "adam" or "sgd"
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    beta1: float = 0.5
    beta2: float = 0.999
    lr_decay: float = 1.0              # per-update factor: lr_t = max(lr / decayᵗ, lr_floor)
    lr_floor: float = 1e-6
    momentum: float = 0.5              # SGD: momentum at the start …
    final_momentum: float = 0.5        # … rising linearly to this …
    momentum_steps: int = 1            # … over this many updates (0: 250 epochs, the paper)
    d_max_col_norm: float = 0.0        # cap on each D unit's incoming weight norm; 0 = off
    ema: float = 0.0                   # EMA decay of G's weights for sampling; 0 = off
    pack: int = 1                      # PacGAN: D judges packs of this many samples; 1 = off
    # bookkeeping
    log_every: int = 50
    checkpoint_every: int = 1000
    eval_samples: int = 2500

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown configuration fields {sorted(unknown)}")
        return cls(**values)

    def with_(self, **changes):
        """A copy with some fields changed; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def validate(self):
        problems = []
        if self.steps < 0:
            problems.append(f"steps must be ≥ 0, got {self.steps}")
        if self.batch_size < 1:
            problems.append(f"batch size must be ≥ 1, got {self.batch_size}")
        if self.k < 1:
            problems.append(f"k (discriminator steps per generator step) must be ≥ 1, got {self.k}")
        if self.loss not in ("minimax", "non_saturating"):
            problems.append(f"loss must be 'minimax' or 'non_saturating', got {self.loss!r}")
        if not 0 <= self.label_smoothing < 0.5:
            problems.append(f"label smoothing α must be in [0, 0.5), got {self.label_smoothing}")
        if not 0 <= self.fake_label < 0.5:
            problems.append(f"fake label β must be in [0, 0.5), got {self.fake_label}")
        if self.optimizer not in ("adam", "sgd"):
            problems.append(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if self.dataset not in DATASETS:
            problems.append(f"unknown dataset {self.dataset!r}; choose from {', '.join(DATASETS)}")
        if not 0 <= self.ema < 1:
            problems.append(f"ema decay must be in [0, 1), got {self.ema}")
        if self.pack < 1 or self.batch_size % self.pack:
            problems.append(f"pack must be ≥ 1 and divide the batch size {self.batch_size}, "
                            f"got {self.pack}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


DATASETS = ("ring", "grid", "gaussian1d", "mixture1d", "mnist")

# The defaults per data set: what works best, measured (see README and the issue notes).
PRESETS = {
    # Toy mixtures: z = 2, three hidden layers of 128 in G and D (depth gives G the sharp
    # transitions between modes), batch 512, Adam 1e-3 decayed 100× over the run, and an
    # EMA of G's weights (decay 0.99) for sampling. Measured in the README.
    "ring": GANConfig(dataset="ring", steps=6000, batch_size=512, noise_dim=2, g_hidden=128,
                      g_depth=3, d_hidden=128, d_depth=3, lr_decay=1.000768, ema=0.99),
    # The 5×5 grid needs wider networks (256) and twice the steps.
    "grid": GANConfig(dataset="grid", steps=8000, batch_size=512, noise_dim=2, g_hidden=256,
                      g_depth=3, d_hidden=256, d_depth=3, lr_decay=1.000576, ema=0.99),
    # 1-D: a weak D lets G shrink to a too-narrow peak; k = 3 steps of a 128×3 D keep it honest.
    "gaussian1d": GANConfig(dataset="gaussian1d", steps=1500, noise="uniform", noise_dim=1,
                            g_hidden=32, g_depth=2, d_hidden=128, d_depth=3, k=3,
                            batch_size=256, lr_g=1e-3, lr_d=1e-3, lr_decay=1.0015, ema=0.99),
    "mixture1d": GANConfig(dataset="mixture1d", steps=3000, noise_dim=4, g_hidden=64,
                           d_hidden=64, g_depth=2, d_depth=2, ema=0.99),
    # The 2014 paper's released MNIST configuration (mnist.yaml): SGD, m = 100, lr 0.1
    # decayed by 1.000004 per update to 1e-6, momentum 0.5 → 0.7 over 250 epochs, k = 1;
    # plus PacGAN with packs of 2 (the paper's exact setup is pack=1): on the 5k sample the
    # plain discriminator lets G crowd onto a few digits (6 of 10 classes at ≥ 5%), packs of
    # two keep 9 of 10 (README, "Results").
    "mnist": GANConfig(dataset="mnist", model="mnist_2014", steps=5000, batch_size=100, pack=2,
                       noise="uniform", noise_dim=100, optimizer="sgd", lr_g=0.1, lr_d=0.1,
                       lr_decay=1.000004, lr_floor=1e-6, momentum=0.5, final_momentum=0.7,
                       momentum_steps=0, log_every=100, checkpoint_every=1000,
                       eval_samples=10000),
}


def preset(dataset):
    if dataset not in PRESETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}")
    return PRESETS[dataset]
