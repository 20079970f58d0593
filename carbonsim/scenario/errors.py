"""Problems found in scenario files, and the error that carries all of them at once.

Each problem prints as ``FILE:LINE: key.path: expected ...; got ...`` (``FILE: key.path: ...``
when no line is known; the key path is left out for problems of the whole file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from carbonsim.errors import CarbonsimError

__all__ = ["Problem", "ScenarioError", "describe", "format_path", "printable"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where (file, line, key path) and what (message)."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        file, path = printable(self.file, 300), printable(self.path, 200)
        message = printable(self.message, 2000)
        where = file if self.line is None else f"{file}:{self.line}"
        return f"{where}: {path}: {message}" if path else f"{where}: {message}"


class ScenarioError(CarbonsimError):
    """A scenario that cannot be used; ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("ScenarioError needs at least one problem")
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str, limit: int) -> str:
    """``text`` safe to print: control characters escaped (``\\x1b``), cut to ``limit`` chars."""
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_path(path: tuple[object, ...]) -> str:
    """``('emitters', 3, 'mac', 'slope')`` -> ``'emitters[3].mac.slope'``."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def describe(value: object, limit: int = 60) -> str:
    """A short plain description of a YAML value for messages: ``'abc'``, ``-3``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        text = repr(value)
    elif isinstance(value, str):
        text = repr(value) if value else "an empty string"
    elif isinstance(value, dict):
        keys = ", ".join(str(k) for k in list(value)[:6])
        return f"a mapping with keys {keys}" if value else "an empty mapping"
    elif isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
