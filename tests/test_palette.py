"""One colour-blind-safe palette: every chart colour in whatif/ is Okabe & Ito's (2008,
"Color Universal Design") or a grey, named once in :mod:`whatif.presentation`; the pairs a
reader must tell apart stay apart under simulated colour-vision deficiencies; message
text keeps WCAG AA contrast; the static brief's SVG charts and the interactive brief's
Vega-Lite specification use the palette only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import CSS4_COLORS, to_hex

from whatif import presentation as look

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "whatif"

#: Okabe & Ito (2008), "Color Universal Design", https://jfly.uni-koeln.de/color/ — the
#: published sRGB values, written out here so the test does not trust the code's copy
OKABE_ITO = {"#000000", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00",
             "#cc79a7"}

HEX = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})(?![0-9a-zA-Z])")
RGB = re.compile(r"\brgba?\(\s*\d+\s*,\s*\d+\s*,\s*\d+")
#: matplotlib's cycle and named palettes; Vega's colour schemes
CYCLE = re.compile(r"^(?:C\d|tab:[a-z]+|xkcd:.+)$")
VEGA_SCHEMES = {"category10", "category20", "category20b", "category20c", "tableau10",
                "tableau20", "accent", "dark2", "paired", "pastel1", "pastel2", "set1", "set2",
                "set3", "observable10", "viridis", "magma", "inferno", "plasma", "turbo",
                "blues", "reds", "greens", "oranges", "purples", "redblue", "blueorange"}


def is_grey(color: str) -> bool:
    """A neutral grey (red = green = blue), black and white included."""
    hex_ = to_hex(color)
    return hex_[1:3] == hex_[3:5] == hex_[5:7]


def colours_in_source(text: str) -> list[tuple[int, str]]:
    """Every colour a Python source names in its string literals (line, colour): hex and
    ``rgb()`` colours anywhere in a string, a CSS or matplotlib colour name, a cycle colour
    (``C0``, ``tab:blue``) or a Vega scheme name as a whole string."""
    found = []
    for node in ast.walk(ast.parse(text)):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        value, at = node.value, (node.lineno, node.col_offset)
        found += [(*at, m.start(), m.group(0)) for m in HEX.finditer(value)]
        found += [(*at, m.start(), m.group(0)) for m in RGB.finditer(value)]
        word = value.strip().lower()
        if word in CSS4_COLORS or CYCLE.match(value.strip()) or word in VEGA_SCHEMES:
            found.append((*at, 0, value.strip()))
    return [(line, color) for line, _, _, color in sorted(found)]


def palette_problems(path: Path) -> list[str]:
    """Colours in ``path`` that break the rule: outside presentation.py only greys; in it,
    only Okabe–Ito, greys and the message text colours."""
    allowed = set(OKABE_ITO) | {to_hex(c) for c in look.MESSAGE_COLOURS}
    own = path == PACKAGE / "presentation.py"
    problems = []
    for line, color in colours_in_source(path.read_text(encoding="utf-8")):
        if color.startswith("rgb") or color.lower() in VEGA_SCHEMES or CYCLE.match(color):
            ok = False
        else:
            ok = is_grey(color) or (own and to_hex(color) in allowed)
        if not ok:
            problems.append(f"{path.relative_to(REPO)}:{line}: {color}")
    return problems


def test_the_scan_finds_colours_in_every_form():
    source = ('A = "#ff7f0e"\nB = "color: #c0392b; background: #fff"\nC = "C0"\nD = "red"\n'
              'E = "tab:blue"\nF = {"scheme": "category10"}\nG = "rgb(10, 20, 30)"\n'
              'H = "issue #12 and day 7"\nI = "k"\n')
    assert colours_in_source(source) == [
        (1, "#ff7f0e"), (2, "#c0392b"), (2, "#fff"), (3, "C0"), (4, "red"), (5, "tab:blue"),
        (6, "category10"), (7, "rgb(10, 20, 30")]
    assert is_grey("#555") and is_grey("black") and is_grey("white")
    assert not is_grey("#c0392b") and not is_grey("#e69f00")


def test_no_chart_colour_outside_the_palette_anywhere_in_whatif():
    problems = [p for path in sorted(PACKAGE.rglob("*.py")) for p in palette_problems(path)]
    assert problems == []


def test_presentation_maps_every_role_to_the_palette():
    roles = [look.NO_STRIKE, look.STRIKE, look.OTHER, look.TARGET, look.REFERENCE,
             look.NATIONAL, look.DEBATE, look.AT_LOW, look.AT_HIGH, look.FIRST_ORDER,
             look.TOTAL_ORDER, look.RECORD, look.FIT, look.SCENARIO, look.ESTIMATE,
             look.TRAJECTORY, look.CHOSEN_BOX, *look.BACKTEST_PATHS.values(),
             *look.SITE_COLORS]
    assert {to_hex(c) for c in roles} <= OKABE_ITO
    assert {to_hex(c) for c in look.OKABE_ITO} == OKABE_ITO
    # every module constant that is a colour is a role above, a message colour or the palette
    named = {name for name, value in vars(look).items()
             if isinstance(value, str) and HEX.fullmatch(value)}
    assert {to_hex(getattr(look, n)) for n in named} <= OKABE_ITO | set(look.MESSAGE_COLOURS)


# --- colour-vision deficiencies ------------------------------------------------------------
#: Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of
#: color vision deficiency", IEEE TVCG 15(6), Table 1 at severity 1.0 (dichromacy); applied
#: to linear sRGB
DICHROMACY = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
MIN_DELTA_E = 20  # CIE76 ΔE between the two colours of a pair, under every vision


def _linear(color: str) -> np.ndarray:
    c = np.array([int(to_hex(color)[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of a linear sRGB colour."""
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ np.clip(linear, 0, 1)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a: str, b: str, vision: str | None = None) -> float:
    """CIE76 colour difference of ``a`` and ``b`` as seen with ``vision`` (None: normal)."""
    m = np.eye(3) if vision is None else np.array(DICHROMACY[vision])
    return float(np.linalg.norm(_lab(m @ _linear(a)) - _lab(m @ _linear(b))))


