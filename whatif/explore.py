"""Ensembles of futures: many runs of the model across the uncertain assumptions and the
levers, for scenario discovery (:mod:`whatif.discover`) and robustness across plans.

A *future* is one point of a Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`)
over the range ``[low, high]`` of every uncertain assumption of a scenario (those whose
distribution is not fixed). A *policy* is one point of a second Latin hypercube over the
*levers*, the assumptions a planner chooses (``missiles=10:100,restrikes=0:3``). Every
future runs under every policy: an *experiment*. Each experiment runs ``samples`` Monte
Carlo samples of what stays random within a future (the strike's outcome, the production
trend's fit) and keeps, for each output, its mean, P10, P50 and P90.

Each experiment draws its samples from its own stream, fixed by the seed and the
experiment's number (:func:`experiment_seed`): experiment ``e`` is exactly a direct
:func:`~whatif.engine.simulate` of the scenario with its inputs fixed at that seed, whoever
computes it and however the work is cut. Work is cut into chunks of about
:data:`CHUNK_ROWS` model runs. Chunks run on Dask (:mod:`dask.distributed`): an embedded local
cluster by default, an existing cluster at ``scheduler``, or a plain loop in this process
(``scheduler="inprocess"``). Finished chunks are written one by one next to the result
(``results.parquet.parts/``), so a run that is stopped and started again with the same
arguments computes only the chunks that are missing and writes the same file.

The result is one Parquet file (pyarrow): columns ``future``, ``policy``, the explored
inputs (each in its parameter's unit) and ``"{output}.{statistic}"``; the schema's
metadata ``whatif.explore`` holds the manifest (scenario, seed, version, levers, futures,
policies, samples, chunking), which :func:`read_results` checks.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.stats import qmc

from whatif import __version__
from whatif.engine import (
    MAX_WORK,
    WORK_RULE,
    _check_seed,
    experiment_rows,
    run_experiments,
    trend_fit,
    uses_trend,
    work_per_run,
)
from whatif.errors import ParameterError, ScenarioError, WhatifError, show, show_path
from whatif.inputs import check_writable
from whatif.outputs import OUTPUTS, STATS, summarise
from whatif.params import NUMERIC, REGISTRY
from whatif.scenario import Scenario

#: the manifest's key in the Parquet schema's metadata, and its format
MANIFEST_KEY = b"whatif.explore"
FORMAT = 1
#: model runs (experiments × samples) per chunk: ~0.2-0.4 s of one core each
CHUNK_ROWS = 100_000
MAX_FUTURES = 1_000_000
MAX_POLICIES = 1_000
MAX_EXPERIMENTS = 1_000_000  # rows of the result (~0.4 GB of Parquet at most)
MAX_EXPLORE_SAMPLES = 100_000  # samples per experiment
MAX_RESULT_BYTES = 2 * 1024**3  # the largest result file read back
SCHEDULER_TIMEOUT_S = 10
#: where the chunks' outcome streams branch off a seed (apart from simulate's)
EXPLORE_STREAM = 0x6578706C  # "expl"
LOCAL, INPROCESS = "local", "inprocess"

_LEVER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([^:]+?)\s*:\s*([^:]+?)\s*$")


# --- what to explore ---------------------------------------------------------------------------
def parse_levers(text: str | Mapping[str, Any] | None, scenario: Scenario
                 ) -> dict[str, tuple[float, float]]:
    """Levers ``name=low:high,…`` (or a mapping name → (low, high)) checked against the
    registry: numeric assumptions the scenario uses, each range within the parameter's
    bounds (whole numbers for integer parameters), ``low <= high``."""
    if text is None or text == "":
        return {}
    if isinstance(text, str):
        if len(text) > 2000:
            raise ParameterError("levers", "the text is longer than 2000 characters")
        items = []
        for part in text.split(","):
            match = _LEVER.match(part)
            if not match:
                raise ParameterError("levers", f"{show(part.strip())} is not name=low:high "
                                     "(e.g. missiles=10:100,restrikes=0:3)")
            items.append((match.group(1), match.group(2), match.group(3)))
    elif isinstance(text, Mapping):
        items = []
        for name, bounds in text.items():
            if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
                raise ParameterError("levers", f"{show(name)}: expected [low, high], got "
                                     f"{show(bounds)}")
            items.append((name, bounds[0], bounds[1]))
    else:
        raise ParameterError("levers", f"expected name=low:high text, got {show(text)}")
    levers: dict[str, tuple[float, float]] = {}
    for name, low, high in items:
        if name not in REGISTRY or name not in NUMERIC:
            numeric = [n for n in NUMERIC if n not in scenario.replaced]
            raise ParameterError("levers", f"{show(name)} is not a numeric assumption; allowed "
                                 f"{', '.join(numeric[:12])}, … (see `whatif params`)")
        if name in scenario.replaced:
            raise ParameterError(name, "is replaced by the scenario's sites or plan, so it "
                                 "cannot be a lever here")
        if name in levers:
            raise ParameterError("levers", f"{name} is given twice")
        parameter = REGISTRY[name]
        low_value = parameter.check_number(low, "lever low")
        high_value = parameter.check_number(high, "lever high")
        if low_value > high_value:
            raise ParameterError(name, f"lever range {show(low)}:{show(high)} runs backwards; "
                                 f"allowed low <= high within {parameter.range_text()}")
        levers[name] = (low_value, high_value)
    return levers


def uncertain_ranges(scenario: Scenario, levers: Mapping[str, Any] = ()
                     ) -> dict[str, tuple[float, float]]:
    """The uncertain assumptions of ``scenario`` and the range each is explored over
    ``[low, high]`` (its distribution's; the 5th–95th percentiles of a lognormal), in
    registry order, without the levers and what the sites or plan replace."""
    ranges = {}
    for name in NUMERIC:
        value = scenario.values[name]
        if value.is_fixed or name in levers or name in scenario.replaced:
            continue
        ranges[name] = (float(value.low), float(value.high))
    return ranges


def _scaled(unit: np.ndarray, ranges: list[tuple[str, float, float]]) -> np.ndarray:
    """Map unit-cube points ``(n, d)`` onto the ranges: a real parameter linearly; an integer
    one onto its whole numbers, each equally likely (a Latin hypercube's strata per number)."""
    values = np.empty_like(unit)
    for i, (name, low, high) in enumerate(ranges):
        if REGISTRY[name].kind == "integer":
            count = high - low + 1.0
            values[:, i] = np.minimum(low + np.floor(unit[:, i] * count), high)
        else:
            values[:, i] = low + unit[:, i] * (high - low)
    return values


def latin_hypercube(ranges: list[tuple[str, float, float]], points: int,
                    seed: np.random.SeedSequence) -> np.ndarray:
    """``points`` points ``(points, len(ranges))`` of a Latin hypercube over ``ranges``."""
    if not ranges:
        return np.empty((points, 0))
    sampler = qmc.LatinHypercube(d=len(ranges), rng=np.random.default_rng(seed))
    return _scaled(sampler.random(points), ranges)


@dataclass(frozen=True)
class ExploreDesign:
    """An ensemble to run: the scenario, what varies, and how much.

    ``uncertain`` and ``levers`` are ``(name, low, high)`` in each parameter's unit.
    """

    scenario: Scenario
    uncertain: tuple[tuple[str, float, float], ...]
    levers: tuple[tuple[str, float, float], ...]
    futures: int
    policies: int
    samples: int
    seed: int
    chunk_rows: int = CHUNK_ROWS  # model runs per chunk (about)

    @property
    def experiments(self) -> int:
        return self.futures * self.policies

    @property
    def inputs(self) -> list[str]:
        """The explored inputs: the uncertain assumptions, then the levers."""
        return [name for name, _, _ in self.uncertain + self.levers]

    @property
    def chunk_experiments(self) -> int:
        """Experiments per chunk: about ``chunk_rows`` model runs."""
        return max(1, self.chunk_rows // max(self.samples, 1))

    @property
    def chunks(self) -> int:
        return math.ceil(self.experiments / self.chunk_experiments)

    def chunk_range(self, chunk: int) -> tuple[int, int]:
        """The experiments ``[first, stop)`` of ``chunk``."""
        first = chunk * self.chunk_experiments
        return first, min(self.experiments, first + self.chunk_experiments)

    def manifest(self) -> dict[str, Any]:
        """What the result file records about how it was made (JSON-safe)."""
        return {
            "kind": "whatif explore", "format": FORMAT, "version": __version__,
            "scenario_title": self.scenario.title, "scenario": self.scenario.to_yaml(),
            "seed": self.seed, "futures": self.futures, "policies": self.policies,
            "samples": self.samples, "experiments": self.experiments,
            "chunk_rows": self.chunk_rows, "chunk_experiments": self.chunk_experiments,
            "chunks": self.chunks,
            "uncertain": {n: [lo, hi] for n, lo, hi in self.uncertain},
            "levers": {n: [lo, hi] for n, lo, hi in self.levers},
            "inputs": self.inputs, "outputs": list(OUTPUTS), "statistics": list(STATS),
        }

    def values(self) -> np.ndarray:
        """Every experiment's explored inputs ``(experiments, len(inputs))``: future-major
        (experiment ``e`` is future ``e // policies`` under policy ``e % policies``)."""
        futures_seed, policies_seed = np.random.SeedSequence(
            [EXPLORE_STREAM, self.seed]).spawn(2)
        future_values = latin_hypercube(list(self.uncertain), self.futures, futures_seed)
        policy_values = latin_hypercube(list(self.levers), self.policies, policies_seed)
        return np.hstack([np.repeat(future_values, self.policies, axis=0),
                          np.tile(policy_values, (self.futures, 1))])


def _whole(value: Any, name: str, low: int, high: int, unit: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not (
            low <= value <= high):
        raise ParameterError(name, f"{show(value)} is out of range; allowed {low:,} to {high:,} "
                             f"{unit} (whole numbers)")
    return int(value)


def design(scenario: Scenario, futures: int, levers: Any = None, policies: int | None = None,
           samples: int = 1000, seed: int = 0, chunk_rows: int = CHUNK_ROWS) -> ExploreDesign:
    """Check an ensemble's settings and return its :class:`ExploreDesign`.

    ``policies`` defaults to 8 lever settings when levers are given, else 1. Refused
    (:class:`~whatif.errors.ParameterError`): too many futures, policies, experiments or
    samples, work beyond the engine's limit per chunk, an unknown lever or a lever range
    outside its parameter's bounds, nothing to explore.
    """
    futures = _whole(futures, "futures", 1, MAX_FUTURES, "futures")
    chunk_rows = _whole(chunk_rows, "chunk_rows", 1, 10 * CHUNK_ROWS, "model runs per chunk")
    samples = _whole(samples, "samples", 1, MAX_EXPLORE_SAMPLES, "samples per experiment")
    seed = _check_seed(seed)
    if seed is None:
        raise ParameterError("seed", "an ensemble needs a seed (a whole number >= 0) so that "
                             "its chunks can be resumed")
    lever_ranges = parse_levers(levers, scenario)
    if policies is None:
        policies = 8 if lever_ranges else 1
    policies = _whole(policies, "policies", 1, MAX_POLICIES, "lever settings")
    if not lever_ranges and policies > 1:
        raise ParameterError("policies", f"{policies} lever settings but no --levers to set")
    if futures * policies > MAX_EXPERIMENTS:
        raise ParameterError("futures", f"{futures:,} futures × {policies:,} lever settings is "
                             f"too many experiments; allowed at most {MAX_EXPERIMENTS:,}")
    uncertain = uncertain_ranges(scenario, lever_ranges)
    if not uncertain and not lever_ranges:
        raise ParameterError("assumptions", "no assumption is uncertain and no lever is given; "
                             "nothing to explore")
    result = ExploreDesign(scenario, tuple((n, lo, hi) for n, (lo, hi) in uncertain.items()),
                           tuple((n, lo, hi) for n, (lo, hi) in lever_ranges.items()),
                           futures, policies, samples, seed, chunk_rows)
    # the costliest run: every explored input at its top (missiles, restrikes, horizon)
    highest = scenario.with_values(**{n: hi for n, _, hi in result.levers
                                      if n in ("missiles", "restrikes", "horizon_days")})
    per_run = work_per_run(highest)
    rows = result.chunk_experiments * samples
    if rows * per_run > MAX_WORK:
        most = max(1, MAX_WORK // (per_run * result.chunk_experiments))
        raise ParameterError("samples", f"{samples:,} samples per experiment is too much work "
                             f"for this scenario; allowed at most {most:,} here (work limit "
                             f"{MAX_WORK:.0e} per chunk ≈ {WORK_RULE})")
    return result


# --- one chunk ---------------------------------------------------------------------------------
def experiment_seed(seed: int, experiment: int) -> int:
    """The seed of an experiment's Monte Carlo samples: fixed by the ensemble's seed and the
    experiment's number (whoever computes it, however the work is cut). Experiment ``e`` of
    an ensemble equals ``simulate(scenario with its inputs fixed, samples,
    seed=experiment_seed(seed, e))``."""
    words = np.random.SeedSequence([EXPLORE_STREAM, seed, experiment]).generate_state(2)
    return int(words[0]) | (int(words[1]) << 32)


def fingerprint(scenario: Scenario) -> str:
    """A digest of what a worker's model would run for ``scenario``: its central kernel row
    and the production fit of the launch record it holds, and whatif's version. Every
    chunk checks it, so a worker with other data or code refuses rather than mixes in
    other numbers."""
    digest = hashlib.sha256(__version__.encode())
    digest.update(np.ascontiguousarray(experiment_rows(scenario)).tobytes())
    if uses_trend(scenario):
        fit = trend_fit()
        digest.update(np.ascontiguousarray(fit.center()).tobytes())
        digest.update(np.ascontiguousarray(fit.covariance_root).tobytes())
        digest.update(np.float64(fit.sigma).tobytes())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=4)
def _chunk_context(text: str) -> tuple[Scenario, np.ndarray, str]:
    """An ensemble's scenario (from its YAML ``text``), its :func:`experiment_rows` (read
    only) and this worker's :func:`fingerprint` of it: read once per worker, not per chunk
    (~15 ms a chunk)."""
    scenario = Scenario.from_text(text, origin="explore scenario")
    central = experiment_rows(scenario)
    central.setflags(write=False)
    return scenario, central, fingerprint(scenario)


def run_chunk(task: Mapping[str, Any]) -> pd.DataFrame:
    """Compute one chunk (a task a Dask worker runs): its experiments' explored inputs and
    each output's statistics over their samples.

    ``task``: ``scenario`` (YAML text), ``inputs`` (names), ``values`` (``(experiments,
    len(inputs))``), ``first`` (the chunk's first experiment), ``policies``, ``samples``,
    ``seed`` (the ensemble's), ``fingerprint`` (:func:`fingerprint` where the ensemble
    was designed), ``threads`` (the model's threads here; None: all).
    """
    scenario, central, here = _chunk_context(task["scenario"])
    if here != task["fingerprint"]:
        raise ScenarioError(f"a worker's whatif differs from where the ensemble was designed "
                            f"(model inputs {here} against {task['fingerprint']}: another "
                            "version or other data); give every worker the same install")
    names = list(task["inputs"])
    values = np.asarray(task["values"], dtype=np.float64).reshape(-1, len(names))
    samples = int(task["samples"])
    first = int(task["first"])
    experiments = values.shape[0]
    seeds = [experiment_seed(int(task["seed"]), first + e) for e in range(experiments)]
    threads = task.get("threads")
    if threads:  # (this thread's own setting)
        import numba

        numba.set_num_threads(min(int(threads), numba.config.NUMBA_NUM_THREADS))
    outputs = run_experiments(scenario, names, values, samples, seeds, central)
    stats = summarise(outputs, axis=1)
    index = np.arange(first, first + experiments, dtype=np.int64)
    columns: dict[str, np.ndarray] = {"future": index // int(task["policies"]),
                                      "policy": index % int(task["policies"])}
    for i, name in enumerate(names):
        columns[name] = values[:, i]
    for j, output in enumerate(OUTPUTS):
        for stat in STATS:
            columns[f"{output}.{stat}"] = stats[stat][:, j]
    return pd.DataFrame(columns)


def chunk_tasks(plan: ExploreDesign, chunks: list[int], threads: int | None = None
                ) -> list[dict[str, Any]]:
    """The tasks of ``chunks`` (see :func:`run_chunk`)."""
    values = plan.values()
    text = plan.scenario.to_yaml()
    digest = fingerprint(plan.scenario)
    tasks = []
    for chunk in chunks:
        first, stop = plan.chunk_range(chunk)
        tasks.append({"scenario": text, "inputs": plan.inputs, "values": values[first:stop],
                      "first": first, "policies": plan.policies, "samples": plan.samples,
                      "seed": plan.seed, "fingerprint": digest, "threads": threads,
                      "chunk": chunk})
    return tasks


# --- files -------------------------------------------------------------------------------------
def parts_folder(out: Path) -> Path:
    """Where a run keeps its finished chunks until the result is written."""
    return out.with_name(out.name + ".parts")


def _part(folder: Path, chunk: int) -> Path:
    return folder / f"chunk-{chunk:06d}.parquet"


def _write_atomically(table: pa.Table, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _with_manifest(table: pa.Table, manifest: Mapping[str, Any]) -> pa.Table:
    metadata = dict(table.schema.metadata or {})
    metadata.pop(b"pandas", None)  # (pandas' index notes: not needed, and not ours)
    metadata[MANIFEST_KEY] = json.dumps(manifest, sort_keys=True).encode()
    return table.replace_schema_metadata(metadata)


def _prepare_parts(folder: Path, manifest: Mapping[str, Any]) -> None:
    """Make the parts folder, or check that the one there is this run's."""
    record = folder / "manifest.json"
    if folder.exists():
        try:
            held = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ScenarioError(f"{show_path(folder)} exists but is not a whatif explore run's "
                                "parts folder; remove it or choose another --out") from None
        if held != manifest:
            differ = [k for k in manifest if held.get(k) != manifest[k]][:4]
            raise ScenarioError(f"{show_path(folder)} holds the chunks of another run (differs "
                                f"in {', '.join(differ)}); resume it with its own arguments, "
                                "remove the folder, or choose another --out")
        return
    folder.mkdir()
    record.write_text(json.dumps(manifest, sort_keys=True), encoding="utf-8")


@dataclass(frozen=True)
class ExploreRun:
    """What :func:`explore` did."""

    path: Path
    experiments: int
    chunks: int
    computed: int  # chunks computed by this call
    reused: int  # chunks found finished from an earlier, stopped run
    seconds: float
    engine: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "experiments": self.experiments, "chunks": self.chunks,
                "computed_chunks": self.computed, "reused_chunks": self.reused,
                "seconds": round(self.seconds, 3), "engine": self.engine}


Progress = Callable[[int, int], None]


def _progress_bar(total: int, done: int, enabled: bool) -> tuple[Progress, Callable[[], None]]:
    if not enabled:
        return (lambda finished, total: None), (lambda: None)
    from tqdm import tqdm

    bar = tqdm(total=total, initial=done, unit="chunk", desc="explore", leave=True,
               dynamic_ncols=True)

    def update(finished: int, total: int) -> None:
        bar.update(finished - bar.n)

    return update, bar.close


def check_scheduler(scheduler: str) -> str:
    """``local``, ``inprocess`` or a Dask scheduler's address (``tcp://host:port``)."""
    if not isinstance(scheduler, str) or not scheduler:
        raise ParameterError("scheduler", f"{show(scheduler)} is not allowed; allowed local, "
                             "inprocess or an address such as tcp://host:8786")
    if scheduler in (LOCAL, INPROCESS):
        return scheduler
    if not re.fullmatch(r"(tcp|tls|inproc|ucx)://[^\s/]{1,253}(:\d{1,5})?/?|[\w.-]{1,253}:\d{1,5}",
                        scheduler):
        raise ParameterError("scheduler", f"{show(scheduler)} is not a scheduler address; "
                             "allowed local, inprocess or e.g. tcp://host:8786")
    return scheduler


def _client(scheduler: str, workers: int, timeout_s: float):
    """A Dask client: of a new local cluster, or connected to the scheduler at ``scheduler``.

    The local cluster runs in this process (no worker processes to start, nothing to
    send between processes): ``workers`` worker threads, the model's compiled code running
    without Python's lock, so they compute at once.
    """
    import logging

    from distributed import Client, LocalCluster

    if scheduler == LOCAL:
        cluster = LocalCluster(n_workers=1, threads_per_worker=workers, processes=False,
                               dashboard_address=None, silence_logs=logging.ERROR)
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout=f"{timeout_s}s"), None
    except (OSError, TimeoutError) as exc:
        raise ParameterError("scheduler", f"the Dask scheduler at {show(scheduler)} did not "
                             f"answer within {timeout_s:g} s ({type(exc).__name__}); "
                             "is it running? (finished chunks are kept)") from None


def explore(plan: ExploreDesign, out: str | Path, scheduler: str = LOCAL,
            workers: int | None = None, progress: bool | Progress = False,
            overwrite: bool = False, scheduler_timeout_s: float = SCHEDULER_TIMEOUT_S
            ) -> ExploreRun:
    """Run the ensemble ``plan`` and write its result to ``out`` (Parquet).

    ``scheduler``: ``"local"`` (an embedded Dask cluster of ``workers`` threads, default
    one per core, each running the model on its share of the cores),
    ``"inprocess"`` (a plain loop here, the model on every core) or the address of a
    running Dask scheduler. ``progress``: a tqdm bar on stderr if true, or a callable
    ``(finished_chunks, total_chunks)``. A result already at ``out`` with the same manifest
    is kept as it is; another run's result is refused unless ``overwrite``.
    """
    started = time.perf_counter()
    scheduler = check_scheduler(scheduler)
    cores = os.cpu_count() or 1
    if workers is None:
        workers = cores
    workers = _whole(workers, "workers", 1, 64, "workers")
    out = Path(out)
    if out.suffix.lower() != ".parquet":
        raise ParameterError("out", f"{show_path(out)}: the result is Parquet; allowed a file "
                             "name ending in .parquet")
    check_writable(out, "--out")
    manifest = plan.manifest()
    if out.exists():
        try:
            _, held = read_manifest(out)
        except WhatifError:
            held = None
        if held == manifest:
            return ExploreRun(out, plan.experiments, plan.chunks, 0, plan.chunks,
                              time.perf_counter() - started, "nothing (already complete)")
        if not overwrite:
            raise ScenarioError(f"{show_path(out)} exists and holds "
                                f"{'another ensemble' if held else 'something else'}; choose "
                                "another --out, or --overwrite")
    folder = parts_folder(out)
    _prepare_parts(folder, manifest)
    missing = [c for c in range(plan.chunks) if not _part(folder, c).exists()]
    reused = plan.chunks - len(missing)
    report, close = (progress, lambda: None) if callable(progress) else _progress_bar(
        plan.chunks, reused, bool(progress))
    done = reused
    engine = scheduler
    try:
        if missing and scheduler == INPROCESS:
            for task in chunk_tasks(plan, missing):
                table = pa.Table.from_pandas(run_chunk(task), preserve_index=False)
                _write_atomically(table, _part(folder, task["chunk"]))
                done += 1
                report(done, plan.chunks)
        elif missing:
            from distributed import as_completed

            threads = max(1, cores // workers) if scheduler == LOCAL else None
            _warm_here(plan)  # compile (or load) the model once before the workers do
            client, cluster = _client(scheduler, workers, scheduler_timeout_s)
            try:
                threads_total = sum(w.get("nthreads", 1)
                                    for w in client.scheduler_info()["workers"].values())
                engine = (f"a Dask local cluster ({_threads(workers)})" if cluster
                          else f"the Dask cluster at {scheduler} ({_threads(threads_total)})")
                tasks = chunk_tasks(plan, missing, threads)
                futures = client.map(run_chunk, tasks, pure=False)
                chunk_of = {future.key: task["chunk"]
                            for future, task in zip(futures, tasks, strict=True)}
                try:
                    for future in as_completed(futures):
                        table = pa.Table.from_pandas(future.result(), preserve_index=False)
                        _write_atomically(table, _part(folder, chunk_of[future.key]))
                        done += 1
                        report(done, plan.chunks)
                except (OSError, TimeoutError) as exc:  # the scheduler or a worker went away
                    raise ScenarioError(
                        f"lost the Dask cluster ({type(exc).__name__}) after {done} of "
                        f"{plan.chunks} chunks; they are kept in {show_path(folder)}: run the "
                        "same command again to finish") from None
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
    finally:
        close()
    parts = [pq.read_table(_part(folder, c)) for c in range(plan.chunks)]
    _write_atomically(_with_manifest(pa.concat_tables(parts), manifest), out)
    shutil.rmtree(folder)
    return ExploreRun(out, plan.experiments, plan.chunks, len(missing), reused,
                      time.perf_counter() - started, engine)


def _threads(count: int) -> str:
    return f"{count} worker thread{'s' if count != 1 else ''}"


def _warm_here(plan: ExploreDesign) -> None:
    """Run a tiny experiment in this process: the model's compiled code is then in the
    disk cache, which the workers load instead of each compiling it."""
    task = chunk_tasks(plan, [0])[0]
    task["values"] = task["values"][:1]
    task["samples"] = 2
    run_chunk(task)


# --- reading results back ----------------------------------------------------------------------
def read_manifest(path: str | Path) -> tuple[pa.Schema, dict[str, Any]]:
    """The schema and manifest of an explore result; a one-line error if ``path`` is not one."""
    path = Path(path)
    where = show_path(path)
    try:
        is_file = path.is_file()
        size = path.stat().st_size if is_file else 0
    except OSError as exc:
        raise ScenarioError(f"{where} cannot be read ({type(exc).__name__})") from None
    if not is_file:
        raise ScenarioError(f"{where}: no such file (make one with `whatif explore`)")
    if size > MAX_RESULT_BYTES:
        raise ScenarioError(f"{where} is {size / 1024**3:.1f} GB; at most "
                            f"{MAX_RESULT_BYTES / 1024**3:.0f} GB are read")
    try:
        schema = pq.read_schema(path)
    except OSError as exc:
        raise ScenarioError(f"{where} cannot be read as Parquet ({type(exc).__name__})") from None
    except (pa.ArrowException, ValueError):
        raise ScenarioError(f"{where} is not a Parquet file") from None
    raw = (schema.metadata or {}).get(MANIFEST_KEY)
    if raw is None:
        raise ScenarioError(f"{where} is not a whatif explore result (no manifest); make one "
                            "with `whatif explore`")
    try:
        manifest = json.loads(raw)
    except ValueError:
        raise ScenarioError(f"{where}: its explore manifest is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != "whatif explore":
        raise ScenarioError(f"{where} is not a whatif explore result")
    if manifest.get("format") != FORMAT:
        raise ScenarioError(f"{where} is an explore result of format {show(manifest.get('format'))}"
                            f"; this whatif reads format {FORMAT}")
    return schema, manifest


def read_results(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """An explore result's table and manifest (checked: the columns it must have)."""
    schema, manifest = read_manifest(path)
    needed = (["future", "policy"] + list(manifest.get("inputs", []))
              + [f"{o}.{s}" for o in manifest.get("outputs", []) for s in STATS])
    missing = [c for c in needed if c not in schema.names]
    if missing:
        raise ScenarioError(f"{show_path(path)} lacks column(s) {', '.join(missing[:4])}: not a "
                            "complete explore result")
    table = pq.read_table(path).to_pandas()
    return table, manifest
