"""Full-text search for the site: a Pagefind index over the written pages, built offline.

Pagefind (PyPI ``pagefind[bin]``: the Python wrapper and the indexing binary in its wheel)
reads the finished HTML and writes a static index into ``pagefind/`` beside the pages; the
browser side (``pagefind/pagefind.js``, loaded by the site's ``search.js``) fetches only the
index chunks a query needs, from the same folder. No server code, no CDN.

Only what a page marks with ``data-pagefind-body`` is indexed (the reports and the extension's
pages, never the index or the search page itself), so a query lands on a report, not on a list
of reports. Browsers refuse the index's fetches from ``file://``, so the search page says so and
``make serve`` serves the site on 127.0.0.1.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from nbreport.status import BuildError

BUNDLE = "pagefind"  # the index folder inside the site
UNUSED_UI = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
             "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")


def pagefind_binary() -> str:
    """Find the Pagefind indexer: the binary shipped in the pagefind-bin wheel, else one on PATH.

    Returns
    -------
    str
        The path of the executable.

    Raises
    ------
    BuildError
        When neither is there, with the install line that fixes it.
    """
    try:
        import pagefind_bin

        return str(pagefind_bin.get_executable())
    except (ImportError, FileNotFoundError):
        found = shutil.which("pagefind")
        if found:
            return found
    raise BuildError("the search index cannot be built: the Pagefind binary is missing "
                     "(pip install 'pagefind[bin]', or run make env)")


def index_site(folder: Path, expected: int, timeout: float = 120) -> int:
    """Index the pages under `folder` into folder/pagefind/; return the number of pages indexed.

    Parameters
    ----------
    folder : pathlib.Path
        The site being written (its temporary folder: the index is part of the same swap).
    expected : int
        How many pages carry ``data-pagefind-body``; an index with another count is refused,
        so a page that silently dropped out of the index fails the build instead.
    timeout : float, default 120
        Seconds the indexer may take.

    Returns
    -------
    int
        Pages in the index.

    Raises
    ------
    BuildError
        The binary is missing, fails, times out, or indexes another number of pages; the message
        names the cause and the caller leaves the previous site in place.
    """
    if expected == 0:  # nothing to search (Pagefind would index every page whole instead)
        return 0
    cmd = [pagefind_binary(), "--site", str(folder), "--output-subdir", BUNDLE, "--force-language", "en",
           "--exclude-selectors", "details.source", "--exclude-selectors", "a.anchor-link",
           "--quiet"]  # folded code and the ¶ of heading anchors are not what a reader searches
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BuildError(f"the search index was not built: Pagefind took more than {timeout:.0f} s") from None
    except OSError as exc:
        raise BuildError(f"the search index was not built: cannot start Pagefind ({exc.strerror or exc})") from None
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise BuildError("the search index was not built: Pagefind exited with code "
                         f"{proc.returncode}: {detail[-1] if detail else 'no message'}")
    entry = folder / BUNDLE / "pagefind-entry.json"
    try:
        languages = json.loads(entry.read_text(encoding="utf-8")).get("languages", {})
        pages = sum(int(lang.get("page_count", 0)) for lang in languages.values())
    except (OSError, ValueError, AttributeError) as exc:
        raise BuildError(f"the search index was not built: {entry.name} is missing or unreadable ({exc})") from None
    if pages != expected:
        raise BuildError(f"the search index holds {pages} pages, but {expected} pages are marked for search; "
                         "a page did not reach the index")
    for unused in UNUSED_UI:  # the site has its own search page (static/search.js); Pagefind's UIs are not loaded
        path = folder / BUNDLE / unused
        if path.is_file():
            path.unlink()
    return pages


MARK = re.compile(r"<main\b[^>]*\sdata-pagefind-body[\s>=]", re.I)


def marked_pages(folder: Path) -> int:
    """Count the pages under `folder` that mark their <main> for the index (``data-pagefind-body``).

    Parameters
    ----------
    folder : pathlib.Path
        The site being written.

    Returns
    -------
    int
        The number of such pages: what the index must hold (index_site's `expected`).
    """
    return sum(1 for page in folder.rglob("*.html")
               if page.relative_to(folder).parts[0] != BUNDLE and MARK.search(page.read_text(encoding="utf-8")))
