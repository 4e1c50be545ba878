"""Recompute every number the five articles state, from the curated data.

The claims ledger (data/claims.csv) holds one row per number an article states:
the phrase it stands in, the number as printed, its unit and qualifier, and a
*recipe* saying how to recompute it from the curated tables. This module
evaluates the recipes and decides, with interval arithmetic, whether each number
reproduces.

Recipe language
---------------
A recipe is one Python-syntax expression, parsed with ``ast`` and walked by a
small interpreter; nothing is ever passed to ``eval``. Allowed: numbers, strings,
``+ - * /``, unary minus, parentheses and calls of the functions below, with
plain or keyword arguments. Names, attributes, subscripts, comprehensions,
lambdas and every other construct are refused with a message naming the claim.

Numbers written in a recipe are exact and may only be structural (0, 1, 100),
or arguments of a lookup (a year, a month, a batch number). A figure read
from a document must come through a lookup, so the ledger can never hard-code
a value it claims to recompute.

Lookups (arguments must be literal strings or numbers):

- ``quota(stage, year, part="annual", segment="total", derived=False)``: quotas.csv, t REO
- ``exports(series, start, end=None, partner="World", kind=None, derived=False)``:
  exports.csv, gross t; ``start``/``end`` are "YYYY-MM"; ``kind`` defaults to month
  (start == end), year (Jan..Dec), year_to_date (from January) or months
- ``production(country, year, edition=None, derived=False)``: production.csv,
  t REO; without ``edition`` the preferred (latest) edition
- ``event(event_id)``: events.csv, a date
- ``published(source_id=None)``: an article's publication date (default: the
  claim's own article), to resolve "two months ago"
- ``notices(stage, year)``: how many quota notices (first/second/third batch)
  the events table records for that stage (or both stages) and year; counted
  from events, not from quota rows, because derived batch rows ("second batch
  = annual - first") assume the very pattern a "twice a year" claim states
- ``years_with_notice_in(part, first_year, last_year, first_month, last_month, stage=None)``:
  of the quota years first_year..last_year, how many had their ``part`` notice
  (e.g. "first_batch") dated within months first_month..last_month

Arithmetic helpers (arguments are values or expressions):

- ``pct_change(old, new)`` = (new / old - 1) x 100
- ``pct_below(value, reference)`` = (1 - value / reference) x 100  ("38.1% below", "down 18.9%")
- ``pct_above(value, reference)`` = (value / reference - 1) x 100
- ``ratio(a, b)`` = a / b;  ``share(part, whole)`` = part / whole x 100
- ``sum(a, b, ...)``, ``diff(a, b)`` = a - b, ``min(a, b, ...)``, ``max(a, b, ...)``
- ``days_between(start, end)``, ``months_between(start, end)`` (days / 30.436875,
  the mean Gregorian month), ``months_later_in_year(earlier, later)`` (how much
  later in its year the second date falls, the first moved into the second's year)
- ``year(date)``, ``weekday(date)`` (ISO: Monday 1 .. Sunday 7)

Intervals
---------
Every value carries an exact point (``fractions.Fraction``, no float rounding)
and an interval.

*Data values* are intervals of their printed precision: half a unit of the last
digit in the CSV cell (132000 -> 132000 +/- 0.5; 4087.6 -> +/- 0.05), trailing
zeros of whole numbers counting as significant (quotas and customs tonnages
are published to the tonne). When the row's locator prints the number in a
scaled form ("120kt", "52.5 thousand tonnes"), the interval is half a unit of
that printed digit (+/- 500 t, +/- 50 t). Derived rows: see below. Event dates
cover their precision (a month-precision date is the whole month) and, when the
date is the date of the report that announced the event (date_basis
"report"), the ``REPORT_WINDOW_DAYS`` days before it as well.

*Stated numbers* are intervals of the precision they are printed with:
"10.4%" -> [10.35, 10.45]; "660%" -> [659.5, 660.5]; "132,000 tons" ->
[131999.5, 132000.5]; number words ("two", "four") -> +/- 0.5; fraction words
("a quarter") are exact and rely on their qualifier. Qualifiers (h = half
the printed unit, X = stated value):

==============================  ==============================  =====================================
qualifier                       stated interval                 reproduced when the point p ...
==============================  ==============================  =====================================
exact                           [X - h, X + h]                  rounds to X (ties away from zero)
at_least                        [X - h, inf)                    rounds to X or more
at_most                         (-inf, X + h]                   rounds to X or less
more_than                       (X, inf)                        p > X
less_than                       (-inf, X)                       p < X
about (around, approximately)   [X - t, X + t]                  lies in the interval
nearly (close_to, almost)       [X - t, X + h]                  p >= X - t and p rounds to X or less
early / mid / late (dates)      days 1-10 / 11-20 / 21-end      every day the data allow lies in it
==============================  ==============================  =====================================

with t = max(h, ``ABOUT_TOLERANCE`` x |X|) = 5% of X ("nearly 30%" allows 28.5
to 30.49). Dates are compared as days: a stated day is that day, a stated month
the whole month, and a date reproduces only when every day its data allow (its
precision, the report window) lies inside; a month-precision date cannot
confirm a day, it is within rounding.

Status: **reproduced** when the recomputed point satisfies the rule above;
**within_rounding** when it does not but the recomputed interval (from the
rounding of the inputs) meets the stated interval (touching an open bound
counts); **differs** otherwise, with the gap (the distance between the two
intervals) and the point difference in the stated unit (percentage points for
%, days for dates); **not_checkable** when the recipe is empty or the data
cannot check the number honestly (undisclosed, circular, only the article
itself) with the reason.

Derived values never confirm their own claim
--------------------------------------------
A row with status "derived" was computed from other figures, often from the
very article being checked (June 2024 magnet exports = 3,188 / (1 - 0.381)
rests on AInvest's "38.1% below"). The checker enforces:

1. A lookup refuses derived rows unless the recipe says ``derived=True``.
2. Even then, a derived row is refused when its formula contains a number
   the claim's article states (any measured claim of that article, in %, t or
   t REO; for a percentage p the forms p, p/100, 1 - p/100 and 1 + p/100), or when
   the row's source is the article itself.
3. A derived row's interval is computed from its formula, each literal taken
   at its printed precision (1 and 100 exact), so a value derived from a rounded
   percentage carries that rounding ("5,278 / 1.02" gives 5,149 to 5,200).
   The curators write formulas in prose ("Jun 2024 = Jul 2024 5,278 / 1.02
   (printed +2% m/m) = 5174.51"); ``formula_expression`` keeps the arithmetic
   (labels, dates and parenthesised prose dropped; an operand marked
   "(derived: ...)" replaced by its own formula) and the result must give the
   row's value, or the row is refused. value_low/value_high columns, if a table
   ever has them, take precedence for the interval. The structural constants
   0, 1 and 100 never count as an article's numbers.
4. Any row (reported or derived, any table, events too) whose source is the
   claim's own article, or a copy of it (a source whose notes say "same wire
   text as <article>"), is skipped: an article cannot confirm itself. The
   lookup then falls back to other rows for the same key (confirming rows),
   preferred row first.

When no row is left, the claim is not checkable, with each refusal listed.

Public functions
----------------
``check_claims(source_id=None, data_dir=None)`` -> DataFrame, one row per claim;
``article_table(source_id, data_dir=None, checked=None)`` -> reader-facing
DataFrame; ``summary(source_id=None, data_dir=None, checked=None)`` -> one line;
``load_claims(data_dir=None)``; ``check_claim(claim, tables, article_numbers)``
and ``evaluate(recipe, context)`` for one claim or recipe.
"""
from __future__ import annotations

