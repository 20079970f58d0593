"""carbonsim: a discrete-event simulator of carbon-allowance trading (emissions trading systems).

The public names are imported on first use (PEP 562), so ``carbonsim --help`` and other
commands that need neither pandas nor the engine start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from carbonsim._version import __version__

# public name -> the module that defines it
_EXPORTS = {
    "Result": "carbonsim.sim.results",
    "Scenario": "carbonsim.scenario",
    "ScenarioError": "carbonsim.scenario",
    "expand_sweep": "carbonsim.scenario",
    "load_scenario": "carbonsim.scenario",
    "run": "carbonsim.sim.engine",
    "run_batch": "carbonsim.batch.plan",
}

__all__ = ["Result", "Scenario", "ScenarioError", "__version__", "expand_sweep", "load_scenario",
           "run", "run_batch"]  # __version__ and the keys of _EXPORTS

if TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ imports on demand
    from carbonsim.batch.plan import run_batch
    from carbonsim.scenario import Scenario, ScenarioError, expand_sweep, load_scenario
    from carbonsim.sim.engine import run
    from carbonsim.sim.results import Result


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'carbonsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
