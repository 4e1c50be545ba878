"""nbreport.manifest: the manifest's shape comes from manifest.schema.json, checked with jsonschema.

The refusals a user meets (unknown keys, missing keys, kinds, run ids) are tested end to end in
test_report.py and test_bad_input.py; these tests pin down that the schema file is what decides.
"""
from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import pytest

from conftest import make_project
from nbreport import manifest

OK_NOTEBOOKS = {"models/one.ipynb": ["print(label, n)"]}
ONE = "notebooks:\n  - {path: models/one.ipynb, kind: essay, title: One, runs: [{id: r1}]}\n"


@pytest.fixture()
def root(tmp_path):
    return make_project(tmp_path / "p", OK_NOTEBOOKS, ONE)


def test_the_kinds_are_the_collections(root, monkeypatch):
    """nbreport names no kind: the extension's KINDS decide which kinds exist and what each needs."""
    from helpers import report_extension

    with pytest.raises(manifest.ManifestError, match=r"notebooks\[0\] \(models/one.ipynb\): kind 'essay' is not one "
                                                     "of article, model"):
        manifest.load(root=root)
    kinds = copy.deepcopy(report_extension.KINDS)
    kinds["essay"] = {"heading": "Essays", "entry": {"required": ["source_id"],
                                                     "x-messages": {"required": "an essay needs 'source_id'"}}}
    monkeypatch.setattr(report_extension, "KINDS", kinds)
    with pytest.raises(manifest.ManifestError, match="notebooks\\[0\\] \\(models/one.ipynb\\): an essay needs 'source_id'"):
        manifest.load(root=root)
    kinds["essay"].pop("entry")
    assert [e.kind for e in manifest.load(root=root).entries] == ["essay"]
    # a collection that declares no kinds: any lowercase word is one, with no rules of its own
    monkeypatch.delattr(report_extension, "KINDS")
    assert [e.kind for e in manifest.load(root=root).entries] == ["essay"]
    (root / "notebooks" / "manifest.yml").write_text(ONE.replace("essay", "Essay!"))
    with pytest.raises(manifest.ManifestError, match="kind 'Essay!' must be a lowercase word"):
        manifest.load(root=root)


def _code_strings(path: Path) -> list[tuple[int, str]]:
    """Names and string constants of a module, docstrings and comments left out (they may give examples)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            out.append((node.lineno, node.value))
        elif isinstance(node, ast.Name):
            out.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            out.append((node.lineno, node.attr))
    return out


def test_no_collection_word_in_the_builder():
    """nbreport's code, schema and templates name no kind of this collection and no collection variable
    (its docstrings and comments may, as examples; an HTML <article> element is not the kind)."""
    import nbreport

    folder = Path(nbreport.__file__).parent
    words = re.compile(r"(?<![\w-])(articles?|models?)(?![\w-])|RARE_EARTH", re.IGNORECASE)
    found = []
    for path in sorted(folder.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        if path.suffix == ".py":
            texts = _code_strings(path)
        elif path.suffix in (".json", ".j2", ".html"):
            texts = [(n, re.sub(r"</?article\b", "<", line))
                     for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)]
        else:
            continue
        found += [f"{path.relative_to(folder)}:{n}: {text.strip()[:120]}" for n, text in texts if words.search(text)]
    assert not found, "\n".join(found)


def test_the_refusal_words_come_from_the_schema(root, monkeypatch):
    schema = copy.deepcopy(manifest.SCHEMA)
    schema["$defs"]["run"]["properties"]["id"]["x-message"] = "run id {value!r}: try lowercase"
    monkeypatch.setattr(manifest, "SCHEMA", schema)
    (root / "notebooks" / "manifest.yml").write_text(ONE.replace("essay", "model").replace("r1", "R1"))
    with pytest.raises(manifest.ManifestError, match="run id 'R1': try lowercase"):
        manifest.load(root=root)


@pytest.mark.parametrize("value, ok", [("helpers.report_extension", True), ("3x.y", False), ("a b", False)])
def test_extension_key_names_a_module(root, value, ok):
    (root / "notebooks" / "manifest.yml").write_text(f"extension: {value!r}\n" + ONE.replace("essay", "model"))
    if ok:
        assert manifest.load(root=root).extension == value
    else:
        with pytest.raises(manifest.ManifestError, match="'extension' must be a module name"):
            manifest.load(root=root)
