"""A laid-out chart as the page shows it: PNG with readability metadata, and `show` for notebook cells.

Each PNG carries its smallest text and any text overlaps in its metadata (`png_bytes`), so the
site's tests can tell an unreadable chart from the image alone; `show` puts out the desktop and
the phone image with the figure's alt text. Re-exported by `helpers.plots.theme`.
"""
from __future__ import annotations

import base64
import io
import math

import matplotlib

matplotlib.use("Agg")  # headless under papermill; JupyterLab's inline backend still shows via show()
import matplotlib.pyplot as plt  # noqa: E402

from helpers.plots.layout import DPI, MIN_FONT_PX, SCALE, _texts, desktop_layout, overlaps, phone_layout  # noqa: E402

# Metadata keys written into every PNG (read by the site's readability test)
META_MIN_FONT = "rek-min-font-px"  # smallest text in the image, in image px
META_OVERLAPS = "rek-overlaps"  # text boxes that overlap one another or leave the image, "" when none


def _min_font_px(fig, dpi: float) -> float:
    sizes = [t.get_fontsize() for t in _texts(fig)]
    return round(min(sizes) * dpi / 72, 2) if sizes else 0.0


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
    from PIL import Image

    dpi = DPI * scale
    meta = {META_MIN_FONT: f"{_min_font_px(fig, dpi):.2f}", META_OVERLAPS: "; ".join(overlaps(fig))}
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08,
                metadata={"Software": None, **meta})
    # 256-colour palette: the charts use a few flat colours, and the file is a third of the RGBA size
    with Image.open(io.BytesIO(buf.getvalue())) as im:
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        for k, v in meta.items():
            info.add_text(k, v)
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        out = io.BytesIO()
        small.save(out, format="PNG", optimize=True, pnginfo=info, dpi=(dpi, dpi))
    return out.getvalue()


def show(fig, alt: str) -> None:
    """Display a figure as PNG (2x) with alt text in its output metadata, then close it.

    Two layouts go out: the desktop figure as `image/png`, and a copy laid out for phones
    (`phone_layout`) as base64 under the metadata key `phone`; the site serves the phone image
    to narrow screens. The site template writes the metadata's `alt` into the <img> tag; a
    figure shown without alt text is a bug, so alt is required.

    The site switches to the phone image below the window width at which the desktop image,
    shrunk to fit, would show text under MIN_FONT_PX (plus 40 px of page padding).

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

    phone = phone_layout(fig)
    phone_png = png_bytes(phone)
    plt.close(phone)
    desk_png = png_bytes(desktop_layout(fig))
    plt.close(fig)
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
    display({"image/png": data, "text/plain": f"<Figure: {alt}>"}, raw=True, metadata={"image/png": meta})
