"""Every manifest problem names the file, the line and the column of the key or value at fault.

Each case below breaks a small, valid manifest in one way and marks with ``‸`` the character the
message must point at: the test removes the mark, works out its line and column from the text
(not from the YAML parser, so the parser's marks are checked, not trusted), and expects the message
to start ``notebooks/manifest.yml, line L, column C: `` and to keep its words after that.

The kinds: the schema (shape, types, unknown keys, kinds), ids (duplicates, slugs), paths (missing,
outside notebooks/), sweeps (cap, empty grid, unknown parameter, values), the parameter refusals of
runs, the invalid sets, the collection's rules (source_id) and the extension key.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import make_project, run_report, write_notebook
from nbreport import manifest, runner
from nbreport.extension import ExtensionError
from nbreport.strictparse import Marks, load_yaml, located

MARK = "‸"

# n and m each 1..10, together at most 10 (a joint rule, as the collection's notebooks declare them)
SWEEP_PARAMS = ('n: int = 3  # how many; range: 1..10\n'
                'm: int = 1  # how many more; range: 1..10\n'
                '# requires: n + m <= 10; n and m together may not pass 10')

GOOD = """\
extension: helpers.report_extension
notebooks:
  - path: articles/a.ipynb
    kind: article
    source_id: art_a
    runs:
      - {id: art-a}
  - path: models/sweepy.ipynb
    kind: model
    title: A model with a sweep
    runs:
      - id: sweepy-base
        parameters: {n: 3, m: 1}
      - id: sweepy-more
        parameters:
          n: 4
    invalid:
      - {parameters: {n: 11}, error: "out of range"}
    sweep:
      id: sweepy-sens
      base: sweepy-base
      grid: {n: [1, 2], m: [1, 2]}
      max_points: 10
