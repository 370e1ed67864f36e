# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 7 — Mode collapse on the ring of 8 Gaussians
#
# **Goals.**
# 1. Watch a plain GAN drop modes of a mixture (Metz et al. 2016; Srivastava et al. 2017).
# 2. Measure it with VEEGAN's protocol: a sample is *high quality* if it lies within 3σ of
#    its nearest mode; a mode is *captured* if it is the nearest mode of a high-quality sample.
# 3. Compare with tinygan's preset, which changes named, switchable things only: deeper
#    networks, a higher learning rate decaying over the run, an exponential moving average
#    (EMA) of G's weights, and the R1 penalty (lesson 12).
#
# **Prerequisites.** Lessons 5 and 6 (Algorithm 1, the non-saturating loss).
#
# **Time to run.** full: about 7 min; fast (`TINYGAN_FAST=1`): about 13 s.
#
# **Why it happens.** $G$ is trained against the current $D$ only. When $D$ penalises one
# region, $G$ can move all its mass to another mode instead of spreading it; nothing in a
# single generator step rewards covering every mode. A continuous $G$ on a connected $z$
# space must also draw "bridges" between modes, which count as low quality.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygan as tg
from tinygan import gan, course
from tinygan.metrics import mode_coverage

steps = course.choose(3000, 200)
plain_settings = dict(g_depth=2, d_depth=2, lr_decay=1.0, ema=0.0, penalty="none",  # the
                      lr_g=1e-3, lr_d=1e-3, batch_size=512)                       # textbook GAN
runs = {}
for name, settings in [("plain GAN", plain_settings), ("tinygan preset", {})]:
    preset_steps = gan.preset("ring").steps              # 6,000
    experiment = gan.build("ring", steps=steps if settings else course.choose(preset_steps, 200),
                           seed=0, **settings)
    experiment.trainer.fit()
    samples = experiment.trainer.sample(2500)
    runs[name] = dict(samples=samples, metrics=mode_coverage(samples, experiment.distribution))
    m = runs[name]["metrics"]
    print(f"{name:15s}: modes {m['modes_captured']}/8, high quality {100 * m['high_quality']:.1f}%, "
          f"smallest mode share {m['min_mode_share']:.3f}, JSD {m['jsd']:.3f}")
ring = experiment.distribution

# %% [markdown]
# **Exercise (in the code).** Count the captured modes yourself from the definition, for
# the preset's samples, and check it against `mode_coverage`.

# %%
samples = runs["tinygan preset"]["samples"]
means = np.array(ring.means)
### BEGIN SOLUTION
distances = np.sqrt(((samples[:, None, :] - means[None]) ** 2).sum(axis=2))
nearest = distances.argmin(axis=1)
high_quality = distances.min(axis=1) <= 3 * ring.stds[0]
captured = len(set(nearest[high_quality].tolist()))
### END SOLUTION

# %% check="captured_modes" points=2
assert captured == runs["tinygan preset"]["metrics"]["modes_captured"]

# %%
figure, panels = plt.subplots(1, 2, figsize=(10, 5))
for axes, (name, run) in zip(panels, runs.items()):
    axes.scatter(*means.T, s=200, color="tab:green", alpha=0.4, label="modes")
    axes.scatter(*run["samples"].T, s=2, color="tab:red", alpha=0.5, label="G(z)")
    m = run["metrics"]
    axes.set_title(f"{name}: {m['modes_captured']}/8 modes, {100 * m['high_quality']:.0f}% HQ")
    axes.set_aspect("equal")
    axes.set_xlim(-3, 3)
    axes.set_ylim(-3, 3)
panels[0].legend(loc="upper right")
course.show(figure, "07_ring")

# %%
if not course.fast():
    preset = runs["tinygan preset"]["metrics"]
    assert preset["modes_captured"] == 8 and preset["high_quality"] >= 0.8, preset

# %% [markdown]
# ## Exercises
# 1. Tricks from the lectures: rerun the plain GAN with `k=5` discriminator steps, and with
#    one-sided label smoothing `label_smoothing=0.2`. Measure modes and HQ for three seeds.
# 2. Switch the preset's stabilisers off one at a time (`penalty="none"`, `ema=0`,
#    `lr_decay=1.0`, `g_depth=2`) to see which one matters most. Then try PacGAN: `pack=4`.
# 3. The 5×5 grid (`gan.build("grid")`) is harder: how many of its 25 modes does the preset cover?

# %% [markdown]
# ## Read next
# Srivastava et al. 2017, "VEEGAN", section 5.1 (the ring and its metrics); Lin et al. 2018,
# "PacGAN", sections 1-3; Salimans et al. 2016, "Improved techniques for training GANs", section
# 3 (minibatch discrimination, one-sided label smoothing).