import ast
import calendar
import csv
import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import pandas as pd

from helpers import data as _data
from helpers import paths
from helpers.units import MEAN_MONTH_DAYS  # noqa: F401  (365.2425 / 12 days; one constant for checker and notebooks)

ABOUT_TOLERANCE = Fraction(5, 100)      # about / nearly: within 5% of the stated value
REPORT_WINDOW_DAYS = 7                  # a report-dated event happened on or up to 7 days before
STRUCTURAL_CONSTANTS = frozenset({0, 1, 100})

STATUSES = ("reproduced", "within_rounding", "differs", "not_checkable")
QUALIFIERS = ("exact", "about", "around", "approximately", "nearly", "close_to", "almost",
              "at_least", "at_most", "more_than", "less_than", "early", "mid", "late")
UNITS = ("%", "t", "t REO", "count", "days", "months", "years", "year", "date", "month", "weekday")
DATE_UNITS = ("date", "month")
MEASURED_UNITS = ("%", "t", "t REO")     # numbers whose reuse in a formula makes it circular

_ABOUT = {"about", "around", "approximately"}
_NEARLY = {"nearly", "close_to", "almost"}
_PART_OF_MONTH = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}
_PCT_UNITS = {"%": " pp"}


class ClaimError(ValueError):
    """A recipe cannot be evaluated (bad syntax, unknown function, missing data key).

    The message names the claim and what is missing. This is a bug in the ledger
    or the data, not a property of the claim, so check_claims raises it.
    """


class NotCheckable(Exception):
    """The data cannot check the claim honestly; the message is the reason."""


