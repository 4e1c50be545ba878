"""Data access for recipes: the curated tables of one data folder, the lookups a recipe may
call (quota, exports, production, events, notices) and the arithmetic helpers.

Part of ``helpers.claims``; the language itself is described in ``helpers.claims.recipe``.
"""
from __future__ import annotations

import calendar
import csv
import datetime as dt
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from helpers import data as _data, paths
from helpers.data.schema import pd  # pandas on first use: checking the ledger (make check-data) needs none
from helpers.claims.derived import derived_interval
from helpers.claims.intervals import (ClaimError, Input, NotCheckable, Q, REPORT_WINDOW_DAYS, STRUCTURAL_CONSTANTS,
                                      _frac, data_value)
from helpers.claims.present import _fmt_plain
from helpers.units import MEAN_MONTH_DAYS


# --------------------------------------------------------------------------- data access

def _cell(v) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.date().isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class Tables:
    """The curated tables of one data folder, read once (all rows, not only preferred).

    Parameters
    ----------
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's).
    """

    def __init__(self, data_dir: Path | None = None):
        self.data_dir = Path(data_dir) if data_dir else paths.DATA
        self._frames: dict[str, pd.DataFrame] = {}
        self._raw: dict[str, dict] = {}
        self._keys: dict[str, list[str]] = {}

    def frame(self, name: str) -> pd.DataFrame:
        """One table, validated and typed by the schema (cached).

        Parameters
        ----------
        name : str
            A resource of data/datapackage.json.

        Returns
        -------
        DataFrame
            Every row (preferred or not).

        Raises
        ------
        helpers.data.DataError
            When the table breaks its schema.
        """
        if name not in self._frames:
            self._frames[name] = _data.load_table(name, self.data_dir)
        return self._frames[name]

    def raw_value(self, name: str, row) -> str | None:
        """The value cell exactly as written in the CSV (keeps trailing zeros, hence the printed precision).

        Parameters
        ----------
        name : str
            The table.
        row : mapping
            A row of `frame` (its primary-key fields are read).

        Returns
        -------
        str or None
            The cell's text, or None when it is empty.
        """
        if name not in self._raw:
            res = _data.resource(name, _data.read_package(self.data_dir))
            key = self._keys[name] = res["schema"]["primaryKey"]       # as the data package declares it
            with open(self.data_dir / res["path"], newline="", encoding="utf-8") as fh:
                self._raw[name] = {tuple(r[k] for k in key): r.get("value", "") for r in csv.DictReader(fh)}
        return self._raw[name].get(tuple(_cell(row[k]) for k in self._keys[name])) or None

    def key_fields(self, name: str) -> list[str]:
        """The primary key of a table, as data/datapackage.json declares it.

        Parameters
        ----------
        name : str
            The table.

        Returns
        -------
        list of str
            Its key fields in order.
        """
        return list(_data.resource(name, _data.read_package(self.data_dir))["schema"]["primaryKey"])

    def row(self, name: str, key: tuple[str, ...]):
        """The row of a table with this primary key (the key's values as written in the CSV).

        Parameters
        ----------
        name : str
            The table.
        key : tuple of str
            One value per primary-key field, in the key's order.

        Returns
        -------
        Series
            The row.

        Raises
        ------
        ClaimError
            When no row has that key.
        """
        frame, fields = self.frame(name), self.key_fields(name)
        hit = frame[[tuple(_cell(r[k]) for k in fields) == tuple(key) for _, r in frame.iterrows()]]
        if hit.empty:
            raise ClaimError(f"no {name} row has the key {'/'.join(key)}")
        return hit.iloc[0]

    def own_sources(self, source_id: str) -> frozenset:
        """The article and every source whose notes say it is the same text (a syndicated copy).

        Parameters
        ----------
        source_id : str
            An article's id in data/sources.csv.

        Returns
        -------
        frozenset of str
            ``source_id`` and its copies ('same wire text as <source_id>' in their notes).
        """
        src = self.frame("sources")
        pattern = re.compile(rf"same (?:wire )?text as\b[^.;]*\b{re.escape(source_id)}\b", re.IGNORECASE)
        copies = {str(sid) for sid, notes in zip(src["source_id"], src["notes"])
                  if isinstance(notes, str) and pattern.search(notes)}
        return frozenset(copies | {source_id})

    def published(self, source_id: str) -> str | None:
        """An article's publication date as data/sources.csv gives it.

        Parameters
        ----------
        source_id : str
            An id in data/sources.csv.

        Returns
        -------
        str or None
            ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; None when unknown or undated.
        """
        src = self.frame("sources")
        hit = src[src["source_id"] == source_id]
        if hit.empty:
            return None
        v = hit.iloc[0]["published"]
        return v if isinstance(v, str) and v else None


