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
    """The documents every value cites, indexed by source_id."""
    return load_table("sources", data_dir).set_index("source_id", drop=False)


def load_quotas(stage: str | None = None, part: str | None = None, segment: str | None = None,
                preferred_only: bool = True, data_dir: Path | None = None) -> pd.DataFrame:
    """Quota rows (t REO); by default only the row the analysis uses per key."""
    frame = _preferred(load_table("quotas", data_dir), preferred_only)
    for col, want in (("stage", stage), ("part", part), ("segment", segment)):
        if want is not None:
            _check_choice("quotas", col, want, frame)
            frame = frame[frame[col] == want]
    return frame.sort_values(["stage", "year", "part", "segment"]).reset_index(drop=True)


def annual_quotas(stage: str, data_dir: Path | None = None, include_derived: bool = True) -> pd.Series:
    """Annual total quota by year for one stage (t REO), the series models fit."""
    q = load_quotas(stage=stage, part="annual", segment="total", data_dir=data_dir)
    q = q[q["value"].notna()]
    if not include_derived:
        q = q[q["status"] == "reported"]
    return pd.Series(q["value"].to_numpy(), index=pd.Index(q["year"].astype(int), name="year"), name=f"{stage}_quota_t")


def load_exports(series: str | None = None, partner: str | None = None, period_kind: str | None = None,
                 preferred_only: bool = True, data_dir: Path | None = None) -> pd.DataFrame:
    """Customs export rows (t); filter by series, partner and period kind."""
    frame = _preferred(load_table("exports", data_dir), preferred_only)
    for col, want in (("series", series), ("partner", partner), ("period_kind", period_kind)):
        if want is not None:
            _check_choice("exports", col, want, frame)
            frame = frame[frame[col] == want]
    return frame.sort_values(["series", "partner", "period_end", "period_start"]).reset_index(drop=True)


def monthly_exports(series: str, partner: str = "World", data_dir: Path | None = None,
                    include_derived: bool = True) -> pd.Series:
    """Monthly export tonnes on a complete monthly PeriodIndex; absent months stay NaN."""
    frame = load_exports(series=series, partner=partner, period_kind="month", data_dir=data_dir)
    if not include_derived:
        frame = frame[frame["status"] == "reported"]
    s = pd.Series(frame["value"].to_numpy(), index=pd.PeriodIndex(frame["period_end"], freq="M"), name=f"{series}_{partner}_t")
    if s.empty:
        return s
    full = pd.period_range(s.index.min(), s.index.max(), freq="M")
    return s.reindex(full).rename_axis("month")


def load_production(country: str | None = None, preferred_only: bool = True,
                    data_dir: Path | None = None) -> pd.DataFrame:
    """USGS mine production rows (t REO) with their edition."""
    frame = _preferred(load_table("production", data_dir), preferred_only)
    if country is not None:
        _check_choice("production", "country", country, frame)
        frame = frame[frame["country"] == country]
    return frame.sort_values(["country", "year", "edition"]).reset_index(drop=True)


def load_events(kind: str | None = None, data_dir: Path | None = None) -> pd.DataFrame:
    """Dated events, oldest first."""
    frame = load_table("events", data_dir)
    if kind is not None:
        _check_choice("events", "kind", kind, frame)
        frame = frame[frame["kind"] == kind]
    return frame.sort_values("date").reset_index(drop=True)


def _check_choice(table: str, column: str, value: str, frame: pd.DataFrame) -> None:
    allowed = list(frame[column].cat.categories) if isinstance(frame[column].dtype, pd.CategoricalDtype) else sorted(frame[column].dropna().unique())
    if value not in allowed:
        raise ValueError(f"{table}.{column}: unknown value {value!r}; expected one of {allowed}")


def cite(source_ids, data_dir: Path | None = None, dates: bool = True) -> str:
    """'Publisher (date)' for each source id, for chart source lines and tables.

    With dates=False, each publisher once: the short form for charts that draw
    on many documents (data/ names each value's document).
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

