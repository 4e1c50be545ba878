"""Interval arithmetic for claim checking: a value with its bounds (`Q`) and the checker's vocabulary.

Numbers are exact fractions; a data value carries half its printed step as its
uncertainty (see `data_value`). Part of ``helpers.claims``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from helpers import data as _data
from helpers.data.numbers import printed_numbers


ABOUT_TOLERANCE = Fraction(5, 100)      # about / nearly: within 5% of the stated value
REPORT_WINDOW_DAYS = 7                  # a report-dated event happened on or up to 7 days before
STRUCTURAL_CONSTANTS = frozenset({0, 1, 100})



def _declared(column: str) -> tuple[str, ...]:
    """The values data/datapackage.json allows in a column of the claims ledger (its enum)."""
    schema = _data.resource("claims", _data.read_package())["schema"]
    return tuple(next(f for f in schema["fields"] if f["name"] == column)["constraints"]["enum"])


#: The checker's verdicts, the qualifiers an article may put on a number, and the units of a
#: stated number: read from the claims table of data/datapackage.json (one source of truth).
STATUSES = _declared("expected_status")
QUALIFIERS = _declared("qualifier")
UNITS = _declared("unit")
DATE_UNITS = ("date", "month")
MEASURED_UNITS = ("%", "t", "t REO")     # numbers whose reuse in a formula makes it circular

_ABOUT = {"about", "around", "approximately"}
_NEARLY = {"nearly", "close_to", "almost"}
_PART_OF_MONTH = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}
_PCT_UNITS = {"%": " pp"}


class ClaimError(ValueError):
    """A recipe cannot be evaluated (bad syntax, unknown function, missing data key).

    The message names the claim and what is missing. This is a bug in the ledger
    or the data, not a property of the claim, so check_claims raises it, with the
    line and column of data/claims.csv it stands on.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    column : str, optional
        The ledger column at fault (``recipe`` unless the stated number is).
    """

    def __init__(self, message: str, column: str = "recipe"):
        super().__init__(message)
        self.column = column


class NotCheckable(Exception):
    """The data cannot check the claim honestly; the message is the reason."""


# --------------------------------------------------------------------------- values

@dataclass(frozen=True)
class Input:
    """One data value a recomputation used, for provenance (the claims table's ``inputs``).

    Parameters
    ----------
    table : str
        The data table (``quotas``, ``exports``, ``events`` ...).
    key : str
        The row's key in words ('exports magnets to World month 2024-06').
    source_id : str
        The row's source (data/sources.csv).
    status : str
        ``reported``, ``derived`` or another status word of the table.
    text : str
        The value as printed in the CSV.
    formula : str, optional
        A derived row's prose formula.
    """
    table: str
    key: str
    source_id: str
    status: str
    text: str
    formula: str = ""


@dataclass(frozen=True)
class Q:
    """A value: exact point and the interval its inputs' rounding allows.

    Arithmetic (``+ - * /``) propagates the interval (interval arithmetic on exact fractions)
    and concatenates the inputs.

    Parameters
    ----------
    point : Fraction
        The value computed from the numbers as printed.
    lo, hi : Fraction
        The smallest and largest values the rounding of the inputs allows.
    kind : str, default "number"
        ``"number"``, or ``"date"`` (point, lo and hi are proleptic Gregorian ordinals).
    inputs : tuple of Input, optional
        The data values it rests on.
    """
    point: Fraction
    lo: Fraction
    hi: Fraction
    kind: str = "number"
    inputs: tuple = ()

    @staticmethod
    def exact(x, kind="number") -> "Q":
        """A value without rounding (``lo == point == hi``).

        Parameters
        ----------
        x : int, float, Fraction or str
            The number (a float is read as its shortest decimal).
        kind : str, default "number"
            ``"number"`` or ``"date"``.

        Returns
        -------
        Q
            The exact value.
        """
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
    """The unit of the last printed digit of a plain decimal: '4087.6' -> 1/10, '132000' -> 1.

    Parameters
    ----------
    text : str
        A number as written in a CSV cell (no separators).

    Returns
    -------
    Fraction
        10 to the power of minus the number of decimals.
    """
    m = _NUMBER_TEXT.match(text.strip())
    if not m:
        raise ValueError(f"not a plain decimal number: {text!r}")
    return Fraction(1, 10 ** len(m.group(2) or ""))


def data_value(value, raw_text: str | None, locator: str | None) -> tuple[Fraction, Fraction]:
    """A data cell as an exact number and the half-width its printing allows.

    Parameters
    ----------
    value : float
        The cell's value.
    raw_text : str or None
        The cell as written in the CSV; its printed decimals give the step.
    locator : str or None
        The phrase the value was read from. When it prints the value with a scale word
        ("2.1 mn"), the coarser step of that printing applies (read by
        ``helpers.data.numbers``, the one number reader).

    Returns
    -------
    (Fraction, Fraction)
        The point and half the printed step, in the cell's unit.
    """
    text = raw_text if raw_text else repr(float(value))
    if re.fullmatch(r"[+-]?\d+\.0", text) and raw_text is None:
        text = text[:-2]
    point = Fraction(text)
    step = printed_step(text)
    for n in printed_numbers(locator):
        if n.scale and n.value == point:
            step = max(step, n.step)
            break
    return point, step / 2

