"""Statistical models behind the model notebooks: quota growth and the export rebound.

Two families, each compared against a naive baseline and reported with its
uncertainty:

* Annual quota growth (``notebooks/models/quota_growth.ipynb``): a random walk
  with drift on log quota (the naive baseline), a log-linear trend (OLS with
  HAC standard errors), a segmented (continuous, piecewise) log-linear trend and
  Holt's damped trend; a rolling-origin backtest; a slowdown test; a nowcast of
  the undisclosed 2025 quota.
* Monthly export shock (``notebooks/models/export_rebound.ipynb``): a
  counterfactual fitted on pre-shock months, an interrupted time series
  (segmented regression with HAC errors), rebound figures (trough depth,
  months to recover, cumulative shortfall) with simulated intervals, and a
  placebo test at fake shock months.

Missing years and months are never filled in. Each model says how it treats
them (see the docstrings); the notebooks repeat it in plain words.

Every function takes plain pandas objects, so the known-answer tests in
tests/test_models.py can feed synthetic series; the ``*_history`` functions
(defined in helpers.models.series, re-exported here) and ``usgs_figure`` are the only ones
that read data/.
"""
from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from matplotlib.ticker import MaxNLocator
from scipy import stats

from helpers.plots import theme as charts
from helpers import data as hdata
from helpers.models.series import (COUNTERFACTUAL_KINDS, EXPORT_SERIES, MIN_OBS, MIN_YEARS, ModelError,  # noqa: F401
                            export_history, quota_history, quota_series)

# --------------------------------------------------------------------------- constants

#: Regime changes used as the segmented trend's fixed break years: quotas were
#: flat around 94,000 t until 2013, rose in 2014 (105,000 t, after the industry's
#: consolidation into six groups) and started rising every year from 2018.
REGIME_BREAKS: tuple[int, ...] = (2014, 2018)

MODEL_NAMES: dict[str, str] = {
    "naive": "Naive: random walk with drift",
    "loglinear": "Log-linear trend (OLS, HAC)",
    "segmented": "Segmented log-linear trend",
    "holt": "Holt damped trend",
}

SEED = 20250401  # fixed, so simulated intervals are the same on every run
N_DRAWS = 2000
#: Significance level of the placebo test, fixed in advance and stated on the page. It is not the
#: interval `level` parameter: changing how wide the intervals are drawn must not change the verdict.
#: 10%, the level the test had at the notebook's default interval level (90%) before the two were
#: separated; a rank test with J placebos cannot go below p = 1 / (J + 1), so with fewer than 9 (19
#: at 5%) it is reported as inconclusive.
PLACEBO_ALPHA = 0.10


# --------------------------------------------------------------------------- formatting

def fmt_pct(x: float, digits: int = 1, sign: bool = True) -> str:
    """A share as a percent string: 0.1234 -> '+12.3%'."""
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x * 100:+.{digits}f}%" if sign else f"{x * 100:.{digits}f}%"


def fmt_t(x: float, digits: int = -2) -> str:
    """Tonnes rounded (to hundreds by default) with thousands separators."""
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{round(x, digits):,.0f}"


def fmt_interval(lo: float, hi: float, fmt=fmt_t) -> str:
    return f"{fmt(lo)} to {fmt(hi)}"


def show_findings(title: str, bullets: list[str]) -> None:
    """Display a findings box as Markdown (text/plain carries the same text, so nbval can compare it)."""
    from IPython.display import display

    md = f"> **{title}**\n>\n" + "\n".join(f"> - {b}" for b in bullets)
    display({"text/markdown": md, "text/plain": md}, raw=True)


def show_text(md: str) -> None:
    """Display generated Markdown (deterministic text/plain alongside)."""
    from IPython.display import display

    display({"text/markdown": md, "text/plain": md}, raw=True)


def _tq(level: float, df: float) -> float:
    """Two-sided t quantile for an interval at `level`."""
    return float(stats.t.ppf(0.5 + level / 2, df))


def nw_lags(n: int) -> int:
    """Newey-West rule of thumb floor(4 (n/100)^(2/9)), at least 1."""
    return max(1, int(math.floor(4 * (n / 100) ** (2 / 9))))


def _ols(y, X, hac: bool):
    model = sm.OLS(np.asarray(y, float), np.asarray(X, float))
    if hac:
        return model.fit(cov_type="HAC", cov_kwds={"maxlags": nw_lags(len(y)), "use_correction": True}, use_t=True)
    return model.fit()


# --------------------------------------------------------------------------- data access

def usgs_figure(year: int, country: str = "China", data_dir=None) -> dict | None:
    """USGS's preferred (latest-edition) figure for one year, or None when the data hold none."""
    p = hdata.load_production(country=country, data_dir=data_dir)
    p = p[p["year"] == year]
    if p.empty:
        return None
    r = p.iloc[0]
    note = r["note"] if isinstance(r["note"], str) else ""
    return {"year": year, "value": float(r["value"]), "edition": str(r["edition"]), "estimated": bool(r["estimated"]),
            "note": note, "source_id": str(r["source_id"])}


# =========================================================================== annual quota models

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
    the observed changes as sum((d_i - k_i drift)^2 / k_i) / (m - 1).
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
    """Forecast = last value x exp(h x drift); interval from var = sigma^2 (h + h^2 / span)."""
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

    HAC treats the observed years as one sequence, so a gap counts as one step.
    """
    years, ly = _clean_annual(series)
    if len(years) < 4:
        raise ModelError("the log-linear trend needs at least four observed years")
    x0 = years[0]
    X = np.column_stack([np.ones(len(years)), years - x0])
    return _ols(ly, X, hac=True), x0


def loglinear_growth(series: pd.Series, level: float = 0.9) -> dict:
    """Average annual growth rate exp(b) - 1 with its confidence interval (HAC, t distribution)."""
    res, _ = loglinear_fit(series)
    lo, hi = res.conf_int(alpha=1 - level)[1]
    b = res.params[1]
    return {"rate": math.expm1(b), "lower": math.expm1(lo), "upper": math.expm1(hi), "n": int(res.nobs),
            "se_log": float(res.bse[1]), "hac_lags": nw_lags(int(res.nobs)), "first": int(series.dropna().index.min()),
            "last": int(series.dropna().index.max())}


def forecast_loglinear(series: pd.Series, targets, level: float = 0.9) -> pd.DataFrame:
    res, x0 = loglinear_fit(series)
    X = np.column_stack([np.ones(len(targets)), np.asarray(targets, float) - x0])
    sf = res.get_prediction(X).summary_frame(alpha=1 - level)
    return pd.DataFrame({"year": np.asarray(targets, int), "mean": np.exp(sf["mean"].to_numpy()),
                         "lower": np.exp(sf["obs_ci_lower"].to_numpy()), "upper": np.exp(sf["obs_ci_upper"].to_numpy())})


# ---- segmented log-linear trend --------------------------------------------------------------------

def usable_breaks(years, breaks, min_per_segment: int = 2) -> tuple[tuple[int, ...], list[str]]:
    """Keep the break years that leave at least `min_per_segment` observed years in every segment.

    Segments are: years before the first break, years from one break to the
    next, years from the last break on. Returns the kept breaks and a note for
    each dropped one.
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
    """Break years chosen by BIC among 0..max_breaks breaks (each candidate a whole year), in-sample only."""
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
    """The break years the segmented trend uses: 'fixed' (REGIME_BREAKS), 'estimated' or an explicit tuple."""
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
    """Continuous piecewise log-linear trend (hinges at the break years), OLS with HAC errors."""
    years, ly = _clean_annual(series)
    used, notes = resolve_breaks(series, breaks)
    X = _hinge_X(years, years[0], used)
    if len(years) < X.shape[1] + 2:
        raise ModelError(f"the segmented trend needs at least {X.shape[1] + 2} observed years, got {len(years)}")
    return _ols(ly, X, hac=True), int(years[0]), used, notes


