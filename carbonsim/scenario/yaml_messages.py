"""Plain messages for YAML syntax errors: the line of the mistake (not the line after it, where
the parser notices), and what to do ("indent with spaces", "a space after ':'")."""

from __future__ import annotations

import re

import yaml

__all__ = ["syntax_message"]


def syntax_message(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str]:
    """(line, message) of a YAML syntax error, at the line of the mistake, in plain words.

    PyYAML notices some mistakes a line late: a key without ':' where the next line starts,
    an over-indented first key of a block at its next sibling. Those are moved back.
    """
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return None, f"expected valid YAML; got {exc.problem or exc.context or 'invalid YAML'}"
    lines = text.splitlines()
    problem, context = exc.problem or "", exc.context or ""
    at, column = mark.line, mark.column
    what = problem or context or "invalid YAML"
    here = lines[at] if 0 <= at < len(lines) else ""
    if "\\t" in problem or "tab" in problem or here[column:column + 1] == "\t":
        what = "a tab character; indent with spaces, not tabs"
    elif "could not find expected ':'" in problem and exc.context_mark is not None:
        at, column = exc.context_mark.line, exc.context_mark.column
        key = lines[at] if at < len(lines) else ""
        what = "a key without ':' after it (write key: value" + (
            ", with a space after ':')" if re.search(r":\S", key) else ")")
    elif context.startswith("while parsing a flow") and exc.context_mark is not None:
        at, column = exc.context_mark.line, exc.context_mark.column
        what = f"a {'[' if 'sequence' in context else '{'} that is never closed"
    elif problem.startswith("expected <block end>") or problem == "mapping values are not allowed here":
        first_colon = here.find(": ") if here.find(": ") >= 0 else here.find(":")
        if problem.startswith("mapping") and 0 <= first_colon < column:
            what = "a second ': ' on one line (put the value in quotes)"
        else:
            at = _mistaken_line(lines, at)
            column = len(lines[at]) - len(lines[at].lstrip(" "))
            what = ("bad indentation (the keys of one mapping line up; a nested block is "
                    "indented more than its key)")
    return at + 1, f"expected valid YAML; got {what} (column {column + 1})"


def _content(lines: list[str]) -> list[int]:
    """Indices of lines holding YAML (no blanks, comments or block-scalar text)."""
    out, block = [], None
    for i, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if block is not None and (not stripped or indent > block):
            continue
        block = None
        if not stripped or stripped.startswith("#"):
            continue
        out.append(i)
        if re.search(r":\s*[|>][-+0-9]*\s*(#.*)?$", line):
            block = indent
    return out


def _mistaken_line(lines: list[str], at: int) -> int:
    """The line of an indentation error PyYAML reports at ``at``: ``at``, or the line before
    when that one is out of step and ``at`` is not (it then only looked wrong after it).

    Out of step: indented by a number of spaces that is not a multiple of the file's usual
    step, or the first line of a block indented more than one step below its key.
    """
    content = [i for i in _content(lines) if i <= at]
    if len(content) < 2 or content[-1] != at:
        return at

    def indent(i: int) -> int:
        return len(lines[i]) - len(lines[i].lstrip(" "))

    def inner(i: int) -> int:  # where a line's children start: after "- " for list items
        return indent(i) + (2 if lines[i].lstrip(" ").startswith("- ") else 0)

    every = _content(lines)  # the usual step, from the whole file (people indent by 2 or 4)
    steps = [indent(b) - inner(a) for a, b in zip(every, every[1:])
             if indent(b) - inner(a) >= 2 and at not in (a, b)]
    step = min(steps, key=lambda v: (-steps.count(v), v)) if steps else 2

    def out_of_step(k: int) -> bool:
        line, before = content[k], content[k - 1] if k else None
        if indent(line) % step:
            return True
        return before is not None and indent(line) - inner(before) > step

    last = len(content) - 1
    return content[last - 1] if out_of_step(last - 1) and not out_of_step(last) else at
