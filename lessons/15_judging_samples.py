# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 15 — Judging samples: what each measure sees, and what it misses
#
# **Goals.**
# 1. Compute the classifier score (the Inception score, with a digit classifier as the
#    judge) by hand, and read it as variety minus uncertainty.
# 2. Check the Fréchet distance's formula in one dimension, and see how it depends on the
#    number of samples, so that distances are only compared at equal counts.
# 3. Fool each measure with "generators" made of real digits — one digit only, half the
#    digits, blur, noise, copies of the training set, caricatures — and see which measure
#    catches which failure: no single one catches them all.
#
# **Prerequisites.** Lesson 2 (a classifier on digits), lesson 8 (nearest neighbours, the
# Parzen estimate and its flaws).
#
# **Time to run.** full: about 12 s; fast (`TINYGAN_FAST=1`): about 8 s.
#
# **The idea.** A GAN has no likelihood to report, so its samples are judged by a network
# trained on real data: a classifier says how sure it is of each sample's class, and its
# last hidden layer gives features whose statistics are compared with real digits'. Every
# number `tinygan evaluate` prints comes from `tinygan.metrics.quality`; here the same
# functions judge sets whose faults we built in, so we know the right answer.

# %%
import numpy as np
import matplotlib.pyplot as plt

from tinygan import course, data
from tinygan.metrics import classifier, frechet, quality

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. A judge
# On full MNIST, `tinygan evaluate` judges with a classifier trained once on the 50,000
# training digits (512 hidden units, 98.96% on the test digits; real test digits score 9.70
# with it). Here a smaller one, with the same recipe and 128 hidden units, learns from the
# embedded sample's 4,000 training digits in seconds. It is a weaker judge: real digits
# score about 8 with it, not 9.7. Every number below is relative to its judge; the rows of
# section 4 are read against the real digits' row measured by the same judge.

# %%
mnist = data.load_embedded_mnist()
recipe = dict(classifier.RECIPE, hidden=128, epochs=course.choose(20, 8))
judge = classifier.train_classifier(mnist.train, mnist.train_labels, recipe)
test_accuracy = classifier.accuracy(judge, mnist.test, mnist.test_labels)
print(f"the judge reads {test_accuracy:.1%} of the 500 test digits correctly")
assert test_accuracy > 0.85

# %% [markdown]
# ## 2. The classifier score by hand
# For samples x with class probabilities p(y|x) from the judge, and p(y) = E_x p(y|x) their
# average, the score is
# $$\exp\Big(\mathbb{E}_x\, \mathrm{KL}\big(p(y|x)\,\|\,p(y)\big)\Big)
#   = \exp\Big(H\big(p(y)\big) - \mathbb{E}_x H\big(p(y|x)\big)\Big),$$
# the exponential of the mutual information between a sample and its judged class: the
# variety of classes (the entropy of their average, at most log 10) minus the judge's
# uncertainty about each sample. It runs from 1 (every sample gets the same p(y|x): one
# class, for instance) to 10 (every sample sure, the ten classes equally often).
#
# **Exercise (in the code).** From `p` (the test digits' class probabilities, one row per
# digit) compute `variety` = H(p(y)), `uncertainty` = E_x H(p(y|x)) (natural logarithms;
# take 0 · log 0 = 0) and `score` = exp(variety − uncertainty).

# %%
p = classifier.classifier_outputs(judge, mnist.test)[1]
### BEGIN SOLUTION
def entropy(q):
    return -np.sum(np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0), axis=-1)


variety = float(entropy(p.mean(axis=0)))
uncertainty = float(entropy(p).mean())
score = float(np.exp(variety - uncertainty))
### END SOLUTION
print(f"variety {variety:.3f} (log 10 = {np.log(10):.3f}), uncertainty {uncertainty:.3f}, "
      f"score {score:.2f}")

# %% check="classifier_score_by_hand" points=2
average = p.mean(axis=0)                       # every class has some probability: no 0 · log 0
assert abs(variety + np.sum(average * np.log(average))) < 1e-9
assert abs(uncertainty - (variety - np.log(quality.classifier_score(p)))) < 1e-9
assert abs(score - np.exp(variety - uncertainty)) < 1e-9 * score

