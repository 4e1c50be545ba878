"""The charts the articles' numbers call for, drawn from the curated data.

Each function draws one kind of chart used by more than one notebook, marks
derived values (hollow markers) apart from reported ones, and ends with a
source line naming the documents the plotted values come from. Functions
return the figure; notebooks call charts.show(fig, alt) to display it.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from helpers import data
from helpers.plots import theme as charts

STAGE_LABEL = {"mining": "Mining quota", "smelting": "Smelting and separation quota"}
SERIES_LABEL = {
    "magnets": "Rare-earth permanent magnets (HS 85051110)",
    "rare_earths": 'Customs "rare earths" (17 minerals, compounds and metals)',
    "rare_earth_products": 'Bloomberg "rare earth products" basket',
    "magnets_and_alloys": "Magnets and magnet alloys (Adamas basis)",
}


def _sources_line(source_ids: Iterable[str], prefix: str = "") -> str:
    """Publishers with dates when few, publishers alone when many (each value's document is in data/)."""
    ids = [s for s in dict.fromkeys(source_ids) if isinstance(s, str) and s]
    return prefix + data.cite(ids, dates=len(ids) <= 4)


def annual_quota_frame(stages: Sequence[str], first_year: int, last_year: int) -> pd.DataFrame:
    """Preferred annual totals per stage and year, with status and source, for charts and tables.

    One frame for `quota_chart` and the notebooks' tables, so a chart and the table beside it show
    the same rows (the preferred row per key, as helpers.data.load_quotas chooses it).

    Parameters
    ----------
    stages : sequence of str
        Quota stages (``"mining"``, ``"smelting"``), as in data/quotas.csv ``stage``.
    first_year, last_year : int
        Quota years to keep, both included.

    Returns
    -------
    pandas.DataFrame
        Columns ``stage``, ``year``, ``value`` (t REO), ``status`` (``reported``, ``derived`` or
        ``undisclosed``), ``source_id`` and ``locator``; one row per stage and year present in
        data/quotas.csv (absent years have no row).
    """
    q = data.load_quotas(part="annual", segment="total")
    q = q[q["stage"].isin(stages) & q["year"].between(first_year, last_year)]
    return q[["stage", "year", "value", "status", "source_id", "locator"]].reset_index(drop=True)


def with_growth(frame: pd.DataFrame, group: str = "stage", value: str = "value", period: str = "year") -> pd.DataFrame:
    """Add the percent change from the previous period of the same group, only where that period exists.

    A change across a gap (2023 to 2025 with 2024 missing) would read as a one-year change, so
    such rows get NaN rather than a growth figure.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per group and period; not changed.
    group : str
        Column naming the series (each gets its own changes).
    value : str
        Column of the values compared.
    period : str
        Column of integer periods (years); consecutive means a difference of exactly 1.

    Returns
    -------
    pandas.DataFrame
        A copy sorted by `group` and `period`, with ``growth_pct`` = (value / previous value - 1)
        x 100, in percent; NaN for a group's first period and after a gap.
    """
    out = frame.sort_values([group, period]).copy()
    prev_period = out.groupby(group, observed=True)[period].shift(1)
    prev_value = out.groupby(group, observed=True)[value].shift(1)
    consecutive = ((out[period] - prev_period) == 1).fillna(False).to_numpy(dtype=bool)
    out["growth_pct"] = np.where(consecutive, (out[value] / prev_value - 1).to_numpy(dtype=float) * 100, np.nan)
    return out


def quota_chart(stages: Sequence[str], first_year: int, last_year: int, title: str,
                undisclosed_year: int | None = None, label_growth: bool = False,
                annotate: dict | None = None, reference: dict | None = None):
    """Annual quota lines per stage; derived years hollow; an undisclosed year drawn as a labelled gap.

    Derived values (computed from other reported values; their formula is in data/quotas.csv) are
    drawn hollow so a reader never takes them for a published figure; a year whose quota was
    issued but not disclosed is a grey band, not a zero or an invented value.

    Parameters
    ----------
    stages : sequence of str
        Quota stages to draw, one line each (``"mining"``, ``"smelting"``).
    first_year, last_year : int
        Quota years drawn, both included; years absent from the data break the line.
    title : str
        The chart's title.
    undisclosed_year : int or None
        A year drawn as the labelled grey band (the x axis extends to it).
    label_growth : bool
        Label each point with its change from the previous year, in percent (`with_growth`);
        these labels are details the phone layout may leave out.
    annotate : dict of (int, float) to str, optional
        An article's number to mark: ``{(year, value in t REO): label}``; the label must be
        formatted from the data (helpers.narrative), never typed in.
    reference : dict of str to float, optional
        Levels an article states, drawn as dotted lines: ``{label: value in t REO}``.

    Returns
    -------
    matplotlib.figure.Figure
        The chart, with a source line naming the documents of the plotted values; show it with
        ``charts.show(fig, alt)``.
    """
    frame = with_growth(annual_quota_frame(stages, first_year, last_year))
    fig, ax = charts.figure()
    for stage in stages:
        s = frame[frame["stage"] == stage]
        color = charts.PALETTE[stage]
        years = range(first_year, last_year + 1)
        line = s.set_index(s["year"].astype(int))["value"].reindex(years)  # absent years break the line
        ax.plot(list(years), line.to_numpy(dtype=float), color=color, lw=1.8, label=STAGE_LABEL[stage])
        rep = s[s["status"] == "reported"]
        der = s[s["status"] == "derived"]
        ax.scatter(rep["year"], rep["value"], color=color, s=28, zorder=4)
        if len(der):
            ax.scatter(der["year"], der["value"], facecolor="white", edgecolor=color, s=36, zorder=4,
                       label=f"{STAGE_LABEL[stage]}: derived, not reported")
        if label_growth:
            for _, r in s.dropna(subset=["growth_pct"]).iterrows():
                ax.annotate(f"{r['growth_pct']:+.1f}%", (r["year"], r["value"]), textcoords="offset points",
                            xytext=(-16, 6 if stage == "mining" else -12), ha="right", fontsize=8, color=color,
                            gid=charts.DETAIL_GID)
    for (x, y), label in (annotate or {}).items():
        charts.annotate_value(ax, x, y, label, offset=(-150, -8))  # far left, in the empty top: nearer, it met the title and growth labels
    for label, y in (reference or {}).items():  # a level an article states, drawn for comparison
        ax.axhline(y, color=charts.PALETTE["claim"], ls=":", lw=1.2)
        ax.text(first_year - 0.5, y, f" {label}", color=charts.PALETTE["claim"], fontsize=8.5, va="bottom")
    if undisclosed_year is not None:
        ax.axvspan(undisclosed_year - 0.4, undisclosed_year + 0.4, color="#bbbbbb", alpha=0.35, lw=0)
        ax.text(undisclosed_year, 0.5, f"{undisclosed_year}:\nissued,\nvolume not\ndisclosed", transform=ax.get_xaxis_transform(),
                ha="center", va="center", fontsize=8.5, color="#333333")
    ax.set_xlim(first_year - 0.6, (undisclosed_year or last_year) + 0.6)
    ax.set_xticks(range(first_year, (undisclosed_year or last_year) + 1))
    charts.thousands(ax)
    charts.titles(ax, title, "Quota (t REO)", "Quota year")
    ax.legend(loc="upper left", fontsize=8.5, frameon=False)
    charts.source_line(fig, _sources_line(frame["source_id"]) + ". Hollow markers: derived (see data/quotas.csv).")
    return fig


def batch_chart(stage: str, part: str, years: Sequence[int], title: str, annotate: dict | None = None):
    """One batch (e.g. the first-half quota) across years, as bars; derived bars hatched.

    Parameters
    ----------
    stage : str
        Quota stage (``"mining"`` or ``"smelting"``); it also picks the colour.
    part : str
        The batch, as data/quotas.csv ``part`` (``"first_batch"``, ``"second_batch"`` ...).
    years : sequence of int
        Quota years to draw.
    title : str
        The chart's title (the finding it shows, in words; numbers in it formatted from the data).
    annotate : dict of (int, float) to str, optional
        Labels above bars: ``{(year, value in t REO): label}``, formatted from the data.

    Returns
    -------
    matplotlib.figure.Figure
        The chart; each bar labelled with its value in t, derived bars hatched and marked so.
    """
    q = data.load_quotas(stage=stage, part=part, segment="total")
    q = q[q["year"].isin(years)].sort_values("year")
    fig, ax = charts.figure()
    colors = [charts.PALETTE[stage]] * len(q)
    bars = ax.bar(q["year"].astype(str), q["value"], color=colors, width=0.6)
    for bar, (_, r) in zip(bars, q.iterrows()):
        if r["status"] == "derived":
            bar.set_hatch("//")
            bar.set_facecolor("white")
            bar.set_edgecolor(charts.PALETTE[stage])
        ax.annotate(f"{r['value']:,.0f} t" + (" (derived)" if r["status"] == "derived" else ""),
                    (bar.get_x() + bar.get_width() / 2, r["value"]), textcoords="offset points", xytext=(0, 4),
                    ha="center", fontsize=8.5)
    for (x, y), label in (annotate or {}).items():
        ax.annotate(label, (str(x), y), textcoords="offset points", xytext=(0, 22), ha="center", fontsize=9.5,
                    color=charts.PALETTE["claim"], fontweight="bold")
    charts.thousands(ax)
    ax.set_ylim(0, q["value"].max() * 1.25)
    charts.titles(ax, title, "Quota (t REO)", "Quota year")
    charts.source_line(fig, _sources_line(q["source_id"]))
    return fig


def notice_timing_chart(part: str, years: Sequence[int], title: str, highlight: int | None = None,
                        band: tuple[int, int] | None = None, band_label: str = ""):
    """When each year's quota notice came: day of the year of the notice, per quota year.

    A notice dated by a report rather than by the notice itself is hollow (it came on or just
    before that date), and a notice known only to the month is labelled with the month alone,
    never with an invented day.

    Parameters
    ----------
    part : str
        The batch whose notices are drawn, as data/events.csv ``part``.
    years : sequence of int
        Quota years to draw.
    title : str
        The chart's title (the finding it shows, in words; numbers in it formatted from the data).
    highlight : int or None
        A quota year drawn in the claim colour.
    band : tuple of (int, int), optional
        A span of days of the year (first, last) shaded behind the points.
    band_label : str
        The band's label, written inside it.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The chart.
    events : pandas.DataFrame
        The first ``quota_notice`` event per quota year (data/events.csv columns plus ``day``, the
        day of the year), for the notebook's table and narrative.
    """
    ev = data.load_events(kind="quota_notice")
    ev = ev[(ev["part"] == part) & ev["quota_year"].isin(years)].copy()
    ev["day"] = ev["date"].dt.day_of_year
    ev = ev.sort_values(["quota_year", "date"]).groupby("quota_year", as_index=False).first()
    fig, ax = charts.figure(figsize=(9, 3.8))
    if band:
        ax.axvspan(*band, color="#e8eef6", lw=0)
        ax.text(band[0] + 2, 0.02, band_label, transform=ax.get_xaxis_transform(), fontsize=8.5, color="#1b4f8a",
                va="bottom")  # inside the band: above the axes it ran into the title
    for _, r in ev.iterrows():
        color = charts.PALETTE["claim"] if r["quota_year"] == highlight else charts.PALETTE["mining"]
        hollow = r["date_basis"] == "report"
        ax.scatter(r["day"], str(r["quota_year"]), s=60, zorder=4, color=color if not hollow else "white",
                   edgecolor=color, linewidth=1.5)
        # a notice known only to the month is labelled as such, never with an invented day
        when = (r["date"].strftime("%b %Y") + " (month only)" if r["precision"] == "month"
                else r["date"].strftime("%d %b %Y"))
        ax.annotate(when, (r["day"], str(r["quota_year"])), textcoords="offset points",
                    xytext=(8, -3), fontsize=8.5)
    month_starts = pd.date_range("2001-01-01", periods=12, freq="MS")
    ax.set_xticks(month_starts.day_of_year, month_starts.strftime("%b"))
    ax.set_xlim(0, 366)
    charts.titles(ax, title, "Quota year", "Date of the notice (day of the year)")
    charts.source_line(fig, _sources_line(ev["source_id"]) + ". Hollow: dated by the report, the notice came on or just before.")
    return fig, ev


# the word a chart's event label adds to the date, by events.csv `kind`
EVENT_WORD = {"tariff": " tariffs", "export_control": " export licences", "diplomacy": " call"}


def monthly_chart(series: str, partner: str, start: str, end: str, title: str,
                  events: Sequence[str] = (), annotate: dict | None = None, ylabel: str = "Exports (t)",
                  extra: Sequence[tuple[str, str, str]] = ()):
    """Monthly exports as a line with markers; absent months are gaps, derived months hollow.

    A month with no figure in the data stays a gap so the line never suggests a value no source
    gives.

    Parameters
    ----------
    series : str
        The export series, as data/exports.csv ``series`` (``"magnets"`` is HS 85051110).
    partner : str
        Destination (``"World"``, ``"United States"`` ...), as data/exports.csv ``partner``.
    start, end : str
        First and last month drawn, ``"YYYY-MM"``, both included.
    title : str
        The chart's title.
    events : sequence of str
        data/events.csv ``event_id`` values marked as dated vertical lines.
    annotate : dict of (str, float) to str, optional
        An article's number to mark: ``{("YYYY-MM", value): label}``, formatted from the data.
    ylabel : str
        The y axis label, with its unit.
    extra : sequence of (str, str, str)
        More lines on the same axes: ``(series, partner, legend label)`` each.

    Returns
    -------
    matplotlib.figure.Figure
        The chart, with a source line (China customs via the documents of the plotted values).

    Raises
    ------
    KeyError
        When an id in `events` is not in data/events.csv.
    """
    fig, ax = charts.figure()
    sources: list[str] = []
    lines = [(series, partner, SERIES_LABEL.get(series, series) + ("" if partner == "World" else f", to the {partner}"))]
    lines += list(extra)
    for ser, part, label in lines:
        rows = data.load_exports(series=ser, partner=part, period_kind="month")
        rows = rows[(rows["period_end"] >= pd.Period(start, "M")) & (rows["period_end"] <= pd.Period(end, "M"))]
        full = pd.period_range(start, end, freq="M")
        s = pd.Series(rows["value"].to_numpy(), index=pd.PeriodIndex(rows["period_end"], freq="M")).reindex(full)
        x = full.to_timestamp()
        color = charts.PALETTE["magnets_us"] if part == "United States" else charts.PALETTE.get(ser, "#333333")
        ax.plot(x, s.to_numpy(), color=color, lw=1.8, label=label)
        status = pd.Series(rows["status"].astype(str).to_numpy(), index=pd.PeriodIndex(rows["period_end"], freq="M")).reindex(full)
        rep = status == "reported"
        der = status == "derived"
        ax.scatter(x[rep.to_numpy()], s[rep].to_numpy(), color=color, s=22, zorder=4)
        if der.any():
            ax.scatter(x[der.to_numpy()], s[der].to_numpy(), facecolor="white", edgecolor=color, s=30, zorder=4,
                       label=f"{label.split(' (')[0]}: derived month")
        sources += list(rows["source_id"])
    ev = data.load_events()
    for i, event_id in enumerate(events):
        row = ev[ev["event_id"] == event_id]
        if row.empty:
            raise KeyError(f"unknown event_id {event_id!r} in data/events.csv")
        r = row.iloc[0]
        # one row per event, later ones higher (the data are higher after a rebound), so labels of
        # events days apart (2 and 4 April 2025) never overprint
        label = r["date"].strftime("%-d %b") + EVENT_WORD.get(str(r["kind"]), "")
        charts.mark_event(ax, r["date"], label, y_frac=0.72 + 0.07 * i)
        sources.append(r["source_id"])
    for (month, y), label in (annotate or {}).items():
        charts.annotate_value(ax, pd.Period(month, "M").to_timestamp(), y, label, offset=(0, 20))
    charts.month_axis(ax)
    charts.thousands(ax)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.3)
    charts.titles(ax, title, ylabel, "")
    ax.legend(loc="upper left", ncol=2, fontsize=8, frameon=True, framealpha=0.9)
    missing = "Gaps: months with no figure in the data." 
    charts.source_line(fig, _sources_line(sources, "China customs via ") + f". {missing} Hollow markers: derived.")
    return fig


