"""A laid-out chart as the page shows it: PNG with readability metadata, and `show` for notebook cells.

Each PNG carries its smallest text and any text overlaps in its metadata (`png_bytes`), so the
site's tests can tell an unreadable chart from the image alone; `show` puts out the desktop and
the phone image with the figure's alt text. Re-exported by `helpers.plots.theme`.
"""
from __future__ import annotations

import base64
import io
import math
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless under papermill; JupyterLab's inline backend still shows via show()
import matplotlib.pyplot as plt  # noqa: E402

from nbreport.config import SWEEP_ENV  # noqa: E402  (the builder sets it in a sweep point's kernel)

from helpers.plots import chart_cache  # noqa: E402
from helpers.plots.layout import (  # noqa: E402
    DPI,
    MIN_FONT_PX,
    SCALE,
    _changed,
    _draw,
    _overlaps,
    _texts,
    desktop_layout,
    phone_layout,
)

# Metadata keys written into every PNG (read by the site's readability test)
META_MIN_FONT = "rek-min-font-px"  # smallest text in the image, in image px
META_OVERLAPS = "rek-overlaps"  # text boxes that overlap one another or leave the image, "" when none
SWEEP_NOTE = "sweep points draw no images: the sensitivity page reads only their findings"
PAD_INCHES = 0.08  # white margin around the cropped image
MARGIN_INCHES = 0.3  # room around the box measured at 1x for text that comes out wider at 2x
# zlib level of the PNG: measured on the collection's 46 images (23 charts, desktop and phone) after
# the palette reduction, optimize=True (zlib level 9) took 100 ms an image for 2,677 KB; level 7
# takes 15 ms for 2,864 KB (+7 %; 2,736 KB with the maximum-coverage palette); the heaviest page
# plus its images stays under 500 KB (make bench)
PNG_LEVEL = 7


def _fonts_in_a_fixed_order() -> None:
    """matplotlib's own fonts first, then the others by path, in the list matplotlib picks fonts from.

    Why: of two fonts that match a request equally well, matplotlib draws the one listed first, and
    it lists the fonts it finds in the order of a set of paths, which differs with each process'
    hash seed. matplotlib ships DejaVu Sans and so does the system (different files): which one a
    chart was drawn with depended on the process that wrote the font cache (each build folder has
    its own). The fonts matplotlib ships are the ones it is tested with, and the same on every
    machine with the same matplotlib.
    """
    from matplotlib import font_manager

    own = str(Path(matplotlib.get_data_path()).resolve()) + os.sep
    fm = font_manager.fontManager
    order = sorted(fm.ttflist, key=lambda f: (not str(Path(f.fname).resolve()).startswith(own), f.fname, f.index,
                                              f.name, f.style, f.variant, str(f.weight), str(f.stretch), str(f.size)))
    if order != fm.ttflist:
        fm.ttflist[:] = order
        fm._findfont_cached.cache_clear()  # fonts already looked up are looked up again


_fonts_in_a_fixed_order()


def _min_font_px(fig, dpi: float) -> float:
    sizes = [t.get_fontsize() for t in _texts(fig)]
    return round(min(sizes) * dpi / 72, 2) if sizes else 0.0


def _canvas_size(box, dpi: float) -> tuple[int, int]:
    """Width and height in px of a figure saved cropped to `box` (inches) at `dpi`, as Agg sizes it.

    matplotlib truncates the size to whole pixels, rounding up what is within 1e-8 px of the next
    (FigureCanvasBase.get_width_height).
    """
    return int(box.width * dpi + 1e-8), int(box.height * dpi + 1e-8)


def png_bytes(fig, scale: int = SCALE) -> bytes:
    """The figure as PNG at `scale` x DPI, with its smallest text (image px) and text overlaps in its metadata.

    The metadata (META_MIN_FONT, META_OVERLAPS) lets the site's tests check readability from the
    image alone. The image is reduced to a 256-colour palette: the charts use a few flat colours,
    and the file is about a third of the RGBA size.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, laid out (`desktop_layout` or `phone_layout`).
    scale : int
        Pixel density: ``DPI * scale`` px per inch (2: sharp on high-density screens).

    Returns
    -------
    bytes
        The PNG file, cropped to its contents, with text chunks META_MIN_FONT (smallest text in
        image px) and META_OVERLAPS (`overlaps` joined with "; ", "" when none).
    """
    _changed(fig)  # the caller may have changed it since any earlier draw
    return _png(fig, scale)


