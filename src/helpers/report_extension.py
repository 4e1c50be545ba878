"""The rare-earth collection's side of the report builder (nbreport.extension): claims, data, parameters.

nbreport runs notebooks and writes the site; it imports nothing from helpers. The manifest names
this module (`extension: helpers.report_extension`) and the builder calls what it defines:

- the kinds of notebook the manifest may list (`KINDS`: article and model, their index headings,
  folders and the keys each needs), which nbreport.manifest adds to its schema;
- before anything executes: the data checks of helpers.data (`check_data`), every run's parameters
  against its notebook's `parameters` cell (`check_parameters`, helpers.parameters), and every
  article's source_id against data/sources.csv (`check_manifest`);
- once per build, in a worker: the claims results (`claims_job`, helpers.claims) -> build/claims.csv
  and one summary line per article;
- on the site: each card's title, outlet and date from data/sources.csv (`describe`), the claims
  line on article cards and pages, and the data page (`write_pages`: month-by-month coverage of each
  monthly series (helpers.coverage), data dictionary, the curated tables, claims.csv,
  datapackage.json), from the templates in report_templates/.

Importing this module is light (no pandas): the no-change rebuild imports it.
"""
from __future__ import annotations

import copy
import csv
import io
import json
import os
from pathlib import Path

from helpers.plots import CHART_CACHE_SWITCH
from helpers.sweep_check import check_sweep  # noqa: F401  (a sweep's grid, before anything runs: nbreport.sweep)

PACKAGE = "helpers"
SITE_NAME = "China rare earths: research notebooks"
TEMPLATES = Path(__file__).with_name("report_templates")
NAV = [("data", "data.html", "Data")]
SWITCHES = (CHART_CACHE_SWITCH,)  # on/off settings the collection's code reads, checked before a build
# What every notebook's kernel finds already imported (nbreport's warm kernels fork each kernel from a
# process that imported these once): the heavy libraries and the helpers the notebooks import.
PREIMPORT = ["numpy", "pandas", "scipy.stats", "matplotlib", "matplotlib.pyplot", "matplotlib_inline.backend_inline",
             "seaborn", "statsmodels.api", "helpers.parameters", "helpers.articles", "helpers.data",
             "helpers.narrative", "helpers.models", "helpers.models.results", "helpers.models.findings",
             "helpers.plots.theme", "helpers.plots.figures", "helpers.plots.model_charts", "helpers.claims"]
CLAIMS_SCHEMA = Path(__file__).with_name("claims_results.schema.json")
DATA_CHECK_HINT = "`make check-data` lists every problem"
#: The kinds of notebook in notebooks/manifest.yml (nbreport.extension, KINDS): index heading, kind
#: line, folder, and the keys an entry of that kind must have or must not have (JSON Schema, with the
#: words a reader gets in x-message / x-messages, checked by nbreport.manifest).
_NEEDS_SOURCE_ID = "an article needs 'source_id' (its id in data/sources.csv)"  # one message whether the key is absent or blank
_NEEDS_TITLE = "a model needs 'title' (what the report is called on the site)"
# untimed_seconds: a run's expected time before a build has timed it, which orders a cold build's
# queue (longest first): measured in a cold build on two cores (make bench, December 2026), model
# runs took 2.5-5.4 s and article runs 1.6-2.8 s; with both alike, the model runs (listed last) ran
# last and the last one ran alone for 4 s.
KINDS = {
    "article": {
        "heading": "Articles checked", "label": "Article check", "folder": "articles", "untimed_seconds": 2.5,
        "entry": {"required": ["source_id"],
                  "x-messages": {"required": _NEEDS_SOURCE_ID},
                  "properties": {
                      "source_id": {"type": "string", "pattern": "\\S",
                                    "x-message": _NEEDS_SOURCE_ID},
                      "title": {"not": {}, "x-message": "'title' is for models; an article's title comes from "
                                                        "data/sources.csv via its source_id"}}}},
    "model": {
        "heading": "Models", "label": "Model", "folder": "models", "untimed_seconds": 5.0,
        "entry": {"required": ["title"],
                  "x-messages": {"required": _NEEDS_TITLE},
                  "properties": {
                      "title": {"type": "string", "pattern": "\\S",
                                "x-message": _NEEDS_TITLE},
                      "source_id": {"not": {}, "x-message": "'source_id' is for articles; a model has a 'title'"}}}},
}
CLAIMS_COLUMNS = ["article", "publisher", "published", "claim", "stated", "unit", "recomputed", "status"]
# what the data page shows of claims.csv (which keeps every column): column -> heading
CLAIMS_SHOWN = {"publisher": "outlet", "published": "published", "claim": "phrase in the article",
                "stated_text": "article says", "recomputed": "data give", "status": "result"}
