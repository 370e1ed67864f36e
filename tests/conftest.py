"""Shared fixtures: run a test once per backend, and seed everything."""
import os

import numpy as np
import pytest

import tinygan
from tinygan import backend

import strict_backend

# The strict stand-in for CuPy is the test suite's own backend: registered here, so users
# never see it.
strict_backend.register(backend)

# TINYGAN_BACKEND chooses the default backend of every test (``.ci/gpu`` runs the suite
# with cupy); "strict" becomes usable only now that it is registered.
if os.environ.get("TINYGAN_BACKEND", "").strip().lower() == "strict":
    backend.set_backend("strict")
    os.environ["TINYGAN_BACKEND"] = "numpy"   # commands run as subprocesses cannot load it

BACKENDS = ["numpy", "strict", "cupy"]


def _skip_reason(name):
    if name != "cupy":
        return None
    try:
        with backend.using("cupy"):
            pass
    except backend.BackendError as error:
        return f"CuPy backend unavailable here ({str(error).split('. ')[0]})"
    return None


@pytest.fixture(params=BACKENDS)
def on_backend(request):
    """Run the test on each backend: NumPy, the strict CuPy stand-in, and CuPy when a GPU
    is visible (skipped with the reason otherwise)."""
    reason = _skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    with backend.using(request.param):
        tinygan.manual_seed(0)
        yield request.param


@pytest.fixture
def host_rng():
    """A seeded host generator for test inputs."""
    return np.random.default_rng(1234)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long training runs, opt-in with `-m slow`")
