"""Sites of a production system (issue 11, first part): checking the sites a scenario lists
(``whatif.sites``) and the output that survives a strike (``whatif.model.system``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from whatif.errors import ParameterError, WhatifError
from whatif.model.system import available_share, listed_capacity_lost, national_lost_share
from whatif.params import Assumption, Stage
from whatif.sites import MAX_SITES, system_of

#: two assembly lines and an engine maker that feeds both (generic names)
TWO_LINES = [
    {"name": "line-a", "role": "assembly", "share": 0.6, "stages": "airframes:4;final:2"},
    {"name": "line-b", "role": "assembly", "share": 0.3, "stages": [{"name": "final",
                                                                     "aimpoints": 3}]},
    {"name": "engines", "role": "component", "supplies": ["line-a", "line-b"],
     "stages": "engines:2", "intercept_probability": 0.2, "recovery": "exponential"},
]


# --- the model: exact cases --------------------------------------------------------------------
def test_one_plant_is_its_own_loss():
    lost = np.array([[0.0], [0.25], [1.0]])
    assert available_share(lost, ((),), (0,)).tolist() == [[1.0], [0.75], [0.0]]
    # a single plant with all national output: today's capacity_loss
    assert listed_capacity_lost(lost, [1.0], ((),), (0,)).tolist() == [0.0, 0.25, 1.0]
    # with half the national output, half of its loss is national
    assert national_lost_share(lost, [0.5], ((),), (0,)).tolist() == [0.0, 0.125, 0.5]


def test_a_component_site_holds_back_every_line_it_supplies():
    system = system_of(TWO_LINES)
    assert system.names == ("line-a", "line-b", "engines")
    assert system.suppliers == ((2,), (2,), ())
    assert system.order.index(2) < system.order.index(0)
    # engines lose 0.5, line-a 0.2 of its own, line-b nothing
    lost = np.array([0.2, 0.0, 0.5])
    available = available_share(lost, system.suppliers, system.order)
    assert available.tolist() == [0.5, 0.5, 0.5]
    # national: 0.6 × 0.5 + 0.3 × 0.5 = 0.45; of the listed 0.9: a half
    assert national_lost_share(lost, system.share, system.suppliers,
                               system.order) == pytest.approx(0.45, abs=1e-15)
    assert listed_capacity_lost(lost, system.share, system.suppliers,
                                system.order) == pytest.approx(0.5, abs=1e-15)
    # a line's own loss larger than its supplier's is what binds
    lost = np.array([0.8, 0.1, 0.3])
    assert available_share(lost, system.suppliers, system.order).tolist() == pytest.approx(
        [0.2, 0.7, 0.7], abs=1e-15)


def test_a_chain_of_suppliers():
    # electronics → engines → line: the line gets no more than the scarcest part upstream
    sites = [
        {"name": "line", "role": "assembly", "share": 1.0, "stages": "final:1"},
        {"name": "engines", "role": "component", "supplies": "line", "stages": "e:1"},
        {"name": "electronics", "role": "component", "supplies": ["engines"], "stages": "x:1"},
    ]
    system = system_of(sites)
    assert system.order == (2, 1, 0)
    lost = np.array([0.0, 0.1, 0.6])
    assert available_share(lost, system.suppliers, system.order).tolist() == pytest.approx(
        [0.4, 0.4, 0.4], abs=1e-15)


def test_vectorised_over_samples():
    system = system_of(TWO_LINES)
    rng = np.random.default_rng(2)
    lost = rng.random((5, 7, 3))
    together = listed_capacity_lost(lost, system.share, system.suppliers, system.order)
    assert together.shape == (5, 7)
    for i in range(5):
        for j in range(7):
            one = listed_capacity_lost(lost[i, j], system.share, system.suppliers, system.order)
            assert one == together[i, j]


@settings(max_examples=80, deadline=None)
@given(hnp.arrays(float, 3, elements=st.floats(0, 1)),
       hnp.arrays(float, 3, elements=st.floats(0, 1)))
def test_more_loss_never_leaves_more_output(lost, extra):
    system = system_of(TWO_LINES)
    worse = np.minimum(1.0, lost + extra)
    a = available_share(lost, system.suppliers, system.order)
    b = available_share(worse, system.suppliers, system.order)
    assert (b <= a).all() and (0.0 <= b).all() and (a <= 1.0).all()
    share_lost = listed_capacity_lost(worse, system.share, system.suppliers, system.order)
    assert 0.0 <= share_lost <= 1.0
    assert share_lost >= listed_capacity_lost(lost, system.share, system.suppliers,
                                              system.order) - 1e-15


# --- the sites: what is accepted ---------------------------------------------------------------
def test_sites_read_with_their_own_assumptions():
    system = system_of(TWO_LINES)
    line_a, line_b, engines = system.sites
    assert line_a.stages == (Stage("airframes", 4), Stage("final", 2)) and line_a.share == 0.6
    assert line_b.stages == (Stage("final", 3),) and line_b.supplies == ()
    assert engines.supplies == ("line-a", "line-b") and engines.share == 0.0
    assert engines.overrides["intercept_probability"] == Assumption(0.2, 0.2, 0.2, "fixed")
    assert engines.overrides["recovery"] == "exponential"
    assert dict(line_a.overrides) == {}
    assert system.share.tolist() == [0.6, 0.3, 0.0]


# --- the sites: what is refused, naming the site -----------------------------------------------
def _with(index, **changes):
    sites = [dict(site) for site in TWO_LINES]
    sites[index].update(changes)
    return [{k: v for k, v in site.items() if v is not None} for site in sites]


BAD = {
    "unknown supplied site": (_with(2, supplies=["line-a", "line-c"]),
                              "site engines supplies line-c, which is not a listed site"),
    "supplies itself": (_with(2, supplies=["engines"]), "site engines supplies itself"),
    "shares above 1": (_with(1, share=0.5), "shares sum to 1.1; at most 1"),
    "share out of range": (_with(0, share=1.5), "site line-a: share 1.5 is not a share"),
    "assembly without share": (_with(0, share=None), "site line-a: share None"),
    "component with a share": (_with(2, share=0.1), "site engines: a component site has no share"),
    "assembly that supplies": (_with(0, supplies=["line-b"]),
                               "site line-a: an assembly site supplies no other site"),
    "bad role": (_with(1, role="warehouse"), "site line-b: role 'warehouse' is not one of"),
    "listed twice": (_with(1, name="line-a"), "site line-a is listed twice"),
    "bad override": (_with(2, intercept_probability=2),
                     "site engines: intercept_probability: 2 is out of range"),
    "unknown key": (_with(0, missiles=5), "site 1: unknown key 'missiles'"),
    "no stages": (_with(1, stages=None), "site line-b: no stages"),
    "bad stages": (_with(1, stages="final:0"), "site line-b: 0 (aimpoints of stage final)"),
    "no assembly site": ([TWO_LINES[2] | {"supplies": ["x"]},
                          {"name": "x", "role": "component", "supplies": ["engines"],
                           "stages": "p:1"}], "no assembly site"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_sites_are_refused_naming_the_site(case):
    sites, needle = BAD[case]
    with pytest.raises(ParameterError) as info:
        system_of(sites)
    message = str(info.value)
    assert message.startswith("sites: ") and needle in message, message
    assert "\n" not in message and len(message) < 300


def test_a_supply_loop_is_named():
    sites = [
        {"name": "line", "role": "assembly", "share": 1.0, "stages": "f:1"},
        {"name": "engines", "role": "component", "supplies": ["line", "chips"], "stages": "e:1"},
        {"name": "chips", "role": "component", "supplies": ["engines"], "stages": "c:1"},
    ]
    with pytest.raises(ParameterError, match="a supply loop: (engines → chips → engines|"
                                              "chips → engines → chips)"):
        system_of(sites)


def test_only_components_is_refused():
    sites = [{"name": "engines", "role": "component", "supplies": ["chips"], "stages": "e:1"},
             {"name": "chips", "role": "component", "supplies": ["engines"], "stages": "c:1"}]
    with pytest.raises(WhatifError, match="supply loop|no assembly site"):
        system_of(sites)
    sites = [{"name": "engines", "role": "component", "supplies": ["chips"], "stages": "e:1"},
             {"name": "chips", "role": "component", "supplies": ["radios"], "stages": "c:1"},
             {"name": "radios", "role": "component", "supplies": ["engines2"], "stages": "c:1"},
             {"name": "engines2", "role": "component", "supplies": ["line"], "stages": "c:1"},
             {"name": "line", "role": "component", "supplies": ["engines2x"], "stages": "c:1"}]
    with pytest.raises(ParameterError, match="not a listed site"):
        system_of(sites)


@pytest.mark.parametrize("value", [None, [], "line:4", 5, [[1, 2]], [None]])
def test_not_a_list_of_sites(value):
    with pytest.raises(ParameterError, match="^sites: "):
        system_of(value)


def test_bounded():
    many = [{"name": f"s{i}", "role": "assembly", "share": 0.01, "stages": "f:1"}
            for i in range(MAX_SITES + 1)]
    with pytest.raises(ParameterError, match=f"{MAX_SITES + 1:,} sites; allowed at most 20"):
        system_of(many)
    huge = [{"name": f"s{i}", "role": "assembly", "share": 0.05, "stages": "f:300"}
            for i in range(MAX_SITES)]
    with pytest.raises(ParameterError, match="6,000 aimpoints over all sites; allowed at most"):
        system_of(huge)
    with pytest.raises(ParameterError, match="not a site name"):
        system_of([{"name": "x" * 10_000, "role": "assembly", "share": 1, "stages": "f:1"}])
