"""Build the supply and the emitters of scenarios/eu-ets-2008-2018.yaml from the published figures.

The yearly data below carry the keys of the scenario's sources (its header comment: S, U, assumed). From them:
- supply (the file's ``cap``): what each year put into circulation. For 2008-2018 it is backed
  out of the EU's balance, supply_y = verified emissions_y + TNAC_y - TNAC_{y-1}, so that a run
  which emitted what the EU emitted would hold the EU's TNAC exactly; the international credits
  surrendered, the early phase-3 auctions and NER300 sales, and the back-loading (900 M withheld
  from the 2014-16 auctions, never returned) are all inside it. For 2019-2030 it is the cap of
  the 2018 reform (1.74% a year of the phase-3 base to 2020, 2.2% from 2021, EU28) less the
  allowances the EU did not issue in 2013-18 (UNISSUED, ~200 M a year: unallocated free
  allocation and the new entrant reserve) less the MSR intake (24% of the TNAC to 2023).
- BAU: verified emissions plus the abatement the linear MACs give at the real yearly price
  (BAU = E / (1 - share * p / cost_at_max)), so that a run on the real prices would emit the
  real emissions; after 2018 BAU falls BAU_DECLINE a year, the one calibrated number (3.1%: the
  rolling run's 2018 price is then the real 2018 average, 15.9 EUR/t). Split into power (58%,
  assumed) and industry, each sector in COUNT emitters with fixed size weights (no random draws).
- what the emitters expect on their rolling horizons (the file's ``behaviour``):
  ``expected_bau_growth``, each re-solve sees the years after the current one as its BAU grown
  PRE_CRISIS_GROWTH a year (assumed) until the reform is known (REFORM_YEAR), from then on
  falling BAU_DECLINE a year (the path that then comes); ``supply_expected``, the supply before
  REFORM_YEAR: 2008-2018 as above, 2019-2030 the pre-reform cap (1.74% of the phase-3 base a
  year, no 2.2%, no MSR intake) less UNISSUED plus the 900 M back-loaded returned in 2019-20.

``python scenarios/tools/eu_2008_2018.py`` prints the ``cap:`` and ``emitters:`` blocks of the
file and its ``behaviour`` keys ``expected_bau_growth`` and ``supply_expected`` (paste them over
the file's); ``--scale`` multiplies the MAC costs (the file uses 1.0). The
2018 price hardly moves with the scale: a steeper MAC also lowers the BAU backed out of the
verified emissions, and so the scarcity the price has to clear.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

START, END = 2008, 2030
YEARS = END - START + 1
MAC_SCALE = 1.0
COUNT = 12
POWER_SHARE = 0.58
# sector: MAC cost_at_max before scaling (EUR/t), max_share of BAU (assumed)
MAC = {"power": (60.0, 0.35), "industry": (120.0, 0.2)}

# verified emissions, Mt (2008-12 phase-2 scope, U; 2013 [F2], 2014 [F3], 2015 [F4], 2016-18 U)
EMISSIONS = [2100, 1860, 1920, 1890, 1870, 1908, 1812, 1800, 1750, 1755, 1682]
# TNAC at the end of the year, Mt: 2011 [F11] (955 M in early 2012, U), 2012 [F2], 2013 [F2],
# 2014 [F3], 2015 [F4], 2016 [F5], 2017 [F6], 2018 [F7]; 2008-10 from the phase-2 issuance
# (2,045 M a year, U) plus the credits surrendered (82, 81, 137 M, U)
TNAC = [27, 248, 465, 955, 2000, 2100, 2070, 1780, 1690, 1654.574598, 1654.909824]
# real yearly average price, EUR/t: 2009-18 [F1]; 2008 from the same compilation (ICAP), U
PRICE = [16.0, 13.0, 14.3, 13.0, 7.4, 4.5, 6.0, 7.7, 5.4, 5.8, 15.9]
# 2019-2030: reform cap (EU28, Mt; [F14]: 2013 cap 2,084.3 less 38.26 a year; 2.2% = 48.4 a year
# from 2021, U), MSR intake (Mt; 2019 265 + 132 [F6][F7], 2020 265 + 111 [F7][F8],
# 2021-23 from the published TNACs, U; 2024-30: 12% of ~1 Gt, assumed)
REFORM_CAP = [2084.3 - 38.26 * 6, 2084.3 - 38.26 * 7] + [2084.3 - 38.26 * 7 - 48.4 * k for k in range(1, 11)]
MSR_INTAKE = [397, 376, 347, 369, 323] + [120] * 7
UNISSUED = 200.0
# before the reform: the 1.74% factor kept after 2020 ([F16] Art. 9; 38.26 Mt a year, U [F14]),
# the back-loaded 900 M returned as planned, 300 M in 2019 and 600 M in 2020 (U [F12])
PRE_REFORM_CAP = [2084.3 - 38.26 * k for k in range(6, 18)]
BACKLOADING_RETURN = [300, 600] + [0] * 10
AUCTION_SHARE = 0.5  # power buys at auction, industry gets the rest free (assumed)
BAU_DECLINE = 0.031  # calibrated (see above)
PRE_CRISIS_GROWTH = 0.015  # assumed: ETS emissions ~+1% a year and EU GDP ~+2.5% in 2005-07 (U)
REFORM_YEAR = 2018
WEIGHTS = np.array([0.3, 0.45, 0.6, 0.75, 0.9, 1.0, 1.1, 1.25, 1.4, 1.6, 1.8, 2.2])


def supply_mt() -> list[float]:
    """The file's cap, Mt a year, 2008-2030."""
    tnac = [0.0, *TNAC]
    run = [e + tnac[k + 1] - tnac[k] for k, e in enumerate(EMISSIONS)]
    later = [c - UNISSUED - m for c, m in zip(REFORM_CAP, MSR_INTAKE)]
    return run + later


