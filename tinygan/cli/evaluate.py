"""``tinygan evaluate``: measure a checkpoint with its data set's protocol, on the data it
was trained on (recorded in the checkpoint)."""
import json
from pathlib import Path

from tinygan.cli.common import (CommandError, add_backend_option, add_noise_scale_option,
                                check_noise_scale, check_output_file, noise_scale_note,
                                select_backend)
from tinygan.cli.runs import (environment, experiment_from_checkpoint, other_data,
                              write_json)
from tinygan.gan.evaluation import MAX_DRAWS, draws_line, draws_problem, evaluate
from tinygan.latent import NonFiniteSamples

KIND = "tinygan-evaluation"          # marks the files this command wrote (and may rewrite)


def add_parser(verbs):
    parser = verbs.add_parser("evaluate", help="print and write the metrics of a checkpoint")
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument("--out", type=Path, help="metrics file (default: beside the checkpoint, "
                                                 "evaluation.json, or evaluation-noise-scale-S.json "
                                                 "with --noise-scale S); never another kind of file")
    parser.add_argument("--data-dir", help="MNIST folder (default: the one the run was trained on)")
    parser.add_argument("--force", action="store_true",
                        help="evaluate on other data than the run was trained on")
    parser.add_argument("--parzen", action="store_true",
                        help="MNIST: the paper's Parzen protocol (σ from 1,000 validation images, "
                             "test mean ± standard error, ceiling) is always run; this flag is "
                             "kept so that older commands still work")
    parser.add_argument("--draws", type=int, default=1, metavar="N",
                        help="draw the samples N times, each from its own random stream, and "
                             "report each measure's mean, standard deviation, min and max beside "
                             "the first draw's metrics (default 1: one draw, whose numbers move "
                             f"from draw to draw; at most {MAX_DRAWS:,})")
    add_noise_scale_option(parser)
    add_backend_option(parser)
    parser.set_defaults(run=run)


def written_by_us(path):
    """Whether ``path`` is an evaluation file this command wrote earlier."""
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("kind") == KIND
    except (OSError, ValueError, AttributeError):
        return False


def default_name(noise_scale):
    """evaluation.json, or one of its own per noise scale (so that none replaces another)."""
    return "evaluation.json" if noise_scale == 1 else f"evaluation-noise-scale-{noise_scale!r}.json"


def validate(args):
    """Check every argument and file; returns (experiment, out, note about the data)."""
    select_backend(args.backend)
    check_noise_scale(args.noise_scale)
    problem = draws_problem(args.draws)
    if problem:
        raise CommandError(f"--draws: {problem}")
    out = args.out or args.checkpoint.parent / default_name(args.noise_scale)
    check_output_file(out, "--out")
    if out.exists() and not written_by_us(out):
        raise CommandError(f"{out} exists and was not written by `tinygan evaluate`; it is "
                           f"left alone: choose another --out")
    experiment, recorded = experiment_from_checkpoint(args.checkpoint, args.data_dir)
    mismatch = other_data(recorded, experiment.data_source)
    if mismatch and not args.force:
        raise CommandError(f"{mismatch}; pass --force to evaluate on it anyway")
    return experiment, out, mismatch, recorded


def run(args):
    experiment, out, mismatch, recorded = validate(args)
    if mismatch:
        print(f"warning: {mismatch} (evaluating anyway: --force)")
    try:
        metrics = evaluate(experiment, noise_scale=args.noise_scale,  # MNIST: the cached judge
                           draws=args.draws)
    except NonFiniteSamples as error:
        raise CommandError(str(error)) from None
    metrics.update(kind=KIND, step=experiment.trainer.step, noise_scale=args.noise_scale,
                   config=experiment.config.to_dict(),
                   environment=environment(), checkpoint=str(args.checkpoint),
                   data_source=experiment.data_source)
    if mismatch:
        metrics["data_source_trained_on"] = recorded
    write_json(out, metrics)
    print(f"step {experiment.trainer.step}{noise_scale_note(args.noise_scale)}: "
          f"{experiment.data.summary(metrics)}")
    if "draws" in metrics:
        print(draws_line(metrics["draws"]))
    print(f"wrote {out}")
    return 0
