"""Notebook parameters: one spec, read from the notebook's own `parameters` cell.

Each notebook declares its parameters as annotated defaults with a comment:

    stage: str = "mining"      # quota stage; one of: mining, smelting
    first_year: int = 2010     # first year fitted; range: 2010..2022
    last_year: int = 2024      # last year fitted; range: 2012..2024; after: first_year

The same spec is checked by the notebook's first code cell (so a researcher who
types a bad value in JupyterLab is stopped there), by the report runner before
anything executes (papermill itself only warns about an unknown name) and by
the tests. Grammar of the comment, after the help text, separated by `;`:
`one of: a, b, c` / `range: lo..hi` (numbers, YYYY-MM or YYYY-MM-DD) / `after: other_param`.
A str parameter with month or date bounds (or a month or date default) must be a real
calendar month or date: `2024-13` is refused, naming the parameter.

Joint constraints, which no single range can say, are comment lines of the same cell:

    # requires: observed_years(stage, first_year, last_year, use_derived) >= years_needed(); the models need six observed years

an expression over the parameters (comparisons, and/or/not, + - *, numbers, strings and
the functions in FUNCTIONS, which count what the data leave a parameter set), then `;`
and the reason shown when a set breaks it. `check` refuses such a set before anything runs.
"""
from __future__ import annotations

import ast
import datetime as dt
import difflib
import importlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import paths

TYPES = {"int": int, "float": float, "str": str, "bool": bool}

#: Functions a `# requires:` line may call: name -> "module:function". Each takes parameter values and
#: returns a number; the data-backed ones use the very code the models fit with (helpers.models.series).
FUNCTIONS = {
    "observed_years": "helpers.models.series:observed_years",
    "years_needed": "helpers.models.series:years_needed",
    "observed_pre_months": "helpers.models.series:observed_pre_months",
    "months_needed": "helpers.models.series:months_needed",
    "months_between": "helpers.parameters:months_between",
}
MONTH_RE = re.compile(r"\d{4}-\d{2}")
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def months_between(first: str, last: str) -> int:
    """Whole months from YYYY-MM `first` to `last` (negative when last comes first).

    Parameters
    ----------
    first, last : str
        Months as ``YYYY-MM`` (longer dates are cut to their month).

    Returns
    -------
    int
        ``last - first`` in months.
    """
    (y0, m0), (y1, m1) = (map(int, str(v)[:7].split("-")) for v in (first, last))
    return (y1 - y0) * 12 + (m1 - m0)


class ParameterError(ValueError):
    """A parameter value the notebook cannot run with; the message says which and why.

    Parameters
    ----------
    message : str
        The refusal.
    names : sequence of str, optional
        The parameters at fault, the one to point at first (`check` sets it): a caller that knows
        where the values came from (the manifest's line and column) can place the message.
    """

    def __init__(self, message: str = "", names=()):
        super().__init__(message)
        self.names = tuple(names)


@dataclass(frozen=True)
class Param:
    """One declared parameter: ``name: type = default  # help; rule`` in a notebook's parameters cell.

    Parameters
    ----------
    name : str
        The Python name.
    type : str
        The declared type (a key of ``TYPES``).
    default : object
        The value the notebook uses when none is given.
    help : str, optional
        What it means (the comment).
    choices : tuple, optional
        The allowed values (``one of a, b``).
    low, high : object, optional
        Inclusive bounds (``a to b``).
    after : str or None, optional
        Another parameter this one must not precede (``after <name>``).
    """
    name: str
    type: str
    default: Any
    help: str = ""
    choices: tuple = ()
    low: Any = None
    high: Any = None
    after: str | None = None

    def describe(self) -> str:
        """The parameter in words, for refusal messages: ``'stage (str, one of mining, smelting): ...'``.

        Returns
        -------
        str
            Name, type, rule and help.
        """
        rule = ""
        if self.choices:
            rule = "one of " + ", ".join(map(str, self.choices))
        elif self.low is not None:
            rule = f"{self.low} to {self.high}"
        return f"{self.name} ({self.type}{', ' + rule if rule else ''}): {self.help}"