def compare_bars(labels: Sequence[str], values: Sequence[float], title: str, ylabel: str, source_ids: Iterable[str],
                 notes: Sequence[str] | None = None, colors: Sequence[str] | None = None, fmt: str = "{:,.0f}"):
    """A few bars compared side by side, each labelled with its value (and an optional note).

    Parameters
    ----------
    labels : sequence of str
        The bars' names, left to right.
    values : sequence of float
        The bars' heights, in the unit of `ylabel`; computed from data/, never typed in.
    title : str
        The chart's title.
    ylabel : str
        The y axis label, with its unit.
    source_ids : iterable of str
        data/sources.csv ids of the documents behind the values, cited in the source line.
    notes : sequence of str, optional
        A second label line per bar ("" or None for none).
    colors : sequence of str, optional
        One colour per bar (default: the magnets colour for all).
    fmt : str
        Format of the value labels (`str.format`), thousands separated by default.

    Returns
    -------
    matplotlib.figure.Figure
        The chart.
    """
    fig, ax = charts.figure(figsize=(8, 4.2))
    colors = list(colors or [charts.PALETTE["magnets"]] * len(labels))
    bars = ax.bar(list(labels), list(values), color=colors, width=0.55)
    for i, bar in enumerate(bars):
        text = fmt.format(values[i])
        if notes and notes[i]:
            text += f"\n{notes[i]}"
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), textcoords="offset points",
                    xytext=(0, 3), ha="center", va="bottom", fontsize=9)
    ax.set_ylim(0, max(values) * 1.3)
    charts.thousands(ax)
    charts.titles(ax, title, ylabel, "")
    charts.source_line(fig, _sources_line(source_ids))
    return fig


