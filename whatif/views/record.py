"""The "Record vs model" tab: the scenario checked against the fits to the launch record,
and the dates its charts plot (days from :data:`whatif.calibrate.DAY_ZERO`)."""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from whatif.calibrate import DAY_ZERO, Calibration
from whatif.formatting import format_value
from whatif.presentation import INSIDE, SCENARIO


def intro_html(calibration: Calibration) -> str:
    """The tab's opening paragraph, with the record's months and the fits' windows as
    they are in the record in use (they move with ``whatif record update``)."""
    def month(value) -> str:
        return pd.Period(value, freq="M").strftime("%b %Y")

    months = calibration.record["month"]
    first, last = month(months.min()), month(months.max())
    production = month(calibration.production.window[0])
    defeat = " – ".join(month(m) for m in calibration.defeat_rate_window)
    return ("<p style='max-width:60em'>The Ukrainian Air Force's monthly record "
            f"({escape(first)} – {escape(last)}, every month cited in "
            "<code>data/historical/</code>) and the fits of <code>whatif.calibrate</code>: "
            "the model's logistic path fitted to UAV launches "
            f"({escape(production)} on), times the Air Force's Shahed-type share, gives "
            "<code>production_now</code>; a quasi-binomial fit over "
            f"{escape(defeat)} gives <code>defeat_rate</code>. Launches ≈ output is assumed. "
            "Red is the scenario: it moves with the controls.</p>")


def record_dates(days) -> np.ndarray:
    """Days from day 0 as ``datetime64[ms]`` (what bqplot's DateScale plots)."""
    offsets = np.round(np.asarray(days, dtype=float) * 24 * 3600).astype("timedelta64[s]")
    return (np.datetime64(DAY_ZERO.date(), "s") + offsets).astype("datetime64[ms]")


def defeat_window_days(calibration: Calibration) -> tuple[float, float]:
    """The defeat-rate fit's months as days from day 0: first day to about the last."""
    first, last = calibration.defeat_rate_window
    zero = np.datetime64(DAY_ZERO.date())
    return (float((np.datetime64(first + "-01") - zero).astype(float)),
            float((np.datetime64(last + "-28") - zero).astype(float)) + 3)


def check_html(check) -> str:
    """The scenario against the fits (:meth:`Calibration.check`) as an HTML table, escaped."""
    rows = []
    for name, row in check.iterrows():
        verdict = (f"<span style='color:{INSIDE}'>inside the fit's 90% interval</span>"
                   if row.within else
                   f"<b style='color:{SCENARIO}'>outside the fit's 90% interval</b>")
        low, high = format_value(row.low, row.unit), format_value(row.high, row.unit)
        rows.append(
            f"<tr><td><code>{escape(name)}</code></td>"
            f"<td>{escape(format_value(row.value, row.unit))}</td>"
            f"<td>{escape(format_value(row.fitted, row.unit))}</td>"
            f"<td>{escape(low)} – {escape(high)}</td>"
            f"<td>{verdict}</td></tr>")
    return ("<style>.whatif-record-check td, .whatif-record-check th {padding: 2px 10px;}"
            "</style><table class='whatif-record-check' style='border-collapse:collapse'>"
            "<tr><th style='text-align:left'>assumption</th><th>scenario</th><th>fitted</th>"
            "<th>90% interval</th><th>verdict</th></tr>" + "".join(rows) + "</table>")


#: Monte Carlo draws per origin and path for the Record tab's backtest chart (a fraction
#: of a second; `whatif backtest` defaults to more)
APP_BACKTEST_SAMPLES = 1_000


def backtest_note_html(bands) -> str:
    """Under the backtest chart: each path's one-month-ahead scores, escaped."""
    from whatif.backtest import scores

    table = scores(bands)
    parts = []
    for (path, horizon), row in table.iterrows():
        if horizon != 1 or path not in BACKTEST_WORDS:
            continue
        parts.append(f"{BACKTEST_WORDS[path]}: {row.coverage80:.0%} of the months that followed "
                     f"inside its 80% band, median error {row.median_abs_log_error:.2f} "
                     f"(log scale), {int(row.origins)} origins")
    first = escape(str(bands["origin"].min())) if len(bands) else "?"
    return ("<p style='max-width:60em'>Backtest, one month ahead: each month-end from "
            f"{first} on was projected with the record up to then only (<code>whatif "
            "backtest</code> gives 1–3 months and the defeat rate). "
            + escape("; ".join(parts)) + ".</p>")


BACKTEST_WORDS = {"trend": "trend path", "target": "stated climb"}
