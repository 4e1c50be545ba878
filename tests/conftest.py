"""Shared helpers for the report-builder tests: throwaway projects with tiny notebooks.

A project is a folder shaped like the repository (data/, notebooks/, manifest) that the
runner is pointed at with `--root`; its notebooks import nothing heavy, so a build takes
a few seconds.
"""
from __future__ import annotations

import base64
import csv
import json
import os
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# One BLAS/OpenMP thread in the test processes too, as in every kernel (nbreport.config.THREAD_VARS),
# before anything imports numpy: on two cores the idle threads of a multi-threaded BLAS spin, and
# the in-process model tests took 19.5 instead of 10.4 CPU-s. A value already set is kept.
from nbreport.config import single_thread_env  # noqa: E402  (light: no numpy)

os.environ.update(single_thread_env())

# A build's kernel fork server outlives it (nbreport.execution.shared_server), 600 s by default. The
# tests build about seventy throwaway projects; their servers leave 20 s after their last build, not
# ten minutes after the session (tests/test_shared_server.py sets its own).
os.environ.setdefault("REPORT_FORK_IDLE", "20")
# Most of those projects are built once: the worker template their server would fork for the next
# build (0.6 CPU-s of imports, nbreport.execution.kept_worker) would never be used. Kept workers are
# tests/test_kept_worker.py's, whose projects turn them back on.
os.environ.setdefault("REPORT_KEPT_WORKERS", "0")


def load_tool(name: str):
    """A script of tools/ as a module (tools/ is not a package), e.g. load_tool("snapshot_notebooks")."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def required(flag: str) -> bool:
    """True when `flag` or CI is set to something other than empty, 0, false or no (.ci/run sets them)."""
    return any(os.environ.get(v, "").strip().lower() not in ("", "0", "false", "no") for v in (flag, "CI"))


def seeds_folder() -> Path:
    """The folder of article texts (../shared/seeds). When it is absent the test is skipped, except
    under CI or REQUIRE_SEEDS, where a check that cannot run is a failure."""
    from helpers import paths

    if paths.SEEDS.is_dir():
        return paths.SEEDS
    why = f"the article texts are not here ({paths.SEEDS} is absent), so the phrases cannot be checked"
    if required("REQUIRE_SEEDS"):
        pytest.fail(f"{why}; REQUIRE_SEEDS or CI is set, so this is a failure, not a skip")
    pytest.skip(why)


def article_text(source_id: str) -> str:
    """The accepted text of one article (data/sources.csv seed_file, found through ARTICLE_TEXTS).

    A text of the shared pack (no text_sha256) that is absent skips the test, except under CI or
    REQUIRE_SEEDS, where it fails. A text kept outside the shared pack that is absent skips, saying
    so: the checks that need no text (tests/test_claims_ledger.py) still ran on its rows. A text
    found with another SHA-256 than the recorded one always fails: it changed since acceptance.
    """
    from helpers import data
    from helpers.drafting import texts

    found = texts.article_texts(data.load_sources().reset_index(drop=True)).get(source_id)
    if found is None:
        pytest.fail(f"{source_id}: no seed_file in data/sources.csv, so it has no article text")
    if found.state == "changed":
        pytest.fail(found.why)
    if found.state == "absent":
        if found.shared and required("REQUIRE_SEEDS"):
            pytest.fail(f"{found.why}; REQUIRE_SEEDS or CI is set, so this is a failure, not a skip")
        pytest.skip(f"text absent, phrase not checked against it: {found.why}"
                    + ("" if found.shared else "; its rows still had the checks that need no text"))
    return found.read()


def manifest_articles() -> set[str]:
    """The source_id of every article notebook in notebooks/manifest.yml."""
    from helpers import paths
    from nbreport import manifest

    return {e.source_id for e in manifest.load(paths.MANIFEST, root=paths.ROOT).entries if e.kind == "article"}


def tiny_png(width: int = 40, height: int = 20, rgb=(27, 108, 168)) -> str:
    """A solid-colour PNG, base64: a figure without importing matplotlib."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", width.to_bytes(4, "big") + height.to_bytes(4, "big")
                                         + b"\x08\x02\x00\x00\x00")
           + chunk(b"IDAT", raw) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode()


