"""The manifest: the one list of notebooks and the parameter sets each is run with.

`notebooks/manifest.yml` is read by the report runner (`make report`), the site
index and the tests. Format (every key shown; anything else is refused):

    extension: helpers.report_extension     # optional: the collection's extension (nbreport.extension)
    notebooks:
      - path: models/quota_growth.ipynb      # relative to notebooks/, must exist
        kind: model                          # one of the collection's kinds (its extension's KINDS)
        title: Quota growth model            # the keys each kind needs are the collection's too
        runs:
          - id: quota-mining                 # unique in the whole manifest; [a-z0-9][a-z0-9_-]*
            parameters: {stage: mining}      # optional; empty = the notebook's defaults
          - {id: quota-smelting, parameters: {stage: smelting}, site: true}  # site: default true; false = tests only
        invalid:                             # optional: parameter sets that must be refused
          - {parameters: {stage: refining}, error: "unknown value 'refining'"}  # error: part of the refusal
        sweep:                               # optional: a grid run point by point, one sensitivity page
          id: quota-sweep                    # names the page and the points ('quota-sweep-2010-fixed')
          base: quota-mining                 # the run the points vary (default: the first run)
          grid: {first_year: [2010, 2012], breaks: [fixed, estimated]}
          max_points: 20                     # the cap: a larger grid is refused before anything runs
      - path: articles/reuters_2025_quota.ipynb
        kind: article
        source_id: reuters_2025_04           # (here: an article's id in data/sources.csv)
        runs: [{id: reuters-2025-quota}]

The shape (keys, types, run ids, the words of each refusal) is declared in manifest.schema.json and
checked with jsonschema. The kinds, and the keys an entry of each kind needs, are the collection's: its
extension's ``KINDS`` (nbreport.extension) join the schema before the check, so the builder names no kind.
nbreport.strictparse refuses syntax errors, duplicate keys and impossible dates with line and column.
Only parsing and validation here: a no-change `make report` reads it without pandas or papermill.
"""
from __future__ import annotations

import copy
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_FILE = Path(__file__).with_name("manifest.schema.json")
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
_DEFS = SCHEMA["$defs"]
TOP_KEYS = tuple(SCHEMA["properties"])
ENTRY_KEYS = tuple(_DEFS["entry"]["properties"])
RUN_KEYS = tuple(_DEFS["run"]["properties"])
INVALID_KEYS = tuple(_DEFS["invalid"]["properties"])
RUN_ID = re.compile(_DEFS["run"]["properties"]["id"]["pattern"])


