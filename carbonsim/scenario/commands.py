"""What ``carbonsim validate`` and ``carbonsim schema`` do, as functions returning exit codes.

The CLI calls these: 0 when done, 2 for bad scenarios; problems are printed one per line and
no traceback is shown.
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from carbonsim.scenario.loader import validate_file
from carbonsim.scenario.sanity import scenario_warnings
from carbonsim.scenario.schema import json_schema

__all__ = ["schema_command", "validate_command"]


def validate_command(paths: list[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Print ``ok NAME`` for each valid file (and its warnings, on ``err``), every problem of the
    others; 0 if all valid (warnings or not), else 2."""
    out, err = out or sys.stdout, err or sys.stderr
    status = 0
    for path in paths:
        scenario, problems = validate_file(path)
        if scenario is not None:
            print(f"ok {scenario.name}", file=out)
            for warning in scenario_warnings(scenario):
                print(f"warning: {warning}", file=err)
        else:
            status = 2
            for p in problems:
                print(p, file=err)
    return status


def schema_command(out: TextIO | None = None) -> int:
    """Print the JSON Schema of the scenario format; returns 0."""
    print(json.dumps(json_schema(), indent=2), file=out or sys.stdout)
    return 0