@dataclass(frozen=True)
class Requirement:
    """A joint constraint from a ``# requires: <expression>; <reason>`` line of the parameters cell.

    Parameters
    ----------
    expression : str
        A Python expression over the parameters (and this module's data counts).
    reason : str
        Why, in words (the refusal message).
    line : int
        Its line in the parameters cell.
    tree : ast.Expression
        The parsed expression.
    """
    expression: str
    reason: str
    line: int
    tree: ast.Expression = field(compare=False, repr=False)

    @property
    def reads_data(self) -> bool:
        """True when it calls a function outside this module (they count what data/ holds, with pandas)."""
        return any(FUNCTIONS[n.func.id].split(":")[0] != __name__ for n in ast.walk(self.tree) if isinstance(n, ast.Call))

    def names(self) -> list[str]:
        """The parameters the expression reads, in order of first use.

        Returns
        -------
        list of str
            Names read (function names left out).
        """
        funcs = {id(n.func) for n in ast.walk(self.tree) if isinstance(n, ast.Call)}
        return list(dict.fromkeys(n.id for n in ast.walk(self.tree) if isinstance(n, ast.Name) and id(n) not in funcs))


@dataclass
class Spec:
    """A notebook's parameter declaration: the notebook and its `Param` by name (see `read_spec`).

    Parameters
    ----------
    notebook : str
        The notebook as messages show it.
    params : dict of str to Param, optional
        The declared parameters in order.
    requires : list of Requirement, optional
        The ``# requires:`` lines.
    """
    notebook: str
    params: dict[str, Param] = field(default_factory=dict)
    requires: list[Requirement] = field(default_factory=list)

    def defaults(self) -> dict:
        """Every parameter's default.

        Returns
        -------
        dict
            Parameter name to default value.
        """
        return {name: p.default for name, p in self.params.items()}


def _notebook_path(notebook: str | Path) -> Path:
    path = Path(notebook)
    if not path.is_absolute():
        path = paths.NOTEBOOKS / path
    return path


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(path)


def parameters_source(notebook: str | Path) -> str:
    """Source of the cell tagged ``parameters`` (the first one).

    Parameters
    ----------
    notebook : str or Path
        A notebook path (relative to notebooks/, or absolute).

    Returns
    -------
    str
        The cell's code.

    Raises
    ------
    ParameterError
        When the notebook has no code cell tagged ``parameters``.
    """
    path = _notebook_path(notebook)
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            src = cell["source"]
            return "".join(src) if isinstance(src, list) else src
    raise ParameterError(f"{_display(path)}: no code cell tagged 'parameters'")


def _convert_bound(text: str, ptype: str):
    text = text.strip()
    if ptype == "int":
        return int(text)
    if ptype == "float":
        return float(text)
    return text


