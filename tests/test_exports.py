"""Exports (whatif/exports.py): every sample of a run as a CSV, Parquet or Excel file.

``whatif run SCENARIO --samples-out FILE`` writes one row per sample: ``sample``, the
numeric assumptions the sample used, the trend path's parameters (trend path only), the
sites' own assumptions, every output and the sites' capacity loss. Each file is read back
and compared with ``simulate(scenario, samples, seed)``: CSV and Parquet exactly, Excel to
its 16 significant digits. Bad paths and extensions are refused before the run (exit 2,
one line); a failed write leaves no file and no part of one. The app's download bytes are
checked against the same table (tests/test_ui.py clicks the buttons).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from test_cli import BASELINE, SCENARIOS, assert_bad_input, call_main, run_cli

from whatif import exports
from whatif.engine import simulate
from whatif.errors import ParameterError, WhatifError
from whatif.model.layout import DERIVED_INPUTS
from whatif.outputs import OUTPUTS
from whatif.params import NUMERIC, REGISTRY
from whatif.scenario import Scenario
from whatif.views import headline, run, scenarios

SYSTEM = SCENARIOS / "system-two-lines.yaml"
TARGET = SCENARIOS / "stated-target.yaml"  # the target path: no trend parameters
#: Excel keeps 16 significant digits (openpyxl writes "%.16g"): a relative error <= 5e-16
EXCEL_RTOL = 1e-15


def read_table(path, suffix: str | None = None) -> pd.DataFrame:
    """A samples file (or its bytes, with ``suffix``) read back with pandas."""
    suffix = suffix or os.path.splitext(str(path))[1]
    source = io.BytesIO(path) if isinstance(path, bytes) else path
    if suffix == ".csv":
        return pd.read_csv(source)
    if suffix == ".parquet":
        return pd.read_parquet(source)
    return pd.read_excel(source, sheet_name="samples")


def assert_matches_simulation(table: pd.DataFrame, result, suffix: str) -> None:
    """``table`` holds exactly ``result``'s samples: inputs, outputs, and their order."""
    rows = max(result.samples, 1)
    assert len(table) == rows
    assert table["sample"].tolist() == list(range(rows))
    expected = pd.concat([result.inputs, result.outputs], axis=1)
    got = table[list(expected.columns)].to_numpy(dtype=float)
    if suffix == ".xlsx":
        np.testing.assert_allclose(got, expected.to_numpy(), rtol=EXCEL_RTOL, atol=0)
    else:  # CSV holds the shortest exact text of each float; Parquet the float itself
        np.testing.assert_array_equal(got, expected.to_numpy())


def no_temporary_files(folder) -> bool:
    return not [p for p in os.listdir(folder) if p.endswith(".tmp")]


# --- the table -------------------------------------------------------------------------

def test_columns_are_the_registries_names_in_order():
    result = simulate(Scenario.from_yaml(BASELINE), samples=50, seed=2)
    table = exports.samples_table(result)
    assert list(table.columns) == ["sample", *NUMERIC, *DERIVED_INPUTS, *OUTPUTS]
    np.testing.assert_array_equal(table[list(DERIVED_INPUTS)], result.trend_inputs)
    info = exports.column_info(result.scenario)
    assert info["missiles"] == ("missiles", REGISTRY["missiles"].label)
    assert info["drones_denied"] == ("drones", OUTPUTS["drones_denied"].label)
    assert info["trend_start_level"][0] == "UAVs/day"  # the record's unit (layout)
    target = simulate(Scenario.from_yaml(TARGET), samples=0)  # no trend: no trend columns
    assert list(exports.samples_table(target).columns) == ["sample", *NUMERIC, *OUTPUTS]


def test_system_table_has_the_sites_inputs_and_outputs():
    result = simulate(Scenario.from_yaml(SYSTEM), samples=200, seed=5)
    table = exports.samples_table(result)
    sites = ["line-a", "line-b", "engines"]
    assert list(table.columns)[-3:] == [f"site:{s}:capacity_loss" for s in sites]
    for site in sites:
        np.testing.assert_array_equal(table[f"site:{site}:capacity_loss"],
                                      result.site_outputs[site])
    # the engine maker's own defence is drawn per sample ({low 0, mode 4, high 10})
    own = table["site:engines:defense_engagements"]
    np.testing.assert_array_equal(own, result.site_inputs["engines:defense_engagements"])
    assert own.nunique() > 3 and own.between(0, 10).all()
    # the per-site samples summarise to the run's per-site summary
    np.testing.assert_allclose(table["site:line-a:capacity_loss"].mean(),
                               result.sites.loc["line-a", "mean"])


