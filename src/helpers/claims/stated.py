"""Numbers as articles state them: parsing the printed text, the interval a stated number
and its qualifier allow, and the verdict of a recomputed value against it. Part of ``helpers.claims``.
"""
from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass
from fractions import Fraction

from helpers.claims.intervals import (ABOUT_TOLERANCE, DATE_UNITS, Q, QUALIFIERS, _ABOUT, _NEARLY, _PART_OF_MONTH,
                                      _frac)
from helpers.data.numbers import SCALES


# --------------------------------------------------------------------------- stated numbers

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
          "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
          "twice": 2, "once": 1, "dozen": 12, "semiannually": 2, "biannually": 2,
          # ordinals: "fifth consecutive month" states 5
          "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
          "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
          "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20}
_FRACTION_WORDS = {"a quarter": Fraction(1, 4), "a third": Fraction(1, 3), "half": Fraction(1, 2)}
_STATED_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:\s*(million|billion|thousand)\b)?",
                            re.IGNORECASE)
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})


def parse_stated(text: str, unit: str) -> tuple[Fraction, Fraction]:
    """The value and half-width of a number as printed: '10.4%' -> (10.4, 0.05); 'two' -> (2, 0.5).

    Fraction words are exact (half-width 0) and read as a percentage when the unit is %.

    Parameters
    ----------
    text : str
        The number as the article prints it (``stated_text``).
    unit : str
        The claim's unit.

    Returns
    -------
    (Fraction, Fraction)
        The value and half its printed step.

    Raises
    ------
    ValueError
        When no single number can be read.
    """
    if unit == "weekday":
        low = text.lower()
        for i, name in enumerate(calendar.day_name, start=1):
            if re.search(rf"\b{name.lower()}\b", low):
                return Fraction(i), Fraction(0)
        raise ValueError(f"no weekday name in the stated text {text!r}")
    m = _STATED_NUMBER.search(text)
    if m:
        digits, decimals, scale = m.group(1).replace(",", ""), m.group(2) or "", (m.group(3) or "").lower()
        mult = SCALES.get(scale, 1)
        value = Fraction(f"{digits}.{decimals}" if decimals else digits) * mult
        return value, Fraction(1, 10 ** len(decimals)) * mult / 2
    low = text.lower()
    for phrase, frac in _FRACTION_WORDS.items():
        if re.search(rf"\b{phrase}\b", low):
            return (frac * 100 if unit == "%" else frac), Fraction(0)
    for word, n in _WORDS.items():
        if re.search(rf"\b{word}\b", low):
            return Fraction(n), Fraction(1, 2)
    if re.search(r"\ban? (day|week|month|year)\b", low):     # "less than a month"
        return Fraction(1), Fraction(1, 2)
    raise ValueError(f"no number found in the stated text {text!r}")


