# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 16 — The family of generative models: a mixture, a VAE and a GAN on the same data
#
# **Goals.**
# 1. Place the GAN in the taxonomy of generative models: an explicit density you can
#    compute, an explicit density you can only bound, or no density at all.
# 2. Fit one model of each kind to the same 1-D data and compare what each one can tell
#    you about a point $x$: its exact log-likelihood, a lower bound, or nothing but samples.
# 3. Write the VAE's evidence lower bound (ELBO) and verify, point by point, that
#    $\log p(x) = \mathrm{ELBO}(x) + \mathrm{KL}(q(z|x)\,\|\,p(z|x))$.
# 4. See where each model puts the mass between two modes.
#
# **Prerequisites.** Lesson 4 (KL; its exercise 3 is the VAE's KL term), lesson 5 (a GAN on
# 1-D data), lesson 8 (the Parzen estimate).
#
# **Time to run.** full: about 30 s; fast (`TINYGAN_FAST=1`): about 20 s.
#
# **The taxonomy** (Goodfellow 2016, "NIPS 2016 tutorial: generative adversarial networks",
# section 2.2 and Figure 9). It sorts the models that are trained by maximum likelihood, or
# can be, by how they treat the density $p_\theta(x)$:
# - **explicit and tractable**: $p_\theta(x)$ is a formula you evaluate and maximise directly
#   (a mixture of Gaussians; fully visible belief networks such as PixelCNN; normalising
#   flows);
# - **explicit and approximate**: $p_\theta(x)$ is defined but cannot be computed, so
#   training maximises a bound (the VAE: $p_\theta(x) = \int p(z)\,p_\theta(x|z)\,dz$ and its
#   variational bound) or uses a Markov chain (Boltzmann machines, whose normalising
#   constant is out of reach);
# - **implicit**: only a way to draw samples, $x = G(z)$; no density is ever written down
#   (the GAN; generative stochastic networks, with a Markov chain). A GAN *can* be made to
#   approximate maximum likelihood with a suitable loss for G (Goodfellow 2014, "On
#   distinguishability criteria"); the non-saturating loss used here does not.
#
# The data: `tinygan.data.mixture1d()`, two Gaussians $\mathcal N(\pm 2, 0.5^2)$ of equal
# weight. Its true density is known, so every number below has an exact answer to compare
# with.

# %%
import math

import numpy as np
import matplotlib.pyplot as plt

import tinygan as tg
from tinygan import course, gan, nn, optim, theory
from tinygan.data import GaussianMixture
from tinygan.metrics import parzen

# The GAN (below) comes from the mixture1d preset; building it seeds the random draws
# (seed 0), so the data drawn next are the same on every run.
experiment = gan.build("mixture1d", steps=course.choose(3000, 1000), seed=0)
data = experiment.distribution
train = tg.tensor(data.sample(20000)).numpy()             # (n, 1) arrays on the host
valid = tg.tensor(data.sample(2000)).numpy()
test = tg.tensor(data.sample(2000)).numpy()
truth = float(np.log(tg.tensor(data.density(test[:, 0])).numpy()).mean())
print(f"the true density's mean log p(x) on the test points: {truth:.4f} nats")

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def log_normal(x, mu, log_sigma):
    """log N(x; μ, σ²) for tensors, σ = exp(log_sigma)."""
    return -0.5 * ((x - mu) / tg.exp(log_sigma)) ** 2 - log_sigma - LOG_SQRT_2PI


def batches(rows, size, seed):
    """Row indices of a minibatch of ``size``, drawn with a seed of its own."""
    return np.random.default_rng(seed).integers(0, rows, size)