# --- whatif run --samples-out -----------------------------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_samples_out_round_trips(tmp_path, capsys, suffix):
    path = tmp_path / f"samples{suffix}"
    rc, out, err = call_main(["run", BASELINE, "--samples", "300", "--seed", "4",
                              "--samples-out", path], capsys)
    assert rc == 0 and err == "", err
    result = simulate(Scenario.from_yaml(BASELINE), samples=300, seed=4)
    table = read_table(path)
    assert list(table.columns) == list(exports.column_info(result.scenario))
    assert_matches_simulation(table, result, suffix)
    # the table as usual, then one line saying where the samples went
    assert out.startswith("Baseline") and "drones_denied" not in out.splitlines()[0]
    assert out.splitlines()[-1] == f"samples: 300 rows (inputs and outputs) written to {path}"
    assert no_temporary_files(tmp_path)


def test_samples_out_parquet_keeps_units_and_the_run(tmp_path, capsys):
    path = tmp_path / "run.parquet"
    rc, _, _ = call_main(["run", BASELINE, "--samples", "20", "--seed", "9",
                          "--samples-out", path], capsys)
    assert rc == 0
    schema = pq.read_schema(path)
    assert schema.field("missiles").metadata == {b"unit": b"missiles"}
    assert schema.field("grid_gw_days_averted").metadata == {b"unit": "GW·days".encode()}
    meta = schema.metadata
    units = json.loads(meta[b"whatif.units"])
    assert units["defeat_rate"] == "share" and units["strike_cost_usd"] == "USD"
    assert meta[b"whatif.scenario"].decode() == Scenario.from_yaml(BASELINE).title
    assert (meta[b"whatif.samples"], meta[b"whatif.seed"]) == (b"20", b"9")


def test_samples_out_excel_has_units_and_run_sheets(tmp_path, capsys):
    path = tmp_path / "run.xlsx"
    rc, _, _ = call_main(["run", SYSTEM, "--samples", "30", "--samples-out", path], capsys)
    assert rc == 0
    units = pd.read_excel(path, sheet_name="units", keep_default_na=False)
    assert list(units.columns) == ["column", "unit", "label"]
    assert units["column"].tolist() == list(read_table(path).columns)
    row = units.set_index("column").loc["site:engines:defense_engagements"]
    assert row["unit"] == "missiles" and "site engines" in row["label"]
    about = pd.read_excel(path, sheet_name="run", header=None, index_col=0)[1].astype(str)
    assert about["samples"] == "30" and about["seed"] == "0"
    assert about["scenario"] == "Two assembly lines and an engine supplier"


def test_samples_out_system_csv_round_trips_the_sites(tmp_path, capsys):
    path = tmp_path / "system.csv"
    rc, _, err = call_main(["run", SYSTEM, "--samples", "120", "--seed", "1",
                            "--samples-out", path], capsys)
    assert rc == 0, err
    result = simulate(Scenario.from_yaml(SYSTEM), samples=120, seed=1)
    table = read_table(path)
    assert_matches_simulation(table, result, ".csv")
    pd.testing.assert_frame_equal(table, exports.samples_table(result), check_exact=True)


def test_samples_out_deterministic_is_one_row(tmp_path, capsys):
    path = tmp_path / "point.csv"
    rc, out, _ = call_main(["run", BASELINE, "--samples", "0", "--set", "missiles=60",
                            "--samples-out", path], capsys)
    assert rc == 0 and out.splitlines()[-1].startswith("samples: 1 row (")
    scenario = Scenario.from_yaml(BASELINE).with_values(missiles=60)
    result = simulate(scenario, samples=0)
    table = read_table(path)
    assert_matches_simulation(table, result, ".csv")
    assert table.loc[0, "missiles"] == 60
    assert table.loc[0, "launch_reliability"] == scenario.central("launch_reliability")
    assert table.loc[0, "capacity_loss"] == result.summary.loc["capacity_loss", "mean"]


def test_samples_out_with_json_keeps_stdout_clean(tmp_path, capsys):
    path = tmp_path / "s.parquet"
    rc, out, err = call_main(["run", BASELINE, "--samples", "40", "--json",
                              "--samples-out", path], capsys)
    assert rc == 0
    plain_rc, plain, _ = call_main(["run", BASELINE, "--samples", "40", "--json"], capsys)
    assert plain_rc == 0 and json.loads(out) == json.loads(plain)  # unchanged by the export
    assert err == f"samples: 40 rows (inputs and outputs) written to {path}\n"
    assert len(read_table(path)) == 40


