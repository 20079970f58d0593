"""Pydantic validation errors -> plain problems (``key.path: expected ...; got ...``).

The model walker follows an error location through the scenario's types: it removes the tags
pydantic inserts for unions (so paths match the YAML keys and their line marks), finds the valid
keys at a level (for "did you mean" hints) and the bounds of a number field.
"""

from __future__ import annotations

import datetime as dt
import difflib
import inspect
import re
import types
import typing
from typing import Any, Literal, Union

import annotated_types as at
from pydantic import BaseModel, Tag
from pydantic.fields import FieldInfo

from carbonsim.scenario.errors import Problem, describe, format_path
from carbonsim.scenario.limits import MAX_NUMBER, MAX_PRICE, MAX_TONNES
from carbonsim.scenario.models import AllocationConfig, Scenario

__all__ = ["lookup_mark", "resolve_key", "translate", "walk"]

Path = tuple[object, ...]
_UNKNOWN = object()


def _unwrap(tp: Any) -> tuple[Any, list]:
    """Strip Annotated layers: (base type, metadata, outermost first)."""
    meta: list = []
    while typing.get_origin(tp) is typing.Annotated:
        meta.extend(tp.__metadata__)
        tp = tp.__origin__
    return tp, meta


def _members(tp: Any) -> list | None:
    """Union members without None (None if ``tp`` is not a union)."""
    if typing.get_origin(tp) in (Union, types.UnionType):
        return [m for m in typing.get_args(tp) if m is not type(None)]
    return None


def _is_model(tp: Any) -> bool:
    return inspect.isclass(tp) and issubclass(tp, BaseModel)


def _field_type(field: FieldInfo) -> Any:
    return typing.Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation


def _member_for_tag(members: list, tag: object) -> Any:
    for m in members:
        base, meta = _unwrap(m)
        if any(isinstance(x, Tag) and x.tag == tag for x in meta):
            return m
        if _is_model(base):
            for f in base.model_fields.values():
                if typing.get_origin(f.annotation) is Literal and tag in typing.get_args(f.annotation):
                    return m
    return _UNKNOWN


def _rule_model(raw: object, path: Path) -> Any:
    from carbonsim.scenario.rules import RULE_PARAMS

    node = raw_at(raw, path)
    name = node.get("rule") if isinstance(node, dict) else None
    return RULE_PARAMS.get(name) if name in RULE_PARAMS else _UNKNOWN


def raw_at(raw: object, path: Path) -> object:
    """The raw value at ``path`` (None when absent)."""
    node = raw
    for part in path:
        if isinstance(node, dict) and part in node or isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def _step(tp: Any, part: object, raw: object, clean: Path, existing: bool = False) -> Any:
    """Type one key (or index) below ``tp``; _UNKNOWN if it cannot be followed.

    With ``existing``, a key of a free-form mapping (sector names) must exist in ``raw``.
    """
    base, _ = _unwrap(tp)
    if _is_model(base):
        if part in base.model_fields:
            return _field_type(base.model_fields[part])
        if base is AllocationConfig:
            return _rule_model(raw, clean + (part,))
        return _UNKNOWN
    origin, args = typing.get_origin(base), typing.get_args(base)
    if origin in (tuple, list) and isinstance(part, int):
        if origin is tuple and args and args[-1] is not Ellipsis:
            return args[part] if 0 <= part < len(args) else _UNKNOWN
        return args[0] if args else _UNKNOWN
    if origin is dict:
        if existing and not isinstance(raw_at(raw, clean), dict) or (
            existing and part not in raw_at(raw, clean)  # type: ignore[operator]
        ):
            return _UNKNOWN
        return args[1] if args else _UNKNOWN
    return _UNKNOWN


def _settle(tp: Any) -> Any:
    """Pass through Optional and single-member unions (no location element for them)."""
    while True:
        base, _ = _unwrap(tp)
        members = _members(base)
        if members is None or len(members) != 1:
            return tp
        tp = members[0]


def walk(loc: Path, raw: object) -> tuple[Path, Any, Any]:
    """Follow a pydantic error location: (clean path, type of the parent, type at the end)."""
    tp: Any = Scenario
    parent: Any = _UNKNOWN
    clean: Path = ()
    for part in loc:
        if tp is _UNKNOWN:
            clean += (part,)
            continue
        tp = _settle(tp)
        members = _members(_unwrap(tp)[0])
        if members is not None:
            chosen = _member_for_tag(members, part)
            if chosen is not _UNKNOWN:
                tp = chosen  # a union tag: not a key of the YAML
                continue
        parent, tp = tp, _step(tp, part, raw, clean)
        clean += (part,)
    return clean, parent, (_settle(tp) if tp is not _UNKNOWN else tp)


