"""Emitters as a struct of numpy arrays, built from a scenario's emitters (inline, CSV, generated).

N emitters, Y simulated years, H = HIST_YEARS historical years before ``start_year`` (column
H-1 is the year just before), K = most MAC steps of any emitter. The field table ``FIELDS``
(name, dtype, shape, unit, description) is the contract: ``Population`` checks its arrays
against it, and the docs print it.

Growth: output_y = output_{y-1} * (1 + growth + growth_sd * eps[sector, y]), eps ~ N(0, 1) drawn
once per sector and year (a sector shock shared by the sector's emitters), floored at 0. The
forecast made before year y is expected_output_y = output_{y-1} * (1 + growth). A per-year list of
output (or intensity) is used as given, for realised and expected values alike.
History: deflated from the first year by the mean growth (and the intensity decline), no shocks;
``historical_emissions`` sets every historical year's emissions of that emitter.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np

from carbonsim.economy.mac import MacCurves
from carbonsim.errors import RunError
from carbonsim.scenario.limits import MAX_TONNES
from carbonsim.scenario.emitters import EmittersGenerate, EmitterSpec, MacLinear
from carbonsim.scenario.models import Scenario
from carbonsim.scenario.rules import HIST_YEARS

__all__ = ["FIELDS", "HIST_YEARS", "FieldSpec", "Population", "build_population", "fields_table"]



class FieldSpec(NamedTuple):
    """One array of the population: name, numpy dtype, shape, unit, description."""

    name: str
    dtype: str
    shape: str
    unit: str
    description: str


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id", "object", "(N,)", "", "Emitter id (str); generated: SECTOR-0000, ..."),
    FieldSpec("sector", "object", "(N,)", "", "Sector name (str)."),
    FieldSpec("sector_index", "int64", "(N,)", "", "Position of the sector in sector_names."),
    FieldSpec("output", "float64", "(N, Y)", "unit/yr", "Realised output."),
    FieldSpec("expected_output", "float64", "(N, Y)", "unit/yr",
              "Output forecast before the year: last year's output * (1 + growth)."),
    FieldSpec("intensity", "float64", "(N, Y)", "t/unit", "Emission intensity."),
    FieldSpec("bau_t", "float64", "(N, Y)", "t/yr", "Business-as-usual emissions = output * intensity."),
    FieldSpec("growth", "float64", "(N,)", "fraction/yr", "Mean annual output growth."),
    FieldSpec("growth_sd", "float64", "(N,)", "fraction/yr", "Size of the sector growth shock."),
    FieldSpec("intensity_decline", "float64", "(N,)", "fraction/yr", "Autonomous intensity decline."),
    FieldSpec("hist_output", "float64", "(N, H)", "unit/yr", "Output of the H years before start."),
    FieldSpec("hist_emissions_t", "float64", "(N, H)", "t/yr", "Emissions of the H years before start."),
    FieldSpec("free_allocation_t", "float64", "(N, Y)", "t/yr", "Given free allocation (`fixed` rule)."),
    FieldSpec("opening_bank_t", "float64", "(N,)", "t",
              "Allowances held before start_year: the emitter's own, or its pro-rata share."),
    FieldSpec("mac_kind", "object", "(N,)", "", "MAC curve type: 'linear' or 'steps'."),
    FieldSpec("mac_slope", "float64", "(N,)", "currency/t per t", "Linear MAC slope (NaN if not given)."),
    FieldSpec("mac_cost_at_max", "float64", "(N,)", "currency/t",
              "Linear MAC at max_share of BAU (NaN if not given)."),
    FieldSpec("mac_max_share", "float64", "(N,)", "fraction", "Linear MAC: most of BAU abatable (1 for steps)."),
    FieldSpec("mac_step_cost", "float64", "(N, K)", "currency/t", "Step MAC costs, padded with inf."),
    FieldSpec("mac_step_share", "float64", "(N, K)", "fraction", "Step MAC shares of BAU, padded with 0."),
)


@dataclass(frozen=True, eq=False)
class Population:
    """N emitters over Y years as read-only arrays (see FIELDS); built by build_population."""

    id: np.ndarray
    sector: np.ndarray
    sector_index: np.ndarray
    output: np.ndarray
    expected_output: np.ndarray
    intensity: np.ndarray
    bau_t: np.ndarray
    growth: np.ndarray
    growth_sd: np.ndarray
    intensity_decline: np.ndarray
    hist_output: np.ndarray
    hist_emissions_t: np.ndarray
    free_allocation_t: np.ndarray
    opening_bank_t: np.ndarray
    mac_kind: np.ndarray
    mac_slope: np.ndarray
    mac_cost_at_max: np.ndarray
    mac_max_share: np.ndarray
    mac_step_cost: np.ndarray
    mac_step_share: np.ndarray
    sector_names: tuple[str, ...]
    start_year: int

    def __post_init__(self) -> None:
        n, y = self.output.shape
        k = self.mac_step_cost.shape[1]
        sizes = {"N": n, "Y": y, "H": HIST_YEARS, "K": k}
        for spec in FIELDS:
            arr = getattr(self, spec.name)
            want = tuple(sizes[s.strip()] for s in spec.shape.strip("(),").split(",") if s.strip())
            if arr.dtype != np.dtype(spec.dtype) or arr.shape != want:
                raise ValueError(
                    f"Population.{spec.name}: expected {spec.dtype} {want}; "
                    f"got {arr.dtype} {arr.shape}"
                )
            arr.flags.writeable = False

    @property
    def n(self) -> int:
        """Number of emitters N."""
        return int(self.output.shape[0])

    @property
    def years(self) -> int:
        """Number of simulated years Y."""
        return int(self.output.shape[1])

    def sector_mask(self, name: str) -> np.ndarray:
        """Boolean (N,) mask of the emitters of sector ``name``. Raises KeyError if unknown."""
        if name not in self.sector_names:
            raise KeyError(f"unknown sector {name!r}; sectors: {', '.join(self.sector_names)}")
        return self.sector_index == self.sector_names.index(name)

    def mac_curves(self, y: int) -> MacCurves:
        """MAC curves in tonnes for year index ``y``'s BAU emissions (see carbonsim.economy.mac)."""
        bau = self.bau_t[:, y]
        n, k = self.mac_step_cost.shape
        s = max(1, k)
        lo = np.full((n, s), np.inf)
        hi = np.full((n, s), np.inf)
        width = np.zeros((n, s))
        lin = self.mac_kind == "linear"
        share = self.mac_max_share
        cam = np.where(np.isnan(self.mac_cost_at_max), self.mac_slope * share * bau, self.mac_cost_at_max)
        lo[lin, 0] = 0.0
        hi[lin, 0] = cam[lin]
        width[lin, 0] = share[lin] * bau[lin]
        if k:
            steps = ~lin
            order = np.argsort(self.mac_step_cost[steps], axis=1, kind="stable")
            cost = np.take_along_axis(self.mac_step_cost[steps], order, axis=1)
            part = np.take_along_axis(self.mac_step_share[steps], order, axis=1)
            lo[steps, :k] = cost
            hi[steps, :k] = cost
            width[steps, :k] = part * bau[steps, None]
        return MacCurves(lo, hi, width)

    def arrays(self) -> dict[str, np.ndarray]:
        """The FIELDS arrays by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in _FIELD_NAMES}


_FIELD_NAMES = frozenset(f.name for f in FIELDS)


def fields_table() -> str:
    """The field table as Markdown (name, dtype, shape, unit, description)."""
    rows = ["| name | dtype | shape | unit | description |", "|---|---|---|---|---|"]
    rows += [f"| `{f.name}` | {f.dtype} | {f.shape} | {f.unit} | {f.description} |" for f in FIELDS]
    return "\n".join(rows)


class _Draft(NamedTuple):
    """Per-emitter inputs before the yearly arrays are made."""

    id: np.ndarray
    sector: np.ndarray
    output: np.ndarray  # (N, Y): column 0, or every column where given per year
    output_listed: np.ndarray
    intensity: np.ndarray
    intensity_listed: np.ndarray
    growth: np.ndarray
    growth_sd: np.ndarray
    decline: np.ndarray
    free_allocation: np.ndarray
    historical: np.ndarray
    opening_bank: np.ndarray  # (N,) t, NaN where the emitter gives none
    mac_kind: np.ndarray
    mac_slope: np.ndarray
    mac_cost_at_max: np.ndarray
    mac_max_share: np.ndarray
    step_cost: np.ndarray
    step_share: np.ndarray


def build_population(scenario: Scenario, rng: np.random.Generator) -> Population:
    """The scenario's emitters as arrays; random draws come only from ``rng``.

    Generated sectors are drawn first (in the order written: output, then intensity), then
    one growth shock per sector and year. Raises TypeError if emitters were not resolved by
    load_scenario (a ``{file: ...}`` left in the model).
    """
    years = scenario.years
    if isinstance(scenario.emitters, EmittersGenerate):
        draft = _generated(scenario.emitters, years, rng)
    elif isinstance(scenario.emitters, tuple):
        draft = _inline(scenario.emitters, years)
    else:
        raise TypeError("emitters must be an inline list or generate (load with load_scenario)")
    names = tuple(dict.fromkeys(draft.sector.tolist()))  # order of first appearance
    unique, inverse = np.unique(draft.sector, return_inverse=True)
    sector_index = np.array([names.index(u) for u in unique], dtype=np.int64)[inverse]

    n = draft.id.shape[0]
    eps = rng.standard_normal((len(names), years - 1))[sector_index]  # (N, Y-1)
    g, sd = draft.growth, draft.growth_sd
    output = np.empty((n, years))
    expected = np.empty((n, years))
    output[:, 0] = expected[:, 0] = draft.output[:, 0]
    for y in range(1, years):
        expected[:, y] = output[:, y - 1] * (1.0 + g)
        output[:, y] = np.maximum(output[:, y - 1] * (1.0 + g + sd * eps[:, y - 1]), 0.0)
    listed = draft.output_listed
    output[listed] = expected[listed] = draft.output[listed]

    steps = np.arange(years)
    intensity = draft.intensity[:, :1] * (1.0 - draft.decline)[:, None] ** steps
    intensity[draft.intensity_listed] = draft.intensity[draft.intensity_listed]

    back = HIST_YEARS - np.arange(HIST_YEARS)  # years before start: H, ..., 1
    hist_output = draft.output[:, :1] / (1.0 + g)[:, None] ** back
    hist_intensity = draft.intensity[:, :1] / (1.0 - draft.decline)[:, None] ** back
    hist_emissions = hist_output * hist_intensity
    given = ~np.isnan(draft.historical)
    hist_emissions[given] = draft.historical[given, None]
    _check_counts(output * intensity, hist_emissions, scenario.start_year)

    return Population(
        id=draft.id, sector=draft.sector, sector_index=sector_index,
        output=output, expected_output=expected, intensity=intensity, bau_t=output * intensity,
        growth=g, growth_sd=sd, intensity_decline=draft.decline,
        hist_output=hist_output, hist_emissions_t=hist_emissions,
        free_allocation_t=draft.free_allocation,
        opening_bank_t=_opening_bank(draft.opening_bank, scenario.opening_bank_t, hist_emissions[:, -1]),
        mac_kind=draft.mac_kind, mac_slope=draft.mac_slope, mac_cost_at_max=draft.mac_cost_at_max,
        mac_max_share=draft.mac_max_share, mac_step_cost=draft.step_cost,
        mac_step_share=draft.step_share, sector_names=names, start_year=scenario.start_year,
    )


def _opening_bank(own: np.ndarray, total_t: float, last_hist_t: np.ndarray) -> np.ndarray:
    """Each emitter's opening bank (t, whole tonnes): its own where given; the rest of
    ``total_t`` (the scenario's opening_bank_t) shared pro rata to last year's emissions among
    the others, largest remainder (so the shares add up to the tonne)."""
    given = ~np.isnan(own)
    bank = np.where(given, own, 0.0)
    rest = max(float(total_t) - float(bank.sum()), 0.0)
    weight = np.where(given, 0.0, np.maximum(last_hist_t, 0.0))
    if rest > 0 and weight.sum() > 0:
        share = rest * weight / weight.sum()
        whole = np.floor(share)
        left = int(round(rest - whole.sum()))
        whole[np.argsort(-(share - whole), kind="stable")[:left]] += 1
        bank = bank + whole
    return np.floor(bank + 1e-9)


#: Most BAU emissions (t a year, all emitters) a run can count: validation bounds the mean path
#: at MAX_TONNES; random draws far above it (output shocks, wide distributions) stop here.
MAX_DRAWN_T = 1000 * MAX_TONNES


def _check_counts(bau_t: np.ndarray, hist_t: np.ndarray, start_year: int) -> None:
    """Raise RunError if the drawn BAU emissions are beyond what the engine counts."""
    with np.errstate(over="ignore", invalid="ignore"):
        totals = np.concatenate([hist_t.sum(axis=0), bau_t.sum(axis=0)])
    bad = ~(totals <= MAX_DRAWN_T)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        year = start_year - hist_t.shape[1] + k
        raise RunError(
            f"the drawn emitters' BAU emissions reach {totals[k]:.3g} t in {year}, more than the "
            f"{MAX_DRAWN_T:.0e} t carbonsim counts: the output shocks (growth_sd) or the spread "
            "of the drawn output and intensity (sigma, sd) are too large for this run")


def _per_year(values: list, years: int) -> tuple[np.ndarray, np.ndarray]:
    """Scalars or per-year tuples -> ((N, Y) float64 with scalars in every column, listed mask)."""
    listed = np.array([isinstance(v, tuple) for v in values], dtype=bool)
    out = np.empty((len(values), years))
    scalars = np.array([0.0 if isinstance(v, tuple) else v for v in values], dtype=np.float64)
    out[:] = scalars[:, None]
    if listed.any():
        out[listed] = np.array([v for v in values if isinstance(v, tuple)], dtype=np.float64)
    return out, listed


def _mac_arrays(macs: list) -> tuple[np.ndarray, ...]:
    """MAC specs -> kind, slope, cost_at_max, max_share, step cost (N, K), step share (N, K)."""
    n = len(macs)
    kind = np.array([m.kind for m in macs], dtype=object)
    nan = float("nan")
    slope = np.array([m.slope if isinstance(m, MacLinear) and m.slope else nan for m in macs])
    cam = np.array([m.cost_at_max if isinstance(m, MacLinear) and m.cost_at_max else nan for m in macs])
    share = np.array([m.max_share if isinstance(m, MacLinear) else 1.0 for m in macs])
    k = max([len(m.steps) for m in macs if not isinstance(m, MacLinear)], default=0)
    cost = np.full((n, k), np.inf)
    part = np.zeros((n, k))
    for i, m in enumerate(macs):
        if not isinstance(m, MacLinear):
            cost[i, : len(m.steps)] = [c for c, _ in m.steps]
            part[i, : len(m.steps)] = [s for _, s in m.steps]
    return kind, slope.astype(np.float64), cam.astype(np.float64), share.astype(np.float64), cost, part


def _inline(emitters: tuple[EmitterSpec, ...], years: int) -> _Draft:
    """Draft of an inline (or CSV) list of emitters."""
    es = emitters
    output, out_listed = _per_year([e.output for e in es], years)
    intensity, int_listed = _per_year([e.intensity for e in es], years)
    free, _ = _per_year([e.free_allocation for e in es], years)
    hist = [e.historical_emissions for e in es]
    kind, slope, cam, share, cost, part = _mac_arrays([e.mac for e in es])
    return _Draft(
        id=np.array([e.id for e in es], dtype=object),
        sector=np.array([e.sector for e in es], dtype=object),
        output=output, output_listed=out_listed, intensity=intensity, intensity_listed=int_listed,
        growth=np.array([e.growth for e in es], dtype=np.float64),
        growth_sd=np.array([e.growth_sd for e in es], dtype=np.float64),
        decline=np.array([e.intensity_decline for e in es], dtype=np.float64),
        free_allocation=free,
        historical=np.array([np.nan if h is None else h for h in hist], dtype=np.float64),
        opening_bank=np.array([np.nan if e.opening_bank_t is None else e.opening_bank_t for e in es],
                              dtype=np.float64),
        mac_kind=kind, mac_slope=slope, mac_cost_at_max=cam, mac_max_share=share,
        step_cost=cost, step_share=part,
    )


def _generated(spec: EmittersGenerate, years: int, rng: np.random.Generator) -> _Draft:
    """Draft of generated sectors: draws output then intensity per sector, in order."""
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("id", "sector", "out", "int", "g", "sd", "d")}
    macs_per_sector = []
    for name, sec in spec.generate.items():
        n = sec.count
        parts["out"].append(sec.output.sample(rng, n))
        parts["int"].append(sec.intensity.sample(rng, n))
        number = np.char.zfill(np.arange(n).astype(str), 4)
        parts["id"].append(np.char.add(f"{name}-", number).astype(object))
        parts["sector"].append(np.full(n, name, dtype=object))
        parts["g"].append(np.full(n, sec.growth.mean))
        parts["sd"].append(np.full(n, sec.growth.sd))
        parts["d"].append(np.full(n, sec.intensity_decline))
        macs_per_sector.append((sec.mac, n))
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    n_total = cat["id"].shape[0]
    kind, slope, cam, share, cost, part = _mac_arrays([m for m, _ in macs_per_sector])
    repeat = np.repeat(np.arange(len(macs_per_sector)), [n for _, n in macs_per_sector])
    output = np.repeat(cat["out"][:, None], years, axis=1)
    intensity = np.repeat(cat["int"][:, None], years, axis=1)
    return _Draft(
        id=cat["id"], sector=cat["sector"],
        output=output, output_listed=np.zeros(n_total, dtype=bool),
        intensity=intensity, intensity_listed=np.zeros(n_total, dtype=bool),
        growth=cat["g"].astype(np.float64), growth_sd=cat["sd"].astype(np.float64),
        decline=cat["d"].astype(np.float64), free_allocation=np.zeros((n_total, years)),
        historical=np.full(n_total, np.nan), opening_bank=np.full(n_total, np.nan),
        mac_kind=kind[repeat], mac_slope=slope[repeat], mac_cost_at_max=cam[repeat],
        mac_max_share=share[repeat], step_cost=cost[repeat], step_share=part[repeat],
    )
