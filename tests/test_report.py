"""The report builder (`make report`): failures, refusals, interruptions, escaping, incremental builds.

Every test points the runner at a throwaway project (tests/conftest.py) with tiny
notebooks, so nothing here touches the repository's build/ or site/.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import (FIXTURE_MANIFEST, FIXTURE_NOTEBOOKS, REPO, TINY_ENV, TINY_ROOTS, figure_cell, make_project,
                      run_report, write_notebook)

pytestmark = pytest.mark.notebook

OK_MANIFEST = """notebooks:
  - path: models/one.ipynb
    kind: model
    title: One
    runs:
      - {id: one-a, parameters: {label: a}}
      - {id: one-b, parameters: {label: b, n: 4}}
  - path: models/two.ipynb
    kind: model
    title: Two
    runs: [{id: two}]
"""
OK_NOTEBOOKS = {"models/one.ipynb": ["print('one', label, n)"],
                "models/two.ipynb": ["print('OLD-OUTPUT-two', label)", figure_cell("A bar")]}


def site_digest(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(site.rglob("*")) if p.is_file()}


def state(root: Path) -> dict:
    return json.loads((root / "build" / "state.json").read_text())


def executed_at(root: Path) -> dict[str, float]:
    return {k: v["executed_at"] for k, v in state(root)["runs"].items()}


@pytest.fixture(scope="module")
def ok_built(tmp_path_factory):
    """The OK project built once for this file: about twenty tests start from it, and each used to build it again."""
    root = make_project(tmp_path_factory.mktemp("ok-built") / "proj", OK_NOTEBOOKS, OK_MANIFEST)
    proc = run_report(root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


@pytest.fixture
def ok_project(ok_built, tmp_path):
    """A private copy of the built OK project (project, build/, site/, state): a test may change or break it.

    The state records no absolute path of the project (a copy's second build executes nothing:
    test_second_build_executes_nothing_and_one_change_reruns_only_that_notebook), so a copy is
    what a fresh build in this folder would have left.
    """
    root = tmp_path / "proj"
    shutil.copytree(ok_built, root, symlinks=True)
    TINY_ROOTS.add(root.resolve())
    return root


# --------------------------------------------------------------------------- failures

def test_broken_notebook_fails_alone_and_is_marked(fixture_site):
    root, proc = fixture_site
    site = root / "site"
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "broken" in proc.stderr and "ValueError: deliberate failure for the test" in proc.stderr
    assert "see site/reports/broken.html" in proc.stderr
    # the others were still built and are current
    record = json.loads((site / "build.json").read_text())
    assert {k: v["status"] for k, v in record["reports"].items()} == {
        "ok-a": "ok", "ok-b": "ok", "art-a": "ok", "broken": "failed"}
    index = (site / "index.html").read_text()
    card = re.search(r'<li class="card failed">.*?</li>', index, re.S)
    assert card and "reports/broken.html" in card.group(0) and ">Failed<" in card.group(0)
    page = (site / "reports" / "broken.html").read_text()
    assert 'id="failed-cell"' in page and "Code that failed" in page
    assert "deliberate failure for the test" in page and "This report failed to run" in page
    failed_cell = page[page.index('id="failed-cell"'):]
    assert "ValueError" in failed_cell.split("</section>")[0]
    assert "(not run)" in page  # the cell after the failure is shown as not run
    ok_page = (site / "reports" / "ok-a.html").read_text()
    assert ">Current<" in ok_page and "label=first n=3" in ok_page


def test_failed_rerun_never_keeps_the_old_good_page(ok_project):
    root = ok_project
    old = (root / "site" / "reports" / "two.html").read_text()
    assert "OLD-OUTPUT-two" in old
    write_notebook(root / "notebooks" / "models" / "two.ipynb", ["raise RuntimeError('now broken')"])
    proc = run_report(root)
    assert proc.returncode == 1
    page = (root / "site" / "reports" / "two.html").read_text()
    assert "OLD-OUTPUT-two" not in page and "now broken" in page and ">Failed<" in page
    assert not (root / "site" / "thumbs" / "two.png").exists()  # the old figure's thumbnail is gone too


def test_timeout_fails_the_notebook_and_names_the_cell(tmp_path):
    root = make_project(tmp_path / "p", {"models/slow.ipynb": ["print('start')", "import time\ntime.sleep(60)"]},
                        "notebooks:\n  - {path: models/slow.ipynb, kind: model, title: Slow, runs: [{id: slow}]}\n")
    t0 = time.monotonic()
    proc = run_report(root, "--timeout", "4")
    assert time.monotonic() - t0 < 40
    assert proc.returncode == 1
    assert "did not finish within the notebook limit of 4 s" in proc.stderr
    page = (root / "site" / "reports" / "slow.html").read_text()
    assert 'id="failed-cell"' in page
    failed = page[page.index('id="failed-cell"'):]
    failed = failed[:failed.index("</section>")]
    assert "sleep" in failed and "60" in failed  # the cell that hung, syntax-highlighted


# --------------------------------------------------------------------------- refusals before execution

def _nothing_ran(root: Path) -> bool:
    return not (root / "build" / "notebooks").exists() and not (root / "site").exists()


@pytest.mark.parametrize("run, fragment", [
    ("{id: r1, parameters: {lable: x}}", "unknown parameter 'lable'"),
    ("{id: r1, parameters: {n: '5'}}", "parameter 'n' must be int, got '5'"),
    ("{id: r1, parameters: {n: 50}}", "parameter 'n' = 50 is out of range; expected 1 to 10"),
    ("{id: r1, parameters: {n: true}}", "parameter 'n' must be int"),
])
def test_bad_parameters_stop_the_build_before_anything_runs(tmp_path, run, fragment):
    manifest = f"notebooks:\n  - path: models/one.ipynb\n    kind: model\n    title: One\n    runs:\n      - {run}\n"
    root = make_project(tmp_path / "p", OK_NOTEBOOKS, manifest)
    proc = run_report(root)
    assert proc.returncode == 2
    assert re.search(r"notebooks/manifest\.yml, line 6, column \d+: notebooks\[0\] \(models/one\.ipynb\), run 'r1'",
                     proc.stderr), proc.stderr
    assert fragment in proc.stderr
    assert "nothing was executed" in proc.stderr
    assert _nothing_ran(root)


@pytest.mark.parametrize("manifest, fragment", [
    ("notebooks:\n  - {path: models/one.ipynb, kind: model, title: One, runs: [{id: r1, parameter: {n: 2}}]}\n",
     "notebooks[0] (models/one.ipynb), runs[0] (r1): unknown key 'parameter' in a run"),
    ("notebooks:\n  - {path: models/one.ipynb, kind: model, title: One, runs: [{id: r1}, {id: r1}]}\n",
     "duplicate run id 'r1'"),
    ("notebooks:\n  - {path: ../escape.ipynb, kind: model, title: X, runs: [{id: r1}]}\n",
     "notebooks[0] (../escape.ipynb): path '../escape.ipynb' must be relative to notebooks/"),
    ("notebooks:\n  - {path: models/missing.ipynb, kind: model, title: X, runs: [{id: r1}]}\n",
     "notebook file notebooks/models/missing.ipynb does not exist"),
    ("notebooks:\n  - {path: models/one.ipynb, kind: article, runs: [{id: r1}]}\n",
     "an article needs 'source_id'"),
    ("notebooks:\n  - {path: models/one.ipynb, kind: model, title: One, runs: [{id: r1}],\n"
     "     invalid: [{parameters: {n: 5}, error: out of range}]}\n",
     "invalid[0]: parameters {'n': 5} were accepted, but the manifest says they must be refused"),
    # an emptied or truncated manifest would publish an empty site
    ("notebooks: []\n", "notebooks/manifest.yml, line 1, column 1: the manifest lists no notebook"),
    ("notebooks:\n", "notebooks/manifest.yml, line 1, column 1: the manifest lists no notebook"),
    ("# nothing but a comment\n", "the manifest lists no notebook"),
])
def test_invalid_manifest_entry_is_refused_with_the_entry_named(tmp_path, manifest, fragment):
    root = make_project(tmp_path / "p", OK_NOTEBOOKS, manifest)
    proc = run_report(root)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert fragment in proc.stderr
    assert _nothing_ran(root)


def test_only_runs_listed_notebooks(ok_project):
    proc = run_report(ok_project, "--only", "models/unlisted.ipynb")
    assert proc.returncode == 2 and proc.stderr.startswith(
        "report: --only 'models/unlisted.ipynb' is not a run id, sweep id, sweep point or notebook path listed in "
        "notebooks/manifest.yml"), proc.stderr
    assert "Traceback" not in proc.stderr
    near = run_report(ok_project, "--only", "one-c", "--check")  # a near miss is named
    assert near.returncode == 2 and "did you mean 'one-" in near.stderr, near.stderr


def test_article_source_id_must_exist(tmp_path):
    manifest = "notebooks:\n  - {path: models/one.ipynb, kind: article, source_id: nope, runs: [{id: r1}]}\n"
    root = make_project(tmp_path / "p", OK_NOTEBOOKS, manifest)
    proc = run_report(root)
    assert proc.returncode == 2 and "source_id 'nope' is not in data/sources.csv" in proc.stderr


# --------------------------------------------------------------------------- interruptions

def test_workers_that_cannot_be_prepared_stop_the_build_with_one_message_and_leave_the_site(ok_project, tmp_path):
    """nbconvert that will not import (here a module of that name first on PYTHONPATH) kills every
    report worker: the build says so once, naming the file and line, runs nothing and keeps the site."""
    root = ok_project
    before = site_digest(root / "site")
    write_notebook(root / "notebooks" / "models" / "two.ipynb", ["print('NEW-OUTPUT')", figure_cell("A bar")])
    write_notebook(root / "notebooks" / "models" / "one.ipynb", ["print('NEW-OUTPUT-one', label)"])
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "nbconvert.py").write_text("raise ImportError('nbconvert is broken on purpose')\n")
    proc = run_report(root, env={"PYTHONPATH": str(broken), "REPORT_KEPT_WORKERS": "0"})
    err = proc.stdout + proc.stderr
    assert proc.returncode == 2, err
    assert err.startswith("report: the report workers cannot be prepared; nothing was executed: ImportError: "
                          f"nbconvert is broken on purpose ({broken / 'nbconvert.py'}, line 1)"), err
    assert "Traceback" not in err, err
    assert site_digest(root / "site") == before
    proc = run_report(root)  # repaired: the next build runs the edited notebooks
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "NEW-OUTPUT" in (root / "site" / "reports" / "two.html").read_text(encoding="utf-8")


def test_crash_while_writing_the_site_leaves_the_previous_site(ok_project):
    from nbreport import runner

    root = ok_project
    before = site_digest(root / "site")
    write_notebook(root / "notebooks" / "models" / "two.ipynb", ["print('NEW-OUTPUT')", figure_cell("A bar")])
    written = []

    def hook(path):
        written.append(path)
        if len(written) == 5:
            raise RuntimeError("simulated crash in the site writer")

    cfg = runner.Config.resolve(root=root, quiet=True)
    with pytest.raises(RuntimeError, match="simulated crash"):
        runner.build(cfg, writer_hook=hook)
    assert site_digest(root / "site") == before
    assert not list(root.glob(".site.tmp-*")) and not list(root.glob(".site.old-*"))
    proc = run_report(root)  # the next build completes and shows the new output
    assert proc.returncode == 0, proc.stderr
    assert "NEW-OUTPUT" in (root / "site" / "reports" / "two.html").read_text()


def _kernel_dirs(workers: list[int]) -> list[str]:
    """The kernel socket folders of these worker processes (rek-<pid>-*) still in the temp dir."""
    return [str(d) for pid in workers for d in Path("/tmp").glob(f"rek-{pid}-*")]


# `python -m nbreport` as a terminal starts it, Ctrl-C at its default. A test session started from a
# background job inherits SIGINT *ignored* (POSIX: `cmd &` in a non-interactive shell), Python keeps
# an inherited ignore, and the build would then never see this test's SIGINT: it hung for 30 s
# under `pytest -n 2` launched with `&`. A build that ignores an inherited SIGINT is right (that is
# what nohup and `&` ask for); the test must not depend on how its own session was started.
CTRL_C_AT_DEFAULT = ("import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
                     "runpy.run_module('nbreport', run_name='__main__', alter_sys=True)")


@pytest.mark.parametrize("sig, code", [(signal.SIGKILL, -9), (signal.SIGINT, 130), (signal.SIGTERM, 130),
                                       (signal.SIGHUP, 130)])
def test_killed_build_leaves_the_previous_site(ok_project, sig, code):
    root = ok_project
    before = site_digest(root / "site")
    marker = root / "build" / "work" / "two" / "started.marker"  # the kernel's working directory
    write_notebook(root / "notebooks" / "models" / "two.ipynb",
                   ["import pathlib, time\npathlib.Path('started.marker').touch()\ntime.sleep(60)"])
    # the build's own workers (its children, whose kernel folders are named after them); a kept worker
    # from the kept server dying with its build is tests/test_kept_worker.py's
    env = {**TINY_ENV, **os.environ, "CI": "1", "REPORT_KEPT_WORKERS": "0"}
    proc = subprocess.Popen([sys.executable, "-c", CTRL_C_AT_DEFAULT, "--root", str(root)], cwd=str(REPO),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not marker.exists():
        time.sleep(0.1)
    assert marker.exists(), "the build never started the notebook"
    time.sleep(0.5)  # inside the sleeping cell
    workers = [int(x) for x in subprocess.run(["ps", "-o", "pid=", "--ppid", str(proc.pid)], capture_output=True,
                                              text=True).stdout.split()]
    assert _kernel_dirs(workers), "the kernel socket folder is named after its worker"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    if sig != signal.SIGKILL:
        assert "interrupted; site/ was left as it was" in err
        assert "\n\n" not in err and not err.startswith("\n"), repr(err)  # no blank line in a log (not a terminal)
    assert site_digest(root / "site") == before
    # no kernel or worker of that build survives it (looked for until a deadline, not after a fixed
    # pause: on a loaded machine the parent-death signal takes its time, on an idle one it is quick)
    deadline = time.monotonic() + 15
    while True:
        ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
        left = _kernel_dirs(workers)
        if ("time.sleep(60)" not in ps and not left) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert "time.sleep(60)" not in ps
    assert not left  # the workers removed them (after SIGKILL, on their parent-death signal)
    write_notebook(root / "notebooks" / "models" / "two.ipynb", ["print('fixed')"])
    again = run_report(root)
    assert again.returncode == 0, again.stderr
    assert not list(root.glob(".site.tmp-*"))

    assert "fixed" in (root / "site" / "reports" / "two.html").read_text()


# --------------------------------------------------------------------------- escaping and self-contained pages

def test_script_in_data_and_parameters_is_escaped_everywhere(fixture_site):
    root, _ = fixture_site
    site = root / "site"
    pages = list(site.rglob("*.html"))
    assert len(pages) >= 6
    for page in pages:
        text = page.read_text()
        scripts = re.findall(r"<script\b[^>]*>", text, re.I)  # only the search page loads the site's search.js
        assert scripts == (['<script src="search.js" defer>'] if page.name == "search.html" else []), \
            f"{page.name} contains a script tag: {scripts}"
        assert not re.search(r"\son[a-z]+\s*=", text.split("<main", 1)[1], re.I), f"{page.name} has an event handler"
    index = (site / "index.html").read_text()
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt; Quotas rise" in index
    assert "Wire &lt;b&gt;service&lt;/b&gt;" in index
    assert "A model &lt;em&gt;that works&lt;/em&gt;" in index
    ok_b = (site / "reports" / "ok-b.html").read_text()
    assert "&lt;script&gt;alert(&#x27;param&#x27;)&lt;/script&gt;" in ok_b  # the parameters box
    assert "&lt;script&gt;" in ok_b.split('class="notebook"')[1]  # the HTML and Markdown outputs


def test_pages_are_small_offline_and_share_one_stylesheet(fixture_site):
    root, _ = fixture_site
    site = root / "site"
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert page.stat().st_size < 500_000
        assert "<style" not in text, f"{page.name} inlines CSS"
        links = re.findall(r'<link rel="stylesheet" href="([^"]+)"', text)
        assert len(links) == 1 and links[0].endswith("site.css")
        for src in re.findall(r'\ssrc="([^"]*)"', text):
            assert not src.startswith(("http:", "https:", "//")), f"{page.name} loads {src}"
        for img in re.findall(r"<img\b[^>]*>", text):
            alt = re.search(r'\salt="([^"]*)"', img)
            assert alt and alt.group(1).strip(), f"{page.name}: image without alt text: {img[:80]}"
    assert (site / "site.css").stat().st_size < 30_000
    page = (site / "reports" / "ok-a.html").read_text()
    assert 'alt="A blue bar standing for the label"' in page
    assert '<details class="source">' in page  # code folded, no script needed
    assert "injected-parameters" not in page and "# Parameters" not in page
    assert 'class="params"' in page and "<dt>label</dt><dd>first</dd>" in page


def test_data_page_and_downloads(fixture_site):
    root, _ = fixture_site
    site = root / "site"
    header = (site / "claims.csv").read_text().splitlines()[0].split(",")
    assert header[:8] == ["article", "publisher", "published", "claim", "stated", "unit", "recomputed", "status"]
    for csv_file in (root / "data").glob("*.csv"):
        assert (site / "data" / csv_file.name).read_bytes() == csv_file.read_bytes()
    data = (site / "data.html").read_text()
    assert 'href="data/sources.csv"' in data and 'href="claims.csv"' in data
    assert "<code>source_id</code>" in data  # the dictionary, from the schema
    index = (site / "index.html").read_text()
    assert "No numbers in the claims ledger yet" in index  # the article's claims line


# --------------------------------------------------------------------------- incremental builds

def test_second_build_executes_nothing_and_one_change_reruns_only_that_notebook(ok_project):
    root = ok_project
    first = executed_at(root)
    stamp = json.loads((root / "site" / "build.json").read_text())["stamp"]
    proc = run_report(root)
    assert proc.returncode == 0 and "nothing changed" in proc.stdout
    assert executed_at(root) == first
    assert json.loads((root / "site" / "build.json").read_text())["stamp"] == stamp

    write_notebook(root / "notebooks" / "models" / "two.ipynb", ["print('changed', label)"])
    proc = run_report(root)
    assert proc.returncode == 0, proc.stderr
    now = executed_at(root)
    assert [k for k in now if now[k] != first[k]] == ["two"]
    assert "changed a" in (root / "site" / "reports" / "two.html").read_text()

    # a changed parameter set re-runs that run only
    manifest = (root / "notebooks" / "manifest.yml").read_text().replace("{label: b, n: 4}", "{label: b, n: 5}")
    (root / "notebooks" / "manifest.yml").write_text(manifest)
    before, proc = executed_at(root), run_report(root)
    after = executed_at(root)
    assert proc.returncode == 0 and [k for k in after if after[k] != before[k]] == ["one-b"]

    # changed data re-runs everything
    fields = ["art_b", "Someone", "Another", "", "2025", "", "https://example.com/b", "2025-11-02", "blog"]
    width = len((root / "data" / "sources.csv").read_text().splitlines()[0].split(","))  # as wide as its header
    with open(root / "data" / "sources.csv", "a") as f:
        f.write(",".join(fields + [""] * (width - len(fields))) + "\n")
    before, proc = executed_at(root), run_report(root)
    after = executed_at(root)
    assert proc.returncode == 0 and all(after[k] != before[k] for k in after)


def test_no_change_rebuild_imports_nothing_heavy(ok_project):
    env = {**TINY_ENV, **os.environ, "CI": "1"}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "nbreport", "--root", str(ok_project)],
                          capture_output=True, text=True, env=env, cwd=str(REPO), timeout=60)
    assert proc.returncode == 0 and "nothing changed" in proc.stdout
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    heavy = {"pandas", "numpy", "seaborn", "matplotlib", "papermill", "nbconvert", "nbformat", "nbclient",
             "jupyter_client", "zmq", "statsmodels", "tqdm"}
    assert not heavy & imported, sorted(heavy & imported)


def test_only_marks_the_others_stale_not_current(ok_project):
    root = ok_project
    write_notebook(root / "notebooks" / "models" / "two.ipynb", ["print('changed again')"])
    proc = run_report(root, "--only", "one-a")
    assert proc.returncode == 0, proc.stderr
    assert "not current" in proc.stderr and "two" in proc.stderr
    page = (root / "site" / "reports" / "two.html").read_text()
    assert "Stale:" in page and ">Stale<" in page
    assert re.search(r'<li class="card stale">.*?reports/two\.html', (root / "site" / "index.html").read_text(), re.S)
    again = run_report(root, "--only", "one-a")  # nothing to do for one-a; two is still not current
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("report: nothing changed; site/ is as it was (3 reports, 1 of them not current)"), \
        again.stdout
    assert "report: 1 report(s) on the site are not current (not run in this build): two" in again.stderr


def test_only_counts_the_site_and_the_runs_it_selected(tmp_path):
    """A tests-only run (site: false) is neither counted among the site's reports nor called not current
    by an --only build that did not select it; selected, it is run and counted."""
    manifest = OK_MANIFEST.replace("    runs: [{id: two}]", "    runs: [{id: two}, {id: two-hidden, site: false}]")
    root = make_project(tmp_path / "p", OK_NOTEBOOKS, manifest)
    assert run_report(root).returncode == 0
    proc = run_report(root, "--only", "one-a")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("report: nothing changed; site/ is current (3 reports)"), proc.stdout
    assert "not current" not in proc.stderr, proc.stderr
    hidden = run_report(root, "--only", "two-hidden")
    assert hidden.returncode == 0, hidden.stderr
    assert hidden.stdout.startswith("report: 4 reports: 1 executed"), hidden.stdout


def test_ci_build_prints_no_progress_bar(fixture_site):
    _, proc = fixture_site
    assert "|" not in proc.stderr.replace("||", "")  # tqdm draws bars with |
    assert proc.stdout.startswith("report: 4 reports: 4 executed")


def test_manifest_format_is_documented_in_the_stub(tmp_path):
    """The repository's manifest documents every key, and the fixtures' manifest is one the project's
    loader accepts, with the runs the tests rely on."""
    import yaml

    from nbreport import manifest as manifest_mod

    text = (REPO / "notebooks" / "manifest.yml").read_text()
    for key in ("path:", "kind:", "source_id:", "title:", "runs:", "parameters", "site: false", "invalid:"):
        assert key in text
    root = make_project(tmp_path, {p: ["pass"] for p in FIXTURE_NOTEBOOKS}, FIXTURE_MANIFEST)
    loaded = manifest_mod.load(root / "notebooks" / "manifest.yml", root=root)
    assert [r.id for _, r in loaded.runs()] == ["ok-a", "ok-b", "art-a", "broken"]
    used = {k for e in yaml.safe_load(FIXTURE_MANIFEST)["notebooks"] for k in e} | \
        {k for e in yaml.safe_load(FIXTURE_MANIFEST)["notebooks"] for r in e["runs"] for k in r}
    undocumented = sorted(k for k in used if f"{k}:" not in text and k != "parameters")
    assert not undocumented, f"keys the fixtures use but the manifest stub does not document: {undocumented}"


# --------------------------------------------------------------------------- runs that misbehave (never Current)

MISBEHAVING = {
    "models/exit0.ipynb": ["print('before')", "import sys\nsys.exit(0)", "print('never shown')"],
    "models/bare-exit.ipynb": ["print('before')", "raise SystemExit", "print('never shown')"],
    "models/os-exit.ipynb": ["print('before')", "import os\nos._exit(0)", "print('never shown')"],
    "models/write-data.ipynb": ["import helpers.paths as P\n(P.DATA / 'stray.csv').write_text('a,b\\n1,2\\n')",
                                "print('after')"],
    "models/write-caught.ipynb": ["import helpers.paths as P\ntry:\n    (P.NOTEBOOKS / 'x.txt').write_text('x')\n"
                                  "except OSError:\n    print('swallowed')", "print('after')"],
    "models/write-outside.ipynb": ["import helpers.paths as P\n(P.ROOT.parent / 'outside.txt').write_text('x')"],
    "models/write-ok.ipynb": ["import tempfile\nopen('scratch.txt', 'w').write('fine')\ntempfile.mkstemp()\n"
                              "print('wrote', sorted(__import__('os').listdir('.')))"],
    "models/flood.ipynb": ["for i in range(5000):\n    print('line', i)", "print('after the flood')"],
    "models/stderr.ipynb": ["import sys, warnings\nwarnings.warn('No artists with labels found to put in legend')\n"
                            "print('done')"],
    "models/ansi.ipynb": ["raise ValueError('\\x1b[31mred\\x1b[0m and \\x1b]0;title\\x07plain')"],
    "models/surrogate.ipynb": ["print('bad \\udcff text')", "print('after')"],
}
MISBEHAVING_MANIFEST = "notebooks:\n" + "".join(
    f"  - {{path: {path}, kind: model, title: 'Run {Path(path).stem}', runs: [{{id: {Path(path).stem}}}]}}\n"
    for path in MISBEHAVING)


@pytest.fixture(scope="module")
def misbehaving(tmp_path_factory):
    """One build of a project whose notebooks each misbehave in one way (one cheap build for all)."""
    root = make_project(tmp_path_factory.mktemp("misbehaving") / "proj", MISBEHAVING, MISBEHAVING_MANIFEST)
    proc = run_report(root)
    record = json.loads((root / "site" / "build.json").read_text())
    return root, proc, record


def _card(root: Path, run_id: str) -> str:
    index = (root / "site" / "index.html").read_text()
    m = re.search(rf'<li class="card [a-z]+">(?:(?!</li>).)*reports/{re.escape(run_id)}\.html.*?</li>', index, re.S)
    assert m, f"no card for {run_id}"
    return m.group(0)


def test_misbehaving_build_exits_1_and_no_misbehaving_run_is_current(misbehaving):
    root, proc, record = misbehaving
    assert proc.returncode == 1, proc.stdout + proc.stderr
    statuses = {k: v["status"] for k, v in record["reports"].items()}
    assert statuses == {"exit0": "failed", "bare-exit": "failed", "os-exit": "failed", "write-data": "failed",
                        "write-caught": "failed", "write-outside": "failed", "write-ok": "ok",
                        "flood": "warnings", "stderr": "warnings", "ansi": "failed", "surrogate": "failed"}
    for run_id, status in statuses.items():
        card = _card(root, run_id)
        assert (">Current<" in card) == (status == "ok"), card


@pytest.mark.parametrize("run_id, message", [
    ("exit0", "cell [3] stopped the notebook early (SystemExit: 0); 1 later code cell did not run"),
    ("bare-exit", "cell [3] stopped the notebook early (SystemExit: None); 1 later code cell did not run"),
    ("os-exit", "the kernel died"),
])
def test_a_notebook_that_stops_early_fails(misbehaving, run_id, message):
    root, proc, _ = misbehaving
    assert f"{run_id} (notebooks/models/{run_id}.ipynb): {message}" in proc.stderr
    page = (root / "site" / "reports" / f"{run_id}.html").read_text()
    assert "This report failed to run" in page and ">Failed<" in page and "(not run)" in page


@pytest.mark.parametrize("run_id, path", [("write-data", "data/stray.csv"), ("write-caught", "notebooks/x.txt")])
def test_a_notebook_that_writes_into_the_project_fails_and_nothing_is_written(misbehaving, run_id, path):
    root, proc, _ = misbehaving
    assert (f"{run_id} (notebooks/models/{run_id}.ipynb): tried to write outside its work folder under "
            f"build/: {path} (refused)") in proc.stderr
    assert not (root / path).exists()
    assert not (root / "site" / "data" / "stray.csv").exists()
    page = (root / "site" / "reports" / f"{run_id}.html").read_text()
    assert "This report failed to run" in page
    # uncaught, the refusal is the cell's error; caught by the notebook, the run fails all the same
    assert ("PermissionError" in page) if run_id == "write-data" else ("swallowed" in page)


def test_a_notebook_that_writes_outside_the_project_fails(misbehaving):
    root, proc, _ = misbehaving
    assert "write-outside (notebooks/models/write-outside.ipynb): tried to write outside its work folder" in proc.stderr
    assert "outside.txt (refused)" in proc.stderr and not (root.parent / "outside.txt").exists()


def test_relative_and_temporary_files_go_to_the_runs_own_folders(misbehaving):
    root, _, _ = misbehaving
    assert (root / "build" / "work" / "write-ok" / "scratch.txt").read_text() == "fine"
    assert not (root / "notebooks" / "models" / "scratch.txt").exists()
    assert not (root / "build" / "tmp").exists()  # each run's temp dir is removed with the build's


def test_unbounded_output_is_cut_on_the_page_with_a_link_to_the_notebook(misbehaving):
    root, proc, _ = misbehaving
    page = (root / "site" / "reports" / "flood.html").read_text()
    assert "line 999\n" in page and "line 1000\n" not in page and "line 4999" not in page
    assert "Output cut" in page and 'href="flood.ipynb"' in page and "5,000 lines" in page
    assert "after the flood" in page  # the next cell is shown whole
    assert len(page) < 60_000
    assert "line 4999" in (root / "site" / "reports" / "flood.ipynb").read_text()  # the notebook keeps it all
    assert "flood: cell [2]: output cut on the page (5,000 lines" in proc.stderr
    assert "output cut on the page" in _card(root, "flood")


def test_stderr_on_a_page_is_a_warning_the_index_shows(misbehaving):
    root, proc, _ = misbehaving
    assert "ran with warnings the site shows (not marked Current)" in proc.stderr
    assert "stderr: cell [2] wrote to stderr:" in proc.stderr
    card = _card(root, "stderr")
    assert ">Warnings<" in card and "No artists with labels found to put in legend" in card
    index = (root / "site" / "index.html").read_text()
    assert "2 with warnings" in index and "Not every report is current" in index
    page = (root / "site" / "reports" / "stderr.html").read_text()
    assert "Every cell ran, with warnings" in page and ">Current<" not in page


def test_ansi_escape_codes_never_reach_a_banner_card_or_log(misbehaving):
    root, proc, _ = misbehaving
    assert "ansi (notebooks/models/ansi.ipynb): cell [2] raised ValueError: red and plain" in proc.stderr
    page = (root / "site" / "reports" / "ansi.html").read_text()
    for text in (proc.stderr, (root / "site" / "index.html").read_text(), page,
                 (root / "site" / "build.json").read_text()):
        shown = re.sub(r'<details class="source".*?</details>', "", text, flags=re.S)  # not the code itself
        assert "\x1b" not in shown and "\\u001b" not in shown and "\x07" not in shown
    assert "red and plain" in _card(root, "ansi") and "[31m" not in _card(root, "ansi")
    banner = page[page.index("This report failed to run"):]
    assert banner[:300].count("red and plain") == 1 and "[31m" not in banner[:300]
    assert '<span class="ansi-red-fg">red</span>' in page  # colours in the traceback become HTML


def test_a_lone_surrogate_fails_its_cell_with_a_clear_message(misbehaving):
    root, proc, _ = misbehaving
    assert ("surrogate (notebooks/models/surrogate.ipynb): cell [2] printed text that is not valid Unicode"
            in proc.stderr)
    page = (root / "site" / "reports" / "surrogate.html").read_text()
    failed = page[page.index('id="failed-cell"'):]
    assert "bad \ufffd text" in failed.split("</section>")[0] and "Traceback" not in page
    json.loads((root / "site" / "reports" / "surrogate.ipynb").read_text(encoding="utf-8"))  # valid UTF-8 JSON


def test_a_shell_write_into_data_is_caught_and_never_published(tmp_path):
    """The write guard cannot see a subprocess; the snapshot of data/ and notebooks/ does."""
    nbs = {"models/shell.ipynb": ["import subprocess, helpers.paths as P\n"
                                  "subprocess.run(['cp', str(P.DATA / 'sources.csv'), str(P.DATA / 'copy.csv')])\n"
                                  "subprocess.run(['sh', '-c', 'echo x,,,,,,,,,, >> ' + str(P.DATA / 'claims.csv')])"],
           "models/fine.ipynb": ["print('fine')"]}
    manifest = ("notebooks:\n  - {path: models/shell.ipynb, kind: model, title: S, runs: [{id: shell}]}\n"
                "  - {path: models/fine.ipynb, kind: model, title: F, runs: [{id: fine}]}\n")
    root = make_project(tmp_path / "p", nbs, manifest)
    (root / "data" / "leftover.csv").write_text("a,b\n1,2\n")  # in data/ but not in the data package
    proc = run_report(root, "--workers", "1")
    assert proc.returncode == 1, proc.stderr
    assert ("shell (notebooks/models/shell.ipynb): data/claims.csv, data/copy.csv changed while it ran; a notebook "
            "must write only under build/") in proc.stderr
    assert "changed during the build and not published: data/claims.csv, data/copy.csv" in proc.stderr
    record = json.loads((root / "site" / "build.json").read_text())
    assert record["reports"]["shell"]["status"] == "failed" and record["reports"]["fine"]["status"] == "ok"
    assert not (root / "site" / "data" / "copy.csv").exists()
    # only the declared tables, and not the one that changed under the build
    assert sorted(p.name for p in (root / "site" / "data").iterdir()) == ["datapackage.json", "sources.csv"]
    assert "claims.csv changed while the build ran, so it is not published" in (root / "site" / "data.html").read_text()


# --------------------------------------------------------------------------- stale, failed and interrupted builds

def test_old_failures_are_stale_not_current_after_the_data_are_fixed(tmp_path):
    """A run failed on broken data; the data are restored; `--only` another run must show the old
    failure as stale (it ran on other inputs), not as a current failure."""
    check = ("import helpers.paths as P\n"
             "assert 'BROKEN' not in (P.DATA / 'sources.csv').read_text(), 'sources.csv is broken'")
    manifest = ("notebooks:\n  - {path: models/a.ipynb, kind: model, title: A, runs: [{id: a}]}\n"
                "  - {path: models/b.ipynb, kind: model, title: B, runs: [{id: b}]}\n")
    root = make_project(tmp_path / "p", {"models/a.ipynb": [check], "models/b.ipynb": ["print('b')"]}, manifest)
    sources = root / "data" / "sources.csv"
    good = sources.read_text()
    sources.write_text(good.replace("China sets quotas", "China sets quotas BROKEN"))
    proc = run_report(root)
    assert proc.returncode == 1 and "a (notebooks/models/a.ipynb): cell [2] raised AssertionError" in proc.stderr
    sources.write_text(good)  # fixed
    proc = run_report(root, "--only", "b")
    assert proc.returncode == 0, proc.stderr
    assert "FAILED" not in proc.stderr and "not current (not run in this build): a" in proc.stderr
    record = json.loads((root / "site" / "build.json").read_text())
    assert record["reports"]["a"]["status"] == "stale" and record["reports"]["a"]["error"] is None
    assert re.search(r'<li class="card stale">(?:(?!</li>).)*reports/a\.html', (root / "site" / "index.html").read_text(),
                     re.S)
    page = (root / "site" / "reports" / "a.html").read_text()
    assert ">Stale<" in page and "Stale:</strong> this page failed (" in page and ">Failed<" not in page


@pytest.mark.parametrize("garbage", ["[]", '{"version": 2, "runs": []}', '{"version": 2, "runs": {"one-a": "x"}}',
                                     '{"version": 2, "runs": {"one-a": {"error": "x"}}}', '{"vers', "\udcff"])
def test_a_corrupted_state_file_is_read_as_no_state(tmp_path, garbage):
    """Each kind of damage, read in-process; the build below shows what a build does with it."""
    from nbreport.config import Config
    from nbreport.state import load_state

    cfg = Config.resolve(root=tmp_path)
    cfg.state_file.parent.mkdir(parents=True)
    cfg.state_file.write_text(garbage, encoding="utf-8", errors="surrogateescape")
    notes = []
    assert load_state(cfg, notes)["runs"] == {}
    assert len(notes) == 1 and "state.json was unreadable" in notes[0] and "every report is executed again" in notes[0]


def test_a_corrupted_state_file_means_every_report_is_executed_again(ok_project):
    root = ok_project
    (root / "build" / "state.json").write_text('{"version": 2, "runs": {"one-a": "x"}}', encoding="utf-8")
    proc = run_report(root)
    assert proc.returncode == 0, proc.stderr
    assert "state.json was unreadable" in proc.stderr and "every report is executed again" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.startswith("report: 3 reports: 3 executed")
    assert set(state(root)["runs"]) == {"one-a", "one-b", "two"}


@pytest.mark.parametrize("folder", ["site", "build", "site/reports"])
def test_a_read_only_folder_stops_the_build_and_leaves_the_site(ok_project, folder):
    root = ok_project
    before = site_digest(root / "site")
    write_notebook(root / "notebooks" / "models" / "two.ipynb", ["print('NEW')"])
    target = root / folder
    target.chmod(0o555)
    try:
        proc = run_report(root)
    finally:
        target.chmod(0o755)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{target} is read-only (mode dr-xr-xr-x)" in proc.stderr and "site was left as it was" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert site_digest(root / "site") == before
    assert not list(root.glob(".site.tmp-*")) and not list((root / "build").glob(".state.*.tmp"))
    assert run_report(root).returncode == 0  # writable again: the build goes through


def _enospc(match):
    real = os.replace

    def fake(src, dst, *a, **kw):
        if match(str(dst)):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        return real(src, dst, *a, **kw)
    return fake


def test_a_full_disk_while_saving_state_is_reported_in_words(ok_project, monkeypatch, capsys):
    """A full disk is simulated by os.replace raising ENOSPC for build/state.json (in the build
    process; the forked workers inherit it, but they never write that file)."""
    from nbreport import cli as report

    root = ok_project
    before = site_digest(root / "site")
    write_notebook(root / "notebooks" / "models" / "two.ipynb", ["print('NEW')"])
    monkeypatch.setenv("CI", "1")
    monkeypatch.setattr(os, "replace", _enospc(lambda dst: dst.endswith("state.json")))
    rc = report.main(["--root", str(root)])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"report: cannot write {root / 'build' / 'state.json'}: the disk is full; site/ was left as it was" in err
    assert site_digest(root / "site") == before
    assert not list((root / "build").glob(".state.*.tmp")) and not list(root.glob(".site.tmp-*"))


def test_a_full_disk_while_writing_the_site_is_reported_in_words(ok_project):
    from nbreport import runner

    root = ok_project
    before = site_digest(root / "site")
    write_notebook(root / "notebooks" / "models" / "two.ipynb", ["print('NEW')"])
    written = []

    def hook(path):
        written.append(path)
        if len(written) == 4:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    with pytest.raises(runner.StorageError, match=r"cannot write .*\.site\.tmp-\d+/.*: the disk is full"):
        runner.build(runner.Config.resolve(root=root, quiet=True), writer_hook=hook)
    assert site_digest(root / "site") == before
    assert not list(root.glob(".site.tmp-*")) and not list((root / "build").glob(".state.*.tmp"))


def test_make_clean_during_a_build_never_leaves_an_empty_current_page(ok_project):
    """build/ is removed while a run sleeps: the runs that had finished lose their outputs and
    must come out failed (and execute again next time), never Current with "no output to show"."""
    root = ok_project
    write_notebook(root / "notebooks" / "models" / "one.ipynb", ["print('one again', label)"])
    go = root / "go"  # outside build/: the waiting run ends as soon as the test creates it
    write_notebook(root / "notebooks" / "models" / "two.ipynb",
                   ["import pathlib, time\nfor _ in range(400):\n"
                    f"    if pathlib.Path({str(go)!r}).exists(): break\n    time.sleep(0.05)\nprint('two done')"])
    env = {**TINY_ENV, **os.environ, "CI": "1"}
    started = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "nbreport", "--root", str(root)], cwd=str(REPO),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    done = set()
    while time.monotonic() < deadline and not {"one-a", "one-b"} <= done:
        try:
            runs = state(root)["runs"]
            done = {k for k in ("one-a", "one-b") if runs[k]["executed_at"] >= started
                    and runs[k]["status"] == "ok" and (root / "build" / "notebooks" / f"{k}.ipynb").exists()}
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    assert {"one-a", "one-b"} <= done, "the fast runs never finished"
    subprocess.run(["rm", "-rf", "build", "site"], cwd=root, check=True)  # what `make clean` does
    go.touch()  # the waiting run finishes now
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, out + err
    assert "its output was removed from build/ while the build ran" in err
    for page in (root / "site" / "reports").glob("*.html"):
        text = page.read_text()
        assert not ("no output to show" in text and ">Current<" in text), page.name
    record = json.loads((root / "site" / "build.json").read_text())
    assert record["reports"]["one-a"]["status"] == "failed" and record["reports"]["one-b"]["status"] == "failed"
    assert "removed from build/" in (root / "site" / "reports" / "one-a.html").read_text()
    again = run_report(root)
    assert again.returncode == 0, again.stderr
    assert "one again" in (root / "site" / "reports" / "one-a.html").read_text()


def test_kernel_socket_folders_left_by_a_killed_build_are_swept(tmp_path):
    """Only folders whose sockets no live process has bound are removed."""
    import socket

    from nbreport import runner

    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid that no longer runs: a killed worker's
    dead = tmp_path / f"rek-{gone.pid}-abc"
    dead.mkdir()
    s1 = socket.socket(socket.AF_UNIX)
    s1.bind(str(dead / "k0-1"))
    s1.close()  # the socket file stays, nothing is bound to it: a killed kernel's
    live = tmp_path / f"rek-{gone.pid}-bound"
    live.mkdir()
    young = tmp_path / "rek-unnamed"  # an older builder's name, made a moment ago: kept
    young.mkdir()
    s2 = socket.socket(socket.AF_UNIX)
    s2.bind(str(live / "k0-1"))
    s2.listen()
    try:
        removed = runner.sweep_kernel_leftovers(str(tmp_path))
        assert removed == [str(dead)] and not dead.exists() and live.exists() and young.exists()
        os.utime(young, (time.time() - 3600, time.time() - 3600))
        assert runner.sweep_kernel_leftovers(str(tmp_path)) == [str(young)]
        busy = tmp_path / f"rek-{os.getpid()}-x"  # a live worker's folder before its first socket: kept
        busy.mkdir()
        assert runner.sweep_kernel_leftovers(str(tmp_path)) == [] and busy.exists()
    finally:
        s2.close()


def test_progress_is_one_line_per_run_when_not_on_a_terminal(tmp_path):
    root = make_project(tmp_path / "p", OK_NOTEBOOKS, OK_MANIFEST)
    proc = run_report(root, env={"CI": ""})
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("report: [")]
    assert [ln.split("]")[0] for ln in lines] == ["report: [1/4", "report: [2/4", "report: [3/4", "report: [4/4"]
    assert {ln.split("] ")[1].split(" done")[0] for ln in lines} == {"one-a", "one-b", "two", "claims"}


def test_an_unwritable_home_puts_no_cache_warning_on_a_page(tmp_path):
    """matplotlib with no writable HOME (as root, HOME under a file cannot be created) warns on
    stderr unless the kernel gets a writable MPLCONFIGDIR; the build gives it one under build/."""
    cells = ["import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
             "fig, ax = plt.subplots()\nax.plot([1, 2])\nprint(matplotlib.get_configdir())"]
    root = make_project(tmp_path / "p", {"models/plot.ipynb": cells},
                        "notebooks:\n  - {path: models/plot.ipynb, kind: model, title: P, runs: [{id: plot}]}\n")
    home = tmp_path / "file-not-dir"
    home.write_text("")
    proc = run_report(root, env={"HOME": str(home / "home"), "MPLCONFIGDIR": "", "XDG_CACHE_HOME": "",
                                 "XDG_CONFIG_HOME": ""})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert state(root)["runs"]["plot"]["warnings"] == []
    page = (root / "site" / "reports" / "plot.html").read_text()
    assert "stderr" not in page and str(root / "build" / "cache" / "matplotlib") in page
    assert not (root / "build" / "tmp").exists()


@pytest.mark.parametrize("option, value, expected", [
    ("--workers", "0", "argument --workers: '0' is not a number of workers; expected a whole number, 1 or more"),
    ("--workers", "-1", "argument --workers: '-1' is not a number of workers"),
    ("--timeout", "0", "argument --timeout: '0' is not a number of seconds; expected a number above 0"),
    ("--timeout", "-5", "argument --timeout: '-5' is not a number of seconds"),
    ("--timeout", "nan", "argument --timeout: 'nan' is not a number of seconds"),
    ("--connect-timeout", "0", "argument --connect-timeout: '0' is not a number of seconds"),
    ("--workers", "\u0663", "argument --workers: '\u0663' is not a number of workers"),  # an Arabic-Indic three
    ("--timeout", "\uff13", "argument --timeout: '\uff13' is not a number of seconds"),  # a full-width three
])
def test_an_option_out_of_range_is_named_before_anything_runs(tmp_path, option, value, expected):
    """A zero or negative worker count or time limit was accepted (0 silently meant the default)."""
    root = make_project(tmp_path / "p", OK_NOTEBOOKS, OK_MANIFEST)
    proc = run_report(root, option, value)
    assert proc.returncode == 2 and expected in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert _nothing_ran(root)


def test_a_root_that_does_not_exist_is_named(tmp_path):
    """It said 'notebooks/manifest.yml: manifest file is missing', as if the folder were a repository."""
    proc = run_report(tmp_path / "no-such-folder", "--check")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"report: {tmp_path / 'no-such-folder'}: the repository folder does not exist"), \
        proc.stderr


def test_ctrl_c_on_a_terminal_during_the_runs_leaves_no_blank_line(ok_project):
    """On a terminal the progress bar ends its line when the build stops; 'report: interrupted' then
    followed an empty line (bar, blank line, message). Ctrl-C is typed into a pseudo-terminal, as a
    person would, so the terminal echoes ^C and sends SIGINT itself."""
    import fcntl
    import pty
    import select
    import struct
    import termios

    root = ok_project
    marker = root / "build" / "work" / "two" / "started.marker"
    write_notebook(root / "notebooks" / "models" / "two.ipynb",
                   ["import pathlib, time\npathlib.Path('started.marker').touch()\ntime.sleep(60)"])
    env = {**os.environ, **TINY_ENV, "REPORT_KEPT_WORKERS": "0"}
    env.pop("CI", None)  # not quiet: the progress bar is drawn
    pid, fd = pty.fork()
    if pid == 0:  # the build, on the terminal
        os.chdir(str(REPO))
        os.execve(sys.executable, [sys.executable, "-c", CTRL_C_AT_DEFAULT, "--root", str(root)], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    out, sent, deadline = b"", False, time.monotonic() + 90
    while time.monotonic() < deadline:
        if not sent and marker.exists():
            time.sleep(0.5)
            os.write(fd, b"\x03")  # Ctrl-C, typed
            sent = True
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the build has ended
                break
            if not chunk:
                break
            out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert sent, "the build never started the notebook"
    assert os.waitstatus_to_exitcode(status) == 130, out
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    assert "\nreport: interrupted; site/ was left as it was" in text, repr(text[-400:])
    assert "\n\nreport: interrupted" not in text, repr(text[-400:])  # the bar ended its line: no blank line


# --------------------------------------------------------------------------- order of the queue

def test_queue_runs_kernel_free_jobs_first_then_the_longest_and_untimed_models_before_articles():
    """A cold build (no run timed) used to keep manifest order, which put the model runs last, and the
    claims job (no kernel) after every run; the build then ended with one worker alone."""
    from nbreport import pool

    from helpers.report_extension import KINDS

    cold = {k: pool.expected_seconds({}, KINDS[k]) for k in ("model", "article")}
    assert cold["model"] > cold["article"]
    assert pool.expected_seconds({"duration": 0.7}, KINDS["model"]) == 0.7  # a timed run: its last duration
    for says_nothing in ({}, None, {"untimed_seconds": "5"}, {"untimed_seconds": -1}, {"untimed_seconds": True}):
        assert pool.expected_seconds({}, says_nothing) == pool.UNTIMED_SECONDS, says_nothing
    queue = [{"op": "execute", "id": "article-1", "expected": cold["article"]},
             {"op": "execute", "id": "model-1", "expected": cold["model"]},
             {"op": "execute", "id": "timed-long", "expected": 9.0},
             {"op": "render", "id": "page", "expected": 0.1},
             {"op": "call", "id": "claims", "expected": 2.5}]
    queue.sort(key=pool._dispatch_order)
    order = [j["id"] for j in queue]
    assert set(order[:2]) == {"page", "claims"}, order
    assert order[2:] == ["timed-long", "model-1", "article-1"], order
