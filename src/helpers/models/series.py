"""The model series read from data/, and how many observations a parameter set leaves the models.

Split from helpers.models so that the parameter check (helpers.parameters, run by the
report runner before anything executes and by each notebook's first cell) can ask
"does this window hold enough observed years / months?" with the very code the models
use, without importing statsmodels or matplotlib. helpers.models re-exports every name.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from helpers import data as hdata

EXPORT_SERIES: dict[str, dict] = {
    "magnets_world": {"series": "magnets", "partner": "World", "color": "magnets",
                      "label": "Rare-earth magnet exports to the world"},
    "magnets_us": {"series": "magnets", "partner": "United States", "color": "magnets_us",
                   "label": "Rare-earth magnet exports to the United States"},
    "rare_earths": {"series": "rare_earths", "partner": "World", "color": "rare_earths",
                    "label": 'Customs "rare earths" exports to the world'},
}

COUNTERFACTUAL_KINDS = ("auto", "trend", "level", "year_ago")
MIN_OBS = {"trend": 12, "level": 4, "year_ago": 3}  # observed pre-shock months each counterfactual needs
#: observed years the quota models need in the fitted window (Holt's damped trend and a backtest need six)
MIN_YEARS = 6


class ModelError(ValueError):
    """The data cannot support the requested model; the message says why and what to change."""


def quota_history(stage: str, first_year: int | None = None, last_year: int | None = None,
                  use_derived: bool = True, data_dir=None) -> pd.DataFrame:
    """Annual total quota rows for one stage: year, value (t REO), status, source_id and `used`.

    `used` marks the rows the models fit: a value exists, the year is in the
    window and (unless use_derived) the value was reported, not derived.
    Undisclosed years (2025) are kept, with no value, so tables can show them.

    Parameters
    ----------
    stage : {'mining', 'smelting'}
        The quota (smelting: the smelting and separation quota).
    first_year, last_year : int, optional
        The fitted window, both included; the data's first and last year by default.
    use_derived : bool, default True
        Fit years derived from other published figures too.
    data_dir : path, optional
        Another data folder (tests); data/ by default.

    Returns
    -------
    pandas.DataFrame
        One row per year, sorted.
    """
    q = hdata.load_quotas(stage=stage, part="annual", segment="total", data_dir=data_dir)
    # a year whose quota was issued but never published has an 'undisclosed' row (on a batch, not the annual total)
    und = hdata.load_quotas(stage=stage, segment="total", data_dir=data_dir)
    und = und[(und["status"] == "undisclosed") & ~und["year"].isin(q["year"])].drop_duplicates("year")
    q = pd.concat([q, und], ignore_index=True)
    frame = pd.DataFrame({
        "year": q["year"].astype(int).to_numpy(),
        "value": q["value"].astype(float).to_numpy(),
        "status": q["status"].astype(str).to_numpy(),
        "source_id": q["source_id"].astype(str).to_numpy(),
    })
    lo = first_year if first_year is not None else frame["year"].min()
    hi = last_year if last_year is not None else frame["year"].max()
    frame["used"] = frame["value"].notna() & frame["year"].between(lo, hi)
    if not use_derived:
        frame["used"] &= frame["status"].eq("reported")
    return frame.sort_values("year").reset_index(drop=True)


def quota_series(history: pd.DataFrame) -> pd.Series:
    """The values the models fit, by integer year (gaps stay gaps: no model fills a missing year).

    Parameters
    ----------
    history : pandas.DataFrame
        A quota_history table.

    Returns
    -------
    pandas.Series
        t REO by year, the ``used`` rows only.
    """
    used = history[history["used"]]
    return pd.Series(used["value"].to_numpy(float), index=pd.Index(used["year"].astype(int), name="year"), name="t REO")


def export_history(key: str, use_derived: bool = True, data_dir=None) -> pd.DataFrame:
    """Monthly rows of one export series on a complete monthly PeriodIndex.

    Columns: value (t, NaN when the month is absent), status (reported, derived,
    combined - inside a multi-month total, see `export_combined` - or missing), source_id, and y: the value the
    models use (NaN for missing months and, unless use_derived, for derived months). Nothing is interpolated.

    Parameters
    ----------
    key : str
        A key of ``EXPORT_SERIES``.
    use_derived : bool, default True
        Let the models use derived months.
    data_dir : path, optional
        Another data folder (tests); data/ by default.

    Returns
    -------
    pandas.DataFrame
        Indexed by month, first to last month with a figure or inside a combined period.

    Raises
    ------
    ModelError
        For an unknown key or a series with no monthly rows.
    """
    if key not in EXPORT_SERIES:
        raise ModelError(f"unknown export series {key!r}; expected one of {', '.join(EXPORT_SERIES)}")
    # cached per version of the data folder: parameter checks and notebooks ask for the same series
    # many times, and an edited file is a new version (hdata.folder_stamp)
    return _export_history(key, bool(use_derived), _folder(data_dir), hdata.folder_stamp(data_dir)).copy()


@lru_cache(maxsize=64)
def _export_history(key: str, use_derived: bool, data_dir, stamp: tuple) -> pd.DataFrame:
    spec = EXPORT_SERIES[key]
    rows = hdata.load_exports(series=spec["series"], partner=spec["partner"], period_kind="month", data_dir=data_dir)
    if rows.empty:
        raise ModelError(f"no monthly rows for {key} in data/exports.csv")
    idx = pd.PeriodIndex(rows["period_end"], freq="M")
    comb = _export_combined(key, use_derived, data_dir, stamp)
    first = min([idx.min()] + list(comb["period_start"]))  # a period given only as a total still counts
    last = max([idx.max()] + list(comb["period_end"]))
    full = pd.period_range(first, last, freq="M", name="month")
    frame = pd.DataFrame({
        "value": pd.Series(rows["value"].to_numpy(float), index=idx).reindex(full),
        "status": pd.Series(rows["status"].astype(str).to_numpy(), index=idx).reindex(full).fillna("missing"),
        "source_id": pd.Series(rows["source_id"].astype(str).to_numpy(), index=idx).reindex(full).fillna(""),
    }, index=full)
    usable = frame["status"].eq("reported") | (frame["status"].eq("derived") & use_derived)
    frame["y"] = frame["value"].where(usable)
    # a month inside a combined period (customs' January-February total) with no value of its own is
    # 'combined', not 'missing': its total is in export_combined and the models fit it as a total
    for r in comb.itertuples():
        span = pd.period_range(r.period_start, r.period_end, freq="M")
        inside = frame.index.isin(span) & frame["status"].eq("missing")
        frame.loc[inside, "status"] = "combined"
    return frame


def export_combined(key: str, use_derived: bool = True, data_dir=None) -> pd.DataFrame:
    """Combined periods of one export series (one printed total for several months), and which the models fit.

    Parameters
    ----------
    key : str
        A key of ``EXPORT_SERIES``.
    use_derived : bool, default True
        Whether derived totals (and derived single months) may be used.
    data_dir : path, optional

    Returns
    -------
    DataFrame
        period_start, period_end (Period[M]), n_months, value (t), status, source_id and ``used``: True when
        the total is usable and none of its months has a usable value of its own (a total whose
        months are already in the data, e.g. a month derived from it, would count them twice).
    """
    return _export_combined(key, bool(use_derived), _folder(data_dir), hdata.folder_stamp(data_dir)).copy()


def _folder(data_dir) -> str | None:
    return None if data_dir is None else str(data_dir)


@lru_cache(maxsize=64)
def _export_combined(key: str, use_derived: bool, data_dir, stamp: tuple) -> pd.DataFrame:
    spec = EXPORT_SERIES[key]
    per = hdata.export_periods(spec["series"], spec["partner"], data_dir=data_dir)
    single = per[~per["combined"] & (per["status"].eq("reported") | (per["status"].eq("derived") & use_derived))]
    have = set(pd.PeriodIndex(single["period_end"], freq="M"))
    comb = per[per["combined"]].copy()
    comb["period_start"] = pd.PeriodIndex(comb["period_start"], freq="M")
    comb["period_end"] = pd.PeriodIndex(comb["period_end"], freq="M")
    usable = comb["status"].eq("reported") | (comb["status"].eq("derived") & use_derived)
    covered = [any(m in have for m in pd.period_range(a, b, freq="M")) for a, b in zip(comb["period_start"], comb["period_end"])]
    comb["used"] = usable.to_numpy() & ~np.array(covered, dtype=bool)
    return comb[["period_start", "period_end", "n_months", "value", "status", "source_id", "used"]].reset_index(drop=True)


# ---- feasibility, for the parameter check ------------------------------------------------------------

def observed_years(stage: str, first_year: int, last_year: int, use_derived: bool = True, data_dir=None) -> int:
    """Count the observed quota years the models would fit for these parameters (the rows quota_history marks used).

    Parameters
    ----------
    stage : {'mining', 'smelting'}
    first_year, last_year : int
        The window, both included.
    use_derived : bool, default True
    data_dir : path, optional

    Returns
    -------
    int
    """
    return int(quota_history(stage, first_year, last_year, use_derived, data_dir)["used"].sum())


def years_needed() -> int:
    """Give the observed years the quota models need (MIN_YEARS: Holt's damped trend and a backtest need that many).

    Returns
    -------
    int
    """
    return MIN_YEARS


def observed_pre_months(series: str, shock: str, pre_months: int, use_derived: bool = True, data_dir=None) -> int:
    """Count the observed months in the `pre_months` months before `shock` that a counterfactual would be fitted on.

    Parameters
    ----------
    series : str
        A key of ``EXPORT_SERIES``.
    shock : str
        The shock month, 'YYYY-MM'.
    pre_months : int
        Length of the fit window, months.
    use_derived : bool, default True
    data_dir : path, optional

    Returns
    -------
    int
    """
    y = export_history(series, use_derived, data_dir)["y"]
    shock_p = pd.Period(shock, freq="M")
    return int(y[(y.index >= shock_p - pre_months) & (y.index < shock_p)].notna().sum())


def months_needed(counterfactual: str) -> int:
    """Give the observed pre-shock months a counterfactual needs ('auto' falls back to a level).

    Parameters
    ----------
    counterfactual : {'auto', 'trend', 'level', 'year_ago'}

    Returns
    -------
    int
        MIN_OBS of that kind.
    """
    return MIN_OBS["level" if counterfactual == "auto" else counterfactual]
