# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 10 — Why Wasserstein: parallel lines, W₁ vs JSD, and a critic's estimate
#
# **Goals.**
# 1. See on Arjovsky's parallel lines why the JSD gives a generator no direction when the
#    supports do not overlap, while the Wasserstein-1 distance $W_1$ does.
# 2. Compute $W_1$ in 1-D three ways: quantile functions, a closed form for Gaussians, and
#    sorted samples.
# 3. Train a critic with the gradient penalty (WGAN-GP) and read $W_1$ off it through the
#    Kantorovich–Rubinstein duality; check that its slope is ≈ 1 between the supports.
# 4. Bound a critic's slope by construction instead: spectral normalisation, its power
#    iteration, and the bound checked on the critic's measured gradients.
#
# **Prerequisites.** Lesson 4 (KL, JSD and $C(G)$), lesson 6 (the generator's gradient).
#
# **Time to run.** full: about 10 s; fast (`TINYGAN_FAST=1`): about 7 s.
#
# **The idea.** The 2014 GAN minimises $\mathrm{JSD}(p_{data}\,\|\,p_g)$ (lesson 4). Real
# data and early samples live on thin sets that rarely overlap; then JSD $= \log 2$ whatever
# the distance between them, and its gradient is zero. The earth mover's distance
# $W_1(P, Q) = \inf_{\gamma \in \Pi(P, Q)} \mathbb{E}_{(x, y)\sim\gamma}\|x - y\|$ — the
# least average distance mass must travel — keeps growing with the gap.

# %%
import math

import numpy as np
import matplotlib.pyplot as plt

import tinygan as tg
from tinygan import course, theory

# %% [markdown]
# ## 1. Parallel lines (Arjovsky et al. 2017, example 1)
# $P_0$ is uniform on the segment $\{0\} \times [0, 1]$, $P_\theta$ on $\{\theta\} \times [0, 1]$.
# For $\theta \neq 0$ the supports are disjoint, so JSD $= \log 2$ and $W_1 = |\theta|$
# (move every point straight across). We check both from **samples**: the histogram JSD
# (bins 0.015 wide, narrower than the step in θ, so the two lines never share a bin) and
# $W_1$ of the first coordinates (the optimal plan keeps the second coordinate).

# %%
thetas = np.arange(-20, 21) / 20                       # θ = 0 exactly in the middle
from_samples = {"jsd": [], "w1": []}
for theta in thetas:
    p, q = theory.parallel_lines_samples(theta, 2000)
    from_samples["jsd"].append(theory.histogram_jsd(p, q, bins=200, bounds=[(-1.5, 1.5), (0, 1)]))
    from_samples["w1"].append(theory.wasserstein1_samples(p[:, 0], q[:, 0]))
closed = {name: [theory.parallel_lines_distances(t)[name] for t in thetas] for name in ("jsd", "w1")}
for name in ("jsd", "w1"):
    assert np.allclose(from_samples[name], closed[name], atol=1e-9), name
print("θ = 0.5:", theory.parallel_lines_distances(0.5))
slopes = theory.parallel_lines_gradients(0.5)
print("d/dθ at θ = 0.5:", slopes)
assert slopes["jsd"] == 0.0 and abs(slopes["w1"] - 1) < 1e-8

# %%
figure, axes = plt.subplots(figsize=(6, 3.5))
axes.plot(thetas, from_samples["jsd"], "o", label="JSD (histogram of samples)")
axes.plot(thetas, from_samples["w1"], "s", ms=3, label="$W_1$ (sorted samples)")
axes.axhline(math.log(2), color="gray", ls=":", label="log 2")
axes.set_xlabel(r"$\theta$")
axes.legend()
axes.set_title("Parallel lines: JSD is flat, $W_1 = |\\theta|$")
course.show(figure, "10_parallel_lines")

# %% [markdown]
# The JSD jumps from 0 to $\log 2$ and stays there: $\partial\,\mathrm{JSD}/\partial\theta = 0$
# for every $\theta \neq 0$. A generator whose only parameter is $\theta$ gets no signal from
# an optimal discriminator. $W_1$ has slope $\operatorname{sign}\theta$ everywhere: it says
# which way to move.
#
# ## 2. $W_1$ in one dimension
# In 1-D the optimal plan is monotone (the $u$-th quantile goes to the $u$-th quantile), so
# $W_1 = \int_0^1 |F_P^{-1}(u) - F_Q^{-1}(u)|\,du$. For two Gaussians the plan is
# $x \mapsto m_2 + s_2 (x - m_1)/s_1$, so $W_1 = \mathbb{E}|a + bZ|$ with $a = m_1 - m_2$,
# $b = s_1 - s_2$: the mean of a folded normal, a closed form. $W_2$ is simpler still:
# $W_2^2 = (m_1 - m_2)^2 + (s_1 - s_2)^2$.

