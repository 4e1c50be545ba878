"""Which months each monthly export series has, at a glance: the data page's coverage grids.

For every monthly series in data/exports.csv (magnets to the world, to the United States and to
each partner, customs "rare earths"), one grid: a row per year, a column per calendar month, each
cell *reported*, *derived* (computed from other published figures), *combined* (inside a
multi-month total such as customs' January-February figure, with no value of its own) or
*missing*. Months before the series begins or after it ends are *outside*. Readers see the holes
before they trust a trend. Computed from the preferred rows each time the site is built.
"""
from __future__ import annotations

import pandas as pd

from helpers import data as hdata

#: status -> (letter shown in the cell, word for screen readers and the legend)
STATUS = {"reported": ("R", "reported"), "derived": ("D", "derived"), "combined": ("C", "combined total"),
          "missing": ("–", "missing"), "outside": ("", "outside the series")}
PARTNER_NAME = {"World": "the world", "United States": "the United States"}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
SERIES_NAME = {"magnets": "Magnet exports (HS 85051110)", "rare_earths": 'Customs "rare earths" exports',
               "rare_earth_products": '"Rare earth products" exports'}


def month_status(series: str, partner: str = "World", data_dir=None) -> pd.Series:
    """The status of every month from the series' first to its last month.

    Parameters
    ----------
    series, partner : str
        As in data/exports.csv.
    data_dir : path, optional

    Returns
    -------
    Series
        reported / derived / combined / missing, on a monthly PeriodIndex. A month with a single-month
        row takes that row's status, even inside a combined period (e.g. a month derived from the total).
    """
    per = hdata.export_periods(series, partner, data_dir=data_dir)
    if per.empty:
        return pd.Series(dtype=str)
    start = pd.PeriodIndex(per["period_start"], freq="M")
    end = pd.PeriodIndex(per["period_end"], freq="M")
    out = pd.Series("missing", index=pd.period_range(start.min(), end.max(), freq="M"))
    for a, b, comb in zip(start, end, per["combined"]):
        if comb:
            span = pd.period_range(a, b, freq="M")
            out[span] = out[span].where(out[span] != "missing", "combined")
    single = per[~per["combined"]]
    for m, st in zip(pd.PeriodIndex(single["period_end"], freq="M"), single["status"]):
        out[m] = st
    return out


def coverage_grid(series: str, partner: str = "World", data_dir=None) -> dict:
    """Build one series' grid for the data page, so readers see its holes before they trust a trend.

    Parameters
    ----------
    series, partner : str
        As in data/exports.csv; partner ``"World"`` by default.
    data_dir : path, optional
        Another data folder (tests); the repository's data/ by default.

    Returns
    -------
    dict
        ``series``, ``partner``, ``title``, ``first``/``last`` (months, 'YYYY-MM'), ``counts`` (status ->
        months), ``rows``: one per year, ``{"year": int, "cells": [{"month", "status", "letter", "word"}]}``.
    """
    st = month_status(series, partner, data_dir)
    rows = []
    for year in range(st.index.min().year, st.index.max().year + 1):
        cells = []
        for m in range(1, 13):
            p = pd.Period(year=year, month=m, freq="M")
            s = st.get(p, "outside")
            letter, word = STATUS[s]
            cells.append({"month": MONTHS[m - 1], "status": s, "letter": letter, "word": word})
        rows.append({"year": year, "cells": cells})
    counts = {k: int((st == k).sum()) for k in ("reported", "derived", "combined", "missing")}
    return {"series": series, "partner": partner, "title": f"{SERIES_NAME.get(series, series)} to {PARTNER_NAME.get(partner, partner)}",
            "first": str(st.index.min()), "last": str(st.index.max()), "counts": counts, "rows": rows}


def coverage_grids(data_dir=None) -> list[dict]:
    """Build a grid for every monthly series in data/exports.csv: world first, then the United States, then partners A-Z.

    Parameters
    ----------
    data_dir : path, optional
        Another data folder (tests); the repository's data/ by default.

    Returns
    -------
    list of dict
        One coverage_grid per (series, partner), magnets first.
    """
    ex = hdata.load_exports(data_dir=data_dir)
    ex = ex[ex["period_kind"].isin(["month", "months"])]
    pairs = sorted({(s, p) for s, p in zip(ex["series"], ex["partner"])},
                   key=lambda sp: (sp[0] != "magnets", sp[1] != "World", sp[1] != "United States", sp))
    return [coverage_grid(s, p, data_dir) for s, p in pairs]