def figure_cell(alt: str) -> str:
    """Code for a cell that shows a figure the way helpers.charts.show does (PNG + alt metadata)."""
    return ("from IPython.display import display\n"
            f"display({{'image/png': {tiny_png()!r}, 'text/plain': 'figure'}}, raw=True, "
            f"metadata={{'image/png': {{'alt': {alt!r}}}}})")


PARAMS = ('label: str = "a"  # a label shown in the report\n'
          'n: int = 3  # how many; range: 1..10')


def write_notebook(path: Path, cells: list[str], params: str = PARAMS, title: str = "# Test report") -> Path:
    """A notebook: a markdown title, a `parameters` cell, then the given code cells."""
    def code(src, tags=()):
        return {"cell_type": "code", "metadata": {"tags": list(tags)} if tags else {}, "source": src,
                "outputs": [], "execution_count": None}

    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": title},
                    code(params, ["parameters"])] + [code(c) for c in cells],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                       "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"c{i}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def write_table(folder: Path, name: str, rows: list[dict], package: dict | None = None) -> Path:
    """Write rows as data/<name>.csv with the columns the schema gives that table (absent keys empty).

    The schema is `package`, else folder/datapackage.json, else the repository's: tests
    never spell out a table's columns themselves.
    """
    from helpers import data

    if package is None:
        pkg_file = folder / "datapackage.json"
        package = json.loads((pkg_file if pkg_file.is_file() else REPO / "data" / "datapackage.json")
                             .read_text(encoding="utf-8"))
    res = data.resource(name, package)
    fields = [f["name"] for f in res["schema"]["fields"]]
    path = folder / res["path"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in fields})
    return path


def make_project(root: Path, notebooks: dict[str, list[str]], manifest: str,
                 sources: list[dict] | None = None) -> Path:
    """A repository-shaped folder: data/ (the real schema, a sources table, an empty claims
    ledger), notebooks/<path> for each entry of `notebooks`, and notebooks/manifest.yml."""
    data = root / "data"
    data.mkdir(parents=True, exist_ok=True)
    package = json.loads((REPO / "data" / "datapackage.json").read_text(encoding="utf-8"))
    # the real schema of the two tables written here (make report checks every table it lists)
    package["resources"] = [r for r in package["resources"] if r["name"] in ("sources", "claims")]
    data.joinpath("datapackage.json").write_text(json.dumps(package, indent=1), encoding="utf-8")
    rows = sources if sources is not None else [
        {"source_id": "art_a", "publisher": "Reuters", "title": "China sets quotas", "published": "2025-04-17",
         "address": "https://example.com/a", "accessed": "2025-11-01", "kind": "news article"}]
    write_table(data, "sources", rows, package)
    # an empty ledger: the checker runs and finds nothing (the real schema refuses a header-only table)
    data_res = data.joinpath("datapackage.json")
    package["resources"][[r["name"] for r in package["resources"]].index("claims")]["schema"]["x-may-be-empty"] = True
    data_res.write_text(json.dumps(package, indent=1), encoding="utf-8")
    write_table(data, "claims", [], package)
    shutil.copy(REPO / "environment.yml", root / "environment.yml")
    for rel, cells in notebooks.items():
        write_notebook(root / "notebooks" / rel, cells)
    (root / "notebooks" / "manifest.yml").write_text(manifest, encoding="utf-8")
    TINY_ROOTS.add(Path(root).resolve())
    return root


# A tiny project imports nothing heavy: its warm kernels pre-import one light module, not the
# collection's PREIMPORT (pandas, seaborn, ...). Every build of a tiny project must use it (it is
# part of the fingerprint).
TINY_ENV = {"REPORT_WARM_KERNELS": "json"}
TINY_ROOTS: set[Path] = set()  # the projects make_project wrote (a copy of the repository is not one)


