"""Out-of-sample evaluation of the annual quota models (``notebooks/models/quota_growth.ipynb``).

A rolling-origin backtest and its scores against the naive baseline, a slowdown test (is a
held-out year outside the trend's prediction interval?), a nowcast of the years not yet
published, and USGS's China figures beside the quota. The models themselves live in
``helpers.models.quota``. Part of ``helpers.models``.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from helpers import data as hdata
from helpers.models.formatting import fmt_interval, fmt_pct, fmt_t
from helpers.models.quota import MODEL_NAMES, forecast
from helpers.models.regression import _ols
from helpers.models.series import ModelError


# --------------------------------------------------------------------------- USGS figures

def usgs_figure(year: int, country: str = "China", data_dir=None) -> dict | None:
    """USGS's preferred (latest-edition) figure for one year, or None when the data hold none.

    Parameters
    ----------
    year : int
        Calendar year.
    country : str, default "China"
        Country as data/production.csv names it.
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's data/).

    Returns
    -------
    dict or None
        ``year``, ``value`` (mine production, t REO), ``edition``, ``estimated`` (bool),
        ``note`` and ``source_id`` of the preferred row.

    Raises
    ------
    ValueError
        When `country` (or `stage`) is not in the table; the message lists those that are.
    DataError
        When a data file does not match its schema.
    """
    p = hdata.load_production(country=country, data_dir=data_dir)
    p = p[p["year"] == year]
    if p.empty:
        return None
    r = p.iloc[0]
    note = r["note"] if isinstance(r["note"], str) else ""
    return {"year": year, "value": float(r["value"]), "edition": str(r["edition"]), "estimated": bool(r["estimated"]),
            "note": note, "source_id": str(r["source_id"])}


# ---- rolling-origin backtest ----------------------------------------------------------------------

def backtest(series: pd.Series, horizons=(1, 2), min_train: int = 6, level: float = 0.9, breaks="fixed",
             models=tuple(MODEL_NAMES)) -> pd.DataFrame:
    """Rolling-origin backtest: for each observed origin year, fit on the years up to it, forecast origin + h.

    Rolling-origin evaluation as in Tashman (2000). Origins are observed years with at
    least `min_train` observed years up to and including them. A forecast is scored only
    when its target year is observed (a missing year is never filled in to score against).
    A model that cannot be fitted at an origin (or an unknown model key) gives no forecast
    there (NaN); nothing is raised.

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.
    horizons : tuple of int, default (1, 2)
        Years ahead of each origin.
    min_train : int, default 6
        Observed years an origin needs up to and including it.
    level : float, default 0.9
        Coverage of the prediction intervals.
    breaks : {"fixed", "estimated"} or tuple of int, default "fixed"
        Break years of the segmented trend (``helpers.models.quota.resolve_breaks``).
    models : tuple of str, default every key of MODEL_NAMES
        The models to fit.

    Returns
    -------
    DataFrame
        One row per model, origin and target: model, origin, h (years), target, actual,
        forecast, lower, upper, error, abs_error (t REO), ape (fraction of actual) and
        covered (actual inside the interval).
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

    Scored per horizon and over all horizons ("all"), only on the (origin, h) pairs every
    fitted model forecast, so that the models face the same years. Relative MAE is the MAE
    over the baseline's MAE (a relative measure as in Hyndman and Koehler, 2006); below 1
    beats the baseline. `verdict` says plainly whether the model beat the naive baseline
    (lower MAE on the same forecasts).

    Parameters
    ----------
    bt : DataFrame
        The result of `backtest`.
    baseline : str, default "naive"
        The model the others are compared with.

    Returns
    -------
    DataFrame
        One row per model and horizon: model, h (years or "all"), n (forecasts), mae
        (t REO), mape (fraction), rel_mae, wins (forecasts closer than the baseline's),
        coverage (fraction inside the interval) and verdict.
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
    """The model with the lowest MAE over all horizons (ties go to the naive baseline).

    Parameters
    ----------
    scores : DataFrame
        The result of `backtest_scores`.

    Returns
    -------
    str
        The model key.

    Raises
    ------
    IndexError
        When no model has an MAE over all horizons (none could be scored).
    """
    allh = scores[(scores["h"] == "all") & scores["mae"].notna()].copy()
    allh["rank_tie"] = (allh["model"] != "naive").astype(int)
    return str(allh.sort_values(["mae", "rank_tie"]).iloc[0]["model"])


def backtest_table(scores: pd.DataFrame, level: float) -> pd.DataFrame:
    """Scores as rounded text for printing.

    Parameters
    ----------
    scores : DataFrame
        The result of `backtest_scores`.
    level : float
        Coverage of the prediction intervals (for the coverage column's name).

    Returns
    -------
    DataFrame
        One row per score row; every column text, MAE in t REO.
    """
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
    """Test whether `test_year` falls below the prediction interval of the fit_first..fit_last log-linear trend.

    Plain OLS (classical errors: with so few years HAC is not meaningful) on the
    observed years of the window; a t prediction interval at `level`. The test year is
    outside the window, so the check is out of sample.

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.
    fit_first, fit_last : int
        First and last year of the trend window.
    test_year : int
        The year tested.
    level : float, default 0.9
        Coverage of the prediction interval.

    Returns
    -------
    dict
        ``fit_first``, ``fit_last``, ``test_year``, ``n`` (observed years in the window),
        ``level``, ``testable`` and ``verdict`` (a sentence); when testable also
        ``trend_rate`` (growth per year, fraction), ``predicted``, ``lower``, ``upper``,
        ``actual`` (t REO), ``gap`` (actual / predicted - 1) and ``below_interval``.
        Not testable (no exception) with fewer than four observed years in the window or
        no `test_year` value.
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
    """Every model's forecast of the target years, fitted on the whole series; long frame.

    A model that cannot be fitted gives NaN with the reason in ``note``; nothing is raised.

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.
    targets : sequence of int
        Years to forecast.
    level : float, default 0.9
        Coverage of the prediction intervals.
    breaks : {"fixed", "estimated"} or tuple of int, default "fixed"
        Break years of the segmented trend (``helpers.models.quota.resolve_breaks``).
    models : tuple of str, default every key of MODEL_NAMES
        The models to fit.

    Returns
    -------
    DataFrame
        One row per model and year: model, year, mean, lower, upper (t REO), note.
    """
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
    """The nowcast as a reader-facing table, the best model marked.

    Parameters
    ----------
    nc : DataFrame
        The result of `nowcast`.
    best : str
        The best model's key (`best_model`).
    level : float
        Coverage of the prediction intervals (for the column name).

    Returns
    -------
    DataFrame
        One row per nowcast row, in its order: model, year, estimate and interval as
        text (t REO).
    """
    rows = nc.copy()
    return pd.DataFrame({
        "model": rows["model"].map(MODEL_NAMES) + np.where(rows["model"] == best, " (best in backtest)", ""),
        "year": rows["year"].astype(int),
        "estimate (t REO)": rows["mean"].map(fmt_t),
        f"{level:.0%} prediction interval (t REO)": [fmt_interval(lo, hi) for lo, hi in zip(rows["lower"], rows["upper"])],
    })


def usgs_vs_quota(stage: str = "mining", country: str = "China", data_dir=None) -> pd.DataFrame:
    """USGS's preferred China figure beside the annual quota, for every year both exist.

    USGS has often printed China's mine production as the mining quota, but not always (an
    early edition's round figure, a later revision): this table says in which years the two
    agree, so the page states it from the data rather than as a rule.

    Parameters
    ----------
    stage : {"mining", "smelting"}, default "mining"
        Mining quota, or smelting and separation quota.
    country : str, default "China"
        Country as data/production.csv names it.
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's data/).

    Returns
    -------
    DataFrame
        year, usgs (t REO), edition, quota (t REO), equal (bool), sorted by year.

    Raises
    ------
    ValueError
        When `country` (or `stage`) is not in the table; the message lists those that are.
    DataError
        When a data file does not match its schema.
    """
    p = hdata.load_production(country=country, data_dir=data_dir)
    q = hdata.load_quotas(stage=stage, part="annual", segment="total", data_dir=data_dir).dropna(subset=["value"])
    m = p[["year", "value", "edition"]].rename(columns={"value": "usgs"}).merge(
        q[["year", "value"]].rename(columns={"value": "quota"}), on="year")
    m["equal"] = np.isclose(m["usgs"].astype(float), m["quota"].astype(float))
    return m.sort_values("year").reset_index(drop=True)
