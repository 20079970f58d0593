"""Tests of report.html (carbonsim.outputs.report): self-contained, escaped, headline values findable,
and (marked ``browser``) rendered by a real headless Chromium."""

import html
import re
import shutil
import subprocess
import tempfile

import pandas as pd
import pytest
from _fake_results import SCENARIOS, fake_result, scenario_settings

from carbonsim.outputs import report
from carbonsim.cli import main
from carbonsim.outputs.compare import comparison_table

PNG = b"\x89PNG\r\n\x1a\nfake"


def _cells(page: str, table_id: str) -> list[dict[str, str]]:
    """The data-col cells of a table, one dict per row (a small parser for our own markup)."""
    table = re.search(rf'<table id="{re.escape(table_id)}">(.*?)</table>', page, re.DOTALL).group(1)
    body = table.split("<tbody>", 1)[1]
    return [{c: html.unescape(v) for c, v in re.findall(r'<td data-col="([^"]+)">(.*?)</td>', row)}
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)]


def test_format_value():
    assert report.format_value(45.0, "price") == "45.00"
    assert report.format_value(1350.0, "amount") == "1,350"
    assert report.format_value(0.0, "amount") == "0"
    assert report.format_value(12.345, "amount") == "12.35"
    assert report.format_value(15_512_873_945.0, "amount") == "15.51 bn"
    assert report.format_value(-2_500_000, "amount") == "-2.50 M"
    assert report.format_value(0.994, "pct") == "99.4"
    assert report.format_value(float("nan"), "price") == "n/a"
    assert report.format_value(None, "pct") == "n/a"
    assert report.format_value(2021, "year") == "2021"


def test_run_page_headline_matches_summary():
    r = fake_result()
    page = report.run_page(r, scenario_settings(), {"price_path": PNG})
    rows = _cells(page, "headline")
    assert len(rows) == len(r.summary)
    for row, (_, s) in zip(rows, r.summary.iterrows()):
        assert row["year"] == str(int(s["year"]))
        assert row["price_mean"] == f"{s['price_mean']:,.2f}"
        assert row["least_cost_price"] == f"{s['least_cost_price']:,.2f}"
        assert row["fulfillment_entities"] == f"{100 * s['fulfillment_entities']:.1f}"
        assert row["efficiency"] == "90.0"
    assert "data:image/png;base64," in page


def test_run_page_is_self_contained():
    page = report.run_page(fake_result(), scenario_settings(), {"price_path": PNG},
                           files=["prices.csv"])
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no external URLs"
    assert "@import" not in page and "url(" not in page
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page


def test_every_user_string_is_escaped():
    evil = '<script>alert("x")</script>'
    settings = scenario_settings(name="evil", description=evil, currency="<b>€</b>")
    settings["allocation"] = {evil: {"rule": "fixed"}, "auction_share": 0.0}
    r = fake_result(scenario=settings)
    compliance = r.compliance.assign(sector=evil, id=r.compliance["id"] + '"&<i>')
    r = type(r)(**{**r.__dict__, "compliance": compliance})
    page = report.run_page(r, settings, {"price_path": PNG}, meta={"note": evil})
    assert "<script" not in page and "<i>" not in page and "<b>€" not in page
    assert html.escape(evil) in page
    cpage = report.compare_page([(evil, r, settings), ("b", fake_result("b"), scenario_settings("b"))],
                                {"who_pays": PNG}, comparison_table([(evil, r)]))
    assert "<script" not in cpage and "<i>" not in cpage


