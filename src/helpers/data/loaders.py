"""The loaders the notebooks call: one validated table as a pandas DataFrame, filtered, and
the citation of its sources. Part of ``helpers.data``.
"""
from __future__ import annotations

from pathlib import Path

from helpers.data.schema import pd
from helpers.data.tables import load_table


# --------------------------------------------------------------------------- table loaders

def _preferred(frame: pd.DataFrame, preferred_only: bool) -> pd.DataFrame:
    if preferred_only:
        frame = frame[frame["preferred"].fillna(False)]
    return frame.reset_index(drop=True)


def load_sources(data_dir: Path | None = None) -> pd.DataFrame:
    """The documents every value cites.

    Parameters
    ----------
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's data/).

    Returns
    -------
    DataFrame
        One row per document (columns of ``sources`` in data/datapackage.json), indexed by ``source_id``.

    Raises
    ------
    DataError
        When a file does not match data/datapackage.json (the message names file, line, column).
    """
    return load_table("sources", data_dir).set_index("source_id", drop=False)


def load_quotas(stage: str | None = None, part: str | None = None, segment: str | None = None,
                preferred_only: bool = True, data_dir: Path | None = None) -> pd.DataFrame:
    """Quota rows, by default only the row the analysis uses per key.

    Parameters
    ----------
    stage : {"mining", "smelting"}, optional
        Mining quota, or smelting and separation quota.
    part : str, optional
        ``annual`` or a batch (``first_batch`` ...), as the ``part`` enum declares.
    segment : str, optional
        ``total`` or a segment (light, medium-heavy ...).
    preferred_only : bool, default True
        Keep only the ``preferred`` row of each (stage, year, part, segment).
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's data/).

    Returns
    -------
    DataFrame
        Rows of data/quotas.csv, ``value`` in t REO, sorted by stage, year, part, segment.

    Raises
    ------
    ValueError
        When a filter value is not in the table (the message lists those that are).
    DataError
        When the file does not match its schema.
    """
    frame = _preferred(load_table("quotas", data_dir), preferred_only)
    frame = _select("quotas", frame, stage=stage, part=part, segment=segment)
    return frame.sort_values(["stage", "year", "part", "segment"]).reset_index(drop=True)


def annual_quotas(stage: str, data_dir: Path | None = None, include_derived: bool = True) -> pd.Series:
    """Annual total quota of one stage, the series the models fit.

    Parameters
    ----------
    stage : {"mining", "smelting"}
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's data/).
    include_derived : bool, default True
        Keep derived years (computed from other published figures).

    Returns
    -------
    Series
        Float values in t REO indexed by integer ``year``; years without a published
        total (or undisclosed) are absent, never filled in.
    """
    q = load_quotas(stage=stage, part="annual", segment="total", data_dir=data_dir)
    q = q[q["value"].notna()]
    if not include_derived:
        q = q[q["status"] == "reported"]
    return pd.Series(q["value"].to_numpy(), index=pd.Index(q["year"].astype(int), name="year"), name=f"{stage}_quota_t")


def load_exports(series: str | None = None, partner: str | None = None, period_kind: str | None = None,
                 preferred_only: bool = True, data_dir: Path | None = None) -> pd.DataFrame:
    """Customs export rows, filtered by series, partner and period kind.

    Parameters
    ----------
    series : str, optional
        An export series (e.g. ``rare_earths``, ``magnets`` as the ``series`` enum declares).
    partner : str, optional
        ``World`` or a partner country.
    period_kind : {"month", "year_to_date", "year"}, optional
    preferred_only : bool, default True
        Keep only the ``preferred`` row per series, partner and period.
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's data/).

    Returns
    -------
    DataFrame
        Rows of data/exports.csv, ``value`` in gross tonnes.

    Raises
    ------
    ValueError
        When a filter value is not in the table.
    DataError
        When the file does not match its schema.
    """
    frame = _preferred(load_table("exports", data_dir), preferred_only)
    frame = _select("exports", frame, series=series, partner=partner, period_kind=period_kind)
    return frame.sort_values(["series", "partner", "period_end", "period_start"]).reset_index(drop=True)


def monthly_exports(series: str, partner: str = "World", data_dir: Path | None = None,
                    include_derived: bool = True) -> pd.Series:
    """Monthly exports of one series on a complete monthly index.

    Parameters
    ----------
    series : str
        An export series.
    partner : str, default "World"
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's data/).
    include_derived : bool, default True
        Keep derived months.

    Returns
    -------
    Series
        Gross tonnes indexed by a monthly ``PeriodIndex`` named ``month`` from the first to the
        last month in the data; months without a value are NaN (never interpolated). Combined
        periods (customs' January-February release) are left out, never split: those months
        are NaN here, and `export_periods` returns them, flagged.
    """
    frame = load_exports(series=series, partner=partner, period_kind="month", data_dir=data_dir)
    if not include_derived:
        frame = frame[frame["status"] == "reported"]
    s = pd.Series(frame["value"].to_numpy(), index=pd.PeriodIndex(frame["period_end"], freq="M"), name=f"{series}_{partner}_t")
    if s.empty:
        return s
    full = pd.period_range(s.index.min(), s.index.max(), freq="M")
    return s.reindex(full).rename_axis("month")