def _png(fig, scale: int = SCALE) -> bytes:
    """`png_bytes` for a figure a layout has just drawn: its last layout draw is measured, not redone.

    The image is drawn once. matplotlib's ``bbox_inches="tight"`` draws the figure twice (once to
    find the box, once for real); here the box comes from the layout's draw at 1x, widened by
    MARGIN_INCHES because text measures a little differently at 2x, and the image is then cropped
    to what was drawn plus PAD_INCHES. Should anything reach the widened box's edge, the figure is
    drawn again the matplotlib way. The pixels go to PIL as RGBA (no PNG written and read back).
    """
    from PIL import Image, ImageChops, PngImagePlugin

    dpi = DPI * scale
    renderer = _draw(fig)
    meta = {META_MIN_FONT: f"{_min_font_px(fig, dpi):.2f}", META_OVERLAPS: "; ".join(_overlaps(fig))}
    im = _drawn_rgb(fig, fig.get_tightbbox(renderer).padded(MARGIN_INCHES), dpi)
    paper = Image.new("RGB", im.size, tuple(round(255 * c) for c in fig.get_facecolor()[:3]))
    ink = ImageChops.difference(im, paper).getbbox()
    if ink is None or ink[0] == 0 or ink[1] == 0 or ink[2] == im.width or ink[3] == im.height:
        buf = io.BytesIO()  # something reached the edge: let matplotlib find the box (two draws)
        fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=PAD_INCHES)
        with Image.open(io.BytesIO(buf.getvalue())) as png:
            im = png.convert("RGB")
    else:
        pad = round(PAD_INCHES * dpi)
        im = im.crop((ink[0] - pad, ink[1] - pad, ink[2] + pad, ink[3] + pad))
    _changed(fig)  # drawn at another dpi: the layout's draw is no longer the last one
    info = PngImagePlugin.PngInfo()
    for k, v in meta.items():
        info.add_text(k, v)
    # 256-colour palette: the charts use a few flat colours, and the file is a third of the RGB size.
    # Maximum coverage, measured on the collection's 46 images against median cut: 36 instead of
    # 68 ms an image, 4 % smaller files, no pixel off by more than 9 of 255 (median cut: 57)
    small = im.quantize(colors=256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", compress_level=PNG_LEVEL, pnginfo=info, dpi=(dpi, dpi))
    return out.getvalue()


def _drawn_rgb(fig, box, dpi: float):
    """The figure drawn at `dpi`, cropped to `box` (inches), as a PIL RGB image."""
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="rgba", dpi=dpi, bbox_inches=box)
    raw = buf.getvalue()
    size = _canvas_size(box, dpi)
    if len(raw) == 4 * size[0] * size[1]:
        return Image.frombuffer("RGBA", size, raw, "raw", "RGBA", 0, 1).convert("RGB")
    buf = io.BytesIO()  # a matplotlib that sizes its canvas otherwise: let it write a PNG (slower)
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches=box)
    with Image.open(io.BytesIO(buf.getvalue())) as png:
        return png.convert("RGB")


def show(fig, alt: str) -> None:
    """Display a figure as PNG (2x) with alt text in its output metadata, then close it.

    Two layouts go out: the desktop figure as `image/png`, and a copy laid out for phones
    (`phone_layout`) as base64 under the metadata key `phone`; the site serves the phone image
    to narrow screens. The site template writes the metadata's `alt` into the <img> tag; a
    figure shown without alt text is a bug, so alt is required.

    The site switches to the phone image below the window width at which the desktop image,
    shrunk to fit, would show text under MIN_FONT_PX (plus 40 px of page padding).

    In a sweep point's kernel (SWEEP_ENV set by the report builder) nothing is laid out or
    rasterised: no page shows a sweep point's figures, and the two PNGs were most of a point's
    time. The figure is still drawn once without rendering, so an error in chart code (a
    formatter, units) still fails the point, and the output is ``text/plain`` "<Figure: alt>"
    with the alt text, the sweep's id and SWEEP_NOTE in its metadata.

    Elsewhere the two PNGs come from the chart cache when the same figure was drawn before under
    the same settings, code and versions (helpers.plots.chart_cache: a content-addressed key, the
    same bytes as a fresh render); a figure the cache cannot key is drawn afresh, as is every miss,
    which is then stored.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; it is closed afterwards.
    alt : str
        What the chart shows, for screen readers and the <img> tag; numbers in it formatted from
        the data, never typed in.

    Raises
    ------
    ValueError
        When `alt` is empty or only whitespace.
    TypeError
        When the figure cannot be copied for the phone layout (`phone_layout`).
    """
    if not alt or not alt.strip():
        raise ValueError("every figure needs alt text describing what it shows")
    from IPython.display import display

    sweep = os.environ.get(SWEEP_ENV)
    if sweep:
        try:
            fig.draw_without_rendering()
        finally:
            plt.close(fig)
        display({"text/plain": f"<Figure: {alt}>"}, raw=True,
                metadata={"text/plain": {"alt": alt, "sweep": sweep, "note": SWEEP_NOTE}})
        return

    cache_key = chart_cache.key(fig)  # None: not cached (a figure that cannot be pickled, say)
    cached = chart_cache.load(cache_key)
    if cached is not None:
        plt.close(fig)
        desk_png, phone_png = cached
    else:
        phone = phone_layout(fig)
        phone_png = _png(phone)
        plt.close(phone)
        desk_png = _png(desktop_layout(fig))
        plt.close(fig)
        chart_cache.store(cache_key, desk_png, phone_png)
    data, meta = _payload(desk_png, phone_png, alt)
    display({"image/png": data, "text/plain": f"<Figure: {alt}>"}, raw=True, metadata={"image/png": meta})


def _payload(desk_png: bytes, phone_png: bytes, alt: str) -> tuple[str, dict]:
    """The `image/png` data (base64) and metadata `show` displays for the two PNGs, read from the PNGs alone.

    Why from the PNGs alone: a cached chart (helpers.plots.chart_cache) then gives exactly what a
    fresh render gives.
    """
    from PIL import Image

    with Image.open(io.BytesIO(desk_png)) as im:
        width, height = im.size
        desk_font = float(im.text[META_MIN_FONT])
    with Image.open(io.BytesIO(phone_png)) as im:
        phone_size = im.size
    css_width = width // SCALE
    # below this window width the desktop image would be shrunk under MIN_FONT_PX: serve the phone layout
    # (40 px: the page's side padding)
    phone_below = math.ceil(css_width * MIN_FONT_PX / (desk_font / SCALE)) + 40
    data = base64.b64encode(desk_png).decode("ascii")
    meta = {"alt": alt, "width": css_width, "height": height // SCALE,
            "phone": {"png": base64.b64encode(phone_png).decode("ascii"), "width": phone_size[0] // SCALE,
                      "height": phone_size[1] // SCALE, "max_viewport": phone_below}}
    return data, meta
