"""Sections of report.html beyond the headline table: the headline sentence, who pays by
sector, the government's revenue and the supply balance, and the compare page's per-year table.

Each function returns an HTML fragment; every user string is escaped. Tables carry ids and
``data-col`` (and ``data-row``) attributes naming the columns they show, for tests and scrapers.
"""

from __future__ import annotations

import pandas as pd

from carbonsim.outputs.headline import headline_sentence
from carbonsim.outputs.html import escape as _e, format_value
from carbonsim.outputs.who_pays import MONEY_COLUMNS, SECTOR_LABELS, TONNE_COLUMNS, government_table, sector_table

__all__ = ["BALANCE_LINES", "balance_html", "government_html", "per_year_html",
           "sentence_html", "who_pays_html"]

# (summary column, label, sign shown before it); the lines add up to the bank change. With an
# absolute cap the supply starts from the cap; without one (an intensity system) from what was
# allocated and auctioned.
CAP_LINES = [
    ("cap_t", "cap", ""),
    ("cap_not_sold_t", "of it not sold (unsold at auction, withheld, not allocated)", "−"),
    ("reserve_sold_t", "sold from reserves (CCR, MSR release)", "+"),
]
NO_CAP_LINES = [("allocated_t", "free allocation", ""), ("auctioned_t", "sold at auction", "+")]
BALANCE_LINES = [
    *CAP_LINES,
    ("opening_bank_t", "opening bank (before the first year)", "+"),
    ("ceiling_sold_t", "sold by the regulator at the price ceiling", "+"),
    ("floor_bought_t", "bought back at the price floor", "−"),
    ("offsets_t", "offsets surrendered", "+"),
    ("cancelled_t", "cancelled (unused, no banking)", "−"),
    ("emissions_owed_t", "emissions owed (verified, whole t)", "−"),
    ("shortfall_t", "of them not surrendered (shortfall)", "+"),
    ("bank_change_t", "= bank change", ""),
]
# lines shown below the sum, for reference (not added)
BALANCE_NOTES = [
    ("allocated_t", "free allocation (in the supply above)"),
    ("auctioned_t", "sold at auction (in the supply above)"),
    ("bank_t", "bank held after the deadline"),
    ("correction_factor", "cross-sectoral correction factor"),
]


def sentence_html(result, currency: str, offset_price: float = 0.0) -> str:
    """The headline sentence as ``<p id="headline-sentence">``."""
    text = headline_sentence(result.summary, result.compliance, currency, offset_price)
    return f'<p class="headline" id="headline-sentence">{_e(text)}</p>'


