"""Where a chart's legend and text sit, measured in the browser: the boxes Chromium draws
for the static brief's matplotlib SVG charts and the interactive brief's Vega SVG.

A *collision* is a legend box that overlaps a data mark's box, or a text box (title, axis
label, tick label, legend text) that extends past its SVG's box. Boxes are CSS pixels
(``getBoundingClientRect``); boxes touching within :data:`TOLERANCE` do not count.
"""

from __future__ import annotations

TOLERANCE = 0.5  # px

#: the boxes of one matplotlib SVG chart. Data marks are the axes' own children: lines
#: (``line2d_*``), collections (``*Collection_*``: bands, error bars, scatter) and patches
#: (``patch_*``: bars, spans), except the axes' background (its first child) and its
#: spines (a patch drawn as one open segment). Legends are ``legend_*`` groups anywhere.
MATPLOTLIB_BOXES = """(svg) => {
  const box = (el, name) => { const r = el.getBoundingClientRect();
    return {name, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; };
  const marks = [], legends = [], texts = [];
  for (const axes of svg.querySelectorAll('g[id^="axes_"]')) {
    for (const g of axes.children) {
      const id = g.id || "";
      if (g === axes.firstElementChild) continue;  // the background
      if (/^patch_/.test(id)) {
        const d = (g.querySelector("path") || {getAttribute: () => ""}).getAttribute("d") || "";
        if (!/z/i.test(d) && (d.match(/[ML]/g) || []).length <= 2) continue;  // a spine
        marks.push(box(g, id));
      } else if (/^line2d_|Collection_/.test(id)) {
        marks.push(box(g, id));
      }
    }
  }
  for (const g of svg.querySelectorAll('g[id^="legend_"]')) legends.push(box(g, g.id));
  for (const t of svg.querySelectorAll("text")) texts.push(box(t, t.textContent));
  return {svg: box(svg, "svg"), marks, legends, texts};
}"""

#: the boxes of a Vega SVG (every chart of the page in one ``svg``): data marks are the
#: ``role-mark`` groups, legends the ``role-legend`` groups, texts every ``text``
#: element (titles, axis titles and labels, legend labels, text marks).
VEGA_BOXES = """(svg) => {
  const box = (el, name) => { const r = el.getBoundingClientRect();
    return {name, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; };
  const named = (g) => { const cell = g.closest(".role-scope");
    return (cell && cell.querySelector(".role-title-text")
            ? cell.querySelector(".role-title-text").textContent + ": " : "")
           + (g.getAttribute("class") || ""); };
  return {
    svg: box(svg, "svg"),
    marks: [...svg.querySelectorAll("g.role-mark")].filter(g => g.children.length)
      .map(g => box(g, named(g))),
    legends: [...svg.querySelectorAll("g.role-legend")].map(g => box(g, named(g))),
    texts: [...svg.querySelectorAll("text")].filter(t => t.textContent.trim())
      .map(t => box(t, t.textContent)),
  };
}"""


def _area(box: dict) -> bool:
    return box["x1"] > box["x0"] or box["y1"] > box["y0"]


def overlaps(a: dict, b: dict, tolerance: float = TOLERANCE) -> bool:
    """Whether boxes ``a`` and ``b`` overlap by more than ``tolerance`` px (a line's box may
    have no height or no width)."""
    return (a["x0"] < b["x1"] - tolerance and b["x0"] < a["x1"] - tolerance
            and a["y0"] < b["y1"] - tolerance and b["y0"] < a["y1"] - tolerance)


def outside(inner: dict, outer: dict, tolerance: float = TOLERANCE) -> bool:
    """Whether ``inner`` extends past ``outer`` by more than ``tolerance`` px."""
    return (inner["x0"] < outer["x0"] - tolerance or inner["y0"] < outer["y0"] - tolerance
            or inner["x1"] > outer["x1"] + tolerance or inner["y1"] > outer["y1"] + tolerance)


def collisions(boxes: dict) -> list[str]:
    """What is wrong with one SVG's ``boxes`` (:data:`MATPLOTLIB_BOXES` or
    :data:`VEGA_BOXES`): each legend on a data mark, each text past the SVG's edge."""
    found = []
    for legend in boxes["legends"]:
        for mark in boxes["marks"]:
            if _area(mark) and overlaps(legend, mark):
                found.append(f"legend {legend['name']!r} covers mark {mark['name']!r}")
    for text in boxes["texts"]:
        if _area(text) and outside(text, boxes["svg"]):
            found.append(f"text {text['name']!r} is cut off by the SVG's edge")
    return found


def chart_problems(page, selector: str, script: str) -> dict[int, list[str]]:
    """Every SVG matching ``selector`` on ``page``: its index → its collisions (empty
    lists left out)."""
    found = {}
    for i, boxes in enumerate(page.locator(selector).evaluate_all(
            f"(svgs) => svgs.map({script})")):
        problems = collisions(boxes)
        if problems:
            found[i] = problems
    return found
