"""The batch folder's own files: summary.csv, runs.csv, failures.csv, dataset/, report.html.

Each is built from the runs' folders (their CSVs read back), in plan order, so the same batch
gives the same bytes whether its runs were computed now, resumed, local or on Dask; each is
rewritten whole at the end of a batch (a temporary file, then a rename).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

__all__ = ["LEAD_COLUMNS", "lead_columns", "sweep_column", "write_outputs"]

LEAD_COLUMNS = ["run_id", "scenario", "replicate"]  # then one column per sweep key


def sweep_column(values: Sequence[object]) -> pd.Series:
    """One sweep key's values across runs as a column: numbers stay numbers, text stays text,
    anything else (lists, mappings, mixed kinds) becomes JSON text; None where a run has none.
    """
    present = [v for v in values if v is not None]

    def number(v: object) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if present and all(number(v) for v in present):
        return pd.Series(values, dtype=object)
    if all(isinstance(v, str) for v in present) or all(isinstance(v, bool) for v in present):
        return pd.Series(values, dtype=object)
    return pd.Series([None if v is None else json.dumps(v, sort_keys=True) for v in values],
                     dtype=object)


def lead_columns(specs: Sequence) -> pd.DataFrame:
    """run_id, scenario, replicate and one column per sweep key (first-seen order), per run."""
    keys = list(dict.fromkeys(k for s in specs for k in s.sweep_values))
    frame = pd.DataFrame({"run_id": [s.run_id for s in specs],
                          "scenario": [s.scenario_name for s in specs],
                          "replicate": pd.Series([s.replicate for s in specs], dtype="int64")})
    for key in keys:
        frame[key] = sweep_column([s.sweep_values.get(key) for s in specs])
    return frame


def _with_lead(lead: pd.DataFrame, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    frames = []
    for row in lead.itertuples(index=False):
        table = tables.get(row.run_id)
        if table is None:
            continue
        head = pd.DataFrame({c: pd.Series([v] * len(table), dtype=lead[c].dtype)
                             for c, v in zip(lead.columns, row)})
        frames.append(pd.concat([head, table.reset_index(drop=True)], axis=1))
    if not frames:
        return pd.DataFrame(columns=list(lead.columns))
    return pd.concat(frames, ignore_index=True)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    text = frame.to_csv(index=False, lineterminator="\n")
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    import io

    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _arrow_safe(frame: pd.DataFrame, sweep_keys: Sequence[str]) -> pd.DataFrame:
    """Sweep columns that mix numbers with text become text (Parquet columns have one type)."""
    out = frame.copy()
    for key in sweep_keys:
        kinds = {type(v) for v in out[key] if v is not None and not (
            isinstance(v, float) and math.isnan(v))}
        if len(kinds) > 1 and not kinds <= {int, float}:
            out[key] = out[key].map(lambda v: None if v is None else str(v))
    return out


def write_outputs(folder: Path, specs: Sequence, tables: Mapping, failures: Mapping[str, str],
                  status: Mapping[str, str], task_times: Mapping[str, float], info: dict,
                  wall_time_s: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Write summary.csv, runs.csv, failures.csv, dataset/{prices,compliance}.parquet,
    report.html and batch.json into ``folder``; return (summary, runs, failures) frames.

    ``tables`` maps run id -> its tables (summary, prices, compliance, wall_time_s);
    ``status`` maps run id -> "finished" or "resumed"; ``task_times`` the s each computed run
    took in its worker. Raises OSError if a file cannot be written.
    """
    from carbonsim.batch import report as batch_report
    from carbonsim.batch.folder import replace_bytes

    lead = lead_columns(specs)
    sweep_keys = list(lead.columns[len(LEAD_COLUMNS):])
    summary = _with_lead(lead, {k: t.summary for k, t in tables.items()})
    runs = lead.copy()
    runs["seed"] = pd.Series([s.seed for s in specs], dtype="int64")
    runs["point"] = [s.point for s in specs]
    runs["source"] = [s.source for s in specs]
    runs["status"] = ["failed" if s.run_id in failures else status.get(s.run_id, "not run")
                      for s in specs]
    runs["wall_time_s"] = [tables[s.run_id].wall_time_s if s.run_id in tables else math.nan
                           for s in specs]
    runs["task_time_s"] = [task_times.get(s.run_id, math.nan) for s in specs]
    failed = lead[lead["run_id"].isin(list(failures))].copy()
    failed["message"] = [failures[k] for k in failed["run_id"]]
    failed = failed.reset_index(drop=True)

    replace_bytes(folder / "summary.csv", _csv_bytes(summary))
    replace_bytes(folder / "runs.csv", _csv_bytes(runs))
    replace_bytes(folder / "failures.csv", _csv_bytes(failed))
    (folder / "dataset").mkdir(exist_ok=True)
    for name in ("prices", "compliance"):
        frame = _with_lead(lead, {k: getattr(t, name) for k, t in tables.items()})
        replace_bytes(folder / "dataset" / f"{name}.parquet",
                       _parquet_bytes(_arrow_safe(frame, sweep_keys)))
    currency = next((str(s.scenario.get("currency", "")) for s in specs), "")
    offset_prices = {s.run_id: float(((s.scenario.get("compliance") or {}).get("offsets") or {})
                                      .get("price") or 0.0) for s in specs}
    page = batch_report.batch_page(summary, runs, failed, sweep_keys, currency,
                                   meta={**info, "wall_time_s": round(wall_time_s, 3)},
                                   offset_prices=offset_prices)
    replace_bytes(folder / "report.html", page.encode("utf-8"))
    counts = runs["status"].value_counts().to_dict()
    done = {**info, "wall_time_s": round(wall_time_s, 3),
            "finished": int(counts.get("finished", 0)), "resumed": int(counts.get("resumed", 0)),
            "failed": int(counts.get("failed", 0))}
    replace_bytes(folder / "batch.json", (json.dumps(done, indent=2) + "\n").encode("utf-8"))
    return summary, runs, failed
