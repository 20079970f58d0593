"""report.html: one self-contained page per run (or per comparison), viewable offline.

Plots are embedded as base64 PNG; there is no script and no external URL. Every string that
comes from the user (scenario name, description, sector names, ids, settings) is escaped.
The headline table has ``id="headline"`` and each cell a ``data-col`` naming its summary column,
so tests (and scrapers) can find the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from carbonsim.outputs.html import escape as _e, format_value, image_tag as _img, page as _page

__all__ = [
    "HEADLINE",
    "compare_page",
    "format_value",
    "headline_rows",
    "run_page",
    "sector_table",
    "settings_rows",
]

# (summary column, label, unit ('{cur}' is the currency), kind of number)
HEADLINE: list[tuple[str, str, str, str]] = [
    ("year", "year", "", "year"),
    ("price_mean", "price mean", "{cur}/t", "price"),
    ("price_close", "price close", "{cur}/t", "price"),
    ("least_cost_price", "least-cost price", "{cur}/t", "price"),
    ("volume_t", "volume traded", "t", "amount"),
    ("fulfillment_entities", "emitters compliant", "%", "pct"),
    ("fulfillment_volume", "obligation met", "%", "pct"),
    ("abatement_cost", "abatement cost", "{cur}", "amount"),
    ("efficiency", "efficiency", "%", "pct"),
    ("penalties", "penalties", "{cur}", "amount"),
]

def headline_rows(summary: pd.DataFrame) -> list[dict[str, str]]:
    """The headline table as display strings: one dict (column -> text) per compliance year."""
    return [{col: format_value(row[col], kind) for col, _, _, kind in HEADLINE}
            for row in summary.to_dict("records")]


def _num(value: object, unit: str = "") -> str:
    """A settings number with its unit: millions and more as '105.00 M', else up to 6 digits."""
    if isinstance(value, bool) or value is None:
        return _inline(value)
    if isinstance(value, (int, float)):
        text = f"{value:,.6g}" if abs(value) < 1e6 else format_value(value, "amount")
        return f"{text} {unit}".strip()
    return f"{_inline(value)} {unit}".strip()


def _pct(value: object) -> str:
    return f"{100 * float(value):.6g}%" if isinstance(value, (int, float)) else _inline(value)


_SHARES = ("limit", "decline", "borrowing", "annual_reduction")  # settings that are fractions


def _key_text(key: str) -> str:
    """A settings key as words: 'trigger_price' -> 'trigger price', 'volume_t' -> 'volume'."""
    if key in ("ccr", "ecr", "msr"):
        return key.upper()
    return key.removesuffix("_per_t").removesuffix("_t").replace("_", " ")


def _inline(value: object, cur: str = "", key: str = "") -> str:
    """A compact one-line text of a settings value: mappings as 'key: value, ...' with the keys
    in words, numbers with their units (from the key: ``_t`` tonnes, prices in ``cur``/t,
    shares and rates as percent) and millions as 'M'."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        items = [(str(k), v) for k, v in value.items() if v is not None]
        nested = any(isinstance(v, Mapping) for _, v in items)
        return ("; " if nested else ", ").join(
            f"{_key_text(k)} ({_inline(v, cur, k)})" if isinstance(v, Mapping)
            else f"{_key_text(k)}: {_inline(v, cur, k)}" for k, v in items) or "none"
    if isinstance(value, (list, tuple)):
        return ", ".join(_inline(v, cur, key) for v in value)
    if isinstance(value, (int, float)):
        if key.endswith(("_rate", "_share", "_growth", "_fraction")) or key in _SHARES:
            return _pct(value)
        if key.endswith("_t"):
            return _num(value, "t")
        if "price" in key or key.endswith("_per_t"):
            return _num(value, f"{cur}/t")
        if key in ("seed", "base_years", "year"):
            return str(value)
        return _num(value)
    return str(value)


def _cap_text(cap: object) -> str:
    if cap is None:
        return "no absolute cap"
    if isinstance(cap, Mapping):
        return (f"{_num(cap.get('start'), 't')} in the first year, reduced each year by "
                f"{_pct(cap.get('annual_reduction'))} of it")
    if isinstance(cap, (list, tuple)):
        return f"{', '.join(_num(c) for c in cap)} t (one per year)"
    return f"{_num(cap, 't')} a year"


