"""Sample quality on MNIST, judged by the tinygan classifier (``metrics.classifier``).

- class shares: the share of samples the classifier assigns to each digit (ideal 10%);
- classifier score (the Inception score with the MNIST classifier):
      exp( E_x KL( p(y|x) ‖ p(y) ) ),  p(y) = E_x p(y|x)
  from 1 (every sample given the same p(y|x): one class, say) to 10 (confident and
  balanced);
- confident share: samples whose most probable class has probability ≥ 0.9;
- the Fréchet distance between Gaussians fitted to the penultimate features of the
  samples and of the 50,000 training images;
- the class spread, which says where a distance comes from: the features' spread split
  by the classifier's classes c (shares w_c, class means μ_c, overall mean μ) into
      within  = Σ_c w_c · E[‖f − μ_c‖² | c]      (variety inside each digit)
      between = Σ_c w_c · ‖μ_c − μ‖²             (how far apart the digits lie)
  which add up to the trace of the features' covariance (the law of total variance, with
  population covariances). Samples more distinctly their digit than real digits are
  ("caricatures") show above all a larger ``between`` (lesson 15);
- the memorisation check: mean distance from samples to their nearest training image.

Each comes with its real-data reference beside it: the 10,000 test images measured the
same way. Their Fréchet distance (1.13 on full MNIST, as for the 10,000 validation images,
which G, the judge and the statistics never see) is what fresh real digits score, not a
lower bound: samples closer to the training images than fresh digits are can go below it
(the MLP preset's seed 0 after 60,000 iterations: 1.08; 10,000 of the training images
themselves: 0.73).
"""
from tinygan.backend import host as numpy
from tinygan.metrics.classifier import RECIPE, accuracy, classifier_outputs, load_or_train_classifier
from tinygan.metrics.digits import nearest_neighbours
from tinygan.metrics.frechet import frechet_distance, gaussian_statistics
from tinygan.metrics.parzen_protocol import paper_parzen

__all__ = ["classifier_score", "confident_share", "class_shares", "class_spread",
           "real_reference", "sample_quality", "evaluate_mnist_samples",
           "CONFIDENCE", "SHARE_RANGE", "MEMORISATION_ROWS"]

CONFIDENCE = 0.9               # a sample is "confident" at this top-class probability
SHARE_RANGE = (0.05, 0.15)     # a class is well covered with a share in this range
MEMORISATION_ROWS = 1_000      # samples and test images in the nearest-neighbour check


def classifier_score(probabilities):
    """exp(E_x KL(p(y|x) ‖ p(y))) of rows of class probabilities (0·log 0 = 0)."""
    p = numpy.asarray(probabilities, dtype=numpy.float64)
    marginal = p.mean(axis=0, keepdims=True)          # > 0 wherever some p > 0
    with numpy.errstate(divide="ignore", invalid="ignore"):
        terms = numpy.where(p > 0, p * (numpy.log(p) - numpy.log(marginal)), 0.0)
    return float(numpy.exp(terms.sum(axis=1).mean()))


def confident_share(probabilities, threshold=CONFIDENCE):
    """Share of rows whose largest class probability is at least ``threshold``."""
    return float((numpy.asarray(probabilities).max(axis=1) >= threshold).mean())


def class_shares(probabilities):
    """Share of rows assigned (by largest probability) to each of the classes."""
    p = numpy.asarray(probabilities)
    return numpy.bincount(p.argmax(axis=1), minlength=p.shape[1]) / p.shape[0]


def class_spread(features, probabilities):
    """``{"within": …, "between": …}``: the spread of feature rows inside and between the
    classes of their largest probability (the module docstring); they sum to the trace of
    the rows' population covariance."""
    f = numpy.asarray(features, dtype=numpy.float64)
    classes = numpy.asarray(probabilities).argmax(axis=1)
    counts = numpy.bincount(classes, minlength=numpy.shape(probabilities)[1])
    sums = numpy.zeros((len(counts), f.shape[1]))
    numpy.add.at(sums, classes, f)
    class_means = sums / numpy.maximum(counts, 1)[:, None]        # an empty class has no rows
    own_mean = class_means[classes]
    return {"within": float(((f - own_mean) ** 2).sum(axis=1).mean()),
            "between": float(((own_mean - f.mean(axis=0)) ** 2).sum(axis=1).mean())}


def _measures(features, probabilities, reference_statistics):
    shares = class_shares(probabilities)
    return {"class_shares": shares.tolist(),
            "class_spread": class_spread(features, probabilities),
            "classes_in_range": int(((shares >= SHARE_RANGE[0]) & (shares <= SHARE_RANGE[1])).sum()),
            "classifier_score": classifier_score(probabilities),
            "confident_share": confident_share(probabilities),
            "frechet_distance": frechet_distance(*gaussian_statistics(features),
                                                 *reference_statistics)}


def real_reference(mnist, classifier):
    """The training images' feature statistics and the test images' measures (computed
    once; pass the result to ``sample_quality`` for several sample sets)."""
    train_features, _ = classifier_outputs(classifier, mnist.train)
    statistics = gaussian_statistics(train_features)
    del train_features
    test = _measures(*classifier_outputs(classifier, mnist.test), statistics)
    _, test_distances = nearest_neighbours(mnist.test[:MEMORISATION_ROWS], mnist.train)
    test["nearest_train_distance"] = float(test_distances.mean())
    test["classifier_test_accuracy"] = accuracy(classifier, mnist.test, mnist.test_labels)
    return {"train_statistics": statistics, "test": test}


def sample_quality(samples, mnist, classifier, reference=None):
    """The measures of the module docstring for ``samples`` (rows of 784 pixels in
    [0, 1]), each with the real test images' value beside it under ``real_test``."""
    reference = reference or real_reference(mnist, classifier)
    result = _measures(*classifier_outputs(classifier, samples), reference["train_statistics"])
    _, distances = nearest_neighbours(samples[:MEMORISATION_ROWS], mnist.train)
    result.update(nearest_train_distance=float(distances.mean()), samples=int(len(samples)),
                  share_range=list(SHARE_RANGE), confidence=CONFIDENCE,
                  real_test=reference["test"])
    return result


def evaluate_mnist_samples(samples, mnist, data_dir=None, recipe=RECIPE, progress=True, log=print,
                           parzen=True):
    """Everything ``tinygan evaluate`` reports for MNIST samples (10,000 for the paper's
    protocol): ``quality`` (``sample_quality``), ``classifier`` (the judge's record; it is
    trained and cached first if absent) and, with ``parzen``, ``parzen`` (``paper_parzen``)."""
    classifier, record = load_or_train_classifier(mnist, data_dir, recipe, progress, log)
    result = {"quality": sample_quality(samples, mnist, classifier), "classifier": record}
    if parzen:
        result["parzen"] = paper_parzen(samples, mnist)
    return result
