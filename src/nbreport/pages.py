"""The site's pages, rendered from the Jinja2 templates in templates/site/ with autoescaping.

Every value a template prints is escaped (``html.escape``: ``<`` ``>`` ``&`` ``"`` ``'``) unless
it is marked safe: the notebook fragment (sanitised by nbreport.render) and the trusted snippets
an extension passes as ``markupsafe.Markup``. An extension adds its own templates (its TEMPLATES
folder, searched after the builder's): ``extension/card.html.j2``, ``extension/report_byline.html.j2``,
``extension/report_run.html.j2``, ``extension/index_lede.html.j2``, ``extension/index_end.html.j2``,
``extension/cite.html.j2``
are included where they exist, and ``write_pages`` renders whole pages of its own.
"""
from __future__ import annotations

import html
import json
import shlex
import struct
import time
from pathlib import Path

from nbreport.status import describe_error, run_status

TEMPLATES = Path(__file__).parent / "templates" / "site"
STATUS_TEXT = {"ok": "Current", "warnings": "Warnings", "failed": "Failed", "stale": "Stale", "missing": "Not built"}
NAV = [("index", "index.html", "Reports")]


def _finalize(value):
    """What a template prints: None as nothing, and html.escape's entities for anything not marked safe."""
    from markupsafe import Markup

    if value is None:
        return ""
    if isinstance(value, Markup) or hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value), quote=True))


def environment(extra: Path | None = None, cache: Path | None = None):
    """Make the Jinja2 environment pages are rendered with, autoescaping on so no data can inject markup.

    Parameters
    ----------
    extra : pathlib.Path, optional
        An extension's template folder, searched after templates/site.
    cache : pathlib.Path, optional
        A folder for compiled templates (`bytecode_cache`): the site's templates compile in about
        0.1 s, which every rebuild paid again.

    Returns
    -------
    jinja2.Environment
        The environment; ``finalize`` prints None as ``""`` and escapes non-Markup values.
    """
    from jinja2 import Environment, FileSystemLoader

    folders = [str(TEMPLATES)] + ([str(extra)] if extra else [])
    return Environment(loader=FileSystemLoader(folders), autoescape=True, finalize=_finalize,
                       keep_trailing_newline=True, bytecode_cache=bytecode_cache(cache))


def bytecode_cache(folder: Path | None):
    """Jinja2's own cache of compiled templates in `folder`, or None when there is none to use.

    Jinja2 keys each entry by the template's name and checks the checksum of its source, so an
    edited template is compiled again; it writes an entry by renaming a finished temporary file,
    and a damaged one is compiled again, so two workers can share the folder.

    Parameters
    ----------
    folder : pathlib.Path or None
        The folder (build/cache/jinja/<environment>: one folder per Jinja2 environment, as an
        entry is keyed by template and source, not by the settings it was compiled with); created
        when missing.

    Returns
    -------
    jinja2.FileSystemBytecodeCache or None
        None when `folder` is None or cannot be created (templates are then compiled each time).
    """
    if folder is None:
        return None
    from jinja2 import FileSystemBytecodeCache

    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(folder))


def fmt_time(ts: float | None) -> str:
    """Write a build time the way every page shows it (UTC, to the minute).

    Parameters
    ----------
    ts : float or None
        Seconds since the epoch; None or 0 when the report never ran.

    Returns
    -------
    str
        ``"YYYY-MM-DD HH:MM UTC"``, or ``"never"``.
    """
    if not ts:
        return "never"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


