"""Licence and citation: LICENSE, CITATION.cff (valid under the pinned cffconvert) and the data licence."""
import csv
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import pins  # noqa: E402

UV = Path(sys.executable).parent / "uv"
MAX_QUOTED_WORDS = 25  # data/README.md: "at most 25 words each"


def cffconvert_validate(path: Path) -> subprocess.CompletedProcess:
    """Run the pinned cffconvert in its own throw-away environment (its dependencies conflict with ours).

    Offline first (uv's cache), then from the registry if the cache lacks it.
    """
    version = pins.isolated_pins()["cffconvert"]
    cmd = [str(UV), "tool", "run", "--from", f"cffconvert=={version}", "cffconvert", "--validate", "-i", str(path)]
    proc = subprocess.run([*cmd[:3], "--offline", *cmd[3:]], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0 and "valid" not in (proc.stdout + proc.stderr).lower():
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    return proc


def test_citation_cff_is_valid_under_cffconvert():
    proc = cffconvert_validate(ROOT / "CITATION.cff")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid according to schema version 1.2.0" in proc.stdout


def test_cffconvert_rejects_a_broken_citation(tmp_path):
    bad = tmp_path / "CITATION.cff"
    bad.write_text((ROOT / "CITATION.cff").read_text().replace("  - MIT\n", "  - MIT licence\n"))
    proc = cffconvert_validate(bad)
    assert proc.returncode != 0, "cffconvert accepted a licence that is no SPDX identifier"


def test_citation_agrees_with_pyproject_and_the_data_package():
    import json

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert cff["version"] == project["version"]
    assert project["license"]["text"] == "MIT" and "MIT" in cff["license"]
    package = json.loads((ROOT / "data" / "datapackage.json").read_text())
    data_licence = package["licenses"][0]["name"]
    assert data_licence == "CC-BY-4.0" and data_licence in cff["license"]


def test_licence_texts_say_what_covers_what():
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "data/README.md" in licence
    readme = (ROOT / "data" / "README.md").read_text()
    assert "CC BY 4.0" in readme and "Attribution rule" in readme and "not redistributed" in readme
    assert f"at most {MAX_QUOTED_WORDS} words" in readme


def _quoting_columns():
    """Every (table, column) of the schema that quotes a source: the claims' phrase and every locator."""
    import json

    package = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    return [(res["path"], f["name"]) for res in package["resources"] for f in res["schema"]["fields"]
            if f["name"] in ("locator", "phrase")]


def test_every_quoting_table_is_checked():
    assert {("claims.csv", "phrase"), ("quotas.csv", "locator"), ("events.csv", "locator"),
            ("controlled_elements.csv", "locator")} <= set(_quoting_columns())


@pytest.mark.parametrize("table, column", _quoting_columns())
def test_only_short_phrases_are_quoted(table, column):
    with open(ROOT / "data" / table, newline="", encoding="utf-8") as f:
        long = [(n, len(row[column].split())) for n, row in enumerate(csv.DictReader(f), 2)
                if len(row[column].split()) > MAX_QUOTED_WORDS]
    assert not long, f"data/{table}.csv: {column} quotes more than {MAX_QUOTED_WORDS} words on (line, words) {long}"


def test_no_article_text_is_shipped():
    # the five article texts stay in ../shared/seeds/, never in the repository
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not [p for p in tracked if re.fullmatch(r".*[0-9]{3}_[0-9a-f]{16}\.txt", p)]