# %% [markdown]
# ## Explicit and tractable: a mixture of two Gaussians
# $p_\theta(x) = \sum_k w_k\,\mathcal N(x; \mu_k, \sigma_k^2)$ with $w = \mathrm{softmax}(a)$.
# Its log-likelihood is a formula, so autograd and Adam maximise it directly. Both sums
# over $k$ are taken in logs with `tg.logsumexp`: $\log \sum_k e^{a_k} = m + \log \sum_k
# e^{a_k - m}$ with $m = \max_k a_k$, so no $e^{a}$ overflows or underflows to 0, and its
# gradient is $\mathrm{softmax}(a)$ (the op table, `docs/ops.md`).

# %%
logits = tg.zeros(1, 2, requires_grad=True)
means = tg.tensor(np.array([[-0.5, 0.5]], dtype=np.float32), requires_grad=True)
log_stds = tg.zeros(1, 2, requires_grad=True)


def mixture_log_p(x):
    log_weights = logits - tg.logsumexp(logits, axis=1, keepdims=True)
    return tg.logsumexp(log_weights + log_normal(x, means, log_stds), axis=1)


adam = optim.Adam([logits, means, log_stds], lr=0.05)
for step in range(course.choose(500, 300)):
    loss = -mixture_log_p(tg.tensor(train[batches(len(train), 512, step)])).mean()
    adam.zero_grad()
    loss.backward()
    adam.step()
with tg.no_grad():
    mixture_test = float(mixture_log_p(tg.tensor(test)).mean().numpy())
print(f"mixture: means {means.numpy().round(3)}, stds {np.exp(log_stds.numpy()).round(3)}; "
      f"test log p {mixture_test:.4f} (truth {truth:.4f})")
assert abs(mixture_test - truth) < 0.02      # the right family, fitted: the truth within noise

# %% [markdown]
# ## Explicit and approximate: a VAE with a one-dimensional code
# The decoder says how $x$ is drawn from a code $z \sim \mathcal N(0, 1)$:
# $p_\theta(x|z) = \mathcal N(x; \mu_\theta(z), \sigma_\theta(z)^2)$, both from a small MLP.
# Then $p_\theta(x) = \int p(z)\,p_\theta(x|z)\,dz$ has no closed form. The encoder
# $q_\phi(z|x) = \mathcal N(m_\phi(x), s_\phi(x)^2)$ guesses which codes explain $x$, and for
# any $q$
# $$\log p_\theta(x) = \underbrace{\mathbb E_{q}[\log p_\theta(x|z)]
#   - \mathrm{KL}(q_\phi(z|x)\,\|\,p(z))}_{\mathrm{ELBO}(x)}
#   + \mathrm{KL}(q_\phi(z|x)\,\|\,p_\theta(z|x)),$$
# so the ELBO is a lower bound, tight when $q$ is the true posterior. Training maximises the
# ELBO with the reparameterisation $z = m + s\,\varepsilon$, $\varepsilon \sim \mathcal N(0,
# 1)$, so that gradients flow through the draw (Kingma & Welling 2014).
#
# **Exercise (in the code).** Write the two terms of the ELBO, each one number per point
# (shape (n,)). `elbo_terms` takes the points `x` (n × 1), draws `eps` (n × S) and weights
# (1 × S) that average over them: S = 1 and weight 1 in training (one draw per point),
# Gauss–Hermite nodes and weights when we evaluate (an almost exact expectation). Use
# `log_normal` for the reconstruction term and the closed form of lesson 4's exercise 3 for
# the KL term.

# %%
def mlp():
    return nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                         nn.Linear(32, 2))


tg.manual_seed(1)
encoder, decoder = mlp(), mlp()


def encode(x):
    """q(z|x) = N(m, s²): (m, log s), each n × 1."""
    out = encoder(x)
    return out[:, 0:1], out[:, 1:2]


def decode(z):
    """p(x|z) = N(μ, σ²): (μ, log σ), each of z's shape."""
    out = decoder(z.reshape(-1, 1))
    return out[:, 0].reshape(z.shape), out[:, 1].reshape(z.shape)