class ManifestError(ValueError):
    """The manifest is malformed; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class Run:
    """One parameter set of a notebook: a report page of its own.

    Parameters
    ----------
    id : str
        Unique in the manifest; names the report's files.
    parameters : dict
        Values given to the notebook (empty: its defaults).
    site : bool, default True
        False: run by the tests only, not published.
    sweep : str or None, optional
        The sweep this run is a point of (never a page of its own).
    """
    id: str
    parameters: dict
    site: bool = True
    sweep: str | None = None


@dataclass
class Sweep:
    """A grid over an entry's parameters: `points` are runs (ids derived), shown on one sensitivity page.

    Parameters
    ----------
    id, base : str
        The sweep's id (names page and points); the run the points vary, whose findings are the yardstick.
    grid, parameters : dict
        Parameter -> list of values, in manifest order; fixed overrides on top of the base run's.
    max_points : int
        The cap: a larger grid is refused before anything runs.
    points : list of Run
        One run per grid point (``site=False``).
    title, headline : str or None, optional
        The page title; the finding the page and its verdict are about (default: the record's).
    """
    id: str
    base: str
    grid: dict
    parameters: dict
    max_points: int
    points: list[Run]
    title: str | None = None
    headline: str | None = None

    def values(self, run: Run) -> tuple:
        """The grid values of one point, in grid order, to label it on the sensitivity page.

        Parameters
        ----------
        run : Run
            One of `points`.

        Returns
        -------
        tuple
            Its value of each grid parameter.
        """
        return tuple(run.parameters[name] for name in self.grid)


@dataclass(frozen=True)
class Invalid:
    """A parameter set that must be refused, with a fragment of the expected message.

    Parameters
    ----------
    parameters : dict
        The values to refuse.
    error : str
        A fragment the refusal message must contain.
    """
    parameters: dict
    error: str


@dataclass
class Entry:
    """One notebook of the manifest with its runs.

    Parameters
    ----------
    path, kind : str
        Relative to notebooks/ (POSIX separators); one of the collection's kinds (its extension's KINDS).
    runs : list of Run
        Its parameter sets.
    source_id, title : str or None, optional
        A key some kinds need (the collection's rules say which); the report's name if the collection has none.
    invalid : list of Invalid, optional
        Parameter sets that must be refused.
    index : int, default 0
        Position in the manifest, for messages.
    sweep : Sweep or None, optional
        Its grid of runs, if it declares one.
    """
    path: str                      # relative to notebooks/, POSIX separators
    kind: str
    runs: list[Run]
    source_id: str | None = None
    title: str | None = None
    invalid: list[Invalid] = field(default_factory=list)
    index: int = 0                 # position in the manifest, for messages
    sweep: Sweep | None = None

    def label(self) -> str:
        """The entry as messages name it: ``'notebooks[2] (models/x.ipynb)'``.

        Returns
        -------
        str
            Index and path.
        """
        return f"notebooks[{self.index}] ({self.path})"

    def run_label(self, run: Run) -> str:
        """One run of the entry as messages name it.

        Parameters
        ----------
        run : Run
            One of its runs.

        Returns
        -------
        str
            ``"notebooks[2] (models/x.ipynb), run 'quota-a'"``.
        """
        return f"{self.label()}, run {run.id!r}"


@dataclass
class Manifest:
    """The loaded manifest: its notebooks, their runs, and the collection's extension.

    Parameters
    ----------
    file, root : Path
        The manifest file; the repository.
    entries : list of Entry
        The notebooks in manifest order.
    extension : str or None, optional
        The extension module the manifest names (nbreport.extension).
    ext : nbreport.extension.Extension, optional
        The loaded extension (set by `load`).
    """
    file: Path
    root: Path
    entries: list[Entry]
    extension: str | None = None   # the collection's extension module (nbreport.extension)
    ext: Any = None                # the loaded extension (nbreport.extension.Extension), set by load

    @property
    def notebooks_dir(self) -> Path:
        """Path: the repository's notebooks/ folder."""
        return self.root / "notebooks"

    def notebook_file(self, entry: Entry) -> Path:
        """The notebook file of an entry.

        Parameters
        ----------
        entry : Entry
            A manifest entry.

        Returns
        -------
        Path
            notebooks/<entry.path>.
        """
        return self.notebooks_dir / entry.path

    def runs(self, site_only: bool = False) -> list[tuple[Entry, Run]]:
        """Every (entry, run) pair in manifest order.

        Parameters
        ----------
        site_only : bool, default False
            Leave out the ``site: false`` runs.

        Returns
        -------
        list of (Entry, Run)
            The pairs.
        """
        return [(e, r) for e in self.entries for r in e.runs if r.site or not site_only]

    def sweep_points(self) -> list[tuple[Entry, Run]]:
        """Every (entry, point) of every sweep, in manifest and grid order.

        Returns
        -------
        list of (Entry, Run)
            The pairs.
        """
        return [(e, r) for e in self.entries if e.sweep for r in e.sweep.points]

    def find(self, key: str) -> list[tuple[Entry, Run]]:
        """Runs selected by a run id, a sweep id (its points) or a notebook path (relative to notebooks/ or the root).

        Parameters
        ----------
        key : str
            A run id or a notebook path.

        Returns
        -------
        list of (Entry, Run)
            The run, or every run of the notebook.

        Raises
        ------
        ManifestError
            When nothing in the manifest matches (the message lists what is listed).
        """
        key = key.strip().removeprefix("./")
        norm = key.removeprefix("notebooks/")
        found = [(e, r) for e, r in self.runs() if r.id == key or e.path == norm]
        found += [(e, r) for e, r in self.sweep_points() if e.sweep.id == key]
        if not found:
            listed = ", ".join(sorted({r.id for _, r in self.runs()} | {e.path for e in self.entries}
                                      | {e.sweep.id for e in self.entries if e.sweep}))
            raise ManifestError(f"{display(self.file, self.root)}: {key!r} is not listed in the manifest; "
                                f"only listed notebooks are run (listed: {listed or 'none'})")
        return found


def display(path: Path, root: Path) -> str:
    """A path as messages show it: relative to the repository when inside it.

    Parameters
    ----------
    path, root : Path
        A file; the repository.

    Returns
    -------
    str
        The relative or, outside the repository, the given path.
    """
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def _where(data, path, shown: str) -> str:
    """'<file>: notebooks[2] (models/x.ipynb), runs[0] (quota-a)' for a location in the manifest."""
    where, node, parts = shown, data, list(path)
    i = 0
    while i < len(parts):
        key = parts[i]
        if key in ("notebooks", "runs", "invalid") and i + 1 < len(parts) and isinstance(parts[i + 1], int):
            idx = parts[i + 1]
            item = node[key][idx]
            label = "path" if key == "notebooks" else "id" if key == "runs" else None
            where += (": " if key == "notebooks" else ", ") + f"{key}[{idx}]"
            if label and isinstance(item, dict) and isinstance(item.get(label), str):
                where += f" ({item[label]})"
            node, i = item, i + 2
        elif key == "sweep" and isinstance(node, dict) and isinstance(node.get("sweep"), dict):
            sw = node["sweep"]
            where += ", sweep" + (f" {sw['id']!r}" if isinstance(sw.get("id"), str) else "")
            if i + 2 < len(parts) and parts[i + 1] == "grid" and isinstance(parts[i + 2], str):
                where += f", grid {parts[i + 2]!r}"
            break
        else:
            break
    return where


def _slug(value) -> str:
    text = str(value).lower() if not isinstance(value, bool) else ("true" if value else "false")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "x"


def _sweep(item: dict, runs: list[Run], where: str, taken: dict[str, str], rel: str) -> Sweep:
    """The entry's sweep, points expanded; ManifestError on a grid over its cap, an unknown base, a taken id."""
    import itertools

    sw = item["sweep"]
    where = f"{where}, sweep {sw['id']!r}"
    grid = {name: list(values) for name, values in sw["grid"].items()}
    size = 1
    for values in grid.values():
        size *= len(values)
    if size > sw["max_points"]:
        dims = " x ".join(f"{len(v)} {n}" for n, v in grid.items())
        raise ManifestError(f"{where}: the grid has {size} points ({dims}), more than its max_points "
                            f"{sw['max_points']}; narrow the grid or raise max_points (nothing was run)")
    for name, values in grid.items():
        seen = set()
        for v in values:
            if (type(v), v) in seen:
                raise ManifestError(f"{where}, grid {name!r}: value {v!r} is listed twice")
            seen.add((type(v), v))
    base_id = sw.get("base") or runs[0].id
    base = next((r for r in runs if r.id == base_id), None)
    if base is None:
        raise ManifestError(f"{where}: base {base_id!r} is not a run of this entry; expected one of "
                            + ", ".join(r.id for r in runs))
    fixed = dict(sw.get("parameters") or {})
    clash = sorted(set(fixed) & set(grid))
    if clash:
        raise ManifestError(f"{where}: parameter {clash[0]!r} is both fixed (parameters) and varied (grid); "
                            "keep it in one place")
    points = []
    for values in itertools.product(*grid.values()):
        pid = "-".join([sw["id"], *(_slug(v) for v in values)])
        if len(pid) > 80 or not RUN_ID.fullmatch(pid) or pid in taken:
            pid = f"{sw['id']}-{len(points) + 1:03d}"
        if pid in taken:
            raise ManifestError(f"{where}: its point id {pid!r} is already used by {taken[pid]}; rename the sweep")
        taken[pid] = f"the sweep {sw['id']!r} ({rel})"
        points.append(Run(pid, {**base.parameters, **fixed, **dict(zip(grid, values))}, site=False, sweep=sw["id"]))
    return Sweep(id=sw["id"], base=base.id, grid=grid, parameters=fixed, max_points=sw["max_points"],
                 points=points, title=sw.get("title"), headline=sw.get("headline"))


def _validator(schema: dict | None = None):
    """jsonschema's validator for SCHEMA, loaded without rfc3987_syntax (it builds a parser at import, 2.4 s
    without byte code, for an IRI format check this schema never asks for): a no-change rebuild stays fast."""
    blocked = "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    try:
        from jsonschema import Draft202012Validator
    finally:
        if blocked:
            del sys.modules["rfc3987_syntax"]
    return Draft202012Validator(SCHEMA if schema is None else schema)


_RULE_ORDER = {"additionalProperties": 0, "type": 1, "required": 2}


def schema_with_kinds(kinds: dict | None) -> dict:
    """manifest.schema.json with the collection's kinds: the enum of ``kind``, and each kind's ``entry`` rules.

    Parameters
    ----------
    kinds : dict or None
        The extension's KINDS (name -> {heading, label, folder, entry}); None or {} leaves the
        schema as it is (any lowercase word is a kind).

    Returns
    -------
    dict
        A JSON Schema (a new object; SCHEMA is not changed).
    """
    schema = copy.deepcopy(SCHEMA)
    if not kinds:
        return schema
    entry = schema["$defs"]["entry"]
    names = list(kinds)
    entry["properties"]["kind"] = {"enum": names, "x-message": f"kind {{value!r}} is not one of {', '.join(names)}"}
    entry["allOf"] = entry.get("allOf", []) + [
        {"if": {"properties": {"kind": {"const": name}}, "required": ["kind"]}, "then": spec["entry"]}
        for name, spec in kinds.items() if isinstance(spec, dict) and spec.get("entry")]
    return schema


def schema_problem(data, shown: str, kinds: dict | None = None) -> str | None:
    """The first way `data` breaks manifest.schema.json (with the collection's kinds), in the schema's words.

    Parameters
    ----------
    data : object
        The parsed manifest.
    shown : str
        The manifest's path as messages show it.
    kinds : dict, optional
        The extension's KINDS (see `schema_with_kinds`).

    Returns
    -------
    str or None
        ``'<file>: <entry>: <words>'`` for the first fault, in manifest order.
    """
    errors = list(_validator(schema_with_kinds(kinds)).iter_errors(data))
    if not errors:
        return None

    def leaf(err):  # allOf / if-then wrap the error that says what is wrong
        while err.context:
            err = sorted(err.context, key=lambda e: len(e.absolute_path))[0]
        return err

    def key(err):
        path = [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in err.absolute_path]
        return path, _RULE_ORDER.get(err.validator, 3)

    err = sorted((leaf(e) for e in errors), key=key)[0]
    schema = err.schema if isinstance(err.schema, dict) else {}
    words = (schema.get("x-messages") or {}).get(err.validator) or schema.get("x-message") or err.message
    inst = err.instance
    allowed = list(schema.get("properties") or {})
    missing = next((k for k in err.validator_value if k not in inst), "") if err.validator == "required" else ""
    extra = next((k for k in inst if k not in allowed), "") if err.validator == "additionalProperties" else ""
    text = words.format(value=None if err.validator == "required" else inst, missing=missing, extra=extra,
                        allowed=", ".join(allowed), typename=type(inst).__name__,
                        missing_why=(schema.get("x-missing-why") or {}).get(missing, ""))
    return f"{_where(data, list(err.absolute_path), shown)}: {text}"


def load(file: str | Path | None = None, root: str | Path | None = None, check_files: bool = True) -> Manifest:
    """Read and validate the manifest; raise ManifestError naming the entry on any problem.

    The collection's extension (``extension`` key, else the registered one) loads first: its KINDS decide the kinds.

    Parameters
    ----------
    file : str or Path, optional
        The manifest (default: root/notebooks/manifest.yml).
    root : str or Path, optional
        The repository (default: the current folder).
    check_files : bool, default True
        Require every listed notebook to exist.

    Returns
    -------
    Manifest
        The entries, runs and loaded extension.

    Raises
    ------
    ManifestError
        Naming file, line and column (syntax, duplicate keys) or the entry and fix (shape, kinds, paths, ids).
    nbreport.extension.ExtensionError
        When the extension cannot be imported.
    """
    root = Path(root or Path.cwd()).resolve()
    file = Path(file) if file else root / "notebooks" / "manifest.yml"
    shown = display(file, root)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{shown}: manifest file is missing") from None
    except UnicodeDecodeError as exc:
        raw = file.read_bytes()[:exc.start]
        line, col = raw.count(b"\n") + 1, len(raw[raw.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise ManifestError(f"{shown}, line {line}, column {col}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
                            "expected UTF-8") from None
    from nbreport.strictparse import ParseError, load_yaml  # refuses duplicate keys and impossible dates

    try:
        data = load_yaml(text, shown)
    except ParseError as exc:
        raise ManifestError(str(exc)) from None
    if data is None:
        data = {"notebooks": []}
    ext = _extension(data)
    # the shape: keys, types, kinds, run ids (manifest.schema.json and the collection's KINDS)
    problem = schema_problem(data, shown, ext.kinds if ext is not None else None)
    if problem:
        raise ManifestError(problem)

    # what a schema cannot say: paths stay inside notebooks/ and exist, paths and run ids are unique
    nb_dir = (root / "notebooks").resolve()
    entries: list[Entry] = []
    seen_paths: dict[str, str] = {}
    seen_runs: dict[str, str] = {}
    for i, item in enumerate(data.get("notebooks") or []):
        where = _where(data, ["notebooks", i], shown)
        rel = item["path"]
        if rel.startswith("/") or "\\" in rel or any(part in ("..", "") for part in rel.split("/")):
            raise ManifestError(f"{where}: path {rel!r} must be relative to notebooks/ "
                                "(no leading '/', no '..', forward slashes)")
        full = (nb_dir / rel).resolve()
        if nb_dir not in full.parents:
            raise ManifestError(f"{where}: path {rel!r} resolves outside notebooks/; only notebooks inside "
                                "notebooks/ are run")
        if check_files and not full.is_file():
            raise ManifestError(f"{where}: notebook file notebooks/{rel} does not exist")
        if rel in seen_paths:
            raise ManifestError(f"{where}: notebook {rel!r} is listed twice (also {seen_paths[rel]}); "
                                "put every parameter set under one entry's runs")
        seen_paths[rel] = f"notebooks[{i}]"
        runs: list[Run] = []
        for j, run in enumerate(item["runs"]):
            rid = run["id"]
            if rid in seen_runs:
                raise ManifestError(f"{_where(data, ['notebooks', i, 'runs', j], shown)}: duplicate run id "
                                    f"{rid!r} (already used by {seen_runs[rid]})")
            seen_runs[rid] = f"notebooks[{i}] ({rel})"
            runs.append(Run(rid, dict(run.get("parameters") or {}), run.get("site", True)))
        invalid = [Invalid(dict(bad["parameters"]), bad["error"]) for bad in item.get("invalid") or []]
        entries.append(Entry(path=rel, kind=item["kind"], runs=runs, source_id=item.get("source_id"),
                             title=item.get("title"), invalid=invalid, index=i))
    for i, item in enumerate(data.get("notebooks") or []):  # after every run id is known: point ids must not clash
        if item.get("sweep"):
            if item["sweep"]["id"] in seen_runs:
                raise ManifestError(f"{_where(data, ['notebooks', i], shown)}, sweep {item['sweep']['id']!r}: "
                                    f"its id is already used by {seen_runs[item['sweep']['id']]}")
            seen_runs[item["sweep"]["id"]] = f"the sweep of notebooks[{i}] ({item['path']})"
            entries[i].sweep = _sweep(item, entries[i].runs, _where(data, ["notebooks", i], shown), seen_runs,
                                      item["path"])
    return Manifest(file=file, root=root, entries=entries, extension=data.get("extension"), ext=ext)


def _extension(data):
    """The collection's extension the manifest names (or the registered one); None while the 'extension'
    key itself is malformed (the schema check then says so); ExtensionError when it cannot be imported."""
    from nbreport import extension as extension_mod

    name = data.get("extension") if isinstance(data, dict) else None
    pattern = SCHEMA["properties"]["extension"]["pattern"]
    if name is not None and not (isinstance(name, str) and re.fullmatch(pattern, name)):
        return None
    return extension_mod.load(name)


def unlisted_notebooks(manifest: Manifest) -> list[str]:
    """Notebooks in the collection's folders that the manifest does not list.

    The folders are the kinds' KINDS[...]["folder"] (e.g. notebooks/articles), else those of the listed notebooks.

    Parameters
    ----------
    manifest : Manifest
        A loaded manifest.

    Returns
    -------
    list of str
        Paths relative to notebooks/, sorted within each folder.
    """
    listed = {e.path for e in manifest.entries}
    kinds = manifest.ext.kinds if manifest.ext is not None else {}
    folders = [spec["folder"] for spec in kinds.values() if isinstance(spec, dict) and spec.get("folder")]
    if not folders:
        folders = sorted({p.rsplit("/", 1)[0] for p in listed if "/" in p})
    found = []
    for sub in dict.fromkeys(folders):
        folder = manifest.notebooks_dir / sub
        if folder.is_dir():
            for nb in sorted(folder.rglob("*.ipynb")):
                if ".ipynb_checkpoints" in nb.parts:
                    continue
                rel = nb.relative_to(manifest.notebooks_dir).as_posix()
                if rel not in listed:
                    found.append(rel)
    return found
