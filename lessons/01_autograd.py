# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 1 — Tensors and reverse-mode autograd
#
# **Goals.** After this lesson you can
# 1. say what a computation graph is and how `backward()` walks it,
# 2. apply the chain rule by hand to a small graph and get the same numbers as tinygan,
# 3. check any gradient with central finite differences (`tinygan.gradcheck`),
# 4. differentiate a gradient again (`tinygan.grad(..., create_graph=True)`).
#
# **Prerequisites.** Python and NumPy; the chain rule from calculus.
#
# **Time to run.** full: about 2 s; fast (`TINYGAN_FAST=1`): about 2 s.
#
# **The formula.** For a scalar loss $L$ and an intermediate value $y = f(a, b)$,
# reverse mode propagates
# $$\frac{\partial L}{\partial a} = \frac{\partial L}{\partial y}\,\frac{\partial y}{\partial a},$$
# starting from $\partial L / \partial L = 1$ and visiting every node after all the nodes
# that use it. A value used twice receives the *sum* of the two contributions.

# %%
import numpy as np
import matplotlib.pyplot as plt

import tinygan as tg
from tinygan import course

tg.manual_seed(0)

# %% [markdown]
# ## A graph by hand
# Take $L(x, w, b) = \sigma(w x + b)\cdot x$. Forward: $u = wx + b$, $s = \sigma(u)$, $L = s\,x$.
# Backward, with $\sigma'(u) = s(1-s)$:
# $$\frac{\partial L}{\partial w} = x\cdot s(1-s)\cdot x,\qquad
#   \frac{\partial L}{\partial b} = x\cdot s(1-s),\qquad
#   \frac{\partial L}{\partial x} = s + x\cdot s(1-s)\cdot w .$$
# The last one has two terms because $x$ is used twice.

# %%
x = tg.tensor(1.5, dtype="float64", requires_grad=True)
w = tg.tensor(-0.7, dtype="float64", requires_grad=True)
b = tg.tensor(0.2, dtype="float64", requires_grad=True)
L = tg.sigmoid(w * x + b) * x
L.backward()
print("autograd:", x.grad, w.grad, b.grad)

# %% [markdown]
# **Exercise (in the code).** Compute the three gradients by hand from the formulas above.

# %%
xv, wv, bv = 1.5, -0.7, 0.2
### BEGIN SOLUTION
s = 1 / (1 + np.exp(-(wv * xv + bv)))
by_hand = {"x": s + xv * s * (1 - s) * wv, "w": xv * s * (1 - s) * xv, "b": xv * s * (1 - s)}
### END SOLUTION

# %% check="hand_gradients" points=3
print("by hand: ", by_hand)
assert abs(by_hand["x"] - float(x.grad)) < 1e-12
assert abs(by_hand["w"] - float(w.grad)) < 1e-12
assert abs(by_hand["b"] - float(b.grad)) < 1e-12

# %% [markdown]
# ## Gradients accumulate
# Calling `backward()` again adds to `.grad` (that is how a value used in two losses gets
# both contributions). `zero_grad()` starts over. The graph is freed after `backward()`,
# so build it again (or pass `retain_graph=True`).

# %%
before = float(w.grad)
(tg.sigmoid(w * x + b) * x).backward()
assert abs(float(w.grad) - 2 * before) < 1e-12
w.zero_grad()
assert w.grad is None

# %% [markdown]
# ## Checking gradients numerically
# The central difference $\frac{f(x+\varepsilon) - f(x-\varepsilon)}{2\varepsilon}$ has error
# $O(\varepsilon^2)$; in float64 with $\varepsilon = 10^{-6}$ it agrees with a correct
# gradient to about $10^{-9}$. `tinygan.gradcheck` does this for every entry of every input.

# %%
A = tg.tensor(np.random.default_rng(0).normal(size=(4, 3)), requires_grad=True)
result = tg.gradcheck(lambda a: (tg.tanh(a) @ a.T).log_sigmoid().sum(axis=0), A)
print(result)
assert result.passed and result.max_abs_error < 1e-8

# %% [markdown]
# ## A picture: a function and its derivative from `backward()`
# For $f(x) = x\,\sigma(x)$ (the "SiLU"), autograd gives $f'(x)$ at every point of a grid
# in one backward pass, because $\sum_i f(x_i)$ has $\partial/\partial x_i = f'(x_i)$.

# %%
grid = tg.tensor(np.linspace(-6, 6, 241), requires_grad=True)
f = grid * tg.sigmoid(grid)
f.sum().backward()
s = 1 / (1 + np.exp(-grid.numpy()))
closed_form = s + grid.numpy() * s * (1 - s)
assert np.max(np.abs(grid.grad.numpy() - closed_form)) < 1e-12

figure, axes = plt.subplots(figsize=(6, 3.5))
axes.plot(grid.numpy(), f.numpy(), label="f(x) = x·σ(x)")
axes.plot(grid.numpy(), grid.grad.numpy(), label="f'(x) from backward()")
axes.plot(grid.numpy()[::12], closed_form[::12], "k.", label="closed form")
axes.legend()
axes.set_xlabel("x")
course.show(figure, "01_silu_derivative")

# %% [markdown]
# ## Gradients of gradients
# Every gradient rule in tinygan's op table is itself written with Tensor ops, so with
# `create_graph=True` the backward pass is recorded and can be differentiated again (as
# `torch.autograd.grad`). For $f(x) = x\,\sigma(x)$: $f''(x) = \sigma(x)(1-\sigma(x))\,(2 + x(1 - 2\sigma(x)))$.
# This is what a gradient penalty (WGAN-GP, lesson 10) needs: a loss built from a gradient.

# %%
x2 = tg.tensor(np.linspace(-4, 4, 9), requires_grad=True)
(first,) = tg.grad((x2 * tg.sigmoid(x2)).sum(), x2, create_graph=True)   # f'(x), recorded
(second,) = tg.grad(first.sum(), x2)                                      # f''(x)
s2 = 1 / (1 + np.exp(-x2.numpy()))
assert np.max(np.abs(second.numpy() - s2 * (1 - s2) * (2 + x2.numpy() * (1 - 2 * s2)))) < 1e-12
print("f''(x) at", x2.numpy(), "=", second.numpy().round(4))
assert tg.gradgradcheck(lambda a: (tg.tanh(a) @ a.T).log_sigmoid().sum(axis=0), A).passed

# %% [markdown]
# ## Exercises
# 1. Write $L = \log(1 + e^{wx})$ with `tg.softplus` and check $\partial L/\partial w$ by hand.
# 2. Build a chain of 10,000 multiplications `y = y * 1.0001` and call `backward()`.
#    Why does tinygan not hit Python's recursion limit? (Look at `Tensor._topological_order`.)
# 3. Break an op on purpose (multiply a gradient by 2 in a copy of `tinygan/ops/elementwise.py`)
#    and watch `gradcheck` report the worst entry.

# %% [markdown]
# ## Read next
# Baydin et al. 2018, "Automatic differentiation in machine learning: a survey", section 3
# (reverse mode); Goodfellow, Bengio & Courville, *Deep Learning*, section 6.5 (back-
# propagation).