def segmented_growth(series: pd.Series, breaks="fixed", level: float = 0.9) -> pd.DataFrame:
    """Annual growth rate in each segment with its confidence interval (HAC, t distribution)."""
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
    """Extends the last segment's slope; prediction interval from the OLS fit (HAC covariance)."""
    res, x0, used, _ = segmented_fit(series, breaks)
    X = _hinge_X(targets, x0, used)
    sf = res.get_prediction(X).summary_frame(alpha=1 - level)
    return pd.DataFrame({"year": np.asarray(targets, int), "mean": np.exp(sf["mean"].to_numpy()),
                         "lower": np.exp(sf["obs_ci_lower"].to_numpy()), "upper": np.exp(sf["obs_ci_upper"].to_numpy())})


# ---- Holt's damped trend ---------------------------------------------------------------------------

_HOLT_STARTS = ((0.1, 0.01, 0.98), (0.9, 0.3, 0.95), (0.5, 0.1, 0.9), (0.99, 0.5, 0.9))


def holt_fit(series: pd.Series):
    """Holt's damped trend on log values as a state-space model (ETS(A,Ad,N), statsmodels).

    The state-space form lets the Kalman filter pass over missing years as
    missing observations (no interpolation). Fitted by maximum likelihood from
    several starting points (the default start often stops in a poor local
    optimum on short series); the best likelihood wins. The damping factor is
    bounded at 0.98 by statsmodels.
    """
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

    years, ly = _clean_annual(series)
    if len(years) < 6:
        raise ModelError("Holt's damped trend needs at least six observed years")
    full = np.arange(years[0], years[-1] + 1)
    y = pd.Series(ly, index=years).reindex(full).to_numpy()
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(y, trend=True, damped_trend=True)
        # initial level and trend from the first two observed years (statsmodels' own start needs them consecutive)
        init = [ly[0], (ly[1] - ly[0]) / (years[1] - years[0])]
        for start in _HOLT_STARTS:
            p0 = np.r_[start, init]
            try:
                res = model.fit(start_params=p0, disp=False)
            except (np.linalg.LinAlgError, ValueError):
                continue
            if np.isfinite(res.llf) and (best is None or res.llf > best.llf + 1e-9):
                best = res
    if best is None:
        raise ModelError("Holt's damped trend could not be fitted")
    return best, int(full[-1])


def forecast_holt(series: pd.Series, targets, level: float = 0.9) -> pd.DataFrame:
    res, last = holt_fit(series)
    targets = np.asarray(targets, int)
    steps = int(targets.max() - last)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = res.get_forecast(steps)
        mean = np.asarray(fc.predicted_mean)
        ci = np.asarray(fc.conf_int(alpha=1 - level))
    idx = targets - last - 1
    return pd.DataFrame({"year": targets, "mean": np.exp(mean[idx]), "lower": np.exp(ci[idx, 0]),
                         "upper": np.exp(ci[idx, 1])})


def holt_params(series: pd.Series) -> dict:
    res, _ = holt_fit(series)
    return dict(zip(["alpha", "beta", "phi"], [float(v) for v in np.asarray(res.params)[:3]]))


# ---- one entry point for every model ---------------------------------------------------------------

def forecast(model: str, series: pd.Series, targets, level: float = 0.9, breaks="fixed") -> pd.DataFrame:
    """Forecast frame (year, mean, lower, upper; t REO) of one annual model."""
    targets = list(targets)
    if model == "naive":
        return forecast_naive(series, targets, level)
    if model == "loglinear":
        return forecast_loglinear(series, targets, level)
    if model == "segmented":
        return forecast_segmented(series, targets, level, breaks)
    if model == "holt":
        return forecast_holt(series, targets, level)
    raise ModelError(f"unknown model {model!r}; expected one of {', '.join(MODEL_NAMES)}")


# ---- rolling-origin backtest ----------------------------------------------------------------------

def backtest(series: pd.Series, horizons=(1, 2), min_train: int = 6, level: float = 0.9, breaks="fixed",
             models=tuple(MODEL_NAMES)) -> pd.DataFrame:
    """Rolling-origin backtest: for each observed origin year, fit on the years up to it, forecast origin + h.

    Origins are observed years with at least `min_train` observed years up to
    and including them. A forecast is scored only when its target year is
    observed (a missing year is never filled in to score against). A model that
    cannot be fitted at an origin gives no forecast there (NaN).
    """
    s = series.dropna().sort_index()
    years = s.index.to_numpy(int)
    rows = []
    for i, origin in enumerate(years):
        if i + 1 < min_train:
            continue
        targets = [origin + h for h in horizons if (origin + h) in set(years)]
        if not targets:
            continue
        train = s[s.index <= origin]
        for m in models:
            try:
                fc = forecast(m, train, targets, level, breaks).set_index("year")
            except ModelError:
                fc = pd.DataFrame({"mean": np.nan, "lower": np.nan, "upper": np.nan}, index=targets)
            for t in targets:
                actual = float(s.loc[t])
                f = fc.loc[t]
                rows.append({"model": m, "origin": int(origin), "h": int(t - origin), "target": int(t),
                             "actual": actual, "forecast": float(f["mean"]), "lower": float(f["lower"]),
                             "upper": float(f["upper"])})
    bt = pd.DataFrame(rows, columns=["model", "origin", "h", "target", "actual", "forecast", "lower", "upper"])
    bt["error"] = bt["forecast"] - bt["actual"]
    bt["abs_error"] = bt["error"].abs()
    bt["ape"] = bt["abs_error"] / bt["actual"]
    bt["covered"] = (bt["actual"] >= bt["lower"]) & (bt["actual"] <= bt["upper"])
    return bt


def backtest_scores(bt: pd.DataFrame, baseline: str = "naive") -> pd.DataFrame:
    """MAE, MAPE, relative MAE and head-to-head wins against the baseline, on the forecasts every model made.

    Scored per horizon and over all horizons ("all"). `verdict` says plainly
    whether the model beat the naive baseline (lower MAE on the same forecasts).
    """
    if bt.empty:
        return pd.DataFrame(columns=["model", "h", "n", "mae", "mape", "rel_mae", "wins", "coverage", "verdict"])
    fitted = [m for m in bt["model"].unique() if bt.loc[bt["model"] == m, "forecast"].notna().any()]
    wide = bt[bt["model"].isin(fitted)].pivot_table(index=["origin", "h"], columns="model", values="forecast",
                                                     aggfunc="first", dropna=False)
    common = wide.dropna().index
    keep = bt.set_index(["origin", "h"]).index.isin(common) & bt["model"].isin(fitted).to_numpy()
    b = bt[keep]
    base = b[b["model"] == baseline].set_index(["origin", "h"])["abs_error"]
    rows = []
    for h in sorted(b["h"].unique().tolist()) + ["all"]:
        part = b if h == "all" else b[b["h"] == h]
        base_mae = part[part["model"] == baseline]["abs_error"].mean()
        for m in bt["model"].unique():
            pm = part[part["model"] == m]
            if m not in fitted:
                rows.append({"model": m, "h": h, "n": 0, "mae": np.nan, "mape": np.nan, "rel_mae": np.nan, "wins": 0,
                             "coverage": np.nan, "verdict": "could not be fitted at any origin"})
                continue
            if pm.empty:
                continue
            mae = pm["abs_error"].mean()
            ae = pm.set_index(["origin", "h"])["abs_error"]
            wins = int((ae < base.reindex(ae.index)).sum())
            if m == baseline:
                verdict = "baseline"
            elif mae < base_mae:
                verdict = "beats naive"
            else:
                verdict = "does not beat naive"
            rows.append({"model": m, "h": h, "n": len(pm), "mae": mae, "mape": pm["ape"].mean(),
                         "rel_mae": mae / base_mae if base_mae > 0 else np.nan, "wins": wins,
                         "coverage": pm["covered"].mean(), "verdict": verdict})
    return pd.DataFrame(rows)


def best_model(scores: pd.DataFrame) -> str:
    """The model with the lowest MAE over all horizons (ties go to the naive baseline)."""
    allh = scores[(scores["h"] == "all") & scores["mae"].notna()].copy()
    allh["rank_tie"] = (allh["model"] != "naive").astype(int)
    return str(allh.sort_values(["mae", "rank_tie"]).iloc[0]["model"])