"""

# (id, [(old, new) ...], fragment of the message); the mark in a `new` is where the message must point
CASES = [
    # the schema: shape, types, unknown keys, kinds
    ("unknown-entry-key", [("    runs:\n      - {id: art-a}", "    ‸runz:\n      - {id: art-a}")],
     "notebooks[0] (articles/a.ipynb): unknown key 'runz' in a notebook entry; expected path, kind"),
    ("unknown-empty-key", [("      - {id: art-a}\n", '      - {id: art-a}\n    ‸"": 3\n')],
     "notebooks[0] (articles/a.ipynb): unknown key '' in a notebook entry"),
    ("unknown-number-key", [("{id: art-a}", "{id: art-a, ‸7: b}")], "runs[0] (art-a): unknown key 7 in a run"),
    ("unknown-run-key", [("{id: art-a}", "{id: art-a, ‸sight: false}")],
     "runs[0] (art-a): unknown key 'sight' in a run"),
    ("unknown-top-key", [("extension: helpers", "‸extensions: helpers")],
     "unknown key 'extensions' in the top level"),
    ("unknown-sweep-key", [("      base: sweepy-base", "      ‸bsae: sweepy-base")],
     "sweep 'sweepy-sens': unknown key 'bsae' in a sweep"),
    ("runs-not-a-list", [("    runs:\n      - {id: art-a}", "    runs: ‸7")], "'runs' must be a non-empty list"),
    ("site-not-bool", [("{id: art-a}", "{id: art-a, site: ‸maybe}")], "'site' must be true or false, got 'maybe'"),
    ("entry-not-mapping", [("  - path: articles/a.ipynb\n    kind: article\n    source_id: art_a\n    runs:\n"
                            "      - {id: art-a}\n", "  - ‸articles/a.ipynb\n")],
     "notebooks[0]: each entry must be a mapping with path, kind and runs"),
    ("missing-key", [("  - path: articles/a.ipynb\n    kind: article\n", "  - ‸path: articles/a.ipynb\n")],
     "missing required key 'kind'"),
    ("kind-needs-key", [("  - path: articles/a.ipynb\n    kind: article\n    source_id: art_a\n",
                         "  - ‸path: articles/a.ipynb\n    kind: article\n")], "an article needs 'source_id'"),
    ("bad-kind", [("kind: article", "kind: ‸essay")], "kind 'essay' is not one of article, model"),
    ("parameters-not-mapping", [("parameters: {n: 3, m: 1}", "parameters: ‸[3, 1]")],
     "'parameters' must be a mapping like {name: value}, got list"),
    ("parameter-name-not-python", [("parameters: {n: 3, m: 1}", "parameters: {n: 3, ‸1m: 1}")],
     "parameter name '1m' is not a valid Python name"),
    ("invalid-without-error", [('- {parameters: {n: 11}, error: "out of range"}', "- ‸{parameters: {n: 11}}")],
     "invalid[0]: missing 'error'"),
    # ids
    ("bad-run-id", [("{id: art-a}", "{id: ‸Art_A}")], "run id 'Art_A' must be lowercase letters"),
    ("duplicate-run-id", [("id: sweepy-more", "id: ‸art-a")],
     "runs[1] (art-a): duplicate run id 'art-a' (already used by a run of notebooks[0] (articles/a.ipynb))"),
    ("sweep-id-taken", [("id: sweepy-sens", "id: ‸sweepy-base")],
     "sweep 'sweepy-base': its id is already used by a run of notebooks[1]"),
    ("bad-sweep-id", [("id: sweepy-sens", "id: ‸Sweepy")], "sweep id 'Sweepy' must be lowercase letters"),
    ("point-id-taken", [("      - id: sweepy-more\n        parameters:\n          n: 4\n",
                         "      - {id: sweepy-sens-1-1}\n      - {id: sweepy-sens-001}\n"),
                        ("id: sweepy-sens\n", "id: ‸sweepy-sens\n")],
     "its point id 'sweepy-sens-001' is already used by a run of notebooks[1]"),
    # paths
    ("path-with-dotdot", [("path: articles/a.ipynb", "path: ‸../articles/a.ipynb")],
     "path '../articles/a.ipynb' must be relative to notebooks/"),
    ("absolute-path", [("path: articles/a.ipynb", "path: ‸/tmp/a.ipynb")], "path '/tmp/a.ipynb' must be relative"),
    ("missing-notebook", [("path: articles/a.ipynb", "path: ‸articles/b.ipynb")],
     "notebook file notebooks/articles/b.ipynb does not exist"),
    ("notebook-in-another-case", [("path: articles/a.ipynb", "path: ‸articles/A.ipynb")],
     "notebook file notebooks/articles/A.ipynb does not exist (did you mean 'articles/a.ipynb'?)"),
    ("outside-by-link", [("path: articles/a.ipynb", "path: ‸articles/link.ipynb")],
     "path 'articles/link.ipynb' resolves outside notebooks/"),
    ("listed-twice", [("path: models/sweepy.ipynb", "path: ‸articles/a.ipynb")],
     "notebook 'articles/a.ipynb' is listed twice (also notebooks[0] (articles/a.ipynb))"),
    ("listed-twice-spelt-with-dot", [("path: models/sweepy.ipynb", "path: ‸./articles/a.ipynb")],
     "path './articles/a.ipynb' must be relative to notebooks/ and written plainly"),
    ("listed-twice-spelt-with-dot-inside", [("path: models/sweepy.ipynb", "path: ‸articles/./a.ipynb")],
     "path 'articles/./a.ipynb' must be relative to notebooks/ and written plainly"),
    ("listed-twice-through-a-link", [("path: models/sweepy.ipynb", "path: ‸articles/same.ipynb")],
     "notebook 'articles/same.ipynb' is listed twice (also notebooks[0] (articles/a.ipynb))"),
    ("listed-twice-through-a-hard-link", [("path: models/sweepy.ipynb", "path: ‸articles/hard.ipynb")],
     "notebook 'articles/hard.ipynb' is listed twice (also notebooks[0] (articles/a.ipynb))"),
    ("not-a-notebook", [("path: articles/a.ipynb", "path: ‸articles/a.txt")], "is not a notebook (.ipynb)"),
    # sweeps
    ("over-the-cap", [("max_points: 10", "max_points: 3"), ("      grid:", "      ‸grid:")],
     "the grid has 4 points (2 n x 2 m), more than its max_points 3"),
    ("cap-not-a-number", [("max_points: 10", "max_points: ‸0")], "'max_points' must be a whole number"),
    ("empty-grid", [("grid: {n: [1, 2], m: [1, 2]}", "grid: ‸{}")], "empty grid: 'grid' names no parameter"),
    ("empty-values", [("grid: {n: [1, 2]", "grid: {n: ‸[]")], "grid 'n': empty grid: this parameter has no values"),
    ("grid-value-twice", [("grid: {n: [1, 2]", "grid: {n: [1, ‸1]")], "grid 'n': value 1 is listed twice"),
    ("grid-values-not-list", [("grid: {n: [1, 2]", "grid: {n: ‸1")], "grid values must be a list like [a, b], got 1"),
    ("grid-left-empty", [("grid: {n: [1, 2], m: [1, 2]}", "‸grid:")], "got nothing (an empty value)"),
    ("unknown-base", [("base: sweepy-base", "base: ‸sweepy-bsae")],
     "base 'sweepy-bsae' is not a run of this entry; expected one of sweepy-base, sweepy-more"),
    ("fixed-and-varied", [("      base: sweepy-base\n", "      base: sweepy-base\n      parameters: {‸n: 2}\n")],
     "parameter 'n' is both fixed (parameters) and varied (grid)"),
    ("grid-unknown-parameter", [("grid: {n: [1, 2]", "grid: {‸nn: [1, 2]")],
     "sweep 'sweepy-sens', grid: unknown parameter 'nn' (did you mean 'n'?)"),
    ("fixed-unknown-parameter", [("      base: sweepy-base\n", "      base: sweepy-base\n      parameters: {‸k: 2}\n")],
     "sweep 'sweepy-sens', parameters: unknown parameter 'k'"),
    ("grid-value-out-of-range", [("grid: {n: [1, 2], m: [1, 2]}", "grid: {n: [1, 2], m: [1, ‸12]}")],
     "grid 'm': parameter 'm' = 12 is out of range; expected 1 to 10"),
    ("grid-value-wrong-type", [("grid: {n: [1, 2]", "grid: {n: [‸one, 2]")], "parameter 'n' must be int, got 'one'"),
    ("fixed-value-out-of-range", [("grid: {n: [1, 2], m: [1, 2]}", "grid: {n: [1, 2]}\n      parameters: {m: ‸0}")],
     "parameter 'm' = 0 is out of range; expected 1 to 10"),
    # parameter refusals of runs (the collection's check of each run against its notebook)
    ("run-value-out-of-range", [("parameters: {n: 3, m: 1}", "parameters: {n: ‸30, m: 1}")],
     "notebooks[1] (models/sweepy.ipynb), run 'sweepy-base': parameter 'n' = 30 is out of range; expected 1 to 10"),
    ("run-unknown-parameter", [("parameters: {n: 3, m: 1}", "parameters: {n: 3, ‸mm: 1}")],
     "run 'sweepy-base': unknown parameter 'mm' (did you mean 'm'?)"),
    ("run-wrong-type-block", [("          n: 4", "          n: ‸'4'")], "run 'sweepy-more': parameter 'n' must be int"),
    ("run-joint-rule", [("parameters: {n: 3, m: 1}", "parameters: {n: ‸6, m: 5}")],
     "run 'sweepy-base': parameters n = 6, m = 5 cannot run together: n and m together may not pass 10"),
    ("run-joint-rule-with-a-default", [("          n: 4", "          m: ‸9")],
     "run 'sweepy-more': parameters n = 3, m = 9 cannot run together"),
    # the invalid sets
    ("invalid-accepted", [("{parameters: {n: 11}", "{parameters: ‸{n: 5}")],
     "invalid[0]: parameters {'n': 5} were accepted, but the manifest says they must be refused"),
    ("invalid-other-message", [('error: "out of range"', 'error: ‸"unknown value"')],
     "invalid[0]: refused, but with the message"),
    # the collection's rules and the extension
    ("unknown-source-id", [("source_id: art_a", "source_id: ‸art_zz")],
     "notebooks[0] (articles/a.ipynb): source_id 'art_zz' is not in data/sources.csv"),
    ("extension-not-a-module-name", [("extension: helpers.report_extension", "extension: ‸3x")],
     "'extension' must be a module name"),
    ("extension-not-importable", [("extension: helpers.report_extension", "extension: ‸helpers.no_such_ext")],
     "extension 'helpers.no_such_ext' cannot be imported"),
]


def _place(text: str) -> tuple[str, int, int]:
    """The text without its one mark, and the mark's line and column (from 1)."""
    assert text.count(MARK) == 1, "each case marks exactly one place"
    before = text[:text.index(MARK)]
    return text.replace(MARK, ""), before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


