"""tools/new_article.py (`make new-article`) against a temporary copy of the repository.

The tool is pointed at the copy with --root, so the real notebooks, manifest and
ledger are never touched; the generated notebook is executed there with
NBREPORT_ROOT set, so the helpers read the copy's data and notebooks too.

The tool runs in this process (`main(argv)`, its output read with capsys): a command-line
run costs about 1.5 CPU-s of start and imports each time. One test runs it as the command
line (`run_cli`), with the exit code and message a user sees.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import REPO, load_tool
from nbreport import manifest as manifest_mod
from helpers import parameters, report_extension

TOOL = REPO / "tools" / "new_article.py"
SOURCE = "bs_2011_04_rare_metals_cap"        # a news article in data/sources.csv without a notebook
SLUG = "2011-04_bs_rare-metals-cap"
RUN_ID = "bs-2011-rare-metals-cap"


@pytest.fixture
def root(tmp_path) -> Path:
    """data/ and notebooks/ of the repository, copied."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "data", copy / "data")
    shutil.copytree(REPO / "notebooks", copy / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return copy


def run_cli(root: Path, source: str = SOURCE, slug: str = SLUG, *extra: str) -> subprocess.CompletedProcess:
    """`python tools/new_article.py ...` as `make new-article` runs it."""
    return subprocess.run([sys.executable, str(TOOL), "--root", str(root), "--source", source, "--slug", slug, *extra],
                          capture_output=True, text=True, timeout=120, cwd=str(root))


@pytest.fixture
def run_tool(capsys):
    """The tool's main(argv) in this process, returning what `run_cli` returns (exit code, stdout, stderr).

    The module is loaded afresh in each test, at its first call, while capsys holds sys.stdout: the
    tool's `scaffold(..., out=sys.stdout)` binds the stream when the module is executed.
    """
    tool = []

    def run(root: Path, source: str = SOURCE, slug: str = SLUG, *extra: str) -> subprocess.CompletedProcess:
        if not tool:
            tool.append(load_tool("new_article"))
        capsys.readouterr()
        argv = ["--root", str(root), "--source", source, "--slug", slug, *extra]
        code = tool[0].main(argv)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess([str(TOOL), *argv], code, out, err)

    return run


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_scaffolds_notebook_and_manifest_entry(root, run_tool):
    manifest_before = (root / "notebooks" / "manifest.yml").read_text(encoding="utf-8")
    claims_before = (root / "data" / "claims.csv").read_bytes()
    proc = run_tool(root)
    assert proc.returncode == 0, proc.stderr
    for step in ("make snapshot", "make test", "make report", "data/claims.csv"):
        assert step in proc.stdout
    assert "claim_id,source_id,phrase,stated,stated_text" in proc.stdout  # the ledger header to copy

    nb_file = root / "notebooks" / "articles" / f"{SLUG}.ipynb"
    nb = nbformat.read(nb_file, as_version=4)
    nbformat.validate(nb)
    assert all(c.get("id") for c in nb.cells) and len({c.id for c in nb.cells}) == len(nb.cells)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert code[0].metadata.get("tags") == ["parameters"]
    assert f'validate_parameters("articles/{SLUG}.ipynb", globals())' in code[1].source
    assert f'SOURCE_ID = "{SOURCE}"' in code[1].source
    assert "articles.show_header(SOURCE_ID" in code[2].source
    assert code[3].source == "# NBVAL_CHECK_OUTPUT\narticles.show_claims(SOURCE_ID)"
    assert any("charts.show(fig, alt=" in c.source for c in code)
    assert nb.cells[-1].cell_type == "markdown" and nb.cells[-1].source.startswith("## What the data show since")
    assert sum("TODO" in c.source for c in nb.cells if c.cell_type == "markdown") >= 3
    spec = parameters.read_spec(nb_file)
    assert list(spec.params) == ["first_year"] and spec.params["first_year"].low is not None

    manifest_after = (root / "notebooks" / "manifest.yml").read_text(encoding="utf-8")
    assert manifest_after.startswith(manifest_before)  # appended as text: comments and layout kept
    loaded = manifest_mod.load(root=root)
    entry = loaded.entries[-1]
    assert (entry.path, entry.kind, entry.source_id) == (f"articles/{SLUG}.ipynb", "article", SOURCE)
    assert [r.id for r in entry.runs] == [RUN_ID] and manifest_mod.RUN_ID.match(RUN_ID)
    assert not [p for p in report_extension.check_parameters(loaded) if SLUG in p]
    assert (root / "data" / "claims.csv").read_bytes() == claims_before  # no stub row
    # the real repository is untouched
    assert not (REPO / "notebooks" / "articles" / f"{SLUG}.ipynb").exists()
    assert SLUG not in (REPO / "notebooks" / "manifest.yml").read_text(encoding="utf-8")


def test_refuses_an_existing_notebook_or_manifest_entry(root, run_tool):
    assert run_tool(root).returncode == 0
    before = snapshot(root)
    again = run_cli(root)  # the command line: its exit code and message, as a user sees them
    assert again.returncode == 2 and again.stderr.startswith("new-article: ") and "Traceback" not in again.stderr
    assert f"notebooks/articles/{SLUG}.ipynb already exists" in again.stderr
    other_slug = run_tool(root, SOURCE, "2011-04-25_bs_output-cap")
    assert other_slug.returncode != 0
    assert "notebooks/manifest.yml already has an article entry" in other_slug.stderr and SOURCE in other_slug.stderr
    existing = run_tool(root, "caixin_2019_quota_rise", "2019-11-12_caixin_quota-rise")
    assert existing.returncode != 0 and "already exists" in existing.stderr
    assert snapshot(root) == before  # nothing overwritten, nothing appended


def test_refuses_an_unknown_source_naming_sources_csv(root, run_tool):
    before = snapshot(root)
    proc = run_tool(root, "no_such_article_2031", "2031-01_nobody_nothing")
    assert proc.returncode != 0
    assert "'no_such_article_2031' is not in data/sources.csv" in proc.stderr
    assert snapshot(root) == before


@pytest.mark.parametrize("source, slug, message", [
    (SOURCE, "bs_rare-metals-cap", "does not match YYYY-MM(-DD)_outlet_slug"),
    (SOURCE, "2011-04_BS_Rare", "does not match"),
    (SOURCE, "2011-02-30_bs_cap", "is not a calendar date"),
    ("chinaorg_2012_06_21_whitepaper", "2012-06-21_chinaorg_white-paper", "has kind 'official notice'"),
])
def test_refuses_bad_slugs_and_non_article_sources(root, run_tool, source, slug, message):
    before = snapshot(root)
    proc = run_tool(root, source, slug)
    assert proc.returncode != 0 and message in proc.stderr
    assert snapshot(root) == before


def test_dry_run_writes_nothing(root, run_tool):
    before = snapshot(root)
    proc = run_tool(root, SOURCE, SLUG, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert f"would write notebooks/articles/{SLUG}.ipynb" in proc.stdout
    assert f"{{id: {RUN_ID}}}" in proc.stdout and "# NBVAL_CHECK_OUTPUT" in proc.stdout
    assert snapshot(root) == before


@pytest.fixture
def copy_kernels(root, monkeypatch):
    """papermill's kernel_manager_class for notebooks of the copy: warm kernels whose helpers read the copy.

    Each kernel is forked from a fork server that imported the collection's PREIMPORT once (about
    0.1 CPU-s per kernel instead of 2 s of imports; see the session fixture `warm_kernels`). That
    session server will not do: helpers.paths fixes the repository root when it is imported, and
    the session's server imported it for the repository itself. This one is this test's own, started
    once NBREPORT_ROOT names the copy, and stopped at its end; the session's servers are set aside
    meanwhile, so no kernel of the copy comes from them and none of theirs from this one.
    """
    from nbreport.config import preimport_modules
    from nbreport.execution import forking, kernels

    monkeypatch.setenv("NBREPORT_ROOT", str(root))  # the kernel's helpers read the copy
    monkeypatch.setattr(forking, "_servers", {})
    monkeypatch.setattr(forking, "preimport", preimport_modules(report_extension))  # REPORT_WARM_KERNELS=0: cold
    try:
        yield kernels.kernel_manager_class()
    finally:
        forking.close_servers()  # this test's server (monkeypatch then puts the session's back)


@pytest.mark.notebook
def test_the_template_executes_under_papermill(root, run_tool, copy_kernels, tmp_path):
    import papermill as pm

    assert run_tool(root).returncode == 0
    src = root / "notebooks" / "articles" / f"{SLUG}.ipynb"
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(src), str(out), kernel_name="python3", progress_bar=False, cwd=str(src.parent),
                        execution_timeout=300, kernel_manager_class=copy_kernels)
    nb = nbformat.read(out, as_version=4)
    outputs = [(c, o) for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for _, o in outputs if o.output_type == "error"]
    claims = [o for c, o in outputs if "# NBVAL_CHECK_OUTPUT" in c.source]
    assert claims and "No numbers from this article" in claims[0].data["text/plain"]
    header = "".join(o.data.get("text/html", "") for _, o in outputs if "data" in o)
    assert "China caps rare metals output" in header  # the header comes from the copy's sources.csv
    images = [o for _, o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1 and len(images[0].metadata["image/png"]["alt"]) > 30
    # the validation cell refuses a value outside the documented range, before any data is read
    with pytest.raises(pm.PapermillExecutionError, match="'first_year' = 1990 is out of range"):
        pm.execute_notebook(str(src), str(tmp_path / "bad.ipynb"), parameters={"first_year": 1990},
                            kernel_name="python3", progress_bar=False, cwd=str(src.parent), execution_timeout=120,
                            kernel_manager_class=copy_kernels)
