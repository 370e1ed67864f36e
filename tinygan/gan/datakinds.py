"""One object per kind of data a GAN trains on. Each owns what depends on the data: the
models that fit it, the sampler that feeds Algorithm 1, the evaluation protocol, the
one-line summary and the samples figure. ``Trainer`` and the command line are the same
for every kind; a new kind of data is one new class here.

- :class:`ToyData`: the 1-D and 2-D mixtures (``ring``, ``grid``, ``gaussian1d``,
  ``mixture1d``), with known densities;
- :class:`ImageData`: MNIST, 784 pixels in [0, 1].
"""
from tinygan import backend
from tinygan.data import MNIST_DATASETS, DataError, load_mnist_dataset, make_toy
from tinygan.data.loader import DistributionSampler, EpochSampler
from tinygan.gan.conditional import (ConditionalDiscriminator, ConditionalGenerator, PairSampler,
                                     images_and_labels)
from tinygan.gan.config import ConfigError
from tinygan.gan.dcgan import dcgan_discriminator, dcgan_generator
from tinygan.gan.models import mlp_generator, paper_mnist_discriminator, paper_mnist_generator
from tinygan.gan.stabilisers import stabilised_discriminator
from tinygan.metrics import mode_coverage
from tinygan.theory import histogram_jsd

__all__ = ["ToyData", "ImageData", "data_kind", "IMAGE_DATASETS"]

JUDGE_MIN_IMAGES = 1000      # the judging classifier trains on at least this many images
IMAGE_DATASETS = MNIST_DATASETS      # full MNIST ("mnist") and the embedded "mnist-5k"


def toy_discriminator(config, dim, real_samples):
    """The MLP discriminator of ``config`` with its stabilisers (minibatch discrimination,
    reference or virtual batch norm); ``real_samples(n)`` gives the reference batch."""
    reference = real_samples(config.reference_batch) if config.d_batch_norm != "none" else None
    return stabilised_discriminator(dim, config.d_hidden, config.d_depth, pack=config.pack,
                                    minibatch_kernels=config.minibatch_kernels,
                                    minibatch_kernel_dim=config.minibatch_kernel_dim,
                                    batch_norm=config.d_batch_norm, reference=reference)


class ToyData:
    """A toy mixture with a known density (``self.distribution``)."""

    def __init__(self, name, data_dir=None):
        if data_dir is not None:
            raise DataError(f"--data-dir holds full MNIST files; {name} is generated, not "
                            f"read from a folder")
        self.name, self.distribution = name, make_toy(name)

    def provenance(self):
        return self.distribution.provenance()

    def models(self, config):
        dim = self.distribution.dim
        return (mlp_generator(config.noise_dim, dim, config.g_hidden, config.g_depth,
                              noise=config.noise),
                toy_discriminator(config, dim, self.distribution.sample))

    def sampler(self, config):
        """Fresh draws every step (from the step's seeded stream)."""
        return DistributionSampler(self.distribution, config.batch_size)

    def evaluate(self, samples, seed):
        """2-D: modes captured, high-quality share, per-mode shares and JSD (VEEGAN's
        protocol); 1-D: the JSD between generated and real samples from shared histograms,
        with the means and standard deviations. The real samples either JSD compares with
        come from the run's evaluation stream, so the same samples and seed give the same
        numbers whatever ran before."""
        backend.manual_seed(backend.stream_seed(seed, "evaluation"))
        if self.distribution.dim == 2:
            return mode_coverage(samples, self.distribution)
        real = backend.to_numpy(self.distribution.sample(len(samples), dtype="float64"))
        return {"jsd": histogram_jsd(samples, real, bins=100),
                "sample_mean": float(samples.mean()), "sample_std": float(samples.std()),
                "data_mean": float(real.mean()), "data_std": float(real.std())}

    def measures(self, metrics):
        """The numbers of ``metrics`` that a repeated draw of samples moves (for
        ``evaluate(..., draws=N)``)."""
        names = (("modes_captured", "high_quality", "min_mode_share_of_all", "jsd")
                 if "modes" in metrics else ("jsd", "sample_mean", "sample_std"))
        return {name: float(metrics[name]) for name in names}

    def summary(self, metrics):
        if "modes" in metrics:
            return (f"modes captured {metrics['modes_captured']}/{metrics['modes']}, "
                    f"high-quality samples {100 * metrics['high_quality']:.1f}%, smallest "
                    f"mode share {100 * metrics['min_mode_share_of_all']:.1f}% of all samples "
                    f"(ideal {100 / metrics['modes']:.1f}%), JSD {metrics['jsd']:.3f} nats")
        return (f"JSD to the data {metrics['jsd']:.3f} nats; sample mean "
                f"{metrics['sample_mean']:.3f} (data {metrics['data_mean']:.3f}), std "
                f"{metrics['sample_std']:.3f} (data {metrics['data_std']:.3f})")

    def samples_figure(self, samples, path):
        """The samples over the data's density (a histogram in 1-D); for 2-D mixtures each
        mode's share of all samples as bars against the ideal."""
        from tinygan import plots            # matplotlib only when a figure is drawn
        shares = (mode_coverage(samples, self.distribution)["mode_shares_of_all"]
                  if self.distribution.dim == 2 else None)
        return plots.samples_figure(samples, self.distribution, path,
                                    title=f"{self.name}: generated samples", mode_shares=shares)


