"""The economy, with no time in it: emitters as arrays, MAC curves, caps and allocation rules,
and the least-cost benchmark (static and intertemporal)."""

from carbonsim.economy.allocation import RULES, register_rule, unregister_rule
from carbonsim.economy.least_cost import LeastCost, least_cost
from carbonsim.economy.mac import MacCurves
from carbonsim.economy.population import Population, build_population

__all__ = ["RULES", "LeastCost", "MacCurves", "Population", "build_population", "least_cost",
           "register_rule", "unregister_rule"]
