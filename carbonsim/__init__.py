"""carbonsim: a discrete-event simulator of carbon-allowance trading (emissions trading systems)."""

__version__ = "0.1.0"

from carbonsim.scenario import Scenario, ScenarioError, expand_sweep, load_scenario  # noqa: E402
from carbonsim.sim.engine import run  # noqa: E402
from carbonsim.sim.results import Result  # noqa: E402

__all__ = ["Result", "Scenario", "ScenarioError", "expand_sweep", "load_scenario", "run"]
from carbonsim.batch.plan import run_batch  # noqa: E402

__all__ += ["run_batch"]
