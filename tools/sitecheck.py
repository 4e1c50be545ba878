"""Serve a built site on 127.0.0.1 and drive headless Chromium over it.

Used by the browser test (tests/test_site_browser.py) and by `make screenshots`, so the
pages readers get are the pages that are checked and pictured. Everything outside the
local server is blocked and recorded: a page that needs the network fails.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    """The system Chromium (Debian's package), or CHROMIUM if set."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the test reports what matters
        pass


@contextlib.contextmanager
def serve(site: Path, handler_class=None):
    """Yield the base URL of `site` served over HTTP on 127.0.0.1 (a free port).

    `handler_class` (a subclass of the quiet request handler, _Quiet) lets a test change how
    requests are answered, e.g. slowly.
    """
    handler = functools.partial(handler_class or _Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def browser():
    """A headless Chromium (fresh profile) through Playwright; raises RuntimeError when absent."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if not exe:
        raise RuntimeError("no Chromium found: install Debian's `chromium` or set CHROMIUM=/path/to/chrome")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=exe, headless=True,
                                                    args=CHROMIUM_FLAGS)
        try:
            yield ctx
        finally:
            ctx.close()


class PageVisit:
    """One page load: console errors, uncaught exceptions, dialogs and requests that left the machine."""

    def __init__(self, ctx, base: str, width: int = 1280, height: int = 900):
        self.base = base
        self.page = ctx.new_page()
        self.page.set_viewport_size({"width": width, "height": height})
        self.console_errors: list[str] = []
        self.dialogs: list[str] = []
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(f"uncaught: {e}"))
        self.inflight: set = set()  # requests sent and not yet finished or failed (see `settle`)
        self.page.on("request", lambda r: self.inflight.add(r))  # a lambda: playwright tags its handlers
        self.page.on("requestfinished", lambda r: self.inflight.discard(r))

        def on_failed(r):
            self.inflight.discard(r)
            if r.url.startswith(base):
                self.failed.append(r.url)

        self.page.on("requestfailed", on_failed)

        def on_dialog(dialog):
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", on_dialog)

        def route(r):
            url = r.request.url
            if url.startswith(base) or url.startswith("data:"):
                r.continue_()
            else:
                self.blocked.append(url)
                r.abort()

        self.page.route("**/*", route)

    def open(self, path: str) -> "PageVisit":
        """Load the page with every lazy image forced in, and wait until every request it made has ended."""
        self.page.goto(self.base + path, wait_until="load")
        self.page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
        self.settle()
        self.page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=10000)
        return self

    def settle(self, quiet: float = 0.1, timeout: float = 10.0) -> None:
        """Wait until no request of the page has been open for `quiet` seconds.

        Playwright's "networkidle" waits for 0.5 s without traffic, on every page: most of a
        crawl's time. Counting the page's own requests (sent, then finished or failed) ends the
        wait as soon as the last one ends, and a request the page starts later still counts.

        Raises
        ------
        TimeoutError
            A request still open after `timeout` seconds (named).
        """
        end = time.monotonic() + timeout
        calm = None
        while True:
            now = time.monotonic()
            if self.inflight:
                calm = None
            elif calm is None:
                calm = now
            elif now - calm >= quiet:
                return
            if now > end:
                raise TimeoutError(f"requests still open after {timeout} s: {[r.url for r in self.inflight][:3]}")
            self.page.wait_for_timeout(20)

    def broken_images(self) -> list[str]:
        return self.page.evaluate(
            "Array.from(document.images).filter(i => !i.naturalWidth).map(i => i.getAttribute('src'))")

    def images_without_alt(self) -> list[str]:
        return self.page.evaluate(
            "Array.from(document.images).filter(i => !(i.getAttribute('alt') || '').trim())"
            ".map(i => i.getAttribute('src'))")

    def links(self) -> list[str]:
        """Every href on the page, resolved to an absolute URL."""
        return self.page.evaluate("Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")

    def overflow(self) -> int:
        """Pixels the page is wider than the window (0 when nothing scrolls sideways)."""
        return int(self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"))

    def ids(self) -> set[str]:
        return set(self.page.evaluate("Array.from(document.querySelectorAll('[id]')).map(e => e.id)"))

    def close(self) -> None:
        self.page.close()


def chart_readability(visit, site: Path, min_px: float = 11.0) -> list[str]:
    """Problems with the figures of the open page at its current width; [] when every chart reads well.

    For each figure the browser chose (`currentSrc`: the phone or the desktop image), the smallest
    text a reader sees is the smallest text in the image (image px, recorded in the PNG by
    helpers.charts.png_bytes) times the shown width over the image's natural width. A figure
    without that record, with text under `min_px` CSS px, or with overlapping or clipped text
    (also recorded in the PNG) is a problem.
    """
    from urllib.parse import unquote, urlparse

    from PIL import Image

    from helpers import charts

    shown = visit.page.evaluate(
        "Array.from(document.querySelectorAll('figure img')).map(i => ({src: i.currentSrc,"
        " natural: i.naturalWidth, shown: i.getBoundingClientRect().width}))")
    width = visit.page.viewport_size["width"]
    problems = []
    for fig in shown:
        url = urlparse(fig["src"])
        if url.scheme not in ("http", "https") or not fig["natural"]:
            problems.append(f"{fig['src'][:60]}: not a figure file, its text size is unknown")
            continue
        path = site / unquote(url.path).lstrip("/")
        with Image.open(path) as im:
            meta = dict(getattr(im, "text", {}) or {})
        name = path.name
        if charts.META_MIN_FONT not in meta:
            problems.append(f"{name}: records no smallest text size (draw it with helpers.charts.show)")
            continue
        px = float(meta[charts.META_MIN_FONT]) * fig["shown"] / fig["natural"]
        if px < min_px:
            problems.append(f"{name}: smallest text {px:.1f} px at a {width} px window "
                            f"(shown {fig['shown']:.0f} of {fig['natural']} px); needs {min_px:g}")
        if meta.get(charts.META_OVERLAPS):
            problems.append(f"{name}: text overlaps: {meta[charts.META_OVERLAPS]}")
    return problems


# --------------------------------------------------------------------------- accessibility (axe-core)

SERIOUS = ("serious", "critical")


def axe_problems(visit, impacts: tuple[str, ...] = SERIOUS) -> list[str]:
    """axe-core's violations of the open page at these impacts, one line per rule: id, impact, nodes.

    axe-core runs inside the page through axe-playwright-python (its bundled axe.min.js, so no
    network); [] when the page has none.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(visit.page)
    out = []
    for v in results.response["violations"]:
        if v.get("impact") in impacts:
            targets = ["".join(map(str, n["target"])) for n in v["nodes"][:3]]
            out.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} element(s), e.g. {targets}): {v['help']}")
    return out