# the chip colour of each status helpers.claims emits (claims_results.schema.json lists them)
STATUS_CLASS = {"reproduced": "good", "within_rounding": "good", "differs": "bad", "not_checkable": ""}


def _missing_alt_hint() -> str:
    return " (use <code>helpers.charts.show(fig, alt=...)</code>)"


MISSING_ALT_HINT = _missing_alt_hint()


# --------------------------------------------------------------------------- before anything runs

def sources(root: Path) -> dict[str, dict]:
    """data/sources.csv by source_id ({} when absent); read with csv, so no pandas.

    Parameters
    ----------
    root : Path
        The repository.

    Returns
    -------
    dict of str to dict
        Each source's row (column to text).
    """
    path = Path(root) / "data" / "sources.csv"
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {row.get("source_id", ""): row for row in csv.DictReader(f)}


def check_data(root: Path) -> list[str]:
    """The loaders' own checks of data/ and the claims ledger's recipes, without pandas, as messages.

    The same checks as `make check-data` (helpers.data.validate_all, then
    helpers.claims.ledger_check when the tables are sound): a recipe that cannot be checked stops
    the build before anything runs, instead of failing the claims job after every notebook ran.

    Parameters
    ----------
    root : Path
        The repository.

    Returns
    -------
    list of str
        One message per problem (file, line, column, what was expected); empty when clean.
    """
    from helpers import data as data_mod

    try:
        found = data_mod.validate_all(Path(root) / "data")
        if found:
            return [str(p) for p in found]
        from helpers.claims.ledger_check import ledger_problems

        return [str(p) for p in ledger_problems(Path(root) / "data")]
    except data_mod.DataError as exc:
        return [str(exc)]


def check_manifest(manifest) -> list[str]:
    """Every article entry's source_id is a row of data/sources.csv.

    Parameters
    ----------
    manifest : nbreport.manifest.Manifest
        The loaded manifest.

    Returns
    -------
    list of str
        One message per unknown source_id, naming the entry (and the value's line and column).
    """
    known = sources(manifest.root)
    return [f"{manifest.at('notebooks', entry.index, 'source_id')}: {entry.label()}: source_id {entry.source_id!r} "
            "is not in data/sources.csv"
            for entry in manifest.entries if entry.kind == "article" and known and entry.source_id not in known]


def check_parameters(manifest, data: bool = True, runs: set[str] | None = None) -> list[str]:
    """Check every run against its notebook's ``parameters`` cell, and that every ``invalid`` set is refused.

    Nothing is executed: this reads the notebooks' JSON (and, unless data=False, counts what
    data/ holds for the cells' ``# requires:`` lines). With data=False an invalid set that only a
    data count can refuse is not confirmed here (the full check, ``python -m nbreport --check``
    and the tests, does).

    Parameters
    ----------
    manifest : nbreport.manifest.Manifest
        The loaded manifest.
    data : bool, default True
        Include the checks that count what data/ holds.
    runs : set of str, optional
        Check only these run ids, and skip the ``invalid`` sets.

    Returns
    -------
    list of str
        The problems (empty when all is well); each names the manifest entry, and the line and column
        of the value refused (of the name, when the notebook takes no such parameter).
    """
    from helpers.parameters import ParameterError, check, read_spec
    from helpers.sweep_check import refused_at

    problems: list[str] = []
    for entry in manifest.entries:
        at = ("notebooks", entry.index)
        try:
            spec = read_spec(manifest.notebook_file(entry))
        except (ParameterError, SyntaxError, ValueError, OSError) as exc:
            problems.append(f"{manifest.at(*at, 'path')}: {entry.label()}: cannot read the notebook's parameters "
                            f"cell: {exc}")
            continue
        for j, run in enumerate(entry.runs):
            if runs is not None and run.id not in runs:
                continue
            try:
                check(spec, run.parameters, where=entry.run_label(run), data=data)
            except ParameterError as exc:
                path, key = refused_at(exc, at + ("runs", j), run.parameters, spec)
                problems.append(f"{manifest.at(*path, key=key)}: {exc}")
        if runs is not None:
            continue
        for j, bad in enumerate(entry.invalid):
            try:
                check(spec, bad.parameters, data=data)
            except ParameterError as exc:
                if bad.error not in str(exc):
                    problems.append(f"{manifest.at(*at, 'invalid', j, 'error')}: {entry.label()}, invalid[{j}]: "
                                    f"refused, but with the message {str(exc)!r}, which does not contain {bad.error!r}")
            else:
                if not data and any(r.reads_data for r in spec.requires):
                    continue
                problems.append(f"{manifest.at(*at, 'invalid', j, 'parameters')}: {entry.label()}, invalid[{j}]: "
                                f"parameters {bad.parameters} were accepted, but the manifest says they must be "
                                "refused")
    return problems



