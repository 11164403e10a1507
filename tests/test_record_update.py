"""``whatif record update`` and :mod:`whatif.record`: the one derivation of the monthly launch
record reproduces the committed file byte for byte; a longer copy adds its months (partial
ones flagged), moves day 0 and refits; bad copies change nothing (exit 2, one line); the
defaults change only with ``--write-defaults``, and then only their two rows.

Every test that runs the command points ``$WHATIF_DATA_DIR`` at a copy of ``data/`` in
``tmp_path``; the repository's ``data/`` is checked to be untouched.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

import whatif.calibrate as calibrate_module
import whatif.record as record
from whatif.calibrate import calibrate, day_zero, load_record
from whatif.cli import main
from whatif.record import (
    MODEL,
    RecordError,
    derive_monthly,
    monthly_rows,
    new_defaults,
    parse_daily,
    rewrite_defaults,
)
from whatif.resources import DATA_ENV

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
MONTHLY = DATA / "historical" / "uav_launches_monthly.csv"
ASSUMPTIONS = DATA / "assumptions.csv"
# ../shared of the checkout (of the main checkout, for a worktree in a folder beside it)
DAILY = next((path for path in (folder / "shared" / "data" / "missile_attacks_daily.csv"
                                for folder in REPO.parents[:2]) if path.exists()),
             REPO.parent / "shared" / "data" / "missile_attacks_daily.csv")
needs_daily = pytest.mark.skipif(not DAILY.exists(),
                                 reason="the daily record (../shared/data) is not here")

#: the daily record's header (the Kaggle file's 22 columns)
HEADER = ["time_start", "time_end", "model", "launch_place", "target", "target_main",
          "launched", "destroyed", "not_reach_goal", "still_attacking", "border_crossing",
          "is_shahed", "num_hit_location", "num_fall_fragment_location", "carrier", "turbojet",
          "turbojet_destroyed", "affected region", "destroyed_details", "launched_details",
          "launch_place_details", "source"]
SOURCE = "kpszsu/posts/made-up"
# made-up reports after the real copy: one a night, each 150 launched, 120 destroyed,
# 6 locationally lost, "of which 90 Shaheds"
LAUNCHED, DESTROYED, LOST, SHAHEDS = 150, 120, 6, 90
# the real copy's last report (31 Dec 2025 18:00 to 1 Jan 2026 08:30), which counts in January
JAN_1 = {"launched": 205, "destroyed": 176, "lost": 0, "shahed": 130}


def daily_row(start: str, end: str, launched="150.0", destroyed="120.0", lost="6.0",
              shahed="90.0", model: str = MODEL, source: str = SOURCE,
              target: str = "Ukraine") -> dict[str, str]:
    row = dict.fromkeys(HEADER, "")
    row.update(time_start=start, time_end=end, model=model, source=source, target=target,
               launched=launched, destroyed=destroyed, not_reach_goal=lost, is_shahed=shahed)
    return row


def daily_text(rows: list[dict[str, str]], header: list[str] = HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n",
                            extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def nightly_rows(first_launch: str, last_launch: str,
                 varied: bool = False) -> list[dict[str, str]]:
    """One made-up report a night: launched at 18:00 on each day from ``first_launch`` to
    ``last_launch``, published at 08:00 the next morning. Each reports :data:`LAUNCHED`
    and the rest, or (``varied``) a count that grows and scatters, so that a fit is
    well posed."""
    rows = []
    for number, day in enumerate(pd.date_range(first_launch, last_launch, freq="D")):
        counts = {}
        if varied:
            launched = 20 + number // 8 + 15 * (number % 7) + 9 * (number % 5)
            counts = {"launched": f"{launched}.0", "destroyed": f"{launched * 4 // 5}.0",
                      "lost": f"{number % 3}.0", "shahed": f"{launched * (3 + number % 2) // 5}.0"}
        rows.append(daily_row(f"{day:%Y-%m-%d} 18:00",
                              f"{day + pd.Timedelta(days=1):%Y-%m-%d} 08:00", **counts))
    return rows


def extended_copy(tmp_path: Path) -> Path:
    """The real copy plus reports launched 1 Jan to 10 Feb 2026: January published on the
    2nd to the 31st (and the real copy's report of the 1st), February on the 1st to the 10th
    (the report published on the 11th waits for the next copy)."""
    path = tmp_path / "daily-2026-02-10.csv"
    text = DAILY.read_text(encoding="utf-8")
    path.write_text(text + daily_text(nightly_rows("2026-01-01", "2026-02-10")).split("\n", 1)[1],
                    encoding="utf-8")
    return path


@pytest.fixture
def data_copy(tmp_path, monkeypatch) -> Path:
    """A copy of data/ in tmp_path, made the data folder in use; data/ is checked unchanged."""
    before = {path: path.read_bytes() for path in (MONTHLY, ASSUMPTIONS)}
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    monkeypatch.setenv(DATA_ENV, str(folder))
    yield folder
    assert {path: path.read_bytes() for path in before} == before, "data/ was modified"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def run(argv: list, capsys) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def monthly(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["month"]: row for row in csv.DictReader(handle)}


# --- one derivation ------------------------------------------------------------------------

@needs_daily
def test_the_derivation_reproduces_the_committed_monthly_file_byte_for_byte():
    assert derive_monthly(DAILY).encode("utf-8") == MONTHLY.read_bytes()
    copy = record.read_daily(DAILY)
    # the compiler's own dating of the copy: 2022-09-28 to 2025-12-31
    assert (copy.first_day.isoformat(), copy.last_day.isoformat()) == ("2022-09-28",
                                                                       "2025-12-31")
    assert copy.rows == 3247 and len(copy.reports) == 845


@needs_daily
def test_the_script_is_a_thin_runner_of_the_same_derivation(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "derive_monthly", DATA / "historical" / "derive_monthly.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "monthly.csv"
    assert script.main([str(DAILY), "--out", str(out)]) == 0
    assert out.read_bytes() == MONTHLY.read_bytes()
    # it keeps the notes the output file already has
    edited = MONTHLY.read_text(encoding="utf-8").replace(
        "cross-check: AP 5,438 launched", "cross-check: AP 5,438 launched (edited)")
    out.write_text(edited, encoding="utf-8")
    assert script.main([str(DAILY), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == edited
    assert script.main([str(tmp_path / "missing.csv"), "--out", str(out)]) == 2


def test_partial_months_first_and_last_are_flagged_with_days_and_a_note():
    text = daily_text([
        daily_row("2024-01-15", "2024-01-15", launched="10.0", destroyed="9.0", lost="",
                  shahed=""),
        *nightly_rows("2024-01-16", "2024-03-06"),  # the last report is published 7 Mar
        daily_row("2024-02-02 18:00", "2024-02-03 08:00", source="PvKPivden/posts/1",
                  launched="999.0"),  # a regional command: not counted
        daily_row("2024-02-03 18:00", "2024-02-04 08:00", model="Kalibr", launched="999.0"),
    ])
    rows = monthly_rows(parse_daily(text))
    assert [(r["month"], r["days_covered"]) for r in rows] == [
        ("2024-01", 17), ("2024-02", 29), ("2024-03", 6)]
    january, february, march = rows
    # January: the 15th's report and the nights published 17 to 31 Jan
    assert january["uav_launched"] == 10 + 15 * LAUNCHED
    assert january["uav_destroyed"] == 9 + 15 * DESTROYED
    assert january["neutralised_share"] == f"{(9 + 15 * (DESTROYED + LOST)) / 2260:.3f}"
    assert january["shahed_share_where_reported"] == "0.600"  # 15 × 90 / (15 × 150)
    assert january["notes"] == "partial month: the record starts on 15 Jan 2024"
    assert february["uav_launched"] == 29 * LAUNCHED and february["notes"] == ""
    assert february["neutralised_share"] == "0.840"  # (120 + 6) / 150
    # March: published 1 to 6 Mar (launched 29 Feb to 5 Mar); the 7 Mar report waits
    assert march["uav_launched"] == 6 * LAUNCHED
    assert march["notes"] == "partial month: the record ends on 6 Mar 2024"
    for row in rows:
        assert row["source"] == record.SOURCE and row["reliability"] == "A"
        assert row["source_url"].startswith("https://www.kaggle.com/")


def test_two_targets_of_one_post_are_two_reports_but_a_repeated_row_is_refused():
    first = daily_row("2022-11-01 01:30", "2022-11-01 03:00", target="Poltava oblast")
    second = daily_row("2022-11-01 01:30", "2022-11-01 03:00", target="Dnipropetrovsk oblast")
    rows = monthly_rows(parse_daily(daily_text([first, second])))
    assert rows[0]["uav_launched"] == 2 * LAUNCHED
    with pytest.raises(RecordError, match="line 4 repeats the report of line 2"):
        parse_daily(daily_text([first, second, first]))


# --- whatif record update ------------------------------------------------------------------

@needs_daily
def test_the_real_copy_changes_nothing_and_prints_the_same_fits(data_copy, capsys):
    before = snapshot(data_copy)
    rc, out, err = run(["record", "update", DAILY, "--json"], capsys)
    assert rc == 0 and err == ""
    report = json.loads(out)
    assert report["record_written"] is False and report["new_months"] == []
    assert report["changed_months"] == [] and report["outside_new_interval"] == []
    fits = calibrate()  # the committed record (the data copy's is the same)
    for name, estimate in fits.estimates.items():
        for side in ("old", "new"):
            assert report["fits"][name][side]["value"] == pytest.approx(estimate.value, rel=1e-9)
            assert report["fits"][name][side]["low"] == pytest.approx(estimate.low, rel=1e-9)
    assert report["held"]["day_zero"] == report["updated"]["day_zero"] == "2026-01-01"
    assert snapshot(data_copy) == before


@needs_daily
def test_a_longer_copy_adds_its_months_moves_day_zero_and_refits(data_copy, tmp_path, capsys):
    daily = extended_copy(tmp_path)
    assumptions = (data_copy / "assumptions.csv").read_bytes()
    old = calibrate(load_record(MONTHLY))
    rc, out, err = run(["record", "update", daily], capsys)
    assert rc == 0 and err == ""
    rows = monthly(data_copy / "historical" / "uav_launches_monthly.csv")
    assert list(rows)[-3:] == ["2025-12", "2026-01", "2026-02"] and len(rows) == 42
    january, february = rows["2026-01"], rows["2026-02"]
    assert january["days_covered"] == "31" and february["days_covered"] == "10"
    assert int(january["uav_launched"]) == JAN_1["launched"] + 30 * LAUNCHED  # 4,705
    assert int(january["uav_destroyed"]) == JAN_1["destroyed"] + 30 * DESTROYED
    assert january["neutralised_share"] == f"{(176 + 30 * (DESTROYED + LOST)) / 4705:.3f}"
    assert january["shahed_share_where_reported"] == f"{(130 + 30 * SHAHEDS) / 4705:.3f}"
    assert int(february["uav_launched"]) == 10 * LAUNCHED
    assert february["neutralised_share"] == "0.840"
    assert february["shahed_share_where_reported"] == "0.600"
    assert january["notes"] == ""
    assert february["notes"] == "partial month: the record ends on 10 Feb 2026"
    for row in (january, february):
        assert row["source"] == record.SOURCE and row["reliability"] == "A"
        assert row["source_url"] == record.SOURCE_URL
    # the 40 held months are unchanged, notes and all
    held = monthly(MONTHLY)
    assert {month: rows[month] for month in held} == held

    # day 0 is the day after the new record ends, wherever it is asked for
    assert day_zero() == pd.Timestamp("2026-02-11")
    assert calibrate_module.DAY_ZERO == pd.Timestamp("2026-02-11")
    assert calibrate_module.PRODUCTION_WINDOW == ("2024-01", "2026-02")
    assert calibrate_module.DEFEAT_WINDOW == ("2025-03", "2026-02")
    new_record = load_record()
    assert new_record["day"].iloc[-1] == pytest.approx(-5.0)  # mid 1–10 Feb
    assert new_record["uav_per_day"].iloc[-1] == pytest.approx(LAUNCHED)
    new = calibrate()

    # the old and the new fits, side by side, as `whatif calibrate` now gives them
    table = {line.split()[0]: line.split() for line in out.splitlines()
             if line.startswith(("production_now ", "defeat_rate "))}
    assert table["production_now"][1:] == [
        "drones/day", f"{old.production_now.value:.0f}",
        f"{old.production_now.low:.0f}-{old.production_now.high:.0f}",
        f"{new.production_now.value:.0f}",
        f"{new.production_now.low:.0f}-{new.production_now.high:.0f}"]
    assert table["defeat_rate"][1:] == [
        "share", f"{old.defeat_rate.value:.3f}",
        f"{old.defeat_rate.low:.3f}-{old.defeat_rate.high:.3f}",
        f"{new.defeat_rate.value:.3f}", f"{new.defeat_rate.low:.3f}-{new.defeat_rate.high:.3f}"]
    assert "Day 0 (the day after the record ends): 2026-01-01 -> 2026-02-11." in out
    assert "Partial month 2026-02: 10 days" in out
    # the held defaults against the new intervals, said for each
    for name, central in (("production_now", "99"), ("defeat_rate", "0.86")):
        inside = new.estimates[name].contains(float(central))
        assert f"Default {name} = {central} " in out
        assert (f"is {'inside' if inside else 'OUTSIDE'} the new interval" in
                next(line for line in out.splitlines() if line.startswith(f"Default {name}")))
    assert (data_copy / "assumptions.csv").read_bytes() == assumptions  # no --write-defaults

    # a second run on the same copy finds nothing to change
    rc, out, _ = run(["record", "update", daily, "--json"], capsys)
    report = json.loads(out)
    assert rc == 0 and report["record_written"] is False and report["new_months"] == []
    assert report["fits"]["defeat_rate"]["old"]["value"] == pytest.approx(
        new.defeat_rate.value, rel=1e-9)
    assert report["partial_months"][-1] == {
        "month": "2026-02", "days_covered": 10,
        "note": "partial month: the record ends on 10 Feb 2026"}

    # `whatif calibrate` fits the same windows as the update reported
    rc, out, _ = run(["calibrate", "--json"], capsys)
    fitted = json.loads(out)
    assert fitted["defeat_rate_window"] == ["2025-03", "2026-02"]
    assert fitted["defeat_rate"]["value"] == pytest.approx(new.defeat_rate.value, rel=1e-9)
    assert fitted["production_now"]["value"] == pytest.approx(new.production_now.value,
                                                              rel=1e-9)


@needs_daily
def test_json_gives_old_and_new_fits_with_interval_and_unit(data_copy, tmp_path, capsys):
    rc, out, err = run(["record", "update", extended_copy(tmp_path), "--json"], capsys)
    assert rc == 0 and err == ""
    report = json.loads(out)
    new = calibrate()
    old = calibrate(load_record(MONTHLY))
    for name in ("production_now", "defeat_rate"):
        fit = report["fits"][name]
        assert fit["unit"] == {"production_now": "drones/day", "defeat_rate": "share"}[name]
        for side, calibration in (("old", old), ("new", new)):
            estimate = calibration.estimates[name]
            assert fit[side]["value"] == pytest.approx(estimate.value, rel=1e-9)
            assert (fit[side]["low"], fit[side]["high"]) == pytest.approx(
                (estimate.low, estimate.high), rel=1e-9)
            assert fit[side]["level"] == 0.9
        assert report["defaults"][name]["within_new_interval"] == new.estimates[name].contains(
            report["defaults"][name]["central"])
    assert report["new_months"] == ["2026-01", "2026-02"]
    assert report["updated"] == {"first_month": "2022-09", "last_month": "2026-02",
                                 "months": 42, "last_day": "2026-02-10",
                                 "day_zero": "2026-02-11"}
    assert report["defaults_written"] is False and report["default_changes"] == {}


@needs_daily
def test_write_defaults_rewrites_only_the_two_rows(data_copy, tmp_path, capsys):
    path = data_copy / "assumptions.csv"
    before = path.read_text(encoding="utf-8")
    rc, out, err = run(["record", "update", extended_copy(tmp_path), "--write-defaults",
                        "--json"], capsys)
    assert rc == 0 and err == ""
    report = json.loads(out)
    after = path.read_text(encoding="utf-8")
    old_lines, new_lines = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old_lines) == len(new_lines)
    changed = {old.split(",", 1)[0] for old, new in zip(old_lines, new_lines, strict=True)
               if old != new}
    assert changed == {"production_now", "defeat_rate"}
    new = calibrate()
    old_rows = {row["name"]: row for row in csv.DictReader(io.StringIO(before))}
    new_rows = {row["name"]: row for row in csv.DictReader(io.StringIO(after))}
    for name, digits in (("production_now", 0), ("defeat_rate", 2)):
        estimate, was, now = new.estimates[name], old_rows[name], new_rows[name]
        assert float(now["central"]) == round(estimate.value, digits)
        assert float(now["low"]) == min(float(was["low"]),
                                        _floor(estimate.low, digits))
        assert float(now["high"]) == max(float(was["high"]),
                                         _ceil(estimate.high, digits))
        assert now["source_date"] == "2026-02-10"
        untouched = set(was) - {"central", "low", "high", "source_date"}
        assert {k: now[k] for k in untouched} == {k: was[k] for k in untouched}
        assert report["default_changes"][name]["source_date"] == [was["source_date"],
                                                                  "2026-02-10"]
    # the rewritten table still loads as the registry, with the new values
    from whatif.params import load_registry

    registry = load_registry(path)
    assert registry["production_now"].default.central == round(new.production_now.value)
    assert registry["defeat_rate"].default.central == round(new.defeat_rate.value, 2)


def _floor(value: float, digits: int) -> float:
    import math

    return math.floor(value * 10 ** digits) / 10 ** digits


def _ceil(value: float, digits: int) -> float:
    import math

    return math.ceil(value * 10 ** digits) / 10 ** digits


def test_new_defaults_widen_never_narrow_and_keep_the_bounds():
    current = {"central": 0.86, "low": 0.80, "high": 0.92, "lower_bound": 0.0,
               "upper_bound": 1.0}
    assert new_defaults(current, 0.833, 0.862, 0.887, 2) == {"central": 0.86, "low": 0.80,
                                                              "high": 0.92}
    assert new_defaults(current, 0.781, 0.842, 0.931, 2) == {"central": 0.84, "low": 0.78,
                                                              "high": 0.94}
    assert new_defaults(current, 0.95, 0.99, 1.2, 2)["high"] == 1.0  # the upper bound
    production = {"central": 99, "low": 90, "high": 200, "lower_bound": 0, "upper_bound": 5000}
    assert new_defaults(production, 83.76, 99.05, 117.14, 0) == {"central": 99, "low": 83,
                                                                  "high": 200}


def test_rewrite_defaults_keeps_every_other_byte():
    text = ('name,central,low,high,source_date,notes\r\n'
            'a,1,0,2,2020,"x, y"\r\n'
            'production_now,99,90,200,2025-09-05,"quoted, ""with"" commas\r\nand a line"\r\n'
            'defeat_rate,0.86,0.80,0.92,2025-12,plain\r\n'
            'z,1,0,2,2020,\r\n')
    values = {"production_now": {"central": 120.0, "low": 90.0, "high": 200.0},
              "defeat_rate": {"central": 0.86, "low": 0.78, "high": 0.92}}
    new, changes = rewrite_defaults(text, values, "2026-02-10")
    assert new == text.replace("production_now,99,90,200,2025-09-05",
                               "production_now,120,90,200,2026-02-10").replace(
        "defeat_rate,0.86,0.80,0.92,2025-12", "defeat_rate,0.86,0.78,0.92,2026-02-10")
    assert changes == {"production_now": {"central": ["99", "120"],
                                          "source_date": ["2025-09-05", "2026-02-10"]},
                       "defeat_rate": {"low": ["0.80", "0.78"],
                                       "source_date": ["2025-12", "2026-02-10"]}}


# --- bad copies: exit 2, one line, nothing written -----------------------------------------

def assert_refused(argv: list, capsys, folder: Path, *needles: str) -> str:
    before = snapshot(folder)
    rc, out, err = run(argv, capsys)
    assert "Traceback" not in err
    assert rc == 2 and out == "", (rc, out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("whatif: error: "), err
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert snapshot(folder) == before
    assert not [path for path in folder.rglob("*.tmp")]
    return lines[0]


def _write(tmp_path: Path, text: str, name: str = "daily.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# a copy that would be good (covers the held record and more) but for one defect
def _good_rows() -> list[dict[str, str]]:
    return nightly_rows("2022-09-28", "2026-01-10", varied=True)


BAD_COPIES = {
    "missing column": (lambda: daily_text(_good_rows(), [c for c in HEADER if c != "launched"]),
                       "missing the column(s) launched"),
    "date": (lambda: daily_text(_good_rows()[:5] + [daily_row("2025-13-01", "2025-13-02")]),
             "line 7: time_start '2025-13-01' is not a date"),
    "time": (lambda: daily_text([daily_row("2025-01-01 25:00", "2025-01-02 08:00")]),
             "time_start '2025-01-01 25:00' is not a date"),
    "negative": (lambda: daily_text(_good_rows()[:3] + [daily_row("2025-01-01", "2025-01-01",
                                                                  launched="-5.0")]),
                 "line 5: launched '-5.0' is negative"),
    "not a number": (lambda: daily_text([daily_row("2025-01-01", "2025-01-01",
                                                   destroyed="many")]),
                     "destroyed 'many' is not a count"),
    "duplicate": (lambda: daily_text(_good_rows()[:4] + _good_rows()[2:3]),
                  "line 6 repeats the report of line 4"),
    "ends early": (lambda: daily_text(nightly_rows("2022-09-28", "2025-11-20", varied=True)),
                   "covers up to 2025-11-20, before the held record, which covers up to "
                   "2025-12-31"),
    "lacks months": (lambda: daily_text([r for r in _good_rows()
                                         if not r["time_end"].startswith("2024-03")]),
                     "lacks 2024-03, which the held record has"),
    "starts late": (lambda: daily_text(nightly_rows("2023-01-01", "2026-01-10", varied=True)),
                    "lacks 2022-09, 2022-10, 2022-11 and 1 more"),
    "empty": (lambda: "", "empty"),
    "header only": (lambda: daily_text([]), "no reports"),
    "ragged row": (lambda: daily_text(_good_rows()[:2]) + "2025-01-01,2025-01-02\n",
                   "line 4 has 2 fields; the header has 22"),
}


@pytest.mark.parametrize("kind", list(BAD_COPIES))
def test_a_bad_copy_exits_2_with_one_line_and_changes_nothing(kind, data_copy, tmp_path, capsys):
    make, needle = BAD_COPIES[kind]
    daily = _write(tmp_path, make())
    assert_refused(["record", "update", daily, "--write-defaults"], capsys, data_copy, needle)


def test_the_good_copy_of_the_bad_copy_tests_is_accepted(data_copy, tmp_path, capsys):
    """The copy the bad ones are made from passes (so each test fails for its defect)."""
    rc, out, err = run(["record", "update", _write(tmp_path, daily_text(_good_rows())),
                        "--json"], capsys)
    assert rc == 0 and err == ""
    report = json.loads(out)
    assert report["updated"]["last_day"] == "2026-01-10"
    assert report["partial_months"] == [
        {"month": "2022-09", "days_covered": 3,
         "note": "partial month: the record starts on 28 Sep 2022"},
        {"month": "2026-01", "days_covered": 10,
         "note": "partial month: the record ends on 10 Jan 2026"}]


def test_files_that_are_not_a_copy_are_refused(data_copy, tmp_path, capsys, monkeypatch):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert_refused(["record", "update", folder], capsys, data_copy, "is a directory")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert_refused(["record", "update", fifo], capsys, data_copy, "not a regular file")
    assert_refused(["record", "update", tmp_path / "missing.csv"], capsys, data_copy,
                   "no such daily record copy")
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(daily_text(_good_rows()[:3]).replace("Ukraine", "Ukra\u00efne")
                      .encode("latin-1"))
    assert_refused(["record", "update", latin], capsys, data_copy, "not UTF-8 text")
    escaped = _write(tmp_path, "", "bad\x1b[2Jname.csv")
    line = assert_refused(["record", "update", escaped], capsys, data_copy, "\\x1b")
    assert "\x1b" not in line


def test_the_size_and_row_caps_are_named(data_copy, tmp_path, capsys, monkeypatch):
    assert record.MAX_DAILY_BYTES == 64 * 1024 * 1024
    daily = _write(tmp_path, daily_text(_good_rows()))
    monkeypatch.setattr(record, "MAX_DAILY_BYTES", 1000)
    assert_refused(["record", "update", daily], capsys, data_copy,
                   "larger than 1,000 bytes; a daily record copy is at most 1,000 bytes")
    monkeypatch.setattr(record, "MAX_DAILY_BYTES", 64 * 1024 * 1024)
    monkeypatch.setattr(record, "MAX_DAILY_ROWS", 100)
    assert_refused(["record", "update", daily], capsys, data_copy,
                   "more than 100 rows; a daily record copy is at most 100 rows")


def test_a_data_folder_that_cannot_be_written_is_one_line(data_copy, tmp_path, capsys,
                                                          monkeypatch):
    daily = _write(tmp_path, daily_text(_good_rows()))

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(record.tempfile, "mkstemp", refused)  # as a read-only folder would
    assert_refused(["record", "update", daily], capsys, data_copy,
                   "historical: cannot write there: permission denied")


def test_a_held_record_that_is_missing_is_one_line(data_copy, tmp_path, capsys):
    (data_copy / "historical" / "uav_launches_monthly.csv").unlink()
    daily = _write(tmp_path, daily_text(_good_rows()))
    assert_refused(["record", "update", daily], capsys, data_copy,
                   "no such held monthly record")