def _keys_of(tp: Any) -> list[str]:
    base, _ = _unwrap(_settle(tp)) if tp is not _UNKNOWN else (None, [])
    members = _members(base)
    if members is not None:
        return sorted({k for m in members for k in _keys_of(m)})
    return list(base.model_fields) if _is_model(base) else []


def _bounds(tp: Any) -> dict[str, float]:
    """Numeric bounds (ge, gt, le, lt) found in the metadata of ``tp``."""
    found: dict[str, float] = {}
    if tp is _UNKNOWN:
        return found
    stack = list(_unwrap(tp)[1])
    while stack:
        m = stack.pop()
        if isinstance(m, FieldInfo):
            stack.extend(m.metadata)
        for name, cls in (("ge", at.Ge), ("gt", at.Gt), ("le", at.Le), ("lt", at.Lt)):
            if isinstance(m, cls):  # the last one written wins, as in pydantic (popped first)
                found.setdefault(name, getattr(m, name))
    return found


def _n(value: float) -> str:
    """A bound as written by people: 500, 0.5, 1e13, 1e-6 (whole-number bounds exactly)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:g}".replace("e+", "e").replace("e-0", "e-").replace("e0", "e")


#: Bounds that are carbonsim's limits (limits.py), not the meaning of a key: a value below the
#: lower bound is told the lower bound only; one above the limit is told why it is there.
_LIMITS = {MAX_NUMBER: "no number in a scenario may be larger",
           MAX_PRICE: "carbonsim counts prices in ticks up to this",
           MAX_TONNES: "carbonsim counts tonnes up to this",
           int(MAX_TONNES): "carbonsim counts tonnes up to this",
           2**63 - 1: "the largest 64-bit integer"}
_FRACTION_HINT_UP_TO = 100


def _range_text(b: dict[str, float], integer: bool) -> str:
    kind = "a whole number" if integer else "a number"
    low = ("ge", b["ge"]) if "ge" in b else ("gt", b["gt"]) if "gt" in b else None
    high = ("le", b["le"]) if "le" in b else ("lt", b["lt"]) if "lt" in b else None
    if low and high:
        if integer and low[0] == "ge" and high[0] == "le":
            return f"{kind} from {_n(low[1])} to {_n(high[1])}"
        left = "[" if low[0] == "ge" else "("
        right = "]" if high[0] == "le" else ")"
        return f"{kind} in {left}{_n(low[1])}, {_n(high[1])}{right}"
    if low:
        return f"{kind} {'>=' if low[0] == 'ge' else '>'} {_n(low[1])}"
    if high:
        return f"{kind} {'<=' if high[0] == 'le' else '<'} {_n(high[1])}"
    return kind


_QUOTED = re.compile(r"'([^']*)'")
_SIMPLE = {
    "float_type": "a number", "float_parsing": "a number", "int_type": "a whole number",
    "int_parsing": "a whole number", "int_from_float": "a whole number",
    "bool_type": "true or false", "bool_parsing": "true or false", "string_type": "text",
    "list_type": "a list", "tuple_type": "a list", "dict_type": "a mapping",
    "model_type": "a mapping", "model_attributes_type": "a mapping",
    "finite_number": "a finite number", "string_too_short": "non-empty text",
}


def _choices(text: str) -> list[str]:
    return _QUOTED.findall(text or "")


def _did_you_mean(value: object, choices: list[str]) -> str:
    if not isinstance(value, str) or len(value) > 200:  # no hint for a page of text
        return ""
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _message(err: dict, parent: Any, end: Any) -> tuple[str, Path] | None:
    """(message, extra path) for one pydantic error."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    got = describe(value)
    integer = end is not _UNKNOWN and _unwrap(end)[0] is int
    if kind == "missing":
        return "expected a value (this key is required); got nothing", ()
    if kind == "extra_forbidden":
        key = err["loc"][-1]
        keys = _keys_of(parent)
        hint = _did_you_mean(key, keys)
        expected = f"a known key{hint}" if hint else f"one of the keys {', '.join(keys)}"
        return f"expected {expected}; got unknown key {describe(key)}", ()
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        b = _bounds(end) or {k: v for k, v in ctx.items() if k in ("ge", "gt", "le", "lt")}
        limit = b.get("le")
        if kind.startswith("greater") and limit in _LIMITS:
            b = {k: v for k, v in b.items() if k != "le"}
        why = ""
        if kind.startswith("less") and limit in _LIMITS:
            why = f" ({_LIMITS[limit]})"
        elif kind.startswith("less") and b.get("le", b.get("lt")) == 1 and b.get("ge", b.get("gt")) == 0 and (
                isinstance(value, (int, float)) and 2 <= value <= _FRACTION_HINT_UP_TO):
            share = f"{value / 100:.2f}" if float(value).is_integer() else f"{value / 100:g}"
            why = f" (a fraction: {value:g}% is {share})"
        return f"expected {_range_text(b, integer)}{why}; got {got}", ()
    if kind == "string_too_long":
        n = ctx.get("max_length")
        length = f"{len(value):,} characters" if isinstance(value, str) else got
        return f"expected text of at most {n:,} characters (shorten it); got {length}", ()
    if kind in _SIMPLE:
        expected = _SIMPLE[kind]
        if kind == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
            expected += " (put it in quotes)"
        if kind == "string_type" and isinstance(value, dt.date):  # YAML reads 2022-03-31 as a date
            expected = (f'a date "MM-DD" without the year, in quotes ("{value:%m-%d}"); the year '
                        "follows from the compliance year" if err["loc"][:1] == ("calendar",)
                        else "text (put it in quotes)")
        if kind in ("int_type", "int_parsing", "int_from_float"):
            b = _bounds(end)
            expected = _range_text(b, True) if b else expected
        return f"expected {expected}; got {got}", ()
    if kind == "literal_error":
        options = _choices(str(ctx.get("expected", "")))
        return f"expected one of {', '.join(options)}{_did_you_mean(value, options)}; got {got}", ()
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = _choices(str(ctx.get("discriminator", "")))
        key_name = key[0] if key else "kind"
        options = _choices(str(ctx.get("expected_tags", "")))
        if not options and end is not _UNKNOWN:
            options = [str(t) for m in (_members(_unwrap(end)[0]) or []) for t in _literal_tags(m, key_name)]
        if kind == "union_tag_not_found":
            if not isinstance(value, dict):
                return f"expected a mapping with a {key_name!r} key; got {got}", ()
            return f"expected one of {', '.join(options)}; got nothing", (key_name,)
        tag = ctx.get("tag")
        return (f"expected one of {', '.join(options)}{_did_you_mean(tag, options)}; "
                f"got {describe(tag)}"), (key_name,)
    if kind in ("too_short", "too_long"):
        if kind == "too_short" and isinstance(value, (list, tuple)) and len(value) >= ctx.get("min_length", 0):
            return None  # pydantic counts only valid items; those items have their own errors
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        word = "at least" if kind == "too_short" else "at most"
        return f"expected {word} {n} item{'s' if n != 1 else ''}; got {got}", ()
    if kind in ("value_error", "assertion_error"):
        text = str(ctx.get("error", err.get("msg", "")))
        return (text if "; got " in text else f"{text}; got {got}"), ()
    text = str(err.get("msg", "invalid value"))
    if text.startswith("Input should be "):
        text = "expected " + text[len("Input should be "):]
    elif not text.startswith("expected"):
        text = f"expected a valid value ({text})"
    return f"{text}; got {got}", ()


