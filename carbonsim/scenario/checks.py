"""Checks across sections of a scenario, run on the raw data so that they report together with
the type errors: per-year list lengths, duplicate emitter ids, sectors against allocation
entries, auctioned share against cap and auction dates, sweep keys.

Each check looks only at values of the right type and skips the rest (those get type errors).
"""

from __future__ import annotations

import difflib
import math

from carbonsim.scenario.models import MAX_YEARS
from carbonsim.scenario.translate import resolve_key

__all__ = ["MAX_SWEEP_POINTS", "PER_YEAR_KEYS", "cross_check"]

Path = tuple[object, ...]
MAX_SWEEP_POINTS = 10_000
PER_YEAR_KEYS = ("output", "intensity", "free_allocation")
_ALLOCATION_KEYS = ("auction_share", "correction")


def _int(value: object, low: int, high: int) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return None


def _number(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def cross_check(raw: dict) -> list[tuple[Path, str]]:
    """(path, message) for each cross-section problem of raw scenario data."""
    out: list[tuple[Path, str]] = []
    years = _int(raw.get("years"), 1, MAX_YEARS)
    sectors = _emitter_checks(raw.get("emitters"), years, out)
    cap = raw.get("cap")
    if years is not None and isinstance(cap, list) and len(cap) != years:
        out.append((("cap",), f"expected {years} values (one per year); got {len(cap)}"))
    _allocation_checks(raw, sectors, out)
    _sweep_checks(raw, out)
    compliance = raw.get("compliance")
    if raw.get("offsets") is not None and isinstance(compliance, dict) and compliance.get("offsets") is not None:
        out.append((("offsets",), "expected offsets once, at the top level or under compliance; got both"))
    return out


def _emitter_checks(emitters: object, years: int | None, out: list) -> list[str] | None:
    """Checks of the emitters; returns the sector names (None if they cannot be known)."""
    if isinstance(emitters, dict) and isinstance(emitters.get("generate"), dict):
        return [k for k in emitters["generate"] if isinstance(k, str)]
    if not isinstance(emitters, list):
        return None
    seen: dict[str, int] = {}
    sectors: list[str] = []
    complete = True
    for i, e in enumerate(emitters):
        if not isinstance(e, dict):
            complete = False
            continue
        ident = e.get("id")
        if isinstance(ident, str):
            if ident in seen:
                out.append(((
                    "emitters", i, "id"),
                    f"expected a unique id; got {ident!r} again (also emitters[{seen[ident]}])",
                ))
            else:
                seen[ident] = i
        sector = e.get("sector")
        if isinstance(sector, str) and sector:
            if sector not in sectors:
                sectors.append(sector)
        else:
            complete = False
        for key in PER_YEAR_KEYS:
            value = e.get(key)
            if years is not None and isinstance(value, list) and len(value) != years:
                out.append((
                    ("emitters", i, key),
                    f"expected {years} values (one per year); got {len(value)}",
                ))
    return sectors if complete else None


def _allocation_checks(raw: dict, sectors: list[str] | None, out: list) -> None:
    alloc = raw.get("allocation")
    if not isinstance(alloc, dict):
        return
    entries = [k for k in alloc if k not in _ALLOCATION_KEYS]
    if sectors is not None:
        for key in entries:
            if key not in sectors:
                options = list(_ALLOCATION_KEYS) + sectors
                close = difflib.get_close_matches(str(key), options, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                listed = ", ".join(sectors) or "none"
                out.append((
                    ("allocation", key),
                    (f"expected a sector of the emitters ({listed}), auction_share or correction{hint}; "
                    f"got unknown key {key!r}"),
                ))
        for sector in sectors:
            if sector not in alloc:
                out.append((
                    ("allocation", sector),
                    f"expected an allocation rule for sector {sector!r}; got nothing",
                ))
    share = _number(alloc.get("auction_share"))
    if share is not None and share > 0:
        if raw.get("cap") is None:
            out.append((
                ("allocation", "auction_share"),
                f"expected 0 when there is no absolute cap (cap is null); got {share:g}",
            ))
        calendar = raw.get("calendar")
        dates = calendar.get("auctions") if isinstance(calendar, dict) else None
        if not dates:
            out.append((
                ("allocation", "auction_share"),
                (f"expected auction dates in calendar.auctions to sell the auctioned share; "
                f"got auction_share {share:g} and no dates"),
            ))


def _sweep_checks(raw: dict, out: list) -> None:
    sweep = raw.get("sweep")
    if not isinstance(sweep, dict):
        return
    points = 1
    for key, values in sweep.items():
        if not isinstance(key, str) or not key:
            continue
        if key == "sweep" or key.startswith("sweep."):
            out.append((("sweep", key), f"expected a key other than sweep; got {key!r}"))
            continue
        problem = resolve_key(key, raw)
        if problem:
            out.append((("sweep", key), f"{problem}; got {key!r}"))
        if isinstance(values, list):
            points *= max(len(values), 1)
    if points > MAX_SWEEP_POINTS:
        out.append((("sweep",), f"expected at most {MAX_SWEEP_POINTS} points; got {points}"))
