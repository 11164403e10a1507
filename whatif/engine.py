"""Engine: run a scenario through the model. Glue only; the maths is in :mod:`whatif.model`.

* :func:`simulate` — deterministic (``samples=0``, central values and expected strike
  outcomes) or Monte Carlo (parameters and strike outcomes drawn, seeded).
* :func:`missiles_needed` — the smallest salvo for which
  ``P(objective >= at_least) >= confidence``, with the whole curve.
* :func:`tornado` — each assumption at its low and high, the others central.
* :func:`sobol` — Sobol indices of an output over the uncertain assumptions, through
  :func:`sobol_indices_of` (any vectorised function of independent inputs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from whatif.errors import ParameterError
from whatif.model import chain
from whatif.model.campaign import SERIES, SERIES_UNITS
from whatif.params import NUMERIC, REGISTRY
from whatif.sampling import draw_matrix, outcome_key, ppf
from whatif.scenario import Scenario

MAX_SAMPLES = 2_000_000
MAX_SALVO = 1000
MAX_SERIES_VALUES = 200_000_000  # daily series held in memory at once (1.6 GB of float64)
STATS = ("mean", "p10", "p50", "p90")
#: the salvo of the public debate (F. Kagan, ISW, podcast of 24 Feb 2026), marked on charts
DEBATE_SALVO = (25, 30)


@dataclass(frozen=True)
class Output:
    """One model output: label and unit for tables, charts and the brief."""

    name: str
    label: str
    unit: str
    objective: bool = True  # non-decreasing in missiles: usable by missiles_needed
    upper: float | None = None  # largest possible value (shares: 1)


OUTPUTS: dict[str, Output] = {
    o.name: o
    for o in (
        Output("capacity_loss", "Plant capacity lost (first salvo)", "share", upper=1.0),
        Output("drones_denied", "Drones denied over the horizon", "drones"),
        # a ratio to the target: above 1 only if output already exceeds the target
        Output("target_share_denied", "Drones denied as a share of target output (target/day × days)",
               "share"),
        Output("days_disrupted", "Days national output is below 90% of baseline", "days"),
        Output("energy_hits_averted", "Hits on energy infrastructure averted", "hits"),
        Output("energy_hit_reduction", "Reduction in energy hits vs no strike", "share", upper=1.0),
        Output("grid_gw_days_averted", "Grid outage averted", "GW·days"),
        Output("cost_exchange_ratio", "Cost exchange ratio (value denied / missiles spent)",
               "USD per USD", objective=False),
        Output("strike_cost_usd", "Cost of the missiles fired", "USD", objective=False),
    )
}
if tuple(OUTPUTS) != chain.OUTPUTS:  # the model's output order is the table's
    raise RuntimeError("whatif.engine.OUTPUTS and whatif.model.chain.OUTPUTS differ")
OBJECTIVES = tuple(name for name, o in OUTPUTS.items() if o.objective)


@dataclass(frozen=True)
class CompiledScenario:
    """A scenario's inputs as the model takes them (one row per sample)."""

    theta: np.ndarray  # (samples, len(chain.INPUTS)), Fortran order: each input contiguous
    stage_aimpoints: np.ndarray
    bottleneck: bool
    logistic: int
    exponential: int
    horizon_days: int
    key: np.uint64
    stochastic: bool


def _check_samples(samples: int) -> int:
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or not (
        0 <= samples <= MAX_SAMPLES
    ):
        raise ParameterError("samples", f"{samples!r} is out of range; allowed 0 to {MAX_SAMPLES} "
                             "samples (whole numbers; 0 = deterministic)")
    return int(samples)


def _check_seed(seed) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError("seed", f"{seed!r} is not allowed; allowed a whole number >= 0")
    return int(seed)


def _draw(scenario: Scenario, samples: int, seed: int | None) -> np.ndarray:
    """Numeric assumptions per sample, shape ``(len(NUMERIC), max(samples, 1))``."""
    if samples == 0:
        return np.array([[float(scenario.central(name))] for name in NUMERIC])
    return draw_matrix([scenario.values[n] for n in NUMERIC], [REGISTRY[n] for n in NUMERIC],
                       samples, seed)


