"""Warm kernels (nbreport.execution.forking): each run gets a fresh kernel process forked from a
server that has already imported the collection's heavy modules; nothing of one run reaches the next,
and the pre-imported module list is part of every run's fingerprint."""
from __future__ import annotations

import json
import sys
import time
import types

import pytest

from conftest import make_project, run_report
from nbreport import config
from nbreport.execution import forking
from nbreport.status import BuildError

# colorsys: a stdlib module neither ipykernel nor IPython imports, so finding it in sys.modules
# before the notebook imports anything shows the kernel was forked from the pre-importing server
PROBE = ("import json, os, sys, tempfile, colorsys as _c\n"
         "print('STATE ' + json.dumps({'warm': WARM, 'global': 'LEAKED' in globals(),\n"
         "    'module': hasattr(_c, 'leaked'), 'env': 'REPORT_LEAK' in os.environ, 'pid': os.getpid(),\n"
         "    'ppid': os.getppid(), 'cwd': os.getcwd(), 'tmp': tempfile.gettempdir()}))\n"
         "LEAKED = label\n_c.leaked = label\nos.environ['REPORT_LEAK'] = label")
FIRST = "import sys as _s\nWARM = 'colorsys' in _s.modules"
MANIFEST = """notebooks:
  - path: models/leak.ipynb
    kind: model
    title: Leak probe
    runs:
      - {id: leak-a, parameters: {label: first}}
      - {id: leak-b, parameters: {label: second}}
      - {id: leak-c, parameters: {label: third}}
"""


def _states(root):
    out = {}
    for rid in ("leak-a", "leak-b", "leak-c"):
        nb = json.loads((root / "build" / "notebooks" / f"{rid}.ipynb").read_text(encoding="utf-8"))
        text = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
        line = next(ln for ln in text.splitlines() if ln.startswith("STATE "))
        out[rid] = json.loads(line[6:])
    return out


