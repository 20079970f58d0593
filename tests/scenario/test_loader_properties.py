"""Property tests: random valid scenarios load (and allocate); random mutations of the examples
either load or raise ScenarioError, never another exception."""

import copy
import os
import re
from pathlib import Path

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import carbonsim
from carbonsim.economy.allocation import RULES, allocate, cap_path, true_up, whole_tonnes
from carbonsim.errors import RunError
from carbonsim.economy.population import build_population
from carbonsim.scenario import (
    ScenarioError,
    expand_sweep,
    load_scenario_dict,
    load_scenario_text,
    scenario_dict,
    scenario_to_yaml,
)
from carbonsim.scenario.yamlio import ScenarioLoader, dump_yaml

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [p.read_text() for p in sorted((ROOT / "scenarios").rglob("*.yaml"))]
EXAMPLES = int(os.environ.get("CARBONSIM_FUZZ_EXAMPLES", "120"))  # more for a fuzzing campaign
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

pos = st.floats(0.01, 1e6, allow_nan=False)
intensity = st.floats(0.01, 100, allow_nan=False)
nonneg = st.one_of(st.just(0.0), st.floats(1e-3, 1e6))
frac = st.floats(0, 1, allow_nan=False)
open_frac = st.floats(0.01, 1, allow_nan=False)
DATES = ["01-01", "02-28", "03-15", "03-31", "06-30", "09-15", "12-31"]


def per_year(elem, years):
    return st.one_of(elem, st.lists(elem, min_size=years, max_size=years))


@st.composite
def macs(draw):
    kind = draw(st.sampled_from(["slope", "cost", "steps"]))
    if kind == "steps":
        n = draw(st.integers(1, 4))
        shares = draw(st.lists(st.floats(0.01, 1 / n), min_size=n, max_size=n))
        return {"kind": "steps", "steps": [[draw(st.floats(0, 500)), s] for s in shares]}
    key = "slope" if kind == "slope" else "cost_at_max"
    return {"kind": "linear", key: draw(pos), "max_share": draw(open_frac)}


@st.composite
def dists(draw, top=1e6):
    """Output (up to 1e6 a year) or, with top=100, intensity (t per unit): BAU stays within
    the bound of the format (limits.MAX_TONNES for all emitters together)."""
    size = st.floats(0.01, top, allow_nan=False)
    kind = draw(st.sampled_from(["lognormal", "normal", "uniform", "fixed"]))
    if kind == "lognormal":
        return {"dist": kind, "median": draw(size), "sigma": draw(st.floats(0, 2))}
    if kind == "normal":
        return {"dist": kind, "mean": draw(size), "sd": draw(st.floats(0, min(100, top)))}
    if kind == "uniform":
        low = draw(st.floats(0, min(100, top)))
        return {"dist": kind, "low": low, "high": low + draw(size)}
    return {"dist": kind, "value": draw(size)}


@st.composite
def rule_entries(draw):
    name = draw(st.sampled_from(RULES.names()))
    params = dict(RULES.get(name).example)
    if "ex_ante_share" in params:
        params["ex_ante_share"] = draw(frac)
    if "decline" in params:
        params["decline"] = draw(frac)
    if name in ("grandfathering", "historical_intensity"):
        params["base_years"] = draw(st.integers(1, 5))
    if name == "benchmark":
        params["benchmark"] = draw(intensity)  # t per unit, like an intensity
    return {"rule": name, **params}


