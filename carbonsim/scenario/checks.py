"""Checks across sections of a scenario, run on the raw data so that they report together with
the type errors: per-year list lengths, duplicate emitter ids, sectors against allocation
entries, auctioned share against cap and auction dates, sweep keys, the expected supply's
length and announcement year.

Each check looks only at values of the right type and skips the rest (those get type errors).
"""

from __future__ import annotations

import difflib
import math
from typing import NamedTuple

import numpy as np

from carbonsim.scenario.errors import describe, format_path
from carbonsim.scenario.limits import (
    BYTES_PER_EMITTER_YEAR,
    MAX_EMITTER_YEARS,
    MAX_PRICE,
    MAX_RUN_BYTES,
    MAX_TONNES,
    amount,
    human_bytes,
)
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
    if years is not None:
        _size_checks(raw, years, out)
        _growth_checks(raw, years, out)
    cap = raw.get("cap")
    if years is not None and isinstance(cap, list) and len(cap) != years:
        out.append((("cap",), f"expected {years} values (one per year); got {len(cap)}"))
    _expected_supply_checks(raw, years, out)
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


def _expected_supply_checks(raw: dict, years: int | None, out: list) -> None:
    """behaviour.expected_bau_growth and supply_expected: one value a year, announced within
    the run."""
    behaviour = raw.get("behaviour")
    if not isinstance(behaviour, dict) or years is None:
        return
    growth = behaviour.get("expected_bau_growth")
    if isinstance(growth, list) and len(growth) != years:
        out.append((("behaviour", "expected_bau_growth"),
                    f"expected {years} values (one per year); got {len(growth)}"))
    told = behaviour.get("supply_expected")
    if not isinstance(told, dict):
        return
    where = ("behaviour", "supply_expected")
    cap = told.get("cap")
    if isinstance(cap, list) and len(cap) != years:
        out.append(((*where, "cap"), f"expected {years} values (one per year); got {len(cap)}"))
    start, year = _int(raw.get("start_year"), 1900, 2200), told.get("until_year")
    if start is not None and isinstance(year, int) and not isinstance(year, bool) \
            and not start < year < start + years:
        out.append(((*where, "until_year"),
                     f"expected a year after the first and within the run ({start + 1}-"
                     f"{start + years - 1}: the supply is announced in it); got {year}"))