class ImageData:
    """MNIST (``self.mnist``: train / valid / test images and labels): ``mnist`` is the
    full set (fetched, or IDX files in ``data_dir``), ``mnist-5k`` the embedded sample.
    Neither falls back to the other."""

    def __init__(self, name, data_dir=None):
        if name != "mnist" and data_dir is not None:
            raise DataError(f"--data-dir holds full MNIST files; {name} is the embedded "
                            f"sample, not read from a folder (full MNIST is --dataset mnist)")
        self.name, self.mnist = name, load_mnist_dataset(name, data_dir)

    def provenance(self):
        return self.mnist.provenance()

    def models(self, config):
        mnist = self.mnist
        if config.batch_size > len(mnist.train):
            raise ConfigError(f"batch size {config.batch_size} is larger than the "
                              f"{len(mnist.train)} training images of {mnist.source}")
        if config.model == "cgan":
            return (ConditionalGenerator(config.noise_dim, config.noise,
                                         pixel_means=mnist.train.mean(axis=0),
                                         noise_range=config.noise_range),
                    ConditionalDiscriminator())
        if config.model == "dcgan":
            return (dcgan_generator(config.noise_dim, config.g_hidden, noise=config.noise,
                                    fc=config.dcgan_fc),
                    dcgan_discriminator(config.d_hidden, fc=config.dcgan_fc,
                                        spectral_norm=config.spectral_norm))
        if config.model == "mnist_2014":
            return (paper_mnist_generator(config.noise_dim, pixel_means=mnist.train.mean(axis=0),
                                          noise=config.noise, noise_range=config.noise_range,
                                          marginal_clip=config.marginal_clip),
                    paper_mnist_discriminator(pack=config.pack))
        generator = mlp_generator(config.noise_dim, 784, config.g_hidden, config.g_depth,
                                  noise=config.noise, output="sigmoid")
        return generator, toy_discriminator(config, 784, lambda n: mnist.train[:n])

    def sampler(self, config):
        """A fresh shuffle of the training images every epoch (the run's "data" stream);
        for the conditional GAN the images with their one-hot labels."""
        if config.model == "cgan":
            return PairSampler(self.mnist.train, self.mnist.train_labels, config.batch_size,
                               seed=config.seed)
        return EpochSampler(self.mnist.train, config.batch_size, seed=config.seed)

    def evaluate(self, samples, seed=None, progress=False):
        """The paper's Parzen protocol (σ from 1,000 validation images, the test mean ±
        standard error, 10,000 training images as the ceiling) and the measures a reader
        trusts, judged by the cached tinygan MNIST classifier (trained and cached first if
        absent; the same judge as ``tinygan evaluate``): class shares, classifier score,
        Fréchet distance, confident share and memorisation, each beside the real test
        images' value. ``classes_covered``: digits with ≥ 5% of the samples. The classifier
        is cached in tinygan's data folder, never in a folder of the user's IDX files.
        For a conditional GAN's pairs also each digit's conditional accuracy
        (``conditional``). (``seed`` is unused: the protocol and the judge are deterministic.)"""
        from tinygan.metrics.parzen_protocol import paper_parzen
        from tinygan.metrics.quality import SHARE_RANGE, evaluate_mnist_samples
        samples, labels = images_and_labels(samples)
        result = {"parzen": paper_parzen(samples, self.mnist)}
        if labels is not None:
            result["conditional"] = self.conditional_accuracy(samples, labels, progress)
        if self.judge_missing():
            result["quality_skipped"] = self.judge_missing()
            return result
        result.update(evaluate_mnist_samples(samples, self.mnist, progress=progress, parzen=False))
        shares = result["quality"]["class_shares"]
        result["classes_covered"] = sum(share >= SHARE_RANGE[0] for share in shares)
        return result

    def measures(self, metrics):
        """The numbers of ``metrics`` that a repeated draw of samples moves (for
        ``evaluate(..., draws=N)``): the Parzen estimate, the judge's measures and the
        conditional accuracy where they were made."""
        found = {"parzen_log_likelihood": metrics["parzen"]["log_likelihood"]}
        if "quality" in metrics:
            q = metrics["quality"]
            found.update({name: q[name] for name in (
                "classifier_score", "confident_share", "frechet_distance", "classes_in_range",
                "nearest_train_distance")})
        if "per_digit" in metrics.get("conditional", {}):
            found.update(conditional_worst=metrics["conditional"]["worst"],
                         conditional_mean=metrics["conditional"]["mean"])
        return {name: float(value) for name, value in found.items()}

    def summary(self, metrics):
        p = metrics["parzen"]
        line = (f"Parzen log-likelihood {p['log_likelihood']:.1f} ± {p['standard_error']:.1f} "
                f"(σ = {p['sigma']:.3f}; real-data ceiling {p['ceiling_log_likelihood']:.1f})")
        if "classes_covered" in metrics:
            line += f"; digit classes with ≥5% of samples: {metrics['classes_covered']}/10"
        conditional = metrics.get("conditional", {})
        if "per_digit" in conditional:
            worst = min(conditional["per_digit"], key=conditional["per_digit"].get)
            line += (f"\nconditional accuracy (the judge reads the digit asked for): worst "
                     f"{100 * conditional['worst']:.1f}% (digit {worst}), mean "
                     f"{100 * conditional['mean']:.1f}%")
        elif "skipped" in conditional:
            line += f"\nconditional accuracy skipped: {conditional['skipped']}"
        if "quality_skipped" in metrics:
            line += f"\nclassifier measures skipped: {metrics['quality_skipped']}"
        if "quality" in metrics:
            q, real = metrics["quality"], metrics["quality"]["real_test"]

            def spread(measures):
                return "{within:.1f} / {between:.1f}".format(**measures["class_spread"])
            line += (f"\nclassifier score {q['classifier_score']:.2f} (real test images "
                     f"{real['classifier_score']:.2f}); confident samples "
                     f"{100 * q['confident_share']:.1f}% ({100 * real['confident_share']:.1f}%); "
                     f"Fréchet distance {q['frechet_distance']:.2f} "
                     f"({real['frechet_distance']:.2f}); feature spread within / between "
                     f"classes {spread(q)} ({spread(real)}); classes within 5–15%: "
                     f"{q['classes_in_range']}/10; nearest training image "
                     f"{q['nearest_train_distance']:.2f}")
        return line

    def judge_missing(self):
        """Why the judging classifier cannot be trained on this data set, or None."""
        if len(self.mnist.train) < JUDGE_MIN_IMAGES:
            return (f"{len(self.mnist.train)} training images are too few to train the judging "
                    f"classifier (it needs {JUDGE_MIN_IMAGES})")
        return None

    def conditional_accuracy(self, images, labels, progress=True):
        """Each digit's conditional accuracy: the share of images drawn for label d that the
        judging classifier (cached, as ``judged``) reads as d; ``{"per_digit": {d: share},
        "worst": min, "mean": mean}``, or ``{"skipped": why}`` on too small a data set."""
        from tinygan.metrics.classifier import classifier_outputs, load_or_train_classifier
        if self.judge_missing():
            return {"skipped": self.judge_missing()}
        classifier, _ = load_or_train_classifier(self.mnist, progress=progress)
        _, probabilities = classifier_outputs(classifier, images)
        read = probabilities.argmax(axis=1)
        labels = backend.to_numpy(labels)
        per_digit = {str(d): float((read[labels == d] == d).mean())
                     for d in range(10) if (labels == d).any()}
        return {"per_digit": per_digit, "worst": min(per_digit.values()),
                "mean": float(backend.host.mean(list(per_digit.values())))}

    def samples_figure(self, samples, path):
        """A grid of digits; a conditional GAN's in rows of one label each (0 to 9)."""
        from tinygan import plots
        images, labels = images_and_labels(backend.to_numpy(samples))
        if labels is None or len(set(labels.tolist())) == 1:
            return plots.image_grid_figure(images, path)
        rows = [images[labels == d][:10] for d in range(10)]
        grid = backend.host.zeros((100, images.shape[1]), dtype=images.dtype)
        for d, row in enumerate(rows):
            grid[10 * d:10 * d + len(row)] = row
        return plots.image_grid_figure(grid, path, title="generated digits, one row per label")


def data_kind(name, data_dir=None):
    """The data object for data set ``name``."""
    return (ImageData if name in IMAGE_DATASETS else ToyData)(name, data_dir)
