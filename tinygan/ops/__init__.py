"""The operations on Tensors, one module per family. Importing this package fills the
op table (``tinygan.ops.table``); every public op is then available here by name,
``tinygan.ops.sigmoid(x)`` as ``x.sigmoid()``. ``python -m tinygan.ops`` prints the
table (``docs/ops.md``)."""
from tinygan.ops.table import OPS, public_names
from tinygan import tensor  # noqa: F401  (the engine; the op modules register with it)
from tinygan.ops import (activations, arithmetic, elementwise, layers, reductions,  # noqa: F401,E402
                         shape, conv)

__all__ = public_names()
globals().update({name: OPS[name].function for name in __all__})
