"""One place for how model code is compiled.

Scalar model functions are written once, compiled with :func:`scalar` (inlined
into the daily loops) and exposed to Python as NumPy ufuncs with :func:`ufunc`,
so callers get broadcasting and the loops get speed from the same definition.
"""

from __future__ import annotations

from numba import njit, vectorize

JIT_OPTIONS = {"cache": True, "fastmath": True}


def scalar(func):
    """Compile a scalar function to be inlined into other compiled code."""
    return njit(inline="always", **JIT_OPTIONS)(func)


def ufunc(core, signature: str):
    """A broadcasting NumPy ufunc with ``signature`` running ``core``'s own code."""
    return vectorize([signature], **JIT_OPTIONS)(core.py_func)
