"""Sites, plans and the inventory through the whole model (MODEL.md §6): a scenario without
sites is the single plant, a one-site system is the same plant, exact hand cases of the
Leontief rule across sites, per-site overrides, series, JSON and the errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from numba import njit
from numpy.testing import assert_allclose

from whatif.cli import main
from whatif.engine import missiles_needed, simulate
from whatif.errors import ParameterError
from whatif.model.system import available_share, system_available_into
from whatif.resources import scenario_path
from whatif.scenario import Scenario

#: a strike whose expectation is exact and simple: every missile flies and kills its
#: aimpoint, no defence; production flat at 100/day, no stock, no dispersal, linear repair
EXACT = dict(launch_reliability=1.0, defense_engagements=0, intercept_probability=0.0,
             aimpoint_kill_probability=1.0, production_path="target", production_now=100.0,
             ramp_days=0.0, stockpile_days=0.0, dispersal_share=0.0, repair_days=60.0,
             recovery="linear", horizon_days=180, allocation="even")

LINES = [
    {"name": "line-a", "role": "assembly", "share": 0.6, "stages": "airframes:4;assembly:4"},
    {"name": "line-b", "role": "assembly", "share": 0.3, "stages": "assembly:2",
     "repair_days": 20},
    {"name": "engines", "role": "component", "supplies": ["line-a", "line-b"],
     "stages": "engines:2"},
]


def exact_system(plan, sites=LINES, **values):
    return Scenario.default().with_values(**{**EXACT, **values}).with_plan(sites=sites, plan=plan)


def run(scenario, samples=0, seed=0, series=False):
    return simulate(scenario, samples=samples, seed=seed, series=series)


# --- backward compatibility --------------------------------------------------------------


@pytest.mark.parametrize("samples", [0, 3_000])
def test_restrikes_are_shorthand_for_the_same_plan_bit_for_bit(samples):
    shorthand = Scenario.default().with_values(missiles=20, restrikes=2,
                                               restrike_interval_days=30)
    plan = Scenario.default().with_plan(plan=[{"day": d, "missiles": {"plant": 20}}
                                              for d in (0, 30, 60)])
    a, b = run(shorthand, samples), run(plan, samples)
    np.testing.assert_array_equal(a.outputs.to_numpy(), b.outputs.to_numpy())
    assert a.sites is None and b.sites is None


@pytest.mark.parametrize("samples", [0, 3_000])
def test_a_one_site_system_is_the_single_plant(samples):
    """The system path (sites, Leontief, national sum) gives the single plant's numbers to
    rounding, draw for draw (site 0 draws from the salvo's own stream)."""
    plant = Scenario.default().with_values(missiles=30, site_share=0.85)
    one = Scenario.default().with_plan(
        sites=[{"name": "main", "role": "assembly", "share": 0.85,
                "stages": [{"name": s.name, "aimpoints": s.aimpoints}
                           for s in plant.stages]}],
        plan=[{"day": 0, "missiles": {"main": 30}}])
    a, b = run(plant, samples), run(one, samples)
    assert_allclose(b.outputs.to_numpy(), a.outputs.to_numpy(), rtol=1e-12, atol=1e-9)
    assert_allclose(b.sites.loc["main"].to_numpy(), a.summary.loc["capacity_loss"].to_numpy(),
                    rtol=1e-12, atol=1e-15)


def test_the_bundled_scenarios_without_sites_are_unchanged_by_the_system_code():
    """Pinned: the baseline's deterministic figures (computed before sites existed)."""
    result = run(Scenario.from_yaml(scenario_path("baseline")))
    assert result.sites is None
    outputs = result.outputs.iloc[0]
    assert outputs["capacity_loss"] == 0.6609944444444444
    assert outputs["drones_denied"] == 1557.7175768062784
    assert outputs["energy_hits_deferred"] == 109.04023037643951


# --- exact hand cases -------------------------------------------------------------------


def test_the_engine_maker_lost_stops_both_lines():
    result = run(exact_system([{"day": 0, "missiles": {"engines": 2}}]))
    # both engine aimpoints destroyed: no engines, so neither line builds anything
    assert result.summary.loc["capacity_loss", "mean"] == pytest.approx(1.0, rel=1e-15)
    assert result.sites["mean"].to_dict() == pytest.approx(
        {"line-a": 1.0, "line-b": 1.0, "engines": 1.0})
    # national loss 0.9 (the lines' shares), repaired linearly over 60 days: P·L·T/2
    assert result.summary.loc["drones_denied", "mean"] == pytest.approx(
        100.0 * 0.9 * 60.0 / 2, rel=1e-12)


def test_a_line_alone_loses_its_share_and_repairs_on_its_own_clock():
    # one of line-b's two aimpoints: half its capacity, repaired over its own 20 days
    result = run(exact_system([{"day": 0, "missiles": {"line-b": 1}}]))
    assert result.summary.loc["capacity_loss", "mean"] == pytest.approx(0.3 * 0.5 / 0.9,
                                                                        rel=1e-14)
    assert result.sites["mean"].to_dict() == pytest.approx(
        {"line-a": 0.0, "line-b": 0.5, "engines": 0.0}, abs=1e-15)
    assert result.summary.loc["drones_denied", "mean"] == pytest.approx(
        100.0 * 0.3 * 0.5 * 20.0 / 2, rel=1e-12)


def test_leontief_takes_the_larger_of_own_and_supplier_loss_day_by_day():
    # line-a loses half (4 of 8 aimpoints, even allocation: 2 per stage → each stage half),
    # engines lose half on day 10; line-b takes the engines' half
    plan = [{"day": 0, "missiles": {"line-a": 4}}, {"day": 10, "missiles": {"engines": 1}}]
    result = run(exact_system(plan), series=True)
    assert result.summary.loc["capacity_loss", "mean"] == pytest.approx(0.6 * 0.5 / 0.9)
    daily = result.series
    day = 15  # line-a: 0.5 × (1 - 15.5/60); engines: 0.5 × (1 - 5.5/60)
    own_a = 0.5 * (1 - 15.5 / 60)
    engines = 0.5 * (1 - 5.5 / 60)
    expected = {"site:line-a": 1 - max(own_a, engines), "site:line-b": 1 - engines,
                "site:engines": 1 - engines}
    for name, value in expected.items():
        assert daily.loc[day, (name, "mean")] == pytest.approx(value, rel=1e-12)
    national = 0.6 * max(own_a, engines) + 0.3 * engines
    assert daily.loc[day, ("plant_capacity_lost", "mean")] == pytest.approx(national / 0.9,
                                                                            rel=1e-12)
    assert daily.loc[day, ("production_strike", "mean")] == pytest.approx(
        100.0 * (1 - national), rel=1e-12)


def test_site_overrides_apply_to_their_site_only():
    sites = [dict(LINES[0]), dict(LINES[1]),
             {**LINES[2], "defense_engagements": 10, "intercept_probability": 1.0}]
    result = run(exact_system([{"day": 0, "missiles": {"engines": 2, "line-b": 2}}],
                              sites=sites))
    # every missile at the engine maker is shot down; line-b's two are not
    assert result.sites.loc["engines", "mean"] == 0.0
    assert result.sites.loc["line-b", "mean"] == pytest.approx(1.0)
    assert result.summary.loc["capacity_loss", "mean"] == pytest.approx(0.3 / 0.9)


def test_site_overrides_drawn_in_monte_carlo_from_their_own_stream():
    sites = [dict(LINES[0]), dict(LINES[1]),
             {**LINES[2], "aimpoint_kill_probability": {"low": 0.1, "mode": 0.2, "high": 0.3,
                                                        "dist": "triangular"}}]
    plan = [{"day": 0, "missiles": {"engines": 2}}]
    weak = run(exact_system(plan, sites=sites), samples=4_000, seed=1)
    strong = run(exact_system(plan), samples=4_000, seed=1)
    assert strong.sites.loc["engines", "mean"] == pytest.approx(1.0)
    # two missiles on two aimpoints at p ≈ 0.2: about 0.2 of the engine maker lost
    assert weak.sites.loc["engines", "mean"] == pytest.approx(0.2, abs=0.02)
    again = run(exact_system(plan, sites=sites), samples=4_000, seed=1)
    np.testing.assert_array_equal(weak.outputs.to_numpy(), again.outputs.to_numpy())


def test_compiled_leontief_equals_the_numpy_rule():
    @njit
    def compiled(lost, suppliers, counts, order):
        out = np.empty((lost.shape[0], lost.shape[1]))
        for s in range(lost.shape[0]):
            system_available_into(lost[s], suppliers, counts, order, out[s])
        return out

    rng = np.random.default_rng(3)
    lost = rng.random((200, 4))
    supplied_by = ((2, 3), (2,), (3,), ())
    order = (3, 2, 0, 1)
    suppliers = np.zeros((4, 4), dtype=np.int64)
    for i, row in enumerate(supplied_by):
        suppliers[i, :len(row)] = row
    counts = np.array([len(r) for r in supplied_by], dtype=np.int64)
    np.testing.assert_array_equal(
        compiled(lost, suppliers, counts, np.array(order, dtype=np.int64)),
        available_share(lost, supplied_by, order))


# --- series and outputs -----------------------------------------------------------------


def test_system_series_and_json_sites():
    scenario = Scenario.from_yaml(scenario_path("system-two-lines"))
    result = simulate(scenario, samples=500, seed=0, series=True)
    names = [f"site:{name}" for name in ("line-a", "line-b", "engines")]
    for name in names:
        values = result.series[(name, "mean")]
        assert values.between(0.0, 1.0).all()
        assert result.series.attrs["units"][name] == "share"
    data = result.to_dict()
    assert set(data["sites"]) == {"line-a", "line-b", "engines"}
    assert set(data["sites"]["engines"]["capacity_loss"]) == {"mean", "p10", "p50", "p90"}
    assert data["plan"] == [{"day": 0, "missiles": {"line-a": 21, "line-b": 9}}]
    # the listed capacity loss is the share-weighted loss of the assembly lines
    weighted = (0.70 * result.sites.loc["line-a", "mean"]
                + 0.29 * result.sites.loc["line-b", "mean"]) / 0.99
    assert result.summary.loc["capacity_loss", "mean"] == pytest.approx(weighted, rel=1e-12)


def test_cli_run_json_has_sites(capsys):
    assert main(["run", "system-two-lines", "--samples", "300", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["sites"]) == {"line-a", "line-b", "engines"}
    mean = data["sites"]["line-a"]["capacity_loss"]["mean"]
    assert 0.0 < mean <= 1.0


def test_campaign_fires_three_salvos_from_its_deliveries():
    result = run(Scenario.from_yaml(scenario_path("campaign")))
    assert result.summary.loc["strike_cost_usd", "mean"] == pytest.approx(
        48 * Scenario.default().central("missile_unit_cost"))
    data = result.to_dict()
    assert data["inventory"] == {"on_hand": 30, "delivered_per_30_days": 10}


# --- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "message"), [
    (dict(plan=[{"day": 0, "missiles": {"nowhere": 3}}]), "salvo 1 (day 0): nowhere is not a "
                                                           "listed site"),
    (dict(plan=[{"day": 400, "missiles": {"engines": 3}}]), "salvo 1 (day 400): lands after"),
    (dict(plan=[{"day": -1, "missiles": {"engines": 3}}]), "cannot land before day 0"),
    (dict(plan=[{"day": 0, "missiles": {"engines": 40}}], inventory={"on_hand": 30}),
     "salvo 1 (day 0) fires 40 missiles but 30 are in hand; 10 short"),
])
def test_bad_plans_name_the_salvo(change, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Scenario.default().with_plan(sites=LINES, **change)


def test_sites_without_a_plan_cannot_run_and_name_the_fix():
    scenario = Scenario.default().with_plan(sites=LINES)
    with pytest.raises(ParameterError, match="plan: the scenario lists sites but no plan"):
        simulate(scenario, samples=0)


def test_a_shorter_horizon_refuses_a_planned_salvo():
    scenario = exact_system([{"day": 100, "missiles": {"engines": 2}}])
    with pytest.raises(ParameterError, match=r"salvo 1 \(day 100\) lands after the horizon"):
        scenario.with_values(horizon_days=90)


def test_a_plan_and_salvo_assumptions_clash():
    scenario = Scenario.default().with_values(missiles=20)
    with pytest.raises(ParameterError, match="sets missiles, which its plan replaces"):
        scenario.with_plan(plan=[{"day": 0, "missiles": {"plant": 5}}])
    with pytest.raises(ParameterError, match="sets stages, which its sites replace"):
        Scenario.default().with_values(stages="a:1").with_plan(sites=LINES)


def test_missiles_needed_refuses_a_plan():
    with pytest.raises(ParameterError, match="plan optimise"):
        missiles_needed(Scenario.from_yaml(scenario_path("campaign")), samples=0)


def test_cli_bad_plan_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("sites:\n  - {name: a, role: assembly, share: 0.5, stages: 'x:2'}\n"
                    "  - {name: b, role: component, supplies: [a, zz], stages: 'y:1'}\n"
                    "plan: [{day: 0, missiles: {a: 2}}]\n")
    assert main(["run", str(path), "--samples", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "site b supplies zz, which is not a listed site" in err


def test_scenario_with_sites_round_trips_through_yaml():
    scenario = Scenario.from_yaml(scenario_path("system-two-lines"))
    again = Scenario.from_text(scenario.to_yaml())
    assert again.system == scenario.system
    assert again.plan == scenario.plan and again.inventory == scenario.inventory
    assert math.isclose(float(again.system.share.sum()), 0.99)


@pytest.mark.parametrize("exponential", [0, 1])
@pytest.mark.parametrize("repair", [0.4, 1.0, 7.5, 30.0, 64.0])
def test_lost_days_equal_the_plants_lost_share_day_by_day(exponential, repair):
    """One truth: the vectorised days (what the chain reads) are plant_lost_share's sums,
    bit for bit, before its cap at 1."""
    from whatif.model.production import lost_days_into, plant_lost_share

    @njit
    def both(days, salvo_day, salvo_loss, repair, exponential):
        row = np.empty(days)
        lost_days_into(days, salvo_day, salvo_loss, repair, exponential, row)
        direct = np.empty(days)
        for t in range(days):
            direct[t] = plant_lost_share(float(t), salvo_day, salvo_loss, repair, exponential)
        return row, direct

    salvo_day = np.array([0.0, 3.0, 10.0, 31.0])
    salvo_loss = np.array([0.45, 0.0, 0.8, 0.3])
    row, direct = both(60, salvo_day, salvo_loss, repair, exponential)
    np.testing.assert_array_equal(np.minimum(row, 1.0), direct)


def test_cli_plan_beyond_the_inventory_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "short.yaml"
    path.write_text("plan:\n  - {day: 0, missiles: {plant: 20}}\n"
                    "  - {day: 28, missiles: {plant: 6}}\n"
                    "inventory: {on_hand: 24, delivered_per_30_days: 5}\n")
    assert main(["run", str(path), "--samples", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert ("plan: salvo 2 (day 28) fires 6 missiles but 4 are in hand; 2 short (on hand 24, "
            "5 delivered every 30 days)") in err


def test_system_days_equal_the_one_day_rule_day_by_day():
    """One truth: the vectorised system days (what the chain reads) are, day by day, the
    one-day Leontief rule and national sum applied to each site's capped loss."""
    from whatif.model.production import plant_lost_share
    from whatif.model.system import system_days_into, system_national_lost

    @njit
    def both(days, salvo_day, site_loss, repair, exponential, suppliers, counts, order, share):
        sites = order.shape[0]
        out = np.empty((sites + 1, days))
        system_days_into(days, salvo_day, site_loss, repair, exponential, suppliers, counts,
                         order, share, out)
        direct = np.empty((sites + 1, days))
        lost = np.empty(sites)
        available = np.empty(sites)
        for t in range(days):
            for s in range(sites):
                lost[s] = plant_lost_share(float(t), salvo_day, site_loss[:, s].copy(),
                                           repair[s], exponential[s])
            system_available_into(lost, suppliers, counts, order, available)
            direct[:sites, t] = available
            direct[sites, t] = system_national_lost(available, share)
        return out, direct

    salvo_day = np.array([0.0, 5.0, 21.0])
    site_loss = np.array([[0.5, 0.0, 0.7, 0.2], [0.6, 0.3, 0.0, 0.0], [0.0, 0.9, 0.4, 0.1]])
    repair = np.array([30.0, 12.5, 45.2, 8.0])
    exponential = np.array([0, 1, 0, 0], dtype=np.int64)
    supplied_by = ((2, 3), (2,), (3,), ())
    suppliers = np.zeros((4, 4), dtype=np.int64)
    for i, row in enumerate(supplied_by):
        suppliers[i, :len(row)] = row
    counts = np.array([len(r) for r in supplied_by], dtype=np.int64)
    order = np.array([3, 2, 0, 1], dtype=np.int64)
    share = np.array([0.5, 0.3, 0.0, 0.0])
    out, direct = both(70, salvo_day, site_loss, repair, exponential, suppliers, counts, order,
                       share)
    np.testing.assert_array_equal(out, direct)


def test_each_site_draws_from_its_own_stream():
    """Site 0 draws a salvo's outcome from the salvo's stream, as the single plant does; site
    ``i > 0`` from its sub-stream ``SITE_STREAM + i`` (MODEL.md §6). Two identical sites
    struck alike therefore fall independently, and each sample's loss is exactly
    :func:`sampled_salvo_loss` on that key."""
    from whatif.engine import compile_scenario
    from whatif.model import chain
    from whatif.model.layout import StrikeParams
    from whatif.model.rng import sub_key
    from whatif.model.strike import sampled_salvo_loss

    twins = [{"name": name, "role": "assembly", "share": 0.3, "stages": "airframes:3;assembly:3"}
             for name in ("twin-a", "twin-b", "twin-c")]
    plan = [{"day": 0, "missiles": {"twin-a": 4, "twin-b": 4, "twin-c": 4}},
            {"day": 30, "missiles": {"twin-a": 2, "twin-b": 0, "twin-c": 5}}]
    scenario = Scenario.default().with_values(launch_reliability=0.8, defense_engagements=3,
                                              intercept_probability=0.5,
                                              aimpoint_kill_probability=0.7,
                                              allocation="even").with_plan(sites=twins,
                                                                           plan=plan)
    samples = 2_000
    result = simulate(scenario, samples=samples, seed=11)
    lost = result.site_outputs.to_numpy()  # the first salvo's loss at each (unsupplied) site
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assert np.mean(lost[:, i] != lost[:, j]) > 0.3
        assert abs(np.corrcoef(lost[:, i], lost[:, j])[0, 1]) < 0.1
    compiled, inputs = compile_scenario(scenario, samples, 11)
    stages = np.array([3, 3], dtype=np.int64)
    for s in (0, 1, 517, samples - 1):
        row = inputs.iloc[s]
        strike = StrikeParams(float(row["launch_reliability"]), float(row["defense_engagements"]),
                              float(row["intercept_probability"]),
                              float(row["aimpoint_kill_probability"]), False)
        salvo_key = np.uint64(sub_key(np.uint64(chain._row_key(compiled.shared, s)), 0))
        for site in range(3):
            site_key = salvo_key if site == 0 else np.uint64(
                sub_key(salvo_key, chain.SITE_STREAM + site))
            assert lost[s, site] == sampled_salvo_loss(site_key, 4, strike, stages)