@dataclass
class Context:
    """What a recipe is evaluated for: the claim, its article and that article's numbers.

    Parameters
    ----------
    claim_id : str
        The claim (data/claims.csv), named in messages.
    source_id : str
        The claim's article; its rows never confirm it.
    tables : Tables
        The curated tables.
    article_numbers : frozenset of Fraction, optional
        Every form of the article's measured numbers (`article_number_forms`): a derived row
        built from one of them is refused.
    own_sources : frozenset of str, optional
        The article and its copies (`Tables.own_sources`); ``source_id`` is always added.
    """
    claim_id: str
    source_id: str
    tables: Tables
    article_numbers: frozenset = frozenset()
    own_sources: frozenset = frozenset()

    def __post_init__(self):
        self.own_sources = frozenset(self.own_sources) | {self.source_id}

def _row_value(ctx: Context, table: str, row, key: str) -> Q:
    """Q of one data row, for a numeric table (quotas, exports, production)."""
    frame = ctx.tables.frame(table)
    status = str(row["status"])
    locator = row.get("locator") if isinstance(row.get("locator"), str) else None
    inp = Input(table, key, str(row["source_id"]), status, "")
    if status == "derived":
        has_bounds = {"value_low", "value_high"} <= set(frame.columns)
        if has_bounds and pd.notna(row["value_low"]) and pd.notna(row["value_high"]):
            point = _frac(float(row["value"]))
            lo, hi = _frac(float(row["value_low"])), _frac(float(row["value_high"]))
            return Q(point, min(lo, point), max(hi, point), "number",
                     (Input(table, key, inp.source_id, status, _fmt_plain(point), str(row["formula"])),))
        q, _ = derived_interval(ctx.tables, table, row)
        point = _frac(float(row["value"]))
        return Q(point, min(q.lo, point), max(q.hi, point), "number",
                 (Input(table, key, inp.source_id, status, _fmt_plain(point), str(row["formula"])),))
    raw = ctx.tables.raw_value(table, row)
    point, half = data_value(float(row["value"]), raw, locator)
    return Q(point, point - half, point + half, "number",
             (Input(table, key, inp.source_id, status, raw or _fmt_plain(point)),))


def _pick(ctx: Context, table: str, rows: pd.DataFrame, key: str, derived: bool) -> Q:
    """The first usable row for a key: preferred first, then reported, then derived."""
    if rows.empty:
        raise ClaimError(f"{ctx.claim_id}: no {table} row for {key}")
    rows = rows.assign(_pref=rows["preferred"].fillna(False).astype(bool),
                       _rep=(rows["status"].astype(str) == "reported"))
    rows = rows.sort_values(["_pref", "_rep", "source_id"], ascending=[False, False, True])
    refusals = []
    for _, row in rows.iterrows():
        sid, status = str(row["source_id"]), str(row["status"])
        if sid in ctx.own_sources:
            what = "the article itself" if sid == ctx.source_id else "a copy of the article"
            refusals.append(f"the {sid} row is {what}")
            continue
        if status == "undisclosed" or pd.isna(row["value"]):
            refusals.append(f"the {sid} row says the value was not disclosed")
            continue
        if status == "derived":
            formula = str(row["formula"])
            if not derived:
                refusals.append(f"the {sid} row is derived ({formula}) and the recipe does not allow derived values")
                continue
            try:
                _, literals = derived_interval(ctx.tables, table, row)
            except ValueError as exc:
                refusals.append(f"the {sid} row is derived and its interval is unknown ({exc})")
                continue
            shared = sorted({x for x in literals if x in ctx.article_numbers and x not in STRUCTURAL_CONSTANTS})
            if shared:
                nums = ", ".join(_fmt_plain(x) for x in shared)
                refusals.append(f"the {sid} row is derived from this article's own numbers ({formula}: {nums})")
                continue
        return _row_value(ctx, table, row, key)
    raise NotCheckable(f"{key}: " + "; ".join(refusals))


