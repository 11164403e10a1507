"""The working: how each headline figure is reached, step by step, at the current values.

:func:`working` runs the scenario once, deterministically (central values, expected strike
outcome: ``simulate(scenario, samples=0)``), through :func:`whatif.model.working.run_working`,
which keeps the kernel's intermediate quantities. Each headline output gets a
:class:`Chain` of :class:`Step` s (name, label, value, unit, how it was done) whose last
value *is* that output of the run, bit for bit. No step is a second model: every value is
the kernel's (its outputs, its scratch, its daily series) or an assumption it read.

In Monte Carlo the headline shows P50 and P10–P90 over many samples; the working is still
the one expected-value chain at the central values, and :attr:`Working.note` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from whatif.engine import (
    _check_samples,
    check_series_samples,
    check_work,
    compile_scenario,
    work_per_run,
)
from whatif.errors import ParameterError
from whatif.formatting import format_value
from whatif.model.layout import CONSTANTS
from whatif.model.production import DISRUPTED_BELOW
from whatif.model.working import RunWorking, SalvoStrike, run_working
from whatif.outputs import OUTPUTS
from whatif.scenario import Scenario

#: the headline figures that have a working, in the headline's order
HEADLINE = ("capacity_loss", "days_disrupted", "drones_denied", "energy_hits_averted",
            "energy_hits_deferred", "grid_gw_days_averted", "cost_exchange_ratio")

_OUT = {name: CONSTANTS[name.upper()] for name in OUTPUTS}
_PRODUCTION_BASELINE, _PRODUCTION_STRIKE = (CONSTANTS["PRODUCTION_BASELINE"],
                                            CONSTANTS["PRODUCTION_STRIKE"])
_GRID_BASELINE, _GRID_STRIKE = (CONSTANTS["GRID_DAMAGED_BASELINE"],
                                CONSTANTS["GRID_DAMAGED_STRIKE"])


@dataclass(frozen=True)
class Step:
    """One intermediate quantity: ``value`` [``unit``], and ``how`` it follows from the
    steps before (one short phrase)."""

    name: str
    label: str
    value: float
    unit: str
    how: str

    def to_dict(self) -> dict:
        return {"name": self.name, "label": self.label, "value": float(self.value),
                "unit": self.unit, "how": self.how}


@dataclass(frozen=True)
class Chain:
    """How one headline output is reached: its steps, the last of which is the output."""

    output: str
    label: str
    unit: str
    steps: tuple[Step, ...]

    @property
    def value(self) -> float:
        """The output's value [``unit``]: the last step's."""
        return self.steps[-1].value


@dataclass(frozen=True)
class Working:
    """The working of every headline figure of one scenario (:func:`working`).

    ``samples``: the samples the headline it explains was run with (0: deterministic);
    ``missiles``: the salvo size used, None when a plan fixes the missiles.
    """

    scenario: Scenario
    samples: int
    missiles: int | None
    chains: tuple[Chain, ...]
    note: str

    def chain(self, output: str) -> Chain:
        for found in self.chains:
            if found.output == output:
                return found
        raise KeyError(output)

    def to_dict(self) -> dict:
        """JSON-ready: title, samples, missiles, note, and per output its value and steps."""
        return {"title": self.scenario.title, "samples": self.samples,
                "missiles": self.missiles, "note": self.note,
                "outputs": {c.output: {"label": c.label, "unit": c.unit,
                                       "value": float(c.value),
                                       "steps": [s.to_dict() for s in c.steps]}
                            for c in self.chains}}


def note_text(samples: int) -> str:
    """What the working is, beside a headline of ``samples`` samples (0: deterministic)."""
    if samples:
        return (f"This is the expected-value chain at these values; the headline's P50 comes "
                f"from {samples:,} samples, so the two can differ.")
    return ("This is the expected-value chain at these values: each chain ends at the "
            "headline figure.")


def working(scenario: Scenario, missiles: int | None = None, samples: int = 0) -> Working:
    """How each headline figure of ``scenario`` is reached at its central values.

    Parameters
    ----------
    scenario : Scenario
    missiles : int, optional
        Missiles per salvo [missiles] instead of the scenario's (not with a plan, which
        fixes its missiles).
    samples : int
        The samples of the headline this explains (0: deterministic), for the note only:
        the working itself is always the deterministic run.

    Returns
    -------
    Working
        Per output of :data:`HEADLINE` a :class:`Chain` whose last step equals that
        output of ``simulate(scenario, samples=0)`` exactly.
    """
    samples = _check_samples(samples)
    if missiles is not None:
        if scenario.plan:
            raise ParameterError("missiles", "this scenario's plan fixes its missiles; "
                                 "change the plan instead")
        scenario = scenario.with_values(missiles=missiles)
    check_work(1, work_per_run(scenario, stochastic=False), " run of the working")
    check_series_samples(scenario, 1)
    compiled, _ = compile_scenario(scenario, 0, 0)
    run = run_working(compiled.theta, compiled.shared)
    if not np.isfinite(run.outputs).all():  # a model defect, never user input
        raise FloatingPointError("the model produced a non-finite output")
    steps = _Steps(scenario, run)
    labels = {**{name: OUTPUTS[name].label for name in HEADLINE},
              "capacity_loss": steps.capacity_step().label}  # (a system's: its listed sites')
    chains = tuple(Chain(name, labels[name], OUTPUTS[name].unit, tuple(getattr(steps, name)()))
                   for name in HEADLINE)
    salvo = None if scenario.plan else int(run.values["missiles"])
    return Working(scenario, samples, salvo, chains, note_text(samples))


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class _Steps:
    """The steps of each chain, from one :class:`RunWorking`."""

    def __init__(self, scenario: Scenario, run: RunWorking):
        self.scenario = scenario
        self.run = run
        self.system = scenario.system
        self.names = scenario.site_names
        self.out = {name: float(run.outputs[i]) for name, i in _OUT.items()}
        self.horizon = run.horizon_days
        series = run.series
        self.base0 = float(series[_PRODUCTION_BASELINE, 0])
        self.lost0 = float(series[_PRODUCTION_BASELINE, 0] - series[_PRODUCTION_STRIKE, 0])

    # --- shared pieces ---------------------------------------------------------------
    def _site_stages(self, site: int):
        return (self.scenario.stages if self.system is None
                else self.system.sites[site].stages)

    def strike(self, s: SalvoStrike) -> list[Step]:
        """A salvo at one site, from its missiles to the capacity it knocks out."""
        site = self.names[s.site] if self.system is not None else ""
        key, who = (f"{site}.", f"{site}: ") if site else ("", "")
        st = s.strike
        stages = self._site_stages(s.site)
        if s.targeted_stage >= 0:
            aimed = (f"the {stages[s.targeted_stage].name} stage only, the smallest "
                     "(bottleneck allocation)")
        elif len(stages) > 1:
            aimed = f"every aimpoint of the {len(stages)} stages (even allocation)"
        else:
            aimed = "every aimpoint of the one stage"
        k, more, a = s.missiles_per_aimpoint, s.aimpoints_with_one_more, s.aimpoints_targeted
        kill = f"1 − (1 − {s.arrival_probability:.3g} × {st.aimpoint_kill_probability:.3g})"
        steps = [
            Step(key + "missiles", who + "Missiles in the first salvo", s.missiles, "missiles",
                 f"fired on day {s.day:g}"),
            Step(key + "launched", who + "Missiles launched and flying", s.launched, "missiles",
                 f"{s.missiles:,} × launch reliability {st.launch_reliability:.3g}"),
            Step(key + "engaged", who + "Engaged by the air defence", s.engaged, "missiles",
                 f"as many as launched, up to the defence's {st.defense_engagements:g} per "
                 "salvo"),
            Step(key + "intercepted", who + "Intercepted", s.intercepted, "missiles",
                 f"engaged × intercept probability {st.intercept_probability:.3g}"),
            Step(key + "arrivals", who + "Arrivals", s.arrivals, "missiles",
                 "launched − intercepted"),
            Step(key + "arrival_probability", who + "Chance a missile arrives",
                 s.arrival_probability, "probability", "arrivals ÷ missiles"),
            Step(key + "aimpoints_targeted", who + "Aimpoints targeted", a, "aimpoints", aimed),
            Step(key + "missiles_per_aimpoint", who + "Missiles per aimpoint", k, "missiles",
                 f"{s.missiles:,} ÷ {a:,}" + (f", {_plural(more, 'aimpoint')} get one more"
                                             if more else "")),
            Step(key + "destroyed_probability", who + "P(aimpoint destroyed)",
                 s.destroyed_probability, "probability",
                 f"{kill}^{k}: arrival chance × kill probability, {_plural(k, 'missile')}"),
        ]
        if more:
            steps.append(Step(key + "destroyed_probability_one_more",
                              who + "P(aimpoint destroyed), one missile more",
                              s.destroyed_probability_one_more, "probability",
                              f"{kill}^{k + 1}"))
            destroyed = (f"{more:,} × P(with one more) + {a - more:,} × P(aimpoint destroyed)")
        else:
            destroyed = f"{a:,} × P(aimpoint destroyed)"
        steps.append(Step(key + "aimpoints_destroyed", who + "Aimpoints destroyed",
                          s.aimpoints_destroyed, "aimpoints", destroyed + " (expected)"))
        if s.targeted_stage >= 0 and len(stages) > 1:
            lost = ("destroyed ÷ targeted: the bottleneck stage's loss, which the whole "
                    + ("site" if site else "plant") + " loses")
        elif len(stages) > 1:
            lost = ("destroyed ÷ targeted: each stage's expected loss, the point estimate of "
                    "the worst stage's")
        else:
            lost = "destroyed ÷ targeted"
        label = f"{site}: capacity lost" if site else "Plant capacity lost"
        steps.append(Step(key + "capacity_lost", label, s.capacity_lost, "share", lost))
        return steps

    def _first_strikes(self) -> list[SalvoStrike]:
        return [s for s in self.run.strikes if s.salvo == 0]

    def capacity_step(self) -> Step:
        label = ("Listed sites' output lost (first salvo)" if self.system is not None
                 else "Plant capacity lost (first salvo)")
        return Step("capacity_loss", label, self.out["capacity_loss"], "share",
                    "the first salvo (see capacity lost)")

    def national_step(self) -> Step:
        if self.system is not None:
            how = "Σ each site's share of national output × its output lost"
        else:
            how = (f"× the plant's share of national output "
                   f"{format_value(self.run.values['site_share'], 'share')}")
        return Step("national_output_lost", "National output lost right after the first salvo",
                    self.run.national_lost, "share", how)

    def day_zero_steps(self) -> list[Step]:
        path = self.scenario.central("production_path")
        return [
            Step("production_baseline_day0", "Output without the strike, day 0", self.base0,
                 "drones/day", f"the {path} path"),
            Step("production_lost_day0", "Output lost, day 0", self.lost0, "drones/day",
                 "without − with the strike, from the daily series (day 0's average: repair "
                 "and dispersal under way)"),
        ]

    def salvo_steps(self) -> list[Step]:
        """Each salvo's loss at each site it strikes (the first salvo's worked out in
        capacity lost)."""
        if len(self.run.salvo_day) == 1 and self.system is None:
            return [self.capacity_step()]
        steps = []
        for s in self.run.strikes:
            site = self.names[s.site] if self.system is not None else ""
            steps.append(Step(f"salvo_{s.salvo + 1}{'.' + site if site else ''}.capacity_lost",
                              f"Salvo {s.salvo + 1} (day {s.day:g}){', ' + site if site else ''}"
                              ": capacity lost", s.capacity_lost, "share",
                              _plural(s.missiles, "missile")
                              + ("; adds to what is still out, at most 100%" if s.salvo else "")))
        return steps

    def stock_step(self) -> Step:
        policy = self.scenario.central("stock_policy")
        how = {"drawdown": "drawn down to cover lost output, not rebuilt",
               "hold": "held back: launches fall with output at once",
               "rebuild": (f"drawn down, then rebuilt from "
                           f"{format_value(self.run.values['rebuild_share'], 'share')} of output")
               }[policy]
        return Step("stock_shortfall_end", f"Stock still short on day {self.horizon}",
                    self.out["stock_shortfall_end"], "drones", f"{policy}: the stock is {how}")

    def got_through_steps(self) -> list[Step]:
        defeat = self.run.daily.defeat_rate
        return [
            Step("energy_share", "Share of launches aimed at energy",
                 self.run.daily.energy_share, "share", "an assumption"),
            Step("got_through", "Share not shot down", 1.0 - defeat, "share",
                 f"1 − defeat rate {format_value(defeat, 'share')}"),
        ]

    def denied_step(self) -> Step:
        return Step("drones_denied", "Drones denied", self.out["drones_denied"], "drones",
                    f"output lost, summed over the {self.horizon} days")

    def launches_step(self) -> Step:
        return Step("launches_averted", "Launches averted", self.run.launches_averted,
                    "drones", "launches without − with the strike, summed over the horizon "
                              "(drones denied − stock short)")

    # --- the chains --------------------------------------------------------------------
    def capacity_loss(self) -> list[Step]:
        firsts = self._first_strikes()
        if self.system is None:
            steps = self.strike(firsts[0])
            steps[-1] = Step("capacity_loss", "Plant capacity lost (first salvo)",
                             self.out["capacity_loss"], "share", steps[-1].how)
            return steps
        steps = [step for s in firsts for step in self.strike(s)]
        for i, site in enumerate(self.system.sites):
            feeders = [self.names[c] for c in self.system.suppliers[i]]
            how = ("its own loss, or the most any supplier (" + ", ".join(feeders)
                   + ") loses" if feeders else "its own loss")
            steps.append(Step(f"{site.name}.output_lost",
                              f"{site.name}: output lost right after the first salvo",
                              float(self.run.site_output_lost[i]), "share", how))
        steps.append(self.national_step())
        steps.append(Step("capacity_loss", "Listed sites' output lost (first salvo)",
                          self.out["capacity_loss"], "share",
                          f"÷ the listed sites' share of national output "
                          f"{format_value(self.run.listed_share, 'share')}"))
        return steps

    def days_disrupted(self) -> list[Step]:
        steps = [self.capacity_step(), self.national_step(), *self.day_zero_steps(),
                 Step("share_lost_day0", "Share of output lost, day 0",
                      self.lost0 / self.base0 if self.base0 > 0 else 0.0, "share",
                      f"a day is disrupted while more than {1.0 - DISRUPTED_BELOW:.0%} is "
                      "lost")]
        if self.system is None:
            recovery = self.scenario.central("recovery")
            steps.append(Step("repair_days", "Repair time", float(self.run.site_repair_days[0]),
                              "days", f"{recovery} recovery"))
            dispersal = self.run.values["dispersal_share"]
            if dispersal > 0:
                steps.append(Step("dispersal_share", "Made up by other sites, at most",
                                  dispersal, "share",
                                  f"reached after {self.run.values['dispersal_days']:g} days"))
        else:
            for i in sorted({s.site for s in self._first_strikes()}):
                steps.append(Step(f"{self.names[i]}.repair_days",
                                  f"{self.names[i]}: repair time",
                                  float(self.run.site_repair_days[i]), "days", "its own or "
                                  "the scenario's"))
        salvos = len(self.run.salvo_day)
        if salvos > 1:
            days = ", ".join(f"{d:g}" for d in self.run.salvo_day)
            steps.append(Step("salvos", "Salvos", salvos, "salvos", f"on days {days}"))
        steps.append(Step("days_disrupted", "Days disrupted", self.out["days_disrupted"], "days",
                          f"days of the {self.horizon} with output below "
                          f"{DISRUPTED_BELOW:.0%} of the no-strike path"))
        return steps

    def drones_denied(self) -> list[Step]:
        series = self.run.series
        days = self.horizon
        lost_days = int(np.count_nonzero(series[_PRODUCTION_STRIKE, :days]
                                         < series[_PRODUCTION_BASELINE, :days]))
        steps = [*self.salvo_steps(), self.national_step(), *self.day_zero_steps(),
                 Step("days_output_lost", "Days with output lost", lost_days, "days",
                      "days of the daily series below the no-strike path"),
                 self.denied_step()]
        return steps

    def energy_hits_averted(self) -> list[Step]:
        stockpile = self.run.values["stockpile_days"]
        return [
            self.denied_step(),
            Step("stock_start", "Stock of finished drones, day 0", self.run.stock_start,
                 "drones", f"{stockpile:g} days of day 0's output"),
            self.stock_step(),
            self.launches_step(),
            *self.got_through_steps(),
            Step("energy_hits_averted", "Hits on energy averted",
                 self.out["energy_hits_averted"], "hits",
                 "launches averted × share aimed at energy × share not shot down"),
        ]

    def energy_hits_deferred(self) -> list[Step]:
        return [
            self.denied_step(),
            self.launches_step(),
            self.stock_step(),
            *self.got_through_steps(),
            Step("energy_hits_deferred", "Hits deferred past the horizon",
                 self.out["energy_hits_deferred"], "hits",
                 "stock short × share aimed at energy × share not shot down"),
        ]

    def grid_gw_days_averted(self) -> list[Step]:
        series = self.run.series
        spared = series[_GRID_BASELINE, :self.horizon] - series[_GRID_STRIKE, :self.horizon]
        return [
            Step("energy_hits_averted", "Hits on energy averted",
                 self.out["energy_hits_averted"], "hits", "see hits averted"),
            Step("mw_per_hit", "Grid capacity put out per hit", self.run.values["mw_per_hit"],
                 "MW", "an assumption"),
            Step("grid_repair_days", "Grid repair time", self.run.values["grid_repair_days"],
                 "days", "mean time to restore damaged capacity"),
            Step("grid_spared_peak", "Grid capacity spared, at most",
                 float(spared.max()) if spared.size else 0.0, "MW",
                 "the largest daily gap between damage without and with the strike"),
            Step("grid_gw_days_averted", "Grid outage averted",
                 self.out["grid_gw_days_averted"], "GW·days",
                 "capacity spared summed over the days, ÷ 1,000"),
        ]

    def cost_exchange_ratio(self) -> list[Step]:
        values = self.run.values
        salvos = len(self.run.salvo_day)
        return [
            self.denied_step(),
            Step("value_per_drone", "Value of a drone denied", self.run.value_per_drone, "USD",
                 f"its cost {format_value(values['drone_unit_cost'], 'USD')} + the defence's "
                 f"{format_value(values['defense_cost_per_drone'], 'USD')}"),
            Step("value_denied", "Value denied", self.run.value_denied, "USD",
                 "drones denied × value of a drone"),
            Step("missiles_fired", "Missiles fired", self.run.missiles_fired, "missiles",
                 f"in {_plural(salvos, 'salvo')}"),
            Step("missile_unit_cost", "Cost of a missile", values["missile_unit_cost"], "USD",
                 "an assumption"),
            Step("strike_cost_usd", "Cost of the missiles fired", self.out["strike_cost_usd"],
                 "USD", "missiles fired × cost of a missile"),
            Step("cost_exchange_ratio", "Cost exchange ratio", self.out["cost_exchange_ratio"],
                 "USD per USD", "value denied ÷ cost of the missiles fired"),
        ]
