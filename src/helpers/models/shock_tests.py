"""Tests of the monthly export shock (``notebooks/models/export_rebound.ipynb``): the interrupted
time series (with a step for a second event), the placebo test at fake shock months, and the
events that date a shock. Split from ``helpers.models.counterfactual``; part of ``helpers.models``.

The parameters they share mean the same everywhere, as in ``fit_counterfactual``: `y` monthly exports (t) on a
monthly PeriodIndex, NaN where absent; `shock` the shock month ('YYYY-MM' or Period); `pre_months` the fit window
in months before it; `kind` the counterfactual ('auto', 'trend', 'level', 'year_ago'); `level` the interval level,
share 0-1; `end` the last month compared (the month before a second event); `combined` multi-month totals,
fitted as totals; `exclude` months under another event, left out of every fit.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from helpers import data as hdata
from helpers.models.counterfactual import PLACEBO_ALPHA, _combined_in, _month_ordinal, _window, fit_counterfactual
from helpers.models.formatting import fmt_interval, fmt_pct
from helpers.models.regression import _ols, _tq, fit_log_sums, nw_lags
from helpers.models.series import ModelError


# ---- interrupted time series ------------------------------------------------------------------------

def interrupted_time_series(y: pd.Series, shock, pre_months: int = 24, level: float = 0.9, end=None,
                            combined: pd.DataFrame | None = None, exclude=()) -> dict:
    """Segmented regression on log values: trend, level change at the shock, slope change after it.

    log y_t = a + b t + c post_t + d (t - shock) post_t, with HAC (Newey-West)
    errors, over the observed months of the pre-shock window and every month after
    up to `end` (the month before a second event: months after it are not this
    shock's path). Missing months are absent rows; HAC treats the observed rows as
    one sequence. A multi-month total (customs' January-February) is one row whose
    prediction is the sum of its months' predictions (``fit_log_sums``); the HAC
    errors are those of the linearised fit at the solution. `exclude` months (under
    another event) are left out.

    Parameters
    ----------
    y : pandas.Series
    shock : str or pandas.Period
    pre_months : int, default 24
    level : float, default 0.9
    end : str or pandas.Period, optional
    combined : pandas.DataFrame, optional
    exclude : sequence of pandas.Period, optional

    Returns
    -------
    dict
        ``estimable`` (False with a ``note`` when fewer than 3 observed months lie on either side);
        else level_change, pre_slope and slope_change (shares, monthly for slopes) with their bounds,
        level_p and slope_p, n, hac_lags and ``fitted`` (t by month).
    """
    shock = pd.Period(shock, freq="M")
    y = y.sort_index().copy()
    if end is not None:
        y = y[y.index <= pd.Period(end, freq="M")]
    ex = {pd.Period(m, freq="M") for m in exclude}
    y[y.index.isin(ex)] = np.nan
    pre, post = _window(y, shock, pre_months)
    months = pre.index.append(post.index)
    obs = pd.concat([pre, post]).dropna()
    comb = _combined_in(combined, shock - pre_months, months.max(), ex)
    # a total that straddles the shock would mix the two regimes: not used
    comb = comb[(comb["period_end"] < shock) | (comb["period_start"] >= shock)].reset_index(drop=True)
    n_pre = int((obs.index < shock).sum() + (comb["period_end"] < shock).sum())
    n_post = int((obs.index >= shock).sum() + (comb["period_start"] >= shock).sum())
    out = {"n_pre": n_pre, "n_post": n_post, "level": level, "n_combined": len(comb), "end": months.max()}
    if n_pre < 3 or n_post < 3:
        out.update(estimable=False, note=f"not estimable: {n_pre} observed months before and {n_post} after the shock "
                                         "(needs at least 3 each)")
        return out

    def design(idx):
        t = _month_ordinal(idx) - _month_ordinal(pd.PeriodIndex([shock]))[0]
        d = (t >= 0).astype(float)
        return np.column_stack([np.ones(len(t)), t, d, t * d])

    X = design(obs.index)
    groups = [X[i:i + 1] for i in range(len(X))]
    groups += [design(pd.period_range(a, b, freq="M")) for a, b in zip(comb["period_start"], comb["period_end"])]
    ly = np.r_[np.log(obs.to_numpy(float)), np.log(comb["value"].to_numpy(float))]
    fit = fit_log_sums(groups, ly)
    z = fit["resid"] + fit["J"] @ fit["params"]  # the linearised problem: its OLS solution is the fit itself
    res = _ols(z, fit["J"], hac=True)
    ci = res.conf_int(alpha=1 - level)
    n = len(groups)
    out.update(estimable=True, n=n, hac_lags=nw_lags(n),
               level_change=math.expm1(res.params[2]), level_lower=math.expm1(ci[2][0]), level_upper=math.expm1(ci[2][1]),
               level_p=float(res.pvalues[2]),
               pre_slope=math.expm1(res.params[1]), pre_slope_lower=math.expm1(ci[1][0]), pre_slope_upper=math.expm1(ci[1][1]),
               slope_change=math.expm1(res.params[3]), slope_lower=math.expm1(ci[3][0]), slope_upper=math.expm1(ci[3][1]),
               slope_p=float(res.pvalues[3]))
    out["fitted"] = pd.Series(np.exp(design(months) @ res.params), index=months)
    return out


def _p_text(p: float) -> str:
    """A p-value as printed: three decimals, or two significant digits in scientific notation below 0.001
    (a table of '0.000' says nothing, and hides how small the value is)."""
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def its_table(its: dict) -> pd.DataFrame:
    """The interrupted time series as a reader-facing table (level and slope change with intervals).

    Parameters
    ----------
    its : dict
        The result of `interrupted_time_series`.

    Returns
    -------
    DataFrame
    """
    lv = f"{its['level']:.0%} interval"
    if not its.get("estimable"):
        return pd.DataFrame([{"term": "interrupted time series", "estimate": its["note"], lv: "", "p-value": ""}])
    return pd.DataFrame([
        {"term": "Pre-shock trend (% a month)", "estimate": fmt_pct(its["pre_slope"]),
         lv: fmt_interval(its["pre_slope_lower"], its["pre_slope_upper"], fmt=fmt_pct), "p-value": ""},
        {"term": "Level change at the shock", "estimate": fmt_pct(its["level_change"], 0),
         lv: fmt_interval(its["level_lower"], its["level_upper"], fmt=lambda v: fmt_pct(v, 0)), "p-value": _p_text(its["level_p"])},
        {"term": "Change in monthly trend after the shock", "estimate": fmt_pct(its["slope_change"]),
         lv: fmt_interval(its["slope_lower"], its["slope_upper"], fmt=fmt_pct), "p-value": _p_text(its["slope_p"])},
    ])


# ---- placebo test -----------------------------------------------------------------------------------

def dip(y: pd.Series, shock, pre_months: int, kind: str = "auto", window: int = 3, level: float = 0.9,
        end=None, combined: pd.DataFrame | None = None, exclude=()) -> tuple[float, str, int]:
    """The placebo statistic: largest shortfall below the counterfactual in the `window` months from `shock`.

    The dip is max(1 - actual / counterfactual) over the observed months of the window.

    Parameters
    ----------
    y : pandas.Series
    shock : str or pandas.Period
    pre_months : int
    kind : str, default 'auto'
    window : int, default 3
        Months from the shock, the shock month included.
    level : float, default 0.9
    end : str or pandas.Period, optional
    combined : pandas.DataFrame, optional
    exclude : sequence of pandas.Period, optional

    Returns
    -------
    tuple of (float, str, int)
        The dip (share), the counterfactual kind used, the observed pre-shock months.

    Raises
    ------
    ModelError
        When no month of the window is observed, or the counterfactual cannot be fitted.
    """
    shock = pd.Period(shock, freq="M")
    last = shock + (window - 1)
    if end is not None:
        last = min(last, pd.Period(end, freq="M"))
    cf = fit_counterfactual(y, shock, pre_months, kind, level, end=last, combined=combined, exclude=exclude)
    post = cf.post
    g = 1 - post["actual"] / post["mean"]
    g = g[np.isfinite(g)]
    if g.empty:
        raise ModelError(f"no observed month in the {window} months from {shock}")
    return float(g.max()), cf.kind, cf.n_obs


def placebo_test(y: pd.Series, shock, pre_months: int = 24, kind: str = "auto", window: int = 3,
                 level: float = 0.9, alpha: float = PLACEBO_ALPHA, end=None, combined: pd.DataFrame | None = None,
                 exclude=()) -> dict:
    """The dip statistic at every fake shock month in the pre-period, against the real one.

    Fake shocks are months whose whole window ends before the real shock, whose
    pre-shock window supports the counterfactual (the same rule as the real
    estimate: `kind`, or 'auto' with the same thresholds) and whose window has
    at least one observed month. p = (1 + #placebos with a dip at least as
    large) / (1 + #placebos). The shock "stands out" when p <= alpha, the test's
    own significance level (PLACEBO_ALPHA, fixed in advance); `level` only sets the
    counterfactual fits' interval level, which the dip does not use.

    Months that are not normal never act as normal: `exclude` months (under another
    event) are left out of every fit, and a fake shock whose dip window touches one is
    skipped; the real dip stops at `end` (the month before a second event).
    Multi-month totals in `combined` are fitted as totals in every pre-shock window.

    Parameters
    ----------
    y : pandas.Series
    shock : str or pandas.Period
    pre_months : int, default 24
    kind : str, default 'auto'
    window : int, default 3
        Dip window, months.
    level : float, default 0.9
    alpha : float, default PLACEBO_ALPHA
        The test's significance level, share 0-1.
    end : str or pandas.Period, optional
    combined : pandas.DataFrame, optional
    exclude : sequence of pandas.Period, optional

    Returns
    -------
    dict
        real, real_kind, placebos (fake_shock, dip, kind, n_pre), n, exceed, p, stands_out (None when
        inconclusive: with n placebos p cannot go below 1 / (n + 1)), verdict, window, alpha.
    """
    shock = pd.Period(shock, freq="M")
    y = y.sort_index()
    ex = sorted({pd.Period(m, freq="M") for m in exclude})
    try:
        real, real_kind, _ = dip(y, shock, pre_months, kind, window, level, end=end, combined=combined, exclude=ex)
    except ModelError as exc:  # e.g. no observed month in the shock's own window: nothing to rank
        return {"real": float("nan"), "real_kind": None, "placebos": pd.DataFrame(columns=["fake_shock", "dip", "kind", "n_pre"]),
                "n": 0, "exceed": 0, "p": float("nan"), "stands_out": None, "window": window, "alpha": alpha,
                "verdict": f"no placebo test possible: {exc}"}
    rows = []
    first = y.dropna().index.min()
    for fake in pd.period_range(first + 1, shock - window, freq="M"):
        if any(fake <= m <= fake + (window - 1) for m in ex):
            continue  # its window lies under another event: not a normal month to compare with
        try:
            d, k, n = dip(y, fake, pre_months, kind, window, level, end=shock - 1, combined=combined, exclude=ex)
        except ModelError:
            continue
        rows.append({"fake_shock": str(fake), "dip": d, "kind": k, "n_pre": n})
    frame = pd.DataFrame(rows, columns=["fake_shock", "dip", "kind", "n_pre"])
    n = len(frame)
    exceed = int((frame["dip"] >= real).sum()) if n else 0
    p = (1 + exceed) / (1 + n)
    min_p = 1 / (1 + n)
    if n == 0:
        verdict = ("no placebo test possible: no earlier month has enough observed months before it to fit the same "
                   "counterfactual")
        stands_out = None
    elif min_p > alpha + 1e-12:
        stands_out = None
        verdict = (f"inconclusive: only {n} placebo month{'s' if n != 1 else ''}, so the smallest possible p-value is "
                   f"{min_p:.2f}, above the test's {alpha * 100:g}% significance level; the real dip ({real:.0%}) is larger than "
                   f"{n - exceed} of {n}")
    else:
        stands_out = p <= alpha + 1e-12
        verdict = (f"the real dip ({real:.0%}) {'stands out' if stands_out else 'does not stand out'} at the "
                   f"test's {alpha * 100:g}% significance level: {exceed} of {n} placebo months dipped as much or more "
                   f"(p = {p:.2f})")
    return {"real": real, "real_kind": real_kind, "placebos": frame, "n": n, "exceed": exceed, "p": p,
            "stands_out": stands_out, "verdict": verdict, "window": window, "alpha": alpha}


def shock_events(shock, kinds=("export_control",), data_dir=None) -> pd.DataFrame:
    """Events of the given kinds dated in the shock month (data/events.csv), so a page names the shock from the data.

    Parameters
    ----------
    shock : str or pandas.Period
    kinds : tuple of str, default ('export_control',)
    data_dir : path, optional

    Returns
    -------
    pandas.DataFrame
        The events' rows.
    """
    shock = pd.Period(shock, freq="M")
    ev = hdata.load_events(data_dir=data_dir)
    ev = ev[ev["kind"].isin(kinds)]
    return ev[ev["date"].dt.to_period("M") == shock].reset_index(drop=True)




# ---- a second event -----------------------------------------------------------------------------------

def event_months(shock, kinds=("export_control",), data_dir=None) -> dict:
    """The control events around a shock, by month, read from data/events.csv (never typed).

    Parameters
    ----------
    shock : str or Period
        The shock month.
    kinds : tuple of str
        Event kinds that count (export controls by default).
    data_dir : path, optional

    Returns
    -------
    dict
        ``earlier``: event months before the shock; ``second``: the first event month after
        the shock (None when there is none), with ``second_events`` its rows; ``later``: a
        DataFrame of the events in later months (month, date, event_id, title).
    """
    shock = pd.Period(shock, freq="M")
    ev = hdata.load_events(data_dir=data_dir)
    ev = ev[ev["kind"].isin(kinds)].copy()
    ev["month"] = ev["date"].dt.to_period("M")
    ev = ev.sort_values("date")
    after = ev[ev["month"] > shock]
    second = after["month"].min() if len(after) else None
    return {"earlier": sorted(set(ev.loc[ev["month"] < shock, "month"])), "second": second,
            "second_events": after[after["month"] == second].reset_index(drop=True) if second is not None else after,
            "later": after[after["month"] > second].reset_index(drop=True) if second is not None else after}


def second_event(y: pd.Series, shock, second, recovered, pre_months: int = 24, level: float = 0.9,
                 combined: pd.DataFrame | None = None, exclude=(), power: float = 0.8) -> dict:
    """The step at a second event, measured against the level exports had recovered to after the first.

    log y_t = a + b t + c1 R1_t + c2 R2_t + e_t over the observed pre-shock months,
    the recovered months R1 (from `recovered`, the month the first shock's gap was
    90% closed, to the month before `second`) and the months from `second` on (R2).
    The months of the first shock's fall and climb (shock to `recovered` - 1) are
    left out: a straight line cannot follow them. The second event's effect is
    c2 - c1 (in logs), OLS with t intervals; multi-month totals enter as totals
    (``fit_log_sums``, weight = months). Also: each R2 month's prediction interval
    without the second event (a + b t + c1) and whether the actual value falls
    outside it, and the smallest step the data could detect (two-sided test at
    1 - `level`, `power`): (t_(1+level)/2 + t_power) x SE.

    Parameters
    ----------
    y : pandas.Series
    shock, second, recovered : str or pandas.Period
        The first shock, the second event's month, the month the first gap was 90% closed.
    pre_months : int, default 24
    level : float, default 0.9
    combined : pandas.DataFrame, optional
    exclude : sequence of pandas.Period, optional
    power : float, default 0.8
        Power for the smallest detectable step, share 0-1.

    Returns
    -------
    dict
        ``estimable`` and, when not, ``note``; otherwise ``effect`` (fraction), ``lower``,
        ``upper``, ``se_log``, ``p``, ``n_r1``, ``n_r2`` (observations), ``months_after``
        (calendar months from `second` to the data's end), ``detectable`` (fraction, the
        smallest detectable fall), ``width`` (upper - lower) and ``months`` (a DataFrame:
        month, actual, predicted, lower, upper, outside) for the months after `second`.
    """
    shock, second = pd.Period(shock, freq="M"), pd.Period(second, freq="M")
    y = y.sort_index().copy()
    ex = {pd.Period(m, freq="M") for m in exclude}
    y[y.index.isin(ex)] = np.nan
    last = y.index.max()
    months_after = int(_month_ordinal(pd.PeriodIndex([last]))[0] - _month_ordinal(pd.PeriodIndex([second]))[0] + 1)
    out = {"second": second, "level": level, "months_after": max(months_after, 0), "end": last,
           "recovered": None if recovered is None else pd.Period(recovered, freq="M")}
    if recovered is None or pd.Period(recovered, freq="M") >= second:
        out.update(estimable=False, n_r1=0, n_r2=0,
                   note=(f"not estimable: exports had not recovered 90% of the first shock's gap before {second}, so "
                         "there is no recovered level to measure a second step against"))
        return out
    rec = pd.Period(recovered, freq="M")
    pre = y[(y.index >= shock - pre_months) & (y.index < shock)].dropna()
    r1 = y[(y.index >= rec) & (y.index < second)].dropna()
    r2 = y[y.index >= second].dropna()
    obs = pd.concat([pre, r1, r2])
    comb_all = _combined_in(combined, shock - pre_months, last, ex)
    inside = [(b < shock) or (a >= rec and b < second) or (a >= second)
              for a, b in zip(comb_all["period_start"], comb_all["period_end"])]
    comb = comb_all[np.array(inside, dtype=bool)].reset_index(drop=True) if len(comb_all) else comb_all
    n_r1 = len(r1) + int(((comb["period_start"] >= rec) & (comb["period_end"] < second)).sum())
    n_r2 = len(r2) + int((comb["period_start"] >= second).sum())
    out.update(n_r1=n_r1, n_r2=n_r2)
    if n_r1 < 2 or n_r2 < 2 or len(pre) < 3:
        out.update(estimable=False, note=(f"not estimable: {n_r1} observed month{'s' if n_r1 != 1 else ''} between "
                                          f"recovery and {second} and {n_r2} from {second} on (2 or more each needed)"))
        return out
    t0 = _month_ordinal(pd.PeriodIndex([shock]))[0]

    def design(idx):
        t = _month_ordinal(idx) - t0
        return np.column_stack([np.ones(len(idx)), t, ((idx >= rec) & (idx < second)).astype(float),
                                (idx >= second).astype(float)])

    X = design(obs.index)
    groups = [X[i:i + 1] for i in range(len(X))]
    groups += [design(pd.period_range(a, b, freq="M")) for a, b in zip(comb["period_start"], comb["period_end"])]
    k = [1.0] * len(X) + [float(len(g)) for g in groups[len(X):]]
    fit = fit_log_sums(groups, np.r_[np.log(obs.to_numpy(float)), np.log(comb["value"].to_numpy(float))], weights=k)
    beta, V, df = fit["params"], fit["scale"] * fit["xtx_inv"], fit["df_resid"]
    c = np.array([0.0, 0.0, -1.0, 1.0])
    est, se = float(c @ beta), float(math.sqrt(c @ V @ c))
    q = _tq(level, df)
    from scipy import stats

    p = float(2 * stats.t.sf(abs(est) / se, df))
    detect = (q + float(stats.t.ppf(power, df))) * se
    idx = pd.period_range(second, last, freq="M")
    Xn = design(idx)
    Xn[:, 2], Xn[:, 3] = 1.0, 0.0  # no second event: the recovered level carries on
    mean = Xn @ beta
    sep = np.sqrt(fit["scale"] * (1 + np.einsum("ij,jk,ik->i", Xn, fit["xtx_inv"], Xn)))
    act = y.reindex(idx).to_numpy(float)
    lo_, hi_ = np.exp(mean - q * sep), np.exp(mean + q * sep)
    months = pd.DataFrame({"month": idx.astype(str), "actual": act, "predicted": np.exp(mean), "lower": lo_, "upper": hi_,
                           "outside": np.where(np.isfinite(act), (act < lo_) | (act > hi_), False)})
    for a, b, v in zip(comb["period_start"], comb["period_end"], comb["value"]):  # a total after the event: its own row
        if a < second:
            continue
        G = design(pd.period_range(a, b, freq="M"))
        G[:, 2], G[:, 3] = 1.0, 0.0
        eta = G @ beta
        w_ = np.exp(eta - eta.max()) / np.exp(eta - eta.max()).sum()
        j = w_ @ G
        m_ = float(eta.max() + np.log(np.exp(eta - eta.max()).sum()))
        s_ = float(np.sqrt(fit["scale"] * (1 / len(G) + j @ fit["xtx_inv"] @ j)))
        lo2, hi2 = math.exp(m_ - q * s_), math.exp(m_ + q * s_)
        months.loc[len(months)] = {"month": f"{a} to {b} (one total)", "actual": float(v), "predicted": math.exp(m_),
                                   "lower": lo2, "upper": hi2, "outside": bool(v < lo2 or v > hi2)}
    out.update(estimable=True, df=df, effect=math.expm1(est), lower=math.expm1(est - q * se),
               upper=math.expm1(est + q * se), se_log=se, p=p, detectable=-math.expm1(-detect),
               width=math.expm1(est + q * se) - math.expm1(est - q * se), months=months,
               n_outside=int(months["outside"].sum()), n_compared=int(months["actual"].notna().sum()), power=power)
    return out


# ---- is the counterfactual better than naive? --------------------------------------------------------

def counterfactual_backtest(y: pd.Series, shock, pre_months: int = 24, kind: str = "auto", level: float = 0.9,
                            horizon: int = 3, combined: pd.DataFrame | None = None, exclude=()) -> dict:
    """Rolling-origin backtest of the counterfactual before the shock, against a naive forecast.

    At every month o before the shock whose own window supports the counterfactual (the same
    rule, `kind` and `pre_months`), the counterfactual is fitted on the months before o and
    forecasts the observed months o .. o + horizon - 1 that lie before the shock; the naive
    forecast is the last observed month before o, carried forward. Errors are absolute log
    errors (about the percentage error); coverage is the share of actual values inside the
    counterfactual's prediction interval at `level`. Excluded months are never used.

    Parameters
    ----------
    y : pandas.Series
    shock : str or pandas.Period
    pre_months : int, default 24
    kind : str, default 'auto'
    level : float, default 0.9
    horizon : int, default 3
        Months ahead forecast from each origin.
    combined : pandas.DataFrame, optional
    exclude : sequence of pandas.Period, optional

    Returns
    -------
    dict
        ``n`` (forecasts scored), ``mae`` and ``mae_naive`` (mean absolute log error), ``rel``
        (mae / mae_naive), ``coverage``, ``verdict`` (plain words).
    """
    shock = pd.Period(shock, freq="M")
    y = y.sort_index().copy()
    ex = {pd.Period(m, freq="M") for m in exclude}
    y[y.index.isin(ex)] = np.nan
    y = y[y.index < shock]
    err, err_n, hit = [], [], []
    first = y.dropna().index.min() if y.notna().any() else shock
    for o in pd.period_range(first + 1, shock - 1, freq="M"):
        last = min(o + (horizon - 1), shock - 1)
        before = y[y.index < o].dropna()
        if before.empty:
            continue
        try:
            cf = fit_counterfactual(y, o, pre_months, kind, level, end=last, combined=combined, exclude=ex)
        except ModelError:
            continue
        post = cf.post.dropna(subset=["actual", "mean"])
        for _, row in post.iterrows():
            err.append(abs(math.log(row["actual"] / row["mean"])))
            err_n.append(abs(math.log(row["actual"] / before.iloc[-1])))
            hit.append(row["lower"] <= row["actual"] <= row["upper"])
    n = len(err)
    if n == 0:
        return {"n": 0, "mae": float("nan"), "mae_naive": float("nan"), "rel": float("nan"), "coverage": float("nan"),
                "verdict": "no backtest possible: no earlier month has enough observed months before it"}
    mae, mae_n = float(np.mean(err)), float(np.mean(err_n))
    rel = mae / mae_n if mae_n > 0 else float("nan")
    cov = float(np.mean(hit))
    verdict = (f"over {n} forecasts of the months before the shock (1 to {horizon} months ahead), the counterfactual's "
               f"mean absolute error is {mae:.0%} against {mae_n:.0%} for the naive forecast (last month carried "
               f"forward), {rel:.2f} x naive: it "
               + ("beats the naive forecast" if rel < 0.95 else "is no better than the naive forecast (within 5%)"
                  if rel < 1.05 else "does not beat the naive forecast")
               + f"; its {level:.0%} intervals held the actual value {cov:.0%} of the time")
    if cov < level - 0.2:
        verdict += ", far less often than they should: treat them as too narrow"
    if n < 20:
        verdict += "; with so few forecasts this is indicative only"
    return {"n": n, "mae": mae, "mae_naive": mae_n, "rel": rel, "coverage": cov, "verdict": verdict}
