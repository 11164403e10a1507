"""Errors raised at the package's boundary (scenario files, CLI, API, app).

Every error is a ``ValueError`` subclass whose message is one line naming the
parameter, its unit and the allowed range, so the CLI can print it as is.
"""

from __future__ import annotations


class WhatifError(ValueError):
    """Base class: bad input to whatif."""


class ParameterError(WhatifError):
    """A value for a named assumption is unknown, of the wrong type or out of range."""

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(f"{name}: {message}")


class ScenarioError(WhatifError):
    """A scenario file is missing, malformed or has an unknown structure."""
