"""The findings text of the model notebooks: data notes, tables and verdicts written from a
`QuotaResult` or `ReboundResult`. Part of ``helpers.models``.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from helpers.models.counterfactual import Counterfactual
from helpers.models.formatting import _months_text, _ranges, fmt_interval, fmt_pct, fmt_t
from helpers.models.quota import MODEL_NAMES, REGIME_BREAKS
from helpers.models.record import quota_numbers, rebound_numbers, records
from helpers.models.results import QuotaResult, ReboundResult
from helpers.models.series import MIN_OBS


def quota_data_note(history: pd.DataFrame, first_year: int, last_year: int, use_derived: bool) -> str:
    """Say which years exist in the window, which are derived or missing, and how each model treats them.

    A reader must know that no model fills a gap before trusting a fitted trend.

    Parameters
    ----------
    history : pandas.DataFrame
        A quota_history table.
    first_year, last_year : int
        The fitted window, both included.
    use_derived : bool
        Whether derived years are fitted.

    Returns
    -------
    str
        Markdown bullets.
    """
    window = history[history["year"].between(first_year, last_year)]
    have = window[window["value"].notna()]
    years_with_value = set(have["year"])
    lo = int(have["year"].min()) if len(have) else first_year
    missing = [y for y in range(lo, last_year + 1) if y not in years_with_value]
    derived = have[have["status"] == "derived"]["year"].tolist()
    used = history[history["used"]]["year"].tolist()
    und = history[history["status"] == "undisclosed"]["year"].tolist()
    lines = [f"- **Fitted:** {len(used)} years ({_ranges(used)}).",
             f"- **Missing** (no published annual total between {lo} and {last_year}): {_ranges(missing)}. "
             "No model fills them in: the trend regressions simply have no row for them, the naive model measures "
             "its drift over the years that exist (a change over k years counts as k steps), and Holt's model "
             "passes over them as missing observations in its Kalman filter.",
             f"- **Derived** (computed from other published figures, see data/quotas.csv): {_ranges(derived)}; "
             + ("fitted like reported years, shown hollow in the charts." if use_derived else
                "left out of every fit because use_derived is False.")]
    if und:
        lines.append(f"- **Issued but undisclosed:** {_ranges(und)}: a quota exists but its volume was never "
                     "published, which is what the nowcast below estimates.")
    if lo > first_year:
        lines.append(f"- The window starts in {first_year}, but the first annual total in the data is {lo}.")
    return "\n".join(lines)


def growth_table(r: QuotaResult) -> pd.DataFrame:
    """Annual growth by model (naive drift, log-linear, each segment) with its confidence interval.

    Parameters
    ----------
    r : QuotaResult

    Returns
    -------
    DataFrame
        Columns model, period, annual growth (percent, signed) and the interval.
    """
    lv = f"{r.level:.0%} confidence interval"
    g = r.growth
    rows = [{"model": MODEL_NAMES["naive"], "period": f"{r.naive['last_year'] - r.naive['span']}-{r.naive['last_year']}",
             "annual growth": fmt_pct(math.expm1(r.naive["drift"])), lv: "(drift only, no interval)"},
            {"model": MODEL_NAMES["loglinear"], "period": f"{g['first']}-{g['last']}", "annual growth": fmt_pct(g["rate"]),
             lv: fmt_interval(g["lower"], g["upper"], fmt=fmt_pct)}]
    for _, s in r.segments.iterrows():
        rows.append({"model": MODEL_NAMES["segmented"], "period": s["segment"], "annual growth": fmt_pct(s["rate"]),
                     lv: fmt_interval(s["lower"], s["upper"], fmt=fmt_pct)})
    return pd.DataFrame(rows)


@records(quota_numbers)  # the same findings as data (helpers.models.record)
def quota_findings(r: QuotaResult) -> list[str]:
    """The findings box of quota_growth.ipynb: each finding with its number and interval.

    The numbers go with the text as a findings record (``records(quota_numbers)``).

    Parameters
    ----------
    r : QuotaResult

    Returns
    -------
    list of str
        A `Bullets` list.
    """
    lvl = f"{r.level:.0%}"
    g = r.growth
    seg = r.segments.iloc[-1]
    out = [f"**Average growth {g['first']}-{g['last']}:** {fmt_pct(g['rate'])} a year "
           f"({lvl} confidence interval {fmt_pct(g['lower'])} to {fmt_pct(g['upper'])}; log-linear trend, HAC errors, "
           f"{g['n']} observed years).",
           f"**Growth in the latest segment ({seg['segment']}):** {fmt_pct(seg['rate'])} a year "
           f"({lvl} CI {fmt_pct(seg['lower'])} to {fmt_pct(seg['upper'])}; segmented trend)."]
    s = r.slowdown
    out.append(f"**Slowdown test:** {s['verdict']}.")
    sc = r.scores
    allh = sc[sc["h"] == "all"]
    beat = [MODEL_NAMES[m] for m in allh[allh["verdict"] == "beats naive"]["model"]]
    lose = [MODEL_NAMES[m] for m in allh[allh["verdict"].str.startswith("does not")]["model"]]
    n = int(allh[allh["model"] == "naive"]["n"].iloc[0]) if len(allh) else 0
    best = r.best
    brow = allh[allh["model"] == best].iloc[0] if len(allh) else None
    out.append(f"**Backtest against the naive baseline** ({n} forecasts, 1 and 2 years ahead): "
               + (f"beat it: {', '.join(beat)}; " if beat else "no model beat it; ")
               + (f"did not: {', '.join(lose)}. " if lose else "")
               + (f"Best: {MODEL_NAMES[best]} (MAE {brow['mae']:,.0f} t REO, {brow['rel_mae']:.2f} x naive)."
                  if brow is not None else "")
               + (" With so few forecasts the ranking is indicative, not a significance test." if n < 20 else ""))
    nc = r.nowcast
    for t in r.targets[:2]:
        row = nc[(nc["model"] == best) & (nc["year"] == t)].iloc[0]
        rng_ = nc[nc["year"] == t]["mean"].dropna()
        undisclosed = t in set(r.history.loc[r.history["status"] == "undisclosed", "year"])
        out.append(f"**{t} {'(issued, volume undisclosed) ' if undisclosed else ''}estimate:** "
                   f"{fmt_t(row['mean'], -3)} t REO ({lvl} prediction interval {fmt_t(row['lower'], -3)} to "
                   f"{fmt_t(row['upper'], -3)}; {MODEL_NAMES[best]}); the four models' central estimates range "
                   f"{fmt_t(rng_.min(), -3)} to {fmt_t(rng_.max(), -3)} t. This is a model estimate, not a published figure.")
    u = r.usgs
    if u is not None:
        row = nc[(nc["model"] == best) & (nc["year"] == u["year"])].iloc[0]
        inside = row["lower"] <= u["value"] <= row["upper"]
        allm = nc[nc["year"] == u["year"]]
        n_in = int(((allm["lower"] <= u["value"]) & (u["value"] <= allm["upper"])).sum())
        out.append(f"**USGS {u['edition']}** gives China {u['year']} mine production as {u['value']:,.0f} t, "
                   f"{'inside' if inside else 'outside'} that interval (inside {n_in} of the {len(allm)} models' "
                   f"intervals). " + ("It is labelled 'Estimated' and " if u["estimated"] else "It ")
                   + "is a production estimate, not a published quota, so it is a comparison, not a check.")
    quota_years = set(r.history.loc[r.history["value"].notna(), "year"])
    for t in r.targets[:2]:
        if t not in quota_years and not (u is not None and u["year"] == t):
            out.append(f"**{t}:** the data hold no {r.stage} quota and no USGS figure for {t}: nothing published to set "
                       "the estimate against.")
    return out


def export_data_note(hist: pd.DataFrame, cf: Counterfactual, use_derived: bool) -> str:
    """Say which months exist in the modelled span, which are derived or missing, and how the models treat them.

    Parameters
    ----------
    hist : pandas.DataFrame
        An export_history table.
    cf : Counterfactual
        Its fit window and end give the span.
    use_derived : bool
        Whether derived months are fitted.

    Returns
    -------
    str
        Markdown bullets.
    """
    span = hist.loc[(hist.index >= cf.start)]
    pre = span[span.index < cf.shock]
    post = span[span.index >= cf.shock]

    def months(frame, status):
        return _ranges(list(frame.index[frame["status"] == status]))

    end = cf.frame.index.max()
    after = span[span.index > end]
    extra = []
    if len(after):
        extra.append(f"- **From {after.index.min()}** to {after.index.max()} ({len(after)} months) a second event is "
                     "under way: those months are shown, but not compared with this shock's counterfactual (see the "
                     "second-event section).")
    return "\n".join(extra + [
        f"- **Pre-shock window** {cf.start} to {cf.shock - 1} ({len(pre)} months): reported {months(pre, 'reported')}; "
        f"derived {months(pre, 'derived')}; combined {months(pre, 'combined')}; missing {months(pre, 'missing')}.",
        f"- **From the shock** {cf.shock} to {span.index.max()}: reported {months(post, 'reported')}; "
        f"derived {months(post, 'derived')}; combined {months(post, 'combined')}; missing {months(post, 'missing')}.",
        "- **Combined months** are those customs published only as one January-February total. No month is "
        "invented from it: the counterfactual and the interrupted time series fit the total as the sum of the two "
        "months' predictions (its log residual weighted as two months); the chart marks it as a bar across both "
        "months at half the total (a two-month average, labelled so, not two values). A total whose months also "
        "have values of their own (a month derived from it) is not fitted a second time.",
        "- **Missing months stay missing:** no model interpolates them. The counterfactual and the interrupted "
        "time series are fitted on the observed months only; rebound figures use observed months only, so a "
        "recovery month that follows a missing month is an upper bound (it may have come earlier), and the "
        "shortfall is summed over observed months only.",
        "- **Derived months** (computed from other published figures: a reported total and a reported percent "
        "change, say) are " + ("used by the models, because leaving them out would leave too few months, and "
                               "their error is a rounding of the percentage (a few percent), far smaller than the "
                               "shock; they are hollow in the chart and flagged in the tables." if use_derived else
                               "left out of every fit (use_derived is False); they still show, hollow, in the chart."),
    ])


@records(rebound_numbers)
def rebound_findings(r: ReboundResult) -> list[str]:
    """The findings box of export_rebound.ipynb, with its numbers as a findings record.

    Parameters
    ----------
    r : ReboundResult

    Returns
    -------
    list of str
        A `Bullets` list.
    """
    lvl = f"{r.level:.0%}"
    cf, rb, its, pl = r.cf, r.rebound, r.its, r.placebo
    p = rb.point
    nc = 0 if cf.combined is None else len(cf.combined)
    out = [f"**Counterfactual:** {cf.kind}, fitted on {cf.n_obs} observations from {cf.start} to {cf.shock - 1}, "
           f"{r.pre_derived} of them derived months"
           + (f", {nc} of them {'a two-month total' if nc == 1 else 'two-month totals'} (customs' January-February figure, fitted as the sum of two monthly "
              f"predictions, not split: {', '.join(f'{a} to {b}' for a, b in zip(cf.combined['period_start'], cf.combined['period_end']))})"
              if nc else "")
           + f" ({cf.reason}; {cf.month_note})."]
    out.append(f"**Backtest against a naive forecast:** {r.backtest['verdict']}.")
    if cf.kind != "trend" or cf.n_obs < MIN_OBS["trend"] or r.pre_derived > cf.n_obs / 2:
        out.append("**Caution:** the pre-shock data are thin (" + (f"only {cf.n_obs} observed months" if cf.n_obs < MIN_OBS["trend"]
                   else f"{r.pre_derived} of {cf.n_obs} months derived") + "), so the counterfactual is weak: read "
                   "the figures below as rough, and their intervals as a lower bound on the real uncertainty.")
    if p["trough"] is None:
        out.append("**Trough:** no post-shock month has both an actual value and a counterfactual.")
        return out
    depth_lo, depth_hi = rb.depth_ci
    if p["depth"] <= 0 or depth_lo <= 0:
        out.append(f"**Trough:** the largest shortfall is {fmt_pct(p['depth'], 0, sign=False)} below the counterfactual "
                   f"in {rb.month(p['trough'])} ({lvl} interval {fmt_pct(depth_lo, 0, sign=False)} to "
                   f"{fmt_pct(depth_hi, 0, sign=False)}): not distinguishable from no drop.")
    else:
        out.append(f"**Trough depth:** {fmt_pct(p['depth'], 0, sign=False)} below the counterfactual in "
                   f"{rb.month(p['trough'])} ({lvl} interval {fmt_pct(depth_lo, 0, sign=False)} to "
                   f"{fmt_pct(depth_hi, 0, sign=False)}).")
        for th in rb.thresholds:
            v = p["recover"][th]
            lo, hi = rb.recover_ci[th]
            when = rb.month(p["trough"] + v) if np.isfinite(v) else None
            out.append(f"**{th:.0%} of the gap recovered:** {_months_text(v)} after the trough"
                       + (f" (by {when})" if when else "")
                       + f"; {lvl} interval {_months_text(lo)} to {_months_text(hi)}.")
        out.append(f"**Cumulative shortfall** from {cf.shock} to {rb.month(p['shortfall_end'])}: "
                   f"{fmt_t(p['shortfall'])} t ({lvl} interval {fmt_interval(*rb.shortfall_ci)} t)"
                   + (f", over observed months only (missing: {', '.join(rb.missing_post)})" if rb.missing_post else "")
                   + ".")
    if its.get("estimable"):
        out.append(f"**Interrupted time series:** level change at the shock {fmt_pct(its['level_change'], 0)} "
                   f"({lvl} CI {fmt_pct(its['level_lower'], 0)} to {fmt_pct(its['level_upper'], 0)}), then the "
                   f"monthly trend changes by {fmt_pct(its['slope_change'])} a month "
                   f"(CI {fmt_pct(its['slope_lower'])} to {fmt_pct(its['slope_upper'])}).")
    else:
        out.append(f"**Interrupted time series:** {its['note']}.")
    out.append(f"**Placebo test** ({pl['n']} fake shock months, dip over {pl['window']} months): {pl['verdict']}.")
    alt = r.without_derived
    if alt is not None:
        if alt.ok:
            out.append(f"**Without derived months:** trough depth {fmt_pct(alt.rebound.point['depth'], 0, sign=False)} "
                       f"({alt.kind} counterfactual on {alt.n_obs} months).")
        else:
            out.append(f"**Without derived months:** no counterfactual can be fitted ({alt.why.split(':')[0]}).")
    if r.end < r.history.index.max():  # the rebound stops before a second event: say where 'the end' is
        out = [b.replace("not by the end of the data", f"not by {r.end} (the month before the second event)")
               for b in out]
    return out


def history_table(history: pd.DataFrame, first_year: int, last_year: int) -> pd.DataFrame:
    """Every year of the window (and undisclosed years after it): value, status, whether the models fit it.

    Parameters
    ----------
    history : pandas.DataFrame
        A quota_history table.
    first_year, last_year : int
        The window, both included.

    Returns
    -------
    pandas.DataFrame
        Text columns, for show_table.
    """
    h = history[history["year"] >= first_year]
    lo = int(h.loc[h["value"].notna(), "year"].min()) if h["value"].notna().any() else first_year
    years = range(lo, max(last_year, int(h["year"].max()) if len(h) else last_year) + 1)
    by_year = h.set_index("year")
    rows = []
    for y in years:
        if y in by_year.index:
            r = by_year.loc[y]
            rows.append({"year": y, "quota (t REO)": fmt_t(r["value"], 0), "status": r["status"],
                         "fitted": "yes" if r["used"] else "no", "source": r["source_id"]})
        else:
            rows.append({"year": y, "quota (t REO)": "n/a", "status": "missing", "fitted": "no", "source": ""})
    return pd.DataFrame(rows)


def breaks_note(r: QuotaResult) -> str:
    """How the segmented trend's break years were chosen and which were used.

    Parameters
    ----------
    r : QuotaResult

    Returns
    -------
    str
    """
    used = r.used_breaks
    how = ("fixed at the regime changes " + " and ".join(map(str, REGIME_BREAKS)) if r.breaks == "fixed"
           else "estimated by BIC among 0 to 2 whole-year breaks, each segment holding at least 3 observed years")
    text = f"Segmented trend: breaks {how}; used: {', '.join(map(str, used)) if used else 'none'}."
    for note in r.break_notes:
        text += f" Note: {note}."
    return text


def backtest_verdict(r: QuotaResult) -> str:
    """Plain sentences: which models beat the naive forecast, which do not, and the hindsight check.

    A model is only worth its complexity if it forecasts better than a random walk with drift.

    Parameters
    ----------
    r : QuotaResult

    Returns
    -------
    str
    """
    sc = r.scores
    allh = sc[sc["h"] == "all"].set_index("model")
    lines = []
    n = int(allh.loc["naive", "n"]) if "naive" in allh.index else 0
    for m, row in allh.drop("naive", errors="ignore").iterrows():
        if row["verdict"] == "could not be fitted at any origin":
            lines.append(f"- **{MODEL_NAMES[m]}** could not be fitted at any origin: no verdict.")
            continue
        better = row["verdict"] == "beats naive"
        lines.append(f"- **{MODEL_NAMES[m]}** {'beats' if better else 'does not beat'} the naive baseline: MAE "
                     f"{row['mae']:,.0f} t REO against {allh.loc['naive', 'mae']:,.0f} ({row['rel_mae']:.2f} x), closer "
                     f"than naive in {int(row['wins'])} of {int(row['n'])} forecasts; its {r.level:.0%} intervals "
                     f"held the actual value {row['coverage']:.0%} of the time.")
    lines.append(f"- **Best over 1 and 2 years ahead:** {MODEL_NAMES[r.best]}. All models are compared on the same "
                 f"{n} forecasts; with so few, a small difference in MAE is not evidence that one model is better.")
    est = r.scores_estimated_breaks
    e = est[(est["h"] == "all") & (est["model"] == "segmented")]
    if r.breaks == "fixed" and len(e):
        e = e.iloc[0]
        lines.append(f"- **Hindsight check:** the fixed break years were chosen knowing the whole history. With breaks "
                     f"re-estimated at each origin from the data up to it, the segmented trend's MAE is "
                     f"{e['mae']:,.0f} t REO ({e['rel_mae']:.2f} x naive): it "
                     f"{'still beats' if e['rel_mae'] < 1 else 'no longer beats'} the naive baseline.")
    cov = allh["coverage"].dropna()
    low = [MODEL_NAMES[m] for m, v in cov.items() if v < r.level - 0.2]
    if low:
        lines.append(f"- **Intervals too narrow:** {', '.join(low)} covered the actual value far less often than "
                     f"{r.level:.0%}: treat their intervals as too optimistic.")
    return "\n".join(lines)


def _event_words(rows: pd.DataFrame) -> str:
    """'6 events on 9 October 2025; 2 on 7 and 9 November 2025': how many events on which days, by month."""
    if rows is None or len(rows) == 0:
        return "none"
    out = []
    for _, g in rows.groupby(rows["date"].dt.to_period("M"), sort=True):
        days = sorted(set(g["date"]))
        when = (", ".join(str(d.day) for d in days[:-1]) + " and " if len(days) > 1 else "") + f"{days[-1].day} {days[-1]:%B %Y}"
        out.append(f"{len(g)} on {when}")
    return "; ".join(out)


def second_event_findings(r: ReboundResult) -> list[str]:
    """What the monthly data can say about the second event (the October 2025 expansion and its suspension).

    Parameters
    ----------
    r : ReboundResult

    Returns
    -------
    list of str
        Bullets: the events (from data/events.csv), the months after them, the estimated step with
        its interval, the smallest step the data could detect, and the verdict, all computed.
    """
    ev, sec = r.events, r.second
    if ev["second"] is None or sec is None:
        return [f"**Second event:** no later control event in data/events.csv falls inside the data (last month "
                f"{r.history.index.max()}), so every month after the shock is compared with the counterfactual."]
    lvl = f"{r.level:.0%}"
    later = ev["later"]
    first_later = later["month"].min() if len(later) else None
    heads = ", ".join(dict.fromkeys(str(t).split(":")[0] for t in ev["second_events"]["title"]))
    out = [f"**Second event, {ev['second']}:** export-control events in data/events.csv: "
           f"{_event_words(ev['second_events'])} ({heads}); later: {_event_words(later)}. Months from {ev['second']} on are not compared with the counterfactual of the "
           f"{r.shock} shock: the rebound figures, the interrupted time series and the placebo test stop at {r.end}."]
    if first_later is not None:
        gap = int((first_later - ev["second"]).n)
        out.append(f"**Expansion and what followed cannot be separated:** only {gap} month{'s' if gap != 1 else ''} "
                   f"({ev['second']}{'' if gap == 1 else ' to ' + str(first_later - 1)}) {'lie' if gap != 1 else 'lies'} between the {ev['second']} "
                   f"events and the next ones ({first_later}); monthly figures cannot tell their effects apart, so the "
                   "step below is their joint effect.")
    out.append(f"**Months after it:** {sec['months_after']} calendar months from {ev['second']} to {sec['end']}"
               + (f", {sec['n_r2']} observations (a two-month total counts once)" if sec.get("n_r2") else "") + ".")
    if not sec["estimable"]:
        out.append(f"**Step at {ev['second']}:** {sec['note']}.")
        return out
    depth = r.rebound.point.get("depth", float("nan"))
    base = ("the level exports had recovered to" if sec["recovered"] > r.shock else
            "the level after the shock (no drop distinguishable from none)")
    out.append(f"**Step at {ev['second']}** against {base} ({sec['recovered']} to "
               f"{ev['second'] - 1}, {sec['n_r1']} observations): {fmt_pct(sec['effect'], 0)} ({lvl} CI "
               f"{fmt_pct(sec['lower'], 0)} to {fmt_pct(sec['upper'], 0)}, p = {sec['p']:.2f}); "
               f"{sec['n_outside']} of {sec['n_compared']} months fall outside their {lvl} prediction interval "
               "without a second event.")
    clear = sec["lower"] > 0 or sec["upper"] < 0
    out.append(f"**What the data can detect:** the interval is {sec['width'] * 100:.0f} percentage points wide; the "
               f"smallest fall these months could detect ({sec['power']:.0%} power, two-sided test at "
               f"{1 - r.level:.0%}) is {fmt_pct(sec['detectable'], 0, sign=False)}, against the first shock's trough of "
               f"{fmt_pct(depth, 0, sign=False)}. "
               + ("The step is distinguishable from none." if clear else
                  "No step is distinguishable from none: the monthly data rule out a fall as large as "
                  f"{fmt_pct(-sec['lower'], 0, sign=False)} or more, but cannot show a smaller effect."
                  if sec["lower"] > -1 else "No step is distinguishable from none."))
    return out


def second_event_table(r: ReboundResult) -> pd.DataFrame:
    """Months from the second event on: actual, the prediction without a second event and its interval, outside or not.

    Parameters
    ----------
    r : ReboundResult

    Returns
    -------
    pandas.DataFrame
        Text columns, for show_table.
    """
    sec = r.second
    lv = f"{r.level:.0%} prediction interval (t)"
    if sec is None or not sec.get("estimable"):
        return pd.DataFrame(columns=["month", "status", "actual (t)", "without a second event (t)", lv, "outside"])
    m = sec["months"]
    st = r.history["status"]
    return pd.DataFrame({
        "month": list(m["month"]),
        "status": [st.get(pd.Period(p, freq="M"), "missing") if "total" not in p else "combined (reported as one)"
                   for p in m["month"]],
        "actual (t)": [fmt_t(v, 0) for v in m["actual"]],
        "without a second event (t)": [fmt_t(v, 0) for v in m["predicted"]],
        lv: [fmt_interval(a, b, fmt=lambda x: fmt_t(x, 0)) for a, b in zip(m["lower"], m["upper"])],
        "outside": ["yes" if o else ("no" if np.isfinite(a) else "n/a") for o, a in zip(m["outside"], m["actual"])],
    })


def usgs_comparison(r: QuotaResult) -> pd.DataFrame:
    """Each model's estimate for each target year beside what the data hold for that year.

    For a year with a USGS figure (the MCS 2026 edition's 2025, say): whether it falls inside each
    model's prediction interval. For a year without one, and without a quota in data/quotas.csv,
    the row says so: the estimate stands alone.

    Parameters
    ----------
    r : QuotaResult

    Returns
    -------
    DataFrame
        model, year, estimate, interval, the figure in the data and inside/outside.
    """
    from helpers.models.evaluation import usgs_figure

    lv = f"{r.level:.0%} prediction interval (t REO)"
    quota_years = set(r.history.loc[r.history["value"].notna(), "year"])
    rows = []
    for t in r.targets:
        u = usgs_figure(t) if r.stage == "mining" else None
        for _, row in r.nowcast[r.nowcast["year"] == t].iterrows():
            if u is not None:
                inside = row["lower"] <= u["value"] <= row["upper"]
                fig, verdict = f"USGS {u['edition']}: {fmt_t(u['value'], 0)}", "inside" if inside else "outside"
            elif t in quota_years:
                v = float(r.history.loc[r.history["year"] == t, "value"].iloc[0])
                fig, verdict = f"quota: {fmt_t(v, 0)}", "inside" if row["lower"] <= v <= row["upper"] else "outside"
            else:
                fig, verdict = "none in the data", "nothing to compare"
            rows.append({"model": MODEL_NAMES[row["model"]] + (" (best in backtest)" if row["model"] == r.best else ""),
                         "year": int(t), "estimate (t REO)": fmt_t(row["mean"]),
                         lv: fmt_interval(row["lower"], row["upper"]), "figure in the data (t)": fig,
                         "inside the interval?": verdict})
    return pd.DataFrame(rows)


def usgs_note(r: QuotaResult) -> str:
    """How far USGS's China figure has tracked the quota, and what the data hold for each target year, in words.

    USGS's estimate is not a quota; the note keeps the two apart (see evaluation.usgs_vs_quota).

    Parameters
    ----------
    r : QuotaResult

    Returns
    -------
    str
    """
    from helpers.models.evaluation import usgs_vs_quota

    out = []
    if r.stage == "mining":
        m = usgs_vs_quota("mining")
        eq, ne = m[m["equal"]], m[~m["equal"]]
        out.append(f"In {len(eq)} of the {len(m)} years with both a USGS China figure and a mining quota in the data, "
                   f"the two are equal ({_ranges(eq['year'].tolist())})"
                   + (f"; they differ in {_ranges(ne['year'].tolist())}" if len(ne) else "")
                   + ". USGS's figure is therefore not independent evidence of the quota"
                   + (", and not always the quota." if len(ne) else "."))
        u = r.usgs
        last_q = r.history[(r.history["year"] == r.last_year) & r.history["value"].notna()]
        if u is not None and len(last_q) and np.isclose(u["value"], float(last_q["value"].iloc[0])):
            out.append(f"USGS's {u['year']} figure ({u['edition']}{', labelled estimated' if u['estimated'] else ''}) "
                       f"equals the {r.last_year} quota, "
                       f"as if carried forward: it says nothing about the {u['year']} quota.")
    quota_years = set(r.history.loc[r.history["value"].notna(), "year"])
    for t in r.targets:
        has_usgs = r.stage == "mining" and r.usgs is not None and r.usgs["year"] == t
        if t not in quota_years and not has_usgs:
            und = t in set(r.history.loc[r.history["status"] == "undisclosed", "year"])
            out.append(f"For {t} the data hold no {r.stage} quota" + (" (issued, volume undisclosed)" if und else "")
                       + " and no USGS figure, so the estimate stands alone: nothing published to set it against.")
    return " ".join(out)
