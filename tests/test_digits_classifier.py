"""A tinygan MLP reaches ≥ 97% test accuracy on scikit-learn's 8×8 digits (real data that
ships inside the package), in seconds on 2 cores."""
import numpy as np
import pytest

import tinygan as tg
from tinygan import nn, optim
from tinygan.nn import functional as F

datasets = pytest.importorskip("sklearn.datasets")


def test_mlp_classifier_reaches_97_percent_on_digits():
    digits = datasets.load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target
    order = np.random.default_rng(0).permutation(len(x))
    train, test = order[:1400], order[1400:]
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128, init="he"), nn.ReLU(), nn.Linear(128, 10))
    opt = optim.Adam(model.parameters(), lr=2e-3)
    x_train, y_train = tg.tensor(x[train]), y[train]
    for epoch in range(40):
        perm = np.random.default_rng(epoch).permutation(len(train))
        for start in range(0, len(train), 64):
            batch = perm[start:start + 64]
            opt.zero_grad()
            F.cross_entropy(model(x_train[batch]), y_train[batch]).backward()
            opt.step()
    model.eval()
    with tg.no_grad():
        predicted = model(tg.tensor(x[test])).numpy().argmax(1)
    accuracy = (predicted == y[test]).mean()
    assert accuracy >= 0.97, f"test accuracy {accuracy:.3f}"
