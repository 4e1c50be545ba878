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
nbreport.strictparse refuses syntax errors, duplicate keys and impossible dates with line and column, and
keeps where every key and value stands (`Manifest.at`): every refusal here, and the collection's checks of
runs, invalid sets and sweeps, start with ``"<file>, line L, column C: "`` of the key or value they refuse.
Only parsing and validation here (the records it builds, Entry, Run, Sweep and Invalid, are in
nbreport.manifest_records): a no-change `make report` reads it without pandas or papermill.
"""
from __future__ import annotations

import copy
import difflib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbreport.manifest_records import Entry, Invalid, Run, Sweep  # the records; importable from here too
from nbreport.strictparse import ParseError, display, load_yaml, located  # light: PyYAML is imported when a file is read

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
    marks : nbreport.strictparse.Marks, optional
        Where each key and value of the file stands (set by `load`), for `at`.
    """
    file: Path
    root: Path
    entries: list[Entry]
    extension: str | None = None   # the collection's extension module (nbreport.extension)
    ext: Any = None                # the loaded extension (nbreport.extension.Extension), set by load
    marks: Any = None              # nbreport.strictparse.Marks of the file, set by load

    def at(self, *path, key: bool = False) -> str:
        """Where a key or value of the manifest stands, as every message about it starts.

        Parameters
        ----------
        *path : str or int
            Its data path: ``at("notebooks", 0, "runs", 1, "parameters", "first_year")``.
        key : bool, default False
            The key's position (an unknown or refused name) rather than the value's.

        Returns
        -------
        str
            ``"notebooks/manifest.yml, line 40, column 73"`` (the nearest recorded parent when the path
            is not in the file, e.g. a default; only the file for a manifest built in code).
        """
        shown = display(self.file, self.root)
        return self.marks.locate(shown, path, key) if self.marks is not None else shown

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
        """Runs selected by a run id, a sweep id (its points), a sweep point's id or a notebook path (relative to notebooks/ or the root).

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
        asked = key
        key = key.strip().removeprefix("./")
        norm = key.removeprefix("notebooks/")
        found = [(e, r) for e, r in self.runs() if r.id == key or e.path == norm]
        found += [(e, r) for e, r in self.sweep_points() if key in (e.sweep.id, r.id)]
        if not found:
            names = sorted({r.id for _, r in self.runs() + self.sweep_points()} | {e.path for e in self.entries}
                           | {e.sweep.id for e in self.entries if e.sweep})
            close = difflib.get_close_matches(norm, names, n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else "."
            raise ManifestError(f"{asked!r} is not a run id, sweep id, sweep point or notebook path listed in "
                                f"{display(self.file, self.root)}, and only listed notebooks are run{hint} "
                                "`python -m nbreport --list` lists them all.")
        return found


def _where(data, path, place: str) -> str:
    """'<place>: notebooks[2] (models/x.ipynb), runs[0] (quota-a)' for a location in the manifest
    (place: the file, line and column, `Manifest.at`)."""
    where, node, parts = place, data, list(path)
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


def _sweep(item: dict, runs: list[Run], where, taken: dict[str, str], rel: str) -> Sweep:
    """The entry's sweep, points expanded; ManifestError on a grid over its cap, an unknown base, a taken id.
    ``where(part, key=False)``: the entry's label, placed at a key or value of the sweep (e.g. ``("base",)``)."""
    import itertools

    sw = item["sweep"]

    def at(*part, key: bool = False) -> str:
        return f"{where(part, key=key)}, sweep {sw['id']!r}"

    grid = {name: list(values) for name, values in sw["grid"].items()}
    size = 1
    for values in grid.values():
        size *= len(values)
    if size > sw["max_points"]:
        dims = " x ".join(f"{len(v)} {n}" for n, v in grid.items())
        raise ManifestError(f"{at('grid', key=True)}: the grid has {size} points ({dims}), more than its max_points "
                            f"{sw['max_points']}; narrow the grid or raise max_points (nothing was run)")
    for name, values in grid.items():
        seen = set()
        for k, v in enumerate(values):
            if (type(v), v) in seen:
                raise ManifestError(f"{at('grid', name, k)}, grid {name!r}: value {v!r} is listed twice")
            seen.add((type(v), v))
    base_id = sw.get("base") or runs[0].id
    base = next((r for r in runs if r.id == base_id), None)
    if base is None:
        raise ManifestError(f"{at('base')}: base {base_id!r} is not a run of this entry; expected one of "
                            + ", ".join(r.id for r in runs))
    fixed = dict(sw.get("parameters") or {})
    clash = sorted(set(fixed) & set(grid))
    if clash:
        raise ManifestError(f"{at('parameters', clash[0], key=True)}: parameter {clash[0]!r} is both fixed "
                            "(parameters) and varied (grid); keep it in one place")
    points = []
    for values in itertools.product(*grid.values()):
        pid = "-".join([sw["id"], *(_slug(v) for v in values)])
        if len(pid) > 80 or not RUN_ID.fullmatch(pid) or pid in taken:
            pid = f"{sw['id']}-{len(points) + 1:03d}"
        if pid in taken:
            raise ManifestError(f"{at('id')}: its point id {pid!r} is already used by {taken[pid]}; rename the sweep")
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


