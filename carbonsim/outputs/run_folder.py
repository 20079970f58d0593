"""A run's folder: CSVs, trades.parquet, the resolved scenario, manifest.json, plots, report.html.

Results are written atomically: everything goes into a hidden sibling folder (its name starts
with '.'), which is renamed to the final name only once complete. A failed or interrupted write
removes it; an existing folder is never overwritten or merged into.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from importlib import metadata
from pathlib import Path

import numpy as np
import yaml

from carbonsim.errors import CarbonsimError

__all__ = [
    "TABLES",
    "OutputExistsError",
    "OutputPathError",
    "atomic_folder",
    "check_can_create",
    "check_new_folder",
    "default_out_dir",
    "is_stale",
    "manifest",
    "owner_tag",
    "remove_stale",
    "resolved_scenario",
    "run_and_write",
    "write_run",
]

# Result attribute -> file name; trades go to Parquet (many rows, typed columns).
TABLES = {"prices": "prices.csv", "auctions": "auctions.csv", "compliance": "compliance.csv",
          "summary": "summary.csv", "msr": "msr.csv", "trades": "trades.parquet"}
_PACKAGES = ("numpy", "pandas", "simpy", "pydantic", "matplotlib", "pyarrow", "PyYAML")


class OutputExistsError(CarbonsimError):
    """The output folder exists already: results are never overwritten (choose another --out)."""


class OutputPathError(CarbonsimError):
    """The output folder cannot be made there (a file in its path, a name too long)."""


# --- whose temporary folders these are ----------------------------------------------------
# A hidden partial folder (or a worker's temporary folder) carries its writer's process id and
# host, so that one left by a killed process can be told from one being written right now.
_HOST = hashlib.sha256(platform.node().encode("utf-8")).hexdigest()[:6]
_OWNED = re.compile(r"p(\d+)-([0-9a-f]{6})")
#: Hidden folders of the earlier form (no owner) older than this (s) are left by a killed run.
STALE_AFTER_S = 24 * 3600


def owner_tag() -> str:
    """``p<pid>-<host hash>``: marks a temporary folder as this process's."""
    return f"p{os.getpid()}-{_HOST}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's, or cannot tell: keep it
    return True


def is_stale(name: str, mtime: float | None = None) -> bool:
    """True if a temporary folder named ``name`` was left by a process of this host that has
    ended (or, for names without an owner, if it is older than STALE_AFTER_S)."""
    found = _OWNED.search(name)
    if found is None:
        return mtime is not None and time.time() - mtime > STALE_AFTER_S
    return found.group(2) == _HOST and int(found.group(1)) != os.getpid() and not _alive(
        int(found.group(1)))


