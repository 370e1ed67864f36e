"""Read a pickle that may rebuild NumPy arrays and nothing else.

Unpickling calls whatever global a pickle names (``os.system`` included), so a pickle from
a download is read with the Python documentation's "restricting globals" recipe: an
``Unpickler`` whose ``find_class`` admits an allow-list — here the three globals NumPy's
protocol-2 array pickles name (``_reconstruct``, ``ndarray``, ``dtype``) — and refuses
every other name before anything is called.
"""
import pickle

import numpy

__all__ = ["ArrayUnpickler", "load_arrays", "ALLOWED_GLOBALS"]

# NumPy's array-reconstruction function, found where this NumPy keeps it; the pickle may
# name it under NumPy 1's module (numpy.core) or NumPy 2's (numpy._core).
_reconstruct = numpy.ndarray.__reduce__(numpy.zeros(0))[0]
ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): numpy.ndarray,
    ("numpy", "dtype"): numpy.dtype,
}


class ArrayUnpickler(pickle.Unpickler):
    """An ``Unpickler`` that resolves only ``ALLOWED_GLOBALS``."""

    def find_class(self, module, name):
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refused global {module}.{name}: this file may only hold NumPy arrays") from None


def load_arrays(stream, encoding="latin1"):
    """Unpickle ``stream`` (a binary file) with :class:`ArrayUnpickler`. ``latin1`` reads
    the byte strings of pickles written by Python 2, as NumPy's own loader does."""
    return ArrayUnpickler(stream, encoding=encoding).load()