def split_chart(part: str, years: Sequence[int], title: str, stage: str = "mining"):
    """Light versus medium-heavy quota for one batch in two or more years, with the change of each.

    The change printed is from the second-to-last year to the last, in percent, per segment.

    Parameters
    ----------
    part : str
        The batch, as data/quotas.csv ``part``; also the legend's title.
    years : sequence of int
        Quota years to compare, one bar per segment and year.
    title : str
        The chart's title.
    stage : str
        Quota stage, as data/quotas.csv ``stage``.

    Returns
    -------
    matplotlib.figure.Figure
        The chart.

    Raises
    ------
    ValueError
        When data/quotas.csv has no light or medium-heavy row for that stage, batch and years.
    """
    q = data.load_quotas(stage=stage, part=part)
    q = q[q["year"].isin(years) & q["segment"].isin(["light", "medium_heavy"])]
    if q.empty:
        raise ValueError(f"no light/medium-heavy split in data/quotas.csv for {stage} {part} {list(years)}")
    wide = q.pivot_table(index="segment", columns="year", values="value", observed=True).reindex(["light", "medium_heavy"])
    fig, ax = charts.figure(figsize=(8, 4.2))
    yrs = list(wide.columns)
    width = 0.8 / len(yrs)
    shades = ["#9ecae1", "#1b6ca8", "#08306b"]
    for i, y in enumerate(yrs):
        xs = np.arange(len(wide)) + (i - (len(yrs) - 1) / 2) * width
        ax.bar(xs, wide[y].to_numpy(dtype=float), width=width * 0.95, color=shades[i % 3], label=str(y))
        for x, v in zip(xs, wide[y]):
            if v == v:
                ax.annotate(f"{v:,.0f}", (x, v), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=8.5)
    if len(yrs) >= 2:
        for j, seg in enumerate(wide.index):
            a, b = wide.loc[seg, yrs[-2]], wide.loc[seg, yrs[-1]]
            if a == a and b == b:
                ax.annotate(f"{(b / a - 1) * 100:+.1f}%", (j, max(a, b)), textcoords="offset points", xytext=(0, 18),
                            ha="center", fontsize=10, fontweight="bold", color=charts.PALETTE["claim"])
    ax.set_xticks(range(len(wide)), ["Light (rock-type)", "Medium-heavy (ion-adsorption)"])
    ax.set_ylim(0, np.nanmax(wide.to_numpy(dtype=float)) * 1.3)
    ax.legend(title=part.replace("_", " "), fontsize=8.5, frameon=False)
    charts.thousands(ax)
    charts.titles(ax, title, "Quota (t REO)", "")
    charts.source_line(fig, _sources_line(q["source_id"]))
    return fig
