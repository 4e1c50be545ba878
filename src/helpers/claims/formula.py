"""Derived rows: the prose formula of a derived data row read as arithmetic, and the forms in
which an article's own numbers could enter it (which would make it circular). Part of ``helpers.claims``.
"""
from __future__ import annotations

import ast
import re
from fractions import Fraction

from helpers.claims.intervals import MEASURED_UNITS, Q, STRUCTURAL_CONSTANTS, _frac


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

