"""Scenario discovery over an ensemble of model runs (``whatif discover``).

Given the results table of ``whatif explore`` (one row per experiment: a future, i.e. a
point of the Latin hypercube over the uncertain assumptions, run under a policy, i.e. a
lever setting) and a goal on one output's statistic (``capacity_loss.mean >= 0.5``), find
where in the space of explored inputs the goal is met:

- **PRIM** boxes (EMA Workbench, ``ema_workbench.analysis.prim``): up to ``max_boxes``
  boxes, each a point chosen on its peeling trajectory by :func:`choose_point`;
- **CART** (``ema_workbench.analysis.cart``): the leaves of a classification tree that
  predict the goal is met, a second view of the same question;
- **feature scores** (extra trees, ``ema_workbench.analysis.feature_scoring``): how much
  each input decides whether the goal is met;
- **lever robustness** (when the ensemble has levers): per policy the share of futures
  in which the goal is met and its regret; per lever the share met by lever value.

Coverage, density and mass are those of scenario discovery (Bryant & Lempert 2010), and
:func:`box_statistics` computes them from the data, independently of the workbench:
coverage = successes inside / successes overall, density = successes inside /
experiments inside, mass = experiments inside / experiments overall. A box's limits are
inclusive (``low <= x <= high``) and name only the inputs it restricts relative to the
range of the data.

The workbench is imported only when :func:`discover` needs it (about 3 s); its import
warnings and its logging are silenced while it runs. Results are reproducible: CART and
the extra trees are seeded (``seed``), PRIM is deterministic. Pure analysis: no I/O, no
printing; :func:`discover_lines` writes the text report.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from whatif.errors import ParameterError, show, show_text
from whatif.formatting import format_value
from whatif.outputs import OUTPUTS, STATS
from whatif.params import REGISTRY, is_number

GOALS = ("at_least", "at_most")
#: a PRIM box counts only if the goal is met in at least this share of its experiments
MIN_DENSITY = 0.8
#: the smallest box (PRIM) or CART leaf, as a share of the experiments
MASS_MIN = 0.05
#: the share of a box's experiments one PRIM peel removes
PEEL_ALPHA = 0.05
MAX_BOXES = 3
LIMIT_MAX_BOXES = 20
#: a lever with at most this many distinct values is reported per value, else in bins
MAX_LEVER_VALUES = 10
#: bins of a lever with more distinct values: its quartiles over the policies
LEVER_BINS = 4
#: trees of the extra-trees feature scoring
FEATURE_TREES = 100
#: the ema_workbench logger (its modules log below it)
EMA_LOGGER = "EMA"
#: units shown as plain numbers after a value (shares and probabilities are 0 to 1)
UNITLESS = ("", "share", "probability")


# --- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoxStatistics:
    """A box's statistics over the data (shares 0 to 1; counts of experiments)."""

    coverage: float  # successes inside / successes overall (0 if no success at all)
    density: float  # successes inside / experiments inside (0 for an empty box)
    mass: float  # experiments inside / experiments overall
    successes: int  # experiments inside that meet the goal
    experiments: int  # experiments inside


@dataclass(frozen=True)
class TrajectoryPoint:
    """One step of a PRIM box's peeling (and pasting) trajectory, as PRIM computed it: over
    the experiments left to the box (box 1: all; box k: those outside boxes 1..k-1);
    coverage is of all successes."""

    coverage: float
    density: float
    mass: float
    restricted: int  # inputs the box restricts at this step
    limits: dict[str, tuple[float, float]]

    def to_dict(self) -> dict[str, Any]:
        return {"coverage": self.coverage, "density": self.density, "mass": self.mass,
                "restricted": self.restricted, "limits": _limits_dict(self.limits)}