def test_samples_out_replaces_a_file_whole(tmp_path, capsys):
    path = tmp_path / "s.csv"
    path.write_text("old,contents\n" * 10_000)
    os.chmod(path, 0o600)
    rc, _, _ = call_main(["run", BASELINE, "--samples", "10", "--samples-out", path], capsys)
    assert rc == 0
    assert len(read_table(path)) == 10 and "old" not in path.read_text()
    assert os.stat(path).st_mode & 0o777 == 0o600  # its permissions kept
    assert no_temporary_files(tmp_path)


# --- refused before the run -------------------------------------------------------------

@pytest.fixture()
def no_simulation(monkeypatch):
    """Fail the test if the CLI runs the model (a refusal must come first)."""
    def refuse(*args, **kwargs):
        raise AssertionError("the simulation ran before the bad --samples-out was refused")

    monkeypatch.setattr("whatif.cli.simulate", refuse)


@pytest.mark.parametrize("name, needles", [
    ("samples.txt", ["--samples-out", "samples.txt", "unknown file type .txt",
                     ".csv (CSV), .parquet (Parquet), .xlsx (Excel)"]),
    ("samples", ["--samples-out", "(none)", ".csv", ".parquet", ".xlsx"]),
    ("samples.CSV.gz", ["unknown file type .gz"]),
    ("missing-folder/samples.csv", ["--samples-out", "missing-folder", "does not exist"]),
    ("a-folder.csv", ["--samples-out", "is a folder"]),
])
def test_bad_samples_out_is_one_line_and_no_file(tmp_path, capsys, no_simulation, name,
                                                 needles):
    (tmp_path / "a-folder.csv").mkdir()
    before = sorted(os.listdir(tmp_path))
    rc, out, err = call_main(["run", BASELINE, "--samples", "100",
                              "--samples-out", tmp_path / name], capsys)
    assert_bad_input(rc, out, err, *needles)
    assert sorted(os.listdir(tmp_path)) == before  # nothing written


def test_excel_row_limit_is_refused_before_the_run(tmp_path, capsys, no_simulation):
    rows = exports.EXCEL_MAX_ROWS  # and the header: one too many
    rc, out, err = call_main(["run", BASELINE, "--samples", rows,
                              "--samples-out", tmp_path / "big.xlsx"], capsys)
    assert_bad_input(rc, out, err, "1,048,576 samples and a header row", "1,048,576 rows",
                     "at most 1,048,575 samples in .xlsx")
    assert os.listdir(tmp_path) == []


def test_excel_limits_in_numbers():
    exports.check_table_size(".xlsx", exports.EXCEL_MAX_ROWS - 1, exports.EXCEL_MAX_COLUMNS,
                             "--samples-out")  # exactly full: allowed
    with pytest.raises(ParameterError, match="16,384"):
        exports.check_table_size(".xlsx", 10, exports.EXCEL_MAX_COLUMNS + 1, "--samples-out")
    exports.check_table_size(".csv", 10**9, 10**6, "--samples-out")  # no limit but the run's


def test_bad_samples_out_subprocess(tmp_path):
    proc = run_cli("run", BASELINE, "--samples-out", tmp_path / "x.json")
    assert_bad_input(proc.returncode, proc.stdout, proc.stderr, "--samples-out",
                     "unknown file type .json", ".csv")
    assert os.listdir(tmp_path) == []


# --- atomic writes ----------------------------------------------------------------------

def _half_then(error: BaseException):
    """A stand-in for write_table that writes half a file, then fails with ``error``."""
    def write(table, out, *args, **kwargs):
        out.write(b"sample,missiles\n0,3")
        raise error

    return write


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"),
                                   KeyboardInterrupt()])
def test_a_failed_write_leaves_no_part(tmp_path, capsys, monkeypatch, error):
    kept = tmp_path / "kept.csv"
    kept.write_text("sample\n0\n")
    monkeypatch.setattr(exports, "write_table", _half_then(error))
    for path in (tmp_path / "new.csv", kept):
        rc, out, err = call_main(["run", BASELINE, "--samples", "10",
                                  "--samples-out", path], capsys)
        if isinstance(error, OSError):
            assert_bad_input(rc, out, err, "--samples-out", path.name, "cannot write it",
                             "No space left on device")
        else:
            assert rc == 130
    assert sorted(os.listdir(tmp_path)) == ["kept.csv"]  # no new file, no temporary file
    assert kept.read_text() == "sample\n0\n"  # the old file as it was


