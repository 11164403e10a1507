"""Accessibility audits with axe-core (axe-playwright-python) for the browser tests."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

#: the impacts a page must not have (axe-core's two highest)
BLOCKING = ("critical", "serious")


def axe_violations(page, impacts=BLOCKING, context=None) -> list[dict]:
    """axe-core's violations on ``page`` whose impact is one of ``impacts``: each a dict
    with ``id``, ``impact``, ``help`` and ``nodes`` (the offending elements)."""
    results = Axe().run(page, context=context)
    return [v for v in results.response["violations"] if v.get("impact") in impacts]


def describe(violations: list[dict]) -> str:
    """One line per violation: rule, impact, help text and up to three targets."""
    lines = []
    for v in violations:
        targets = [" ".join(map(str, n.get("target", []))) for n in v.get("nodes", [])]
        lines.append(f"{v['id']} ({v['impact']}, {len(targets)} nodes): {v['help']} — "
                     + "; ".join(targets[:3]))
    return "\n".join(lines)
