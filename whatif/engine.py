"""Engine: run a scenario through the model. Glue only; the maths is in :mod:`whatif.model`.

* :func:`simulate` — deterministic (``samples=0``, central values and expected strike
  outcomes) or Monte Carlo (parameters and strike outcomes drawn, seeded).
* :func:`missiles_needed` — the smallest salvo for which
  ``P(objective >= at_least) >= confidence``, with the whole curve.

Outputs and summaries are in :mod:`whatif.outputs`; sensitivity in :mod:`whatif.sensitivity`.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from whatif.errors import ParameterError, show
from whatif.model import chain, layout
from whatif.model.campaign import SERIES
from whatif.model.production import trend_parameters_into
from whatif.outputs import COPIES, OBJECTIVES, OUTPUTS, series_frame, summarise
from whatif.params import NUMERIC, REGISTRY, is_number
from whatif.sampling import column_generator, draw_matrix, outcome_key, ppf
from whatif.scenario import Scenario

MAX_SAMPLES = 2_000_000
MAX_SALVO = 1000
MAX_SEED = 2**64 - 1
MAX_SERIES_VALUES = 200_000_000  # daily series held in memory at once (1.6 GB of float64)
#: Model work allowed in one call, in work units (see :func:`work_per_run`): about 14 ns
#: each on one core, so at most ~30 s for the heaviest scenarios; 2,000,000 Monte Carlo
#: samples of the baseline (~9e8 units) fit.
MAX_WORK = 2_000_000_000
RUN_OVERHEAD = 200  # work units of one run of the chain besides its salvos
WORK_RULE = "samples × salvos × (missiles + aimpoints + horizon days)"


@dataclass(frozen=True)
class CompiledScenario:
    """A scenario as the kernel takes it (layout: :mod:`whatif.model.layout`).

    Attributes
    ----------
    theta : ndarray (samples, len(layout.INPUTS)), Fortran order
        One row per sample: the numeric assumptions (drawn, or central), then the choices
        as codes; each row may carry its own horizon and choices.
    shared : layout.Shared
        What every row shares: the plant's stages (one site), the outcome key and the mode.
    """

    theta: np.ndarray
    shared: layout.Shared

    @property
    def stochastic(self) -> bool:
        return bool(self.shared.stochastic)


def _check_samples(samples: int) -> int:
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or not (
        0 <= samples <= MAX_SAMPLES
    ):
        raise ParameterError("samples", f"{show(samples)} is out of range; allowed 0 to "
                             f"{MAX_SAMPLES} samples (whole numbers; 0 = deterministic)")
    return int(samples)


def _check_seed(seed) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not (
        0 <= seed <= MAX_SEED
    ):
        raise ParameterError("seed", f"{show(seed)} is not allowed; allowed a whole number >= 0, "
                             f"at most {MAX_SEED} (2^64 - 1)")
    return int(seed)


def _highest(scenario: Scenario, name: str) -> float:
    """The largest value of ``name`` a run of ``scenario`` may use (central, drawn)."""
    value = scenario.values[name]
    if value.dist == "lognormal":  # low/high are percentiles: draws reach the bound
        return float(REGISTRY[name].upper_bound)
    return float(max(value.high, value.central))


def work_per_run(scenario: Scenario, stochastic: bool = True, missiles: int | None = None) -> int:
    """Work units of one run of the chain on ``scenario`` (an estimate of its cost).

    A run costs :data:`RUN_OVERHEAD` plus, per salvo, its days on the horizon and, when
    the strike outcome is drawn (``stochastic``), its missiles and aimpoints. ``missiles``
    replaces the scenario's largest salvo (the solver's ``max_missiles``). A system of
    sites follows each site every day: its days count once per site; a plan gives the
    salvos and their missiles.
    """
    system = scenario.system
    sites = len(system.sites) if system is not None else 1
    days = int(scenario.central("horizon_days")) * sites
    if scenario.plan:
        salvos = len(scenario.plan)
        planned = max(salvo.total for salvo in scenario.plan)
    else:
        salvos = 1 + int(_highest(scenario, "restrikes"))
        planned = int(_highest(scenario, "missiles"))
    if not stochastic:
        return RUN_OVERHEAD + salvos * days
    if missiles is None:
        missiles = planned
    stages = (scenario.stages if system is None
              else [stage for site in system.sites for stage in site.stages])
    aimpoints = sum(stage.aimpoints for stage in stages)
    return RUN_OVERHEAD + salvos * (missiles + aimpoints + days)


def check_work(samples: int, per_sample: int, what: str = "") -> None:
    """Refuse ``samples`` samples of ``per_sample`` work units each beyond :data:`MAX_WORK`."""
    if samples * per_sample > MAX_WORK:
        most = MAX_WORK // per_sample
        raise ParameterError("samples", f"{samples}{what} is too much work for this scenario; "
                             f"allowed 0 to {most} samples here (work limit {MAX_WORK:.0e} "
                             f"≈ {WORK_RULE})")


def check_series_samples(scenario: Scenario, samples: int) -> None:
    """Refuse more samples than the daily series of ``scenario`` can hold in memory."""
    days = int(scenario.central("horizon_days"))
    most = MAX_SERIES_VALUES // (len(SERIES) * days)
    if samples > most:
        raise ParameterError("samples", f"{samples} is too many for daily series over {days} "
                             f"days; allowed 0 to {most} samples with series (memory)")


def solve_evaluations(max_missiles: int) -> int:
    """Runs of the chain per sample in :func:`missiles_needed` (one, then a bisection)."""
    return 1 + int(max_missiles).bit_length()


def check_solve_work(scenario: Scenario, samples: int, max_missiles: int) -> None:
    """Refuse Monte Carlo samples × salvo sizes beyond :data:`MAX_WORK`."""
    if samples:
        per_sample = (solve_evaluations(max_missiles)
                      * work_per_run(scenario, missiles=int(max_missiles)))
        check_work(samples, per_sample, f" samples × salvos of up to {max_missiles} missiles")


def _draw(scenario: Scenario, samples: int, seed: int | None,
          out: np.ndarray | None = None) -> np.ndarray:
    """Numeric assumptions per sample, shape ``(len(NUMERIC), max(samples, 1))`` (into
    ``out`` if given: rows contiguous)."""
    if samples == 0:
        central = np.array([[float(scenario.central(name))] for name in NUMERIC])
        if out is None:
            return central
        out[:] = central
        return out
    return draw_matrix([scenario.values[n] for n in NUMERIC], [REGISTRY[n] for n in NUMERIC],
                       samples, seed, out=out)


def draw_inputs(scenario: Scenario, samples: int, seed: int | None) -> pd.DataFrame:
    """The numeric assumptions per sample [each parameter's unit]: drawn, or central if 0.

    Columns follow the registry order; each column is drawn from its own stream, so
    changing one assumption leaves the others' draws unchanged (common random numbers).
    """
    return pd.DataFrame(_draw(scenario, samples, seed).T, columns=list(NUMERIC), copy=False)


CHOICES = tuple(name for name, p in REGISTRY.items() if p.kind == "choice")
# the drawn matrix is copied into theta as it is; choices follow as codes, then the trend
# path's parameters (drawn from the fit to the record)
if layout.INPUT_NAMES != NUMERIC + CHOICES + layout.DERIVED_INPUTS or any(
    layout.INPUTS[layout.CONSTANTS[name.upper()]].choices != REGISTRY[name].choices
    for name in CHOICES
):
    raise RuntimeError("whatif.model.layout.INPUTS must list the numeric registry in order, "
                       "then its choices with the registry's values, then DERIVED_INPUTS")

#: theta's columns of the trend path's parameters (drawn by
#: whatif.model.production.trend_parameters_into, from each sample's outcome key)
TREND_COLUMNS = [layout.CONSTANTS[name.upper()] for name in layout.DERIVED_INPUTS]
if TREND_COLUMNS != list(range(TREND_COLUMNS[0], TREND_COLUMNS[0] + 4)):
    raise RuntimeError("whatif.model.layout.DERIVED_INPUTS must be four adjacent columns")


def trend_fit():
    """The fit of the production path to the launch record in use (cached per file)."""
    from whatif.calibrate import production_fit  # (the fit reads the record on first use)

    return production_fit()


def choice_code(name: str, value: str) -> float:
    """The code the kernel reads for choice ``name`` set to ``value`` (its index)."""
    return float(layout.INPUTS[layout.CONSTANTS[name.upper()]].choices.index(value))


def kernel_rows(scenario: Scenario, samples: int, seed: int | None,
                extra_columns: int = 0) -> np.ndarray:
    """``theta`` for the kernel, ``(max(samples, 1), len(layout.INPUTS) + extra_columns)`` in
    Fortran order (each column contiguous): the numeric assumptions drawn (or central if
    ``samples`` is 0) straight into their columns, the scenario's choices as codes and the
    trend's central parameters; the ``extra_columns`` (a system's own site values) are left
    for :func:`with_site_columns`."""
    theta = np.empty((layout.N_INPUTS + extra_columns, max(samples, 1))).T
    _draw(scenario, samples, seed, out=theta.T[: len(NUMERIC)])
    for name in CHOICES:
        theta[:, layout.CONSTANTS[name.upper()]] = choice_code(name, scenario.central(name))
    # the fitted trend's central parameters on every row, whatever the path: rows that
    # switch to the trend (the tornado's) then run it as a direct run would
    for column, value in zip(TREND_COLUMNS, trend_fit().central(), strict=True):
        theta[:, column] = value  # (each column contiguous: no fancy indexing)
    return theta


def uses_trend(scenario: Scenario) -> bool:
    """Whether the scenario's production follows the trend fitted to the record."""
    return scenario.central("production_path") == "trend"


