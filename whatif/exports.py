"""Exports: every sample of a run as one table, written as CSV, Parquet or Excel.

The samples table (:func:`samples_table`) has one row per Monte Carlo sample (one row for
a deterministic run) and these columns, named as the registries name them:

* ``sample`` — the sample's index, 0, 1, 2, …;
* the numeric assumptions the sample used, in the registry's order
  (:attr:`whatif.engine.SimulationResult.inputs`; units: ``whatif params``);
* on the trend production path, the path's four parameters
  (:data:`whatif.model.layout.DERIVED_INPUTS`; drawn from the fit to the record);
* a system's sites' own numeric assumptions, ``site:<site>:<assumption>``;
* every output (:data:`whatif.outputs.OUTPUTS`), then a system's per-site capacity lost to
  the first salvo, ``site:<site>:capacity_loss`` [share].

The format follows the file's extension (:data:`FORMATS`). A CSV file holds the plain
names only (one header row). A Parquet file keeps each column's unit in its field
metadata (``unit``) and the run in its schema metadata (``whatif.units`` as JSON,
``whatif.scenario``, ``whatif.samples``, ``whatif.seed``, ``whatif.version``). An Excel
file has the sheets ``samples``, ``units`` (column, unit, label) and ``run``; it holds
numbers to 16 significant digits (openpyxl's, a relative difference of at most about
5e-16; Excel shows 15), where CSV and Parquet hold every float64 exactly.

Files are written whole or not at all (:func:`write_atomic`: a temporary file in the same
folder, then ``os.replace``). :func:`check_samples_out` refuses a bad path, an unknown
extension and a table larger than Excel holds before any work is done.
"""

from __future__ import annotations

import io
import json
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from whatif.engine import site_input_columns, uses_trend
from whatif.errors import ParameterError, ScenarioError, show_path
from whatif.inputs import check_writable, path_problem
from whatif.model import layout
from whatif.outputs import OUTPUTS
from whatif.params import NUMERIC, REGISTRY
from whatif.scenario import Scenario