# --------------------------------------------------------------------------- values

@dataclass(frozen=True)
class Input:
    """One data value a recomputation used, for provenance."""
    table: str
    key: str
    source_id: str
    status: str
    text: str
    formula: str = ""


@dataclass(frozen=True)
class Q:
    """A value: exact point and the interval its inputs' rounding allows.

    kind "number", or "date" (point, lo and hi are proleptic Gregorian ordinals).
    """
    point: Fraction
    lo: Fraction
    hi: Fraction
    kind: str = "number"
    inputs: tuple = ()

    @staticmethod
    def exact(x, kind="number") -> "Q":
        x = _frac(x)
        return Q(x, x, x, kind)

    def _num(self, other, op):
        if isinstance(other, (int, Fraction)):
            other = Q.exact(other)
        if not isinstance(other, Q):
            raise TypeError(f"cannot {op} {type(other).__name__}")
        if self.kind != "number" or other.kind != "number":
            raise TypeError(f"cannot {op} a date; use days_between, months_between or year")
        return other

    def __add__(self, other):
        o = self._num(other, "add")
        return Q(self.point + o.point, self.lo + o.lo, self.hi + o.hi, "number", self.inputs + o.inputs)

    __radd__ = __add__

    def __neg__(self):
        self._num(0, "negate")
        return Q(-self.point, -self.hi, -self.lo, "number", self.inputs)

    def __sub__(self, other):
        o = self._num(other, "subtract")
        return self + (-o)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        o = self._num(other, "multiply")
        products = [a * b for a in (self.lo, self.hi) for b in (o.lo, o.hi)]
        return Q(self.point * o.point, min(products), max(products), "number", self.inputs + o.inputs)

    __rmul__ = __mul__

    def __truediv__(self, other):
        o = self._num(other, "divide")
        if o.lo <= 0 <= o.hi:
            raise ZeroDivisionError("the divisor's interval contains zero")
        inv = Q(1 / o.point, 1 / o.hi, 1 / o.lo, "number", o.inputs)
        return self * inv

    def __rtruediv__(self, other):
        return Q.exact(other) / self


def _frac(x) -> Fraction:
    if isinstance(x, Fraction):
        return x
    if isinstance(x, bool):
        raise TypeError("a truth value is not a number")
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"not a finite number: {x}")
        return Fraction(repr(x))      # the shortest decimal that prints the float
    return Fraction(str(x))


_NUMBER_TEXT = re.compile(r"^[+-]?(\d+)(?:\.(\d+))?$")


def printed_step(text: str) -> Fraction:
    """The unit of the last printed digit of a plain decimal: '4087.6' -> 1/10, '132000' -> 1."""
    m = _NUMBER_TEXT.match(text.strip())
    if not m:
        raise ValueError(f"not a plain decimal number: {text!r}")
    return Fraction(1, 10 ** len(m.group(2) or ""))


_SCALES = {"k": 1000, "kt": 1000, "thousand": 1000, "million": 10 ** 6, "mn": 10 ** 6, "m": 10 ** 6,
           "billion": 10 ** 9, "bn": 10 ** 9}
_SCALED = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(kt|k|thousand|million|mn|billion|bn)\b",
                     re.IGNORECASE)


def data_value(value, raw_text: str | None, locator: str | None) -> tuple[Fraction, Fraction]:
    """A data cell as (point, half-width): printed precision of the cell, or of a scaled locator."""
    text = raw_text if raw_text else repr(float(value))
    if re.fullmatch(r"[+-]?\d+\.0", text) and raw_text is None:
        text = text[:-2]
    point = Fraction(text)
    step = printed_step(text)
    for m in _SCALED.finditer(locator or ""):
        digits, decimals, scale = m.group(1).replace(",", ""), m.group(2) or "", m.group(3).lower()
        printed = Fraction(f"{digits}.{decimals}" if decimals else digits) * _SCALES[scale]
        if printed == point:
            step = max(step, Fraction(1, 10 ** len(decimals)) * _SCALES[scale])
            break
    return point, step / 2


# --------------------------------------------------------------------------- stated numbers

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
          "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
          "twice": 2, "once": 1, "dozen": 12, "semiannually": 2, "biannually": 2}
_FRACTION_WORDS = {"a quarter": Fraction(1, 4), "a third": Fraction(1, 3), "half": Fraction(1, 2)}
_STATED_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?:\s*(million|billion|thousand)\b)?",
                            re.IGNORECASE)
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})