def elbo_terms(x, eps, weights):
    """Per point: E_q[log p(x|z)] as Σⱼ wⱼ log p(x | m + s εⱼ); KL(q(z|x) ‖ N(0, 1))."""
    m, log_s = encode(x)
    mu, log_sigma = decode(m + tg.exp(log_s) * eps)          # (n, S) codes, reparameterised
    ### BEGIN SOLUTION
    reconstruction = (log_normal(x, mu, log_sigma) * weights).sum(axis=1)
    kl = 0.5 * (tg.exp(2 * log_s) + m ** 2 - 1 - 2 * log_s)[:, 0]
    ### END SOLUTION
    return reconstruction, kl


adam = optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=3e-3)
one = tg.ones(1, 1)
for step in range(course.choose(4000, 1500)):
    batch = tg.tensor(train[batches(len(train), 256, 10_000 + step)])
    draws = np.random.default_rng(20_000 + step).standard_normal((256, 1))
    eps = tg.tensor(draws.astype(np.float32))
    reconstruction, kl = elbo_terms(batch, eps, one)
    loss = -(reconstruction - kl).mean()
    adam.zero_grad()
    loss.backward()
    adam.step()

# %% [markdown]
# With a one-dimensional code the integral is a quadrature: $p_\theta(x)$ on a fine grid of
# $z$ is exact to many digits, and so is the true posterior
# $p_\theta(z|x) = p(z)\,p_\theta(x|z)/p_\theta(x)$. With a code of 100 dimensions no grid
# reaches; $\log p_\theta(x)$ can still be estimated by importance sampling with $q$ as the
# proposal (Burda et al. 2016), but what makes the VAE trainable is that the bound is cheap
# and differentiable with one draw per point.

# %%
nodes, node_weights = np.polynomial.hermite_e.hermegauss(160)   # ∫ f(ε) e^{−ε²/2} dε
with tg.no_grad():
    reconstruction, kl = elbo_terms(
        tg.tensor(test), tg.tensor(np.tile(nodes, (len(test), 1)).astype(np.float32)),
        tg.tensor((node_weights / node_weights.sum())[None].astype(np.float32)))
    elbo_test, kl_test = (reconstruction - kl).numpy(), kl.numpy()
    z_grid = np.linspace(-8, 8, 8001)
    grid_mu, grid_log_sigma = (t.numpy().astype(np.float64)
                               for t in decode(tg.tensor(z_grid.astype(np.float32))))
    m_test, log_s_test = (t.numpy().astype(np.float64) for t in encode(tg.tensor(test)))
grid_sigma, dz = np.exp(grid_log_sigma), z_grid[1] - z_grid[0]


# The trapezoid rule as weights, ∫ f dz ≈ Σⱼ wⱼ f(zⱼ) with w = dz·(½, 1, …, 1, ½), so that
# log ∫ p(z) p(x|z) dz is one stable log-sum-exp over the grid.
log_trapezoid = np.log(np.r_[0.5, np.ones(len(z_grid) - 2), 0.5] * dz)


def float64(*arrays):
    """Host arrays as float64 tensors: the quadrature is done in double precision."""
    return [tg.tensor(np.asarray(a, dtype=np.float64)) for a in arrays]


def log_joint(x):
    """log p(z) + log p(x|z) on the z grid, one row per point of the host array x."""
    z, zero, mu, log_sigma, column = float64(z_grid, 0.0, grid_mu, grid_log_sigma, x[:, None])
    return log_normal(z, zero, zero) + log_normal(column, mu, log_sigma)


def log_evidence(x):
    """log p(x) = log ∫ p(z) p(x|z) dz = log Σⱼ wⱼ p(zⱼ) p(x|zⱼ)."""
    return tg.logsumexp(log_joint(x) + tg.tensor(log_trapezoid), axis=1)