def settings_rows(settings: Mapping, compliance: pd.DataFrame | None = None) -> list[tuple[str, str]]:
    """The scenario's key settings as (label, text) rows, from the resolved scenario dict."""
    cur = settings.get("currency", "")
    start, years = settings.get("start_year"), settings.get("years")
    rows: list[tuple[str, str]] = []
    if isinstance(start, int) and isinstance(years, int):
        rows.append(("years", (f"{start}–{start + years - 1} ({years} compliance year"
                              f"{'s' if years != 1 else ''})")))
    rows += [("currency", _inline(cur)), ("seed (scenario)", _inline(settings.get("seed"), key="seed")),
             ("cap", _cap_text(settings.get("cap")))]
    if compliance is not None and len(compliance):
        counts = compliance.drop_duplicates("id")["sector"].value_counts(sort=False)
        rows.append(("emitters", f"{int(counts.sum())}: " + ", ".join(
            f"{sector} {n}" for sector, n in counts.items())))
    allocation = dict(settings.get("allocation") or {})
    share = allocation.pop("auction_share", None)
    allocation.pop("correction", None)
    for sector, entry in allocation.items():
        entry = dict(entry) if isinstance(entry, Mapping) else {"rule": entry}
        rule = entry.pop("rule", "?")
        params = _inline(entry, cur)
        rows.append((f"allocation: {sector}", f"{rule}" + (f" ({params})" if entry else "")))
    if share is not None:
        rows.append(("auctioned share of the cap", _pct(share)))
    if settings.get("auctions"):
        rows.append(("primary auctions", _inline(settings["auctions"], cur)))
    market = settings.get("market") or {}
    limit = market.get("daily_limit")
    rows.append(("market", (f"{_inline(market.get('mechanism'))}; tick {_num(market.get('tick'), cur)}"
                           f"; daily limit {'±' + _pct(limit) if limit else 'none'}")))
    comp = settings.get("compliance") or {}
    rows.append(("penalty", f"{_num(comp.get('penalty_per_t'), cur + '/t')} of shortfall"
                            + (f", fixed fine {_num(comp['fixed_fine'], cur)}"
                               if comp.get("fixed_fine") else "")
                            + ("; shortfall made good next year" if comp.get("make_good") else "")))
    rows.append(("banking", "allowed" if comp.get("banking", True) else "not allowed"))
    if comp.get("borrowing"):
        rows.append(("borrowing", f"up to {_pct(comp['borrowing'])} of the obligation"))
    rows.append(("offsets", _inline(comp.get("offsets"), cur)))
    behaviour = settings.get("behaviour") or {}
    rows.append(("expectations", (f"{_inline(behaviour.get('expectations', 'myopic'))}, discount rate "
                                 f"{_pct(behaviour.get('discount_rate', 0.05))} a year")))
    reserves = {k: v for k, v in (settings.get("reserves") or {}).items() if v is not None}
    rows.append(("reserves", _inline(reserves, cur) if reserves else "none"))
    return rows


def sector_table(compliance: pd.DataFrame, offset_price: float = 0.0) -> pd.DataFrame:
    """Who pays, by sector over the whole run (carbonsim.outputs.who_pays.sector_table)."""
    from carbonsim.outputs.who_pays import sector_table as table

    return table(compliance, offset_price)


def _headline_html(summary: pd.DataFrame, currency: str, table_id: str = "headline") -> str:
    head = "".join(f'<th data-col="{col}">{_e(label)}<small>{_e(unit.format(cur=currency))}</small></th>'
                   for col, label, unit, _ in HEADLINE)
    body = "".join("<tr>" + "".join(f'<td data-col="{col}">{_e(row[col])}</td>'
                                    for col, *_ in HEADLINE) + "</tr>"
                   for row in headline_rows(summary))
    return f'<table id="{_e(table_id)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _rows_html(rows: Sequence[tuple[str, str]], table_id: str) -> str:
    body = "".join(f'<tr><th class="l">{_e(k)}</th><td class="l">{_e(v)}</td></tr>' for k, v in rows)
    return f'<table id="{table_id}">{body}</table>'


