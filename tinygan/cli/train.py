"""``tinygan train``: train a GAN with a preset, write samples, figures and metrics.

Validate first, act second: every option, the run folder, a resumed run's files and the
data are checked before anything is created, deleted or overwritten. ``--force`` builds the
new run's first files aside and swaps them in only once they are written."""
import os
import shlex
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy

from tinygan.checkpoint import CheckpointError, load, remove_stale_temporaries
from tinygan.cli.common import (CommandError, Stopped, add_backend_option, check_memory,
                                check_writable_folder, select_backend)
from tinygan.cli.runs import (RUN_FILES, build_experiment, data_dir_for, environment,
                              other_data, read_config, save_figures, write_json)
from tinygan.gan import (DATASETS, ConfigError, GANConfig, TrainingDiverged, TrainingInterrupted,
                         preset)
from tinygan.data import MNIST_DATASETS
from tinygan.gan.config import D_BATCH_NORMS, MODELS, OPTIMIZERS, PAPER_EXACTLY, UPDATES
from tinygan.gan.objectives import LOSSES, PENALTIES
from tinygan.gan.models import NOISE
from tinygan.gan.evaluation import ParzenCurve, evaluate
from tinygan.gan.trainer import FREE_ON_RESUME
from tinygan.latent import NonFiniteSamples

STAGING = "new-run"        # --force writes the new run's first files in .new-run.tmp-PID-*

# configuration fields with an option of their own, --field-name (each defaults to None:
# "not typed")
OVERRIDES = ("steps", "batch_size", "k", "loss", "label_smoothing", "seed", "lr_g", "lr_d",
             "lr_decay", "ema",
             "pack", "checkpoint_every", "model", "penalty", "penalty_weight", "weight_clip",
             "optimizer", "beta1", "beta2", "update", "d_loss_scale", "noise_range",
             "noise_components", "noise_sigma",
             "marginal_clip", "feature_matching", "minibatch_kernels", "minibatch_kernel_dim",
             "d_batch_norm", "noise", "noise_dim", "g_hidden", "g_depth", "d_hidden", "d_depth",
             "dcgan_fc", "spectral_norm")

