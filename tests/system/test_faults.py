"""Faults while writing results: a full disk and a read-only output folder, for `run` and
`batch`. Each ends in a clear message (no traceback) with results complete or absent, never
half-written, and a rerun with room completes. Needs a small tmpfs (root can mount one, as in
CI); the tests skip with a reason where mounting is not allowed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEXTBOOK = ROOT / "scenarios" / "textbook-two-firms.yaml"


@pytest.fixture
def tmpfs(tmp_path):
    """A mount point and a function to (re)mount a tmpfs of a given size there."""
    point = tmp_path / "disk"
    point.mkdir()

    def mount(size: str, *options: str) -> Path:
        opts = ",".join([f"size={size}", *options])
        verb = ["-o", f"remount,{opts}"] if os.path.ismount(point) else ["-t", "tmpfs", "-o", opts, "tmpfs"]
        done = subprocess.run(["mount", *verb, str(point)], capture_output=True, text=True)
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'})")
        return point

    yield mount
    if os.path.ismount(point):
        subprocess.run(["umount", str(point)], check=False)


def carbonsim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "carbonsim", *args], capture_output=True,
                          text=True, timeout=600, cwd=ROOT)


def visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_run_on_a_full_disk_fails_cleanly_and_leaves_nothing(tmpfs):
    disk = tmpfs("96k")  # room for a few files, not for the plots and the report
    out = carbonsim("run", str(TEXTBOOK), "--out", str(disk / "run"))
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr and "space" in out.stderr.lower()
    assert not (disk / "run").exists() and list(disk.iterdir()) == []  # no partial folder left
    tmpfs("64m")  # the disk grows: the same command now completes
    out = carbonsim("run", str(TEXTBOOK), "--out", str(disk / "run"))
    assert out.returncode == 0, out.stderr
    assert (disk / "run" / "report.html").is_file() and (disk / "run" / "summary.csv").is_file()


def test_run_into_a_read_only_folder_fails_cleanly(tmpfs):
    disk = tmpfs("1m", "ro")
    out = carbonsim("run", str(TEXTBOOK), "--out", str(disk / "run"))
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr and "read-only" in out.stderr.lower()
    assert list(disk.iterdir()) == []


def test_batch_on_a_full_disk_keeps_whole_runs_only_and_resumes(tmpfs):
    disk = tmpfs("160k")
    out = carbonsim("batch", str(TEXTBOOK), "--replicates", "4", "--workers", "1", "--out", str(disk / "b"))
    assert out.returncode != 0 and "Traceback" not in out.stderr
    runs = disk / "b" / "runs"
    finished = visible(runs) if runs.is_dir() else []
    for run in finished:  # every visible run folder is complete
        assert (runs / run / "summary.csv").is_file() and (runs / run / "report.html").is_file()
    tmpfs("64m")
    out = carbonsim("batch", str(TEXTBOOK), "--replicates", "4", "--workers", "1", "--out", str(disk / "b"))
    assert out.returncode == 0, out.stderr
    assert len(visible(runs)) == 4 and (disk / "b" / "summary.csv").is_file()
