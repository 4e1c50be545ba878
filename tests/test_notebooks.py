"""Every notebook in the manifest, with every parameter set it lists, executed under papermill.

The runs come from notebooks/manifest.yml (the one list the runner and the site read),
executed once per session by the report runner (tests/conftest.py: repo_build). The
refused sets are executed here one by one: each must stop in the notebook's validation
cell with the manifest's message, before any data is read.
"""
from __future__ import annotations

import json

import pytest

from conftest import REPO, load_tool
from nbreport import manifest as manifest_mod
from helpers import parameters

pytestmark = pytest.mark.notebook

GUARDED = load_tool("snapshot_notebooks").guarded  # nbval's own rule: is this cell compared?
MANIFEST = manifest_mod.load(REPO / "notebooks" / "manifest.yml", root=REPO)
RUNS = [(entry, run) for entry, run in MANIFEST.runs()]
INVALID = [(entry, j, bad) for entry in MANIFEST.entries for j, bad in enumerate(entry.invalid)]


def _outputs(nb: dict):
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            for out in cell.get("outputs", []):
                yield cell, out


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


@pytest.mark.parametrize("entry, run", RUNS, ids=[r.id for _, r in RUNS])
def test_every_run_executes_cleanly(repo_build, entry, run):
    state = repo_build.state(run.id)
    assert state["error"] is None, f"{run.id} failed: {state['error']}\n{repo_build.log()[-3000:]}"
    assert not state.get("warnings"), f"{run.id} is published with warnings: {state['warnings']}"
    nb = repo_build.notebook(run.id)
    errors = [out for _, out in _outputs(nb) if out["output_type"] == "error"]
    assert not errors, f"{run.id}: {errors[0]['ename']}: {errors[0]['evalue']}"
    warnings = [_text(out["text"]) for _, out in _outputs(nb)
                if out["output_type"] == "stream" and out.get("name") == "stderr"]
    assert not any("Warning" in w for w in warnings), f"{run.id} printed warnings: {warnings}"
    injected = nb["metadata"]["papermill"]["parameters"]
    for name, value in run.parameters.items():
        assert injected[name] == value  # the manifest's parameters are the ones that ran
    text = "\n".join(_text(out.get("data", {}).get("text/plain", "")) for _, out in _outputs(nb))
    assert "object at 0x" not in text  # no raw Python reprs on a reader's page


@pytest.mark.parametrize("entry, run", RUNS, ids=[r.id for _, r in RUNS])
def test_every_run_shows_at_least_two_figures_with_alt_text(repo_build, entry, run):
    """Two figures on every page readers get and in every article run; a test-only model run may
    honestly drop one (e.g. no placebo chart when no earlier month can be fitted)."""
    nb = repo_build.notebook(run.id)
    images = [out for _, out in _outputs(nb) if "image/png" in out.get("data", {})]
    least = 2 if (run.site or entry.kind == "article") else 1
    assert len(images) >= least, f"{run.id} shows {len(images)} figure(s)"
    for out in images:
        alt = out.get("metadata", {}).get("image/png", {}).get("alt", "")
        assert len(alt) > 30, f"{run.id}: a figure without a useful alt text ({alt!r})"


ARTICLE_RUNS = [(e, r) for e, r in RUNS if e.kind == "article"]


@pytest.mark.parametrize("entry, run", ARTICLE_RUNS, ids=[r.id for _, r in ARTICLE_RUNS])
def test_article_shows_every_ledger_number(repo_build, entry, run):
    """The claims table on the page lists each ledger row of the article, whatever the parameters."""
    import pandas as pd

    ledger = pd.read_csv(REPO / "data" / "claims.csv", dtype=str)
    ids = ledger.loc[ledger["source_id"] == entry.source_id, "claim_id"].tolist()
    assert ids, f"no ledger rows for {entry.source_id}"
    nb = repo_build.notebook(run.id)
    tables = [_text(out["data"]["text/plain"]) for cell, out in _outputs(nb)
              if GUARDED(cell) and "text/plain" in out.get("data", {})]
    assert tables, f"{run.id}: no guarded claims table"
    shown = "\n".join(tables)
    assert f"of {len(ids)} numbers" in shown, shown[:300]


@pytest.mark.parametrize("entry, j, bad", INVALID,
                         ids=[f"{e.path.split('/')[-1][:-6]}-invalid{j}" for e, j, _ in INVALID])
def test_refused_parameters_stop_in_the_validation_cell(tmp_path, warm_kernels, entry, j, bad):
    import papermill as pm

    src = MANIFEST.notebook_file(entry)
    with pytest.raises(pm.PapermillExecutionError) as info:
        pm.execute_notebook(str(src), str(tmp_path / "out.ipynb"), parameters=bad.parameters,
                            kernel_name="python3", progress_bar=False, cwd=str(src.parent),
                            execution_timeout=120, kernel_manager_class=warm_kernels)
    assert bad.error in str(info.value)
    assert "ParameterError" in info.value.ename
    assert "validate_parameters(" in info.value.source  # stopped before any data was read or plotted


def test_every_notebook_is_in_the_manifest():
    listed = {e.path for e in MANIFEST.entries}
    on_disk = {str(p.relative_to(REPO / "notebooks")) for p in (REPO / "notebooks").rglob("*.ipynb")
               if ".ipynb_checkpoints" not in p.parts}
    assert on_disk == listed


@pytest.mark.parametrize("entry", MANIFEST.entries, ids=[e.path for e in MANIFEST.entries])
def test_every_documented_choice_is_run(entry):
    """Each value a `one of` parameter documents, and both values of a flag, is executed by some run."""
    spec = parameters.read_spec(MANIFEST.notebook_file(entry))
    used = [{**spec.defaults(), **run.parameters} for run in entry.runs]
    for name, p in spec.params.items():
        documented = set(p.choices) or ({True, False} if p.type == "bool" else set())
        missing = documented - {u[name] for u in used}
        assert not missing, f"{entry.path}: parameter {name!r} value(s) {sorted(missing, key=str)} are never run"
    assert len(entry.runs) >= 2, f"{entry.path}: runs with its defaults only"


def test_refused_sets_cover_each_kind_of_mistake():
    """Across the manifest: an unknown value, an out-of-range value, a misspelt name, an inverted range,
    an impossible calendar month, and values each in range that cannot run together."""
    messages = " | ".join(bad.error for _, _, bad in INVALID)
    for kind in ("unknown value", "out of range", "unknown parameter", "must come after", "not a calendar month",
                 "cannot run together", "did you mean"):
        assert kind in messages, kind
