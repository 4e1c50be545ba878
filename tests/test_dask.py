"""Scale-out on Dask (`python -m nbreport --local-cluster N` / `--scheduler ADDRESS`).

The same small project is built with the build's own worker pool and on a Dask LocalCluster of
two worker processes: the fingerprints, the executed notebooks' outputs, the pages and the claims
results must be the same. Bad input (an unreachable scheduler, a malformed address) gets one
message before anything runs; a worker that dies mid-run has that run retried once, then failed,
while the other runs still publish. The whole file takes well under a minute.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXTURE_MANIFEST, FIXTURE_NOTEBOOKS, FIXTURE_SOURCES, REPO, make_project, run_report

pytestmark = pytest.mark.notebook
pytest.importorskip("distributed")



def _state(root: Path) -> dict:
    return json.loads((root / "build" / "state.json").read_text(encoding="utf-8"))


def _outputs(nb_file: Path) -> list:
    """What a reader sees of an executed notebook: each cell's source and outputs, without timings."""
    nb = json.loads(nb_file.read_text(encoding="utf-8"))
    return [(c["cell_type"], c["source"], c.get("outputs")) for c in nb["cells"]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_is_one_message_naming_it_and_nothing_runs(tmp_path):
    root = make_project(tmp_path / "p", {"models/ok.ipynb": ["print('ran', label)"]},
                       "notebooks:\n  - path: models/ok.ipynb\n    kind: model\n    title: OK\n    runs: [{id: ok}]\n")
    address = f"tcp://127.0.0.1:{_free_port()}"
    t0 = time.monotonic()
    proc = run_report(root, "--scheduler", address, "--connect-timeout", "1", timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith(f"report: --scheduler {address}: no Dask scheduler answered there within 1 s"), lines
    assert "nothing was executed" in lines[0] and "Traceback" not in proc.stderr
    assert time.monotonic() - t0 < 30
    assert not (root / "build" / "notebooks").exists() and not (root / "site").exists()


@pytest.mark.parametrize("address", ["localhost", "tcp://host", "http://h:8786", "tcp://h:99999"])
def test_a_malformed_scheduler_address_is_refused_by_the_option(tmp_path, address):
    from nbreport import cli

    with pytest.raises(SystemExit) as exc:
        cli.main(["--root", str(tmp_path), "--scheduler", address])
    assert exc.value.code == 2


def test_workers_that_cannot_run_the_build_are_named_before_anything_runs(tmp_path):
    """The check `connect` runs on every worker, on the answers a cluster could give."""
    from nbreport import dask_executor
    from nbreport.fingerprint import NBREPORT_DIR, hash_tree
    from nbreport.status import BuildError

    mine = hash_tree(NBREPORT_DIR / "execution")
    good = dask_executor.probe(str(tmp_path))  # no notebooks/ and data/ there: this worker cannot see it
    assert good["execution"] == mine and good["root"] is False

    class FakeClient:
        def __init__(self, answers):
            self.answers = answers

        def run(self, fn, root):
            return self.answers

    blind = {**good, "root": False}
    other = {**good, "root": True, "execution": "0" * 64}
    with pytest.raises(BuildError) as exc:
        dask_executor._check_workers(FakeClient({"tcp://a:1": blind, "tcp://b:2": other,
                                                 "tcp://c:3": {**good, "root": True}}), "X", tmp_path, mine)
    text = str(exc.value)
    assert f"worker tcp://a:1 does not see the repository at {tmp_path}" in text
    assert "worker tcp://b:2 runs other execution code" in text and "tcp://c:3" not in text
    dask_executor._check_workers(FakeClient({"tcp://c:3": {**good, "root": True}}), "X", tmp_path, mine)


# A run that kills the worker process running it (the kernel's parent), on its first attempt only
# ("once") or on every attempt ("always"); the marker lives in build/cache, which the write guard allows.
# The builds here use cold kernels (COLD): a warm kernel's parent is its worker's fork server
# (nbreport.execution.forking), not the worker, so getppid() would not reach the worker. Both executors
# get the same setting, so their fingerprints (which hold the warm-kernel list) stay comparable.
COLD = {"REPORT_WARM_KERNELS": "0"}
KILLER = ("import os, pathlib, signal\n"
          "marker = pathlib.Path(os.environ['MPLCONFIGDIR']).parent / f'killed-{label}'\n"
          "if label == 'always' or not marker.exists():\n"
          "    marker.touch()\n"
          "    os.kill(os.getppid(), signal.SIGKILL)\n"
          "    os._exit(1)\n"
          "print('survived', label)")
MANIFEST = FIXTURE_MANIFEST + """  - path: models/killer.ipynb
    kind: model
    title: Kills its worker
    runs:
      - {id: dies-once, parameters: {label: once}}
      - {id: dies-always, parameters: {label: always}}
"""


NOTEBOOKS = {**FIXTURE_NOTEBOOKS, "models/killer.ipynb": [KILLER]}


@pytest.fixture(scope="module")
def cluster():
    """An existing Dask cluster for `--scheduler`: a LocalCluster of two worker processes (one thread,
    768 MiB each) whose scheduler, like `--local-cluster`'s, leaves every retry to the runner."""
    import logging

    import dask
    import distributed

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="768MiB",
                                      dashboard_address=None, silence_logs=logging.CRITICAL,
                                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as c:
            yield c


@pytest.fixture(scope="module")
def builds(tmp_path_factory, cluster):
    """The same project (the report tests' fixture: two good runs, an article, a broken model; and
    the two killers) built with the local pool and on the Dask cluster above (`--scheduler`).

    Returns {"local": (root, CompletedProcess), "dask": (root, CompletedProcess)}. Not quiet (CI
    unset): the log has one line per job and per retry. The local build reports whether its
    process imported Dask.
    """
    base = tmp_path_factory.mktemp("dask")
    out = {}
    for name in ("local", "dask"):
        root = make_project(base / name, NOTEBOOKS, MANIFEST, FIXTURE_SOURCES)
        if name == "dask":
            proc = run_report(root, "--scheduler", cluster.scheduler_address, env={"CI": "", **COLD}, timeout=150)
        else:
            code = ("import sys; from nbreport import cli; rc = cli.main(sys.argv[1:]); "
                    "print('imported dask:', sorted({'dask', 'distributed'} & set(sys.modules))); sys.exit(rc)")
            env = {**{k: v for k, v in os.environ.items() if k not in ("CI", "REPORT_BUILD_DIR", "REPORT_SITE_DIR")},
                   **COLD}
            proc = subprocess.run([sys.executable, "-c", code, "--root", str(root)], capture_output=True, text=True,
                                  env=env, timeout=150, cwd=str(REPO))
        out[name] = (root, proc)
    return out


def test_the_default_build_never_imports_dask(builds):
    _, proc = builds["local"]
    assert "imported dask: []" in proc.stdout, proc.stdout


def test_local_pool_and_dask_give_the_same_fingerprints_outputs_and_claims(builds):
    (local, p_local), (dask, p_dask) = builds["local"], builds["dask"]
    assert p_local.returncode == p_dask.returncode == 1, p_local.stderr[-2000:] + p_dask.stderr[-2000:]
    a, b = _state(local), _state(dask)
    assert sorted(a["runs"]) == sorted(b["runs"]) == ["art-a", "broken", "dies-always", "dies-once", "ok-a", "ok-b"]
    for run_id in a["runs"]:
        ra, rb = a["runs"][run_id], b["runs"][run_id]
        for key in ("fingerprint", "inputs", "status", "figures", "missing_alt", "warnings", "has_page",
                    "worker_retries"):
            assert ra[key] == rb[key], (run_id, key, ra[key], rb[key])
        assert (ra["error"] or {}).get("kind") == (rb["error"] or {}).get("kind"), run_id
        if run_id != "dies-always":  # (its worker died twice: no notebook, no page)
            assert ra["error"] == rb["error"], run_id
            assert _outputs(local / "build" / "notebooks" / f"{run_id}.ipynb") == \
                _outputs(dask / "build" / "notebooks" / f"{run_id}.ipynb"), run_id
            page = f"{run_id}.html"
            assert (local / "build" / "pages" / page).read_bytes() == (dask / "build" / "pages" / page).read_bytes()
    assert a["runs"]["broken"]["status"] == "failed" and a["runs"]["ok-b"]["status"] == "ok"
    for key in ("fingerprint", "status", "message", "summaries", "rows"):
        assert a["claims"][key] == b["claims"][key], key
    assert (local / "build" / "claims.csv").read_bytes() == (dask / "build" / "claims.csv").read_bytes()
    # the Dask build is as incremental as the local one: nothing changed, nothing runs
    again = run_report(dask, "--scheduler", "tcp://127.0.0.1:9", "--only", "ok-a", env=COLD)
    assert "nothing changed" in again.stdout, again.stdout + again.stderr  # (exit 1: broken is still failed)


def test_a_local_cluster_runs_the_build_and_gives_the_same_fingerprint(builds, tmp_path):
    """`--local-cluster N`: the build starts (and stops) its own cluster."""
    (local, _), one = builds["local"], "notebooks:\n  - path: models/ok.ipynb\n    kind: model\n    title: A\n" \
        "    runs:\n      - {id: ok-a, parameters: {label: first}}\n"
    root = make_project(tmp_path / "p", {"models/ok.ipynb": FIXTURE_NOTEBOOKS["models/ok.ipynb"]}, one,
                        FIXTURE_SOURCES)
    proc = run_report(root, "--local-cluster", "1", "--worker-memory", "768MiB", env=COLD, timeout=120)
    assert proc.returncode == 0 and not proc.stderr, proc.stdout + proc.stderr
    assert _state(root)["runs"]["ok-a"]["fingerprint"] == _state(local)["runs"]["ok-a"]["fingerprint"]
    page = "build/pages/ok-a.html"
    assert (root / page).read_bytes() == (local / page).read_bytes()
    bad = run_report(root, "--force", "--local-cluster", "1", "--worker-memory", "lots")
    assert bad.returncode == 2 and bad.stderr.startswith("report: --local-cluster 1: the Dask LocalCluster did not "
                                                         "start (Could not interpret 'lots' as a byte unit"), bad.stderr


@pytest.mark.parametrize("executor", ["local", "dask"])
def test_a_worker_that_dies_mid_run_is_retried_once_then_failed_and_the_rest_publish(builds, executor):
    root, proc = builds[executor]
    runs = _state(root)["runs"]
    assert runs["ok-a"]["status"] == "ok" and runs["ok-a"]["worker_retries"] == 0
    assert runs["dies-once"]["status"] == "ok" and runs["dies-once"]["worker_retries"] == 1
    assert runs["dies-always"]["status"] == "failed"
    assert "died while running it, and again when it was tried once more" in runs["dies-always"]["error"]["message"]
    assert proc.stderr.count("RETRY dies-always") == 1 and proc.stderr.count("RETRY dies-once") == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr
    site = root / "site" / "reports"
    assert (site / "ok-a.html").is_file() and "survived once" in (site / "dies-once.html").read_text(encoding="utf-8")
    index = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert "dies-always" in index


def test_warm_kernels_give_the_same_fingerprint_and_page_on_a_local_cluster(tmp_path):
    """With warm kernels (the default; a tiny project pre-imports one light module) the local pool and
    `--local-cluster` agree too: the warm list is part of the fingerprint on both."""
    one = "notebooks:\n  - path: models/ok.ipynb\n    kind: model\n    title: A\n" \
        "    runs:\n      - {id: ok-a, parameters: {label: first}}\n"
    roots = {}
    for name, args in (("pool", ()), ("dask", ("--local-cluster", "1", "--worker-memory", "768MiB"))):
        roots[name] = make_project(tmp_path / name, {"models/ok.ipynb": FIXTURE_NOTEBOOKS["models/ok.ipynb"]}, one,
                                   FIXTURE_SOURCES)
        proc = run_report(roots[name], *args, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    a, b = (_state(roots[n])["runs"]["ok-a"] for n in ("pool", "dask"))
    assert a["fingerprint"] == b["fingerprint"] and a["inputs"] == b["inputs"]
    page = "build/pages/ok-a.html"
    assert (roots["pool"] / page).read_bytes() == (roots["dask"] / page).read_bytes()
