"""Ensembles of futures (`whatif explore`): the design, one truth with a direct run, the
Parquet result and its manifest, resuming a stopped run, and Dask (local and a real
scheduler with two workers)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from whatif.cli import main
from whatif.engine import simulate
from whatif.errors import ParameterError, ScenarioError
from whatif.explore import (
    MANIFEST_KEY,
    chunk_tasks,
    design,
    experiment_seed,
    explore,
    parse_levers,
    parts_folder,
    read_results,
    run_chunk,
    uncertain_ranges,
)
from whatif.outputs import OUTPUTS, STATS
from whatif.params import REGISTRY
from whatif.scenario import Scenario

REPO = Path(__file__).resolve().parent.parent
BASELINE = Scenario.default()


def small_design(**changes):
    settings = dict(futures=12, levers="missiles=10:60,restrikes=0:2", policies=3, samples=64,
                    seed=5, chunk_rows=64 * 5)
    settings.update(changes)
    return design(BASELINE, **settings)


# --- the design -------------------------------------------------------------------------------
def test_levers_are_parsed_and_checked():
    assert parse_levers("missiles=10:100, restrikes = 0:3", BASELINE) == {
        "missiles": (10.0, 100.0), "restrikes": (0.0, 3.0)}
    assert parse_levers({"missiles": [5, 6]}, BASELINE) == {"missiles": (5.0, 6.0)}
    assert parse_levers(None, BASELINE) == {}
    refusals = {
        "foo=1:2": "'foo' is not a numeric assumption",
        "missiles=10": "is not name=low:high",
        "missiles=10:100000": "missiles: 100000 (lever high) is out of range; allowed 1 to",
        "missiles=50:10": "runs backwards",
        "missiles=1.5:10": "is not a whole number",
        "missiles=1:2,missiles=3:4": "missiles is given twice",
        "allocation=0:1": "is not a numeric assumption",
    }
    for text, message in refusals.items():
        with pytest.raises(ParameterError, match=re.escape(message)):
            parse_levers(text, BASELINE)
    campaign = Scenario.from_yaml(REPO / "data" / "scenarios" / "campaign.yaml")
    with pytest.raises(ParameterError, match="missiles: is replaced by the scenario's sites or "
                                             "plan"):
        parse_levers("missiles=10:20", campaign)


def test_the_uncertain_assumptions_are_those_not_fixed():
    ranges = uncertain_ranges(BASELINE)
    for name, (low, high) in ranges.items():
        value = BASELINE.values[name]
        assert not value.is_fixed and (low, high) == (value.low, value.high)
    fixed = [n for n in REGISTRY if REGISTRY[n].is_numeric and BASELINE.values[n].is_fixed]
    assert fixed and not set(fixed) & set(ranges)
    assert "defense_engagements" not in uncertain_ranges(BASELINE, {"defense_engagements": 1})


def test_design_limits_are_refused_with_their_numbers():
    with pytest.raises(ParameterError, match="futures: 0 is out of range; allowed 1 to "
                                             "1,000,000 futures"):
        design(BASELINE, 0)
    with pytest.raises(ParameterError, match="samples: 200000 is out of range"):
        design(BASELINE, 10, samples=200_000)
    with pytest.raises(ParameterError, match="too many experiments; allowed at most 1,000,000"):
        design(BASELINE, 100_000, levers="missiles=1:2", policies=100)
    with pytest.raises(ParameterError, match="but no --levers"):
        design(BASELINE, 10, policies=3)
    with pytest.raises(ParameterError, match="needs a seed"):
        design(BASELINE, 10, seed=None)
    fixed = Scenario.default().with_values(**{n: BASELINE.values[n].central
                                              for n in uncertain_ranges(BASELINE)})
    with pytest.raises(ParameterError, match="nothing to explore"):
        design(fixed, 10)


def test_a_latin_hypercube_over_every_range_and_every_future_under_every_policy():
    plan = design(BASELINE, 50, levers="missiles=10:60,restrikes=0:2", policies=6, seed=2)
    values = plan.values()
    assert values.shape == (300, len(plan.inputs))
    names = plan.inputs
    futures = values.reshape(50, 6, -1)
    for i, (name, low, high) in enumerate(plan.uncertain):
        column = futures[:, :, i]
        assert (column == column[:, :1]).all()  # a future's assumptions under every policy
        x = column[:, 0]
        assert low <= x.min() and x.max() <= high
        if REGISTRY[name].kind == "real":  # one point in each of the 50 strata
            strata = np.floor((x - low) / (high - low) * 50).astype(int)
            assert sorted(strata) == list(range(50)), name
        else:  # whole numbers, each about as often as another (its share of the strata)
            whole = np.arange(low, high + 1)
            counts = np.array([(x == k).sum() for k in whole])
            assert set(np.unique(x)) <= set(whole)
            assert np.abs(counts - 50 / len(whole)).max() < 2, name
    for j, (_name, low, high) in enumerate(plan.levers):
        column = futures[:, :, len(plan.uncertain) + j]
        assert (column == column[:1, :]).all()  # a policy's levers in every future
        assert set(column[0]) <= set(np.arange(low, high + 1)) and names[-2:] == [
            "missiles", "restrikes"]
    missiles = futures[0, :, -2]  # six strata of 10..60: 8.5 whole numbers each
    assert np.diff(np.sort(missiles)).min() >= 0 and len(set(missiles)) >= 5
    assert missiles.min() < 10 + 17 and missiles.max() > 60 - 17
    # the same seed gives the same design, another seed another
    np.testing.assert_array_equal(values, plan.values())
    assert not np.array_equal(values, design(BASELINE, 50, levers="missiles=10:60,"
                                             "restrikes=0:2", policies=6, seed=3).values())


# --- results ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("explore") / "small.parquet"
    calls = []
    run = explore(small_design(), out, scheduler="inprocess",
                  progress=lambda done, total: calls.append((done, total)))
    return out, run, calls


def test_an_experiment_is_a_direct_simulate_at_its_own_seed(small_result):
    """One truth: each row's statistics equal `simulate` of the scenario with the row's
    inputs fixed, at `experiment_seed(seed, e)`, bit for bit."""
    out, _, _ = small_result
    table, manifest = read_results(out)
    for e in (0, 4, 17, len(table) - 1):
        row = table.iloc[e]
        fixed = BASELINE.with_values(**{n: float(row[n]) for n in manifest["inputs"]})
        direct = simulate(fixed, samples=manifest["samples"],
                          seed=experiment_seed(manifest["seed"], e))
        for output in OUTPUTS:
            for stat in STATS:
                assert row[f"{output}.{stat}"] == direct.summary.loc[output, stat], (e, output)
    # experiments differ in their draws: two policies of one future are not copies
    assert experiment_seed(5, 0) != experiment_seed(5, 1) != experiment_seed(6, 1)


def test_a_chunk_is_refused_by_a_worker_whose_model_differs():
    """A task carries the fingerprint of the model where the ensemble was designed; a worker
    whose model inputs differ (other data, other code) refuses it rather than mix numbers."""
    plan = small_design()
    task = chunk_tasks(plan, [0])[0]
    frame = run_chunk(task)  # the same worker, the same model: computed
    assert len(frame) == 5 and frame["future"].tolist() == [0, 0, 0, 1, 1]
    again = run_chunk(task)  # (the scenario is read once per worker: the same numbers)
    pd.testing.assert_frame_equal(frame, again)
    with pytest.raises(ScenarioError, match="a worker's whatif differs from where the "
                                            "ensemble was designed"):
        run_chunk({**task, "fingerprint": "0" * 16})


def test_the_result_file_its_manifest_and_progress(small_result):
    out, run, calls = small_result
    table, manifest = read_results(out)
    assert len(table) == 36 and run.experiments == 36 and run.computed == run.chunks == 8
    assert list(table["future"]) == [f for f in range(12) for _ in range(3)]
    assert list(table["policy"]) == [0, 1, 2] * 12
    assert manifest["kind"] == "whatif explore" and manifest["format"] == 1
    assert manifest["seed"] == 5 and manifest["futures"] == 12 and manifest["policies"] == 3
    assert manifest["samples"] == 64 and manifest["levers"] == {"missiles": [10, 60],
                                                               "restrikes": [0, 2]}
    assert manifest["version"] and Scenario.from_text(manifest["scenario"]).to_yaml() == (
        BASELINE.to_yaml())
    assert set(manifest["uncertain"]) == set(uncertain_ranges(BASELINE))
    expected = (["future", "policy"] + manifest["inputs"]
                + [f"{o}.{s}" for o in OUTPUTS for s in STATS])
    assert list(table.columns) == expected
    share = table["capacity_loss.mean"]
    assert ((share >= 0) & (share <= 1)).all() and share.std() > 0.01
    p10, p50, p90 = (table[f"drones_denied.{s}"] for s in ("p10", "p50", "p90"))
    assert ((p10 <= p50) & (p50 <= p90)).all()
    assert [c[0] for c in calls] == list(range(1, 9)) and {c[1] for c in calls} == {8}
    assert not parts_folder(out).exists()  # the chunks are folded into the result


def test_a_finished_result_is_kept_and_another_is_not_overwritten(small_result, tmp_path):
    out, _, _ = small_result
    before = out.read_bytes()
    again = explore(small_design(), out, scheduler="inprocess")
    assert again.computed == 0 and out.read_bytes() == before
    with pytest.raises(ScenarioError, match="exists and holds another ensemble; choose another "
                                            "--out, or --overwrite"):
        explore(small_design(seed=6), out, scheduler="inprocess")
    copy = tmp_path / "copy.parquet"
    copy.write_bytes(before)
    replaced = explore(small_design(seed=6), copy, scheduler="inprocess", overwrite=True)
    assert replaced.computed == 8 and read_results(copy)[1]["seed"] == 6


def test_a_result_file_is_checked_when_read(tmp_path):
    text = tmp_path / "notes.parquet"
    text.write_text("not parquet")
    with pytest.raises(ScenarioError, match="is not a Parquet file"):
        read_results(text)
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"a": [1, 2]}), plain)
    with pytest.raises(ScenarioError, match="is not a whatif explore result \\(no manifest\\)"):
        read_results(plain)
    other = tmp_path / "other.parquet"
    pq.write_table(pa.table({"a": [1]}).replace_schema_metadata(
        {MANIFEST_KEY: json.dumps({"kind": "whatif explore", "format": 99})}), other)
    with pytest.raises(ScenarioError, match="of format 99; this whatif reads format 1"):
        read_results(other)
    partial = tmp_path / "partial.parquet"
    pq.write_table(pa.table({"future": [0]}).replace_schema_metadata(
        {MANIFEST_KEY: json.dumps({"kind": "whatif explore", "format": 1, "inputs": ["x"],
                                   "outputs": ["capacity_loss"]})}), partial)
    with pytest.raises(ScenarioError, match="lacks column\\(s\\) policy, x"):
        read_results(partial)
    with pytest.raises(ScenarioError, match="no such file"):
        read_results(tmp_path / "missing.parquet")


def test_another_runs_parts_are_refused(tmp_path):
    out = tmp_path / "r.parquet"
    folder = parts_folder(out)
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(small_design(seed=9).manifest()))
    with pytest.raises(ScenarioError, match="holds the chunks of another run \\(differs in "
                                            "seed"):
        explore(small_design(), out, scheduler="inprocess")
    assert (folder / "manifest.json").exists()  # nothing of it lost


# --- stopped and started again ----------------------------------------------------------------
RUNNER = """
import sys
from whatif.explore import design, explore
from whatif.scenario import Scenario
plan = design(Scenario.default(), 60, levers="missiles=10:60", policies=2, samples=500,
              seed=11, chunk_rows=2_000)