def backtest_table(scores: pd.DataFrame, level: float) -> pd.DataFrame:
    """Scores as rounded text for printing."""
    out = pd.DataFrame({
        "model": scores["model"].map(MODEL_NAMES),
        "horizon": scores["h"].map(lambda h: "1 and 2 years" if h == "all" else f"{h} year" + ("s" if h != 1 else "")),
        "forecasts": scores["n"].astype(int),
        "MAE (t REO)": scores["mae"].map(lambda v: f"{v:,.0f}"),
        "MAPE": scores["mape"].map(lambda v: fmt_pct(v, 1, sign=False)),
        "MAE / naive MAE": scores["rel_mae"].map(lambda v: f"{v:.2f}"),
        "closer than naive": [f"{w} of {n}" if m != "naive" else "-" for w, n, m in
                              zip(scores["wins"], scores["n"], scores["model"])],
        f"{level:.0%} interval covered": scores["coverage"].map(lambda v: fmt_pct(v, 0, sign=False)),
        "verdict": scores["verdict"],
    })
    return out


# ---- slowdown and nowcast --------------------------------------------------------------------------

def slowdown_test(series: pd.Series, fit_first: int, fit_last: int, test_year: int, level: float = 0.9) -> dict:
    """Does `test_year` fall below the log-linear trend of fit_first..fit_last, beyond its prediction interval?

    Plain OLS (classical errors: with so few years HAC is not meaningful) on the
    observed years of the window; a t prediction interval at `level`.
    """
    s = series.dropna()
    window = s[(s.index >= fit_first) & (s.index <= fit_last)]
    out = {"fit_first": fit_first, "fit_last": fit_last, "test_year": test_year, "n": len(window), "level": level}
    if len(window) < 4 or test_year not in s.index:
        why = (f"the trend from {fit_first} needs a last year of at least {fit_first + 4}" if fit_last < fit_first + 3
               else f"{len(window)} observed years in {fit_first}-{fit_last} (needs at least 4)")
        if test_year not in s.index:
            why += f" and a {test_year} value"
        out.update(testable=False, verdict=f"not testable: {why}")
        return out
    years = window.index.to_numpy(int)
    X = np.column_stack([np.ones(len(years)), years - fit_first])
    res = _ols(np.log(window.to_numpy(float)), X, hac=False)
    sf = res.get_prediction(np.array([[1.0, test_year - fit_first]])).summary_frame(alpha=1 - level).iloc[0]
    actual = float(s.loc[test_year])
    pred, lo, hi = math.exp(sf["mean"]), math.exp(sf["obs_ci_lower"]), math.exp(sf["obs_ci_upper"])
    below = actual < lo
    out.update(testable=True, trend_rate=math.expm1(res.params[1]), predicted=pred, lower=lo, upper=hi, actual=actual,
               gap=actual / pred - 1, below_interval=bool(below),
               verdict=(f"{test_year} ({actual:,.0f} t) is below the {level:.0%} prediction interval of the "
                        f"{fit_first}-{fit_last} trend ({fmt_t(lo)} to {fmt_t(hi)} t): a slowdown beyond normal variation"
                        if below else
                        f"{test_year} ({actual:,.0f} t) is {abs(actual / pred - 1):.1%} "
                        f"{'below' if actual < pred else 'above'} the {fit_first}-{fit_last} trend "
                        f"({fmt_t(pred)} t) but inside its {level:.0%} prediction interval ({fmt_t(lo)} to {fmt_t(hi)} t): "
                        "not a slowdown beyond normal variation on this test"))
    return out


def nowcast(series: pd.Series, targets, level: float = 0.9, breaks="fixed", models=tuple(MODEL_NAMES)) -> pd.DataFrame:
    """Every model's forecast of the target years, fitted on the whole series; long frame."""
    frames = []
    for m in models:
        try:
            fc = forecast(m, series, targets, level, breaks)
        except ModelError as exc:
            fc = pd.DataFrame({"year": list(targets), "mean": np.nan, "lower": np.nan, "upper": np.nan})
            fc["note"] = str(exc)
        fc.insert(0, "model", m)
        frames.append(fc)
    out = pd.concat(frames, ignore_index=True)
    if "note" not in out:
        out["note"] = ""
    out["note"] = out["note"].fillna("")
    return out


def nowcast_table(nc: pd.DataFrame, best: str, level: float) -> pd.DataFrame:
    rows = nc.copy()
    return pd.DataFrame({
        "model": rows["model"].map(MODEL_NAMES) + np.where(rows["model"] == best, " (best in backtest)", ""),
        "year": rows["year"].astype(int),
        "estimate (t REO)": rows["mean"].map(fmt_t),
        f"{level:.0%} prediction interval (t REO)": [fmt_interval(lo, hi) for lo, hi in zip(rows["lower"], rows["upper"])],
    })


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
    """Observed quotas (derived hollow) with the fitted log-linear and segmented trends (log scale)."""
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
    """History with the best model's forecast fan (50%, 80% and `level` intervals) and the other models' estimates."""
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
    """Percent error of each model's forecasts by target year and horizon."""
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
    """The trend of fit_first..fit_last extended to the test year, with its prediction interval and the actual value."""
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

def _month_ordinal(idx: pd.PeriodIndex) -> np.ndarray:
    return np.asarray(idx.year * 12 + idx.month - 1, dtype=float)


@dataclass
class Counterfactual:
    """What the series would have done without the shock, fitted on the pre-shock window.

    `frame` covers the pre-shock window and every month from the shock to the
    end of the data: actual (NaN where missing or not used), mean, lower,
    upper (t) and part ('pre' or 'post').
    """
    kind: str
    reason: str
    shock: pd.Period
    start: pd.Period
    n_obs: int
    month_effects: bool
    month_note: str
    level: float
    frame: pd.DataFrame
    growth: dict | None = None
    _sim: dict = field(default_factory=dict, repr=False)

    @property
    def post(self) -> pd.DataFrame:
        return self.frame[self.frame["part"] == "post"]

    def draws(self, n: int = N_DRAWS, seed: int = SEED) -> np.ndarray:
        """Simulated counterfactual paths for the post-shock months (n x months), t.

        Parameter uncertainty and month-level noise, as in the prediction
        interval: sigma^2 drawn from its scaled chi-square, coefficients from
        their normal given sigma, noise independent across months.
        """
        rng = np.random.default_rng(seed)
        sim = self._sim
        df = sim["df"]
        s2 = sim["s2"] * df / rng.chisquare(df, size=n)
        if self.kind == "year_ago":
            base = sim["base_log"]
            eps = rng.standard_normal((n, len(base))) * np.sqrt(2 * s2)[:, None]
            return np.exp(base[None, :] + eps)
        Xp = sim["X_post"]
        L = np.linalg.cholesky(sim["xtx_inv"] + 1e-12 * np.eye(len(sim["beta"])))
        z = rng.standard_normal((n, len(sim["beta"])))
        betas = sim["beta"][None, :] + (z @ L.T) * np.sqrt(s2)[:, None]
        eps = rng.standard_normal((n, Xp.shape[0])) * np.sqrt(s2)[:, None]
        return np.exp(betas @ Xp.T + eps)


def _window(y: pd.Series, shock: pd.Period, pre_months: int) -> tuple[pd.Series, pd.Series]:
    start = shock - pre_months
    pre = y[(y.index >= start) & (y.index < shock)]
    post = y[y.index >= shock]
    full_pre = pd.period_range(start, shock - 1, freq="M")
    return pre.reindex(full_pre), post