def stated_date_range(stated, unit: str, qualifier: str) -> tuple[dt.date, dt.date]:
    """First and last day a stated date covers: unit date = YYYYMMDD, unit month = YYYYMM.

    Parameters
    ----------
    stated : int or str
        The ledger's ``stated`` (YYYYMMDD or YYYYMM).
    unit : str
        ``date`` or ``month``.
    qualifier : str
        ``exact``, or a part of the month (``early``, ``mid``, ``late``) for a month.

    Returns
    -------
    (datetime.date, datetime.date)
        The first and last day.

    Raises
    ------
    ValueError
        For an impossible date or a qualifier a date cannot take.
    """
    n = int(stated)
    if unit == "date":
        day = dt.date(n // 10000, n // 100 % 100, n % 100)
        if qualifier != "exact":
            raise ValueError(f"qualifier {qualifier!r} does not apply to a day")
        return day, day
    year, month = n // 100, n % 100
    last = calendar.monthrange(year, month)[1]
    if qualifier == "exact":
        return dt.date(year, month, 1), dt.date(year, month, last)
    if qualifier in _PART_OF_MONTH:
        a, b = _PART_OF_MONTH[qualifier]
        return dt.date(year, month, a), dt.date(year, month, min(b, last))
    raise ValueError(f"qualifier {qualifier!r} does not apply to a month")


def stated_text_date(text: str, published: str | None) -> tuple[int | None, int, int | None]:
    """The year, month and day named in a printed date such as 'April 4' or 'early April 2025'.

    Without a year, the month is the latest one on or before publication: 'April' in an
    article of January 2026 is April 2025, in an article of June 2026 April 2026.

    Parameters
    ----------
    text : str
        The date as printed.
    published : str or None
        The article's publication date (YYYY, YYYY-MM or YYYY-MM-DD).

    Returns
    -------
    (int or None, int, int or None)
        Year (None when neither the text nor the publication gives one), month, day (None if not printed).
    """
    low = text.lower()
    month = next((i for name, i in sorted(_MONTHS.items(), key=lambda kv: -len(kv[0]))
                  if re.search(rf"\b{name}\b", low)), None)
    if month is None:
        raise ValueError(f"no month name in {text!r}")
    year_m = re.search(r"\b(19|20)\d{2}\b", text)
    year = int(year_m.group(0)) if year_m else (int(published[:4]) if published else None)
    if not year_m and published and len(published) >= 7 and month > int(published[5:7]):
        year -= 1
    day_m = re.search(r"\b(\d{1,2})\b(?!\d)", re.sub(r"\b(19|20)\d{2}\b", "", text))
    return year, month, int(day_m.group(1)) if day_m else None


@dataclass(frozen=True)
class Stated:
    """The interval a stated number allows, and the rule that makes it 'reproduced'.

    Parameters
    ----------
    value : Fraction
        The number as stated (a date as an ordinal).
    half : Fraction
        Half its printed step ('10.4%' -> 0.05); 0 for an exact word.
    qualifier : str
        A qualifier of `QUALIFIERS`, or ``"date"``.
    lo, hi : Fraction or float
        The interval's bounds (``-inf``/``inf`` for one-sided qualifiers).
    lo_open, hi_open : bool, default False
        Whether a bound is excluded ('more than', 'less than').
    """
    value: Fraction
    half: Fraction
    qualifier: str
    lo: Fraction | float
    hi: Fraction | float
    lo_open: bool = False
    hi_open: bool = False

    def reproduces(self, p: Fraction) -> bool:
        """Whether a recomputed point reproduces the stated number under its qualifier.

        Exact numbers reproduce when the point rounds (half away from zero) to the stated
        precision; 'about' takes 5% (`ABOUT_TOLERANCE`); 'more than' is strict.

        Parameters
        ----------
        p : Fraction
            The recomputed point.

        Returns
        -------
        bool
            True when the claim is reproduced.
        """
        X, h, q = self.value, self.half, self.qualifier
        if q == "exact":
            return (_round_half_away(p, 2 * h) == X) if h else p == X
        if q == "at_least":
            return (_round_half_away(p, 2 * h) >= X) if h else p >= X
        if q == "at_most":
            return (_round_half_away(p, 2 * h) <= X) if h else p <= X
        if q == "more_than":
            return p > X
        if q == "less_than":
            return p < X
        if q in _NEARLY:
            return self.lo <= p and ((_round_half_away(p, 2 * h) <= X) if h else p <= X)
        return self.lo <= p <= self.hi      # about, dates

    def meets(self, lo: Fraction, hi: Fraction) -> bool:
        """Whether [lo, hi] meets this interval (open bounds treated as closed).

        Parameters
        ----------
        lo, hi : Fraction
            A recomputed interval.

        Returns
        -------
        bool
            True when the intervals touch or overlap.
        """
        return hi >= self.lo and lo <= self.hi

    def gap(self, lo: Fraction, hi: Fraction) -> Fraction:
        """The distance between [lo, hi] and this interval (0 when they meet).

        Parameters
        ----------
        lo, hi : Fraction
            A recomputed interval.

        Returns
        -------
        Fraction
            The gap, in the claim's unit.
        """
        if hi < self.lo:
            return Fraction(self.lo) - hi
        if lo > self.hi:
            return lo - Fraction(self.hi)
        return Fraction(0)


def _round_half_away(x: Fraction, step: Fraction) -> Fraction:
    q = abs(x) / step
    n = math.floor(q + Fraction(1, 2))
    return (n if x >= 0 else -n) * step


def stated_interval(stated, stated_text: str, unit: str, qualifier: str) -> Stated:
    """The Stated interval of a claim (numbers; dates as ordinals).

    Parameters
    ----------
    stated : number or str
        The ledger's ``stated`` value.
    stated_text : str
        The number as printed (its digits give the precision).
    unit : str
        The claim's unit.
    qualifier : str
        One of `QUALIFIERS`.

    Returns
    -------
    Stated
        The interval and the reproduction rule.

    Raises
    ------
    ValueError
        For an unknown qualifier, or when ``stated`` is not the number printed in ``stated_text``.
    """
    if qualifier not in QUALIFIERS:
        raise ValueError(f"unknown qualifier {qualifier!r}; expected one of {QUALIFIERS}")
    if unit in DATE_UNITS:
        first, last = stated_date_range(stated, unit, qualifier)
        return Stated(Fraction(first.toordinal()), Fraction(0), "date",
                      Fraction(first.toordinal()), Fraction(last.toordinal()))
    X, h = parse_stated(stated_text, unit)
    if X != _frac(stated):
        raise ValueError(f"stated {stated} does not match the number printed in {stated_text!r} ({X})")
    tol = max(h, ABOUT_TOLERANCE * abs(X))
    inf = math.inf
    if qualifier == "exact":
        return Stated(X, h, qualifier, X - h, X + h)
    if qualifier == "at_least":
        return Stated(X, h, qualifier, X - h, inf)
    if qualifier == "at_most":
        return Stated(X, h, qualifier, -inf, X + h)
    if qualifier == "more_than":
        return Stated(X, h, qualifier, X, inf, lo_open=True)
    if qualifier == "less_than":
        return Stated(X, h, qualifier, -inf, X, hi_open=True)
    if qualifier in _ABOUT:
        return Stated(X, h, qualifier, X - tol, X + tol)
    if qualifier in _NEARLY:
        return Stated(X, h, qualifier, X - tol, X + h)
    raise ValueError(f"qualifier {qualifier!r} applies to dates only")


def judge(value: Q, st: Stated) -> dict:
    """Status of a recomputed value against a stated interval, with gap and point difference.

    Parameters
    ----------
    value : Q
        The recomputed value.
    st : Stated
        What the article states.

    Returns
    -------
    dict
        ``status`` (reproduced, within_rounding or differs), ``gap`` (Fraction for differs,
        else None) and ``point_diff`` (recomputed point minus stated value).
    """
    p = value.point
    if st.qualifier == "date":
        # a date reproduces only when every day its precision allows lies in the stated day or month
        ok = st.lo <= value.lo and value.hi <= st.hi
    else:
        ok = st.reproduces(p)
    if ok:
        status = "reproduced"
    elif st.meets(value.lo, value.hi):
        status = "within_rounding"
    else:
        status = "differs"
    gap = st.gap(value.lo, value.hi) if status == "differs" else None
    return {"status": status, "gap": gap, "point_diff": p - st.value}