def _project(root: Path, text: str) -> Path:
    make_project(root, {"articles/a.ipynb": ["print(label, n)"]}, text)
    write_notebook(root / "notebooks" / "models" / "sweepy.ipynb", ["print(n + m)"], params=SWEEP_PARAMS)
    (root / "outside.ipynb").write_text((root / "notebooks" / "articles" / "a.ipynb").read_text())
    os.symlink(root / "outside.ipynb", root / "notebooks" / "articles" / "link.ipynb")
    os.symlink("a.ipynb", root / "notebooks" / "articles" / "same.ipynb")  # the listed notebook under another name
    os.link(root / "notebooks" / "articles" / "a.ipynb", root / "notebooks" / "articles" / "hard.ipynb")  # and a second
    return root


def _first_problem(root: Path) -> str:
    """What `python -m nbreport --check` refuses first, in-process: the manifest, then its runs' parameters."""
    try:
        runner.preflight(runner.Config.resolve(root=root), data=False)
    except runner.BuildError as exc:
        text = str(exc)
        return text.split("\n  ")[1] if "\n  " in text else text
    return ""


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    root = _project(tmp_path_factory.mktemp("good"), GOOD)
    assert _first_problem(root) == ""  # the unbroken manifest passes: every case below breaks one thing
    return root


