"""Emitters from CSV files: columns, cells, rows with line numbers."""

from pathlib import Path

import pytest

from carbonsim.scenario import (
    ScenarioError,
    load_scenario,
    load_scenario_dict,
    scenario_dict,
)

ROOT = Path(__file__).resolve().parents[2]
TEXTBOOK = (ROOT / "scenarios" / "textbook-two-firms.yaml").read_text()
HEADER = "id,sector,output,intensity,growth,mac_kind,mac_slope,mac_cost_at_max,mac_max_share,free_allocation"


def scenario_with_csv(tmp_path: Path, csv_text: str | None, file: str = "em.csv") -> Path:
    start, end = TEXTBOOK.index("emitters:"), TEXTBOOK.index("\nallocation:") + 1
    text = TEXTBOOK[:start] + f"emitters: {{file: {file}}}\n" + TEXTBOOK[end:]
    (tmp_path / "s.yaml").write_text(text)
    if csv_text is not None:
        (tmp_path / file).write_text(csv_text)
    return tmp_path / "s.yaml"


def problems(path: Path) -> list:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value.problems


def test_csv_emitters_load_with_defaults_for_empty_cells(tmp_path):
    path = scenario_with_csv(tmp_path, f"{HEADER}\nA,industry,100,1.0,0.01,linear,1.0,,,70\n"
                                       "B,industry,1e2,1,,linear,,300,0.5,70\n")
    s = load_scenario(path)
    a, b = s.emitters
    assert (a.id, a.growth, a.mac.slope, a.free_allocation) == ("A", 0.01, 1.0, 70.0)
    assert (b.output, b.growth, b.mac.cost_at_max, b.mac.max_share) == (100.0, 0.0, 300.0, 0.5)
    # the resolved scenario carries the rows, so it does not need the file any more
    (tmp_path / "em.csv").unlink()
    assert load_scenario_dict(scenario_dict(s)) == s


def test_ids_stay_text(tmp_path):
    s = load_scenario(scenario_with_csv(tmp_path, f"{HEADER}\n001,industry,100,1,,linear,1,,,70\n"
                                                  "002,industry,100,1,,linear,3,,,70\n"))
    assert [e.id for e in s.emitters] == ["001", "002"]


def test_missing_csv_file(tmp_path):
    (p,) = problems(scenario_with_csv(tmp_path, None, "nothere.csv"))
    assert p.path == "emitters.file" and p.file.endswith("s.yaml") and p.line is not None
    assert "expected an existing CSV file" in p.message and "nothere.csv" in p.message


def test_missing_and_unknown_columns(tmp_path):
    probs = problems(scenario_with_csv(tmp_path, "id,sector,output,mac_kind,mac_slop\nA,industry,1,linear,1\n"))
    messages = [p.message for p in probs]
    assert any("expected a column 'intensity' (required); got none" in m for m in messages)
    assert any("did you mean 'mac_slope'?" in m for m in messages)
    assert all(p.file.endswith("em.csv") and p.line == 1 for p in probs)


def test_bad_cells_are_reported_with_csv_line(tmp_path):
    probs = problems(scenario_with_csv(tmp_path, f"{HEADER}\nA,industry,100,1,,linear,1,,,70\n"
                                                 "B,industry,abc,1,,linear,1,,,-5\n"))
    found = {p.path: p for p in probs}
    assert found["emitters[1].output"].line == 3 and found["emitters[1].output"].file.endswith("em.csv")
    assert "got 'abc'" in found["emitters[1].output"].message
    assert ">= 0; got -5" in found["emitters[1].free_allocation"].message


def test_steps_cannot_be_written_in_a_csv(tmp_path):
    (p,) = problems(scenario_with_csv(tmp_path, f"{HEADER}\nA,industry,100,1,,steps,,,,70\n"))
    assert p.path == "emitters[0].mac.kind" and "cannot be given in a CSV" in p.message


def test_duplicate_ids_in_csv(tmp_path):
    probs = problems(scenario_with_csv(tmp_path, f"{HEADER}\nA,industry,100,1,,linear,1,,,70\n"
                                                 "A,industry,100,1,,linear,3,,,70\n"))
    assert [p.path for p in probs] == ["emitters[1].id"] and probs[0].line == 3


def test_empty_csv(tmp_path):
    (p,) = problems(scenario_with_csv(tmp_path, ""))
    assert "header" in p.message
