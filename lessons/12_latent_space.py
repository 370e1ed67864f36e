# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 12 — The latent space: interpolation and vector arithmetic
#
# **Goals.**
# 1. See why interpolation in a Gaussian latent space should follow great circles (slerp):
#    the mass of N(0, I) in d dimensions sits near radius √d, and a straight line leaves it.
# 2. Walk the latent space of a trained DCGAN, lerp against slerp.
# 3. Do Radford et al.'s vector arithmetic on digits and *measure* it over many samples: how
#    far an attribute vector moves a measured attribute (ink, slant), how many samples keep
#    their class, against random directions of the same length; then move digits from one
#    class to another with class-mean vectors.
#
# **Prerequisites.** Lesson 11 (the DCGAN).
#
# **Time to run.** full: about 8 min; fast (`TINYGAN_FAST=1`): about 25 s.
#
# **The prior.** The DCGAN preset draws z from N(0, I₁₀₀), as the DCGAN paper's code does
# (the paper's text says uniform); a Gaussian has no corners, and its norm concentrates at
# √d, which is what slerp is built for. For uniform z on [−1, 1]^d the norm concentrates
# too (at √(d/3)), so the same argument holds. One price of a connected prior: a continuous
# G maps it onto a connected set, so some samples fall between the digits it draws.
# `--noise mixture` draws z from ten Gaussians instead (GM-GAN); each becomes one digit and
# the judge's confident share rises from 90% to 98%, but the digits come out as caricatures,
# further apart from each other in the judge's eyes than real digits are (the "feature
# spread between classes" that `tinygan evaluate` prints: 191 against real digits' 145;
# docs/dcgan_experiments.md, "Between the digits") — and slerp between two components
# crosses a gap.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygan as tg
from tinygan import course, gan, latent, metrics, nn

rng = np.random.default_rng(0)

# %% [markdown]
# ## 1. Where the Gaussian's mass is, and slerp
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
course.show(figure, "12_latent_norms")

# %% [markdown]
# ## 2. A DCGAN to explore
# The preset of lesson 11 on the embedded 5,000-digit sample (a few steps in fast mode:
# blobs, not digits — every measurement below still runs). A trained run from the command
# line works the same way: `tinygan sample --checkpoint C --interpolate 8 --slerp`.
# G is always run in evaluation mode here (`nn.utils.evaluating`): batch norm then uses its
# running statistics, so each image depends on its own z alone — in training mode, a digit
# would change with the other z's of its batch, and the arithmetic below would be muddled.
# `ema=0.0`: the preset samples from an average of G's weights over the last ~1,000 steps
# (decay 0.999); after a few hundred steps it would average the whole run, early G's included.

# %%
experiment = gan.build("mnist-5k", model="dcgan", steps=course.choose(600, 4), seed=0, ema=0.0)
trainer = experiment.trainer
trainer.fit()
G = trainer.sampling_generator()
mnist = experiment.mnist
classifier = metrics.train_digit_classifier(mnist.train, mnist.train_labels,
                                            epochs=course.choose(10, 1))


def draw(z):
    """G(z) for rows of z (NumPy), as NumPy rows of 784 pixels."""
    with tg.no_grad(), nn.utils.evaluating(G):
        return G(tg.tensor(np.asarray(z, dtype=np.float32))).numpy()


def classify(images):
    return np.asarray(tg.backend.to_numpy(metrics.predict(classifier, images)))


tg.manual_seed(1)                     # the same endpoint pairs for both figures
course.show(latent.interpolation_figure(G, rows=4, steps=10, spherical=False),
            "12_interpolations_lerp")
tg.manual_seed(1)
course.show(latent.interpolation_figure(G, rows=4, steps=10, spherical=True),
            "12_interpolations_slerp")

# %% [markdown]
# ## 3. Vector arithmetic, measured
# Radford et al. showed "smiling woman − neutral woman + neutral man" as pictures. On digits
# an attribute can be *measured*: ink (the mean pixel: stroke thickness) and slant (the
# ink's shear). `latent.attribute_arithmetic` draws 2,000 z, takes the mean z of the
# quarter with the most of the attribute minus that of the quarter with the least — within
# each class the classifier sees, averaged over the classes, so that the vector does not
# simply point at the class that is thickest (zeros) or most slanted — adds
# the difference to 2,000 new z, and reports how far the attribute moved (also in standard
# deviations of the attribute), the share of samples whose attribute rose, and the share
# whose class (by the classifier) stayed the same — and the same for random directions of
# the same length (16 of them, each new sample pushed along one), the control that says how
# much of it any push of that size would do.

