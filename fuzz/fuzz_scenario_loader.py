"""Coverage-guided fuzzing of the scenario loader with atheris (pip install atheris).

Every input must either load or raise ScenarioError whose messages are printable and short
(control characters escaped, no page of echoed input); anything else is a crash that atheris
reports with the input that caused it. Seeds are the bundled scenarios (every file under
scenarios/, variants included) and a few hostile ones, mutated by atheris.

    python fuzz/fuzz_scenario_loader.py -runs=200000          # a bounded run
    python fuzz/fuzz_scenario_loader.py -max_total_time=600   # ten minutes

Every 5,000 inputs it prints how many were tried and how many loaded.
"""

from __future__ import annotations

import atexit
import re
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from carbonsim.scenario import ScenarioError, load_scenario_text

ROOT = Path(__file__).resolve().parents[1]
COUNTS = {"tried": 0, "loaded": 0}
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_MESSAGE = 3000  # characters of one printed problem: file, line, key path and message
HOSTILE = {  # seeds of the kinds of input that broke the loader before
    "control.yaml": 'name: x\ncurrency: "\\e[2J"\ndescription: "a\\x9bb"\n',
    "huge.yaml": "name: x\nyears: 1\ncap: 1e300\nmarket: {tick: 1e-300}\n",
    "long.yaml": "name: " + "a" * 300 + "\n",
    "tab.yaml": "name: x\ncalendar:\n\tsessions: 5\n",
    "date.yaml": "name: x\ncalendar: {verification: 2022-02-30}\n",
    "count.yaml": "name: x\nyears: 5\nemitters: {generate: {a: {count: 10000000}}}\n",
}


def one_input(data: bytes) -> None:
    COUNTS["tried"] += 1
    if COUNTS["tried"] % 5000 == 0:  # libFuzzer may exit without running atexit handlers
        print(f"inputs tried: {COUNTS['tried']}, loaded: {COUNTS['loaded']}", file=sys.stderr)
    text = data.decode("utf-8", errors="replace")
    try:
        load_scenario_text(text, file="fuzz.yaml", base_dir=str(ROOT / "scenarios"))
    except ScenarioError as exc:
        for problem in exc.problems:
            shown = str(problem)
            if CONTROL.search(shown) or len(shown) > MAX_MESSAGE:
                raise AssertionError(f"unprintable or long message: {shown[:200]!r}") from None
        return
    COUNTS["loaded"] += 1


def main() -> None:
    corpus = Path(tempfile.mkdtemp(prefix="carbonsim-fuzz-"))
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")):
        (corpus / path.relative_to(ROOT / "scenarios").as_posix().replace("/", "__")).write_bytes(
            path.read_bytes())
    for name, text in HOSTILE.items():
        (corpus / name).write_text(text, encoding="utf-8")
    atexit.register(lambda: print(f"inputs tried: {COUNTS['tried']}, loaded: {COUNTS['loaded']}"))
    atheris.Setup([sys.argv[0], *sys.argv[1:], str(corpus)], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