def test_settings_rows_cover_the_key_settings():
    rows = dict(report.settings_rows(scenario_settings(), fake_result().compliance))
    assert rows["cap"] == "1,000 t in the first year, reduced each year by 5% of it"
    assert rows["allocation: power"] == "benchmark (benchmark: 0.8)"
    assert rows["allocation: steel"] == "grandfathering (base years: 3, decline: 2%)"
    assert rows["auctioned share of the cap"] == "10%"
    assert rows["penalty"].startswith("100 EUR/t of shortfall")
    assert rows["banking"] == "allowed"
    assert rows["expectations"] == "hotelling, discount rate 5% a year"
    assert rows["market"] == "call_auction; tick 0.01 EUR; daily limit ±10%"
    assert rows["reserves"] == "price floor: 5 EUR/t"
    assert rows["primary auctions"] == "reserve price: 10 EUR/t, unsold: cancel"
    assert rows["emitters"] == "4: power 2, steel 2"
    assert rows["years"] == "2021–2023 (3 compliance years)"
    assert dict(report.settings_rows(scenario_settings(cap=None)))["cap"] == "no absolute cap"
    assert dict(report.settings_rows(scenario_settings(cap=[160, 140])))["cap"] == "160, 140 t (one per year)"
    big = dict(report.settings_rows(scenario_settings(cap=[1.05e8, 1.092e8], reserves={
        "ccr": {"trigger_price": 13.0, "volume_t": 7514778.0}, "msr": None})))
    assert big["cap"] == "105.00 M, 109.20 M t (one per year)"  # not 1.05e+08
    assert big["reserves"] == "CCR (trigger price: 13 EUR/t, volume: 7.51 M t)"  # not a raw dict
    assert dict(report.settings_rows(scenario_settings(cap=140)))["cap"] == "140 t a year"


def test_compare_page_side_by_side():
    a, b = fake_result("a"), fake_result("b", price_level=80.0)
    sa, sb = scenario_settings("a"), scenario_settings("b", compliance={"penalty_per_t": 50.0})
    page = report.compare_page([("a", a, sa), ("b", b, sb)], {"who_pays": PNG},
                               comparison_table([("a", a), ("b", b)]))
    assert "Comparison: a vs b" in page
    assert '<tr class=diff><th class="l">penalty</th>' in page
    assert _cells(page, "headline-b")[0]["least_cost_price"] == "80.00"
    assert 'id="who-pays"' in page and 'id="per-year"' in page
    per_year = re.search(r'<table id="per-year">(.*?)</table>', page, re.S).group(1)
    head = re.findall(r"<th[^>]*>(.*?)</th>", per_year.split("</thead>")[0])
    assert len(head) == 10 and "net_spend." not in per_year  # labelled columns, no raw names
    assert "mean price<small>EUR/t</small>" in head and '<div class="wide">' in page


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def chromium(url: str, *extra: str) -> subprocess.CompletedProcess:
    """Run headless Chromium on ``url`` in a throw-away profile (as root: no sandbox)."""
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}", *extra, url],
            capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.browser