run = explore(plan, sys.argv[1], scheduler=sys.argv[2])
print(run.computed, run.reused)
"""


def _runner(out: Path, scheduler: str = "inprocess") -> list[str]:
    return [sys.executable, "-c", RUNNER, str(out), scheduler]


def test_a_killed_run_resumes_with_only_the_missing_chunks(tmp_path):
    whole = tmp_path / "whole.parquet"
    done = subprocess.run(_runner(whole), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["30", "0"]
    out = tmp_path / "killed.parquet"
    process = subprocess.Popen(_runner(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    folder = parts_folder(out)
    deadline = time.monotonic() + 300
    while len(list(folder.glob("chunk-*.parquet"))) < 4:
        assert process.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    kept = len(list(folder.glob("chunk-*.parquet")))
    assert 4 <= kept < 30 and not out.exists()
    resumed = subprocess.run(_runner(out), capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    computed, reused = map(int, resumed.stdout.split())
    assert (computed, reused) == (30 - kept, kept)
    assert out.read_bytes() == whole.read_bytes()  # the same file as an unbroken run


# --- Dask ---------------------------------------------------------------------------------------
def test_dask_local_cluster_gives_the_same_file_as_a_plain_loop(small_result, tmp_path):
    out, _, _ = small_result
    for workers in (1, 2):
        local = tmp_path / f"local-{workers}.parquet"
        run = explore(small_design(), local, scheduler="local", workers=workers)
        assert run.engine == (f"a Dask local cluster ({workers} worker thread"
                              f"{'s' if workers > 1 else ''})")
        assert local.read_bytes() == out.read_bytes()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_a_real_scheduler_with_two_workers_gives_the_same_file(small_result, tmp_path):
    out, _, _ = small_result
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = [subprocess.Popen(
        [str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=open(logs / "s", "w"),
        start_new_session=True)]
    try:
        from distributed import Client

        for i in range(2):
            processes.append(subprocess.Popen(
                [str(bin_dir / "dask"), "worker", address, "--nthreads", "1", "--nworkers", "1",
                 "--no-dashboard"], stdout=subprocess.DEVNULL,
                stderr=open(logs / f"w{i}", "w"), start_new_session=True, cwd=tmp_path))
        deadline = time.monotonic() + 120
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    client.wait_for_workers(2, timeout=120)
                    assert len(client.scheduler_info()["workers"]) == 2
                break
            except OSError:
                assert time.monotonic() < deadline, (logs / "s").read_text()[-2000:]
                time.sleep(0.5)
        remote = tmp_path / "remote.parquet"
        run = explore(small_design(), remote, scheduler=address)
        assert run.engine == f"the Dask cluster at {address} (2 worker threads)"
        assert remote.read_bytes() == out.read_bytes()
        # the CLI on the same cluster
        cli = tmp_path / "cli.parquet"
        assert main(["explore", "baseline", "--futures", "12", "--levers",
                     "missiles=10:60,restrikes=0:2", "--policies", "3", "--samples", "64",
                     "--seed", "5", "--out", str(cli), "--scheduler", address, "--quiet"]) == 0
        assert pd.read_parquet(cli).shape == pd.read_parquet(out).shape
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def test_a_scheduler_that_does_not_answer_keeps_what_is_done(tmp_path):
    out = tmp_path / "r.parquet"
    address = f"tcp://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    with pytest.raises(ParameterError, match=f"scheduler: the Dask scheduler at '{address}' did "
                                             "not answer within 2 s"):
        explore(small_design(), out, scheduler=address, scheduler_timeout_s=2)
    assert time.monotonic() - started < 30
    assert (parts_folder(out) / "manifest.json").exists()
    for bad in ("http://x", "tcp://", "", "local host"):
        with pytest.raises(ParameterError, match="scheduler"):
            explore(small_design(), out, scheduler=bad)


# --- the command ----------------------------------------------------------------------------------
def test_the_command(tmp_path, capsys):
    out = tmp_path / "cli.parquet"
    args = ["explore", "baseline", "--futures", "12", "--levers", "missiles=10:60,restrikes=0:2",
            "--policies", "3", "--samples", "64", "--seed", "5", "--out", str(out),
            "--scheduler", "inprocess", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["experiments"] == 36 and report["computed_chunks"] == 1
    assert report["engine"] == "inprocess"
    table, manifest = read_results(out)
    assert manifest["chunk_rows"] == 100_000 and len(table) == 36
    assert main(args[:-1] + ["--quiet"]) == 0  # done already: nothing computed
    assert "0 chunks computed, 1 kept from before" in capsys.readouterr().out
    for bad, message in ((["--levers", "foo=1:2"], "levers: 'foo' is not a numeric assumption"),
                         (["--futures", "0"], "futures: 0 is out of range"),
                         (["--out", str(tmp_path / "x.csv")], "the result is Parquet"),
                         (["--scheduler", "nowhere"], "scheduler: 'nowhere' is not a scheduler "
                                                      "address")):
        argv = ["explore", "baseline", "--futures", "5", "--out", str(tmp_path / "y.parquet"),
                "--quiet"] + bad
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err and "Traceback" not in err


# --- scenario discovery on an ensemble ------------------------------------------------------------
def test_discovery_on_a_scenario_with_two_uncertain_assumptions(tmp_path, capsys):
    """Only kill probability and air-defence engagements are uncertain: the box restricts
    only those, in the direction that helps (more kill, fewer engagements), and its coverage
    and density are what the table says."""
    uncertain = {"aimpoint_kill_probability", "defense_engagements"}
    fixed = {n: BASELINE.values[n].central for n in uncertain_ranges(BASELINE)
             if n not in uncertain}
    scenario = BASELINE.with_values(**fixed)
    assert set(uncertain_ranges(scenario)) == uncertain
    out = tmp_path / "two.parquet"
    explore(design(scenario, 400, samples=100, seed=3), out, scheduler="inprocess")
    assert main(["discover", str(out), "--output", "capacity_loss", "--at-least", "0.9",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    table, _ = read_results(out)
    met = table["capacity_loss.mean"] >= 0.9
    assert report["share_met"] == pytest.approx(met.mean(), abs=1e-12)
    assert 0.1 < report["share_met"] < 0.9
    box = report["boxes"][0]
    assert set(box["limits"]) <= uncertain and box["limits"]
    inside = np.ones(len(table), dtype=bool)
    for name, (low, high) in box["limits"].items():
        inside &= (table[name] >= low) & (table[name] <= high)
    assert box["coverage"] == pytest.approx((inside & met).sum() / met.sum(), abs=1e-12)
    assert box["density"] == pytest.approx((inside & met).sum() / inside.sum(), abs=1e-12)
    if "aimpoint_kill_probability" in box["limits"]:  # kill probability helps: a floor
        low, high = box["limits"]["aimpoint_kill_probability"]
        assert low > 0.5 and high == pytest.approx(table["aimpoint_kill_probability"].max())
    if "defense_engagements" in box["limits"]:  # engagements hurt: a ceiling
        low, high = box["limits"]["defense_engagements"]
        assert low == table["defense_engagements"].min() and high < 20
    assert main(["discover", str(out), "--output", "capacity_loss", "--at-least", "0.9"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"capacity_loss (mean) ≥ 0.9 in {report['share_met'] * 100:.0f} % of "
                           "400 experiments.")
    assert "Box 1: coverage" in text and "aimpoint_kill_probability ≥" in text


def test_discover_refuses_what_is_not_an_explore_result(tmp_path, capsys):
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"a": [1, 2]}), plain)
    cases = ((["discover", str(plain), "--at-least", "0.5"], "is not a whatif explore result"),
             (["discover", str(tmp_path / "none.parquet"), "--at-least", "0.5"], "no such file"))
    for argv, message in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err and "Traceback" not in err
