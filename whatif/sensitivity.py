"""Sensitivity: which assumptions matter, each evaluated as a direct run would be.

* :func:`tornado` — each assumption at its low and high, the others central.
* :func:`sobol` — Sobol indices of an output over the uncertain assumptions, through
  :func:`sobol_indices_of` (any vectorised function of independent inputs).
* :func:`explain` — what must hold for a salvo to reach a goal, one assumption at a time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from whatif.engine import (
    MAX_SALVO,
    MAX_WORK,
    _check_seed,
    _run,
    check_objective,
    choice_code,
    compile_scenario,
    work_per_run,
)
from whatif.errors import ParameterError, show
from whatif.model import chain, layout
from whatif.outputs import OUTPUTS
from whatif.params import NUMERIC, REGISTRY
from whatif.sampling import ppf
from whatif.scenario import Scenario


def _tornado_ends(scenario: Scenario) -> list[tuple[str, object, object, list[object]]]:
    """Every assumption with a range: ``(name, low, high, candidates for the high end)``.

    A number's ends are its low and high. A choice's low end is its central choice and its
    high end the alternative (with more than two choices, the alternative that moves the
    output most, picked by :func:`tornado` from the candidates).
    """
    ends = []
    for name, p in REGISTRY.items():
        if name in scenario.replaced:  # the sites or the plan give it instead
            continue
        value = scenario.values[name]
        if p.is_numeric and value.low < value.high:
            ends.append((name, value.low, value.high, [value.high]))
        elif p.kind == "choice":
            others = [c for c in p.choices if c != value]
            if others:
                ends.append((name, value, others[0], others))
    return ends


def tornado(scenario: Scenario, output: str = "drones_denied") -> pd.DataFrame:
    """One-at-a-time sensitivity: ``output`` with each assumption at its low and high.

    Deterministic; the others stay central. Every assumption with a range takes part:
    numbers (integer and structural ones such as ``horizon_days`` included) at their low
    and high, choices at their central value ("low" end) and the alternative ("high" end;
    with more than two choices, the one that moves the output most). Each end equals
    ``simulate(scenario.with_values(name=value), samples=0)``. Rows are sorted by swing
    (largest first); columns ``parameter``, ``low_value``, ``high_value`` (numbers, or the
    choices' names), ``output_at_low``, ``output_at_high``, ``swing``; ``attrs["central"]``
    is the output at the central values.
    """
    if output not in OUTPUTS:
        raise ParameterError("output", f"{show(output)} is not allowed; allowed one of "
                             f"{', '.join(OUTPUTS)}")
    compiled, _ = compile_scenario(scenario, 0, 0)
    ends = _tornado_ends(scenario)
    rows: list[tuple[int, object]] = []  # (column, value) of each changed row, after central
    for name, low, _, candidates in ends:
        rows += [(layout.CONSTANTS[name.upper()], v) for v in [low, *candidates]]
    theta = np.repeat(compiled.theta, 1 + len(rows), axis=0)
    for i, (column, value) in enumerate(rows, start=1):
        theta[i, column] = choice_code(layout.INPUT_NAMES[column], value) if isinstance(
            value, str) else value
    values, _ = _run(compiled, theta)
    out = values[:, chain.OUTPUTS.index(output)]
    central = float(out[0])
    records = []
    position = 1
    for name, low, _, candidates in ends:
        at_low = out[position]
        at_candidates = out[position + 1: position + 1 + len(candidates)]
        pick = int(np.argmax(np.abs(at_candidates - central)))  # first on a tie
        records.append((name, low, candidates[pick], float(at_low), float(at_candidates[pick])))
        position += 1 + len(candidates)
    frame = pd.DataFrame(records, columns=["parameter", "low_value", "high_value",
                                           "output_at_low", "output_at_high"])
    frame["swing"] = (frame["output_at_high"] - frame["output_at_low"]).abs()
    frame.attrs["central"] = central
    return frame.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


class _Marginal:
    """One assumption's distribution as ``scipy.stats.sobol_indices`` wants it (a ``ppf``).

    :func:`whatif.sampling.ppf` already rounds integer assumptions to whole numbers, as
    ``simulate`` draws them, so the model needs no rounding of its own.
    """

    def __init__(self, name: str, scenario: Scenario):
        self.assumption, self.parameter = scenario.values[name], REGISTRY[name]

    def ppf(self, unit: np.ndarray) -> np.ndarray:
        return ppf(self.assumption, unit, self.parameter)


MAX_SOBOL_SAMPLES = 2**15  # base samples; ~5 s and ~0.6 GB for the baseline's 18 inputs
MAX_EXPLAIN_GRID = 2_049  # points per assumption swept by explain
MAX_EXPLAIN_REFINE = 64  # bisection steps (a double has 53 bits)
#: confidence level of the Sobol indices' intervals (a fraction)
SOBOL_CONFIDENCE = 0.95
#: bootstrap resamples behind each interval: at 2^14 base samples and 12 assumptions
#: they cost ~0.5 s beside the indices' ~0.2 s (docs/BENCHMARKS.md); the intervals'
#: ends move by a few percent of their width from one bootstrap seed to another
SOBOL_RESAMPLES = 999
#: at most this many resampled counts per bootstrap batch (keeps memory near 16 MB)
_BOOTSTRAP_BATCH_POINTS = 2**21


def _check_sobol_samples(samples: int) -> int:
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or not (
        64 <= samples <= MAX_SOBOL_SAMPLES
    ) or (samples & (samples - 1)):
        raise ParameterError("samples", f"{show(samples)} is not allowed; allowed a power of 2 "
                             f"from 64 to {MAX_SOBOL_SAMPLES} base samples")
    return int(samples)


def check_sobol_work(scenario: Scenario, samples: int) -> None:
    """Refuse Sobol runs of the deterministic chain beyond the engine's work limit."""
    inputs = sum(1 for n in NUMERIC
                 if not scenario.values[n].is_fixed and n not in scenario.replaced)
    per_sample = (inputs + 2) * work_per_run(scenario, stochastic=False)
    if samples * per_sample > MAX_WORK:
        most = 1 << max(0, (MAX_WORK // per_sample).bit_length() - 1)
        allowed = f"at most {most} base samples here" if most >= 64 else "none here"
        raise ParameterError("samples", f"{samples} base samples × {inputs + 2} runs is too much "
                             f"work for this scenario; allowed {allowed} (work limit "
                             f"{MAX_WORK:.0e} ≈ runs × salvos × horizon days)")


def _check_explain(grid: int, refine: int) -> tuple[int, int]:
    for name, value, low, high in (("grid", grid, 2, MAX_EXPLAIN_GRID),
                                   ("refine", refine, 0, MAX_EXPLAIN_REFINE)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not (
            low <= value <= high
        ):
            raise ParameterError(name, f"{show(value)} is out of range; allowed {low} to {high} "
                                 "(whole numbers)")
    return int(grid), int(refine)


def _check_confidence_level(confidence_level: float) -> float:
    if isinstance(confidence_level, bool) or not isinstance(
        confidence_level, (int, float, np.integer, np.floating)
    ) or not 0 < confidence_level < 1:
        raise ParameterError("confidence_level", f"{confidence_level!r} is not allowed; allowed "
                             "a fraction strictly between 0 and 1 (e.g. 0.95)")
    return float(confidence_level)


def _check_resamples(n_resamples: int) -> int:
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) or (
        n_resamples < 99
    ):
        raise ParameterError("n_resamples", f"{n_resamples!r} is not allowed; allowed a whole "
                             "number of bootstrap resamples, >= 99")
    return int(n_resamples)


def _saltelli_terms(f_A: np.ndarray, f_B: np.ndarray, f_AB: np.ndarray) -> np.ndarray:
    """Per-point terms whose means make Saltelli's (2010) estimators, shape ``(4 + 2d, n)``.

    ``f_A``, ``f_B`` (n,) and ``f_AB`` (d, n) are the one output on the matrices A, B and
    A with column i from B, centred on the mean of A and B. Rows: a, b, a², b², then
    b (ab_i - a) for each input (first order) and (a - ab_i)² / 2 (total order).
    """
    return np.vstack([f_A, f_B, f_A * f_A, f_B * f_B, f_B * (f_AB - f_A),
                      0.5 * (f_A - f_AB) ** 2])


def _indices_from_means(means: np.ndarray) -> np.ndarray:
    """First then total order indices, shape ``(2d, ...)``, from the means of the terms.

    The variance is that of A and B pooled, as in ``scipy.stats.sobol_indices``; an
    output with no variance has every index 0.
    """
    mean_a, mean_b, mean_aa, mean_bb = means[:4]
    variance = 0.5 * (mean_aa + mean_bb) - (0.5 * (mean_a + mean_b)) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        indices = means[4:] / variance
    return np.where(variance > 0, indices, 0.0)


def sobol_indices_of(func, dists, names, samples: int = 1024, seed: int | None = 0,
                     confidence_level: float = SOBOL_CONFIDENCE,
                     n_resamples: int = SOBOL_RESAMPLES) -> pd.DataFrame:
    """Sobol indices of any vectorised function of independent inputs (Saltelli 2010),
    with bootstrap confidence intervals.

    Parameters
    ----------
    func : callable
        ``func(x)`` with ``x`` of shape ``(len(names), n)`` (one row per input, one column
        per point) returns the ``n`` values of one output.
    dists : sequence
        One marginal distribution per input: anything with a ``ppf`` (inverse CDF, unit
        uniforms → values), e.g. a frozen ``scipy.stats`` distribution.
    names : sequence of str
        The inputs' names, in the order of ``dists`` and of the rows of ``x``.
    samples : int
        Base sample size N, a power of 2 (scrambled Sobol' points); ``func`` is evaluated
        at ``N × (d + 2)`` points for ``d`` inputs.
    seed : int or None
        Seeds the scrambling and the bootstrap: same inputs and seed give identical
        indices and intervals.
    confidence_level : float
        Of the intervals, strictly between 0 and 1.
    n_resamples : int
        Bootstrap resamples (>= 99).

    Returns
    -------
    DataFrame
        Columns ``parameter``, ``first_order`` (S1: the share of the output's variance due
        to that input alone), ``first_order_low``, ``first_order_high`` (its confidence
        interval), ``total_order`` (ST: including its interactions), ``total_order_low``,
        ``total_order_high``; all dimensionless. Rows sorted by total order, largest
        first. An output that does not vary has every index and bound 0. ``attrs``:
        ``confidence_level``, ``samples``, ``seed``, ``n_resamples``.

    Notes
    -----
    The intervals are percentile bootstrap intervals (``scipy.stats.bootstrap``) that
    resample the N points of the design, each with its d + 2 model values, and recompute
    the indices. They treat the points as independent draws, so for the scrambled Sobol'
    points, which estimate better than independent ones, they are on the safe side.
    ``SobolResult.bootstrap`` is not used: its BCa intervals need a jackknife over all N
    points (~20 s at N = 4,096) and it cannot be seeded.
    """
    from scipy.stats import bootstrap, sobol_indices

    samples = _check_sobol_samples(samples)
    confidence_level = _check_confidence_level(confidence_level)
    n_resamples = _check_resamples(n_resamples)
    seed = _check_seed(seed)
    names = list(names)
    if not names or len(dists) != len(names):
        raise ParameterError("dists", f"{len(dists)} distributions for {len(names)} inputs; "
                             "allowed one per input, at least one")
    d = len(names)

    def twice(x: np.ndarray) -> np.ndarray:
        # two identical outputs: scipy squeezes one output of one input to a scalar and fails
        values = np.asarray(func(x), dtype=float).reshape(-1)
        return np.vstack([values, values])

    terms = []

    def saltelli_2010(f_A, f_B, f_AB):  # as scipy's, keeping the terms for the bootstrap
        terms.append(_saltelli_terms(f_A[0], f_B[0], f_AB[:, 0]))
        indices = _indices_from_means(terms[0].mean(axis=1))
        return np.vstack([indices[:d]] * 2), np.vstack([indices[d:]] * 2)

    rng = np.random.default_rng(seed)
    res = sobol_indices(func=twice, n=samples, dists=list(dists), method=saltelli_2010, rng=rng)
    first = np.reshape(res.first_order, (2, d))[0]
    total = np.reshape(res.total_order, (2, d))[0]
    by_point = np.ascontiguousarray(terms[0].T)  # (N, 4 + 2d)

    def resampled_indices(points: np.ndarray, axis: int = -1) -> np.ndarray:
        # points: (batch, N) resampled point numbers → indices (2d, batch); the terms' means
        # over a resample are its counts of each point times the terms
        counts = np.empty(points.shape)
        for row, chosen in enumerate(points):
            counts[row] = np.bincount(chosen, minlength=samples)
        return _indices_from_means((counts @ by_point).T / samples)

    boot = bootstrap((np.arange(samples),), resampled_indices, n_resamples=n_resamples,
                     batch=max(1, _BOOTSTRAP_BATCH_POINTS // samples), axis=-1,
                     vectorized=True, confidence_level=confidence_level,
                     method="percentile", rng=rng)
    low, high = boot.confidence_interval.low, boot.confidence_interval.high
    frame = pd.DataFrame({"parameter": names,
                          "first_order": first, "first_order_low": low[:d],
                          "first_order_high": high[:d],
                          "total_order": total, "total_order_low": low[d:],
                          "total_order_high": high[d:]})
    frame = frame.sort_values("total_order", ascending=False, kind="stable").reset_index(drop=True)
    frame.attrs.update(confidence_level=confidence_level, samples=samples,
                       seed=seed, n_resamples=n_resamples)
    return frame


def sobol(scenario: Scenario, output: str = "drones_denied", samples: int = 1024,
          seed: int | None = 0, confidence_level: float = SOBOL_CONFIDENCE,
          n_resamples: int = SOBOL_RESAMPLES) -> pd.DataFrame:
    """Sobol indices of ``output`` for every uncertain assumption (Saltelli 2010), with
    bootstrap confidence intervals.

    :func:`sobol_indices_of` (``scipy.stats.sobol_indices``) on the deterministic chain
    (expected strike outcome), so the indices apportion the variance due to the
    assumptions, not to the strike's random outcome. ``samples`` is the base sample size
    (a power of 2; the chain runs ``samples × (d + 2)`` times for ``d`` uncertain
    assumptions). Columns ``parameter``, ``first_order``, ``first_order_low``,
    ``first_order_high``, ``total_order``, ``total_order_low``, ``total_order_high``
    (dimensionless; the bounds at ``confidence_level``), rows sorted by total order;
    ``attrs`` ``confidence_level``, ``samples``, ``seed``, ``n_resamples``.
    """
    if output not in OUTPUTS:
        raise ParameterError("output", f"{show(output)} is not allowed; allowed one of "
                             f"{', '.join(OUTPUTS)}")
    _check_sobol_samples(samples)
    check_sobol_work(scenario, samples)
    _check_confidence_level(confidence_level)
    _check_resamples(n_resamples)
    names = [n for n in NUMERIC
             if not scenario.values[n].is_fixed and n not in scenario.replaced]
    if not names:
        raise ParameterError("assumptions", "no assumption is uncertain; nothing to apportion")
    compiled, _ = compile_scenario(scenario, 0, 0)
    columns = [chain.INPUTS.index(n) for n in names]
    index = chain.OUTPUTS.index(output)

    def model(x: np.ndarray) -> np.ndarray:  # x: (d, n) assumption values → output (n,)
        theta = np.empty((x.shape[1], compiled.theta.shape[1]), order="F")  # as the kernel reads it
        theta[:] = compiled.theta[0]
        theta[:, columns] = x.T
        values, _ = _run(compiled, theta)
        return values[:, index]

    return sobol_indices_of(model, [_Marginal(n, scenario) for n in names], names, samples, seed,
                            confidence_level, n_resamples)


def explain(scenario: Scenario, missiles: int = 30, objective: str = "capacity_loss",
            at_least: float = 0.5, grid: int = 257, refine: int = 40) -> pd.DataFrame:
    """What must hold for ``missiles`` to reach ``objective >= at_least``, one assumption at a time.

    Deterministic (expected strike outcome), each assumption swept across its allowed range
    on ``grid`` evenly spaced points (whole numbers for integer assumptions) with every
    other at its central value. The values that meet the goal form one or more ranges;
    each end inside the allowed range is refined by ``refine`` bisection steps (integer
    assumptions: to the whole number), always keeping one evaluated value that meets the
    goal and one that does not, so a reported end meets the goal when plugged back in and
    a value beyond it by the bisection's precision (``spacing / 2**refine``, spacing =
    allowed range / (grid − 1); 1 for integers) does not. Features narrower than the
    spacing can be missed.

    The condition, per assumption: ``any`` value, ``none`` in the allowed range,
    ``>= threshold``, ``<= threshold``, ``between`` threshold and threshold_high, or
    ``ranges`` (several separate ranges, listed in ``ranges``). Columns: parameter, unit,
    central, condition, threshold and threshold_high (None where not applicable),
    ranges (the ``[low, high]`` ranges that meet the goal, in the assumption's unit),
    value_at_central (the objective with every assumption central). Rows are sorted with
    the binding conditions first.

    ``grid``: 2 to 2,049 points; ``refine``: 0 to 64 bisection steps (work limits).
    """
    check_objective(objective, at_least, 0.5, MAX_SALVO)
    grid, refine = _check_explain(grid, refine)
    if isinstance(missiles, bool) or not isinstance(missiles, (int, np.integer)) or not (
        1 <= missiles <= MAX_SALVO
    ):
        raise ParameterError("missiles", f"{show(missiles)} is out of range; allowed 1 to "
                             f"{MAX_SALVO} missiles (whole numbers)")
    scenario = scenario.with_values(missiles=int(missiles))
    compiled, _ = compile_scenario(scenario, 0, 0)
    index = chain.OUTPUTS.index(objective)
    names = [n for n in NUMERIC if n != "missiles"]  # the salvo is given
    columns = np.array([chain.INPUTS.index(n) for n in names])
    params = [REGISTRY[n] for n in names]
    integer = np.array([p.kind == "integer" for p in params])
    base = compiled.theta[0]

    def meets(which: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Whether the goal is met with assumption ``names[which[k]]`` at ``values[k]``."""
        theta = np.repeat(base[np.newaxis, :], len(values), axis=0)
        theta[np.arange(len(values)), columns[which]] = values
        return _run(compiled, theta)[0][:, index] >= at_least

    sweep = np.array([np.linspace(p.lower_bound, p.upper_bound, grid) for p in params])
    sweep[integer] = np.round(sweep[integer])
    met = meets(np.repeat(np.arange(len(names)), grid), sweep.ravel()).reshape(len(names), grid)

    # every change along a sweep: a boundary between a value that meets and one that does not
    where, step = np.nonzero(met[:, 1:] != met[:, :-1])
    rising = met[where, step + 1]  # met above the boundary
    good = np.where(rising, sweep[where, step + 1], sweep[where, step])
    bad = np.where(rising, sweep[where, step], sweep[where, step + 1])
    for _ in range(refine):
        open_ = np.abs(good - bad) > np.where(integer[where], 1.0, 0.0)
        if not open_.any():
            break
        middle = 0.5 * (good + bad)
        middle = np.where(integer[where], np.floor(middle), middle)
        ok = meets(where, middle)
        good = np.where(open_ & ok, middle, good)
        bad = np.where(open_ & ~ok, middle, bad)

    central_value = float(_run(compiled)[0][0, index])
    rows = []
    for i, (name, p) in enumerate(zip(names, params, strict=True)):
        ends = good[where == i]  # refined ends, in sweep order
        ranges, low = [], (float(sweep[i, 0]) if met[i, 0] else None)
        for end in ends:
            if low is None:
                low = float(end)
            else:
                ranges.append([low, float(end)])
                low = None
        if low is not None:
            ranges.append([low, float(sweep[i, -1])])
        threshold = threshold_high = None
        if not ranges:
            condition = "none"
        elif len(ranges) > 1:
            condition = "ranges"
        elif met[i, 0] and met[i, -1]:
            condition = "any"
        elif met[i, -1]:
            condition, threshold = ">=", ranges[0][0]
        elif met[i, 0]:
            condition, threshold = "<=", ranges[0][1]
        else:
            condition, (threshold, threshold_high) = "between", ranges[0]
        rows.append({"parameter": name, "unit": p.unit, "central": float(base[columns[i]]),
                     "condition": condition, "threshold": threshold,
                     "threshold_high": threshold_high, "ranges": ranges,
                     "value_at_central": central_value})
    frame = pd.DataFrame(rows)
    for column in ("threshold", "threshold_high"):  # None where not applicable, never NaN
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    order = {">=": 0, "<=": 0, "between": 1, "ranges": 1, "none": 2, "any": 3}
    frame["_order"] = frame["condition"].map(order)
    frame = frame.sort_values(["_order", "parameter"], kind="stable").drop(columns="_order")
    frame.attrs.update(objective=objective, at_least=float(at_least), missiles=int(missiles),
                       grid=grid, refine=refine)
    return frame.reset_index(drop=True)