# --------------------------------------------------------------------------- lookups

def _lookup_quota(ctx, stage, year, part="annual", segment="total", derived=False):
    f = ctx.tables.frame("quotas")
    rows = f[(f["stage"] == stage) & (f["year"] == int(year)) & (f["part"] == part) & (f["segment"] == segment)]
    return _pick(ctx, "quotas", rows, f"quota {stage} {year} {part} {segment}", derived)


def _period_kind(start: pd.Period, end: pd.Period) -> str:
    if start == end:
        return "month"
    if start.month == 1 and end.month == 12 and start.year == end.year:
        return "year"
    if start.month == 1 and start.year == end.year:
        return "year_to_date"
    return "months"


def _lookup_exports(ctx, series, start, end=None, partner="World", kind=None, derived=False):
    try:
        p0 = pd.Period(str(start), freq="M")
        p1 = pd.Period(str(end), freq="M") if end is not None else p0
    except ValueError:
        raise ClaimError(f"{ctx.claim_id}: exports period must be 'YYYY-MM', got {start!r} {end!r}") from None
    kind = kind or _period_kind(p0, p1)
    f = ctx.tables.frame("exports")
    rows = f[(f["series"] == series) & (f["partner"] == partner) & (f["period_kind"] == kind)
             & (f["period_start"] == p0) & (f["period_end"] == p1)]
    span = str(p0) if p0 == p1 else f"{p0}..{p1}"
    return _pick(ctx, "exports", rows, f"exports {series} to {partner} {kind} {span}", derived)


def _lookup_production(ctx, country, year, edition=None, derived=False):
    f = ctx.tables.frame("production")
    rows = f[(f["country"] == country) & (f["year"] == int(year))]
    if edition is not None:
        rows = rows[rows["edition"] == edition]
    key = f"production {country} {year}" + (f" {edition}" if edition else "")
    return _pick(ctx, "production", rows, key, derived)


def _lookup_imports(ctx, country, year, product="HS 2846", derived=False):
    f = ctx.tables.frame("imports")
    rows = f[(f["country"] == country) & (f["year"] == int(year)) & (f["product"] == product)]
    return _pick(ctx, "imports", rows, f"imports {country} {year} {product}", derived)


def _date_q(first: dt.date, last: dt.date, point: dt.date, inputs=()) -> Q:
    return Q(Fraction(point.toordinal()), Fraction(first.toordinal()), Fraction(last.toordinal()), "date", inputs)


def _event_row(ctx, event_id):
    f = ctx.tables.frame("events")
    hit = f[f["event_id"] == event_id]
    if hit.empty:
        raise ClaimError(f"{ctx.claim_id}: no event {event_id!r} in events")
    row = hit.iloc[0]
    if str(row["source_id"]) in ctx.own_sources:
        what = "this article itself" if str(row["source_id"]) == ctx.source_id else f"a copy of this article ({row['source_id']})"
        raise NotCheckable(f"the only date the data hold for this event ({event_id}) comes from {what}")
    return row


def _event_q(ctx, row) -> Q:
    d = pd.Timestamp(row["date"]).date()
    precision = str(row["precision"])
    if precision == "day":
        first, last = d, d
    elif precision == "month":
        first, last = d.replace(day=1), d.replace(day=calendar.monthrange(d.year, d.month)[1])
    else:
        first, last = dt.date(d.year, 1, 1), dt.date(d.year, 12, 31)
    if str(row["date_basis"]) == "report":
        first = first - dt.timedelta(days=REPORT_WINDOW_DAYS)
    return _date_q(first, last, d, (Input("events", str(row["event_id"]), str(row["source_id"]),
                                          f"{precision}, {row['date_basis']}", d.isoformat()),))


def _lookup_event(ctx, event_id):
    return _event_q(ctx, _event_row(ctx, event_id))