def choose_kind(n_obs: int, kind: str = "auto") -> tuple[str, str]:
    """The counterfactual used, and why: 'auto' picks a trend with >= 12 observed pre-shock months, else a level."""
    if kind not in COUNTERFACTUAL_KINDS:
        raise ModelError(f"unknown counterfactual {kind!r}; expected one of {', '.join(COUNTERFACTUAL_KINDS)}")
    if kind != "auto":
        if n_obs < MIN_OBS[kind]:
            raise ModelError(f"the {kind} counterfactual needs at least {MIN_OBS[kind]} observed pre-shock months, "
                             f"the window holds {n_obs}: widen pre_months, include derived months or choose another")
        return kind, "chosen by parameter"
    if n_obs >= MIN_OBS["trend"]:
        return "trend", f"{n_obs} observed pre-shock months: enough for a log-linear trend (12 or more)"
    if n_obs >= MIN_OBS["level"]:
        return "level", (f"only {n_obs} observed pre-shock months: too few for a trend (12 needed), so the "
                         "counterfactual is the pre-shock average level, with no growth")
    raise ModelError(f"only {n_obs} observed month{'' if n_obs == 1 else 's'} in the pre-shock window: too few for any fitted counterfactual "
                     f"(a level needs {MIN_OBS['level']}); widen pre_months, include derived months, or use "
                     "counterfactual='year_ago'")


def fit_counterfactual(y: pd.Series, shock, pre_months: int = 24, kind: str = "auto", level: float = 0.9,
                       end=None) -> Counterfactual:
    """Counterfactual on log values fitted on the `pre_months` months before `shock`.

    kinds: 'trend' = log-linear trend (plus month-of-year effects only when each
    calendar month is observed at least twice in the window); 'level' = the
    average log level, flat; 'year_ago' = the same month a year earlier, with
    noise sqrt(2) x the spread of the pre-shock months around their mean.
    Missing months are simply absent from the fit; nothing is interpolated.
    """
    shock = pd.Period(shock, freq="M")
    y = y.sort_index()
    if end is not None:
        y = y[y.index <= pd.Period(end, freq="M")]
    pre, post = _window(y, shock, pre_months)
    if post.empty:
        raise ModelError(f"no months at or after the shock {shock} in the data")
    obs = pre.dropna()
    if (obs <= 0).any() or (post.dropna() <= 0).any():
        raise ModelError("export models work on logs: values must be positive")
    kind, reason = choose_kind(len(obs), kind)
    counts = pd.Series(obs.index.month).value_counts()
    month_effects = kind == "trend" and len(obs) >= 24 and len(counts) == 12 and counts.min() >= 2
    month_note = ("month-of-year effects estimated (every calendar month observed at least twice)" if month_effects else
                  f"no month-of-year effects: {int((counts >= 2).sum())} of 12 calendar months are observed twice "
                  f"or more in the {len(obs)} pre-shock months (all 12 needed)")
    months = pre.index.append(post.index)
    frame = pd.DataFrame({"actual": pd.concat([pre, post]).to_numpy(), "part": ["pre"] * len(pre) + ["post"] * len(post)},
                         index=months)
    ly = np.log(obs.to_numpy(float))
    growth = None
    if kind in ("trend", "level"):
        def design(idx):
            t = _month_ordinal(idx) - _month_ordinal(pd.PeriodIndex([shock]))[0]
            cols = [np.ones(len(idx))]
            if kind == "trend":
                cols.append(t)
            if month_effects:
                cols += [(idx.month == m).astype(float) for m in range(2, 13)]
            return np.column_stack(cols)
        X = design(obs.index)
        res = _ols(ly, X, hac=False)
        df = res.df_resid
        Xa = design(months)
        xtx_inv = np.linalg.inv(X.T @ X)
        mean = Xa @ res.params
        se = np.sqrt(res.scale * (1 + np.einsum("ij,jk,ik->i", Xa, xtx_inv, Xa)))
        q = _tq(level, df)
        frame["mean"], frame["lower"], frame["upper"] = np.exp(mean), np.exp(mean - q * se), np.exp(mean + q * se)
        sim = {"df": df, "s2": res.scale, "beta": np.asarray(res.params), "xtx_inv": xtx_inv,
               "X_post": design(post.index), "mean_log": mean[len(pre):], "scale_log": se[len(pre):]}
        if kind == "trend":
            lo, hi = res.conf_int(alpha=1 - level)[1]
            growth = {"monthly": math.expm1(res.params[1]), "annual": math.expm1(12 * res.params[1]),
                      "annual_lower": math.expm1(12 * lo), "annual_upper": math.expm1(12 * hi)}
    else:  # year_ago
        sd = float(np.std(ly, ddof=1))
        df = len(ly) - 1
        q = _tq(level, df)
        ago = y.reindex(months - 12).to_numpy(float)
        base = np.log(ago)
        frame["mean"] = ago
        frame["lower"], frame["upper"] = np.exp(base - q * math.sqrt(2) * sd), np.exp(base + q * math.sqrt(2) * sd)
        base_post = np.log(y.reindex(post.index - 12).to_numpy(float))
        sim = {"df": df, "s2": sd ** 2, "base_log": base_post, "mean_log": base_post,
               "scale_log": np.full(len(base_post), math.sqrt(2) * sd)}
        missing_ago = [str(m) for m in post.index if not np.isfinite(y.get(m - 12, np.nan))]
        if missing_ago:
            reason += f"; no year-ago value (so no counterfactual) for {', '.join(missing_ago)}"
    return Counterfactual(kind=kind, reason=reason, shock=shock, start=shock - pre_months, n_obs=len(obs),
                          month_effects=month_effects, month_note=month_note, level=level, frame=frame,
                          growth=growth, _sim=sim)


# ---- rebound figures -------------------------------------------------------------------------------

def rebound_stats(actual, cf, thresholds=(0.5, 0.9), trough: int | None = None, span_end: int | None = None) -> dict:
    """Trough depth, months to recover each share of the gap, and cumulative shortfall, for one path.

    actual and cf are arrays over the post-shock months (month 0 = the shock).
    Gap g_t = 1 - actual_t / cf_t, over months where both exist. Trough = the
    month with the largest gap, or the month given as `trough` (the rebound
    intervals fix it at the central path's trough, see `rebound`); depth = the
    gap there. A share X of the gap is recovered at the first observed month
    after the trough with g_t <= (1 - X) * depth. Shortfall = sum of
    (cf_t - actual_t) in tonnes from the shock to the month the last threshold
    is reached (or to the end), over observed months only; with `span_end`
    given, to that month whatever the path does. With no gap (depth <= 0)
    recovery is immediate: 0 months, and no shortfall unless `span_end` is given.
    """
    actual = np.asarray(actual, float)
    cf = np.asarray(cf, float)
    ok = np.isfinite(actual) & np.isfinite(cf)
    out = {"trough": None, "depth": float("nan"), "recover": {th: float("nan") for th in thresholds},
           "shortfall": float("nan"), "shortfall_end": None}
    if not ok.any() or (trough is not None and not ok[trough]):
        return out
    g = np.where(ok, 1 - actual / np.where(ok, cf, 1.0), np.nan)
    trough = int(np.nanargmax(g)) if trough is None else int(trough)
    depth = float(g[trough])
    out.update(trough=trough, depth=depth)
    last_reached = len(g) - 1
    for th in sorted(thresholds):
        if depth <= 0:
            out["recover"][th] = 0.0
            last_reached = trough
            continue
        hit = [i for i in range(trough + 1, len(g)) if ok[i] and g[i] <= (1 - th) * depth]
        out["recover"][th] = float(hit[0] - trough) if hit else float("inf")
    final = max(thresholds)
    if depth > 0:
        r = out["recover"][final]
        last_reached = int(trough + r) if np.isfinite(r) else len(g) - 1
    if span_end is not None:
        last_reached = int(span_end)
    span = slice(0, last_reached + 1)
    summed = float(np.nansum(np.where(ok[span], cf[span] - actual[span], np.nan)))
    out["shortfall"] = summed if (depth > 0 or span_end is not None) else 0.0
    out["shortfall_end"] = last_reached
    return out


