"""``sweep:`` expansion: one scenario -> the grid of scenarios it describes.

Keys are dotted paths (``compliance.penalty_per_t``); the grid is the product of the value
lists, the first key varying slowest. Every point is the resolved scenario with its values set
and ``sweep`` removed, validated again. Seeds are not changed here: batch runs give each run its
own stream (SeedSequence.spawn), keyed by the point's ``index``.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

from carbonsim.scenario.errors import Problem, ScenarioError, describe
from carbonsim.scenario.loader import load_scenario_dict, scenario_dict
from carbonsim.scenario.models import Scenario
from carbonsim.scenario.translate import lookup_mark

__all__ = ["SweepPoint", "expand_sweep"]


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: its position, the values set (dotted key -> value), the scenario."""

    index: int
    values: dict[str, object]
    scenario: Scenario


def _with_value(data: dict, parts: list[str], value: object) -> dict:
    """A copy of ``data`` with the dotted key set (copies only along the path)."""
    out = dict(data)
    head = parts[0]
    if len(parts) == 1:
        out[head] = value
        return out
    inner = out.get(head)
    if inner is None:
        inner = {}
    if not isinstance(inner, dict):
        raise TypeError(f"{head} is {describe(inner)}, not a mapping")
    out[head] = _with_value(inner, parts[1:], value)
    return out


def expand_sweep(scenario: Scenario) -> list[SweepPoint]:
    """Every point of the scenario's sweep (one point, itself, when there is none).

    Raises ScenarioError listing the problems of every invalid point.
    """
    if not scenario.sweep:
        return [SweepPoint(0, {}, scenario)]
    base = scenario_dict(scenario)
    base["sweep"] = None
    keys = list(scenario.sweep)
    file = scenario.source_path or "<scenario>"
    points: list[SweepPoint] = []
    problems: list[Problem] = []
    for index, combo in enumerate(itertools.product(*(scenario.sweep[k] for k in keys))):
        values = dict(zip(keys, combo))
        label = ", ".join(f"{k}={_short(v)}" for k, v in values.items())
        data = base
        try:
            for key, value in values.items():
                data = _with_value(data, key.split("."), value)
        except TypeError as exc:
            where, line = lookup_mark(scenario._marks, ("sweep", key), file)
            problems.append(Problem(where, line, f"sweep.{key}", f"expected a key inside a mapping; "
                                    f"got {exc} (sweep point {label})"))
            continue
        try:
            point = load_scenario_dict(data, file=file)
        except ScenarioError as exc:
            for p in exc.problems:
                key = next((k for k in keys if p.path == k or p.path.startswith(k + ".")), None)
                where, line = lookup_mark(scenario._marks, ("sweep", key), file) if key else (file, None)
                problems.append(Problem(where, line, p.path, f"{p.message} (sweep point {label})"))
            continue
        point._source_path = scenario.source_path
        points.append(SweepPoint(index, values, point))
    if problems:
        raise ScenarioError(_merge(problems))
    return points


def _short(value: object) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _merge(problems: list[Problem]) -> list[Problem]:
    """One problem per distinct message, naming the first sweep point and how many share it."""
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        base = p.message.rsplit(" (sweep point ", 1)[0]
        groups.setdefault((p.file, p.line, p.path, base), []).append(p)
    out = []
    for (file, line, path, base), group in groups.items():
        label = group[0].message.rsplit(" (sweep point ", 1)[1].rstrip(")")
        more = f" and {len(group) - 1} more" if len(group) > 1 else ""
        out.append(Problem(file, line, path, f"{base} (sweep point {label}{more})"))
    return out
