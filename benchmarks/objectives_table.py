"""Each objective and stabiliser on the ring and grid toys: modes, smallest mode share,
high-quality samples, JSD and time, per seed and as a mean — the table of issue 14.

    python benchmarks/objectives_table.py                       # 3 seeds, 5,000 steps
    python benchmarks/objectives_table.py --seeds 1 --steps 1500 --recipes non_saturating wgan_gp
    python benchmarks/objectives_table.py --markdown            # README-ready table
    python benchmarks/objectives_table.py --table benchmarks/results/objectives-T.json --markdown

Every run uses the same small training loop, written here from the public API only
(``tinygan.gan.mlp_generator`` / ``mlp_discriminator``, ``tinygan.optim``,
``tinygan.gan.objectives`` and ``stabilisers``, ``tinygan.metrics.mode_coverage``), so the
recipes differ only in what their row names. Protocol as in the reference sheet: 2,500
samples from G at the final step, HQ within 3σ, shares of all samples... of the HQ samples
as ``mode_coverage`` reports them. Writes benchmarks/results/objectives-<time>.json.
"""
import argparse
import datetime
import functools
import json
import os
import time
from pathlib import Path

import tinygan as tg
from tinygan import backend, optim
from tinygan.data.toy import make_toy
from tinygan.gan import ExponentialMovingAverage, mlp_discriminator, mlp_generator
from tinygan.gan import objectives as O
from tinygan.gan.stabilisers import stabilised_discriminator
from tinygan.metrics import mode_coverage
from tinygan.tensor import Tensor, no_grad

ADAM = dict(optimizer="adam", lr=1e-3, betas=(0.5, 0.999))       # the plain toy GAN (REFERENCE §2)
# Each recipe: loss, penalty (name, weight), critic steps k, optimizer, and stabilisers.
RECIPES = {
    "non_saturating": dict(loss="non_saturating", **ADAM),
    "minimax": dict(loss="minimax", **ADAM),
    "least_squares": dict(loss="least_squares", **ADAM),
    "hinge": dict(loss="hinge", **ADAM),
    # Arjovsky et al. 2017: RMSprop 5e-5, clip 0.01, n_critic 5 (tuned for images, slow here)
    "wgan_clip": dict(loss="wasserstein", optimizer="rmsprop", lr=5e-5, clip=0.01, k=5),
    # Gulrajani et al. 2017, their toy script: λ = 0.1, Adam 1e-4 β = (0.5, 0.9), n_critic 5
    "wgan_gp": dict(loss="wasserstein", penalty=("gp", 0.1), optimizer="adam", lr=1e-4,
                    betas=(0.5, 0.9), k=5),
    "wgan_gp_fast": dict(loss="wasserstein", penalty=("gp", 0.1), optimizer="adam", lr=1e-3,
                         betas=(0.5, 0.9), k=5),
    "non_saturating_r1": dict(loss="non_saturating", penalty=("r1", 1.0), **ADAM),
    "feature_matching": dict(loss="non_saturating", feature_matching=True, **ADAM),
    # B = 5 kernels of C = 3 dimensions: the n × n × B × C distances are the cost
    "minibatch_discrimination": dict(loss="non_saturating", minibatch=dict(kernels=5, kernel_dim=3),
                                     **ADAM),
    "virtual_batch_norm": dict(loss="non_saturating", virtual_batch_norm=True, **ADAM),
    "label_smoothing_0.2": dict(loss="non_saturating", real_target=0.8, **ADAM),
    "pacgan4": dict(loss="non_saturating", pack=4, **ADAM),
    "ema_0.99": dict(loss="non_saturating", ema=0.99, **ADAM),
}


def _optimizer(recipe, parameters):
    if recipe["optimizer"] == "rmsprop":
        return optim.RMSprop(parameters, lr=recipe["lr"])
    return optim.Adam(parameters, lr=recipe["lr"], betas=recipe["betas"])


def _discriminator(recipe, distribution, hidden, depth):
    return stabilised_discriminator(
        2, hidden, depth, pack=recipe.get("pack", 1),
        minibatch_kernels=recipe.get("minibatch", {}).get("kernels", 0),
        minibatch_kernel_dim=recipe.get("minibatch", {}).get("kernel_dim", 5),
        batch_norm="virtual" if recipe.get("virtual_batch_norm") else "none",
        reference=distribution.sample(64) if recipe.get("virtual_batch_norm") else None)


