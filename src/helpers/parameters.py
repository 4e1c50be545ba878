"""Notebook parameters: one spec, read from the notebook's own `parameters` cell.

Each notebook declares its parameters as annotated defaults with a comment:

    stage: str = "mining"      # quota stage; one of: mining, smelting
    first_year: int = 2010     # first year fitted; range: 2010..2022
    last_year: int = 2024      # last year fitted; range: 2012..2024; after: first_year

The same spec is checked by the notebook's first code cell (so a researcher who
types a bad value in JupyterLab is stopped there), by the report runner before
anything executes (papermill itself only warns about an unknown name) and by
the tests. Grammar of the comment, after the help text, separated by `;`:
`one of: a, b, c` / `range: lo..hi` (numbers or YYYY-MM) / `after: other_param`.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import paths

TYPES = {"int": int, "float": float, "str": str, "bool": bool}


class ParameterError(ValueError):
    """A parameter value the notebook cannot run with; the message says which and why."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    help: str = ""
    choices: tuple = ()
    low: Any = None
    high: Any = None
    after: str | None = None

    def describe(self) -> str:
        rule = ""
        if self.choices:
            rule = "one of " + ", ".join(map(str, self.choices))
        elif self.low is not None:
            rule = f"{self.low} to {self.high}"
        return f"{self.name} ({self.type}{', ' + rule if rule else ''}): {self.help}"


@dataclass
class Spec:
    notebook: str
    params: dict[str, Param] = field(default_factory=dict)

    def defaults(self) -> dict:
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
    """Source of the cell tagged `parameters` (the first one)."""
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
    """Parse the parameters cell into a Spec; a malformed cell is an error naming the line."""
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
    return spec


def check(spec: Spec, values: dict, where: str | None = None) -> dict:
    """Merged parameters (defaults overridden by values), or ParameterError."""
    where = where or spec.notebook
    unknown = [k for k in values if k not in spec.params]
    if unknown:
        raise ParameterError(f"{where}: unknown parameter {unknown[0]!r}; this notebook takes: "
                             + "; ".join(p.describe() for p in spec.params.values()))
    merged = {**spec.defaults(), **values}
    for name, p in spec.params.items():
        value = merged[name]
        want = TYPES[p.type]
        ok = isinstance(value, want) and not (want is not bool and isinstance(value, bool))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            ok, value = True, float(value)
            merged[name] = value
        if not ok:
            raise ParameterError(f"{where}: parameter {name!r} must be {p.type}, got {value!r} ({type(value).__name__})")
        if p.choices and value not in p.choices:
            raise ParameterError(f"{where}: parameter {name!r}: unknown value {value!r}; expected one of "
                                 + ", ".join(map(str, p.choices)))
        if p.low is not None:
            if p.type == "str" and not re.fullmatch(r"\d{4}-\d{2}", str(value)):
                raise ParameterError(f"{where}: parameter {name!r}: expected a month YYYY-MM, got {value!r}")
            if not p.low <= value <= p.high:
                raise ParameterError(f"{where}: parameter {name!r} = {value!r} is out of range; expected {p.low} to {p.high}")
    for name, p in spec.params.items():
        if p.after and not merged[name] > merged[p.after]:
            raise ParameterError(f"{where}: parameter {name!r} = {merged[name]!r} must come after "
                                 f"{p.after!r} = {merged[p.after]!r}")
    return merged


def validate_parameters(notebook: str, namespace: dict) -> dict:
    """Check the values now set in a notebook against its own parameters cell.

    Call in the first code cell: `params = validate_parameters("models/quota_growth.ipynb", globals())`.
    """
    spec = read_spec(notebook)
    values = {name: namespace[name] for name in spec.params if name in namespace}
    # papermill only warns about a name the notebook does not declare and runs the defaults;
    # its injected cell is in IPython's input history (`In`), so a misspelt name stops here too
    values.update({name: None for name in injected_names(namespace) if name not in spec.params})
    return check(spec, values)


def injected_names(namespace: dict) -> list[str]:
    """Names assigned by the latest cell papermill injected (it starts with `# Parameters`)."""
    history = namespace.get("In")
    if not isinstance(history, list):
        return []
    for source in reversed(history):
        if isinstance(source, str) and source.lstrip().startswith("# Parameters"):
            try:
                tree = ast.parse(source)
            except SyntaxError:
                return []
            return [t.id for node in tree.body if isinstance(node, ast.Assign)
                    for t in node.targets if isinstance(t, ast.Name)]
    return []
