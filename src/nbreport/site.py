"""The reader's site: index, one page per report, the extension's pages; written whole, then swapped in.

Layout of site/ (every page links one stylesheet and needs no network; only search.html runs a
script, the site's own search.js):

    index.html                a card per report: title, kind line, parameters, the extension's
                              lines (e.g. a claims summary), thumbnail of its first figure, status
    reports/<run>.html        the executed notebook: code folded, parameters in a box, run status
    reports/<run>_files/      its figures (PNG files, so pages stay small)
    reports/<run>.ipynb       the executed notebook itself
    thumbs/<run>.png          card thumbnails
    CITATION.cff              how to cite the collection (each page's footer says it in words)
    search.html, search.js    the search page (every page's header has the box that opens it)
    pagefind/                 the full-text index of the pages that mark their <main> (nbreport.search),
                              built before the swap: a failed index publishes nothing
    build.json                the build record: stamp, time, status and input hash of every report
    site.css
    ...                       whatever the extension's write_pages adds (nbreport.extension)

The site is written into `.site.tmp-<pid>` beside site/ and swapped in with one rename
(renameat2 RENAME_EXCHANGE where the kernel has it), so a reader or an interrupted build
never sees half a site. Pages come from Jinja2 templates (nbreport.pages); no pandas, no nbconvert.
Each report page is outlined (nbreport.outline: one h1, the title once, a contents list) and links
the previous and next report in manifest order.
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import time
from pathlib import Path

from nbreport import outline, pages, search
from nbreport import sweep as sweep_mod
from nbreport.status import BuildError

STATIC = Path(__file__).parent / "static"


# --------------------------------------------------------------------------- swap

def clean_leftovers(site: Path) -> None:
    """Remove temp folders an interrupted build left beside site/, so they never pile up.

    Parameters
    ----------
    site : pathlib.Path
        The published site folder.
    """
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
    """Replace the published site by the one just written, so a reader never sees half a site.

    An atomic exchange (renameat2) where the system has it; else two renames, the old site moved
    aside first.

    Parameters
    ----------
    tmp : pathlib.Path
        The complete new site, beside `site`.
    site : pathlib.Path
        The published site folder (need not exist yet).
    """
    old = site.with_name(f".{site.name}.old-{os.getpid()}")
    if site.exists() and _exchange(tmp, site):
        os.rename(tmp, old)  # tmp now holds the previous site
        remove_later(old)
        return
    if site.exists():
        os.rename(site, old)
        os.rename(tmp, site)
        remove_later(old)
    else:
        os.rename(tmp, site)


def remove_later(path: Path) -> None:
    """Remove a folder the site no longer uses without waiting for it (a detached ``rm -rf``).

    Why: unlinking the previous site's files took 0.3 to 0.5 s of a one-notebook rebuild (150
    files), after the new site was already in place. The folder is named ``.<site>.old-<pid>``,
    which no reader opens, and `clean_leftovers` removes it at the next build if ``rm`` was cut
    short. Where ``rm`` cannot be started, the folder is removed here.

    Parameters
    ----------
    path : pathlib.Path
        A folder beside the site, already out of the site's way.
    """
    import subprocess

    try:  # sh starts rm in the background and exits at once: no child of this process is left running
        subprocess.run(["sh", "-c", 'rm -rf -- "$1" >/dev/null 2>&1 </dev/null &', "sh", str(path)],
                       check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, start_new_session=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        shutil.rmtree(path, ignore_errors=True)


# --------------------------------------------------------------------------- writer

class Writer:
    """The site being written: files go into a temporary folder; pages are rendered from templates.

    This is what an extension's ``write_pages(site)`` receives.

    Parameters
    ----------
    cfg : nbreport.config.Config
        The build's settings.
    tmp : pathlib.Path
        The temporary folder that becomes the site.
    ext : nbreport.extension.Extension
        The collection's extension (templates, navigation, site name).
    results : dict
        The extension's results job, as recorded.
    built : str
        When the site was built, as shown on pages (pages.fmt_time).
    stamp : str
        The site stamp (nbreport.runner.site_stamp).
    hook : callable, optional
        Called with the path of every file written (tests use it to interrupt a build).
    withheld : set of str, optional
        Data files that changed while the build ran: never publish them.
    """

    def __init__(self, cfg, tmp: Path, ext, results: dict, built: str, stamp: str, hook=None,
                 withheld: set[str] | frozenset = frozenset()):
        self.cfg, self.tmp, self.ext, self.results = cfg, tmp, ext, results
        self.built, self.stamp, self.hook, self.withheld = built, stamp, hook, withheld
        self.env = pages.environment(ext.templates, cfg.build / "cache" / "jinja" / "site")
        self.citation = pages.read_citation(cfg.root)

    def emit(self, rel: str, data: str | bytes) -> None:
        """Write site/<rel> (text as UTF-8).

        Parameters
        ----------
        rel : str
            The path inside the site, with forward slashes.
        data : str or bytes
            The content.
        """
        path = self.tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        if self.hook:
            self.hook(path)

    def copy(self, src: Path, rel: str) -> None:
        """Copy a file to site/<rel>.

        Parameters
        ----------
        src : pathlib.Path
            The file to copy.
        rel : str
            The path inside the site.
        """
        dst = self.tmp / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
        if self.hook:
            self.hook(dst)

    def render(self, template: str, rel: str = "", title: str = "", current: str = "", searchable: bool = True,
               **context) -> str:
        """Render a page from `template` (which extends base.html.j2).

        A `searchable` page marks its <main> for the search index (nbreport.search); every scroll box
        of the page (``div.table-scroll``) is made focusable and labelled (outline.label_scroll_boxes).

        Parameters
        ----------
        template : str
            The template's name.
        rel : str, default ""
            The way back to the site root from the page (``"../"`` for a page one folder down).
        title : str, default ""
            The page title.
        current : str, default ""
            The navigation item marked as current.
        searchable : bool, default True
            Whether the page goes into the search index.
        **context
            Further template variables.

        Returns
        -------
        str
            The page.
        """
        from markupsafe import Markup

        page = self.env.get_template(template).render(
            title=title, rel=rel, current=current, built=self.built, stamp=self.stamp,
            site_name=self.ext.site_name, nav=pages.NAV + getattr(self, "nav_extra", []) + self.ext.nav, citation=self.citation,
            status_text=pages.STATUS_TEXT, results=self.results, searchable=searchable,
            missing_alt_hint=Markup(self.ext.missing_alt_hint), **context)
        return outline.label_scroll_boxes(page)


def write_site(cfg, man, state: dict, planned: list, stamp: str, inputs, hook=None,
               withheld: set[str] | frozenset = frozenset()) -> None:
    """Write the whole site into a temp folder beside cfg.site, then swap it in.

    The extension (man.ext) adds its pages and files through ``write_pages(writer)``. A build that
    fails here leaves the previous site in place.

    Parameters
    ----------
    cfg : nbreport.config.Config
        The build's settings.
    man : nbreport.manifest.Manifest
        The manifest.
    state : dict
        The build state, with every run's record.
    planned : list of nbreport.runner.Planned
        The runs, in manifest order.
    stamp : str
        The site stamp written into every page.
    inputs : nbreport.fingerprint.Inputs
        The input fingerprints of this build (not read here at present).
    hook : callable, optional
        Called with every file written.
    withheld : set of str, optional
        Data files that changed while the build ran (the reports did not run on them).
    """
    ext = man.ext
    cfg.site.parent.mkdir(parents=True, exist_ok=True)
    tmp = cfg.site.with_name(f".{cfg.site.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        results = state.get("claims") or {}
        site = Writer(cfg, tmp, ext, results, pages.fmt_time(time.time()), stamp, hook, withheld)
        site.nav_extra = sweep_mod.nav(man)  # sensitivity pages (nbreport.sweep), when the manifest has sweeps
        if site.citation:
            site.copy(cfg.root / "CITATION.cff", "CITATION.cff")
        for name in ("site.css", "search.js"):
            site.copy(STATIC / name, name)
        ext.call("write_pages", site)  # first: the reports link what it publishes (datapackage.json)

        reports, fragments = [], {}
        for p in planned:
            if not p.run.site:
                continue
            r = pages.Report(man, p, state, results, ext)
            thumb = cfg.thumbs / f"{r.id}.png"
            if r.s.get("thumb") and thumb.is_file():
                site.copy(thumb, f"thumbs/{r.id}.png")
                r.thumb_size = pages.png_size(thumb)
            ipynb = cfg.notebooks_out / f"{r.id}.ipynb"
            r.has_ipynb = bool(r.s) and ipynb.is_file()
            if r.has_ipynb:
                site.copy(ipynb, f"reports/{r.id}.ipynb")
            fragment = None
            frag_file = cfg.pages / f"{r.id}.html"
            if r.s.get("has_page", True) and r.s and frag_file.is_file():
                fragment = frag_file.read_text(encoding="utf-8")
                files = cfg.pages / f"{r.id}_files"
                if files.is_dir():
                    for f in sorted(files.iterdir()):
                        site.copy(f, f"reports/{r.id}_files/{f.name}")
            if fragment is None and r.status in ("ok", "warnings"):  # its page vanished: never Current
                r.status = "missing"
            reports.append(r)
            fragments[r.id] = fragment
        published = {name: (tmp / name).is_file() for name in ("datapackage.json",)}
        for i, r in enumerate(reports):  # previous and next in manifest order
            page = outline.outline(fragments[r.id], r.title)
            site.emit(f"reports/{r.id}.html", site.render(
                "report.html.j2", rel="../", title=r.title, r=r, fragment=page.fragment,
                subtitle=page.subtitle if r.info.get("notebook_heading", True) else "",
                contents=page.contents, prev=reports[i - 1] if i else None,
                next=reports[i + 1] if i + 1 < len(reports) else None, published=published))
        site.emit("index.html", site.render("index.html.j2", title="Reports", current="index", searchable=False,
                                            **pages.index_context(reports)))
        site.emit("search.html", site.render("search.html.j2", title="Search", current="search", searchable=False))
        sweeps = sweep_mod.write_pages(site, man, state, planned)
        try:  # inside the swap: a site whose index failed is never published
            search.index_site(tmp, expected=search.marked_pages(tmp))
        except BuildError as exc:
            raise BuildError(f"{exc}; {cfg.site.name}/ was left as it was") from None

        record = {"stamp": stamp, "built_at": time.time(), "built": site.built,
                  "reports": {r.id: {"notebook": r.notebook, "status": r.status, "inputs": r.fingerprint,
                                     "executed_at": r.s.get("executed_at"),
                                     "error": r.error_text() if r.status == "failed" else None}
                              for r in reports},
                  "claims": {"status": results.get("status"), "message": results.get("message", "")},
                  "sensitivity": {s["sweep"].id: {"verdict": s["verdict_kind"], "text": s["verdict"]} for s in sweeps}}
        site.emit("build.json", json.dumps(record, indent=1, sort_keys=True))
        swap_in(tmp, cfg.site)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