def expected_supply_mt() -> list[float]:
    """The supply the emitters expect before the reform, Mt a year, 2008-2030."""
    later = [c - UNISSUED + r for c, r in zip(PRE_REFORM_CAP, BACKLOADING_RETURN)]
    return supply_mt()[:len(EMISSIONS)] + later


def expected_growth() -> list[float]:
    """The BAU growth each year's re-solves expect, 2008-2030."""
    return [PRE_CRISIS_GROWTH if START + k < REFORM_YEAR else -BAU_DECLINE for k in range(YEARS)]


def expectations() -> dict:
    """The file's ``behaviour`` keys of what the emitters expect."""
    return {"expected_bau_growth": expected_growth(),
            "supply_expected": {"until_year": REFORM_YEAR,
                                "cap": [int(round(s * 1e6)) for s in expected_supply_mt()]}}


def bau_mt(scale: float) -> dict[str, np.ndarray]:
    """Each sector's BAU, Mt a year, 2008-2030."""
    out = {}
    for sector, share in (("power", POWER_SHARE), ("industry", 1.0 - POWER_SHARE)):
        cost, m = MAC[sector]
        e = np.array(EMISSIONS, dtype=float) * share
        b = e / (1.0 - m * np.array(PRICE) / (cost * scale))
        later = b[-1] * (1.0 - BAU_DECLINE) ** np.arange(1, YEARS - len(b) + 1)
        out[sector] = np.concatenate([b, later])
    return out


def emitters(scale: float) -> list[dict]:
    """The emitters, as the scenario format's inline list (output in t of BAU, intensity 1)."""
    rows = []
    w = WEIGHTS / WEIGHTS.sum()
    for sector, bau in bau_mt(scale).items():
        cost, m = MAC[sector]
        free = np.array(cap_t(), dtype=float) * (1.0 - AUCTION_SHARE) if sector == "industry" else None
        for i, wi in enumerate(w):
            row = {"id": f"{sector}-{i:02d}", "sector": sector, "intensity": 1.0,
                   "mac": {"kind": "linear", "cost_at_max": round(cost * scale, 2), "max_share": m},
                   "output": [float(f"{v:.4e}") for v in bau * 1e6 * wi]}
            if free is not None:
                row["free_allocation"] = [int(v) for v in np.floor(free * wi)]
            rows.append(row)
    return rows


def cap_t() -> list[int]:
    return [int(round(s * 1e6)) for s in supply_mt()]


def blocks(scale: float) -> str:
    """The ``cap:`` and ``emitters:`` YAML blocks, then the expectation keys of ``behaviour``."""
    lines = ["cap: [" + ", ".join(str(c) for c in cap_t()) + "]", "emitters:"]
    for e in emitters(scale):
        mac = e["mac"]
        lines.append(f"  - {{id: {e['id']}, sector: {e['sector']}, intensity: 1.0,")
        lines.append(f"     mac: {{kind: linear, cost_at_max: {mac['cost_at_max']}, max_share: {mac['max_share']}}},")
        lines.append("     output: [" + ", ".join(f"{v:.4e}" for v in e["output"]) + "]"
                     + ("," if "free_allocation" in e else "}"))
        if "free_allocation" in e:
            lines.append("     free_allocation: [" + ", ".join(str(v) for v in e["free_allocation"]) + "]}")
    x = expectations()
    told = x["supply_expected"]
    lines += ["  expected_bau_growth: [" + ", ".join(str(v) for v in x["expected_bau_growth"]) + "]",
              "  supply_expected:",
              f"    until_year: {told['until_year']}",
              "    cap: [" + ", ".join(str(v) for v in told["cap"]) + "]"]
    return "\n".join(lines)


def run(scale: float, path: Path, changes: dict | None = None):
    """The Result of the scenario file with the cap and emitters of ``scale``."""
    import carbonsim
    from carbonsim.scenario import load_scenario, load_scenario_dict, scenario_dict

    data = scenario_dict(load_scenario(path))
    data["cap"], data["emitters"] = cap_t(), emitters(scale)
    data["behaviour"] = {**data["behaviour"], **expectations()}
    for section, values in (changes or {}).items():
        data[section] = {**data[section], **values}
    return carbonsim.run(load_scenario_dict(data, file=str(path)))


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=MAC_SCALE)
    args = p.parse_args(argv)
    print(blocks(args.scale))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