# --------------------------------------------------------------------------- search

def search(visit, query: str, timeout: float = 15000) -> list[tuple[str, str]]:
    """Type `query` into the open page's search box, submit it, and return the results listed
    on the search page as (absolute URL, title).

    Raises AssertionError with the search page's own words when it cannot search (no index,
    opened as a file), and a timeout when it never answers."""
    visit.page.fill("#site-search", query)
    visit.page.press("#site-search", "Enter")
    visit.page.wait_for_url("**/search.html?q=*")
    visit.page.wait_for_function(
        "(() => { const s = document.getElementById('search-status');"
        " return s && /match|could not|cannot/.test(s.textContent); })()", timeout=timeout)
    status = visit.page.inner_text("#search-status")
    if "match" not in status:
        raise AssertionError(f"search for {query!r}: {status}")
    return visit.page.evaluate(
        "Array.from(document.querySelectorAll('#search-results a')).map(a => [a.href, a.textContent])")


# --------------------------------------------------------------------------- page structure (no browser)

class PageFacts:
    """What a built page's HTML says about its structure: headings, ids, links, the search box,
    the main text as shown (without folded code, and without the previous/next links, which
    show other reports' titles)."""

    def __init__(self, text: str):
        import html.parser

        facts = self
        self.h1: list[str] = []
        self.headings: list[str] = []
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (href, class)
        self.search_box = False
        self.main_text: list[str] = []
        self.toc: list[str] = []

        class Parser(html.parser.HTMLParser):
            def __init__(self):
                super().__init__(convert_charrefs=True)
                self.stack: list[tuple[str, dict]] = []
                self.heading: list[str] | None = None
                self.heading_tag = ""

            def inside(self, tag: str, cls: str = "") -> bool:
                return any(t == tag and (not cls or cls in (a.get("class") or "").split()) for t, a in self.stack)

            def handle_starttag(self, tag, attrs):
                a = dict(attrs)
                if a.get("id"):
                    facts.ids.add(a["id"])
                if tag == "a" and a.get("href") is not None:
                    facts.links.append((a["href"], a.get("class") or ""))
                    if self.inside("nav", "contents"):
                        facts.toc.append(a["href"])
                if tag == "form" and a.get("role") == "search" and (a.get("action") or "").endswith("search.html"):
                    facts.search_box = True
                if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                    self.heading, self.heading_tag = [], tag
                if tag not in ("br", "img", "input", "meta", "link", "hr", "source", "wbr", "col"):
                    self.stack.append((tag, a))

            def handle_endtag(self, tag):
                if tag == self.heading_tag and self.heading is not None:
                    text = " ".join("".join(self.heading).replace("\u00b6", "").split())
                    facts.headings.append(text)
                    if tag == "h1":
                        facts.h1.append(text)
                    self.heading = None
                for i in range(len(self.stack) - 1, -1, -1):
                    if self.stack[i][0] == tag:
                        del self.stack[i:]
                        break

            def handle_data(self, data):
                if self.heading is not None:
                    self.heading.append(data)
                if (self.inside("main") and not self.inside("nav", "pager") and not self.inside("script")
                        and not self.inside("details", "source")):  # folded code is not shown
                    facts.main_text.append(data)

        Parser().feed(text)

    def count(self, phrase: str) -> int:
        """How often `phrase` stands in the main text (case and spacing ignored)."""
        norm = lambda s: " ".join(s.casefold().split())  # noqa: E731
        return norm(" ".join(self.main_text)).count(norm(phrase))