def test_report_in_headless_chromium(tmp_path):
    """A real run's report.html, loaded by Chromium: the headline values are on the page."""
    if _chromium() is None:
        pytest.skip("needs a headless Chromium (Debian: apt-get install -y chromium)")
    folder = tmp_path / "run"
    assert main(["run", str(SCENARIOS / "hotelling-banking.yaml"), "--out", str(folder)]) == 0
    summary = pd.read_csv(folder / "summary.csv")
    proc = chromium((folder / "report.html").as_uri(), "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    rows = _cells(dom, "headline")
    assert [row["year"] for row in rows] == ["2021", "2022", "2023"]
    for row, (_, s) in zip(rows, summary.iterrows()):
        assert row["price_mean"] == f"{s['price_mean']:,.2f}"
        assert row["least_cost_price"] == f"{s['least_cost_price']:,.2f}"
        assert row["fulfillment_volume"] == f"{100 * s['fulfillment_volume']:.1f}"
    assert [row["least_cost_price"] for row in rows] == ["42.82", "44.96", "47.21"]
    assert dom.count("data:image/png;base64,") == 5
    assert "hotelling-banking" in dom
    shot = tmp_path / "report.png"
    proc = chromium((folder / "report.html").as_uri(), f"--screenshot={shot}",
                    "--window-size=1280,2400", "--hide-scrollbars")
    assert proc.returncode == 0 and shot.stat().st_size > 50_000  # a rendered page, not a blank one


def _row_cells(page: str, table_id: str) -> dict[str, dict[str, str]]:
    """The data-col cells of each data-row of a table (the who-pays and balance tables)."""
    table = re.search(rf'<table id="{re.escape(table_id)}">(.*?)</table>', page, re.DOTALL).group(1)
    rows = re.findall(r'<tr data-row="([^"]*)"[^>]*>(.*?)</tr>', table, re.DOTALL)
    cell = r'<td data-col="([^"]+)"(?: data-year="([^"]+)")?>(.*?)</td>'
    return {html.unescape(key): {(year or c): html.unescape(v) for c, year, v in re.findall(cell, row)}
            for key, row in rows}


def test_run_page_opens_with_the_sentence_and_shows_who_pays_and_the_balance():
    r = fake_result()
    page = report.run_page(r, scenario_settings(), {"price_path": PNG})
    sentence = re.search(r'<p class="headline" id="headline-sentence">(.*?)</p>', page).group(1)
    assert page.index("headline-sentence") < page.index('id="headline"')  # before any table
    assert sentence.startswith("Over 2021–2023 the allowance price averaged")
    assert "least-cost" in sentence and "of emitters met their obligation" in sentence
    assert "steel bore the most" in sentence and "the government received 12,800 EUR" in sentence
    who = _row_cells(page, "sectors")
    assert list(who) == ["power", "steel", "all sectors"]
    assert who["steel"]["auction_paid"] == "6,000"  # 25 t x 40 EUR/t x 2 emitters x 3 years
    assert who["all sectors"]["share"] == "100.0"
    tonnes = _row_cells(page, "sector-allowances")
    assert tonnes["power"]["free_allocation_t"] == "1,200"
    balance = _row_cells(page, "supply-balance")
    assert balance["bank_change_t"] == {"2021": "-60", "2022": "-20", "2023": "25"}
    assert list(balance)[:3] == ["cap_t", "cap_not_sold_t", "reserve_sold_t"]
    gov = _row_cells(page, "government")
    assert gov["all years"]["total"] == "12,800"


@pytest.mark.browser
def test_headline_sentence_and_who_pays_in_headless_chromium(tmp_path):
    """A real run with four sectors and auctions: Chromium shows the headline sentence and the
    who-pays table, and both agree with the run's own CSV files."""
    if _chromium() is None:
        pytest.skip("needs a headless Chromium (Debian: apt-get install -y chromium)")
    from carbonsim.outputs.headline import headline_sentence
    from carbonsim.outputs.who_pays import sector_table

    folder = tmp_path / "run"
    assert main(["run", str(SCENARIOS / "allocation-comparison" / "hybrid.yaml"), "--out", str(folder)]) == 0
    proc = chromium((folder / "report.html").as_uri(), "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    summary = pd.read_csv(folder / "summary.csv")
    compliance = pd.read_csv(folder / "compliance.csv")
    sentence = html.unescape(re.search(r'id="headline-sentence">(.*?)</p>', dom, re.S).group(1))
    assert sentence == headline_sentence(summary, compliance, "EUR")
    assert sentence.startswith("Over 2025–2026 the allowance price averaged ")
    assert "power bore the most" in sentence and "the government received" in sentence
    who = _row_cells(dom, "sectors")
    expected = sector_table(compliance)
    assert list(who) == [*expected.index, "all sectors"]
    for sector, row in expected.iterrows():
        for col in ("abatement_cost", "market_spend", "auction_paid", "penalty", "total_cost"):
            assert who[sector][col] == report.format_value(row[col], "amount"), (sector, col)
    assert float(who["power"]["share"]) > 50  # power buys all its allowances at auction
    balance = _row_cells(dom, "supply-balance")
    assert balance["bank_change_t"] == {str(y): report.format_value(v, "amount") for y, v in
                                        zip(summary.year, summary.bank_change_t)}
