"""Shared economies of the whole-run tests: the bundled scenarios' folder and the textbook
two-firm economy (BAU 100 t each, MAC slopes 1 and 3)."""

from pathlib import Path

from carbonsim.scenario import load_scenario, load_scenario_dict, scenario_dict

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def two_firms(free_a: int, free_b: int) -> list[dict]:
    return [{"id": "A", "sector": "industry", "output": 100, "intensity": 1.0,
             "mac": {"kind": "linear", "slope": 1.0}, "free_allocation": free_a},
            {"id": "B", "sector": "industry", "output": 100, "intensity": 1.0,
             "mac": {"kind": "linear", "slope": 3.0}, "free_allocation": free_b}]


def textbook(**changes):
    data = scenario_dict(load_scenario(SCENARIOS / "textbook-two-firms.yaml"))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return load_scenario_dict(data)


#: The four-firm economy of the forward-market and real-rules tests: BAU 100,000 t each, linear
#: MACs MAC_i(a) = k_i a / 1000 (k = 1..4), so A(p) = 2083.3 p t abated at a price p.
A_PER_PRICE = 1000 * (1 + 1 / 2 + 1 / 3 + 1 / 4)
QUARTERS = ["01-15", "04-15", "07-15", "10-15"]
MONTHS = [f"{m:02d}-10" for m in range(1, 13)]


def four_firms(dates=QUARTERS, *, years=1, cap=300_000, expectations="perfect_foresight",
               banking=False, emitter_extra=None, **changes):
    """The four-firm economy, fully auctioned on ``dates``; ``changes`` merge into sections,
    ``emitter_extra`` (k -> keys) into emitter Ek."""
    emitters = [{"id": f"E{k}", "sector": "power", "output": 100_000, "intensity": 1.0,
                 "mac": {"kind": "linear", "cost_at_max": 100.0 * k}, **(emitter_extra or {}).get(k, {})}
                for k in (1, 2, 3, 4)]
    data = {
        "name": "four-firms", "currency": "EUR", "start_year": 2030, "years": years, "seed": 3,
        "calendar": {"sessions": 52, "allocation": "01-01", "auctions": list(dates),
                     "verification": "03-31", "compliance_deadline": "04-30"},
        "cap": cap, "emitters": emitters,
        "allocation": {"power": {"rule": "auction"}, "auction_share": 1.0},
        "auctions": {"reserve_price": 0.0, "unsold": "cancel"},
        "market": {"mechanism": "call_auction", "tick": 0.01},
        "compliance": {"penalty_per_t": 500, "make_good": False, "banking": banking},
        "behaviour": {"expectations": expectations, "discount_rate": 0.05},
    }
    for key, value in changes.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return load_scenario_dict(data)
