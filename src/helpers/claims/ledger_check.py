"""The claims ledger checked without evaluating it: every recipe parses, calls known functions with
fitting arguments, and names data the curated tables hold.

Part of ``helpers.claims``. ``make check-data`` (python -m helpers.data) lists these problems with
the tables' own, and ``check_claims`` refuses a ledger that has any, each as
``data/claims.csv, line N, column 'recipe': ...`` (the tables' `helpers.data.Problem`). The recipe
language, its parser and its list of functions are ``helpers.claims.recipe``'s; this module adds
what only the data can tell: a stage, series, element or HS code the tables do not have (with the
closest one they do), and a lookup whose row does not exist (a year with no quota). No pandas:
the rows are read by the tables' own pandas-free validator.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from helpers import paths
from helpers.claims.lookups import LOOKUPS, _period_kind
from helpers.claims.recipe import _literal, did_you_mean, parse_recipe, signature
from helpers.claims.stated import stated_interval
from helpers.data.schema import DataError, Problem, YearMonth, _read_package, resource
from helpers.data.tables import _validate


def _exports_key(args: dict) -> dict:
    """exports()'s defaults as the lookup applies them: end is start, kind the period's own kind."""
    args = dict(args)
    if args.get("end") is None:
        args["end"] = args.get("start")
    if args.get("kind") is None:
        try:
            p0, p1 = (YearMonth(*(int(x) for x in str(args[k]).split("-"))) for k in ("start", "end"))
        except (TypeError, ValueError):
            return args             # a malformed month: the check names it as an unknown period_start
        args["kind"] = _period_kind(p0, p1)
    return args


@dataclass(frozen=True)
class LookupKeys:
    """What one lookup's literal arguments select in the curated data.

    Parameters
    ----------
    table : str
        The table the lookup reads (a resource of data/datapackage.json).
    columns : dict
        Parameter name -> the column it selects on, in the order the check narrows the rows.
    row_required : bool
        True when the lookup raises ClaimError without a matching row (a fault of the ledger);
        False when it then says the claim is not checkable (a finding about the data): only
        the names are checked then.
    complete : callable, optional
        Fills the defaults the lookup derives from other arguments (exports' end and kind).
    """
    table: str
    columns: dict = field(default_factory=dict)
    row_required: bool = False
    complete: object = None


#: One entry per lookup of ``helpers.claims.lookups.LOOKUPS`` (tests/test_claims_ledger_check.py holds them equal).
LOOKUP_KEYS = {
    "quota": LookupKeys("quotas", {"stage": "stage", "year": "year", "part": "part", "segment": "segment"}, True),
    "exports": LookupKeys("exports", {"series": "series", "partner": "partner", "kind": "period_kind",
                                      "start": "period_start", "end": "period_end"}, True, _exports_key),
    "production": LookupKeys("production", {"country": "country", "year": "year", "edition": "edition"}, True),
    "imports": LookupKeys("imports", {"country": "country", "product": "product", "year": "year"}, True),
    "event": LookupKeys("events", {"event_id": "event_id"}, True),
    "published": LookupKeys("sources", {"source_id": "source_id"}),
    "notices": LookupKeys("events", {"stage": "stage"}),
    "years_with_notice_in": LookupKeys("events", {"part": "part", "stage": "stage"}),
    "controlled_elements": LookupKeys("controlled_elements", {"event_id": "event_id", "item": "item"}),
    "quota_holders": LookupKeys("quota_holders", {"part": "part"}),
    "licence_term": LookupKeys("licence_terms", {"licence_id": "licence_id"}),
}

_NAME_TYPES = ("string", None)  # columns whose values are names (a stage, a series): checked one by one


def _shown(values: list) -> str:
    values = sorted(values, key=lambda v: (len(v), v) if v.isdigit() else (0, v))
    if len(values) > 12:
        return f"{', '.join(values[:4])} ... {', '.join(values[-4:])}, {len(values)} values"
    return ", ".join(values) if values else "none"


def _text(value) -> str | None:
    """A literal argument as the CSV would write it (2019.0 as 2019), or None when it selects nothing."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


class _Data:
    """The curated tables' valid rows, read once per check, and which tables have problems of their own."""

    def __init__(self, data_dir: Path, package: dict):
        self.data_dir, self.package = data_dir, package
        self._rows: dict[str, list | None] = {}

    def rows(self, table: str) -> list | None:
        """The valid rows of a table; None when it is missing or has problems (reported on their own)."""
        if table not in self._rows:
            try:
                resource(table, self.package)
                rows, problems = _validate(table, self.data_dir, self.package)
            except (DataError, OSError):
                rows, problems = [], [True]
            self._rows[table] = None if problems else rows
        return self._rows[table]

    def field_type(self, table: str, column: str) -> str | None:
        """The declared type of a column ('string' when none is declared)."""
        for f in resource(table, self.package)["schema"]["fields"]:
            if f["name"] == column:
                return f.get("type", "string")
        return None

    def known(self, table: str, column: str) -> list[str]:
        """Every value a column holds or its schema allows (enum)."""
        values = {r["_raw"][column] for r in self.rows(table) or [] if r["_raw"][column] != ""}
        for f in resource(table, self.package)["schema"]["fields"]:
            if f["name"] == column:
                values |= {str(v) for v in f.get("constraints", {}).get("enum", [])}
        return sorted(values)


def _call_problems(node: ast.Call, data: _Data) -> list[str]:
    """What one lookup call names that the data do not hold."""
    name = node.func.id
    keys = LOOKUP_KEYS.get(name)
    sig = signature(name)
    bound = sig.bind(*(_literal(a) for a in node.args), **{kw.arg: _literal(kw.value) for kw in node.keywords})
    bound.apply_defaults()
    args = dict(bound.arguments)
    out = []
    for pname, param in sig.parameters.items():
        value = args[pname]
        if isinstance(param.default, bool):
            if not isinstance(value, bool):
                out.append(f"{name}(): {pname}={value!r}: expected True or False")
        elif isinstance(value, bool):  # True where a year or a name goes: Python reads it as 1
            out.append(f"{name}(): {pname}={value!r}: expected a {'year' if 'year' in pname else 'value'}, "
                       "not True or False")
        elif "month" in pname and isinstance(value, int) and not 1 <= value <= 12:
            out.append(f"{name}(): {pname}={value!r}: expected a month from 1 to 12")
    for first, last in (("first_year", "last_year"), ("start", "end")):  # a range given backwards selects nothing
        lo, hi = args.get(first), args.get(last)
        if lo is not None and hi is not None and type(lo) is type(hi) and not isinstance(lo, bool) and lo > hi:
            out.append(f"{name}(): {first}={lo!r} comes after {last}={hi!r}; expected the range in order")
    if keys is None or data.rows(keys.table) is None:
        return out
    if keys.complete is not None:
        args = keys.complete(args)
    file = resource(keys.table, data.package)["path"]
    call = f"{name}({', '.join(repr(_literal(a)) for a in node.args)}{''.join(f', {k.arg}={_literal(k.value)!r}' for k in node.keywords)})"
    call = call.replace("(, ", "(")
    wanted = {c: _text(args.get(p)) for p, c in keys.columns.items() if _text(args.get(p)) is not None}
    shown = {c: repr(args[p]) for p, c in keys.columns.items() if c in wanted}
    names_ok = True
    for column, value in wanted.items():
        if data.field_type(keys.table, column) in _NAME_TYPES:
            known = data.known(keys.table, column)
            if value not in known:
                names_ok = False
                out.append(f"{call}: unknown {column} {value!r}{did_you_mean(value, known)}; expected one of "
                           f"{file}'s {column} values: {_shown(known)}")
    if not (keys.row_required and names_ok):
        return out
    rows = data.rows(keys.table)
    chosen: list[str] = []
    for column, value in wanted.items():
        left = [r for r in rows if r["_raw"][column] == value]
        if not left:
            have = sorted({r["_raw"][column] for r in rows if r["_raw"][column] != ""})
            among = f"for {' and '.join(chosen)} it has" if chosen else "it has"
            out.append(f"{call} needs data the curated tables lack: {file} has no row with "
                       f"{' and '.join(chosen + [f'{column} {shown[column]}'])} ({among} {column} {_shown(have)}); "
                       f"add the row to data/{file} with its source, or change the recipe")
            break
        chosen.append(f"{column} {shown[column]}")
        rows = left
    return out


def _recipe_problems(recipe: str, data: _Data) -> list[str]:
    """Every problem of one recipe: the first parse fault, else each call naming data that do not exist."""
    try:
        tree = parse_recipe(recipe)
    except ValueError as exc:
        return [str(exc)]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.func.id in LOOKUPS:
            out.extend(_call_problems(node, data))
    return out


def ledger_problems(data_dir: Path | None = None, source_id: str | None = None) -> list[Problem]:
    """Every claim of data/claims.csv that cannot be checked, found without evaluating a recipe.

    A recipe must parse as the recipe language (``helpers.claims.recipe``), call only its
    functions with arguments that fit them (a close name suggested for a misspelt one), name
    only stages, series, partners, HS codes, element items, event and source ids the curated
    tables hold (the closest one suggested), and ask for rows that exist where the lookup needs
    one (a quota year, an export month). The stated number must be the one its text prints,
    read as the checker reads it. A row or table that breaks its own schema is left to the
    tables' check, which reports it.

    Parameters
    ----------
    data_dir : path, optional
        A data folder laid out like data/ (default: the repository's data/).
    source_id : str, optional
        Only this article's claims.

    Returns
    -------
    list of Problem
        ``data/claims.csv, line N, column 'recipe': claim <id>: <what is wrong and what was expected>``
        (column 'stated_text' for a stated number); empty when every claim can be checked.

    Raises
    ------
    helpers.data.DataError
        When data/datapackage.json itself cannot be read.
    """
    data_dir = Path(data_dir) if data_dir else paths.DATA
    package = _read_package(data_dir)[0]
    try:
        path = data_dir / resource("claims", package)["path"]
    except DataError:           # a data folder without a ledger: nothing to check
        return []
    data = _Data(data_dir, package)
    claims, _ = _validate("claims", data_dir, package)
    out = []
    for row in claims:
        if source_id is not None and row.get("source_id") != source_id:
            continue
        try:                    # the interval the printed number allows, as check_claim reads it
            stated_interval(row["stated"], row["stated_text"], row["unit"], row["qualifier"])
        except ValueError as exc:
            out.append(Problem(path, row["_line"], "stated_text", f"claim {row['claim_id']}: {exc}"))
        recipe = row.get("recipe")
        if not isinstance(recipe, str) or not recipe.strip():
            continue
        for msg in _recipe_problems(recipe, data):
            out.append(Problem(path, row["_line"], "recipe", f"claim {row['claim_id']}: {msg}"))
    return out


def claim_problem(data_dir: Path | None, claim_id: str, column: str, message: str) -> Problem:
    """A fault found only by evaluating a claim, placed at the line of data/claims.csv it stands on.

    Read only when such a fault occurs: a ledger that evaluates cleanly is not read again.

    Parameters
    ----------
    data_dir : path or None
        A data folder laid out like data/ (None: the repository's data/).
    claim_id : str
        The claim the fault belongs to.
    column : str
        The ledger column at fault (``recipe`` or ``stated_text``).
    message : str
        What is wrong and what was expected.

    Returns
    -------
    Problem
        ``data/claims.csv, line N, column '<column>': <message>``.
    """
    data_dir = Path(data_dir) if data_dir else paths.DATA
    package = _read_package(data_dir)[0]
    rows, _ = _validate("claims", data_dir, package)
    line = next((row["_line"] for row in rows if row["claim_id"] == claim_id), None)
    return Problem(data_dir / resource("claims", package)["path"], line, column, message)
