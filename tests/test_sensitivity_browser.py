"""The sensitivity pages in a real browser (headless Chromium over HTTP, tools/sitecheck.py).

Reached from the header of every page; at 1280 px and 400 px: no console error, no request off
the machine, nothing scrolls sideways, the chart has its description, the table one row per grid
point, and the verdict on the page is the one recomputed here from the page's JSON.
"""
from __future__ import annotations

import json

import pytest

from conftest import load_tool

sitecheck = load_tool("sitecheck")

pytestmark = [pytest.mark.browser, pytest.mark.notebook]


@pytest.fixture(scope="module")
def chromium():
    import os

    required = any(os.environ.get(v, "").strip().lower() not in ("", "0", "false", "no")
                   for v in ("REQUIRE_BROWSER", "CI"))
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        (pytest.fail if required else pytest.skip)(f"Playwright is not installed: {exc}")
    if not sitecheck.chromium_path():
        (pytest.fail if required else pytest.skip)("no Chromium: `apt-get install chromium` or set CHROMIUM")
    with sitecheck.browser() as ctx:
        yield ctx


def _inside(value, low, high) -> bool:
    return low <= value <= high


@pytest.mark.parametrize("width", (1280, 400))
def test_sensitivity_pages_read_cleanly_and_state_the_computed_verdict(repo_build, chromium, width):
    assert repo_build.proc.returncode == 0, repo_build.log()
    sweeps = [e.sweep for e in repo_build.manifest.entries if e.sweep]
    assert sweeps
    problems = []
    with sitecheck.serve(repo_build.site) as base:
        index = sitecheck.PageVisit(chromium, base, width=width).open("index.html")
        assert f"{base}sensitivity.html" in index.links()  # the header links the list of sweeps
        index.close()
        listing = sitecheck.PageVisit(chromium, base, width=width).open("sensitivity.html")
        for sweep in sweeps:
            assert f"{base}sensitivity/{sweep.id}.html" in listing.links()
        listing.close()
        for sweep in sweeps:
            path = f"sensitivity/{sweep.id}.html"
            visit = sitecheck.PageVisit(chromium, base, width=width).open(path)
            for what, found in (("console errors", visit.console_errors), ("requests off the machine", visit.blocked),
                                ("failed requests", visit.failed)):
                if found:
                    problems.append(f"{path}: {what}: {found[:3]}")
            if visit.overflow() > 0:
                problems.append(f"{path}: {visit.overflow()} px too wide at {width} px")
            page = visit.page
            assert (page.locator("svg[role=img] title").first.text_content() or "").strip(), path
            assert page.locator("table.sweep-table tbody tr").count() == len(sweep.points), path
            data = json.loads((repo_build.site / "sensitivity" / f"{sweep.id}.json").read_text(encoding="utf-8"))
            shown = page.locator("section.verdict p").inner_text()
            assert shown == data["verdict"]["text"], path
            # recompute the verdict from the recorded findings: every point's headline inside the base interval?
            base_rec = json.loads((repo_build.builds["site"] / "state.json").read_text())["runs"][sweep.base]["findings"]
            name = data["headline"]
            head = next(f for f in base_rec["findings"] if f["name"] == name)
            values = [next(f for f in p["findings"]["findings"] if f["name"] == name)["value"]
                      for p in data["points"] if p["status"] == "ok"]
            robust = all(_inside(v, head["low"], head["high"]) for v in values)
            assert data["verdict"]["kind"] == ("robust" if robust else "fragile"), (path, values, head)
            assert shown.startswith("Robust: " if robust else "Not robust: "), shown
            visit.close()
    assert not problems, "\n".join(problems)


# the chart a reader sees (the one SVG shown at this width): does any box around it scroll sideways, which of
# its texts reach past the chart or the window, and its smallest text in CSS px on screen (font size times
# the SVG's scale)
SHOWN_CHART = """(() => {
  const shown = Array.from(document.querySelectorAll('figure.sweep-chart svg[role=img]'))
    .filter(s => s.getClientRects().length && getComputedStyle(s).visibility !== 'hidden');
  return shown.map(svg => {
    const r = svg.getBoundingClientRect();
    const scrollers = [];
    for (let e = svg.parentElement; e; e = e.parentElement)
      if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
        scrollers.push(e.tagName + '.' + e.className);
    const texts = Array.from(svg.querySelectorAll('text'));
    const cut = texts.filter(t => { const b = t.getBoundingClientRect();
      return b.left < Math.max(r.left, 0) - 0.5 || b.right > Math.min(r.right, window.innerWidth) + 0.5; })
      .map(t => t.textContent);
    const px = Math.min(...texts.map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a));
    return {scrollers, cut, px, texts: texts.length, width: r.width};
  });
})()"""


@pytest.mark.parametrize("width", (1280, 761, 760, 400, 320))
def test_the_whole_chart_shows_at_every_width_with_legible_text(repo_build, chromium, width):
    """A phone sees the whole sensitivity chart: no scroll box around it, no axis text cut by the chart's or
    the window's edge, and its smallest text at least 11 CSS px as shown (the report charts' rule). 760 and
    761 px sit either side of the switch between the desktop and the narrow layout; 320 px is a small phone."""
    assert repo_build.proc.returncode == 0, repo_build.log()
    sweeps = [e.sweep for e in repo_build.manifest.entries if e.sweep]
    problems = []
    with sitecheck.serve(repo_build.site) as base:
        for sweep in sweeps:
            path = f"sensitivity/{sweep.id}.html"
            visit = sitecheck.PageVisit(chromium, base, width=width).open(path)
            try:
                charts = visit.page.evaluate(SHOWN_CHART)
            finally:
                visit.close()
            if len(charts) != 1:
                problems.append(f"{path}: {len(charts)} charts shown at {width} px (one expected)")
                continue
            c = charts[0]
            assert c["texts"] >= 4, c  # ticks and the axis label: something was measured
            if c["scrollers"]:
                problems.append(f"{path}: the chart sits in a box that scrolls sideways: {c['scrollers']}")
            if c["cut"]:
                problems.append(f"{path}: text cut at the edge: {c['cut']}")
            if c["px"] < 11:
                problems.append(f"{path}: smallest text {c['px']:.1f} px at {width} px (chart {c['width']:.0f} px wide)")
    assert not problems, "\n".join(problems)
