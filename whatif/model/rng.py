"""Counter-based random numbers for the strike outcome and the trend path (numba-compiled).

A uniform is a hash of (key, sample, salvo, missile, purpose), so every missile's
draw is fixed by its index: adding a missile to a salvo leaves the others' draws
unchanged (common random numbers), results do not depend on thread scheduling,
and the same seed always gives the same outcome.
"""

from __future__ import annotations

import math

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
def stream_index(index):
    """Sub-stream ``index`` hashed, as :func:`sub_key` takes it (hashed once by a caller that
    derives many keys of the same index: :func:`sub_key_of`)."""
    return mix64(np.uint64(index))


@njit(inline="always", **JIT_OPTIONS)
def sub_key_of(key, hashed_index):
    """:func:`sub_key` of an index already hashed by :func:`stream_index`."""
    return mix64(key ^ hashed_index)


@njit(inline="always", **JIT_OPTIONS)
def sub_key(key, index):
    """The key of a sub-stream, e.g. one sample or one salvo."""
    return sub_key_of(key, stream_index(index))


@njit(inline="always", **JIT_OPTIONS)
def row_key(key, experiment_keys, experiment_samples, row):
    """The outcome key of kernel row ``row``: sub-stream ``row`` of ``key``; or, in a run of
    experiments of ``experiment_samples`` rows each, sub-stream ``row mod S`` of its
    experiment's key ``experiment_keys[row // S]`` (so each experiment draws exactly as a
    run of its own keyed by it)."""
    if experiment_samples > 0:
        return sub_key(experiment_keys[row // experiment_samples], row % experiment_samples)
    return sub_key(key, row)


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


@njit(inline="always", **JIT_OPTIONS)
def normal_pair(key, index):
    """Two independent standard normals from pairs ``index, index + 1, …`` of stream ``key``,
    and the index of the next unused pair: ``(z1, z2, next_index)``.

    Marsaglia's polar method: draw ``(x, y)`` uniform on the square ``[-1, 1)²`` until
    ``0 < s = x² + y² < 1``; then ``x f`` and ``y f`` with ``f = sqrt(-2 ln s / s)`` are
    independent standard normals (no trigonometry; ~1.27 pairs per two normals).
    """
    while True:
        u, v = uniform_pair(key, index)
        index += 1
        x = 2.0 * u - 1.0
        y = 2.0 * v - 1.0
        square = x * x + y * y
        if 0.0 < square < 1.0:
            f = math.sqrt(-2.0 * math.log(square) / square)
            return x * f, y * f, index


@njit(inline="always", **JIT_OPTIONS)
def standard_gamma(key, index, shape):
    """A Gamma(``shape``, 1) draw from pairs ``index, …`` of stream ``key`` (``shape > 0``),
    and the index of the next unused pair: ``(value, next_index)``.

    Marsaglia & Tsang (2000), "A simple method for generating gamma variables": with
    ``d = a - 1/3`` and ``c = 1/sqrt(9d)``, accept ``d (1 + c z)³`` for a standard normal
    ``z`` and uniform ``u`` when ``ln u < z²/2 + d - d v + d ln v``; for ``a < 1`` the
    draw for ``a + 1`` times ``u^(1/a)``.
    """
    a = shape if shape >= 1.0 else shape + 1.0
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        z, _, index = normal_pair(key, index)
        v = 1.0 + c * z
        if v <= 0.0:
            continue
        v = v * v * v
        u, boost_u = uniform_pair(key, index)
        index += 1
        if u > 0.0 and math.log(u) < 0.5 * z * z + d - d * v + d * math.log(v):
            value = d * v
            if shape < 1.0:
                value *= (1.0 - boost_u) ** (1.0 / shape)  # (1 - u in (0, 1]: never 0)
            return value, index