# %% [markdown]
# ## 3. The Fréchet distance, and its dependence on the sample count
# Fit a Gaussian to the judge's features of the samples and another to those of the
# training digits; the distance between them is
# $$d^2 = \|\mu_1 - \mu_2\|^2 + \mathrm{Tr}\big(\Sigma_1 + \Sigma_2 - 2(\Sigma_1\Sigma_2)^{1/2}\big).$$
# (the squared Fréchet distance; FID reports d² under the name "distance", and so does
# tinygan). In one dimension it is $(\mu_1 - \mu_2)^2 + (\sigma_1 - \sigma_2)^2$:

# %%
one_dimension = frechet.frechet_distance(np.array([1.0]), np.array([[2.0 ** 2]]),
                                         np.array([3.0]), np.array([[3.0 ** 2]]))
print(f"N(1, 2²) to N(3, 3²): {one_dimension:.6f}; (1 − 3)² + (2 − 3)² = {(1 - 3) ** 2 + (2 - 3) ** 2}")
assert abs(one_dimension - 5.0) < 1e-9

# %% [markdown]
# The Gaussians are *estimated* from finite samples, and the estimate is biased: real digits
# the judge never saw (the validation and test splits), measured against the training
# digits, score a smaller distance the more of them there are. The reason: the sample mean
# of n feature rows misses the true mean by Tr Σ / n in squared length on average, and the
# sample covariance's errors inflate the trace term in the same way, so the distance grows
# by about c / n. Plotted against 1 / n the points lie near a line, and where it meets
# 1 / n = 0 is the distance an endless supply of these digits would score (Chong & Forsyth's
# extrapolation). A distance is a number about a sample count as much as about a generator:
# compare two only at the same count (`tinygan evaluate` draws 10,000 on full MNIST), and
# even then the c of one generator need not be another's.

# %%
reference = quality.real_reference(mnist, judge)   # the training digits' statistics, and more
training = reference["train_statistics"]


def distance(images):
    """The Fréchet distance from ``images``' features to the training digits'."""
    features = classifier.classifier_outputs(judge, images)[0]
    return frechet.frechet_distance(*frechet.gaussian_statistics(features), *training)


unseen = np.concatenate([mnist.valid, mnist.test])
counts = np.array([200, 300, 500, 1000])      # more rows than the judge's 128 features
by_count = np.array([distance(unseen[:n]) for n in counts])
slope, at_infinity = np.polyfit(1 / counts, by_count, 1)
for n, d in zip(counts, by_count):
    print(f"{n:5d} unseen real digits: Fréchet distance {d:.2f} (the line: {at_infinity + slope / n:.2f})")
print(f"extrapolated to endless digits: {at_infinity:.2f}")
assert all(a > b for a, b in zip(by_count, by_count[1:])) and by_count[0] > 3 * by_count[-1]
assert abs(at_infinity) < by_count[-1]        # most of even the 1,000-digit distance is bias

figure, axes = plt.subplots(figsize=(5, 3))
axes.plot(1 / counts, by_count, "o", label="measured")
axes.plot([0, 1 / counts[0]], [at_infinity, at_infinity + slope / counts[0]], "--", label="a line in 1/n")
axes.set_xlabel("1 / (real digits measured)")
axes.set_ylabel("Fréchet distance to the training digits")
axes.legend()
course.show(figure, "15_distance_by_count")

# %% [markdown]
# At a fixed count the distance still moves with the draw: other digits, another number.
# Four disjoint draws of 250 unseen digits measure the spread a single number hides. For a
# GAN, `tinygan evaluate --draws N` draws the samples N times and prints each measure's mean,
# standard deviation, min and max (on full MNIST, 10,000 samples of one DCGAN: a distance of
# 1.61 ± 0.08 over five draws, 1.53 to 1.72); two runs whose distances differ by less than
# that spread are not told apart by one draw each.

# %%
by_draw = np.array([distance(unseen[i * 250:(i + 1) * 250]) for i in range(4)])
print("four draws of 250 unseen digits: " + ", ".join(f"{d:.2f}" for d in by_draw)
      + f" (mean {by_draw.mean():.2f} ± {by_draw.std(ddof=1):.2f})")
assert np.ptp(by_draw) > 0.1 * by_draw.mean()        # draws differ by more than a tenth
assert by_draw.min() > by_count[-1]                  # and all sit on top of the bias