# %%
tg.manual_seed(2)
measured = {name: latent.attribute_arithmetic(G, measure, classify, n=2000)
            for name, measure in (("ink", latent.ink), ("slant", latent.slant))}
print(f"{'':>6} {'|v|':>5} {'shift (sd)':>10} {'rose':>6} {'kept':>6} | control: "
      f"{'shift (sd)':>10} {'rose':>6} {'kept':>6}")
for name, r in measured.items():
    print(f"{name:>6} {r['vector_norm']:5.2f} {r['shift_sd']:10.2f} {r['rose']:6.1%} "
          f"{r['class_kept']:6.1%} |          {r['control_shift_sd']:10.2f} "
          f"{r['control_rose']:6.1%} {r['control_class_kept']:6.1%}")
for r in measured.values():
    assert r["shift_sd"] > 0.3 and r["rose"] > 0.6
    assert abs(r["control_shift_sd"]) < r["shift_sd"]

# %% [markdown]
# **Exercise (in the code): the ink vector by hand.** Draw 2,000 z, measure the ink of
# G(z), and compute `v`, the mean z of the samples with more ink than the median minus the
# mean z of those with less (a NumPy vector of 100). Then measure `ink_shift`, the mean
# change of ink when `v` is added to 2,000 new z (`z_new`).

# %%
tg.manual_seed(3)
z, z_new = G.sample_noise(2000).numpy(), G.sample_noise(2000).numpy()
ink = latent.ink(draw(z))
### BEGIN SOLUTION
thick = ink > np.median(ink)
v = z[thick].mean(axis=0) - z[~thick].mean(axis=0)
ink_shift = float(np.mean(latent.ink(draw(z_new + v)) - latent.ink(draw(z_new))))
### END SOLUTION
print(f"|v| = {np.linalg.norm(v):.2f}; adding v changes the ink by {ink_shift:+.4f} "
      f"(the ink's standard deviation is {ink.std():.4f})")

# %% check="ink_vector" points=2
assert v.shape == (100,)
np.testing.assert_allclose(v, latent.attribute_vector(z, ink > np.median(ink)).numpy(),
                           rtol=1e-5, atol=1e-6)
assert ink_shift > 0

# %% [markdown]
# **From one digit to another.** The same arithmetic with classes as the attribute: the
# mean z of the digits the classifier calls `a` minus that of the digits it calls `b`,
# added to every z of class `b`. How many become an `a`? (With a few training steps G may
# draw one class only; then there is nothing to move.)

# %%
labels = classify(draw(z))
counts = np.bincount(labels, minlength=10)
a, b = np.argsort(counts)[::-1][:2]
if counts[b] > 0:
    to_a = latent.attribute_vector(z[(labels == a) | (labels == b)],
                                   labels[(labels == a) | (labels == b)] == a).numpy()
    moved = classify(draw(z[labels == b] + to_a))
    print(f"{counts[b]} samples of class {b} + (mean z of {a} − mean z of {b}): "
          f"{np.mean(moved == a):.1%} are now classified {a}, {np.mean(moved == b):.1%} stay {b}")
else:
    print(f"G draws only class {a} so far: train longer to move digits between classes")

# %% [markdown]
# ## Exercises
# 1. Repeat section 3 with `scale=2` and `scale=0.5` in `attribute_arithmetic`: how do the
#    shift and the share of kept classes trade off?
# 2. Use `fraction=0.1` (the top and bottom tenths): is the vector better or only noisier?
#    And `by_class=False` (quartiles over all samples): how many more samples change class?
# 3. For every pair of classes (a, b), measure the share of class-b samples that
#    `z + mean(z | a) − mean(z | b)` turns into an `a`; which pairs are easy, which hard?

# %% [markdown]
# ## Read next
# Radford, Metz & Chintala 2015, "Unsupervised representation learning with deep
# convolutional GANs" (section 6: walking the latent space, vector arithmetic); White 2016,
# "Sampling generative networks" (slerp, attribute vectors); Shoemake 1985, "Animating
# rotation with quaternion curves" (slerp).
