"""Seeded random numbers: unit uniforms mapped through each distribution's inverse CDF.

As in SALib, the unit sample is drawn once and mapped column by column, so a
change to one assumption (a slider) changes only that column's values: the
other draws stay put and Monte Carlo bands do not flicker (common random numbers).

Conventions: the unit sample is ``(parameters, samples)`` so each parameter's draws are
contiguous; parameters are in registry order.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit, prange, vectorize
from scipy import special, stats

from whatif.params import Assumption, Parameter

Z95 = stats.norm.ppf(0.95)  # lognormal low/high are the 5th/95th percentiles


#: draws per row from which a matrix's rows are drawn on several threads
THREADED_DRAWS = 20_000
_POOL: list[ThreadPoolExecutor] = []


def in_threads(function: Callable[[int], object], items: Sequence[int]) -> None:
    """Call ``function(item)`` for every item on a pool of one thread per core (NumPy
    releases the GIL while it fills or sorts an array), and wait for all of them; an
    exception in any call is raised here."""
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max(1, os.cpu_count() or 1),
                                        thread_name_prefix="whatif"))
    for done in [_POOL[0].submit(function, item) for item in items]:
        done.result()


def seed_sequences(seed: int | None) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """Two independent streams from one seed: parameter draws and strike outcomes."""
    parent = np.random.SeedSequence(seed)
    params, outcomes = parent.spawn(2)
    return params, outcomes


def outcome_key(seed: int | None) -> np.uint64:
    """The 64-bit key of the counter-based outcome generator used by the strike model."""
    return np.uint64(seed_sequences(seed)[1].generate_state(1, dtype=np.uint64)[0])


def column_generator(seed: int | None, column: int) -> np.random.Generator:
    """The generator of one parameter's draws: its own stream, fixed by seed and column."""
    params = seed_sequences(seed)[0]
    return np.random.default_rng(
        np.random.SeedSequence(params.entropy, spawn_key=(*params.spawn_key, column))
    )


def ppf(assumption: Assumption, unit: np.ndarray, parameter: Parameter) -> np.ndarray:
    """Map unit uniforms to values of ``assumption``'s distribution [parameter's unit].

    ``fixed`` returns the central value; ``uniform`` spans low..high; ``triangular`` and
    ``pert`` take low, mode (= central) and high; ``lognormal`` has low and high as its 5th
    and 95th percentiles and is truncated to the parameter's bounds (draws are never
    clipped: the tail beyond a bound is cut off and the rest renormalised).
    Integer parameters are rounded to whole numbers.
    """
    a, m, b = assumption.low, assumption.central, assumption.high
    u = np.asarray(unit, dtype=float)
    if assumption.is_fixed:
        return np.full(u.shape, m)
    elif assumption.dist == "uniform":
        values = a + u * (b - a)
    elif assumption.dist == "triangular":
        values = triangular_ppf(u, a, m, b)
    elif assumption.dist == "pert":
        alpha = 1 + 4 * (m - a) / (b - a)
        beta = 1 + 4 * (b - m) / (b - a)
        values = a + (b - a) * special.betaincinv(alpha, beta, u)
    elif assumption.dist == "lognormal":
        mu = 0.5 * (np.log(a) + np.log(b))
        sigma = (np.log(b) - np.log(a)) / (2 * Z95)
        lo = (special.ndtr((np.log(parameter.lower_bound) - mu) / sigma)
              if parameter.lower_bound > 0 else 0.0)
        hi = special.ndtr((np.log(parameter.upper_bound) - mu) / sigma)
        values = np.exp(mu + sigma * special.ndtri(lo + u * (hi - lo)))
        values = np.minimum(np.maximum(values, parameter.lower_bound),
                            parameter.upper_bound)  # rounding only
    else:  # pragma: no cover - parse() rejects other names
        raise ValueError(assumption.dist)
    if parameter.kind == "integer":
        values = np.rint(values)
    return values


@vectorize(["float64(float64, float64, float64, float64)"], cache=True)
def triangular_ppf(u, low, mode, high):
    """Inverse CDF of the triangular distribution on [low, high] with peak at mode.

    >>> float(triangular_ppf(0.5, 0.0, 0.5, 1.0))
    0.5
    """
    span = high - low
    left = low + math.sqrt(u * span * (mode - low))
    right = high - math.sqrt((1.0 - u) * span * (high - mode))
    return left if u * span < mode - low else right  # both computed: no branch to mispredict


@njit(parallel=True, cache=True)
def _triangular_rows(matrix, rows, lows, modes, highs):
    """Map the unit draws in ``matrix[rows[k]]`` through triangular inverse CDFs, in place."""
    n = matrix.shape[1]
    for s in prange(n):
        for k in range(rows.shape[0]):
            r = rows[k]
            matrix[r, s] = triangular_ppf(matrix[r, s], lows[k], modes[k], highs[k])


def draw_matrix(assumptions: list[Assumption], parameters: list[Parameter], samples: int,
                seed: int | None, out: np.ndarray | None = None) -> np.ndarray:
    """Draws of every assumption, shape ``(len(assumptions), samples)``.

    Row ``i`` comes from stream ``i`` of ``seed`` (:func:`column_generator`) mapped through
    that assumption's inverse CDF, exactly as :func:`ppf` does; fixed values fill their row.
    Triangular rows are mapped together in one compiled pass (they are the common case).
    ``out``: a float64 array of that shape with C-contiguous rows to draw into (returned).
    """
    shape = (len(assumptions), samples)
    if out is None:
        matrix = np.empty(shape)
    elif out.shape != shape or out.dtype != np.float64 or out.strides[1] != 8:
        raise ValueError(f"out must be a float64 array of shape {shape} with contiguous rows")
    else:
        matrix = out
    triangular = []
    drawn = []
    if len(parameters) != len(assumptions):
        raise ValueError("one parameter definition per assumption is needed")
    for i, assumption in enumerate(assumptions):
        if assumption.is_fixed:
            matrix[i] = assumption.central
            continue
        drawn.append(i)
    # each row from its own stream: the same numbers whichever thread draws it
    if samples >= THREADED_DRAWS and len(drawn) > 1:
        in_threads(lambda i: column_generator(seed, i).random(samples, out=matrix[i]), drawn)
    else:
        for i in drawn:
            column_generator(seed, i).random(samples, out=matrix[i])
    for i in drawn:
        if assumptions[i].dist == "triangular" and parameters[i].kind == "real":
            triangular.append(i)
        else:
            matrix[i] = ppf(assumptions[i], matrix[i], parameters[i])
    if triangular:
        rows = np.array(triangular, dtype=np.int64)
        _triangular_rows(matrix, rows, *(np.array([getattr(assumptions[i], f) for i in triangular])
                                          for f in ("low", "central", "high")))
    return matrix
