"""Emitters from a CSV file: one row per emitter, columns = the inline keys, ``mac_*`` for the MAC.

Cells are read as text for ``id``, ``sector`` and ``mac_kind`` and as numbers elsewhere; an empty
cell means "use the default". Only linear MACs fit in a CSV (steps need a list per emitter).
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re

from carbonsim.scenario.emitters import EmitterSpec
from carbonsim.scenario.errors import Problem, describe
from carbonsim.scenario.limits import MAX_CSV_BYTES, excerpt
from carbonsim.scenario.yamlio import Unusable, read_bounded

__all__ = ["CSV_COLUMNS", "REQUIRED_COLUMNS", "read_emitters_csv"]

_TEXT = ("id", "sector", "mac_kind")
_MAC = {"mac_kind": "kind", "mac_slope": "slope", "mac_cost_at_max": "cost_at_max",
        "mac_max_share": "max_share"}
CSV_COLUMNS = tuple(k for k in EmitterSpec.model_fields if k != "mac") + tuple(_MAC)
REQUIRED_COLUMNS = ("id", "sector", "output", "intensity", "mac_kind")
_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _cell(column: str, text: str) -> object:
    if column in _TEXT:
        return text
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text  # left as text: validation reports "expected a number"


def read_emitters_csv(
    path: str, mark: tuple[str, int | None]
) -> tuple[list[dict] | None, dict, list[Problem]]:
    """(rows as inline emitter dicts, marks of each row's keys, problems) of the CSV at ``path``.

    ``mark`` is where ``emitters.file`` is written (for problems about the file itself).
    Rows are None when the file cannot be used at all.
    """
    file, line = mark
    try:
        text = read_bounded(path, MAX_CSV_BYTES).decode("utf-8-sig")
        return _read(io.StringIO(text, newline=""), path)
    except FileNotFoundError:
        folder = os.path.abspath(os.path.dirname(path) or ".")
        where = (f"no file {os.path.basename(path)!r} in {folder}" if os.path.isdir(folder)
                 else f"no folder {folder}")
        msg = (f"expected an existing CSV file; got {excerpt(path)} ({where}; the path is "
               "relative to the scenario file's folder)")
    except Unusable as exc:
        msg = f"expected {exc} ({excerpt(path)})"
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        msg = f"expected a readable CSV file; got {excerpt(path)} ({reason})"
    return None, {}, [Problem(file, line, "emitters.file", msg)]


def _read(fh, path: str) -> tuple[list[dict] | None, dict, list[Problem]]:
    reader = csv.reader(fh)
    header = next(reader, None)
    if not header:
        return None, {}, [Problem(path, 1, "", "expected a header row of column names; got an empty file")]
    columns = [h.strip() for h in header]
    problems = []
    for col in columns:
        if col not in CSV_COLUMNS:
            close = difflib.get_close_matches(col, CSV_COLUMNS, n=1, cutoff=0.6)
            hint = f"a known column (did you mean {close[0]!r}?)" if close else (
                "one of the columns " + ", ".join(CSV_COLUMNS))
            problems.append(Problem(path, 1, "", f"expected {hint}; got column {describe(col)}"))
    for col in REQUIRED_COLUMNS:
        if col not in columns:
            problems.append(Problem(path, 1, "", f"expected a column {col!r} (required); got none"))
    if len(set(columns)) != len(columns):
        twice = sorted({c for c in columns if columns.count(c) > 1})
        problems.append(Problem(path, 1, "", f"expected each column once; got {', '.join(twice)} twice"))
    if problems:
        return None, {}, problems
    rows: list[dict] = []
    marks: dict = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        i = len(rows)
        if len(cells) > len(columns):
            problems.append(Problem(path, line, f"emitters[{i}]",
                                    f"expected {len(columns)} cells; got {len(cells)}"))
        row: dict = {}
        mac: dict = {}
        for col, text in zip(columns, cells):
            text = text.strip()
            if text == "":
                continue
            if col in _MAC:
                mac[_MAC[col]] = _cell(col, text)
            else:
                row[col] = _cell(col, text)
        if mac.get("kind") == "steps":
            problems.append(Problem(
                path, line, f"emitters[{i}].mac.kind",
                "expected linear (step MACs cannot be given in a CSV: use an inline list or "
                "generate); got 'steps'",
            ))
            mac = {"kind": "linear", "slope": 1.0}  # stands in: the row's problem is reported above
        row["mac"] = mac
        rows.append(row)
        marks[("emitters", i)] = (path, line)
        for key in list(row) + [("mac", k) for k in mac]:
            marks[("emitters", i) + (key if isinstance(key, tuple) else (key,))] = (path, line)
    return rows, marks, problems