def rebound_stats_paths(actual, paths, thresholds=(0.5, 0.9), trough: int | None = None,
                        span_end: int | None = None) -> dict:
    """rebound_stats for many counterfactual paths at once (rows of `paths`), as arrays.

    Same definitions (and the same optional fixed `trough` and `span_end`) as
    rebound_stats, computed for all simulated paths together: the uncertainty of
    the rebound figures takes thousands of paths, and a Python loop over them was
    most of the export-rebound notebook's run time.
    Returns {"trough": (n,) int (-1 where nothing is observed), "depth": (n,),
    "recover": {th: (n,)}, "shortfall": (n,)}.
    """
    actual = np.asarray(actual, float)
    cf = np.atleast_2d(np.asarray(paths, float))
    n, t = cf.shape
    ok = np.isfinite(actual)[None, :] & np.isfinite(cf)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(ok, 1 - actual[None, :] / np.where(ok, cf, 1.0), np.nan)
    if trough is None:
        any_ok = ok.any(axis=1)
        g_safe = np.where(any_ok[:, None], g, 0.0)
        trough_ = np.where(any_ok, np.nanargmax(np.where(np.isnan(g_safe), -np.inf, g_safe), axis=1), 0)
    else:
        any_ok = ok[:, int(trough)]
        trough_ = np.full(n, int(trough))
    depth = np.where(any_ok, g[np.arange(n), trough_], np.nan)
    idx = np.arange(t)[None, :]
    after = ok & (idx > trough_[:, None])
    recover = {}
    for th in sorted(thresholds):
        hit = after & (g <= ((1 - th) * depth)[:, None])
        first = np.where(hit.any(axis=1), np.argmax(hit, axis=1), -1)
        r = np.where(first >= 0, first - trough_, np.inf).astype(float)
        r = np.where(depth <= 0, 0.0, r)
        recover[th] = np.where(any_ok, r, np.nan)
    final = recover[max(thresholds)]
    last_reached = np.where(depth > 0, np.where(np.isfinite(final), trough_ + np.nan_to_num(final, posinf=0).astype(int),
                                                 t - 1), trough_)
    if span_end is not None:
        last_reached = np.full(n, int(span_end))
    in_span = ok & (idx <= last_reached[:, None])
    shortfall = np.where(in_span, cf - actual[None, :], 0.0).sum(axis=1)
    if span_end is None:
        shortfall = np.where(depth > 0, shortfall, 0.0)
    shortfall = np.where(any_ok, shortfall, np.nan)
    return {"trough": np.where(any_ok, trough_, -1), "depth": depth, "recover": recover, "shortfall": shortfall}


@dataclass
class Rebound:
    """Rebound figures: `point` holds each central estimate, the *_ci tuples its interval at `level`.

    Every interval contains its central estimate by construction (see `rebound`
    and `method`). `central` holds the same figures read off the central
    counterfactual path alone, and `trough_share` the share of simulated paths
    whose own deepest month is the trough month.
    """
    cf: Counterfactual
    thresholds: tuple
    level: float
    point: dict
    depth_ci: tuple
    recover_ci: dict
    shortfall_ci: tuple
    not_recovered_share: dict
    missing_post: list
    derived_post: list
    n_draws: int
    central: dict = field(default_factory=dict)
    trough_share: float = float("nan")

    def month(self, offset: float | None) -> str:
        if offset is None or not np.isfinite(offset):
            return "n/a"
        return str(self.cf.shock + int(offset))

    @property
    def method(self) -> str:
        """How the central estimates and intervals are made, in plain words (for the page)."""
        if self.point["trough"] is None:
            return "No post-shock month has both an actual value and a counterfactual, so there are no rebound figures."
        return (f"The trough month, {self.month(self.point['trough'])}, is where exports fell furthest below the central "
                "counterfactual; every figure is conditioned on it, on the central path and on each of the "
                f"{self.n_draws:,} simulated counterfactual paths alike (it was also the deepest month on "
                f"{self.trough_share:.0%} of the paths). Trough depth: the gap in that month; its interval is the "
                "counterfactual's prediction interval for that month turned into a gap, so the estimate is its "
                "median. Months to recover and the cumulative shortfall: each is computed on every path in the same "
                "way (recovery from that path's own gap in the trough month; shortfall summed from the shock to the "
                "month the central estimate reaches the higher threshold); the estimate is the median over the paths "
                f"and the interval the central {self.level:.0%} of the same values, so it always contains the "
                "estimate. The median of the shortfall is not the sum of the monthly counterfactual medians in the "
                "table above: those are back-transformed from logs, and a sum of skewed values has a higher median.")


def _quantiles(values, level: float) -> tuple[float, float, float]:
    """(lower, median, upper) of the draws at `level`: empirical quantiles of the same draws, NaN dropped, so
    lower <= median <= upper always; inverted_cdf keeps 'not recovered' (inf) a possible value."""
    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return (float("nan"),) * 3
    a = (1 - level) / 2
    lo, mid, hi = np.quantile(v, [a, 0.5, 1 - a], method="inverted_cdf")
    return float(lo), float(mid), float(hi)


def rebound(cf: Counterfactual, thresholds=(0.5, 0.9), level: float | None = None, n_draws: int = N_DRAWS,
            seed: int = SEED, statuses: pd.Series | None = None) -> Rebound:
    """Rebound figures with intervals that contain their estimates by construction.

    A percentile interval of a statistic re-selected on each simulated path is
    not an interval for the figure read off the central path: the deepest month
    of a noisy path is deeper than the central path's trough on average (the
    maximum of noise), and a sum of back-transformed log values has a median
    above the sum of their medians. So every figure here is one statistic,
    computed the same way on the central path and on each path:

    * the trough month T is the central path's deepest month, fixed on every path;
    * depth = the gap at T. Its distribution is a monotone transform of the
      counterfactual's t predictive distribution at T, so the interval is exact
      (the monthly prediction interval turned into a gap) and the central
      estimate is its median, equal to the central path's gap;
    * months to recover each threshold, counted from T against each path's own
      depth at T: estimate = median over the paths, interval = central `level`
      quantiles of the same values. A path on which a threshold is never
      reached counts as 'not yet' (infinite);
    * shortfall over a fixed span, from the shock to T plus the estimated months
      to the higher threshold (or to the end): median and quantiles over paths.
    """
    level = cf.level if level is None else level
    post = cf.post
    actual = post["actual"].to_numpy(float)
    central = rebound_stats(actual, post["mean"].to_numpy(float), thresholds)
    missing_post = [str(m) for m, v in zip(post.index, actual) if not np.isfinite(v)]
    derived_post = []
    if statuses is not None:
        derived_post = [str(m) for m in post.index if statuses.get(m, "") == "derived" and np.isfinite(post.loc[m, "actual"])]
    nan2 = (float("nan"), float("nan"))
    T = central["trough"]
    if T is None:
        return Rebound(cf=cf, thresholds=tuple(thresholds), level=level, point=central, depth_ci=nan2,
                       recover_ci={th: nan2 for th in thresholds}, shortfall_ci=nan2,
                       not_recovered_share={th: float("nan") for th in thresholds}, missing_post=missing_post,
                       derived_post=derived_post, n_draws=n_draws, central=central)
    paths = cf.draws(n_draws, seed)
    free = rebound_stats_paths(actual, paths, thresholds)
    trough_share = float(np.mean(free["trough"] == T))
    sims = rebound_stats_paths(actual, paths, thresholds, trough=T)
    # depth at T: exact quantiles of the t predictive distribution of log cf_T, turned into gaps
    q = _tq(level, cf._sim["df"])
    m, s = float(cf._sim["mean_log"][T]), float(cf._sim["scale_log"][T])
    depth_ci = (float(1 - actual[T] / math.exp(m - q * s)), float(1 - actual[T] / math.exp(m + q * s)))
    point = {"trough": T, "depth": float(1 - actual[T] / math.exp(m)), "recover": {}}
    recover_ci, not_rec = {}, {}
    for th in thresholds:
        lo, mid, hi = _quantiles(sims["recover"][th], level)
        point["recover"][th], recover_ci[th] = mid, (lo, hi)
        not_rec[th] = float(np.mean(~np.isfinite(sims["recover"][th])))
    r_final = point["recover"][max(thresholds)]
    end = int(T + r_final) if np.isfinite(r_final) else len(actual) - 1
    short = rebound_stats_paths(actual, paths, thresholds, trough=T, span_end=end)["shortfall"]
    lo, mid, hi = _quantiles(short, level)
    point.update(shortfall=mid, shortfall_end=end)
    return Rebound(cf=cf, thresholds=tuple(thresholds), level=level, point=point, depth_ci=depth_ci,
                   recover_ci=recover_ci, shortfall_ci=(lo, hi), not_recovered_share=not_rec,
                   missing_post=missing_post, derived_post=derived_post, n_draws=n_draws, central=central,
                   trough_share=trough_share)