log_px = log_evidence(test[:, 0]).numpy()
log_posterior = log_joint(test[:, 0]).numpy() - log_px[:, None]
q_on_grid = log_normal(*float64(z_grid, m_test, log_s_test)).numpy()
kl_to_posterior = np.trapezoid(np.exp(q_on_grid) * (q_on_grid - log_posterior), dx=dz, axis=1)
gap = log_px - elbo_test
print(f"VAE: test log p {log_px.mean():.4f} (truth {truth:.4f}), ELBO {elbo_test.mean():.4f}, "
      f"gap {gap.mean():.4f} nats on average ({gap.min():.4f} to {gap.max():.4f})")
print(f"largest |log p − ELBO − KL(q ‖ posterior)| over {len(test)} points: "
      f"{np.abs(gap - kl_to_posterior).max():.1e}")

# %% check="elbo_identity" points=3
# The KL term against lesson 4's formula (theory.kl_diagonal_gaussian), in float32: 1e-4.
# Then the identity, both sides computed independently (160 Gauss–Hermite nodes for the
# ELBO, the z grid for log p(x) and the KL): they agree to the quadrature's error, measured
# between 1e-6 and 2e-5 nats over six seeds (40 nodes left up to 5e-4), so 1e-4 is a safe
# bound. A dropped −½ log 2π breaks the identity by 0.92 nats; a KL without its ½ fails the
# first check (and trains a β = 2 VAE whose q collapses onto the prior: no gap left).
reference_kl = tg.tensor(theory.kl_diagonal_gaussian(m_test, np.exp(log_s_test))).numpy()
assert np.allclose(kl_test, reference_kl, rtol=1e-4, atol=1e-4)
assert np.abs(gap - kl_to_posterior).max() < 1e-4
assert gap.min() > -1e-4                      # the ELBO is a lower bound at every point
assert gap.mean() > 0.01                      # … and a Gaussian q leaves a visible gap here
assert log_px.mean() > truth - course.choose(0.1, 0.2)   # a fair fit of the data

# %% [markdown]
# The decoder's mean $\mu_\theta(z)$ sends negative codes to one mode and positive codes to
# the other; its noise $\sigma_\theta(z)$ is small along each mode and swells where $\mu$
# crosses over. Keep that in mind for the samples below.

# %%
crossing = np.abs(z_grid) < 0.5
along_modes = (np.abs(z_grid) > 1) & (np.abs(z_grid) < 2)
for z_value in (-1.5, -0.5, -0.2, 0.0, 0.2, 0.5, 1.5):
    i = int(np.argmin(np.abs(z_grid - z_value)))
    print(f"z = {z_value:+.1f}: μ(z) = {grid_mu[i]:+.2f}, σ(z) = {grid_sigma[i]:.2f}")
assert grid_sigma[crossing].max() > 3 * np.median(grid_sigma[along_modes])

# %% [markdown]
# ## Implicit: the GAN
# The GAN is the preset `gan.build("mixture1d")` of lesson 5's exercise 3. It gives samples
# and nothing else: to put a number on $\log p_g(x)$ we must estimate a density from its
# samples, as the 2014 paper did with a Parzen window (a Gaussian kernel on every sample),
# the bandwidth σ chosen on validation points. That number is the likelihood of $p_g$
# *blurred by the kernel*, not of $p_g$. So we also compute it with a narrow kernel and many
# samples, which estimates $p_g$ itself; the same two estimates on samples of the true
# density show how close each comes to the truth when the model is perfect.

# %%
experiment.trainer.fit()
gan_samples = experiment.trainer.sample(40000)
real_samples = tg.tensor(data.sample(40000)).numpy()
bandwidths = [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5]
chosen = parzen.parzen_evaluation(gan_samples[:10000], valid, test, sigmas=bandwidths,
                                  ceiling_samples=real_samples[:10000])


def narrow_parzen(samples, sigma=0.05):
    """Mean Parzen log p̂ of the test points with a fixed narrow kernel on many samples."""
    return float(tg.tensor(parzen.parzen_log_likelihood(test, samples, sigma)).numpy().mean())