def structure_problems(site: Path, order: list[str]) -> list[str]:
    """Problems with the navigation of a built site; [] when it is sound.

    Every page: exactly one h1 and the search box. Every report (reports/<id>.html, in manifest
    `order`): its title once in the main text; a contents list whose links all land on the page;
    previous and next links that follow `order` to pages that exist; links to the parameters
    (#parameters), and to how to cite (#cite) and the data package when the site publishes them.
    """
    problems = []
    pages = sorted(p for p in site.rglob("*.html") if "pagefind" not in p.relative_to(site).parts)
    if not pages:
        return [f"{site}: no pages"]
    for page in pages:
        rel = str(page.relative_to(site))
        facts = PageFacts(page.read_text(encoding="utf-8"))
        if len(facts.h1) != 1:
            problems.append(f"{rel}: {len(facts.h1)} h1 ({facts.h1}); a page has exactly one")
        if not facts.search_box:
            problems.append(f"{rel}: no search box (form role=search to search.html)")
    for i, run_id in enumerate(order):
        page = site / "reports" / f"{run_id}.html"
        if not page.is_file():
            problems.append(f"reports/{run_id}.html: missing")
            continue
        facts = PageFacts(page.read_text(encoding="utf-8"))
        title = facts.h1[0] if facts.h1 else ""
        if title and facts.count(title) != 1:
            problems.append(f"reports/{run_id}.html: the title {title!r} stands {facts.count(title)} times "
                            "in the page; it is shown once")
        if not facts.toc:
            problems.append(f"reports/{run_id}.html: no contents list")
        for href in facts.toc:
            if not href.startswith("#") or href[1:] not in facts.ids:
                problems.append(f"reports/{run_id}.html: contents link {href} lands on nothing")
        for cls, want in (("prev", order[i - 1] if i else None), ("next", order[i + 1] if i + 1 < len(order) else None)):
            hrefs = [h for h, c in facts.links if cls in c.split()]
            if want is None:
                if hrefs:
                    problems.append(f"reports/{run_id}.html: a {cls} link ({hrefs}) where there is no {cls} report")
            elif hrefs != [f"{want}.html"]:
                problems.append(f"reports/{run_id}.html: {cls} link {hrefs}, expected ['{want}.html']")
            elif not (site / "reports" / hrefs[0]).is_file():
                problems.append(f"reports/{run_id}.html: {cls} link to {hrefs[0]}, which does not exist")
        hrefs = {h for h, _ in facts.links}
        wanted = {"#parameters": "parameters", **({"#cite": "cite"} if (site / "CITATION.cff").is_file() else {})}
        for href, ident in wanted.items():
            if href not in hrefs or ident not in facts.ids:
                problems.append(f"reports/{run_id}.html: no link {href} to an element with id {ident!r}")
        if (site / "datapackage.json").is_file() and "../datapackage.json" not in hrefs:
            problems.append(f"reports/{run_id}.html: no link to the data package (../datapackage.json)")
    return problems