def _months_text(v: float) -> str:
    if v is None or np.isnan(v):
        return "n/a"
    if not np.isfinite(v):
        return "not by the end of the data"
    return f"{int(v)} month{'s' if int(v) != 1 else ''}"


def rebound_table(rb: Rebound) -> pd.DataFrame:
    """The rebound figures as rounded text: estimate, interval, month reached."""
    p = rb.point
    rows = [{"figure": "Trough depth (% below counterfactual)", "estimate": fmt_pct(p["depth"], 0, sign=False),
             f"{rb.level:.0%} interval": fmt_interval(*rb.depth_ci, fmt=lambda v: fmt_pct(v, 0, sign=False)),
             "month": rb.month(p["trough"])}]
    for th in rb.thresholds:
        r = p["recover"][th]
        lo, hi = rb.recover_ci[th]
        rows.append({"figure": f"Months from trough to recover {th:.0%} of the gap",
                     "estimate": _months_text(r),
                     f"{rb.level:.0%} interval": f"{_months_text(lo)} to {_months_text(hi)}",
                     "month": rb.month(p["trough"] + r) if p["trough"] is not None and np.isfinite(r) else "n/a"})
    end = p["shortfall_end"]
    rows.append({"figure": f"Cumulative shortfall to {max(rb.thresholds):.0%} recovery (t)",
                 "estimate": fmt_t(p["shortfall"]),
                 f"{rb.level:.0%} interval": fmt_interval(*rb.shortfall_ci),
                 "month": f"{rb.cf.shock} to {rb.month(end)}" if end is not None else "n/a"})
    return pd.DataFrame(rows)


def monthly_table(cf: Counterfactual, statuses: pd.Series, level: float) -> pd.DataFrame:
    """Post-shock months: actual, status, counterfactual and its interval, gap."""
    post = cf.post
    gap = 1 - post["actual"] / post["mean"]
    return pd.DataFrame({
        "month": [str(m) for m in post.index],
        "status": [statuses.get(m, "missing") if np.isfinite(v) or statuses.get(m, "missing") == "missing"
                   else f"{statuses.get(m)} (not used)" for m, v in zip(post.index, post["actual"])],
        "actual (t)": [fmt_t(v, 0) for v in post["actual"]],
        "counterfactual (t)": [fmt_t(v, 0) for v in post["mean"]],
        f"{level:.0%} interval (t)": [fmt_interval(lo, hi, fmt=lambda x: fmt_t(x, 0)) for lo, hi in zip(post["lower"], post["upper"])],
        "below counterfactual": [fmt_pct(v, 0, sign=False) if np.isfinite(v) else "n/a" for v in gap],
    })


# ---- interrupted time series ------------------------------------------------------------------------

def interrupted_time_series(y: pd.Series, shock, pre_months: int = 24, level: float = 0.9, end=None) -> dict:
    """Segmented regression on log values: trend, level change at the shock, slope change after it.

    log y_t = a + b t + c post_t + d (t - shock) post_t, OLS with HAC
    (Newey-West) errors over the observed months of the pre-shock window and
    every month after. Missing months are absent rows; HAC treats the observed
    months as one sequence.
    """
    shock = pd.Period(shock, freq="M")
    y = y.sort_index()
    if end is not None:
        y = y[y.index <= pd.Period(end, freq="M")]
    pre, post = _window(y, shock, pre_months)
    obs = pd.concat([pre, post]).dropna()
    n_pre = int((obs.index < shock).sum())
    n_post = int((obs.index >= shock).sum())
    out = {"n_pre": n_pre, "n_post": n_post, "level": level}
    if n_pre < 3 or n_post < 3:
        out.update(estimable=False, note=f"not estimable: {n_pre} observed months before and {n_post} after the shock "
                                         "(needs at least 3 each)")
        return out
    t = _month_ordinal(obs.index) - _month_ordinal(pd.PeriodIndex([shock]))[0]
    post_d = (t >= 0).astype(float)
    X = np.column_stack([np.ones(len(t)), t, post_d, t * post_d])
    res = _ols(np.log(obs.to_numpy(float)), X, hac=True)
    ci = res.conf_int(alpha=1 - level)
    out.update(estimable=True, n=len(obs), hac_lags=nw_lags(len(obs)),
               level_change=math.expm1(res.params[2]), level_lower=math.expm1(ci[2][0]), level_upper=math.expm1(ci[2][1]),
               level_p=float(res.pvalues[2]),
               pre_slope=math.expm1(res.params[1]), pre_slope_lower=math.expm1(ci[1][0]), pre_slope_upper=math.expm1(ci[1][1]),
               slope_change=math.expm1(res.params[3]), slope_lower=math.expm1(ci[3][0]), slope_upper=math.expm1(ci[3][1]),
               slope_p=float(res.pvalues[3]))
    months = pre.index.append(post.index)
    tt = _month_ordinal(months) - _month_ordinal(pd.PeriodIndex([shock]))[0]
    pd_ = (tt >= 0).astype(float)
    out["fitted"] = pd.Series(np.exp(np.column_stack([np.ones(len(tt)), tt, pd_, tt * pd_]) @ res.params), index=months)
    return out


def its_table(its: dict) -> pd.DataFrame:
    lv = f"{its['level']:.0%} interval"
    if not its.get("estimable"):
        return pd.DataFrame([{"term": "interrupted time series", "estimate": its["note"], lv: "", "p-value": ""}])
    return pd.DataFrame([
        {"term": "Pre-shock trend (% a month)", "estimate": fmt_pct(its["pre_slope"]),
         lv: fmt_interval(its["pre_slope_lower"], its["pre_slope_upper"], fmt=fmt_pct), "p-value": ""},
        {"term": "Level change at the shock", "estimate": fmt_pct(its["level_change"], 0),
         lv: fmt_interval(its["level_lower"], its["level_upper"], fmt=lambda v: fmt_pct(v, 0)), "p-value": f"{its['level_p']:.3f}"},
        {"term": "Change in monthly trend after the shock", "estimate": fmt_pct(its["slope_change"]),
         lv: fmt_interval(its["slope_lower"], its["slope_upper"], fmt=fmt_pct), "p-value": f"{its['slope_p']:.3f}"},
    ])


# ---- placebo test -----------------------------------------------------------------------------------

def dip(y: pd.Series, shock, pre_months: int, kind: str = "auto", window: int = 3, level: float = 0.9,
        end=None) -> tuple[float, str, int]:
    """The placebo statistic: largest shortfall below the counterfactual in the `window` months from `shock`.

    Returns (dip, counterfactual kind used, observed pre-shock months). The dip
    is max(1 - actual / counterfactual) over the observed months of the window.
    """
    shock = pd.Period(shock, freq="M")
    last = shock + (window - 1)
    if end is not None:
        last = min(last, pd.Period(end, freq="M"))
    cf = fit_counterfactual(y, shock, pre_months, kind, level, end=last)
    post = cf.post
    g = 1 - post["actual"] / post["mean"]
    g = g[np.isfinite(g)]
    if g.empty:
        raise ModelError(f"no observed month in the {window} months from {shock}")
    return float(g.max()), cf.kind, cf.n_obs


