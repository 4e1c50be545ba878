"""Sentences that state data values, written from the data each time a notebook runs.

No data value is typed into a notebook's prose, alt text or chart labels: a cell
calls one of these functions, and the sentence it returns carries the numbers
of the data it was run on. When a table in data/ changes, the text changes with
it (tests/test_perturbed_data.py runs every notebook on altered data and fails
if a page still shows an original number).

Formatting helpers (`tonnes`, `pct`, `month`, `day`) are shared by every
sentence so a value reads the same everywhere; `show` displays Markdown with a
deterministic text/plain copy. Throughout, `series` and `partner` are as in data/exports.csv,
quota tonnages are t REO, and windows (`start`-`end`, `first_year`-`last_year`) include both ends.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers import data
from helpers.units import MEAN_MONTH_DAYS

STAGE_WORD = {"mining": "mining", "smelting": "smelting and separation"}
SERIES_WORD = {"magnets": "magnet", "rare_earths": 'customs "rare earths"'}


# --------------------------------------------------------------------------- formats

def tonnes(value: float) -> str:
    """Write a tonnage as readers see it (132000 -> '132,000 t'), so it reads the same in every sentence.

    Parameters
    ----------
    value : float
        Tonnes (t REO for quotas, product tonnes for exports); None or NaN allowed.

    Returns
    -------
    str
        Whole tonnes; ``'n/a'`` for a missing value.
    """
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:,.0f} t"


def pct(value: float, digits: int = 1, sign: bool = False) -> str:
    """Write a percent as readers see it.

    Parameters
    ----------
    value : float
        A percent, already times 100 (10.0 means 10%); None or NaN allowed.
    digits : int, default 1
        Decimals shown.
    sign : bool, default False
        Show ``+`` on a rise (for changes).

    Returns
    -------
    str
        ``10.0 -> '10.0%'`` (``'+10.0%'`` with `sign`); ``'n/a'`` for a missing value.
    """
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:+.{digits}f}%" if sign else f"{value:.{digits}f}%"


def change(new: float, old: float) -> float:
    """Compute the percent change from old to new, as every sentence here states changes.

    Parameters
    ----------
    new, old : float
        The later and the earlier value, in the same unit.

    Returns
    -------
    float
        ``(new / old - 1) * 100``, in percent.
    """
    return (new / old - 1) * 100


def month(period) -> str:
    """Name a month as readers see it: 'May 2025'.

    Parameters
    ----------
    period : pandas.Period, pandas.Timestamp or str
        A month (``'YYYY-MM'`` for a string).

    Returns
    -------
    str
    """
    return pd.Period(period, "M").strftime("%b %Y")


def day(date, year: bool = True) -> str:
    """Name a date as readers see it: '8 November 2019' (or '8 November').

    Parameters
    ----------
    date : date-like
        Anything ``pandas.Timestamp`` reads.
    year : bool, default True
        Add the year (leave it out where the sentence already names it).

    Returns
    -------
    str
    """
    ts = pd.Timestamp(date)
    return f"{ts.day} {ts.strftime('%B')}" + (f" {ts.year}" if year else "")


def months_from_days(days: float) -> float:
    """Convert days to average calendar months, as the claims checker counts them.

    Parameters
    ----------
    days : float
        A number of days.

    Returns
    -------
    float
        Months of 365.2425 / 12 days each (helpers.units.MEAN_MONTH_DAYS: the Gregorian mean year).
    """
    return float(days) / float(MEAN_MONTH_DAYS)


def listing(items: Sequence[str]) -> str:
    """Join items into an English list: 'a', 'a and b', 'a, b and c'.

    Parameters
    ----------
    items : sequence of str

    Returns
    -------
    str
    """
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def show(md: str) -> None:
    """Display generated Markdown with the same text as text/plain, so stored outputs compare stably (nbval).

    Parameters
    ----------
    md : str
    """
    from IPython.display import display

    display({"text/markdown": md, "text/plain": md}, raw=True)


# --------------------------------------------------------------------------- quotas

def _annual(stage: str) -> pd.DataFrame:
    return data.load_quotas(stage=stage, part="annual", segment="total").set_index("year")


def spans(years: Sequence[int]) -> str:
    """Write years as runs, so a list of gaps stays short: [2010, 2012, 2013, 2014] -> '2010 and 2012-2014'.

    Parameters
    ----------
    years : sequence of int
        Years, in any order.

    Returns
    -------
    str
    """
    years = sorted(years)
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return listing([str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs])


def quota_years(stages: Sequence[str], first_year: int, last_year: int) -> str:
    """Say per stage which years of the window have no annual quota (gaps) and which are derived.

    Parameters
    ----------
    stages : sequence of {'mining', 'smelting'}
    first_year, last_year : int

    Returns
    -------
    str
        One sentence, naming the chart's gaps and hollow (derived) markers.
    """
    parts = []
    for stage in stages:
        q = _annual(stage)
        gaps = [y for y in range(first_year, last_year + 1) if y not in q.index or not np.isfinite(q.loc[y, "value"])]
        derived = [y for y in range(first_year, last_year + 1) if y in q.index and q.loc[y, "status"] == "derived"]
        bits = []
        if gaps:
            bits.append(f"no published figure for {spans(gaps)} (gaps on the chart)")
        if derived:
            bits.append(f"its {spans(derived)} figure{'s are' if len(derived) > 1 else ' is'} derived from growth rates "
                        "or batch sizes (hollow markers)")
        parts.append(f"the {STAGE_WORD[stage]} quota has " + (", and ".join(bits) if bits
                                                              else f"a published figure for every year {first_year}-{last_year}"))
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def quota_change(stages: Sequence[str], year: int) -> str:
    """Say how each stage's annual quota changed in one year, e.g. 'mining rose 10.0% to 132,000 t in 2019'.

    Parameters
    ----------
    stages : sequence of {'mining', 'smelting'}
    year : int
        The year compared with the year before.

    Returns
    -------
    str
        The changes (t REO); a stage with no figure for the year before is given as a level only.
    """
    bits = []
    for stage in stages:
        q = _annual(stage)["value"]
        if year in q.index and year - 1 in q.index:
            g = change(q[year], q[year - 1])
            verb = "rose" if g >= 0 else "fell"
            bits.append(f"{STAGE_WORD[stage]} {verb} {pct(abs(g))} to {tonnes(q[year])}")
        elif year in q.index:
            bits.append(f"{STAGE_WORD[stage]} stood at {tonnes(q[year])} (no {year - 1} figure to compare)")
    return listing(bits) + f" in {year}" if bits else f"no {year} quota is in the data"


def quota_chart_alt(stages: Sequence[str], first_year: int, last_year: int, extra: str = "") -> str:
    """Write the alt text of figures.quota_chart from the data it draws.

    Parameters
    ----------
    stages : sequence of {'mining', 'smelting'}
    first_year, last_year : int
    extra : str, default ""
        A sentence appended (what else the chart marks).

    Returns
    -------
    str
        The span, each stage's first and last values (t REO) and the last year's change.
    """
    frame = pd.concat([_annual(s).assign(stage=s) for s in stages])
    frame = frame[(frame.index >= first_year) & (frame.index <= last_year) & frame["value"].notna()]
    words = " and ".join(STAGE_WORD[s] for s in stages)
    ends = []
    for s in stages:
        q = frame[frame["stage"] == s]["value"]
        if len(q):
            ends.append(f"{STAGE_WORD[s]} from {tonnes(q.iloc[0])} in {q.index[0]} to {tonnes(q.iloc[-1])} in {q.index[-1]}")
    return (f"Line chart of China's annual {words} quotas, {first_year} to {last_year}, in tonnes of rare-earth oxide: "
            f"{listing(ends)}; {quota_change(stages, last_year)}.{(' ' + extra) if extra else ''}")


def quota_path(stage: str, first_year: int, last_year: int) -> str:
    """Say how a quota moved year by year, with the average growth and the last change.

    Parameters
    ----------
    stage : {'mining', 'smelting'}
    first_year, last_year : int

    Returns
    -------
    str
        First and last quota (t REO), mean growth ``(last / first) ** (1 / years) - 1``, fastest and last change.
    """
    q = _annual(stage)["value"].dropna()
    q = q[(q.index >= first_year) & (q.index <= last_year)]
    if len(q) < 2:
        return f"The data hold too few {STAGE_WORD[stage]} quotas from {first_year} to {last_year} to describe a path."
    span = q.index[-1] - q.index[0]
    avg = ((q.iloc[-1] / q.iloc[0]) ** (1 / span) - 1) * 100
    g = {y: change(q[y], q[y - 1]) for y in q.index if y - 1 in q.index}
    fastest = max(g, key=g.get)
    rises = [y for y in g if g[y] > 0]
    text = (f"The {STAGE_WORD[stage]} quota went from {tonnes(q.iloc[0])} in {q.index[0]} to {tonnes(q.iloc[-1])} in "
            f"{q.index[-1]}, {pct(avg)} a year on average; the fastest rise was {pct(g[fastest], sign=True)} in {fastest}")
    last = q.index[-1]
    if last in g:
        text += f", the last {pct(g[last], sign=True)} in {last}"
    if len(rises) == len(g):
        text += ", and it rose every year the data can compare"
    return text + "."


def batch_alt(stage: str, part: str, years: Sequence[int]) -> str:
    """Write the alt text of figures.batch_chart: each year's batch.

    Parameters
    ----------
    stage : {'mining', 'smelting'}
    part : str
        The batch, as in data/quotas.csv (``'first_batch'`` ...).
    years : sequence of int

    Returns
    -------
    str
        Each year's batch (t REO), derived ones marked.
    """
    q = data.load_quotas(stage=stage, part=part, segment="total").set_index("year")
    vals = [f"{tonnes(q.loc[y, 'value'])} in {y}" + (" (derived)" if q.loc[y, "status"] == "derived" else "")
            for y in years if y in q.index]
    return listing(vals)


def split_change(stage: str, part: str, years: tuple[int, int]) -> dict:
    """Compare the light and medium-heavy quota of one batch in two years.

    Parameters
    ----------
    stage : {'mining', 'smelting'}
    part : str
        The batch, as in data/quotas.csv.
    years : tuple of (int, int)
        The earlier and the later year.

    Returns
    -------
    dict
        ``{'light': (a, b, pct), 'medium_heavy': (a, b, pct)}``: values (t REO), percent change.
    """
    q = data.load_quotas(stage=stage, part=part)
    out = {}
    for seg in ("light", "medium_heavy"):
        s = q[q["segment"] == seg].set_index("year")["value"]
        a, b = s[years[0]], s[years[1]]
        out[seg] = (a, b, change(b, a))
    return out


def notice_dates(notices: pd.DataFrame) -> str:
    """List when each year's quota notice came out ('2018: 28 August; 2019: 8 November; ...').

    Parameters
    ----------
    notices : pandas.DataFrame
        figures.notice_timing_chart's table: ``quota_year``, ``date``, ``precision`` (``'month'``: month only).

    Returns
    -------
    str
    """
    out = []
    for _, r in notices.sort_values("quota_year").iterrows():
        when = r["date"].strftime("%B") + " (month only)" if r["precision"] == "month" else day(r["date"], year=False)
        out.append(f"{int(r['quota_year'])}: {when}")
    return "; ".join(out)


def event_day(event_id: str, year: bool = False) -> str:
    """Give the date of one event in data/events.csv ('4 April'), so prose never types a date.

    Parameters
    ----------
    event_id : str
        The event's id.
    year : bool, default False
        Add the year.

    Returns
    -------
    str

    Raises
    ------
    KeyError
        When the id is not in data/events.csv.
    """
    ev = data.load_events()
    row = ev[ev["event_id"] == event_id]
    if row.empty:
        raise KeyError(f"unknown event_id {event_id!r}: expected an id in data/events.csv")
    return day(row["date"].iloc[0], year=year)


# --------------------------------------------------------------------------- exports

def monthly_window(series: str, partner: str, start, end) -> pd.Series:
    """Select the monthly exports from start to end.

    Parameters
    ----------
    series, partner : str
    start, end : month-like

    Returns
    -------
    pandas.Series
        Tonnes by month (PeriodIndex); months with no figure dropped.
    """
    m = data.monthly_exports(series, partner)
    return m[(m.index >= pd.Period(start, "M")) & (m.index <= pd.Period(end, "M"))].dropna()


def monthly_summary(series: str, partner: str, start, end) -> str:
    """Say how many months have a figure, the lowest and highest month and the last one.

    Parameters
    ----------
    series, partner : str
    start, end : month-like

    Returns
    -------
    str
        The summary in words (tonnes), or that no month has a figure.
    """
    s = monthly_window(series, partner, start, end)
    n = len(pd.period_range(pd.Period(start, "M"), pd.Period(end, "M"), freq="M"))
    if s.empty:
        return f"no month from {month(start)} to {month(end)} has a figure in the data"
    lo, hi = s.idxmin(), s.idxmax()
    return (f"{len(s)} of {n} months have a figure; the lowest is {tonnes(s[lo])} in {month(lo)}, the highest "
            f"{tonnes(s[hi])} in {month(hi)}, and the last {tonnes(s.iloc[-1])} in {month(s.index[-1])}")


def value_at(series: str, partner: str, when) -> str:
    """Say one month's exports in words: '3,640 t in May 2019' or 'no figure for May 2019'.

    Parameters
    ----------
    series, partner : str
    when : month-like
        The month.

    Returns
    -------
    str
    """
    m = data.monthly_exports(series, partner)
    p = pd.Period(when, "M")
    if p in m.index and np.isfinite(m[p]):
        return f"{tonnes(m[p])} in {month(p)}"
    return f"no figure for {month(p)}"


def trough(series: str, partner: str, start, end) -> pd.Period:
    """Find the month with the lowest exports between start and end.

    Parameters
    ----------
    series, partner : str
    start, end : month-like

    Returns
    -------
    pandas.Period
        The month (ValueError when no month of the window has a figure).
    """
    return monthly_window(series, partner, start, end).idxmin()


def highest_since(series: str, partner: str, when) -> str:
    """Say how high one month's exports stand against the months before, e.g. 'the highest since January 2025'.

    Parameters
    ----------
    series, partner : str
    when : month-like
        The month; it must have a figure.

    Returns
    -------
    str
        The latest earlier month with at least as much, 'below <month before>', or since the data begin.
    """
    m = data.monthly_exports(series, partner).dropna()
    p = pd.Period(when, "M")
    earlier = m[(m.index < p) & (m >= m[p])]
    if earlier.empty:
        return f"the highest since the data begin ({month(m.index[0])})"
    if earlier.index[-1] == p - 1:
        return f"below {month(p - 1)}'s {tonnes(m[p - 1])}"
    return f"the highest since {month(earlier.index[-1])} ({tonnes(earlier.iloc[-1])})"


def months_above(series: str, partner: str, start, end, level: float) -> str:
    """Say how many months with a figure from start to end exceed a level.

    Parameters
    ----------
    series, partner : str
    start, end : month-like
    level : float
        The level, in tonnes.

    Returns
    -------
    str
        The count in words, naming the months not above when there are some.
    """
    s = monthly_window(series, partner, start, end)
    above = int((s > level).sum())
    if above == len(s):
        return f"every one of the {len(s)} months from {month(start)} to {month(s.index[-1])} with a figure was above it"
    below = [month(p) for p in s.index[s <= level]]
    return f"{above} of the {len(s)} months from {month(start)} with a figure were above it (not {listing(below)})"


def late_batches(stage: str) -> str:
    """List the third batches in the data for a stage: a year's total can grow late.

    Parameters
    ----------
    stage : {'mining', 'smelting'}

    Returns
    -------
    str
        A sentence with each third batch (t REO) and its year, or that the data hold none.
    """
    q = data.load_quotas(stage=stage, part="third_batch", segment="total")
    q = q[q["value"].notna()]
    if q.empty:
        return f"The data hold no third batch of {STAGE_WORD[stage]} quota."
    items = [f"{tonnes(r.value)} in {int(r.year)}" for r in q.itertuples()]
    return (f"Later batches have added to a year's total before: the data hold third batches of {STAGE_WORD[stage]} "
            f"quota of {listing(items)}.")


# --------------------------------------------------------------------------- the newest data

def last_month(series: str, partner: str = "World") -> pd.Period:
    """The newest month with a figure for a series, single or inside a combined period (so "since" runs to it).

    Parameters
    ----------
    series, partner : str
        An export series and partner as in data/exports.csv.

    Returns
    -------
    Period
        The latest ``period_end`` among the monthly and multi-month rows.
    """
    per = data.export_periods(series, partner)
    return pd.Period(per["period_end"].max(), "M")


def last_quota_year(stage: str) -> int:
    """Give the newest year with a published or derived annual quota for a stage (undisclosed years have none).

    Parameters
    ----------
    stage : {'mining', 'smelting'}

    Returns
    -------
    int
    """
    q = _annual(stage)["value"].dropna()
    return int(q.index.max())


def since_note(series: str, partner: str = "World") -> str:
    """Say how far the export data run, for the "What the data show since" sections.

    Parameters
    ----------
    series, partner : str
        As in data/exports.csv; partner ``"World"`` by default.

    Returns
    -------
    str
        ``'The data run to <month>'`` plus the newest combined period (months customs published as one total).
    """
    per = data.export_periods(series, partner)
    end = pd.Period(per["period_end"].max(), "M")
    comb = per[per["combined"]]
    text = f"The data run to {month(end)}"
    if len(comb):
        c = comb.iloc[-1]
        single = per[~per["combined"] & per["period_end"].between(c["period_start"], c["period_end"])]
        text += (f"; customs published {month(c['period_start'])} and {month(c['period_end'])} as one total "
                 f"({tonnes(c['value'])})" + (", and the single months shown are derived from it" if len(single)
                                              else ", shown as one figure, never split"))
    return text + "."
