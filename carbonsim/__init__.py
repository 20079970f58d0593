"""carbonsim: a discrete-event simulator of carbon-allowance trading (emissions trading systems)."""

from carbonsim._version import __version__

from carbonsim.scenario import Scenario, ScenarioError, expand_sweep, load_scenario  # noqa: E402
from carbonsim.sim.engine import run  # noqa: E402
from carbonsim.sim.results import Result  # noqa: E402
from carbonsim.batch import run_batch  # noqa: E402

__all__ = ["Result", "Scenario", "ScenarioError", "__version__", "expand_sweep", "load_scenario", "run",
           "run_batch"]