def read_spec(notebook: str | Path) -> Spec:
    """Parse the parameters cell into a Spec; a malformed cell is an error naming the line.

    Parameters
    ----------
    notebook : str or Path
        A notebook path (relative to notebooks/, or absolute).

    Returns
    -------
    Spec
        The declared parameters and ``# requires:`` lines.

    Raises
    ------
    ParameterError
        Naming the notebook and line: a line that is not ``name: type = default  # help``, an
        unknown type or rule, a default that breaks its own rule.
    """
    path = _notebook_path(notebook)
    source = parameters_source(path)
    where = _display(path)
    spec = Spec(where)
    tree = ast.parse(source)
    lines = source.splitlines()
    for node in tree.body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            raise ParameterError(f"{where}: parameters cell line {node.lineno}: expected 'name: type = default  # help'")
        name = node.target.id
        ptype = ast.unparse(node.annotation)
        if ptype not in TYPES:
            raise ParameterError(f"{where}: parameter {name!r} has type {ptype!r}; expected one of {list(TYPES)}")
        default = ast.literal_eval(node.value)
        line = lines[node.lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        parts = [p.strip() for p in comment.split(";")]
        kwargs: dict[str, Any] = {"help": parts[0]}
        for part in parts[1:]:
            key, _, rest = part.partition(":")
            key = key.strip()
            if key == "one of":
                kwargs["choices"] = tuple(_convert_bound(v, ptype) for v in rest.split(","))
            elif key == "range":
                lo, _, hi = rest.partition("..")
                kwargs["low"], kwargs["high"] = _convert_bound(lo, ptype), _convert_bound(hi, ptype)
            elif key == "after":
                kwargs["after"] = rest.strip()
            else:
                raise ParameterError(f"{where}: parameter {name!r}: unknown rule {key!r} in comment "
                                     "(expected 'one of:', 'range:' or 'after:')")
        spec.params[name] = Param(name=name, type=ptype, default=default, **kwargs)
        for bound in ("low", "high"):
            if ptype == "str" and kwargs.get(bound) is not None and _calendar_kind(kwargs[bound]) is None:
                raise ParameterError(f"{where}: parameter {name!r}: range bound {kwargs[bound]!r} is not a real "
                                     "month YYYY-MM or date YYYY-MM-DD")
    for i, line in enumerate(lines, 1):
        text = line.strip()
        if not text.startswith("#"):
            continue
        key, _, rest = text.lstrip("#").strip().partition(":")
        if key.strip() != "requires":
            continue
        expression, _, reason = rest.partition(";")
        spec.requires.append(_requirement(expression.strip(), reason.strip(), i, spec, where))
    return spec


_ALLOWED = (ast.Expression, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.Name, ast.Constant, ast.Call,
            ast.Load, ast.And, ast.Or, ast.Not, ast.USub, ast.Add, ast.Sub, ast.Mult, ast.Lt, ast.LtE, ast.Gt,
            ast.GtE, ast.Eq, ast.NotEq)


def _requirement(expression: str, reason: str, line: int, spec: Spec, where: str) -> Requirement:
    at = f"{where}: parameters cell line {line}: `# requires: {expression}`"
    if not reason:
        raise ParameterError(f"{at}: add the reason after a ';' (it is what a refused set is told)")
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ParameterError(f"{at}: not an expression ({exc.msg})") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ParameterError(f"{at}: {type(node).__name__} is not allowed; use comparisons, and/or/not, "
                                 "+ - *, numbers, strings, parameter names and the functions "
                                 + ", ".join(FUNCTIONS))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                raise ParameterError(f"{at}: unknown function {ast.unparse(node.func)!r}; expected one of "
                                     + ", ".join(FUNCTIONS) + " with positional arguments")
        elif isinstance(node, ast.Name) and node.id not in spec.params and node.id not in FUNCTIONS:
            raise ParameterError(f"{at}: {node.id!r} is not a parameter of this notebook")
    return Requirement(expression, reason, line, tree)


def _function(name: str):
    module, _, attr = FUNCTIONS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def _evaluate(node, values: dict, calls: list):
    """Evaluate a checked requirement expression; `calls` collects (call text, value) for the message."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, values, calls)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.Call):
        result = _function(node.func.id)(*[_evaluate(a, values, calls) for a in node.args])
        calls.append((ast.unparse(node), result))
        return result
    if isinstance(node, ast.UnaryOp):
        v = _evaluate(node.operand, values, calls)
        return (not v) if isinstance(node.op, ast.Not) else -v
    if isinstance(node, ast.BinOp):
        a, b = _evaluate(node.left, values, calls), _evaluate(node.right, values, calls)
        return {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b}[type(node.op)]()
    if isinstance(node, ast.BoolOp):
        results = [_evaluate(v, values, calls) for v in node.values]
        return all(results) if isinstance(node.op, ast.And) else any(results)
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, values, calls)
        for op, comp in zip(node.ops, node.comparators):
            right = _evaluate(comp, values, calls)
            ok = {ast.Lt: left < right, ast.LtE: left <= right, ast.Gt: left > right, ast.GtE: left >= right,
                  ast.Eq: left == right, ast.NotEq: left != right}[type(op)]
            if not ok:
                return False
            left = right
        return True
    raise ParameterError(f"cannot evaluate {ast.unparse(node)!r}")


def _calendar_kind(value) -> str | None:
    """'month' for a real YYYY-MM, 'date' for a real YYYY-MM-DD, None otherwise."""
    text = str(value)
    try:
        if MONTH_RE.fullmatch(text):
            dt.date(int(text[:4]), int(text[5:7]), 1)
            return "month"
        if DATE_RE.fullmatch(text):
            dt.date.fromisoformat(text)
            return "date"
    except ValueError:
        return None
    return None


def _calendar_param(p: Param) -> str | None:
    """'month' or 'date' when a str parameter holds one (by its bounds, else its default); else None."""
    if p.type != "str":
        return None
    for sample in (p.low, p.default):
        if sample is not None and (MONTH_RE.fullmatch(str(sample)) or DATE_RE.fullmatch(str(sample))):
            return "month" if MONTH_RE.fullmatch(str(sample)) else "date"
    return None


def check(spec: Spec, values: dict, where: str | None = None, data: bool = True) -> dict:
    """Merged parameters (defaults overridden by values), each value checked against its declaration.

    Parameters
    ----------
    spec : Spec
        The notebook's declaration (`read_spec`).
    values : dict
        The values a run gives (the manifest's ``parameters``).
    where : str, optional
        How messages name the run (default: the notebook).
    data : bool, default True
        False skips the ``requires`` lines that count what data/ holds (the report runner checks
        those only for the runs it is about to execute, so a rebuild with nothing changed imports
        no pandas).

    Returns
    -------
    dict
        Every parameter's value.

    Raises
    ------
    ParameterError
        For an unknown name (with a suggestion), a value of the wrong type or outside its rule,
        or a broken ``requires`` line.
    """
    where = where or spec.notebook
    unknown = [k for k in values if k not in spec.params]
    if unknown:
        raise ParameterError(f"{where}: unknown parameter {unknown[0]!r}{_suggest(unknown[0], spec)}; "
                             "this notebook takes: " + "; ".join(p.describe() for p in spec.params.values()),
                             names=unknown[:1])
    merged = {**spec.defaults(), **values}
    for name, p in spec.params.items():
        value = merged[name]
        want = TYPES[p.type]
        ok = isinstance(value, want) and not (want is not bool and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok, value = True, float(value)
            merged[name] = value
        if not ok:
            raise ParameterError(f"{where}: parameter {name!r} must be {p.type}, got {value!r} ({type(value).__name__})",
                                 names=[name])
        if p.choices and value not in p.choices:
            raise ParameterError(f"{where}: parameter {name!r}: unknown value {value!r}; expected one of "
                                 + ", ".join(map(str, p.choices)), names=[name])
        kind = _calendar_param(p)
        if kind is not None:
            pattern = MONTH_RE if kind == "month" else DATE_RE
            form = "YYYY-MM" if kind == "month" else "YYYY-MM-DD"
            if not pattern.fullmatch(value):
                raise ParameterError(f"{where}: parameter {name!r}: expected a {kind} {form}, got {value!r}",
                                     names=[name])
            if _calendar_kind(value) != kind:
                what = ("the month must be 01 to 12" if kind == "month"
                        else "the month must be 01 to 12 and the day exist in that month")
                raise ParameterError(f"{where}: parameter {name!r}: {value!r} is not a calendar {kind}; "
                                     f"expected {form} ({what})", names=[name])
        if p.low is not None:
            if not p.low <= value <= p.high:
                raise ParameterError(f"{where}: parameter {name!r} = {value!r} is out of range; expected {p.low} to {p.high}",
                                     names=[name])
    for name, p in spec.params.items():
        if p.after and not merged[name] > merged[p.after]:
            raise ParameterError(f"{where}: parameter {name!r} = {merged[name]!r} must come after "
                                 f"{p.after!r} = {merged[p.after]!r}", names=[name, p.after])
    for req in spec.requires:
        if not data and req.reads_data:
            continue
        calls: list = []
        try:
            ok = _evaluate(req.tree, merged, calls)
        except ParameterError:
            raise
        except Exception as exc:  # a data problem while counting: say which requirement could not be checked
            raise ParameterError(f"{where}: cannot check `requires: {req.expression}` (parameters cell line "
                                 f"{req.line}): {type(exc).__name__}: {exc}", names=req.names()) from None
        if not ok:
            given = ", ".join(f"{n} = {merged[n]!r}" for n in req.names() if n in merged)
            found = "; ".join(f"{text} = {value!r}" for text, value in calls)
            raise ParameterError(f"{where}: parameters {given} cannot run together: {req.reason} "
                                 f"(requires {req.expression}" + (f"; here {found}" if found else "") + ")",
                                 names=req.names())
    return merged


def _suggest(name: str, spec: Spec) -> str:
    close = difflib.get_close_matches(name, list(spec.params), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_LIVE = ("validate_parameters", "live_parameter_names", "injected_names")


def __getattr__(name: str):
    """The kernel-side check (notebooks call ``validate_parameters`` in their first cell) lives in
    helpers.live_parameters; these names stay importable from here (PEP 562, no import cycle)."""
    if name in _LIVE:
        from helpers import live_parameters

        return getattr(live_parameters, name)
    raise AttributeError(f"module 'helpers.parameters' has no attribute {name!r}")
