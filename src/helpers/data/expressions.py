"""Derived rows' ``expression`` column: the arithmetic that gives a derived value, machine-readable.

A derived row (status ``derived``) keeps its prose ``formula`` for readers and states the same
arithmetic in ``expression``, which the loaders check. The language is deliberately small:

- numbers as the source prints them, without thousands separators: ``5278 / 1.02``,
  ``3188 / (1 - 0.381)``; the digits written are the printed precision (``1.10`` is not ``1.1``);
- ``+ - * /``, unary minus and parentheses, nothing else (no powers, calls, names or ``%``);
- ``{key}``: another row of the same table by its primary key, the key's values in the order
  of the table's ``primaryKey`` joined by ``/`` (for exports ``{magnets/World/month/2023-10/2023-10/
  metalnomist_2025_01_magnet_exports}``). A reference stands for that row's value as printed
  in data/; use one where an operand is itself derived, so its rounding can be carried through.

The declared rule (``"x-expression-of": "value"`` on the field in data/datapackage.json) says
which column the expression must give: evaluated exactly (fractions), it must lie within half
a unit of the value's last printed digit (``4754.95`` allows ±0.005, ``27534`` ±0.5). Every
reference must name a row of the table with a value, and no chain of references may return to
the row itself.

Parsing and evaluation use ``simpleeval`` (PyPI, a maintained safe evaluator of Python
expressions, restricted here to the four operators) rather than hand-written code; ``asteval``
was looked at and left, as it evaluates whole statements and is far more than one line of
arithmetic needs. Part of ``helpers.data``; ``helpers.claims`` evaluates the same expressions
with intervals instead of exact numbers.
"""
from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, TypeVar

from simpleeval import SimpleEval

from helpers.data.schema import Problem, _keys

T = TypeVar("T")

_REFERENCE = re.compile(r"\{([^{}]*)\}")
_LITERAL = re.compile(r"(?<![\w.])(\d+)(?:\.(\d+))?(?![\w.])")
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.USub: operator.neg, ast.UAdd: operator.pos}


class ExpressionError(ValueError):
    """An expression is not the small arithmetic language described in ``helpers.data.expressions``."""


@dataclass(frozen=True)
class Literal:
    """A number written in an expression, with the precision its digits print.

    Parameters
    ----------
    text : str
        The digits as written (``"1.10"``).
    value : Fraction
        The exact number.
    decimals : int
        Digits after the decimal point (the printed precision: half a unit of the last one).
    """
    text: str
    value: Fraction
    decimals: int

    @property
    def half_step(self) -> Fraction:
        """Half a unit of the last printed digit (0.005 for ``1.02``, 0.5 for ``5278``)."""
        return Fraction(1, 10 ** self.decimals) / 2


@dataclass(frozen=True)
class Expression:
    """One parsed expression: its literals, its references and the arithmetic between them.

    Parameters
    ----------
    text : str
        The expression as written in the CSV.
    literals : tuple of Literal
        The numbers written, in order.
    references : tuple of tuple of str
        The primary-key values of each referenced row, in order.
    template : str
        The arithmetic with ``L<i>`` for the i-th literal and ``R<i>`` for the i-th reference.
    """
    text: str
    literals: tuple[Literal, ...]
    references: tuple[tuple[str, ...], ...]
    template: str

    def evaluate(self, literal: Callable[[Literal], T], reference: Callable[[tuple[str, ...]], T]) -> T:
        """The expression's value, with numbers and references replaced by the caller's values.

        Parameters
        ----------
        literal : callable
            Maps a `Literal` to the number to use (a Fraction, or an interval in helpers.claims).
        reference : callable
            Maps a referenced row's key (tuple of str) to the number to use.

        Returns
        -------
        object
            Whatever ``+ - * /`` of the callers' numbers give (same type as they return).

        Raises
        ------
        ExpressionError
            On division by zero.
        """
        names = {f"L{i}": literal(x) for i, x in enumerate(self.literals)}
        names.update({f"R{i}": reference(k) for i, k in enumerate(self.references)})
        evaluator = SimpleEval(operators=_OPERATORS, functions={}, names=names)
        try:
            return evaluator.eval(self.template)
        except ZeroDivisionError:
            raise ExpressionError(f"{self.text!r} divides by zero") from None


