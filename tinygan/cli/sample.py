"""``tinygan sample``: draw samples from a trained run's checkpoint into .npy or .png."""
from pathlib import Path

import numpy

from tinygan.checkpoint import atomic_write
from tinygan.cli.common import (CommandError, add_backend_option, add_noise_scale_option,
                                check_memory, check_noise_scale, check_output_file,
                                noise_scale_note, select_backend)
from tinygan.cli.runs import experiment_from_checkpoint
from tinygan.gan.conditional import one_hot
from tinygan.gan.config import seed_problem
from tinygan.latent import NonFiniteSamples


def add_parser(verbs):
    parser = verbs.add_parser("sample", help="draw samples from a checkpoint")
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument("--n", type=int, default=2500, help="how many samples")
    parser.add_argument("--out", required=True, type=Path, help="F.npy (array) or F.png (figure)")
    parser.add_argument("--seed", type=int, default=None, help="sampling seed (default: the run's)")
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    parser.add_argument("--interpolate", type=int, metavar="N",
                        help="MNIST: N rows, each G along a path between two random z (10 steps) "
                             "into --out F.png; a conditional GAN holds each row's digit (--label, "
                             "else 0, 1, 2, … row by row)")
    parser.add_argument("--slerp", action="store_true",
                        help="with --interpolate: spherical paths (for a Gaussian z, whose mass "
                             "sits near radius √d), not straight lines")
    parser.add_argument("--label", type=int, metavar="DIGIT",
                        help="a conditional GAN (--model cgan): draw only this digit (0-9)")
    parser.add_argument("--data-dir", help="MNIST folder, as for train")
    add_noise_scale_option(parser)
    add_backend_option(parser)
    parser.set_defaults(run=run)


def validate(args):
    """Check every argument and file; returns the experiment to sample from."""
    select_backend(args.backend)
    if args.n < 1:
        raise CommandError(f"--n must be ≥ 1, got {args.n}")
    if args.seed is not None and seed_problem(args.seed):
        raise CommandError(f"--seed: {seed_problem(args.seed)}")
    check_noise_scale(args.noise_scale)
    if args.out.suffix not in (".npy", ".png"):
        raise CommandError(f"--out must end in .npy or .png, got {args.out}")
    if args.slerp and args.interpolate is None:
        raise CommandError("--slerp shapes the paths of --interpolate N; give --interpolate")
    if args.interpolate is not None and not (1 <= args.interpolate <= 100 and args.out.suffix == ".png"):
        raise CommandError(f"--interpolate takes 1 to 100 rows and an --out F.png, got "
                           f"{args.interpolate} and {args.out}")
    check_output_file(args.out, "--out")
    if args.out.exists() and not args.force:
        raise CommandError(f"{args.out} exists; pass --force to overwrite it")
    experiment, _ = experiment_from_checkpoint(args.checkpoint, args.data_dir)
    if args.interpolate is not None and experiment.mnist is None:
        raise CommandError("--interpolate draws digits: it needs an MNIST run")
    conditional = experiment.config.model == "cgan"
    if args.label is not None and not conditional:
        raise CommandError(f"--label needs a conditional GAN (trained with --model cgan); "
                           f"{args.checkpoint} is a {experiment.config.model} run")
    if args.label is not None and not 0 <= args.label <= 9:
        raise CommandError(f"--label is a digit from 0 to 9, got {args.label}")
    dim = 784 if experiment.mnist is not None else experiment.distribution.dim
    check_memory(2 * 4 * args.n * dim, f"--n {args.n}", "the samples")   # float32, one copy
    return experiment


def run(args):
    experiment = validate(args)
    if args.interpolate is not None:
        from tinygan import backend, latent
        backend.manual_seed(backend.stream_seed(
            experiment.config.seed if args.seed is None else args.seed, "sampling"))
        digits = None
        if experiment.config.model == "cgan":
            digits = [i % 10 if args.label is None else args.label for i in range(args.interpolate)]
        made = [folder for folder in args.out.parents if not folder.exists()]   # deepest first
        args.out.parent.mkdir(parents=True, exist_ok=True)
        try:
            latent.interpolation_figure(experiment.trainer.sampling_generator(),
                                        rows=args.interpolate, spherical=args.slerp,
                                        path=args.out, noise_scale=args.noise_scale,
                                        condition=None if digits is None else one_hot(digits))
        except (ImportError, NonFiniteSamples) as error:
            for folder in made:                 # nothing written: no folders left behind
                folder.rmdir()
            raise CommandError(str(error)) from None
        held = "" if digits is None else f" (digits {', '.join(map(str, digits))}, one per row)"
        print(f"wrote {args.interpolate} {'slerp' if args.slerp else 'lerp'} paths of step "
              f"{experiment.trainer.step}{held}{noise_scale_note(args.noise_scale)} to {args.out}")
        return 0
    condition = {} if args.label is None else {"label": args.label}
    try:
        samples = experiment.trainer.sample(args.n, seed=args.seed, noise_scale=args.noise_scale,
                                            **condition)
    except NonFiniteSamples as error:
        raise CommandError(str(error)) from None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.suffix == ".npy":
        atomic_write(args.out, lambda stream: numpy.save(stream, samples))
    else:
        try:
            experiment.data.samples_figure(samples, args.out)
        except ImportError as error:
            raise CommandError(str(error)) from None
    print(f"wrote {args.n} samples of step {experiment.trainer.step}"
          f"{noise_scale_note(args.noise_scale)} to {args.out}")
    return 0
