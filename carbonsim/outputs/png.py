"""A figure as PNG bytes: one draw on the Agg canvas, encoded by Pillow.

What it costs is most of a small run's folder, so two things are cheaper than ``savefig``
while the pixels stay the same:

- **One draw.** ``savefig`` draws twice (once without rendering, to run the layout engine,
  then again with it off); the Agg canvas runs the layout engine at the start of its only draw.
- **Renderers kept per size.** Text is measured through a cache keyed by the renderer, so a new
  renderer per figure measures every tick label and title again. The canvas here draws on a
  renderer kept per (width, height, dpi) in this process (cleared before each draw), so the
  labels a batch worker's runs share are measured once.
- **RGB, fast deflate.** A figure on an opaque face has alpha 255 everywhere: it is written as
  RGB (a quarter less to compress) at zlib level 1, about half the encoding time of
  matplotlib's RGBA at level 6 for files of about the same size (the plots are flat colours).
  A figure with any transparent pixel is written as RGBA. The PNG carries the text chunk
  matplotlib writes (Software) and the DPI.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from PIL import Image, PngImagePlugin

from carbonsim.outputs.plot_style import DPI

__all__ = ["COMPRESS_LEVEL", "png_bytes", "save_png"]

COMPRESS_LEVEL = 1  # zlib level of the PNGs (1 fastest, 9 smallest)
_KEPT = 4  # renderers kept (figure sizes): a run's figures use two or three
_RENDERERS: dict[tuple[int, int, float], RendererAgg] = {}
_LOCK = threading.Lock()  # one draw at a time on the kept renderers


class _KeptCanvas(FigureCanvasAgg):
    """An Agg canvas that draws on this process's renderer for its size (see the module)."""

    def get_renderer(self) -> RendererAgg:
        w, h = self.get_width_height(physical=True)
        key = (w, h, float(self.figure.dpi))
        renderer = _RENDERERS.pop(key, None) or RendererAgg(w, h, self.figure.dpi)
        _RENDERERS[key] = renderer  # the most recently used last
        while len(_RENDERERS) > _KEPT:
            _RENDERERS.pop(next(iter(_RENDERERS)))
        self.renderer = renderer
        return renderer


def _software() -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"Matplotlib version{mpl.__version__}, https://matplotlib.org/")
    return info


def png_bytes(fig: Figure, dpi: float | None = None) -> bytes:
    """The figure as PNG bytes on white, at ``dpi`` (default: carbonsim's DPI).

    The pixels of ``fig.savefig(format="png", dpi=dpi, facecolor="white")``; the figure's own
    face colour and dpi are restored afterwards.
    """
    dpi = DPI if dpi is None else dpi
    previous = fig.canvas
    facecolor, fig_dpi = fig.get_facecolor(), fig.dpi
    buf = io.BytesIO()
    with _LOCK:
        canvas = _KeptCanvas(fig)
        fig.set_facecolor("white")
        fig.dpi = dpi
        try:
            canvas.draw()
            rgba = np.asarray(canvas.buffer_rgba())
            opaque = bool((rgba[..., 3] == 255).all())
            Image.fromarray(rgba[..., :3] if opaque else rgba).save(
                buf, format="png", pnginfo=_software(), dpi=(dpi, dpi),
                compress_level=COMPRESS_LEVEL)
        finally:
            fig.set_facecolor(facecolor)
            fig.dpi = fig_dpi
            # The figure keeps no canvas on a shared renderer (the next figure draws on it).
            if isinstance(previous, FigureCanvasAgg):
                fig.set_canvas(previous)
            else:
                FigureCanvasAgg(fig)
    return buf.getvalue()


def save_png(fig: Figure, path: Path) -> Path:
    """Write the figure as a PNG at DPI. Raises OSError if the file cannot be written."""
    Path(path).write_bytes(png_bytes(fig))
    return Path(path)
