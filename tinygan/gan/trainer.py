"""Algorithm 1 of Goodfellow et al. (2014), with what a real run needs around it.

    for each iteration t:
        for j in 1..k:                                      (discriminator steps)
            sample m noise vectors z and m data points x
            ascend  ∇_θd (1/m) Σ [log D(x) + log(1 − D(G(z)))]
        sample m noise vectors z
        descend ∇_θg (1/m) Σ log(1 − D(G(z)))               ("minimax")
            or  ∇_θg (1/m) Σ −log D(G(z))                   ("non_saturating", the default)

With ``update="simultaneous"`` (the authors' released code, AdversaryCost2 in
goodfeli/adversarial) one minibatch of m data points and m samples G(z) goes through D
once (dropout on), D's gradient is taken of its loss and G's of its own on that same pass,
and both networks are updated together from the parameters they had before the step.

The loss pair is ``config.loss`` (``gan.objectives``: also least_squares, hinge and
wasserstein, whose D is a critic), with an optional penalty on D's gradient (``gp``, ``r1``)
and weight clipping.

Every random draw comes from a stream of the run's seed named for its purpose
(``backend.stream_seed``: "init", "data", "discriminator" step t, j, "generator" step t,
"sampling"), and data batches are indexed by step, so a run resumed from a checkpoint ends with exactly the parameters of
an uninterrupted one. "Exactly" holds on the same backend with the same number of BLAS
threads: another thread count sums matrix products in another order, and GAN training
amplifies those last-bit differences over thousands of steps. Losses and parameters are
checked for NaN/inf every ``log_every`` steps, and losses, gradient norms, parameters and
optimizer state before every checkpoint, so a saved checkpoint is always finite. Ctrl-C
(SIGINT) or SIGTERM saves a checkpoint first (a second one quits at once). NumPy's
floating-point RuntimeWarnings are silenced inside ``fit``: the checks report divergence.
"""
import math
import signal
import threading
import time
import warnings

from tinygan import backend, nn, optim
from tinygan.checkpoint import load, save
from tinygan.gan import objectives
from tinygan.gan.config import BINARY_LOSSES, GANConfig
from tinygan.gan.ema import ExponentialMovingAverage
from tinygan.gan.stabilisers import MinibatchDiscrimination
from tinygan.latent import require_finite
from tinygan.nn.utils import clip_column_norms_, evaluating, grad_norm
from tinygan.ops import concatenate, sigmoid
from tinygan.tensor import grad, no_grad

__all__ = ["Trainer", "TrainingDiverged", "TrainingInterrupted", "HISTORY_FIELDS"]

HISTORY_FIELDS = ("step", "d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm",
                  "seconds")


# Fields a resumed run may change: none of them alters the training trajectory.
FREE_ON_RESUME = {"steps", "checkpoint_every", "eval_samples"}


class TrainingDiverged(RuntimeError):
    """A loss, gradient norm, parameter or optimizer state became NaN or infinite."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM during training; a checkpoint was saved first
    (``checkpoint_path``). ``signum`` says which signal."""

    def __init__(self, step, checkpoint_path, signum=signal.SIGINT):
        super().__init__(f"interrupted at step {step}")
        self.step, self.checkpoint_path, self.signum = step, checkpoint_path, signum


def _make_optimizer(config, parameters, lr):
    if config.optimizer == "adam":
        return optim.Adam(parameters, lr=lr, betas=(config.beta1, config.beta2))
    if config.optimizer == "rmsprop":
        return optim.RMSprop(parameters, lr=lr)
    return optim.SGD(parameters, lr=lr, momentum=config.momentum)


