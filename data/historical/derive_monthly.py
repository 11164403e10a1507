"""Derive monthly long-range UAV launch totals from the Air Force daily record.

A thin script over :mod:`whatif.record`, which holds the one derivation (filter, coverage,
month rule, columns, citations, notes: see its docstring); ``whatif record update`` uses
the same code to refresh the record and refit the defaults.

Source: Petro Ivaniuk (piterfm), "Massive Missile Attacks on Ukraine" (Kaggle,
https://www.kaggle.com/datasets/piterfm/massive-missile-attacks-on-ukraine), compiled
from the Ukrainian Air Force's (kpszsu) public posts. Only the monthly aggregates
written by this script are kept in the project; the daily file is not redistributed.

Usage (from the repository root)::

    python data/historical/derive_monthly.py [PATH_TO_DAILY_CSV] [--out OUT.csv]

``--month-from time_start`` groups by launch day instead, for comparison only.
It needs the checkout's ``whatif`` package (the standard library and PyYAML); it puts the
repository root first on ``sys.path``, so the checkout's ``.venv`` or any Python with
PyYAML runs it. It writes ``--out`` (default: this folder's monthly file) in place,
keeping that file's notes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INPUT = REPO_ROOT / ".." / "shared" / "data" / "missile_attacks_daily.csv"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "uav_launches_monthly.csv"


def main(argv: list[str] | None = None) -> int:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from whatif.errors import WhatifError
    from whatif.record import (
        MONTH_RULES,
        derive_monthly,
        parse_monthly,
        write_atomic,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", default=str(DEFAULT_INPUT),
                        help="daily CSV (default: ../shared/data/missile_attacks_daily.csv "
                             "relative to the repository root)")
    parser.add_argument("--out", default=str(DEFAULT_OUTPUT), help="output CSV")
    parser.add_argument("--month-from", choices=MONTH_RULES, default="time_end",
                        help="column whose month a row is counted in (default time_end)")
    args = parser.parse_args(argv)

    out = Path(args.out)
    try:
        notes = ({row["month"]: row["notes"]
                  for row in parse_monthly(out.read_text(encoding="utf-8"), str(out))}
                 if out.is_file() else {})
        text = derive_monthly(args.input, args.month_from, notes)
        write_atomic(out.absolute(), text)
    except (WhatifError, OSError) as exc:
        print(f"derive_monthly: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {text.count(chr(10)) - 1} months to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