def _table(frame: pd.DataFrame, table_id: str, labels: dict[str, str], kinds: dict[str, str],
           index_label: str) -> str:
    head = f'<th class="l">{_e(index_label)}</th>' + "".join(
        f'<th data-col="{_e(c)}">{labels[c]}</th>' for c in frame.columns)
    body = ""
    for key, row in frame.iterrows():
        cells = "".join(f'<td data-col="{_e(c)}">{_e(format_value(row[c], kinds.get(c, "amount")))}</td>'
                        for c in frame.columns)
        body += f'<tr data-row="{_e(key)}"><th class="l">{_e(key)}</th>{cells}</tr>'
    return (f'<div class="wide"><table id="{_e(table_id)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def _label(column: str, currency: str) -> str:
    label, unit = SECTOR_LABELS[column]
    unit = {"cur": currency, "t": "t", "%": "%"}.get(unit, unit)
    return f"{_e(label)}<small>{_e(unit)}</small>" if unit else _e(label)


def who_pays_html(compliance: pd.DataFrame, currency: str, offset_price: float = 0.0) -> str:
    """Who pays by sector (id ``sectors``: money) and their allowances (id
    ``sector-allowances``: tonnes), over all years, with a total row."""
    table = sector_table(compliance, offset_price)
    money = table[[*MONEY_COLUMNS, "share"]].copy()
    tonnes = table[["emitters", *TONNE_COLUMNS]].copy()
    if len(table) > 1:
        money.loc["all sectors"] = [*money[MONEY_COLUMNS].sum(), float("nan")]
        money.loc["all sectors", "share"] = 1.0 if money["total_cost"].iloc[:-1].sum() > 0 else float("nan")
        tonnes.loc["all sectors"] = tonnes.sum()
    labels = {c: _label(c, currency) for c in [*money.columns, *tonnes.columns]}
    kinds = {"share": "pct"}
    return (_table(money, "sectors", labels, kinds, "sector")
            + '<p class="note">Total cost = abatement cost + paid on the market (bought minus '
              "sold) + paid at auction + paid for offsets + penalties; a negative amount is a net "
              "gain. Free allocation costs nothing: it changes who pays, not what abatement "
              "costs.</p>"
            + _table(tonnes, "sector-allowances", labels, kinds, "sector"))


def government_html(summary: pd.DataFrame, currency: str) -> str:
    """What the government received by year (id ``government``)."""
    table = government_table(summary)
    names = {"auction_revenue": "auction revenue", "market_revenue":
             "sales at the ceiling − purchases at the floor", "penalties": "penalties",
             "total": "total"}
    labels = {c: f"{_e(n)}<small>{_e(currency)}</small>" for c, n in names.items()}
    return _table(table, "government", labels, {}, "year")


def balance_html(summary: pd.DataFrame) -> str:
    """The supply balance (id ``supply-balance``): one row per line, one column per year; the
    signed lines add up to the bank change."""
    years = [str(int(y)) for y in summary["year"]]
    head = '<th class="l">t</th>' + "".join(f"<th>{y}</th>" for y in years)

    def row(col: str, label: str, sign: str, kind: str = "amount", cls: str = "") -> str:
        values = summary[col] if col in summary else pd.Series([float("nan")] * len(years))
        cells = "".join(f'<td data-col="{_e(col)}" data-year="{y}">{_e(format_value(v, kind))}</td>'
                        for y, v in zip(years, values))
        return (f'<tr data-row="{_e(col)}"{cls}><th class="l">{_e((sign + " ") if sign else "")}'
                f"{_e(label)}</th>{cells}</tr>")

    capped = bool(summary["cap_t"].map(lambda v: v == v and abs(v) != float("inf")).all())
    lines = BALANCE_LINES if capped else NO_CAP_LINES + BALANCE_LINES[len(CAP_LINES):]
    notes = BALANCE_NOTES if capped else BALANCE_NOTES[2:]
    body = "".join(row(c, label, sign, cls=' class="sum"' if c == "bank_change_t" else "")
                   for c, label, sign in lines)
    body += "".join(row(c, label, "", "price" if c == "correction_factor" else "amount", ' class="ref"')
                    for c, label in notes)
    return (f'<div class="wide"><table id="supply-balance"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
            '<p class="note">Every allowance that reached or left the emitters is booked to one '
            "compliance year: free allocation of its vintage, the year's auctions, and the "
            "regulator's trades in the year's sessions. Cap − not sold + from reserves = free "
            "allocation + sold at auction. Summed over the years, the bank changes give the bank "
            "held at the end; in a single year the bank held after the deadline also counts "
            "allowances of the next year's auctions bought before it.</p>")


_PER_YEAR = [("price_mean", "mean price", "{cur}/t"), ("least_cost_price", "least-cost price", "{cur}/t"),
             ("volume_t", "volume traded", "t"), ("fulfillment_entities", "emitters compliant", "%"),
             ("fulfillment_volume", "obligation met", "%"), ("abatement_cost", "abatement cost", "{cur}"),
             ("efficiency", "efficiency", "%"), ("penalties", "penalties", "{cur}")]


def per_year_html(table: pd.DataFrame, currency: str, kind) -> str:
    """The compare page's per-year table (id ``per-year``): scenario, year and the main numbers
    with labels and units; the sector columns stay in comparison.csv."""
    cols = [c for c, _, _ in _PER_YEAR if c in table]
    labels = {c: f"{_e(n)}<small>{_e(u.format(cur=currency))}</small>" for c, n, u in _PER_YEAR}
    head = '<th class="l">scenario</th><th>year</th>' + "".join(
        f'<th data-col="{c}">{labels[c]}</th>' for c in cols)
    body = ""
    for row in table.to_dict("records"):
        cells = "".join(f'<td data-col="{c}">{_e(format_value(row[c], kind(c)))}</td>' for c in cols)
        body += (f'<tr><td class="l" data-col="scenario">{_e(row["scenario"])}</td>'
                 f'<td data-col="year">{_e(format_value(row["year"], "year"))}</td>{cells}</tr>')
    return (f'<div class="wide"><table id="per-year"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>"
            '<p class="note">Who pays by sector and year: comparison.csv (columns net_spend.SECTOR '
            "and penalty.SECTOR).</p>")
