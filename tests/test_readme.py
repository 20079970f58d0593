"""The README's two commands: CI runs the test command, and the main job really runs."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [b.strip() for b in blocks[:2]]


def test_readme_has_the_two_setup_commands_and_ci_runs_the_test_command():
    run, test = readme_commands()
    assert run.startswith("python3 -m pip install -e . && carbonsim run ")
    assert test == 'python3 -m pip install -e ".[dev]" && python3 -m pytest'
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test in ci


def test_the_main_job_command_runs_and_points_to_the_report(tmp_path):
    run, _ = readme_commands()
    job = run.split("&&", 1)[1].split()  # the install step is what CI already did
    assert job[0] == "carbonsim"
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    exe = shutil.which("carbonsim")  # the console script the install step made
    cmd = [exe, *job[1:]] if exe else [sys.executable, "-m", "carbonsim", *job[1:]]
    out = subprocess.run(cmd, cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    report = re.search(r"^report: (.+report\.html)$", out.stdout, re.M)
    assert report, out.stdout
    page = (tmp_path / report.group(1).strip()).read_text()
    assert "textbook-two-firms" in page and "45.00" in page