def run_report(root: Path, *args: str, env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """`python -m nbreport --root <root> ...` as `make report` runs it (CI=1: no progress bar)."""
    full_env = {**os.environ, "CI": "1", **(env or {})}
    if Path(root).resolve() in TINY_ROOTS:
        full_env = {**TINY_ENV, **full_env}
    full_env.pop("REPORT_SITE_DIR", None)
    full_env.pop("REPORT_BUILD_DIR", None)
    return subprocess.run([sys.executable, "-m", "nbreport", "--root", str(root), *args],
                          capture_output=True, text=True, env=full_env, timeout=timeout, cwd=str(REPO))


def count_figure_draws(monkeypatch) -> list:
    """Record every Figure.draw from now on (the figures drawn, in order): how a chart test sees that
    a layout step, a cached image or a sweep point drew what it should and nothing more."""
    from matplotlib.figure import Figure

    draws = []
    real = Figure.draw

    def counted(self, renderer):
        draws.append(self)
        return real(self, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    return draws


@pytest.fixture(scope="session")
def warm_kernels():
    """The report builder's kernel manager class with warm kernels (nbreport.execution.forking), for
    tests that execute the repository's notebooks themselves: each kernel is a fresh process forked
    from a server that imported the collection's PREIMPORT once, so the 23 refused parameter sets
    pay a fork each, not 2 s of imports each. Pass it as papermill's ``kernel_manager_class``."""
    from helpers import report_extension
    from nbreport.config import preimport_modules
    from nbreport.execution import forking, kernels

    forking.preimport = preimport_modules(report_extension)  # REPORT_WARM_KERNELS=0: cold kernels
    try:
        yield kernels.kernel_manager_class()
    finally:
        forking.preimport = ()
        forking.close_servers()


FIXTURE_MANIFEST = """notebooks:
  - path: models/ok.ipynb
    kind: model
    title: A model <em>that works</em>
    runs:
      - {id: ok-a, parameters: {label: first}}
      - {id: ok-b, parameters: {label: "<script>alert('param')</script>", n: 5}}
  - path: articles/art.ipynb
    kind: article
    source_id: art_a
    runs: [{id: art-a}]
  - path: models/broken.ipynb
    kind: model
    title: A model that fails
    runs: [{id: broken}]
"""

FIXTURE_NOTEBOOKS = {
    "models/ok.ipynb": ["print(f'label={label} n={n}')",
                        figure_cell("A blue bar standing for the label"),
                        "from IPython.display import HTML, Markdown\n"
                        "display(HTML(f'<table><tr><td>{label}</td></tr></table>'))\n"
                        "display(Markdown(f'**label**: {label}'))"],
    "articles/art.ipynb": ["x = 6 * 7\nprint('answer', x)", figure_cell("A blue bar for the article")],
    "models/broken.ipynb": ["print('before the failure')", "raise ValueError('deliberate failure for the test')",
                            "print('never runs')"],
}

FIXTURE_SOURCES = [{"source_id": "art_a", "publisher": "Wire <b>service</b>",
                    "title": "<script>alert('title')</script> Quotas rise", "published": "2025-04-17",
                    "address": "https://example.com/a", "accessed": "2025-11-01", "kind": "news article"}]


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory):
    """A project with a working model (two runs), an article and a broken model, built once.

    Returns (root, CompletedProcess); the site is at root/site.
    """
    root = make_project(tmp_path_factory.mktemp("fixture-project"), FIXTURE_NOTEBOOKS, FIXTURE_MANIFEST,
                        FIXTURE_SOURCES)
    proc = run_report(root)
    return root, proc


class RepoBuild:
    """Every run of the repository's manifest, executed once per test session by the report runner.

    The site runs are built as `make report` builds them (into a temporary site, never the
    developer's); the `site: false` runs go to a second build, so the first site is exactly
    the one readers get. Notebook tests, model tests and the browser test all read from here.
    """

    def __init__(self, base: Path, build: bool = True):
        from nbreport import manifest as manifest_mod

        self.manifest = manifest_mod.load(REPO / "notebooks" / "manifest.yml", root=REPO)
        self.site = base / "site"
        self.builds = {"site": base / "build", "tests": base / "build-tests"}
        self.record = base / "processes.json"
        if not build:  # built already by another pytest-xdist worker: read its record
            procs = [None if p is None else subprocess.CompletedProcess(p["args"], p["returncode"], p["stdout"],
                                                                        p["stderr"])
                     for p in json.loads(self.record.read_text(encoding="utf-8"))]
            self.proc, self.proc_tests = procs
            return
        self.proc = run_report(REPO, "--build-dir", str(self.builds["site"]), "--site-dir", str(self.site),
                               timeout=1200)
        extra = [r.id for _, r in self.manifest.runs() if not r.site]
        self.proc_tests = None
        if extra:
            args = [a for rid in extra for a in ("--only", rid)]
            self.proc_tests = run_report(REPO, "--build-dir", str(self.builds["tests"]), "--site-dir",
                                         str(base / "site-tests"), *args, timeout=1200)

    def save(self) -> None:
        """Record the two build processes so that other workers can read this build (whole or not at all:
        a record cut short by a kill would be read as a build)."""
        tmp = self.record.with_name(self.record.name + ".tmp")
        tmp.write_text(json.dumps([None if p is None else {
            "args": p.args, "returncode": p.returncode, "stdout": p.stdout, "stderr": p.stderr}
            for p in (self.proc, self.proc_tests)]), encoding="utf-8")
        os.replace(tmp, self.record)

    def _build_of(self, run_id: str) -> Path:
        site_ids = {r.id for _, r in self.manifest.runs(site_only=True)}
        return self.builds["site" if run_id in site_ids else "tests"]

    def state(self, run_id: str) -> dict:
        state = json.loads((self._build_of(run_id) / "state.json").read_text(encoding="utf-8"))
        return state["runs"][run_id]

    def notebook(self, run_id: str) -> dict:
        """The executed notebook of a run, as JSON."""
        path = self._build_of(run_id) / "notebooks" / f"{run_id}.ipynb"
        return json.loads(path.read_text(encoding="utf-8"))

    def log(self) -> str:
        procs = [p for p in (self.proc, self.proc_tests) if p is not None]
        return "\n".join(p.stdout + p.stderr for p in procs)


def _shared_build_folder(tmp_path_factory) -> Path:
    """The folder the pytest-xdist workers of one session share the repository's build in."""
    return tmp_path_factory.getbasetemp().parent / "repo-build-shared"


@pytest.fixture(scope="session")
def repo_build(tmp_path_factory) -> RepoBuild:
    """The repository's build, made once per test session.

    Under pytest-xdist (`-n 2`) the workers share it: whoever holds the file lock in the session's
    common temporary folder builds it, the others wait for the lock and read that build, so `-n 2`
    never executes every notebook twice. The build is usually started at the end of collection, in
    the background (pytest_collection_finish below), and holds the lock until it is recorded; when
    that background build left no record (it was killed, it crashed), the first fixture to get the
    lock builds it here, as before.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return RepoBuild(tmp_path_factory.mktemp("repo-build"))
    import fcntl

    shared = _shared_build_folder(tmp_path_factory)
    with open(shared.parent / "repo-build-shared.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (shared / "processes.json").is_file():
            return RepoBuild(shared, build=False)
        shared.mkdir(exist_ok=True)
        build = RepoBuild(shared)
        build.save()
        return build


# ---------------------------------------------------------------- the session's critical path
#
# `make test` runs on two pytest-xdist workers. The longest chain is the repository's build (about
# 95 s of two kernels) followed by the tests that read it (the browser crawl, the perturbed-data
# comparison, the notebook checks). Three things keep the workers busy meanwhile:
#
# 1. The build starts as soon as a worker has collected a test that needs it, in a background
#    process that holds the build's lock (repo_build above waits for it), not when the first such
#    test happens to be reached.
# 2. The queue is ordered so that the costly tests that need no repository build run first (while
#    it builds), then the tests that read it, then the many quick ones; the costly ones are named in
#    SLOW_FILES with their measured seconds (an unlisted file counts as quick).
# 3. SPLIT_FILES are handed out test by test rather than as one file, so that two workers share
#    them: their tests keep no state between them except fixtures (a module fixture is then made
#    once on each worker that runs one of them). Every other file stays on one worker (`--dist
#    loadfile`: all cells of one notebook must run in one kernel).

SLOW_FILES = {  # seconds of one file's tests on CI (--durations, November 2026); the order only needs the rank
    "tests/test_report.py": 170, "tests/test_site_browser.py": 100, "tests/test_notebooks.py": 90,
    "tests/test_perturbed_data.py": 40, "tests/test_shared_server.py": 37, "tests/test_dask.py": 30,
    "tests/test_accept_article.py": 17, "tests/test_new_article.py": 6, "tests/test_guards.py": 21,
    "tests/test_warm_kernels.py": 15, "tests/test_models.py": 8, "tests/test_parameters.py": 12,
    "tests/test_install.py": 12, "tests/test_chart_cache.py": 11, "tests/test_warm_nbval.py": 10,
    "tests/test_site.py": 9, "tests/test_sensitivity_browser.py": 7, "tests/test_published_data.py": 7,
    "tests/test_chart_layout.py": 7,
}
SPLIT_FILES = {"tests/test_report.py", "tests/test_notebooks.py"}


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def scope_of(nodeid: str) -> str:
    """The unit of work a test is handed out in: its file, or the test itself for SPLIT_FILES. A
    notebook's cells are never split (nbval runs them in order in one kernel)."""
    file = _file_of(nodeid)
    return nodeid if file in SPLIT_FILES and file.endswith(".py") else file


def session_order(items: list) -> list:
    """The items in the session's order (see the critical path above): costly tests without the
    repository build, then those that read it, then quick ones; a unit's tests stay together and in
    their order. Items need ``nodeid`` and ``fixturenames``."""
    def needs_build(item) -> bool:
        return "repo_build" in getattr(item, "fixturenames", ())

    waits = {_file_of(i.nodeid) for i in items if needs_build(i)}  # a file that stays whole waits for its slowest

    def rank(pair):
        index, item = pair
        file = _file_of(item.nodeid)
        waiting = needs_build(item) if scope_of(item.nodeid) != file else file in waits
        cost = SLOW_FILES.get(file, 0)
        group = 2 if not cost else (1 if waiting else 0)
        return group, -cost, file, index

    return [item for _, item in sorted(enumerate(items), key=rank)]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Run the session in session_order (every worker sorts the same collection the same way)."""
    items[:] = session_order(items)


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadfile` with SPLIT_FILES handed out test by test (scope_of), in the session's own order."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class CriticalPathScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

    config.option.loadscopereorder = False  # keep session_order, not "the file with most tests first"
    return CriticalPathScheduling(config, log)


_BACKGROUND: list = []  # the background build this worker started (subprocess.Popen), if any

# SIGTERM (pytest_sessionfinish on an interrupted session) becomes SystemExit, so that subprocess.run
# stops the build it waits for instead of leaving it to write into the folder on its own.
BACKGROUND_BUILD = """import signal, sys
from pathlib import Path
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
sys.path.insert(0, sys.argv[1])
import conftest
build = conftest.RepoBuild(Path(sys.argv[2]))
build.save()
"""


def pytest_collection_finish(session):
    """Start the repository's build in the background once a worker knows a test of it needs it.

    Only under pytest-xdist (the workers share the build folder); not for --collect-only. The
    background process inherits the build's lock and holds it until the build is recorded, so a
    repo_build fixture reached earlier waits for this build instead of starting a second one.
    """
    import fcntl

    config = session.config
    if (not hasattr(config, "workerinput") or config.option.collectonly
            or not any("repo_build" in getattr(i, "fixturenames", ()) for i in session.items)):
        return
    shared = _shared_build_folder(config._tmp_path_factory)
    lock = open(shared.parent / "repo-build-shared.lock", "w")
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # the other worker started it (or is building)
        if (shared / "processes.json").is_file():
            return
        shared.mkdir(exist_ok=True)
        log = open(shared.parent / "repo-build-background.log", "w")
        _BACKGROUND.append(subprocess.Popen([sys.executable, "-c", BACKGROUND_BUILD, str(Path(__file__).parent),
                                             str(shared)], cwd=str(REPO), pass_fds=(lock.fileno(),),
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT))
        log.close()
    finally:
        lock.close()  # the background process keeps its copy, and with it the lock


class _NotebooksReadTheBuildsCharts:
    """A notebook that nbval runs once the repository's build is recorded draws its charts into that
    build's chart cache (REPORT_CACHE_DIR, helpers.plots.chart_cache), so the charts the build drew
    with the same parameters are read back, not drawn again (nbval's notebooks: 42 s -> 27 s on one
    core). Set only after the build is done: before, its folder is the build's to make, and the
    notebooks use the repository's build/cache as they would outside the tests. Not when
    REPORT_CACHE_DIR is set. A plugin (pytest_configure registers it), not a hook of this file:
    this file's test hooks reach only the tests under tests/, and nbval's items are the notebooks."""

    @staticmethod
    def pytest_runtest_setup(item):
        from nbreport.config import CACHE_ENV, worker_env

        if not str(item.path).endswith(".ipynb") or os.environ.get(CACHE_ENV) or not hasattr(item.config, "workerinput"):
            return
        shared = _shared_build_folder(item.config._tmp_path_factory)
        if (shared / "processes.json").is_file() and (shared / "build" / "cache").is_dir():
            build_env = worker_env(REPO, shared / "build")  # what the build's kernels had
            os.environ[CACHE_ENV] = build_env[CACHE_ENV]
            # and the build's matplotlib folder: its font list is part of every chart's key, and the
            # one in the user's own folder may list other fonts (an older matplotlib, fonts added since)
            os.environ["MPLCONFIGDIR"] = build_env["MPLCONFIGDIR"]


def pytest_sessionfinish(session, exitstatus):
    """A background build this worker started is waited for (another worker may still read it), or
    stopped when the session was interrupted or failed early."""
    for proc in _BACKGROUND:
        if session.shouldstop or session.shouldfail or exitstatus == pytest.ExitCode.INTERRUPTED:
            proc.terminate()
        try:
            proc.wait(timeout=1200)
        except subprocess.TimeoutExpired:
            proc.kill()
    _BACKGROUND.clear()


# ---------------------------------------------------------------- nbval on warm kernels

WARM_NBVAL_KEY = pytest.StashKey[str]()  # why nbval's kernels start cold ("" when they are warm)


def pytest_configure(config):
    """nbval's kernels are forked from a pre-imported server (kernelspec python3-warm, installed by
    `make env`; nbreport.execution.provisioner): about 0.1 CPU-s per notebook instead of 2 s of imports.
    Each notebook still gets a kernel process of its own (tests/test_warm_nbval.py). A kernel named on
    the command line (--nbval-kernel-name, --nbval-current-env) is left alone; a warm kernelspec that
    cannot be used leaves nbval on the notebook's own kernel, and the header and a warning say why."""
    opt = config.option
    if not (getattr(opt, "nbval", False) or getattr(opt, "nbval_lax", False)):
        return
    config.pluginmanager.register(_NotebooksReadTheBuildsCharts(), "notebooks-read-the-builds-charts")
    if getattr(opt, "nbval_kernel_name", None) or getattr(opt, "nbval_current_env", False):
        return
    from nbreport.execution import provisioner

    why = provisioner.check()
    config.stash[WARM_NBVAL_KEY] = why or ""
    if why is None:
        opt.nbval_kernel_name = provisioner.KERNEL
    elif not hasattr(config, "workerinput"):  # said once, by the controller, not by every xdist worker
        config.issue_config_time_warning(pytest.PytestWarning(
            f"nbval starts cold kernels (about 2 s of imports per notebook): {why}"), stacklevel=2)


def pytest_report_header(config):
    why = config.stash.get(WARM_NBVAL_KEY, None)
    if why is None:
        return None
    if why:
        return f"nbval kernels: cold, {why}"
    from nbreport.execution import provisioner

    return f"nbval kernels: {provisioner.KERNEL}, each forked from a pre-imported server"
