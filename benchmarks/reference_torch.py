"""The paper's MNIST GAN and a small 2-D GAN in PyTorch eager mode, for benchmarks/gan_step.py.
Same architecture, dtype, minibatch, optimizer and gradient work as tinygan's iteration
(fakes detached in the D step; D's weights get no gradient in the G step)."""
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


def toy_models(hidden=128, depth=2):
    def mlp(sizes, activation):
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(activation())
        return nn.Sequential(*layers)
    return (mlp([2] + [hidden] * depth + [2], nn.ReLU),
            mlp([2] + [hidden] * depth + [1], lambda: nn.LeakyReLU(0.2)))


class TorchStep:
    def __init__(self, G, D, data, m, noise_dim, optimizer="sgd", device="cpu"):
        self.G, self.D, self.m, self.noise_dim, self.device = G.to(device), D.to(device), m, noise_dim, device
        self.data = torch.as_tensor(data, device=device)
        make = (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.5)) if optimizer == "sgd" else \
            (lambda p: torch.optim.Adam(p, lr=1e-3, betas=(0.5, 0.999)))
        self.g_opt, self.d_opt = make(G.parameters()), make(D.parameters())
        self.targets = torch.cat([torch.ones(m, 1), torch.zeros(m, 1)]).to(device)
        self.batch = 0

    def noise(self):
        return torch.rand(self.m, self.noise_dim, device=self.device) * 2 - 1

    def step(self):
        m = self.m
        rows = self.batch % (len(self.data) // m)
        self.batch += 1
        real = self.data[rows * m:(rows + 1) * m]
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
