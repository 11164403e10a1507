"""Data: the historical aggregates re-derive from the Air Force record, and the defaults
that cite them are consistent with them."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from whatif.params import REGISTRY

REPO = Path(__file__).resolve().parent.parent
MONTHLY = REPO / "data" / "historical" / "uav_launches_monthly.csv"
DAILY = REPO.parent / "shared" / "data" / "missile_attacks_daily.csv"


def _rows() -> list[dict]:
    with MONTHLY.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _derive_module():
    spec = importlib.util.spec_from_file_location(
        "derive_monthly", REPO / "data" / "historical" / "derive_monthly.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not DAILY.exists(), reason="the daily record (../shared/data) is not here")
def test_monthly_aggregates_rederive_from_the_daily_record(tmp_path):
    out = tmp_path / "monthly.csv"
    assert _derive_module().main([str(DAILY), "--out", str(out)]) == 0
    assert out.read_bytes() == MONTHLY.read_bytes()


def test_press_cross_checks():
    rows = {r["month"]: r for r in _rows()}
    # UK MoD: Sep 2024 1,339 launched / 1,107 destroyed; AP: Jun 2025 5,438; ABC: Oct 2025 <80%
    assert abs(int(rows["2024-09"]["uav_launched"]) - 1339) <= 5
    assert abs(int(rows["2024-09"]["uav_destroyed"]) - 1107) <= 5
    assert int(rows["2025-06"]["uav_launched"]) == 5438
    assert 0.79 <= float(rows["2025-10"]["neutralised_share"]) < 0.80


def test_defeat_rate_default_brackets_the_recent_record():
    rows = [r for r in _rows() if r["month"] >= "2025-07"]
    launched = sum(int(r["uav_launched"]) for r in rows)
    shares = [float(r["neutralised_share"]) for r in rows]
    pooled = sum(float(r["neutralised_share"]) * int(r["uav_launched"]) for r in rows) / launched
    default = REGISTRY["defeat_rate"].default
    assert default.low <= min(shares) + 0.01 and max(shares) <= default.high
    assert abs(default.central - pooled) < 0.03


def test_production_estimates_are_cited_and_converted():
    path = REPO / "data" / "historical" / "production_estimates.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 5
    for row in rows:
        assert row["source"].strip() and row["reliability"] in ("A", "B", "C")
        figure, per_day = float(row["figure"]), float(row["drones_per_day"])
        if "per month" in row["unit"]:
            assert per_day == pytest.approx(figure / 30.4, abs=0.05)
        elif row["unit"] == "per day":
            assert per_day == figure
    # the default production_now's low is HUR's latest strike-drone figure (2,700 a month)
    strike_only = [r for r in rows if "decoy" not in r["types"]]
    latest = max(strike_only, key=lambda r: r["date"])
    assert REGISTRY["production_now"].default.low == pytest.approx(
        float(latest["drones_per_day"]), abs=2)
