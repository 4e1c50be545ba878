"""Sweeps and sensitivity pages (nbreport.sweep), and findings as data (nbreport.findings, helpers.models.record).

A sweep's bad grid stops the build before any kernel starts, with one message naming the manifest,
the entry, the sweep and the parameter. A good sweep runs its points like runs (no page each),
lists the points the parameter rules refuse, and writes one sensitivity page whose table and
verdict come from the findings each executed notebook recorded under the findings mimetype.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from conftest import REPO, make_project, run_report

MIME = "application/vnd.nbreport.findings+json"

# n and m each in range, but together at most 10 (a joint constraint, as the collection's notebooks declare them)
SWEEP_PARAMS = ('n: int = 3  # how many; range: 1..10\n'
                'm: int = 1  # how many more; range: 1..10\n'
                '# requires: n + m <= 10; n and m together may not pass 10')

# records a headline finding "total" = n + m with the interval n + m - 2 .. n + m + 2 (what a model notebook does)
RECORD_CELL = ("import os\nfrom IPython.display import display\n"
               "t = n + m\n"
               "print(f'total {t}')\n"
               "print('sweep point of', os.environ.get('REPORT_SWEEP_POINT'))\n"
               f"display({{'{MIME}': {{'version': 1, 'headline': 'total', 'findings': ["
               "{'name': 'total', 'label': 'total', 'value': float(t), 'unit': 'items', 'low': t - 2.0, "
               "'high': t + 2.0, 'level': 0.9, 'interval': 'interval', 'format': '.1f'}]}}, raw=True)")


def sweep_manifest(grid: str, max_points: int = 10, extra: str = "") -> str:
    return ("notebooks:\n"
            "  - path: models/sweepy.ipynb\n"
            "    kind: model\n"
            "    title: A model with a sweep\n"
            "    runs:\n"
            "      - {id: sweepy-base, parameters: {n: 3, m: 1}}\n"
            "    sweep:\n"
            "      id: sweepy-sens\n"
            "      base: sweepy-base\n"
            f"      grid: {grid}\n"
            f"      max_points: {max_points}\n" + extra)


def sweep_project(root: Path, manifest: str) -> Path:
    from conftest import write_notebook

    write_notebook(root / "notebooks" / "models" / "sweepy.ipynb", [RECORD_CELL], params=SWEEP_PARAMS)
    make_project(root, {}, manifest)
    return root


def _nothing_ran(root: Path) -> bool:
    return not (root / "build" / "notebooks").exists() and not (root / "site").exists()


@pytest.mark.parametrize("grid, max_points, fragment", [
    ("{n: [1, 2, 3, 4], m: [1, 2, 3]}", 10,
     "sweep 'sweepy-sens': the grid has 12 points (4 n x 3 m), more than its max_points 10"),
    ("{}", 10, "sweep 'sweepy-sens': empty grid: 'grid' names no parameter"),
    ("{n: [], m: [1]}", 10, "sweep 'sweepy-sens', grid 'n': empty grid: this parameter has no values"),
    ("{nn: [1, 2]}", 10, "sweep 'sweepy-sens', grid: unknown parameter 'nn' (did you mean 'n'?)"),
    ("{n: [1, 11]}", 10, "sweep 'sweepy-sens', grid 'n': parameter 'n' = 11 is out of range; expected 1 to 10"),
    ("{n: [1, 2]}", 0, "'max_points' must be a whole number from 1 to 500"),
])
def test_a_bad_sweep_stops_the_build_with_one_message_before_anything_runs(tmp_path, grid, max_points, fragment):
    root = sweep_project(tmp_path, sweep_manifest(grid, max_points))
    proc = run_report(root)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert fragment in proc.stderr, proc.stderr
    assert "notebooks/manifest.yml" in proc.stderr and "Traceback" not in proc.stderr
    assert _nothing_ran(root)


def test_sweep_points_get_derived_ids_and_the_base_runs_parameters():
    from nbreport import manifest as manifest_mod

    man = manifest_mod.load(REPO / "notebooks" / "manifest.yml", root=REPO)
    sweeps = {e.sweep.id: e for e in man.entries if e.sweep}
    assert set(sweeps) == {"quota-mining-sensitivity", "rebound-magnets-sensitivity"}
    quota = sweeps["quota-mining-sensitivity"].sweep
    assert len(quota.points) == 14 <= quota.max_points
    assert {p.parameters["first_year"] for p in quota.points} == set(range(2010, 2017))
    assert {p.parameters["breaks"] for p in quota.points} == {"fixed", "estimated"}
    assert all(p.parameters["stage"] == "mining" and not p.site and p.sweep == quota.id for p in quota.points)
    rebound = sweeps["rebound-magnets-sensitivity"].sweep
    assert {p.parameters["pre_months"] for p in rebound.points} == {12, 18, 24, 30}
    # no point is a run of its own: tests that execute every run do not execute the grid
    ids = {r.id for _, r in man.runs()}
    assert not ids & {p.id for _, p in man.sweep_points()}
    assert all(manifest_mod.RUN_ID.fullmatch(p.id) for _, p in man.sweep_points())


def test_list_shows_each_sweep_with_its_grid_and_page(tmp_path):
    root = sweep_project(tmp_path, sweep_manifest("{n: [3, 9], m: [1, 4]}", 4))
    proc = run_report(root, "--list")
    assert proc.returncode == 0, proc.stderr
    assert ("sweepy-sens                  notebooks/models/sweepy.ipynb  sweep of sweepy-base: n [3, 9] x m [1, 4], "
            "4 points (cap 4), one page: sensitivity/sweepy-sens.html") in proc.stdout.splitlines()
    points = [line.split()[0] for line in proc.stdout.splitlines() if line.startswith("  ")]  # each point, listed
    assert len(points) == 4 and all(p.startswith("sweepy-sens-") for p in points), proc.stdout
    one = run_report(root, "--check", "--only", points[0])  # a listed point can be asked for by its id
    assert one.returncode == 0, one.stderr
    listed = run_report(root, "--list", "--only", points[0])  # and --list --only lists what it selects
    assert listed.returncode == 0 and [ln.split()[0] for ln in listed.stdout.splitlines()] == [points[0]], listed.stdout
    assert _nothing_ran(root)


def test_a_sweep_builds_one_sensitivity_page_with_refused_points_and_a_computed_verdict(tmp_path):
    # n + m > 10 at (9, 4): refused by the joint constraint; n = 9 lies outside the base interval 2..6
    root = sweep_project(tmp_path, sweep_manifest("{n: [3, 9], m: [1, 4]}", 4))
    proc = run_report(root)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert "report: 4 sweep points: 3 executed, 1 refused; 0 failed; sensitivity pages in site/sensitivity/" in log
    site = root / "site"
    page = (site / "sensitivity" / "sweepy-sens.html").read_text(encoding="utf-8")
    data = json.loads((site / "sensitivity" / "sweepy-sens.json").read_text(encoding="utf-8"))
    status = {p["id"]: p["status"] for p in data["points"]}
    assert status == {"sweepy-sens-3-1": "ok", "sweepy-sens-3-4": "ok", "sweepy-sens-9-1": "ok",
                      "sweepy-sens-9-4": "refused"}
    refused = next(p for p in data["points"] if p["status"] == "refused")
    assert "cannot run together: n and m together may not pass 10" in refused["reason"]
    assert "n and m together may not pass 10" in page
    # each executed point's findings are the record its notebook displayed (n + m), not text scraped
    values = {p["id"]: p["findings"]["findings"][0]["value"] for p in data["points"] if p["findings"]}
    assert values == {"sweepy-sens-3-1": 4.0, "sweepy-sens-3-4": 7.0, "sweepy-sens-9-1": 10.0}
    # verdict: base interval 2.0 to 6.0; 7.0 and 10.0 lie outside
    assert data["verdict"]["kind"] == "fragile"
    assert ("for 2 of the 3 points that ran, the total lies outside the base run's 90% interval (2.0 to 6.0 items)"
            in data["verdict"]["text"])
    assert "1 refused" in data["verdict"]["text"]
    assert data["verdict"]["text"] in html.unescape(page)
    # a point's kernel is told it is one (REPORT_SWEEP_POINT: the charts then draw no image); a run's is not
    def printed(run: str) -> str:
        return (root / "build" / "notebooks" / f"{run}.ipynb").read_text(encoding="utf-8")

    assert "sweep point of sweepy-sens" in printed("sweepy-sens-3-1") and "sweep point of None" in printed("sweepy-base")
    # one page for the sweep, none per point; the index lists the base run only, the header links the page
    assert not list((site / "reports").glob("sweepy-sens-*"))
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "sweepy-sens-3-1" not in index and 'href="sensitivity.html"' in index
    assert json.loads((site / "build.json").read_text())["sensitivity"]["sweepy-sens"]["verdict"] == "fragile"
    assert page.count("<tr id=") == 4 and "<svg" in page and "<title id=\"sweep-chart-title\">" in page

    # a second build executes nothing and does not re-check the refused point
    again = run_report(root)
    assert again.returncode == 0 and "nothing changed" in again.stdout, again.stdout + again.stderr


@pytest.mark.parametrize("status, true, false", [
    ("stale", "not re-run on the current inputs", "no recorded interval"),  # after an --only build: it has one
    ("failed", "failed on the current inputs", "no recorded interval"),
    ("missing", "has not run yet", "no recorded interval"),
])
def test_no_verdict_says_why_the_base_run_gives_nothing_to_compare_with(status, true, false):
    """A base run that is not current gives no verdict, and the sentence says what is true of it: a stale
    run has its interval (from other inputs), so "no recorded interval" would be false."""
    from types import SimpleNamespace

    from nbreport import sweep as sweep_mod

    s = SimpleNamespace(base="base-run", grid={"n": [1, 2]})
    kind, text = sweep_mod.verdict(s, status, None, [], "total")
    assert kind == "none" and true in text and false not in text and "base-run" in text, text
    head = {"name": "total", "label": "total", "value": 3.0}  # current, but recorded without an interval
    kind, text = sweep_mod.verdict(s, "ok", head, [], "total")
    assert kind == "none" and "recorded no interval for total" in text, text


def test_findings_record_is_read_by_mimetype_and_formatted_as_recorded():
    from nbreport import findings

    rec = {"version": 1, "headline": "est", "findings": [
        {"name": "est", "label": "2025 estimate", "value": 301234.0, "unit": "t REO", "low": 270499.0,
         "high": 335501.0, "format": ",.0f", "round": -3},
        {"name": "bad", "value": "text"}]}
    nb = {"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "display_data", "data": {"text/plain": "x"}, "metadata": {}},
        {"output_type": "display_data", "data": {MIME: rec}, "metadata": {}}]}]}
    got = findings.read(nb)
    assert [f["name"] for f in got["findings"]] == ["est"]  # a finding without a number is dropped
    head = findings.headline(got)
    assert findings.fmt(head) == "301,000" and findings.interval_text(head) == "270,000 to 336,000"
    assert findings.read({"cells": []}) is None


def test_show_findings_emits_the_numbers_beside_the_text(monkeypatch):
    from helpers.models import formatting, record

    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw=False: shown.append(obj))

    @record.records(lambda r: {"version": 1, "headline": "x", "findings": [record.finding("x", "x", r, "t")]})
    def bullets(r):
        return [f"x is {r}"]

    formatting.show_findings("Findings", bullets(0.1234567891))
    assert [list(o) for o in shown] == [["text/markdown", "text/plain"], [record.MIMETYPE]]
    assert shown[1][record.MIMETYPE]["findings"][0]["value"] == 0.123457  # rounded: stored outputs stay stable
    shown.clear()
    formatting.show_findings("Findings", bullets(0.5) + ["a note appended by the notebook"])
    assert [list(o) for o in shown][1:] == [[record.MIMETYPE]], "findings + more text lost the numbers"
    shown.clear()
    formatting.show_findings("Findings", ["plain text only"])
    assert len(shown) == 1


@pytest.mark.notebook
def test_model_notebooks_record_the_numbers_their_findings_text_states(repo_build):
    """The headline record of each model run says what its findings box says (same number, same interval)."""
    from nbreport import findings

    checked = 0
    for entry, run in repo_build.manifest.runs(site_only=True):
        if entry.kind != "model":
            continue
        nb = repo_build.notebook(run.id)
        rec = findings.read(nb)
        assert rec and rec["findings"], f"{run.id}: no findings record"
        texts = [("".join(o["data"]["text/plain"]) if isinstance(o["data"]["text/plain"], list) else
                  o["data"]["text/plain"]) for c in nb["cells"] for o in c.get("outputs", [])
                 if "text/plain" in o.get("data", {}) and "**Findings" in str(o["data"]["text/plain"])]
        assert texts, f"{run.id}: no findings box"
        head = findings.headline(rec)
        if head["name"] == "trough_depth" and "not distinguishable" in texts[0]:
            continue
        assert findings.fmt(head) in texts[0] and findings.interval_text(head) in texts[0], (run.id, head)
        assert repo_build.state(run.id)["findings"] == rec
        checked += 1
    assert checked >= 4


@pytest.mark.notebook
def test_the_repository_sweeps_build_their_sensitivity_pages(repo_build):
    assert repo_build.proc.returncode == 0, repo_build.log()
    for sweep in ("quota-mining-sensitivity", "rebound-magnets-sensitivity"):
        data = json.loads((repo_build.site / "sensitivity" / f"{sweep}.json").read_text(encoding="utf-8"))
        ran = [p for p in data["points"] if p["status"] == "ok"]
        assert ran and all(p["findings"] for p in ran), sweep
        assert all(p["status"] in ("ok", "refused") for p in data["points"]), sweep
        assert all(p["reason"] for p in data["points"] if p["status"] == "refused")
        assert re.match(r"(Robust|Not robust): ", data["verdict"]["text"]), data["verdict"]
