"""The JSON Schema of the scenario format and its reference tables (docs/scenario-format.md).

``python -m carbonsim.scenario.schema`` prints the schema; ``--docs FILE`` rewrites the
generated part of the format reference.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from pydantic import BaseModel

from carbonsim.scenario.calendar import Calendar
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
from carbonsim.scenario.limits import MAX_NUMBER, amount
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

__all__ = ["json_schema", "reference_tables"]

def json_schema() -> dict:
    """JSON Schema (draft 2020-12) of a scenario file, including every registered rule."""
    from carbonsim.scenario.rules import RULE_PARAMS

    schema = copy.deepcopy(Scenario.model_json_schema())
    defs = schema.setdefault("$defs", {})
    refs = []
    for name, params in RULE_PARAMS.items():
        sub = copy.deepcopy(params.model_json_schema())
        defs.update(sub.pop("$defs", {}))
        sub["properties"]["rule"] = {"const": name, "description": "Allocation rule."}
        sub["required"] = ["rule"] + [r for r in sub.get("required", []) if r != "rule"]
        key = f"Rule_{name}"
        defs[key] = sub
        refs.append({"$ref": f"#/$defs/{key}"})
    defs["AllocationConfig"]["additionalProperties"] = {"oneOf": refs}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "carbonsim scenario"
    return schema


_SECTIONS: list[tuple[str, type[BaseModel], str]] = [
    ("Top level", Scenario, ""),
    ("calendar", Calendar, "calendar"),
    ("cap as {start, annual_reduction}", CapLinear, "cap"),
    ("emitters: inline list items", EmitterSpec, "emitters[i]"),
    ("emitters: {file: path.csv}", EmittersFile, "emitters"),
    ("emitters: {generate: ...}", EmittersGenerate, "emitters"),
    ("generated sector", SectorGen, "emitters.generate.SECTOR"),
    ("growth of a generated sector", GrowthSpec, "emitters.generate.SECTOR.growth"),
    ("dist: lognormal", DistLognormal, "...output / ...intensity"),
    ("dist: normal", DistNormal, "...output / ...intensity"),
    ("dist: uniform", DistUniform, "...output / ...intensity"),
    ("dist: fixed", DistFixed, "...output / ...intensity"),
    ("mac: linear", MacLinear, "...mac"),
    ("mac: steps", MacSteps, "...mac"),
    ("allocation", AllocationConfig, "allocation"),
    ("auctions", Auctions, "auctions"),
    ("market", Market, "market"),
    ("compliance", Compliance, "compliance"),
    ("compliance.offsets", Offsets, "compliance.offsets"),
    ("behaviour", Behaviour, "behaviour"),
    ("behaviour.participation", Participation, "behaviour.participation"),
    ("behaviour.supply_expected", SupplyExpected, "behaviour.supply_expected"),
    ("reserves", Reserves, "reserves"),
    ("reserves.ccr / reserves.ecr", Trigger, "reserves.ccr"),
    ("reserves.msr", Msr, "reserves.msr"),
]


def _bound_text(s: dict) -> str:
    parts = []
    for key, sym in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="),
                     ("exclusiveMaximum", "<")):
        if key in s and not (key in ("minimum", "maximum") and abs(s[key]) == MAX_NUMBER):
            value = s[key]  # every number's own bound, MAX_NUMBER, is told once, in Limits
            if value == 2**63 - 1:
                text = "2^63 - 1"
            elif isinstance(value, int) and abs(value) < 1e6:
                text = str(value)
            else:
                text = amount(value)
            parts.append(f"{sym} {text}")
    return (" " + ", ".join(parts)) if parts else ""


def _type_text(s: dict) -> str:
    """A short type description of a JSON-schema fragment."""
    if "$ref" in s:
        return s["$ref"].rsplit("/", 1)[-1]
    if "const" in s:
        return json.dumps(s["const"])
    if "enum" in s:
        return " \\| ".join(json.dumps(v) for v in s["enum"])
    for key in ("oneOf", "anyOf"):
        if key in s:
            return " \\| ".join(_type_text(x) for x in s[key])
    t = s.get("type")
    if t == "array":
        if "prefixItems" in s:
            return "[" + ", ".join(_type_text(x) for x in s["prefixItems"]) + "]"
        return "list of " + _type_text(s.get("items", {}))
    if t == "object":
        extra = s.get("additionalProperties")
        return "mapping of " + _type_text(extra) if isinstance(extra, dict) else "mapping"
    if t in ("number", "integer"):
        return t + _bound_text(s)
    if t == "null":
        return "null"
    return t or "any"


def _default_text(field: Any) -> str:
    if field.is_required():
        return "required"
    d = field.default
    if isinstance(d, BaseModel):
        return "(defaults)"
    if isinstance(d, tuple):
        d = list(d)
    return f"`{json.dumps(d)}`"


def reference_tables() -> str:
    """Markdown tables of every section: key, type, unit, default, description."""
    out = []
    for title, model, where in _SECTIONS:
        props = model.model_json_schema().get("properties", {})
        out.append(f"### {title} (`{model.__name__}`)\n")
        if where:
            out.append(f"Written at `{where}`. {(model.__doc__ or '').strip()}\n")
        else:
            out.append(f"{(model.__doc__ or '').strip()}\n")
        out.append("| key | type | unit | default | description |")
        out.append("|---|---|---|---|---|")
        for name, field in model.model_fields.items():
            s = props.get(name, {})
            unit = (field.json_schema_extra or {}).get("unit", "") if isinstance(
                field.json_schema_extra, dict) else ""
            out.append(f"| `{name}` | {_type_text(s)} | {unit} | {_default_text(field)} | "
                       f"{field.description or ''} |")
        if model is AllocationConfig:
            out.append("| *SECTOR* | {rule: NAME, ...} | | required per sector | "
                       "One entry per sector of the emitters (rules below). |")
        out.append("")
    return "\n".join(out) + "\n" + _rule_tables()


def _rule_tables() -> str:
    from carbonsim.scenario.rules import RULE_PARAMS

    out = ["### Allocation rules\n", "Each sector's entry is `{rule: NAME, ...parameters}`.\n"]
    for name, params in RULE_PARAMS.items():
        props = params.model_json_schema().get("properties", {})
        trued = " (trued up at verification)" if params.trued_up else ""
        out.append(f"#### `{name}`{trued} (`{params.__name__}`)\n")
        out.append(f"{(params.__doc__ or '').strip()}\n")
        rows = [(k, f) for k, f in params.model_fields.items() if k != "rule"]
        if not rows:
            out.append("No parameters.\n")
            continue
        out.append("| key | type | unit | default | description |")
        out.append("|---|---|---|---|---|")
        for key, field in rows:
            unit = field.json_schema_extra.get("unit", "") if isinstance(field.json_schema_extra, dict) else ""
            out.append(f"| `{key}` | {_type_text(props.get(key, {}))} | {unit} | "
                       f"{_default_text(field)} | {field.description or ''} |")
        out.append("")
    return "\n".join(out)