def train(recipe_name, dataset, seed, steps, batch_size=256, hidden=128, depth=2):
    """Train one recipe; return mode_coverage's metrics plus ``seconds`` of training."""
    recipe = RECIPES[recipe_name]
    distribution = make_toy(dataset)
    tg.manual_seed(backend.stream_seed(seed, "init"))
    G = mlp_generator(2, 2, hidden, depth)
    D = _discriminator(recipe, distribution, hidden, depth)
    d_optimizer, g_optimizer = _optimizer(recipe, D.parameters()), _optimizer(recipe, G.parameters())
    d_loss, g_loss = O.loss_pair(recipe["loss"])
    if "real_target" in recipe:
        d_loss = functools.partial(d_loss, real_target=recipe["real_target"])
    penalty, weight = recipe.get("penalty", ("none", 0.0))
    ema = ExponentialMovingAverage(G, recipe["ema"]) if recipe.get("ema") else None
    started = time.perf_counter()
    for t in range(steps):
        for j in range(recipe.get("k", 1)):
            tg.manual_seed(backend.stream_seed(seed, "discriminator", t, j))
            real = Tensor(distribution.sample(batch_size))
            with no_grad():
                fake = G.sample(batch_size)
            loss = d_loss(D(real), D(fake))             # two passes: minibatch features stay apart
            extra = O.penalty(penalty, D, real, fake, weight)
            loss = loss if extra is None else loss + extra
            d_optimizer.zero_grad()
            loss.backward()
            d_optimizer.step()
            if recipe.get("clip"):
                O.clip_weights_(D, recipe["clip"])
        tg.manual_seed(backend.stream_seed(seed, "generator", t))
        D.requires_grad_(False)
        fake = G.sample(batch_size)
        if recipe.get("feature_matching"):
            real = Tensor(distribution.sample(batch_size))
            loss = O.feature_matching_loss(O.discriminator_features(D, real),
                                           O.discriminator_features(D, fake))
        else:
            loss = g_loss(D(fake))
        g_optimizer.zero_grad()
        loss.backward()
        D.requires_grad_(True)
        g_optimizer.step()
        if ema is not None:
            ema.update(G)
    seconds = time.perf_counter() - started
    tg.manual_seed(backend.stream_seed(seed, "sampling"))
    with no_grad():
        samples = (ema.model if ema else G).sample(2500).data
    tg.manual_seed(backend.stream_seed(seed, "evaluation"))
    metrics = mode_coverage(samples, distribution)
    return dict(metrics, seconds=seconds)


def table(rows, markdown=False):
    """Per row: modes captured per seed, then the worst seed's smallest mode share (of all
    samples, as issue 14 defines it: HQ share × HQ fraction) and high-quality share, then
    means over seeds of HQ %, JSD and training time."""
    header = ["data", "recipe", "modes (per seed)", "smallest share (worst seed)",
              "HQ % (worst seed)", "HQ % (mean)", "JSD (mean)", "time s (mean)"]
    lines = []
    for row in rows:
        runs = row["runs"]
        modes = "/".join(str(r["modes_captured"]) for r in runs) + f" of {runs[0]['modes']}"
        mean = lambda key: sum(r[key] for r in runs) / len(runs)   # noqa: E731
        lines.append([row["dataset"], row["recipe"], modes,
                      f"{100 * min(r['min_mode_share'] * r['high_quality'] for r in runs):.1f}%",
                      f"{100 * min(r['high_quality'] for r in runs):.1f}",
                      f"{100 * mean('high_quality'):.1f}", f"{mean('jsd'):.3f}",
                      f"{mean('seconds'):.0f}"])
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(line) + " |" for line in lines]
    else:
        widths = [max(len(str(x)) for x in column) for column in zip(header, *lines)]
        out = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths)) for line in [header] + lines]
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["ring", "grid"], choices=["ring", "grid"])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5000, help="generator steps per run")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--table", type=Path, help="only print the table of a saved results file")
    args = parser.parse_args(argv)
    if args.table:
        print(table(json.loads(args.table.read_text())["rows"], args.markdown))
        return
    rows = []
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    for dataset in args.datasets:
        for recipe in args.recipes:
            runs = [dict(train(recipe, dataset, seed, args.steps, args.batch_size, args.hidden,
                               args.depth), load_average=os.getloadavg()[0])
                    for seed in range(args.seeds)]
            rows.append(dict(dataset=dataset, recipe=recipe, runs=runs))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
            # written after every row, so an interrupted run keeps what it measured
            (results / f"objectives-{stamp}.json").write_text(
                json.dumps(dict(vars(args), table=None, rows=rows), indent=1, default=str))
    print()
    print(table(rows, args.markdown))
    print(f"\n{args.seeds} seed(s), {args.steps} steps, batch {args.batch_size}, MLPs "
          f"{args.depth} × {args.hidden}; load average {os.getloadavg()[0]:.1f}; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")


if __name__ == "__main__":
    main()