def export_periods(series: str, partner: str = "World", data_dir: Path | None = None,
                   include_derived: bool = True) -> pd.DataFrame:
    """Single months and combined spans of one export series, oldest first (preferred rows).

    China's customs publishes January and February together, so some series have periods
    two months long. `monthly_exports` leaves them out (it never invents the two months);
    this is where they are, flagged.

    Parameters
    ----------
    series : str
        An export series.
    partner : str, default "World"
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's data/).
    include_derived : bool, default True
        Keep derived periods.

    Returns
    -------
    DataFrame
        Columns period_start, period_end (Period[M]), n_months (int), combined (bool: True for
        a span of months given as one figure), value (t), status (reported or derived) and
        source_id. Year-to-date and annual totals are not periods here.
    """
    frame = load_exports(series=series, partner=partner, data_dir=data_dir)
    frame = frame[frame["period_kind"].isin(["month", "months"])]
    if not include_derived:
        frame = frame[frame["status"] == "reported"]
    n = [(e.year - s.year) * 12 + e.month - s.month + 1 for s, e in zip(frame["period_start"], frame["period_end"])]
    out = pd.DataFrame({"period_start": frame["period_start"].to_numpy(), "period_end": frame["period_end"].to_numpy(),
                        "n_months": pd.array(n, dtype="int64"), "combined": (frame["period_kind"] == "months").to_numpy(),
                        "value": frame["value"].to_numpy(), "status": frame["status"].astype(str).to_numpy(),
                        "source_id": frame["source_id"].astype(str).to_numpy()})
    return out.sort_values(["period_start", "period_end"]).reset_index(drop=True)


def load_production(country: str | None = None, preferred_only: bool = True,
                    data_dir: Path | None = None) -> pd.DataFrame:
    """USGS mine production rows with their edition.

    Parameters
    ----------
    country : str, optional
    preferred_only : bool, default True
        Keep only the preferred edition per country and year.
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's data/).

    Returns
    -------
    DataFrame
        Rows of data/production.csv, ``value`` in t REO.
    """
    frame = _preferred(load_table("production", data_dir), preferred_only)
    frame = _select("production", frame, country=country)
    return frame.sort_values(["country", "year", "edition"]).reset_index(drop=True)


def load_events(kind: str | None = None, data_dir: Path | None = None) -> pd.DataFrame:
    """Dated events (quota notices, export controls, tariffs ...), oldest first.

    Parameters
    ----------
    kind : str, optional
        An event kind as the ``kind`` enum declares (e.g. ``export_control``).
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's data/).

    Returns
    -------
    DataFrame
        Rows of data/events.csv sorted by ``date``.
    """
    frame = load_table("events", data_dir)
    frame = _select("events", frame, kind=kind)
    return frame.sort_values("date").reset_index(drop=True)


def _select(table: str, frame: pd.DataFrame, **filters: str | None) -> pd.DataFrame:
    """Rows whose column equals each filter given, in keyword order (None: no filter).

    Raises ValueError naming ``table.column`` and the values it holds when a filter value is unknown.
    """
    for col, want in filters.items():
        if want is not None:
            _check_choice(table, col, want, frame)
            frame = frame[frame[col] == want]
    return frame


def _check_choice(table: str, column: str, value: str, frame: pd.DataFrame) -> None:
    allowed = list(frame[column].cat.categories) if isinstance(frame[column].dtype, pd.CategoricalDtype) else sorted(frame[column].dropna().unique())
    if value not in allowed:
        raise ValueError(f"{table}.{column}: unknown value {value!r}; expected one of {allowed}")


def cite(source_ids, data_dir: Path | None = None, dates: bool = True) -> str:
    """The citation of some sources, for chart source lines and tables.

    Parameters
    ----------
    source_ids : iterable of str
        Source ids (``sources.source_id``); repeats are cited once.
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's data/).
    dates : bool, default True
        ``Publisher (date)``; with False, each publisher once: the short form for charts
        that draw on many documents (data/ names each value's document).

    Returns
    -------
    str
        The citations joined by ``"; "``.

    Raises
    ------
    KeyError
        For an unknown source id.
    """
    sources = load_sources(data_dir)
    out = []
    for sid in dict.fromkeys(source_ids):
        if sid not in sources.index:
            raise KeyError(f"unknown source_id {sid!r}")
        row = sources.loc[sid]
        date = row["published"] if isinstance(row["published"], str) and row["published"] else "n.d."
        out.append(f"{row['publisher']} ({date})" if dates else row["publisher"])
    return "; ".join(dict.fromkeys(out))