@dataclass(frozen=True)
class Box:
    """A box of the input space in which the goal tends to be met (PRIM or CART).

    ``coverage``, ``density``, ``mass`` and the counts are over all experiments (exactly
    :func:`box_statistics` of ``limits``). ``limits`` maps each restricted input to its
    inclusive ``(low, high)`` in the input's unit; an end that equals the data's range
    (:attr:`DiscoveryResult.ranges`) does not restrict. PRIM boxes also carry their
    trajectory, the index of the chosen point on it (:func:`choose_point`) and the
    coverage of boxes 1..k together (``cumulative_coverage``).
    """

    coverage: float
    density: float
    mass: float
    successes: int
    experiments: int
    limits: dict[str, tuple[float, float]]
    point: int | None = None
    cumulative_coverage: float | None = None
    trajectory: tuple[TrajectoryPoint, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = {"coverage": self.coverage, "density": self.density, "mass": self.mass,
               "successes": self.successes, "experiments": self.experiments,
               "limits": _limits_dict(self.limits)}
        if self.point is not None:
            out["point"] = self.point
            out["cumulative_coverage"] = self.cumulative_coverage
            out["trajectory"] = [point.to_dict() for point in self.trajectory]
        return out


@dataclass(frozen=True)
class PolicyRobustness:
    """One policy (lever setting) across the futures. Regret is in the output's unit:
    in each future, how far this policy's statistic falls short of the best policy's."""

    policy: int
    levers: dict[str, float]
    share_met: float  # share of futures in which the goal is met (0 to 1)
    mean_value: float  # the statistic's mean over the futures
    regret_mean: float
    regret_p90: float  # 90th percentile over the futures (linear interpolation)
    regret_max: float

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "levers": dict(self.levers),
                "share_met": self.share_met, "mean_value": self.mean_value,
                "regret": {"mean": self.regret_mean, "p90": self.regret_p90,
                           "max": self.regret_max}}


@dataclass(frozen=True)
class LeverGroup:
    """The experiments whose lever value lies in ``[low, high]`` (one value: low == high)."""

    low: float
    high: float
    policies: int
    experiments: int
    share_met: float

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "policies": self.policies,
                "experiments": self.experiments, "share_met": self.share_met}


@dataclass(frozen=True)
class LeverBreakdown:
    """One lever: the share of experiments meeting the goal per value, or per bin
    (``binned``) when it has more than :data:`MAX_LEVER_VALUES` distinct values."""

    binned: bool
    groups: tuple[LeverGroup, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"binned": self.binned, "groups": [group.to_dict() for group in self.groups]}


@dataclass(frozen=True)
class DiscoveryResult:
    """What :func:`discover` found. Shares are 0 to 1; ``threshold`` and regrets are in the
    output's unit; limits and ranges in each input's unit."""

    output: str
    statistic: str
    goal: str  # "at_least" or "at_most"
    threshold: float
    experiments: int
    futures: int
    policies: int
    successes: int
    inputs: tuple[str, ...]
    levers: tuple[str, ...]
    ranges: dict[str, tuple[float, float]]  # each input's smallest and largest value
    boxes: tuple[Box, ...] = ()
    cart: tuple[Box, ...] = ()
    feature_scores: dict[str, float] = field(default_factory=dict)  # highest first
    policy_robustness: tuple[PolicyRobustness, ...] = ()
    by_lever: dict[str, LeverBreakdown] = field(default_factory=dict)
    note: str = ""  # why there are no boxes, when that is not PRIM's own finding
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def share_met(self) -> float:
        """Share of the experiments in which the goal is met."""
        return self.successes / self.experiments

    @property
    def column(self) -> str:
        return f"{self.output}.{self.statistic}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (no NaN or infinity; ``json.dumps(..., allow_nan=False)`` works)."""
        return {
            "output": self.output, "statistic": self.statistic,
            "goal": {self.goal: self.threshold},
            "experiments": self.experiments, "futures": self.futures,
            "policies": self.policies, "successes": self.successes,
            "share_met": self.share_met, "note": self.note,
            "inputs": list(self.inputs),
            "ranges": {name: [low, high] for name, (low, high) in self.ranges.items()},
            "boxes": [box.to_dict() for box in self.boxes],
            "cart": [box.to_dict() for box in self.cart],
            "feature_scores": dict(self.feature_scores),
            "levers": {"names": list(self.levers),
                       "policies": [policy.to_dict() for policy in self.policy_robustness],
                       "by_lever": {name: breakdown.to_dict()
                                    for name, breakdown in self.by_lever.items()}},
            "settings": dict(self.settings),
        }


def _limits_dict(limits: Mapping[str, tuple[float, float]]) -> dict[str, list[float]]:
    return {name: [low, high] for name, (low, high) in limits.items()}


# --- the statistics, independently of the workbench ------------------------------------------
def inside_box(table_inputs: pd.DataFrame, limits: Mapping[str, Sequence[float]]) -> np.ndarray:
    """Which rows lie in the box (``low <= x <= high`` on every named input): booleans."""
    inside = np.ones(len(table_inputs), dtype=bool)
    for name, (low, high) in limits.items():
        if name not in table_inputs.columns:
            raise ParameterError("limits", f"{show(name)} is not a column of the table")
        values = table_inputs[name].to_numpy(dtype=np.float64)
        inside &= (values >= low) & (values <= high)
    return inside


