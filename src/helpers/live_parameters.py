"""The parameters a notebook's kernel holds, checked against the notebook's saved ``parameters`` cell.

The first code cell of every notebook calls `validate_parameters`: it compares the names the
kernel's parameters cell last assigned, the names papermill injected and the names the other
cells read with the declaration that ``helpers.parameters`` reads from the saved notebook. Split
from ``helpers.parameters`` (the declaration and its checks), which re-exports these names.
"""
from __future__ import annotations

import ast
import difflib
import json

from helpers.parameters import ParameterError, Spec, _notebook_path, _suggest, check, read_spec


def validate_parameters(notebook: str, namespace: dict) -> dict:
    """Check the parameters now set in a notebook's kernel against its declared parameters cell.

    Call in the first code cell: ``params = validate_parameters("models/quota_growth.ipynb", globals())``.
    The declaration is the ``parameters`` cell of the saved notebook (what the report runner and the
    tests check too). Three things are compared with it, each refused with the name and a suggestion:

    * the names the parameters cell assigned as it last ran in this kernel (IPython's input history
      ``In``): a cell edited in JupyterLab, e.g. ``pre_months`` renamed ``pre_month``, is not the saved
      declaration until it is saved, and the kernel would otherwise run a stale or default value;
    * the names papermill injected (its ``# Parameters`` cell, also in ``In``): papermill only warns
      about a name the notebook does not declare and runs the defaults;
    * the names the notebook's other cells read: a parameter renamed and saved leaves code that
      reads the old name, which would only fail later with a NameError.

    Then every declared parameter must be set in the kernel, and the values pass `check`.

    Parameters
    ----------
    notebook : str
        The notebook's path relative to notebooks/.
    namespace : dict
        The kernel's globals (``globals()``).

    Returns
    -------
    dict
        Every parameter's checked value.

    Raises
    ------
    ParameterError
        Naming the parameter and what was expected.
    """
    spec = read_spec(notebook)
    where = spec.notebook
    declared = "; ".join(p.describe() for p in spec.params.values())
    live = live_parameter_names(namespace)
    if live is not None:
        unknown = [n for n in live if n not in spec.params]
        if unknown:
            raise ParameterError(f"{where}: the parameters cell as run in this kernel sets {unknown[0]!r}, which the "
                                 f"notebook does not declare{_suggest(unknown[0], spec)}; this notebook takes: "
                                 f"{declared}")
        dropped = [n for n in spec.params if n not in live]
        if dropped:
            raise ParameterError(f"{where}: the parameters cell as run in this kernel no longer sets {dropped[0]!r} "
                                 f"(declared: {spec.params[dropped[0]].describe()}); put it back, or the notebook "
                                 "would run with a stale or missing value")
    orphans = _undefined_near_parameters(notebook, spec)
    if orphans:
        used, param = orphans[0]
        raise ParameterError(f"{where}: the notebook's code reads {used!r}, which no cell defines, while the "
                             f"parameters cell declares {param!r}: was the parameter renamed? Use one name in both")
    injected_unknown = [n for n in injected_names(namespace) if n not in spec.params]
    if injected_unknown:
        check(spec, {injected_unknown[0]: None})  # raises: unknown parameter, with a suggestion
    unset = [n for n in spec.params if n not in namespace]
    if unset:
        raise ParameterError(f"{where}: parameter {unset[0]!r} is not set in this kernel; run the cell tagged "
                             "'parameters' first")
    return check(spec, {name: namespace[name] for name in spec.params})


def _assigned_names(source: str) -> list[str] | None:
    """Names a parameters-shaped cell assigns (only `name: type = value` / `name = value` lines, at least
    one annotated), or None when the cell is anything else."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    names, annotated = [], False
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
            annotated = True
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            names += [t.id for t in node.targets]
        else:
            return None
    return names if (names and annotated) else None


def live_parameter_names(namespace: dict) -> list[str] | None:
    """Names the parameters cell assigned as it last ran in this kernel, or None when that is unknown.

    The parameters cell is the latest entry of IPython's input history ``In`` made only of assignments,
    at least one annotated (``name: type = value``, the declaration form; papermill's injected cell and
    a scratch ``x = 1`` are plain assignments). Outside IPython (no ``In``) there is no history: None.

    Parameters
    ----------
    namespace : dict
        The kernel's globals.

    Returns
    -------
    list of str or None
        The names, in order.
    """
    history = namespace.get("In")
    if not isinstance(history, list):
        return None
    for source in reversed(history):
        if not isinstance(source, str) or source.lstrip().startswith("# Parameters"):
            continue
        names = _assigned_names(source)
        if names is not None:
            return names
    return None


_NOT_DEFINED_BY_CELLS = {"In", "Out", "get_ipython", "display", "exit", "quit", "_", "__", "___"}


def _undefined_near_parameters(notebook, spec: Spec) -> list[tuple[str, str]]:
    """(name, parameter) pairs: a name the saved notebook's code reads, that no cell defines and that is close
    to a declared parameter's name (a parameter renamed in its cell but not where it is used)."""
    import builtins

    path = _notebook_path(notebook)
    nb = json.loads(path.read_text(encoding="utf-8"))
    defined = set(spec.params) | set(dir(builtins)) | _NOT_DEFINED_BY_CELLS
    loaded: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        src = "\n".join("" if ln.lstrip().startswith(("%", "!")) else ln for ln in src.splitlines())
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                (loaded.append(node.id) if isinstance(node.ctx, ast.Load) else defined.add(node.id))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined.add(node.name)
                defined.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                defined.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.Lambda):
                defined.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
            elif isinstance(node, ast.ExceptHandler) and node.name:
                defined.add(node.name)
    out = []
    for name in dict.fromkeys(loaded):
        if name in defined:
            continue
        close = difflib.get_close_matches(name, list(spec.params), n=1, cutoff=0.75)
        if close:
            out.append((name, close[0]))
    return out


def injected_names(namespace: dict) -> list[str]:
    """Names assigned by the latest cell papermill injected (it starts with ``# Parameters``).

    Parameters
    ----------
    namespace : dict
        The kernel's globals.

    Returns
    -------
    list of str
        The names; empty when papermill injected nothing.
    """
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
