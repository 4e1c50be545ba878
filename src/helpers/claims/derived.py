"""Derived rows as claims see them: the interval a row's ``expression`` gives, and the forms in
which an article's own numbers could enter it (which would make it circular). Part of ``helpers.claims``.

The expression is read and evaluated by ``helpers.data.expressions`` (the same code the loaders
use to check it gives the row's value); here each number is an interval at its printed
precision, so the rounding of a derived value's inputs is carried through.
"""
from __future__ import annotations

import ast
import operator
from fractions import Fraction

from helpers.claims.intervals import MEASURED_UNITS, Q, STRUCTURAL_CONSTANTS, _frac, data_value
from helpers.data.expressions import ExpressionError, Literal, parse_expression

#: The operators of recipes and expressions (``helpers.claims.recipe`` uses them too).
_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def article_number_forms(stated_values) -> frozenset:
    """Every form in which an article's measured numbers could enter a derived row's expression.

    The structural constants 0, 1 and 100 are left out: in an expression they are exact
    (1 - p/100), so "more than 100 percent" must not make every such expression circular.

    Parameters
    ----------
    stated_values : iterable of (number or None, str)
        The article's stated numbers and their units (``%``, ``t``, ``date`` ...).

    Returns
    -------
    frozenset of Fraction
        Each measured number (``%``, ``t``, ``t REO``), and for a percentage p also p/100,
        1 - p/100 and 1 + p/100.
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


def literal_interval(x: Literal) -> Q:
    """A number of an expression as an interval: its printed precision, 1 and 100 exact.

    Parameters
    ----------
    x : helpers.data.expressions.Literal
        One number as written (``1.02``, ``5278``).

    Returns
    -------
    Q
        ``x ± half a unit of its last digit``; the integers 1 and 100 exact, as in ``1 - 0.381``.
    """
    if x.decimals == 0 and x.value in (1, 100):
        return Q.exact(x.value)
    return Q(x.value, x.value - x.half_step, x.value + x.half_step)


def derived_interval(tables, table: str, row, _seen: frozenset = frozenset()) -> tuple[Q, list[Fraction]]:
    """Evaluate a derived row's ``expression`` with every number at its printed precision.

    A referenced row that is itself derived is evaluated from its own expression (its
    rounding carried through); a reported one is its printed value with half its step.

    Parameters
    ----------
    tables : helpers.claims.lookups.Tables
        The curated tables (for referenced rows and their printed values).
    table : str
        The table of the row (``exports``, ``quotas`` ...).
    row : mapping
        The derived row (needs ``expression``).
    _seen : frozenset
        Keys already being evaluated (a guard; the loaders refuse circular references).

    Returns
    -------
    (Q, list of Fraction)
        The interval, and every number the value rests on (the row's and its referenced
        rows' literals), for the circularity rule.

    Raises
    ------
    ValueError
        When the expression cannot be read or its references come back to the row.
    """
    key_fields = tables.key_fields(table)
    expr = parse_expression(str(row["expression"]), len(key_fields))
    literals: list[Fraction] = []

    def lit(x: Literal) -> Q:
        literals.append(x.value)
        return literal_interval(x)

    def ref(key: tuple[str, ...]) -> Q:
        if key in _seen:
            raise ExpressionError(f"{expr.text!r}: its references come back to {'/'.join(key)}")
        other = tables.row(table, key)
        if str(other["status"]) == "derived":
            q, more = derived_interval(tables, table, other, _seen | {key})
            literals.extend(more)
            return q
        point, half = data_value(float(other["value"]), tables.raw_value(table, other), None)
        literals.append(point)
        return Q(point, point - half, point + half)

    return expr.evaluate(lit, ref), literals
