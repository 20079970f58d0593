"""What ``carbonsim validate`` does: every problem of every file, or ``ok NAME`` and the
economy's warnings about a valid one (a cap the emitters cannot meet, `economy.sanity`)."""

from __future__ import annotations

import sys
from typing import TextIO

from carbonsim.economy.sanity import scenario_warnings
from carbonsim.scenario.commands import validate_file

__all__ = ["validate_command"]


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
