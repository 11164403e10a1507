"""Seeded random numbers: unit uniforms mapped through each distribution's inverse CDF.

As in SALib, the unit sample is drawn once and mapped column by column, so a
change to one assumption (a slider) changes only that column's values: the
other draws stay put and Monte Carlo bands do not flicker (common random numbers).

Conventions: samples on axis 0; parameters in registry order on axis 1.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from whatif.params import Assumption, Parameter

Z95 = stats.norm.ppf(0.95)  # lognormal low/high are the 5th/95th percentiles


def seed_sequences(seed: int | None) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """Two independent streams from one seed: parameter draws and strike outcomes."""
    parent = np.random.SeedSequence(seed)
    params, outcomes = parent.spawn(2)
    return params, outcomes


def outcome_key(seed: int | None) -> np.uint64:
    """The 64-bit key of the counter-based outcome generator used by the strike model."""
    return np.uint64(seed_sequences(seed)[1].generate_state(1, dtype=np.uint64)[0])


def unit_sample(n_samples: int, n_columns: int, seed: int | None) -> np.ndarray:
    """Uniform(0, 1) draws of shape ``(n_samples, n_columns)``, reproducible from ``seed``."""
    rng = np.random.default_rng(seed_sequences(seed)[0])
    return rng.random((n_samples, n_columns))


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
        values = np.full(u.shape, m)
    elif assumption.dist == "uniform":
        values = a + u * (b - a)
    elif assumption.dist == "triangular":
        values = _triangular_ppf(u, a, m, b)
    elif assumption.dist == "pert":
        alpha = 1 + 4 * (m - a) / (b - a)
        beta = 1 + 4 * (b - m) / (b - a)
        values = a + (b - a) * special.betaincinv(alpha, beta, u)
    elif assumption.dist == "lognormal":
        mu = 0.5 * (np.log(a) + np.log(b))
        sigma = (np.log(b) - np.log(a)) / (2 * Z95)
        lo = special.ndtr((np.log(parameter.lower_bound) - mu) / sigma) if parameter.lower_bound > 0 else 0.0
        hi = special.ndtr((np.log(parameter.upper_bound) - mu) / sigma)
        values = np.exp(mu + sigma * special.ndtri(lo + u * (hi - lo)))
        values = np.minimum(np.maximum(values, parameter.lower_bound), parameter.upper_bound)  # rounding only
    else:  # pragma: no cover - parse() rejects other names
        raise ValueError(assumption.dist)
    if parameter.kind == "integer":
        values = np.rint(values)
    return values


def _triangular_ppf(u: np.ndarray, a: float, m: float, b: float) -> np.ndarray:
    span = b - a
    split = (m - a) / span
    left = a + np.sqrt(u * span * (m - a))
    right = b - np.sqrt((1 - u) * span * (b - m))
    return np.where(u < split, left, right)