def add_parser(verbs):
    parser = verbs.add_parser("train", help="train a GAN (Algorithm 1 of Goodfellow et al. 2014)")
    parser.add_argument("--dataset", choices=DATASETS,
                        help="required, except with --resume, which reads it from --out's config.json")
    parser.add_argument("--model", choices=MODELS,
                        help="model family (default: the data set's; on MNIST each family has "
                             "its own preset: mlp, full MNIST's default; mnist_2014, the paper's "
                             "maxout pair; dcgan, the DCGAN of Radford et al.; cgan, the "
                             "conditional GAN of Mirza & Osindero)")
    parser.add_argument("--noise", choices=NOISE,
                        help="p_z: uniform on [−r, r], gaussian N(0, I), or mixture: K "
                             "Gaussians N(μₖ, σ²I), μₖ ~ U(−r, r) fixed by the seed (GM-GAN)")
    parser.add_argument("--noise-components", type=int,
                        help=f"--noise mixture: K (default {GANConfig.noise_components})")
    parser.add_argument("--noise-sigma", type=float,
                        help=f"--noise mixture: σ (default {GANConfig.noise_sigma})")
    parser.add_argument("--noise-dim", type=int, help="dimensions of z")
    parser.add_argument("--g-hidden", type=int,
                        help="MLPs: G's hidden units per layer; the DCGAN: G's channels at 14×14")
    parser.add_argument("--g-depth", type=int, help="MLPs: G's hidden layers")
    parser.add_argument("--d-hidden", type=int,
                        help="MLPs: D's hidden units per layer; the DCGAN: D's channels at 14×14")
    parser.add_argument("--d-depth", type=int, help="MLPs: D's hidden layers")
    parser.add_argument("--dcgan-fc", type=int,
                        help="the DCGAN: units of the fully connected hidden layer after G's z "
                             "and before D's logit (the preset: InfoGAN's 1024; 0: none, "
                             "all-convolutional)")
    parser.add_argument("--spectral-norm", action="store_true", default=None,
                        help="the DCGAN: D's weights divided by their largest singular value "
                             "in place of its batch norm (SN-GAN, Miyato et al. 2018)")
    parser.add_argument("--steps", type=int, help="generator updates (default: the preset's)")
    parser.add_argument("--batch-size", type=int, help="m, samples per minibatch")
    parser.add_argument("--k", type=int, help="discriminator (critic) steps per generator step")
    parser.add_argument("--loss", choices=LOSSES, help="the loss pair of D and G")
    parser.add_argument("--penalty", choices=PENALTIES,
                        help="on D's gradient: gp (WGAN-GP, at interpolates) or r1 (on real data)")
    parser.add_argument("--penalty-weight", type=float, help="λ of gp, γ of r1 (default 10)")
    parser.add_argument("--weight-clip", type=float, help="WGAN: clip D's weights to [−c, c]")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help="for G and D")
    parser.add_argument("--beta1", type=float, help="Adam's β₁")
    parser.add_argument("--beta2", type=float, help="Adam's β₂")
    parser.add_argument("--label-smoothing", type=float, help="one-sided: real targets 1 − α")
    parser.add_argument("--seed", type=int, help="seed of everything (default 0)")
    parser.add_argument("--lr-g", type=float, help="generator learning rate")
    parser.add_argument("--lr-d", type=float, help="discriminator learning rate")
    parser.add_argument("--lr-decay", type=float,
                        help=f"both rates ÷ this at every step (a generator update and its "
                             f"--k D updates), down to {GANConfig.lr_floor:g} (a rate given below "
                             f"that stays as given; 1: constant; 1.0005: 9.5× lower after 4,500 "
                             f"steps; default: the preset's)")
    parser.add_argument("--ema", type=float, help="EMA decay of G's weights (0 = off)")
    parser.add_argument("--pack", type=int, help="PacGAN pack size (1 = off)")
    parser.add_argument("--feature-matching", action="store_true", default=None,
                        help="G matches the mean of D's last hidden features (Salimans et al. 2016)")
    parser.add_argument("--minibatch-kernels", type=int,
                        help="minibatch discrimination: B kernels before D's output (0 = off)")
    parser.add_argument("--minibatch-kernel-dim", type=int,
                        help="minibatch discrimination: C dimensions per kernel")
    parser.add_argument("--d-batch-norm", choices=D_BATCH_NORMS,
                        help="reference or virtual batch norm after D's hidden layers, from a "
                             "fixed batch of real samples")
    parser.add_argument("--checkpoint-every", type=int, help="steps between checkpoints")
    parser.add_argument("--update", choices=UPDATES,
                        help="alternating (Algorithm 1, the default) or simultaneous (the 2014 "
                             "code: one minibatch and one D pass give both networks' gradients)")
    parser.add_argument("--d-loss-scale", type=float,
                        help="D's loss × this (the 2014 code: 0.5, D's objective the mean of its "
                             "two costs)")
    parser.add_argument("--noise-range", type=float,
                        help="uniform z on [−r, r] (2014 code: √3); a mixture's means on [−r, r]")
    parser.add_argument("--marginal-clip", type=float,
                        help="MNIST G's output bias from pixel means clipped to [c, 1 − c] "
                             "(pylearn2: 1e-7)")
    parser.add_argument("--paper", action="store_true",
                        help="MNIST: the 2014 configuration exactly as the authors' code ran it "
                             "(--model mnist_2014 --pack 1 --update simultaneous --d-loss-scale "
                             "0.5 --noise-range √3 --marginal-clip 1e-7 --ema 0)")
    parser.add_argument("--parzen-every", type=int, default=0, metavar="N",
                        help="MNIST: the paper's Parzen protocol (10,000 samples; σ on 1,000 "
                             "validation images; 10,000 test images) every N steps, written to "
                             "parzen_curve.json and parzen_curve.png (0: off)")
    add_backend_option(parser)
    parser.add_argument("--out", type=Path, help="run folder (default: runs/DATASET-seedS, "
                                                 "runs/DATASET-MODEL-seedS with --model, "
                                                 "runs/DATASET-paper-seedS with --paper)")
    parser.add_argument("--data-dir", help="folder with MNIST IDX files (default: $TINYGAN_DATA, "
                                           "else the embedded 5k sample)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out (typed options must match it; "
                             "--steps may extend it)")
    parser.add_argument("--force", action="store_true", help="replace a previous run in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def _option(field):
    return "--" + field.replace("_", "-")


def _typed(field, value):
    """The option as the user typed it: a switch by its name alone."""
    return _option(field) if value is True else f"{_option(field)} {value}"


def _setting(value):
    return {True: "it on", False: "it off"}.get(value, value) if isinstance(value, bool) else value


@dataclass
class Plan:
    """Everything ``run`` needs, all checked: nothing has been written yet."""
    folder: Path
    config: GANConfig
    experiment: object
    existing: list
    state: dict = None                  # the checkpoint to resume from
    write_config: bool = True


def _saved_config(folder):
    """The configuration of the run in ``folder``, to resume it."""
    saved = folder / "config.json"
    if not saved.exists():
        raise CommandError(f"nothing to resume: {saved} does not exist")
    return read_config(saved)


def _resumed_config(args, folder, typed, config=None):
    """The saved configuration (``config``, when already read), with ``--steps`` (only
    longer) and ``--checkpoint-every`` applied; refuses every other typed option that
    differs from it, naming each."""
    config = config if config is not None else _saved_config(folder)
    if config.dataset != args.dataset:
        raise CommandError(f"{folder} holds a {config.dataset} run, not {args.dataset}")
    contradictions = [f"{_typed(field, value)} (the run has {_setting(getattr(config, field))})"
                      for field, value in typed.items()
                      if field not in FREE_ON_RESUME and value != getattr(config, field)]
    if contradictions:
        raise CommandError(f"--resume continues {folder} as it was configured, but "
                           f"{'; '.join(contradictions)}: leave these options out, or start a "
                           f"new run with another --out")
    if typed.get("steps", config.steps) < config.steps:
        raise CommandError(f"--steps {typed['steps']} would shorten the run, which is configured "
                           f"for {config.steps} steps; --steps may only extend it")
    free = {field: value for field, value in typed.items() if field in FREE_ON_RESUME}
    return config.with_(**free), config


def _widest(config):
    """The widest layer: the hidden widths, z, or the data's (the 2014 maxout D's 1,200)."""
    return max(config.g_hidden, config.d_hidden, config.noise_dim,
               1200 if config.model == "mnist_2014" else 784 if config.dataset == "mnist" else 2)


def _activation_bytes(config):
    """A generous estimate of one step's memory: every layer's float32 activations and
    their gradients for a batch of real and generated samples, at the widest width, and
    minibatch discrimination's m × m × B × C distances."""
    widest, layers = _widest(config), config.g_depth + config.d_depth + 4
    minibatch = 4 * 2 * 3 * config.batch_size ** 2 * config.minibatch_kernels * config.minibatch_kernel_dim
    return 4 * 2 * 2 * config.batch_size * widest * layers * 5 + minibatch   # 5: maxout pieces, slack


def validate(args):
    """Check every option, the folder, the files to resume from and the data; returns a
    :class:`Plan`. Raises CommandError and has written nothing."""
    select_backend(args.backend)
    if args.resume and args.force:
        raise CommandError("--resume continues a run and --force replaces it: choose one")
    known = None                       # the run's configuration, once read
    if args.dataset is None:
        if not args.resume:
            raise CommandError(f"--dataset is required: one of {', '.join(DATASETS)}")
        if args.out is None:
            raise CommandError("--resume without --dataset needs --out, the run folder to continue")
        check_writable_folder(args.out, "--out")
        known = _saved_config(args.out)
        args.dataset = known.dataset
    if args.parzen_every < 0 or (args.parzen_every and args.dataset not in MNIST_DATASETS):
        raise CommandError(f"--parzen-every takes a number of steps ≥ 0 on MNIST; got "
                           f"{args.parzen_every} on {args.dataset}")
    typed = {field: getattr(args, field) for field in OVERRIDES if getattr(args, field) is not None}
    own = dict(typed)                  # what the user typed (--paper adds its settings below)
    if args.paper:
        if args.dataset not in MNIST_DATASETS:
            raise CommandError(f"--paper is the 2014 MNIST configuration; {args.dataset} is not MNIST")
        clash = [f"{_option(f)} {typed[f]}" for f, v in PAPER_EXACTLY.items() if typed.get(f, v) != v]
        if clash:
            raise CommandError(f"--paper means {', '.join(f'{_option(f)} {v:g}' if isinstance(v, float) else f'{_option(f)} {v}' for f, v in PAPER_EXACTLY.items())}; "
                               f"it cannot go with {', '.join(clash)}")
        typed.update(PAPER_EXACTLY)
    try:
        defaults = preset(args.dataset, typed.get("model"))
    except ConfigError as error:
        raise CommandError(str(error)) from None
    seed = typed.get("seed", defaults.seed)
    kind = ["paper"] if args.paper else [typed["model"]] if "model" in typed else []
    folder = args.out or Path("runs") / "-".join([args.dataset, *kind, f"seed{seed}"])
    earlier = Path("runs") / f"{args.dataset}-seed{seed}"     # the default before it named kinds
    if (args.resume and args.out is None and not (folder / "config.json").exists()
            and (earlier / "config.json").exists()):
        raise CommandError(f"nothing to resume in {folder}; {earlier} holds a run (default "
                           f"folders did not name the model before): --out {earlier} --resume")
    check_writable_folder(folder, "--out")
    existing = [name for name in RUN_FILES if (folder / name).exists()]
    state = saved = None
    if args.resume:
        config, saved = _resumed_config(args, folder, typed, known)
        try:
            state = load(folder / "checkpoint.npz")
        except CheckpointError as error:
            raise CommandError(f"cannot resume: {error}") from None
        data_dir = data_dir_for(state.get("data_source"), args.data_dir)
    else:
        if existing and not args.force:
            raise CommandError(f"{folder} already holds a run ({', '.join(existing)}); use "
                               f"--resume to continue it, --force to replace it, or another --out")
        if existing:
            _check_replaceable(folder, existing)
        config, data_dir = defaults.with_(**typed), args.data_dir
    try:
        config.validate()
    except ConfigError as error:
        raise CommandError(str(error)) from None
    ignored = config.ignored(own)
    if ignored:
        raise CommandError(ignored)
    check_memory(_activation_bytes(config), f"--batch-size {config.batch_size} with layers up "
                 f"to {_widest(config):,} wide", "one training step")
    experiment = build_experiment(config, checkpoint_path=folder / "checkpoint.npz",
                                  data_dir=data_dir)
    if state is not None:
        try:
            experiment.trainer.load_state_dict(state)
        except ValueError as error:
            raise CommandError(f"cannot resume from {folder / 'checkpoint.npz'}: {error}") from None
        mismatch = other_data(state.get("data_source"), experiment.data_source)
        if mismatch:
            raise CommandError(f"cannot resume: {mismatch}")
    return Plan(folder, config, experiment, existing, state,
                write_config=state is None or saved != config)


def _check_replaceable(folder, existing):
    """--force replaces only a run tinygan wrote: its config.json must read as one, and
    every file of it be a plain file (a folder under a run file's name would stop the swap
    halfway)."""
    if "config.json" not in existing:
        raise CommandError(f"{folder} holds {', '.join(existing)} but no config.json: not a "
                           f"tinygan run, so --force will not replace it; choose another --out")
    try:
        read_config(folder / "config.json")
    except CommandError as error:
        raise CommandError(f"{error}; --force replaces only a tinygan run: move it or choose "
                           f"another --out") from None
    for name in existing:
        if not (folder / name).is_file() or (folder / name).is_symlink():
            raise CommandError(f"{folder / name} is not a plain file, so it is not a run's; "
                               f"--force will not replace it: move it or choose another --out")


def _start(plan):
    """Act: write config.json (and for --force the first checkpoint) aside, then swap the
    new files in for the old run's."""
    folder, trainer = plan.folder, plan.experiment.trainer
    for name in RUN_FILES + (STAGING,):
        remove_stale_temporaries(folder / name)
    if plan.state is not None:
        if plan.write_config:
            write_json(folder / "config.json", plan.config.to_dict())
        return
    if not plan.existing:
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "config.json", plan.config.to_dict())
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{STAGING}.tmp-{os.getpid()}-", dir=folder))
    old, moved, kept = aside / "old", [], None
    try:
        write_json(aside / "config.json", plan.config.to_dict())
        trainer.save_checkpoint(aside / "checkpoint.npz")
        old.mkdir()
        try:                                   # the old run aside, the new one in; if a move
            for name in plan.existing:         # fails (or a signal comes), the old run goes back
                os.replace(folder / name, old / name)
                moved.append(name)
            for name in ("config.json", "checkpoint.npz"):
                os.replace(aside / name, folder / name)
        except BaseException as error:
            kept = _put_back(folder, old, moved)
            if kept is None:
                raise
            reason = getattr(error, "strerror", None) or type(error).__name__
            raise CommandError(f"could not replace the run in {folder} ({reason}) nor put all "
                               f"of it back: the old run's files are in {kept}") from None
    finally:
        if kept != old:                        # (old itself: the one place its files are left)
            shutil.rmtree(aside, ignore_errors=True)


