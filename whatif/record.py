"""The launch record: one derivation of the monthly file from the Air Force's daily record,
and its refresh from a newer copy (``whatif record update``).

Source: Petro Ivaniuk (piterfm), "Massive Missile Attacks on Ukraine" (Kaggle), compiled
from the Ukrainian Air Force's (kpszsu) public posts. The project keeps only the monthly
aggregates (``data/historical/uav_launches_monthly.csv``); ``derive_monthly.py`` there and
:func:`update_record` both derive them with the functions below.

Filter
    ``model == "Shahed-136/131"`` and ``source`` starting with ``kpszsu`` (the Air Force's
    national posts; regional-command rows would count raids twice).
Coverage
    A copy covers the days from its first to its last ``time_start`` date (the days on which
    the reported attacks began; the compiler dates a copy the same way: the 2022–25 copy is
    "2022-09-28 to 2025-12-31"). Reports published after the last covered day (the morning
    report on the raid of the last evening) wait for the next copy.
Month
    A report counts in the calendar month of ``time_end``, the morning the Air Force
    published it. This grouping reproduces FACTS.md section 2b and its press cross-checks
    (Sep 2024 1,334 launched / 1,108 destroyed; Jun 2025 5,438; Oct 2025 79.8 %
    neutralised); grouping by ``time_start`` does not (Jun 2025 becomes 5,018, as the
    472-drone raid of the evening of 31 May moves to May). Every covered month gets a row.
Partial months
    The first month (the record starts on 28 Sep 2022) and a last month that the copy
    covers only in part: ``days_covered`` gives the days of the month covered (daily rates
    divide by it) and ``notes`` says so.

Columns written: ``month`` (YYYY-MM), ``days_covered`` [days], ``uav_launched`` and
``uav_destroyed`` [UAVs] (sums of ``launched`` and ``destroyed``), ``neutralised_share``
((destroyed + not_reach_goal) / launched, 3 decimals: ``not_reach_goal`` is the Air Force's
"locationally lost", reported apart until July 2025), ``shahed_share_where_reported``
(sum of ``is_shahed`` / sum of ``launched`` over the reports giving the figure; empty when
none does), ``source``, ``source_url``, ``reliability`` (each row's citation) and ``notes``.

A copy is untrusted input: it is read with caps (:data:`MAX_DAILY_BYTES`,
:data:`MAX_DAILY_ROWS`) and refused with a :class:`RecordError` for missing columns, dates
that do not parse, negative counts or a report given twice.

This module imports only the standard library at load time, so that ``derive_monthly.py``
runs without the scientific stack; the refit imports :mod:`whatif.calibrate` when it runs.
"""

from __future__ import annotations

import calendar
import csv
import io
import math
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from whatif.errors import WhatifError, show, show_path

MODEL = "Shahed-136/131"
SOURCE_PREFIX = "kpszsu"
SOURCE = "Ukrainian Air Force (kpszsu) daily posts, compiled by P. Ivaniuk (piterfm)"
SOURCE_URL = "https://www.kaggle.com/datasets/piterfm/massive-missile-attacks-on-ukraine"
RELIABILITY = "A"
#: notes of the months derived before any copy is held (a held record's notes win)
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
PARTIAL_NOTE = "partial month"
COLUMNS = ["month", "days_covered", "uav_launched", "uav_destroyed", "neutralised_share",
           "shahed_share_where_reported", "source", "source_url", "reliability", "notes"]
#: the daily record's columns the derivation reads (a copy may have more)
DAILY_COLUMNS = ("time_start", "time_end", "model", "target", "launched", "destroyed",
                 "not_reach_goal", "is_shahed", "source")
COUNT_COLUMNS = ("launched", "destroyed", "not_reach_goal", "is_shahed")
#: a report is the same when these repeat (two targets of one post are two reports)
REPORT_KEY = ("time_start", "time_end", "model", "source", "target")
MONTH_RULES = ("time_end", "time_start")