narrow = {"GAN": narrow_parzen(gan_samples), "true samples": narrow_parzen(real_samples)}
print(f"Parzen, σ chosen on validation, 10,000 samples: GAN {chosen['log_likelihood']:.4f} "
      f"(σ {chosen['sigma']:g}), true samples {chosen['ceiling_log_likelihood']:.4f} "
      f"(σ {chosen['ceiling_sigma']:g}); truth {truth:.4f}")
print(f"Parzen, σ = 0.05, 40,000 samples: GAN {narrow['GAN']:.4f}, true samples "
      f"{narrow['true samples']:.4f}")
assert abs(narrow["true samples"] - truth) < 0.02       # the narrow estimate is fair …
assert narrow["GAN"] < narrow["true samples"] - 0.1     # … and shows p_g far off
assert chosen["log_likelihood"] < chosen["ceiling_log_likelihood"]    # blurred: less so
assert chosen["sigma"] > chosen["ceiling_sigma"]        # the blur hides part of the shortfall

# %% [markdown]
# Validation picks a wide kernel for the GAN: its samples crowd too narrowly on the modes
# (see the figure), and a wide kernel spreads them back to about the data's width. The
# narrow estimate shows $p_g$ itself is far worse than the blurred one suggests — Theis,
# van den Oord & Bethge's warning about Parzen estimates, in one dimension.
#
# ## What each model can tell you, and where it puts its mass
# All three draw samples. Between the modes ($|x| < 1$) the data have about 2% of their
# mass. The VAE's decoder carries $z$ from one mode to the other, and where it crosses its
# $\sigma_\theta(z)$ is wide (above): each code near the crossing becomes a broad Gaussian
# over the gap, and the VAE puts several times the data's share there — the 1-D picture of
# a VAE's blends of two digits. Maximum likelihood punishes a model that misses data far
# more than one that wastes mass (log 0 is −∞), and the bound inherits that. The GAN's $G$
# crosses the gap too, but steeply, and adds no noise of its own.

# %%
with tg.no_grad():
    mu, log_sigma = decode(tg.randn(10000, 1))
vae_samples = (mu + tg.exp(log_sigma) * tg.randn(10000, 1)).numpy()[:, 0]
mixture_weights = np.exp(logits.numpy()[0].astype(np.float64))
fitted = GaussianMixture("fitted", [[float(v)] for v in means.numpy()[0]],
                         [float(v) for v in np.exp(log_stds.numpy()[0])],
                         list(mixture_weights / mixture_weights.sum()))
mixture_samples = tg.tensor(fitted.sample(10000)).numpy()[:, 0]
between = {name: float((np.abs(values) < 1).mean()) for name, values in
           [("data", real_samples[:10000, 0]), ("mixture", mixture_samples),
            ("VAE", vae_samples), ("GAN", gan_samples[:10000, 0])]}
table = [("mixture of Gaussians", "explicit, tractable", f"exact: {mixture_test:.3f}",
          "the component"),
         ("VAE", "explicit, approximate", f"bounded: ELBO {elbo_test.mean():.3f} "
          f"(exact by quadrature here: {log_px.mean():.3f})", "q(z|x)"),
         ("GAN", "implicit",
          f"none; Parzen {chosen['log_likelihood']:.3f} (σ {chosen['sigma']:g}), "
          f"{narrow['GAN']:.3f} (σ 0.05)", "none (G has no inverse)")]
print(f"{'model':22s} {'kind':22s} {'test log p(x); truth ' + format(truth, '.3f'):54s} code for x")
for row in table:
    print(f"{row[0]:22s} {row[1]:22s} {row[2]:54s} {row[3]}")
print("share of samples between the modes, |x| < 1:",
      ", ".join(f"{name} {share:.1%}" for name, share in between.items()))
assert between["VAE"] > 2 * between["data"]
assert between["GAN"] < between["VAE"]

