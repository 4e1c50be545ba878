"""Charts of the model notebooks: quota fits, forecast fan, backtest errors, slowdown test,
export rebound against its counterfactual, placebo dips. Drawn with the house theme
(``helpers.plots.theme``); re-exported by ``helpers.models`` under their old names.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from helpers import data as hdata
from helpers.models.counterfactual import Counterfactual, Rebound
from helpers.models.shock_tests import shock_events
from helpers.models.formatting import fmt_pct
from helpers.models.quota import MODEL_NAMES, _hinge_X, forecast, loglinear_fit, segmented_fit
from helpers.models.series import EXPORT_SERIES
from helpers.plots import theme as charts


# ---- quota charts ----------------------------------------------------------------------------------

def _source_line(fig, text: str) -> None:
    """charts.source_line, with the bottom margin grown to fit a long (wrapped) source text below the axis labels."""
    charts.source_line(fig, text)
    width, height = fig.get_size_inches()
    lines = math.ceil(len("Source: " + text) / (width * 16))
    extra = max(0.0, 0.15 * (lines - 3))  # a long source list makes the figure taller, not the plot smaller
    top_in = height * (1 - fig.subplotpars.top)
    fig.set_size_inches(width, height + extra)
    fig.subplots_adjust(bottom=(0.75 + 0.15 * lines) / (height + extra), top=1 - top_in / (height + extra))


def _quota_sources(history: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(history.loc[history["value"].notna(), "source_id"]))


def plot_quota_fits(history: pd.DataFrame, series: pd.Series, stage: str, level: float, breaks="fixed"):
    """Draw observed quotas (derived hollow) with the fitted log-linear and segmented trends (log scale).

    Parameters
    ----------
    history : pandas.DataFrame
        models.quota_history's table (year, value in t REO, status, source_id, used): markers and sources.
    series : pandas.Series
        The annual quota fitted, t REO by year.
    stage : {'mining', 'smelting'}
        Names the colour.
    level : float
        Interval level, share 0-1 (0.9 = 90%).
    breaks : {'fixed', 'estimated'} or tuple of int, default 'fixed'
        Break years of the segmented trend (models.resolve_breaks).

    Returns
    -------
    matplotlib.figure.Figure
        The chart, its source line citing every quota drawn.
    """
    fig, ax = charts.figure()
    color = charts.PALETTE.get(stage, "#333333")
    years = series.index.to_numpy(int)
    grid = np.arange(years.min(), years.max() + 1)
    res, x0 = loglinear_fit(series)
    ax.plot(grid, np.exp(res.predict(np.column_stack([np.ones(len(grid)), grid - x0]))), color="#7f7f7f", ls="--",
            lw=1.4, label="Log-linear trend")
    sres, sx0, used, _ = segmented_fit(series, breaks)
    ax.plot(grid, np.exp(sres.predict(_hinge_X(grid, sx0, used))), color="#222222", lw=1.4,
            label="Segmented trend" + (f" (breaks {', '.join(map(str, used))})" if used else ""))
    _scatter_status(ax, history[history["used"]], color)
    ax.set_yscale("log")
    from matplotlib.ticker import FixedLocator, NullFormatter

    vals = series.to_numpy(float)
    ticks = [v for v in (25e3, 50e3, 75e3, 100e3, 150e3, 200e3, 300e3, 400e3, 600e3) if vals.min() * 0.8 <= v <= vals.max() * 1.25]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    charts.thousands(ax)  # a module-level formatter: the figure is copied for the phone layout
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(grid.min() - 0.5, grid.max() + 0.5)
    missing = [y for y in grid if y not in set(years)]
    charts.titles(ax, f"{stage.capitalize()} quota and fitted trends", "Quota (t REO, log scale)", "Year",
                  subtitle="Missing years: " + (", ".join(map(str, missing)) if missing else "none")
                  + ". Hollow markers: derived years.")
    ax.legend(loc="upper left", fontsize=8.5)
    _source_line(fig, hdata.cite(_quota_sources(history[history["used"]])))
    return fig


def _scatter_status(ax, rows: pd.DataFrame, color: str, label_prefix: str = "Quota"):
    rep = rows[rows["status"] == "reported"]
    der = rows[rows["status"] == "derived"]
    ax.plot(rows["year"], rows["value"], color=color, lw=0, marker="", zorder=3)
    ax.scatter(rep["year"], rep["value"], color=color, s=30, zorder=4, label=f"{label_prefix} (reported)")
    if not der.empty:
        ax.scatter(der["year"], der["value"], facecolor="white", edgecolor=color, s=36, zorder=4,
                   label=f"{label_prefix} (derived)")


def plot_quota_fan(history: pd.DataFrame, series: pd.Series, stage: str, best: str, targets, level: float,
                   nc: pd.DataFrame, usgs: dict | None, breaks="fixed"):
    """Draw the history with the best model's forecast fan (50%, 80%, `level` intervals) and others' estimates.

    Parameters
    ----------
    history : pandas.DataFrame
        models.quota_history's table; undisclosed target years are marked.
    series : pandas.Series
        The annual quota, t REO by year.
    stage : {'mining', 'smelting'}
        Names the colour and the title.
    best : str
        The model with the lowest backtest error (a key of MODEL_NAMES).
    targets : sequence of int
        The years forecast.
    level : float
        The widest interval's level, share 0-1.
    nc : pandas.DataFrame
        models.nowcast's table: the other models' central estimates.
    usgs : dict or None
        models.usgs_figure's estimate (year, value, edition, source_id), drawn when its year is a target.
    breaks : {'fixed', 'estimated'} or tuple of int, default 'fixed'
        Break years of the segmented trend.

    Returns
    -------
    matplotlib.figure.Figure
        The chart.
    """
    fig, ax = charts.figure()
    color = charts.PALETTE.get(stage, "#333333")
    last = int(series.index.max())
    shown = history[history["value"].notna() & (history["year"] >= series.index.min())]
    full = series.reindex(range(int(series.index.min()), last + 1))  # missing years break the line
    ax.plot(full.index, full.to_numpy(), color=color, lw=1.2, alpha=0.6)
    _scatter_status(ax, shown, color)
    levels = sorted({0.5, 0.8, level})
    for lv, alpha in zip(reversed(levels), (0.15, 0.25, 0.35, 0.45)):
        fc = forecast(best, series, targets, lv, breaks)
        xs = np.r_[last, fc["year"].to_numpy()]
        ax.fill_between(xs, np.r_[series.iloc[-1], fc["lower"]], np.r_[series.iloc[-1], fc["upper"]],
                        color=charts.PALETTE["forecast"], alpha=alpha, lw=0, label=f"{lv:.0%} interval ({MODEL_NAMES[best]})")
    fc = forecast(best, series, targets, level, breaks)
    ax.plot(np.r_[last, fc["year"]], np.r_[series.iloc[-1], fc["mean"]], color="#333333", lw=1.6, ls="--",
            label=f"Forecast: {MODEL_NAMES[best]}")
    markers = {"naive": "s", "loglinear": "^", "segmented": "D", "holt": "v"}
    offsets = {"naive": -0.15, "loglinear": -0.05, "segmented": 0.05, "holt": 0.15}
    for m, g in nc[nc["model"] != best].groupby("model", sort=False):
        ax.scatter(g["year"] + offsets[m], g["mean"], marker=markers[m], s=26, color="#555555", zorder=5,
                   label=MODEL_NAMES[m])
    sources = _quota_sources(shown)
    if usgs is not None and usgs["year"] in set(int(t) for t in targets):
        charts.annotate_value(ax, usgs["year"], usgs["value"], f"USGS {usgs['edition']}: {usgs['value']:,.0f} t\n(estimate, not a quota)",
                              offset=(-70, -40))
        sources.append(usgs["source_id"])
    und = history[(history["status"] == "undisclosed") & history["year"].isin(list(targets))]
    for y in und["year"]:
        ax.text(y, 0.03, "issued,\nundisclosed", transform=ax.get_xaxis_transform(), ha="center", fontsize=8, color="#444444")
    ax.set_ylim(bottom=0)
    charts.thousands(ax)
    ax.set_xlim(series.index.min() - 0.5, max(targets) + 0.7)
    charts.titles(ax, f"{stage.capitalize()} quota: history and forecast to {max(targets)}", "Quota (t REO)", "Year",
                  subtitle=f"Fan: {MODEL_NAMES[best]} (lowest backtest error). Grey markers: other models' central estimates.")
    ax.legend(loc="upper left", fontsize=7.5, ncol=2)
    _source_line(fig, hdata.cite(sources) + ". Forecasts: this project's models.")
    return fig


def plot_backtest(bt: pd.DataFrame, history: pd.DataFrame, stage: str):
    """Draw the percent error of each model's forecasts by target year, one panel per horizon (1 and 2 years).

    Parameters
    ----------
    bt : pandas.DataFrame
        models.backtest's table (model, target, h, errors).
    history : pandas.DataFrame
        models.quota_history's table, for the source line.
    stage : {'mining', 'smelting'}
        Names the title and the segmented model's colour.

    Returns
    -------
    matplotlib.figure.Figure
        The chart.
    """
    fig, axes = charts.figure(1, 2, figsize=(10, 4.4), sharey=True)
    markers = {"naive": "s", "loglinear": "^", "segmented": "D", "holt": "v"}
    colors = {"naive": "#111111", "loglinear": "#7f7f7f", "segmented": charts.PALETTE.get(stage, "#1b6ca8"),
              "holt": "#e07a1f"}
    for ax, h in zip(axes, (1, 2)):
        part = bt[bt["h"] == h]
        for m, g in part.groupby("model", sort=False):
            ax.plot(g["target"], g["error"] / g["actual"] * 100, marker=markers[m], color=colors[m], lw=1,
                    label=MODEL_NAMES[m])
        if part.empty:  # a short window leaves no target this far ahead: say so, not an empty frame
            ax.text(0.5, 0.5, "no forecast this far ahead\nin this window", transform=ax.transAxes, ha="center",
                    va="center", fontsize=9, color="#444444")
        ax.axhline(0, color="#444444", lw=0.8)
        ax.set_title(f"{h} year{'s' if h > 1 else ''} ahead", loc="left", fontsize=11)
        ax.set_xlabel("Target year")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years, never 2022.5
    axes[0].set_ylabel("Forecast error (% of actual quota)")
    # beside the panels, so it never covers a forecast
    # (one entry per model from either panel: the 2-year panel is empty on a short window)
    handles, labels = [], []
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    if labels:
        axes[1].legend(handles, labels, fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    fig.suptitle(f"Backtest: how far each model's {stage} forecasts missed", x=0.01, ha="left", fontweight="bold", fontsize=12)
    _source_line(fig, hdata.cite(_quota_sources(history[history["used"]])) + ". Errors: this project's backtest.")
    return fig


def plot_slowdown(series: pd.Series, result: dict, stage: str, history: pd.DataFrame):
    """Draw the trend of fit_first..fit_last extended to the test year, its prediction interval and the actual value.

    Parameters
    ----------
    series : pandas.Series
        The annual quota, t REO by year.
    result : dict
        models.slowdown_test's result (fit_first, fit_last, test_year, trend_rate, predicted, lower, upper,
        actual, level).
    stage : {'mining', 'smelting'}
        Names the colour.
    history : pandas.DataFrame
        models.quota_history's table: markers and sources.

    Returns
    -------
    matplotlib.figure.Figure
        The chart.
    """
    fig, ax = charts.figure(figsize=(8, 4.4))
    color = charts.PALETTE.get(stage, "#333333")
    f0, f1, ty = result["fit_first"], result["fit_last"], result["test_year"]
    window = series[(series.index >= f0) & (series.index <= ty)]
    rows = history[history["used"] & history["year"].between(f0, ty)]
    _scatter_status(ax, rows, color)
    grid = np.arange(f0, ty + 1)
    ax.plot(grid, result["predicted"] / (1 + result["trend_rate"]) ** (ty - grid), color="#333333", ls="--", lw=1.3,
            label=f"{f0}-{f1} trend ({fmt_pct(result['trend_rate'])} a year)")
    ax.errorbar([ty], [result["predicted"]], yerr=[[result["predicted"] - result["lower"]],
                                                  [result["upper"] - result["predicted"]]],
                fmt="o", color="#7f7f7f", capsize=5, label=f"{ty} predicted, {result['level']:.0%} interval")
    charts.annotate_value(ax, ty, result["actual"], f"{ty} actual: {result['actual']:,.0f} t", color=color, offset=(-60, 10))
    ax.set_xticks(grid)
    charts.thousands(ax)
    charts.titles(ax, f"Did {ty} fall below the {f0}-{f1} trend?", "Quota (t REO)", "Year")
    ax.legend(loc="upper left", fontsize=8.5)
    _source_line(fig, hdata.cite(list(dict.fromkeys(rows["source_id"]))) + ". Trend: this project's OLS fit.")
    return fig


# =========================================================================== export shock models

# ---- export charts -----------------------------------------------------------------------------------

def _export_sources(hist: pd.DataFrame, months) -> list[str]:
    ids = hist.loc[hist.index.isin(months), "source_id"]
    return [s for s in dict.fromkeys(ids) if s]


def plot_rebound(hist: pd.DataFrame, cf: Counterfactual, its: dict, key: str, rb: Rebound | None = None,
                 combined: pd.DataFrame | None = None, second: pd.Period | None = None):
    """Draw actual monthly exports against the counterfactual band; derived months hollow, missing months marked.

    Months after the counterfactual's end (a `second` event under way) are drawn, shaded, without a
    counterfactual. A multi-month total in `combined` is a dashed bar across its months at the total
    divided by its months, labelled as a two-month average (never two values).

    Parameters
    ----------
    hist : pandas.DataFrame
        models.export_history's monthly table (value in t, status, source_id) by month.
    cf : Counterfactual
        The fitted counterfactual (its band and fit window).
    its : dict
        models.interrupted_time_series's result; its fitted line is drawn when ``estimable``.
    key : str
        The series, a key of EXPORT_SERIES (label, colour).
    rb : Rebound, optional
        The rebound result: marks the trough.
    combined : pandas.DataFrame, optional
        Multi-month totals (period_start, period_end, value, used).
    second : pandas.Period, optional
        The month a second event began.

    Returns
    -------
    matplotlib.figure.Figure
        The chart.
    """
    fig, ax = charts.figure(figsize=(9.5, 4.8))
    spec = EXPORT_SERIES[key]
    color = charts.PALETTE[spec["color"]]
    fr = cf.frame
    months = pd.period_range(fr.index.min(), max(fr.index.max(), hist.index.max()), freq="M")
    x = months.to_timestamp()
    xf = fr.index.to_timestamp()
    ax.fill_between(xf[fr["part"] == "post"], fr.loc[fr["part"] == "post", "lower"], fr.loc[fr["part"] == "post", "upper"],
                    color=charts.PALETTE["forecast"], alpha=0.25, lw=0, label=f"Counterfactual, {cf.level:.0%} interval")
    ax.plot(xf, fr["mean"], color="#555555", ls="--", lw=1.3, label=f"Counterfactual ({cf.kind}, fitted before the shock)")
    if its.get("estimable"):
        ax.plot(its["fitted"].index.to_timestamp(), its["fitted"].to_numpy(), color="#999999", lw=1, ls=":",
                label="Interrupted time series fit")
    h = hist.reindex(months)
    ax.plot(x, h["value"].to_numpy(float), color=color, lw=1.8, label=spec["label"] + " (gaps: missing months)")
    rep = (h["status"] == "reported").to_numpy()
    der = (h["status"] == "derived").to_numpy()
    ax.scatter(x[rep], h["value"].to_numpy(float)[rep], color=color, s=22, zorder=4)
    if der.any():
        ax.scatter(x[der], h["value"].to_numpy(float)[der], facecolor="white", edgecolor=color, s=34, zorder=4,
                   label="Derived month (computed from reported figures)")
    miss = (h["status"] == "missing").to_numpy()
    if miss.any():
        ax.scatter(x[miss], np.zeros(miss.sum()), marker="|", color="#c0392b", s=60, zorder=4, clip_on=False,
                   label="Missing month")
    if combined is not None and len(combined):
        c = combined[combined["used"] & (combined["period_end"] >= months.min()) & (combined["period_start"] <= months.max())]
        for i, r in enumerate(c.itertuples()):
            xs = [r.period_start.to_timestamp(), r.period_end.to_timestamp()]
            avg = r.value / r.n_months
            ax.plot(xs, [avg, avg], color=color, lw=2.2, ls=(0, (2, 1.5)), marker="s", mfc="white", ms=5, zorder=4,
                    label="Jan-Feb published as one total: bar at total / 2 (not split)" if i == 0 else None)
    sources = _export_sources(hist, months)
    if combined is not None and len(combined):
        sources += [str(i) for i in c["source_id"] if str(i) not in sources]
    if second is not None and second <= months.max():
        ax.axvspan(second.to_timestamp(), months.max().to_timestamp() + pd.Timedelta(days=15), color="#bbbbbb",
                   alpha=0.25, lw=0, label=f"From {second.strftime('%b %Y')}: second event, not compared")
    ev = shock_events(cf.shock)
    if len(ev):
        e = ev.iloc[0]
        charts.mark_event(ax, e["date"], f"{e['date'].day} {e['date'].strftime('%b %Y')}:\n{_short(e['title'])}", y_frac=0.68)
        sources.append(str(e["source_id"]))
    else:
        charts.mark_event(ax, cf.shock.to_timestamp(), f"shock {cf.shock.strftime('%b %Y')}", y_frac=0.68)
    if rb is not None and rb.point["trough"] is not None and rb.point["depth"] > 0:
        tm = cf.shock + rb.point["trough"]
        charts.annotate_value(ax, tm.to_timestamp(), cf.frame.loc[tm, "actual"],
                              f"trough: {rb.point['depth']:.0%} below\nthe counterfactual", color=color, offset=(70, 12))
    _month_ticks(ax, months)
    charts.thousands(ax)
    top = np.nanmax(np.r_[fr["upper"].to_numpy(float), h["value"].to_numpy(float)])
    ax.set_ylim(0, top * 1.45)  # room for the legend above the data
    charts.titles(ax, f"{spec['label']}: actual and counterfactual", "Exports (t per month)", "",
                  subtitle=f"Counterfactual fitted on {cf.start} to {cf.shock - 1} ({cf.n_obs} observations) and "
                           f"projected to {fr.index.max()}.")
    ax.legend(loc="upper left", fontsize=7.5, ncol=2, framealpha=0.9)
    _source_line(fig, "China customs via " + hdata.cite(sources) + ". Counterfactual: this project's model.")
    return fig


def _month_ticks(ax, months: pd.PeriodIndex) -> None:
    """Quarterly ticks for short spans, half-yearly for long ones; month over year so labels never collide."""
    import matplotlib.dates as mdates

    span = len(months)
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10) if span <= 40 else (1, 7)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))


def _short(text: str, n: int = 34) -> str:
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "..."


def plot_placebo(pl: dict, key: str, shock, hist: pd.DataFrame | None = None):
    """Draw the dip at each fake shock month (grey) and at the real shock (coloured), by month.

    A real dip that many fake months match is no evidence of a shock: the legend counts them.

    Parameters
    ----------
    pl : dict
        models.placebo_test's result (placebos table, real dip as share 0-1, window in months).
    key : str
        The series, a key of EXPORT_SERIES.
    shock : month-like
        The real shock month.
    hist : pandas.DataFrame, optional
        The monthly export table, for the source line (else a pointer to the chart above).

    Returns
    -------
    matplotlib.figure.Figure
        The chart.
    """
    fig, ax = charts.figure(figsize=(9, 4.8))
    spec = EXPORT_SERIES[key]
    color = charts.PALETTE[spec["color"]]
    fr = pl["placebos"]
    shock = pd.Period(shock, "M")
    months = pd.PeriodIndex([pd.Period(m, "M") for m in fr["fake_shock"]] + [shock], freq="M")
    if len(fr):
        ax.scatter(months[:-1].to_timestamp(), fr["dip"] * 100, color="#7f7f7f", s=26, zorder=3,
                   label=f"Fake shock months ({len(fr)})")
        above = int((fr["dip"] >= pl["real"]).sum())
        ax.axhline(pl["real"] * 100, color=color, lw=0.8, ls="--", zorder=2,
                   label=f"Real dip: {above} of {len(fr)} placebos at or above it")
    ax.scatter([shock.to_timestamp()], [pl["real"] * 100], color=color, s=70, zorder=4,
               label=f"Real shock {shock}: {pl['real']:.0%}")
    ax.axhline(0, color="#444444", lw=0.8)
    _month_ticks(ax, pd.period_range(months.min(), months.max(), freq="M"))
    lo = min([0.0] + list(fr["dip"] * 100)) - 10
    hi = max([pl["real"] * 100] + list(fr["dip"] * 100)) + 15
    ax.set_ylim(lo, hi + (hi - lo) * 0.25)
    charts.titles(ax, "Placebo test: the dip at fake shock months and at the real shock",
                  f"Shortfall below counterfactual (%)", "Shock month (fake or real)",
                  subtitle=f"Largest shortfall in the {pl['window']} months from each shock; below 0 = above the counterfactual.")
    ax.legend(loc="upper left", fontsize=8.5)
    src = "China customs via " + hdata.cite(_export_sources(hist, hist.index[hist.index < shock + pl["window"]])) \
        if hist is not None else "China customs (see the chart above)"
    _source_line(fig, src + ". Placebo: this project's test.")
    return fig


# =========================================================================== notebook-level analyses

