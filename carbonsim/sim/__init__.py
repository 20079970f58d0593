"""The run: the SimPy calendar (`engine`) and the steps it schedules, each in a module of its
own: issuance, primary auctions, trading sessions, the traders' decisions, compliance, reserves;
with the accounts, the state, the ledger and the `Result`."""

from carbonsim.sim.engine import Simulation, run
from carbonsim.sim.results import Result

__all__ = ["Result", "Simulation", "run"]
