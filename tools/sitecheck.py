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
def serve(site: Path):
    """Yield the base URL of `site` served over HTTP on 127.0.0.1 (a free port)."""
    handler = functools.partial(_Quiet, directory=str(site))
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
        self.page.on("requestfailed", lambda r: r.url.startswith(base) and self.failed.append(r.url))

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
        """Load the page with every lazy image forced in, and wait until the network is idle."""
        self.page.goto(self.base + path, wait_until="load")
        self.page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
        self.page.wait_for_load_state("networkidle")
        self.page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=10000)
        return self

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