def test_colour_model_reference_values():
    # white against black is ΔE 100 (L* 100 vs 0); Okabe–Ito's blue and vermillion stay far
    # apart for a deuteranope, its orange and vermillion do not (why they never pair here)
    assert delta_e("#ffffff", "#000000") == pytest.approx(100, abs=0.1)
    assert delta_e("#0072b2", "#d55e00", "deuteranopia") > 90
    assert delta_e("#e69f00", "#d55e00", "deuteranopia") < MIN_DELTA_E


PAIRS = {
    "no strike / after strike": (look.NO_STRIKE, look.STRIKE),
    "at its low / at its high": (look.AT_LOW, look.AT_HIGH),
    "S1 / ST": (look.FIRST_ORDER, look.TOTAL_ORDER),
    "scenario A / B (compare)": (look.STRIKE, look.OTHER),
    "A no strike / B (compare)": (look.NO_STRIKE, look.OTHER),
    "fit / scenario (record)": (look.FIT, look.SCENARIO),
    "record / fit": (look.RECORD, look.FIT),
    "estimates / fit": (look.ESTIMATE, look.FIT),
    "estimates / scenario": (look.ESTIMATE, look.SCENARIO),
    "backtest paths": tuple(look.BACKTEST_PATHS.values()),
    "trajectory / box shown": (look.TRAJECTORY, look.CHOSEN_BOX),
    "P(success) / confidence": (look.STRIKE, look.TARGET),
}


@pytest.mark.parametrize("vision", [None, *DICHROMACY])
@pytest.mark.parametrize("pair", list(PAIRS))
def test_pairs_read_together_stay_apart(pair, vision):
    a, b = PAIRS[pair]
    assert delta_e(a, b, vision) >= MIN_DELTA_E


def test_neighbouring_site_colours_stay_apart():
    colors = look.SITE_COLORS
    # each site beside the next (cycled: the last beside the first), the last beside national
    pairs = [*zip(colors, colors[1:] + colors[:1], strict=True), (colors[-1], look.NATIONAL)]
    for vision in (None, *DICHROMACY):
        for a, b in pairs:
            assert delta_e(a, b, vision) >= MIN_DELTA_E, (a, b, vision)