def _put_back(folder, old, moved):
    """Move the old run's files back from ``old``; None when all went back, else the folder
    (outside the staging folder, which the next save would clear) that keeps the rest."""
    stranded = []
    for name in moved:
        try:
            os.replace(old / name, folder / name)
        except OSError:
            stranded.append(name)
    if not stranded:
        return None
    kept = folder / f"old-run-{time.strftime('%Y%m%d-%H%M%S')}"
    try:
        os.replace(old, kept)
    except OSError:
        return old
    return kept


def _progress_bar(trainer, total, quiet):
    if quiet:
        return None, None
    try:
        from tqdm import tqdm
    except ImportError:
        print("(tqdm is not installed: no progress bar; pip install 'tinygan[progress]')")
        return None, None
    bar = tqdm(total=total, initial=trainer.step, unit="step", dynamic_ncols=True)

    def update(trainer):
        bar.update(1)
        if trainer.history["step"] and trainer.history["step"][-1] == trainer.step - 1:
            real, fake = trainer.history["d_real"][-1], trainer.history["d_fake"][-1]
            extra = ({"W1": f"{real - fake:.3f}"} if trainer.config.loss == "wasserstein"
                     else {"d_real": f"{real:.2f}", "d_fake": f"{fake:.2f}"})
            bar.set_postfix(d_loss=f"{trainer.history['d_loss'][-1]:.3f}",
                            g_loss=f"{trainer.history['g_loss'][-1]:.3f}", **extra)
    return bar, update


