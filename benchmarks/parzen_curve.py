"""Table 1's number against training iterations: draw the Parzen curves that
``tinygan train --parzen-every N`` recorded (``parzen_curve.json`` in each run folder)
into one figure, with the paper's 225 ± 2 and the real-data ceiling.

    python benchmarks/parzen_curve.py runs/paper-seed0 runs/paper-seed1 \\
        --out docs/parzen_curve_paper.png

Each run's label says its seed and, where ``evaluation.json`` (``tinygan evaluate``) or
``metrics.json`` (the end of ``train``) exists, the final measurement (10,000 samples, σ on
1,000 validation images, 10,000 test images) and the training time.
"""
import argparse
import json
from pathlib import Path

from tinygan import plots


def curves(folders):
    """{label: points} for each run folder, and the ceiling measured in any of them."""
    result, ceiling = {}, None
    for folder in folders:
        points = json.loads((folder / "parzen_curve.json").read_text())["points"]
        config = json.loads((folder / "config.json").read_text())
        label = f"seed {config['seed']}" + (f", EMA of G ({config['ema']:g})" if config.get("ema") else "")
        final = next((folder / name for name in ("evaluation.json", "metrics.json")
                      if (folder / name).exists()), None)
        if final is not None:
            m = json.loads(final.read_text())
            p = m["parzen"]
            ceiling = p.get("ceiling_log_likelihood", ceiling)
            steps = m.get("steps", m.get("step"))
            label += f": {p['log_likelihood']:.1f} ± {p['standard_error']:.1f} at {steps:,} iterations"
            if points and points[-1]["step"] == steps:
                label += f", {points[-1]['training_seconds'] / 60:.0f} min of training"
        result[label] = points
    return result, ceiling


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders with parzen_curve.json")
    parser.add_argument("--out", type=Path, default=Path("docs/parzen_curve_paper.png"))
    args = parser.parse_args(argv)
    found, ceiling = curves(args.runs)
    plots.parzen_curve_figure(found, args.out, ceiling=ceiling)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
