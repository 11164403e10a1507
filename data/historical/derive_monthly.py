"""Derive monthly long-range UAV launch totals from the Air Force daily record.

Source: Petro Ivaniuk (piterfm), "Massive Missile Attacks on Ukraine" (Kaggle,
https://www.kaggle.com/datasets/piterfm/massive-missile-attacks-on-ukraine), compiled
from the Ukrainian Air Force's (kpszsu) public posts. Only the monthly aggregates
written by this script are kept in the project; the daily file is not redistributed.

Filter
    ``model == "Shahed-136/131"`` and ``source`` starting with ``kpszsu`` (Air Force
    national posts only; regional-command rows would double count).

Month
    A row is counted in the calendar month of ``time_end`` (first 7 characters,
    ``YYYY-MM``), i.e. the morning the Air Force published the report.  This is the
    grouping that reproduces FACTS.md section 2b and its press cross-checks exactly
    (Sep 2024 1,334 launched / 1,108 destroyed; Jun 2025 5,438; Jul 2025 6,240;
    Oct 2025 79.8 % neutralised).  Grouping by ``time_start`` moves the raid of the
    evening of the month's last day into that month and does *not* reproduce them
    (e.g. Jun 2025 becomes 5,018 because the 472-drone raid launched on the evening
    of 31 May 2025 moves to May).  ``--month-from time_start`` is offered for
    comparison.

Columns written
    month                         YYYY-MM, 2022-09 .. 2025-12 (the whole record)
    days_covered                  days of the month the record covers (the record
                                  starts on 28 Sep 2022, so 2022-09 covers 3 days);
                                  divide by it for a daily rate
    uav_launched                  sum of ``launched``
    uav_destroyed                 sum of ``destroyed`` (shot down or suppressed)
    neutralised_share             (destroyed + not_reach_goal) / launched, 3 decimals.
                                  ``not_reach_goal`` is the Air Force's separately
                                  reported "locationally lost" (EW-suppressed or
                                  decoys lost); from Aug 2025 the Air Force folds it
                                  into ``destroyed``.  This definition, not
                                  destroyed / launched, reproduces FACTS.md section 2b
                                  (e.g. Oct 2024: 92 % vs 57 %; Oct 2025: 79.8 %).
    shahed_share_where_reported   sum(is_shahed) / sum(launched) over the rows that
                                  carry the "of which about N Shaheds" figure;
                                  empty when no row that month carries it.
    source, source_url, reliability
                                  the row's citation (the Air Force's posts as compiled
                                  by Ivaniuk; grade A: reproducible from the record)
    notes                         a press figure that cross-checks the month, or a
                                  coverage caveat (2022-23 is thinner than official
                                  totals)

Usage (from the repository root)::

    python data/historical/derive_monthly.py [PATH_TO_DAILY_CSV] [--out OUT.csv]

Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INPUT = REPO_ROOT / ".." / "shared" / "data" / "missile_attacks_daily.csv"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "uav_launches_monthly.csv"
MODEL = "Shahed-136/131"
SOURCE_PREFIX = "kpszsu"
FIRST_MONTH, LAST_MONTH = "2022-09", "2025-12"
RECORD_START = "2022-09-28"  # first day of the daily record
SOURCE = "Ukrainian Air Force (kpszsu) daily posts, compiled by P. Ivaniuk (piterfm)"
SOURCE_URL = "https://www.kaggle.com/datasets/piterfm/massive-missile-attacks-on-ukraine"
RELIABILITY = "A"
NOTES = {
    "2022-09": "partial month: the record starts on 28 Sep 2022",
    "2023-12": ("2022-23 thinner than official totals: the record sums to 3,460 by Dec 2023 "
                "vs ~3,700 Shaheds by Ihnat (Air Force)"),
    "2024-09": "cross-check: UK MoD 1,339 launched / 1,107 destroyed",
    "2024-10": "decoys appear: 'locationally lost' reported separately from Oct 2024",
    "2025-06": "cross-check: AP 5,438 launched",
    "2025-07": "cross-check: Ukrinform ~6,200 (record month)",
    "2025-08": "'locationally lost' folded into 'destroyed' from Aug 2025",
    "2025-10": "cross-check: ABC 'just under 80%' neutralised",
}
COLUMNS = [
    "month",
    "days_covered",
    "uav_launched",
    "uav_destroyed",
    "neutralised_share",
    "shahed_share_where_reported",
    "source",
    "source_url",
    "reliability",
    "notes",
]


def days_covered(month: str) -> int:
    """Days of ``month`` (YYYY-MM) on or after :data:`RECORD_START`."""
    import calendar

    year, number = int(month[:4]), int(month[5:7])
    days = calendar.monthrange(year, number)[1]
    if month == RECORD_START[:7]:
        days -= int(RECORD_START[8:10]) - 1
    return days


def _number(text: str | None) -> float | None:
    """Parse a numeric cell; empty or NaN cells give None."""
    if text is None or not text.strip():
        return None
    value = float(text)
    return None if math.isnan(value) else value


def monthly_totals(rows, month_from: str = "time_end") -> list[dict]:
    """Aggregate daily Air Force rows into monthly rows (see module docstring)."""
    acc = defaultdict(lambda: {"launched": 0.0, "destroyed": 0.0, "lost": 0.0,
                               "shahed": 0.0, "launched_with_shahed": 0.0})
    for row in rows:
        if row["model"] != MODEL or not row["source"].startswith(SOURCE_PREFIX):
            continue
        month = row[month_from][:7]
        launched = _number(row["launched"]) or 0.0
        a = acc[month]
        a["launched"] += launched
        a["destroyed"] += _number(row["destroyed"]) or 0.0
        a["lost"] += _number(row["not_reach_goal"]) or 0.0
        shahed = _number(row["is_shahed"])
        if shahed is not None:
            a["shahed"] += shahed
            a["launched_with_shahed"] += launched

    out = []
    for month in sorted(acc):
        if not FIRST_MONTH <= month <= LAST_MONTH:
            continue
        a = acc[month]
        neutralised = (a["destroyed"] + a["lost"]) / a["launched"] if a["launched"] else None
        shahed_share = (a["shahed"] / a["launched_with_shahed"]
                        if a["launched_with_shahed"] else None)
        out.append({
            "month": month,
            "days_covered": days_covered(month),
            "uav_launched": round(a["launched"]),
            "uav_destroyed": round(a["destroyed"]),
            "neutralised_share": "" if neutralised is None else f"{neutralised:.3f}",
            "shahed_share_where_reported": "" if shahed_share is None else f"{shahed_share:.3f}",
            "source": SOURCE,
            "source_url": SOURCE_URL,
            "reliability": RELIABILITY,
            "notes": NOTES.get(month, ""),
        })
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", default=str(DEFAULT_INPUT),
                        help="daily CSV (default: ../shared/data/missile_attacks_daily.csv "
                             "relative to the repository root)")
    parser.add_argument("--out", default=str(DEFAULT_OUTPUT), help="output CSV")
    parser.add_argument("--month-from", choices=["time_end", "time_start"],
                        default="time_end",
                        help="column whose month a row is counted in (default time_end)")
    args = parser.parse_args(argv)

    with open(args.input, newline="", encoding="utf-8") as fh:
        months = monthly_totals(csv.DictReader(fh), args.month_from)
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(months)
    print(f"wrote {len(months)} months to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
