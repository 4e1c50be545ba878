"""nbreport.manifest: the manifest's shape comes from manifest.schema.json, checked with jsonschema.

The refusals a user meets (unknown keys, missing keys, kinds, run ids) are tested end to end in
test_report.py and test_bad_input.py; these tests pin down that the schema file is what decides.
"""
from __future__ import annotations

import copy

import pytest

from conftest import make_project
from nbreport import manifest

OK_NOTEBOOKS = {"models/one.ipynb": ["print(label, n)"]}
ONE = "notebooks:\n  - {path: models/one.ipynb, kind: essay, title: One, runs: [{id: r1}]}\n"


@pytest.fixture()
def root(tmp_path):
    return make_project(tmp_path / "p", OK_NOTEBOOKS, ONE)


def test_the_schema_decides_what_is_refused(root, monkeypatch):
    with pytest.raises(manifest.ManifestError, match=r"notebooks\[0\] \(models/one.ipynb\): kind 'essay' is not one "
                                                     "of article, model"):
        manifest.load(root=root)
    schema = copy.deepcopy(manifest.SCHEMA)
    schema["$defs"]["entry"]["properties"]["kind"]["enum"].append("essay")
    monkeypatch.setattr(manifest, "SCHEMA", schema)
    assert [e.kind for e in manifest.load(root=root).entries] == ["essay"]


def test_the_refusal_words_come_from_the_schema(root, monkeypatch):
    schema = copy.deepcopy(manifest.SCHEMA)
    schema["$defs"]["entry"]["properties"]["kind"]["x-message"] = "kind {value!r}: try article"
    monkeypatch.setattr(manifest, "SCHEMA", schema)
    with pytest.raises(manifest.ManifestError, match="kind 'essay': try article"):
        manifest.load(root=root)


@pytest.mark.parametrize("value, ok", [("helpers.report_extension", True), ("3x.y", False), ("a b", False)])
def test_extension_key_names_a_module(root, value, ok):
    (root / "notebooks" / "manifest.yml").write_text(f"extension: {value!r}\n" + ONE.replace("essay", "model"))
    if ok:
        assert manifest.load(root=root).extension == value
    else:
        with pytest.raises(manifest.ManifestError, match="'extension' must be a module name"):
            manifest.load(root=root)