MAX_DAILY_BYTES = 64 * 1024 * 1024  # 64 MiB; the 2022-25 copy is 0.7 MB
MAX_DAILY_ROWS = 200_000  # rows of a copy; the 2022-25 copy has 3,247
MAX_REPORT_COUNT = 100_000  # UAVs in one report; the largest so far is 810
MAX_HELD_BYTES = 1024 * 1024  # the held monthly record and assumptions.csv (both ~10 KB)
RECORD_PARTS = ("historical", "uav_launches_monthly.csv")
ASSUMPTIONS_FILE = "assumptions.csv"

_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class RecordError(WhatifError):
    """A copy of the daily record, or the held monthly record, that cannot be used."""


# ---------------------------------------------------------------- the daily record

@dataclass(frozen=True)
class Report:
    """One counted report: its dates and counts [UAVs] (``shahed`` None when not given)."""

    start: date
    end: date
    launched: float
    destroyed: float
    lost: float
    shahed: float | None


@dataclass(frozen=True)
class DailyCopy:
    """A checked copy of the daily record: the days it covers and its counted reports."""

    first_day: date
    last_day: date
    rows: int
    reports: tuple[Report, ...] = field(repr=False)


def _day(text: str | None, column: str, line: int, where: str) -> date:
    match = _DATE.fullmatch(text or "")
    if match:
        year, month, day, hour, minute, second = match.groups()
        try:
            if hour is not None:
                time(int(hour), int(minute), int(second or 0))
            return date(int(year), int(month), int(day))
        except ValueError:
            pass
    raise RecordError(f"{where}: line {line}: {column} {show(text)} is not a date; allowed "
                      "YYYY-MM-DD or YYYY-MM-DD HH:MM")


def _count(text: str | None, column: str, line: int, where: str) -> float | None:
    """A count cell [UAVs]; empty or NaN cells give None."""
    text = (text or "").strip()
    if not text or text.lower() == "nan":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise RecordError(f"{where}: line {line}: {column} {show(text)} is not a count")
    if value < 0:
        raise RecordError(f"{where}: line {line}: {column} {show(text)} is negative; a count "
                          "is at least 0")
    if value > MAX_REPORT_COUNT:
        raise RecordError(f"{where}: line {line}: {column} {show(text)} is too large; allowed "
                          f"at most {MAX_REPORT_COUNT:,} in one report")
    return value


def parse_daily(text: str, origin: str = "daily record") -> DailyCopy:
    """Check and read a copy of the daily record from its CSV text.

    Refuses (:class:`RecordError`, one line naming the line of the file) missing columns,
    rows with a wrong number of fields, dates that do not parse or a ``time_end`` before
    its ``time_start``, counts that are not numbers, negative or above
    :data:`MAX_REPORT_COUNT`, more than :data:`MAX_DAILY_ROWS` rows, and a counted report
    given twice (the same :data:`REPORT_KEY`).
    """
    where = show_path(origin)
    reader = csv.reader(_lines(text.removeprefix("\ufeff")))
    try:
        header = next(reader, None)
        if not header:
            raise RecordError(f"{where}: empty; a daily record copy starts with its header")
        index = {name.strip(): i for i, name in enumerate(header)}
        missing = [name for name in DAILY_COLUMNS if name not in index]
        if missing:
            raise RecordError(f"{where}: missing the column(s) {', '.join(missing)}; a daily "
                              f"record copy has {', '.join(DAILY_COLUMNS)}")
        at = {name: index[name] for name in DAILY_COLUMNS}
        reports: list[Report] = []
        seen: dict[tuple[str, ...], int] = {}
        first_day = last_day = None
        rows = 0
        for row in reader:
            line = reader.line_num
            if not row:
                continue
            rows += 1
            if rows > MAX_DAILY_ROWS:
                raise RecordError(f"{where}: more than {MAX_DAILY_ROWS:,} rows; a daily record "
                                  f"copy is at most {MAX_DAILY_ROWS:,} rows")
            if len(row) != len(header):
                raise RecordError(f"{where}: line {line} has {len(row)} fields; the header "
                                  f"has {len(header)}")
            start = _day(row[at["time_start"]], "time_start", line, where)
            end = _day(row[at["time_end"]], "time_end", line, where)
            if end < start:
                raise RecordError(f"{where}: line {line}: time_end {show(row[at['time_end']])} "
                                  f"is before time_start {show(row[at['time_start']])}")
            counts = [_count(row[at[name]], name, line, where) for name in COUNT_COLUMNS]
            first_day = start if first_day is None else min(first_day, start)
            last_day = start if last_day is None else max(last_day, start)
            if row[at["model"]] != MODEL or not row[at["source"]].startswith(SOURCE_PREFIX):
                continue
            key = tuple(row[at[name]] for name in REPORT_KEY)
            if key in seen:
                raise RecordError(f"{where}: line {line} repeats the report of line {seen[key]} "
                                  f"(same {', '.join(REPORT_KEY)})")
            seen[key] = line
            launched, destroyed, lost, shahed = counts
            reports.append(Report(start, end, launched or 0.0, destroyed or 0.0, lost or 0.0,
                                  shahed))
    except csv.Error as exc:
        raise RecordError(f"{where}: line {reader.line_num}: not CSV ({exc})") from None
    if first_day is None or last_day is None:
        raise RecordError(f"{where}: no reports; a daily record copy has one row per report")
    return DailyCopy(first_day, last_day, rows, tuple(reports))