def parameters(notebook: Path, given: dict) -> list[tuple[str, object, bool]]:
    """Every parameter of the notebook with the value a run uses.

    Parameters
    ----------
    notebook : Path
        The notebook file.
    given : dict
        The run's parameters from the manifest.

    Returns
    -------
    list of (str, object, bool)
        ``(name, value, is_default)``; the manifest's values when the parameters cell cannot be
        read (the page still shows what the manifest set).
    """
    try:
        from helpers.parameters import read_spec
        spec = read_spec(notebook)
    except Exception:  # noqa: BLE001
        return [(k, v, False) for k, v in given.items()]
    return [(name, given.get(name, p.default), name not in given) for name, p in spec.params.items()]


# --------------------------------------------------------------------------- the site

def describe(entry, root: Path, results: dict) -> dict:
    """What the site shows of an entry: title and kind line; for an article also outlet, date, address.

    Parameters
    ----------
    entry : nbreport.manifest.Entry
        The manifest entry.
    root : Path
        The repository (data/sources.csv is read).
    results : dict
        The claims job's result (``summaries`` by source_id, ``status``).

    Returns
    -------
    dict
        ``title``, ``kind_line``; for an article also ``outlet``, ``date``, ``address``,
        ``claims_line`` and ``notebook_heading`` (False: the notebook's first heading is not the
        page's subtitle).
    """
    if entry.kind != "article":
        return {"title": entry.title, "kind_line": "Model"}
    src = sources(root).get(entry.source_id, {})
    outlet, date = src.get("publisher", ""), src.get("published", "") or "undated"
    line = (results.get("summaries") or {}).get(entry.source_id, "")
    if not line and results.get("status") == "failed":
        line = "Claims check failed (see the data page)"
    # the notebook's own first heading ("Outlet, date: headline", for JupyterLab) says again what the
    # page's title and byline say: it is not shown as the page's subtitle
    return {"title": src.get("title") or entry.source_id, "outlet": outlet, "date": date,
            "address": src.get("address", ""), "claims_line": line, "notebook_heading": False,
            "kind_line": " · ".join(x for x in (KINDS["article"]["label"], outlet, date) if x)}


def results_job(manifest) -> dict:
    """The claims job the builder runs once per build in a worker (see `claims_job`).

    Parameters
    ----------
    manifest : nbreport.manifest.Manifest
        The loaded manifest.

    Returns
    -------
    dict
        ``target`` (``"module:function"``) and ``articles`` (the source ids of its articles).
    """
    return {"target": "helpers.report_extension:claims_job",
            "articles": sorted({e.source_id for e in manifest.entries if e.kind == "article"})}


