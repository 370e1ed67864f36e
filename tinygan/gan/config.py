"""Everything a GAN run depends on, in one record that is saved beside its results.

``GANConfig`` fields are plain values (numbers, strings) so a run is reproducible from
its ``config.json`` alone. ``PRESETS`` hold the defaults per data set; the command line
and ``gan.build`` start from a preset and override fields.
"""
import math
from dataclasses import asdict, dataclass, fields, replace

from tinygan.data import MNIST_DATASETS
from tinygan.gan.models import NOISE
from tinygan.gan.objectives import LOSSES, PENALTIES

BINARY_LOSSES = ("minimax", "non_saturating")     # D's outputs are logits against targets
OPTIMIZERS = ("sgd", "adam", "rmsprop")
UPDATES = ("alternating", "simultaneous")
D_BATCH_NORMS = ("none", "reference", "virtual")   # D's normalisation (Salimans et al. 2016)
__all__ = ["GANConfig", "ConfigError", "PRESETS", "MODEL_PRESETS", "preset", "DATASETS", "MODELS",
           "MAX_SEED", "PAPER_EXACTLY", "UPDATES", "D_BATCH_NORMS"]

MAX_SEED = 2 ** 63 - 1


class ConfigError(ValueError):
    """A configuration that cannot be trained; the message names every problem."""


