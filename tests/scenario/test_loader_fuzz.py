"""Mutated scenario text (characters, not structure): every input loads or gives ScenarioError,
and the command line answers exit 2 with no traceback. Structural mutations are in
test_scenario_properties.py; coverage-guided fuzzing is fuzz/fuzz_scenario_loader.py."""

import os
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carbonsim.cli import main
from carbonsim.scenario import ScenarioError, load_scenario_text

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [p.read_text() for p in sorted((ROOT / "scenarios").rglob("*.yaml"))]
NASTY = ["\x00", "\x03", "\t", "\r", "\ufeff", ":", "- ", "{", "]", "&a", "*a", "!!python/object:os.system", "\\", "'", '"', "1e999", "-", "~", "é", "\n  ",
         # the second round: what broke the promise of issue 15
         '"\\e[2J"', '"\\x9b"', "1e300", "-1e300", "1e-300", "10000000000000000000000", "x" * 12_000,
         "\u202e", "2022-02-30", "  ", "   ", ": :", "count: 10000000\n", "\t- "]
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
EXAMPLES = int(os.environ.get("CARBONSIM_FUZZ_EXAMPLES", "300"))


def assert_printable(err: ScenarioError) -> None:
    """Every problem prints on one line, without control characters, in a few hundred
    characters at most (a long bad value is quoted as an excerpt)."""
    for p in err.problems:
        shown = str(p)
        assert not CONTROL.search(shown), repr(shown[:200])
        assert len(shown) <= 3000, shown[:200]


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if action == "insert":
            text = text[:at] + draw(st.one_of(st.sampled_from(NASTY), st.text(max_size=5))) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        else:
            lines = text.splitlines(keepends=True)
            i = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: i + 1] + lines[i:])
    return text


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_text_loads_or_gives_a_scenario_error(text):
    try:
        load_scenario_text(text, file="m.yaml", base_dir=str(ROOT / "scenarios"))
    except ScenarioError as err:
        assert all(str(p).startswith("m.yaml") for p in err.problems)
        assert_printable(err)


def test_control_characters_are_a_clean_error_on_the_command_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TEXTS[0].replace("name:", "na\x03me:", 1))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "printable" in err and "Traceback" not in err