def draw_inputs(scenario: Scenario, samples: int, seed: int | None) -> pd.DataFrame:
    """The numeric assumptions per sample [each parameter's unit]: drawn, or central if 0.

    Columns follow the registry order; each column is drawn from its own stream, so
    changing one assumption leaves the others' draws unchanged (common random numbers).
    """
    return pd.DataFrame(_draw(scenario, samples, seed).T, columns=list(NUMERIC), copy=False)


if tuple(chain.INPUTS) != NUMERIC:  # the drawn matrix is handed to the model as it is
    raise RuntimeError("whatif.model.chain.INPUTS must list the numeric registry in order")


def compile_scenario(scenario: Scenario, samples: int = 0, seed: int | None = 0) -> tuple[
    CompiledScenario, pd.DataFrame
]:
    samples = _check_samples(samples)
    seed = _check_seed(seed)
    matrix = _draw(scenario, samples, seed)
    inputs = pd.DataFrame(matrix.T, columns=list(NUMERIC), copy=False)
    # each input's draws are contiguous; the model reads theta[s, i] (Fortran order)
    theta = matrix.T
    compiled = CompiledScenario(
        theta=theta,
        stage_aimpoints=np.array([s.aimpoints for s in scenario.stages], dtype=np.int64),
        bottleneck=scenario.central("allocation") == "bottleneck",
        logistic=int(scenario.central("ramp_shape") == "logistic"),
        exponential=int(scenario.central("recovery") == "exponential"),
        horizon_days=int(scenario.central("horizon_days")),
        key=outcome_key(seed),
        stochastic=samples > 0,
    )
    return compiled, inputs


def _run(c: CompiledScenario, theta: np.ndarray | None = None, record: bool = False):
    return chain.run_samples(
        np.asfortranarray(c.theta if theta is None else theta), c.stage_aimpoints, c.bottleneck, c.logistic,
        c.exponential, c.horizon_days, c.key, c.stochastic, record,
    )


def percentiles(values: np.ndarray, q=(10, 50, 90)) -> list[np.ndarray]:
    """Percentiles along the last axis, as ``np.percentile`` (linear interpolation).

    Sorting contiguous rows (NumPy's vectorised sort) is several times faster here than
    ``np.percentile``'s partitioning; the results agree to the last bit or two.
    """
    ordered = np.sort(values, axis=-1)
    n = ordered.shape[-1]
    out = []
    for level in q:
        position = level / 100 * (n - 1)
        lo = int(np.floor(position))
        hi = min(lo + 1, n - 1)
        frac = position - lo
        out.append(ordered[..., lo] + frac * (ordered[..., hi] - ordered[..., lo]))
    return out


def summarise(values: np.ndarray, axis: int = 0) -> dict[str, np.ndarray]:
    """Mean, P10, P50 and P90 along ``axis`` (linear interpolation between order statistics)."""
    moved = np.ascontiguousarray(np.moveaxis(values, axis, -1))  # contiguous rows: faster
    p10, p50, p90 = percentiles(moved)
    return {"mean": moved.mean(axis=-1), "p10": p10, "p50": p50, "p90": p90}


