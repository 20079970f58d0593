"""The look shared by every carbonsim figure: size, colours, axes, tick labels, plain text.

``plain`` matters for correctness, not looks: matplotlib reads text between two ``$`` as TeX
(mathtext), so a currency "US$" or a sector "$-fund" would be typeset, or fail to parse after
the whole simulation has run. Every user string given to matplotlib goes through it.
"""

from __future__ import annotations

import re

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure

__all__ = ["DPI", "FIGSIZE", "plain"]

FIGSIZE = (10.0, 5.6)  # inches; at DPI this is 1200 x 672 px, readable embedded at 100%
DPI = 120
# axes.titley fixed at the top: matplotlib would otherwise search, at every draw and layout
# pass, for decorations above each axes to lift its title over (top tick labels, an offset
# text such as "1e6"); carbonsim's axes have none (the one axis that could show an offset text,
# a price axis, is set to plain numbers), so the titles sit where the search puts them.
_STYLE = {"font.size": 11, "axes.titlesize": 13, "axes.labelsize": 11, "legend.fontsize": 9.5,
          "axes.titley": 1.0}
_BLUE, _ORANGE, _GREEN, _GREY, _RED = "#1f5fa8", "#e07b22", "#2e8b57", "#8c8c8c", "#b8323a"
_CYCLE = ["#1f5fa8", "#e07b22", "#2e8b57", "#b8323a", "#7b4fa6", "#8c6d31", "#d45aa0", "#4a9bb5"]


def plain(text: object) -> str:
    """``text`` as matplotlib shows it literally: every ``$`` escaped (no TeX, no mathtext)."""
    return str(text).replace("$", r"\$")


def _wrap(name: object, width: int = 16) -> str:
    """A category label for a tick: plain text, long names wrapped onto lines of at most
    ``width`` characters, broken after spaces, '_' or '-' only (words stay whole)."""
    lines: list[str] = []
    for token in re.split(r"(?<=[_\s-])", str(name)):
        if lines and len(lines[-1]) + len(token) <= width:
            lines[-1] += token
        else:
            lines.append(token)
    return plain("\n".join(line.rstrip() for line in lines if line))


def _compact(x: float, _pos: object = None) -> str:
    """Tick label with k / M / bn suffixes from 10,000 on: 1500 -> '1,500', 25000 -> '25k'."""
    ax = abs(x)
    for size, suffix in ((1e9, "bn"), (1e6, "M"), (1e4, "k")):
        if ax >= size:
            scaled = x / (size if size != 1e4 else 1e3)
            return f"{scaled:.3g}{suffix}"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:.3g}"


def _figure(rows: int = 1, cols: int = 1, **kw) -> tuple[Figure, np.ndarray]:
    import matplotlib as mpl

    with mpl.rc_context(_STYLE):
        fig = Figure(figsize=kw.pop("figsize", FIGSIZE), dpi=DPI, layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False, **kw)
    for ax in axes.flat:
        ax.grid(True, axis="y", color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
        for label in (ax.title, ax.xaxis.label, ax.yaxis.label):
            label.set_fontsize(_STYLE["axes.labelsize"])
        ax.tick_params(labelsize=10)
    return fig, axes


def _headroom(ax, share: float = 0.12) -> None:
    """Start the y axis at 0 and leave ``share`` of space above the highest point."""
    top = ax.get_ylim()[1]
    ax.set_ylim(0, top * (1 + share) if top > 0 else 1)


def _empty_note(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=12,
            color=_GREY, bbox={"facecolor": "white", "edgecolor": _GREY, "boxstyle": "round"})


def _year_axis(ax, years: np.ndarray) -> None:
    if len(years) <= 12:
        ax.xaxis.set_major_locator(ticker.FixedLocator(years))
    else:
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True, nbins=12))
    ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%d"))
    if len(years):
        ax.set_xlim(years.min() - 0.6, years.max() + 0.6)
