"""extends: deep merge, relative paths, cycles, problems attributed to the right file."""

from pathlib import Path

import pytest

from carbonsim.scenario import ScenarioError, load_scenario, load_scenario_text
from carbonsim.scenario.yamlio import deep_merge

ROOT = Path(__file__).resolve().parents[2]
TEXTBOOK = (ROOT / "scenarios" / "textbook-two-firms.yaml").read_text()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def problems(path: Path) -> list:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def test_deep_merge_merges_mappings_and_replaces_the_rest():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 1, "mac": {"kind": "linear", "slope": 1}}
    child = {"a": {"y": [3]}, "c": 2, "mac": {"kind": "steps", "steps": [[1, 0.5]]}}
    replaced: list = []
    merged = deep_merge(base, child, (), replaced)
    assert merged == {"a": {"x": 1, "y": [3]}, "b": 1, "c": 2,
                      "mac": {"kind": "steps", "steps": [[1, 0.5]]}}
    assert ("a", "y") in replaced and ("mac",) in replaced
    assert base["a"] == {"x": 1, "y": [1, 2]}  # inputs untouched


def test_extends_with_relative_path_and_deep_merge(tmp_path):
    write(tmp_path / "base" / "textbook.yaml", TEXTBOOK)
    child = write(tmp_path / "runs" / "child.yaml",
                  "extends: ../base/textbook.yaml\nname: child\ncompliance:\n  penalty_per_t: 30\n")
    s = load_scenario(child)
    assert s.name == "child"
    assert s.compliance.penalty_per_t == 30
    assert s.compliance.make_good is True  # kept from the base
    assert s.cap == 140 and len(s.emitters) == 2


def test_extends_chain_and_csv_relative_to_the_file_that_names_it(tmp_path):
    write(tmp_path / "data" / "em.csv",
          "id,sector,output,intensity,mac_kind,mac_slope,free_allocation\n"
          "A,industry,100,1,linear,1,70\nB,industry,100,1,linear,3,70\n")
    write(tmp_path / "data" / "base.yaml", TEXTBOOK.replace(
        TEXTBOOK[TEXTBOOK.index("emitters:"):TEXTBOOK.index("\nallocation:") + 1], "emitters: {file: em.csv}\n"))
    write(tmp_path / "mid.yaml", "extends: data/base.yaml\nname: mid\nseed: 7\n")
    top = write(tmp_path / "deep" / "top.yaml", "extends: ../mid.yaml\nname: top\n")
    s = load_scenario(top)
    assert (s.name, s.seed) == ("top", 7)
    assert [e.id for e in s.emitters] == ["A", "B"] and s.emitters[1].mac.slope == 3


def test_cycle_is_named(tmp_path):
    write(tmp_path / "a.yaml", "extends: b.yaml\nname: a\n")
    write(tmp_path / "b.yaml", "extends: a.yaml\nname: b\n")
    (p,) = problems(tmp_path / "a.yaml")
    assert p.path == "extends" and p.line == 1
    assert "expected no cycle of extends; got" in p.message
    a, b = str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")
    assert p.message.endswith(f"got {a} -> {b} -> {a}")


def test_self_extends_is_a_cycle(tmp_path):
    (p,) = problems(write(tmp_path / "a.yaml", "extends: a.yaml\nname: a\n"))
    assert "cycle" in p.message


def test_missing_extends_target(tmp_path):
    (p,) = problems(write(tmp_path / "a.yaml", "name: a\nextends: nowhere.yaml\n"))
    assert (p.path, p.line) == ("extends", 2)
    assert "expected an existing scenario file; got 'nowhere.yaml'" in p.message


def test_extends_must_be_a_path(tmp_path):
    (p,) = problems(write(tmp_path / "a.yaml", "name: a\nextends: [x.yaml]\n"))
    assert p.path == "extends" and "expected a scenario file path" in p.message


def test_problems_point_to_the_file_that_holds_the_key(tmp_path):
    write(tmp_path / "base.yaml", TEXTBOOK.replace("penalty_per_t: 1000", "penalty_per_t: -5"))
    child = write(tmp_path / "child.yaml", "extends: base.yaml\nname: child\nseed: -1\n")
    found = {p.path: p for p in problems(child)}
    assert found["seed"].file.endswith("child.yaml") and found["seed"].line == 3
    assert found["compliance.penalty_per_t"].file.endswith("base.yaml")
    assert found["compliance.penalty_per_t"].line == TEXTBOOK.splitlines().index("  penalty_per_t: 1000") + 1


def test_syntax_error_in_the_base_is_reported_with_the_base_file(tmp_path):
    write(tmp_path / "base.yaml", "name: [oops\n")
    (p,) = problems(write(tmp_path / "child.yaml", "extends: base.yaml\n"))
    assert p.file.endswith("base.yaml") and "expected valid YAML" in p.message


def test_extends_from_text_uses_base_dir(tmp_path):
    write(tmp_path / "textbook.yaml", TEXTBOOK)
    s = load_scenario_text("extends: textbook.yaml\nname: t\n", base_dir=str(tmp_path))
    assert s.name == "t" and s.source_path is None