# %%
exact = theory.wasserstein1_gaussian(0.0, 1.0, 3.0, 0.5)
quadrature = theory.wasserstein1_gaussian_quadrature(0.0, 1.0, 3.0, 0.5)
rng = np.random.default_rng(0)
samples_p, samples_q = rng.normal(0.0, 1.0, 20_000), rng.normal(3.0, 0.5, 20_000)
print(f"W1(N(0, 1), N(3, 0.25)): closed form {exact:.4f}, quadrature {quadrature:.4f}, "
      f"20,000 samples each {theory.wasserstein1_samples(samples_p, samples_q):.4f}")
assert abs(quadrature - exact) < 1e-3

# %% [markdown]
# **Exercise (in the code).** Compute $W_1$ between the two equal-size samples above
# yourself: sort both and average the absolute differences. Store it in `my_w1`.

# %%
### BEGIN SOLUTION
my_w1 = float(np.abs(np.sort(samples_p) - np.sort(samples_q)).mean())
### END SOLUTION

# %% check="sorted_w1" points=2
assert abs(my_w1 - theory.wasserstein1_samples(samples_p, samples_q)) < 1e-12
assert abs(my_w1 - exact) < 0.05

# %% [markdown]
# ## 3. A critic's estimate (Kantorovich–Rubinstein)
# $W_1(P, Q) = \sup_{\|f\|_L \le 1} \mathbb{E}_P f - \mathbb{E}_Q f$. A WGAN's critic is an
# MLP $f$ trained to maximise $\mathbb{E}_P f - \mathbb{E}_Q f$; the gradient penalty
# $\lambda\,\mathbb{E}_{\hat x}(\|\nabla f(\hat x)\| - 1)^2$ on points $\hat x$ between the two
# samples keeps it (softly) 1-Lipschitz. After training, $\mathbb{E}_P f - \mathbb{E}_Q f$
# estimates $W_1$, and $|f'| \approx 1$ where mass must move.

# %%
estimate = theory.critic_wasserstein_estimate(p=(0.0, 1.0), q=(3.0, 0.5),
                                              steps=course.choose(1000, 400))
print(estimate, f"closed form {exact:.4f}")
assert abs(estimate.w1 - exact) / exact < 0.05
assert np.all(np.abs(np.asarray(estimate.gradient_norms) - 1) < 0.1)

# %%
grid = np.linspace(-3, 5, 200, dtype=np.float32)
with tg.no_grad():
    values = estimate.critic(tg.tensor(grid[:, None])).numpy()[:, 0]
density = lambda x, m, s: np.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))  # noqa: E731
figure, axes = plt.subplots(figsize=(6, 3.5))
axes.plot(grid, density(grid, 0, 1), label="P = N(0, 1)")
axes.plot(grid, density(grid, 3, 0.5), label="Q = N(3, 0.25)")
axes.plot(grid, values - values.mean(), label="critic f (centred)")
axes.legend()
axes.set_title(f"critic's estimate {estimate.w1:.3f} vs $W_1$ = {exact:.3f}")
course.show(figure, "10_critic")

# %% [markdown]
# The penalty is soft: a critic of slope $s$ gains $s\,W_1$ and pays $\lambda(s - 1)^2$, which
# is best at $s = 1 + W_1/(2\lambda)$. With the GAN's usual $\lambda = 10$ and $W_1 = 3$ that
# is 15% too steep; `critic_wasserstein_estimate` uses $\lambda = 100$ (1.5%). In a WGAN
# this does not matter much: G only needs the critic's direction.
#
# ## 4. Spectral normalisation: a slope bounded by construction (Miyato et al. 2018)
# A linear map $x \mapsto Wx$ stretches no vector by more than $\sigma(W)$, its largest
# singular value, and ReLU or LeakyReLU stretch nothing; so a critic
# $f = W_3 \circ a \circ W_2 \circ a \circ W_1$ has $\|\nabla f(x)\| \le
# \sigma(W_1)\,\sigma(W_2)\,\sigma(W_3)$ everywhere. Dividing each weight by its own
# $\sigma$ makes $f$ 1-Lipschitz: a hard constraint where the penalty was a soft one.
# `tg.nn.utils.spectral_norm(layer)` does this in every forward (PyTorch's name), finding
# $\sigma$ by **power iteration** on unit vectors $u, v$ it keeps between forwards:
# $v \leftarrow W^\top u/\|W^\top u\|$, $u \leftarrow Wv/\|Wv\|$, $\sigma \approx u^\top W v$.
# Each step shrinks the error by about $(\sigma_2/\sigma_1)^2$ — slowly when the two are
# close, as here; but $W$ changes little between two training steps, so one step per
# forward, continuing from the last $u$, is enough to follow it. The layer starts with 15
# steps, as PyTorch's `parametrizations.spectral_norm` does. (For a convolution, $\sigma$ is
# that of the kernel reshaped to a matrix, and the layer's true stretch can be larger: the
# bound holds for linear layers.)

# %%
layer = tg.nn.utils.spectral_norm(tg.nn.Linear(8, 16, dtype="float64"))
W = layer.weight_orig.numpy().T                     # tinygan's Linear stores Wᵀ: (in, out)
singular = np.linalg.svd(W, compute_uv=False)
print(f"σ₁ = {singular[0]:.6f}, σ₂ = {singular[1]:.6f} (NumPy's SVD): each step shrinks "
      f"the error by about {(singular[1] / singular[0]) ** 2:.2f}")