def parse_stated(text: str, unit: str) -> tuple[Fraction, Fraction]:
    """(value, half-width) of a number as printed: '10.4%' -> (10.4, 0.05); 'two' -> (2, 0.5).

    Fraction words are exact (half-width 0) and read as a percentage when the unit is %.
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
        mult = _SCALES.get(scale, 1)
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
    """First and last day a stated date covers: unit date = YYYYMMDD, unit month = YYYYMM."""
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
    """(year, month, day) named in a printed date such as 'April 4' or 'early April 2025'.

    Without a year, the month is the latest one on or before publication: 'April' in an
    article of January 2026 is April 2025, in an article of June 2026 April 2026.
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
    """The interval a stated number allows, and the rule that makes it 'reproduced'."""
    value: Fraction
    half: Fraction
    qualifier: str
    lo: Fraction | float
    hi: Fraction | float
    lo_open: bool = False
    hi_open: bool = False

    def reproduces(self, p: Fraction) -> bool:
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
        """Does [lo, hi] meet this interval (open bounds treated as closed)?"""
        return hi >= self.lo and lo <= self.hi

    def gap(self, lo: Fraction, hi: Fraction) -> Fraction:
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
    """The Stated interval of a claim (numbers; dates as ordinals)."""
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
    """Status of a recomputed value against a stated interval, with gap and point difference."""
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


# --------------------------------------------------------------------------- data access

_PK = {"quotas": ["stage", "year", "part", "segment", "source_id"],
       "exports": ["series", "partner", "period_kind", "period_start", "period_end", "source_id"],
       "production": ["country", "year", "edition", "source_id"]}


def _cell(v) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return v.date().isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


class Tables:
    """The curated tables of one data folder, read once (all rows, not only preferred)."""

    def __init__(self, data_dir: Path | None = None):
        self.data_dir = Path(data_dir) if data_dir else paths.DATA
        self._frames: dict[str, pd.DataFrame] = {}
        self._raw: dict[str, dict] = {}

    def frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = _data.load_table(name, self.data_dir)
        return self._frames[name]

    def raw_value(self, name: str, row) -> str | None:
        """The value cell exactly as written in the CSV (keeps trailing zeros)."""
        if name not in self._raw:
            res = _data.resource(name, _data.read_package(self.data_dir))
            with open(self.data_dir / res["path"], newline="", encoding="utf-8") as fh:
                self._raw[name] = {tuple(r[k] for k in _PK[name]): r.get("value", "")
                                   for r in csv.DictReader(fh)}
        return self._raw[name].get(tuple(_cell(row[k]) for k in _PK[name])) or None

    def own_sources(self, source_id: str) -> frozenset:
        """The article and every source whose notes say it is the same text (a syndicated copy)."""
        src = self.frame("sources")
        pattern = re.compile(rf"same (?:wire )?text as\b[^.;]*\b{re.escape(source_id)}\b", re.IGNORECASE)
        copies = {str(sid) for sid, notes in zip(src["source_id"], src["notes"])
                  if isinstance(notes, str) and pattern.search(notes)}
        return frozenset(copies | {source_id})

    def published(self, source_id: str) -> str | None:
        src = self.frame("sources")
        hit = src[src["source_id"] == source_id]
        if hit.empty:
            return None
        v = hit.iloc[0]["published"]
        return v if isinstance(v, str) and v else None


@dataclass
class Context:
    """What a recipe is evaluated for: the claim, its article and that article's numbers."""
    claim_id: str
    source_id: str
    tables: Tables
    article_numbers: frozenset = frozenset()
    own_sources: frozenset = frozenset()

    def __post_init__(self):
        self.own_sources = frozenset(self.own_sources) | {self.source_id}


def article_number_forms(stated_values) -> frozenset:
    """Every form in which an article's measured numbers could enter a formula.

    The structural constants 0, 1 and 100 are left out: in a formula they are exact
    (1 - p/100), so "more than 100 percent" must not make every such formula circular.
    """
    forms = set()
    for value, unit in stated_values:
        if unit not in MEASURED_UNITS or value is None:
            continue
        x = _frac(value)
        forms.add(x)
        if unit == "%":
            forms.update({x / 100, 1 - x / 100, 1 + x / 100})
    return frozenset(forms - STRUCTURAL_CONSTANTS)


_FORMULA_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.(\d+))?(%?)")
_MONTH_RE = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_LABELS = [
    re.compile(rf"\b{_MONTH_RE}(?:\s*[-+\u2013]\s*{_MONTH_RE})?(?:\s+(?:19|20)\d{{2}})?\b", re.IGNORECASE),
    re.compile(r"\b[HQ][1-4]\s+(?:19|20)\d{2}\b"),
    re.compile(r"\b(?:19|20)\d{2}-\d{2}(?:-\d{2})?\b"),
    re.compile(r"(?<![\d,.])(?:19|20)\d{2}(?![\d,.%])"),     # a bare year is a label, never an operand
    re.compile(r"\b[a-z]/[a-z]\b", re.IGNORECASE),         # y/y, m/m
    re.compile(r"'[^']*'|\"[^\"]*\"|\u2018[^\u2019]*\u2019|\u201c[^\u201d]*\u201d"),
]


