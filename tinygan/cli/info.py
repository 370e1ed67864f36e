"""``tinygan info``: versions, the backend in use, and whether a GPU is visible."""
import platform

import numpy

from tinygan import backend


def add_parser(verbs):
    parser = verbs.add_parser("info", help="versions, backend in use, GPU visibility")
    parser.set_defaults(run=run)


def _version(module_name):
    try:
        module = __import__(module_name)
        return getattr(module, "__version__", "installed")
    except Exception:
        return "not installed"


def run(args):
    import tinygan
    from tinygan import fused
    cupy = _version("cupy")
    lines = [
        ("tinygan", tinygan.__version__),
        ("python", platform.python_version()),
        ("numpy", numpy.__version__),
        ("cupy", cupy),
        ("matplotlib", _version("matplotlib")),
        ("tqdm", _version("tqdm")),
        ("backend in use", backend.status()),
        ("backends", ", ".join(backend.backend_names())),
        ("GPU visible", backend.gpu_status()),
        ("fused kernels", ("on" if fused.enabled() else "off (TINYGAN_FUSED=0)")
         + ", for CuPy arrays" + (" (not installed)" if cupy == "not installed" else "")),
    ]
    width = max(len(name) for name, _ in lines)
    for name, value in lines:
        print(f"{name:<{width}}  {value}")
    return 0
