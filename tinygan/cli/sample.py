"""``tinygan sample``: draw samples from a trained run's checkpoint into .npy or .png."""
from pathlib import Path

import numpy

from tinygan.checkpoint import atomic_write
from tinygan.cli.common import (CommandError, add_backend_option, check_memory, check_output_file,
                                select_backend)
from tinygan.cli.runs import experiment_from_checkpoint
from tinygan.gan.config import seed_problem


def add_parser(verbs):
    parser = verbs.add_parser("sample", help="draw samples from a checkpoint")
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument("--n", type=int, default=2500, help="how many samples")
    parser.add_argument("--out", required=True, type=Path, help="F.npy (array) or F.png (figure)")
    parser.add_argument("--seed", type=int, default=None, help="sampling seed (default: the run's)")
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    parser.add_argument("--data-dir", help="MNIST folder, as for train")
    add_backend_option(parser)
    parser.set_defaults(run=run)


def validate(args):
    """Check every argument and file; returns the experiment to sample from."""
    select_backend(args.backend)
    if args.n < 1:
        raise CommandError(f"--n must be ≥ 1, got {args.n}")
    if args.seed is not None and seed_problem(args.seed):
        raise CommandError(f"--seed: {seed_problem(args.seed)}")
    if args.out.suffix not in (".npy", ".png"):
        raise CommandError(f"--out must end in .npy or .png, got {args.out}")
    check_output_file(args.out, "--out")
    if args.out.exists() and not args.force:
        raise CommandError(f"{args.out} exists; pass --force to overwrite it")
    experiment, _ = experiment_from_checkpoint(args.checkpoint, args.data_dir)
    dim = 784 if experiment.mnist is not None else experiment.distribution.dim
    check_memory(2 * 4 * args.n * dim, f"--n {args.n}", "the samples")   # float32, one copy
    return experiment


def run(args):
    experiment = validate(args)
    samples = experiment.trainer.sample(args.n, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.suffix == ".npy":
        atomic_write(args.out, lambda stream: numpy.save(stream, samples))
    else:
        try:
            experiment.data.samples_figure(samples, args.out)
        except ImportError as error:
            raise CommandError(str(error)) from None
    print(f"wrote {args.n} samples of step {experiment.trainer.step} to {args.out}")
    return 0
