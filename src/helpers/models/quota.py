"""Annual quota growth models (``notebooks/models/quota_growth.ipynb``).

A random walk with drift on log quota (the naive baseline), a log-linear trend (OLS with HAC
standard errors), a segmented (continuous, piecewise) log-linear trend and Holt's damped trend
(``helpers.models.holt``); `forecast` is the one entry point. Missing years are never filled in; each model's docstring
says how it treats them. ``level`` is always an interval's coverage (0.9 = 90 %). The models'
out-of-sample evaluation lives in ``helpers.models.evaluation``. Part of ``helpers.models``.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from helpers.models.regression import _ols, _tq, nw_lags
from helpers.models.series import ModelError


#: Regime changes used as the segmented trend's fixed break years, read off the mining
#: quota series in data/quotas.csv: flat until 2013, a step in 2014, rising every year
#: from 2018. `breaks='estimated'` lets BIC choose instead (the quota sweep compares both).
REGIME_BREAKS: tuple[int, ...] = (2014, 2018)

MODEL_NAMES: dict[str, str] = {
    "naive": "Naive: random walk with drift",
    "loglinear": "Log-linear trend (OLS, HAC)",
    "segmented": "Segmented log-linear trend",
    "holt": "Holt damped trend",
}


def _clean_annual(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    s = series.dropna().sort_index()
    if (s <= 0).any():
        raise ModelError("quota models work on logs: every value must be positive")
    return s.index.to_numpy(dtype=int), np.log(s.to_numpy(dtype=float))


def _pred_frame(targets, mean_log, se_log, q) -> pd.DataFrame:
    mean_log = np.asarray(mean_log, float)
    se_log = np.asarray(se_log, float)
    return pd.DataFrame({"year": np.asarray(targets, int), "mean": np.exp(mean_log),
                         "lower": np.exp(mean_log - q * se_log), "upper": np.exp(mean_log + q * se_log)})


# ---- naive: random walk with drift on log values ------------------------------------------------

def naive_drift(series: pd.Series) -> dict:
    """Drift and step variance of a random walk with drift on log values, allowing gaps.

    drift = (log y_last - log y_first) / (years between them). A change over k
    years has mean k*drift and variance k*sigma^2, so sigma^2 is estimated from
    the observed changes as sum((d_i - k_i drift)^2 / k_i) / (m - 1). With no
    gap this is the drift method's usual estimate.

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year; missing years are dropped, not filled in.

    Returns
    -------
    dict
        ``drift`` (log change per year), ``sigma2`` (variance of a one-year log step; NaN
        with only two observed years), ``df`` (observed changes - 1), ``span`` (years from the
        first to the last observed year), ``last_year`` and ``last_log`` (log t REO).

    Raises
    ------
    ModelError
        When a value is not positive or fewer than two years are observed.
    """
    years, ly = _clean_annual(series)
    if len(years) < 2:
        raise ModelError("the naive model needs at least two observed years")
    span = years[-1] - years[0]
    drift = (ly[-1] - ly[0]) / span
    k = np.diff(years)
    d = np.diff(ly)
    m = len(d)
    s2 = float(np.sum((d - k * drift) ** 2 / k) / (m - 1)) if m > 1 else float("nan")
    return {"drift": float(drift), "sigma2": s2, "df": m - 1, "span": int(span), "last_year": int(years[-1]),
            "last_log": float(ly[-1])}


def forecast_naive(series: pd.Series, targets, level: float = 0.9) -> pd.DataFrame:
    """Forecast of the random walk with drift: last value x exp(h x drift), with prediction intervals.

    The h-year log variance is sigma^2 (h + h^2 / span): h steps of noise plus h^2 times the
    drift estimate's variance, sigma^2 / span; a t interval with `naive_drift`'s df.

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.
    targets : sequence of int
        Years to forecast, all after the last observed year.
    level : float, default 0.9

    Returns
    -------
    DataFrame
        One row per target: year, mean, lower, upper (t REO); the interval is NaN when
        only two years are observed.

    Raises
    ------
    ModelError
        As `naive_drift`, or when a target year is not after the last observed year.
    """
    p = naive_drift(series)
    h = np.asarray(targets, float) - p["last_year"]
    if (h <= 0).any():
        raise ModelError("forecast years must come after the last fitted year")
    se = np.sqrt(p["sigma2"] * (h + h ** 2 / p["span"])) if p["df"] > 0 else np.full_like(h, np.nan)
    q = _tq(level, p["df"]) if p["df"] > 0 else np.nan
    return _pred_frame(targets, p["last_log"] + h * p["drift"], se, q)


# ---- log-linear trend ------------------------------------------------------------------------------

def loglinear_fit(series: pd.Series):
    """OLS of log value on year with HAC (Newey-West) standard errors; gaps are just absent rows.

    HAC treats the observed years as one sequence, so a gap counts as one step. The lag
    count is `helpers.models.regression.nw_lags`'s rule of thumb.

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.

    Returns
    -------
    results : statsmodels RegressionResults
        Intercept and slope (log t REO per year), HAC covariance, t inference.
    x0 : int
        The first observed year (the regressor is years since x0).

    Raises
    ------
    ModelError
        When a value is not positive or fewer than four years are observed.
    """
    years, ly = _clean_annual(series)
    if len(years) < 4:
        raise ModelError("the log-linear trend needs at least four observed years")
    x0 = years[0]
    X = np.column_stack([np.ones(len(years)), years - x0])
    return _ols(ly, X, hac=True), x0


def loglinear_growth(series: pd.Series, level: float = 0.9) -> dict:
    """Average annual growth rate exp(b) - 1 with its confidence interval (HAC, t distribution).

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.
    level : float, default 0.9

    Returns
    -------
    dict
        ``rate``, ``lower``, ``upper`` (growth per year as fractions, 0.05 = 5 %), ``n``
        (observed years), ``se_log`` (standard error of the slope, log per year),
        ``hac_lags``, ``first`` and ``last`` (observed years).

    Raises
    ------
    ModelError
        As `loglinear_fit`.
    """
    res, _ = loglinear_fit(series)
    lo, hi = res.conf_int(alpha=1 - level)[1]
    b = res.params[1]
    return {"rate": math.expm1(b), "lower": math.expm1(lo), "upper": math.expm1(hi), "n": int(res.nobs),
            "se_log": float(res.bse[1]), "hac_lags": nw_lags(int(res.nobs)), "first": int(series.dropna().index.min()),
            "last": int(series.dropna().index.max())}


def forecast_loglinear(series: pd.Series, targets, level: float = 0.9) -> pd.DataFrame:
    """Forecast of the log-linear trend with prediction intervals.

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.
    targets : sequence of int
        Years to forecast.
    level : float, default 0.9

    Returns
    -------
    DataFrame
        One row per target: year, mean, lower, upper (t REO).

    Raises
    ------
    ModelError
        As `loglinear_fit`.
    """
    res, x0 = loglinear_fit(series)
    X = np.column_stack([np.ones(len(targets)), np.asarray(targets, float) - x0])
    sf = res.get_prediction(X).summary_frame(alpha=1 - level)
    return pd.DataFrame({"year": np.asarray(targets, int), "mean": np.exp(sf["mean"].to_numpy()),
                         "lower": np.exp(sf["obs_ci_lower"].to_numpy()), "upper": np.exp(sf["obs_ci_upper"].to_numpy())})


# ---- segmented log-linear trend --------------------------------------------------------------------

def usable_breaks(years, breaks, min_per_segment: int = 2) -> tuple[tuple[int, ...], list[str]]:
    """Keep the break years that leave at least `min_per_segment` observed years in every segment.

    Segments are: years before the first break, years from one break to the
    next, years from the last break on. A thin segment drops the break that bounds it
    (its left one; the right one for the first segment), and the check repeats.

    Parameters
    ----------
    years : iterable of int
        Observed years.
    breaks : iterable of int
        Wanted break years.
    min_per_segment : int, default 2
        Observed years each segment needs.

    Returns
    -------
    kept : tuple of int
        The break years kept, sorted.
    notes : list of str
        One sentence per dropped break, saying why.
    """
    years = np.asarray(sorted(years), int)
    kept = sorted(int(b) for b in breaks)
    notes = []
    changed = True
    while changed and kept:
        changed = False
        edges = [-10 ** 9] + kept + [10 ** 9]
        for i in range(len(edges) - 1):
            n = int(((years >= edges[i]) & (years < edges[i + 1])).sum())
            if n < min_per_segment:
                # drop the break bounding this thin segment (the left one, or the right one for the first segment)
                drop = edges[i] if i > 0 else edges[i + 1]
                kept.remove(drop)
                notes.append(f"break {drop} dropped: fewer than {min_per_segment} observed years in one of its segments")
                changed = True
                break
    return tuple(kept), notes


def _hinge_X(years, x0, breaks):
    t = np.asarray(years, float)
    cols = [np.ones(len(t)), t - x0] + [np.maximum(t - b, 0.0) for b in breaks]
    return np.column_stack(cols)


def estimate_breaks(series: pd.Series, max_breaks: int = 2, min_per_segment: int = 3) -> tuple[int, ...]:
    """Break years chosen by BIC among 0..max_breaks breaks (each candidate a whole year), in-sample only.

    BIC (Schwarz, 1978) = n log(SSR / n) + (p + k) log n for a hinge fit with p
    coefficients and k breaks (a break year counts as a parameter), over the break sets that
    `usable_breaks` keeps whole; the lowest BIC wins (a tie keeps fewer breaks, then earlier years).

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.
    max_breaks : int, default 2
        Most breaks tried.
    min_per_segment : int, default 3
        Observed years each segment needs.

    Returns
    -------
    tuple of int
        The chosen break years (empty when a single trend wins).

    Raises
    ------
    ModelError
        When a value is not positive.
    """
    years, ly = _clean_annual(series)
    n = len(years)
    candidates = list(range(int(years[0]) + 1, int(years[-1])))
    best, best_bic = (), float("inf")
    for k in range(0, max_breaks + 1):
        for combo in itertools.combinations(candidates, k):
            if usable_breaks(years, combo, min_per_segment)[0] != tuple(combo):
                continue
            X = _hinge_X(years, years[0], combo)
            if n <= X.shape[1] + 1:
                continue
            beta, *_ = np.linalg.lstsq(X, ly, rcond=None)
            ssr = float(np.sum((ly - X @ beta) ** 2))
            bic = n * math.log(max(ssr, 1e-12) / n) + (X.shape[1] + k) * math.log(n)
            if bic < best_bic - 1e-9:
                best, best_bic = tuple(combo), bic
    return best


def resolve_breaks(series: pd.Series, breaks="fixed") -> tuple[tuple[int, ...], list[str]]:
    """The break years the segmented trend uses: 'fixed' (REGIME_BREAKS), 'estimated' or an explicit tuple.

    Fixed and explicit breaks pass `usable_breaks` (2 years per segment); see `estimate_breaks`.

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.
    breaks : {"fixed", "estimated"} or tuple of int, default "fixed"
        Which break years.

    Returns
    -------
    used : tuple of int
        The break years used.
    notes : list of str
        Why any wanted break was dropped.

    Raises
    ------
    ModelError
        When `breaks` is another string, or a value is not positive.
    """
    years, _ = _clean_annual(series)
    if isinstance(breaks, str):
        if breaks == "fixed":
            wanted = REGIME_BREAKS
        elif breaks == "estimated":
            return estimate_breaks(series), []
        else:
            raise ModelError(f"breaks must be 'fixed', 'estimated' or a tuple of years, got {breaks!r}")
    else:
        wanted = tuple(breaks)
    return usable_breaks(years, wanted)


def segmented_fit(series: pd.Series, breaks="fixed"):
    """Continuous piecewise log-linear trend (hinges at the break years), OLS with HAC errors.

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.
    breaks : {"fixed", "estimated"} or tuple of int, default "fixed"
        As `resolve_breaks`.

    Returns
    -------
    results : statsmodels RegressionResults
        Intercept, first slope and one slope change per break (log t REO per year).
    x0 : int
        The first observed year.
    used : tuple of int
        The break years used.
    notes : list of str
        Why any wanted break was dropped.

    Raises
    ------
    ModelError
        As `resolve_breaks`, or with fewer observed years than coefficients + 2.
    """
    years, ly = _clean_annual(series)
    used, notes = resolve_breaks(series, breaks)
    X = _hinge_X(years, years[0], used)
    if len(years) < X.shape[1] + 2:
        raise ModelError(f"the segmented trend needs at least {X.shape[1] + 2} observed years, got {len(years)}")
    return _ols(ly, X, hac=True), int(years[0]), used, notes


def segmented_growth(series: pd.Series, breaks="fixed", level: float = 0.9) -> pd.DataFrame:
    """Annual growth rate in each segment with its confidence interval (HAC, t distribution).

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.
    breaks : {"fixed", "estimated"} or tuple of int, default "fixed"
        As `resolve_breaks`.
    level : float, default 0.9

    Returns
    -------
    DataFrame
        One row per segment: segment ("first-last" years), years_observed, rate, lower,
        upper (growth per year as fractions).

    Raises
    ------
    ModelError
        As `segmented_fit`.
    """
    res, x0, used, _ = segmented_fit(series, breaks)
    years = series.dropna().index.to_numpy(int)
    edges = [int(years.min())] + list(used) + [int(years.max())]
    rows = []
    for i in range(len(edges) - 1):
        c = np.zeros(len(res.params))
        c[1: 2 + i] = 1.0
        tt = res.t_test(c)
        lo, hi = np.asarray(tt.conf_int(alpha=1 - level)).ravel()
        seg_years = years[(years >= edges[i]) & (years <= edges[i + 1])]
        rows.append({"segment": f"{edges[i]}-{edges[i + 1]}", "years_observed": len(seg_years),
                     "rate": math.expm1(float(np.ravel(tt.effect)[0])), "lower": math.expm1(lo), "upper": math.expm1(hi)})
    return pd.DataFrame(rows)


def forecast_segmented(series: pd.Series, targets, level: float = 0.9, breaks="fixed") -> pd.DataFrame:
    """Forecast that extends the last segment's slope; prediction interval from the OLS fit (HAC covariance).

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.
    targets : sequence of int
        Years to forecast.
    level : float, default 0.9
    breaks : {"fixed", "estimated"} or tuple of int, default "fixed"
        As `resolve_breaks`.

    Returns
    -------
    DataFrame
        One row per target: year, mean, lower, upper (t REO).

    Raises
    ------
    ModelError
        As `segmented_fit`.
    """
    res, x0, used, _ = segmented_fit(series, breaks)
    X = _hinge_X(targets, x0, used)
    sf = res.get_prediction(X).summary_frame(alpha=1 - level)
    return pd.DataFrame({"year": np.asarray(targets, int), "mean": np.exp(sf["mean"].to_numpy()),
                         "lower": np.exp(sf["obs_ci_lower"].to_numpy()), "upper": np.exp(sf["obs_ci_upper"].to_numpy())})


# ---- one entry point for every model ---------------------------------------------------------------

def forecast(model: str, series: pd.Series, targets, level: float = 0.9, breaks="fixed") -> pd.DataFrame:
    """Forecast frame (year, mean, lower, upper; t REO) of one annual model.

    Parameters
    ----------
    model : {"naive", "loglinear", "segmented", "holt"}
        A key of `MODEL_NAMES`.
    series : Series
        Annual quota in t REO, indexed by year.
    targets : iterable of int
        Years to forecast.
    level : float, default 0.9
    breaks : {"fixed", "estimated"} or tuple of int, default "fixed"
        Break years of the segmented trend (see `resolve_breaks`); the others ignore it.

    Returns
    -------
    DataFrame
        One row per target: year, mean, lower, upper (t REO).

    Raises
    ------
    ModelError
        When `model` is unknown or the model cannot be fitted.
    """
    targets = list(targets)
    if model == "naive":
        return forecast_naive(series, targets, level)
    if model == "loglinear":
        return forecast_loglinear(series, targets, level)
    if model == "segmented":
        return forecast_segmented(series, targets, level, breaks)
    if model == "holt":
        from helpers.models.holt import forecast_holt  # holt imports this module

        return forecast_holt(series, targets, level)
    raise ModelError(f"unknown model {model!r}; expected one of {', '.join(MODEL_NAMES)}")