# %% [markdown]
# ## 4. Six ways to fail, built from real digits
# Each "generator" below is 500 real digits with one fault built in. `quality.sample_quality`
# measures each exactly as `tinygan evaluate` measures a GAN's samples: score, confident
# share (top probability ≥ 0.9), Fréchet distance to the training digits, how many classes
# hold 5–15% of the samples, the feature spread within and between the judged classes, and
# the mean distance from each sample to its nearest training digit.
#
# - **real**: the 500 test digits, the row every other is read against;
# - **one digit**: only ones (mode collapse);
# - **half the digits**: zeros to fours only;
# - **blurred**: the test digits under a 3 × 3 mean filter;
# - **noisy**: the test digits plus N(0, 0.25²) noise per pixel;
# - **copies**: 500 training digits, returned unchanged (memorisation);
# - **caricatures**: the 50 digits of each class the judge is surest of, from the 1,000
#   unseen ones — more distinctly their digit than digits usually are.

# %%
def blur(images, size=3):
    """Each pixel replaced by the mean of the size × size square around it (size odd)."""
    half = size // 2
    padded = np.pad(images.reshape(-1, 28, 28), ((0, 0), (half, half), (half, half)))
    squares = sum(padded[:, i:i + 28, j:j + 28] for i in range(size) for j in range(size))
    return (squares / size ** 2).reshape(-1, 784)


unseen_labels = np.concatenate([mnist.valid_labels, mnist.test_labels])
ones = unseen[unseen_labels == 1]
unseen_p = classifier.classifier_outputs(judge, unseen)[1]
by_class = [np.flatnonzero(unseen_p.argmax(axis=1) == c) for c in range(10)]
surest = rng.permutation(np.concatenate([rows[np.argsort(-unseen_p[rows].max(axis=1))][:50]
                                         for rows in by_class]))
fakes = {
    "real": mnist.test,
    "one digit": ones[rng.integers(0, len(ones), 500)],
    "half the digits": unseen[unseen_labels < 5][:500],
    "blurred": blur(mnist.test),
    "noisy": np.clip(mnist.test + rng.normal(0, 0.25, mnist.test.shape), 0, 1).astype(np.float32),
    "copies": mnist.train[:500],
    "caricatures": unseen[surest],
}
measured = {name: quality.sample_quality(images, mnist, judge, reference)
            for name, images in fakes.items()}
print(f"{'':>16} {'n':>4} {'score':>6} {'sure':>6} {'FD':>7} {'classes':>7} {'within':>7} "
      f"{'between':>7} {'nearest':>7}")
for name, q in measured.items():
    print(f"{name:>16} {q['samples']:4d} {q['classifier_score']:6.2f} {q['confident_share']:6.1%} "
          f"{q['frechet_distance']:7.2f} {q['classes_in_range']:5d}/10 "
          f"{q['class_spread']['within']:7.1f} {q['class_spread']['between']:7.1f} "
          f"{q['nearest_train_distance']:7.2f}")

figure, axes = plt.subplots(len(fakes), 1, figsize=(8, 1.2 * len(fakes)))
for axis, (name, images) in zip(axes, fakes.items()):
    strip = images[:12].reshape(12, 28, 28).transpose(1, 0, 2).reshape(28, 12 * 28)
    axis.imshow(strip, cmap="gray", vmin=0, vmax=1)
    axis.set_title(name, fontsize=9, loc="left")
    axis.axis("off")
course.show(figure, "15_six_ways_to_fail")

# %% [markdown]
# What to read in the table (each line is checked below):
# - **One digit** scores about 1 and **half the digits** about 5: the score counts the
#   classes it sees. For half the digits, five equal classes would give a variety of log 5;
#   the few digits the judge misreads as fives to nines (printed below) add a little, and
#   its uncertainty about each digit takes about as much away. The distance sees both
#   failures, and no class holds the 5–15% of a balanced set. The confident share alone is
#   fooled: ones are easy to be sure of.
# - **Blurred** digits keep nearly all of their score — the judge still reads the digit —
#   while the distance more than doubles: the features of a soft stroke are not those of a
#   sharp one. **Noise** ruins both.
# - **Copies** of the training set are as good as real digits by the score and, on
#   average, *better* by the distance (the training digits are what the distance compares
#   with; one draw of 500 can land either side, so the check below averages eight draws of
#   each). Only the nearest-neighbour check sees them: a distance of exactly 0. This is why
#   Goodfellow et al.'s Figure 2 shows each sample's nearest training image. A smaller mean
#   distance alone proves nothing — one digit and blur lower it too — only about 0 does.
# - **Caricatures** beat real digits on the score and the confident share, and lose on the
#   distance: the classes lie further apart than real digits' (the spread *between*
#   classes grows by half), and each class varies a little less (*within*). A GAN whose
#   prior has one component per digit does the first of these (docs/dcgan_experiments.md,
#   "Between the digits": 9.84 and 98.4% confident, above real test digits' 9.70 and
#   97.4%, with a distance 3.7 times the preset's). A score above the real data's is a
#   warning, not a record.