def schema_problem(data, shown: str, kinds: dict | None = None, marks=None) -> str | None:
    """The first way `data` breaks manifest.schema.json (with the collection's kinds), in the schema's words.

    Parameters
    ----------
    data : object
        The parsed manifest.
    shown : str
        The manifest's path as messages show it.
    kinds : dict, optional
        The extension's KINDS (see `schema_with_kinds`).
    marks : nbreport.strictparse.Marks, optional
        Where each key and value stands: the message then names the line and column of the fault
        (an unknown or badly named key: the key; a missing key: its mapping; else the value).

    Returns
    -------
    str or None
        ``'<file>, line L, column C: <entry>: <words>'`` for the first fault, in manifest order.
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
                        allowed=", ".join(allowed), typename="nothing (an empty value)" if inst is None
                        else type(inst).__name__,
                        missing_why=(schema.get("x-missing-why") or {}).get(missing, ""))
    path, on_key = tuple(err.absolute_path), False
    if err.validator == "additionalProperties":  # an unknown key: point at it
        path, on_key = path + (extra,), True
    elif "propertyNames" in err.absolute_schema_path:  # a badly formed name: the instance is the name
        path, on_key = path + (inst,), True
    elif inst is None and path:  # a key left without a value: point at the key (the value has no place)
        on_key = True
    place = marks.locate(shown, path, key=on_key) if marks is not None else shown
    return f"{_where(data, list(err.absolute_path), place)}: {text}"


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
        Naming file, line and column of the key or value at fault, the entry and the fix (syntax,
        duplicate keys, shape, kinds, paths, ids, sweeps).
    nbreport.extension.ExtensionError
        When the extension cannot be imported (placed at the ``extension`` key's value).
    """
    root = Path(root or Path.cwd()).resolve()
    file = Path(file) if file else root / "notebooks" / "manifest.yml"
    shown = display(file, root)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{shown}: manifest file is missing"
                            + ("" if Path(shown).is_absolute() else f" (looked for {file})")) from None
    except OSError as exc:  # a folder, a symbolic link loop, no permission
        raise ManifestError(f"{shown}: the manifest cannot be read ({exc.strerror or exc}); expected a YAML file") from None
    except UnicodeDecodeError as exc:
        raw = file.read_bytes()[:exc.start]
        line, col = raw.count(b"\n") + 1, len(raw[raw.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise ManifestError(f"{located(shown, line, col)}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x}); "
                            "expected UTF-8") from None
    try:
        data, marks = load_yaml(text, shown, marks=True)
    except ParseError as exc:
        raise ManifestError(str(exc)) from None
    if data is None:
        data = {"notebooks": []}

    def where(path, at=None, key=False) -> str:  # '<file>, line L, column C: notebooks[i] (...)': at `at` (or path)
        return _where(data, path, marks.locate(shown, path if at is None else at, key))

    ext = _extension(data, marks.locate(shown, ("extension",) if isinstance(data, dict) and "extension" in data
                                        else ()))
    # the shape: keys, types, kinds, run ids (manifest.schema.json and the collection's KINDS)
    problem = schema_problem(data, shown, ext.kinds if ext is not None else None, marks)
    if problem:
        raise ManifestError(problem)
    if not data.get("notebooks"):  # an emptied or truncated manifest would publish an empty site
        raise ManifestError(f"{marks.locate(shown, ('notebooks',) if 'notebooks' in data else (), key=True)}: the manifest lists "
                            "no notebook; expected a 'notebooks' list with at least one entry (path, kind, runs), "
                            "as in the comments at the top of notebooks/manifest.yml")

    # what a schema cannot say: paths stay inside notebooks/ and exist, paths and run ids are unique
    nb_dir = (root / "notebooks").resolve()
    entries: list[Entry] = []
    seen_paths: dict[object, str] = {}
    seen_runs: dict[str, str] = {}
    for i, item in enumerate(data.get("notebooks") or []):
        here = where(["notebooks", i], at=("notebooks", i, "path"))
        rel = item["path"]
        if rel.startswith("/") or "\\" in rel or any(part in ("..", ".", "") for part in rel.split("/")):
            raise ManifestError(f"{here}: path {rel!r} must be relative to notebooks/ and written plainly "
                                "(no leading '/', no '.' or '..' part, no '//', forward slashes)")
        try:
            full = (nb_dir / rel).resolve()
        except (RuntimeError, OSError) as exc:  # a symbolic link loop
            raise ManifestError(f"{here}: path {rel!r} cannot be followed ({exc}); expected a notebook file") from None
        if nb_dir not in full.parents:
            raise ManifestError(f"{here}: path {rel!r} resolves outside notebooks/; only notebooks inside "
                                "notebooks/ are run")
        if check_files and not full.is_file():
            there = sorted(str(q.relative_to(nb_dir)) for q in nb_dir.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts)
            near = difflib.get_close_matches(rel, there, n=1, cutoff=0.6) or [q for q in there if q.lower() == rel.lower()]
            what = "is a folder" if full.is_dir() else "does not exist"
            raise ManifestError(f"{here}: notebook file notebooks/{rel} {what}"
                                + (f" (did you mean {near[0]!r}?)" if near else ""))
        try:  # the file, not its spelling: a symbolic or hard link to a listed notebook is the same notebook
            st = full.stat()
            ident: object = (st.st_dev, st.st_ino)
        except OSError:
            ident = str(full)
        same = seen_paths.get(ident)
        if same:
            raise ManifestError(f"{here}: notebook {rel!r} is listed twice (also {same}); "
                                "put every parameter set under one entry's runs")
        seen_paths[ident] = f"notebooks[{i}] ({rel})"
        runs: list[Run] = []
        for j, run in enumerate(item["runs"]):
            rid = run["id"]
            if rid in seen_runs:
                raise ManifestError(f"{where(['notebooks', i, 'runs', j], at=('notebooks', i, 'runs', j, 'id'))}: "
                                    "duplicate run id "
                                    f"{rid!r} (already used by {seen_runs[rid]})")
            seen_runs[rid] = f"a run of notebooks[{i}] ({rel})"
            runs.append(Run(rid, dict(run.get("parameters") or {}), run.get("site", True)))
        invalid = [Invalid(dict(bad["parameters"]), bad["error"]) for bad in item.get("invalid") or []]
        entries.append(Entry(path=rel, kind=item["kind"], runs=runs, source_id=item.get("source_id"),
                             title=item.get("title"), invalid=invalid, index=i))
    for i, item in enumerate(data.get("notebooks") or []):  # after every run id is known: point ids must not clash
        if item.get("sweep"):
            sid = item["sweep"]["id"]
            if sid in seen_runs:
                raise ManifestError(f"{where(['notebooks', i], at=('notebooks', i, 'sweep', 'id'))}, sweep {sid!r}: "
                                    f"its id is already used by {seen_runs[sid]}")
            seen_runs[sid] = f"the sweep of notebooks[{i}] ({item['path']})"

            def in_sweep(part: tuple, key: bool = False, i: int = i) -> str:  # the entry, placed in its sweep
                return where(["notebooks", i], ("notebooks", i, "sweep", *part), key)

            entries[i].sweep = _sweep(item, entries[i].runs, in_sweep, seen_runs, item["path"])
    return Manifest(file=file, root=root, entries=entries, extension=data.get("extension"), ext=ext, marks=marks)


def _extension(data, place: str):
    """The collection's extension the manifest names (or the registered one); None while the 'extension'
    key itself is malformed (the schema check then says so); ExtensionError, starting with `place` (where
    the key's value stands), when it cannot be imported."""
    from nbreport import extension as extension_mod

    name = data.get("extension") if isinstance(data, dict) else None
    pattern = SCHEMA["properties"]["extension"]["pattern"]
    if name is not None and not (isinstance(name, str) and re.fullmatch(pattern, name)):
        return None
    try:
        return extension_mod.load(name)
    except extension_mod.ExtensionError as exc:
        raise extension_mod.ExtensionError(f"{place}: {exc}") from None


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
