"""Sensitivity: which assumptions matter, each evaluated as a direct run would be.

* :func:`tornado` — each assumption at its low and high, the others central.
* :func:`sobol` — Sobol indices of an output over the uncertain assumptions, through
  :func:`sobol_indices_of` (any vectorised function of independent inputs).
* :func:`explain` — what must hold for a salvo to reach a goal, one assumption at a time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from whatif.engine import MAX_SALVO, _run, check_objective, choice_code, compile_scenario
from whatif.errors import ParameterError
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
        raise ParameterError("output", f"{output!r} is not allowed; allowed one of "
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
    names = [n for n in NUMERIC if not scenario.values[n].is_fixed]
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
    names = [n for n in NUMERIC if n != "missiles"]  # the salvo is given
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
        # whole numbers are bisected over whole numbers (the kernel truncates a fraction)
        whole = np.array([params[i].kind == "integer" for i in idx])
        for _ in range(refine):
            mid = np.full((len(names), 1), np.nan)
            mid[idx, 0] = np.where(whole, np.floor(0.5 * (a + b)), 0.5 * (a + b))
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
