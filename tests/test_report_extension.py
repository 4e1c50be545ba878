"""helpers.report_extension: the collection's side of the report builder, and how the builder finds it."""
from __future__ import annotations

import json

import pytest

from conftest import REPO
from helpers import report_extension
from nbreport import extension


def test_status_chips_cover_exactly_the_statuses_the_checker_emits():
    schema = json.loads(report_extension.CLAIMS_SCHEMA.read_text(encoding="utf-8"))
    enum = next(f for f in schema["fields"] if f["name"] == "status")["constraints"]["enum"]
    assert sorted(report_extension.STATUS_CLASS) == sorted(enum)


def test_the_builder_finds_the_extension_by_name_or_by_entry_point():
    named = extension.load("helpers.report_extension")
    assert named.module is report_extension and named.package_dir() == REPO / "src" / "helpers"
    assert extension.load(None).name == "helpers.report_extension"  # pyproject's nbreport.extensions entry point
    with pytest.raises(extension.ExtensionError, match="extension 'helpers.no_such_module' cannot be imported"):
        extension.load("helpers.no_such_module")


def test_an_extension_that_cannot_be_loaded_stops_the_build_with_its_name(tmp_path):
    from conftest import make_project, run_report

    manifest = ("extension: helpers.no_such_module\n"
                "notebooks:\n  - {path: models/one.ipynb, kind: model, title: One, runs: [{id: r1}]}\n")
    root = make_project(tmp_path / "p", {"models/one.ipynb": ["print(label)"]}, manifest)
    proc = run_report(root)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith("report: notebooks/manifest.yml, line 1, column 12: extension 'helpers.no_such_module' "
                                  "cannot be imported"), proc.stderr
    assert not (root / "site").exists()