@st.composite
def scenarios(draw):
    years = draw(st.integers(1, 4))
    sectors = draw(st.lists(st.sampled_from(["power", "steel", "cement"]), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        emitters = []
        for i in range(draw(st.integers(len(sectors), 6))):
            e = {"id": f"e{i}", "sector": sectors[i % len(sectors)], "output": draw(per_year(nonneg, years)),
                 "intensity": draw(per_year(intensity, years)), "mac": draw(macs()),
                 "growth": draw(st.floats(-0.5, 0.5)), "growth_sd": draw(st.floats(0, 0.3)),
                 "intensity_decline": draw(st.floats(0, 0.5)),
                 "free_allocation": draw(per_year(nonneg, years))}
            if draw(st.booleans()):
                e["historical_emissions"] = draw(nonneg)
            emitters.append(e)
    else:
        emitters = {"generate": {s: {"count": draw(st.integers(1, 8)), "output": draw(dists()),
                                     "intensity": draw(dists(100)), "mac": draw(macs()),
                                     "growth": {"mean": draw(st.floats(-0.5, 0.5)), "sd": draw(st.floats(0, 0.3))}}
                                 for s in sectors}}
    cap = draw(st.one_of(st.none(), nonneg, st.lists(nonneg, min_size=years, max_size=years),
                         st.fixed_dictionaries({"start": nonneg, "annual_reduction": frac})))
    verification, deadline = sorted(draw(st.lists(st.sampled_from(DATES[1:]), min_size=2, max_size=2, unique=True)))
    auctions = draw(st.lists(st.sampled_from(DATES), max_size=3, unique=True))
    allocation = {s: draw(rule_entries()) for s in sectors}
    allocation["correction"] = draw(st.sampled_from(["auto", "none"]))
    if cap is not None and auctions:
        allocation["auction_share"] = draw(frac)
    data = {
        "name": draw(st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,20}", fullmatch=True)),
        "start_year": draw(st.integers(1990, 2100)), "years": years, "seed": draw(st.integers(0, 2**32)),
        "calendar": {"sessions": draw(st.one_of(st.integers(1, 365), st.just("business_days"))),
                     "allocation": draw(st.sampled_from(DATES)), "auctions": auctions,
                     "verification": verification, "compliance_deadline": deadline},
        "cap": cap, "emitters": emitters, "allocation": allocation,
        "market": {"mechanism": draw(st.sampled_from(["call_auction", "continuous"])),
                   "daily_limit": draw(st.one_of(st.none(), open_frac))},
        "compliance": {"penalty_per_t": draw(nonneg), "banking": draw(st.booleans()),
                       "offsets": draw(st.one_of(st.none(), st.fixed_dictionaries({"limit": frac, "price": nonneg})))},
        "behaviour": {"expectations": draw(st.sampled_from(["myopic", "hotelling", "perfect_foresight"])),
                      "discount_rate": draw(st.floats(0, 0.99))},
    }
    if draw(st.booleans()):
        floor = draw(st.floats(0, 100))
        data["reserves"] = {"price_floor": floor, "price_ceiling": floor + draw(pos)}
    return data


@SETTINGS
@given(scenarios())
def test_random_valid_scenarios_load_round_trip_and_allocate(data):
    """(Quantities are 0 or at least 1e-3: 1e-300 t of output with a history is a RunError.)"""
    s = load_scenario_dict(data)
    assert load_scenario_text(dump_yaml(data)) == s
    assert load_scenario_text(scenario_to_yaml(s)) == s
    assert load_scenario_dict(scenario_dict(s)) == s
    pop = build_population(s, np.random.default_rng(s.seed))
    caps = cap_path(s)
    for y in range(s.years):
        assert len(s.session_days(y)) >= 1
        a = allocate(s, pop, y)
        assert a.ex_ante_t.dtype == np.int64 and (a.ex_ante_t >= 0).all()
        final = a.ex_ante_t + true_up(s, pop, y, a.ex_ante_t)
        assert (final >= 0).all()
        if np.isfinite(caps[y]) and s.allocation.correction == "auto":
            assert a.free_t + a.auction_t <= whole_tonnes(caps[y])
            assert int(final.sum()) + a.auction_t <= whole_tonnes(caps[y])


# --- mutations -----------------------------------------------------------------------------

BAD_VALUES = ["abc", "", -1, -1e9, 1e308, 10**30, True, None, [], {}, [1, 2], {"a": 1}, "1e5", 0,
              0.5, "02-30", "13-01", [[1, 2]], float("nan"), "business_days", "linear", "fixed",
              # the second round (issue 15): magnitudes, text, control characters, populations
              1e300, 1e-300, 1e15, 1e13 + 1, 10**7, 10.0, 100, "\x1b[2J", "a\x9bb", "x" * 12_000,
              "y" * 150, "\t", "2022-03-31"]
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def bad_value(data):
    return copy.deepcopy(data.draw(st.sampled_from(BAD_VALUES)))  # never share the list objects


def paths(node, prefix=()):
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, prefix + (i,))
    return out


def parent_of(tree, path):
    node = tree
    for part in path[:-1]:
        node = node[part]
    return node


def mutate(tree, data):
    targets = [p for p in paths(tree) if p]
    path = data.draw(st.sampled_from(targets))
    parent, key = parent_of(tree, path), path[-1]
    action = data.draw(st.sampled_from(["delete", "rename", "replace", "insert", "sweep"]))
    if action == "delete":
        del parent[key]
    elif action == "rename" and isinstance(parent, dict):
        parent[str(key) + data.draw(st.sampled_from(["x", "_", "s"]))] = parent.pop(key)
    elif action == "replace":
        parent[key] = bad_value(data)
    elif action == "insert":
        target = parent if isinstance(parent, dict) else tree
        key = data.draw(st.sampled_from(["zzz", "seed", "extends", "sweep", "kind", "rule"]))
        target[key] = bad_value(data)
    else:
        dotted = ".".join(str(p) for p in path)
        tree["sweep"] = {dotted: [bad_value(data), copy.deepcopy(parent[key])]}
    return tree


@SETTINGS
@given(st.sampled_from(TEXTS), st.data())
def test_mutated_examples_load_or_raise_scenario_error(text, data):
    tree = yaml.load(text, Loader=ScenarioLoader)
    for _ in range(data.draw(st.integers(1, 3))):
        tree = mutate(tree, data)
    try:
        s = load_scenario_text(dump_yaml(tree))
        points = expand_sweep(s)
        assert points
    except ScenarioError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        for p in exc.problems:  # printable, and a long bad value only as an excerpt
            assert not CONTROL.search(str(p)) and len(str(p)) <= 3000, repr(str(p)[:200])


@SETTINGS
@given(st.sampled_from(TEXTS), st.data())
def test_text_mutations_load_or_raise_scenario_error(text, data):
    lines = text.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, max(len(lines) - 1, 0)))
        action = data.draw(st.sampled_from(["drop", "dup", "insert", "truncate"]))
        if action == "drop" and lines:
            del lines[i]
        elif action == "dup" and lines:
            lines.insert(i, lines[i])
        elif action == "insert":
            junk = data.draw(st.text(alphabet=" :-[]{}&*!|>'\"#%@`,?\t\nabc019.e", max_size=12))
            pos = data.draw(st.integers(0, len(lines[i]) if lines else 0))
            if lines:
                lines[i] = lines[i][:pos] + junk + lines[i][pos:]
            else:
                lines.append(junk)
        elif lines:
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
    try:
        load_scenario_text("".join(lines))
    except ScenarioError as exc:
        assert exc.problems