def _lookup_published(ctx, source_id=None):
    sid = source_id or ctx.source_id
    text = ctx.tables.published(sid)
    if not text:
        raise NotCheckable(f"{sid} has no publication date in sources")
    parts = [int(x) for x in text.split("-")]
    if len(parts) == 3:
        d = dt.date(*parts)
        first = last = d
    elif len(parts) == 2:
        d = dt.date(parts[0], parts[1], 1)
        first, last = d, d.replace(day=calendar.monthrange(d.year, d.month)[1])
    else:
        d = dt.date(parts[0], 1, 1)
        first, last = d, dt.date(parts[0], 12, 31)
    return _date_q(first, last, d, (Input("sources", sid, sid, "published", text),))


_BATCHES = ("first_batch", "second_batch", "third_batch")


def _notice_rows(ctx, year, stage=None, part=None):
    f = ctx.tables.frame("events")
    rows = f[(f["kind"] == "quota_notice") & (f["quota_year"] == int(year))
             & ~f["source_id"].astype(str).isin(ctx.own_sources)]
    rows = rows[rows["part"].isin([part] if part else list(_BATCHES))]
    if stage is not None:
        rows = rows[rows["stage"].isin([stage, "both"])]
    return rows


def _lookup_notices(ctx, stage, year):
    rows = _notice_rows(ctx, year, stage)
    if rows.empty:
        raise NotCheckable(f"no {stage} quota notice for {year} in events (other than from this article)")
    parts = sorted(set(rows["part"].astype(str)))
    inputs = tuple(Input("events", str(r["event_id"]), str(r["source_id"]), "count", str(r["part"]))
                   for _, r in rows.sort_values("date").iterrows())
    n = Fraction(len(parts))
    return Q(n, n, n, "number", inputs)


def _lookup_years_with_notice_in(ctx, part, first_year, last_year, first_month, last_month, stage=None):
    lo = hi = 0
    inputs = ()
    for year in range(int(first_year), int(last_year) + 1):
        rows = _notice_rows(ctx, year, stage, part)
        if rows.empty:
            raise NotCheckable(f"no {part} quota notice for {year} in events")
        q = _event_q(ctx, rows.sort_values("date").iloc[0])
        inputs += q.inputs
        a, b = dt.date.fromordinal(int(q.lo)), dt.date.fromordinal(int(q.hi))
        window = (dt.date(year, int(first_month), 1),
                  dt.date(year, int(last_month), calendar.monthrange(year, int(last_month))[1]))
        if window[0] <= a and b <= window[1]:
            lo += 1
        if b >= window[0] and a <= window[1]:
            hi += 1
    point = Fraction(lo)     # a notice counts when its whole date interval is in the window
    return Q(point, Fraction(lo), Fraction(hi), "number", inputs)


# --------------------------------------------------------------------------- helpers

def _counted(ctx, table: str, rows: pd.DataFrame, what: str) -> pd.DataFrame:
    """Rows of a small fact table with the claim's own article (and its copies) left out."""
    if rows.empty:
        raise NotCheckable(f"no {table} row for {what}")
    own = rows["source_id"].astype(str).isin(ctx.own_sources)
    if own.all():
        raise NotCheckable(f"the only {table} rows for {what} come from this article or a copy of it")
    return rows[~own]


def _lookup_controlled_elements(ctx, event_id, item="materials"):
    f = ctx.tables.frame("controlled_elements")
    what = f"{event_id} ({item})"
    rows = _counted(ctx, "controlled_elements", f[(f["event_id"] == event_id) & (f["item"] == item)], what)
    elements = sorted(set(rows["element"].astype(str)))
    inputs = tuple(Input("controlled_elements", f"{event_id} {r['element']} {item}", str(r["source_id"]), "reported", str(r["element"]))
                   for _, r in rows.sort_values("element").iterrows())
    n = Fraction(len(elements))
    return Q(n, n, n, "number", inputs)


def _lookup_quota_holders(ctx, year, part="first_batch"):
    f = ctx.tables.frame("quota_holders")
    rows = _counted(ctx, "quota_holders", f[(f["year"] == int(year)) & (f["part"] == part)], f"{year} {part}")
    counts = sorted(set(int(v) for v in rows["n_groups"]))
    if len(counts) != 1:
        raise NotCheckable(f"the quota_holders rows for {year} {part} disagree ({counts})")
    inputs = tuple(Input("quota_holders", f"{year} {part}", str(r["source_id"]), "reported", str(int(r["n_groups"])))
                   for _, r in rows.iterrows())
    n = Fraction(counts[0])
    return Q(n, n, n, "number", inputs)


