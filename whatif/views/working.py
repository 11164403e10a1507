"""The working of the headline figures (:func:`whatif.working.working`) as plain text lines
(the CLI's ``explain --working``) and escaped HTML (the app's panel, the brief's appendix).

No number is computed here: every value is a step's, shown with
:func:`whatif.formatting.format_value` and its unit after it.
"""

from __future__ import annotations

from html import escape

from whatif.engine import SimulationResult
from whatif.formatting import format_value
from whatif.presentation import output_label
from whatif.working import Chain, Working, working

#: units :func:`format_value` already marks (%, $): no unit word after the number
_MARKED = ("", "share", "probability", "USD")


def value_text(value: float, unit: str) -> str:
    """A step's value with its unit after it: ``23 missiles``, ``66.1%``, ``$60.0M``.

    >>> value_text(2970.0, "drones"), value_text(1, "missiles"), value_text(0.661, "share")
    ('2,970 drones', '1 missile', '66.1%')
    """
    text = format_value(value, unit)
    if unit in _MARKED:
        return text
    if text == "1" and unit.endswith("s"):  # one missile, one day
        unit = unit[:-1]
    return f"{text} {unit}"


def headline_p50(chain: Chain, result: SimulationResult | None) -> str:
    """``headline P50 from N samples: X`` for a Monte Carlo headline, else ""."""
    if result is None or not result.samples:
        return ""
    p50 = float(result.summary.loc[chain.output, "p50"])
    return f"headline P50 from {result.samples:,} samples: {value_text(p50, chain.unit)}"


def chain_title(work: Working, chain: Chain) -> str:
    """The output's label (a system's capacity loss is its listed sites') and its value."""
    return f"{output_label(chain.output, work.scenario)}: {value_text(chain.value, chain.unit)}"


def working_lines(work: Working, result: SimulationResult | None = None) -> list[str]:
    """The working as text: a title, the note, then each chain's numbered steps.

    ``result``: the headline's run; in Monte Carlo its P50 is shown beside each chain.
    """
    lines = [f"The working: {work.scenario.title}", work.note]
    for chain in work.chains:
        p50 = headline_p50(chain, result)
        lines += ["", chain_title(work, chain) + (f"   ({p50})" if p50 else "")]
        width = max(len(step.label) for step in chain.steps)
        values = [value_text(step.value, step.unit) for step in chain.steps]
        value_width = max(len(v) for v in values)
        for i, (step, value) in enumerate(zip(chain.steps, values, strict=True), 1):
            lines.append(f"  {i:>2}. {step.label:<{width}}  {value:>{value_width}}   "
                         f"{step.how}")
    return lines


def steps_table(chain: Chain, css_class: str = "") -> str:
    """A chain's steps as an escaped HTML table: step, value with its unit, how."""
    rows = "".join(
        f"<tr><td>{escape(step.label)}</td><td class='value'>"
        f"{escape(value_text(step.value, step.unit))}</td>"
        f"<td class='how'>{escape(step.how)}</td></tr>" for step in chain.steps)
    classes = f" class='{css_class}'" if css_class else ""
    return (f"<table{classes}><thead><tr><th scope='col'>Step</th><th scope='col'>Value</th>"
            f"<th scope='col'>How</th></tr></thead><tbody>{rows}</tbody></table>")


def note_html(work: Working) -> str:
    return f"<p class='whatif-working-note'>{escape(work.note)}</p>"


def section_html(work: Working, chain: Chain, result: SimulationResult | None = None) -> str:
    """One headline figure's working as a native ``<details>`` section (keyboard and
    screen-reader accessible): the summary names the figure and its value."""
    p50 = headline_p50(chain, result)
    extra = f" <span class='whatif-working-p50'>({escape(p50)})</span>" if p50 else ""
    return (f"<details class='whatif-working-chain' data-key='{escape(chain.output)}'>"
            f"<summary>{escape(chain_title(work, chain))}{extra}</summary>"
            f"{steps_table(chain, 'whatif-working-steps')}</details>")


def working_html(work: Working, result: SimulationResult | None = None) -> str:
    """The note and every figure's ``<details>`` section (escaped HTML)."""
    return ("<div class='whatif-working'>" + note_html(work)
            + "".join(section_html(work, chain, result) for chain in work.chains) + "</div>")


def brief_appendix(result: SimulationResult) -> str:
    """The brief's appendix "The working": each headline figure's steps as a table, at the
    scenario's central values, beside the brief's own run (``result``)."""
    work = working(result.scenario, samples=result.samples)
    parts = ["<h2>Appendix: the working</h2>",
             f"<p>{escape(work.note)} Each table follows one headline figure from the salvo "
             "to the figure: every value is the model's own (its intermediate quantities and "
             "daily series), with its unit.</p>"]
    for chain in work.chains:
        p50 = headline_p50(chain, result)
        parts.append(f"<h3>{escape(chain_title(work, chain))}</h3>"
                     + (f"<p class='brief-meta'>{escape(p50[0].upper() + p50[1:])}.</p>"
                        if p50 else "")
                     + steps_table(chain, "brief-table working"))
    return "<div class='working-appendix'>" + "".join(parts) + "</div>"


#: the app panel's CSS
WORKING_STYLE = """
<style>
.whatif-working-chain {border:1px solid #ddd; border-radius:6px; margin:4px 0; padding:2px 8px;}
.whatif-working-chain summary {cursor:pointer; padding:4px 0; font-weight:600;}
.whatif-working-p50 {font-weight:400; color:#444;}
.whatif-working-steps {border-collapse:collapse; font-size:90%; margin:2px 0 6px;}
.whatif-working-steps th, .whatif-working-steps td {text-align:left; padding:2px 6px;
  border-bottom:1px solid #eee; vertical-align:top;}
.whatif-working-steps td.value {text-align:right; white-space:nowrap;}
.whatif-working-steps td.how {color:#444;}
.whatif-working-note {font-size:90%; color:#444; margin:2px 0 4px;}
</style>
"""
