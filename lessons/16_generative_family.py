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
# **Time to run.** full: about 27 s; fast (`TINYGAN_FAST=1`): about 15 s.
#
# **The taxonomy** (Goodfellow 2016, "NIPS 2016 tutorial: generative adversarial networks",
# Figure 9). Every model here is trained by maximum likelihood or something standing in for
# it, and they differ in how they treat the density $p_\theta(x)$:
# - **explicit and tractable**: $p_\theta(x)$ is a formula you evaluate and maximise directly
#   (a mixture of Gaussians; fully visible belief networks such as PixelCNN; normalising
#   flows);
# - **explicit and approximate**: $p_\theta(x) = \int p(z)\,p_\theta(x|z)\,dz$ is defined but
#   the integral cannot be computed, so training maximises a bound (the VAE's variational
#   bound) or samples a Markov chain (Boltzmann machines);
# - **implicit**: only a way to draw samples, $x = G(z)$; no density is ever written down
#   (the GAN; generative stochastic networks, with a Markov chain).
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
from tinygan.metrics import parzen

tg.manual_seed(0)
experiment = gan.build("mixture1d", steps=course.choose(3000, 1000), seed=0)   # the GAN, below
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
# Its log-likelihood is a formula, so autograd and Adam maximise it directly.

# %%
logits = tg.zeros(1, 2, requires_grad=True)
means = tg.tensor(np.array([[-0.5, 0.5]], dtype=np.float32), requires_grad=True)
log_stds = tg.zeros(1, 2, requires_grad=True)


def mixture_log_p(x):
    log_weights = logits - tg.log(tg.exp(logits).sum(axis=1, keepdims=True))
    return tg.log(tg.exp(log_weights + log_normal(x, means, log_stds)).sum(axis=1))


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
# **Exercise (in the code).** Write the two terms of the ELBO. `elbo` takes the points `x`
# (n × 1), draws `eps` (n × S) and weights (1 × S) that average over them: S = 1 and
# weight 1 in training (one draw per point), Gauss–Hermite nodes and weights when we
# evaluate (an almost exact expectation). Use `log_normal` for the reconstruction term and
# the closed form of lesson 4's exercise 3 for the KL term.

# %%
def mlp():
    return nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                         nn.Linear(32, 2))


tg.manual_seed(1)
encoder, decoder = mlp(), mlp()          # x -> (m, log s) and z -> (μ, log σ)


def elbo(x, eps, weights):
    """Per point: E_q[log p(x|z)] − KL(q(z|x) ‖ N(0, 1)), the expectation as Σⱼ wⱼ f(m + s εⱼ)."""
    code = encoder(x)
    m, log_s = code[:, 0:1], code[:, 1:2]
    z = m + tg.exp(log_s) * eps                                   # (n, S) codes
    decoded = decoder(z.reshape(-1, 1))
    mu, log_sigma = decoded[:, 0].reshape(z.shape), decoded[:, 1].reshape(z.shape)
    ### BEGIN SOLUTION
    reconstruction = (log_normal(x, mu, log_sigma) * weights).sum(axis=1)
    kl = 0.5 * (tg.exp(2 * log_s) + m ** 2 - 1 - 2 * log_s)[:, 0]
    ### END SOLUTION
    return reconstruction - kl


adam = optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=3e-3)
one = tg.ones(1, 1)
for step in range(course.choose(4000, 1500)):
    rows = batches(len(train), 256, 10_000 + step)
    eps = tg.tensor(np.random.default_rng(20_000 + step).standard_normal((256, 1)).astype(np.float32))
    loss = -elbo(tg.tensor(train[rows]), eps, one).mean()
    adam.zero_grad()
    loss.backward()
    adam.step()

# %% [markdown]
# With a one-dimensional code the integral is a quadrature: $p_\theta(x)$ on a fine grid of
# $z$ is exact to many digits, and so is the true posterior
# $p_\theta(z|x) = p(z)\,p_\theta(x|z)/p_\theta(x)$. (With a code of 100 dimensions neither
# is computable, which is the whole reason for the bound.)

# %%
nodes, node_weights = np.polynomial.hermite_e.hermegauss(160)   # ∫ f(ε) e^{−ε²/2} dε
with tg.no_grad():
    elbo_test = elbo(tg.tensor(test), tg.tensor(np.tile(nodes, (len(test), 1)).astype(np.float32)),
                     tg.tensor((node_weights / node_weights.sum())[None].astype(np.float32))).numpy()
    z_grid = np.linspace(-8, 8, 8001)
    decoded = decoder(tg.tensor(z_grid[:, None].astype(np.float32))).numpy().astype(np.float64)
    code = encoder(tg.tensor(test)).numpy().astype(np.float64)
dz = z_grid[1] - z_grid[0]


def log_joint(x):
    """log p(z) + log p(x|z) on the grid, one row per point x."""
    mu, sigma = decoded[:, 0], np.exp(decoded[:, 1])
    return (-0.5 * z_grid ** 2 - 0.5 * ((x[:, None] - mu) / sigma) ** 2 - np.log(sigma)
            - 2 * LOG_SQRT_2PI)


