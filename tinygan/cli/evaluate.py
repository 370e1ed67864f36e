"""``tinygan evaluate``: measure a checkpoint with its data set's protocol."""
from pathlib import Path

from tinygan.cli.common import CommandError, add_backend_option, select_backend
from tinygan.cli.runs import environment, experiment_from_checkpoint, summary, write_json
from tinygan.gan.evaluation import evaluate


def add_parser(verbs):
    parser = verbs.add_parser("evaluate", help="print and write the metrics of a checkpoint")
    parser.add_argument("--checkpoint", required=True, type=Path)
    parser.add_argument("--out", type=Path, help="metrics file (default: beside the checkpoint, "
                                                 "evaluation.json)")
    parser.add_argument("--data-dir", help="MNIST folder, as for train")
    add_backend_option(parser)
    parser.set_defaults(run=run)


def run(args):
    select_backend(args.backend)
    experiment = experiment_from_checkpoint(args.checkpoint, args.data_dir)
    metrics = evaluate(experiment)
    metrics.update(step=experiment.trainer.step, config=experiment.config.to_dict(),
                   environment=environment(), checkpoint=str(args.checkpoint))
    out = args.out or args.checkpoint.with_name("evaluation.json")
    if out.exists() and out.name == "metrics.json":
        raise CommandError(f"{out} belongs to the training run; choose another --out")
    write_json(out, metrics)
    print(f"step {experiment.trainer.step}: {summary(metrics)}")
    print(f"wrote {out}")
    return 0