def placebo_test(y: pd.Series, shock, pre_months: int = 24, kind: str = "auto", window: int = 3,
                 level: float = 0.9, alpha: float = PLACEBO_ALPHA) -> dict:
    """The dip statistic at every fake shock month in the pre-period, against the real one.

    Fake shocks are months whose whole window ends before the real shock, whose
    pre-shock window supports the counterfactual (the same rule as the real
    estimate: `kind`, or 'auto' with the same thresholds) and whose window has
    at least one observed month. p = (1 + #placebos with a dip at least as
    large) / (1 + #placebos). The shock "stands out" when p <= alpha, the test's
    own significance level (PLACEBO_ALPHA, fixed in advance); `level` only sets the
    counterfactual fits' interval level, which the dip does not use.
    """
    shock = pd.Period(shock, freq="M")
    y = y.sort_index()
    try:
        real, real_kind, _ = dip(y, shock, pre_months, kind, window, level)
    except ModelError as exc:  # e.g. no observed month in the shock's own window: nothing to rank
        return {"real": float("nan"), "real_kind": None, "placebos": pd.DataFrame(columns=["fake_shock", "dip", "kind", "n_pre"]),
                "n": 0, "exceed": 0, "p": float("nan"), "stands_out": None, "window": window, "alpha": alpha,
                "verdict": f"no placebo test possible: {exc}"}
    rows = []
    first = y.dropna().index.min()
    for fake in pd.period_range(first + 1, shock - window, freq="M"):
        try:
            d, k, n = dip(y, fake, pre_months, kind, window, level, end=shock - 1)
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


# ---- export charts -----------------------------------------------------------------------------------

def _export_sources(hist: pd.DataFrame, months) -> list[str]:
    ids = hist.loc[hist.index.isin(months), "source_id"]
    return [s for s in dict.fromkeys(ids) if s]


def plot_rebound(hist: pd.DataFrame, cf: Counterfactual, its: dict, key: str, rb: Rebound | None = None):
    """Actual monthly exports against the counterfactual band; derived months hollow, missing months marked."""
    fig, ax = charts.figure(figsize=(9.5, 4.8))
    spec = EXPORT_SERIES[key]
    color = charts.PALETTE[spec["color"]]
    fr = cf.frame
    months = fr.index
    x = months.to_timestamp()
    ax.fill_between(x[fr["part"] == "post"], fr.loc[fr["part"] == "post", "lower"], fr.loc[fr["part"] == "post", "upper"],
                    color=charts.PALETTE["forecast"], alpha=0.25, lw=0, label=f"Counterfactual, {cf.level:.0%} interval")
    ax.plot(x, fr["mean"], color="#555555", ls="--", lw=1.3, label=f"Counterfactual ({cf.kind}, fitted before the shock)")
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
    sources = _export_sources(hist, months)
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
                  subtitle=f"Counterfactual fitted on {cf.start} to {cf.shock - 1} ({cf.n_obs} observed months) and projected.")
    ax.legend(loc="upper left", fontsize=7.5, ncol=2, framealpha=0.9)
    _source_line(fig, "China customs via " + hdata.cite(sources) + ". Counterfactual: this project's model.")
    return fig


def _month_ticks(ax, months: pd.PeriodIndex) -> None:
    """Quarterly ticks for short spans, half-yearly for long ones; month over year so labels never collide."""
    import matplotlib.dates as mdates

    span = len(months)
    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10) if span <= 40 else (1, 7)))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b\n%Y"))


def shock_events(shock, kinds=("export_control",), data_dir=None) -> pd.DataFrame:
    """Events of the given kinds dated in the shock month (data/events.csv)."""
    shock = pd.Period(shock, freq="M")
    ev = hdata.load_events(data_dir=data_dir)
    ev = ev[ev["kind"].isin(kinds)]
    return ev[ev["date"].dt.to_period("M") == shock].reset_index(drop=True)


def _short(text: str, n: int = 34) -> str:
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + "..."


def plot_placebo(pl: dict, key: str, shock, hist: pd.DataFrame | None = None):
    """Dip at each fake shock month (grey) and at the real shock (coloured), by month."""
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

def show_table(df: pd.DataFrame) -> None:
    """Display a text table without the index: HTML for the report, the same rows as plain text for nbval."""
    from IPython.display import display

    display({"text/html": df.to_html(index=False, border=0, classes="model-table", na_rep="n/a"),
             "text/plain": df.to_string(index=False)}, raw=True)


def _ranges(items) -> str:
    """'2015, 2016, 2018' -> '2015-2016, 2018'; months the same way ('2024-01 to 2024-03')."""
    items = list(items)
    if not items:
        return "none"
    out, run = [], [items[0]]
    for a in items[1:]:
        if a == run[-1] + 1:
            run.append(a)
        else:
            out.append(run)
            run = [a]
    out.append(run)
    sep = " to " if isinstance(items[0], pd.Period) else "-"
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}{sep}{r[-1]}" for r in out)


def quota_data_note(history: pd.DataFrame, first_year: int, last_year: int, use_derived: bool) -> str:
    """Which years exist in the window, which are derived or missing, and how the models treat them."""
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


def quota_analysis(stage: str, first_year: int, last_year: int, horizon: int = 2, level: float = 0.9,
                   breaks: str = "fixed", use_derived: bool = True, data_dir=None) -> dict:
    """Everything quota_growth.ipynb reports, in one dict (see the notebook for what each part means)."""
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
    return {"stage": stage, "first_year": first_year, "last_year": last_year, "level": level, "breaks": breaks,
            "use_derived": use_derived, "history": history, "series": series, "targets": targets,
            "growth": loglinear_growth(series, level), "segments": segmented_growth(series, breaks, level),
            "used_breaks": used_breaks, "break_notes": break_notes, "naive": naive_drift(series), "holt": holt,
            "backtest": bt, "scores": scores, "best": best, "nowcast": nc, "slowdown": slow,
            "scores_estimated_breaks": sc_est, "usgs": usgs}


def growth_table(r: dict) -> pd.DataFrame:
    lv = f"{r['level']:.0%} confidence interval"
    g = r["growth"]
    rows = [{"model": MODEL_NAMES["naive"], "period": f"{r['naive']['last_year'] - r['naive']['span']}-{r['naive']['last_year']}",
             "annual growth": fmt_pct(math.expm1(r["naive"]["drift"])), lv: "(drift only, no interval)"},
            {"model": MODEL_NAMES["loglinear"], "period": f"{g['first']}-{g['last']}", "annual growth": fmt_pct(g["rate"]),
             lv: fmt_interval(g["lower"], g["upper"], fmt=fmt_pct)}]
    for _, s in r["segments"].iterrows():
        rows.append({"model": MODEL_NAMES["segmented"], "period": s["segment"], "annual growth": fmt_pct(s["rate"]),
                     lv: fmt_interval(s["lower"], s["upper"], fmt=fmt_pct)})
    return pd.DataFrame(rows)


