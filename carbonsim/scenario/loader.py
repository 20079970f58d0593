"""Loading scenarios: YAML (with extends) or plain data -> a validated, frozen Scenario.

Every problem is collected (YAML, CSV, types, cross-section checks) and raised together as one
ScenarioError; nothing else is raised for bad input.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from pydantic import ValidationError

from carbonsim.scenario.checks import cross_check
from carbonsim.scenario.csvio import read_emitters_csv
from carbonsim.scenario.errors import Problem, ScenarioError, format_path
from carbonsim.scenario.limits import check_text
from carbonsim.scenario.models import Scenario
from carbonsim.scenario.translate import lookup_mark, translate
from carbonsim.scenario.yamlio import (
    Parsed,
    dump_yaml,
    read_file,
    resolve_data,
    resolve_text,
)

__all__ = [
    "load_scenario",
    "load_scenario_dict",
    "load_scenario_text",
    "scenario_dict",
    "scenario_to_yaml",
]


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read, merge (``extends:``) and validate a scenario file.

    Relative paths inside (extends, emitters.file) start at the file's folder.
    Raises ScenarioError listing every problem.
    """
    shown = os.path.normpath(os.fspath(path))
    return _finish(read_file(shown), shown, source_path=shown)


def load_scenario_text(text: str, *, file: str = "<text>", base_dir: str = ".") -> Scenario:
    """Validate scenario YAML text; ``file`` names it in messages. Raises ScenarioError."""
    return _finish(resolve_text(text, file, base_dir), file)


def load_scenario_dict(data: Any, *, file: str = "<dict>", base_dir: str = ".") -> Scenario:
    """Validate scenario data (a mapping as read from YAML). Raises ScenarioError."""
    parsed = resolve_data(Parsed(data=copy.deepcopy(data)), file, base_dir)
    return _finish(parsed, file)


def _order(problems: list[Problem]) -> list[Problem]:
    files: dict[str, int] = {}
    for p in problems:
        files.setdefault(p.file, len(files))
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (files[p.file], p.line if p.line is not None else 0))


def _finish(parsed: Parsed, file: str, source_path: str | None = None) -> Scenario:
    problems = list(parsed.problems)
    data, marks = parsed.data, dict(parsed.marks)
    if not isinstance(data, dict) or parsed.fatal:
        if not problems:
            problems.append(Problem(file, None, "", "expected a mapping of scenario keys; got nothing"))
        raise ScenarioError(_order(problems))
    csv_failed = _inline_csv(data, marks, problems, file)
    # Text too long or with control characters: reported here once, for values and keys alike
    # (a key's problem is at the path it names); type errors at those paths say less.
    reported = {format_path(path) for path in parsed.reported}
    texts = [Problem(*lookup_mark(marks, path, file), format_path(path), message)
             for path, message in check_text(data)]
    model = None
    found: list[Problem] = []
    try:
        model = Scenario.model_validate(data)
    except ValidationError as exc:
        found = translate(exc.errors(include_url=False), data, marks, file)
        if csv_failed:
            found = [p for p in found if p.path != "emitters"]
    typed = {p.path for p in found if "characters" in p.message}  # a key's own length limit
    texts = [p for p in texts if p.path not in typed]
    reported |= {p.path for p in texts}
    problems += texts + [p for p in found if p.path not in reported]
    for path, message in cross_check(data):
        where, line = lookup_mark(marks, path, file)
        shown = format_path(path)
        if "got unknown key" in message:  # the type error of the same key says less
            problems = [p for p in problems if p.path != shown and not p.path.startswith(shown + ".")]
        problems.append(Problem(where, line, shown, message))
    if problems or model is None:
        raise ScenarioError(_order(problems))
    model._source_path = source_path
    model._marks = marks
    return model


def _inline_csv(data: dict, marks: dict, problems: list[Problem], file: str) -> bool:
    """Replace ``emitters: {file: x.csv}`` by the CSV rows; True if the CSV could not be used."""
    emitters = data.get("emitters")
    if not (isinstance(emitters, dict) and set(emitters) == {"file"}):
        return False
    if not isinstance(emitters["file"], str) or not emitters["file"] or check_text(emitters["file"]):
        return False  # the type or text problem is reported with the others
    rows, row_marks, found = read_emitters_csv(
        emitters["file"], lookup_mark(marks, ("emitters", "file"), file)
    )
    problems += found
    if rows is None:
        return True
    data["emitters"] = rows
    for key in [k for k in marks if k[:1] == ("emitters",) and len(k) > 1]:
        del marks[key]
    marks.update(row_marks)
    return False


def scenario_dict(scenario: Scenario) -> dict:
    """The resolved scenario as plain data (defaults filled in); loads back to an equal Scenario."""
    return scenario.model_dump(mode="json")


def scenario_to_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML text (for a run folder's scenario.yaml)."""
    header = f"# resolved scenario {scenario.name}" + (
        f" (from {scenario.source_path})" if scenario.source_path else ""
    )
    return header + "\n" + dump_yaml(scenario_dict(scenario))
