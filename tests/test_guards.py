"""The nbval guards guard: every output the project means to compare is compared, and fails when it moves.

nbval (`--nbval-lax`) compares a code cell's outputs only when the cell carries the
marker `# NBVAL_CHECK_OUTPUT` as a whole comment line (or the tag
`nbval-check-output`); anything else (`# NBVAL_CHECK_OUTPUT: the findings`, a
lower-case marker) is silently ignored and the cell guards nothing. Here:

- every comment line or tag that mentions NBVAL is one nbval recognises exactly;
- every cell the project means to guard (each claims table, `show_claims`, and each
  findings box, `show_findings`, in every notebook of the manifest) is one nbval
  compares, with a stored output to compare against;
- each of those guards is watched failing: the notebooks are copied to a temporary
  folder with every guarded output altered, nbval runs on the copies (one pytest
  process for all of them), and each guarded cell must be reported failed, with a
  message naming what moved and `make snapshot`, while every other cell passes;
- the failure message (the repository's root conftest.py) names the claim or finding that moved,
  from what to what, on the outputs the issue's reproduction produced.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import comment_markers, metadata_tags

from conftest import REPO, load_tool
from nbreport import manifest as manifest_mod


snapshot = load_tool("snapshot_notebooks")
_spec = importlib.util.spec_from_file_location("nbval_messages", REPO / "conftest.py")
messages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(messages)

MANIFEST = manifest_mod.load(REPO / "notebooks" / "manifest.yml", root=REPO)
NOTEBOOKS = [e.path for e in MANIFEST.entries]
# What the project means to guard: every claims table and every findings box a reader sees.
MEANT = re.compile(r"\b(show_claims|show_findings)\(")


def _code_cells(rel: str):
    nb = nbformat.read(REPO / "notebooks" / rel, as_version=4)
    return nb, [c for c in nb.cells if c.cell_type == "code"]


def marker_problems(cell) -> list[str]:
    """Comment lines and tags that mention NBVAL but that nbval would not recognise."""
    bad = []
    known = ", ".join(f"'# {m}'" for m in comment_markers if m.startswith("NBVAL"))
    for line in cell.source.splitlines():
        text = line.strip()
        if "NBVAL" in text.upper() and not (text.startswith("#") and text.lstrip("#").strip() in comment_markers):
            bad.append(f"line {text!r}: nbval reads a marker only as a whole comment line, exactly one of {known}")
    for tag in cell.get("metadata", {}).get("tags", []):
        if "nbval" in tag.lower() and tag not in metadata_tags:
            bad.append(f"tag {tag!r}: nbval knows only {sorted(t for t in metadata_tags if 'nbval' in t)}")
    return bad


def test_marker_check_catches_what_nbval_ignores():
    """The lint itself: each way of writing a marker that nbval ignores is reported; the exact ones pass."""
    def cell(source, tags=()):
        return nbformat.v4.new_code_cell(source, metadata={"tags": list(tags)} if tags else {})

    for wrong in ("# NBVAL_CHECK_OUTPUT: the findings readers see", "# nbval_check_output",
                  "# NBVAL_CHECK_OUTPUTS", "x = 1  # NBVAL_CHECK_OUTPUT", "# NBVAL CHECK OUTPUT"):
        assert marker_problems(cell(wrong + "\nx")), wrong
        assert not snapshot.guarded(cell(wrong + "\nx")), f"nbval would compare {wrong!r}?"
    assert marker_problems(cell("x", ["nbval-check-outputs"]))
    for right in ("# NBVAL_CHECK_OUTPUT", "#NBVAL_CHECK_OUTPUT", "  # NBVAL_CHECK_OUTPUT  "):
        assert not marker_problems(cell(right + "\nx")) and snapshot.guarded(cell(right + "\nx")), right
    assert snapshot.guarded(cell("x", ["nbval-check-output"]))


@pytest.mark.parametrize("path", sorted(str(p.relative_to(REPO)) for p in (REPO / "notebooks").rglob("*.ipynb")
                                        if ".ipynb_checkpoints" not in p.parts))
def test_nbval_markers_are_exact(path):
    nb = nbformat.read(REPO / path, as_version=4)
    problems = [f"code cell {i}: {p}" for i, c in enumerate(c for c in nb.cells if c.cell_type == "code")
                for p in marker_problems(c)]
    assert not problems, f"{path}: markers nbval silently ignores, so the cell is not compared:\n" + \
        "\n".join(problems)


@pytest.mark.parametrize("rel", NOTEBOOKS)
def test_every_cell_meant_to_be_guarded_is_compared(rel):
    """Each claims table and findings box is a cell nbval compares, with a stored output to compare to."""
    _, cells = _code_cells(rel)
    meant = [(i, c) for i, c in enumerate(cells) if MEANT.search(c.source)]
    assert meant, f"notebooks/{rel}: no claims table or findings box, so nothing on its page is guarded"
    for i, c in meant:
        assert snapshot.guarded(c), (f"notebooks/{rel}, code cell {i}: shows what readers see but nbval does "
                                     "not compare it; give it the whole comment line `# NBVAL_CHECK_OUTPUT`")
        assert c.execution_count is not None and c.outputs, (
            f"notebooks/{rel}, code cell {i}: no stored output, so nbval has nothing to compare; run `make snapshot`")
    stray = [i for i, c in enumerate(cells) if snapshot.guarded(c) and not MEANT.search(c.source)]
    assert not stray, f"notebooks/{rel}: cells {stray} are compared but show no claims table or findings box"


@pytest.mark.parametrize("rel", NOTEBOOKS)
def test_committed_notebooks_store_only_guarded_outputs(rel):
    """An output stored in a cell nbval does not compare would show a number nobody checks (`make snapshot`
    clears them). A stored execution count without outputs would make nbval compare the cell with nothing."""
    _, cells = _code_cells(rel)
    stray = [i for i, c in enumerate(cells) if not snapshot.guarded(c) and (c.outputs or c.execution_count)]
    assert not stray, (f"notebooks/{rel}: code cells {stray} store outputs that nbval does not compare; "
                       "run `make snapshot`")


# ---------------------------------------------------------------- each guard, watched failing

_DECIMAL = re.compile(r"(?<![\w.,])\d[\d,]*\.\d+(?!\d)")
_INTEGER = re.compile(r"(?<![\w.,])\d+(?![\d,.])")


def _alter(outputs) -> tuple[str, str]:
    """Change one number in every text form of the stored output, the same way; returns (was, now)."""
    plain = "".join(o["data"]["text/plain"] for o in outputs if "text/plain" in o.get("data", {}))
    m = _DECIMAL.search(plain) or _INTEGER.search(plain)
    assert m, "a guarded output without a number"
    was = m.group()
    now = was[:-1] + str((int(was[-1]) + 1) % 10)
    pattern = re.compile(r"(?<![\w.,])" + re.escape(was) + r"(?![\d])")
    for out in outputs:
        for mime, value in out.get("data", {}).items():
            if mime.startswith("text/"):
                text = "".join(value) if isinstance(value, list) else value
                out["data"][mime] = pattern.sub(now, text, count=1)
    return was, now


def _guarded_copy(rel: str, dest: Path) -> dict[int, tuple[str, str]]:
    """Copy a notebook with every guarded output altered, dropping the cells after the last guarded one
    (they cannot change what is compared). Returns {code cell index: (stored, altered)}."""
    nb = nbformat.read(REPO / "notebooks" / rel, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    altered = {i: _alter(c.outputs) for i, c in enumerate(code) if snapshot.guarded(c)}
    last = code[max(altered)]
    nb.cells = nb.cells[:nb.cells.index(last) + 1]
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return altered


@pytest.mark.notebook
def test_each_guard_fails_when_its_stored_output_is_altered(tmp_path, pytestconfig):
    root = tmp_path / "copy"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(REPO / "conftest.py", root / "conftest.py")  # the readable failure message
    (root / "pytest.ini").write_text("[pytest]\naddopts =\n", encoding="utf-8")
    altered = {rel: _guarded_copy(rel, root / "notebooks" / rel) for rel in NOTEBOOKS}
    report = tmp_path / "report.xml"
    env = {**os.environ, "NBREPORT_ROOT": str(REPO)}
    # the kernels this session's nbval uses (python3-warm, forked pre-imported, when tests/conftest.py
    # found it usable; else each notebook's own)
    kernel = getattr(pytestconfig.option, "nbval_kernel_name", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "notebooks", "--nbval-lax", "-p", "no:cacheprovider",
                           "-p", "no:xdist", "-q", f"--junitxml={report}",
                           *(["--nbval-kernel-name", kernel] if kernel else [])],
                          cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    results = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        failure = case.find("failure")
        text = "" if failure is None else (failure.get("message", "") + "\n" + (failure.text or ""))
        cls = case.get("classname", "")
        rel = next(r for r in NOTEBOOKS if cls.endswith(Path(r).name.replace(".", "_")) or Path(r).stem in cls)
        results[(rel, int(case.get("name").split()[-1]))] = (failure is not None, text, case.find("error"))
    for rel, cells in altered.items():
        for (r, i), (failed, text, error) in results.items():
            if r != rel:
                continue
            assert error is None, f"{rel} cell {i}: error {error.get('message')}"
            if i in cells:
                was, now = cells[i]
                assert failed, f"notebooks/{rel}, code cell {i}: its stored output was altered and nbval passed"
                assert "Cell outputs differ" in text, text[:2000]
                summary = text.split("nbval's comparison:")[0]
                assert "GUARDED OUTPUT MOVED" in summary and "make snapshot" in summary, summary
                assert re.search(re.escape(now) + r"[^\n]* -> [^\n]*" + re.escape(was), summary), (
                    f"{rel} cell {i}: the message does not show {now} -> {was}:\n{summary}")
            else:
                assert not failed, f"notebooks/{rel}, code cell {i} failed on an unaltered cell:\n{text[:2000]}"
        assert set(cells) <= {i for (r, i) in results if r == rel}, f"{rel}: guarded cells not run: {cells}"


# ---------------------------------------------------------------- the message, on the reproduction

# The export-rebound findings before and after adding a March 2026 magnet month (5,238 t)
# to data/exports.csv (issue 9's reproduction), as nbval sees them.
FINDING_BEFORE = ("> **Findings: rare-earth magnet exports to the world, shock 2025-04, intervals at 90%**\n>\n"
                  "> - **Trough depth:** 79% below the counterfactual in 2025-05 (90% interval 71% to 84%).\n"
                  "> - **Interrupted time series:** level change at the shock -60% (90% CI -74% to -38%), then the "
                  "monthly trend changes by +14.6% a month (CI +6.9% to +22.9%).")
FINDING_AFTER = FINDING_BEFORE.replace("-60% (90% CI -74% to -38%)", "-53% (90% CI -69% to -28%)").replace(
    "+14.6% a month (CI +6.9% to +22.9%)", "+8.9% a month (CI +3.4% to +14.8%)")


def _display(text: str, html: str | None = None):
    data = {"text/markdown": text, "text/plain": text}
    if html is not None:
        data = {"text/html": html, "text/plain": text}
    return [nbformat.v4.new_output("display_data", data=data)]


def test_message_names_the_finding_that_moved_from_what_to_what():
    lines = messages.explain(_display(FINDING_BEFORE), _display(FINDING_AFTER))
    assert lines[0].startswith("  Interrupted time series: -60% -> -53%;")
    assert "+14.6% -> +8.9%" in lines[0]
    assert not any("Trough depth" in line for line in lines)  # what did not move is not listed
    assert messages._what(messages._items(_display(FINDING_BEFORE))).startswith("findings box 'Findings: rare-earth")


def test_message_names_the_claim_that_moved_column_by_column():
    row = ("<tr class='re-ok'><td>{n}</td><td>{phrase}</td><td>10.4%</td><td>{give}</td><td>r</td>"
           "<td>{result}</td></tr>")
    head = ("<p><strong>{k} of 2 numbers reproduce.</strong></p><table><thead><tr><th>#</th><th>Phrase in the article"
            "</th><th>Article says</th><th>Data give</th><th>Range from rounding</th><th>Result</th></tr></thead>"
            "<tbody>")
    before = head.format(k=2) + row.format(n=1, phrase="up 10.4%", give="10.43", result="reproduced") + \
        row.format(n=2, phrase="132,000 tons", give="132,000", result="reproduced") + "</tbody></table>"
    after = head.format(k=1) + row.format(n=1, phrase="up 10.4%", give="9.12", result="differs by 1.3 pp") + \
        row.format(n=2, phrase="132,000 tons", give="132,000", result="reproduced") + "</tbody></table>"
    lines = messages.explain(_display("t", before), _display("t", after))
    assert "  summary: 2 -> 1" in lines
    assert "  claim 1 'up 10.4%': Data give: 10.43 -> 9.12; Result: reproduced -> differs by 1.3 pp" in lines
    assert not any("132,000" in line for line in lines)