def quota_findings(r: dict) -> list[str]:
    """The findings box of quota_growth.ipynb: each finding with its number and interval."""
    lvl = f"{r['level']:.0%}"
    g = r["growth"]
    seg = r["segments"].iloc[-1]
    out = [f"**Average growth {g['first']}-{g['last']}:** {fmt_pct(g['rate'])} a year "
           f"({lvl} confidence interval {fmt_pct(g['lower'])} to {fmt_pct(g['upper'])}; log-linear trend, HAC errors, "
           f"{g['n']} observed years).",
           f"**Growth in the latest segment ({seg['segment']}):** {fmt_pct(seg['rate'])} a year "
           f"({lvl} CI {fmt_pct(seg['lower'])} to {fmt_pct(seg['upper'])}; segmented trend)."]
    s = r["slowdown"]
    out.append(f"**Slowdown test:** {s['verdict']}.")
    sc = r["scores"]
    allh = sc[sc["h"] == "all"]
    beat = [MODEL_NAMES[m] for m in allh[allh["verdict"] == "beats naive"]["model"]]
    lose = [MODEL_NAMES[m] for m in allh[allh["verdict"].str.startswith("does not")]["model"]]
    n = int(allh[allh["model"] == "naive"]["n"].iloc[0]) if len(allh) else 0
    best = r["best"]
    brow = allh[allh["model"] == best].iloc[0] if len(allh) else None
    out.append(f"**Backtest against the naive baseline** ({n} forecasts, 1 and 2 years ahead): "
               + (f"beat it: {', '.join(beat)}; " if beat else "no model beat it; ")
               + (f"did not: {', '.join(lose)}. " if lose else "")
               + (f"Best: {MODEL_NAMES[best]} (MAE {brow['mae']:,.0f} t REO, {brow['rel_mae']:.2f} x naive)."
                  if brow is not None else "")
               + (" With so few forecasts the ranking is indicative, not a significance test." if n < 20 else ""))
    nc = r["nowcast"]
    for t in r["targets"][:2]:
        row = nc[(nc["model"] == best) & (nc["year"] == t)].iloc[0]
        rng_ = nc[nc["year"] == t]["mean"].dropna()
        undisclosed = t in set(r["history"].loc[r["history"]["status"] == "undisclosed", "year"])
        out.append(f"**{t} {'(issued, volume undisclosed) ' if undisclosed else ''}estimate:** "
                   f"{fmt_t(row['mean'], -3)} t REO ({lvl} prediction interval {fmt_t(row['lower'], -3)} to "
                   f"{fmt_t(row['upper'], -3)}; {MODEL_NAMES[best]}); the four models' central estimates range "
                   f"{fmt_t(rng_.min(), -3)} to {fmt_t(rng_.max(), -3)} t. This is a model estimate, not a published figure.")
    u = r["usgs"]
    if u is not None:
        row = nc[(nc["model"] == best) & (nc["year"] == u["year"])].iloc[0]
        inside = row["lower"] <= u["value"] <= row["upper"]
        out.append(f"**USGS {u['edition']}** gives China {u['year']} mine production as {u['value']:,.0f} t, "
                   f"{'inside' if inside else 'outside'} that interval. USGS reports China's output as the quota, "
                   f"but labels {u['year']} 'Estimated' without the quota note, so it is not a quota figure and "
                   "not independent evidence.")
    return out


def export_data_note(hist: pd.DataFrame, cf: Counterfactual, use_derived: bool) -> str:
    """Which months exist in the modelled span, which are derived or missing, and how the models treat them."""
    span = hist.loc[(hist.index >= cf.start)]
    pre = span[span.index < cf.shock]
    post = span[span.index >= cf.shock]

    def months(frame, status):
        return _ranges(list(frame.index[frame["status"] == status]))

    return "\n".join([
        f"- **Pre-shock window** {cf.start} to {cf.shock - 1} ({len(pre)} months): reported {months(pre, 'reported')}; "
        f"derived {months(pre, 'derived')}; missing {months(pre, 'missing')}.",
        f"- **From the shock** {cf.shock} to {span.index.max()}: reported {months(post, 'reported')}; "
        f"derived {months(post, 'derived')}; missing {months(post, 'missing')}.",
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


def rebound_analysis(key: str, shock: str, pre_months: int = 24, kind: str = "auto", thresholds=(0.5, 0.9),
                     level: float = 0.9, use_derived: bool = True, window: int = 3, data_dir=None) -> dict:
    """Everything export_rebound.ipynb reports, in one dict."""
    hist = export_history(key, use_derived, data_dir)
    y = hist["y"]
    shock_p = pd.Period(shock, freq="M")
    if shock_p > y.index.max():
        raise ModelError(f"shock {shock} is after the last month in the data ({y.index.max()})")
    cf = fit_counterfactual(y, shock_p, pre_months, kind, level)
    rb = rebound(cf, thresholds, level, statuses=hist["status"])
    its = interrupted_time_series(y, shock_p, pre_months, level)
    pl = placebo_test(y, shock_p, pre_months, kind, window, level)
    alt = None
    if use_derived and (hist["status"] == "derived").any():
        try:
            ya = export_history(key, False, data_dir)["y"]
            cfa = fit_counterfactual(ya, shock_p, pre_months, kind, level)
            alt = {"ok": True, "kind": cfa.kind, "n_obs": cfa.n_obs, "rebound": rebound(cfa, thresholds, level)}
        except ModelError as exc:
            alt = {"ok": False, "why": str(exc)}
    pre = hist[(hist.index >= cf.start) & (hist.index < shock_p) & hist["y"].notna()]
    return {"key": key, "label": EXPORT_SERIES[key]["label"], "shock": shock_p, "pre_months": pre_months,
            "pre_derived": int((pre["status"] == "derived").sum()),
            "level": level, "use_derived": use_derived, "thresholds": tuple(thresholds), "history": hist, "cf": cf,
            "rebound": rb, "its": its, "placebo": pl, "without_derived": alt}


def rebound_findings(r: dict) -> list[str]:
    """The findings box of export_rebound.ipynb."""
    lvl = f"{r['level']:.0%}"
    cf, rb, its, pl = r["cf"], r["rebound"], r["its"], r["placebo"]
    p = rb.point
    out = [f"**Counterfactual:** {cf.kind}, fitted on {cf.n_obs} observed months from {cf.start} to {cf.shock - 1}, "
           f"{r['pre_derived']} of them derived ({cf.reason}; {cf.month_note})."]
    if cf.kind != "trend" or cf.n_obs < MIN_OBS["trend"] or r["pre_derived"] > cf.n_obs / 2:
        out.append("**Caution:** the pre-shock data are thin (" + (f"only {cf.n_obs} observed months" if cf.n_obs < MIN_OBS["trend"]
                   else f"{r['pre_derived']} of {cf.n_obs} months derived") + "), so the counterfactual is weak: read "
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
    alt = r["without_derived"]
    if alt is not None:
        if alt["ok"]:
            out.append(f"**Without derived months:** trough depth {fmt_pct(alt['rebound'].point['depth'], 0, sign=False)} "
                       f"({alt['kind']} counterfactual on {alt['n_obs']} months).")
        else:
            out.append(f"**Without derived months:** no counterfactual can be fitted ({alt['why'].split(':')[0]}).")
    return out


def history_table(history: pd.DataFrame, first_year: int, last_year: int) -> pd.DataFrame:
    """Every year of the window (and undisclosed years after it): value, status, whether the models fit it."""
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


def breaks_note(r: dict) -> str:
    used = r["used_breaks"]
    how = ("fixed at the regime changes " + " and ".join(map(str, REGIME_BREAKS)) if r["breaks"] == "fixed"
           else "estimated by BIC among 0 to 2 whole-year breaks, each segment holding at least 3 observed years")
    text = f"Segmented trend: breaks {how}; used: {', '.join(map(str, used)) if used else 'none'}."
    for note in r["break_notes"]:
        text += f" Note: {note}."
    return text


def backtest_verdict(r: dict) -> str:
    """Plain sentences: which models beat the naive forecast, which do not, and the hindsight check."""
    sc = r["scores"]
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
                     f"than naive in {int(row['wins'])} of {int(row['n'])} forecasts; its {r['level']:.0%} intervals "
                     f"held the actual value {row['coverage']:.0%} of the time.")
    lines.append(f"- **Best over 1 and 2 years ahead:** {MODEL_NAMES[r['best']]}. All models are compared on the same "
                 f"{n} forecasts; with so few, a small difference in MAE is not evidence that one model is better.")
    est = r["scores_estimated_breaks"]
    e = est[(est["h"] == "all") & (est["model"] == "segmented")]
    if r["breaks"] == "fixed" and len(e):
        e = e.iloc[0]
        lines.append(f"- **Hindsight check:** the fixed break years were chosen knowing the whole history. With breaks "
                     f"re-estimated at each origin from the data up to it, the segmented trend's MAE is "
                     f"{e['mae']:,.0f} t REO ({e['rel_mae']:.2f} x naive): it "
                     f"{'still beats' if e['rel_mae'] < 1 else 'no longer beats'} the naive baseline.")
    cov = allh["coverage"].dropna()
    low = [MODEL_NAMES[m] for m, v in cov.items() if v < r["level"] - 0.2]
    if low:
        lines.append(f"- **Intervals too narrow:** {', '.join(low)} covered the actual value far less often than "
                     f"{r['level']:.0%}: treat their intervals as too optimistic.")
    return "\n".join(lines)
