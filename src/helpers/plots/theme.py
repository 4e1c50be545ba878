"""The collection's chart theme: titles, units, source lines, annotations, alt text.

Every figure a reader sees names where its data come from (`source_line`) and
carries alt text (`show`), so a chart read on its own, or by a screen reader,
still says what it shows and on whose figures.

The page layout (desktop and phone layouts, overlap checks) lives in `helpers.plots.layout`,
the PNG output and `show` in `helpers.plots.output`; their public names are re-exported here, so ``charts.show``,
``charts.png_bytes``, ``charts.META_MIN_FONT`` and the rest keep working.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless under papermill; JupyterLab's inline backend still shows via show()
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from helpers.plots.layout import (  # noqa: E402, F401 - re-exported: the historical helpers.charts names
    DESKTOP_MIN_PT,
    DETAIL_GID,
    DETAIL_NOTE,
    DPI,
    LEGEND_PLACES,
    MIN_FONT_PX,
    PHONE_MAX_PT,
    PHONE_MIN_PT,
    PHONE_WIDTH_IN,
    SCALE,
    SOURCE_GID,
    SUBTITLE_GID,
    _fit_title,
    desktop_layout,
    overlaps,
    phone_layout,
)
from helpers.plots.output import META_MIN_FONT, META_OVERLAPS, png_bytes, show  # noqa: E402, F401 - re-exported

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


def _thousands(v, _pos=None) -> str:
    return f"{v:,.0f}"


def thousands(ax, axis: str = "y") -> None:
    """Tick labels like 120,000 rather than 1.2e5 (a module-level formatter, so figures can be copied).

    The formatter is a module-level function, not a lambda, because `phone_layout` copies the
    figure with pickle, which cannot copy a lambda.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes whose tick labels change.
    axis : {"y", "x"}
        Which axis; anything but ``"y"`` means x.
    """
    fmt = FuncFormatter(_thousands)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def month_axis(ax) -> None:
    """Month ticks as 'Jan 2025', every few months so labels never collide.

    Ticks fall on January, April, July and October (quarter starts); `desktop_layout` and
    `phone_layout` drop every other tick while neighbouring labels still touch.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes whose x axis holds dates.
    """
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    for label in ax.get_xticklabels():
        label.set_rotation(0)



def titles(ax, title: str, ylabel: str, xlabel: str = "", subtitle: str | None = None) -> None:
    """Title (with an optional subtitle under it) and axis labels with units.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes to label.
    title : str
        The title, left-aligned, bold.
    ylabel : str
        The y axis label, with its unit (``"Quota (t REO)"``).
    xlabel : str
        The x axis label; "" for none.
    subtitle : str or None
        A line (or lines) in grey under the title; the title is lifted to clear it.
    """
    ax.set_title(title, loc="left")
    if subtitle:
        sub = ax.annotate(subtitle, xy=(0, 1), xycoords="axes fraction", xytext=(0, 5), textcoords="offset points",
                          fontsize=9.5, color="#444444", va="bottom", ha="left", annotation_clip=False)
        sub.set_gid(SUBTITLE_GID)
        _fit_title(ax)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)



def source_line(fig, text: str, width: int = 150) -> None:
    """'Source: ...' in small grey type under the plot, wrapped, never over the axis labels.

    Every chart names where its data come from, so a chart read on its own (copied, or seen in a
    feed) still says on whose figures it rests. `show` later moves the line below the axis labels
    and legend.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; the line is attached to its first axes.
    text : str
        What follows "Source: " (helpers.data.cite builds it from data/sources.csv).
    width : int
        Wrap width in characters; `show` re-wraps the line to the figure's width when it moves it.
    """
    import textwrap

    ax = fig.axes[0]
    wrapped = "\n".join(textwrap.wrap(f"Source: {text}", width=width))
    note = ax.annotate(wrapped, xy=(0, 0), xycoords="axes fraction", xytext=(-40, -48), textcoords="offset points",
                       fontsize=DESKTOP_MIN_PT, color="#555555", ha="left", va="top", annotation_clip=False)
    note.set_gid(SOURCE_GID)  # show() moves it below the axis labels and legend, whatever their size


def annotate_value(ax, x, y, label: str, color: str = PALETTE["claim"], offset=(0, 18)) -> None:
    """Mark an article's number where it falls on the chart.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes to draw on.
    x, y : object
        The point, in data coordinates (a year, a date, a category ...).
    label : str
        The text, formatted from the data (helpers.narrative), never typed in.
    color : str
        Marker, arrow and text colour (default: the claim colour).
    offset : tuple of (float, float)
        Where the label sits relative to the point, in points; `show` may move it vertically
        so it overlaps no other text.
    """
    ax.scatter([x], [y], s=40, color=color, zorder=5)
    ax.annotate(label, xy=(x, y), xytext=offset, textcoords="offset points", ha="center", fontsize=9,
                color=color, arrowprops={"arrowstyle": "-", "color": color, "lw": 0.8})


def mark_event(ax, x, label: str, color: str = PALETTE["event"], y_frac: float = 0.7) -> None:
    """A dashed vertical line with a short label, for policy dates.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes to draw on.
    x : object
        The event's place on the x axis (a date on a monthly chart).
    label : str
        Short text beside the line (the date and what happened).
    color : str
        Line and text colour.
    y_frac : float
        Top of the label as a fraction of the axes' height (0 bottom, 1 top); give events that
        fall close together different heights so their labels do not overprint.
    """
    ax.axvline(x, color=color, ls="--", lw=1)
    ax.text(x, y_frac, f" {label}", transform=ax.get_xaxis_transform(), fontsize=8.5, color=color,
            va="top", ha="left", rotation=0, zorder=5,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1})


def figure(nrows: int = 1, ncols: int = 1, **kwargs):
    """A themed figure and axes.

    Parameters
    ----------
    nrows, ncols : int
        Panels down and across.
    **kwargs
        Passed to `matplotlib.pyplot.subplots`; ``figsize`` (in inches) defaults to FIGSIZE,
        9 x 4.6 in: 900 CSS px wide on a desktop page at DPI 100 px per inch.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.
    ax : matplotlib.axes.Axes or numpy.ndarray of Axes
        As `matplotlib.pyplot.subplots` returns them.
    """
    set_theme()
    return plt.subplots(nrows, ncols, figsize=kwargs.pop("figsize", FIGSIZE), **kwargs)