def _strip_groups(text: str) -> str:
    """Remove the prose from a formula's parentheses, keeping the arithmetic.

    '(Reuters 2024-09-10)' goes; '(48,355.7 / 1.13, printed ...)' keeps its
    arithmetic; 'X (derived: a / (1 - b))' is replaced by its own formula, so the
    rounding behind a derived operand is carried through.
    """
    out, i = "", 0
    while i < len(text):
        ch = text[i]
        if ch != "(":
            out += ch
            i += 1
            continue
        depth, j = 0, i
        while j < len(text):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                break
            j += 1
        inner = text[i + 1:j]
        i = j + 1
        if not re.search(r"[A-Za-z]", inner):
            out += "(" + _strip_groups(inner) + ")"
            continue
        m = re.match(r"\s*derived:\s*(.+)$", inner, re.DOTALL)
        if m:
            out = re.sub(r"[\d.,]+\s*$", "", out)          # the rounded operand gives way to its formula
            out += "(" + _strip_groups(m.group(1)) + ")"
            continue
        m = re.match(r"\s*([\d.,\s+\-*/()\u2212\u00d7\u00f7]*\d[\d.,\s+\-*/()\u2212\u00d7\u00f7]*?)\s*,\s*[A-Za-z'\u2018]", inner)
        if m and re.search(r"\d\s*[-+*/\u2212\u00d7\u00f7]\s*[\d(]", m.group(1)):
            out += "(" + _strip_groups(m.group(1)) + ")"
    return out


def formula_expression(formula: str) -> str:
    """The arithmetic of a derived row's formula, as written by the curators.

    'Jun 2024 = Jun 2025 3,188 / (1 - 0.381) (printed 'down 38.1%' y/y) = 5150.24'
    -> '3,188 / (1 - 0.381)'. Labels (months, years, dates, words) and prose in
    parentheses are dropped. Raises ValueError if no plain arithmetic is left.
    """
    parts = formula.split("=")
    if len(parts) >= 3:
        text = "=".join(parts[1:-1])
    elif len(parts) == 2:
        text = parts[1]
    else:
        text = formula
    text = text.replace("\u2212", "-").replace("\u00d7", "*").replace("\u00f7", "/").replace("\u2013", "-")
    text = _strip_groups(text)
    for pattern in _LABELS:
        text = pattern.sub(" ", text)
    text = re.sub(r"[A-Za-z][\w'\u2019.:]*", " ", text)     # remaining words
    text = re.sub(r"\s+", " ", text).strip().rstrip(",;").strip()
    if not text or not re.fullmatch(r"[\d.,\s+\-*/()%]+", text) or not re.search(r"\d", text):
        raise ValueError(f"formula {formula!r} is not plain arithmetic")
    return text


def formula_interval(formula: str, value=None) -> tuple[Q, list[Fraction]]:
    """Evaluate a derived row's formula with every literal at its printed precision.

    Literals 1 and 100 are exact; 'p%' is p/100 at the precision of p. Returns the
    value and the literals read. Raises ValueError if the formula is not plain
    arithmetic or, when the row's value is given, does not give that value (to
    0.5 units or 0.01%), so a misread formula is refused, never used.
    """
    text = formula_expression(formula)
    literals: list[Fraction] = []
    names: dict[str, Q] = {}

    def sub(m):
        digits, decimals, pct = m.group(1).replace(",", ""), m.group(2) or "", m.group(3)
        x = Fraction(f"{digits}.{decimals}" if decimals else digits)
        h = Fraction(1, 10 ** len(decimals)) / 2
        literals.append(x / 100 if pct else x)
        if not pct and not decimals and x in (1, 100):
            q = Q.exact(x)
        else:
            q = Q(x, x - h, x + h)
            if pct:
                q = q / 100
        name = f"_n{len(names)}"
        names[name] = q
        return name

    expr = _FORMULA_NUMBER.sub(sub, text)
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        raise ValueError(f"formula {formula!r} is not plain arithmetic") from None

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        raise ValueError(f"formula {formula!r} is not plain arithmetic")

    result = walk(tree)
    if value is not None:
        v = _frac(value)
        if abs(result.point - v) > max(Fraction(1, 2), abs(v) / 10000):
            raise ValueError(f"formula {formula!r} read as {text!r} gives {float(result.point):,.2f}, "
                             f"not the row's {float(v):,.2f}")
    return result, literals


