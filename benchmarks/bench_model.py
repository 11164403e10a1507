"""Performance benchmark of the whatif model, against a plain-NumPy reference.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_model.py            # full run, prints a Markdown table
    .venv/bin/python benchmarks/bench_model.py --quick    # fewer repeats, no cold compile
    .venv/bin/python benchmarks/bench_model.py --write    # also rewrite docs/BENCHMARKS.md

Timed, each beside the plain-NumPy reference (``benchmarks/numpy_reference.py``, the
same arithmetic from the same draws; ``tests/test_numpy_reference.py`` checks they
agree sample by sample):

* ``simulate(baseline, samples=N, seed=0)``, summary only, N = 10k, 100k, 1M;
* ``simulate(baseline, samples=10_000, seed=0, series=True)`` (daily series with bands),
  also against the bands computed as before ``whatif/model/bands.py`` (each series copied
  day-major, then every day's samples sorted), end to end and the bands alone;
* ``missiles_needed(baseline, "capacity_loss", 0.5, 0.8, samples=10_000)``;
* ``missiles_needed(baseline, "drones_denied", 5000, 0.8, samples=10_000)`` (an objective
  downstream of the whole chain);
* ``sobol(scenario, "drones_denied", samples=2**14)`` on the baseline with exactly 12
  uncertain assumptions (the 6 with no bearing on drones denied fixed at central); no
  NumPy reference, so it has its own table.

Numba compilation is excluded from the timings: everything is warmed up first. Unless
``--quick``/``--no-cold``, the first calls are timed separately in two fresh
interpreters: one whose numba cache points at an empty temporary directory (a cold
compile; the shared cache is left alone) and one using the normal on-disk cache.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import numba  # noqa: E402
import numpy as np  # noqa: E402
import numpy_reference as ref  # noqa: E402
import pandas as pd  # noqa: E402

from whatif import (  # noqa: E402
    Scenario,
    engine,  # noqa: E402
    missiles_needed,
    outputs,
    sensitivity,
    simulate,
)
from whatif.model import chain  # noqa: E402
from whatif.params import NUMERIC  # noqa: E402

BASELINE = ROOT / "data" / "scenarios" / "baseline.yaml"
DOC = ROOT / "docs" / "BENCHMARKS.md"
TARGET_SUMMARY_100K = 0.100  # s
TARGET_MISSILES_NEEDED = 0.300  # s
TARGET_RATIO = 2.0  # package / reference
DRONES_DENIED_AT_LEAST = 5000.0  # drones over the horizon (baseline: ~36 missiles at 80 %)
TARGET_SOBOL = 5.0  # s, Sobol indices of 12 assumptions at 2^14 base samples
TARGET_SERIES = 0.100  # s, simulate with daily series and bands, 10k samples
TARGET_TREND_SLOWDOWN = 1.10  # the trend path may cost at most 10 % more than the target path
SOBOL_SAMPLES = 2**14
SOBOL_OUTPUT = "drones_denied"
#: fixed at central for the Sobol case: the costs and the grid side, none of which bears
#: on drones denied (their tornado swing is 0), leaving 12 uncertain assumptions
SOBOL_FIXED = ("missile_unit_cost", "drone_unit_cost", "defense_cost_per_drone", "mw_per_hit",
               "grid_repair_days", "defeat_rate", "rebuild_share")
SOBOL_UNCERTAIN = 12


# --- timing ------------------------------------------------------------------------------------
@dataclass
class Timing:
    times: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def min(self) -> float:
        return min(self.times)


def _once(fn) -> float:
    gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(fn, repeats: int, warmup: int = 1) -> Timing:
    """Run ``fn`` ``warmup`` times untimed, then ``repeats`` times timed (wall clock)."""
    for _ in range(warmup):
        fn()
    return Timing([_once(fn) for _ in range(repeats)])


def measure_pair(a, b, repeats: int, warmup: int = 1) -> tuple[Timing, Timing]:
    """Time ``a`` and ``b`` alternately, so a burst of load elsewhere hits both alike."""
    for _ in range(warmup):
        a()
        b()
    times_a, times_b = [], []
    for _ in range(repeats):
        times_a.append(_once(a))
        times_b.append(_once(b))
    return Timing(times_a), Timing(times_b)


def ms(seconds: float) -> str:
    value = seconds * 1e3
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


# --- cases -------------------------------------------------------------------------------------
@dataclass
class Case:
    name: str
    package: object  # () -> None
    reference: object  # () -> None
    repeats: int
    parts: dict[str, object] = field(default_factory=dict)  # package breakdown
    ref_parts: dict[str, object] = field(default_factory=dict)  # reference breakdown
    result: dict = field(default_factory=dict)


def _simulate_parts(scenario, samples: int, series: bool):
    """The stages of ``engine.simulate``, each callable alone, on the same inputs."""
    compiled, _ = engine.compile_scenario(scenario, samples, 0)
    args = (compiled.theta, compiled.shared)
    values, daily = chain.run_samples(*args, series)

    def post():  # what simulate does after the kernel: check, frames, summary, bands
        np.isfinite(values).all()
        pd.DataFrame(values, columns=list(chain.OUTPUTS))
        pd.DataFrame(outputs.summarise(values), index=list(chain.OUTPUTS))
        if series:
            outputs.series_frame(daily)

    def kernel_1_thread():
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            chain.run_samples(*args, series)
        finally:
            numba.set_num_threads(threads)

    parts = {
        "draws": lambda: engine.compile_scenario(scenario, samples, 0),
        "kernel": lambda: chain.run_samples(*args, series),
        "kernel_1t": kernel_1_thread,
        "post": post,
    }
    # same shapes as the reference's own results (post-processing cost does not depend on values)
    ref_values = values
    ref_daily = daily if series else None  # both day-major (series, days, samples)

    def ref_post():
        ref.summarise(ref_values, axis=0)
        if series:
            ref.summarise(ref_daily, axis=-1)

    ref_parts = {
        "draws": parts["draws"],
        "kernel": lambda: ref.run_samples(compiled, record=series),
        "post": ref_post,
    }
    return parts, ref_parts


def _solve_parts(scenario, objective: str, at_least: float, samples: int):
    compiled, _ = engine.compile_scenario(scenario, samples, 0)
    index = chain.OUTPUTS.index(objective)
    args = (compiled.theta, compiled.shared, index, float(at_least), 300)

    def kernel_1_thread():
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            chain.salvo_needed(*args)
        finally:
            numba.set_num_threads(threads)

    parts = {
        "draws": lambda: engine.compile_scenario(scenario, samples, 0),
        "kernel": lambda: chain.salvo_needed(*args),
        "kernel_1t": kernel_1_thread,
    }
    ref_parts = {
        "draws": parts["draws"],
        "kernel": lambda: ref.salvo_needed(compiled, index, float(at_least), 300),
    }
    return parts, ref_parts


def build_cases(scenario, quick: bool) -> list[Case]:
    repeats = 3 if quick else 9
    big_repeats = 1 if quick else 3
    cases = []
    for samples in (10_000, 100_000, 1_000_000):
        parts, ref_parts = _simulate_parts(scenario, samples, False)
        cases.append(Case(
            f"`simulate` summary, {samples:,} samples",
            lambda n=samples: simulate(scenario, samples=n, seed=0),
            lambda n=samples: ref.simulate(scenario, samples=n, seed=0),
            big_repeats if samples >= 1_000_000 else repeats, parts, ref_parts,
        ))
    parts, ref_parts = _simulate_parts(scenario, 10_000, True)
    cases.append(Case(
        "`simulate` + daily series with bands, 10,000 samples",
        lambda: simulate(scenario, samples=10_000, seed=0, series=True),
        lambda: ref.simulate(scenario, samples=10_000, seed=0, series=True),
        repeats, parts, ref_parts,
    ))
    for objective, at_least in (("capacity_loss", 0.5), ("drones_denied", DRONES_DENIED_AT_LEAST)):
        parts, ref_parts = _solve_parts(scenario, objective, at_least, 10_000)
        cases.append(Case(
            f"`missiles_needed` {objective} ≥ {at_least:g} @ 80 %, 10,000 samples",
            lambda o=objective, a=at_least: missiles_needed(scenario, o, a, 0.8, samples=10_000),
            lambda o=objective, a=at_least: ref.missiles_needed(scenario, o, a, 0.8,
                                                                 samples=10_000),
            repeats, parts, ref_parts,
        ))
    return cases


# --- daily bands, before and after ------------------------------------------------------------
def series_frame_before(daily, bands=outputs.SERIES, copies=None, site_series=()):
    """How the bands were made before ``whatif/model/bands.py``: every day's samples
    sorted (``outputs.percentiles`` on the day-major series, so without the copy to a
    day-major layout the old code also paid for); the same frame (``copies`` is ignored:
    the old code computed every series; the baseline has no sites' series)."""
    columns = {}
    means = daily.mean(axis=-1)
    for k, name in enumerate(outputs.SERIES):
        columns[(name, "mean")] = means[k]
        if name in bands:
            p10, p50, p90 = outputs.percentiles(daily[k])
            columns[(name, "p10")], columns[(name, "p50")], columns[(name, "p90")] = p10, p50, p90
    frame = pd.DataFrame(columns)
    frame.columns.names = ["series", "stat"]
    frame.index.name = "day"
    frame.attrs["units"] = dict(zip(outputs.SERIES, outputs.SERIES_UNITS, strict=True))
    return frame


def measure_bands(scenario, repeats: int) -> dict:
    """``simulate(..., series=True)`` at 10,000 samples and ``series_frame`` alone, now and
    with the bands made as before, timed alternately; the frames are checked equal."""
    compiled, _ = engine.compile_scenario(scenario, 10_000, 0)
    _, daily = engine._run(compiled, record=True)
    now, then = outputs.series_frame(daily), series_frame_before(daily)
    pd.testing.assert_frame_equal(now, then, check_exact=False, rtol=1e-12, atol=0)
    current = engine.series_frame

    def simulate_before():
        engine.series_frame = series_frame_before
        try:
            simulate(scenario, samples=10_000, seed=0, series=True)
        finally:
            engine.series_frame = current

    out = {}
    out["simulate"] = measure_pair(lambda: simulate(scenario, samples=10_000, seed=0, series=True),
                                   simulate_before, repeats)
    out["bands"] = measure_pair(lambda: outputs.series_frame(daily),
                                lambda: series_frame_before(daily), repeats)
    return out


def bands_table(result: dict) -> str:
    rows = ["| Case | Runs | Now, median (min) [ms] | Before, median (min) [ms] | Now / before |",
            "|---|---:|---:|---:|---:|"]
    names = {"simulate": "`simulate(baseline, samples=10_000, seed=0, series=True)`",
             "bands": "`series_frame` alone (means and P10/P50/P90 of the 9 daily series)"}
    for key, label in names.items():
        now, then = result[key]
        rows.append(f"| {label} | {len(now.times)} | {ms(now.median)} ({ms(now.min)}) "
                    f"| {ms(then.median)} ({ms(then.min)}) | {now.median / then.median:.2f}× |")
    return "\n".join(rows)


# --- Sobol indices -----------------------------------------------------------------------------
def measure_paths(scenario, repeats: int) -> dict:
    """``simulate`` on the trend path (the baseline) against the same scenario on the target
    path (the stated climb), timed alternately: 10k samples, summary, and with series."""
    target = scenario.with_values(production_path="target")
    out = {}
    for label, series in (("summary", False), ("series", True)):
        out[label] = measure_pair(
            lambda series=series: simulate(scenario, samples=10_000, seed=0, series=series),
            lambda series=series: simulate(target, samples=10_000, seed=0, series=series),
            repeats)
    return out


def paths_table(result: dict) -> str:
    lines = ["| `simulate(…, samples=10_000)` | Trend path (baseline), median (min) [ms] | "
             "Target path, median (min) [ms] | Trend / target |", "|---|---:|---:|---:|"]
    for label, (trend, target) in result.items():
        what = "summary" if label == "summary" else "with daily series and bands"
        lines.append(f"| {what} | {ms(trend.median)} ({ms(trend.min)}) | {ms(target.median)} "
                     f"({ms(target.min)}) | {trend.median / target.median:.2f}× |")
    return "\n".join(lines)


def sobol_scenario(scenario):
    """``scenario`` with :data:`SOBOL_FIXED` at their central values: 12 uncertain left."""
    fixed = scenario.with_values(**{n: scenario.central(n) for n in SOBOL_FIXED})
    uncertain = [n for n in NUMERIC if not fixed.values[n].is_fixed]
    if len(uncertain) != SOBOL_UNCERTAIN:
        raise RuntimeError(f"the Sobol case needs {SOBOL_UNCERTAIN} uncertain assumptions, "
                           f"has {len(uncertain)}: {uncertain}")
    return fixed


def measure_sobol(scenario, repeats: int) -> dict:
    """``sensitivity.sobol`` end to end, and its model runs alone (the numba kernel on as many
    rows as Saltelli's design needs: N × (d + 2))."""
    s12 = sobol_scenario(scenario)
    runs = SOBOL_SAMPLES * (SOBOL_UNCERTAIN + 2)
    compiled, _ = engine.compile_scenario(s12, 0, 0)
    theta = np.asfortranarray(np.repeat(compiled.theta, runs, axis=0))
    args = (compiled.shared, False)
    total = measure(lambda: sensitivity.sobol(s12, SOBOL_OUTPUT, samples=SOBOL_SAMPLES, seed=0),
                    repeats)
    kernel = measure(lambda: chain.run_samples(theta, *args), repeats)
    top = sensitivity.sobol(s12, SOBOL_OUTPUT, samples=SOBOL_SAMPLES, seed=0).iloc[0]
    return {"total": total, "kernel": kernel, "runs": runs, "top": top}


def _with_interval(row, index: str) -> str:
    """An index and its 95 % interval, e.g. ``0.772 (0.741–0.803)``."""
    return f"{row[index]:.3f} ({row[index + '_low']:.3f}–{row[index + '_high']:.3f})"


def sobol_table(result: dict) -> str:
    t, k = result["total"], result["kernel"]
    return "\n".join([
        "| Case | Runs | Model runs | Median (min) [ms] | of which the kernel alone, median [ms] "
        "| Largest index |",
        "|---|---:|---:|---:|---:|---|",
        f"| `sobol` {SOBOL_OUTPUT}, {SOBOL_UNCERTAIN} uncertain assumptions, "
        f"{SOBOL_SAMPLES:,} base samples | {len(t.times)} | {result['runs']:,} "
        f"| {ms(t.median)} ({ms(t.min)}) | {ms(k.median)} "
        f"| `{result['top']['parameter']}`: S1 {_with_interval(result['top'], 'first_order')}, "
        f"ST {_with_interval(result['top'], 'total_order')} |",
    ])


# --- compilation -------------------------------------------------------------------------------
_COLD_SCRIPT = textwrap.dedent("""
    import json, time
    t0 = time.perf_counter()
    from whatif import Scenario, missiles_needed, simulate
    t1 = time.perf_counter()
    s = Scenario.from_yaml({baseline!r})
    t2 = time.perf_counter(); simulate(s, samples=100, seed=0)
    t3 = time.perf_counter(); simulate(s, samples=100, seed=0, series=True)
    t4 = time.perf_counter(); missiles_needed(s, samples=100)
    t5 = time.perf_counter()
    print(json.dumps({{"import": t1 - t0, "simulate": t3 - t2, "series": t4 - t3,
                       "missiles_needed": t5 - t4}}))
""")


def first_calls(scenario) -> dict[str, float]:
    """First calls in this process (numba functions loaded from the on-disk cache)."""
    t0 = time.perf_counter()
    simulate(scenario, samples=100, seed=0)
    t1 = time.perf_counter()
    simulate(scenario, samples=100, seed=0, series=True)
    t2 = time.perf_counter()
    missiles_needed(scenario, samples=100)
    t3 = time.perf_counter()
    return {"simulate": t1 - t0, "series": t2 - t1, "missiles_needed": t3 - t2}


def _fresh_interpreter(env: dict) -> dict[str, float] | None:
    import json

    proc = subprocess.run(
        [sys.executable, "-c", _COLD_SCRIPT.format(baseline=str(BASELINE))],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cold_compile() -> dict[str, float] | None:
    """Import and first calls in a fresh interpreter with an empty numba cache."""
    with tempfile.TemporaryDirectory(prefix="whatif-cold-cache-") as cache:
        return _fresh_interpreter(dict(os.environ, WHATIF_CACHE_DIR=cache, NUMBA_CACHE_DIR=cache))


def warm_start() -> dict[str, float] | None:
    """Import and first calls in a fresh interpreter using the normal on-disk cache."""
    return _fresh_interpreter(dict(os.environ))


# --- machine -----------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True).stdout.split("\n")
        changed = sorted(line[3:] for line in dirty  # code that can change the timings
                         if line[3:].startswith(("whatif/", "data/", "benchmarks/")))
        if changed:
            commit += f" + uncommitted changes to {', '.join(changed)}"
    except OSError:
        commit = "unknown"
    import scipy

    return {
        "CPU": cpu,
        "Cores": f"{os.cpu_count()} logical; numba threads {numba.get_num_threads()} "
                 f"(threading layer {numba.threading_layer()})",
        "RAM": ram,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "NumPy": np.__version__,
        "numba": numba.__version__,
        "pandas": pd.__version__,
        "SciPy": scipy.__version__,
        "Code": commit,
        "Load average (1 min) before / after": "",
    }


# --- report ------------------------------------------------------------------------------------
def main_table(cases: list[Case]) -> str:
    rows = ["| Case | Runs | Package median (min) [ms] | NumPy reference median (min) [ms] "
            "| Package / reference |",
            "|---|---:|---:|---:|---:|"]
    for c in cases:
        p, r = c.result["package"], c.result["reference"]
        rows.append(f"| {c.name} | {len(p.times)} / {len(r.times)} | {ms(p.median)} ({ms(p.min)}) "
                    f"| {ms(r.median)} ({ms(r.min)}) | {p.median / r.median:.2f}× |")
    return "\n".join(rows)


def breakdown_table(cases: list[Case]) -> str:
    rows = ["| Case | Draws (`compile_scenario`) | Numba kernel, 2 threads | Numba kernel, "
            "1 thread | NumPy reference kernel | Post-processing (package / reference) "
            "| Package total |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for c in cases:
        b, rb = c.result["parts"], c.result["ref_parts"]
        post = f"{ms(b['post'].median)} / {ms(rb['post'].median)}" if "post" in b else "—"
        rows.append(
            f"| {c.name} | {ms(b['draws'].median)} | {ms(b['kernel'].median)} "
            f"| {ms(b['kernel_1t'].median)} | {ms(rb['kernel'].median)} | {post} "
            f"| {ms(c.result['package'].median)} |")
    return "\n".join(rows)


def targets(cases: list[Case], sobol: dict, paths: dict) -> list[tuple[str, str, bool]]:
    by_name = {c.name: c for c in cases}
    out = []
    c = next(c for c in cases if "100,000 samples" in c.name)
    def timed(c):
        p = c.result["package"]
        return f"median {ms(p.median)} ms (min {ms(p.min)} ms)"

    out.append(("100k-sample summary < 100 ms", timed(c),
                c.result["package"].median < TARGET_SUMMARY_100K))
    for c in cases:
        if c.name.startswith("`missiles_needed`"):
            objective = c.name.split()[1]
            out.append((f"`missiles_needed` ({objective}, 10k samples) < 300 ms", timed(c),
                        c.result["package"].median < TARGET_MISSILES_NEEDED))
    worst = max(by_name.values(), key=lambda c: c.result["package"].median
                / c.result["reference"].median)
    ratio = worst.result["package"].median / worst.result["reference"].median
    out.append(("Package within 2× of the plain-NumPy reference (every case)",
                f"worst {ratio:.2f}× ({worst.name})", ratio <= TARGET_RATIO))
    c = next(c for c in cases if "daily series" in c.name)
    out.append(("`simulate` + daily series with bands (10k samples) < 100 ms", timed(c),
                c.result["package"].median < TARGET_SERIES))
    t = sobol["total"]
    out.append((f"Sobol indices, {SOBOL_UNCERTAIN} assumptions × 2^14 base samples < 5 s",
                f"median {ms(t.median)} ms (min {ms(t.min)} ms)", t.median < TARGET_SOBOL))
    trend, target = paths["summary"]
    ratio = trend.median / target.median
    out.append(("The trend path slows `simulate` (10k samples) by at most 10 %",
                f"{ratio:.2f}× the target path ({ms(trend.median)} vs {ms(target.median)} ms)",
                ratio <= TARGET_TREND_SLOWDOWN))
    return out


def targets_table(rows) -> str:
    lines = ["| Target | Measured | Result (on the median) |", "|---|---|---|"]
    for name, value, ok in rows:
        lines.append(f"| {name} | {value} | {'PASS' if ok else 'FAIL'} |")
    return "\n".join(lines)


def compile_table(warm: dict | None, cold: dict | None) -> str:
    """First calls in a fresh interpreter (100 samples each): empty cache vs on-disk cache."""
    lines = ["| Fresh interpreter, in order | Cold: empty numba cache (compiles) [s] "
             "| Warm: on-disk cache [s] |",
             "|---|---:|---:|"]
    labels = {"import": "`from whatif import ...`", "simulate": "first `simulate`",
              "series": "then `simulate(..., series=True)`",
              "missiles_needed": "then `missiles_needed`"}
    for key, label in labels.items():
        c = f"{cold[key]:.2f}" if cold else "not measured"
        w = f"{warm[key]:.2f}" if warm else "not measured"
        lines.append(f"| {label} | {c} | {w} |")
    c = f"**{sum(cold.values()):.1f}**" if cold else ""
    w = f"**{sum(warm.values()):.1f}**" if warm else ""
    lines.append(f"| **total** | {c} | {w} |")
    return "\n".join(lines)


def write_doc(info, date, cases, sobol, bands, target_rows, warm, cold, quick,
              paths) -> None:
    machine_lines = "\n".join(f"| {k} | {v} |" for k, v in info.items())
    doc = f"""# Benchmarks

Generated by `.venv/bin/python benchmarks/bench_model.py --write{' --quick' if quick else ''}`
on {date}. Re-run it to refresh this part (up to the horizontal rule; the sections after
it come from other benchmarks and are kept). Timings are wall-clock and depend on the
machine and on what else it is running (see the load average below).

## Machine

| | |
|---|---|
{machine_lines}

## Results

Scenario `data/scenarios/baseline.yaml`, seed 0. Compilation excluded (everything is
warmed up first). Times are the median (and minimum) of the runs shown. "Package" is
the public API (`whatif.simulate`, `whatif.missiles_needed`) end to end: drawing the
inputs, the numba kernel and the pandas/percentile post-processing. The "NumPy reference"
(`benchmarks/numpy_reference.py`) is the same arithmetic in plain NumPy (no numba),
from the same draws (it calls `whatif.engine.compile_scenario` too), vectorised over
samples with a Python loop over days for the stockpile and grid recursions; it returns
NumPy arrays (outputs, summary, bands) rather than DataFrames.
`tests/test_numpy_reference.py` checks that the two agree sample by sample (relative
difference below 1e-9; the `missiles_needed` curves are identical).

{main_table(cases)}

`missiles_needed` bisects each sample's salvo size over 0–300 missiles. For
`capacity_loss` both sides evaluate only the strike at each step; the `drones_denied` case
(≥ {DRONES_DENIED_AT_LEAST:,.0f} drones denied over the 180-day horizon) needs the whole
daily chain at every step.

Like-with-like, with two caveats. The package's kernel runs on all cores (numba `prange`),
the reference on one; the "1 thread" column below gives the single-core kernel. The
package also stops a sample's daily loop once a linear recovery is complete (the rest
is summed in closed form), while the reference runs every day for every sample; the
results agree to the tolerance above either way.

### Where the package's time goes

Medians in ms, each stage timed alone on the same inputs (so they need not add up exactly
to the total). Draws: `compile_scenario` (unit uniforms, inverse CDFs, the pandas frame,
`theta`). Kernel: `chain.run_samples` / `chain.salvo_needed` (numba `prange`; also shown
pinned to one thread). Post-processing: what `simulate` does after the kernel
(finite check, output and summary DataFrames, percentiles; `series_frame` for the bands)
against the reference's `np.percentile` summary. With 2 cores, another busy process
(e.g. a test run) takes one of them: the 2-thread kernel column then approaches the
1-thread one, so compare it with the load average above.

{breakdown_table(cases)}

### Daily bands, before and after

`simulate(..., series=True)` returns each daily series' mean and, per day, its P10, P50
and P90 across samples. These used to be made by sorting every day's samples (`np.sort`,
then linear interpolation); they are now made by `whatif/model/bands.py`, which selects
just the order statistics needed, in parallel over runs of days (each day's bracket of
candidate values comes from the day before; see the module). The kernel writes the
series day-major, `(series, days, samples)`, so that each day's samples are contiguous
for both. "Before" is the sort, kept in the benchmark (`series_frame_before`) and run on
the same day-major series (so without the copy to a day-major layout the old code also
paid for), timed alternately with the new on the same inputs; the two frames are checked
equal (to 1e-12). End to end, "before" is `simulate` with the sort swapped in.

{bands_table(bands)}

### Sobol indices

`whatif.sobol(scenario, "{SOBOL_OUTPUT}", samples={SOBOL_SAMPLES}, seed=0)` on the baseline
with {', '.join(f'`{n}`' for n in SOBOL_FIXED)} fixed at their central values (none bears on
drones denied), which leaves exactly {SOBOL_UNCERTAIN} uncertain assumptions. Saltelli's
design evaluates the deterministic chain at N × (d + 2) points; the rest of the time is
scipy's scrambled Sobol' points, the inverse CDFs, the estimators and their 95 % bootstrap
intervals ({sensitivity.SOBOL_RESAMPLES} resamples of the N points, `scipy.stats.bootstrap`).

{sobol_table(sobol)}

### Production paths

The baseline follows the trend fitted to the launch record: each sample draws the fit's
four parameters (`whatif.model.production.trend_parameters_into`, in parallel, from the
sample's own counter-based stream) and one scatter factor per 30 days (in the kernel, from
the same stream), and its daily path is filled once (a vectorised loop of divisions).
Timed alternately against the same scenario on the stated climb
(`production_path: target`), which draws neither.

{paths_table(paths)}

Against the code before issue 10 (b2212dd, 26 Nov), the same target-path run is slower:
that code was compiled with `fastmath`, which let the compiler contract and reassociate
floating-point arithmetic differently wherever a function was inlined, so that a summary
run, a run with series and the solver disagreed in the last digit (a CI failure). The
model now compiles without it (bit-for-bit agreement is tested in
`tests/test_determinism.py`). Timed alternately on 30 Nov (100,000 samples, target path,
kernel alone): b2212dd 137–141 ms; b2212dd without fastmath 185–209 ms; this code
180–223 ms. The cost is that of exact, repeatable figures, not of the new paths.

## Targets

{targets_table(target_rows)}

## Compilation

The model is compiled by numba on first use, and the compiled code is cached on disk
(`~/.cache/whatif/numba-<hash of the model sources>`, or under `$WHATIF_CACHE_DIR`). So
the first run in a fresh checkout (or after an edit to the model) compiles, and later
processes load the cache. The benchmark measures this in two fresh interpreters
running the same calls on 100 samples: "cold" points `WHATIF_CACHE_DIR` at an empty
temporary directory (the shared cache is not touched), and "warm" uses the normal cache.
None of the timings above include compilation: every case is warmed up first.

{compile_table(warm, cold)}
"""
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(doc.rstrip("\n") + "\n" + _other_sections(), encoding="utf-8")


def _other_sections() -> str:
    """What follows this benchmark's part of docs/BENCHMARKS.md: everything from the first
    horizontal rule (a line ``---``) on, e.g. the app benchmark's section; kept as it is."""
    if not DOC.exists():
        return ""
    lines = DOC.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = next((i for i, line in enumerate(lines) if line.rstrip() == "---"), None)
    return "" if cut is None else "\n" + "".join(lines[cut:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 repeats (1 at 1M samples), no cold-compile measurement")
    parser.add_argument("--write", action="store_true",
                        help="rewrite this benchmark's part of docs/BENCHMARKS.md")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-compile subprocess")
    parser.add_argument("--bands-only", type=int, metavar="RUNS", default=0,
                        help="only time the daily bands, now and before, RUNS times each")
    parser.add_argument("--paths-only", type=int, metavar="RUNS", default=0,
                        help="only time the trend path against the target path, RUNS times")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    scenario = Scenario.from_yaml(BASELINE)
    if args.paths_only:
        print(paths_table(measure_paths(scenario, args.paths_only)))
        print(f"load average (1 min) before / after: {load_before:.2f} / {os.getloadavg()[0]:.2f}")
        return 0
    if args.bands_only:
        bands = measure_bands(scenario, args.bands_only)
        print(bands_table(bands))
        print(f"load average (1 min) before / after: {load_before:.2f} / {os.getloadavg()[0]:.2f}")
        return 0
    in_process = first_calls(scenario)
    print("first calls in this process (on-disk cache): "
          + ", ".join(f"{k} {v:.2f} s" for k, v in in_process.items()), flush=True)
    info = machine()

    cases = build_cases(scenario, args.quick)
    for case in cases:
        print(f"timing {case.name} ...", flush=True)
        case.result["package"], case.result["reference"] = measure_pair(
            case.package, case.reference, case.repeats)
        case.result["parts"] = {k: measure(f, case.repeats) for k, f in case.parts.items()}
        case.result["ref_parts"] = {k: measure(f, case.repeats) for k, f in case.ref_parts.items()}

    print(f"timing sobol, {SOBOL_UNCERTAIN} assumptions x {SOBOL_SAMPLES:,} base samples ...",
          flush=True)
    sobol = measure_sobol(scenario, 3 if args.quick else 7)
    print("timing the daily bands, now and before ...", flush=True)
    bands = measure_bands(scenario, 5 if args.quick else 15)
    print("timing the trend path against the target path ...", flush=True)
    paths = measure_paths(scenario, 5 if args.quick else 15)

    cold = warm = None
    if not (args.quick or args.no_cold):
        print("first calls in fresh interpreters (empty cache, then on-disk cache) ...", flush=True)
        cold = cold_compile()
        warm = warm_start()
    info["Load average (1 min) before / after"] = f"{load_before:.2f} / {os.getloadavg()[0]:.2f}"
    target_rows = targets(cases, sobol, paths)
    date = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")

    print()
    print(main_table(cases))
    print()
    print(breakdown_table(cases))
    print()
    print(sobol_table(sobol))
    print()
    print(bands_table(bands))
    print()
    print(paths_table(paths))
    print()
    print(targets_table(target_rows))
    print()
    print(compile_table(warm, cold))
    if args.write:
        write_doc(info, date, cases, sobol, bands, target_rows, warm, cold, args.quick, paths)
        print(f"\nwrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
