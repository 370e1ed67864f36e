# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 6 — Saturation: minimax vs non-saturating generator loss
#
# **Goals.**
# 1. Compute, with autograd, how strongly each generator loss pushes $G$ as a function of
#    $D(G(z))$.
# 2. See why the paper recommends maximising $\log D(G(z))$ instead of minimising
#    $\log(1 - D(G(z)))$ early in training.
# 3. Watch training stall with the minimax loss when the discriminator wins early.
#
# **Prerequisites.** Lesson 5 (Algorithm 1); lesson 1 (`backward()`).
#
# **Time to run.** full: about 3 min; fast (`TINYGAN_FAST=1`): about 13 s.
#
# **The formulas.** With $D(G(z)) = \sigma(l)$:
# minimax $\;\frac{\partial}{\partial l}\log(1-\sigma(l)) = -\sigma(l) \to 0$ as $D(G(z)) \to 0$;
# non-saturating $\;\frac{\partial}{\partial l}\,(-\log\sigma(l)) = \sigma(l) - 1 \to -1$.
# Both losses have the same fixed point ($p_g = p_{data}$).

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygan as tg
from tinygan import gan, theory, course

# %% [markdown]
# ## Gradient magnitude against $D(G(z))$, by `backward()`

# %%
d_fake = np.logspace(-5, np.log10(0.99), 200)
minimax = tg.backend.to_numpy(theory.generator_gradient(d_fake, "minimax"))
non_saturating = tg.backend.to_numpy(theory.generator_gradient(d_fake, "non_saturating"))
print(f"at D(G(z)) = 1e-5: minimax {minimax[0]:.2e}, non-saturating {non_saturating[0]:.4f}")
assert minimax[0] < 1e-4 and non_saturating[0] > 0.999

# %%
figure, axes = plt.subplots(figsize=(6, 3.6))
axes.loglog(d_fake, minimax, label="minimax: |∂/∂l log(1 − D)|")
axes.loglog(d_fake, non_saturating, label="non-saturating: |∂/∂l −log D|")
axes.set_xlabel("D(G(z))")
axes.set_ylabel("gradient magnitude w.r.t. D's logit")
axes.legend()
course.show(figure, "06_gradient_magnitude")

# %% [markdown]
# ## What it does to training
# We first let the discriminator win (200 D steps with G frozen), then train both ways with
# plain SGD. (Adam divides each step by a running gradient scale, which largely hides a
# vanishing gradient: try it in the exercises.)
#
# **Exercise (in the code).** Pre-train the discriminator: 200 discriminator steps. Then
# count how long each generator stays rejected (mean D(G(z)) below 0.1).

# %%
steps = course.choose(1500, 200)
results = {}
for loss in ("minimax", "non_saturating"):
    experiment = gan.build("gaussian1d", loss=loss, steps=steps, optimizer="sgd", lr_g=0.05,
                           lr_d=0.05, momentum=0.5, final_momentum=0.5, lr_decay=1.0, ema=0.0,
                           log_every=10, seed=0)
    trainer = experiment.trainer
    ### BEGIN SOLUTION
    for j in range(200):
        trainer.discriminator_step(j)
    ### END SOLUTION
    trainer.fit()
    history = trainer.history
    escaped = [step for step, d in zip(history["step"], history["d_fake"]) if d > 0.1]
    results[loss] = dict(history=history, escape=escaped[0] if escaped else float("inf"))
    print(f"{loss:15s}: mean D(G(z)) at the start {history['d_fake'][0]:.4f}; "
          f"first step with D(G(z)) > 0.1: {results[loss]['escape']}")

# %%
figure, axes = plt.subplots(figsize=(6, 3.6))
for loss, result in results.items():
    axes.semilogy(result["history"]["step"], result["history"]["d_fake"], label=loss)
axes.set_xlabel("generator step")
axes.set_ylabel("mean D(G(z))")
axes.legend()
course.show(figure, "06_training_with_each_loss")

# %% check="pretrained_discriminator" points=2
# The non-saturating generator escapes D's rejection at once (in the lesson's full run: by
# step 10); the minimax generator was still rejected after all 1,500 steps.
escape = {loss: result["escape"] for loss, result in results.items()}
assert escape["non_saturating"] < escape["minimax"], escape
assert escape["non_saturating"] <= 20, escape

# %% [markdown]
# ## Exercises
# 1. Repeat the training comparison with `optimizer="adam"`. Why does the gap shrink?
# 2. Plot the two losses themselves, $\log(1-D)$ and $-\log D$, against $D$: where is each steep?
# 3. At which value of $D(G(z))$ are the two gradient magnitudes equal?

# %% [markdown]
# ## Read next
# Goodfellow et al. 2014, section 3, last paragraph (train G to maximise $\log D(G(z))$);
# Arjovsky & Bottou 2017, "Towards principled methods for training GANs", section 2.2.
