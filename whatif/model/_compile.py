"""One place for how model code is compiled.

Scalar model functions are written once, compiled with :func:`scalar` (inlined
into the daily loops) and exposed to Python as NumPy ufuncs with :func:`ufunc`,
so callers get broadcasting and the loops get speed from the same definition.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba
from numba import njit, vectorize

#: no fastmath: with contraction (FMA) or reassociation allowed, the same expression may
#: round differently depending on where the compiler inlines it (a summary run, a series
#: run, the solver), and a figure would differ in its last digit from one run to another.
#: NumPy's error model: a float division is plain IEEE (no zero check raising
#: ZeroDivisionError), so loops of divisions vectorise; each result rounds as before.
#: Inputs are validated before they reach compiled code, so no division is by zero.
#: nogil: compiled code touches no Python object, so threads (a Dask worker's) run it at once.
JIT_OPTIONS = {"cache": True, "error_model": "numpy", "nogil": True}


def _cache_dir() -> Path:
    """Compiled code is cached on disk, keyed by a hash of all model sources.

    numba's own cache notices edits to a function's file but not to functions it
    inlines from other files; a directory per source hash never serves stale code.
    """
    sources = sorted(Path(__file__).parent.glob("*.py"))
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]
    root = Path(os.environ.get("WHATIF_CACHE_DIR", Path.home() / ".cache" / "whatif"))
    return root / f"numba-{digest}"


numba.config.CACHE_DIR = str(_cache_dir())


def scalar(func):
    """Compile a scalar function to be inlined into other compiled code."""
    return njit(inline="always", **JIT_OPTIONS)(func)


def ufunc(core, signature: str):
    """A broadcasting NumPy ufunc with ``signature`` running ``core``'s own code."""
    # (ufuncs follow NumPy's error model already and take no error_model option; a ufunc
    # releases the GIL as NumPy's own do)
    options = {k: v for k, v in JIT_OPTIONS.items() if k not in ("error_model", "nogil")}
    return vectorize([signature], **options)(core.py_func)
