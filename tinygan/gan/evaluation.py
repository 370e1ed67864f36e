"""Measure a trained GAN with the protocol that fits its data (each data kind in
``tinygan.gan.datakinds`` owns its protocol): VEEGAN's mode coverage for 2-D mixtures,
a histogram JSD for 1-D data, the paper's Parzen window and digit coverage for MNIST."""
import json
import time
from numbers import Integral

from tinygan.backend import host as numpy       # the draws' summary: host floats

__all__ = ["evaluate", "draws_problem", "draws_line", "ParzenCurve"]


MAX_DRAWS = 1000     # a spread needs a handful; 1,000 draws of 10,000 digits take half a day


def draws_problem(draws):
    """Why ``draws`` cannot be a number of sample draws (a sentence), or None when it can."""
    if (isinstance(draws, bool) or not isinstance(draws, Integral)
            or not 1 <= draws <= MAX_DRAWS):
        return f"the number of draws must be a whole number from 1 to {MAX_DRAWS:,}, got {draws!r}"
    return None


def evaluate(experiment, samples=None, *, noise_scale=1.0, draws=1):
    """A dict of metrics for ``experiment`` (from ``gan.build``); ``samples`` default to
    ``config.eval_samples`` fresh samples of the (EMA) generator, drawn with ``noise_scale``
    (``Generator.sample_noise``). Seeded by the run's seed.

    With ``draws`` = N > 1 the samples are drawn N times (draw 0 is the single draw above,
    draw i the run's sampling stream split by i, ``Trainer.sample``); the result is draw 0's
    metrics, and under ``"draws"`` each draw's headline measures (the data kind's
    ``measures``) with their mean, standard deviation (N − 1 in the denominator), min and
    max. One draw's number moves with the draw (for 10,000 MNIST samples the Fréchet
    distance by 0.1–0.2), so a comparison of two runs needs that spread beside it."""
    config, trainer = experiment.config, experiment.trainer
    problem = draws_problem(draws)
    if problem:
        raise ValueError(problem)
    if samples is not None and (noise_scale != 1 or draws != 1):
        raise ValueError("evaluate takes samples or how to draw them (noise_scale, draws), "
                         "not both")
    started = time.perf_counter()
    per_draw = []
    for draw in range(draws):
        drawn = samples if samples is not None else trainer.sample(
            config.eval_samples, noise_scale=noise_scale, draw=draw)
        per_draw.append(experiment.data.evaluate(drawn, config.seed))
    result = per_draw[0]
    if draws > 1:
        measured = [experiment.data.measures(metrics) for metrics in per_draw]
        result["draws"] = {"count": draws, "samples_each": config.eval_samples,
                           "per_draw": measured, "summary": spread(measured)}
    result["evaluation_seconds"] = time.perf_counter() - started
    return result


def spread(rows):
    """For two or more dicts of numbers with the same keys: each key's mean, standard
    deviation (N − 1 in the denominator), min and max, in float64 (a NaN in a column
    makes each of its four NaN)."""
    columns = {name: numpy.array([row[name] for row in rows], dtype=numpy.float64)
               for name in rows[0]}
    return {name: {"mean": float(values.mean()), "sd": float(values.std(ddof=1)),
                   "min": float(values.min()), "max": float(values.max())}
            for name, values in columns.items()}


def draws_line(draws):
    """One line for ``evaluate``'s ``"draws"``: each measure's mean ± sd (min–max)."""
    parts = [f"{name.replace('_', ' ')} {s['mean']:.4g} ± {s['sd']:.2g} "
             f"({s['min']:.4g}–{s['max']:.4g})" for name, s in draws["summary"].items()]
    return (f"over {draws['count']} draws of {draws['samples_each']} samples, mean ± sd "
            f"(min–max): " + "; ".join(parts))


class ParzenCurve:
    """A trainer callback: every ``every`` steps, the paper's Parzen protocol on MNIST
    (10,000 samples of the sampling generator; σ from the paper's grid by 1,000 validation
    images; mean log-likelihood of the 10,000 test images ± standard error; no ceiling)
    appended to ``points``, and written to ``path`` (JSON, then ``figure`` if given) after
    each one. Samples are drawn with a fixed seed of their own; the training streams are
    reseeded at every step, so the curve does not change the run. Points from a resumed
    run's earlier part are kept up to the step it resumed from."""

    SEED_OFFSET = 1_000_003          # the curve's samples: not the final evaluation's draw

    def __init__(self, experiment, every, path=None, figure=None, label=None):
        if every < 1:
            raise ValueError(f"a Parzen curve needs every ≥ 1 steps, got {every}")
        if experiment.mnist is None:
            raise ValueError("the Parzen curve is measured on MNIST")
        self.experiment, self.every, self.path, self.figure = experiment, every, path, figure
        self.label = label or f"seed {experiment.config.seed}"
        step = experiment.trainer.step
        self.points = []
        if path is not None and path.exists():
            self.points = [p for p in json.loads(path.read_text())["points"] if p["step"] <= step]

    def __call__(self, trainer):
        if trainer.step % self.every:
            return
        from tinygan.metrics.parzen_protocol import PAPER_SAMPLES, paper_parzen
        started = time.perf_counter()
        seed = (trainer.config.seed + self.SEED_OFFSET) % 2 ** 63
        result = paper_parzen(trainer.sample(PAPER_SAMPLES, seed=seed), self.experiment.mnist,
                              ceiling_images=0)
        self.points.append(dict(step=trainer.step, training_seconds=trainer.elapsed,
                                log_likelihood=result["log_likelihood"],
                                standard_error=result["standard_error"], sigma=result["sigma"],
                                evaluation_seconds=time.perf_counter() - started))
        self.save()

    def save(self):
        if self.path is None:
            return
        from tinygan.checkpoint import atomic_write
        text = json.dumps({"label": self.label, "points": self.points}, indent=2) + "\n"
        atomic_write(self.path, lambda stream: stream.write(text.encode("utf-8")))
        if self.figure is not None:
            try:
                from tinygan import plots
                plots.parzen_curve_figure({self.label: self.points}, self.figure)
            except ImportError:
                pass                        # no matplotlib: the JSON is the record
