"""Draw the Shanghai 2020 population once: writes scenarios/shanghai-2020-emitters.csv.

The 300 emitters are synthetic (no firm-level data is public): firm sizes are lognormal, the
sector totals of first-year BAU are fixed assumptions (see shanghai-2020.yaml), and each firm's
linear MAC is its sector's curve times a lognormal firm factor. MAC_SCALE is the calibration:
it was set so that the least-cost price of 2020 is 40 CNY/t (see the scenario's comments).
The file is written once and kept, so the calibrated economy does not change with the run seed.

    python scenarios/tools/shanghai_2020_emitters.py          # rewrites the CSV (same bytes)
"""

import csv
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "shanghai-2020-emitters.csv"
SEED = 2020
MAC_SCALE = 0.566  # calibrated: least-cost price 2020 = 40 CNY/t

# sector: count, first-year BAU (Mt, assumed), smallest emitter (t/yr, the inclusion threshold),
#         output median (unit/yr) and lognormal sigma, intensity mean and sd (t/unit),
#         output growth (/yr), MAC cost_at_max before scaling (CNY/t), max_share
SECTORS = {
    "power_heat":     (30, 17.0, 2.0e4, 1.0e6, 0.8, 0.45, 0.05, 0.08, 400, 0.15),
    "steel":          (10, 40.0, 2.0e4, 1.5e6, 1.2, 2.2, 0.2, 0.01, 300, 0.15),
    "petrochemicals": (25, 23.0, 2.0e4, 7.0e5, 1.0, 1.2, 0.2, 0.04, 250, 0.15),
    "other_industry": (140, 16.5, 2.0e4, 7.0e4, 1.0, 1.0, 0.3, 0.06, 200, 0.25),
    "buildings":      (60, 2.0, 1.0e4, 2.0e5, 0.6, 0.14, 0.03, 0.05, 150, 0.30),
    "transport":      (35, 12.7, 1.0e4, 1.2e5, 1.4, 1.0, 0.1, 0.08, 500, 0.10),
}


def rows() -> list[dict]:
    """The emitters as CSV rows (columns = the scenario format's emitter keys)."""
    rng = np.random.default_rng(SEED)
    out_rows = []
    for name, (n, bau_mt, floor_t, med, sig, imean, isd, g, cam, share) in SECTORS.items():
        out = rng.lognormal(np.log(med), sig, n)
        inten = np.maximum(rng.normal(imean, isd, n), 0.2 * imean)
        out *= bau_mt * 1e6 / (out * inten).sum()  # sector total = the assumed BAU
        small = out * inten < floor_t  # below the inclusion threshold: raised to it
        out[small] = floor_t / inten[small]
        big = ~small  # the others scaled back to the sector total
        out[big] *= (bau_mt * 1e6 - (out * inten)[small].sum()) / (out * inten)[big].sum()
        spread = rng.lognormal(0.0, 0.3, n)  # firm-level MAC heterogeneity
        for i in range(n):
            out_rows.append({
                "id": f"{name}-{i:04d}", "sector": name, "output": round(out[i]),
                "intensity": round(inten[i], 4), "growth": g, "growth_sd": 0.0,
                "mac_kind": "linear", "mac_cost_at_max": round(cam * MAC_SCALE * spread[i], 1),
                "mac_max_share": share,
            })
    return out_rows


def write(path: Path = OUT) -> None:
    data = rows()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(data[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(data)


if __name__ == "__main__":
    write()
    print(f"wrote {OUT.name}")