def _lines(text: str) -> Iterable[str]:
    """``text`` line by line, each with its ``\n`` (a StringIO of a 64 MiB text would hold
    four times that)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def read_daily(path: str | os.PathLike) -> DailyCopy:
    """A copy of the daily record from a file: a regular file of at most
    :data:`MAX_DAILY_BYTES` bytes (64 MiB) of UTF-8 CSV, checked by :func:`parse_daily`."""
    from whatif.inputs import read_bytes

    data = read_bytes(path, MAX_DAILY_BYTES, what="daily record copy")
    return parse_daily(_utf8(data, path), os.fspath(path))


def _utf8(data: bytes, path: str | os.PathLike) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"{show_path(os.fspath(path))}: not UTF-8 text (byte {exc.start})"
                          ) from None


# ---------------------------------------------------------------- months

def month_days(month: str) -> int:
    """Days in ``month`` (YYYY-MM)."""
    return calendar.monthrange(int(month[:4]), int(month[5:7]))[1]


def months_between(first: date, last: date) -> list[str]:
    """The months (YYYY-MM) from the month of ``first`` to that of ``last``."""
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def record_end(last_month: str, days_covered: int, only_month: bool = False) -> date:
    """The last day a monthly record covers, from its last row.

    A partial last month covers its first ``days_covered`` days; a record of one month
    (``only_month``) covers the last days of it, as a first month does.
    """
    start = date(int(last_month[:4]), int(last_month[5:7]), 1)
    if only_month:
        return start + timedelta(days=month_days(last_month) - 1)
    return start + timedelta(days=int(days_covered) - 1)


def _partial_note(month: str, first: date, last: date) -> str:
    """The note of a month the copy covers only in part (empty for a whole month)."""
    parts = []
    if month == f"{first:%Y-%m}" and first.day > 1:
        parts.append(f"starts on {first.day} {first:%b %Y}")
    if month == f"{last:%Y-%m}" and last.day < month_days(month):
        parts.append(f"ends on {last.day} {last:%b %Y}")
    return f"{PARTIAL_NOTE}: the record {' and '.join(parts)}" if parts else ""


def monthly_rows(copy: DailyCopy, month_from: str = "time_end",
                 notes: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The monthly rows (:data:`COLUMNS`) of every month ``copy`` covers (module docstring).

    ``notes`` (month → note, e.g. the held record's) are kept; :data:`NOTES` fill the
    months without one; a partial month's note is made here (older partial-month notes
    are dropped). ``month_from="time_start"`` groups by launch day, for comparison only.
    """
    if month_from not in MONTH_RULES:
        raise RecordError(f"month_from {show(month_from)} is not allowed; allowed "
                          f"{' or '.join(MONTH_RULES)}")
    first, last = copy.first_day, copy.last_day
    totals = {month: [0.0, 0.0, 0.0, 0.0, 0.0] for month in months_between(first, last)}
    for report in copy.reports:
        day = report.end if month_from == "time_end" else report.start
        if not first <= day <= last:
            continue  # published after the last covered day: the next copy counts it
        total = totals[f"{day:%Y-%m}"]
        total[0] += report.launched
        total[1] += report.destroyed
        total[2] += report.lost
        if report.shahed is not None:
            total[3] += report.shahed
            total[4] += report.launched
    out = []
    for month, (launched, destroyed, lost, shahed, launched_with_shahed) in totals.items():
        covered_from = max(first, date(int(month[:4]), int(month[5:7]), 1))
        covered_to = min(last, covered_from.replace(day=month_days(month)))
        older = (notes or {}).get(month) or NOTES.get(month, "")
        partial = _partial_note(month, first, last)
        if older.startswith(PARTIAL_NOTE):
            older = ""
        out.append({
            "month": month,
            "days_covered": (covered_to - covered_from).days + 1,
            "uav_launched": round(launched),
            "uav_destroyed": round(destroyed),
            "neutralised_share": f"{(destroyed + lost) / launched:.3f}" if launched else "",
            "shahed_share_where_reported": (f"{shahed / launched_with_shahed:.3f}"
                                            if launched_with_shahed else ""),
            "source": SOURCE,
            "source_url": SOURCE_URL,
            "reliability": RELIABILITY,
            "notes": "; ".join(note for note in (partial, older) if note),
        })
    return out


