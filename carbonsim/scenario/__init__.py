"""Scenario files: YAML with ``extends:`` and ``sweep:``, validated into frozen pydantic models.

``load_scenario(path)`` is the entry point; every problem of a bad file is raised at once as a
ScenarioError whose lines read ``FILE:LINE: key.path: expected ...; got ...``.
"""

from carbonsim.scenario.calendar import Calendar, YearEvents
from carbonsim.scenario.emitters import (
    DistFixed,
    DistLognormal,
    DistNormal,
    DistUniform,
    EmittersFile,
    EmittersGenerate,
    EmitterSpec,
    GrowthSpec,
    MacLinear,
    MacSteps,
    SectorGen,
)
from carbonsim.scenario.errors import Problem, ScenarioError
from carbonsim.scenario.loader import (
    load_scenario,
    load_scenario_dict,
    load_scenario_text,
    scenario_dict,
    scenario_to_yaml,
)
from carbonsim.scenario.models import (
    AllocationConfig,
    Auctions,
    Behaviour,
    CapLinear,
    Compliance,
    Market,
    Msr,
    Offsets,
    Participation,
    Reserves,
    Scenario,
    SupplyExpected,
    Trigger,
)
from carbonsim.scenario.commands import validate_file, validate_files
from carbonsim.scenario.schema import json_schema
from carbonsim.scenario.sweep import SweepPoint, expand_sweep

__all__ = [
    "AllocationConfig",
    "Auctions",
    "Behaviour",
    "Calendar",
    "CapLinear",
    "Compliance",
    "DistFixed",
    "DistLognormal",
    "DistNormal",
    "DistUniform",
    "EmitterSpec",
    "EmittersFile",
    "EmittersGenerate",
    "GrowthSpec",
    "MacLinear",
    "MacSteps",
    "Market",
    "Msr",
    "Offsets",
    "Participation",
    "Problem",
    "Reserves",
    "Scenario",
    "ScenarioError",
    "SupplyExpected",
    "SectorGen",
    "SweepPoint",
    "Trigger",
    "YearEvents",
    "expand_sweep",
    "json_schema",
    "load_scenario",
    "load_scenario_dict",
    "load_scenario_text",
    "scenario_dict",
    "scenario_to_yaml",
    "validate_file",
    "validate_files",
]
