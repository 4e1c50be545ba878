"""Picture the built site for the README: the index and one report, as a reader sees them.

    make screenshots        # after make report; writes docs/screenshots/*.png

Uses the same server and headless Chromium as the browser test (tools/sitecheck.py).
"""
from __future__ import annotations

import sys
from pathlib import Path

import sitecheck  # tools/sitecheck.py, beside this script
from helpers import paths

SHOTS = [  # (page, file, width, height of the picture)
    ("index.html", "index.png", 1280, 1500),
    ("reports/ainvest-2025-magnet-rebound.html", "report-article.png", 1280, 2400),
    ("reports/rebound-magnets-world.html", "report-model.png", 1280, 2200),
    ("reports/reuters-2025-quiet-quotas.html", "report-phone.png", 400, 1800),
]
SEARCH_SHOTS = [  # (page whose box is used, query, file, width, height): the search page with its results
    ("index.html", "dysprosium", "search-phone.png", 400, 900),
]
CHART_SHOTS = [  # (page, file, width): the page's first chart as a phone shows it
    ("reports/caixin-2019-quota-rise.html", "chart-phone.png", 400),
]


def main() -> int:
    site = paths.ROOT / "site"
    out = paths.ROOT / "docs" / "screenshots"
    if not (site / "index.html").is_file():
        print("screenshots: no site/ yet; run `make report` first", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    with sitecheck.serve(site) as base, sitecheck.browser() as ctx:
        for page, name, width, height in SHOTS:
            visit = sitecheck.PageVisit(ctx, base, width=width, height=height).open(page)
            visit.page.screenshot(path=str(out / name), clip={"x": 0, "y": 0, "width": width, "height": height},
                                  full_page=True)
            visit.close()
            print(f"screenshots: {out.relative_to(paths.ROOT) / name} ({page} at {width} px)")
        for page, query, name, width, height in SEARCH_SHOTS:
            visit = sitecheck.PageVisit(ctx, base, width=width, height=height).open(page)
            sitecheck.search(visit, query)
            visit.page.screenshot(path=str(out / name))
            visit.close()
            print(f"screenshots: {out.relative_to(paths.ROOT) / name} (search for {query!r} at {width} px)")
        for page, name, width in CHART_SHOTS:
            visit = sitecheck.PageVisit(ctx, base, width=width, height=900).open(page)
            visit.page.locator("figure").first.screenshot(path=str(out / name))
            visit.close()
            print(f"screenshots: {out.relative_to(paths.ROOT) / name} (first chart of {page} at {width} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