def monthly_csv(rows: Iterable[dict[str, Any]]) -> str:
    """Monthly rows as the file's text (header, ``\\n`` line ends)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def derive_monthly(daily_path: str | os.PathLike, month_from: str = "time_end",
                   notes: dict[str, str] | None = None) -> str:
    """The monthly file's text derived from a daily record file (see :func:`monthly_rows`)."""
    return monthly_csv(monthly_rows(read_daily(daily_path), month_from, notes))


# ---------------------------------------------------------------- the held record

def _read_capped(path: Path, what: str) -> str:
    from whatif.inputs import read_bytes

    return _utf8(read_bytes(path, MAX_HELD_BYTES, what=what), path)


def parse_monthly(text: str, origin: str = "monthly record") -> list[dict[str, str]]:
    """The rows of a monthly record file (checked: columns, months in order, day counts)."""
    where = show_path(origin)
    try:
        reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
        missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise RecordError(f"{where}: missing the column(s) {', '.join(missing)}")
        rows = []
        for row in reader:
            month, line = row["month"] or "", reader.line_num
            if not _MONTH.fullmatch(month) or (rows and month <= rows[-1]["month"]):
                raise RecordError(f"{where}: line {line}: month {show(month)} is not allowed; "
                                  "allowed YYYY-MM, after the row above")
            for name in ("days_covered", "uav_launched"):
                if not (row[name] or "").isdigit():
                    raise RecordError(f"{where}: line {line}: {name} {show(row[name])} is not "
                                      "a whole number")
            if not 1 <= int(row["days_covered"]) <= month_days(month):
                raise RecordError(f"{where}: line {line}: days_covered {row['days_covered']} is "
                                  f"not allowed; allowed 1 to {month_days(month)}")
            rows.append({name: row[name] or "" for name in COLUMNS})
    except csv.Error as exc:
        raise RecordError(f"{where}: not CSV ({exc})") from None
    if not rows:
        raise RecordError(f"{where}: holds no months")
    return rows


def rows_end(rows: Sequence[dict[str, Any]]) -> date:
    """The last day monthly ``rows`` cover (:func:`record_end` of the last row)."""
    return record_end(str(rows[-1]["month"]), int(rows[-1]["days_covered"]), len(rows) == 1)


