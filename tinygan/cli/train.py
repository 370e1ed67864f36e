"""``tinygan train``: train a GAN with a preset, write samples, figures and metrics."""
import json
import time
from pathlib import Path

import numpy

from tinygan.checkpoint import CheckpointError
from tinygan.cli.common import CommandError, add_backend_option, select_backend
from tinygan.cli.runs import RUN_FILES, environment, save_figures, summary, write_json
from tinygan.data import DataError
from tinygan.gan import DATASETS, GANConfig, TrainingDiverged, TrainingInterrupted, build, preset
from tinygan.gan.evaluation import evaluate
from tinygan.nn import StateDictError

# command-line option -> configuration field
OVERRIDES = {"steps": "steps", "batch_size": "batch_size", "k": "k", "loss": "loss",
             "label_smoothing": "label_smoothing", "seed": "seed", "lr_g": "lr_g",
             "lr_d": "lr_d", "ema": "ema", "pack": "pack"}


def add_parser(verbs):
    parser = verbs.add_parser("train", help="train a GAN (Algorithm 1 of Goodfellow et al. 2014)")
    parser.add_argument("--dataset", required=True, choices=DATASETS)
    parser.add_argument("--steps", type=int, help="generator updates (default: the preset's)")
    parser.add_argument("--batch-size", type=int, help="m, samples per minibatch")
    parser.add_argument("--k", type=int, help="discriminator steps per generator step")
    parser.add_argument("--loss", choices=["minimax", "non_saturating"], help="generator loss")
    parser.add_argument("--label-smoothing", type=float, help="one-sided: real targets 1 − α")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr-g", type=float, help="generator learning rate")
    parser.add_argument("--lr-d", type=float, help="discriminator learning rate")
    parser.add_argument("--ema", type=float, help="EMA decay of G's weights (0 = off)")
    parser.add_argument("--pack", type=int, help="PacGAN pack size (1 = off)")
    add_backend_option(parser)
    parser.add_argument("--out", type=Path, help="run folder (default: runs/DATASET-seedS)")
    parser.add_argument("--data-dir", help="folder with MNIST IDX files (default: $TINYGAN_DATA, "
                                           "else the embedded 5k sample)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--force", action="store_true", help="overwrite a previous run in --out")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def _config(args, folder):
    overrides = {field: getattr(args, option) for option, field in OVERRIDES.items()}
    if args.resume:
        saved = folder / "config.json"
        if not saved.exists():
            raise CommandError(f"nothing to resume: {saved} does not exist")
        config = GANConfig.from_dict(json.loads(saved.read_text()))
        if config.dataset != args.dataset:
            raise CommandError(f"{folder} holds a {config.dataset} run, not {args.dataset}")
        return config.with_(steps=args.steps)
    return preset(args.dataset).with_(**overrides)


def _prepare_folder(args):
    folder = args.out or Path("runs") / f"{args.dataset}-seed{args.seed}"
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"--out {folder} is a file, not a folder")
    existing = [name for name in RUN_FILES if (folder / name).exists()]
    if existing and not args.resume:
        if not args.force:
            raise CommandError(f"{folder} already holds a run ({', '.join(existing)}); use "
                               f"--resume to continue it, --force to overwrite it, or another --out")
        for name in existing:
            (folder / name).unlink()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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
            bar.set_postfix(d_loss=f"{trainer.history['d_loss'][-1]:.3f}",
                            g_loss=f"{trainer.history['g_loss'][-1]:.3f}",
                            d_real=f"{trainer.history['d_real'][-1]:.2f}",
                            d_fake=f"{trainer.history['d_fake'][-1]:.2f}")
    return bar, update


def run(args):
    select_backend(args.backend)
    if args.steps is not None and args.steps < 0:
        raise CommandError(f"--steps must be ≥ 0, got {args.steps}")
    folder = _prepare_folder(args)
    try:
        config = _config(args, folder).validate()
    except ValueError as error:
        raise CommandError(str(error)) from None
    checkpoint = folder / "checkpoint.npz"
    try:
        experiment = build(config, checkpoint_path=checkpoint, data_dir=args.data_dir)
    except DataError as error:
        raise CommandError(str(error)) from None
    trainer = experiment.trainer
    if args.resume:
        if not checkpoint.exists():
            raise CommandError(f"nothing to resume: {checkpoint} does not exist")
        try:
            trainer.load_checkpoint()
        except (CheckpointError, StateDictError, ValueError) as error:
            raise CommandError(f"cannot resume from {checkpoint}: {error}") from None
    write_json(folder / "config.json", config.to_dict())

    print(f"tinygan train: {config.dataset}, {config.steps} steps from step {trainer.step}, "
          f"seed {config.seed}, backend {environment()['backend']} -> {folder}")
    bar, update = _progress_bar(trainer, config.steps, args.quiet)
    started = time.perf_counter()
    try:
        trainer.fit(progress=update)
    except TrainingInterrupted as interruption:
        if bar:
            bar.close()
        raise CommandError(f"interrupted at step {interruption.step}; checkpoint saved to "
                           f"{checkpoint}. Continue with: tinygan train --dataset {config.dataset} "
                           f"--out {folder} --resume") from None
    except TrainingDiverged as error:
        if bar:
            bar.close()
        raise CommandError(str(error)) from None
    if bar:
        bar.close()
    wall = time.perf_counter() - started

    samples = trainer.sample(config.eval_samples)
    numpy.save(folder / "samples.npy", samples)
    metrics = evaluate(experiment, samples)
    steps_trained = max(trainer.step, 1)
    metrics.update(config=config.to_dict(), environment=environment(), wall_seconds=wall,
                   training_seconds=trainer.elapsed,
                   seconds_per_1000_steps=1000 * trainer.elapsed / steps_trained,
                   steps=trainer.step, sampler="ema" if trainer.ema else "generator")
    write_json(folder / "metrics.json", metrics)
    warning = save_figures(experiment, samples, folder)
    if warning:
        print(warning)
    print(summary(metrics))
    print(f"wrote {', '.join(name for name in RUN_FILES if (folder / name).exists())} to {folder}")
    return 0

