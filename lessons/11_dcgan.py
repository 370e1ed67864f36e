# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 11 — DCGAN: convolutions from scratch
#
# **Goals.**
# 1. Write a convolution as im2col plus one matrix product, and check tinygan's `conv2d`
#    (and its gradients) against it.
# 2. Build the DCGAN of Radford et al. (2015) for 28×28 digits, train it a little, and put
#    its samples next to those of lesson 8's MLP GAN trained as long.
#
# **Prerequisites.** Lesson 1 (autograd, `gradcheck`), lesson 8 (the MNIST GAN).
#
# **Time to run.** full: about 5 min; fast (`TINYGAN_FAST=1`): about 12 s.
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
from tinygan import course, gan, metrics, nn

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
# 2e-4 with β₁ = 0.5, weights N(0, 0.02). The preset keeps all of that in the networks
# InfoGAN (Chen et al. 2016) used for MNIST: 64 channels at 14×14, 128 at 7×7, batch 64, and
# one fully connected hidden layer of 1024 units in G (after z) and in D (before its
# logit); and it trains them at InfoGAN's rates, 1e-3 for G and 2e-4 for D (G at 2e-4 too
# lags: a classifier score of 8.64 after 4,500 steps instead of 9.10, README). Radford et
# al. drop such layers from deep nets; with only two convolutions a side they are what lets
# the pair draw clean digits (without them, tinygan and PyTorch alike stall at wobbly ones:
# docs/dcgan_experiments.md). Samples are drawn with G in evaluation mode: batch norm
# uses its running statistics. Full MNIST's preset samples from an average of G's weights
# over the last ~1,000 steps (`ema=0.999`, lesson 8); in a run of a few hundred steps it
# would average the whole run, the first blurry G's included: here `ema=0.0`.
# `tinygan train --dataset mnist --model dcgan` trains it from the command line; here a few
# hundred steps on the embedded 5,000-digit sample.

# %%
steps = course.choose(300, 4)
experiment = gan.build("mnist-5k", model="dcgan", steps=steps, seed=0, log_every=1, ema=0.0)
trainer = experiment.trainer
print(trainer.generator)
trainer.fit()
print(f"DCGAN: {steps} steps in {trainer.elapsed:.0f} s; D loss over the first steps:",
      np.round(trainer.history["d_loss"][:8], 3))
assert all(np.isfinite(trainer.history["d_loss"]))

# %% [markdown]
# **Next to the MLP GAN.** Lesson 8's GAN (the 2014 paper's maxout D and 1200-unit G),
# trained for the same number of steps on the same data, and a small digit classifier
# trained on the real digits to say which digits each draws. A convolutional G builds each
# digit from local strokes it shares across positions; the MLP has to learn every pixel's
# relation to every other, and it is still producing smudges when the DCGAN draws strokes.

# %%
mlp = gan.build("mnist-5k", steps=steps, seed=0)
mlp.trainer.fit()
print(f"MLP GAN: {steps} steps in {mlp.trainer.elapsed:.0f} s")
mnist = experiment.mnist
classifier = metrics.train_digit_classifier(mnist.train, mnist.train_labels,
                                            epochs=course.choose(10, 1))
drawn = {"DCGAN": trainer.sample(1000, seed=7), "MLP GAN (lesson 8)": mlp.trainer.sample(1000, seed=7)}
figure, panels = plt.subplots(1, 2, figsize=(10, 5))
for axes, (name, samples) in zip(panels, drawn.items()):
    grid = samples[:64].reshape(8, 8, 28, 28).transpose(0, 2, 1, 3).reshape(8 * 28, 8 * 28)
    axes.imshow(grid, cmap="gray_r", vmin=0, vmax=1)
    axes.set_axis_off()
    coverage = metrics.class_coverage(samples, classifier)
    axes.set_title(f"{name}: {coverage['classes_covered']}/10 digits at ≥ 5%", fontsize=10)
    print(name, "class shares:", np.round(coverage["class_shares"], 3))
course.show(figure, "11_dcgan_and_mlp_samples")
assert all(samples.shape == (1000, 784) for samples in drawn.values())

# %% [markdown]
# The full-MNIST numbers of both, measured with the classifier-based measures (`tinygan
# evaluate`), are in the README's DCGAN section. The latent space of a trained DCGAN —
# interpolation and vector arithmetic — is lesson 12.

# %% [markdown]
# ## Exercises
# 1. Add padding 1 and stride 2 to your im2col convolution and compare with
#    `conv2d(x, w, stride=2, padding=1)`.
# 2. Train the DCGAN for 2,000 steps (`tinygan train --dataset mnist-5k --model dcgan
#    --steps 2000`) and compare its samples with lesson 8's MLP GAN; then run
#    `tinygan evaluate` on both.
# 3. Sample once with G in training mode (`trainer.sampling_generator().train()`) and once in
#    evaluation mode: compare the batch-norm buffers (`named_buffers()`) before and after,
#    and the first sample drawn alone and among 64 others.
# 4. A stride-2 transposed convolution with a 4 × 4 kernel is four 2 × 2 convolutions of the
#    same input, one per output *phase* (even or odd row, even or odd column), interleaved:
#    output pixel 2q + r receives x[q − t] · w[2t + r]. Build the four from `w` and check the
#    interleaved result against `conv_transpose2d(x, w, stride=2)` (tinygan computes it this
#    way for wide layers: one product for all four phases). Each phase has its own weights:
#    one source of the checkerboard patterns Odena et al. describe (Read next).

# %% [markdown]
# ## Read next
# Radford, Metz & Chintala 2015, "Unsupervised representation learning with deep
# convolutional GANs" (sections 3-4: the architecture guidelines); Dumoulin & Visin 2016,
# "A guide to convolution arithmetic for deep learning" (transposed convolutions); Odena,
# Dumoulin & Olah 2016, "Deconvolution and checkerboard artifacts" (Distill); Ioffe &
# Szegedy 2015, "Batch normalization" (training and inference modes).
