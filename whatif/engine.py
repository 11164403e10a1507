"""Engine: run a scenario through the model. Glue only; the maths is in :mod:`whatif.model`.

* :func:`simulate` — deterministic (``samples=0``, central values and expected strike
  outcomes) or Monte Carlo (parameters and strike outcomes drawn, seeded).
* :func:`missiles_needed` — the smallest salvo for which
  ``P(objective >= at_least) >= confidence``, with the whole curve.

Outputs and summaries are in :mod:`whatif.outputs`; sensitivity in :mod:`whatif.sensitivity`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from whatif.errors import ParameterError, show
from whatif.model import chain
from whatif.model.campaign import SERIES
from whatif.outputs import OBJECTIVES, OUTPUTS, series_frame, summarise
from whatif.params import NUMERIC, REGISTRY, is_number
from whatif.sampling import draw_matrix, outcome_key
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
    replaces the scenario's largest salvo (the solver's ``max_missiles``).
    """
    salvos = 1 + int(_highest(scenario, "restrikes"))
    days = int(scenario.central("horizon_days"))
    if not stochastic:
        return RUN_OVERHEAD + salvos * days
    if missiles is None:
        missiles = int(_highest(scenario, "missiles"))
    aimpoints = sum(stage.aimpoints for stage in scenario.stages)
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
    samples = _check_samples(samples)
    if series:
        check_series_samples(scenario, samples)
    check_work(samples, work_per_run(scenario))
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
    samples = _check_samples(samples)
    check_solve_work(scenario, samples, max_missiles)
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