def check_covers(new: Sequence[dict[str, Any]], held: Sequence[dict[str, Any]],
                 origin: str = "daily record") -> None:
    """Refuse a copy that covers less than the held record (:class:`RecordError`): one that
    ends before it, or lacks a month it has (a month missing, or without reports)."""
    where = show_path(origin)
    new_end, held_end = rows_end(new), rows_end(held)
    if new_end < held_end:
        raise RecordError(f"{where}: covers up to {new_end}, before the held record, which "
                          f"covers up to {held_end}; a newer copy covers at least as much")
    launched = {row["month"]: int(row["uav_launched"]) for row in new}
    lacking = [row["month"] for row in held
               if launched.get(row["month"], 0) == 0 < int(row["uav_launched"])]
    if lacking:
        shown = ", ".join(lacking[:3]) + (f" and {len(lacking) - 3} more" if len(lacking) > 3
                                          else "")
        raise RecordError(f"{where}: lacks {shown}, which the held record has; a newer copy "
                          "covers every month the held record covers")


# ---------------------------------------------------------------- writing

def write_atomic(path: Path, text: str, check: Callable[[Path], None] | None = None) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and
    ``os.replace``: readers see the old file or the new one, never a part. ``check`` runs on
    the temporary file first; if it raises, ``path`` is left as it was."""
    replace_all([stage(path, text, check)])


def stage(path: Path, text: str, check: Callable[[Path], None] | None = None) -> tuple[Path, Path]:
    """Write ``text`` to a temporary file beside ``path`` (same permissions), run ``check``
    on it; returns ``(temporary, path)`` for :func:`replace_all`."""
    from whatif.inputs import path_problem

    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                             dir=path.parent)
    except OSError as exc:
        raise RecordError(f"{show_path(path.parent)}: cannot write there: {path_problem(exc)}"
                          ) from None
    temporary_path = Path(temporary)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            mode = 0o644
        os.chmod(temporary_path, mode)
        if check is not None:
            check(temporary_path)
    except BaseException as exc:
        temporary_path.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise RecordError(f"{show_path(path)}: cannot write it: {path_problem(exc)}"
                              ) from None
        raise
    return temporary_path, path


def replace_all(staged: Sequence[tuple[Path, Path]]) -> None:
    """``os.replace`` each staged temporary file onto its path (all are removed on failure)."""
    from whatif.inputs import path_problem

    try:
        for temporary, path in staged:
            os.replace(temporary, path)
    except OSError as exc:
        raise RecordError(f"{show_path(path)}: cannot replace it: {path_problem(exc)}") from None
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)


# ---------------------------------------------------------------- the fitted defaults

#: the assumptions fitted to the record → decimals their central/low/high are written with
FITTED_DEFAULTS = {"production_now": 0, "defeat_rate": 2}
DEFAULT_CELLS = ("central", "low", "high", "source_date")


def _field_spans(record: str) -> list[tuple[int, int]]:
    """Where each field of one CSV record (its raw text) starts and ends."""
    spans, start, quoted, i = [], 0, False, 0
    while i < len(record):
        char = record[i]
        if quoted:
            if char == '"':
                if record[i + 1:i + 2] == '"':
                    i += 2
                    continue
                quoted = False
        elif char == '"':
            quoted = True
        elif char == ",":
            spans.append((start, i))
            start = i + 1
        elif char in "\r\n":
            break
        i += 1
    spans.append((start, i))
    return spans


def _csv_records(text: str, where: str) -> list[tuple[str, list[str]]]:
    """Each CSV record of ``text`` as (its raw text, its fields); the raw texts join to
    ``text``."""
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines)
    out, done = [], 0
    try:
        for fields in reader:
            out.append(("".join(lines[done:reader.line_num]), fields))
            done = reader.line_num
    except csv.Error as exc:
        raise RecordError(f"{where}: not CSV ({exc})") from None
    if done < len(lines):  # blank lines at the end
        out.append(("".join(lines[done:]), []))
    return out


def _number(cell: str, name: str, column: str, where: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise RecordError(f"{where}: {name}: {column} {show(cell)} is not a number")
    return value


def fitted_defaults(text: str, origin: str = ASSUMPTIONS_FILE) -> dict[str, dict[str, Any]]:
    """The rows of :data:`FITTED_DEFAULTS` in the assumptions CSV text: ``central``, ``low``,
    ``high`` (numbers, in the assumption's unit), ``lower_bound``, ``upper_bound``,
    ``source_date``."""
    where = show_path(origin)
    records = _csv_records(text, where)
    header = records[0][1] if records else []
    wanted = ("name", *DEFAULT_CELLS, "lower_bound", "upper_bound")
    if any(name not in header for name in wanted):
        raise RecordError(f"{where}: missing a column of {', '.join(wanted)}")
    out = {}
    for _, fields in records[1:]:
        row = dict(zip(header, fields, strict=False))
        name = (row.get("name") or "").strip()
        if name in FITTED_DEFAULTS:
            out[name] = {column: _number(row.get(column, ""), name, column, where)
                         for column in ("central", "low", "high", "lower_bound", "upper_bound")}
            out[name]["source_date"] = row.get("source_date", "")
    lacking = [name for name in FITTED_DEFAULTS if name not in out]
    if lacking:
        raise RecordError(f"{where}: no row for {', '.join(lacking)}")
    return out


def new_defaults(current: dict[str, float], low: float, value: float, high: float,
                 digits: int) -> dict[str, float]:
    """What ``--write-defaults`` writes for one assumption, in its unit.

    ``central``: the fitted ``value`` rounded to ``digits`` decimals. ``low`` / ``high``:
    the current ones, widened (rounded outwards) to the fit's interval where it lies outside
    them; never narrowed. All kept within the assumption's bounds.
    """
    scale = 10 ** digits
    lower, upper = current["lower_bound"], current["upper_bound"]
    new_low = math.floor(low * scale) / scale if low < current["low"] else current["low"]
    new_high = math.ceil(high * scale) / scale if high > current["high"] else current["high"]
    new_low, new_high = max(new_low, lower), min(new_high, upper)
    central = min(max(round(value, digits), new_low), new_high)
    return {"central": central, "low": new_low, "high": new_high}


def rewrite_defaults(text: str, values: dict[str, dict[str, float]], source_date: str,
                     origin: str = ASSUMPTIONS_FILE) -> tuple[str, dict[str, dict]]:
    """The assumptions CSV ``text`` with the ``central``/``low``/``high`` of ``values``
    (name → numbers, written with :data:`FITTED_DEFAULTS` decimals where they differ from the
    cell's number) and ``source_date`` set in those rows only; every other byte is kept.

    Returns the new text and the changes (name → column → ``[old, new]`` cell text).
    """
    where = show_path(origin)
    records = _csv_records(text, where)
    header = records[0][1]
    columns = {name: header.index(name) for name in ("name", *DEFAULT_CELLS)}
    pieces, changes = [], {}
    for number, (raw, fields) in enumerate(records):
        name = fields[columns["name"]].strip() if len(fields) > columns["name"] else ""
        if number == 0 or name not in values:
            pieces.append(raw)
            continue
        spans = _field_spans(raw)
        if len(spans) != len(fields):
            raise RecordError(f"{where}: the row of {name} cannot be rewritten in place")
        digits = FITTED_DEFAULTS[name]
        cells = {column: f"{values[name][column]:.{digits}f}"
                 for column in ("central", "low", "high")
                 if _number(fields[columns[column]], name, column, where) != values[name][column]}
        if fields[columns["source_date"]] != source_date:
            cells["source_date"] = source_date
        for column in sorted(cells, key=lambda c: -columns[c]):  # from the right: spans hold
            begin, end = spans[columns[column]]
            raw = raw[:begin] + cells[column] + raw[end:]
        changes[name] = {column: [fields[columns[column]], cells[column]] for column in cells}
        pieces.append(raw)
    return "".join(pieces), changes


# ---------------------------------------------------------------- whatif record update

@dataclass(frozen=True)
class RecordUpdate:
    """What :func:`update_record` found and did (see :meth:`to_dict` and :meth:`lines`)."""

    copy_path: str
    record_path: Path
    assumptions_path: Path
    held: dict[str, Any]
    updated: dict[str, Any]
    new_months: list[str]
    changed_months: list[str]
    partial_months: list[dict[str, Any]]
    fits: dict[str, dict[str, Any]]
    defaults: dict[str, dict[str, Any]]
    outside: list[str]
    defaults_written: bool
    default_changes: dict[str, dict[str, list[str]]]
    record_written: bool

    def to_dict(self) -> dict[str, Any]:
        return {"daily_record": self.copy_path, "monthly_record": str(self.record_path),
                "assumptions": str(self.assumptions_path), "held": self.held,
                "updated": self.updated, "record_written": self.record_written,
                "new_months": self.new_months, "changed_months": self.changed_months,
                "partial_months": self.partial_months, "fits": self.fits,
                "defaults": self.defaults, "outside_new_interval": self.outside,
                "defaults_written": self.defaults_written,
                "default_changes": self.default_changes}

    def lines(self) -> list[str]:
        """The report for a terminal: what was written, the fits old and new, the defaults."""
        held, new = self.held, self.updated

        def listed(months: list[str]) -> str:
            return ", ".join(months) if months else "none"

        out = [f"{'Updated' if self.record_written else 'Unchanged'}: {self.record_path}",
               f"  from {self.copy_path}: {new['first_month']} to {new['last_month']} "
               f"({new['months']} months; new: {listed(self.new_months)}; changed: "
               f"{listed(self.changed_months)})."]
        for part in self.partial_months:
            out.append(f"  Partial month {part['month']}: {part['days_covered']} days "
                       f"({part['note']}).")
        out.append(f"  Day 0 (the day after the record ends): {held['day_zero']} -> "
                   f"{new['day_zero']}.")
        out.append("")
        out.append(f"{'fitted':<16} {'unit':<11} {'old':>8} {'old 90% interval':>18}   "
                   f"{'new':>8} {'new 90% interval':>18}")
        for name, fit in self.fits.items():
            digits = 0 if fit["unit"] == "drones/day" else 3
            old, new_fit = fit["old"], fit["new"]
            out.append(f"{name:<16} {fit['unit']:<11} {old['value']:>8.{digits}f} "
                       f"{_interval(old, digits):>18}   {new_fit['value']:>8.{digits}f} "
                       f"{_interval(new_fit, digits):>18}")
        out.append(f"(old: the record to {held['last_day']}; new: to {new['last_day']})")
        out.append("")
        for name, default in self.defaults.items():
            digits = FITTED_DEFAULTS[name]
            fit = self.fits[name]["new"]
            verdict = ("inside" if default["within_new_interval"] else "OUTSIDE")
            out.append(f"Default {name} = {default['central']:.{digits}f} "
                       f"(low {default['low']:.{digits}f}, high {default['high']:.{digits}f}) "
                       f"is {verdict} the new interval {_interval(fit, 3 if digits else 0)}.")
        if self.defaults_written:
            for name, cells in self.default_changes.items():
                done = ", ".join(f"{column} {old} -> {new}" for column, (old, new)
                                 in cells.items())
                out.append(f"Wrote {name} in {self.assumptions_path}: {done or 'no change'}.")
        else:
            out.append(f"Defaults not changed ({self.assumptions_path}); --write-defaults "
                       "writes the fitted values.")
        return out


def _interval(estimate: dict[str, Any], digits: int) -> str:
    return f"{estimate['low']:.{digits}f}-{estimate['high']:.{digits}f}"


def _frame(rows: Sequence[dict[str, Any]]):
    import pandas as pd

    return pd.read_csv(io.StringIO(monthly_csv(rows)), dtype={"month": str})


def _summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    end = rows_end(rows)
    return {"first_month": rows[0]["month"], "last_month": rows[-1]["month"],
            "months": len(rows), "last_day": end.isoformat(),
            "day_zero": (end + timedelta(days=1)).isoformat()}


def update_record(daily_path: str | os.PathLike, write_defaults: bool = False,
                  data_folder: Path | None = None) -> RecordUpdate:
    """Refresh the record of the data folder in use from a newer copy of the daily record.

    Reads and checks the copy (:func:`read_daily`), derives every month it covers
    (:func:`monthly_rows`, keeping the held record's notes), refuses a copy that covers less
    than the held record (:func:`check_covers`), refits ``production_now`` and
    ``defeat_rate`` (:func:`whatif.calibrate.calibrate`) on the held and on the new record,
    and writes the new monthly file atomically. With ``write_defaults`` it also rewrites
    the two assumptions' rows of ``assumptions.csv`` (:func:`new_defaults`,
    :func:`rewrite_defaults`; ``source_date`` = the new record's last day). Nothing is
    written unless everything above succeeds.

    ``data_folder``: default :func:`whatif.resources.data_dir` (``$WHATIF_DATA_DIR``).
    """
    from whatif.calibrate import calibrate
    from whatif.params import load_registry
    from whatif.resources import data_dir

    folder = data_dir() if data_folder is None else Path(data_folder)
    record_path, assumptions_path = folder.joinpath(*RECORD_PARTS), folder / ASSUMPTIONS_FILE
    copy = read_daily(daily_path)
    held_text = _read_capped(record_path, "held monthly record")
    held = parse_monthly(held_text, os.fspath(record_path))
    rows = monthly_rows(copy, notes={row["month"]: row["notes"] for row in held})
    check_covers(rows, held, os.fspath(daily_path))
    old_fit, new_fit = calibrate(_frame(held)), calibrate(_frame(rows))
    for side, fit in (("held", old_fit), ("new", new_fit)):
        for name, estimate in fit.estimates.items():
            if not all(map(math.isfinite, (estimate.value, estimate.low, estimate.high))):
                raise RecordError(f"the fit of {name} to the {side} record is not finite; "
                                  "nothing was written")

    assumptions_text = _read_capped(assumptions_path, "assumptions table")
    current = fitted_defaults(assumptions_text, os.fspath(assumptions_path))
    fits, defaults, outside, proposed = {}, {}, [], {}
    for name, digits in FITTED_DEFAULTS.items():
        old, new = old_fit.estimates[name], new_fit.estimates[name]
        fits[name] = {"unit": new.unit, "old": old.to_dict(), "new": new.to_dict()}
        now = current[name]
        defaults[name] = {"central": now["central"], "low": now["low"], "high": now["high"],
                          "source_date": now["source_date"],
                          "within_new_interval": new.contains(now["central"])}
        if not new.contains(now["central"]):
            outside.append(name)
        proposed[name] = new_defaults(now, new.low, new.value, new.high, digits)

    updated = _summary(rows)
    text = monthly_csv(rows)
    staged: list[tuple[Path, Path]] = []
    record_written = text != held_text
    changes: dict[str, dict[str, list[str]]] = {}
    try:
        if record_written:
            staged.append(stage(record_path, text))
        if write_defaults:
            new_text, changes = rewrite_defaults(assumptions_text, proposed, updated["last_day"],
                                                 os.fspath(assumptions_path))
            if new_text != assumptions_text:
                staged.append(stage(assumptions_path, new_text,
                                    _loads_as_registry(load_registry)))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    replace_all(staged)

    held_by_month = {row["month"]: row for row in held}
    written = {row["month"]: {k: str(v) for k, v in row.items()} for row in rows}
    return RecordUpdate(
        copy_path=os.fspath(daily_path), record_path=record_path,
        assumptions_path=assumptions_path, held=_summary(held), updated=updated,
        new_months=[month for month in written if month not in held_by_month],
        changed_months=[month for month, row in written.items()
                        if month in held_by_month and row != held_by_month[month]],
        partial_months=[{"month": row["month"], "days_covered": row["days_covered"],
                         "note": row["notes"].split(";")[0]}
                        for row in rows if row["days_covered"] < month_days(row["month"])],
        fits=fits, defaults=defaults, outside=outside, defaults_written=write_defaults,
        default_changes=changes, record_written=record_written)


def _loads_as_registry(load_registry: Callable[[Path], Any]) -> Callable[[Path], None]:
    """A check that a rewritten assumptions file still loads as the parameter registry."""

    def check(path: Path) -> None:
        try:
            load_registry(path)
        except (ValueError, KeyError) as exc:
            raise RecordError(f"the rewritten assumptions would not load ({exc}); nothing was "
                              "written") from None

    return check
