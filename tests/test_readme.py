"""The README's two commands: each makes and uses its own virtual environment (so it works on
a Python that refuses system-wide installs), CI runs the test command, and the main job runs."""

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN = ("python3 -m venv .venv && .venv/bin/python -m pip install -e . && "
       ".venv/bin/carbonsim run scenarios/textbook-two-firms.yaml")
TEST = ('python3 -m venv .venv-dev && .venv-dev/bin/python -m pip install -e ".[dev]" && '
        ".venv-dev/bin/python -m pytest")


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [b.strip() for b in blocks[:2]]


def _steps(command: str) -> list[str]:
    return [step.strip() for step in command.split("&&")]


def test_readme_has_the_two_setup_commands_and_ci_runs_the_test_command():
    run, test = readme_commands()
    assert (run, test) == (RUN, TEST)
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci


def test_each_command_installs_into_and_runs_from_its_own_environment():
    for command, env in zip(readme_commands(), (".venv", ".venv-dev")):
        create, *rest = _steps(command)
        assert create == f"python3 -m venv {env}"
        # nothing after that touches the system Python: no bare pip, python3 or console script
        assert all(step.startswith(f"{env}/bin/") for step in rest), command
        assert "pip install" in rest[0]
    assert {".venv/", ".venv-dev/"} <= set((ROOT / ".gitignore").read_text().split())


def test_the_dev_extra_has_every_package_the_tests_skip_without():
    skipped = set()
    for path in (ROOT / "tests").rglob("*.py"):
        skipped |= set(re.findall(r'importorskip\("([A-Za-z0-9_]+)"', path.read_text()))
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    dev = {re.split(r"[<>=\[ ]", line.strip())[0].lower()
           for line in config["options.extras_require"]["dev"].splitlines() if line.strip()}
    assert skipped and {name.lower() for name in skipped} <= dev, skipped - dev


def test_the_main_job_command_runs_and_points_to_the_report(tmp_path):
    run, _ = readme_commands()
    job = _steps(run)[-1].split()  # the environment steps are what CI already did
    assert job[0] == ".venv/bin/carbonsim"
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    exe = shutil.which("carbonsim")  # this environment's console script, if installed
    cmd = [exe, *job[1:]] if exe else [sys.executable, "-m", "carbonsim", *job[1:]]
    out = subprocess.run(cmd, cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    report = re.search(r"^report: (.+report\.html)$", out.stdout, re.M)
    assert report, out.stdout
    page = (tmp_path / report.group(1).strip()).read_text()
    assert "textbook-two-firms" in page and "45.00" in page