_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
           ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b}


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
        q, _ = formula_interval(str(row["formula"]), float(row["value"]))
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
                _, literals = formula_interval(formula, float(row["value"]))
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
           "years_with_notice_in": _lookup_years_with_notice_in}
HELPERS = {"pct_change": _pct_change, "pct_below": _pct_below, "pct_above": _pct_above, "ratio": _ratio,
           "share": _share, "sum": _sum, "diff": _diff,
           "min": lambda *v: _extreme(v, min), "max": lambda *v: _extreme(v, max),
           "days_between": _days_between, "months_between": _months_between,
           "months_later_in_year": _months_later_in_year, "year": _year, "weekday": _weekday}
FUNCTIONS = tuple(sorted(LOOKUPS)) + tuple(sorted(HELPERS))


# --------------------------------------------------------------------------- recipe interpreter

@lru_cache(maxsize=None)
def parse_recipe(recipe: str) -> ast.Expression:
    """Parse and vet a recipe; raise ValueError naming the first construct not allowed."""
    try:
        tree = ast.parse(recipe.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"recipe is not a valid expression ({exc.msg}, column {exc.offset})") from None
    _vet(tree.body, in_lookup=False)
    return tree


def _vet(node, in_lookup: bool) -> None:
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or isinstance(v, str) or v is None:
            if not in_lookup:
                raise ValueError(f"{v!r} may only be an argument of a lookup ({', '.join(sorted(LOOKUPS))})")
            return
        if isinstance(v, (int, float)):
            if not in_lookup and v not in STRUCTURAL_CONSTANTS:
                raise ValueError(f"the number {v!r} is written into the recipe; figures must come from the data "
                                 f"through a lookup (only {sorted(STRUCTURAL_CONSTANTS)} may be written)")
            return
        raise ValueError(f"constant {v!r} is not allowed")
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise ValueError(f"operator {type(node.op).__name__} is not allowed (only + - * /)")
        if in_lookup:
            raise ValueError("lookup arguments must be plain strings or numbers")
        _vet(node.left, False), _vet(node.right, False)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ValueError(f"operator {type(node.op).__name__} is not allowed")
        if in_lookup and isinstance(node.operand, ast.Constant):
            return
        _vet(node.operand, in_lookup)
        return
    if isinstance(node, ast.Call):
        if in_lookup:
            raise ValueError("lookup arguments must be plain strings or numbers")
        if not isinstance(node.func, ast.Name):
            raise ValueError("only the listed functions may be called")
        name = node.func.id
        if name not in LOOKUPS and name not in HELPERS:
            raise ValueError(f"unknown function {name!r}; allowed: {', '.join(FUNCTIONS)}")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise ValueError("*arguments are not allowed")
            _vet(arg, name in LOOKUPS)
        for kw in node.keywords:
            if kw.arg is None:
                raise ValueError("**arguments are not allowed")
            _vet(kw.value, name in LOOKUPS)
        return
    raise ValueError(f"{type(node).__name__} is not allowed in a recipe")


