# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 14 — The conditional GAN: asking for a digit
#
# **Goals.**
# 1. See a conditional GAN (Mirza & Osindero 2014) as a plain GAN on *pairs* (x, y), so that
#    its optimal discriminator and its value function are the 2014 ones on the joint p(x, y).
# 2. Build their MNIST networks, train them, and draw the digit you ask for.
# 3. Measure how often G draws the digit it was asked for, digit by digit.
#
# **Prerequisites.** Lesson 3 ($D^*$), lesson 8 (the MNIST GAN).
#
# **Time to run.** full: about 15 min; fast (`TINYGAN_FAST=1`): about 10 s.
# (Full mode trains on full MNIST when it is there, `tinygan data fetch mnist`, else on
# the 5,000-digit sample.)
#
# **The idea.** Give both players the label: G(z, y) draws an image *for* class y, and
# D(x, y) judges whether x is a real image *of class y*. The value function is
# $V(D, G) = \mathbb{E}_{(x,y)\sim p_{data}}[\log D(x,y)] + \mathbb{E}_{z, y}[\log(1-D(G(z,y),y))]$:
# the 2014 game played on pairs. So everything from lesson 3 carries over with x replaced
# by (x, y): $D^*(x,y) = p_{data}(x,y) / (p_{data}(x,y) + p_g(x,y))$, and at the optimum
# $p_g(x, y) = p_{data}(x, y)$, i.e. $p_g(x \mid y) = p_{data}(x \mid y)$ for every label
# (G draws y as the data does). tinygan takes this literally: a row of a cGAN batch is an
# image's 784 pixels followed by its label's one-hot code, and the trainer, the losses and
# the checkpoints are those of every other GAN.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygan as tg
from tinygan import course, gan, metrics

# %% [markdown]
# ## 1. Pairs
# **Exercise (in the code).** Build `rows`, the pair rows of three images with labels
# 3, 0, 9: each row is the 784 pixels, then ten numbers that are 0 except a 1 at the label.

# %%
images = np.random.default_rng(0).random((3, 784)).astype(np.float32)
labels = np.array([3, 0, 9])
### BEGIN SOLUTION
rows = np.concatenate([images, np.eye(10, dtype=np.float32)[labels]], axis=1)
### END SOLUTION

# %% check="pairs" points=2
assert rows.shape == (3, 794)
assert np.array_equal(rows, tg.backend.to_numpy(gan.conditional.pairs(images, labels)))
back, read = gan.conditional.images_and_labels(rows)
assert np.array_equal(read, labels)

# %% [markdown]
# ## 2. Mirza & Osindero's networks
# G maps z (100, uniform) to 200 ReLU units and the label to 1,000, joins them into 1,200
# ReLU units and outputs 784 sigmoid pixels. D maps the image to a maxout layer (240 units
# of 5 pieces) and the label to another (50 × 5), joins them into maxout 240 × 4 and
# outputs one logit. Both use dropout; SGD with momentum, lr 0.1 decayed by 1.00004 per step,
# trained as the 2014 code trained its GAN (D and G updated together from one pass of D,
# D's objective halved, z uniform on [−√3, √3]: lesson 8 and `--paper`).

# %%
steps = course.choose(10000, 30)
dataset = "mnist" if tg.data.full_mnist_available() and not course.fast() else "mnist-5k"
experiment = gan.build(dataset, model="cgan", steps=steps, seed=0)
trainer, mnist = experiment.trainer, experiment.mnist
print(f"data set {dataset!r}:", mnist)
print(trainer.generator)
print(trainer.discriminator)
trainer.fit()
print(f"{steps} iterations in {trainer.elapsed:.0f} s")

# %% [markdown]
# ## 3. Ask for a digit
# `trainer.sample(n, label=d)` (and `tinygan sample --label d` for a trained run) draws
# pair rows whose label is d; one row per digit shows whether G listens.

# %%
figure, panels = plt.subplots(10, 1, figsize=(8, 8))
for digit, axes in enumerate(panels):
    drawn, _ = gan.conditional.images_and_labels(trainer.sample(10, seed=digit, label=digit))
    axes.imshow(np.concatenate([image.reshape(28, 28) for image in drawn], axis=1),
                cmap="gray_r", vmin=0, vmax=1)
    axes.set_axis_off()
    axes.set_title(f"asked for {digit}", fontsize=7, loc="left")
figure.tight_layout()
course.show(figure, "14_one_row_per_digit")

# %% [markdown]
# ## 4. How often does G draw the digit it was asked for?
# A classifier trained on real digits reads each sample; a digit's *conditional accuracy*
# is the share of its samples read as that digit. (`tinygan train --model cgan` reports it
# with tinygan's judging classifier, 99% accurate on the test set; here a quicker one.)
#
# **Exercise (in the code).** From `read` (the classifier's digit for each sample) and
# `asked` (the label each was drawn for), compute `accuracy`, a length-10 array.

# %%
per_digit = course.choose(200, 50)
asked = np.repeat(np.arange(10), per_digit)
drawn = np.concatenate([gan.conditional.images_and_labels(
    trainer.sample(per_digit, seed=100 + d, label=d))[0] for d in range(10)])
classifier = metrics.train_digit_classifier(mnist.train, mnist.train_labels,
                                            epochs=course.choose(15, 1))
read = tg.backend.to_numpy(metrics.predict(classifier, drawn))
### BEGIN SOLUTION
accuracy = np.array([(read[asked == d] == d).mean() for d in range(10)])
### END SOLUTION

# %% check="accuracy" points=2
assert accuracy.shape == (10,) and np.all((0 <= accuracy) & (accuracy <= 1))
assert np.isclose(accuracy.mean(), (read == asked).mean())    # equal counts per digit
for digit in range(10):
    print(f"digit {digit}: {100 * accuracy[digit]:5.1f}% read as {digit}")

# %% [markdown]
# On full MNIST (seed 0, tinygan's judging classifier) G ignores the label for the first
# few thousand steps, then learns it: mean conditional accuracy 10% at step 4,000, 78% at
# 8,000, 92% at 10,000 (the README has the full run). After the 30 steps of fast mode the
# samples are still blobs and the table is near chance (10%).
#
# ## Exercises
# 1. Train with `tinygan train --dataset mnist --model cgan` and draw
#    `tinygan sample --checkpoint RUN/checkpoint.npz --label 7 --out sevens.png`.
# 2. Fix z and vary y: with `trainer.generator(z, y)` draw the ten digits for one z. Does
#    the style (slant, thickness) stay while the class changes?
# 3. Train D without its label branch (replace the label by zeros): what does G's
#    conditional accuracy become, and why does the value function no longer care about y?

# %% [markdown]
# ## Read next
# Mirza & Osindero 2014, "Conditional generative adversarial nets" (section 4.1: the MNIST
# networks and their Parzen log-likelihood, 132 ± 1.8); Odena, Olah & Shlens 2017,
# "Conditional image synthesis with auxiliary classifier GANs" (a classifier inside D).
