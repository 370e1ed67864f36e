# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 11 — Convolutions from scratch, the DCGAN, and the latent space
#
# **Goals.**
# 1. Write a convolution as im2col plus one matrix product, and check tinygan's `conv2d`
#    (and its gradients) against it.
# 2. Build the DCGAN of Radford et al. (2015) for 28×28 digits and take a few training steps.
# 3. See why interpolation in a Gaussian latent space should follow great circles (slerp):
#    the mass of N(0, I) in d dimensions sits near radius √d, and a straight line leaves it.
#
# **Prerequisites.** Lesson 1 (autograd, `gradcheck`), lesson 8 (the MNIST GAN).
#
# **Time to run.** full: about 2 min; fast (`TINYGAN_FAST=1`): about 4 s.
#
# **The idea.** A convolution slides one small weight tensor over the image. Unfolding every
# kH × kW patch into a row ("im2col") turns it into a matrix product:
# $y[n, o, i, j] = \sum_{c, a, b} w[o, c, a, b]\; x[n, c, i s + a, j s + b] + \text{bias}[o]$.
# Its gradient with respect to x is a *transposed* convolution (the same weights, run
# backwards), which is also the DCGAN generator's upsampling layer.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygan as tg
from tinygan import course, gan, latent, nn

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. A convolution by hand
# **Exercise (in the code).** Compute `by_hand`, the stride-1, no-padding convolution of
# `x` (1 image, 2 channels, 5 × 5) with `w` (3 output channels, 2 input channels, 3 × 3):
# unfold each 3 × 3 × 2 patch into a row of a matrix, multiply by the weights reshaped to
# (3, 18), and reshape to (1, 3, 3, 3).

# %%
x = rng.normal(size=(1, 2, 5, 5))
w = rng.normal(size=(3, 2, 3, 3))
### BEGIN SOLUTION
patches = np.stack([x[0, :, i:i + 3, j:j + 3].ravel() for i in range(3) for j in range(3)])
by_hand = (patches @ w.reshape(3, -1).T).T.reshape(1, 3, 3, 3)
### END SOLUTION

# %% check="conv_by_hand" points=2
library = nn.functional.conv2d(tg.tensor(x), tg.tensor(w)).numpy()
assert by_hand.shape == (1, 3, 3, 3)
assert np.max(np.abs(by_hand - library)) < 1e-12

# %% [markdown]
# tinygan's `conv2d` is an op of the op table: its gradients, and the gradients of its
# gradients, are checked against finite differences like every other op.

# %%
xs = tg.tensor(rng.normal(size=(2, 2, 6, 6)), requires_grad=True)
ws = tg.tensor(rng.normal(size=(3, 2, 3, 3)), requires_grad=True)
conv = lambda a, b: nn.functional.conv2d(a, b, stride=2, padding=1)   # noqa: E731
print(tg.gradcheck(conv, xs, ws))
assert tg.gradgradcheck(conv, xs, ws).passed

# %% [markdown]
# ## 2. The DCGAN on digits
# Radford et al.'s guidelines: strided convolutions instead of pooling, batch norm in G and
# D except G's output and D's input, ReLU in G with a tanh output, LeakyReLU 0.2 in D, Adam
# 2e-4 with β₁ = 0.5, weights N(0, 0.02). `--model dcgan` trains it from the command line
# (`tinygan train --dataset mnist --model dcgan`); here a few steps on the embedded sample.

# %%
experiment = gan.build("mnist-5k", model="dcgan", steps=course.choose(300, 4), seed=0,
                       log_every=1)
trainer = experiment.trainer
print(trainer.generator)
trainer.fit()
print("D loss over the steps:", np.round(trainer.history["d_loss"][:8], 3))
assert all(np.isfinite(trainer.history["d_loss"]))

# %% [markdown]
# ## 3. Where the Gaussian's mass is, and slerp
# For z ~ N(0, I) in d = 100 dimensions, ‖z‖ is within about ±0.7 of √d = 10: almost no
# sample lies near the origin. The midpoint of a straight line between two samples has norm
# about √(d/2) ≈ 7.1 — a point the generator has practically never seen. Spherical
# interpolation (slerp) keeps the norm.

# %%
d, pairs = 100, 2000
z0, z1 = rng.standard_normal((pairs, d)), rng.standard_normal((pairs, d))
radius, spread = latent.shell(d)
midpoint_lerp = np.linalg.norm(latent.lerp(z0, z1, 3)[:, 1], axis=1)
midpoint_slerp = np.linalg.norm(latent.slerp(z0, z1, 3)[:, 1], axis=1)
samples_norm = np.linalg.norm(z0, axis=1)
print(f"‖z‖ of samples {samples_norm.mean():.2f} ± {samples_norm.std():.2f} "
      f"(theory {radius:.2f} ± {spread:.2f}); midpoints: lerp {midpoint_lerp.mean():.2f}, "
      f"slerp {midpoint_slerp.mean():.2f}")
assert abs(samples_norm.mean() - radius) < 0.1 and abs(midpoint_lerp.mean() - radius / np.sqrt(2)) < 0.2
assert abs(midpoint_slerp.mean() - radius) < 0.2

figure, axes = plt.subplots(figsize=(6, 3.2))
axes.hist(samples_norm, bins=40, alpha=0.6, label="‖z‖, z ~ N(0, I)")
axes.hist(midpoint_lerp, bins=40, alpha=0.6, label="lerp midpoints")
axes.hist(midpoint_slerp, bins=40, alpha=0.6, label="slerp midpoints")
axes.set_xlabel("norm")
axes.legend()
course.show(figure, "11_latent_norms")

# %% [markdown]
# Interpolations of the generator trained above (a few steps in fast mode: blobs, not
# digits; `tinygan sample --interpolate 8 --slerp` draws them for a trained run):

# %%
tg.manual_seed(1)
figure = latent.interpolation_figure(trainer.sampling_generator(), rows=3, steps=8,
                                     spherical=True)
course.show(figure, "11_interpolations")

# %% [markdown]
# ## Exercises
# 1. Add padding 1 and stride 2 to your im2col convolution and compare with
#    `conv2d(x, w, stride=2, padding=1)`.
# 2. Train the DCGAN for 2,000 steps (`tinygan train --dataset mnist-5k --model dcgan
#    --steps 2000`) and compare its samples with lesson 8's MLP GAN; then run
#    `tinygan evaluate` on both.
# 3. With a trained generator, pick samples the classifier labels 1 and 7, average their z
#    (`latent.attribute_vector`), add the difference to new z and measure the change with
#    `latent.ink` and `latent.slant`.

# %% [markdown]
# ## Read next
# Radford, Metz & Chintala 2015, "Unsupervised representation learning with deep
# convolutional GANs" (sections 3-4: the architecture guidelines; section 6: walking the
# latent space and vector arithmetic); Dumoulin & Visin 2016, "A guide to convolution
# arithmetic for deep learning" (transposed convolutions); White 2016, "Sampling generative
# networks" (slerp).