# %%
x_plot = np.linspace(-5, 5, 501)
figure, (left, right) = plt.subplots(1, 2, figsize=(12, 3.8))
left.plot(x_plot, tg.tensor(data.density(x_plot)).numpy(), "k:", label="p_data")
with tg.no_grad():
    left.plot(x_plot, np.exp(mixture_log_p(tg.tensor(x_plot[:, None].astype(np.float32))).numpy()),
              label="mixture (exact)")
left.plot(x_plot, np.exp(log_evidence(x_plot).numpy()), label="VAE (by quadrature)")
left.hist(gan_samples[:, 0], bins=100, range=(-5, 5), density=True, histtype="step",
          label="GAN samples")
left.set_xlabel("x")
left.legend(fontsize=8)
left.set_title("the densities, and the GAN's samples")
for x_value, colour in [(-2.0, "tab:blue"), (0.0, "tab:red"), (4.0, "tab:green")]:
    x_point = np.array([x_value])
    posterior = np.exp((log_joint(x_point)[0] - log_evidence(x_point)[0]).numpy())
    with tg.no_grad():
        m_x, log_s_x = (t.numpy().astype(np.float64)
                        for t in encode(tg.tensor(x_point[:, None].astype(np.float32))))
    right.plot(z_grid, posterior, color=colour, label=f"p(z | x = {x_value:g})")
    q = np.exp(log_normal(*float64(z_grid, m_x[0], log_s_x[0])).numpy())
    right.plot(z_grid, q, color=colour, linestyle="--", label=f"q(z | x = {x_value:g})")
right.set_xlim(-4, 4)
right.set_xlabel("z")
right.legend(fontsize=8)
right.set_title("the VAE's posterior and its Gaussian guess")
course.show(figure, "16_family")

# %% [markdown]
# Read the right panel with the identity: where the dashed $q$ differs from the solid
# posterior, the ELBO falls short of $\log p(x)$ by exactly their KL. The encoder is one
# network for all points, fitted where the training data are, so its largest misses are at
# rare points far out in the tails, such as $x = 4$.

# %%
tails = np.abs(test[:, 0]) > 3
print(f"the gap: {gap[~tails].mean():.3f} nats on average for |x| ≤ 3, {gap[tails].mean():.3f} "
      f"for the {tails.sum()} points beyond ±3; the largest, {gap.max():.3f}, at x = "
      f"{test[np.argmax(gap), 0]:.2f}")
assert tails[np.argmax(gap)]

# %% [markdown]
# ## Exercises
# 1. Fit the mixture with three components. Does the test log-likelihood move? Why can it
#    not rise much above the truth?
# 2. Train the VAE for a quarter of the steps and for twice as many. Which moves more: the
#    ELBO, $\log p(x)$, or the gap between them?
# 3. Give both Parzen estimates, the GAN's and the true samples', only 1,000 samples. Then
#    draw true samples from a 20-dimensional standard Gaussian (`tg.randn`) and compare the
#    Parzen estimate (σ chosen on validation) with its exact mean log-density,
#    $-\tfrac{20}{2}\log(2\pi e)$. What does that say about lesson 8's Parzen table, in 784
#    dimensions?
# 4. In `decode`, fix $\sigma_\theta(z) = 0.05$ (a narrow, fixed noise). Predict what happens
#    to the mass between the modes and to the ELBO, then try it. Which assert of the check
#    fails, and why?

# %% [markdown]
# ## Read next
# Goodfellow 2016, "NIPS 2016 tutorial: generative adversarial networks", section 2 (the
# taxonomy, Figure 9); Kingma & Welling 2014, "Auto-encoding variational Bayes", and
# Rezende, Mohamed & Wierstra 2014, "Stochastic backpropagation and approximate inference in
# deep generative models" (the ELBO, the reparameterisation); Burda, Grosse & Salakhutdinov
# 2016, "Importance weighted autoencoders"; Theis, van den Oord & Bethge 2016, "A note on the
# evaluation of generative models" (why likelihood, samples and Parzen estimates disagree).
