"""Reading untrusted input in bounded time and memory: files, uploaded bytes, YAML text.

Scenario files, uploads and ``--set`` values come from users and may be hostile or
careless: a "billion laughs" of nested YAML aliases, thousands of nesting levels, a
100,000-digit number, ``/dev/zero``, a FIFO nobody writes to, a path that cannot be
opened. Everything here refuses such input *before* expanding it, with a
:class:`~whatif.errors.ScenarioError` naming the limit:

* files: regular files only, at most :data:`MAX_FILE_BYTES` bytes (at most that many
  plus one are ever read), every ``OSError`` reported in one line;
* YAML: no aliases (``*name``), at most :data:`MAX_YAML_DEPTH` levels of nesting, scalars
  of at most :data:`MAX_SCALAR_CHARS` characters and numbers of at most
  :data:`MAX_NUMBER_DIGITS` digits; parsed with the safe loader (libyaml when present).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from whatif.errors import ScenarioError, show, show_path, show_text

MAX_FILE_BYTES = 64 * 1024  # a scenario file (the shipped ones are under 2 KB)
MAX_YAML_DEPTH = 20  # nesting levels of mappings and lists
MAX_SCALAR_CHARS = 20_000  # characters of one text value (e.g. a note)
MAX_NUMBER_DIGITS = 30  # characters of one integer / float in YAML

_SAFE_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~10x faster


class YamlLimitError(yaml.YAMLError):
    """YAML refused for exceeding a limit (before it is expanded)."""

    def __init__(self, problem: str, mark: Any = None):
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


def _check_events(text: str) -> None:
    """One pass over the YAML events: aliases, depth and scalar sizes, in constant memory."""
    depth = 0
    for event in yaml.parse(text, Loader=_SAFE_PARSER):
        if isinstance(event, yaml.AliasEvent):
            raise YamlLimitError(f"YAML aliases (*{show_text(event.anchor, 30)}) are not "
                                 "allowed in a scenario", event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise YamlLimitError(f"nested more than {MAX_YAML_DEPTH} levels deep; allowed "
                                     f"at most {MAX_YAML_DEPTH}", event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_SCALAR_CHARS:
            raise YamlLimitError(f"a value of {len(event.value):,} characters; allowed at most "
                                 f"{MAX_SCALAR_CHARS:,} characters per value", event.start_mark)


class _Loader(_SAFE_PARSER):  # type: ignore[misc,valid-type]
    """The safe loader, refusing numbers too long to be any assumption's value."""

    def _number(self, node: yaml.ScalarNode, construct) -> Any:
        if len(node.value) > MAX_NUMBER_DIGITS:
            raise YamlLimitError(f"the number {show(node.value, 40)} has {len(node.value)} "
                                 f"characters; allowed at most {MAX_NUMBER_DIGITS}",
                                 node.start_mark)
        return construct(self, node)

    def construct_yaml_int(self, node):  # noqa: D102
        return self._number(node, yaml.constructor.SafeConstructor.construct_yaml_int)

    def construct_yaml_float(self, node):  # noqa: D102
        return self._number(node, yaml.constructor.SafeConstructor.construct_yaml_float)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)


def load_yaml(text: str, origin: str = "scenario") -> Any:
    """Parse untrusted YAML ``text`` within the limits above; a ScenarioError if it fails.

    ``origin`` (a file name, ``--set name``) starts the message.
    """
    where = show_path(origin)
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise ScenarioError(f"{where}: larger than {MAX_FILE_BYTES:,} bytes; a scenario is at "
                            f"most {MAX_FILE_BYTES:,} bytes")
    try:
        _check_events(text)
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{where}: {_yaml_problem(exc)}") from None
    except (RecursionError, MemoryError, ValueError, OverflowError) as exc:
        # the limits above should prevent these; never let them through as tracebacks
        raise ScenarioError(f"{where}: cannot read the YAML: {type(exc).__name__}: "
                            f"{show_text(str(exc), 80)}") from None


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        return (f"malformed YAML: character {exc.character!r} at position {exc.position} is not "
                "allowed")
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or "malformed YAML"
    if "nesting depth" in str(problem):  # libyaml's own cap (1,000) met while looking ahead
        problem = f"nested more than {MAX_YAML_DEPTH} levels deep; allowed at most {MAX_YAML_DEPTH}"
        return f"refused{where}: {problem}"
    if isinstance(exc, YamlLimitError):
        return f"refused{where}: {problem}"
    return f"malformed YAML{where}: {show_text(problem, 120)}"


