# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Lesson 9 — Running on a GPU with CuPy
#
# **Goals.**
# 1. Switch tinygan between NumPy (CPU) and CuPy (GPU) without changing model code.
# 2. Time the paper's training iteration on each, synchronising the GPU correctly.
# 3. Know what changes (where arrays live, when the host waits) and what does not
#    (every formula, every seed-driven result on the same backend).
#
# **Prerequisites.** Lesson 8 (the MNIST GAN). A GPU is optional: without one the lesson runs on NumPy.
#
# **Time to run.** full: about 10 s; fast (`TINYGAN_FAST=1`): about 3 s.
#
# **How it works.** Every op asks `tinygan.backend` for the array module, so the same
# `Tensor` code runs on `numpy.ndarray` or `cupy.ndarray`. GPU kernels run asynchronously:
# `.item()`, `float(x)` and `.numpy()` make the host wait, so keep them out of inner loops.

# %%
import time

import tinygan as tg
from tinygan import gan, course

available = tg.backend.available_backends()
print("backends here:", available)
print("GPU:", tg.backend.gpu_status())

# %% [markdown]
# The same lines on any backend: `backend.using(name)` switches inside a block.
#
# **Exercise (in the code).** Time `n` iterations of Algorithm 1 on the current backend.

# %%
def time_iterations(n, warmup=3):
    experiment = gan.build("mnist-5k", steps=warmup + n, seed=0)
    trainer = experiment.trainer
    for _ in range(warmup):                          # first calls compile GPU kernels
        trainer.train_step()
    ### BEGIN SOLUTION
    float(trainer.generator.parameters()[0].data.sum())      # wait for the GPU to finish
    started = time.perf_counter()
    for _ in range(n):
        trainer.train_step()
    float(trainer.generator.parameters()[0].data.sum())
    elapsed = time.perf_counter() - started
    ### END SOLUTION
    return 1000 * elapsed / n


# %%
n = course.choose(20, 2)
timings = {}
for name in available:
    with tg.backend.using(name):
        timings[name] = time_iterations(n)
    print(f"{name}: {timings[name]:.1f} ms per iteration")

# %% check="timing" points=1
assert set(timings) == set(available) and all(0 < ms < float("inf") for ms in timings.values())

# %%
import matplotlib.pyplot as plt

figure, axes = plt.subplots(figsize=(4.5, 3))
axes.bar(list(timings), list(timings.values()), color=["tab:blue", "tab:green"][:len(timings)])
axes.set_ylabel("ms per Algorithm-1 iteration")
axes.set_title("the paper's MNIST GAN, m = 100")
course.show(figure, "09_cpu_vs_gpu")

# %%
if "cupy" in timings:
    print(f"speed-up of the GPU over the CPU: {timings['numpy'] / timings['cupy']:.1f}×")
else:
    print("No GPU here: CuPy needs an NVIDIA GPU and the wheel for its CUDA version "
          "(pip install cupy-cuda12x, or cupy-cuda13x). Everything above ran on NumPy, "
          "and the rest of the course does not need a GPU.")

# %% [markdown]
# **What a GPU measured.** On one NVIDIA H200 (`.ci/gpu`), the cell above printed 4.7–5.4 ms
# per iteration on CuPy against 30–35 ms on NumPy with 16 cores (5.6–7.4 ×). The benchmark's
# version (`benchmarks/gan_step.py --only gpu`: the paper's exact model, README "On the GPU,
# measured") took 7.1–7.2 ms on CuPy at m = 100 and 7.5–10 ms at m = 1,000, against 4.4–5.5
# ms in PyTorch CUDA and 23–25 / 123–141 ms on NumPy. Ten times the batch costs the GPU
# almost nothing more: at m = 100 it is *launch-bound*, waiting for Python to hand it about
# 200 small kernels, each costing 12–42 µs of host time whatever its size. Two remedies are in the library: fused kernels
# (`tinygan/fused.py`, one launch where NumPy's formula needs several; on by default on
# CuPy) and a random generator whose seeding is cheap on a GPU (Philox4x32-10).
#
# ## What does not change
# Seeds give the same numbers on the same backend. Across backends the random streams
# differ (NumPy's PCG64, CuPy's Philox4x32-10), so compare distributions, not bits: on the
# ring preset both backends capture 8/8 modes with 93.5–94.8% high-quality samples for
# seeds 0–2 (README).

# %%
with tg.backend.using("numpy"):
    tg.manual_seed(5)
    first = tg.randn(3).numpy()
    tg.manual_seed(5)
    assert (first == tg.randn(3).numpy()).all()

# %% [markdown]
# ## Exercises
# 1. With a GPU, time batch sizes 100, 1000 and 10,000. Where does the GPU stop being launch-bound?
# 2. Put `print(loss.item())` inside a training loop on CuPy and time it again. Why is it slower?
# 3. Run `TINYGAN_BACKEND=cupy tinygan train --dataset ring` and compare the metrics with the CPU run.

# %% [markdown]
# ## Read next
# CuPy's user guide, "Performance best practices" (asynchronous kernels, timing with
# synchronisation); then Radford et al. 2015, "DCGAN", the convolutional GAN a GPU makes
# practical.