_CAPTIONS = {
    "price_path": "Allowance price per session with the daily price-limit band, primary auction "
                  "prices and the least-cost price; traded volume below.",
    "emissions_cap": "Emissions and abatement against the cap; the bank held after each deadline.",
    "fulfillment": "Share of emitters fully compliant, and share of the obligation surrendered.",
    "sector_costs": "Abatement cost and net allowance purchases by sector.",
    "versus_least_cost": "Simulated price and abatement cost against the least-cost benchmark.",
    "price_cost": "Mean allowance price and abatement cost by year, one line per run.",
    "fulfillment_efficiency": "Fulfillment (emitters and obligation) and efficiency by year, "
                              "one line per run.",
    "who_pays": "Total cost by sector over all years (abatement + allowances bought, net + "
                "offsets + penalties), one bar per run.",
}


def run_page(result, settings: Mapping, figures: Mapping[str, bytes],
             meta: Mapping[str, object] | None = None, files: Sequence[str] = ()) -> str:
    """The HTML text of one run's report: headline table, key settings, who pays, the plots.

    ``settings`` is the resolved scenario dict; ``figures`` maps a plot name to PNG bytes;
    ``meta`` adds lines such as the seed and wall time; ``files`` lists the run's files.
    """
    from carbonsim.outputs import report_sections as sections

    cur = str(settings.get("currency", ""))
    name = str(settings.get("name", "run"))
    meta_text = " · ".join(f"{k}: {v}" for k, v in (meta or {}).items())
    offset_price = _offset_price(settings)
    body = (f"<h1>{_e(name)}</h1>"
            + (f'<p class="desc">{_e(settings["description"])}</p>' if settings.get("description") else "")
            + f'<p class="meta">{_e(meta_text)}</p>'
            + sections.sentence_html(result, cur, offset_price)
            + f"<h2>Headline numbers by compliance year</h2>{_headline_html(result.summary, cur)}"
            + '<p class="note">Efficiency = least-cost cost / simulated cost (abatement plus offsets at their price). '
              "Prices n/a: nothing traded that year.</p>"
            + f"<h2>Who pays, by sector (all years, {_e(cur)})</h2>"
            + sections.who_pays_html(result.compliance, cur, offset_price)
            + f"<h2>What the government received ({_e(cur)})</h2>"
            + sections.government_html(result.summary, cur)
            + "<h2>Supply balance by compliance year (t)</h2>" + sections.balance_html(result.summary)
            + f"<h2>Key settings</h2>{_rows_html(settings_rows(settings, result.compliance), 'settings')}"
            + "<h2>Plots</h2>"
            + "".join(_img(png, _CAPTIONS.get(k, k)) for k, png in figures.items()))
    if files:
        body += "<h2>Files</h2><ul class=\"files\">" + "".join(
            f'<li><a href="{_e(f)}">{_e(f)}</a></li>' for f in files) + "</ul>"
    return _page(f"carbonsim: {name}", body)


def _offset_price(settings: Mapping) -> float:
    offsets = (settings.get("compliance") or {}).get("offsets") or {}
    return float(offsets.get("price") or 0.0)


def _totals(result) -> dict[str, float]:
    s = result.summary
    sim, lc = s["abatement_cost"].sum(), s["least_cost_abatement_cost"].sum()
    return {
        "price_mean": s["price_mean"].mean(), "least_cost_price": s["least_cost_price"].mean(),
        "volume_t": s["volume_t"].sum(), "emissions_t": s["emissions_t"].sum(),
        "fulfillment_entities": s["fulfillment_entities"].mean(),
        "fulfillment_volume": s["fulfillment_volume"].mean(),
        "abatement_cost": sim, "least_cost_abatement_cost": lc,
        "efficiency": lc / sim if sim > 0 else float("nan"), "penalties": s["penalties"].sum(),
    }


_TOTAL_LABELS = {
    "price_mean": ("mean price", "price"), "least_cost_price": ("mean least-cost price", "price"),
    "volume_t": ("volume traded (t)", "amount"), "emissions_t": ("emissions (t)", "amount"),
    "fulfillment_entities": ("emitters compliant (%, mean)", "pct"),
    "fulfillment_volume": ("obligation met (%, mean)", "pct"),
    "abatement_cost": ("abatement cost", "amount"),
    "least_cost_abatement_cost": ("least-cost abatement cost", "amount"),
    "efficiency": ("efficiency (%)", "pct"), "penalties": ("penalties", "amount"),
}