def parse_expression(text: str, key_length: int) -> Expression:
    """Read one expression, refusing anything beyond numbers, references and ``+ - * /``.

    Parameters
    ----------
    text : str
        The cell, e.g. ``"3188 / (1 - 0.381)"``.
    key_length : int
        Number of fields in the table's primary key (each reference must name all of them).

    Returns
    -------
    Expression

    Raises
    ------
    ExpressionError
        Naming what is wrong: a thousands separator, a reference of the wrong length, an
        operator or name the language does not have, or broken syntax.
    """
    refs: list[tuple[str, ...]] = []

    def ref(m: re.Match) -> str:
        parts = tuple(p.strip() for p in m.group(1).split("/"))
        if len(parts) != key_length or not all(parts):
            raise ExpressionError(f"reference {m.group(0)!r} names {len(parts)} key value(s): expected {key_length} "
                                  "(the table's primaryKey, joined by '/')")
        refs.append(parts)
        return f" R{len(refs) - 1} "

    plain = _REFERENCE.sub(" 0 ", text)              # what is left once references are set aside
    if "{" in plain or "}" in plain:
        raise ExpressionError(f"{text!r} has an unmatched brace: expected {{key}} references")
    if re.search(r"\d,\d", plain):
        raise ExpressionError(f"{text!r} has a thousands separator: expected numbers as 5278, not 5,278")
    bad = re.search(r"[A-Za-z_]\w*|\*\*|//|[^\d.\s()+\-*/]", plain)
    if bad:
        raise ExpressionError(f"{text!r} contains {bad.group(0)!r}: expected only numbers, {{key}} references, "
                              "+ - * / and parentheses")
    template = _REFERENCE.sub(ref, text)
    literals: list[Literal] = []

    def lit(m: re.Match) -> str:
        digits, decimals = m.group(1), m.group(2) or ""
        literals.append(Literal(m.group(0), Fraction(f"{digits}.{decimals}" if decimals else digits), len(decimals)))
        return f"L{len(literals) - 1}"

    template = _LITERAL.sub(lit, template)
    if re.search(r"[\d.]", re.sub(r"\b[LR]\d+\b", "", template)):
        raise ExpressionError(f"{text!r} has a malformed number: expected digits with at most one decimal point")
    try:
        ast.parse(template.strip(), mode="eval")
    except SyntaxError:
        raise ExpressionError(f"{text!r} is not complete arithmetic (an operator or parenthesis missing?)") from None
    if not literals and not refs:
        raise ExpressionError(f"{text!r} has no number: expected the arithmetic that gives the value")
    return Expression(text, tuple(literals), tuple(refs), template.strip())


def _decimals(raw: str) -> int:
    return len(raw.split(".", 1)[1]) if "." in raw else 0


def expression_problems(path: Path, schema: dict, rows: list[dict]) -> list[Problem]:
    """Check every declared expression column of one table: syntax, references and result.

    Parameters
    ----------
    path : Path
        The CSV, for the messages.
    schema : dict
        Its table schema; a field with ``"x-expression-of": <column>`` is checked against that column.
    rows : list of dict
        The table's valid rows as ``helpers.data.tables`` reads them (``_line`` and ``_raw`` cells included).

    Returns
    -------
    list of Problem
        One per bad expression (file, line, column and what was expected); empty when all hold.
    """
    pk = _keys(schema.get("primaryKey"))
    problems: list[Problem] = []
    for field in schema["fields"]:
        target = field.get("x-expression-of")
        if not target:
            continue
        name = field["name"]
        by_key = {tuple(str(r[k]) for k in pk): r for r in rows}
        parsed: dict[tuple, Expression] = {}
        for row in rows:
            text = row.get(name)
            if not text:
                continue
            try:
                expr = parse_expression(text, len(pk))
            except ExpressionError as exc:
                problems.append(Problem(path, row["_line"], name, f"{exc}"))
                continue
            unknown = [k for k in expr.references if k not in by_key]
            empty = [k for k in expr.references if k in by_key and by_key[k].get(target) is None]
            if unknown or empty:
                k = (unknown or empty)[0]
                why = "no row of this table has that key" if unknown else f"that row has no {target}"
                problems.append(Problem(path, row["_line"], name, f"reference {{{'/'.join(k)}}} does not resolve "
                                        f"({why}): expected the {'/'.join(pk)} of a row with a {target}"))
                continue
            parsed[tuple(str(row[k]) for k in pk)] = expr
            raw = row["_raw"][target]
            if row.get(target) is None:
                continue
            try:
                got = expr.evaluate(lambda x: x.value, lambda k: Fraction(by_key[k]["_raw"][target].strip()))
            except ExpressionError as exc:
                problems.append(Problem(path, row["_line"], name, f"{exc}: expected arithmetic that gives {raw}"))
                continue
            want, half = Fraction(raw.strip()), Fraction(1, 10 ** _decimals(raw.strip())) / 2
            if abs(got - want) > half:
                problems.append(Problem(path, row["_line"], name,
                                        f"{text!r} gives {float(got):.{_decimals(raw.strip()) + 2}f}, not the {target} "
                                        f"{raw}: expected arithmetic that gives {raw} to within ±{float(half):g} "
                                        "(its printed precision)"))
        for start, expr in parsed.items():        # a chain of references must not come back to its row
            seen, todo = set(), list(expr.references)
            while todo:
                k = todo.pop()
                if k == start:
                    problems.append(Problem(path, by_key[start]["_line"], name, "its references lead back to the row "
                                            "itself: expected a value computed from other rows"))
                    break
                if k not in seen:
                    seen.add(k)
                    todo.extend(parsed[k].references if k in parsed else ())
    return problems
