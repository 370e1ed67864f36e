"""PyTorch eager mirrors of what gan_step.py times in tinygan: the paper's MNIST GAN, the 2-D
toy preset, and a WGAN-GP critic step. Same architecture, dtype, minibatch, optimizer and
gradient work as tinygan's iteration (fakes made under no_grad in D's step; D's weights get
no gradient in G's step)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Maxout(nn.Module):
    def __init__(self, inputs, units, pieces):
        super().__init__()
        self.linear, self.units, self.pieces = nn.Linear(inputs, units * pieces), units, pieces

    def forward(self, x):     # piece-major, as tinygan: max over the middle axis
        return self.linear(x).view(x.shape[0], self.pieces, self.units).amax(dim=1)


def paper_models(dropout=True):
    G = nn.Sequential(nn.Linear(100, 1200), nn.ReLU(), nn.Linear(1200, 1200), nn.ReLU(),
                      nn.Linear(1200, 784), nn.Sigmoid())
    D = nn.Sequential(nn.Dropout(0.2 if dropout else 0.0), Maxout(784, 240, 5),
                      nn.Dropout(0.5 if dropout else 0.0), Maxout(240, 240, 5),
                      nn.Dropout(0.5 if dropout else 0.0), nn.Linear(240, 1))
    return G, D


def mlp(sizes, activation):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class TorchStep:
    """One iteration of Algorithm 1 (k = 1, non-saturating G loss) on rows of ``data``."""

    def __init__(self, G, D, data, m, noise_dim, optimizer="sgd", device="cpu", lr=0.1,
                 betas=(0.5, 0.999), noise="uniform"):
        self.G, self.D, self.m, self.noise_dim, self.device = G.to(device), D.to(device), m, noise_dim, device
        self.data = None if data is None else torch.as_tensor(data, device=device)
        make = (lambda p: torch.optim.SGD(p, lr=lr, momentum=0.5)) if optimizer == "sgd" else \
            (lambda p: torch.optim.Adam(p, lr=lr, betas=betas))
        self.g_opt, self.d_opt = make(G.parameters()), make(D.parameters())
        self.targets = torch.cat([torch.ones(m, 1), torch.zeros(m, 1)]).to(device)
        self.uniform = noise == "uniform"
        self.batch = 0

    def noise(self):
        if self.uniform:
            return torch.rand(self.m, self.noise_dim, device=self.device) * 2 - 1
        return torch.randn(self.m, self.noise_dim, device=self.device)

    def real(self):
        rows = self.batch % (len(self.data) // self.m)
        return self.data[rows * self.m:(rows + 1) * self.m]

    def step(self):
        real = self.real()
        self.batch += 1
        with torch.no_grad():
            fake = self.G(self.noise())
        self.d_opt.zero_grad(set_to_none=True)
        logits = self.D(torch.cat([real, fake]))
        (F.binary_cross_entropy_with_logits(logits, self.targets) * 2).backward()
        self.d_opt.step()
        for p in self.D.parameters():
            p.requires_grad_(False)
        self.g_opt.zero_grad(set_to_none=True)
        F.softplus(-self.D(self.G(self.noise()))).mean().backward()
        self.g_opt.step()
        for p in self.D.parameters():
            p.requires_grad_(True)


class ToyStep(TorchStep):
    """tinygan's toy preset (a ``GANConfig``) on a ``GaussianMixture``: MLPs, Adam with the
    preset's learning-rate decay, an EMA of G's weights, data drawn fresh every step."""

    def __init__(self, config, mixture):
        c = config
        G = mlp([c.noise_dim] + [c.g_hidden] * c.g_depth + [mixture.dim], nn.ReLU)
        D = mlp([mixture.dim] + [c.d_hidden] * c.d_depth + [1], lambda: nn.LeakyReLU(0.2))
        super().__init__(G, D, None, c.batch_size, c.noise_dim, "adam", lr=c.lr_g,
                         betas=(c.beta1, c.beta2), noise=c.noise)
        self.config = c
        self.means = torch.tensor(mixture.means, dtype=torch.float32)
        self.stds = torch.tensor(mixture.stds, dtype=torch.float32)[:, None]
        self.average = [p.detach().clone() for p in G.parameters()] if c.ema else None

    def real(self):
        choice = torch.randint(len(self.means), (self.m,))
        return self.means[choice] + self.stds[choice] * torch.randn(self.m, self.means.shape[1])

    def step(self):
        super().step()
        c = self.config
        lr = max(c.lr_g / c.lr_decay ** self.batch, c.lr_floor)
        for optimizer in (self.g_opt, self.d_opt):
            optimizer.param_groups[0]["lr"] = lr
        if self.average is not None:
            with torch.no_grad():
                for average, p in zip(self.average, self.G.parameters()):
                    average.mul_(c.ema).add_(p, alpha=1 - c.ema)


class WganGpCriticStep:
    """L = D(fake) − D(real) + λ (‖∇ₓ D(x̂)‖ − 1)², x̂ = εx + (1 − ε)G(z) (Gulrajani et al.
    2017), the gradient penalty through ``torch.autograd.grad(create_graph=True)``."""

    def __init__(self, G, D, data, m, device="cpu", lr=1e-4, betas=(0.5, 0.9), penalty=10.0):
        self.G, self.D, self.m, self.device, self.penalty = G.to(device), D.to(device), m, device, penalty
        self.data = torch.as_tensor(data, device=device)
        self.optimizer = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
        self.batch = 0

    def step(self):
        m = self.m
        rows = self.batch % (len(self.data) // m)
        self.batch += 1
        real = self.data[rows * m:(rows + 1) * m]
        with torch.no_grad():
            fake = self.G(torch.rand(m, 100, device=self.device) * 2 - 1)
        eps = torch.rand(m, 1, device=self.device)
        mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
        (slopes,) = torch.autograd.grad(self.D(mixed).sum(), mixed, create_graph=True)
        penalty = ((slopes.square().sum(dim=1).sqrt() - 1) ** 2).mean()
        loss = self.D(fake).mean() - self.D(real).mean() + self.penalty * penalty
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
