"""The reader's site: index, one page per report, the data page; written whole, then swapped in.

Layout of site/ (every page links one stylesheet, needs no network and no script):

    index.html                a card per report: title, outlet and date (or model), parameters,
                              claims summary, thumbnail of its first figure, status
    reports/<run>.html        the executed notebook: code folded, parameters in a box, run status
    reports/<run>_files/      its figures (PNG files, so pages stay small)
    reports/<run>.ipynb       the executed notebook itself
    thumbs/<run>.png          card thumbnails
    data.html                 data dictionary from data/datapackage.json, downloads, claims results
    data/*.csv                copies of the curated tables (and datapackage.json)
    claims.csv                claims results, numbers in number columns (helpers/claims_results.schema.json)
    datapackage.json          the published data package: the curated tables and claims.csv, with schemas
    CITATION.cff              how to cite the collection (each page's footer says it in words)
    build.json                the build record: stamp, time, status and input hash of every report
    site.css

The site is written into `.site.tmp-<pid>` beside site/ and swapped in with one rename
(renameat2 RENAME_EXCHANGE where the kernel has it), so a reader or an interrupted build
never sees half a site. Standard library only: no pandas, no nbconvert.
"""
from __future__ import annotations

import csv
import ctypes
import html
import json
import os
import re
import shutil
import struct
import time
from pathlib import Path

STATIC = Path(__file__).parent / "static"
SITE_NAME = "China rare earths: research notebooks"
CLAIMS_SHOWN = {"publisher": "outlet", "published": "published", "claim": "phrase in the article",
                "stated_text": "article says", "recomputed": "data give", "status": "result"}
CLAIMS_SCHEMA = Path(__file__).with_name("claims_results.schema.json")
_CITATION: dict = {}  # read from the project's CITATION.cff by write_site; shown in every page's footer
GOOD_STATUS = ("reproduc", "match", "within rounding", "ok", "exact", "pass")
BAD_STATUS = ("differ", "mismatch", "wrong", "fail", "not reproduc")
STATUS_TEXT = {"ok": "Current", "warnings": "Warnings", "failed": "Failed", "stale": "Stale", "missing": "Not built"}


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def fmt_time(ts: float | None) -> str:
    if not ts:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


def png_size(path: Path) -> tuple[int, int] | None:
    try:
        with open(path, "rb") as f:
            head = f.read(24)
        if head[:8] == b"\x89PNG\r\n\x1a\n":
            return struct.unpack(">II", head[16:24])
    except OSError:
        pass
    return None


# --------------------------------------------------------------------------- swap