@pytest.mark.parametrize("edits, fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_problem_names_the_line_and_column_of_what_is_wrong(good, tmp_path, edits, fragment):
    text = GOOD
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    text, line, col = _place(text)
    root = _project(tmp_path / "p", text)
    message = _first_problem(root)
    assert message.startswith(f"notebooks/manifest.yml, line {line}, column {col}: "), message
    assert fragment in message, message
    assert "Traceback" not in message


def test_the_manifest_loader_places_its_own_errors_without_the_runner(tmp_path):
    """manifest.load (used by the tools, not only by the runner) gives the same place; ExtensionError too."""
    text, line, col = _place(GOOD.replace("{id: art-a}", "{id: art-a, ‸sight: false}"))
    root = _project(tmp_path / "a", text)
    with pytest.raises(manifest.ManifestError) as err:
        manifest.load(root=root)
    assert str(err.value).startswith(f"notebooks/manifest.yml, line {line}, column {col}: notebooks[0]")
    text, line, col = _place(GOOD.replace("extension: helpers.report_extension", "extension: ‸helpers.no_such_ext"))
    root = _project(tmp_path / "b", text)
    with pytest.raises(ExtensionError) as err:
        manifest.load(root=root)
    assert str(err.value).startswith(f"notebooks/manifest.yml, line {line}, column {col}: extension 'helpers.no_such")


def test_a_manifest_written_as_json_is_placed_the_same_way(tmp_path):
    """YAML reads JSON: a manifest in JSON syntax gets the line and column of the JSON key or value."""
    text = json.dumps(load_yaml(GOOD, "x"), indent=2)
    for name, old, new, fragment in (("value", '"n": 3', '"n": ‸30', "parameter 'n' = 30 is out of range"),
                                     ("key", '"id": "art-a"', '"id": "art-a",\n ‸"sight": 1',
                                      "unknown key 'sight' in a run")):
        assert text.count(old) == 1
        case, line, col = _place(text.replace(old, new))
        message = _first_problem(_project(tmp_path / name, case))
        assert message.startswith(f"notebooks/manifest.yml, line {line}, column {col}: "), message
        assert fragment in message, message


def test_the_check_command_prints_the_place_first(tmp_path):
    """End to end, as a user meets it: `python -m nbreport --check` with `runz:` for `runs:`."""
    text, line, col = _place(GOOD.replace("    runs:\n      - {id: art-a}", "    ‸runz:\n      - {id: art-a}"))
    root = _project(tmp_path / "p", text)
    proc = run_report(root, "--check")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"report: notebooks/manifest.yml, line {line}, column {col}: notebooks[0] "
                                  "(articles/a.ipynb): unknown key 'runz' in a notebook entry"), proc.stderr


