"""The published data: claims.csv keeps numbers in number columns, and the site's data package
describes it; frictionless validates it and pandas loads it into numeric columns. The built site
shows one "Download claims.csv" link, a "How to cite" block on every page and a re-run command
that works as pasted.
"""
from __future__ import annotations

import csv
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from helpers import claims as C
from helpers import report_extension

REPO = Path(__file__).resolve().parents[1]
NUMBER_FIELDS = [f["name"] for f in C.RESULTS_SCHEMA["fields"] if f["type"] == "number"]


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """claims.csv as the report build writes it (report_extension.claims_job on the repository's data) and the
    site's datapackage.json beside it, with the curated tables under data/ as on the site."""
    out = tmp_path_factory.mktemp("published")
    res = report_extension.claims_job({"data_dir": str(REPO / "data"), "out_csv": str(out / "claims.csv"), "articles": []})
    assert res["status"] == "ok", res
    shutil.copytree(REPO / "data", out / "data")
    package = json.loads((REPO / "data" / "datapackage.json").read_text(encoding="utf-8"))
    (out / "datapackage.json").write_text(json.dumps(report_extension.published_package(package), indent=1))
    return out


def _validate(folder: Path, resource: str | None = "claims_results"):
    from frictionless import Package

    package = Package(str(folder / "datapackage.json"))
    if resource:
        return package.get_resource(resource).validate()
    return package.validate()


def test_check_claims_columns_are_the_schema_and_numbers_are_floats():
    df = C.check_claims()
    assert list(df.columns) == C.RESULTS_COLUMNS
    assert {"stated", "recomputed", "stated_low", "stated_high", "recomputed_low", "recomputed_high"} <= set(NUMBER_FIELDS)
    assert {"stated_text", "recomputed_text", "stated_interval", "recomputed_interval"} <= set(C.RESULTS_COLUMNS)
    for name in NUMBER_FIELDS:
        assert df[name].dtype == "float64", name


def test_claims_csv_loads_with_pandas_into_numeric_columns(published):
    df = pd.read_csv(published / "claims.csv")
    for name in NUMBER_FIELDS:
        assert pd.api.types.is_float_dtype(df[name]), f"{name} read as {df[name].dtype}"
    # the bounds hold the printed interval: '10.35 to 10.45' is 10.35 and 10.45
    exact = df[(df["unit"] == "%") & (df["qualifier"] == "exact")].iloc[0]
    lo, hi = (float(x.replace(",", "")) for x in exact["stated_interval"].split(" to "))
    assert (exact["stated_low"], exact["stated_high"]) == (lo, hi)
    assert lo <= exact["stated"] <= hi
    checkable = df[df["status"] != "not_checkable"]
    assert (checkable["recomputed_low"] <= checkable["recomputed_high"]).all()
    assert df.loc[df["status"] == "not_checkable", "recomputed"].isna().all()


def test_claims_csv_validates_against_its_schema_with_frictionless(published):
    report = _validate(published)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.tasks[0].stats["rows"] == len(C.load_claims())


def test_published_package_validates_whole(published):
    report = _validate(published, resource=None)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]


@pytest.mark.parametrize("column, bad, error", [
    ("stated", "10.4%", "type-error"),          # printed text in a number column
    ("recomputed_low", "about 5", "type-error"),
    ("claim_id", None, "unique-error"),          # a duplicated row
])
def test_frictionless_names_row_and_field_of_a_broken_claims_csv(published, tmp_path, column, bad, error):
    folder = tmp_path / "broken"
    shutil.copytree(published, folder)
    with open(folder / "claims.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if bad is None:
        rows.append(dict(rows[0]))
    else:
        rows[2][column] = bad
    with open(folder / "claims.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    report = _validate(folder)
    assert not report.valid
    errors = report.flatten(["rowNumber", "fieldName", "type"])
    want_row = len(rows) + 1 if bad is None else 4
    assert [want_row, column, error] in errors, errors


def test_schema_column_order_is_the_written_order(published):
    header = (published / "claims.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == C.RESULTS_COLUMNS


# --------------------------------------------------------------------------- the built site


@pytest.mark.notebook
def test_site_publishes_the_package_and_one_claims_download(repo_build):
    s = repo_build.site
    assert repo_build.proc.returncode == 0, repo_build.log()[-3000:]
    report = _validate(s, resource=None)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]
    page = (s / "data.html").read_text(encoding="utf-8")
    links = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>Download claims\.csv</a>', page)
    assert links == ["claims.csv"], links
    assert 'href="datapackage.json"' in page
    df = pd.read_csv(s / "claims.csv")
    assert all(pd.api.types.is_float_dtype(df[n]) for n in NUMBER_FIELDS)


@pytest.mark.notebook
def test_every_page_says_how_to_cite(repo_build):
    s = repo_build.site
    pages = [s / "index.html", s / "data.html", *sorted((s / "reports").glob("*.html"))]
    assert len(pages) > 3
    title = re.search(r'^title: "(.*)"$', (REPO / "CITATION.cff").read_text(), re.M).group(1)
    for p in pages:
        text = p.read_text(encoding="utf-8")
        assert 'id="cite"' in text and html.escape(title) in text, f"{p.name} has no 'How to cite' block"
    assert (s / "CITATION.cff").read_bytes() == (REPO / "CITATION.cff").read_bytes()


@pytest.mark.notebook
def test_rerun_command_works_as_pasted(repo_build, tmp_path):
    """The 'Re-run with other parameters' command of a report with non-default values, run by bash
    in the repository folder exactly as the page prints it, executes with those values."""
    run_id = "rebound-magnets-us"
    page = (repo_build.site / "reports" / f"{run_id}.html").read_text(encoding="utf-8")
    box = re.search(r"Re-run with other parameters</summary>.*?<pre[^>]*>(.*?)</pre>", page, re.S)
    command = html.unescape(box.group(1))
    assert command.startswith("mkdir -p build && .venv/bin/papermill ")
    out = REPO / "build" / f"{run_id}-rerun.ipynb"
    out.unlink(missing_ok=True)
    try:
        proc = subprocess.run(["bash", "-c", command], cwd=REPO, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        nb = json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)
    injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    source = "".join(injected["source"])
    for line in ('series = "magnets_us"', "use_derived = True", "recovery_low = 0.5", "pre_months = 24"):
        assert line in source, source