x = tg.zeros(1, 8, dtype="float64")
with tg.no_grad():
    for forward in range(1, 201):                   # training forwards: one step each
        layer(x)
        if forward in (1, 10, 50, 200):
            own = np.linalg.svd(layer.weight.numpy(), compute_uv=False)[0]
            print(f"after 15 + {forward} steps the used weight W/σ̂ has σ = {own:.10f}")
assert abs(own - 1) < 1e-9

# %% [markdown]
# **Exercise (in the code).** Write one step of power iteration yourself: from `my_u` (a unit
# vector of 16 numbers) compute the new `my_v` and `my_u`, then `my_sigma` $= u^\top W v$;
# repeat it 50 times, and compare `my_sigma` with NumPy's $\sigma_1$ above.

# %%
my_u = np.ones(16) / 4.0
### BEGIN SOLUTION
for _ in range(50):
    my_v = W.T @ my_u
    my_v /= np.linalg.norm(my_v)
    my_u = W @ my_v
    my_u /= np.linalg.norm(my_u)
my_sigma = float(my_u @ W @ my_v)
### END SOLUTION

# %% check="power_iteration" points=2
assert abs(np.linalg.norm(my_u) - 1) < 1e-9 and abs(np.linalg.norm(my_v) - 1) < 1e-9
assert abs(my_sigma - singular[0]) < 1e-6 * singular[0]

# %% [markdown]
# Now the bound on a whole critic. Two MLPs on the plane, the same weights, with and without
# spectral normalisation: we measure $\|\nabla f(x)\|$ at 2,000 points by autograd (each
# output depends on its own point only, so the gradient of the sum gives every point's)
# and compare it with the product of the layers' $\sigma$.

# %%
def critic(normalised):
    tg.manual_seed(0)
    layers = [tg.nn.Linear(2, 64, dtype="float64"), tg.nn.LeakyReLU(0.2),
              tg.nn.Linear(64, 64, dtype="float64"), tg.nn.LeakyReLU(0.2),
              tg.nn.Linear(64, 1, dtype="float64")]
    if normalised:
        layers = [tg.nn.utils.spectral_norm(layer) if isinstance(layer, tg.nn.Linear)
                  else layer for layer in layers]
    return tg.nn.Sequential(*layers)


points = tg.tensor(rng.uniform(-3, 3, (2000, 2)), requires_grad=True)
for normalised in (False, True):
    f = critic(normalised)
    points.grad = None
    f(points).sum().backward()
    bound = np.prod([np.linalg.svd(layer.weight.numpy(), compute_uv=False)[0]
                     for layer in f if isinstance(layer, tg.nn.Linear)])   # the weights used
    slopes = np.linalg.norm(points.grad.numpy(), axis=1)
    print(f"{'spectral norm' if normalised else 'plain'}: largest ‖∇f‖ {slopes.max():.3f}, "
          f"mean {slopes.mean():.3f}; product of the σ's {bound:.3f}")
    assert slopes.max() <= bound * (1 + 1e-9)
assert slopes.max() <= 1 + 1e-6

# %% [markdown]
# The bound holds, and it is loose: the measured slopes sit well below it, because the
# directions each layer stretches most do not line up with the next layer's. The product for
# the normalised critic is a little above 1: for unit $u, v$, $u^\top W v \le \sigma(W)$, so
# an unconverged $\hat\sigma$ is too small and $W/\hat\sigma$ a little too large, until
# more forwards' steps close the gap (the 64 × 64 layer's $\sigma_2/\sigma_1$ is near 1). An SN critic is
# therefore usually *less* steep than the penalty's $\approx 1$, which is fine for a GAN
# (G needs the critic's direction) but makes $\mathbb{E}_P f - \mathbb{E}_Q f$ an
# underestimate of $W_1$. SN-GAN's discriminator (`tinygan train --model dcgan
# --spectral-norm`) drops batch norm, whose division by a batch's spread would undo the bound.
#
# ## Exercises
# 1. Train the critic with `penalty_weight=10` and `penalty_weight=3`. Does the measured
#    slope match $1 + W_1/(2\lambda)$?
# 2. Replace the second Gaussian by `q=(0.0, 0.5)` (same mean, narrower). Where is $|f'| \approx 1$
#    now, and where is it not? (Hint: where does mass have to move?)
# 3. Lesson 4's JSD between the two Gaussians of section 3 is far from $\log 2$. Shrink
#    both standard deviations by 10× and 100×: what happens to the JSD, and to $W_1$?

# %% [markdown]
# ## Read next
# Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN", sections 2-3 (example 1 is the
# parallel lines); Gulrajani et al. 2017, "Improved training of Wasserstein GANs" (the
# gradient penalty); Villani, "Optimal transport: old and new", chapter 6 (the duality);
# Mescheder, Geiger & Nowozin 2018, "Which training methods for GANs do actually converge?" (R1);
# Miyato, Kataoka, Koyama & Yoshida 2018, "Spectral normalization for generative adversarial
# networks" (section 2.1 and appendix A: the bound and the power iteration).
