# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 4 — KL, JSD and $C(G) = -\log 4 + 2\,\mathrm{JSD}$
#
# **Goals.**
# 1. Compute KL and Jensen–Shannon divergences and know their properties.
# 2. Verify the paper's Theorem 1 numerically: at the optimal discriminator the value of
#    the game is $C(G) = -\log 4 + 2\,\mathrm{JSD}(p_{data}\,\|\,p_g)$.
# 3. See $C(G)$ reach its minimum $-\log 4$ exactly when $p_g = p_{data}$.
#
# **Prerequisites.** Lesson 3 ($D^*$); expectations and logarithms.
#
# **Time to run.** full: about 2 s; fast (`TINYGAN_FAST=1`): about 2 s.
#
# **The derivation.** Substituting $D^*$ into $V$ and writing $M = (p_{data}+p_g)/2$:
# $$C(G) = \int p_{data}\log\frac{p_{data}}{2M} + p_g \log\frac{p_g}{2M}
#        = -\log 4 + \mathrm{KL}(p_{data}\|M) + \mathrm{KL}(p_g\|M)
#        = -\log 4 + 2\,\mathrm{JSD}(p_{data}\|p_g).$$

# %%
import math

import numpy as np
import matplotlib.pyplot as plt

from tinygan import theory, course

# %% [markdown]
# ## Properties on discrete distributions

# %%
p = np.array([0.1, 0.4, 0.5, 0.0])
q = np.array([0.3, 0.3, 0.2, 0.2])
print("KL(p‖q) =", theory.kl(p, q), " KL(q‖p) =", theory.kl(q, p), "(inf: p is 0 where q is not)")
print("JSD(p‖q) =", theory.jsd(p, q), "=", theory.jsd(p, q, base=2), "bits")
assert theory.kl(q, p) == math.inf
assert abs(theory.jsd(p, q) - theory.jsd(q, p)) < 1e-15
assert 0 <= theory.jsd(p, q) <= math.log(2)
assert abs(theory.jsd([1, 0], [0, 1]) - math.log(2)) < 1e-15

# %% [markdown]
# ## Sliding $p_g$ toward $p_{data}$
# $p_{data} = \mathcal N(0, 1)$ and $p_g = \mathcal N(\mu, 1)$ for $\mu$ from 4 down to 0.
#
# **Exercise (in the code).** Compute $C(G)$ from its definition, $V(D^*, G)$, using
# `theory.optimal_discriminator` and `theory.value_function`.

# %%
def normal(x, mu, sigma):
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))

x = np.linspace(-10, 14, 24001)
p_data = normal(x, 0, 1)
mus = np.linspace(4, 0, course.choose(41, 9))
criterion, identity = [], []
for mu in mus:
    p_g = normal(x, mu, 1)
    ### BEGIN SOLUTION
    d_star = theory.optimal_discriminator(p_data, p_g)
    c = theory.value_function(d_star, p_data, p_g, x, one_minus_d=theory.optimal_discriminator(p_g, p_data))
    ### END SOLUTION
    criterion.append(c)
    identity.append(-math.log(4) + 2 * theory.jsd_densities(p_data, p_g, x))

# %% check="criterion" points=3
criterion, identity = np.array(criterion), np.array(identity)
print("largest |C(G) − (−log 4 + 2 JSD)|:", np.abs(criterion - identity).max())
assert np.abs(criterion - identity).max() < 1e-8
assert abs(criterion[-1] + math.log(4)) < 1e-9           # μ = 0: p_g = p_data
assert np.all(np.diff(criterion) < 0)                       # falls as p_g approaches p_data

# %%
figure, axes = plt.subplots(figsize=(6, 3.8))
axes.plot(mus, criterion, "o-", label="C(G) = V(D*, G)")
axes.plot(mus, identity, "k--", label="−log 4 + 2·JSD(p_data ‖ p_g)")
axes.axhline(-math.log(4), color="gray", linestyle=":", label="−log 4")
axes.invert_xaxis()
axes.set_xlabel("μ of p_g = N(μ, 1)")
axes.legend()
course.show(figure, "04_criterion_reaches_minus_log4")

# %% [markdown]
# ## Exercises
# 1. Why is the JSD bounded by $\log 2$ while KL is not? What happens to $C(G)$ when the
#    supports of $p_{data}$ and $p_g$ do not overlap?
# 2. Repeat the slide with $p_g = \mathcal N(0, \sigma^2)$, $\sigma$ from 3 to 1.
# 3. The VAE's KL term: check `theory.kl_diagonal_gaussian(mu, sigma)` against
#    $\tfrac12\sum(\sigma^2 + \mu^2 - 1 - \log\sigma^2)$ for a vector of your choice.

# %% [markdown]
# ## Read next
# Goodfellow et al. 2014, section 4.1, Theorem 1 (the global minimum of $C(G)$); Lin 1991,
# "Divergence measures based on the Shannon entropy" (the JSD).