def log_evidence(x):
    """log p(x) = log ∫ p(z) p(x|z) dz by the trapezoid rule, stably."""
    joint = log_joint(x)
    peak = joint.max(axis=1, keepdims=True)
    return peak[:, 0] + np.log(np.trapezoid(np.exp(joint - peak), dx=dz, axis=1))


x64 = test[:, 0].astype(np.float64)
log_px = log_evidence(x64)
log_posterior = log_joint(x64) - log_px[:, None]
m, s = code[:, 0:1], np.exp(code[:, 1:2])
log_q = -0.5 * ((z_grid - m) / s) ** 2 - np.log(s) - LOG_SQRT_2PI
kl_to_posterior = np.trapezoid(np.exp(log_q) * (log_q - log_posterior), dx=dz, axis=1)
gap = log_px - elbo_test
print(f"VAE: test log p {log_px.mean():.4f} (truth {truth:.4f}), ELBO {elbo_test.mean():.4f}, "
      f"gap {gap.mean():.4f} nats on average ({gap.min():.4f} to {gap.max():.4f})")
print(f"largest |log p − ELBO − KL(q ‖ posterior)| over {len(test)} points: "
      f"{np.abs(gap - kl_to_posterior).max():.1e}")

# %% check="elbo_identity" points=3
# Both sides are computed independently (160 Gauss–Hermite nodes for the ELBO, the z grid
# for log p(x) and the KL). They agree to the quadrature's error: at most about 1e-5 nats
# (40 nodes left 5e-4 where q straddles the decoder's steep crossing between the modes),
# so 1e-4 is a safe bound; a wrong term (a missing −½ log 2π, a KL with the wrong sign or
# without its ½) breaks the identity by 0.1 nats or more.
assert np.abs(gap - kl_to_posterior).max() < 1e-4
assert gap.min() > -1e-4                      # the ELBO is a lower bound at every point
assert gap.mean() > 0.01                      # … and a Gaussian q leaves a visible gap here
assert log_px.mean() < truth + 0.02           # the VAE's likelihood, like any model's,
assert log_px.mean() > truth - course.choose(0.1, 0.2)   # … is below the truth, and near it

# %% [markdown]
# ## Implicit: the GAN
# The GAN is the preset `gan.build("mixture1d")` of lesson 5's exercise 3. It gives samples
# and nothing else: to put a number on $\log p_g(x)$ we must estimate a density from its
# samples, as the 2014 paper did with a Parzen window, the bandwidth chosen on validation
# points. The same estimate applied to samples of the true density measures the estimator's
# own error.

# %%
experiment.trainer.fit()
gan_samples = experiment.trainer.sample(10000)
real_samples = tg.tensor(data.sample(10000)).numpy()
bandwidths = [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5]


def parzen_test(samples):
    """Mean Parzen log p̂ of the test points, σ chosen on the validation points."""
    scores = tg.tensor(parzen.parzen_log_likelihood(valid, samples, bandwidths)).numpy()
    sigma = bandwidths[int(np.argmax(scores.mean(axis=1)))]
    return float(tg.tensor(parzen.parzen_log_likelihood(test, samples, sigma)).numpy().mean()), sigma


gan_parzen, gan_sigma = parzen_test(gan_samples)
real_parzen, real_sigma = parzen_test(real_samples)
print(f"GAN: Parzen estimate {gan_parzen:.4f} (σ {gan_sigma}); the same estimate on true "
      f"samples {real_parzen:.4f} (σ {real_sigma}); truth {truth:.4f}")
assert abs(real_parzen - truth) < 0.02        # in 1-D, 10,000 samples estimate well …
assert gan_parzen < truth                     # … so the GAN's shortfall is its own

# %% [markdown]
# ## What each model can tell you, and where it puts its mass
# All three draw samples. Between the modes ($|x| < 1$) the data have about 2% of their
# mass. The VAE's continuous decoder must carry $z$ from one mode to the other, and its
# Gaussian $p_\theta(x|z)$ adds noise all along the way: it puts several times the data's
# share between the modes and makes each mode wider than the data's — it errs wide, the 1-D
# picture of the VAE's blurry digits. Maximum likelihood punishes a model that misses data
# (log 0) far more than one that wastes mass, and the bound inherits that. The GAN's $G$
# crosses the gap too, but steeply, and adds no noise of its own; its modes are not right
# either (compare their histogram with $p_{data}$ in the figure), but it is not judged by
# the likelihood, and nothing in its loss asks it to cover.

# %%
with tg.no_grad():
    decoded_samples = decoder(tg.randn(10000, 1)).numpy()
vae_samples = decoded_samples[:, 0] + np.exp(decoded_samples[:, 1]) * \
    np.random.default_rng(5).standard_normal(10000)
weights = np.exp(logits.numpy()[0]) / np.exp(logits.numpy()[0]).sum()
component = (np.random.default_rng(6).random(10000) > weights[0]).astype(int)   # 0 or 1
mixture_samples = means.numpy()[0][component] + np.exp(log_stds.numpy()[0])[component] * \
    np.random.default_rng(7).standard_normal(10000)