def _literal_tags(member: Any, key: str) -> list:
    base, _ = _unwrap(member)
    if _is_model(base) and key in base.model_fields:
        return list(typing.get_args(base.model_fields[key].annotation))
    return []


def lookup_mark(marks: dict, path: Path, default_file: str) -> tuple[str, int | None]:
    """(file, line) of ``path`` or of its nearest marked ancestor."""
    for i in range(len(path), -1, -1):
        mark = marks.get(tuple(path[:i]))
        if mark is not None:
            return mark
    return default_file, None


def translate(errors: list[dict], raw: object, marks: dict, file: str) -> list[Problem]:
    """Plain problems for pydantic ``errors`` of validating ``raw`` (marks give lines)."""
    out = []
    for err in errors:
        clean, parent, end = walk(tuple(err["loc"]), raw)
        found = _message(err, parent, end)
        if found is None:
            continue
        message, extra = found
        path = clean + extra
        where, line = lookup_mark(marks, path, file)
        out.append(Problem(where, line, format_path(path), message))
    return out


def resolve_key(dotted: str, raw: object) -> str | None:
    """None if ``dotted`` names a scenario key, else a message (with the closest valid key)."""
    parts = dotted.split(".")
    candidates: list[tuple[Any, Path]] = [(Scenario, ())]
    for i, part in enumerate(parts):
        nxt = []
        for tp, path in candidates:
            settled = _settle(tp)
            for option in _members(_unwrap(settled)[0]) or [settled]:
                t = _step(option, part, raw, path, existing=True)
                if t is not _UNKNOWN:
                    nxt.append((t, path + (part,)))
        if not nxt:
            keys = sorted({k for tp, _ in candidates for k in _keys_of(tp)})
            prefix = ".".join(parts[:i])
            close = difflib.get_close_matches(part, keys, n=1, cutoff=0.6)
            if close:
                return f"expected a scenario key (did you mean {'.'.join(filter(None, [prefix, close[0]]))!r}?)"
            where = f" under {prefix}" if prefix else ""
            return f"expected a scenario key; {part!r} is not a key{where}"
        candidates = nxt
    return None
