"""The "Record vs model" panel: record and fits drawn once, the scenario's marks live."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("bqplot")

from whatif.calibrate import calibrate, model_baseline  # noqa: E402
from whatif.scenario import Scenario  # noqa: E402
from whatif.ui.record import RecordPanel, check_html  # noqa: E402


@pytest.fixture(scope="module")
def panel() -> RecordPanel:
    return RecordPanel()


def test_record_and_fit_are_drawn(panel):
    record = panel.calibration.record
    assert len(panel.record_points.x) == len(record) == 40
    np.testing.assert_allclose(panel.record_points.y, record["uav_per_day"])
    assert str(panel.record_points.x[0])[:10] == "2022-09-29"  # mid-point of the 3 days covered
    estimate = panel.calibration.production_now
    np.testing.assert_allclose(panel.estimate_bar.y, [estimate.low, estimate.high])
    assert panel.shahed_line.y[-1] == pytest.approx(estimate.value)
    rate = panel.calibration.defeat_rate
    np.testing.assert_allclose(panel.defeat_fit.y, [rate.value, rate.value])


def test_update_moves_the_scenario_marks_and_the_check(panel):
    scenario = Scenario.default()
    panel.update(scenario)
    values = {n: scenario.central(n) for n in ("production_now", "production_target", "ramp_days",
                                               "ramp_shape")}
    expected = model_baseline(values, np.arange(180.0))
    np.testing.assert_allclose(panel.baseline.y, expected)
    assert len(panel.baseline.x) == 180 and str(panel.baseline.x[0])[:10] == "2026-01-01"
    assert list(panel.defeat_model.y) == [0.86, 0.86]
    assert panel.check.value.count("inside the fit") == 2

    changed = scenario.with_values(production_now=150, defeat_rate=0.95, ramp_days=0,
                                   horizon_days=90)
    panel.update(changed)
    np.testing.assert_allclose(panel.baseline.y, np.full(90, 150.0))
    assert list(panel.defeat_model.y) == [0.95, 0.95]
    assert panel.check.value.count("outside the fit") == 2
    panel.update(scenario)


def test_check_html_escapes_and_formats():
    calibration = calibrate()
    html = check_html(calibration.check({"production_now": 99, "defeat_rate": 0.86}))
    assert "<td>99</td>" in html and "<td>86.0%</td>" in html
    assert "83.8 – 117" in html and "83.3% – 88.7%" in html
