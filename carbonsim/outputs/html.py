"""The HTML primitives every carbonsim page shares: the style sheet, escaping, embedded PNG
figures, the page shell, and the display text of numbers. Pages have no script and no external
URL; every user string goes through ``escape``."""

from __future__ import annotations

import base64
import html
import math

import pandas as pd

__all__ = ["escape", "format_value", "image_tag", "page"]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;
 color:#1d1d1f;background:#fafafa}
main{max-width:1180px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:1.7rem;margin:0 0 4px} h2{font-size:1.2rem;margin:32px 0 10px;
 border-bottom:2px solid #1f5fa8;padding-bottom:4px}
p.desc{font-size:1.05rem;margin:4px 0 8px;color:#333} p.meta{color:#666;font-size:.9rem;margin:0}
table{border-collapse:collapse;background:#fff;font-size:.92rem;margin:4px 0}
th,td{padding:5px 10px;border-bottom:1px solid #e3e3e3;text-align:right;vertical-align:top}
th{background:#eef3fa;font-weight:600} td.l,th.l{text-align:left}
th small{display:block;font-weight:400;color:#555}
tr.diff td{background:#fff8e6}
figure{margin:18px 0;background:#fff;border:1px solid #e3e3e3;padding:8px}
figure img{width:100%;height:auto;display:block} figcaption{color:#555;font-size:.9rem;margin-top:4px}
.note{color:#666;font-size:.88rem} ul.files{columns:3;font-size:.9rem}
p.headline{font-size:1.12rem;line-height:1.5;margin:14px 0;padding:10px 14px;background:#fff;
 border-left:4px solid #1f5fa8}
div.wide{overflow-x:auto;max-width:100%} tr.sum th,tr.sum td{font-weight:600;border-top:2px solid #888}
tr.ref th,tr.ref td{color:#666;font-weight:400}
"""



def format_value(value: object, kind: str) -> str:
    """Display text of one number: kind is 'year', 'price' (2 decimals), 'amount' (integer with
    thousands separators; millions as '12.35 M', billions as '1.20 bn'), 'pct' (a fraction
    shown as percent, 1 decimal) or 'text'.

    NaN and None show as 'n/a'.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "n/a"
    if kind == "text":
        return str(value)
    number = float(value)
    if math.isnan(number):
        return "n/a"
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    if kind == "year":
        return str(int(number))
    if kind == "price":
        return f"{number:,.2f}"
    if kind == "pct":
        return f"{100 * number:.1f}"
    if abs(number) >= 1e9:
        return f"{number / 1e9:,.2f} bn"
    if abs(number) >= 1e6:
        return f"{number / 1e6:,.2f} M"
    return f"{number:,.0f}" if abs(number) >= 100 or number.is_integer() else f"{number:,.2f}"


def escape(value: object) -> str:
    """``value`` as HTML text (quotes escaped too)."""
    return html.escape(str(value), quote=True)


def image_tag(png: bytes, alt: str) -> str:
    """A figure with the PNG embedded (base64) and ``alt`` as its caption."""
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img alt="{escape(alt)}" src="data:image/png;base64,{data}"><figcaption>{escape(alt)}</figcaption></figure>'


def page(title: str, body: str) -> str:
    """A whole self-contained HTML document."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head>"
            f"<body><main>{body}</main></body></html>\n")