def box_statistics(table_inputs: pd.DataFrame, success: Sequence[bool] | np.ndarray,
                   limits: Mapping[str, Sequence[float]]) -> BoxStatistics:
    """Coverage, density and mass of the box ``limits`` (input → inclusive ``(low, high)``)
    over the rows of ``table_inputs``, whose goal is met where ``success`` is true."""
    met = np.asarray(success, dtype=bool)
    if met.shape != (len(table_inputs),):
        raise ParameterError("success", f"has {met.size} values for {len(table_inputs)} rows")
    inside = inside_box(table_inputs, limits)
    experiments = int(inside.sum())
    successes = int((met & inside).sum())
    total = int(met.sum())
    return BoxStatistics(coverage=successes / total if total else 0.0,
                         density=successes / experiments if experiments else 0.0,
                         mass=experiments / len(met) if len(met) else 0.0,
                         successes=successes, experiments=experiments)


def choose_point(coverage: Sequence[float], density: Sequence[float],
                 restricted: Sequence[int], min_density: float = MIN_DENSITY) -> int | None:
    """The point of a PRIM peeling trajectory that is reported as the box.

    Among the points that restrict at least one input and have density >= ``min_density``,
    the one with the highest harmonic mean of coverage and density (the F1 score of the
    box as a classifier of success), where coverage is taken relative to the successes
    left to this box (``coverage[i] / coverage[0]``: box 1 has all successes; a later box
    only those outside the earlier boxes). Ties go to the earlier point (the larger box).
    None if no point qualifies.

    Peeling past the edge of the region where the goal is met keeps the density but loses
    coverage, and stopping short keeps coverage but loses density; the harmonic mean is
    highest at the edge, and (unlike "the densest point") is not moved by a few lucky
    experiments at the end of the trajectory.
    """
    left = float(coverage[0]) if len(coverage) else 0.0
    best, best_score = None, -1.0
    for i, (cov, dens, dims) in enumerate(zip(coverage, density, restricted, strict=True)):
        if dims < 1 or dens < min_density or cov <= 0 or left <= 0:
            continue
        relative = cov / left
        score = 2 * relative * dens / (relative + dens)
        if score > best_score:
            best, best_score = i, score
    return best


# --- checks ------------------------------------------------------------------------------------
def _check_goal(output: Any, statistic: Any, at_least: Any, at_most: Any,
                recorded: Sequence[str] | None) -> tuple[str, float]:
    if not isinstance(output, str) or output not in OUTPUTS:
        raise ParameterError("output", f"{show(output)} is not a model output; allowed "
                             f"{', '.join(OUTPUTS)}")
    if recorded is not None and output not in recorded:
        raise ParameterError("output", f"{show(output)} is not in this ensemble; it has "
                             f"{', '.join(map(str, recorded))}")
    if not isinstance(statistic, str) or statistic not in STATS:
        raise ParameterError("statistic", f"{show(statistic)} is not allowed; allowed "
                             f"{', '.join(STATS)}")
    given = [goal for goal, value in zip(GOALS, (at_least, at_most), strict=True)
             if value is not None]
    if len(given) != 1:
        raise ParameterError("goal", f"give exactly one of at_least and at_most (got "
                             f"{'both' if given else 'neither'})")
    goal = given[0]
    value = _finite(at_least if goal == "at_least" else at_most)
    if value is None:
        raise ParameterError(goal, f"{show(at_least if goal == 'at_least' else at_most)} is "
                             "not a finite number")
    return goal, value


def _finite(value: Any) -> float | None:
    """``value`` as a float if it is a finite real number (not a boolean), else None."""
    if not is_number(value):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the float range
        return None
    return number if math.isfinite(number) else None


def _check_setting(name: str, value: Any, low: float, high: float, low_open: bool) -> float:
    number = _finite(value)
    if number is None or not (low < number if low_open else low <= number) or number > high:
        bracket = "(" if low_open else "["
        raise ParameterError(name, f"{show(value)} is out of range; allowed a number in "
                             f"{bracket}{low:g}, {high:g}]")
    return number


