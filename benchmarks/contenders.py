"""The contenders gan_step.py times, one factory each. A factory runs inside its own worker
process (harness.py), builds everything, and returns the step to time (or ``(step,
synchronize)`` on a GPU); it raises ``Unavailable`` when it cannot run here.

tinygan is built from its public API and presets (``tinygan.gan.build``, ``preset``), never
re-typed here; the hand-written NumPy step, the GEMM floor and PyTorch mirror what the
preset says. Changes from the presets, the same for every contender: the MNIST preset's
PacGAN packs are off (pack = 1, the paper's exact model), its learning-rate decay and
momentum ramp are off (they cost nothing but would make PyTorch's arithmetic differ).
"""
from harness import Unavailable
from reference_numpy import GemmFloor, HandWrittenStep, gemm_shapes

PAPER = dict(pack=1, lr_decay=1.0, final_momentum=0.5, log_every=10 ** 9)
WGAN_GP = dict(lr=1e-4, betas=(0.5, 0.9), penalty=10.0)    # Gulrajani et al. 2017


def mnist_pixels():
    """The MNIST rows every contender trains on: tinygan's offline sample, or uniform
    noise of the same shape when it is not installed (the timing does not depend on it)."""
    import numpy as np
    from tinygan.data import DataError, load_mnist
    try:
        return np.asarray(load_mnist().train, dtype=np.float32)
    except DataError:
        return np.random.default_rng(0).random((4000, 784), dtype=np.float32)


def use_backend(name):
    """Switch to backend ``name``, NumPy included: a worker inherits TINYGAN_BACKEND (.ci/gpu
    sets cupy), and the NumPy contender must not silently run on the GPU."""
    from tinygan import backend
    if name not in backend.available_backends():
        raise Unavailable(backend.gpu_status())
    backend.set_backend(name)


def synchronised(step, backend):
    """A tinygan step as the harness times it: with CuPy's synchronisation off NumPy."""
    if backend == "numpy":
        return step
    import cupy
    return step, cupy.cuda.Device().synchronize


def torch_synchronised(torch, step, device):
    """A PyTorch step as the harness times it: with CUDA's synchronisation on a GPU."""
    return (step, torch.cuda.synchronize) if device == "cuda" else step


# ----- the paper's MNIST GAN ------------------------------------------------------------
def tinygan_mnist(m=100, dropout=True, backend="numpy", fused=None):
    """``fused``: the CuPy kernels on or off; None keeps the library's default."""
    from tinygan import fused as fusion, gan, nn
    use_backend(backend)
    if fused is not None:
        fusion.set_enabled(fused)
    trainer = gan.build("mnist-5k", batch_size=m, **PAPER).trainer
    if not dropout:
        for _, module in trainer.discriminator.named_modules():
            if isinstance(module, nn.Dropout):
                module.p = 0.0
    return synchronised(trainer.train_step, backend)


def hand_mnist(m=100, dropout=True):
    return HandWrittenStep(mnist_pixels(), m, dropout).step


def gemm_floor(m=100, shapes=None):
    """The iteration's matrix products alone; ``shapes`` (rows, inner, cols) overrides them."""
    return GemmFloor([tuple(s) for s in shapes] if shapes else gemm_shapes(m)).step


def torch_gemm_floor(m=100):
    """The same products through PyTorch's own matrix multiply (the BLAS its wheel bundles)
    on preallocated operands: the floor PyTorch's step stands on, beside NumPy's."""
    torch = load_torch("cpu")
    torch.manual_seed(0)
    pairs = [(torch.rand(a, b), torch.rand(b, c)) for a, b, c in gemm_shapes(m)]

    def step():
        for a, b in pairs:
            a @ b
    return step


def load_torch(device):
    try:
        import torch
    except ImportError:
        raise Unavailable("PyTorch not installed (pip install -e '.[bench]')") from None
    if device == "cuda":
        if not torch.cuda.is_available():
            raise Unavailable("PyTorch sees no CUDA device")
        # float32 arithmetic, as tinygan's on CuPy: cuDNN's convolutions default to TF32
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    return torch


def torch_mnist(m=100, dropout=True, device="cpu"):
    torch = load_torch(device)
    from reference_torch import TorchStep, paper_models
    torch.manual_seed(0)
    G, D = paper_models(dropout)
    step = TorchStep(G, D, mnist_pixels(), m, 100, "sgd", device)
    return torch_synchronised(torch, step.step, device)


# ----- the 2-D toy GAN (the "ring" preset) -------------------------------------------------
def tinygan_toy(dataset="ring", m=None):
    from tinygan import gan
    return gan.build(dataset, batch_size=m, log_every=10 ** 9).trainer.train_step


def torch_toy(dataset="ring", m=None):
    torch = load_torch("cpu")
    from tinygan.data import make_toy
    from tinygan.gan import preset
    from reference_torch import ToyStep
    torch.manual_seed(0)
    return ToyStep(preset(dataset).with_(batch_size=m), make_toy(dataset)).step


# ----- a WGAN-GP critic step on the paper's discriminator (double backward) ------------------
def tinygan_wgan_gp(m=100):
    """One critic step: L = D(fake) − D(real) + λ (‖∇ D(x̂)‖ − 1)², x̂ = εx + (1 − ε)G(z),
    through ``tinygan.grad(..., create_graph=True)`` and ``loss.backward()``."""
    import tinygan as tg
    if not hasattr(tg, "grad"):
        raise Unavailable("tinygan.grad missing")
    from tinygan import data, gan, optim
    tg.manual_seed(0)
    G = gan.paper_mnist_generator()
    D = gan.paper_mnist_discriminator(input_keep=1.0, hidden_keep=1.0)
    critic = optim.Adam(D.parameters(), lr=WGAN_GP["lr"], betas=WGAN_GP["betas"])
    sampler = data.EpochSampler(mnist_pixels(), m)
    count = [0]

    def step():
        real = sampler.batch(count[0])
        count[0] += 1
        with tg.no_grad():
            fake = G.sample(m)
        eps = tg.rand(m, 1)
        mixed = (eps * real + (1 - eps) * fake).detach().requires_grad_()
        (slopes,) = tg.grad(D(mixed).sum(), [mixed], create_graph=True)
        penalty = (((slopes * slopes).sum(axis=1).sqrt() - 1) ** 2).mean()
        loss = D(fake).mean() - D(real).mean() + WGAN_GP["penalty"] * penalty
        critic.zero_grad()
        loss.backward()
        critic.step()
    return step


def torch_wgan_gp(m=100, device="cpu"):
    torch = load_torch(device)
    from reference_torch import WganGpCriticStep, paper_models
    torch.manual_seed(0)
    G, D = paper_models(dropout=False)
    step = WganGpCriticStep(G, D, mnist_pixels(), m, device, **WGAN_GP)
    return torch_synchronised(torch, step.step, device)


def environment():
    """Nothing to time: a worker that loads every library, so the harness can report
    versions, BLAS kernels and thread pools as the contenders see them."""
    import numpy  # noqa: F401
    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    return lambda: None
