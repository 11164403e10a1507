"""Counter-based random numbers for the strike outcome (numba-compiled).

A uniform is a hash of (key, sample, salvo, missile, purpose), so every missile's
draw is fixed by its index: adding a missile to a salvo leaves the others' draws
unchanged (common random numbers), results do not depend on thread scheduling,
and the same seed always gives the same outcome.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from whatif.model._compile import JIT_OPTIONS

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
_TO_UNIT32 = 1.0 / 4294967296.0  # 2**-32


@njit(inline="always", **JIT_OPTIONS)
def mix64(z):
    """SplitMix64 finaliser: a bijective 64-bit hash (Steele, Lea & Flood 2014)."""
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(inline="always", **JIT_OPTIONS)
def sub_key(key, index):
    """The key of a sub-stream, e.g. one sample or one salvo."""
    return mix64(key ^ mix64(np.uint64(index)))


@njit(inline="always", **JIT_OPTIONS)
def uniform(key, index):
    """A Uniform[0, 1) draw, the ``index``-th of stream ``key``."""
    return float(mix64(key + np.uint64(index) * _GOLDEN) >> _S11) * _TO_UNIT


@njit(inline="always", **JIT_OPTIONS)
def uniform_pair(key, index):
    """Two Uniform[0, 1) draws with 32-bit resolution from one hash (high, low halves)."""
    z = mix64(key + np.uint64(index) * _GOLDEN)
    return float(z >> _S32) * _TO_UNIT32, float(z & _LOW32) * _TO_UNIT32


@njit(inline="always", **JIT_OPTIONS)
def below(key, index, n):
    """A whole number in ``[0, n)``: the high 32 bits of a hash scaled by ``n``."""
    z = mix64(key + np.uint64(index) * _GOLDEN)
    return int(((z >> _S32) * np.uint64(n)) >> _S32)
