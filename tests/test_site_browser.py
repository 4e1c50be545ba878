"""The built site in a real browser: headless Chromium over HTTP on 127.0.0.1.

Every page reachable from the index is opened at 1280 px and at 400 px: no console error,
every image loads and has alt text, every link resolves (pages, anchors, downloads), nothing
scrolls sideways, and no request leaves the machine. Where REQUIRE_BROWSER or CI is set
(.ci/run sets both) a missing browser is a failure, never a skip.
"""
from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from urllib.parse import urldefrag

import pytest

from conftest import load_tool

sitecheck = load_tool("sitecheck")

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

WIDTHS = (1280, 400)


def _required() -> bool:
    return any(os.environ.get(v, "").strip().lower() not in ("", "0", "false", "no")
               for v in ("REQUIRE_BROWSER", "CI"))


@pytest.fixture(scope="module")
def chromium():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        (pytest.fail if _required() else pytest.skip)(f"Playwright is not installed: {exc}")
    if not sitecheck.chromium_path():
        (pytest.fail if _required() else pytest.skip)(
            "no Chromium: `apt-get install chromium` (.ci/run does this) or set CHROMIUM")
    with sitecheck.browser() as ctx:
        yield ctx


CLAIMS_COLUMN_IN_VIEW = """Array.from(document.querySelectorAll('table.claims, table.re-claims')).map(t => {
    let box = t.parentElement;
    while (box && getComputedStyle(box).overflowX === 'visible') box = box.parentElement;
    const b = box.getBoundingClientRect();
    return Array.from(t.rows).map(r => { const c = r.cells[r.cells.length - 1].getBoundingClientRect();
      return c.left >= b.left - 1 && c.right <= b.right + 1; }).every(Boolean);
  })"""


# every box that scrolls sideways (whatever its class: a code box, a printed line, a table) shows that it
# does: a shadow painted at its edges (site.css), and where something it holds covers the edge with its
# own background (the sticky result column of a claims table), that cover shows a shadow itself, only
# while there is more (it changes when the box is scrolled to the other end). A reader at 400 px took a
# table cut at the screen's edge for a table that ends there. Returns one line per box that does not.
UNHINTED_SCROLL_BOXES = """async () => {
  const frames = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const scrolls = b => { const s = getComputedStyle(b);
    return (s.overflowX === 'auto' || s.overflowX === 'scroll') && b.getClientRects().length > 0
      && b.scrollWidth > b.clientWidth + 1; };
  const paints = e => { const s = getComputedStyle(e);
    return s.backgroundImage !== 'none' || !/^(transparent|rgba\\(.*,\\s*0\\))$/.test(s.backgroundColor); };
  const look = e => ['', '::before', '::after'].map(p => { const s = getComputedStyle(e, p || null);
    return [s.boxShadow, s.content, s.opacity, s.backgroundImage, s.visibility].join('|'); }).join('#');
  const out = [], x0 = window.scrollX, y0 = window.scrollY;
  for (const b of Array.from(document.querySelectorAll('body *')).filter(scrolls)) {
    const name = (b.getAttribute('aria-label') || (b.tagName.toLowerCase() + '.' + b.className)).slice(0, 60);
    if (!getComputedStyle(b).backgroundImage.includes('radial-gradient')) { out.push(name + ': no shadow at its edges'); continue; }
    b.scrollIntoView({block: 'center'});
    for (const [at, side] of [[0, 'right'], [b.scrollWidth, 'left']]) {  // the edge where there is more
      b.scrollLeft = at;
      const r = b.getBoundingClientRect(), top = Math.max(r.top, 0), bottom = Math.min(r.bottom, window.innerHeight);
      const covers = [];  // at five heights along the edge: what paints over the box's shadow there
      for (const f of [0.1, 0.3, 0.5, 0.7, 0.9]) {
        const hit = document.elementFromPoint(side === 'right' ? r.right - 3 : r.left + 3, top + f * (bottom - top));
        let cover = null;
        for (let e = hit; e && e !== b && b.contains(e); e = e.parentElement) if (paints(e)) cover = e;
        covers.push(cover);
      }
      if (covers.some(c => !c)) continue;  // the box's own shadow shows along that edge
      await frames(); const more = covers.map(look);
      b.scrollLeft = at ? 0 : b.scrollWidth; await frames();
      if (covers.every((c, i) => look(c) === more[i]))
        out.push(`${name}: its ${side} edge is covered by ${covers[0].tagName.toLowerCase()}s that show no shadow there`);
    }
    b.scrollLeft = 0;
  }
  window.scrollTo(x0, y0);
  return out;
}"""