def _kind(column: str) -> str:
    """How to show a comparison-table column (see format_value)."""
    if column in ("scenario",):
        return "text"
    if column == "year":
        return "year"
    if column.startswith(("fulfillment", "efficiency")):
        return "pct"
    return "price" if "price" in column else "amount"


def compare_page(runs: Sequence[tuple[str, object, Mapping]], figures: Mapping[str, bytes],
                 table: pd.DataFrame | None = None) -> str:
    """The HTML text comparing runs side by side: totals, settings, who pays, plots, per year.

    ``runs`` holds (name, Result, resolved scenario dict) triples; ``table`` is the comparison
    table of carbonsim.outputs.compare (shown per year when given).
    """
    names = [n for n, _, _ in runs]

    def side_by_side(rows: list[tuple[str, list[str]]], table_id: str) -> str:
        text = table_id == "settings"  # text left-aligned, numbers right-aligned
        cls = ' class="l"' if text else ""
        head = '<th class="l"></th>' + "".join(f"<th{cls}>{_e(n)}</th>" for n in names)
        body = "".join(
            f'<tr{" class=diff" if text and len(set(v)) > 1 else ""}>'
            f'<th class="l">{_e(k)}</th>' + "".join(f"<td{cls}>{_e(x)}</td>" for x in v) + "</tr>"
            for k, v in rows)
        return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    totals = [_totals(r) for _, r, _ in runs]
    total_rows = [(label, [format_value(t[key], kind) for t in totals])
                  for key, (label, kind) in _TOTAL_LABELS.items()]
    labels: dict[str, list[str]] = {}
    for k, (_, r, s) in enumerate(runs):
        for label, text in settings_rows(s, r.compliance):
            labels.setdefault(label, [""] * len(runs))[k] = text
    who = []
    sectors = [sector_table(r.compliance, _offset_price(s)) for _, r, s in runs]
    for sector in dict.fromkeys(x for t in sectors for x in t.index):
        for col, label in (("abatement_cost", "abatement cost"), ("market_spend", "paid on the market"),
                           ("auction_paid", "paid at auction"), ("offsets_paid", "paid for offsets"),
                           ("penalty", "penalties"), ("total_cost", "total")):
            who.append((f"{sector}: {label}", [format_value(t[col].get(sector), "amount")
                                              for t in sectors]))
    cur = str(runs[0][2].get("currency", "")) if runs else ""
    body = (f"<h1>Comparison: {_e(' vs '.join(names))}</h1>"
            + f'<p class="meta">{len(runs)} runs; all amounts in {_e(cur)}.</p>'
            + "<h2>Totals over all years</h2>" + side_by_side(total_rows, "totals")
            + "<h2>Who pays, by sector (all years)</h2>" + side_by_side(who, "who-pays")
            + '<p class="note">paid on the market = cash paid for allowances minus cash received; '
              "total = abatement cost + paid on the market, at auction and for offsets + "
              "penalties.</p>"
            + "<h2>Key settings</h2>" + side_by_side(list(labels.items()), "settings")
            + '<p class="note">Highlighted rows differ between the runs.</p>'
            + "<h2>Plots</h2>"
            + "".join(_img(png, _CAPTIONS.get(k, k.replace("_", " "))) for k, png in figures.items()))
    from carbonsim.outputs.headline import headline_sentence

    for name, result, settings in runs:
        text = headline_sentence(result.summary, result.compliance,
                                 str(settings.get("currency", "")), _offset_price(settings))
        body += (f"<h2>Headline numbers: {_e(name)}</h2>"
                 f'<p class="headline">{_e(text)}</p>'
                 + _headline_html(result.summary, str(settings.get("currency", "")),
                                  f"headline-{name}"))
    if table is not None:
        from carbonsim.outputs.report_sections import per_year_html

        body += f"<h2>Per year</h2>{per_year_html(table, cur, _kind)}"
    return _page("carbonsim comparison: " + ", ".join(names), body)
