"""The "Plan" tab: the target system's sites, the salvos (day × sites), the inventory, the
optimiser, and each site's capacity over time beside national output.

The tables are rows of plain widgets; :mod:`whatif.views.plan` reads them back into what
:meth:`whatif.scenario.Scenario.with_plan` takes and writes the optimiser's report. A
refused table shows its message beside the tables and leaves the scenario as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import bqplot as bq
import ipywidgets as w
import numpy as np

from whatif import presentation as look
from whatif.engine import SimulationResult
from whatif.errors import WhatifError, one_line
from whatif.outputs import OBJECTIVES, OUTPUTS
from whatif.presentation import status_html
from whatif.scenario import Scenario
from whatif.ui.charts import ChartBox, _figure, _tooltip
from whatif.ui.controls import SR_LABEL
from whatif.views.plan import (
    ROLES,
    SiteRow,
    optimise_html,
    plan_from_rows,
    salvo_rows,
    site_names,
    site_rows,
    sites_from_rows,
)

SMALL = w.Layout(width="80px")
TEXT = w.Layout(width="150px")
WIDE = w.Layout(width="260px")


def named(widget: w.Widget, name: str) -> w.Widget:
    """``widget`` named ``name`` for screen readers only (a column heading says it on
    screen); returns it."""
    widget.description = name
    widget.add_class(SR_LABEL)
    return widget


class _SiteEditor(w.HBox):
    """One site row: name, role, share or supplies, stages, own assumptions, remove."""

    def __init__(self, row: SiteRow, on_remove: Callable[[_SiteEditor], None]):
        self.name = w.Text(row.name, placeholder="name", layout=TEXT)
        self.role = w.Dropdown(options=ROLES, value=row.role, layout=w.Layout(width="120px"))
        self.feeds = w.Text(row.share_or_supplies, layout=TEXT,
                            placeholder="share (0–1) or supplied sites")
        self.stages = w.Text(row.stages, placeholder="stage:aimpoints; …", layout=WIDE)
        self.overrides = w.Text(row.overrides, placeholder="name=value; …", layout=WIDE)
        remove = w.Button(icon="trash", tooltip="remove this site",
                          layout=w.Layout(width="40px"))
        remove.on_click(lambda _: on_remove(self))
        for widget, label in ((self.name, "site name"), (self.feeds, "share or supplies"),
                              (self.stages, "stages"), (self.overrides, "own assumptions")):
            widget.tooltip = label
        named(self.name, "Site name")
        named(self.role, "Site role")
        named(self.feeds, "Share of national output [share] or supplied sites")
        named(self.stages, "Stages [aimpoints each]")
        named(self.overrides, "Own assumptions")
        super().__init__([self.name, self.role, self.feeds, self.stages, self.overrides, remove])

    def row(self) -> SiteRow:
        return SiteRow(self.name.value, self.role.value, self.feeds.value, self.stages.value,
                       self.overrides.value)


class _SalvoEditor(w.HBox):
    """One salvo row: its day and the missiles at each site, remove."""

    def __init__(self, day: int, counts: dict[str, int], names: list[str],
                 on_remove: Callable[[_SalvoEditor], None]):
        self.day = named(w.BoundedIntText(day, min=0, max=10_000, layout=SMALL),
                         "Salvo day [day]")
        self.counts = {name: named(w.BoundedIntText(counts.get(name, 0), min=0, max=100_000,
                                                    layout=SMALL), f"Missiles at {name} [missiles]")
                       for name in names}
        remove = w.Button(icon="trash", tooltip="remove this salvo",
                          layout=w.Layout(width="40px"))
        remove.on_click(lambda _: on_remove(self))
        super().__init__([self.day, *self.counts.values(), remove])

    def row(self) -> tuple[int, dict[str, int]]:
        return int(self.day.value), {k: int(v.value) for k, v in self.counts.items()}


class SitesChart:
    """Each site's capacity in action (mean) over time, and national output."""

    def __init__(self):
        x, y = bq.LinearScale(), bq.LinearScale(min=0.0, max=1.02)
        self.lines = bq.Lines(x=[0.0, 1.0], y=[[1.0, 1.0]], scales={"x": x, "y": y},
                              display_legend=True, labels=["national"], stroke_width=2,
                              tooltip=_tooltip("day", look.SITES.y_label, ".0%"))
        self.figure = _figure(look.SITES, [self.lines], x, y, ".0%")
        self.box = ChartBox(self.figure)

    def update(self, result: SimulationResult) -> None:
        lines = look.site_lines(result)
        colors = [(look.NATIONAL if label == look.NATIONAL_LABEL
                   else look.SITE_COLORS[i % len(look.SITE_COLORS)])
                  for i, (label, _) in enumerate(lines)]
        with self.lines.hold_sync():
            self.lines.x = result.series.index.to_numpy(dtype=float)
            self.lines.y = np.vstack([values for _, values in lines])
            self.lines.labels = [label for label, _ in lines]
            self.lines.colors = colors
        self.box.refresh_legend()


