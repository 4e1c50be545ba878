"""Store the guarded outputs of the notebooks, on purpose.

Executes each article and model notebook with its defaults and writes back into the
committed notebook only the outputs of the cells nbval compares (marked
`# NBVAL_CHECK_OUTPUT` as a whole comment line: the articles' claims tables, the
models' findings boxes), with their execution counts; every other output is
cleared. Which cells count is decided by nbval's own marker rules (`guarded`), so a
mis-written marker stores nothing rather than an output nobody compares. `pytest --nbval-lax` then re-executes the notebooks and fails when a
guarded output changes, so a published number cannot change silently: after a
deliberate data or ledger change, run `make snapshot` and commit the diff.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
import papermill as pm

ROOT = Path(__file__).resolve().parents[1]


def guarded(cell) -> bool:
    """True when `pytest --nbval-lax` compares this code cell's outputs with the stored ones.

    Uses nbval's own parsing of comment markers and cell tags: a marker counts only as a
    whole comment line, exactly `# NBVAL_CHECK_OUTPUT` (or the tag `nbval-check-output`).
    """
    from nbval.plugin import find_comment_markers, find_metadata_tags

    source = cell.get("source", "")
    options = dict(find_metadata_tags(cell.get("metadata", {})))
    options.update(find_comment_markers("".join(source) if isinstance(source, list) else source))
    return bool(options.get("check"))


def snapshot(path: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / path.name
        pm.execute_notebook(str(path), str(out), kernel_name="python3", progress_bar=False, cwd=str(path.parent))
        executed = {c.get("id"): c for c in nbformat.read(out, as_version=4).cells}
    nb = nbformat.read(path, as_version=4)
    kept = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if guarded(cell):
            done = executed[cell.get("id")]
            cell.outputs, cell.execution_count = done.outputs, done.execution_count
            kept += 1
        else:
            cell.outputs, cell.execution_count = [], None
    nb.metadata.pop("papermill", None)
    nbformat.write(nb, path)
    return kept


if __name__ == "__main__":
    targets = [Path(a) for a in sys.argv[1:]] or sorted(
        p for folder in ("articles", "models") for p in (ROOT / "notebooks" / folder).glob("*.ipynb"))
    for target in targets:
        print(f"{target.relative_to(ROOT) if target.is_absolute() else target}: stored {snapshot(target.resolve())} guarded output(s)")