between = {name: float((np.abs(values) < 1).mean()) for name, values in
           [("data", real_samples[:, 0]), ("mixture", mixture_samples), ("VAE", vae_samples),
            ("GAN", gan_samples[:, 0])]}
rows = [("mixture of Gaussians", "explicit, tractable", f"exact: {mixture_test:.3f}", "the component"),
        ("VAE", "explicit, approximate", f"bounded: ELBO {elbo_test.mean():.3f} "
         f"(here exact by quadrature: {log_px.mean():.3f})", "q(z|x)"),
        ("GAN", "implicit", f"none; Parzen estimate {gan_parzen:.3f}", "none (G has no inverse)")]
print(f"{'model':22s} {'kind':22s} {'test log p(x), truth ' + format(truth, '.3f'):54s} code for x")
for row in rows:
    print(f"{row[0]:22s} {row[1]:22s} {row[2]:54s} {row[3]}")
print("share of samples between the modes, |x| < 1:",
      ", ".join(f"{name} {share:.1%}" for name, share in between.items()))
widths = {name: [float(values[values < 0].std()), float(values[values > 0].std())]
          for name, values in [("data", real_samples[:, 0]), ("VAE", vae_samples)]}
print("the modes' widths (std of the samples left and right of 0): " +
      ", ".join(f"{name} {left:.3f} / {right:.3f}" for name, (left, right) in widths.items()))
assert between["VAE"] > 2 * between["data"]
assert between["GAN"] < between["VAE"]
assert min(widths["VAE"]) > 1.1 * max(widths["data"])

# %%
x_plot = np.linspace(-5, 5, 501)
figure, (left, right) = plt.subplots(1, 2, figsize=(12, 3.8))
left.plot(x_plot, tg.tensor(data.density(x_plot)).numpy(), "k:", label="p_data")
with tg.no_grad():
    left.plot(x_plot, np.exp(mixture_log_p(tg.tensor(x_plot[:, None].astype(np.float32))).numpy()),
              label="mixture (exact)")
left.plot(x_plot, np.exp(log_evidence(x_plot)), label="VAE (by quadrature)")
left.hist(gan_samples[:, 0], bins=100, range=(-5, 5), density=True, histtype="step",
          label="GAN samples")
left.set_xlabel("x")
left.legend(fontsize=8)
left.set_title("the densities, and the GAN's samples")
for x_value, colour in [(-2.0, "tab:blue"), (0.0, "tab:red")]:
    joint = log_joint(np.array([x_value]))[0]
    posterior = np.exp(joint - log_evidence(np.array([x_value]))[0])
    with tg.no_grad():
        m_x, log_s_x = encoder(tg.tensor(np.array([[x_value]], dtype=np.float32))).numpy()[0]
    q_x = np.exp(-0.5 * ((z_grid - m_x) / np.exp(log_s_x)) ** 2 - log_s_x - LOG_SQRT_2PI)
    right.plot(z_grid, posterior, color=colour, label=f"p(z | x = {x_value:g})")
    right.plot(z_grid, q_x, color=colour, linestyle="--", label=f"q(z | x = {x_value:g})")
right.set_xlim(-4, 4)
right.set_xlabel("z")
right.legend(fontsize=8)
right.set_title("the VAE's posterior and its Gaussian guess")
course.show(figure, "16_family")

# %% [markdown]
# Read the right panel with the identity: where the dashed $q$ differs from the solid
# posterior, the ELBO falls short of $\log p(x)$ by exactly their KL. The shortfall differs
# from point to point: the encoder guesses best where the training data are dense, and
# worst for the rare points in the outer tails.

# %%
tails = np.abs(test[:, 0]) > 3
print(f"the gap: {gap[~tails].mean():.3f} nats on average for |x| ≤ 3, "
      f"{gap[tails].mean():.3f} for the {tails.sum()} points beyond ±3")
assert gap[tails].mean() > gap[~tails].mean()

# %% [markdown]
# ## Exercises
# 1. Fit the mixture with three components. Does the test log-likelihood move? Why can it
#    not rise much above the truth?
# 2. Train the VAE for a quarter of the steps and for twice as many. Which moves more: the
#    ELBO, $\log p(x)$, or the gap between them?
# 3. Give the GAN's Parzen estimate only 1,000 samples. How far below the truth is the
#    estimate of the *true* samples now? What does that say about lesson 8's Parzen table,
#    in 784 dimensions?
# 4. Replace the VAE's Gaussian $p_\theta(x|z)$ by a narrow fixed one ($\sigma = 0.05$).
#    What happens to the mass between the modes, and to the ELBO?

# %% [markdown]
# ## Read next
# Goodfellow 2016, "NIPS 2016 tutorial: generative adversarial networks", section 2 (the
# taxonomy, Figure 9); Kingma & Welling 2014, "Auto-encoding variational Bayes" (the ELBO,
# the reparameterisation); Theis, van den Oord & Bethge 2016, "A note on the evaluation of
# generative models" (why likelihood, samples and Parzen estimates disagree).
