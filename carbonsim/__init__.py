"""carbonsim: a discrete-event simulator of carbon-allowance trading (emissions trading systems)."""

__version__ = "0.1.0"

from carbonsim.scenario import Scenario, ScenarioError, expand_sweep, load_scenario  # noqa: E402
