"""The recipe language: parse, vet and evaluate the recipe of one claim.

Part of ``helpers.claims``, which recomputes every number the articles state, from the curated data.

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
- ``imports(country, year, product="HS 2846", derived=False)``: imports.csv, gross t
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
- ``controlled_elements(event_id, item="materials")``: how many elements the
  export-control announcement (an event id) covers, from controlled_elements.csv;
  item "permanent_magnets" counts those with a permanent-magnet item
- ``quota_holders(year, part="first_batch")``: how many groups that quota notice
  allocates to (quota_holders.csv)
- ``licence_term(licence_id)``: how many months those export licences run
  (licence_terms.csv)

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
2. Even then, a derived row is refused when its expression uses a number
   the claim's article states (any measured claim of that article, in %, t or
   t REO; for a percentage p the forms p, p/100, 1 - p/100 and 1 + p/100), or when
   the row's source is the article itself.
3. A derived row's interval is computed from its ``expression`` column (the
   machine-readable arithmetic beside the prose ``formula``), each number taken
   at its printed precision (1 and 100 exact), so a value derived from a rounded
   percentage carries that rounding ("5278 / 1.02" gives 5,149 to 5,200). A
   ``{key}`` reference to another derived row is evaluated from that row's own
   expression, so its rounding is carried through too. The loaders have already
   checked that the expression gives the row's value (helpers.data.expressions).
   value_low/value_high columns, if a table ever has them, take precedence for
   the interval. The structural constants 0, 1 and 100 never count as an
   article's numbers; the numbers of referenced rows count as the row's own.
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
import difflib
import inspect
from functools import lru_cache

from helpers.claims.derived import _BINOPS
from helpers.claims.intervals import ClaimError, Q, STRUCTURAL_CONSTANTS
from helpers.claims.lookups import Context, FUNCTIONS, HELPERS, LOOKUPS


# --------------------------------------------------------------------------- recipe interpreter

@lru_cache(maxsize=None)
def parse_recipe(recipe: str) -> ast.Expression:
    """Parse and vet a recipe; raise ValueError naming the first construct not allowed."""
    try:
        tree = ast.parse(recipe.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"recipe is not a valid expression ({exc.msg}, at character {exc.offset}): expected one "
                         "expression such as pct_change(quota(\"mining\", 2018), quota(\"mining\", 2019))") from None
    _vet(tree.body, in_lookup=False)
    return tree


def did_you_mean(word: str, known) -> str:
    """' (did you mean 'x'?)' for the closest of `known` to a misspelt `word` (difflib), else ''.

    Parameters
    ----------
    word : str
        What the ledger wrote.
    known : iterable of str
        What it may write.

    Returns
    -------
    str
        The hint, to append to a message; empty when nothing is close.
    """
    near = difflib.get_close_matches(str(word), [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean {near[0]!r}?)" if near else ""


def signature(name: str) -> inspect.Signature:
    """The parameters a recipe passes to a function of the language (a lookup's context left out).

    Parameters
    ----------
    name : str
        A key of ``LOOKUPS`` or ``HELPERS``.

    Returns
    -------
    inspect.Signature
        Read from the function itself, so the check and the interpreter never disagree.
    """
    sig = inspect.signature(LOOKUPS[name] if name in LOOKUPS else HELPERS[name])
    params = list(sig.parameters.values())
    return sig.replace(parameters=params[1:] if name in LOOKUPS else params)


def _check_arguments(node: ast.Call, name: str) -> None:
    """Refuse a call whose arguments do not fit the function (count, unknown or repeated keywords)."""
    sig = signature(name)
    try:
        sig.bind(*node.args, **{kw.arg: kw.value for kw in node.keywords})
    except TypeError as exc:
        hint = ""
        for kw in node.keywords:
            if kw.arg not in sig.parameters:
                hint = did_you_mean(kw.arg, sig.parameters)
                break
        raise ValueError(f"{name}(): {exc}{hint}; expected {name}{sig}") from None


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
            raise ValueError(f"unknown function {name!r}{did_you_mean(name, FUNCTIONS)}; allowed: {', '.join(FUNCTIONS)}")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise ValueError("*arguments are not allowed")
            _vet(arg, name in LOOKUPS)
        for kw in node.keywords:
            if kw.arg is None:
                raise ValueError("**arguments are not allowed")
            _vet(kw.value, name in LOOKUPS)
        _check_arguments(node, name)
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
    """The value of a recipe for one claim (see this module's docstring for the language).

    Parameters
    ----------
    recipe : str
        One expression of the recipe language (data/claims.csv, column ``recipe``).
    ctx : Context
        The claim, its article and the tables.

    Returns
    -------
    Q
        The recomputed value with its interval and inputs.

    Raises
    ------
    ClaimError
        For a broken recipe or a missing data key (a fault of the ledger or the data).
    NotCheckable
        When the data cannot check the claim honestly (undisclosed, circular, only the article).
    """
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

