"""The manifest: the one list of notebooks and the parameter sets each is run with.

`notebooks/manifest.yml` is read by the report runner (`make report`), the site
index and the tests. Format (every key shown; anything else is refused):

    extension: helpers.report_extension     # optional: the collection's extension (nbreport.extension)
    notebooks:
      - path: models/quota_growth.ipynb      # relative to notebooks/, must exist
        kind: model                          # article | model
        title: Quota growth model            # models: the report's name on the site
        runs:
          - id: quota-mining                 # unique in the whole manifest; [a-z0-9][a-z0-9_-]*
            parameters: {stage: mining}      # optional; empty = the notebook's defaults
          - id: quota-smelting
            parameters: {stage: smelting}
            site: true                       # optional, default true; false = run by the tests only
        invalid:                             # optional: parameter sets that must be refused
          - parameters: {stage: refining}
            error: "unknown value 'refining'"   # a fragment of the refusal message
      - path: articles/reuters_2025_quota.ipynb
        kind: article
        source_id: reuters_2025_04           # articles: the article's id in data/sources.csv
        runs: [{id: reuters-2025-quota}]

This module only parses and validates (PyYAML and the standard library): the
no-change path of `make report` reads it without importing pandas or papermill.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = ("article", "model")
TOP_KEYS = ("notebooks", "extension")
ENTRY_KEYS = ("path", "kind", "source_id", "title", "runs", "invalid")
RUN_KEYS = ("id", "parameters", "site")
INVALID_KEYS = ("parameters", "error")
RUN_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ManifestError(ValueError):
    """The manifest is malformed; the message names the file, the entry and the fix."""


@dataclass(frozen=True)
class Run:
    id: str
    parameters: dict
    site: bool = True


@dataclass(frozen=True)
class Invalid:
    parameters: dict
    error: str


@dataclass
class Entry:
    path: str                      # relative to notebooks/, POSIX separators
    kind: str
    runs: list[Run]
    source_id: str | None = None
    title: str | None = None
    invalid: list[Invalid] = field(default_factory=list)
    index: int = 0                 # position in the manifest, for messages

    def label(self) -> str:
        return f"notebooks[{self.index}] ({self.path})"

    def run_label(self, run: Run) -> str:
        return f"{self.label()}, run {run.id!r}"


@dataclass
class Manifest:
    file: Path
    root: Path
    entries: list[Entry]
    extension: str | None = None   # the collection's extension module (nbreport.extension)
    ext: Any = None                # the loaded extension, set by nbreport.runner.preflight

    @property
    def notebooks_dir(self) -> Path:
        return self.root / "notebooks"

    def notebook_file(self, entry: Entry) -> Path:
        return self.notebooks_dir / entry.path

    def runs(self, site_only: bool = False) -> list[tuple[Entry, Run]]:
        """Every (entry, run) pair in manifest order; site_only drops `site: false` runs."""
        return [(e, r) for e in self.entries for r in e.runs if r.site or not site_only]

    def find(self, key: str) -> list[tuple[Entry, Run]]:
        """Runs selected by a run id or a notebook path (relative to notebooks/ or the root)."""
        key = key.strip().removeprefix("./")
        norm = key.removeprefix("notebooks/")
        found = [(e, r) for e, r in self.runs() if r.id == key or e.path == norm]
        if not found:
            listed = ", ".join(sorted({r.id for _, r in self.runs()} | {e.path for e in self.entries}))
            raise ManifestError(f"{display(self.file, self.root)}: {key!r} is not listed in the manifest; "
                                f"only listed notebooks are run (listed: {listed or 'none'})")
        return found


def display(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def _unknown(keys, allowed, where: str, what: str) -> None:
    extra = [k for k in keys if k not in allowed]
    if extra:
        raise ManifestError(f"{where}: unknown key {extra[0]!r} in {what}; expected {', '.join(allowed)}")


def _mapping(value: Any, where: str, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ManifestError(f"{where}: {what} must be a mapping like {{name: value}}, got {type(value).__name__}")
    for k in value:
        if not isinstance(k, str) or not PARAM_NAME.match(k):
            raise ManifestError(f"{where}: parameter name {k!r} is not a valid Python name")
    return dict(value)


def load(file: str | Path | None = None, root: str | Path | None = None, check_files: bool = True) -> Manifest:
    """Read and validate the manifest; raise ManifestError naming the entry on any problem.

    root: the repository (default: the current folder); file: default root/notebooks/manifest.yml.
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
    if not isinstance(data, dict):
        raise ManifestError(f"{shown}: expected a mapping with the key 'notebooks' at the top")
    _unknown(data, TOP_KEYS, shown, "the top level")
    items = data.get("notebooks")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ManifestError(f"{shown}: 'notebooks' must be a list of entries")

    nb_dir = (root / "notebooks").resolve()
    entries: list[Entry] = []
    seen_paths: dict[str, str] = {}
    seen_runs: dict[str, str] = {}
    for i, item in enumerate(items):
        where = f"{shown}: notebooks[{i}]"
        if not isinstance(item, dict):
            raise ManifestError(f"{where}: each entry must be a mapping with path, kind and runs")
        if isinstance(item.get("path"), str):
            where += f" ({item['path']})"
        _unknown(item, ENTRY_KEYS, where, "a notebook entry")
        for key in ("path", "kind", "runs"):
            if key not in item:
                raise ManifestError(f"{where}: missing required key {key!r}")
        rel = item["path"]
        if not isinstance(rel, str) or not rel.strip():
            raise ManifestError(f"{where}: 'path' must be a notebook path relative to notebooks/")
        if rel.startswith("/") or "\\" in rel or any(part in ("..", "") for part in rel.split("/")):
            raise ManifestError(f"{where}: path {rel!r} must be relative to notebooks/ "
                                "(no leading '/', no '..', forward slashes)")
        if not rel.endswith(".ipynb"):
            raise ManifestError(f"{where}: path {rel!r} is not a notebook (.ipynb)")
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

        kind = item["kind"]
        if kind not in KINDS:
            raise ManifestError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        source_id, title = item.get("source_id"), item.get("title")
        if kind == "article":
            if not isinstance(source_id, str) or not source_id.strip():
                raise ManifestError(f"{where}: an article needs 'source_id' (its id in data/sources.csv)")
            if title is not None:
                raise ManifestError(f"{where}: 'title' is for models; an article's title comes from "
                                    "data/sources.csv via its source_id")
        else:
            if not isinstance(title, str) or not title.strip():
                raise ManifestError(f"{where}: a model needs 'title' (what the report is called on the site)")
            if source_id is not None:
                raise ManifestError(f"{where}: 'source_id' is for articles; a model has a 'title'")

        runs_raw = item["runs"]
        if not isinstance(runs_raw, list) or not runs_raw:
            raise ManifestError(f"{where}: 'runs' must be a non-empty list of {{id, parameters}}")
        runs: list[Run] = []
        for j, run in enumerate(runs_raw):
            rwhere = f"{where}, runs[{j}]"
            if not isinstance(run, dict):
                raise ManifestError(f"{rwhere}: each run must be a mapping with an id")
            if isinstance(run.get("id"), str):
                rwhere += f" ({run['id']})"
            _unknown(run, RUN_KEYS, rwhere, "a run")
            rid = run.get("id")
            if not isinstance(rid, str) or not RUN_ID.match(rid):
                raise ManifestError(f"{rwhere}: run id {rid!r} must be lowercase letters, digits, '-' or '_' "
                                    "(it names the report's files)")
            if rid in seen_runs:
                raise ManifestError(f"{rwhere}: duplicate run id {rid!r} (already used by {seen_runs[rid]})")
            seen_runs[rid] = f"notebooks[{i}] ({rel})"
            site = run.get("site", True)
            if not isinstance(site, bool):
                raise ManifestError(f"{rwhere}: 'site' must be true or false, got {site!r}")
            runs.append(Run(rid, _mapping(run.get("parameters"), rwhere, "'parameters'"), site))

        invalid_raw = item.get("invalid") or []
        if not isinstance(invalid_raw, list):
            raise ManifestError(f"{where}: 'invalid' must be a list of {{parameters, error}}")
        invalid: list[Invalid] = []
        for j, bad in enumerate(invalid_raw):
            iwhere = f"{where}, invalid[{j}]"
            if not isinstance(bad, dict):
                raise ManifestError(f"{iwhere}: expected a mapping with parameters and error")
            _unknown(bad, INVALID_KEYS, iwhere, "an invalid parameter set")
            if "parameters" not in bad or not bad["parameters"]:
                raise ManifestError(f"{iwhere}: missing 'parameters' (the values that must be refused)")
            err = bad.get("error")
            if not isinstance(err, str) or not err.strip():
                raise ManifestError(f"{iwhere}: missing 'error' (a fragment of the expected refusal message)")
            invalid.append(Invalid(_mapping(bad["parameters"], iwhere, "'parameters'"), err))

        entries.append(Entry(path=rel, kind=kind, runs=runs, source_id=source_id, title=title,
                             invalid=invalid, index=i))
    ext = data.get("extension")
    if ext is not None and (not isinstance(ext, str) or not re.match(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$", ext)):
        raise ManifestError(f"{shown}: 'extension' must be a module name such as helpers.report_extension, "
                            f"got {ext!r}")
    return Manifest(file=file, root=root, entries=entries, extension=ext)


def unlisted_notebooks(manifest: Manifest) -> list[str]:
    """Notebooks under notebooks/articles and notebooks/models that the manifest does not list."""
    listed = {e.path for e in manifest.entries}
    found = []
    for sub in ("articles", "models"):
        folder = manifest.notebooks_dir / sub
        if folder.is_dir():
            for nb in sorted(folder.rglob("*.ipynb")):
                if ".ipynb_checkpoints" in nb.parts:
                    continue
                rel = nb.relative_to(manifest.notebooks_dir).as_posix()
                if rel not in listed:
                    found.append(rel)
    return found