def png_size(path: Path) -> tuple[int, int] | None:
    """Read a PNG's width and height from its header, so the page can reserve the thumbnail's box.

    Parameters
    ----------
    path : pathlib.Path
        The thumbnail file.

    Returns
    -------
    tuple of (int, int) or None
        ``(width, height)`` in pixels, or None when the file is unreadable or not a PNG.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(24)
        if head[:8] == b"\x89PNG\r\n\x1a\n":
            return struct.unpack(">II", head[16:24])
    except OSError:
        pass
    return None


def read_citation(root: Path) -> dict:
    """Read who to cite from root/CITATION.cff, for the footer of every page.

    Parameters
    ----------
    root : pathlib.Path
        The repository folder.

    Returns
    -------
    dict
        ``authors``, ``title``, ``version`` and ``licenses``; ``{}`` when there is no CITATION.cff.
    """
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


class Report:
    """Everything the index card and the page of one run show.

    The extension's ``describe(entry, root, results)`` gives the title and kind line (and whatever
    its own templates show, kept in ``info``); its ``parameters(notebook, given)`` the parameter list.

    Parameters
    ----------
    man : nbreport.manifest.Manifest
        The manifest (for the notebook file the run executes).
    planned : nbreport.runner.Planned
        The run with its entry and planned fingerprint.
    state : dict
        The build state (nbreport.state); ``state["runs"][run id]`` is what the run recorded.
    results : dict
        The extension's results job, as recorded (passed to ``describe``).
    ext : nbreport.extension.Extension
        The collection's extension.
    """

    def __init__(self, man, planned, state: dict, results: dict, ext):
        entry, run = planned.entry, planned.run
        self.id = run.id
        self.entry, self.run = entry, run
        self.notebook = f"notebooks/{entry.path}"
        self.s = state["runs"].get(run.id) or {}
        self.status = run_status(self.s, planned.fingerprint)
        self.warnings = [str(w) for w in self.s.get("warnings") or []]
        self.fingerprint = self.s.get("fingerprint") or planned.fingerprint
        self.thumb_size: tuple[int, int] | None = None
        self.has_ipynb = False
        self.params = (ext.call("parameters", man.notebook_file(entry), run.parameters)
                       or [(k, v, False) for k, v in run.parameters.items()])
        self.info = ext.call("describe", entry, man.root, results, default=None) or {}
        self.title = self.info.get("title") or entry.title or run.id
        kinds = ext.kinds if ext is not None else {}      # the collection's KINDS (nbreport.extension)
        spec = kinds.get(entry.kind) or {}
        self.kind_name = spec.get("label") or entry.kind.capitalize()  # the page's breadcrumb
        self.kind_line = self.info.get("kind_line") or self.kind_name  # an index card's line (may add outlet, date)
        self.group = (list(kinds).index(entry.kind) if entry.kind in kinds else len(kinds), entry.kind,
                      spec.get("heading") or entry.kind.capitalize())

    @property
    def thumb_shown(self) -> bool:
        """Whether the card shows a thumbnail: only a recorded one whose size is known, of a run that ran.

        Returns
        -------
        bool
            True when the thumbnail is shown.
        """
        return bool(self.s.get("thumb") and self.thumb_size
                    and self.status in ("ok", "warnings", "failed", "stale"))

    @property
    def ran(self) -> str:
        """Say when the run last ran, for the index card.

        Returns
        -------
        str
            ``"ran <time>"``, or ``"not built yet"``.
        """
        return f"ran {fmt_time(self.s.get('executed_at'))}" if self.s else "not built yet"

    @property
    def executed_line(self) -> str:
        """Say when and how long the run last executed, for the report page.

        Returns
        -------
        str
            ``"Executed <time> in <s> s"``, or ``"Never executed"``.
        """
        if not self.s:
            return "Never executed"
        took = " in %.1f s" % self.s["duration"] if self.s.get("duration") else ""
        return f"Executed {fmt_time(self.s.get('executed_at'))}{took}"

    def papermill_command(self) -> str:
        """Write a shell command that re-runs this report as pasted in the repository folder (after `make env`).

        Strings go with ``-r`` (papermill's ``-p`` would coerce ``007`` to 7), numbers and booleans with
        ``-p``, anything else as YAML with ``-y``.

        Returns
        -------
        str
            The command, continued over lines with backslashes.
        """
        args = [f"mkdir -p build && .venv/bin/papermill {shlex.quote(self.notebook)} "
                f"{shlex.quote(f'build/{self.id}-rerun.ipynb')}"]
        for name, value, _ in self.params:
            if isinstance(value, str):
                args.append(f"-r {name} {shlex.quote(value)}")
            elif isinstance(value, (bool, int, float)):
                args.append(f"-p {name} {shlex.quote(str(value))}")
            else:  # lists, None, mappings: YAML (JSON is YAML)
                args.append(f"-y {name} {shlex.quote(json.dumps({name: value}))}")
        return " \\\n    ".join(args)

    def error_text(self) -> str:
        """Describe why the run failed, in words for the page (nbreport.status.describe_error).

        Returns
        -------
        str
            The description, or ``"it failed"`` when no error was recorded.
        """
        return describe_error(self.s.get("error")) if self.s.get("error") else "it failed"


def summary_line(reports: list[Report]) -> str:
    """Count reports by status for the index: "5 reports, 4 current, 1 failed".

    Parameters
    ----------
    reports : list of Report
        The reports on the site.

    Returns
    -------
    str
        The count; statuses with no report are left out.
    """
    n = len(reports)
    counts = {k: sum(1 for r in reports if r.status == k) for k in STATUS_TEXT}
    summary = [f"{n} report{'s' if n != 1 else ''}", f"{counts['ok']} current"]
    if counts["warnings"]:
        summary.append(f"{counts['warnings']} with warnings")
    summary += [f"{counts[k]} {STATUS_TEXT[k].lower()}" for k in ("failed", "stale", "missing") if counts[k]]
    return ", ".join(summary)


def index_context(reports: list[Report]) -> dict:
    """Gather what the index template needs, so the alert names the worst status first.

    Parameters
    ----------
    reports : list of Report
        The reports on the site.

    Returns
    -------
    dict
        ``reports``, ``bad`` (not current), ``summary``, ``alert`` (``"failed"``, ``"warnings"`` or
        ``"stale"``) and ``groups`` (kind, heading) in the extension's kind order.
    """
    bad = [r for r in reports if r.status != "ok"]
    failed = any(r.status == "failed" for r in reports)
    warned = any(r.status == "warnings" for r in reports)
    return {"reports": reports, "bad": bad, "summary": summary_line(reports),
            "alert": "failed" if failed else "warnings" if warned else "stale",
            "groups": tuple((kind, heading) for _, kind, heading in sorted({r.group for r in reports}))}