def custom_path(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """The custom path's days [days] and rates [drones/day] as the kernel reads them."""
    points = np.array(scenario.central("production_points"), dtype=float).reshape(-1, 2)
    return np.ascontiguousarray(points[:, 0]), np.ascontiguousarray(points[:, 1])


def shared_inputs(scenario: Scenario, seed: int | None, stochastic: bool) -> layout.Shared:
    """What every kernel row of ``scenario`` shares (:class:`~whatif.model.layout.Shared`)."""
    custom_days, custom_rates = custom_path(scenario)
    system = scenario.system
    if system is None:  # the single plant
        stages = [[s.aimpoints for s in scenario.stages]]
        share = np.zeros(1)
        suppliers: list[tuple[int, ...]] = [()]
        order = [0]
        columns = np.full((1, layout.N_SITE_INPUTS), -1, dtype=np.int64)
    else:
        stages = [[s.aimpoints for s in site.stages] for site in system.sites]
        share = system.share
        suppliers = list(system.suppliers)
        order = list(system.order)
        columns = site_columns(system)
    sites = len(stages)
    stage_aimpoints = np.zeros((sites, max(len(s) for s in stages)), dtype=np.int64)
    for i, counts in enumerate(stages):
        stage_aimpoints[i, :len(counts)] = counts
    site_suppliers = np.zeros((sites, sites), dtype=np.int64)
    for i, feeding in enumerate(suppliers):
        site_suppliers[i, :len(feeding)] = feeding
    names = scenario.site_names
    plan_missiles = np.array([[salvo.missiles.get(name, 0) for name in names]
                              for salvo in scenario.plan], dtype=np.int64).reshape(-1, sites)
    return layout.Shared(
        stage_aimpoints=stage_aimpoints,
        stage_count=np.array([len(s) for s in stages], dtype=np.int64),
        custom_days=custom_days,
        custom_rates=custom_rates,
        trend_sigma=float(trend_fit().sigma),
        key=outcome_key(seed),
        stochastic=stochastic,
        system=system is not None,
        site_share=np.ascontiguousarray(share, dtype=np.float64),
        site_suppliers=site_suppliers,
        supplier_count=np.array([len(f) for f in suppliers], dtype=np.int64),
        site_order=np.array(order, dtype=np.int64),
        site_column=columns,
        planned=bool(scenario.plan),
        plan_day=np.array([float(salvo.day) for salvo in scenario.plan], dtype=np.float64),
        plan_missiles=np.ascontiguousarray(plan_missiles),
        experiment_keys=np.zeros(0, dtype=np.uint64),
        experiment_samples=0,
    )


#: the sites' own assumptions draw from streams after the scenario's (one per site and input)
SITE_DRAW_STREAM = 1 << 16


def site_columns(system) -> np.ndarray:
    """``Shared.site_column``: where each site's own value of each of
    :data:`layout.SITE_INPUTS` sits in ``theta`` (columns after :data:`layout.INPUTS`, in
    site order), or -1 where the site takes the scenario's."""
    columns = np.full((len(system.sites), layout.N_SITE_INPUTS), -1, dtype=np.int64)
    nxt = layout.N_INPUTS
    for i, site in enumerate(system.sites):
        for j, name in enumerate(layout.SITE_INPUTS):
            if name in site.overrides:
                columns[i, j] = nxt
                nxt += 1
    return columns


def site_column_count(scenario: Scenario) -> int:
    """How many columns the sites' own assumptions take after :data:`layout.INPUTS`."""
    if scenario.system is None:
        return 0
    return int((site_columns(scenario.system) >= 0).sum())


def with_site_columns(scenario: Scenario, theta: np.ndarray, samples: int,
                      seed: int | None) -> np.ndarray:
    """Fill ``theta``'s columns after :data:`layout.INPUTS` (:func:`site_column_count` of
    them, from :func:`kernel_rows`) with the sites' own assumptions (:func:`site_columns`):
    drawn from their own streams (one per site and input: another site's change leaves them
    be) in Monte Carlo, or central. Returns ``theta``."""
    system = scenario.system
    if system is None:
        return theta
    columns = site_columns(system)
    n = theta.shape[0]
    wide = theta
    for i, site in enumerate(system.sites):
        for j, name in enumerate(layout.SITE_INPUTS):
            if columns[i, j] < 0:
                continue
            value = site.overrides[name]
            column = int(columns[i, j])
            if isinstance(value, str):  # a choice
                wide[:, column] = choice_code(name, value)
            elif samples:
                stream = SITE_DRAW_STREAM + i * layout.N_SITE_INPUTS + j
                unit = column_generator(seed, stream).random(n)
                wide[:, column] = ppf(value, unit, REGISTRY[name])
            else:
                wide[:, column] = value.central
    return wide


def compile_scenario(scenario: Scenario, samples: int = 0, seed: int | None = 0) -> tuple[
    CompiledScenario, pd.DataFrame
]:
    """The kernel's inputs for ``scenario`` and the numeric assumptions per sample.

    ``samples = 0`` gives one row of central values and the expected strike outcome.
    """
    samples = _check_samples(samples)
    seed = _check_seed(seed)
    if scenario.system is not None and not scenario.plan:
        raise ParameterError("plan", "the scenario lists sites but no plan: say which sites "
                             "each salvo strikes ({day, missiles: {site: n}}), or find the "
                             "best plan with `whatif plan optimise`")
    theta = kernel_rows(scenario, samples, seed, site_column_count(scenario))
    if samples and uses_trend(scenario):  # the fit's parameter uncertainty
        # drawn in parallel straight into theta's trend columns, from each sample's key
        fit = trend_fit()
        trend_parameters_into(outcome_key(seed), fit.center(), fit.covariance_root,
                              float(fit.dof), theta.T[TREND_COLUMNS[0]:TREND_COLUMNS[-1] + 1])
    inputs = pd.DataFrame(theta[:, : len(NUMERIC)], columns=list(NUMERIC), copy=False)
    theta = with_site_columns(scenario, theta, samples, seed)
    shared = shared_inputs(scenario, seed, samples > 0)
    return CompiledScenario(theta=theta, shared=shared), inputs


def compile_grid(scenario: Scenario, names: list[str], values: np.ndarray, samples: int,
                 seed: int | None, base: CompiledScenario | None = None) -> CompiledScenario:
    """The kernel's inputs for grid points that each set ``names`` to one row of ``values``
    (``(points, len(names))``, each name's unit), ``samples`` rows per point, point-major.

    Point ``p``'s rows are exactly those of ``compile_scenario(scenario.with_values(
    **dict(zip(names, values[p]))), samples, seed)``: the other assumptions drawn as that
    run draws them (each from its own stream, so fixing one leaves the others' draws as they
    are), the same outcome and trend streams (``Shared.experiment_keys`` all the run's key),
    so :func:`chain.run_samples` of it gives that run's numbers, point after point.
    ``base``: ``compile_scenario(scenario, samples, seed)[0]`` (computed if not given).
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1, len(names))
    for name in names:
        if name not in NUMERIC or name in scenario.replaced:
            raise ParameterError(name, "is not a numeric assumption this scenario uses")
        for value in np.unique(values[:, list(names).index(name)]):
            REGISTRY[name].check_number(float(value))
    if base is None:
        base, _ = compile_scenario(scenario, samples, seed)
    rows = base.theta.shape[0]
    points = values.shape[0]
    theta = np.empty((base.theta.shape[1], points * rows)).T  # each column contiguous
    for column in range(base.theta.shape[1]):
        theta[:, column] = np.tile(base.theta[:, column], points)
    for i, name in enumerate(names):
        theta[:, layout.CONSTANTS[name.upper()]] = np.repeat(values[:, i], rows)
    if not samples:  # deterministic: rows do not draw
        return CompiledScenario(theta=theta, shared=base.shared)
    keys = np.full(points, base.shared.key, dtype=np.uint64)
    return CompiledScenario(theta=theta, shared=base.shared._replace(
        experiment_keys=keys, experiment_samples=int(rows)))


def run_grid(scenario: Scenario, names: list[str], values: np.ndarray, samples: int,
             seed: int | None, batch_rows: int = 100_000) -> np.ndarray:
    """Outputs ``(points, max(samples, 1), len(OUTPUTS))`` of :func:`compile_grid`'s points,
    run ``batch_rows`` model runs at a time: point ``p`` equals ``simulate(
    scenario.with_values(**dict(zip(names, values[p]))), samples, seed).outputs``."""
    values = np.asarray(values, dtype=np.float64).reshape(-1, len(names))
    base, _ = compile_scenario(scenario, samples, seed)
    rows = base.theta.shape[0]
    out = np.empty((values.shape[0], rows, len(chain.OUTPUTS)))
    step = max(1, batch_rows // rows)
    for first in range(0, values.shape[0], step):
        compiled = compile_grid(scenario, names, values[first:first + step], samples, seed, base)
        outputs, _ = _run(compiled)
        out[first:first + step] = outputs[:, : len(chain.OUTPUTS)].reshape(-1, rows,
                                                                              len(chain.OUTPUTS))
    if not np.isfinite(out).all():  # a model defect, never user input: fail loudly
        raise FloatingPointError("the model produced a non-finite output")
    return out


def experiment_rows(scenario: Scenario) -> np.ndarray:
    """One kernel row of ``scenario`` at its central values (site columns included), the
    start of every experiment's rows (:func:`run_experiments`)."""
    central = kernel_rows(scenario, 0, 0, site_column_count(scenario))
    return with_site_columns(scenario, central, 0, 0)


def run_experiments(scenario: Scenario, names: list[str], values: np.ndarray, samples: int,
                    seeds: list[int], central: np.ndarray | None = None) -> np.ndarray:
    """Outputs ``(experiments, samples, len(OUTPUTS))`` of experiments that each set
    ``names`` to one row of ``values`` (``(experiments, len(names))``, each name's unit),
    everything else at the scenario's central values, and run ``samples`` Monte Carlo
    samples of what stays random (the strike's outcome, the trend path's fit) from the
    outcome stream of ``seeds[e]``.

    Experiment ``e`` is exactly :func:`simulate` of the scenario with ``names`` fixed at
    ``values[e]`` and ``seed=seeds[e]`` (its rows, draws and numbers), but all run at
    once, without rebuilding the scenario (the kernel's rows carry each experiment's key:
    ``Shared.experiment_keys``). ``central``: :func:`experiment_rows` (computed if not
    given).
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1, len(names))
    experiments = values.shape[0]
    if central is None:
        central = experiment_rows(scenario)
    rows = experiments * samples
    theta = np.empty((central.shape[1], rows)).T  # each column contiguous, as simulate's
    theta[:] = central[0]
    for i, name in enumerate(names):  # each experiment's value over its samples' rows
        theta[:, layout.CONSTANTS[name.upper()]].reshape(experiments, samples)[:] = (
            values[:, i, None])
    keys = np.array([outcome_key(seed) for seed in seeds], dtype=np.uint64)
    if rows and uses_trend(scenario):
        fit = trend_fit()
        trend_parameters_into(0, fit.center(), fit.covariance_root, float(fit.dof),
                              theta.T[TREND_COLUMNS[0]:TREND_COLUMNS[-1] + 1], keys, samples)
    shared = shared_inputs(scenario, 0, True)._replace(experiment_keys=keys,
                                                       experiment_samples=int(samples))
    outputs, _ = _run(CompiledScenario(theta=theta, shared=shared))
    if not np.isfinite(outputs).all():  # a model defect, never user input: fail loudly
        raise FloatingPointError("the model produced a non-finite output")
    return outputs[:, : len(chain.OUTPUTS)].reshape(experiments, samples, len(chain.OUTPUTS))


def _run(c: CompiledScenario, theta: np.ndarray | None = None, record: bool = False):
    return chain.run_samples(c.theta if theta is None else theta, c.shared, record)


class _ReusedArray:
    """One float64 array lent out again and again, for the daily series of :func:`simulate`.

    A fresh array of 10,000 samples' series (130 MB) costs about 20 ms of page faults
    before a value is written; the series are only read by :func:`series_frame` and never
    returned, so the same memory can serve the next call. One borrower at a time (another
    thread gets a fresh array); arrays above ``most_values`` are never kept.
    """

    def __init__(self, most_values: int):
        self.most_values = most_values
        self._lock = threading.Lock()
        self._array: np.ndarray | None = None

    @contextlib.contextmanager
    def borrow(self, shape: tuple[int, ...]):
        """A C-contiguous float64 array of ``shape`` (its contents undefined)."""
        size = int(np.prod(shape))
        if size > self.most_values or not self._lock.acquire(blocking=False):
            yield np.empty(shape)
            return
        try:
            if self._array is None or self._array.size < size:
                self._array = None  # let the old one go first
                self._array = np.empty(size)
            yield self._array[:size].reshape(shape)
        finally:
            self._lock.release()


#: daily series kept for reuse up to 256 MB (10,000 samples × 9 series × 365 days fit)
_SERIES_BUFFER = _ReusedArray(32_000_000)


def point_estimate_is_exact(scenario: Scenario, output: str = "capacity_loss") -> bool:
    """Whether ``simulate(scenario, samples=0)``'s ``output`` is the exact expectation of the
    strike's random outcome at the central values (what Monte Carlo would average to with
    every assumption fixed).

    The deterministic salvo loss is exact (:func:`whatif.model.strike.capacity_loss`) when
    the salvo targets one stage (bottleneck allocation, or a one-stage plant) and the
    defence engages all of the salvo or none of it (``defense_engagements = 0``,
    ``intercept_probability = 0`` or ``missiles <= defense_engagements``). With even
    allocation over several stages the plant loses its worst stage, whose expectation the
    point estimate (each stage's exact expected loss) understates. Downstream outputs are
    exact only where they are linear in the salvo loss: one salvo (no re-strikes, whose sum
    is capped at 1) for drones denied, its share of the target and the cost exchange ratio,
    on a path Monte Carlo does not draw (target or custom: the trend's parameters and
    monthly scatter are drawn); also no stockpile (which absorbs small losses) for energy
    hits and the grid. Days
    disrupted count days past a threshold and are never exact; the strike's cost does not
    depend on the outcome and always is. False means "not guaranteed exact".
    """
    if output not in OUTPUTS:
        raise ParameterError("output", f"{output!r} is not allowed; allowed one of "
                             f"{', '.join(OUTPUTS)}")
    if output == "strike_cost_usd":
        return True
    if output == "days_disrupted":
        return False
    missiles = scenario.central("missiles")
    engagements = scenario.central("defense_engagements")
    defence_exact = (engagements == 0 or scenario.central("intercept_probability") == 0
                     or missiles <= engagements)
    one_stage = scenario.central("allocation") == "bottleneck" or len(scenario.stages) == 1
    exact = defence_exact and one_stage
    if output == "capacity_loss":
        return exact
    # on the trend path Monte Carlo also draws the fit's parameters and a monthly scatter,
    # around which the point estimate's fitted path is not the mean
    exact = (exact and scenario.central("restrikes") == 0
             and scenario.central("production_path") != "trend")
    if output in ("drones_denied", "target_share_denied", "cost_exchange_ratio"):
        return exact
    return exact and scenario.central("stockpile_days") == 0


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
        Daily series with bands: index ``day``; columns ``(series, stat)``. A system adds
        each site's capacity in action [share] as ``site:<name>``.
    sites : DataFrame or None
        A system's per-site ``capacity_loss``: the share of each site's output lost right
        after the first salvo (its own loss, or its suppliers' if larger) [share]. Index:
        sites; columns: mean, p10, p50, p90. None for the single plant.
    site_outputs : DataFrame or None
        The same per-site ``capacity_loss`` per sample [share]: one row per sample, one
        column per site (named by the site). None for the single plant.
    trend_inputs : DataFrame or None
        On the trend path, the four parameters of the production path each sample used
        (:data:`whatif.model.layout.DERIVED_INPUTS`, units there): drawn from the fit to
        the record in Monte Carlo, the fitted values when deterministic. None on other paths.
    site_inputs : DataFrame or None
        The sites' own numeric assumptions each sample used (drawn or central), one column
        per site and assumption named ``<site>:<assumption>`` (the assumption's unit). None
        when no site sets a numeric assumption of its own.
    """

    scenario: Scenario
    samples: int
    seed: int | None
    outputs: pd.DataFrame
    inputs: pd.DataFrame
    summary: pd.DataFrame
    series: pd.DataFrame | None
    sites: pd.DataFrame | None = None
    site_outputs: pd.DataFrame | None = None
    trend_inputs: pd.DataFrame | None = None
    site_inputs: pd.DataFrame | None = None

    def to_dict(self) -> dict:
        """JSON-ready: title, samples, seed, outputs {name: {mean, p10, p50, p90}}, assumptions;
        with sites, "sites" {name: {"capacity_loss": {mean, p10, p50, p90}}}; with a plan,
        "plan" (and "inventory") as the scenario gives them."""
        out = {
            "title": self.scenario.title,
            "samples": self.samples,
            "seed": self.seed,
            "outputs": {name: {k: float(v) for k, v in row.items()} for name, row in
                        self.summary.iterrows()},
            "assumptions": self.scenario.assumptions_dict(),
        }
        if self.sites is not None:
            out["sites"] = {str(name): {"capacity_loss": {k: float(v) for k, v in row.items()}}
                            for name, row in self.sites.iterrows()}
        plan = self.scenario.plan_dict()
        for key in ("plan", "inventory"):
            if key in plan:
                out[key] = plan[key]
        return out


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
    samples = _check_samples(samples)
    if series:
        check_series_samples(scenario, samples)
    check_work(samples, work_per_run(scenario))
    unknown = set(bands) - set(SERIES)
    if unknown:
        raise ParameterError("bands",
                             f"unknown series {sorted(unknown)}; allowed {', '.join(SERIES)}")
    compiled, inputs = compile_scenario(scenario, samples, seed)
    table = None
    sites = site_series_names(scenario)
    if series:
        theta = compiled.theta
        shape = (len(SERIES) + len(sites), int(theta[:, layout.HORIZON_DAYS].max()),
                 theta.shape[0])
        with _SERIES_BUFFER.borrow(shape) as buffer:
            values, daily = chain.run_samples(theta, compiled.shared, True, buffer)
            # (the buffer is free after)
            table = series_frame(daily, bands, copies=COPIES, site_series=sites)
    else:
        values, _ = _run(compiled)
    if not np.isfinite(values).all():  # a model defect, never user input: fail loudly
        raise FloatingPointError("the model produced a non-finite output")
    n_outputs = len(chain.OUTPUTS)
    # (views of the kernel's array: no copy of 100,000s of rows)
    outputs = pd.DataFrame(values[:, :n_outputs], columns=list(chain.OUTPUTS), copy=False)
    summary = pd.DataFrame(summarise(values[:, :n_outputs]), index=list(chain.OUTPUTS))
    summary.index.name = "output"
    site_summary = site_outputs = None
    if sites:
        site_summary = pd.DataFrame(summarise(values[:, n_outputs:]),
                                    index=list(scenario.site_names))
        site_summary.index.name = "site"
        site_outputs = pd.DataFrame(values[:, n_outputs:], columns=list(scenario.site_names),
                                    copy=False)
    return SimulationResult(scenario, compiled.theta.shape[0] if samples else 0, seed, outputs,
                            inputs, summary, table, site_summary, site_outputs,
                            _trend_inputs(scenario, compiled.theta),
                            _site_inputs(scenario, compiled.theta))


def site_input_columns(scenario: Scenario) -> list[tuple[str, str, int]]:
    """The sites' own numeric assumptions as ``(site, assumption, column of theta)``, in
    site order (a site's own choices, constant codes, are left out)."""
    system = scenario.system
    if system is None:
        return []
    columns = site_columns(system)
    return [(site.name, name, int(columns[i, j]))
            for i, site in enumerate(system.sites)
            for j, name in enumerate(layout.SITE_INPUTS)
            if columns[i, j] >= 0 and not isinstance(site.overrides[name], str)]


def _trend_inputs(scenario: Scenario, theta: np.ndarray) -> pd.DataFrame | None:
    """The trend path's parameters per sample (views of ``theta``), or None off the trend."""
    if not uses_trend(scenario):
        return None
    return pd.DataFrame({name: theta[:, column] for name, column
                         in zip(layout.DERIVED_INPUTS, TREND_COLUMNS, strict=True)}, copy=False)


def _site_inputs(scenario: Scenario, theta: np.ndarray) -> pd.DataFrame | None:
    """The sites' own numeric assumptions per sample (:func:`site_input_columns`), or None."""
    found = site_input_columns(scenario)
    if not found:
        return None
    return pd.DataFrame({f"{site}:{name}": theta[:, column] for site, name, column in found},
                        copy=False)


#: a system's per-site series are named after their site
SITE_SERIES_PREFIX = "site:"


def site_series_names(scenario: Scenario) -> tuple[str, ...]:
    """The names of a system's per-site daily series (capacity in action [share]); none for
    the single plant."""
    if scenario.system is None:
        return ()
    return tuple(SITE_SERIES_PREFIX + name for name in scenario.site_names)


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
        raise ParameterError("objective", f"{show(objective)} is not allowed; allowed one of "
                             f"{', '.join(OBJECTIVES)}")
    spec = OUTPUTS[objective]
    upper = spec.upper
    if not is_number(at_least) or not (
        np.isfinite(at_least) and 0 <= at_least and (upper is None or at_least <= upper)
    ):
        allowed = f"0 to {upper:g} {spec.unit}" if upper is not None else f">= 0 {spec.unit}"
        raise ParameterError("at_least", f"{show(at_least)} is out of range for {objective}; "
                             f"allowed {allowed}")
    if not is_number(confidence) or not (
        0 < confidence <= 1
    ):
        raise ParameterError("confidence", f"{show(confidence)} is out of range; allowed above 0 "
                             "up to 1 probability")
    if isinstance(max_missiles, bool) or not isinstance(max_missiles, (int, np.integer)) or not (
        1 <= max_missiles <= MAX_SALVO
    ):
        raise ParameterError("max_missiles", f"{show(max_missiles)} is out of range; allowed 1 to "
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
    if scenario.plan:
        raise ParameterError("plan", "missiles needed solves for the size of one salvo at the "
                             "plant; this scenario's plan fixes its missiles (to split N "
                             "missiles over sites and days, use `whatif plan optimise`)")
    samples = _check_samples(samples)
    check_solve_work(scenario, samples, max_missiles)
    compiled, _ = compile_scenario(scenario, samples, seed)
    index = chain.OUTPUTS.index(objective)
    salvo = np.arange(max_missiles + 1)
    if samples == 0:
        theta = np.repeat(compiled.theta, salvo.size, axis=0)
        theta[:, layout.MISSILES] = salvo
        values, _ = _run(compiled, theta)
        probability = (values[:, index] >= at_least).astype(float)
    else:
        needed = chain.salvo_needed(compiled.theta, compiled.shared, index,
                                    float(at_least), max_missiles)
        counts = np.bincount(needed, minlength=max_missiles + 2)[: max_missiles + 1]
        probability = np.cumsum(counts) / needed.size
    reached = np.flatnonzero(probability >= confidence - 1e-12)
    answer = int(salvo[reached[0]]) if reached.size else None
    curve = pd.DataFrame({"missiles": salvo, "probability": probability})
    return SolveResult(objective, float(at_least), float(confidence), answer, curve,
                       compiled.theta.shape[0] if samples else 0, seed)


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
