"""Strike plans and the missile inventory (issue 11, second part): what is accepted, what is
refused (naming the salvo, its day and the shortfall), and when missiles are in hand."""

from __future__ import annotations

import pytest

from whatif.errors import ParameterError
from whatif.plans import (
    DELIVERY_DAYS,
    MAX_SALVOS,
    Inventory,
    check_inventory,
    parse_inventory,
    parse_plan,
)

SITES = ("line-a", "line-b", "engines")
PLAN = [{"day": 28, "missiles": {"engines": 6}},
        {"day": 0, "missiles": {"engines": 12, "line-a": 8}}]


def test_plan_read_in_order_of_day():
    plan = parse_plan(PLAN, SITES, 180)
    assert [s.day for s in plan] == [0, 28]
    assert dict(plan[0].missiles) == {"engines": 12, "line-a": 8} and plan[0].total == 20
    assert plan[1].total == 6
    assert parse_plan([{"day": 179.0, "missiles": {"line-b": 3}}], SITES, 180)[0].total == 3


def test_deliveries_arrive_on_days_30_60_and_so_on():
    stock = Inventory(on_hand=30, delivered_per_30_days=10)
    assert [stock.delivered_by(d) for d in (0, 29, 30, 59, 60, 179)] == [30, 30, 40, 40, 50, 80]
    assert DELIVERY_DAYS == 30
    assert parse_inventory({"on_hand": 30, "delivered_per_30_days": 10}) == stock
    assert parse_inventory({"on_hand": 5}) == Inventory(5, 0)


def test_a_plan_within_the_inventory_passes():
    plan = parse_plan(PLAN, SITES, 180)
    check_inventory(plan, Inventory(26, 0))  # 20 then 6: exactly enough
    # the second salvo counts on a delivery that has arrived by its day
    late = parse_plan([{"day": 0, "missiles": {"engines": 20}},
                       {"day": 30, "missiles": {"engines": 10}}], SITES, 180)
    check_inventory(late, Inventory(20, 10))


def test_a_plan_beyond_the_inventory_names_the_salvo_day_and_shortfall():
    plan = parse_plan(PLAN, SITES, 180)
    with pytest.raises(ParameterError) as info:
        check_inventory(plan, Inventory(24, 0))
    assert str(info.value) == ("plan: salvo 2 (day 28) fires 6 missiles but 4 are in hand; 2 "
                               "short (on hand 24, 0 delivered every 30 days)")
    early = parse_plan([{"day": 0, "missiles": {"engines": 20}},
                        {"day": 29, "missiles": {"engines": 10}}], SITES, 180)
    with pytest.raises(ParameterError, match=r"salvo 2 \(day 29\) fires 10 missiles but 0 are "
                                             r"in hand; 10 short"):
        check_inventory(early, Inventory(20, 10))  # the batch comes on day 30
    with pytest.raises(ParameterError, match=r"salvo 1 \(day 0\) fires 20 missiles but 5"):
        check_inventory(plan, Inventory(5, 100))


BAD_PLANS = {
    "unknown site": ([{"day": 3, "missiles": {"line-c": 4}}],
                     "plan: salvo 1 (day 3): line-c is not a listed site"),
    "negative day": ([{"day": -1, "missiles": {"engines": 4}}],
                     "plan: salvo 1 (day -1): a salvo cannot land before day 0"),
    "after the horizon": ([{"day": 180, "missiles": {"engines": 4}}],
                          "plan: salvo 1 (day 180): lands after the horizon (day 179 is the last)"),
    "fractional day": ([{"day": 2.5, "missiles": {"engines": 4}}],
                       "plan: salvo 1: day 2.5 is not a whole number of days"),
    "fractional missiles": ([{"day": 2, "missiles": {"engines": 1.5}}],
                            "plan: salvo 1 (day 2): 1.5 missiles at engines is not a whole"),
    "negative missiles": ([{"day": 2, "missiles": {"engines": -3}}],
                          "plan: salvo 1 (day 2): -3 missiles at engines"),
    "no missile": ([{"day": 2, "missiles": {"engines": 0}}], "plan: salvo 1 (day 2): fires no"),
    "same day twice": ([{"day": 2, "missiles": {"engines": 1}},
                        {"day": 2, "missiles": {"line-a": 1}}], "plan: two salvos on day 2"),
    "not a salvo": ([{"day": 2, "site": "engines"}], "plan: salvo 1: "),
    "empty": ([], "plan: [] is not a list of 1 to 60 salvos"),
    "too many": ([{"day": d, "missiles": {"engines": 1}} for d in range(MAX_SALVOS + 1)],
                 "is not a list of 1 to 60 salvos"),
    "huge": ([{"day": 1, "missiles": {"engines": 10**400}}], "is not a whole number from 0"),
    "huge day": ([{"day": 10**400, "missiles": {"engines": 1}}], "lands after the horizon"),
    "text count": ([{"day": 1, "missiles": {"engines": "3"}}], "'3' missiles at engines"),
}


@pytest.mark.parametrize("case", sorted(BAD_PLANS))
def test_bad_plans_are_refused_naming_the_salvo(case):
    plan, needle = BAD_PLANS[case]
    with pytest.raises(ParameterError) as info:
        parse_plan(plan, SITES, 180)
    message = str(info.value)
    assert needle in message, message
    assert "\n" not in message and len(message) < 300


@pytest.mark.parametrize("value", [None, 30, {"on_hand": -1}, {"on_hand": 2.5},
                                   {"delivered_per_30_days": 3}, {"on_hand": 1, "x": 2},
                                   {"on_hand": 10**9}])
def test_bad_inventory_is_refused(value):
    with pytest.raises(ParameterError, match="^inventory: "):
        parse_inventory(value)
