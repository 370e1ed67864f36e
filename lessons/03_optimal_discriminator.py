# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 3 — The minimax game and the optimal discriminator
#
# **Goals.**
# 1. Derive why, for a fixed generator, the best discriminator is
#    $D^*(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)}$.
# 2. Check the derivation numerically, point by point.
# 3. Train a tinygan discriminator on samples and watch it recover $D^*$.
#
# **Prerequisites.** Lesson 2 (a training loop); derivatives of logarithms; probability densities.
#
# **Time to run.** full: about 4 s; fast (`TINYGAN_FAST=1`): about 2 s.
#
# **The derivation.** The value of the game is
# $V(D, G) = \int p_{data}(x)\log D(x) + p_g(x)\log(1 - D(x))\,dx$.
# At each $x$ the integrand is $f(y) = a\log y + b\log(1-y)$ with $a = p_{data}(x)$,
# $b = p_g(x)$, $y = D(x)$. Setting $f'(y) = a/y - b/(1-y) = 0$ gives $y = a/(a+b)$,
# and $f'' < 0$ there, so it is the maximum.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygan as tg
from tinygan import theory, course

# %% [markdown]
# ## $f(y) = a\log y + b\log(1-y)$ peaks at $a/(a+b)$
# `theory` computes on tinygan's backend (with CuPy, its results are GPU arrays), so a
# result that meets host NumPy arrays or matplotlib goes through `tg.backend.to_numpy`.

# %%
y = np.linspace(1e-4, 1 - 1e-4, 20001)
for a, b in [(1.0, 1.0), (0.3, 1.2), (2.0, 0.5)]:
    peak = y[np.argmax(tg.backend.to_numpy(theory.binary_objective(y, a, b)))]
    print(f"a={a}, b={b}: grid argmax {peak:.4f}, formula {theory.binary_objective_argmax(a, b):.4f}")
    assert abs(peak - theory.binary_objective_argmax(a, b)) < 1e-4

# %% [markdown]
# ## $D^*$ for two Gaussians
# Data $p_{data} = \mathcal N(0, 1)$, generator $p_g = \mathcal N(1.5, 0.7^2)$.
#
# **Exercise (in the code).** Write $D^*$ on the grid yourself, from the densities.

# %%
def normal(x, mu, sigma):
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))

x = np.linspace(-4, 4, 801)
p_data, p_g = normal(x, 0, 1), normal(x, 1.5, 0.7)
### BEGIN SOLUTION
d_star = p_data / (p_data + p_g)
### END SOLUTION

# %% check="optimal_discriminator" points=2
assert np.allclose(d_star, tg.backend.to_numpy(theory.optimal_discriminator(p_data, p_g)), atol=1e-12)

# %% [markdown]
# Perturbing $D^*$ anywhere can only lower $V$:

# %%
best = theory.value_function(d_star, p_data, p_g, x)
for shift in (-0.05, 0.05):
    worse = theory.value_function(np.clip(d_star + shift, 1e-9, 1 - 1e-9), p_data, p_g, x)
    print(f"V(D*) = {best:.5f},  V(D* {shift:+}) = {worse:.5f}")
    assert worse < best

# %% [markdown]
# ## A trained discriminator recovers $D^*$
# In practice we only have samples. `theory.fit_discriminator` trains a tinygan MLP to
# tell them apart by minimising the binary cross-entropy, i.e. maximising $V$.

# %%
rng = np.random.default_rng(0)
n = course.choose(40_000, 8_000)
samples_data, samples_g = rng.normal(0, 1, n), rng.normal(1.5, 0.7, n)
discriminator = theory.fit_discriminator(samples_data, samples_g, steps=course.choose(1500, 300))
with tg.no_grad():
    d_hat = tg.sigmoid(discriminator(tg.tensor(x[:, None].astype(np.float32)))).numpy()[:, 0]
region = (p_data + p_g) > 0.01 * (p_data + p_g).max()
error = np.abs(d_hat - d_star)[region].mean()
print(f"mean |D̂ − D*| where the densities matter: {error:.4f}")
assert error < (0.03 if not course.fast() else 0.08)

# %%
figure, axes = plt.subplots(figsize=(7, 3.8))
axes.plot(x, p_data, color="tab:green", label="p_data = N(0, 1)")
axes.plot(x, p_g, color="tab:red", label="p_g = N(1.5, 0.7²)")
axes.plot(x, d_star, "k", label="D*(x) = p_data / (p_data + p_g)")
axes.plot(x, d_hat, "b--", label="trained D̂(x)")
axes.axhline(0.5, color="gray", linewidth=0.7)
axes.legend(fontsize=8)
course.show(figure, "03_optimal_discriminator")

# %% [markdown]
# ## Exercises
# 1. Where does $D^*(x) = 1/2$? Solve $p_{data}(x) = p_g(x)$ for these two Gaussians.
# 2. Set $p_g = p_{data}$. What is $D^*$? Check with `theory.optimal_discriminator`.
# 3. Train `fit_discriminator` on only 500 samples of each. Where does $\hat D$ go wrong, and why?

# %% [markdown]
# ## Read next
# Goodfellow et al. 2014, "Generative Adversarial Nets": section 3 (the minimax game, equation
# 1) and section 4.1, Proposition 1 (the optimal discriminator).
