"""The collection's chart theme: titles, units, source lines, annotations, alt text.

Every figure a reader sees names where its data come from (`source_line`) and
carries alt text (`show`), so a chart read on its own, or by a screen reader,
still says what it shows and on whose figures.
"""
from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")  # headless under papermill; JupyterLab's inline backend still shows via show()
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

PALETTE = {
    "mining": "#1b6ca8",
    "smelting": "#d1495b",
    "magnets": "#2e8b57",
    "magnets_us": "#e07a1f",
    "rare_earths": "#6a4c93",
    "forecast": "#7f7f7f",
    "event": "#444444",
    "claim": "#c0392b",
}
FIGSIZE = (9.0, 4.6)
DPI = 100


def set_theme() -> None:
    """Seaborn whitegrid, one font size, figures sized for a 1280 px page."""
    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.95)
    plt.rcParams.update({
        "figure.figsize": FIGSIZE,
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "axes.titleweight": "bold",
        "axes.titlesize": 12,
        "axes.titlelocation": "left",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "svg.hashsalt": "rare-earth-notebooks",
    })


def thousands(ax, axis: str = "y") -> None:
    """Tick labels like 120,000 rather than 1.2e5."""
    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def month_axis(ax) -> None:
    """Month ticks as 'Jan 2025', every few months so labels never collide."""
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    for label in ax.get_xticklabels():
        label.set_rotation(0)


def titles(ax, title: str, ylabel: str, xlabel: str = "", subtitle: str | None = None) -> None:
    """Title (with an optional one-line subtitle) and axis labels with units."""
    ax.set_title(title if not subtitle else f"{title}\n", loc="left")
    if subtitle:
        ax.text(0, 1.02, subtitle, transform=ax.transAxes, fontsize=9.5, color="#444444", va="bottom")
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)


def source_line(fig, text: str, width: int = 150) -> None:
    """'Source: ...' in small grey type under the plot, wrapped, never over the axis labels."""
    import textwrap

    ax = fig.axes[0]
    wrapped = "\n".join(textwrap.wrap(f"Source: {text}", width=width))
    ax.annotate(wrapped, xy=(0, 0), xycoords="axes fraction", xytext=(-40, -48), textcoords="offset points",
                fontsize=7.5, color="#555555", ha="left", va="top", annotation_clip=False)


def annotate_value(ax, x, y, label: str, color: str = PALETTE["claim"], offset=(0, 18)) -> None:
    """Mark an article's number where it falls on the chart."""
    ax.scatter([x], [y], s=40, color=color, zorder=5)
    ax.annotate(label, xy=(x, y), xytext=offset, textcoords="offset points", ha="center", fontsize=9,
                color=color, arrowprops={"arrowstyle": "-", "color": color, "lw": 0.8})


def mark_event(ax, x, label: str, color: str = PALETTE["event"], y_frac: float = 0.7) -> None:
    """A dashed vertical line with a short label, for policy dates."""
    ax.axvline(x, color=color, ls="--", lw=1)
    ax.text(x, y_frac, f" {label}", transform=ax.get_xaxis_transform(), fontsize=8.5, color=color,
            va="top", ha="left", rotation=0, zorder=5,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1})


def figure(nrows: int = 1, ncols: int = 1, **kwargs):
    """A themed figure and axes."""
    set_theme()
    return plt.subplots(nrows, ncols, figsize=kwargs.pop("figsize", FIGSIZE), **kwargs)


def png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def show(fig, alt: str) -> None:
    """Display a figure as PNG with alt text in its output metadata, then close it.

    The site template writes the metadata's `alt` into the <img> tag; a figure
    shown without alt text is a bug, so alt is required.
    """
    if not alt or not alt.strip():
        raise ValueError("every figure needs alt text describing what it shows")
    from IPython.display import display

    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    plt.close(fig)
    display({"image/png": data, "text/plain": f"<Figure: {alt}>"}, raw=True, metadata={"image/png": {"alt": alt}})