def _literal(node):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        v = _literal(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    raise ValueError("not a literal")


def evaluate(recipe: str, ctx: Context) -> Q:
    """Value of a recipe for one claim. ClaimError for a broken recipe or missing key; NotCheckable."""
    try:
        tree = parse_recipe(recipe)
    except ValueError as exc:
        raise ClaimError(f"{ctx.claim_id}: {exc} in recipe {recipe!r}") from None

    def run(node):
        if isinstance(node, ast.Constant):
            return Q.exact(node.value)
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](run(node.left), run(node.right))
        if isinstance(node, ast.UnaryOp):
            v = run(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        name = node.func.id
        if name in LOOKUPS:
            args = [_literal(a) for a in node.args]
            kwargs = {kw.arg: _literal(kw.value) for kw in node.keywords}
            try:
                return LOOKUPS[name](ctx, *args, **kwargs)
            except TypeError as exc:
                raise ClaimError(f"{ctx.claim_id}: {name}(): {exc}") from None
        args = [run(a) for a in node.args]
        kwargs = {kw.arg: run(kw.value) for kw in node.keywords}
        try:
            return HELPERS[name](*args, **kwargs)
        except (TypeError, ZeroDivisionError) as exc:
            raise ClaimError(f"{ctx.claim_id}: {name}(): {exc}") from None

    try:
        return run(tree.body)
    except (TypeError, ZeroDivisionError) as exc:
        raise ClaimError(f"{ctx.claim_id}: {exc} in recipe {recipe!r}") from None


# --------------------------------------------------------------------------- checking

def check_claim(claim: dict, tables: Tables, article_numbers: frozenset = frozenset()) -> dict:
    """Recompute one claim (a ledger row as a dict) and judge it."""
    cid, unit, qual = claim["claim_id"], claim["unit"], claim["qualifier"]
    try:
        st = stated_interval(claim["stated"], claim["stated_text"], unit, qual)
    except ValueError as exc:
        raise ClaimError(f"{cid}: {exc}") from None
    out = {"claim_id": cid, "stated_interval": st, "value": None, "status": "not_checkable",
           "gap": None, "point_diff": None, "reason": None}
    recipe = claim.get("recipe")
    if not isinstance(recipe, str) or not recipe.strip():
        out["reason"] = claim.get("not_checkable_reason") or "no recipe"
        return out
    ctx = Context(cid, claim["source_id"], tables, article_numbers, tables.own_sources(claim["source_id"]))
    try:
        value = evaluate(recipe, ctx)
    except NotCheckable as exc:
        out["reason"] = str(exc)
        return out
    want = "date" if unit in DATE_UNITS else "number"
    if value.kind != want:
        raise ClaimError(f"{cid}: recipe gives a {value.kind} but the unit {unit!r} needs a {want}")
    out.update(value=value, **judge(value, st))
    return out


def load_claims(data_dir: Path | None = None) -> pd.DataFrame:
    """The claims ledger, validated against its schema."""
    return _data.load_table("claims", data_dir)


def _numbers_by_article(claims: pd.DataFrame) -> dict[str, frozenset]:
    out = {}
    for sid, grp in claims.groupby("source_id", observed=True):
        out[str(sid)] = article_number_forms(
            (v, str(u)) for v, u in zip(grp["stated"], grp["unit"]) if pd.notna(v))
    return out


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
    """Recomputed points: whole numbers as they are, else one digit past the stated precision."""
    if unit in ("t", "t REO", "count", "year", "weekday") and value.point.denominator == 1:
        return 0
    return _decimals(st.half) + 1


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
    """A gap rounded for display: whole units from 10 up, else two significant digits (never to 0)."""
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
    g = gap_number(gap)
    text = f"{g:,.0f}" if g >= 10 or g == int(g) else f"{g:,.{max(1, -math.floor(math.log10(g)) + 1)}f}"
    if unit in ("days", "months", "years") and g == 1:
        return f"{text} {unit[:-1]}"
    if unit in DATE_UNITS and g == 1:
        return f"{text} day"
    return f"{text}{_gap_unit(unit)}"


def status_words(status: str, gap: Fraction | None, unit: str, reason: str | None) -> str:
    """'reproduced', 'within rounding', 'differs by 1.2 pp', 'not checkable: <reason>'."""
    if status == "differs":
        return f"differs by {fmt_gap(gap, unit)}"
    if status == "not_checkable":
        return f"not checkable: {reason}"
    return status.replace("_", " ")


# The published claims results (site/claims.csv): one Table Schema, in a JSON file so the site
# can read it without pandas. check_claims takes its columns and their order from it.
RESULTS_SCHEMA_FILE = Path(__file__).resolve().parent.parent / "claims_results.schema.json"  # shared with the site writer
RESULTS_SCHEMA = json.loads(RESULTS_SCHEMA_FILE.read_text(encoding="utf-8"))
RESULTS_COLUMNS = [f["name"] for f in RESULTS_SCHEMA["fields"]]


def _bound(x, kind: str) -> float:
    """A bound as a number for the results table: NaN when infinite, YYYYMMDD for dates (ordinals)."""
    if x in (math.inf, -math.inf):
        return math.nan
    if kind == "date":
        d = dt.date.fromordinal(int(x))
        return float(d.year * 10000 + d.month * 100 + d.day)
    return float(x)


def check_claims(source_id: str | None = None, data_dir: Path | None = None) -> pd.DataFrame:
    """Recompute every claim of the ledger (or of one article) from the curated data.

    One row per claim, in ledger order, with the columns of RESULTS_SCHEMA in
    its order (their descriptions say what each holds): numbers in float
    columns (stated, recomputed, the low and high bounds of the stated and the
    recomputed interval, gap, point_diff; NaN where there is none), the
    printed text in string columns (stated_text, recomputed_text,
    stated_interval, recomputed_interval, result). Raises ClaimError when a
    recipe is broken or names data that do not exist.
    """
    tables = Tables(data_dir)
    claims = load_claims(tables.data_dir)
    sources = tables.frame("sources").set_index("source_id")
    numbers = _numbers_by_article(claims)
    if source_id is not None:
        if source_id not in set(claims["source_id"].astype(str)):
            raise KeyError(f"no claims for article {source_id!r} in the ledger")
        claims = claims[claims["source_id"] == source_id]
    rows = []
    for claim in claims.to_dict("records"):
        claim = {k: (None if (not isinstance(v, str) and pd.isna(v)) else v) for k, v in claim.items()}
        claim["source_id"], claim["unit"], claim["qualifier"] = (str(claim["source_id"]), str(claim["unit"]),
                                                                 str(claim["qualifier"]))
        res = check_claim(claim, tables, numbers.get(claim["source_id"], frozenset()))
        value, st, unit = res["value"], res["stated_interval"], claim["unit"]
        src = sources.loc[claim["source_id"]] if claim["source_id"] in sources.index else None
        if value is not None and value.kind == "number":
            d = _display_decimals(st, value, unit)
            recomputed = float(_round_half_away(value.point, Fraction(1, 10 ** d)))
        elif value is not None:
            recomputed = _bound(value.point, value.kind)
        else:
            recomputed = math.nan
        st_kind = "date" if st.qualifier == "date" else "number"
        rows.append({
            "claim_id": claim["claim_id"],
            "article": claim["source_id"],
            "publisher": "" if src is None else str(src["publisher"]),
            "published": "" if src is None or not isinstance(src["published"], str) else src["published"],
            "claim": claim["phrase"],
            "stated": float(claim["stated"]),
            "stated_text": claim["stated_text"],
            "unit": unit,
            "qualifier": claim["qualifier"],
            "stated_low": _bound(st.lo, st_kind),
            "stated_high": _bound(st.hi, st_kind),
            "recomputed": recomputed,
            "recomputed_text": "" if value is None else _fmt_value(value, st, unit),
            "recomputed_low": math.nan if value is None else _bound(value.lo, value.kind),
            "recomputed_high": math.nan if value is None else _bound(value.hi, value.kind),
            "recomputed_interval": "" if value is None else _fmt_interval(value, st, unit),
            "stated_interval": _fmt_stated_interval(st, unit),
            "status": res["status"],
            "expected_status": claim["expected_status"],
            "gap": math.nan if res["gap"] is None else gap_number(res["gap"]),
            "point_diff": (math.nan if res["point_diff"] is None
                           else float(_round_half_away(res["point_diff"], Fraction(1, 10 ** (_decimals(st.half) + 2))))),
            "result": status_words(res["status"], res["gap"], unit, res["reason"]),
            "reason": res["reason"] or "",
            "inputs": "" if value is None else ", ".join(dict.fromkeys(i.source_id for i in value.inputs)),
            "note": claim.get("note") or "",
        })
    frame = pd.DataFrame(rows, columns=RESULTS_COLUMNS)
    return frame.reset_index(drop=True)


def article_table(source_id: str, data_dir: Path | None = None, checked: pd.DataFrame | None = None) -> pd.DataFrame:
    """Reader-facing table of one article's numbers: plain columns, words for statuses.

    Columns: Phrase in the article, Article says, Data give, Range from rounding,
    Result. Deterministic (no ids, fixed rounding), for nbval text/plain outputs.
    """
    df = checked if checked is not None else check_claims(source_id, data_dir)
    df = df[df["article"] == source_id]
    out = pd.DataFrame({
        "Phrase in the article": df["claim"].to_numpy(),
        "Article says": df["stated_text"].to_numpy(),
        "Data give": [t if t else "-" for t in df["recomputed_text"]],
        "Range from rounding": [t if t else "-" for t in df["recomputed_interval"]],
        "Result": df["result"].to_numpy(),
    })
    out.index = pd.RangeIndex(1, len(out) + 1)
    return out


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def summary(source_id: str | None = None, data_dir: Path | None = None, checked: pd.DataFrame | None = None) -> str:
    """One line: 'R of N numbers reproduce (W within rounding, D differ, C not checkable).'

    N counts every number in the ledger (for the article, or all); R those
    reproduced exactly; the parenthesis splits the rest, so R + W + D + C = N.
    'reproduce'/'differ' take the singular ('reproduces', 'differs') when the
    count is 1.
    """
    df = checked if checked is not None else check_claims(source_id, data_dir)
    if source_id is not None:
        df = df[df["article"] == source_id]
    counts = df["status"].value_counts()
    n, r = len(df), int(counts.get("reproduced", 0))
    w, d, c = (int(counts.get(s, 0)) for s in ("within_rounding", "differs", "not_checkable"))
    verb = "reproduces" if r == 1 else "reproduce"
    return (f"{r} of {_plural(n, 'number', 'numbers')} {verb} "
            f"({w} within rounding, {d} {'differs' if d == 1 else 'differ'}, {c} not checkable).")