#: extension → the format's name and its MIME type
FORMATS = {
    ".csv": ("CSV", "text/csv"),
    ".parquet": ("Parquet", "application/vnd.apache.parquet"),
    ".xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
#: Excel's limits: rows (the header's included) and columns of one sheet
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
SAMPLE_COLUMN = "sample"
#: a site's column: ``site:<site>:<name>`` (a name never holds ":", so the pair is unique)
SITE_PREFIX = "site:"
SITE_OUTPUT = "capacity_loss"
#: rows handed to openpyxl at a time (keeps the Python objects of a large table bounded)
_EXCEL_CHUNK_ROWS = 10_000


def site_column(site: str, name: str) -> str:
    """The column of site ``site``'s ``name`` (an assumption or ``capacity_loss``)."""
    return f"{SITE_PREFIX}{site}:{name}"


def column_info(scenario: Scenario) -> dict[str, tuple[str, str]]:
    """The samples table's columns for ``scenario``, in order: name → (unit, label).

    Known before the run (the column count is checked against Excel's limit first).
    """
    info: dict[str, tuple[str, str]] = {SAMPLE_COLUMN: ("", "Monte Carlo sample (0, 1, …)")}
    for name in NUMERIC:
        info[name] = (REGISTRY[name].unit, REGISTRY[name].label)
    if uses_trend(scenario):
        for name in layout.DERIVED_INPUTS:
            column = layout.INPUTS[layout.CONSTANTS[name.upper()]]
            info[name] = (column.unit, f"Trend path: {column.meaning}")
    for site, name, _ in site_input_columns(scenario):
        info[site_column(site, name)] = (REGISTRY[name].unit,
                                         f"{REGISTRY[name].label} (site {site})")
    for name, spec in OUTPUTS.items():
        info[name] = (spec.unit, spec.label)
    if scenario.system is not None:
        for site in scenario.site_names:
            info[site_column(site, SITE_OUTPUT)] = (
                "share", f"Output of site {site} lost right after the first salvo")
    return info


def samples_table(result) -> pd.DataFrame:
    """Every sample of ``result`` (a :class:`whatif.engine.SimulationResult`) as one row:
    the columns of :func:`column_info`, in its order (values in their units)."""
    parts = [pd.DataFrame({SAMPLE_COLUMN: range(len(result.outputs))}), result.inputs]
    if result.trend_inputs is not None:
        parts.append(result.trend_inputs)
    if result.site_inputs is not None:
        parts.append(result.site_inputs.rename(
            columns=lambda c: SITE_PREFIX + c))  # "<site>:<name>" → "site:<site>:<name>"
    parts.append(result.outputs)
    if result.site_outputs is not None:
        parts.append(result.site_outputs.rename(
            columns=lambda site: site_column(site, SITE_OUTPUT)))
    table = pd.concat([part.reset_index(drop=True) for part in parts], axis=1)
    expected = list(column_info(result.scenario))
    if list(table.columns) != expected:  # a defect, never user input
        raise RuntimeError(f"samples table columns {list(table.columns)} != {expected}")
    return table


def run_metadata(result) -> dict[str, str]:
    """The run a samples table came from: scenario title, samples, seed, whatif version."""
    from whatif import __version__

    return {"scenario": result.scenario.title, "samples": str(result.samples),
            "seed": "" if result.seed is None else str(result.seed), "version": __version__}


# --- checks before the run --------------------------------------------------------------

def export_format(path: str | os.PathLike, option: str) -> str:
    """The extension of ``path`` (lower case) if it is one of :data:`FORMATS`; else a
    ParameterError naming ``option`` and the allowed extensions."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        allowed = ", ".join(f"{ext} ({name})" for ext, (name, _) in FORMATS.items())
        raise ParameterError(option, f"{show_path(os.fspath(path))}: unknown file type "
                                     f"{show_path(suffix or '(none)')}; allowed {allowed}")
    return suffix


def check_table_size(suffix: str, rows: int, columns: int, option: str) -> None:
    """Refuse a table of ``rows`` data rows and ``columns`` columns that the format cannot
    hold (Excel: :data:`EXCEL_MAX_ROWS` rows with the header, :data:`EXCEL_MAX_COLUMNS`
    columns)."""
    if suffix != ".xlsx":
        return
    if rows + 1 > EXCEL_MAX_ROWS:
        raise ParameterError(option, f"{rows:,} samples and a header row are more than an "
                                     f"Excel sheet holds ({EXCEL_MAX_ROWS:,} rows); allowed at "
                                     f"most {EXCEL_MAX_ROWS - 1:,} samples in .xlsx (or write "
                                     ".csv or .parquet)")
    if columns > EXCEL_MAX_COLUMNS:
        raise ParameterError(option, f"{columns:,} columns are more than an Excel sheet holds "
                                     f"({EXCEL_MAX_COLUMNS:,}); write .csv or .parquet")


def check_samples_out(path: str | os.PathLike, scenario: Scenario, samples: int,
                      option: str = "--samples-out") -> Path:
    """``path`` as a Path if the samples of ``samples`` samples of ``scenario`` (0 =
    deterministic: one row) can be written there: a known extension, a table the format
    holds, a writable place. Raises a :class:`~whatif.errors.WhatifError` otherwise."""
    suffix = export_format(path, option)
    check_table_size(suffix, max(int(samples), 1), len(column_info(scenario)), option)
    return check_writable(path, option)


# --- writing ----------------------------------------------------------------------------

def write_table(table: pd.DataFrame, out: BinaryIO, suffix: str, units: dict[str, str],
                labels: dict[str, str], about: dict[str, str], sheet: str = "samples") -> None:
    """Write ``table`` to the binary file ``out`` in the format of ``suffix``, with each
    column's unit and label (Parquet, Excel) and the run's ``about`` (scenario, samples,
    seed, version); the Excel sheets ``units`` and ``run`` only when there is something
    to put in them. ``sheet`` names the table's Excel sheet."""
    if suffix == ".csv":
        table.to_csv(out, index=False, lineterminator="\n", encoding="utf-8")
    elif suffix == ".parquet":
        _write_parquet(table, out, units, about)
    elif suffix == ".xlsx":
        _write_excel(table, out, units, labels, about, sheet)
    else:
        raise ParameterError("format", f"{show_path(suffix)} is not allowed; allowed "
                                       f"{', '.join(FORMATS)}")


def _write_parquet(table: pd.DataFrame, out: BinaryIO, units: dict[str, str],
                   about: dict[str, str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table, preserve_index=False)
    fields = [field.with_metadata({"unit": units.get(field.name, "")}) for field in arrow.schema]
    metadata = dict(arrow.schema.metadata or {})
    metadata[b"whatif.units"] = json.dumps(units).encode("utf-8")
    for key, value in about.items():
        metadata[f"whatif.{key}".encode()] = value.encode("utf-8")
    schema = pa.schema(fields, metadata=metadata)
    pq.write_table(arrow.cast(schema), out)


def _write_excel(table: pd.DataFrame, out: BinaryIO, units: dict[str, str],
                 labels: dict[str, str], about: dict[str, str], sheet_name: str) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)  # streamed: rows are not kept as cell objects
    sheet = book.create_sheet(sheet_name)
    sheet.append([str(name) for name in table.columns])
    for start in range(0, len(table), _EXCEL_CHUNK_ROWS):
        chunk = table.iloc[start:start + _EXCEL_CHUNK_ROWS]
        # plain Python numbers (written in their shortest exact form)
        for row in zip(*(chunk[name].tolist() for name in chunk.columns), strict=True):
            sheet.append(row)
    if units or labels:
        unit_sheet = book.create_sheet("units")
        unit_sheet.append(["column", "unit", "label"])
        for name in table.columns:
            unit_sheet.append([name, units.get(name, ""), labels.get(name, "")])
    if about:
        run_sheet = book.create_sheet("run")
        for key, value in about.items():
            run_sheet.append([key, value])
    book.save(out)


def table_bytes(table: pd.DataFrame, suffix: str, units: dict[str, str] | None = None,
                labels: dict[str, str] | None = None, about: dict[str, str] | None = None,
                sheet: str = "samples") -> bytes:
    """``table`` as the bytes of a file in the format of ``suffix`` (in memory; see
    :func:`write_table`)."""
    buffer = io.BytesIO()
    write_table(table, buffer, suffix, units or {}, labels or {}, about or {}, sheet)
    return buffer.getvalue()


def samples_bytes(result, suffix: str) -> bytes:
    """The samples table of ``result`` as the bytes of a ``suffix`` file (in memory)."""
    info = column_info(result.scenario)
    return table_bytes(samples_table(result), suffix, {k: u for k, (u, _) in info.items()},
                       {k: label for k, (_, label) in info.items()}, run_metadata(result))


def write_atomic(path: Path, write: Callable[[BinaryIO], None], option: str) -> None:
    """Call ``write`` on a temporary file beside ``path``, then ``os.replace`` it onto
    ``path``: ``path`` holds the whole new file or is as it was, never a part. An OSError
    becomes a ScenarioError naming ``option`` and the path."""
    where = f"{option}: {show_path(os.fspath(path))}"
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                        dir=path.parent)
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot write there: {path_problem(exc)}") from None
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        try:  # keep an existing file's permissions; a new one gets the usual 0644
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            mode = 0o644
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot write it: {path_problem(exc)}") from None
    finally:
        temporary.unlink(missing_ok=True)  # (gone already once replaced)


def write_samples(result, path: str | os.PathLike, option: str = "--samples-out") -> Path:
    """Write every sample of ``result`` to ``path`` (the format follows its extension:
    :data:`FORMATS`), atomically. Returns the path written."""
    out = Path(path)
    suffix = export_format(out, option)
    table = samples_table(result)
    check_table_size(suffix, len(table), len(table.columns), option)
    info = column_info(result.scenario)
    units = {k: unit for k, (unit, _) in info.items()}
    labels = {k: label for k, (_, label) in info.items()}
    about = run_metadata(result)
    write_atomic(out, lambda handle: write_table(table, handle, suffix, units, labels, about),
                 option)
    return out
