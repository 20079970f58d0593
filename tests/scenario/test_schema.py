"""JSON Schema, the format reference in docs/, and the validate/schema commands."""

import io
import json
from pathlib import Path

import pytest
import yaml

from carbonsim.economy.allocation import RULES
from carbonsim.scenario import json_schema, validate_files
from carbonsim.scenario.commands import schema_command
from carbonsim.validate import validate_command
from carbonsim.scenario.models import Scenario
from carbonsim.format_docs import generated_docs
from carbonsim.scenario.yamlio import ScenarioLoader

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_schema_is_json_and_covers_every_key():
    schema = json_schema()
    json.dumps(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    assert set(schema["properties"]) == set(Scenario.model_fields)
    assert set(schema["required"]) == {"name", "start_year", "years", "emitters", "allocation",
                                       "market", "compliance"}
    rules = schema["$defs"]["AllocationConfig"]["additionalProperties"]["oneOf"]
    assert len(rules) == len(RULES)
    for name in RULES:
        assert schema["$defs"][f"Rule_{name}"]["properties"]["rule"] == {
            "const": name, "description": "Allocation rule."}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_validate_against_the_schema(path):
    jsonschema = pytest.importorskip("jsonschema")
    data = yaml.load(path.read_text(), Loader=ScenarioLoader)
    jsonschema.validate(data, json_schema())


def test_schema_rejects_a_typo():
    jsonschema = pytest.importorskip("jsonschema")
    data = yaml.load(EXAMPLES[0].read_text(), Loader=ScenarioLoader)
    data["market"]["tikc"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema())


def test_format_reference_matches_the_models():
    text = (ROOT / "docs" / "scenario-format.md").read_text()
    assert generated_docs() in text, "run: python -m carbonsim.format_docs docs/scenario-format.md"


def test_validate_command_ok_and_bad(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    assert validate_command([str(p) for p in EXAMPLES], out, err) == 0
    assert out.getvalue().splitlines() == [f"ok {p.stem}" for p in EXAMPLES]
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLES[0].read_text().replace("years:", "yeers:"))
    out, err = io.StringIO(), io.StringIO()
    assert validate_command([str(EXAMPLES[0]), str(bad)], out, err) == 2
    assert "Traceback" not in err.getvalue()
    assert "did you mean 'years'?" in err.getvalue()
    assert len(validate_files([bad])) == len(err.getvalue().splitlines())


def test_schema_command_prints_the_schema():
    out = io.StringIO()
    assert schema_command(out) == 0
    assert json.loads(out.getvalue()) == json_schema()