def decode_text(data: bytes | bytearray | memoryview, origin: str = "scenario") -> str:
    """Bytes (a file's, an upload's) as text: at most MAX_FILE_BYTES of UTF-8."""
    where = show_path(origin)
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(f"{where}: larger than {MAX_FILE_BYTES:,} bytes; a scenario file is "
                            f"at most {MAX_FILE_BYTES:,} bytes")
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{where}: cannot read it: not UTF-8 text (byte {exc.start})") from None


def path_problem(exc: OSError) -> str:
    """An OSError in words, without the path (the caller names it, shortened)."""
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, not a file"
    if isinstance(exc, NotADirectoryError):
        return "a part of the path is not a folder"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if exc.errno == errno.ENAMETOOLONG:
        return "the file name is too long"
    return exc.strerror or type(exc).__name__


def read_bytes(path: str | os.PathLike, limit: int = MAX_FILE_BYTES,
               what: str = "scenario file") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Never blocks on a FIFO and never reads a device: anything but a regular file is
    refused, and at most ``limit + 1`` bytes are read. Every OSError becomes a
    ScenarioError naming the path (shortened).
    """
    where = show_path(os.fspath(path))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ScenarioError(f"{where}: no such {what}") from None
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot read the {what}: {path_problem(exc)}") from None
    except (ValueError, TypeError) as exc:  # e.g. a NUL byte in the path
        raise ScenarioError(f"{where}: not a usable path ({show_text(str(exc), 60)})") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ScenarioError(f"{where}: cannot read the {what}: is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise ScenarioError(f"{where}: cannot read the {what}: not a regular file (a device, "
                                "pipe or socket)")
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            data = handle.read(limit + 1)
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot read the {what}: {path_problem(exc)}") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > limit:
        raise ScenarioError(f"{where}: larger than {limit:,} bytes; a {what} is at most "
                            f"{limit:,} bytes")
    return data


def read_text(path: str | Path, what: str = "scenario file") -> str:
    """A scenario file's text (see :func:`read_bytes` and :func:`decode_text`)."""
    return decode_text(read_bytes(path, what=what), str(path))


def check_writable(path: str | Path, option: str) -> Path:
    """``path`` if a file can be written there; else a ScenarioError naming ``option``.

    Checks that it is not a folder, that its folder exists, and that both allow writing.
    """
    where = f"{option}: {show_path(os.fspath(path))}"
    try:
        out = Path(path)
        if out.is_dir():
            raise ScenarioError(f"{where}: is a folder; give a file name")
        folder = out.parent
        if not folder.is_dir():
            raise ScenarioError(f"{where}: the folder {show_path(folder)} does not exist")
        if out.exists() and not os.access(out, os.W_OK):
            raise ScenarioError(f"{where}: the file is not writable")
        if not os.access(folder, os.W_OK):
            raise ScenarioError(f"{where}: the folder {show_path(folder)} is not writable")
        if len(out.name.encode("utf-8", "surrogateescape")) > 255:
            raise ScenarioError(f"{where}: the file name is too long; allowed at most 255 bytes")
    except OSError as exc:  # e.g. a name too long for the file system to look up
        raise ScenarioError(f"{where}: {path_problem(exc)}") from None
    except ValueError as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(f"{where}: not a usable path") from None
    return out
