"""How a checked claim is shown to readers: numbers at the printed precision, gaps and status words.

Part of ``helpers.claims``.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
from fractions import Fraction

from helpers.claims.intervals import DATE_UNITS, Q
from helpers.claims.stated import Stated, _round_half_away


# --------------------------------------------------------------------------- presentation

def _decimals(half: Fraction) -> int:
    """Decimals of the printed precision whose half-unit is `half` (0 for whole numbers and coarser)."""
    if half <= 0:
        return 0
    step = 2 * half
    d = 0
    while step < 1 and d < 12:
        step *= 10
        d += 1
    return d


def _fmt_plain(x: Fraction, decimals: int | None = None) -> str:
    if decimals is None:
        if x.denominator == 1:
            return f"{int(x):,}"
        decimals = 2
    r = _round_half_away(Fraction(x), Fraction(1, 10 ** decimals))
    return f"{float(r):,.{decimals}f}"


def _floor_to(x: Fraction, d: int) -> Fraction:
    step = Fraction(1, 10 ** d)
    return math.floor(x / step) * step


def _ceil_to(x: Fraction, d: int) -> Fraction:
    step = Fraction(1, 10 ** d)
    return math.ceil(x / step) * step


_PLAIN_UNITS = ("year", "weekday", "date", "month")      # printed without thousands separators


def _display_decimals(st: Stated, value: Q, unit: str) -> int:
    """Recomputed points: one digit past the stated precision, but never more digits than the value has
    (62,585.2 t against a stated '62.585' prints as '62,585.2', not '62,585.2000')."""
    if unit in ("t", "t REO", "count", "year", "weekday") and value.point.denominator == 1:
        return 0
    return min(_decimals(st.half) + 1, _exact_decimals(value.point))


def _fmt_number(x: Fraction, d: int, unit: str) -> str:
    text = _fmt_plain(x, d)
    return text.replace(",", "") if unit in _PLAIN_UNITS else text


def _weekday_name(x: Fraction) -> str | None:
    return calendar.day_name[int(x) - 1] if x.denominator == 1 and 1 <= x <= 7 else None


def _fmt_value(value: Q, st: Stated, unit: str) -> str:
    if value.kind == "date":
        return dt.date.fromordinal(int(value.point)).isoformat()
    if unit == "weekday" and _weekday_name(value.point):
        return _weekday_name(value.point)
    return _fmt_number(value.point, _display_decimals(st, value, unit), unit)


def _interval_decimals(value: Q, st: Stated, unit: str) -> int:
    """Enough decimals to show the interval's width to two digits (never fewer than the point's)."""
    d = _display_decimals(st, value, unit)
    width = value.hi - value.lo
    if width > 0:
        d = max(d, math.ceil(-math.log10(float(width))) + 1)
    return min(d, 6)


def _fmt_interval(value: Q, st: Stated, unit: str) -> str:
    """The recomputed interval, rounded outward so the text always contains the true interval."""
    if value.kind == "date":
        a, b = (dt.date.fromordinal(int(x)).isoformat() for x in (value.lo, value.hi))
        return a if a == b else f"{a} to {b}"
    if unit == "weekday" and value.lo == value.hi and _weekday_name(value.lo):
        return _weekday_name(value.lo)
    d = _interval_decimals(value, st, unit)
    lo, hi = _floor_to(value.lo, d), _ceil_to(value.hi, d)
    return _fmt_number(lo, d, unit) if lo == hi else f"{_fmt_number(lo, d, unit)} to {_fmt_number(hi, d, unit)}"


def _exact_decimals(*xs) -> int:
    """Fewest decimals (at most 6) that print every finite bound exactly."""
    d = 0
    for x in xs:
        if isinstance(x, Fraction):
            while d < 6 and (x * 10 ** d).denominator != 1:
                d += 1
    return d


def _fmt_stated_interval(st: Stated, unit: str) -> str:
    """The interval the stated number allows, bounds printed exactly: '10.35 to 10.45', 'at least 9.5'."""
    if st.qualifier == "date":
        a, b = (dt.date.fromordinal(int(x)).isoformat() for x in (st.lo, st.hi))
        return a if a == b else f"{a} to {b}"
    lo = None if st.lo == -math.inf else Fraction(st.lo)
    hi = None if st.hi == math.inf else Fraction(st.hi)
    d = _exact_decimals(*(x for x in (lo, hi) if x is not None))
    if lo is None:
        return f"{'below' if st.hi_open else 'at most'} {_fmt_number(hi, d, unit)}"
    if hi is None:
        return f"{'above' if st.lo_open else 'at least'} {_fmt_number(lo, d, unit)}"
    return _fmt_number(lo, d, unit) if lo == hi else f"{_fmt_number(lo, d, unit)} to {_fmt_number(hi, d, unit)}"


def gap_number(gap: Fraction) -> float:
    """A gap rounded for display: whole units from 10 up, else two significant digits (never to 0).

    Parameters
    ----------
    gap : Fraction
        The gap, in the claim's unit.

    Returns
    -------
    float
        Its absolute value, rounded half away from zero.
    """
    g = abs(gap)
    if g >= 10:
        return float(_round_half_away(g, Fraction(1)))
    if g == 0:
        return 0.0
    exp = math.floor(math.log10(g))
    step = Fraction(10) ** (exp - 1)
    return float(_round_half_away(g, step))


def _gap_unit(unit: str) -> str:
    return {"%": " pp", "date": " days", "month": " days", "count": "", "weekday": " weekdays"}.get(unit, f" {unit}")


def fmt_gap(gap: Fraction, unit: str) -> str:
    """A claim's gap as readers see it, at a precision that shows it.

    Parameters
    ----------
    gap : Fraction
        Distance from the stated interval to the recomputed one, in the claim's unit.
    unit : str
        A claim unit (``%`` gaps print as percentage points, ``pp``).

    Returns
    -------
    str
    """
    g = gap_number(gap)
    text = f"{g:,.0f}" if g >= 10 or g == int(g) else f"{g:,.{max(1, -math.floor(math.log10(g)) + 1)}f}"
    if unit in ("days", "months", "years") and g == 1:
        return f"{text} {unit[:-1]}"
    if unit in DATE_UNITS and g == 1:
        return f"{text} day"
    return f"{text}{_gap_unit(unit)}"


def status_words(status: str, gap: Fraction | None, unit: str, reason: str | None) -> str:
    """A verdict in words: 'reproduced', 'within rounding', 'differs by 1.2 pp', 'not checkable: <reason>'.

    Parameters
    ----------
    status : str
        A verdict of `STATUSES`.
    gap : Fraction or None
        The gap of a ``differs`` verdict, in the claim's unit.
    unit : str
        The claim's unit (see `fmt_gap`).
    reason : str or None
        Why a claim is not checkable.

    Returns
    -------
    str
        The words readers see.
    """
    if status == "differs":
        return f"differs by {fmt_gap(gap, unit)}"
    if status == "not_checkable":
        return f"not checkable: {reason}"
    return status.replace("_", " ")


# The published claims results (site/claims.csv): one Table Schema, in a JSON file so the site