def claims_job(job: dict) -> dict:
    """The claims results (job["out_csv"]) and helpers.claims.summary() per article; runs in a worker.

    Parameters
    ----------
    job : dict with ``data_dir`` (the curated tables), ``out_csv`` (where claims.csv goes) and
        ``articles`` (source ids of the manifest's articles).

    Returns
    -------
    dict with ``status`` (ok | partial | failed), ``message``, ``summaries`` ({source_id: line})
    and ``rows``. A broken ledger is reported (status failed), never raised: the reports still build.
    """
    from helpers import claims as claims_mod

    data_dir = Path(job["data_dir"])
    try:
        frame = claims_mod.check_claims(data_dir=data_dir)
    except Exception as exc:  # noqa: BLE001
        return {"status": "failed", "summaries": {}, "rows": 0,
                "message": f"the claims checker failed: {type(exc).__name__}: {exc}"}
    import pandas as pd

    frame = pd.DataFrame(frame).copy()
    missing = [c for c in CLAIMS_COLUMNS if c not in frame.columns]
    for col in missing:
        frame[col] = pd.Series(dtype="object")
    frame = frame[CLAIMS_COLUMNS + [c for c in frame.columns if c not in CLAIMS_COLUMNS]]
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    out = Path(job["out_csv"])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_bytes(buf.getvalue().encode("utf-8"))
    os.replace(tmp, out)

    summaries: dict[str, str] = {}
    for sid in job.get("articles", []):
        rows = frame[frame["article"].astype(str) == sid]
        if rows.empty:
            summaries[sid] = "No numbers in the claims ledger yet"
            continue
        try:
            line = claims_mod.summary(sid, data_dir=data_dir, checked=frame)
        except Exception:  # noqa: BLE001
            line = None
        if not isinstance(line, str) or not line.strip():
            good = int(rows["status"].astype(str).isin(["reproduced"]).sum())
            line = f"{good} of {len(rows)} numbers reproduce"
        summaries[sid] = line.strip()
    message = f"columns missing from check_claims(): {', '.join(missing)}" if missing and len(frame) else ""
    return {"status": "partial" if message else "ok", "message": message, "summaries": summaries,
            "rows": int(len(frame))}


def published_package(package: dict | None) -> dict:
    """The site's datapackage.json: the curated tables (under data/) and claims.csv, each with its schema.

    Parameters
    ----------
    package : dict or None
        data/datapackage.json as read, or None when it cannot be read.

    Returns
    -------
    dict
        A new descriptor with paths under ``data/`` and the claims results' resource.
    """
    pkg = copy.deepcopy(package) if package else {"name": "china-rare-earths", "resources": []}
    for res in pkg.get("resources", []):
        res["path"] = f"data/{res['path']}"
    schema = json.loads(CLAIMS_SCHEMA.read_text(encoding="utf-8"))
    schema.pop("$comment", None)
    pkg["resources"].append({
        "name": "claims_results", "path": "claims.csv", "profile": "tabular-data-resource",
        "title": "Claims checked against the data",
        "description": "Every number the articles state, recomputed from the curated tables by helpers.claims: "
                       "numbers in number columns, the printed text in its own columns.",
        "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", "schema": schema})
    return pkg


def code_spans(text):
    """Escape, then show ``backticked`` parts as code (the data dictionary's allowed values).

    Parameters
    ----------
    text : object
        Text (made a str).

    Returns
    -------
    markupsafe.Markup
        Escaped HTML, safe for autoescaping templates.
    """
    import html
    import re

    from markupsafe import Markup

    return Markup(re.sub(r"`([^`]*)`", r"<code>\1</code>", html.escape(str(text), quote=True)))


def _read_csv(path: Path) -> tuple[list[str], list[dict]]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            return list(reader.fieldnames or []), rows
    except (OSError, UnicodeDecodeError, csv.Error):
        return [], []


def _table_info(root: Path, res: dict, withheld) -> dict:
    """What the data page says of one declared table: rows and size, withheld, or absent; its rules."""
    from helpers.data import field_rules

    path = Path(root) / "data" / res.get("path", "")
    held = f"data/{res.get('path')}" in withheld
    rows = size = None
    if path.is_file() and not held:
        with open(path, newline="", encoding="utf-8", errors="replace") as f:
            rows = max(0, sum(1 for _ in csv.reader(f)) - 1)
        size = path.stat().st_size / 1024
    fields = [{**fld, "rules": field_rules(fld)} for fld in res.get("schema", {}).get("fields", [])]
    return {"res": res, "schema": res.get("schema", {}), "rows": rows, "size": size, "held": held, "fields": fields}