def _lookup_licence_term(ctx, licence_id):
    f = ctx.tables.frame("licence_terms")
    rows = _counted(ctx, "licence_terms", f[f["licence_id"] == licence_id], licence_id)
    r = rows.iloc[0]
    n = Fraction(int(r["term_months"]))
    return Q(n, n, n, "number", (Input("licence_terms", licence_id, str(r["source_id"]), "reported", f"{int(r['term_months'])} months"),))


def _need(q, kind, fn):
    if not isinstance(q, Q) or q.kind != kind:
        what = "a date" if kind == "date" else "a number"
        raise TypeError(f"{fn} expects {what}")
    return q


def _pct_change(old, new):
    return (new / old - 1) * 100


def _pct_below(value, reference):
    return (1 - value / reference) * 100


def _pct_above(value, reference):
    return (value / reference - 1) * 100


def _ratio(a, b):
    return a / b


def _share(part, whole):
    return part / whole * 100


def _sum(*values):
    if not values:
        raise TypeError("sum needs at least one value")
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


def _diff(a, b):
    return a - b


def _extreme(values, pick):
    if not values:
        raise TypeError("min/max need at least one value")
    for v in values:
        _need(v, "number", "min/max")
    inputs = tuple(i for v in values for i in v.inputs)
    return Q(pick(v.point for v in values), pick(v.lo for v in values), pick(v.hi for v in values), "number", inputs)


def _days_between(start, end):
    _need(start, "date", "days_between"), _need(end, "date", "days_between")
    return Q(end.point - start.point, end.lo - start.hi, end.hi - start.lo, "number", start.inputs + end.inputs)


def _months_between(start, end):
    return _days_between(start, end) / Q.exact(MEAN_MONTH_DAYS)


def _shift_year(ordinal: Fraction, years: int) -> Fraction:
    d = dt.date.fromordinal(int(ordinal))
    try:
        return Fraction(d.replace(year=d.year + years).toordinal())
    except ValueError:      # 29 February
        return Fraction(d.replace(year=d.year + years, day=28).toordinal())


def _months_later_in_year(earlier, later):
    _need(earlier, "date", "months_later_in_year"), _need(later, "date", "months_later_in_year")
    shift = dt.date.fromordinal(int(later.point)).year - dt.date.fromordinal(int(earlier.point)).year
    moved = Q(_shift_year(earlier.point, shift), _shift_year(earlier.lo, shift), _shift_year(earlier.hi, shift),
              "date", earlier.inputs)
    return _months_between(moved, later)


def _year(d):
    _need(d, "date", "year")
    y = [Fraction(dt.date.fromordinal(int(x)).year) for x in (d.point, d.lo, d.hi)]
    return Q(y[0], y[1], y[2], "number", d.inputs)


def _weekday(d):
    _need(d, "date", "weekday")
    if d.lo != d.hi:
        raise NotCheckable("the date is not known to the day, so its weekday is not known")
    w = Fraction(dt.date.fromordinal(int(d.point)).isoweekday())
    return Q(w, w, w, "number", d.inputs)


LOOKUPS = {"quota": _lookup_quota, "exports": _lookup_exports, "production": _lookup_production,
           "event": _lookup_event, "published": _lookup_published, "notices": _lookup_notices,
           "years_with_notice_in": _lookup_years_with_notice_in,
           "controlled_elements": _lookup_controlled_elements, "quota_holders": _lookup_quota_holders,
           "licence_term": _lookup_licence_term, "imports": _lookup_imports}
HELPERS = {"pct_change": _pct_change, "pct_below": _pct_below, "pct_above": _pct_above, "ratio": _ratio,
           "share": _share, "sum": _sum, "diff": _diff,
           "min": lambda *v: _extreme(v, min), "max": lambda *v: _extreme(v, max),
           "days_between": _days_between, "months_between": _months_between,
           "months_later_in_year": _months_later_in_year, "year": _year, "weekday": _weekday}
FUNCTIONS = tuple(sorted(LOOKUPS)) + tuple(sorted(HELPERS))
