"""The data page's month-by-month coverage grids (helpers.coverage, data.html.j2)."""
import html.parser
import shutil

import pytest

from conftest import write_table
from helpers import coverage, paths


EXPR = {"4100": "8200 / 2", "4600": "9000 - 4400"}  # derived rows carry an expression that gives their value


@pytest.fixture
def gappy(tmp_path):
    shutil.copy(paths.DATAPACKAGE, tmp_path / "datapackage.json")
    write_table(tmp_path, "sources", [
        {"source_id": "doc_a", "publisher": "p", "title": "t", "published": "2025-04-20",
         "address": "https://example.org/a", "accessed": "2026-11-24", "kind": "wire copy"}])
    rows = [("months", "2024-01", "2024-02", "8000", "reported"), ("month", "2024-03", "2024-03", "4000", "reported"),
            ("month", "2024-05", "2024-05", "4100", "derived"), ("months", "2025-01", "2025-02", "9000", "reported"),
            ("month", "2025-01", "2025-01", "4600", "derived")]
    write_table(tmp_path, "exports", [
        {"series": "rare_earths", "partner": "World", "period_kind": k, "period_start": a, "period_end": b, "value": v,
         "unit": "t", "status": st, "formula": EXPR.get(v, "") if st == "derived" else "",
         "expression": EXPR.get(v, "") if st == "derived" else "", "source_id": "doc_a",
         "locator": f"{v} t", "preferred": "true"} for k, a, b, v, st in rows])
    return tmp_path


def test_each_month_is_reported_derived_combined_missing_or_outside(gappy):
    g = coverage.coverage_grid("rare_earths", "World", gappy)
    assert (g["first"], g["last"]) == ("2024-01", "2025-02")
    letters = ["".join(c["letter"] or "." for c in r["cells"]) for r in g["rows"]]
    # 2024: Jan-Feb only as one total, Mar reported, Apr missing, May derived, then nothing until the end
    assert letters == ["CCR–D–––––––", "DC.........."]
    assert g["counts"] == {"reported": 1, "derived": 2, "combined": 3, "missing": 8}
    words = {c["status"]: c["word"] for r in g["rows"] for c in r["cells"]}
    assert words["combined"] == "combined total" and words["outside"] == "outside the series"


def test_every_monthly_series_in_the_data_gets_a_grid_world_and_us_first():
    grids = coverage.coverage_grids()
    keys = [(g["series"], g["partner"]) for g in grids]
    assert keys[:2] == [("magnets", "World"), ("magnets", "United States")]
    assert ("rare_earths", "World") in keys and len(keys) == len(set(keys))
    for g in grids:  # a grid's counts are its cells
        cells = [c["status"] for r in g["rows"] for c in r["cells"]]
        assert all(cells.count(k) == n for k, n in g["counts"].items())


class _Tables(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self._in = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "coverage" in (a.get("class") or ""):
            self._in = {"caption": "", "col": 0, "row": 0, "cells": [], "hidden": []}
        elif self._in is not None:
            if tag == "th":
                self._in["col" if a.get("scope") == "col" else "row"] += 1
            elif tag == "td":
                self._in["cells"].append(a.get("class"))
            self._tag = tag

    def handle_data(self, text):
        if self._in is not None and getattr(self, "_tag", "") == "caption":
            self._in["caption"] += text

    def handle_endtag(self, tag):
        if tag == "table" and self._in is not None:
            self.tables.append(self._in)
            self._in = None
        elif tag == "caption":
            self._tag = ""


def test_the_data_page_renders_each_grid_as_an_accessible_table(gappy):
    from nbreport.pages import environment

    from helpers.report_extension import TEMPLATES, code_spans

    env = environment(TEMPLATES)
    env.filters["code_spans"] = code_spans
    page = env.get_template("data.html.j2").render(
        title="Data", site_name="s", rel="", nav=[], current="data", built="now", stamp="x" * 12, citation=None,
        package=None, results={"status": "ok"}, claims_rows=[], claims_cols=[], claims_heads={}, status_class={},
        tables=[], grids=coverage.coverage_grids(gappy), grid_note="")
    p = _Tables()
    p.feed(page)
    (t,) = p.tables
    assert t["caption"].startswith('Customs "rare earths" exports to the world, 2024-01 to 2025-02')
    assert t["col"] == 13 and t["row"] == 2  # Year + 12 months; one row header per year
    assert t["cells"].count("cov-combined") == 3 and t["cells"].count("cov-missing") == 8
    assert 'class="vh">combined total<' in page  # the word, not only the colour or the letter


def test_the_data_page_keeps_its_grids_until_the_data_change(gappy, tmp_path_factory):
    """A rebuild that changed only a notebook reads the grids back (no pandas in the builder); a changed
    value, a damaged entry or another data folder gives grids computed afresh."""
    from helpers import report_extension

    cache = tmp_path_factory.mktemp("cache")  # beside the data folder (gappy), as build/ is beside data/
    first, note = report_extension._coverage(gappy, set(), cache)
    assert not note and first == coverage.coverage_grids(gappy)
    (entry,) = cache.glob("grids-*.json")
    entry.write_text(entry.read_text().replace('"word": "reported"', '"word": "REPORTED"'))  # only the cache says it
    again, _ = report_extension._coverage(gappy, set(), cache)
    assert "REPORTED" in str(again), "the second build read its grids from the cache"
    # one month more of data: the cached grids are not the data's any more
    rows = (gappy / "exports.csv").read_text().splitlines()
    (gappy / "exports.csv").write_text("\n".join(rows + [rows[-1].replace("2025-01,2025-01", "2025-03,2025-03")]) + "\n")
    fresh, _ = report_extension._coverage(gappy, set(), cache)
    assert "REPORTED" not in str(fresh) and fresh == coverage.coverage_grids(gappy) and fresh != first
    assert len(list(cache.glob("grids-*.json"))) == 1, "one entry: the grids of the data as they are now"
    for damaged in ("{truncated", "null", "[]", "{}", '[{"x": 1}]', '{"key": "other", "grids": []}'):
        next(cache.glob("grids-*.json")).write_text(damaged)
        assert report_extension._coverage(gappy, set(), cache)[0] == fresh, f"{damaged!r} is computed again"