def write_pages(site) -> None:
    """The data page and its downloads, written through the builder's site writer.

    data/datapackage.json and the tables it declares (nothing else from data/, and none of
    ``site.withheld``), claims.csv, the published datapackage.json and data.html.

    Parameters
    ----------
    site : nbreport.site.Writer
        The builder's writer (``cfg``, ``withheld``, ``results``, and the methods that write files).
    """
    cfg, withheld, results = site.cfg, site.withheld, site.results
    data_dir = cfg.root / "data"
    package = None
    if (data_dir / "datapackage.json").is_file() and "data/datapackage.json" not in withheld:
        try:
            package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
        except ValueError:
            package = None
        if isinstance(package, dict):
            site.copy(data_dir / "datapackage.json", "data/datapackage.json")
        else:
            package = None
    declared = {res.get("path") for res in (package or {}).get("resources", []) if isinstance(res, dict)}
    for rel in sorted(p for p in declared if isinstance(p, str)):
        src = data_dir / rel
        if src.is_file() and f"data/{rel}" not in withheld and src.resolve().is_relative_to(data_dir.resolve()):
            site.copy(src, f"data/{rel}")
    cols, rows = [], []
    if results.get("status") in ("ok", "partial") and cfg.claims_csv.is_file():
        site.copy(cfg.claims_csv, "claims.csv")
        cols, rows = _read_csv(cfg.claims_csv)
    else:
        site.emit("claims.csv", ",".join(f["name"] for f in json.loads(CLAIMS_SCHEMA.read_text())["fields"]) + "\n")
    site.emit("datapackage.json", json.dumps(published_package(package), indent=1, ensure_ascii=False))
    shown = [c for c in CLAIMS_SHOWN if c in cols]
    site.env.filters["code_spans"] = code_spans
    tables = [_table_info(cfg.root, res, withheld) for res in (package or {}).get("resources", [])]
    grids, grid_note = _coverage(data_dir, withheld, cfg.build / "cache" / "coverage")
    site.emit("data.html", site.render("data.html.j2", title="Data", current="data", package=package,
                                       claims_rows=rows, claims_cols=shown, claims_heads=CLAIMS_SHOWN,
                                       status_class=STATUS_CLASS, tables=tables, grids=grids, grid_note=grid_note))


def _coverage(data_dir: Path, withheld, cache: Path | None = None) -> tuple[list[dict], str]:
    """The month-by-month coverage grids (helpers.coverage), or none and why (the page says it).

    The grids depend only on data/, the collection's code and the pinned environment, so they are
    kept in `cache` under a hash of the three: a rebuild that changed a notebook writes the data
    page without importing pandas into the builder (about 0.5 s of a one-notebook rebuild).
    """
    if "data/exports.csv" in withheld or not (data_dir / "exports.csv").is_file():
        return [], "data/exports.csv is not published in this build, so there is no coverage grid."
    from nbreport.fingerprint import digest, hash_file, hash_tree

    here = Path(__file__).resolve().parent
    key = digest([hash_tree(data_dir), hash_tree(here), hash_file(data_dir.parent / "environment.yml")])[:24]
    stored = cache / f"grids-{key}.json" if cache is not None else None
    if stored is not None and stored.is_file():
        try:
            entry = json.loads(stored.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entry = None
        # an entry is trusted only whole: written by this code for this key, grids as coverage_grids
        # gives them (a damaged or hand-edited file is computed again below, and replaced)
        if (isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("grids"), list)
                and all(isinstance(g, dict) and {"series", "partner", "title", "rows", "counts"} <= g.keys()
                        for g in entry["grids"])):
            return entry["grids"], ""
    from helpers.coverage import coverage_grids
    from helpers.data import DataError

    try:
        grids = coverage_grids(data_dir)
    except (DataError, ValueError, KeyError) as exc:
        return [], f"The coverage grids could not be computed from data/exports.csv: {exc}"
    if stored is not None:
        try:
            stored.parent.mkdir(parents=True, exist_ok=True)
            for old in stored.parent.glob("grids-*.json"):
                old.unlink(missing_ok=True)  # one entry: the grids of the data as they are now
            tmp = stored.with_suffix(f".tmp-{os.getpid()}")
            tmp.write_text(json.dumps({"key": key, "grids": grids}), encoding="utf-8")
            os.replace(tmp, stored)
        except OSError:
            pass  # no cache, same page
    return grids, ""