# %%
print(f"half the digits: {sum(measured['half the digits']['class_shares'][5:]):.1%} "
      f"judged as fives to nines")


def mean_distance(images, draws=8):
    """The Fréchet distance of 500 random rows of ``images``, averaged over ``draws`` draws."""
    return np.mean([distance(images[rng.choice(len(images), 500, replace=False)])
                    for _ in range(draws)])


copies_on_average, unseen_on_average = mean_distance(mnist.train), mean_distance(unseen)
print(f"Fréchet distance of 500 digits, the mean of 8 draws: copies {copies_on_average:.2f}, "
      f"unseen real digits {unseen_on_average:.2f}")

real = measured["real"]
assert measured["one digit"]["classifier_score"] < 1.3
assert 4.0 < measured["half the digits"]["classifier_score"] < 6.0
assert measured["one digit"]["confident_share"] > real["confident_share"]
assert measured["blurred"]["classifier_score"] > 0.85 * real["classifier_score"]
assert measured["blurred"]["frechet_distance"] > 1.5 * real["frechet_distance"]
assert measured["noisy"]["frechet_distance"] > 5 * real["frechet_distance"]
assert copies_on_average < unseen_on_average
assert measured["copies"]["nearest_train_distance"] == 0 < real["nearest_train_distance"]
assert abs(measured["copies"]["classifier_score"] - real["classifier_score"]) < 0.5
caricatures = measured["caricatures"]
assert caricatures["classifier_score"] > real["classifier_score"]
assert caricatures["confident_share"] > real["confident_share"]
assert caricatures["class_spread"]["between"] > 1.2 * real["class_spread"]["between"]
assert caricatures["frechet_distance"] > 2 * real["frechet_distance"]

# %% [markdown]
# ## 5. The parts of a spread
# The spread of the features splits exactly into the part inside each judged class and the
# part between the classes' means (the law of total variance, with population covariances):
# within + between = the trace of the features' covariance. `quality.class_spread` returns
# the two parts; check that they add up for the caricatures.

# %%
caricature_features, caricature_p = classifier.classifier_outputs(judge, fakes["caricatures"])
parts = quality.class_spread(caricature_features, caricature_p)
total = np.trace(np.cov(caricature_features, rowvar=False, bias=True))
print(f"within {parts['within']:.2f} + between {parts['between']:.2f} = "
      f"{parts['within'] + parts['between']:.2f}; trace of the covariance {total:.2f}")
assert abs(parts["within"] + parts["between"] - total) < 1e-9 * total

# %% [markdown]
# ## Exercises
# 1. Blur with `blur(images, size)` for sizes 5, 7 and 9. At what size does the score first
#    drop by more than 10%? By how much has the distance grown by then?
# 2. Build a generator that copies the training digits but shifts each by one pixel. Does
#    the nearest-neighbour check still catch it? Which measure does?
# 3. Measure "half the digits" and "real" at 250 samples instead of 500. Which of the
#    measures change with the count, and which do not?
# 4. Train lesson 11's DCGAN on the embedded sample (`experiment = gan.build("mnist-5k",
#    model="dcgan", steps=600)`, then `experiment.trainer.fit()`), draw 500 samples
#    (`experiment.trainer.sample(500)`, pixels in [0, 1]) and measure them with this
#    lesson's judge: `quality.sample_quality(samples, mnist, judge, reference)`. Place the
#    row in the table: which of the six failures does it resemble most? Train twice as long
#    and measure again.

# %% [markdown]
# ## Read next
# Goodfellow et al. 2014, "Generative adversarial nets" (Figure 2: samples beside their
# nearest training images); Salimans et al. 2016, "Improved techniques for training GANs"
# (the Inception score); Heusel et al. 2017, "GANs trained by a two time-scale update rule
# converge to a local Nash equilibrium" (the Fréchet Inception distance); Barratt & Sharma
# 2018, "A note on the Inception score"; Chong & Forsyth 2020, "Effectively unbiased FID
# and Inception score and where to find them" (the bias with the sample count); Theis, van
# den Oord & Bethge 2016, "A note on the evaluation of generative models" (why likelihood
# and sample quality disagree); Borji 2019, "Pros and cons of GAN evaluation measures".