def test_write_atomic_names_an_unusable_folder(tmp_path):
    with pytest.raises(WhatifError, match="cannot write there: no such file"):
        exports.write_atomic(tmp_path / "gone" / "x.csv", lambda out: None, "--samples-out")


# --- the app's downloads (whatif.views.scenarios) -----------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_samples_download_bytes_are_the_samples_table(suffix):
    settings = run.RunSettings(mode="mc", samples=500, seed=3)
    result, _ = run.run(Scenario.from_yaml(BASELINE), settings)
    name, data, mime = scenarios.samples_download(result, suffix)
    assert name == f"baseline-public-figure-defaults-samples{suffix}"
    assert mime == exports.FORMATS[suffix][1]
    table = read_table(data, suffix)
    assert list(table.columns) == list(exports.samples_table(result).columns)
    assert_matches_simulation(table, simulate(Scenario.from_yaml(BASELINE), 500, 3), suffix)
    link = scenarios.download_html(name, data, mime)
    assert f'download="{name}"' in link and f"data:{mime};base64," in link


def test_samples_download_is_bounded(monkeypatch):
    result = simulate(Scenario.from_yaml(BASELINE), samples=100, seed=0)
    columns = len(exports.column_info(result.scenario))
    # the app's largest run fits
    assert max(run.SAMPLE_CHOICES) * columns <= scenarios.MAX_DOWNLOAD_CELLS
    monkeypatch.setattr(scenarios, "MAX_DOWNLOAD_CELLS", 100 * columns - 1)
    with pytest.raises(WhatifError, match=r"100 rows × \d+ columns are more than the app "
                                          r"offers.*--samples-out"):
        scenarios.samples_download(result)


def test_download_link_carries_bytes():
    data = bytes(range(256))
    html = scenarios.download_html("x.xlsx", data, "application/octet-stream")
    encoded = re.search(r'base64,([^"]+)"', html).group(1)
    assert base64.b64decode(encoded) == data


def test_compare_table_has_the_rows_on_screen():
    a = Scenario.from_yaml(BASELINE)
    b = Scenario.from_yaml(SCENARIOS / "kagan-optimistic.yaml")
    settings = run.RunSettings(mode="mc", samples=500, seed=2)
    runs = [run.run(s, settings) for s in (a, b)]
    figures = [headline.headline_figures(*r) for r in runs]
    html = scenarios.compare_table_html(a, b, *figures)
    table = scenarios.compare_table(a, b, runs)
    assert len(table) == html.count("<tr>") - 1 == 8  # one row per figure shown
    assert table["figure"].tolist() == [f.label for f in figures[0]]
    assert table[f"A: {a.title}"].tolist() == [f.value for f in figures[0]]
    assert table[f"B: {b.title}"].tolist() == [f.value for f in figures[1]]
    for value in table[f"B: {b.title}"]:
        assert f"<b>{value}</b>" in html
    loss = table.set_index("output").loc["capacity_loss"]
    assert loss["A p50"] == runs[0][0].summary.loc["capacity_loss", "p50"]
    assert loss["B mean"] == runs[1][0].summary.loc["capacity_loss", "mean"]
    missiles = table.set_index("output").loc["missiles_needed"]
    assert missiles["A p50"] == runs[0][1].missiles_needed and missiles["unit"] == "missiles"

    name, data, mime = scenarios.compare_download(a, b, table)
    assert name.startswith("compare-baseline") and name.endswith(".csv") and mime == "text/csv"
    back = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert list(back.columns) == list(table.columns)
    for column in table.columns:
        if pd.api.types.is_numeric_dtype(table[column]):  # the numbers (empty cell: none)
            np.testing.assert_array_equal(
                pd.to_numeric(back[column].replace("", np.nan)), table[column])
        else:  # the text shown
            assert back[column].tolist() == table[column].tolist(), column
    name, data, _ = scenarios.compare_download(a, b, table, ".xlsx")
    sheet = pd.read_excel(io.BytesIO(data), sheet_name="compare")
    assert sheet["output"].tolist() == table["output"].tolist()
    np.testing.assert_allclose(sheet["B p90"], table["B p90"], rtol=EXCEL_RTOL)