def clean_leftovers(site: Path) -> None:
    """Remove temp folders an interrupted build left beside site/."""
    if not site.parent.is_dir():
        return
    for path in site.parent.glob(f".{site.name}.tmp-*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in site.parent.glob(f".{site.name}.old-*"):
        shutil.rmtree(path, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False when unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def swap_in(tmp: Path, site: Path) -> None:
    if site.exists() and _exchange(tmp, site):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous site
        return
    if site.exists():
        old = site.with_name(f".{site.name}.old-{os.getpid()}")
        os.rename(site, old)
        os.rename(tmp, site)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, site)


# --------------------------------------------------------------------------- page parts

def page(title: str, body: str, rel: str, built: str, stamp: str, current: str = "") -> str:
    here = ' aria-current="page"'
    nav = "".join(
        f'<a href="{rel}{href}"{here if key == current else ""}>{label}</a>'
        for key, href, label in (("index", "index.html", "Reports"), ("data", "data.html", "Data")))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · {esc(SITE_NAME)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{rel}site.css">
</head>
<body>
<header class="site-header"><div class="wrap"><a class="brand" href="{rel}index.html">{esc(SITE_NAME)}</a><nav>{nav}</nav></div></header>
<main class="wrap">
{body}
</main>
<footer class="site-footer"><div class="wrap">Site built {esc(built)} from inputs <code>{esc(stamp[:12])}</code>.
Each report shows when it ran and the hash of the inputs it ran on. <a href="{rel}build.json">Build record</a>.</div>
{cite_block(rel)}</footer>
</body>
</html>
"""


def read_citation(root: Path) -> dict:
    """Authors, title, version and licences from root/CITATION.cff; {} when there is none."""
    path = root / "CITATION.cff"
    if not path.is_file():
        return {}
    import yaml  # PyYAML is light; the site needs it only here

    cff = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    authors = ", ".join(a.get("name") or " ".join(x for x in (a.get("given-names"), a.get("family-names")) if x)
                        for a in cff.get("authors", []))
    lic = cff.get("license") or []
    return {"authors": authors, "title": cff.get("title", ""), "version": str(cff.get("version", "")),
            "licenses": [lic] if isinstance(lic, str) else list(lic)}


def cite_block(rel: str) -> str:
    """The "How to cite" footer block (from CITATION.cff), with the data's attribution rule."""
    c = _CITATION
    if not c:
        return ""
    version = f" Version {esc(c['version'])}." if c["version"] else ""
    lic = ""
    if "MIT" in c["licenses"] and "CC-BY-4.0" in c["licenses"]:
        lic = " Code under MIT; curated data under CC BY 4.0."
    return (f'<div class="wrap cite" id="cite"><h2>How to cite</h2>'
            f'<p class="cite-text">{esc(c["authors"])}. <cite>{esc(c["title"])}</cite>.{version}{lic}</p>'
            f'<p>Reusing a figure? Credit its original publisher too: every data row names its source '
            f'(<a href="{rel}data/sources.csv">sources.csv</a>). '
            f'Citation metadata: <a href="{rel}CITATION.cff">CITATION.cff</a>.</p></div>')


def published_package(package: dict | None) -> dict:
    """The site's datapackage.json: the curated tables (under data/) and claims.csv, each with its schema."""
    import copy

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


def params_html(params: list[tuple[str, object, bool]], only_set: bool = False) -> str:
    """Parameters as small name/value chips; only_set keeps those the manifest sets (index cards)."""
    if only_set:
        n_default = sum(1 for p in params if p[2])
        params = [p for p in params if not p[2]]
        if not params:
            return f'<p class="params-none">{"Default parameters" if n_default else "No parameters"}</p>'
    if not params:
        return '<p class="params-none">No parameters</p>'
    items = "".join(
        f'<div class="{"default" if is_default else "set"}" title="{"default value" if is_default else "set by the manifest"}">'
        f"<dt>{esc(name)}</dt><dd>{esc(value)}</dd></div>"
        for name, value, is_default in params)
    return f'<dl class="params">{items}</dl>'


def _status_chip(status: str) -> str:
    low = status.strip().lower().replace("_", " ")
    cls = "bad" if any(b in low for b in BAD_STATUS) else "good" if any(g in low for g in GOOD_STATUS) else ""
    return f'<span class="status-chip {cls}">{esc(status.replace("_", " "))}</span>'


class Report:
    """Everything the index card and the page of one run show."""

    def __init__(self, cfg, man, planned, state: dict, sources: dict, claims: dict):
        entry, run = planned.entry, planned.run
        self.id = run.id
        self.entry, self.run = entry, run
        self.notebook = f"notebooks/{entry.path}"
        from helpers.runner import run_status

        self.s = state["runs"].get(run.id) or {}
        self.status = run_status(self.s, planned.fingerprint)
        self.warnings = [str(w) for w in self.s.get("warnings") or []]
        self.fingerprint = self.s.get("fingerprint") or planned.fingerprint
        self._thumb_size: tuple[int, int] | None = None
        self._has_ipynb = False
        self.params = self._params(man.notebook_file(entry), run.parameters)
        self.claims_line = ""
        if entry.kind == "article":
            src = sources.get(entry.source_id, {})
            self.title = src.get("title") or entry.source_id
            self.outlet = src.get("publisher", "")
            self.date = src.get("published", "") or "undated"
            self.address = src.get("address", "")
            self.kind_line = " · ".join(x for x in ("Article check", self.outlet, self.date) if x)
            summaries = claims.get("summaries") or {}
            if entry.source_id in summaries:
                self.claims_line = summaries[entry.source_id]
            elif claims.get("status") == "missing":
                self.claims_line = "Claims not checked yet"
            elif claims.get("status") == "failed":
                self.claims_line = "Claims check failed (see the data page)"
        else:
            self.title = entry.title
            self.outlet = self.date = self.address = ""
            self.kind_line = "Model"

    @staticmethod
    def _params(notebook: Path, given: dict) -> list[tuple[str, object, bool]]:
        try:
            from helpers.parameters import read_spec
            spec = read_spec(notebook)
        except Exception:  # noqa: BLE001 - the page still shows what the manifest set
            return [(k, v, False) for k, v in given.items()]
        return [(name, given.get(name, p.default), name not in given) for name, p in spec.params.items()]

    def papermill_command(self) -> str:
        """A shell command that re-runs this report as pasted in the repository folder (after `make env`)."""
        args = [f"mkdir -p build && .venv/bin/papermill {_shell(self.notebook)} {_shell(f'build/{self.id}-rerun.ipynb')}"]
        for name, value, _ in self.params:
            if isinstance(value, str):
                args.append(f"-r {name} {_shell(value)}")
            elif isinstance(value, (bool, int, float)):
                args.append(f"-p {name} {_shell(str(value))}")
            else:  # lists, None, mappings: YAML (JSON is YAML)
                args.append(f"-y {name} {_shell(json.dumps({name: value}))}")
        return " \\\n    ".join(args)

    def error_text(self) -> str:
        from helpers.runner import _describe_error

        return _describe_error(self.s.get("error")) if self.s.get("error") else "it failed"


def _shell(value: str) -> str:
    import shlex
    return shlex.quote(value)


def card(r: Report) -> str:
    thumb = ""
    thumb_info = r.s.get("thumb") if r.status in ("ok", "warnings", "failed", "stale") else None
    if thumb_info and r._thumb_size:
        w, h = r._thumb_size
        thumb = (f'<a class="thumb" href="reports/{esc(r.id)}.html" tabindex="-1" aria-hidden="true">'
                 f'<img src="thumbs/{esc(r.id)}.png" alt="{esc(thumb_info.get("alt"))}" width="{w}" height="{h}" loading="lazy"></a>')
    else:
        thumb = '<div class="thumb none">No figure</div>'
    claims = f'<p class="claims-line">{esc(r.claims_line)}</p>' if r.claims_line else ""
    if r.status == "warnings":
        claims += f'<p class="warning-line">{esc(r.warnings[0])}{" (and more)" if len(r.warnings) > 1 else ""}</p>'
    elif r.status == "failed":
        claims += f'<p class="warning-line">{esc(r.error_text())}</p>'
    ran = f"ran {fmt_time(r.s.get('executed_at'))}" if r.s else "not built yet"
    return f"""<li class="card {esc(r.status)}">
{thumb}
<div class="card-body">
<p class="kind">{esc(r.kind_line)}</p>
<h3><a href="reports/{esc(r.id)}.html">{esc(r.title)}</a></h3>
{params_html(r.params, only_set=True)}
{claims}
<p class="status-line"><span class="badge {esc(r.status)}">{STATUS_TEXT.get(r.status, esc(r.status))}</span> {esc(ran)}</p>
</div>
</li>"""


def report_page(r: Report, fragment: str | None, built: str, stamp: str, claims: dict) -> str:
    alerts = []
    if r.status == "failed":
        link = ' <a href="#failed-cell">Go to the failing cell.</a>' if fragment and 'id="failed-cell"' in fragment else ""
        alerts.append(f'<div class="alert failed" role="alert"><p><strong>This report failed to run:</strong> '
                      f'{esc(r.error_text())}.{link}</p><p>What follows is the output of that failed run; '
                      f'cells after the failing one did not run. No earlier successful version is shown.</p></div>')
    elif r.status == "stale":
        was = (f"failed ({esc(r.error_text())}) " if r.s.get("status") == "failed" else "")
        alerts.append(f'<div class="alert stale" role="alert"><p><strong>Stale:</strong> this page {was}was executed on '
                      'inputs that have changed since (the notebook, its parameters, the data, the helpers or the '
                      'environment). Run <code>make report</code> to bring it up to date.</p></div>')
    elif r.status == "warnings":
        items = "".join(f"<li>{esc(w)}</li>" for w in r.warnings)
        alerts.append('<div class="alert warnings" role="alert"><p><strong>Every cell ran, with warnings a reader '
                      f'should know about:</strong></p><ul>{items}</ul></div>')
    elif r.status == "missing":
        alerts.append('<div class="alert missing" role="alert"><p><strong>Not built yet:</strong> this report has '
                      'not been executed. Run <code>make report</code>.</p></div>')
    if r.s.get("missing_alt"):
        alerts.append(f'<div class="alert info"><p>{r.s["missing_alt"]} figure(s) on this page have no description '
                      f'from the notebook (use <code>helpers.charts.show(fig, alt=...)</code>).</p></div>')
    byline = ""
    if r.entry.kind == "article":
        link = ""
        if r.address.startswith(("http://", "https://")):
            link = f' · <a href="{esc(r.address)}" rel="noopener noreferrer">the article</a>'
        byline = f'<p class="byline">{esc(r.outlet)} · {esc(r.date)}{link}</p>'
    claims_p = ""
    if r.entry.kind == "article":
        text = r.claims_line or claims.get("message") or "No claims recorded for this article"
        claims_p = f'<p>Claims: {esc(text)} (<a href="../data.html#claims">all claims</a>)</p>'
    nb_link = (f'<p><a href="{esc(r.id)}.ipynb" download>Executed notebook (.ipynb)</a></p>'
               if r._has_ipynb else "")
    run_box = f"""<section class="box"><h2>This run</h2>
<p><span class="badge {esc(r.status)}">{STATUS_TEXT.get(r.status, esc(r.status))}</span>
{esc('Executed ' + fmt_time(r.s.get('executed_at')) + (' in %.1f s' % r.s['duration'] if r.s.get('duration') else '')) if r.s else 'Never executed'}</p>
<p>Inputs hash <code>{esc(r.fingerprint[:12])}</code> · notebook <code>{esc(r.notebook)}</code></p>
{claims_p}{nb_link}
<details class="source"><summary>Re-run with other parameters</summary>
<p>In the repository folder, after <code>make env</code> (or with the project installed, drop <code>.venv/bin/</code>):</p>
<pre class="text">{esc(r.papermill_command())}</pre></details>
</section>"""
    head = f"""<p class="crumbs"><a href="../index.html">Reports</a> › {esc(r.kind_line)}</p>
<header class="report-head">
<h1>{esc(r.title)}</h1>
{byline}
{''.join(alerts)}
<div class="meta">
<section class="box"><h2>Parameters</h2>{params_html(r.params)}</section>
{run_box}
</div>
</header>"""
    if fragment is None:
        body = '<p class="note">This report has no output to show.</p>'
    else:
        body = fragment
    return page(r.title, f'{head}\n<article class="notebook">\n{body}\n</article>', "../", built, stamp)


# --------------------------------------------------------------------------- data page

def _read_csv(path: Path) -> tuple[list[str], list[dict]]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            return list(reader.fieldnames or []), rows
    except (OSError, UnicodeDecodeError, csv.Error):
        return [], []


def _code_spans(text: str) -> str:
    """Escape, then show `backticked` parts as code."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", esc(text))


def _rules(field: dict) -> tuple[str, str]:
    """(required, allowed) as HTML, worded by helpers.data.field_rules like the README."""
    from helpers.data import field_rules

    req, allowed = field_rules(field)
    return esc(req), "; ".join(_code_spans(a) for a in allowed)


def data_page(cfg, package: dict | None, claims: dict, claims_rows: list[dict], claims_cols: list[str],
              built: str, stamp: str, withheld=frozenset()) -> str:
    parts = ['<h1>Data</h1>']
    if package:
        parts.append(f'<p class="lede">{esc(package.get("title", ""))}. {esc(package.get("description", ""))}</p>')
        lic = package.get("licenses") or []
        if lic:
            parts.append(f'<p class="note">Licence: {esc(lic[0].get("title") or lic[0].get("name"))}.</p>')
    toc = ['<li><a href="#claims">Claims checked against the data</a></li>']
    for res in (package or {}).get("resources", []):
        toc.append(f'<li><a href="#table-{esc(res["name"])}">{esc(res.get("title", res["name"]))}</a></li>')
    parts.append(f'<ul class="toc">{"".join(toc)}</ul>')

    # claims
    parts.append('<section id="claims"><h2>Claims checked against the data</h2>')
    status = claims.get("status")
    if status in ("ok", "partial"):
        parts.append(f'<p>Every number the articles state, recomputed from the curated data: {len(claims_rows)} claims. '
                     f'<a class="download" href="claims.csv" download>Download claims.csv</a> (numbers in number '
                     f'columns, described in <a href="datapackage.json">datapackage.json</a>)</p>')
        if claims.get("message"):
            parts.append(f'<p class="note">{esc(claims["message"])}</p>')
        if claims_rows:
            # the page shows what a reader needs to see the verdict without scrolling sideways;
            # claims.csv keeps every column
            cols = [c for c in CLAIMS_SHOWN if c in claims_cols]
            head = "".join(f"<th scope=\"col\">{esc(CLAIMS_SHOWN[c])}</th>" for c in cols)
            rows = []
            for row in claims_rows:
                cells = []
                for c in cols:
                    v = row.get(c, "")
                    if c == "recomputed" and row.get("recomputed_text"):
                        v = row["recomputed_text"]
                    if c == "status" and v:
                        cells.append(f"<td>{_status_chip(v)}</td>")
                    else:
                        cells.append(f'<td class="{c}">{esc(v)}</td>')
                rows.append(f"<tr>{''.join(cells)}</tr>")
            parts.append(f'<div class="table-scroll"><table class="claims"><thead><tr>{head}</tr></thead>'
                         f'<tbody>{"".join(rows)}</tbody></table></div>')
    else:
        why = claims.get("message") or "the claims checker has not run"
        parts.append(f'<p>No claims results in this build: {esc(why)}. '
                     f'<a href="claims.csv" download>claims.csv</a> has the columns only.</p>')
    parts.append("</section>")

    # tables
    for res in (package or {}).get("resources", []):
        schema = res.get("schema", {})
        path = cfg.root / "data" / res.get("path", "")
        rows = None
        held = f"data/{res.get('path')}" in withheld
        if path.is_file() and not held:
            with open(path, newline="", encoding="utf-8", errors="replace") as f:
                rows = max(0, sum(1 for _ in csv.reader(f)) - 1)
        parts.append(f'<section id="table-{esc(res["name"])}"><h2>{esc(res.get("title", res["name"]))}</h2>')
        parts.append(f'<p>{esc(res.get("description", ""))}</p>')
        if rows is not None:
            size = path.stat().st_size
            parts.append(f'<p><a class="download" href="data/{esc(res["path"])}" download>Download data/{esc(res["path"])}</a> '
                         f'({rows} rows, {size / 1024:.1f} KB)</p>')
        elif held:
            parts.append(f'<p class="note">{esc(res.get("path"))} changed while the build ran, so it is not '
                         'published; the next build publishes it.</p>')
        else:
            parts.append(f'<p class="note">{esc(res.get("path"))} is not in data/ yet.</p>')
        if schema.get("primaryKey"):
            parts.append(f'<p>Key: {", ".join(f"<code>{esc(k)}</code>" for k in schema["primaryKey"])}.</p>')
        body = []
        for fld in schema.get("fields", []):
            body.append(f"<tr><td><code>{esc(fld['name'])}</code></td><td>{esc(fld.get('type', 'string'))}</td>"
                        f"<td>{esc(fld.get('unit', ''))}</td><td>{_rules(fld)[0]}</td><td>{_rules(fld)[1]}</td>"
                        f"<td>{esc(fld.get('description', ''))}</td></tr>")
        parts.append('<div class="table-scroll"><table class="dict"><thead><tr><th scope="col">column</th>'
                     '<th scope="col">type</th><th scope="col">unit</th><th scope="col">required</th>'
                     '<th scope="col">allowed</th><th scope="col">meaning</th></tr></thead>'
                     f'<tbody>{"".join(body)}</tbody></table></div>')
        notes = []
        for fk in schema.get("foreignKeys", []):
            ref = fk.get("reference", {})
            notes.append(f"Every <code>{esc(fk.get('fields'))}</code> must exist in "
                         f"<code>{esc(ref.get('resource'))}.{esc(ref.get('fields'))}</code>.")
        if schema.get("x-one-preferred-per"):
            notes.append(f"Exactly one row per ({esc(', '.join(schema['x-one-preferred-per']))}) has "
                         "<code>preferred</code> = true: the one the analysis uses.")
        if notes:
            parts.append(f'<p class="note">{" ".join(notes)}</p>')
        parts.append("</section>")
    if not package:
        parts.append('<p class="note">data/datapackage.json is missing.</p>')
    return page("Data", "\n".join(parts), "", built, stamp, current="data")


# --------------------------------------------------------------------------- index

def index_page(reports: list[Report], claims: dict, built: str, stamp: str) -> str:
    n = len(reports)
    counts = {k: sum(1 for r in reports if r.status == k) for k in ("ok", "failed", "stale", "missing")}
    summary = [f"{n} report{'s' if n != 1 else ''}", f"{counts['ok']} current"]
    counts["warnings"] = sum(1 for r in reports if r.status == "warnings")
    if counts["warnings"]:
        summary.append(f"{counts['warnings']} with warnings")
    summary += [f"{counts[k]} {STATUS_TEXT[k].lower()}" for k in ("failed", "stale", "missing") if counts[k]]
    parts = ['<h1>Reports</h1>',
             '<p class="lede">Each notebook of the collection, executed with every parameter set in '
             '<code>notebooks/manifest.yml</code>. Articles are checked number by number against the curated data; '
             f'models say how well they forecast. {esc(", ".join(summary))}.</p>']

    def why(r: Report) -> str:
        if r.status == "failed":
            return " (" + esc(r.error_text()) + ")"
        if r.status == "warnings":
            return " (" + esc("; ".join(r.warnings[:3])) + ("; and more" if len(r.warnings) > 3 else "") + ")"
        return ""

    bad = [r for r in reports if r.status != "ok"]
    if bad:
        items = "".join(f'<li><a href="reports/{esc(r.id)}.html">{esc(r.title)}</a>: '
                        f'{esc(STATUS_TEXT.get(r.status, r.status).lower())}{why(r)}</li>' for r in bad)
        cls = "failed" if counts["failed"] else "warnings" if counts["warnings"] else "stale"
        parts.append(f'<div class="alert {cls}" role="alert"><p><strong>Not every report is current.</strong></p>'
                     f'<ul>{items}</ul></div>')
    if not reports:
        parts.append('<p class="note">The manifest lists no reports yet.</p>')
    for kind, heading in (("article", "Articles checked"), ("model", "Models")):
        group = [r for r in reports if r.entry.kind == kind]
        if group:
            parts.append(f'<section><h2>{heading}</h2><ul class="cards">{"".join(card(r) for r in group)}</ul></section>')
    parts.append('<p class="note">The data behind every report, its dictionary and the claims results are on the '
                 '<a href="data.html">data page</a>.</p>')
    return page("Reports", "\n".join(parts), "", built, stamp, current="index")


# --------------------------------------------------------------------------- writer

def write_site(cfg, man, state: dict, planned: list, stamp: str, inputs, hook=None,
               withheld: set[str] | frozenset = frozenset()) -> None:
    """Write the whole site into a temp folder beside cfg.site, then swap it in.

    site/data/ gets datapackage.json and the tables it declares, nothing else from data/ (a file a
    notebook left there is never published), and none of `withheld` (data files that changed
    while the build ran: the reports did not run on them).
    """
    from helpers.runner import _sources

    cfg.site.parent.mkdir(parents=True, exist_ok=True)
    tmp = cfg.site.with_name(f".{cfg.site.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()

    def emit(rel: str, data: str | bytes) -> None:
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        if hook:
            hook(path)

    def copy(src: Path, rel: str) -> None:
        dst = tmp / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
        if hook:
            hook(dst)

    try:
        built = fmt_time(time.time())
        _CITATION.clear()
        _CITATION.update(read_citation(cfg.root))
        if _CITATION:
            copy(cfg.root / "CITATION.cff", "CITATION.cff")
        sources = _sources(cfg)
        claims = state.get("claims") or {}
        copy(STATIC / "site.css", "site.css")

        reports = []
        for p in planned:
            if not p.run.site:
                continue
            r = Report(cfg, man, p, state, sources, claims)
            thumb = cfg.thumbs / f"{r.id}.png"
            r._thumb_size = None
            if r.s.get("thumb") and thumb.is_file():
                copy(thumb, f"thumbs/{r.id}.png")
                r._thumb_size = png_size(thumb)
            ipynb = cfg.notebooks_out / f"{r.id}.ipynb"
            r._has_ipynb = bool(r.s) and ipynb.is_file()
            if r._has_ipynb:
                copy(ipynb, f"reports/{r.id}.ipynb")
            fragment = None
            frag_file = cfg.pages / f"{r.id}.html"
            if r.s.get("has_page", True) and r.s and frag_file.is_file():
                fragment = frag_file.read_text(encoding="utf-8")
                files = cfg.pages / f"{r.id}_files"
                if files.is_dir():
                    for f in sorted(files.iterdir()):
                        copy(f, f"reports/{r.id}_files/{f.name}")
            if fragment is None and r.status in ("ok", "warnings"):  # its page vanished: never Current
                r.status = "missing"
            emit(f"reports/{r.id}.html", report_page(r, fragment, built, stamp, claims))
            reports.append(r)
        emit("index.html", index_page(reports, claims, built, stamp))

        # data: the curated tables, their dictionary and the claims results
        data_dir = cfg.root / "data"
        package = None
        if (data_dir / "datapackage.json").is_file() and "data/datapackage.json" not in withheld:
            try:
                package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
            except ValueError:
                package = None
            if isinstance(package, dict):
                copy(data_dir / "datapackage.json", "data/datapackage.json")
            else:
                package = None
        declared = {res.get("path") for res in (package or {}).get("resources", []) if isinstance(res, dict)}
        for rel in sorted(p for p in declared if isinstance(p, str)):
            src = data_dir / rel
            if src.is_file() and f"data/{rel}" not in withheld and src.resolve().is_relative_to(data_dir.resolve()):
                copy(src, f"data/{rel}")
        cols, rows = [], []
        if claims.get("status") in ("ok", "partial") and cfg.claims_csv.is_file():
            copy(cfg.claims_csv, "claims.csv")
            cols, rows = _read_csv(cfg.claims_csv)
        else:
            emit("claims.csv", ",".join(f["name"] for f in json.loads(CLAIMS_SCHEMA.read_text())["fields"]) + "\n")
        emit("datapackage.json", json.dumps(published_package(package), indent=1, ensure_ascii=False))
        emit("data.html", data_page(cfg, package, claims, rows, cols, built, stamp, withheld))

        record = {"stamp": stamp, "built_at": time.time(), "built": built,
                  "reports": {r.id: {"notebook": r.notebook, "status": r.status, "inputs": r.fingerprint,
                                     "executed_at": r.s.get("executed_at"),
                                     "error": r.error_text() if r.status == "failed" else None}
                              for r in reports},
                  "claims": {"status": claims.get("status"), "message": claims.get("message", "")}}
        emit("build.json", json.dumps(record, indent=1, sort_keys=True))
        swap_in(tmp, cfg.site)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
