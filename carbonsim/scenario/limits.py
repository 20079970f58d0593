"""How large a scenario may be: numbers, texts, files and populations a run can count and hold.

The engine counts tonnes and prices in ticks as 64-bit integers (at most 9.2e18), keeps every
emitter's yearly ledgers in memory, and names a folder after the scenario. The bounds here keep
every valid scenario inside those limits, with room to spare (sums over emitters and years, and
random draws above their mean); ``check_text`` and ``check_sizes`` report what goes beyond them.

| bound | value | applies to |
|---|---|---|
| MAX_NUMBER | 1e15 | the size of any number |
| MAX_PRICE | 1e9 currency/t | penalties, reserve prices, floor, ceiling, triggers, fees, offsets |
| MIN_TICK | 1e-6 currency/t | market.tick (MAX_PRICE is then 1e15 ticks) |
| MAX_TONNES | 1e13 t | caps, allocations, volumes, thresholds; all emitters' BAU in any year |
| MAX_YEARS | 500 | years, horizons, control periods |
| MAX_EMITTER_YEARS | 2,097,152 | emitters × years (MAX_RUN_BYTES at BYTES_PER_EMITTER_YEAR) |
| MAX_TEXT | 10,000 characters | any text or key (description included) |
| MAX_NAME, MAX_LABEL | 100, 100 characters | name; ids and sectors |
| MAX_SCENARIO_BYTES, MAX_CSV_BYTES | 8 MiB, 64 MiB | a scenario file; an emitters CSV |
"""

from __future__ import annotations

import math
import re

__all__ = [
    "BYTES_PER_EMITTER_YEAR",
    "MAX_CSV_BYTES",
    "MAX_CURRENCY",
    "MAX_EMITTER_YEARS",
    "MAX_LABEL",
    "MAX_MAC_STEPS",
    "MAX_NAME",
    "MAX_NUMBER",
    "MAX_PRICE",
    "MAX_RUN_BYTES",
    "MAX_SCENARIO_BYTES",
    "MAX_TEXT",
    "MAX_TONNES",
    "MIN_TICK",
    "amount",
    "check_text",
    "control_character",
    "excerpt",
    "human_bytes",
]

MAX_NUMBER = 1e15
MAX_YEARS = 500
MAX_PRICE = 1e9
MIN_TICK = 1e-6
MAX_TONNES = 1e13
MAX_MAC_STEPS = 100
MAX_TEXT = 10_000
MAX_NAME = 100
MAX_LABEL = 100
MAX_CURRENCY = 16
MAX_SCENARIO_BYTES = 8 * 2**20
MAX_CSV_BYTES = 64 * 2**20
#: Memory of a run per emitter and year, measured with every output written (about 4.3 KiB at
#: 100,000 emitters, 2 years, business-day sessions), doubled for room.
BYTES_PER_EMITTER_YEAR = 8 * 2**10
MAX_RUN_BYTES = 16 * 2**30
MAX_EMITTER_YEARS = MAX_RUN_BYTES // BYTES_PER_EMITTER_YEAR

# C0 controls, DEL and C1 controls (a terminal acts on ESC and CSI); tab and newline are text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MULTILINE = {("description",)}  # the one free-text field where new lines and tabs belong


def control_character(text: str, multiline: bool = False) -> int | None:
    """Index of the first control character of ``text`` (tab and newline allowed if multiline)."""
    found = (_CONTROL if multiline else _CONTROL_IN_LINE).search(text)
    return found.start() if found else None


def excerpt(text: str, limit: int = 40) -> str:
    """A short, printable quotation of ``text``: control characters escaped, long text cut."""
    shown = text if len(text) <= limit else text[: limit - 3] + "..."
    return repr(shown) + (f" ({len(text):,} characters)" if len(text) > limit else "")


def amount(x: float) -> str:
    """A quantity in 3 digits as people write it: 140, 2.7e8, 1e13 (no "+" nor leading 0)."""
    if not math.isfinite(x):
        return "more than 1e308"
    return re.sub(r"e\+?(-?)0*(\d)", r"e\1\2", f"{x:.3g}")


def human_bytes(n: float) -> str:
    """``n`` bytes as people read them: 512 B, 8 KiB, 1.5 GiB, 3.2e+12 TiB."""
    if not math.isfinite(n):
        return "more than any computer has"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            digits = 0 if unit == "B" or n >= 100 else 1 if n >= 10 else 2
            text = f"{n:.{digits}f}"
            return (text.rstrip("0").rstrip(".") if "." in text else text) + f" {unit}"
        n /= 1024
    return f"{n:,.0f} TiB" if n < 1e6 else f"{n:.2g} TiB"


def _texts(node: object, path: tuple) -> list[tuple[tuple, str, bool]]:
    """(path, text, is_key) of every string in plain data, keys included."""
    out: list[tuple[tuple, str, bool]] = []
    stack: list[tuple[object, tuple]] = [(node, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    out.append((where + (key,), key, True))
                stack.append((item, where + (key,)))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, where + (i,)) for i, item in enumerate(value))
        elif isinstance(value, str):
            out.append((where, value, False))
    return out


def check_text(data: object, path: tuple = ()) -> list[tuple[tuple, str]]:
    """(path, message) for every text value or key that is too long or holds a control character.

    A key's problem is reported at the path the key names.
    """
    problems: list[tuple[tuple, str]] = []
    for where, text, is_key in _texts(data, path):
        what = "a key" if is_key else "text"
        if len(text) > MAX_TEXT:
            problems.append((where, f"expected {what} of at most {MAX_TEXT:,} characters; "
                                    f"got {len(text):,} (shorten it)"))
            continue
        at = control_character(text, multiline=not is_key and where in _MULTILINE)
        if at is not None:
            code = f"U+{ord(text[at]):04X}"
            problems.append((where, f"expected {what} without control characters; got "
                                    f"{excerpt(text)}, with {code} at position {at + 1} "
                                    "(remove it: a terminal would act on it)"))
    return problems
