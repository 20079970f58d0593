"""What ``carbonsim validate`` and ``carbonsim schema`` do, as functions returning exit codes.

The CLI calls these: 0 when done, 2 for bad scenarios; problems are printed one per line and
no traceback is shown.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TextIO

from carbonsim.scenario.errors import Problem, ScenarioError
from carbonsim.scenario.loader import load_scenario
from carbonsim.scenario.models import Scenario
from carbonsim.scenario.sweep import expand_sweep
from carbonsim.scenario.schema import json_schema

__all__ = ["schema_command", "validate_file", "validate_files"]


def validate_file(path: str | os.PathLike) -> tuple[Scenario | None, list[Problem]]:
    """(scenario, []) if the file and every point of its sweep are valid, else (None, problems)."""
    try:
        scenario = load_scenario(path)
        expand_sweep(scenario)
    except ScenarioError as exc:
        return None, exc.problems
    return scenario, []


def validate_files(paths: list[str | os.PathLike]) -> list[Problem]:
    """Every problem of every file (and of every sweep point); empty when all are valid."""
    return [p for path in paths for p in validate_file(path)[1]]


def schema_command(out: TextIO | None = None) -> int:
    """Print the JSON Schema of the scenario format; returns 0."""
    print(json.dumps(json_schema(), indent=2), file=out or sys.stdout)
    return 0
