# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 5 — Algorithm 1 on 1-D data: redrawing the paper's Figure 1
#
# **Goals.**
# 1. Run Algorithm 1 (k discriminator steps, then one generator step) on a 1-D Gaussian.
# 2. Watch the four curves of the paper's Figure 1 move: the data density, the
#    generator's density, the discriminator $D(x)$, and the mapping $z \mapsto x = G(z)$.
# 3. Measure the JSD between generator and data falling during training.
#
# **Prerequisites.** Lessons 3 and 4 ($D^*$, $C(G)$); lesson 2 (optimizers).
#
# **Time to run.** full: about 47 s; fast (`TINYGAN_FAST=1`): about 16 s.
#
# **Algorithm 1.** For each iteration: $k$ times, sample $m$ noise vectors and $m$ data points
# and ascend $\nabla_{\theta_d} \frac1m\sum \log D(x) + \log(1 - D(G(z)))$; then sample $m$
# noise vectors and descend the generator's loss (here the non-saturating $-\log D(G(z))$).

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygan as tg
from tinygan import gan, theory, course

steps = course.choose(1500, 400)
snapshot_steps = [0, steps // 10, steps // 3, steps]
experiment = gan.build("gaussian1d", steps=steps, seed=0)     # data: N(4, 0.5²)
trainer, data = experiment.trainer, experiment.distribution
print(experiment.config)

# %% [markdown]
# A callback records what Figure 1 draws, at chosen steps, without touching the loop.
#
# **Exercise (in the code).** Evaluate $D(x)$ on the grid: the discriminator returns a
# logit, so apply the sigmoid.

# %%
x_grid = np.linspace(0, 8, 400).astype(np.float32)
z_grid = np.linspace(-1, 1, 25).astype(np.float32)        # the prior is U(−1, 1)
snapshots = {}


def record(trainer):
    if trainer.step not in snapshot_steps or trainer.step in snapshots:
        return
    with tg.no_grad():
        ### BEGIN SOLUTION
        d_of_x = tg.sigmoid(trainer.discriminator(tg.tensor(x_grid[:, None]))).numpy()[:, 0]
        ### END SOLUTION
        mapped = trainer.sampling_generator()(tg.tensor(z_grid[:, None])).numpy()[:, 0]
    samples = trainer.sample(20000)[:, 0]
    real = tg.tensor(data.sample(20000)).numpy()[:, 0]
    snapshots[trainer.step] = dict(d=d_of_x, mapped=mapped, samples=samples,
                                   jsd=theory.histogram_jsd(samples, real, bins=80, bounds=(0, 8)))


record(trainer)                       # step 0, before training
trainer.callbacks.append(record)
trainer.fit()
for step, snap in snapshots.items():
    print(f"step {step:5d}: JSD(p_g, p_data) ≈ {snap['jsd']:.3f} nats")

# %% check="discriminator_on_grid" points=2
with tg.no_grad():                   # the last snapshot was taken with D as it is now
    logits = trainer.discriminator(tg.tensor(x_grid[:, None])).numpy()[:, 0]
assert np.allclose(snapshots[steps]["d"], 1 / (1 + np.exp(-logits)), rtol=1e-5, atol=1e-6)
jsds = [snapshots[s]["jsd"] for s in snapshot_steps]
assert jsds[-1] < 0.5 * jsds[0], jsds
if not course.fast():
    final = snapshots[steps]["samples"]
    assert jsds[-1] < 0.1 and abs(final.mean() - 4.0) < 0.1 and abs(final.std() - 0.5) < 0.1, \
        (jsds[-1], final.mean(), final.std())

# %%
density = tg.tensor(data.density(x_grid)).numpy()
figure, panels = plt.subplots(1, len(snapshot_steps), figsize=(15, 3.6), sharey=True)
for axes, step in zip(panels, snapshot_steps):
    snap = snapshots[step]
    axes.plot(x_grid, density / density.max(), color="black", linestyle=":", label="p_data")
    counts, edges = np.histogram(snap["samples"], bins=80, range=(0, 8), density=True)
    axes.plot((edges[1:] + edges[:-1]) / 2, counts / density.max(), color="tab:green", label="p_g")
    axes.plot(x_grid, snap["d"], color="tab:blue", linestyle="--", label="D(x)")
    for z, x in zip(np.linspace(-0.6, -0.1, len(z_grid)), snap["mapped"]):
        axes.plot([x, x], [-0.35, -0.1], color="gray", linewidth=0.6)      # x = G(z)
    axes.plot((z_grid + 1) * 4, np.full_like(z_grid, -0.45), "|", color="gray")   # z
    axes.set_title(f"step {step}, JSD {snap['jsd']:.3f}")
    axes.set_ylim(-0.55, 1.15)
panels[0].legend(loc="upper left", fontsize=8)
course.show(figure, "05_figure1")

# %% [markdown]
# Read it as the paper does: D (blue) is high where data outnumber samples; G (green) moves
# its mass uphill on D; at the end $p_g \approx p_{data}$ and $D \approx 1/2$ where the data are.
# The grey ticks at the bottom show how the evenly spaced $z$ are mapped to $x$: the mapping
# compresses where $p_g$ must be dense.
#
# ## Exercises
# 1. Set `k=5` (five discriminator steps per generator step). Is the final JSD better?
# 2. Use `loss="minimax"`. Compare the first snapshots with the non-saturating run.
# 3. Change the data to `mixture1d` (`gan.build("mixture1d")`). What does $G$ do with the gap
#    between the two modes, given that $z \mapsto G(z)$ is continuous?

# %% [markdown]
# ## Read next
# Goodfellow et al. 2014, section 4 (Algorithm 1 and Figure 1) and section 4.2, Proposition 2
# (convergence of Algorithm 1).