# --- valid scenarios with extreme numbers run -----------------------------------------------------
EXTREME = [0.0, 1e-300, 1e-9, 1e-6, 1e6, 1e9, 1e12, 1e13, 1e15]


def with_extremes(tree, data):
    """Some numbers of ``tree`` replaced by extreme ones (whatever validation then says)."""
    numbers = [p for p in paths(tree) if p and isinstance(parent_of(tree, p)[p[-1]], float)]
    for _ in range(data.draw(st.integers(0, 3))):
        if numbers:
            path = data.draw(st.sampled_from(numbers))
            parent_of(tree, path)[path[-1]] = data.draw(st.sampled_from(EXTREME))
    return tree


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(scenarios(), st.data())
def test_valid_scenarios_with_extreme_numbers_run_or_fail_with_a_message(data, draw):
    """Whatever validation lets through runs to the end, or stops with a RunError (an emitter's
    history that implies an absurd allocation): never an overflow or another exception."""
    tree = with_extremes(copy.deepcopy(data), draw)
    tree["calendar"]["sessions"] = 12  # a short run
    try:
        scenario = load_scenario_dict(tree)
    except ScenarioError:
        return
    try:
        result = carbonsim.run(scenario)
    except RunError as exc:
        assert "expected" in str(exc)
        return
    assert len(result.summary) == scenario.years


def test_an_auctioned_share_without_an_auctions_section_runs_with_its_defaults():
    text = (ROOT / "scenarios" / "textbook-two-firms.yaml").read_text()
    text = text.replace('  allocation: "01-01"', '  allocation: "01-01"\n  auctions: ["01-02"]')
    text = text.replace("  industry: {rule: fixed}", "  industry: {rule: fixed}\n  auction_share: 0.2")
    scenario = load_scenario_text(text)
    assert scenario.auctions is not None and scenario.auctions.reserve_price == 0.0
    result = carbonsim.run(scenario)  # the engine used to read the missing section's price
    assert result.auctions["sold_t"].sum() > 0