class PlanPanel(w.VBox):
    """The Plan tab. ``on_apply(sites, plan, inventory)`` is called with the tables read
    back (each None when empty) and returns an error message or None;
    ``on_optimise(sites, inventory, missiles, salvos, objective, samples, progress)``
    returns the optimiser's result (:class:`whatif.optimise.PlanResult`)."""

    def __init__(self, on_apply: Callable[..., str | None],
                 on_optimise: Callable[..., object]):
        self._on_apply = on_apply
        self._on_optimise = on_optimise
        self.best = None  # the last optimiser result
        self.kind = w.HTML("")
        self.site_box = w.VBox([])
        self.add_site = w.Button(description="Add site", icon="plus")
        self.add_site.on_click(lambda _: self._add_site())
        self.salvo_head = w.HBox([])
        self.salvo_box = w.VBox([])
        self.add_salvo = w.Button(description="Add salvo", icon="plus")
        self.add_salvo.on_click(lambda _: self._add_salvo())
        self.on_hand = w.BoundedIntText(0, min=0, max=100_000, description="In hand",
                                        layout=w.Layout(width="200px"))
        self.delivered = w.BoundedIntText(0, min=0, max=100_000,
                                          description="Per 30 days",
                                          layout=w.Layout(width="200px"))
        self.use_inventory = w.Checkbox(False, description="Limit by an inventory")
        self.apply_button = w.Button(description="Apply plan", icon="check",
                                     button_style="primary")
        self.apply_button.on_click(lambda _: self.apply())
        self.clear_button = w.Button(description="Back to one salvo size", icon="undo",
                                     tooltip="no sites and no plan: missiles and restrikes")
        self.clear_button.on_click(lambda _: self._apply(None, None, None))
        self.message = w.HTML("")
        self.message.add_class("whatif-plan-message")

        self.missiles = w.BoundedIntText(30, min=1, max=100_000, description="Missiles",
                                         layout=w.Layout(width="200px"))
        self.salvos = w.BoundedIntText(1, min=1, max=12, description="Salvos",
                                       layout=w.Layout(width="200px"))
        self.objective = w.Dropdown(options=[(OUTPUTS[o].label, o) for o in OBJECTIVES],
                                    value="capacity_loss", description="Maximise",
                                    layout=w.Layout(width="420px"))
        self.samples = w.BoundedIntText(2_000, min=0, max=100_000, description="Samples",
                                        layout=w.Layout(width="200px"))
        self.optimise_button = w.Button(description="Optimise", icon="search")
        self.optimise_button.on_click(lambda _: self.optimise())
        self.progress = w.IntProgress(0, min=0, max=1, description="Plans run",
                                      layout=w.Layout(width="320px", visibility="hidden"))
        self.report = w.HTML("")
        self.use_best = w.Button(description="Use the best plan", icon="check",
                                 disabled=True)
        self.use_best.on_click(lambda _: self._use_best())
        self.chart = SitesChart()

        help_text = w.HTML(
            "<p>Sites: an <b>assembly</b> site makes a share of national output; a "
            "<b>component</b> site supplies the sites named (comma-separated). Stages as "
            "<code>name:aimpoints; …</code>; own assumptions as <code>name=value; …</code> "
            "(any strike assumption, <code>repair_days</code>, <code>recovery</code>). "
            "No sites: the single plant, <code>plant</code>. Salvos: a day and the missiles "
            "at each site.</p>")
        super().__init__([
            self.kind, help_text,
            w.HTML("<b>Sites</b>"), self.site_box, self.add_site,
            w.HTML("<b>Salvos</b> (day, then missiles per site)"), self.salvo_head,
            self.salvo_box, self.add_salvo,
            w.HBox([self.use_inventory, self.on_hand, self.delivered]),
            w.HBox([self.apply_button, self.clear_button]), self.message,
            w.HTML("<b>Find the best plan</b> (the sites above; every plan on the same "
                   "draws)"),
            w.HBox([self.missiles, self.salvos, self.samples]),
            w.HBox([self.objective, self.optimise_button, self.progress]),
            self.report, self.use_best, self.chart.box,
        ])
        self.add_class("whatif-plan")

    # --- showing the scenario ----------------------------------------------------------
    def show(self, scenario: Scenario) -> None:
        """Fill the tables from ``scenario``."""
        self.site_box.children = [_SiteEditor(row, self._remove_site)
                                  for row in site_rows(scenario)]
        self._rebuild_salvos(salvo_rows(scenario))
        inventory = scenario.inventory
        self.use_inventory.value = inventory is not None
        self.on_hand.value = inventory.on_hand if inventory else 0
        self.delivered.value = inventory.delivered_per_30_days if inventory else 0
        if scenario.system is not None:
            self.kind.value = (f"<p>A system of {len(scenario.system.sites)} sites, "
                               f"{len(scenario.plan)} salvo(s) planned.</p>")
        elif scenario.plan:
            self.kind.value = f"<p>The single plant, {len(scenario.plan)} salvo(s) planned.</p>"
        else:
            self.kind.value = ("<p>The single plant, struck by salvos of <i>missiles</i> "
                               "(and restrikes): add salvos or sites to plan.</p>")

    def update(self, result: SimulationResult) -> None:
        self.chart.update(result)

    # --- editing -----------------------------------------------------------------------
    def site_rows(self) -> list[SiteRow]:
        return [editor.row() for editor in self.site_box.children]

    def salvo_rows(self) -> list[tuple[int, dict[str, int]]]:
        return [editor.row() for editor in self.salvo_box.children]

    def _names(self) -> list[str]:
        return site_names(self.site_rows())

    def _rebuild_salvos(self, rows: list[tuple[int, dict[str, int]]]) -> None:
        names = self._names()
        self.salvo_head.children = [w.HTML("<b>day</b>", layout=SMALL)] + [
            w.HTML(f"<b>{escape(name)}</b>", layout=SMALL) for name in names]
        self.salvo_box.children = [_SalvoEditor(day, counts, names, self._remove_salvo)
                                   for day, counts in rows]

    def _add_site(self) -> None:
        n = len(self.site_box.children) + 1
        self.site_box.children = [*self.site_box.children, _SiteEditor(
            SiteRow(f"site-{n}", "assembly", "0.1", "assembly:4"), self._remove_site)]
        self._rebuild_salvos(self.salvo_rows())

    def _remove_site(self, editor: _SiteEditor) -> None:
        self.site_box.children = [e for e in self.site_box.children if e is not editor]
        self._rebuild_salvos(self.salvo_rows())

    def _add_salvo(self) -> None:
        rows = self.salvo_rows()
        day = rows[-1][0] + 7 if rows else 0
        self._rebuild_salvos([*rows, (day, {})])

    def _remove_salvo(self, editor: _SalvoEditor) -> None:
        self.salvo_box.children = [e for e in self.salvo_box.children if e is not editor]

    # --- applying and optimising -------------------------------------------------------
    def apply(self) -> bool:
        """Read the tables and hand them to the app; on a refusal show why, beside them."""
        try:
            sites = sites_from_rows(self.site_rows())
        except WhatifError as exc:
            self.say(str(exc), error=True)
            return False
        return self._apply(sites, plan_from_rows(self.salvo_rows()), self.inventory())

    def inventory(self) -> dict | None:
        """The inventory shown, if it limits the plan."""
        if not self.use_inventory.value:
            return None
        return {"on_hand": int(self.on_hand.value),
                "delivered_per_30_days": int(self.delivered.value)}

    def _apply(self, sites, plan, inventory) -> bool:
        problem = self._on_apply(sites, plan, inventory)
        if problem:
            self.say(problem, error=True)
            return False
        self.say("Plan applied.")
        return True

    def say(self, message: str, error: bool = False) -> None:
        self.message.value = status_html(one_line(message), error)

    def optimise(self):
        """Run the optimiser on the sites shown and the scenario's assumptions."""
        self.use_best.disabled = True
        self.progress.layout.visibility = "visible"
        self.progress.value = 0

        def progress(done: int, most: int) -> None:
            # about 50 updates in all: each one is a message to the page
            if done - self.progress.value < max(most // 50, 1) and done < most:
                return
            self.progress.max = max(most, 1)
            self.progress.value = min(done, self.progress.max)

        try:
            sites = sites_from_rows(self.site_rows())
            self.best = self._on_optimise(sites, self.inventory(), int(self.missiles.value),
                                          int(self.salvos.value), self.objective.value,
                                          int(self.samples.value), progress)
        except WhatifError as exc:
            self.best = None
            self.report.value = ""
            self.say(str(exc), error=True)
            return None
        finally:
            self.progress.layout.visibility = "hidden"
        self.report.value = optimise_html(self.best)
        self.use_best.disabled = False
        self.say(f"Optimised: {self.best.evaluations:,} plans run.")
        return self.best

    def _use_best(self) -> None:
        if self.best is None:
            return
        scenario = self.best.scenario
        self.show(scenario)
        self.apply()
