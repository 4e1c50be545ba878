"""Typed results of the two model notebooks: what `quota_analysis` and `rebound_analysis` return.

Each result is a dataclass with documented fields and units, so a notebook reads
``r.history`` or ``r.cf`` rather than indexing a many-key dict. Part of ``helpers.models``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from helpers.models.counterfactual import Counterfactual, Rebound, fit_counterfactual, rebound
from helpers.models.shock_tests import (counterfactual_backtest, event_months, interrupted_time_series, placebo_test,
                                        second_event)
from helpers.models.evaluation import backtest, backtest_scores, best_model, nowcast, slowdown_test, usgs_figure
from helpers.models.holt import holt_params
from helpers.models.quota import (REGIME_BREAKS, loglinear_growth, naive_drift, resolve_breaks,
                                  segmented_growth)
from helpers.models.series import (EXPORT_SERIES, MIN_YEARS, ModelError, export_combined, export_history, quota_history,
                                   quota_series)



@dataclass(frozen=True)
class QuotaResult:
    """Everything ``notebooks/models/quota_growth.ipynb`` reports for one quota stage.

    Parameters
    ----------
    stage : str
        ``"mining"`` or ``"smelting"`` (smelting and separation quota).
    first_year, last_year : int
        The fitted window, calendar years inclusive.
    level : float
        Confidence / prediction interval level, e.g. 0.9.
    breaks : str
        ``"fixed"`` (the regime changes `REGIME_BREAKS`) or ``"estimated"`` (by BIC).
    use_derived : bool
        Whether derived years (computed from other published figures) are fitted.
    history : DataFrame
        One row per year (``year``, ``value`` in t REO, ``status``, ``used``, ``source_id``), from
        ``helpers.models.series.quota_history``.
    series : Series
        The fitted annual quota in t REO, indexed by year (observed years only).
    targets : list of int
        The years forecast (``last_year + 1`` to ``last_year + horizon``).
    growth : dict
        Log-linear trend growth: ``rate`` (a year, fraction), ``lower``/``upper`` (interval),
        ``first``/``last`` (years), ``n`` (observed years); see `loglinear_growth`.
    segments : DataFrame
        Segmented-trend growth per segment (``segment``, ``rate``, ``lower``, ``upper``).
    used_breaks : tuple of int
        The break years the segmented trend used.
    break_notes : list of str
        Why a requested break was dropped, if any.
    naive : dict
        The random walk's drift on log quota (``drift``, ``span``, ``last_year``); see `naive_drift`.
    holt : dict or None
        Holt's fitted ``alpha``, ``beta``, ``phi``, or None when it cannot be fitted.
    backtest : DataFrame
        Rolling-origin forecasts, one row per (origin, model, horizon); see `backtest`.
    scores : DataFrame
        Backtest scores against the naive baseline (``mae`` in t REO, ``rel_mae``, ``verdict`` ...).
    best : str
        The model key with the lowest MAE over both horizons (a key of `MODEL_NAMES`).
    nowcast : DataFrame
        Each model's forecast for each target year (``mean``, ``lower``, ``upper`` in t REO).
    slowdown : dict
        The slowdown test (``verdict``, ``testable``, ``predicted``, ``actual`` ...); see `slowdown_test`.
    scores_estimated_breaks : DataFrame
        Backtest scores with breaks re-estimated at each origin (the hindsight check).
    usgs : dict or None
        USGS's China mine-production figure for a target year (``year``, ``value`` in t, ``edition``).
    """

    stage: str
    first_year: int
    last_year: int
    level: float
    breaks: str
    use_derived: bool
    history: pd.DataFrame
    series: pd.Series
    targets: list
    growth: dict
    segments: pd.DataFrame
    used_breaks: tuple
    break_notes: list
    naive: dict
    holt: dict | None
    backtest: pd.DataFrame
    scores: pd.DataFrame
    best: str
    nowcast: pd.DataFrame
    slowdown: dict
    scores_estimated_breaks: pd.DataFrame
    usgs: dict | None


@dataclass(frozen=True)
class WithoutDerived:
    """The rebound refitted without derived months (the robustness check).

    Parameters
    ----------
    ok : bool
        Whether a counterfactual could be fitted on reported months only.
    kind : str or None
        The counterfactual kind used (``trend``, ``level``, ``year_ago``), when ok.
    n_obs : int or None
        Observed pre-shock months it was fitted on, when ok.
    rebound : Rebound or None
        The rebound figures, when ok.
    why : str or None
        Why no counterfactual could be fitted, when not ok.
    """

    ok: bool
    kind: str | None = None
    n_obs: int | None = None
    rebound: Rebound | None = None
    why: str | None = None


@dataclass(frozen=True)
class ReboundResult:
    """Everything ``notebooks/models/export_rebound.ipynb`` reports for one export series and shock.

    Parameters
    ----------
    key : str
        The export series (a key of ``EXPORT_SERIES``).
    label : str
        Its reader-facing name.
    shock : Period
        The shock month (monthly ``pd.Period``).
    pre_months : int
        Months before the shock the counterfactual may use.
    pre_derived : int
        How many observed pre-shock months are derived rather than reported.
    level : float
        Interval level, e.g. 0.9.
    use_derived : bool
        Whether derived months are fitted.
    thresholds : tuple of float
        Shares of the gap whose recovery is timed, e.g. (0.5, 0.9).
    history : DataFrame
        Monthly history indexed by period: ``y`` (t), ``status``, ``source_id``; see ``export_history``.
    cf : Counterfactual
        The counterfactual fitted on pre-shock months.
    rebound : Rebound
        Trough depth, months to recover and cumulative shortfall (t) with simulated intervals.
    its : dict
        The interrupted time series (``estimable``, ``level_change``, ``slope_change`` and bounds, or ``note``).
    placebo : dict
        The placebo test (``n``, ``window``, ``real``, ``p``, ``stands_out``, ``verdict``).
    without_derived : WithoutDerived or None
        The refit without derived months, when derived months exist and are used.
    combined : DataFrame
        Multi-month totals of the series (customs' January-February figure) with ``used``: fitted as
        totals, never split; see ``export_combined``.
    events : dict
        Control events around the shock from data/events.csv: ``earlier`` months, the ``second``
        event month and its rows, ``later`` events; see ``event_months``.
    excluded : list of Period
        Months not treated as normal (under an earlier event), left out of every fit.
    end : Period
        The last month compared with the counterfactual: the month before the second event, or the
        data's last month when there is none.
    second : dict or None
        The step at the second event against the recovered level (``effect``, ``lower``, ``upper``,
        ``detectable``, ``months_after`` ...), or None without a second event; see ``second_event``.
    backtest : dict
        The counterfactual's rolling-origin backtest before the shock against a naive forecast (``n``,
        ``mae``, ``mae_naive``, ``rel``, ``coverage``, ``verdict``); see ``counterfactual_backtest``.
    """

    key: str
    label: str
    shock: pd.Period
    pre_months: int
    pre_derived: int
    level: float
    use_derived: bool
    thresholds: tuple
    history: pd.DataFrame
    cf: Counterfactual
    rebound: Rebound
    its: dict
    placebo: dict
    without_derived: WithoutDerived | None
    combined: pd.DataFrame
    events: dict
    excluded: list
    end: pd.Period
    second: dict | None
    backtest: dict


def quota_analysis(stage: str, first_year: int, last_year: int, horizon: int = 2, level: float = 0.9,
                   breaks: str = "fixed", use_derived: bool = True, data_dir=None) -> QuotaResult:
    """Fit every quota model on one stage and window, as ``quota_growth.ipynb`` reports them.

    Parameters
    ----------
    stage : {"mining", "smelting"}
    first_year, last_year : int
        The window fitted, inclusive.
    horizon : int, default 2
        Years forecast after `last_year`.
    level : float, default 0.9
        Interval level.
    breaks : {"fixed", "estimated"}
        Segmented-trend break years: the regime changes, or estimated by BIC.
    use_derived : bool, default True
        Fit derived years too.
    data_dir : path, optional
        A data folder other than data/.

    Returns
    -------
    QuotaResult

    Raises
    ------
    ModelError
        When the window holds fewer than ``MIN_YEARS`` observed years.
    """
    history = quota_history(stage, first_year, last_year, use_derived, data_dir)
    series = quota_series(history)
    if len(series) < MIN_YEARS:
        raise ModelError(f"only {len(series)} observed {stage} years between first_year={first_year} and "
                         f"last_year={last_year}: the models need at least {MIN_YEARS}; widen the window")
    targets = list(range(last_year + 1, last_year + horizon + 1))
    used_breaks, break_notes = resolve_breaks(series, breaks)
    bt = backtest(series, level=level, breaks=breaks)
    scores = backtest_scores(bt)
    best = best_model(scores) if len(scores) else "naive"
    nc = nowcast(series, targets, level, breaks)
    slow_first = REGIME_BREAKS[-1]
    slow = slowdown_test(series, slow_first, last_year - 1, last_year, level)
    bt_est = backtest(series, level=level, breaks="estimated", models=("naive", "segmented"))
    sc_est = backtest_scores(bt_est)
    usgs = None
    for t in targets:
        usgs = usgs or (usgs_figure(t, data_dir=data_dir) if stage == "mining" else None)
    try:
        holt = holt_params(series)
    except ModelError:
        holt = None
    return QuotaResult(
        stage=stage, first_year=first_year, last_year=last_year, level=level, breaks=breaks,
        use_derived=use_derived, history=history, series=series, targets=targets,
        growth=loglinear_growth(series, level), segments=segmented_growth(series, breaks, level),
        used_breaks=used_breaks, break_notes=break_notes, naive=naive_drift(series), holt=holt,
        backtest=bt, scores=scores, best=best, nowcast=nc, slowdown=slow, scores_estimated_breaks=sc_est, usgs=usgs)


def rebound_analysis(key: str, shock: str, pre_months: int = 24, kind: str = "auto", thresholds=(0.5, 0.9),
                     level: float = 0.9, use_derived: bool = True, window: int = 3, data_dir=None) -> ReboundResult:
    """Fit the export-shock models on one series, as ``export_rebound.ipynb`` reports them.

    Parameters
    ----------
    key : str
        The export series (a key of ``EXPORT_SERIES``).
    shock : str
        The shock month, ``YYYY-MM``.
    pre_months : int, default 24
        Pre-shock months the counterfactual may use.
    kind : {"auto", "trend", "level", "year_ago"}
        The counterfactual; ``auto`` picks by the observed months available.
    thresholds : tuple of float, default (0.5, 0.9)
        Shares of the gap whose recovery is timed.
    level : float, default 0.9
        Interval level.
    use_derived : bool, default True
        Fit derived months too.
    window : int, default 3
        Months over which the placebo test measures a dip.
    data_dir : path, optional
        A data folder other than data/.

    Returns
    -------
    ReboundResult

    Raises
    ------
    ModelError
        When the shock is after the last month, or too few pre-shock months are observed.
    """
    hist = export_history(key, use_derived, data_dir)
    y = hist["y"]
    shock_p = pd.Period(shock, freq="M")
    if shock_p > y.index.max():
        raise ModelError(f"shock {shock} is after the last month in the data ({y.index.max()})")
    comb = export_combined(key, use_derived, data_dir)
    ev = event_months(shock_p, data_dir=data_dir)
    # months under an earlier event are not normal; months from a second event on are not this shock's path
    excluded = [m for e in ev["earlier"] for m in pd.period_range(e, shock_p - 1, freq="M")
                if m >= shock_p - pre_months - 60]
    excluded = sorted(set(excluded))
    end = ev["second"] - 1 if ev["second"] is not None and ev["second"] - 1 >= shock_p else y.index.max()
    cf = fit_counterfactual(y, shock_p, pre_months, kind, level, end=end, combined=comb, exclude=excluded)
    rb = rebound(cf, thresholds, level, statuses=hist["status"])
    its = interrupted_time_series(y, shock_p, pre_months, level, end=end, combined=comb, exclude=excluded)
    pl = placebo_test(y, shock_p, pre_months, kind, window, level, end=end, combined=comb, exclude=excluded)
    bt = counterfactual_backtest(y, shock_p, pre_months, kind, level, combined=comb, exclude=excluded)
    sec = None
    if ev["second"] is not None and ev["second"] <= y.index.max():
        r90 = rb.point["recover"].get(max(thresholds), float("nan")) if rb.point["trough"] is not None else float("nan")
        rec = shock_p + int(rb.point["trough"] + r90) if np.isfinite(r90) else None
        if rb.point["trough"] is not None and rb.depth_ci[0] <= 0:
            rec = shock_p  # no drop distinguishable from none: every month from the shock is the level to compare with
        sec = second_event(y, shock_p, ev["second"], rec, pre_months, level, combined=comb, exclude=excluded)
    alt = None
    if use_derived and (hist["status"] == "derived").any():
        try:
            ya = export_history(key, False, data_dir)["y"]
            cfa = fit_counterfactual(ya, shock_p, pre_months, kind, level, end=end,
                                     combined=export_combined(key, False, data_dir), exclude=excluded)
            alt = WithoutDerived(True, cfa.kind, cfa.n_obs, rebound(cfa, thresholds, level))
        except ModelError as exc:
            alt = WithoutDerived(False, why=str(exc))
    pre = hist[(hist.index >= cf.start) & (hist.index < shock_p) & hist["y"].notna()]
    return ReboundResult(
        key=key, label=EXPORT_SERIES[key]["label"], shock=shock_p, pre_months=pre_months,
        pre_derived=int((pre["status"] == "derived").sum()), level=level, use_derived=use_derived,
        thresholds=tuple(thresholds), history=hist, cf=cf, rebound=rb, its=its, placebo=pl, without_derived=alt,
        combined=comb, events=ev, excluded=excluded, end=end, second=sec, backtest=bt)