# printed output (pre.stream) that runs out of its box on a phone instead of wrapping
PRINTED_LINES_CUT = """Array.from(document.querySelectorAll('pre.stream'))
  .filter(p => p.getClientRects().length && p.scrollWidth > p.clientWidth + 1)
  .map(p => `${p.getAttribute('aria-label') || 'printed output'}: ${p.scrollWidth} px in a ${p.clientWidth} px box`
            + ` ("${(p.textContent.trim().split('\\n').find(l => l.length > 40) || '').slice(0, 50)}")`)"""


class PagesAtWidth:
    """Every page of the built site opened once per window width, every per-page check of this file run on that load.

    Opening a page (images forced in, network idle) is most of a check's cost; five tests asked for
    the same pages at the same widths and opened each one again. The results are plain data, so the
    tests stay separate and each still fails on its own. At the WIDTHS every page is opened and what
    the load itself showed is kept too (console errors, requests, images, links, ids: what
    test_every_page_loads_cleanly_offline checks, which crawled every page a fifth time); at any other
    width (800 px: the switch between the desktop and phone images) only the reports, for their charts.
    """

    def __init__(self, site, ctx, base: str):
        self.site, self.ctx, self.base = site, ctx, base
        self._done: dict[int, dict[str, dict]] = {}

    def paths(self, width: int = WIDTHS[0]) -> list[str]:
        """The pages opened at this width: at the WIDTHS every page of the site (not Pagefind's own
        files), index and data page first; at another width the reports only."""
        pages = sorted(str(p.relative_to(self.site)) for p in self.site.rglob("*.html")
                       if p.relative_to(self.site).parts[0] != "pagefind")
        if width not in WIDTHS:
            return [p for p in pages if p.startswith("reports/")]
        first = [p for p in ("index.html", "data.html") if p in pages]
        return first + [p for p in pages if p not in first]

    def at(self, width: int) -> dict[str, dict]:
        """{page: {"overflow": px, "charts": [...], "axe": [...], "claims": [...], "load": {...}}} at this width.

        charts: report pages; axe and load (what the load showed): at the WIDTHS; claims (result
        column in view, one bool per table): at 400 px, on the data page and the reports.
        """
        if width not in self._done:
            found = {}
            for path in self.paths(width):
                visit = sitecheck.PageVisit(self.ctx, self.base, width=width).open(path)
                try:
                    r = {"overflow": visit.overflow(), "unhinted": visit.page.evaluate(UNHINTED_SCROLL_BOXES),
                         "cut lines": visit.page.evaluate(PRINTED_LINES_CUT) if width <= 700 else []}
                    if path.startswith("reports/"):
                        r["charts"] = sitecheck.chart_readability(visit, self.site)
                    if width in WIDTHS:
                        r["load"] = {"links": visit.links(), "ids": visit.ids(),
                                     "images that did not load": visit.broken_images(),
                                     "images without alt text": visit.images_without_alt()}
                        r["axe"] = sitecheck.axe_problems(visit)
                        # read after everything ran on the page: an error raised by a check counts too
                        r["load"].update({"console errors": list(visit.console_errors),
                                          "requests off the machine": list(visit.blocked),
                                          "dialogs": list(visit.dialogs), "failed requests": list(visit.failed)})
                    if width == 400 and (path == "data.html" or path.startswith("reports/")):
                        r["claims"] = visit.page.evaluate(CLAIMS_COLUMN_IN_VIEW)
                finally:
                    visit.close()
                found[path] = r
            self._done[width] = found
        return self._done[width]


@pytest.fixture(scope="module")
def site_pages(repo_build, chromium):
    """The repository's site served once for this file, its pages opened once per width (PagesAtWidth)."""
    with sitecheck.serve(repo_build.site) as base:
        yield PagesAtWidth(repo_build.site, chromium, base)