def remove_stale(folder: Path, pattern: re.Pattern) -> list[Path]:
    """Remove the entries of ``folder`` matching ``pattern`` left by ended processes."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.match(entry.name):
            continue
        try:
            mtime = entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if is_stale(entry.name, mtime):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


_PARTIAL = re.compile(r"^\..+\.[0-9a-f]{8}\.partial$")
_SWEPT: set[str] = set()


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def default_out_dir(name: str, root: str | os.PathLike = "results",
                    now: dt.datetime | None = None) -> Path:
    """``root/<name>/<UTC time to the second>``, with ``-2``, ``-3``... if that folder exists.

    Two runs may pick the same name at once: ``write_run`` then moves the later one on to the
    next free suffix.
    """
    stamp = (now or _utc_now()).astimezone(dt.UTC).strftime("%Y-%m-%dT%H%M%SZ")
    base = Path(root) / name / stamp
    candidate, k = base, 1
    while candidate.exists():
        k += 1
        candidate = base.with_name(f"{stamp}-{k}")
    return candidate


def check_new_folder(out: Path) -> None:
    """Raise OutputExistsError if ``out`` exists (a folder, a file or a link)."""
    if os.path.lexists(out):  # a folder, a file or a link (a name too long is no error here)
        raise OutputExistsError(f"output folder {out} already exists; results are never "
                                "overwritten: choose another --out or remove it")


def check_can_create(out: Path) -> None:
    """Raise, before anything is run, if ``out`` could not be created.

    OutputExistsError if it exists; OutputPathError if a file stands in its path or a folder
    name is longer than the file system allows; OSError (EROFS, EACCES) if the nearest
    existing folder cannot be written.
    """
    check_new_folder(out)
    existing, new = out, []
    while not os.path.lexists(existing) and existing != existing.parent:
        new.append(existing.name)
        existing = existing.parent
    if not existing.is_dir():
        raise OutputPathError(f"cannot create {out}: {existing} is a file, not a folder "
                              "(choose another --out)")
    try:
        longest = os.pathconf(existing, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):
        longest = 255
    for name in new:
        if len(os.fsencode(name)) > longest:
            shown = name if len(name) <= 40 else name[:37] + "..."
            raise OutputPathError(f"cannot create {out}: the folder name {shown!r} is "
                                  f"{len(os.fsencode(name))} bytes, more than the {longest} the "
                                  "file system allows (choose a shorter --out)")
    if not os.access(existing, os.W_OK | os.X_OK):
        try:
            read_only = bool(os.statvfs(existing).f_flag & os.ST_RDONLY)
        except (AttributeError, OSError):
            read_only = False
        code = errno.EROFS if read_only else errno.EACCES
        raise OSError(code, f"cannot create {out}: {os.strerror(code)}")


@contextlib.contextmanager
def atomic_folder(out_dir: str | os.PathLike) -> Iterator[Path]:
    """Yield a hidden temporary folder beside ``out_dir``; rename it to ``out_dir`` on success.

    On any exception (or KeyboardInterrupt) the temporary folder, and any parent folders this
    call created, are removed and the exception propagates. Raises OutputExistsError if
    ``out_dir`` exists (before or at the rename), OSError if the folder cannot be written.
    """
    out = Path(out_dir)
    check_new_folder(out)
    created = [p for p in reversed(out.parents) if not p.exists()]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        where = os.path.abspath(out.parent)
        if where not in _SWEPT:  # once per folder and process: a batch writes many runs there
            _SWEPT.add(where)
            remove_stale(out.parent, _PARTIAL)  # left by a run killed while it wrote
        while True:
            tmp = out.parent / f".{out.name}.{owner_tag()}.{secrets.token_hex(4)}.partial"
            try:
                tmp.mkdir()
                break
            except FileExistsError:
                continue
    except OSError as exc:  # name the folder the user asked for, not our hidden one
        for parent in reversed(created):
            with contextlib.suppress(OSError):
                parent.rmdir()  # only if still empty
        raise OSError(exc.errno, f"cannot create {out}: {exc.strerror}") from exc
    try:
        yield tmp
        check_new_folder(out)
        try:
            os.rename(tmp, out)  # atomic; fails on a non-empty existing folder
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                check_new_folder(out)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for parent in reversed(created):
            with contextlib.suppress(OSError):
                parent.rmdir()  # only if still empty
        raise


def _plain(value: object) -> object:
    """YAML/JSON-safe copy: tuples to lists, numpy scalars to Python numbers, keys to str."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def resolved_scenario(scenario: object) -> dict:
    """The resolved scenario as a plain dict (a dict is taken as already resolved).

    Uses carbonsim.scenario.scenario_dict for Scenario objects.
    """
    if isinstance(scenario, Mapping):
        return _plain(scenario)  # type: ignore[return-value]
    from carbonsim.scenario import scenario_dict

    return _plain(scenario_dict(scenario))  # type: ignore[return-value]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        module = sys.modules.get(package.lower())
        return getattr(module, "__version__", None)


def manifest(result, scenario_yaml: bytes, started: dt.datetime | None = None,
             command: Sequence[str] | None = None, files: Sequence[str] = ()) -> dict:
    """The manifest of a run: versions, seed, sha256 of scenario.yaml, wall time (s), start (UTC).

    ``started`` defaults to now minus the wall time.
    """
    from carbonsim._version import __version__

    wall = float(result.wall_time_s)
    started = started or (_utc_now() - dt.timedelta(seconds=round(wall)))
    info = {"carbonsim": __version__, "python": platform.python_version()}
    info.update({p.lower(): _version(p) for p in _PACKAGES})
    name = getattr(result.scenario, "name", None)
    if name is None and isinstance(result.scenario, Mapping):
        name = result.scenario.get("name")
    info.update({
        "scenario": name, "seed": int(result.seed),
        "scenario_sha256": hashlib.sha256(scenario_yaml).hexdigest(),
        "wall_time_s": round(wall, 6),
        "started_utc": started.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "command": list(command) if command is not None else None,
        "platform": platform.platform(), "files": list(files),
    })
    return info