@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate` returns.

    Attributes
    ----------
    outputs : DataFrame
        One row per sample, one column per output (see :data:`OUTPUTS` for units).
    inputs : DataFrame
        The assumptions each sample used.
    summary : DataFrame
        Index: outputs; columns: mean, p10, p50, p90.
    series : DataFrame or None
        Daily series with bands: index ``day``; columns ``(series, stat)``.
    """

    scenario: Scenario
    samples: int
    seed: int | None
    outputs: pd.DataFrame
    inputs: pd.DataFrame
    summary: pd.DataFrame
    series: pd.DataFrame | None

    def to_dict(self) -> dict:
        """JSON-ready: title, samples, seed, outputs {name: {mean, p10, p50, p90}}, assumptions."""
        return {
            "title": self.scenario.title,
            "samples": self.samples,
            "seed": self.seed,
            "outputs": {name: {k: float(v) for k, v in row.items()} for name, row in
                        self.summary.iterrows()},
            "assumptions": self.scenario.assumptions_dict(),
        }


def simulate(scenario: Scenario, samples: int = 10_000, seed: int | None = 0, series: bool = False,
             bands=SERIES) -> SimulationResult:
    """Run ``scenario`` through the whole chain.

    Parameters
    ----------
    scenario : Scenario
    samples : int
        Monte Carlo samples; 0 runs the deterministic chain (central values, expected
        strike outcome).
    seed : int or None
        Same scenario and seed give identical numbers.
    series : bool
        Also return daily series (production, launches, energy hits, damaged grid
        capacity; baseline and after the strike) with their mean per day.
    bands : sequence of str
        The series that also get P10/P50/P90 per day (default: all of
        :data:`whatif.model.campaign.SERIES`; fewer is faster).
    """
    if series:
        days = int(scenario.central("horizon_days"))
        most = MAX_SERIES_VALUES // (len(SERIES) * days)
        if samples > most:
            raise ParameterError("samples", f"{samples} is too many for daily series over {days} "
                                 f"days; allowed 0 to {most} samples with series (memory)")
    compiled, inputs = compile_scenario(scenario, samples, seed)
    values, daily = _run(compiled, record=series)
    if not np.isfinite(values).all():  # a model defect, never user input: fail loudly
        raise FloatingPointError("the model produced a non-finite output")
    outputs = pd.DataFrame(values, columns=list(chain.OUTPUTS))
    summary = pd.DataFrame(summarise(values), index=list(chain.OUTPUTS))
    summary.index.name = "output"
    unknown = set(bands) - set(SERIES)
    if unknown:
        raise ParameterError("bands", f"unknown series {sorted(unknown)}; allowed {', '.join(SERIES)}")
    table = series_frame(daily, bands) if series else None
    return SimulationResult(scenario, compiled.theta.shape[0] if samples else 0, seed, outputs,
                            inputs, summary, table)


def series_frame(daily: np.ndarray, bands=SERIES) -> pd.DataFrame:
    """Daily series ``(samples, series, days)`` → DataFrame indexed by day.

    Every series gets its ``mean``; those named in ``bands`` also get ``p10``, ``p50`` and
    ``p90``. Columns are ``(series, stat)``; units are in ``frame.attrs["units"]``.
    """
    columns: dict[tuple[str, str], np.ndarray] = {}
    means = daily.mean(axis=0)  # (series, days)
    for k, name in enumerate(SERIES):
        columns[(name, "mean")] = means[k]
        if name in bands:
            p10, p50, p90 = percentiles(chain.series_by_day(daily, k))
            columns[(name, "p10")], columns[(name, "p50")], columns[(name, "p90")] = p10, p50, p90
    frame = pd.DataFrame(columns)
    frame.columns.names = ["series", "stat"]
    frame.index.name = "day"
    frame.attrs["units"] = dict(zip(SERIES, SERIES_UNITS, strict=True))
    return frame


def weekly_hits(result: SimulationResult) -> pd.DataFrame:
    """Hits on energy infrastructure per week: 7 × the week's mean daily hits (sample means).

    Means add up where percentiles would not; a last, partial week is scaled to a full
    week's rate instead of showing as a dip. Columns ``baseline`` and ``strike``.
    """
    daily = pd.DataFrame({
        "baseline": result.series[("energy_hits_baseline", "mean")],
        "strike": result.series[("energy_hits_strike", "mean")],
    })
    return daily.groupby(daily.index // 7).mean() * 7


@dataclass(frozen=True)
class SolveResult:
    """What :func:`missiles_needed` returns."""

    objective: str
    at_least: float
    confidence: float
    missiles_needed: int | None  # None: no salvo up to max_missiles reaches it
    curve: pd.DataFrame  # columns: missiles, probability
    samples: int
    seed: int | None

    @property
    def max_missiles(self) -> int:
        return int(self.curve["missiles"].iloc[-1])

    def to_dict(self) -> dict:
        return {
            "objective": self.objective,
            "at_least": self.at_least,
            "confidence": self.confidence,
            "samples": self.samples,
            "seed": self.seed,
            "missiles_needed": self.missiles_needed,
            "curve": [[int(m), float(p)] for m, p in self.curve.itertuples(index=False)],
        }


def check_objective(objective: str, at_least: float, confidence: float, max_missiles: int):
    if objective not in OBJECTIVES:
        raise ParameterError("objective", f"{objective!r} is not allowed; allowed one of "
                             f"{', '.join(OBJECTIVES)}")
    spec = OUTPUTS[objective]
    upper = spec.upper
    if isinstance(at_least, bool) or not isinstance(at_least, (int, float, np.floating)) or not (
        np.isfinite(at_least) and 0 <= at_least and (upper is None or at_least <= upper)
    ):
        allowed = f"0 to {upper:g} {spec.unit}" if upper is not None else f">= 0 {spec.unit}"
        raise ParameterError("at_least", f"{at_least!r} is out of range for {objective}; "
                             f"allowed {allowed}")
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating)) or not (
        0 < confidence <= 1
    ):
        raise ParameterError("confidence", f"{confidence!r} is out of range; allowed above 0 "
                             "up to 1 probability")
    if isinstance(max_missiles, bool) or not isinstance(max_missiles, (int, np.integer)) or not (
        1 <= max_missiles <= MAX_SALVO
    ):
        raise ParameterError("max_missiles", f"{max_missiles!r} is out of range; allowed 1 to "
                             f"{MAX_SALVO} missiles")


def missiles_needed(scenario: Scenario, objective: str = "capacity_loss", at_least: float = 0.5,
                    confidence: float = 0.8, samples: int = 10_000, seed: int | None = 0,
                    max_missiles: int = 300) -> SolveResult:
    """The smallest salvo for which ``P(objective >= at_least) >= confidence``.

    The probability is over the scenario's uncertain assumptions and the strike's random
    outcome (``samples`` Monte Carlo samples). With ``samples=0`` the chain is
    deterministic and the probability is 0 or 1. The curve covers 0 … ``max_missiles``
    missiles per salvo (re-strikes use the same salvo size). The scenario's own
    ``missiles`` value is ignored: it is what is being solved for.
    """
    check_objective(objective, at_least, confidence, max_missiles)
    compiled, _ = compile_scenario(scenario, samples, seed)
    index = chain.OUTPUTS.index(objective)
    salvo = np.arange(max_missiles + 1)
    if samples == 0:
        theta = np.repeat(compiled.theta, salvo.size, axis=0)
        theta[:, chain.MISSILES] = salvo
        values, _ = _run(compiled, theta)
        probability = (values[:, index] >= at_least).astype(float)
    else:
        needed = chain.salvo_needed(
            np.asfortranarray(compiled.theta), compiled.stage_aimpoints, compiled.bottleneck, compiled.logistic,
            compiled.exponential, compiled.horizon_days, compiled.key, compiled.stochastic,
            index, float(at_least), max_missiles,
        )
        counts = np.bincount(needed, minlength=max_missiles + 2)[: max_missiles + 1]
        probability = np.cumsum(counts) / needed.size
    reached = np.flatnonzero(probability >= confidence - 1e-12)
    answer = int(salvo[reached[0]]) if reached.size else None
    curve = pd.DataFrame({"missiles": salvo, "probability": probability})
    return SolveResult(objective, float(at_least), float(confidence), answer, curve,
                       compiled.theta.shape[0] if samples else 0, seed)


def tornado(scenario: Scenario, output: str = "drones_denied") -> pd.DataFrame:
    """One-at-a-time sensitivity: ``output`` with each assumption at its low and high.

    Deterministic; the others stay central. Rows are sorted by swing (largest first);
    columns ``low_value``, ``high_value``, ``output_at_low``, ``output_at_high``, ``swing``.
    """
    if output not in OUTPUTS:
        raise ParameterError("output", f"{output!r} is not allowed; allowed one of {', '.join(OUTPUTS)}")
    compiled, _ = compile_scenario(scenario, 0, 0)
    names = [n for n in chain.INPUTS if scenario.values[n].low < scenario.values[n].high]
    theta = np.repeat(compiled.theta, 2 * len(names) + 1, axis=0)
    for i, name in enumerate(names):
        col = chain.INPUTS.index(name)
        theta[1 + 2 * i, col] = scenario.values[name].low
        theta[2 + 2 * i, col] = scenario.values[name].high
    values, _ = _run(compiled, theta)
    out = values[:, chain.OUTPUTS.index(output)]
    frame = pd.DataFrame({
        "parameter": names,
        "low_value": [scenario.values[n].low for n in names],
        "high_value": [scenario.values[n].high for n in names],
        "output_at_low": out[1::2],
        "output_at_high": out[2::2],
    })
    frame["swing"] = (frame["output_at_high"] - frame["output_at_low"]).abs()
    frame.attrs["central"] = float(out[0])
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


def _check_sobol_samples(samples: int) -> int:
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 64 or (
        samples & (samples - 1)
    ):
        raise ParameterError("samples", f"{samples!r} is not allowed; allowed a power of 2, >= 64")
    return int(samples)


def sobol_indices_of(func, dists, names, samples: int = 1024, seed: int | None = 0) -> pd.DataFrame:
    """Sobol indices of any vectorised function of independent inputs (Saltelli 2010).

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
        Seeds the scrambling: same inputs and seed give identical indices.

    Returns
    -------
    DataFrame
        Columns ``parameter``, ``first_order`` (S1: the share of the output's variance due
        to that input alone) and ``total_order`` (ST: including its interactions), both
        dimensionless; rows sorted by total order, largest first. An output that does not
        vary has every index 0.
    """
    from scipy.stats import sobol_indices

    samples = _check_sobol_samples(samples)
    names = list(names)
    if not names or len(dists) != len(names):
        raise ParameterError("dists", f"{len(dists)} distributions for {len(names)} inputs; "
                             "allowed one per input, at least one")

    def twice(x: np.ndarray) -> np.ndarray:
        # two identical outputs: scipy squeezes one output of one input to a scalar and fails
        values = np.asarray(func(x), dtype=float).reshape(-1)
        return np.vstack([values, values])

    res = sobol_indices(func=twice, n=samples, dists=list(dists), rng=np.random.default_rng(seed))
    first = np.reshape(res.first_order, (2, len(names)))[0]
    total = np.reshape(res.total_order, (2, len(names)))[0]
    frame = pd.DataFrame({"parameter": names, "first_order": first, "total_order": total})
    return frame.sort_values("total_order", ascending=False, kind="stable").reset_index(drop=True)


def sobol(scenario: Scenario, output: str = "drones_denied", samples: int = 1024,
          seed: int | None = 0) -> pd.DataFrame:
    """Sobol indices of ``output`` for every uncertain assumption (Saltelli 2010).

    :func:`sobol_indices_of` (``scipy.stats.sobol_indices``) on the deterministic chain
    (expected strike outcome), so the indices apportion the variance due to the
    assumptions, not to the strike's random outcome. ``samples`` is the base sample size
    (a power of 2; the chain runs ``samples × (d + 2)`` times for ``d`` uncertain
    assumptions). Columns ``first_order`` and ``total_order`` (dimensionless), rows
    sorted by total order.
    """
    if output not in OUTPUTS:
        raise ParameterError("output", f"{output!r} is not allowed; allowed one of {', '.join(OUTPUTS)}")
    _check_sobol_samples(samples)
    names = [n for n in chain.INPUTS if not scenario.values[n].is_fixed]
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

    return sobol_indices_of(model, [_Marginal(n, scenario) for n in names], names, samples, seed)


def warm_up() -> float:
    """Compile (or load from the disk cache) every model path the app uses; seconds taken.

    The first run on a machine compiles for tens of seconds; afterwards this takes ~1 s.
    """
    import time

    started = time.perf_counter()
    scenario = Scenario.default()
    for samples in (0, 16):
        simulate(scenario, samples=samples, seed=0, series=True)
        for objective in ("capacity_loss", "drones_denied"):
            missiles_needed(scenario, objective, 0.5, 0.8, samples=samples, seed=0)
    return time.perf_counter() - started


def explain(scenario: Scenario, missiles: int = 30, objective: str = "capacity_loss",
            at_least: float = 0.5, grid: int = 257, refine: int = 40) -> pd.DataFrame:
    """What must hold for ``missiles`` to reach ``objective >= at_least``, one assumption at a time.

    Deterministic (expected strike outcome), each assumption swept across its allowed range
    with every other at its central value. For each, the condition under which the objective
    is met: ``>= threshold``, ``<= threshold``, ``any`` value, ``none`` in the allowed range,
    or ``between`` two values; thresholds are refined by bisection so that, plugged back in,
    the objective equals ``at_least`` (to the bisection's precision). Rows are sorted with the
    binding conditions first. Columns: parameter, unit, central, condition, threshold
    (None for ``any``/``none``), threshold_high (``between`` only), value_at_central.
    """
    check_objective(objective, at_least, 0.5, MAX_SALVO)
    if isinstance(missiles, bool) or not isinstance(missiles, (int, np.integer)) or not (
        1 <= missiles <= MAX_SALVO
    ):
        raise ParameterError("missiles", f"{missiles!r} is out of range; allowed 1 to {MAX_SALVO} "
                             "missiles (whole numbers)")
    scenario = scenario.with_values(missiles=int(missiles))
    compiled, _ = compile_scenario(scenario, 0, 0)
    index = chain.OUTPUTS.index(objective)
    names = [n for n in chain.INPUTS if n not in ("missiles", "horizon_days")]
    columns = [chain.INPUTS.index(n) for n in names]
    base = compiled.theta[0]

    def evaluate(values: np.ndarray) -> np.ndarray:  # values: (params, k) → objective (params, k)
        k = values.shape[1]
        theta = np.repeat(base[np.newaxis, :], len(names) * k, axis=0)
        for i, col in enumerate(columns):
            theta[i * k:(i + 1) * k, col] = values[i]
        out, _ = _run(compiled, theta)
        return out[:, index].reshape(len(names), k)

    params = [REGISTRY[n] for n in names]
    sweep = np.array([np.linspace(p.lower_bound, p.upper_bound, grid) for p in params])
    for i, p in enumerate(params):
        if p.kind == "integer":
            sweep[i] = np.round(sweep[i])
    met = evaluate(sweep) >= at_least
    central_value = float(_run(compiled)[0][0, index])
    rows = []
    lo = np.zeros(len(names))
    hi = np.zeros(len(names))
    want_met_above = np.zeros(len(names), dtype=bool)
    to_refine = []
    for i, (name, p) in enumerate(zip(names, params, strict=True)):
        m = met[i]
        if m.all():
            condition = "any"
        elif not m.any():
            condition = "none"
        else:
            changes = np.flatnonzero(m[1:] != m[:-1])
            if len(changes) == 1:
                condition = ">=" if m[-1] else "<="
                j = changes[0]
                lo[i], hi[i] = sweep[i, j], sweep[i, j + 1]
                want_met_above[i] = bool(m[-1])
                to_refine.append(i)
            else:
                condition = "between"
                first, last = np.flatnonzero(m)[[0, -1]]
                lo[i], hi[i] = sweep[i, first], sweep[i, last]
        rows.append({"parameter": name, "unit": p.unit, "central": float(base[columns[i]]),
                     "condition": condition, "threshold": None, "threshold_high": None,
                     "value_at_central": central_value})
        if condition == "between":
            rows[-1]["threshold"], rows[-1]["threshold_high"] = float(lo[i]), float(hi[i])
    if to_refine:
        idx = np.array(to_refine)
        a, b = lo[idx].copy(), hi[idx].copy()
        for _ in range(refine):
            mid = np.full((len(names), 1), np.nan)
            mid[idx, 0] = 0.5 * (a + b)
            for i in set(range(len(names))) - set(idx.tolist()):
                mid[i, 0] = base[columns[i]]
            ok = evaluate(mid)[idx, 0] >= at_least
            above = want_met_above[idx]
            # keep the met side at b when met above, at a when met below
            b = np.where(above & ok, mid[idx, 0], b)
            a = np.where(above & ~ok, mid[idx, 0], a)
            a = np.where(~above & ok, mid[idx, 0], a)
            b = np.where(~above & ~ok, mid[idx, 0], b)
        for k, i in enumerate(idx):
            threshold = b[k] if want_met_above[i] else a[k]
            if params[i].kind == "integer":
                threshold = float(np.ceil(threshold - 1e-9) if want_met_above[i]
                                  else np.floor(threshold + 1e-9))
            rows[i]["threshold"] = float(threshold)
    frame = pd.DataFrame(rows)
    for column in ("threshold", "threshold_high"):  # None where not applicable, never NaN
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    order = {">=": 0, "<=": 0, "between": 1, "none": 2, "any": 3}
    frame["_order"] = frame["condition"].map(order)
    frame = frame.sort_values(["_order", "parameter"], kind="stable").drop(columns="_order")
    frame.attrs.update(objective=objective, at_least=float(at_least), missiles=int(missiles))
    return frame.reset_index(drop=True)