class Trainer:
    """Trains ``generator`` against ``discriminator`` on ``data`` (an object whose
    ``batch(step)`` returns a Tensor of m real samples) as ``config`` says.

    ``callbacks`` are called as ``callback(trainer)`` after every iteration; the latest
    metrics are in ``trainer.history`` (every ``log_every`` steps).
    """

    def __init__(self, generator, discriminator, data, config=None, callbacks=(),
                 checkpoint_path=None, batches_per_epoch=None):
        self.config = (config or GANConfig()).validate()
        backend.retain_freed_memory()    # the same temporaries every step: no page faults
        self.generator, self.discriminator, self.data = generator, discriminator, data
        self.callbacks = list(callbacks)
        self.checkpoint_path = checkpoint_path
        self.data_source = None          # provenance of the data, saved in checkpoints
        self.step = 0
        self.history = {name: [] for name in HISTORY_FIELDS}
        self.last_good_step = None
        self.elapsed = 0.0
        c = self.config
        self.d_optimizer = _make_optimizer(c, discriminator.parameters(), c.lr_d)
        self.g_optimizer = _make_optimizer(c, generator.parameters(), c.lr_g)
        self.schedules = {}
        if c.lr_decay != 1.0:
            for name, optimizer, lr in (("d_lr", self.d_optimizer, c.lr_d),
                                        ("g_lr", self.g_optimizer, c.lr_g)):
                self.schedules[name] = optim.ExponentialDecay(optimizer, lr, c.lr_decay, c.lr_floor)
        if c.optimizer == "sgd" and c.final_momentum != c.momentum:
            ramp = c.momentum_steps or 250 * (batches_per_epoch or 1)
            for name, optimizer in (("d_momentum", self.d_optimizer),
                                    ("g_momentum", self.g_optimizer)):
                self.schedules[name] = optim.LinearRamp(optimizer, c.momentum, c.final_momentum, ramp)
        self.ema = ExponentialMovingAverage(generator, c.ema) if c.ema else None
        self.losses = objectives.loss_pair(c.loss)       # (D's loss, G's loss)
        # With batch norm in D, real and generated samples go through D in separate passes
        # (as in the G step): one pass over both would normalise them together, and D could
        # tell them apart by the batch's make-up rather than by the samples (the DCGAN).
        # Minibatch discrimination compares each sample with its batch: the same holds.
        self.separate_passes = any(
            isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, MinibatchDiscrimination))
            for _, module in discriminator.named_modules())
        self._pending_losses = []
        self._real = None              # the last D step's real batch (feature matching's target)

    # ----- one iteration ------------------------------------------------------------------
    def discriminator_step(self, j):
        """One ascent step on V(D, G) for D, on m real and m generated samples."""
        c, t = self.config, self.step
        backend.manual_seed(backend.stream_seed(c.seed, "discriminator", t, j))
        real = self.data.batch(t * c.k + j)
        self._real = real
        m = real.shape[0]
        with no_grad():
            fake = self.generator.sample(m)
        if self.separate_passes:
            real_logits = self.discriminator(real)
            logits = concatenate([real_logits, self.discriminator(fake)])
        else:
            logits = self.discriminator(concatenate([real, fake]))  # one pass for both halves
        half = logits.shape[0] // 2                                # m, or m/pack with PacGAN
        loss = self._discriminator_loss(logits, half, real, fake)
        self.d_optimizer.zero_grad()
        loss.backward()
        self.d_optimizer.step()
        self._constrain_discriminator()
        return loss, logits, half

    def _discriminator_loss(self, logits, half, real, fake):
        """D's loss (× ``d_loss_scale``) on its logits for real (first ``half``) and
        generated rows, plus the penalty if any."""
        c = self.config
        targets = (1 - c.label_smoothing, c.fake_label) if c.loss in BINARY_LOSSES else ()
        loss = self.losses.discriminator(logits[:half], logits[half:], *targets)
        if c.d_loss_scale != 1:
            loss = loss * c.d_loss_scale
        penalty = objectives.penalty(c.penalty, self.discriminator, real, fake, c.penalty_weight)
        return loss if penalty is None else loss + penalty

    def _constrain_discriminator(self):
        """Weight clipping and the column-norm cap, after each update of D."""
        c = self.config
        if c.weight_clip:
            objectives.clip_weights_(self.discriminator, c.weight_clip)
        if c.d_max_col_norm:
            for name, parameter in self.discriminator.named_parameters():
                if name.endswith("weight"):
                    clip_column_norms_(parameter, c.d_max_col_norm)

    def simultaneous_step(self):
        """The released code's update: one minibatch, one pass of D over real and generated
        rows (dropout masks drawn once), D's gradient of its loss and G's gradient of its
        loss through that same pass, then both optimizers step. Returns the two losses and
        D's logits."""
        c, t = self.config, self.step
        backend.manual_seed(backend.stream_seed(c.seed, "discriminator", t, 0))
        real = self.data.batch(t)
        fake = self.generator.sample(real.shape[0])
        if self.separate_passes:
            logits = concatenate([self.discriminator(real), self.discriminator(fake)])
        else:
            logits = self.discriminator(concatenate([real, fake]))
        half = logits.shape[0] // 2
        d_loss = self._discriminator_loss(logits, half, real, fake.detach())
        g_loss = self.losses.generator(logits[half:])
        d_parameters = list(self.discriminator.parameters())
        g_parameters = list(self.generator.parameters())
        # each gradient visits only the part of the graph that leads to its own parameters
        d_grads = grad(d_loss, d_parameters, retain_graph=True)
        g_grads = grad(g_loss, g_parameters)
        for parameters, grads in ((d_parameters, d_grads), (g_parameters, g_grads)):
            for parameter, g in zip(parameters, grads):
                parameter.grad = g
        self.d_optimizer.step()
        self.g_optimizer.step()
        self._constrain_discriminator()
        if self.ema is not None:
            self.ema.update(self.generator)
        return d_loss, g_loss, logits, half

    def generator_step(self):
        """One descent step on G's loss; D's weights get no gradient in this step. With
        feature matching, G's loss is the distance between the mean D features of the last
        D step's real batch and of G's samples (Salimans et al. 2016)."""
        c = self.config
        backend.manual_seed(backend.stream_seed(c.seed, "generator", self.step))
        self.discriminator.requires_grad_(False)
        try:
            fake = self.generator.sample(c.batch_size)
            if c.feature_matching:
                loss = objectives.feature_matching_loss(
                    objectives.discriminator_features(self.discriminator, self._real),
                    objectives.discriminator_features(self.discriminator, fake))
            else:
                loss = self.losses.generator(self.discriminator(fake))
            self.g_optimizer.zero_grad()
            loss.backward()
        finally:
            self.discriminator.requires_grad_(True)
        self.g_optimizer.step()
        if self.ema is not None:
            self.ema.update(self.generator)
        return loss

    def train_step(self):
        """One iteration of Algorithm 1: k discriminator steps, then one generator step."""
        started = time.perf_counter()
        logging = self.step % self.config.log_every == 0
        if self.config.update == "simultaneous":
            d_loss, g_loss, logits, m = self.simultaneous_step()
        else:
            for j in range(self.config.k):
                d_loss, logits, m = self.discriminator_step(j)
        if logging:
            d_norm = grad_norm(self.discriminator.parameters())
            with no_grad():        # D's probabilities; a critic's raw values (their gap ≈ W₁)
                outputs = logits.detach()
                probabilities = (sigmoid(outputs) if self.config.loss in BINARY_LOSSES
                                 else outputs).data
            d_real, d_fake = float(probabilities[:m].mean()), float(probabilities[m:].mean())
        if self.config.update == "alternating":
            g_loss = self.generator_step()
        for schedule in self.schedules.values():
            schedule.step()
        self._pending_losses.append((self.step, d_loss.data, g_loss.data))
        self.step += 1
        self.elapsed += time.perf_counter() - started
        if logging:
            g_norm = grad_norm(self.generator.parameters())
            for who, norm in (("discriminator", d_norm), ("generator", g_norm)):
                if not math.isfinite(norm):
                    self._diverged(f"the {who}'s gradient norm is {norm} at step {self.step - 1}")
            self._check_finite()
            self._record(d_loss, g_loss, d_real, d_fake, d_norm, g_norm)

    def _record(self, d_loss, g_loss, d_real, d_fake, d_norm, g_norm):
        values = dict(step=self.step - 1, d_loss=float(d_loss.data), g_loss=float(g_loss.data),
                      d_real=d_real, d_fake=d_fake, d_grad_norm=d_norm, g_grad_norm=g_norm,
                      seconds=self.elapsed)
        for name in HISTORY_FIELDS:
            self.history[name].append(values[name])

    def _check_finite(self):
        """Raise :class:`TrainingDiverged` naming the first step whose loss is NaN/inf, or
        the first parameter or optimizer state that is, since the last check."""
        xp = backend.xp
        pending, self._pending_losses = self._pending_losses, []
        if pending and not bool(xp.isfinite(xp.stack([xp.stack([d, g]) for _, d, g in pending])).all()):
            for step, d_loss, g_loss in pending:         # one device sync above; search only on failure
                for who, value in (("discriminator", d_loss), ("generator", g_loss)):
                    if not math.isfinite(float(value)):
                        self._diverged(f"the {who} loss became {float(value)} at step {step}")
        what = self._not_finite()
        if what:
            self._diverged(f"{what} holds NaN or inf at step {self.step - 1}")

    def _not_finite(self, average=False):
        """The first parameter or optimizer state (and with ``average``, averaged weight)
        that holds NaN or inf, named; None when every one is finite."""
        xp = backend.xp
        models = [("generator", self.generator), ("discriminator", self.discriminator)]
        if average and self.ema is not None:
            models.append(("averaged generator", self.ema.model))
        for network, model in models:
            for name, parameter in model.named_parameters():
                if not bool(xp.isfinite(parameter.data).all()):
                    return f"the {network} parameter {name}"
        for network, optimizer in (("generator", self.g_optimizer),
                                   ("discriminator", self.d_optimizer)):
            for position, entries in optimizer.state_dict()["state"].items():
                for key, value in entries.items():
                    if hasattr(value, "shape") and not bool(xp.isfinite(value).all()):
                        return f"the {network} optimizer's {key} of parameter {position}"
        return None

    def _diverged(self, what):
        where = (f"the last good checkpoint (step {self.last_good_step}) is {self.checkpoint_path}"
                 if self.last_good_step is not None else "no checkpoint was saved")
        config = self.config
        remedies = ["a lower learning rate"]
        if config.loss == "minimax":
            remedies.append("the non-saturating loss")
        if config.loss in BINARY_LOSSES and config.label_smoothing == 0:
            remedies.append("label smoothing")
        remedy = (remedies[0] if len(remedies) == 1
                  else f"{', '.join(remedies[:-1])} or {remedies[-1]}")
        raise TrainingDiverged(f"training diverged: {what}; {where}. Try {remedy}.")

    # ----- the loop -----------------------------------------------------------------------
    def fit(self, steps=None, progress=None):
        """Train until ``steps`` generator updates in all (default: ``config.steps``).
        ``progress``, if given, is called as ``progress(trainer)`` after every step
        (the command line passes a tqdm bar's update here)."""
        total = self.config.steps if steps is None else steps
        interrupted, previous = [], {}

        def on_interrupt(signum, frame):
            if interrupted:                        # the second signal: quit at once
                if callable(previous.get(signum)):
                    previous[signum](signum, frame)
                raise KeyboardInterrupt
            interrupted.append(signum)
            print("\nInterrupted: saving a checkpoint after this step "
                  "(press Ctrl-C again to quit at once).", flush=True)

        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                previous[signum] = signal.signal(signum, on_interrupt)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                self._loop(total, interrupted, progress)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return self.history

    def _loop(self, total, interrupted, progress):
        """The body of :meth:`fit`: step, call back, check, save when due or interrupted."""
        if self.step == 0 and self.checkpoint_path:
            self.save_checkpoint()               # a last good state always exists
        while self.step < total:
            self.train_step()
            for callback in self.callbacks:
                callback(self)
            if progress is not None:
                progress(self)
            due = self.checkpoint_path and (self.step % self.config.checkpoint_every == 0
                                            or self.step == total)
            if due or interrupted:
                self._check_finite()
                if self.checkpoint_path:
                    self.save_checkpoint()
            if interrupted:
                raise TrainingInterrupted(self.step, self.checkpoint_path, interrupted[0])
        self._check_finite()

    # ----- sampling -------------------------------------------------------------------------
    def sampling_generator(self):
        """The EMA generator when that stabiliser is on, else the trained one."""
        return self.ema.model if self.ema is not None else self.generator

    def sample(self, n, seed=None, chunk=2500, noise_scale=1.0, draw=0, **condition):
        """n generated samples as a host NumPy array (seeded by ``seed``, default the run's;
        ``draw`` i > 0 splits that seed's sampling stream for another, independent draw;
        ``noise_scale`` spreads z about its centre: ``Generator.sample_noise``).
        G runs in evaluation mode: no dropout, and batch norm normalises with its running
        statistics and leaves them as they are, so sampling never changes the model, and
        each sample depends on its own z only (not on the other samples of its chunk).
        ``condition`` goes to G's ``sample`` (a conditional GAN's ``label=7``)."""
        generator = self.sampling_generator()
        backend.manual_seed(backend.stream_seed(self.config.seed if seed is None else seed,
                                                "sampling", *((draw,) if draw else ())))
        pieces = []
        with no_grad(), evaluating(generator):
            for start in range(0, n, chunk):
                pieces.append(generator.sample(min(chunk, n - start), noise_scale=noise_scale,
                                               **condition).data)
        return require_finite(backend.to_numpy(backend.xp.concatenate(pieces)), noise_scale)

    # ----- state ----------------------------------------------------------------------------
    def state_dict(self):
        return {
            "kind": "tinygan-gan-run",
            "config": self.config.to_dict(),
            "step": self.step,
            "elapsed": self.elapsed,
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict(),
            "schedules": {name: s.state_dict() for name, s in self.schedules.items()},
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "history": self.history,
            "data_source": self.data_source,
        }

    def load_state_dict(self, state):
        """Load a :meth:`state_dict`; raises ValueError (or StateDictError) naming what
        does not fit: another kind of state, another configuration, missing or malformed
        entries."""
        if not isinstance(state, dict) or state.get("kind") != "tinygan-gan-run":
            raise ValueError("this checkpoint is not a tinygan GAN run")
        try:
            self._load_state(state)
        except (KeyError, TypeError, AttributeError, IndexError) as error:
            raise ValueError(f"the checkpoint is incomplete or malformed "
                             f"({type(error).__name__}: {error})") from None
        return self

    def _load_state(self, state):
        changed = self.config.differences(GANConfig.from_dict(state["config"]),
                                          ignore=FREE_ON_RESUME)
        if changed:
            raise ValueError(f"the checkpoint was made with another configuration (differs in "
                             f"{', '.join(changed)})")
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        self.d_optimizer.load_state_dict(state["d_optimizer"])
        for name, schedule in self.schedules.items():
            schedule.load_state_dict(state["schedules"][name])
        self.step, self.elapsed = int(state["step"]), float(state["elapsed"])
        if self.step < 0:
            raise ValueError(f"the checkpoint's step is {self.step}, not a step count ≥ 0")
        if self.ema is not None:           # one G step, so one EMA update, per iteration
            self.ema.load_state_dict(state["ema"], updates=self.step)
        self.history = {name: list(state["history"][name]) for name in HISTORY_FIELDS}
        what = self._not_finite(average=True)       # training never saves such a state
        if what:
            raise ValueError(f"{what} holds NaN or inf in the checkpoint")
        self.last_good_step = self.step

    def save_checkpoint(self, path=None):
        path = path or self.checkpoint_path
        save(self.state_dict(), path)
        self.last_good_step = self.step
        return path

    def load_checkpoint(self, path=None):
        return self.load_state_dict(load(path or self.checkpoint_path))