def _write_tables(result, folder: Path) -> list[str]:
    names = []
    for attr, filename in TABLES.items():
        frame = getattr(result, attr)
        if filename.endswith(".parquet"):
            frame.to_parquet(folder / filename, index=False)
        else:
            frame.to_csv(folder / filename, index=False)
        names.append(filename)
    return names


def _render_plots(result, currency: str) -> dict[str, bytes]:
    from carbonsim.outputs import plots

    return {name: plots.png_bytes(fig) for name, fig in plots.run_figures(result, currency).items()}


def write_run(result, out_dir: str | os.PathLike | None = None, *, root: str | os.PathLike = "results",
              command: Sequence[str] | None = None, started: dt.datetime | None = None) -> Path:
    """Write a run's files into ``out_dir`` (default: ``root/<scenario>/<UTC time>``); return it.

    Raises OutputExistsError if ``out_dir`` exists, OSError if writing fails; either way no
    folder is left at ``out_dir``.
    """
    settings = resolved_scenario(result.scenario)
    scenario_yaml = yaml.safe_dump(settings, sort_keys=False, allow_unicode=True).encode("utf-8")
    name = settings.get("name", "run")
    out = Path(out_dir) if out_dir is not None else default_out_dir(name, root)
    check_new_folder(out)  # before the slow part; atomic_folder checks again at the rename
    figures = _render_plots(result, str(settings.get("currency", "")))
    for _ in range(1000):
        try:
            _write_folder(out, result, settings, scenario_yaml, figures, command, started)
            return out
        except OutputExistsError:
            if out_dir is not None:
                raise
            out = default_out_dir(name, root)  # another run took this name meanwhile
    raise OutputExistsError(f"no free folder name under {Path(root) / name}")


def _write_folder(out: Path, result, settings: dict, scenario_yaml: bytes,
                  figures: dict[str, bytes], command, started) -> None:
    from carbonsim.outputs import report

    with atomic_folder(out) as tmp:
        files = _write_tables(result, tmp)
        (tmp / "scenario.yaml").write_bytes(scenario_yaml)
        (tmp / "plots").mkdir()
        for name, png in figures.items():
            (tmp / "plots" / f"{name}.png").write_bytes(png)
        files += ["scenario.yaml", *(f"plots/{n}.png" for n in figures), "manifest.json"]
        info = manifest(result, scenario_yaml, started, command, files + ["report.html"])
        (tmp / "manifest.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        meta = {"seed": info["seed"], "wall time": f"{info['wall_time_s']:.2f} s",
                "started": info["started_utc"], "carbonsim": info["carbonsim"]}
        page = report.run_page(result, settings, figures, meta, files)
        (tmp / "report.html").write_text(page, encoding="utf-8")


def _load(path: str | os.PathLike):
    from carbonsim.scenario import load_scenario

    return load_scenario(path)


def _simulate(scenario, seed: int | None, progress=None):
    from carbonsim.sim.engine import run

    if progress is None:
        return run(scenario, seed=seed)
    return run(scenario, seed=seed, progress=progress)


def run_and_write(scenario, seed: int | None = None, out_dir: str | os.PathLike | None = None, *,
                  root: str | os.PathLike = "results", command: Sequence[str] | None = None,
                  progress=None):
    """Load (if a path), run and write one scenario; return ``(result, folder)``.

    ``progress`` is passed to ``carbonsim.run`` (called after every session and deadline).

    Raises ScenarioError for a bad scenario, OutputExistsError if ``out_dir`` exists (checked
    before the run too), CarbonsimError if the run fails, OSError if writing fails.
    """
    if isinstance(scenario, (str, os.PathLike)):
        scenario = _load(scenario)
    name = getattr(scenario, "name", None) or "run"
    check_can_create(Path(out_dir) if out_dir is not None else default_out_dir(name, root))
    started = _utc_now()
    result = _simulate(scenario, seed, progress)
    return result, write_run(result, out_dir, root=root, command=command, started=started)