def _allocation_checks(raw: dict, sectors: list[str] | None, out: list) -> None:
    alloc = raw.get("allocation")
    if not isinstance(alloc, dict):
        return
    entries = [k for k in alloc if k not in _ALLOCATION_KEYS]
    if sectors is not None:
        # A sector of the emitters close to a rule's sector is a typo in the emitters (a CSV
        # row, an inline emitter or a generated sector): say so there, once.
        typos = {}
        for sector in sectors:
            if sector not in alloc:
                unused = [k for k in entries if isinstance(k, str)]
                close = difflib.get_close_matches(sector, unused, n=1, cutoff=0.6)
                if close:
                    typos[sector] = close[0]
        explained = {close for sector, close in typos.items() if close not in sectors}
        for sector, close in typos.items():
            listed = ", ".join(str(k) for k in entries)
            out.append((_first_use(raw.get("emitters"), sector), (
                f"expected a sector with an allocation rule ({listed}) (did you mean {close!r}?); "
                f"got {describe(sector)}")))
        for key in entries:
            if key not in sectors and key not in explained:
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
            if sector not in alloc and sector not in typos:
                first = _first_use(raw.get("emitters"), sector)
                used = format_path(first[:-1] if first[-1] == "sector" else first)
                out.append((
                    ("allocation", sector),
                    f"expected an allocation rule for sector {describe(sector)} (the sector of "
                    f"{used}); got nothing",
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


def _first_use(emitters: object, sector: str) -> Path:
    """Path of the first emitter (or generated sector) of ``sector``."""
    if isinstance(emitters, dict):
        return ("emitters", "generate", sector)
    for i, e in enumerate(emitters if isinstance(emitters, list) else []):
        if isinstance(e, dict) and e.get("sector") == sector:
            return ("emitters", i, "sector")
    return ("emitters",)


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


# --- sizes: memory of the run, tonnes and prices that fit the engine's 64-bit counts ----------
HISTORY_YEARS = 5  # population.HIST_YEARS: years before the start, deflated from the first


def run_memory(emitters: int, years: int) -> float:
    """Estimated memory of a run (bytes) of ``emitters`` over ``years``, results included."""
    return float(emitters) * years * BYTES_PER_EMITTER_YEAR


def _size_checks(raw: dict, years: int, out: list) -> None:
    """The population fits in memory, and its emissions and allocations in the engine's counts."""
    rows = _emitter_rows(raw.get("emitters"), years)
    if not rows:
        return
    n = sum(r.count for r in rows)
    if n * years > MAX_EMITTER_YEARS:
        where = max(rows, key=lambda r: r.count).path
        path = where + ("count",) if where[:2] == ("emitters", "generate") else ("emitters",)
        out.append((path, (
            f"expected at most {MAX_EMITTER_YEARS:,} emitters × years in all (a run needs about "
            f"{human_bytes(BYTES_PER_EMITTER_YEAR)} of memory for each, and carbonsim allows "
            f"{human_bytes(MAX_RUN_BYTES)}); got {n:,} emitters × {years} years = "
            f"{n * years:,}, about {human_bytes(run_memory(n, years))} "
            "(use fewer emitters, or fewer years)")))
    total = sum(r.bau for r in rows)
    if not total <= MAX_TONNES:
        top = max(rows, key=lambda r: r.bau)
        out.append((top.path + ("output",), (
            f"expected BAU emissions (output × intensity) of at most {amount(MAX_TONNES)} t a "
            "year for all emitters together, in any year of the run or of the 5 years before it "
            f"(carbonsim counts tonnes up to this); got about {amount(total)} t a year"
            + ("" if top.bau >= 0.99 * total else f", {amount(top.bau)} t of them here"))))
    free = sum(r.free for r in rows)
    if not free <= MAX_TONNES:
        out.append((max(rows, key=lambda r: r.free).path + ("free_allocation",), (
            f"expected free allocation of at most {amount(MAX_TONNES)} t a year for all emitters "
            f"together (carbonsim counts tonnes up to this); got {amount(free)} t")))
    alloc = raw.get("allocation")
    for sector, entry in (alloc.items() if isinstance(alloc, dict) else ()):
        if not (isinstance(entry, dict) and entry.get("rule") == "benchmark"):
            continue
        benchmark, factor = _number(entry.get("benchmark")), _number(entry.get("correction", 1.0))
        output = sum(r.output for r in rows if r.sector == sector)
        if benchmark is None or factor is None or output <= 0:
            continue
        given = benchmark * factor * output
        if not given <= MAX_TONNES:
            out.append((("allocation", sector, "benchmark"), (
                f"expected a benchmark × correction that gives at most {amount(MAX_TONNES)} t "
                f"a year on the sector's output (carbonsim counts tonnes up to this); got "
                f"{amount(benchmark)} × {amount(factor)} t a unit on about {amount(output)} units, "
                f"{amount(given)} t")))


class _Row(NamedTuple):
    path: Path  # of the emitter, or of the generated sector
    count: int
    bau: float  # highest yearly BAU emissions of the mean path, t (all its emitters)
    free: float  # highest yearly free allocation given (fixed rule), t
    output: float  # highest yearly output of the mean path, units (all its emitters)
    sector: object


def _emitter_rows(emitters: object, years: int) -> list[_Row]:
    """One _Row per emitter, or per generated sector; only well-typed values count (the others
    get type errors). The mean path of output and intensity runs from the first historical
    year (deflated from the first year, as population.py does) to the run's last year."""
    if isinstance(emitters, dict) and isinstance(emitters.get("generate"), dict):
        rows = []
        for name, sec in emitters["generate"].items():
            count = _int(sec.get("count"), 1, 10**12) if isinstance(sec, dict) else None
            if count is None:
                continue
            growth = sec.get("growth") if isinstance(sec.get("growth"), dict) else {}
            out, inten = _mean(sec.get("output")), _mean(sec.get("intensity"))
            g, sd = _number(growth.get("mean", 0.0)), _number(growth.get("sd", 0.0))
            d = _number(sec.get("intensity_decline", 0.0))
            bau = output = 0.0
            if None not in (out, inten, g, sd, d):
                output, intensity = _paths(years, out, inten, g, sd, d)
                bau = output * intensity
            rows.append(_Row(("emitters", "generate", name), count, count * bau, 0.0,
                             count * output, name))
        return rows
    rows = []
    for i, e in enumerate(emitters if isinstance(emitters, list) else []):
        if not isinstance(e, dict):
            rows.append(_Row(("emitters", i), 1, 0.0, 0.0, 0.0, None))
            continue
        out, inten = _first(e.get("output")), _first(e.get("intensity"))
        g, sd = _number(e.get("growth", 0.0)), _number(e.get("growth_sd", 0.0))
        d = _number(e.get("intensity_decline", 0.0))
        hist = _number(e.get("historical_emissions")) if e.get("historical_emissions") is not None else None
        bau = output = 0.0
        if None not in (out, inten, g, sd, d) and None not in (_top(e.get("output")), _top(e.get("intensity"))):
            output, intensity = _paths(years, out, inten, g, sd, d,
                                       out_list=_top(e.get("output")) if isinstance(e.get("output"), list) else None,
                                       int_list=_top(e.get("intensity")) if isinstance(e.get("intensity"), list) else None)
            bau = max(output * intensity, hist or 0.0)
        free = _top(e.get("free_allocation", 0.0)) or 0.0
        rows.append(_Row(("emitters", i), 1, bau, free, output, e.get("sector")))
    return rows


def _paths(years: int, out: float, inten: float, g: float, sd: float, d: float, *,
           out_list: float | None = None, int_list: float | None = None) -> tuple[float, float]:
    """(highest output, highest intensity) of an emitter's mean path, history included.

    Output grows by at most 1 + g + 0.4 sd a year on average (E[max(q (1 + g + sd ε), 0)]
    <= q (1 + g + 0.4 sd)) and is deflated by 1 + g into the past; intensity falls by
    1 - d a year. A per-year list is its own path (its first value starts the history).
    """
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        up, down = 1.0 + g + 0.4 * sd, 1.0 + g
        past = float(np.power(down, -HISTORY_YEARS)) if down < 1 else 1.0
        future = float(np.power(up, years - 1)) if up > 1 else 1.0
        output = max(out * past, out_list if out_list is not None else out * future)
        intensity = max(inten * (float(np.power(1.0 - d, -HISTORY_YEARS)) if d > 0 else 1.0),
                        int_list if int_list is not None else inten)
    output = output if not math.isnan(output) else math.inf
    intensity = intensity if not math.isnan(intensity) else math.inf
    return output, intensity


def _top(value: object) -> float | None:
    if isinstance(value, list):
        items = [_number(v) for v in value]
        return max(items) if items and None not in items else None
    return _number(value)


def _first(value: object) -> float | None:
    if isinstance(value, list):
        return _number(value[0]) if value else None
    return _number(value)


def _mean(dist: object) -> float | None:
    """Mean (or an upper bound of it) of a generated distribution, None if not well-typed."""
    if not isinstance(dist, dict):
        return None
    kind = dist.get("dist")
    with np.errstate(over="ignore", invalid="ignore"):
        if kind == "lognormal":
            median, sigma = _number(dist.get("median")), _number(dist.get("sigma"))
            return None if None in (median, sigma) else median * float(np.exp(np.square(sigma) / 2))
        if kind == "normal":  # draws below 1% of the mean are raised to it: at most + 0.4 sd
            mean, sd = _number(dist.get("mean")), _number(dist.get("sd"))
            return None if None in (mean, sd) else mean + 0.4 * sd
        if kind == "uniform":
            low, high = _number(dist.get("low")), _number(dist.get("high"))
            return None if None in (low, high) else (low + high) / 2
        if kind == "fixed":
            return _number(dist.get("value"))
    return None


def _growth_checks(raw: dict, years: int, out: list) -> None:
    """A reserve price growing every year stays a price carbonsim counts in ticks."""
    auctions = raw.get("auctions")
    if not isinstance(auctions, dict):
        return
    price = _number(auctions.get("reserve_price", 0.0))
    growth = _number(auctions.get("reserve_price_growth", 0.0))
    if price is None or growth is None or price <= 0 or growth <= 0:
        return
    with np.errstate(over="ignore"):
        last = price * float(np.power(1.0 + growth, years - 1))
    if not last <= MAX_PRICE:
        out.append((("auctions", "reserve_price_growth"), (
            f"expected a growth that keeps the reserve price at most {amount(MAX_PRICE)} in the last "
            f"year (carbonsim counts prices in ticks up to this); got {growth:g}, which makes it "
            f"{amount(last)} after {years - 1} years")))
