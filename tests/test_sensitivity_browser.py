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
