"""The batch folder: its error types, atomic file replacement, the lock, and clean-up of what a
killed batch left half-written."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path

from carbonsim.errors import CarbonsimError

__all__ = ["BatchError", "BatchFolderError", "BatchInterrupted", "ClusterLost", "batch_folder",
           "check_batch_folder", "replace_bytes", "write_run_folder"]

_PARTIAL = re.compile(r"^\..+\.[0-9a-f]{8}\.(partial|tmp)$")


class BatchError(CarbonsimError):
    """The batch cannot start or go on (folder not a batch folder or in use, cluster unreachable)."""


class BatchFolderError(BatchError):
    """``--out`` cannot be a batch folder: a file, a folder that is not a batch's, or one that
    another batch is writing (bad usage: choose another --out)."""


class ClusterLost(BatchError):
    """The connection to the cluster was lost mid-batch; finished runs are kept (rerun resumes)."""


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) stopped the batch; ``finished`` of ``total`` runs are kept in ``out``."""

    def __init__(self, finished: int, total: int, out: Path, signum: int = 2) -> None:
        super().__init__(f"{finished} of {total} runs finished")
        self.finished, self.total, self.out = finished, total, out
        self.signum = signum  # the signal that stopped it: 2 Ctrl-C (SIGINT), 15 SIGTERM


def replace_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a hidden temporary file beside ``path``, then rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_batch_folder(out: Path) -> None:
    """Raise BatchFolderError unless ``out`` can be (or is) a batch folder: not a file, nor
    under one, nor a folder of something else. (Whether another batch holds it is known
    only once its lock is tried.)"""
    from carbonsim.outputs.run_folder import OutputPathError, check_can_create

    if out.exists() and not out.is_dir():
        raise BatchFolderError(f"{out} is a file, not a batch folder: choose another --out")
    if out.is_dir():
        if not (out / "batch.json").is_file():
            found = {p.name for p in out.iterdir()} - {".lock"}  # a batch killed as it began
            if found - {"runs"} or (found and any((out / "runs").iterdir())):
                raise BatchFolderError(f"{out} exists and is not a batch folder (no "
                                       "batch.json): choose another --out")
        return
    try:
        check_can_create(out)
    except OutputPathError as exc:
        raise BatchFolderError(str(exc)) from None


@contextlib.contextmanager
def batch_folder(out: Path) -> Iterator[None]:
    """Create or reopen a batch folder, lock it, and remove partial files of a killed batch.

    Raises BatchFolderError if ``out`` is a file, a folder that is not a batch folder, or in use.
    """
    check_batch_folder(out)
    try:
        (out / "runs").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot create {out}: {exc.strerror}") from exc
    with open(out / ".lock", "w", encoding="utf-8") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # not POSIX: no lock
            pass
        except OSError:
            raise BatchFolderError(f"another carbonsim batch is writing {out}; wait for it to "
                                   "end or choose another --out") from None
        for folder in (out, out / "runs", out / "dataset"):
            for path in folder.glob(".*") if folder.is_dir() else ():
                if _PARTIAL.match(path.name):
                    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
        yield


def write_run_folder(folder: Path, files: Mapping[str, bytes]) -> None:
    """Write a run's files (relative path -> bytes) atomically as ``folder``."""
    from carbonsim.outputs.run_folder import atomic_folder

    with atomic_folder(folder) as tmp:
        for name, data in files.items():
            target = (tmp / name).resolve()
            if tmp.resolve() not in target.parents:
                raise BatchError(f"a worker returned a file outside its run folder: {name!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