# --------------------------------------------------------------------------- the marks themselves

def test_marks_give_keys_and_values_and_fall_back_to_the_nearest_parent():
    text = "a:\n  b: [1, {c: 2}]\n  d:\n"
    data, marks = load_yaml(text, "f.yml", marks=True)
    assert data == {"a": {"b": [1, {"c": 2}], "d": None}}
    assert marks.find(("a", "b"), key=True) == (2, 3)
    assert marks.find(("a", "b")) == (2, 6)
    assert marks.find(("a", "b", 1, "c")) == (2, 14)
    assert marks.find(("a", "b", 1, "c"), key=True) == (2, 11)
    assert marks.find(("a", "b", 1, "zz"), key=True) == (2, 10)  # not in the file: its mapping
    assert marks.locate("f.yml", ("a", "b", 0)) == "f.yml, line 2, column 7"
    assert Marks().locate("f.yml", ("a",)) == "f.yml"  # nothing recorded: the file alone
    assert located("f.yml", 3) == "f.yml, line 3" and located("f.yml", 3, 4) == "f.yml, line 3, column 4"


def test_marks_survive_anchors_merge_keys_and_a_cycle():
    text = "base: &b {x: 1}\nrun:\n  <<: *b\n  y: 2\nloop: &l [*l]\n"
    data, marks = load_yaml(text, "f.yml", marks=True)
    assert data["run"] == {"x": 1, "y": 2}
    assert marks.find(("run", "x")) == (1, 14)  # a merged key: where it was written
    assert marks.find(("run", "y")) == (4, 6)
    assert marks.find(("loop", 0)) == (5, 7)  # an alias is the anchored node: the anchor's place; no endless walk


def test_the_json_reader_names_its_places_the_same_way():
    from nbreport.strictparse import ParseError, load_json

    with pytest.raises(ParseError, match=r"^f.json, line 2, column 3: duplicate key 'a'"):
        load_json('{"a": 1,\n  "a": 2}', "f.json")


@pytest.mark.parametrize("text, place, closing", [
    ('{"a": [1, 2,\n  ]}', (1, 12), "']'"),
    ('{"a": 1,\n "b": 2,\n}', (2, 8), "'}'"),
])
def test_a_trailing_comma_in_json_is_named_where_it_stands(text, place, closing):
    """The standard library says 'Expecting property name' on the next line; the comma is the fault."""
    from nbreport.strictparse import ParseError, load_json

    with pytest.raises(ParseError) as err:
        load_json(text, "f.json")
    assert str(err.value) == (f"f.json, line {place[0]}, column {place[1]}: not valid JSON (a comma after the last "
                              f"item; expected the next item or the closing {closing} without the comma)")