@pytest.fixture(scope="module")
def warm_project(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("warm"), {"models/leak.ipynb": [FIRST, PROBE]}, MANIFEST)
    # one worker: the three runs go one after another through the same worker and fork server
    proc = run_report(root, env={"REPORT_WORKERS": "1", "REPORT_WARM_KERNELS": "colorsys"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


def test_a_global_set_by_one_run_is_invisible_to_the_next(warm_project):
    states = _states(warm_project)
    for rid, s in states.items():
        assert s["warm"], f"{rid}: the kernel had not pre-imported colorsys, so it was not a warm kernel"
        # what the previous run set: a global, an attribute of a pre-imported module, an environment variable
        assert (s["global"], s["module"], s["env"]) == (False, False, False), f"{rid} saw the previous run: {s}"
    assert len({s["pid"] for s in states.values()}) == 3, "each run needs a kernel process of its own"
    assert len({s["ppid"] for s in states.values()}) == 1, "the runs were not forked from one server"


def test_a_warm_kernel_works_in_its_runs_own_folders(warm_project):
    for rid, s in _states(warm_project).items():
        assert s["cwd"] == str(warm_project / "build" / "work" / rid)
        assert s["tmp"] == str(warm_project / "build" / "tmp" / rid)


def test_the_preimported_modules_are_part_of_the_fingerprint(warm_project):
    env = {"REPORT_WORKERS": "1", "REPORT_WARM_KERNELS": "colorsys"}

    def execution_input():
        state = json.loads((warm_project / "build" / "state.json").read_text(encoding="utf-8"))
        return {r["inputs"]["warm"] for r in state["runs"].values()}

    same = run_report(warm_project, env=env)
    assert "nothing changed" in same.stdout, same.stdout + same.stderr
    seen = [execution_input()]
    for modules in ("colorsys,json", "0"):  # another list; cold kernels (REPORT_WARM_KERNELS=0)
        proc = run_report(warm_project, env={**env, "REPORT_WARM_KERNELS": modules, "CI": ""})  # not quiet: each run and why
        assert proc.returncode == 0 and "3 executed" in proc.stdout, proc.stdout + proc.stderr
        # named as the reason, not as "the builder's execution code changed" (it did not)
        assert "pre-imported modules changed" in proc.stdout and "execution code" not in proc.stdout, proc.stdout
        seen.append(execution_input())
    assert all(len(s) == 1 for s in seen) and len(set.union(*seen)) == 3, seen
    assert not any(s["warm"] for s in _states(warm_project).values()), "REPORT_WARM_KERNELS=0 still forked"


def test_preimport_comes_from_the_extension_and_a_bad_list_is_refused(monkeypatch):
    monkeypatch.delenv("REPORT_WARM_KERNELS", raising=False)
    ext = types.SimpleNamespace(PREIMPORT=["pandas", "matplotlib.pyplot"], name="x.ext")
    assert config.preimport_modules(ext) == ("pandas", "matplotlib.pyplot")
    assert config.preimport_modules(None) == ()
    for bad in ("pandas", ["pandas; import os"], [3]):
        with pytest.raises(BuildError, match="x.ext: PREIMPORT must be a list of module names"):
            config.preimport_modules(types.SimpleNamespace(PREIMPORT=bad, name="x.ext"))
    monkeypatch.setenv("REPORT_WARM_KERNELS", "off")
    assert config.preimport_modules(ext) == ()
    monkeypatch.setenv("REPORT_WARM_KERNELS", "json, colorsys")
    assert config.preimport_modules(ext) == ("json", "colorsys")


def test_the_collection_names_its_heavy_modules():
    from helpers import report_extension

    names = set(report_extension.PREIMPORT)
    assert {"pandas", "numpy", "matplotlib.pyplot", "seaborn", "statsmodels.api"} <= names
    assert any(n.startswith("helpers.") for n in names)


@pytest.mark.parametrize("argv, options", [
    ([sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"], ()),
    ([sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher", "-f", "c"], ("-Xfrozen_modules=off",)),
    ([sys.executable, "-m", "other_kernel", "-f", "c"], None),
    (["/usr/bin/someone-elses-python", "-m", "ipykernel_launcher", "-f", "c"], None),
    ([sys.executable, "-u", "-m", "ipykernel_launcher", "-f", "c"], None),
    (["R", "--slave", "-e", "IRkernel::main()"], None),
])
def test_only_this_interpreters_ipykernel_is_forked(argv, options):
    assert forking.forkable(argv) == options


def test_the_benchmarks_200_run_manifest_is_a_real_no_op(tmp_path, monkeypatch):
    """tools/bench.py's synthetic manifest (the built runs repeated under new ids, their outputs copied)
    is what a no-change rebuild of that many runs meets: every page published, nothing executed."""
    from conftest import REPO, load_tool
    from nbreport import manifest as manifest_mod

    monkeypatch.syspath_prepend(str(REPO / "tools"))
    bench = load_tool("bench")
    root = make_project(tmp_path / "p", {"models/m.ipynb": ["print(label)"]},
                        "notebooks:\n  - path: models/m.ipynb\n    kind: model\n    title: M\n"
                        "    runs: [{id: m-a}, {id: m-b, parameters: {label: b}}]\n")
    assert run_report(root).returncode == 0
    man = manifest_mod.load(root / "notebooks" / "manifest.yml", root=root)
    assert bench.many_runs(root, root / "build", root / "site", man, 7) == 5
    first = run_report(root)
    assert first.returncode == 0 and "7 reports: 0 executed, 7 unchanged" in first.stdout, first.stdout + first.stderr
    again = run_report(root)
    assert "nothing changed" in again.stdout and "(7 reports)" in again.stdout, again.stdout
    assert len(list((root / "site" / "reports").glob("m-*-copy*.html"))) == 5


def test_a_forked_child_forgets_the_parents_fork_servers_and_launch_thread():
    """A report worker is forked from its parent (pool.py); if the parent already launched warm kernels
    (a test session does), the child must not reuse the parent's fork servers or the executor whose
    thread did not survive the fork: a launch waiting on it hung the in-process build for good."""
    import os

    from nbreport.execution import forking

    forking._fork_executor().submit(lambda: None).result()  # the parent has a live launch thread
    forking._servers[("json",), ()] = object()  # and (as far as the child can tell) a server
    try:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report and leave at once
            os.write(w, b"1" if forking._executor is None and not forking._servers else b"0")
            os._exit(0)
        os.waitpid(pid, 0)
        assert os.read(r, 1) == b"1"
    finally:
        forking._servers.pop((("json",), ()), None)


def test_a_fork_server_that_cannot_be_started_means_a_cold_kernel_and_one_warning(monkeypatch, capsys):
    """CI once found a worker whose fork server refused its first connection: the worker died with a
    traceback. The worker's early start and the kernel launch now both go on without the server."""
    import asyncio

    from nbreport.execution import kernels

    def refuse(*args):
        raise RuntimeError("the shared kernel fork server does not accept connections")

    monkeypatch.setattr(forking, "_start_server", refuse)
    monkeypatch.setattr(forking, "_warned_cold", False)
    forking.start_early(("colorsys",))  # the worker's early start: no exception
    monkeypatch.setattr(forking, "preimport", ("colorsys",))

    async def start_and_stop():
        km = kernels.kernel_manager_class()(kernel_name="python3")
        await km.start_kernel()
        try:
            forked = type(km.provisioner.process).__name__ == "_Forked"
            return forked, await km.is_alive()
        finally:
            await km.shutdown_kernel(now=True)

    for _ in range(2):
        assert asyncio.run(start_and_stop()) == (False, True)  # a cold kernel, and it runs
    err = capsys.readouterr().err
    assert err.count("the kernel fork server failed") == 1 and "start cold" in err and "Traceback" not in err, err


def test_a_pool_of_two_or_more_workers_prepares_them_once_in_the_build(monkeypatch):
    """Workers forked after the build did their imports (worker.preload_for_workers) find them done:
    a pool of two or more prepares once, here; a pool of one leaves it to its worker."""
    from nbreport import pool
    from nbreport.execution import worker

    calls = []
    monkeypatch.setattr(worker, "preload_for_workers", lambda env: calls.append(dict(env)) or True)
    monkeypatch.setattr(worker, "main", lambda conn, env, *a, **k: None)  # the forked worker leaves at once
    env = {"REPORT_KEPT_WORKERS": "0"}
    for size, expected in ((1, 0), (2, 1), (3, 1)):
        calls.clear()
        p = pool.Pool(size, env)
        try:
            assert len(p.workers) == size
            assert len(calls) == expected, (size, calls)
        finally:
            p.close(graceful=False)


def test_preparing_the_workers_in_the_build_is_left_to_them_when_each_starts_its_own_fork_server(monkeypatch):
    """With pre-imported kernels but no shared server (REPORT_FORK_IDLE=0), each worker starts its own
    fork server: preparing in the build would start those later, so the workers prepare themselves."""
    from nbreport.execution import shared_server, worker

    done = []
    monkeypatch.setattr(worker, "preload_modules", lambda cache=None: done.append(1))
    monkeypatch.delenv(shared_server.HOME_ENV, raising=False)
    assert worker.preload_for_workers({"REPORT_PREIMPORT": "json"}) is False and not done
    assert worker.preload_for_workers({}) is True and done == [1]  # cold kernels: nothing to start first


def test_workers_that_cannot_be_prepared_stop_the_build_with_one_message_before_anything_runs(monkeypatch):
    """A failure while the build prepares its workers (nbconvert will not import, say) would kill every
    worker: the build stops there with one message naming the error and the file and line it came
    from, not a traceback per worker and every run reported as a dead worker."""
    from nbreport import pool
    from nbreport.execution import worker
    from nbreport.status import BuildError

    def broken(env):
        raise ImportError("nbconvert is broken")

    monkeypatch.setattr(worker, "preload_for_workers", broken)
    forked = []
    monkeypatch.setattr(worker, "main", lambda conn, env, *a, **k: forked.append(1))
    with pytest.raises(BuildError) as err:
        pool.Pool(2, {"REPORT_KEPT_WORKERS": "0"})
    message = str(err.value)
    assert message.startswith("the report workers cannot be prepared; nothing was executed: "
                              "ImportError: nbconvert is broken ("), message
    assert f"{__file__}, line " in message, message


def test_a_worker_that_died_before_its_first_job_is_reported_as_dead_not_as_an_error_of_the_build(monkeypatch):
    """A worker whose own preparation failed (a broken nbconvert) may be gone before the build sends
    it a job, now that the build prepared first and forks at once: sending then breaks the pipe. That
    is the worker's death, reported by `wait` with its job (which the runner tries once more), not an
    OSError that stops the build as "cannot write a build file: Broken pipe"."""
    from nbreport import pool
    from nbreport.execution import worker

    monkeypatch.setattr(worker, "preload_for_workers", lambda env: True)
    monkeypatch.setattr(worker, "main", lambda conn, env, *a, **k: None)  # dies before its first job
    ex = pool.LocalExecutor(1)
    ex.start({"REPORT_KEPT_WORKERS": "0"}, 1)
    try:
        w = ex.pool.workers[0]
        w["proc"].join(10)
        assert not w["proc"].is_alive()
        job = {"op": "call", "id": "probe", "target": "json:dumps"}
        ex.submit(job)  # raised BrokenPipeError before the fix
        got = []
        end = time.monotonic() + 10
        while not got and time.monotonic() < end:
            got = ex.wait(0.5)
        assert got and got[0][0] is job and got[0][1] is None, got
    finally:
        ex.close(graceful=False)


def test_a_servers_log_names_what_failed_while_it_imported_and_why():
    """A fork server's or worker template's log line said "(failed: then)" when its preparation after
    the imports failed: it now names each failed step with its error."""
    import subprocess

    code = ("from nbreport.execution import fork_server as f\n"
            "def prepare():\n    raise ImportError('nbconvert is broken')\n"
            "report, _ = f.import_modules(['no_such_module_for_the_test'], then=prepare)\n"
            "print(f.failures(report))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    line = out.stdout.strip()
    assert line.startswith("; failed: no_such_module_for_the_test (ModuleNotFoundError: No module named"), line
    assert "the step after the imports (ImportError: nbconvert is broken)" in line, line
    from nbreport.execution import fork_server

    assert fork_server.failures({"failed": {}}) == ""


def test_a_fingerprint_input_the_last_build_did_not_record_is_not_named_as_changed():
    """After an upgrade that adds an input (the warm list became its own input, 'warm'), every run executes
    once more; its reason said 'the warm kernels' pre-imported modules changed (REPORT_WARM_KERNELS or the
    collection's PREIMPORT)', which sent a reader looking for a setting nobody had changed."""
    from nbreport.runner import _changed

    old = {"notebook": "n", "parameters": "p", "data": "d", "helpers": "h", "env": "e", "kernel": "k", "execution": "x"}
    reason = _changed({"status": "ok", "inputs": old}, {**old, "warm": "w"})
    assert "pre-imported modules changed" not in reason and "REPORT_WARM_KERNELS" not in reason, reason
    assert reason == "the last build was made by a builder that did not record 'warm'", reason
    # a recorded input that differs is still named as changed
    reason = _changed({"status": "ok", "inputs": {**old, "warm": "v"}}, {**old, "warm": "w"})
    assert reason.startswith("the warm kernels' pre-imported modules changed"), reason