def _check_whole(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not (
            low <= value <= high):
        raise ParameterError(name, f"{show(value)} is out of range; allowed whole numbers "
                             f"{low} to {high}")
    return int(value)


def _names(manifest: Mapping[str, Any], key: str, required: bool) -> list[str]:
    if key not in manifest:
        if required:
            raise ParameterError("manifest", f"has no {key!r} (a mapping of input name to "
                                 "[low, high])")
        return []
    entry = manifest[key]
    if entry is None:
        return []
    if not isinstance(entry, Mapping) or not all(isinstance(n, str) for n in entry):
        raise ParameterError("manifest", f"{key!r} is {show(entry)}, not a mapping of input "
                             "name to [low, high]")
    return list(entry)


def _check_manifest(manifest: Any) -> tuple[list[str], list[str], list[str] | None]:
    """The uncertain inputs, the levers and the recorded outputs (None: not listed)."""
    if not isinstance(manifest, Mapping):
        raise ParameterError("manifest", f"is {show(manifest)}, not a mapping")
    uncertain = _names(manifest, "uncertain", required=True)
    levers = _names(manifest, "levers", required=False)
    both = sorted(set(uncertain) & set(levers))
    if both:
        raise ParameterError("manifest", f"{', '.join(both)} is both uncertain and a lever")
    if not uncertain and not levers:
        raise ParameterError("manifest", "has no explored inputs (no uncertain assumption, no "
                             "lever)")
    recorded = manifest.get("outputs")
    if recorded is not None and (isinstance(recorded, str)
                                 or not isinstance(recorded, Sequence)):
        raise ParameterError("manifest", f"'outputs' is {show(recorded)}, not a list of names")
    return uncertain, levers, list(recorded) if recorded is not None else None


def _check_table(table: Any, inputs: Sequence[str], column: str) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ParameterError("table", f"is a {type(table).__name__}, not a pandas DataFrame")
    needed = ["future", "policy", *inputs, column]
    missing = [name for name in needed if name not in table.columns]
    if missing:
        raise ParameterError("table", f"missing column(s) {show_text(', '.join(missing), 120)}"
                             "; a results table has future, policy, the explored inputs and "
                             "OUTPUT.STAT columns")
    if len(table) == 0:
        raise ParameterError("table", "has no experiments (no rows)")
    for name in needed:
        values = table[name]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise ParameterError("table", f"column {show_text(name)} is not numeric "
                                 f"({values.dtype})")
        if not np.isfinite(values.to_numpy(dtype=np.float64)).all():
            raise ParameterError("table", f"column {show_text(name)} has values that are not "
                                 "finite (NaN or infinite)")
    for name in ("future", "policy"):
        values = table[name].to_numpy(dtype=np.float64)
        if (values < 0).any() or (values != np.round(values)).any():
            raise ParameterError("table", f"column {name} holds values that are not whole "
                                 "numbers >= 0")
    if table.duplicated(["future", "policy"]).any():
        first = table.loc[table.duplicated(["future", "policy"]), ["future", "policy"]].iloc[0]
        raise ParameterError("table", f"future {int(first['future'])} under policy "
                             f"{int(first['policy'])} appears twice; each (future, policy) "
                             "is one row")


# --- the workbench -----------------------------------------------------------------------------
@contextlib.contextmanager
def _quiet_workbench() -> Iterator[None]:
    """Silence the workbench while it runs: its warnings (ipyparallel, altair, pandas
    deprecations) and its log messages below ERROR."""
    logger = logging.getLogger(EMA_LOGGER)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def import_in_background() -> threading.Thread:
    """Start importing the workbench (a few seconds of Python) on a daemon thread, so that a
    later :func:`discover` finds it loaded; the caller's own work (compiled, lock-free model
    runs) goes on meanwhile. Returns the thread."""
    thread = threading.Thread(target=_workbench, name="import ema_workbench", daemon=True)
    thread.start()
    return thread


def _workbench():
    """The workbench's PRIM, CART and feature scoring modules (imported on first use)."""
    with _quiet_workbench():
        from ema_workbench.analysis import cart, feature_scoring, prim
    return prim, cart, feature_scoring


def _restricted(limits: Mapping[str, tuple[float, float]],
                ranges: Mapping[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """The limits that restrict an input (narrower than the data's range), in input order."""
    return {name: (float(limits[name][0]), float(limits[name][1])) for name in ranges
            if name in limits and (limits[name][0] > ranges[name][0]
                                   or limits[name][1] < ranges[name][1])}


def _box(x: pd.DataFrame, success: np.ndarray, limits: dict[str, tuple[float, float]],
         **extra: Any) -> Box:
    stats = box_statistics(x, success, limits)
    return Box(stats.coverage, stats.density, stats.mass, stats.successes, stats.experiments,
               limits, **extra)


def _prim_boxes(prim: Any, x: pd.DataFrame, success: np.ndarray,
                ranges: dict[str, tuple[float, float]], max_boxes: int, min_density: float,
                mass_min: float, peel_alpha: float) -> list[Box]:
    """PRIM's boxes, one ``find_box`` at a time, each at its :func:`choose_point`; stops at
    ``max_boxes`` or when PRIM finds no box of density >= ``min_density``."""
    finder = prim.Prim(x, success.astype(np.int64), threshold=min_density,
                       peel_alpha=peel_alpha, paste_alpha=peel_alpha, mass_min=mass_min)
    boxes: list[Box] = []
    covered = np.zeros(len(x), dtype=bool)
    total = int(success.sum())
    for _ in range(max_boxes):
        found = finder.find_box()
        if found is None:  # no experiment left outside the earlier boxes
            break
        steps = found.peeling_trajectory
        trajectory = []
        for row, box_lim in zip(steps.itertuples(index=False), found.box_lims, strict=True):
            limits = _restricted(_lims(box_lim), ranges)
            trajectory.append(TrajectoryPoint(float(row.coverage), float(row.density),
                                              float(row.mass), len(limits), limits))
        point = choose_point([p.coverage for p in trajectory], [p.density for p in trajectory],
                             [p.restricted for p in trajectory], min_density)
        if point is None:  # PRIM's "dump box": nothing left that reaches min_density
            break
        found.select(point)  # the next box starts from the experiments outside this point
        limits = trajectory[point].limits
        covered |= inside_box(x, limits)
        cumulative = int((covered & success).sum()) / total
        boxes.append(_box(x, success, limits, point=point, cumulative_coverage=cumulative,
                          trajectory=tuple(trajectory)))
    return boxes


def _lims(box_lim: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """A workbench box (row 0 the lower limits, row 1 the upper) as input → (low, high)."""
    return {str(name): (float(box_lim.loc[0, name]), float(box_lim.loc[1, name]))
            for name in box_lim.columns}


def _cart_boxes(cart: Any, x: pd.DataFrame, success: np.ndarray,
                ranges: dict[str, tuple[float, float]], mass_min: float, seed: int) -> list[Box]:
    """The regions of the workbench's CART tree that predict success, largest coverage
    first. A split both of whose sides predict the same class changes no prediction, so
    such a subtree is one region (its leaves are merged)."""
    # at least one experiment per leaf on a small table (the workbench takes int(mass × n))
    model = cart.CART(x, success.astype(np.int64), mass_min=max(mass_min, 1.5 / len(x)))
    # scikit-learn's tree breaks ties between equally good splits at random, from NumPy's
    # global generator when it has no seed of its own: seed it for this fit, then restore
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        model.build_tree()
    finally:
        np.random.set_state(state)
    tree = model.clf.tree_
    left, right = tree.children_left, tree.children_right
    leaf_of_row = model.clf.apply(x.to_numpy(dtype=np.float64))
    rows = np.bincount(leaf_of_row, minlength=tree.node_count)
    met = np.bincount(leaf_of_row, weights=success.astype(np.float64),
                      minlength=tree.node_count)

    def predictions(node: int) -> set[bool]:
        """What the leaves under ``node`` predict (success: more than half succeed)."""
        if left[node] == -1:
            return {bool(2 * met[node] > rows[node])}
        return predictions(left[node]) | predictions(right[node])

    regions: list[dict[str, tuple[float, float]]] = []

    def walk(node: int, limits: dict[str, tuple[float, float]]) -> None:
        below = predictions(node)
        if len(below) == 1:
            if below == {True}:
                regions.append(_restricted(limits, ranges))
            return
        name = str(x.columns[tree.feature[node]])
        threshold = float(tree.threshold[node])
        low, high = limits[name]
        walk(left[node], {**limits, name: (low, min(high, threshold))})  # x <= threshold
        walk(right[node], {**limits, name: (max(low, threshold), high)})  # x > threshold

    walk(0, dict(ranges))
    boxes = [_box(x, success, limits) for limits in regions]
    return sorted(boxes, key=lambda box: (-box.coverage, -box.density))


def _feature_scores(feature_scoring: Any, x: pd.DataFrame, success: np.ndarray,
                    seed: int) -> dict[str, float]:
    """Extra-trees feature scores of success (they sum to 1), highest first."""
    scores, _ = feature_scoring.get_ex_feature_scores(
        x, success.astype(np.int64), mode=feature_scoring.RuleInductionType.CLASSIFICATION,
        nr_trees=FEATURE_TREES, max_features=max(1, round(x.shape[1] / 3)), random_state=seed)
    ranked = sorted(((str(name), float(value)) for name, value in scores.iloc[:, 0].items()),
                    key=lambda item: -item[1])
    return dict(ranked)


# --- levers ------------------------------------------------------------------------------------
def _policy_robustness(table: pd.DataFrame, levers: Sequence[str], column: str, goal: str,
                       success: np.ndarray) -> tuple[PolicyRobustness, ...]:
    values = table.pivot(index="future", columns="policy", values=column)
    if values.isna().any().any():
        future, policy = values.isna().stack().pipe(lambda s: s[s]).index[0]
        raise ParameterError("table", f"future {int(future)} has no row under policy "
                             f"{int(policy)}; every future must be run under every policy")
    met = pd.Series(success, index=table.index).groupby(table["policy"]).mean()
    varying = table.groupby("policy")[list(levers)].nunique().max()
    if (varying > 1).any():
        raise ParameterError("table", f"lever {varying[varying > 1].index[0]} varies within a "
                             "policy; a policy is one lever setting")
    settings = table.groupby("policy")[list(levers)].first()
    matrix = values.to_numpy(dtype=np.float64)
    if goal == "at_least":  # higher is better: the shortfall from the best
        regret = matrix.max(axis=1, keepdims=True) - matrix
    else:  # lower is better: the excess over the best
        regret = matrix - matrix.min(axis=1, keepdims=True)
    out = []
    for j, policy in enumerate(values.columns):
        out.append(PolicyRobustness(
            policy=int(policy),
            levers={name: float(settings.loc[policy, name]) for name in levers},
            share_met=float(met.loc[policy]), mean_value=float(matrix[:, j].mean()),
            regret_mean=float(regret[:, j].mean()),
            regret_p90=float(np.percentile(regret[:, j], 90)),
            regret_max=float(regret[:, j].max())))
    return tuple(out)


def _lever_breakdown(table: pd.DataFrame, lever: str, success: np.ndarray) -> LeverBreakdown:
    """Share of experiments meeting the goal per value of ``lever`` (at most
    :data:`MAX_LEVER_VALUES` distinct values), else per bin at the quartiles of its values
    over the policies (``pandas.qcut``; a bin's low and high are its smallest and largest
    value)."""
    per_policy = table.groupby("policy")[lever].first()
    distinct = np.unique(per_policy.to_numpy(dtype=np.float64))
    binned = len(distinct) > MAX_LEVER_VALUES
    if binned:
        bins = pd.qcut(per_policy, LEVER_BINS, labels=False, duplicates="drop")
    else:
        bins = pd.Series(np.searchsorted(distinct, per_policy.to_numpy()), index=per_policy.index)
    group_of_row = table["policy"].map(bins).to_numpy()
    groups = []
    for group in np.unique(bins.to_numpy()):
        members = per_policy[bins == group]
        rows = group_of_row == group
        groups.append(LeverGroup(low=float(members.min()), high=float(members.max()),
                                 policies=int(members.size), experiments=int(rows.sum()),
                                 share_met=float(success[rows].mean())))
    return LeverBreakdown(binned, tuple(groups))


# --- the one entry point -----------------------------------------------------------------------
def discover(table: pd.DataFrame, manifest: Mapping[str, Any], output: str,
             at_least: float | None = None, at_most: float | None = None,
             statistic: str = "mean", *, max_boxes: int = MAX_BOXES,
             min_density: float = MIN_DENSITY, mass_min: float = MASS_MIN,
             peel_alpha: float = PEEL_ALPHA, seed: int = 0) -> DiscoveryResult:
    """Where in the explored inputs is ``table[f"{output}.{statistic}"] >= at_least`` (or
    ``<= at_most``; exactly one is given) met?

    ``table`` and ``manifest`` are ``whatif explore``'s results table and manifest (the
    manifest's ``uncertain`` and ``levers`` name the explored inputs, PRIM's and CART's
    dimensions). ``max_boxes`` PRIM boxes at most, each of density >= ``min_density``
    (0 to 1); boxes and CART leaves hold at least ``mass_min`` of the experiments; a PRIM
    peel removes ``peel_alpha`` of a box's experiments; ``seed`` fixes CART's tie-breaks
    and the extra trees.

    If the goal is met in no experiment or in all of them there is nothing to separate:
    the result then has no boxes, no CART regions and no feature scores, and its ``note``
    says so (the lever robustness is still reported). Anything malformed raises
    :class:`~whatif.errors.ParameterError` naming it: an unknown output or statistic, both
    or neither threshold, a threshold that is not a finite number, a setting out of range,
    a manifest without explored inputs, a table without rows or missing a column, with
    values that are not finite, a (future, policy) twice, or (with levers) a future not
    run under every policy.
    """
    uncertain, levers, recorded = _check_manifest(manifest)
    goal, threshold = _check_goal(output, statistic, at_least, at_most, recorded)
    max_boxes = _check_whole("max_boxes", max_boxes, 0, LIMIT_MAX_BOXES)
    min_density = _check_setting("min_density", min_density, 0.0, 1.0, low_open=True)
    mass_min = _check_setting("mass_min", mass_min, 0.0, 0.5, low_open=True)
    peel_alpha = _check_setting("peel_alpha", peel_alpha, 0.0, 0.5, low_open=True)
    seed = _check_whole("seed", seed, 0, 2**32 - 1)
    inputs = [*uncertain, *levers]
    column = f"{output}.{statistic}"
    _check_table(table, inputs, column)

    values = table[column].to_numpy(dtype=np.float64)
    success = values >= threshold if goal == "at_least" else values <= threshold
    x = table[inputs].astype(np.float64).reset_index(drop=True)
    ranges = {name: (float(x[name].min()), float(x[name].max())) for name in inputs}
    successes = int(success.sum())
    settings = {"max_boxes": max_boxes, "min_density": min_density, "mass_min": mass_min,
                "peel_alpha": peel_alpha, "seed": seed}

    policy_robustness: tuple[PolicyRobustness, ...] = ()
    by_lever: dict[str, LeverBreakdown] = {}
    if levers:
        policy_robustness = _policy_robustness(table, levers, column, goal, success)
        by_lever = {lever: _lever_breakdown(table, lever, success) for lever in levers}

    boxes: list[Box] = []
    cart_boxes: list[Box] = []
    scores: dict[str, float] = {}
    note = ""
    if successes in (0, len(success)):
        note = (f"the goal is met in {'none' if successes == 0 else 'all'} of the "
                f"experiments: there is nothing to separate, so no boxes")
    else:
        prim, cart, feature_scoring = _workbench()
        with _quiet_workbench():
            if max_boxes:
                boxes = _prim_boxes(prim, x, success, ranges, max_boxes, min_density,
                                    mass_min, peel_alpha)
            cart_boxes = _cart_boxes(cart, x, success, ranges, mass_min, seed)
            scores = _feature_scores(feature_scoring, x, success, seed)

    return DiscoveryResult(
        output=output, statistic=statistic, goal=goal, threshold=threshold,
        experiments=len(success), futures=int(table["future"].nunique()),
        policies=int(table["policy"].nunique()), successes=successes, inputs=tuple(inputs),
        levers=tuple(levers), ranges=ranges, boxes=tuple(boxes), cart=tuple(cart_boxes),
        feature_scores=scores, policy_robustness=policy_robustness, by_lever=by_lever,
        note=note, settings=settings)


# --- the text report ---------------------------------------------------------------------------
def _percent(share: float) -> str:
    """A share as a whole percentage that never rounds to 0 or 100 unless it is."""
    if 0 < share < 0.005:
        return "< 1 %"
    if 0.995 < share < 1:
        return "> 99 %"
    return f"{100 * share:.0f} %"


def _unit(name: str) -> str:
    parameter = REGISTRY.get(name)
    return parameter.unit if parameter is not None else ""


def _quantity(value: float, unit: str, whole: bool = False) -> str:
    """A value with its unit: ``90 days``, ``0.6``, ``$1.2M``, ``2,500 drones``."""
    if unit == "USD":
        return format_value(value, unit)
    if whole or abs(value) >= 1000:
        text = f"{value:,.0f}"
    else:
        text = f"{value:.3g}"
    return text if unit in UNITLESS else f"{text} {unit}"


def _condition(name: str, low: float, high: float, data_low: float, data_high: float) -> str:
    """One restricted input in words: ``repair_days ≥ 90 days``; an integer input's limits
    as the whole numbers they allow (``≤ 12.5`` reads ``≤ 12``)."""
    parameter = REGISTRY.get(name)
    unit = parameter.unit if parameter is not None else ""
    whole = parameter is not None and parameter.kind == "integer"
    below, above = low > data_low, high < data_high
    if whole:
        low, high = math.ceil(low), math.floor(high)
    if below and above:
        return f"{name} {_quantity(low, '', whole)} to {_quantity(high, unit, whole)}"
    if below:
        return f"{name} ≥ {_quantity(low, unit, whole)}"
    return f"{name} ≤ {_quantity(high, unit, whole)}"


def _conditions(box: Box, ranges: Mapping[str, tuple[float, float]]) -> str:
    if not box.limits:
        return "no restriction"
    return "; ".join(_condition(name, low, high, *ranges[name])
                     for name, (low, high) in box.limits.items())


def _prim_lines(result: DiscoveryResult) -> list[str]:
    if not result.settings.get("max_boxes", MAX_BOXES):
        return []  # PRIM was not asked for
    density = _percent(result.settings.get("min_density", MIN_DENSITY))
    if not result.boxes:
        return [f"PRIM: no box in which the goal is met in at least {density} of the "
                "experiments."]
    lines = [f"PRIM boxes (each at the best balance of coverage and density on its peeling "
             f"trajectory; density at least {density}):"]
    for k, box in enumerate(result.boxes, start=1):
        together = (f" (boxes 1–{k} together cover {_percent(box.cumulative_coverage)})"
                    if k > 1 else "")
        lines.append(f"  Box {k}: {_box_words(box, result.ranges)}{together}")
    return lines


def _box_words(box: Box, ranges) -> str:
    """A box's coverage, density and mass, then its conditions (PRIM's and CART's lines)."""
    return (f"coverage {_percent(box.coverage)}, density {_percent(box.density)}, mass "
            f"{_percent(box.mass)}: {_conditions(box, ranges)}")


def _cart_lines(result: DiscoveryResult) -> list[str]:
    if not result.cart:
        return ["CART: no region of the tree predicts the goal is met."]
    lines = ["CART (regions of the tree that predict the goal is met):"]
    for k, box in enumerate(result.cart, start=1):
        lines.append(f"  Region {k}: {_box_words(box, result.ranges)}")
    return lines


def _score_lines(result: DiscoveryResult) -> list[str]:
    if not result.feature_scores:
        return []
    lines = ["What decides it (extra-trees feature scores, summing to 1):"]
    width = max(len(name) for name in result.feature_scores)
    for name, score in result.feature_scores.items():
        parameter = REGISTRY.get(name)
        label = f"  ({parameter.label})" if parameter is not None else ""
        lines.append(f"  {name:<{width}}  {score:.3f}{label}")
    return lines


def _lever_lines(result: DiscoveryResult) -> list[str]:
    unit = OUTPUTS[result.output].unit
    worse = "falls short of" if result.goal == "at_least" else "exceeds"
    lines = [f"Policies, most robust first (share of futures meeting the goal; regret: how far "
             f"{result.output} ({result.statistic}) {worse} the best policy's in each future):"]
    ranked = sorted(result.policy_robustness,
                    key=lambda policy: (-policy.share_met, policy.regret_mean, policy.policy))
    for policy in ranked:
        setting = ", ".join(f"{name} {_quantity(value, _unit(name))}"
                            for name, value in policy.levers.items())
        lines.append(f"  Policy {policy.policy} ({setting}): met in {_percent(policy.share_met)}; "
                     f"regret mean {_quantity(policy.regret_mean, unit)}, P90 "
                     f"{_quantity(policy.regret_p90, unit)}, max "
                     f"{_quantity(policy.regret_max, unit)}")
    lines.append("Share of experiments meeting the goal by lever value:")
    for name, breakdown in result.by_lever.items():
        parts = []
        for group in breakdown.groups:
            where = (_quantity(group.low, "") if group.low == group.high
                     else f"{_quantity(group.low, '')}–{_quantity(group.high, '')}")
            parts.append(f"{where}: {_percent(group.share_met)}")
        lever_unit = _unit(name)
        shown_unit = "" if lever_unit in UNITLESS else f" [{lever_unit}]"
        bins = " (quartile bins)" if breakdown.binned else ""
        lines.append(f"  {name}{shown_unit}{bins}: {'; '.join(parts)}")
    return lines


def discover_lines(result: DiscoveryResult) -> list[str]:
    """:func:`discover`'s findings as lines of text (``whatif discover``): the headline, the
    PRIM boxes, the CART regions, the feature scores and the policies' robustness."""
    sign = "≥" if result.goal == "at_least" else "≤"
    runs = f"{result.experiments:,} experiments"
    if result.policies > 1:
        runs += f" ({result.futures:,} futures × {result.policies:,} policies)"
    threshold = _quantity(result.threshold, OUTPUTS[result.output].unit)
    lines = [f"{result.output} ({result.statistic}) {sign} {threshold} in "
             f"{_percent(result.share_met)} of {runs}."]
    if result.note:
        lines.append(f"Note: {result.note}.")
    else:
        lines += _prim_lines(result) + _cart_lines(result) + _score_lines(result)
    if result.policy_robustness:
        lines += _lever_lines(result)
    return lines
