"""Coverage-guided fuzzing of the scenario loader with atheris (pip install atheris).

Every input must either load or raise ScenarioError; anything else is a crash that atheris
reports with the input that caused it. Seeds are the bundled scenarios, mutated by atheris.

    python fuzz/fuzz_scenario_loader.py -runs=200000          # a bounded run
    python fuzz/fuzz_scenario_loader.py -max_total_time=600   # ten minutes

Every 5,000 inputs it prints how many were tried and how many loaded.
"""

from __future__ import annotations

import atexit
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from carbonsim.scenario import ScenarioError, load_scenario_text

ROOT = Path(__file__).resolve().parents[1]
COUNTS = {"tried": 0, "loaded": 0}


def one_input(data: bytes) -> None:
    COUNTS["tried"] += 1
    if COUNTS["tried"] % 5000 == 0:  # libFuzzer may exit without running atexit handlers
        print(f"inputs tried: {COUNTS['tried']}, loaded: {COUNTS['loaded']}", file=sys.stderr)
    text = data.decode("utf-8", errors="replace")
    try:
        load_scenario_text(text, file="fuzz.yaml", base_dir=str(ROOT / "scenarios"))
    except ScenarioError:
        return
    COUNTS["loaded"] += 1


def main() -> None:
    corpus = Path(tempfile.mkdtemp(prefix="carbonsim-fuzz-"))
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")):
        (corpus / path.name).write_bytes(path.read_bytes())
    atexit.register(lambda: print(f"inputs tried: {COUNTS['tried']}, loaded: {COUNTS['loaded']}"))
    atheris.Setup([sys.argv[0], *sys.argv[1:], str(corpus)], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