def _fit(plan, quiet):
    """Train; a signal or divergence ends the command with one line (the checkpoint kept)."""
    config, folder, trainer = plan.config, plan.folder, plan.experiment.trainer
    bar, update = _progress_bar(trainer, config.steps, quiet)
    try:
        trainer.fit(progress=update)
    except TrainingInterrupted as stop:
        raise Stopped(f"interrupted at step {stop.step}; checkpoint saved to "
                      f"{stop.checkpoint_path}. Continue with: tinygan train --out "
                      f"{shlex.quote(str(folder))} "
                      f"--resume",
                      128 + (stop.signum or signal.SIGINT)) from None
    except (TrainingDiverged, NonFiniteSamples) as error:     # the latter: Parzen's samples
        raise CommandError(str(error)) from None
    finally:
        if bar:
            bar.close()


def run(args):
    plan = validate(args)
    _start(plan)
    config, folder, experiment = plan.config, plan.folder, plan.experiment
    trainer = experiment.trainer
    if args.parzen_every:
        trainer.callbacks.append(ParzenCurve(experiment, args.parzen_every,
                                             folder / "parzen_curve.json",
                                             folder / "parzen_curve.png"))
    print(f"tinygan train: {config.dataset}, {config.steps} steps from step {trainer.step}, "
          f"seed {config.seed}, backend {environment()['backend']} -> {folder}")
    started = time.perf_counter()
    _fit(plan, args.quiet)
    wall = time.perf_counter() - started

    try:
        samples = trainer.sample(config.eval_samples)
    except NonFiniteSamples as error:
        raise CommandError(f"{error} (the checkpoint of step {trainer.step} is kept)") from None
    numpy.save(folder / "samples.npy", samples)
    metrics = evaluate(experiment, samples)
    steps_trained = max(trainer.step, 1)
    metrics.update(config=config.to_dict(), environment=environment(), wall_seconds=wall,
                   training_seconds=trainer.elapsed,
                   seconds_per_1000_steps=1000 * trainer.elapsed / steps_trained,
                   steps=trainer.step, sampler="ema" if trainer.ema else "generator",
                   data_source=experiment.data_source)
    write_json(folder / "metrics.json", metrics)
    warning = save_figures(experiment, samples, folder)
    if warning:
        print(warning)
    print(experiment.data.summary(metrics))
    print(f"wrote {', '.join(name for name in RUN_FILES if (folder / name).exists())} to {folder}")
    return 0
