"""Errors raised at the package's boundary (scenario files, CLI, API, app).

Every error is a ``ValueError`` subclass whose message is one line naming the
parameter, its unit and the allowed range, so the CLI can print it as is.

Messages quote what they were given, and what they were given may be hostile: a
100,000-digit number, a megabyte of text, a nested structure, escape sequences that
would rewrite the terminal. :func:`show` is the one way a message shows a value
(shortened reprlib-style, control characters escaped), and every :class:`WhatifError`
message is made one line of at most :data:`MAX_MESSAGE_CHARS` characters.
"""

from __future__ import annotations

import math
import numbers
import reprlib
from typing import Any

#: Longest error message, in characters (the CLI adds ``whatif: error: ``).
MAX_MESSAGE_CHARS = 280
#: Longest value shown inside a message, in characters.
MAX_SHOWN_CHARS = 60
#: Longest path (file name, origin) shown inside a message, in characters.
MAX_PATH_CHARS = 120
FILL = "..."


def escape_controls(text: str) -> str:
    """``text`` with control and other non-printable characters escaped (``\\n``, ``\\x1b``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def shorten(text: str, limit: int) -> str:
    """``text`` cut in the middle to at most ``limit`` characters (both ends are kept)."""
    if len(text) <= limit:
        return text
    keep = max(limit - len(FILL), 2)
    head = (keep + 1) // 2
    return text[:head] + FILL + text[len(text) - (keep - head):]


def show_text(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """Text (a path, a title, a name) as a message shows it: escaped, shortened, unquoted."""
    # shorten first, so that a megabyte of text is never escaped as a whole
    return shorten(escape_controls(shorten(str(text), 4 * limit)), limit)


def show_path(path: Any) -> str:
    """A path or an input's origin as a message shows it (escaped, shortened to 120)."""
    return show_text(str(path), MAX_PATH_CHARS)


def one_line(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """A message as one line of at most ``limit`` characters."""
    return show_text(message, limit)


def _integer_text(number: int) -> str:
    if number.bit_length() <= 200:  # up to 61 digits: write it out (shortened if need be)
        return shorten(str(number), MAX_SHOWN_CHARS)
    digits = math.floor(number.bit_length() * math.log10(2)) + 1  # exact or one too few
    return f"a {'negative ' if number < 0 else ''}number of about {digits:,} digits"


def _float_text(number: float) -> str:
    number = float(number)  # numpy floats too
    if number.is_integer() and abs(number) < 1e16:
        return str(int(number))
    return repr(number)


class _Repr(reprlib.Repr):
    """reprlib with numbers written as the messages write them (and huge integers safely)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = MAX_SHOWN_CHARS
        self.maxother = MAX_SHOWN_CHARS
        self.maxlevel = 3
        self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = self.maxdeque = 4
        self.maxdict = 4

    def repr1(self, x: Any, level: int) -> str:
        if isinstance(x, bool) or x is None:
            return repr(x)
        if isinstance(x, numbers.Integral):  # int, numpy integers
            return _integer_text(int(x))
        if isinstance(x, float):
            return _float_text(x)
        try:
            return super().repr1(x, level)
        except Exception:  # a broken __repr__ must not hide the error being reported
            return f"<{type(x).__name__}>"


_REPR = _Repr()


def show(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """A value as a message shows it: numbers plainly (``30``, ``0.5``), text quoted, and
    anything else reprlib-style, all shortened to ``limit`` characters with control
    characters escaped. Safe on huge numbers, huge or nested containers and odd objects."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral, float)):
        try:  # numpy floats, fractions: shown as the float they stand for
            value = float(value)
        except (OverflowError, ValueError, TypeError):
            pass
    return show_text(_REPR.repr(value), limit)


class WhatifError(ValueError):
    """Base class: bad input to whatif. The message is always one short line."""

    def __init__(self, message: Any = "") -> None:
        super().__init__(one_line(str(message)))


class ParameterError(WhatifError):
    """A value for a named assumption is unknown, of the wrong type or out of range."""

    def __init__(self, name: str, message: str):
        self.name = name
        super().__init__(f"{show_text(name)}: {message}")


class ScenarioError(WhatifError):
    """A scenario file is missing, malformed or has an unknown structure."""
