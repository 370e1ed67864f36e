"""Measure a trained GAN with the protocol that fits its data (each data kind in
``tinygan.gan.datakinds`` owns its protocol): VEEGAN's mode coverage for 2-D mixtures,
a histogram JSD for 1-D data, the paper's Parzen window and digit coverage for MNIST."""
import json
import time

__all__ = ["evaluate", "ParzenCurve"]


def evaluate(experiment, samples=None, *, noise_scale=1.0):
    """A dict of metrics for ``experiment`` (from ``gan.build``); ``samples`` default to
    ``config.eval_samples`` fresh samples of the (EMA) generator, drawn with ``noise_scale``
    (``Generator.sample_noise``). Seeded by the run's seed."""
    config, trainer = experiment.config, experiment.trainer
    if samples is not None and noise_scale != 1:
        raise ValueError("evaluate takes samples or a noise_scale to draw them with, not both")
    started = time.perf_counter()
    if samples is None:
        samples = trainer.sample(config.eval_samples, noise_scale=noise_scale)
    result = experiment.data.evaluate(samples, config.seed)
    result["evaluation_seconds"] = time.perf_counter() - started
    return result


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