def _crawl(ctx, base: str) -> dict[str, "sitecheck.PageVisit"]:
    """Open the index and every page it links to, transitively (same site only)."""
    seen: dict[str, sitecheck.PageVisit] = {}
    todo = ["index.html"]
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        visit = sitecheck.PageVisit(ctx, base).open(path)
        seen[path] = visit
        for link in visit.links():
            url, _ = urldefrag(link)
            if url.startswith(base) and url.endswith(".html"):
                todo.append(url[len(base):])
    return seen


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _reachable(pages: dict[str, dict], base: str) -> set[str]:
    """The pages reached from the index by following links, transitively (same site only)."""
    seen, todo = set(), ["index.html"]
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        for link in pages[path]["load"]["links"] if path in pages else ():
            url, _ = urldefrag(link)
            if url.startswith(base) and url.endswith(".html"):
                todo.append(url[len(base):])
    return seen


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_loads_cleanly_offline(repo_build, site_pages, width):
    """From the index every report is reachable; no page has a console error, a request that left the
    machine or failed, a broken image, an image without alt text, a dialog, or a link or anchor that
    does not resolve. The pages are the ones the other checks opened at this width (PagesAtWidth)."""
    assert repo_build.proc.returncode == 0, repo_build.proc.stdout + repo_build.proc.stderr
    base, pages = site_pages.base, site_pages.at(width)
    reached = _reachable(pages, base)
    reports = [p for p in reached if p.startswith("reports/")]
    site_runs = {r.id for _, r in repo_build.manifest.runs(site_only=True)}
    assert {p[len("reports/"):-len(".html")] for p in reports} == site_runs  # every report reachable
    assert "data.html" in reached
    problems, status = [], {}
    for path in sorted(reached):
        if path not in pages:  # linked, but not a file of the site: the link check below names it
            continue
        load = pages[path]["load"]
        for what in ("console errors", "requests off the machine", "images that did not load",
                     "images without alt text", "dialogs", "failed requests"):
            if load[what]:
                problems.append(f"{path}: {what}: {load[what][:3]}")
        for link in load["links"]:
            url, frag = urldefrag(link)
            if not url.startswith(base):
                assert url.split(":", 1)[0] in ("http", "https", "mailto"), f"{path}: odd link {link}"
                continue  # an outside address (a source article) is shown, never fetched here
            if url not in status:
                status[url] = _status(url)
            if status[url] != 200:
                problems.append(f"{path}: link {link} does not resolve")
            elif frag and url.endswith(".html"):
                target = pages.get(url[len(base):])
                if target is not None and frag not in target["load"]["ids"]:
                    problems.append(f"{path}: anchor #{frag} is not on {url[len(base):]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_read_at_desktop_and_phone_width(site_pages, width):
    """Nothing scrolls sideways on any page: wide tables scroll inside their own box, and every box that
    scrolls shows it (UNHINTED_SCROLL_BOXES); on a phone printed lines wrap (PRINTED_LINES_CUT)."""
    pages = site_pages.at(width)
    assert {"index.html", "data.html", "search.html"} <= set(pages) and any(p.startswith("reports/") for p in pages)
    wide = [f"{path}: {r['overflow']} px too wide" for path, r in pages.items() if r["overflow"] > 0]
    wide += [f"{path}: box that scrolls sideways shows no sign of it: {what}" for path, r in pages.items()
             for what in r["unhinted"]]
    wide += [f"{path}: printed line cut instead of wrapped: {what}" for path, r in pages.items()
             for what in r["cut lines"]]
    assert not wide, "\n".join(wide)


def test_script_in_titles_and_parameters_runs_nothing(fixture_site, chromium):
    """The fixture's source title and a parameter hold <script>alert(...)</script>: shown as text only."""
    root, _ = fixture_site
    with sitecheck.serve(root / "site") as base:
        pages = _crawl(chromium, base)
        dialogs = {p: v.dialogs for p, v in pages.items() if v.dialogs}
        texts = {p: v.page.inner_text("body") for p, v in pages.items()}
        for visit in pages.values():
            visit.close()
    assert not dialogs
    assert any("<script>alert('title')</script>" in t for t in texts.values())  # visible as text


@pytest.mark.parametrize("width", (1280, 800, 400))
def test_charts_read_at_every_width(repo_build, site_pages, width):
    """Every chart's smallest text is at least 11 CSS px as shown, and no two texts overlap.

    Smallest text as shown = smallest text in the image chosen by the browser (recorded in the PNG)
    x shown width / natural width; 800 px checks the switch between the desktop and phone images.
    """
    import re

    problems, figures = [], 0
    for page in sorted((repo_build.site / "reports").glob("*.html")):
        html = page.read_text(encoding="utf-8")
        eager = [m for m in re.findall(r"<img\b[^>]*>", html) if 'loading="lazy"' not in m]
        problems += [f"{page.name}: image not lazy-loaded: {m[:80]}" for m in eager]
        figures += html.count("<figure")
    checked = {p: r["charts"] for p, r in site_pages.at(width).items() if "charts" in r}
    assert len(checked) == len(list((repo_build.site / "reports").glob("*.html")))
    problems += [f"{path[len('reports/'):]}: {p}" for path, found in checked.items() for p in found]
    assert figures, "no figure on any report: nothing was checked"
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- search, accessibility, phone tables

SEARCHES = [  # (start page, what a reader types, the report it should reach)
    ("index.html", "dysprosium", "nikkei-2021-output-boost"),  # the report with the dysprosium claim
    ("reports/quota-mining.html", "June 2025", "nyt-2025-limited-exports"),  # published 6 June 2025
]


@pytest.mark.parametrize("start, query, run_id", SEARCHES)
def test_search_box_leads_to_the_right_report(repo_build, chromium, start, query, run_id):
    """Type into the search box of a page, submit, and follow the result to the report."""
    with sitecheck.serve(repo_build.site) as base:
        visit = sitecheck.PageVisit(chromium, base).open(start)
        results = sitecheck.search(visit, query)
        told = visit.page.inner_text("main")
        urls = [url for url, _ in results]
        target = base + f"reports/{run_id}.html"
        assert target in urls[:3], f"{query!r}: {run_id} is not among the first three results: {urls}"
        visit.page.click(f"#search-results a[href$='reports/{run_id}.html']")
        visit.page.wait_for_load_state("load")
        landed, h1 = visit.page.url, visit.page.inner_text("h1")
        problems = visit.console_errors + visit.blocked + visit.failed
        visit.close()
    assert landed == target
    # served over HTTP, with results: nothing about pages opened as files (it does not apply here)
    assert "make serve" not in told and "as a file" not in told and "on disk" not in told, told
    title = sitecheck.PageFacts((repo_build.site / "reports" / f"{run_id}.html").read_text(encoding="utf-8")).h1
    assert [h1] == title
    assert not problems


def test_search_page_opened_as_a_file_says_how_to_serve_it(repo_build, chromium):
    """Chromium refuses the index's module and fetches from file:// (origin null): the page says so."""
    page = chromium.new_page()
    try:
        page.goto((repo_build.site / "search.html").as_uri() + "?q=dysprosium")
        page.wait_for_function("document.getElementById('search-status').textContent.includes('make serve')",
                               timeout=10000)
        loaded = page.evaluate("import('./pagefind/pagefind.js').then(() => 'loaded', e => 'refused')")
        text = page.inner_text("main")
        commands = page.locator("#search-status code").all_inner_texts()
    finally:
        page.close()
    assert loaded == "refused"  # if a browser ever allows it, the message on the page is wrong
    # said once, with the command as code (not as raw backticks)
    assert text.count("make serve") == 1 and text.count("browsers refuse") == 1, text
    assert "`" not in text and "make serve" in commands, (text, commands)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_accessibility_violations(repo_build, site_pages, chromium, width):
    """axe-core on every page (and the search page with results) at this width: no serious or critical violation."""
    pages = site_pages.at(width)
    problems = [f"{path}: {p}" for path, r in pages.items() for p in r["axe"]]
    visit = sitecheck.PageVisit(chromium, site_pages.base, width=width).open("index.html")
    sitecheck.search(visit, "quota")
    problems += [f"search results: {p}" for p in sitecheck.axe_problems(visit)]
    visit.close()
    assert len(pages) == len(list(repo_build.site.rglob("*.html"))) - len(list(repo_build.site.glob("pagefind/**/*.html")))
    assert any(p.startswith("sensitivity/") for p in pages) and any(p.startswith("reports/") for p in pages)
    assert not problems, "\n".join(problems)


def test_claims_tables_keep_the_result_column_in_view_on_a_phone(site_pages):
    """At 400 px the claims tables scroll sideways, and their last column (the result) stays inside the box."""
    found = {path: r["claims"] for path, r in site_pages.at(400).items() if "claims" in r}
    assert "data.html" in found and any(p.startswith("reports/") for p in found)
    tables = sum(len(v) for v in found.values())
    hidden = [f"{path}: claims table {i + 1}" for path, oks in found.items() for i, ok in enumerate(oks) if not ok]
    assert tables >= 2, "no claims table found: nothing was checked"
    assert not hidden, "result column out of view at 400 px:\n" + "\n".join(hidden)


def test_a_page_is_read_only_once_its_late_requests_have_ended(chromium, tmp_path):
    """`PageVisit.open` waits for the page's own requests, not for a fixed quiet time: a request that
    takes longer than the quiet time (0.6 s to answer), started after the load, has ended when `open`
    returns, and so has the request the page chains onto its answer (blocked: it leaves the machine)."""
    class Slow(sitecheck._Quiet):
        def do_GET(self):
            if self.path.startswith("/slow"):
                time.sleep(0.6)
            super().do_GET()

    (tmp_path / "slow.txt").write_text("late", encoding="utf-8")
    (tmp_path / "index.html").write_text(
        "<!doctype html><title>late</title><script>addEventListener('load', () => setTimeout(() =>"
        " fetch('slow.txt').then(() => fetch('https://example.com/leak')).catch(() => 0), 10));</script>",
        encoding="utf-8")
    with sitecheck.serve(tmp_path, Slow) as base:
        visit = sitecheck.PageVisit(chromium, base).open("index.html")
        try:
            assert visit.blocked == ["https://example.com/leak"] and not visit.inflight, visit.blocked
        finally:
            visit.close()