# --- message text: WCAG 2 contrast -----------------------------------------------------------
def contrast(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio of two colours (1 to 21)."""
    def luminance(color):
        r, g, b_ = _linear(color)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_reference_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # AA's edge grey
    assert contrast(look.VERMILLION, "#ffffff") < 4.5  # why messages darken the palette


@pytest.mark.parametrize("text, background", [
    (look.ERROR, "#ffffff"), (look.ERROR, "#f6f6f6"), (look.OK, "#ffffff"),
    (look.OK, "#f6f6f6"), (look.INSIDE, "#ffffff"), (look.WARNING, look.WARNING_BACKGROUND),
    (look.WARNING, "#ffffff")])
def test_message_text_keeps_wcag_aa_contrast(text, background):
    assert contrast(text, background) >= 4.5


# --- what the briefs draw ----------------------------------------------------------------------
SVG_COLOUR = re.compile(r"(?:fill|stroke|stop-color|color)\s*[:=]\s*[\"']?\s*"
                        r"(#[0-9a-fA-F]{3,6}|[a-zA-Z]+)")


def svg_colours(svg: str) -> set[str]:
    """The colours an SVG paints with (fill, stroke, colour), ``none`` left out."""
    return {c.lower() for c in SVG_COLOUR.findall(svg)} - {"none", "transparent",
                                                           "currentcolor"}


def off_palette(colours) -> set[str]:
    return {c for c in colours if not is_grey(c) and to_hex(c) not in OKABE_ITO}


def test_svg_colour_reading():
    svg = ('<path style="fill: #1f77b4; stroke: #000000"/><rect fill="none" stroke="#e69f00"/>'
           '<text style="fill: black"/>')
    assert svg_colours(svg) == {"#1f77b4", "#000000", "#e69f00", "black"}
    assert off_palette(svg_colours(svg)) == {"#1f77b4"}


@pytest.fixture(scope="module")
def static_brief():
    from whatif.brief import Brief

    return Brief.compute("baseline", samples=300, seed=0)


def test_static_brief_charts_use_only_palette_colours(static_brief):
    html = "".join(static_brief.sections())
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 10
    for svg in svgs:
        colours = svg_colours(svg)
        assert off_palette(colours) == set()
        # (each chart paints with the palette's colours, not only greys)
        assert {to_hex(c) for c in colours} & (OKABE_ITO - {"#000000"})


def test_plan_brief_sites_chart_uses_only_palette_colours():
    from whatif import brief, resources
    from whatif.engine import simulate
    from whatif.scenario import Scenario

    scenario = Scenario.from_yaml(resources.scenario_path("system-two-lines"))
    result = simulate(scenario, samples=50, seed=0, series=True)
    svg = brief.sites_svg(result)
    colours = {to_hex(c) for c in svg_colours(svg)}
    assert off_palette(colours) == set()
    # each site its own palette colour, national output in NATIONAL
    sites = {to_hex(c) for c in look.SITE_COLORS[:len(scenario.site_names)]}
    assert len(sites) == len(scenario.site_names) >= 2
    assert sites | {to_hex(look.NATIONAL)} <= colours


def _colour_strings(value, key=""):
    """Every string in a Vega-Lite spec that names a colour (hex, CSS name or scheme)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _colour_strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _colour_strings(v, key)
    elif isinstance(value, str):
        if HEX.fullmatch(value) or value.lower() in CSS4_COLORS:
            yield value
        elif key == "scheme":
            yield value


def test_interactive_brief_spec_uses_only_palette_colours():
    from whatif import interactive
    from whatif.scenario import Scenario
    from whatif.sensitivity import tornado

    scenario = Scenario.default()
    grid = interactive.plan_grid(scenario, ["repair_days"], 2, 0, 0, 1)
    spec = interactive.chart_spec(grid, "baseline", tornado(scenario, interactive.KEY_OUTPUT))
    colours = set(_colour_strings(spec))
    assert {look.NO_STRIKE, look.STRIKE, look.TARGET, look.AT_LOW, look.AT_HIGH,
            look.DEBATE} <= colours
    assert {c for c in colours if not HEX.fullmatch(c) and c.lower() not in CSS4_COLORS} \
        == set()  # (no colour scheme by name)
    assert off_palette(colours) == set()
    assert spec["config"]["mark"]["color"] == look.BLUE  # (not Vega-Lite's default blue)