def seed_problem(seed):
    """Why ``seed`` cannot seed a run (a sentence), or None when it can."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        return f"seed must be an integer in [0, 2**63 − 1], got {seed!r}"
    return None


@dataclass(frozen=True)
class GANConfig:
    dataset: str = "ring"
    model: str = "mlp"                 # one of MODELS: "mlp" (MLPs), "mnist_2014", "dcgan", "cgan"
    steps: int = 4000                  # generator updates (iterations of Algorithm 1)
    batch_size: int = 256              # m
    k: int = 1                         # discriminator steps per generator step
    loss: str = "non_saturating"       # the loss pair for D and G: one of objectives.LOSSES
    penalty: str = "none"              # "none", "gp" (WGAN-GP) or "r1" (Mescheder et al.)
    penalty_weight: float = 10.0       # λ of gp, γ of r1
    weight_clip: float = 0.0           # WGAN: clip D's weights to [−c, c] after each step; 0 = off
    label_smoothing: float = 0.0       # α: real targets 1 − α (one-sided smoothing)
    fake_label: float = 0.0            # β: fake targets (two-sided smoothing when > 0)
    update: str = "alternating"        # one of UPDATES: "alternating" (Algorithm 1: k D steps,
    #   then a G step on fresh noise) or "simultaneous" (the 2014 code's AdversaryCost2: D's
    #   and G's gradients from one minibatch and one dropout pass of D, both applied at once)
    d_loss_scale: float = 1.0          # D's loss × this; the 2014 code's D objective is
    #   ½[cost(x) + cost(G(z))] (adversarial/__init__.py, AdversaryCost2): 0.5
    seed: int = 0
    # models
    noise: str = "gaussian"
    noise_range: float = 1.0           # uniform noise on [−r, r]^d; the 2014 code draws
    #   U(−√3, √3) (Generator.get_noise: unit variance), r = √3; a mixture's means on [−r, r]^d
    noise_components: int = 10         # noise="mixture": K Gaussians (GM-GAN), of std
    noise_sigma: float = 0.7           #   noise_sigma each (K = 10, σ = 0.7: README)
    marginal_clip: float = 1e-3        # MNIST G's output bias log(p/(1−p)), p clipped to
    #   [c, 1 − c]; pylearn2's init_sigmoid_bias_from_marginals (mnist.yaml's init_bias): 1e-7
    noise_dim: int = 16
    g_hidden: int = 256                # MLPs: hidden units; the DCGAN: G's channels at 14×14
    g_depth: int = 3
    d_hidden: int = 256                # MLPs: hidden units; the DCGAN: D's channels at 14×14
    d_depth: int = 3
    dcgan_fc: int = 0                  # the DCGAN: a fully connected hidden layer of this many
    #   units after G's z and before D's logit (InfoGAN's MNIST networks: 1024); 0 = none
    spectral_norm: bool = False        # the DCGAN: D's weights divided by their largest singular
    #   value in place of its batch norm (SN-GAN, Miyato et al. 2018)
    # optimisation
    optimizer: str = "adam"            # "adam" or "sgd"
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    beta1: float = 0.5
    beta2: float = 0.999
    lr_decay: float = 1.0              # per-update factor: lr_t = max(lr / decayᵗ, lr_floor),
                                       #   the floor never above lr itself
    lr_floor: float = 1e-6
    momentum: float = 0.5              # SGD: momentum at the start …
    final_momentum: float = 0.5        # … rising linearly to this …
    momentum_steps: int = 1            # … over this many updates (0: 250 epochs, the paper)
    d_max_col_norm: float = 0.0        # cap on each D unit's incoming weight norm; 0 = off
    ema: float = 0.0                   # EMA decay of G's weights for sampling; 0 = off
    pack: int = 1                      # PacGAN: D judges packs of this many samples; 1 = off
    # the training tricks of Salimans et al. (2016), "Improved techniques for training GANs"
    feature_matching: bool = False     # G matches the mean of D's last hidden features
    minibatch_kernels: int = 0         # minibatch discrimination: B kernels before D's output; 0 = off
    minibatch_kernel_dim: int = 5      # … of C dimensions each
    d_batch_norm: str = "none"         # "reference" or "virtual" batch norm after D's hidden layers
    reference_batch: int = 64          # real samples in that fixed reference batch
    # bookkeeping
    log_every: int = 50
    checkpoint_every: int = 1000
    eval_samples: int = 2500

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        """A configuration from a dict (a ``config.json`` or a checkpoint); refuses
        unknown fields and values of the wrong type, naming them."""
        if not isinstance(values, dict):
            raise ConfigError(f"a configuration is a JSON object of fields, got "
                              f"{type(values).__name__}")
        if values.get("model") == "toy":      # the MLP family's former name (old runs)
            values = {**values, "model": "mlp"}
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"unknown configuration fields {sorted(unknown)}")
        return cls(**values).check_types()

    def with_(self, **changes):
        """A copy with some fields changed; ``None`` values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def differences(self, other, ignore=()):
        """The fields (names) whose values differ from ``other``'s, except ``ignore``."""
        return [f.name for f in fields(self) if f.name not in ignore
                and getattr(self, f.name) != getattr(other, f.name)]

    def check_types(self):
        """Each field holds its declared type (an int is a float too; a bool is only a bool)."""
        kinds = {int: ((int,), "an integer"), float: ((int, float), "a number"),
                 str: ((str,), "a string"), bool: ((bool,), "true or false")}
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            accepted, described = kinds[f.type]
            if isinstance(value, bool) != (f.type is bool) or not isinstance(value, accepted):
                problems.append(f"{f.name} must be {described}, got {value!r}")
        if problems:
            raise ConfigError("; ".join(problems))
        return self

    def ignored(self, fields):
        """One sentence naming each of ``fields`` (settings given on purpose, e.g. typed
        options) that this configuration would ignore, with what it belongs to; None when
        every one acts. ``ONLY_WITH`` states which setting acts with which."""
        ignored = [f"--{field.replace('_', '-')} is {what}"
                   for field, (acts, what) in ONLY_WITH.items()
                   if field in fields and not acts(self)]
        them = "them" if len(ignored) > 1 else "it"
        return (f"{'; '.join(ignored)}: this run would ignore {them}; leave {them} out"
                if ignored else None)

    def validate(self):
        """Refuse values no run can use, naming every problem; returns ``self``."""
        self.check_types()
        problems = []

        def need(condition, message):
            if not condition:
                problems.append(message)
        need(self.steps >= 0, f"steps must be ≥ 0, got {self.steps}")
        need(self.batch_size >= 1, f"batch size must be ≥ 1, got {self.batch_size}")
        need(self.k >= 1, f"k (discriminator steps per generator step) must be ≥ 1, got {self.k}")
        need(self.loss in LOSSES, f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        need(self.penalty in PENALTIES,
             f"penalty must be one of {', '.join(PENALTIES)}, got {self.penalty!r}")
        need(math.isfinite(self.penalty_weight) and self.penalty_weight > 0,
             f"penalty weight must be a finite number > 0, got {self.penalty_weight}")
        need(math.isfinite(self.weight_clip) and self.weight_clip >= 0,
             f"weight clip must be a finite number ≥ 0 (0 = off), got {self.weight_clip}")
        need(self.loss in BINARY_LOSSES or (self.label_smoothing == 0 and self.fake_label == 0),
             f"label smoothing needs a loss with targets ({', '.join(BINARY_LOSSES)}), "
             f"not {self.loss}")
        need(0 <= self.label_smoothing < 0.5,
             f"label smoothing α must be in [0, 0.5), got {self.label_smoothing}")
        need(0 <= self.fake_label < 0.5, f"fake label β must be in [0, 0.5), got {self.fake_label}")
        need(not seed_problem(self.seed), seed_problem(self.seed))
        need(self.update in UPDATES,
             f"update must be one of {', '.join(UPDATES)}, got {self.update!r}")
        need(self.update == "alternating" or self.k == 1,
             f"the simultaneous update takes one D step per G step (k = 1), got k = {self.k}")
        need(math.isfinite(self.d_loss_scale) and self.d_loss_scale > 0,
             f"d_loss_scale must be a finite number > 0, got {self.d_loss_scale}")
        need(math.isfinite(self.noise_range) and self.noise_range > 0,
             f"noise_range must be a finite number > 0, got {self.noise_range}")
        need(math.isfinite(self.noise_sigma) and self.noise_sigma > 0,
             f"noise_sigma must be a finite number > 0, got {self.noise_sigma}")
        need(0 < self.marginal_clip < 0.5,
             f"marginal_clip must be in (0, 0.5), got {self.marginal_clip}")
        need(self.noise in NOISE, f"noise must be one of {', '.join(NOISE)}, got {self.noise!r}")
        need(self.model in MODELS, f"model must be one of {', '.join(MODELS)}, got {self.model!r}")
        need(self.model == "mlp" or self.dataset in MNIST_DATASETS,
             f"the {self.model} model is for MNIST (--dataset mnist or mnist-5k)")
        need(self.model not in ("dcgan", "cgan") or self.pack == 1,
             f"the {self.model} model takes no --pack")
        for name in ("noise_dim", "noise_components", "g_hidden", "g_depth", "d_hidden",
                     "d_depth", "log_every", "checkpoint_every", "eval_samples"):
            need(getattr(self, name) >= 1, f"{name} must be ≥ 1, got {getattr(self, name)}")
        need(self.momentum_steps >= 0, f"momentum_steps must be ≥ 0, got {self.momentum_steps}")
        need(self.optimizer in OPTIMIZERS,
             f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        for name in ("lr_g", "lr_d"):
            value = getattr(self, name)
            need(math.isfinite(value) and value > 0,
                 f"learning rate {name} must be a finite number > 0, got {value}")
        need(math.isfinite(self.lr_decay) and self.lr_decay >= 1,
             f"lr_decay (divisor per update) must be a finite number ≥ 1, got {self.lr_decay}")
        need(math.isfinite(self.lr_floor) and self.lr_floor >= 0,
             f"lr_floor must be a finite number ≥ 0, got {self.lr_floor}")
        for name in ("beta1", "beta2", "momentum", "final_momentum"):
            need(0 <= getattr(self, name) < 1, f"{name} must be in [0, 1), got {getattr(self, name)}")
        need(math.isfinite(self.d_max_col_norm) and self.d_max_col_norm >= 0,
             f"d_max_col_norm must be a finite number ≥ 0, got {self.d_max_col_norm}")
        need(self.dataset in DATASETS,
             f"unknown dataset {self.dataset!r}; choose from {', '.join(DATASETS)}")
        need(0 <= self.ema < 1, f"ema decay must be in [0, 1), got {self.ema}")
        need(self.pack >= 1 and self.batch_size % self.pack == 0,
             f"pack must be ≥ 1 and divide the batch size {self.batch_size}, got {self.pack}")
        for name in ("minibatch_kernels", "dcgan_fc"):
            need(getattr(self, name) >= 0, f"{name} must be ≥ 0 (0 = off), got {getattr(self, name)}")
        for name in ("minibatch_kernel_dim", "reference_batch"):
            need(getattr(self, name) >= 1, f"{name} must be ≥ 1, got {getattr(self, name)}")
        need(self.d_batch_norm in D_BATCH_NORMS,
             f"d_batch_norm must be one of {', '.join(D_BATCH_NORMS)}, got {self.d_batch_norm!r}")
        need(self.d_batch_norm == "none" or self.reference_batch % self.pack == 0,
             f"the reference batch ({self.reference_batch}) must be divisible by pack {self.pack}")
        need(self.model == "mlp" or (self.minibatch_kernels == 0 and self.d_batch_norm == "none"),
             f"minibatch discrimination and reference/virtual batch norm are built into the MLP "
             f"discriminator (model mlp), not into {self.model}")
        need(self.model == "dcgan" or self.dcgan_fc == 0,
             f"dcgan_fc is a layer of the DCGAN (model dcgan), not of {self.model}")
        need(self.model == "dcgan" or not self.spectral_norm,
             f"spectral_norm is built into the DCGAN's discriminator (model dcgan), not into "
             f"{self.model}")
        if problems:
            raise ConfigError("; ".join(problems))
        return self


DATASETS = ("ring", "grid", "gaussian1d", "mixture1d", *MNIST_DATASETS)
MODELS = ("mlp", "mnist_2014", "dcgan", "cgan")

# settings that act only together with another: given without it, one is ignored (field:
# (acts when, what it belongs to)); GANConfig.ignored names them, and `tinygan train` refuses
# a typed option that its run would ignore rather than record it in config.json
ONLY_WITH = {
    "noise_components": (lambda c: c.noise == "mixture", "the mixture prior's (--noise mixture)"),
    "noise_sigma": (lambda c: c.noise == "mixture", "the mixture prior's (--noise mixture)"),
    "noise_range": (lambda c: c.noise != "gaussian",
                    "uniform noise's range or the mixture's means' (--noise uniform or mixture)"),
    "minibatch_kernel_dim": (lambda c: c.minibatch_kernels > 0,
                             "minibatch discrimination's (--minibatch-kernels B)"),
    "penalty_weight": (lambda c: c.penalty != "none", "a gradient penalty's (--penalty gp or r1)"),
    "beta1": (lambda c: c.optimizer == "adam", "Adam's (--optimizer adam)"),
    "beta2": (lambda c: c.optimizer == "adam", "Adam's (--optimizer adam)"),
    "g_depth": (lambda c: c.model == "mlp", "the MLP model's (the others' depths are fixed)"),
    "d_depth": (lambda c: c.model == "mlp", "the MLP model's (the others' depths are fixed)"),
    "g_hidden": (lambda c: c.model in ("mlp", "dcgan"),
                 "the MLP's or the DCGAN's (the 2014 and conditional models' widths are fixed)"),
    "d_hidden": (lambda c: c.model in ("mlp", "dcgan"),
                 "the MLP's or the DCGAN's (the 2014 and conditional models' widths are fixed)"),
    "marginal_clip": (lambda c: c.model == "mnist_2014", "the 2014 model's output bias"),
}

# The defaults per data set: what works best, measured (see README and the issue notes).
PRESETS = {
    # Toy mixtures: z = 2, three hidden layers of 128 in G and D (depth gives G the sharp
    # transitions between modes), batch 256, Adam at 2e-3 (ring) or 3e-3 (grid) decayed over
    # the run, 100× (ring) or 10× (grid) (a high rate first finds the modes, the decay then
    # sharpens them; on the grid a 100× decay froze uneven shares: 0.6–2.6% for the smallest
    # mode on five seeds, 2.6–3.2% with 10×), an EMA of G's weights (decay 0.99) for sampling,
    # and the R1 penalty (γ = 1; without it one ring mode of a seed could hold < 1% of the
    # samples, and grid seeds lost modes: 17/25, 24/25). Measured in the README
    # (benchmarks/toy_presets.py: five seeds, one and two BLAS threads).
    "ring": GANConfig(dataset="ring", steps=8000, batch_size=256, noise_dim=2, g_hidden=128,
                      g_depth=3, d_hidden=128, d_depth=3, lr_g=2e-3, lr_d=2e-3,
                      lr_decay=1.000576, ema=0.99, penalty="r1", penalty_weight=1.0),
    "grid": GANConfig(dataset="grid", steps=10000, batch_size=256, noise_dim=2, g_hidden=128,
                      g_depth=3, d_hidden=128, d_depth=3, lr_g=3e-3, lr_d=3e-3,
                      lr_decay=1.00023, ema=0.99, penalty="r1", penalty_weight=1.0),
    # 1-D: a weak D lets G shrink to a too-narrow peak; k = 3 steps of a 128×3 D keep it honest.
    "gaussian1d": GANConfig(dataset="gaussian1d", steps=1500, noise="uniform", noise_dim=1,
                            g_hidden=32, g_depth=2, d_hidden=128, d_depth=3, k=3,
                            batch_size=256, lr_g=1e-3, lr_d=1e-3, lr_decay=1.0015, ema=0.99),
    "mixture1d": GANConfig(dataset="mixture1d", steps=3000, noise_dim=4, g_hidden=64,
                           d_hidden=64, g_depth=2, d_depth=2, ema=0.99),
}
# The 2014 paper's released MNIST configuration (goodfeli/adversarial, mnist.yaml): SGD with
# batch_size 100 and learning_rate .1; ExponentialDecay decay_factor 1.000004, min_lr
# .000001 (per update); Momentum init_momentum .5 and MomentumAdjustor start 1, saturate
# 250, final_momentum .7 (epochs; here linear per update over 250 epochs, the same to
# < 0.001 at every update); k = 1 (one cost, one update per minibatch); the models' irange
# .05 (G) and .005 (D), D's input include probability .8 (scale 1.25) and .5 elsewhere
# (scale 2) live in gan.models; no max_col_norm in mnist.yaml. The other model families'
# presets (MODEL_PRESETS) start from it too.
MNIST_2014 = GANConfig(dataset="mnist", model="mnist_2014", steps=5000, batch_size=100,
                       noise="uniform", noise_dim=100, optimizer="sgd", lr_g=0.1, lr_d=0.1,
                       lr_decay=1.000004, lr_floor=1e-6, momentum=0.5, final_momentum=0.7,
                       momentum_steps=0, log_every=100, checkpoint_every=1000, eval_samples=10000)
# What `tinygan train --paper` sets over it: the authors' released code (mnist.yaml with the
# AdversaryCost2 and Generator it names) updates D and G simultaneously from one minibatch,
# halves D's objective, draws z from U(−√3, √3), clips G's output-bias marginals at 1e-7,
# and samples from the last G; no PacGAN.
PAPER_EXACTLY = {"model": "mnist_2014", "pack": 1, "update": "simultaneous", "d_loss_scale": 0.5,
                 "noise_range": math.sqrt(3), "marginal_clip": 1e-7, "ema": 0.0}
# On the 5k sample: Algorithm 1's alternating steps with U(−1, 1) noise, plus PacGAN with
# packs of 2: there the plain discriminator lets G crowd onto a few digits (6 of 10 classes
# at ≥ 5%), packs of two keep 9 of 10 (README, "Results").
PRESETS["mnist-5k"] = MNIST_2014.with_(dataset="mnist-5k", pack=2)
# Full MNIST: an MLP GAN with later improvements, each a named field: MLPs of ReLU (G) and
# LeakyReLU 0.2 (D) units, Gaussian z of 100 dimensions, Adam with β₁ = 0.5 at the DCGAN
# preset's two rates (G 1e-3, D 2e-4; with 2e-4 for G the score stalled near 8.4),
# Algorithm 1's alternating steps, the R1 penalty on D's gradient at real digits (γ = 1; 0.1
# started worse), and samples from an EMA of G's weights (decay 0.999). 75,000 iterations
# (150 epochs; 50–63 minutes on two idle threads, about 67 on one): seeds 0–2 score
# 9.08–9.10, 89.8–90.1% confident, Fréchet distance 1.04–1.09, 10/10 classes, Parzen
# 217.3–219.2; at 30,000 iterations they scored 8.73–8.78 (README). Adam on the 2014
# networks with their code's simultaneous update collapsed. The 2014 networks and training
# are `--model mnist_2014`.
PRESETS["mnist"] = GANConfig(
    dataset="mnist", model="mlp", steps=75000, batch_size=100, noise="gaussian", noise_dim=100,
    g_hidden=1024, g_depth=2, d_hidden=512, d_depth=2, optimizer="adam", lr_g=1e-3, lr_d=2e-4,
    beta1=0.5, beta2=0.999, penalty="r1", penalty_weight=1.0, ema=0.999, log_every=100,
    checkpoint_every=1000, eval_samples=10000)


# Model families other than a data set's own (--model), each applied over MNIST_2014.
MODEL_PRESETS = {
    # The 2014 networks on full MNIST: the released code's training exactly (PAPER_EXACTLY),
    # 20,000 iterations, sampled from an exponential moving average of G's weights (decay
    # 0.999; it does not change training): at 20,000 iterations its Parzen log-likelihood and
    # Fréchet distance are far better than the last G's, its classifier score the same
    # (README, Table 1). `--paper` is this without the average.
    "mnist_2014": dict(PAPER_EXACTLY, steps=20000, ema=0.999),
    # The DCGAN (Radford et al. 2015) on 28×28 digits: the paper's Adam with β₁ = 0.5,
    # Gaussian z of 100 dimensions, weights N(0, 0.02) (in the model), in InfoGAN's MNIST
    # networks and learning rates (Chen et al. 2016: 64 and 128 channels, a 1024-unit hidden
    # layer in G and in D; batch 64; 1e-3 for G and 2e-4 for D, as in its released code):
    # the all-convolutional pair of 32/64 channels stalled at a classifier score near 6.5 in
    # tinygan and in PyTorch alike, and 2e-4 for G too reached 8.64 where 1e-3 reaches 9.10
    # (README). 4,500 steps (5.8 epochs), sampled from an EMA of G's weights and batch-norm
    # statistics (decay 0.999): at the last step its Fréchet distance is below the last G's
    # on every seed measured. No PacGAN.
    "dcgan": dict(model="dcgan", noise="gaussian", optimizer="adam", lr_g=1e-3, lr_d=2e-4,
                  lr_decay=1.0, batch_size=64, g_hidden=64, d_hidden=64, dcgan_fc=1024,
                  ema=0.999, steps=4500),
    # The conditional GAN (Mirza & Osindero 2014, Section 4.1): MNIST_2014's SGD (m = 100, lr
    # 0.1, momentum 0.5 rising to 0.7 over 250 epochs, uniform z of 100 dimensions) with
    # their faster decay, 1.00004 per update down to 1e-6; no PacGAN, no EMA. Trained as the
    # 2014 released code trains (PAPER_EXACTLY's simultaneous update, halved D objective and
    # z ~ U(−√3, √3); G's output-bias marginals clipped at the default 1e-3): with Algorithm
    # 1's alternating steps and U(−1, 1) every setting tried collapsed (README). 25,000
    # steps: at 20,000 one seed's eights were read as eights 94.4% of the time; at 25,000
    # the worst digit of seeds 0 and 1 is 99.8% and 97.2%.
    "cgan": dict(PAPER_EXACTLY, model="cgan", lr_decay=1.00004, steps=25000, marginal_clip=1e-3),
}


def preset(dataset, model=None):
    """The defaults for ``dataset`` (and model family ``model``, if not the data set's own)."""
    if dataset not in PRESETS:
        raise ConfigError(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}")
    config = PRESETS[dataset]
    if model is None or model == config.model or model not in MODEL_PRESETS:
        return config          # a family without a preset of its own is a plain override
    return MNIST_2014.with_(dataset=dataset, **MODEL_PRESETS[model]).validate()
