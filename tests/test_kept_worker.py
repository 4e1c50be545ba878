"""Report workers from the kept kernel server (nbreport.execution.kept_worker): a rebuild takes a
pre-loaded worker instead of importing papermill and nbconvert again; such a worker still dies with
its build, and a server started for other code never hands one out."""
from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import pytest

from test_shared_server import _alive, _build, _ppid, _servers_of, _wait_gone, project, sleeping_build  # noqa: F401 (fixture)

from nbreport.execution import kept_worker


def _log(root: Path) -> str:
    try:
        return (root / "build" / "cache" / "fork-server.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _wait_for(root: Path, pattern: str, seconds: float = 30) -> re.Match | None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        m = re.search(pattern, _log(root))
        if m:
            return m
        time.sleep(0.1)
    return None


def _template_ready(root: Path) -> None:
    assert _wait_for(root, r"worker template ready"), f"no worker template after the build:\n{_log(root)[-2000:]}"
    time.sleep(0.2)


def test_a_rebuild_takes_a_preloaded_worker_and_every_run_still_gets_a_fresh_kernel(project):
    root, env = project
    first = _build(root, env)
    _template_ready(root)
    second = _build(root, env, "--force")
    handed = re.findall(r"report worker (\d+) for ", _log(root))
    assert handed, f"the rebuild forked its own workers:\n{_log(root)[-2000:]}"
    kernels = [s["pid"] for s in (*first.values(), *second.values())]
    assert len(set(kernels)) == 4, "each run has a kernel process of its own"
    for s in second.values():
        assert s["warm"] and not s["leak"], f"a kernel saw an earlier run, or was not forked warm: {s}"
    assert all(_wait_gone(int(pid), 10) for pid in handed), "a kept worker outlived its build"
    page = (root / "site" / "reports" / "probe-a.html").read_text(encoding="utf-8")
    assert str(second["probe-a"]["pid"]) in page, "the page shows the rebuild's output"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_kept_worker_and_its_kernel_die_with_a_killed_build(project, sig):
    root, env = project
    _build(root, env)
    _template_ready(root)
    # the environment of the first build: its server's key
    build, kernel = sleeping_build(root, env, why=lambda: f":\n{_log(root)[-3000:]}")
    try:
        m = _wait_for(root, r"report worker (\d+) for ", 5)
        assert m, f"the build forked its own worker:\n{_log(root)[-2000:]}"
        worker = int(m.group(1))
        assert _alive(worker) and _alive(kernel)
        build.send_signal(sig)  # kill -9: no clean-up code of the build runs; SIGTERM: the build stops its workers
        build.wait(30)
        assert _wait_gone(worker, 10), "the kept worker outlived its build"
        assert _wait_gone(kernel, 10), "the kernel outlived the build and its worker"
        assert not list(Path("/tmp").glob(f"rek-{worker}-*")), "the kept worker left its kernel socket folder"
        assert _servers_of(root), "the server stays for the next build"
    finally:
        build.kill()
        build.wait(30)


def _server_env(pid: int) -> dict:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").split("=", 1) for item in raw if b"=" in item)


def test_a_server_started_for_other_code_hands_out_no_worker(project):
    root, env = project
    _build(root, env)
    _template_ready(root)
    (server,) = _servers_of(root)
    sources = _server_env(server)["REPORT_FORK_SOURCES"]
    home = str(root / "build" / "cache")
    other = kept_worker.fork_worker({"REPORT_FORK_HOME": home, "REPORT_FORK_SOURCES": sources + "x",
                                     "REPORT_KEPT_WORKERS": "1"})
    assert other is None, "a worker was handed out for other code"
    assert "the build's code differs" in _log(root)
    got = kept_worker.fork_worker({"REPORT_FORK_HOME": home, "REPORT_FORK_SOURCES": sources, "REPORT_KEPT_WORKERS": "1"})
    assert got is not None, f"no worker for the server's own code:\n{_log(root)[-2000:]}"
    proc, conn = got
    try:
        assert conn.recv()["op"] == "ready"
    finally:
        conn.close()  # the build's end closes: the worker leaves
    assert _wait_gone(proc.pid, 10), "a kept worker outlived the connection of its build"
    proc.close()
    assert kept_worker.fork_worker({"REPORT_FORK_HOME": home, "REPORT_FORK_SOURCES": sources,
                                    "REPORT_KEPT_WORKERS": "0"}) is None, "REPORT_KEPT_WORKERS=0 is obeyed"


def test_a_server_forks_no_worker_template_after_a_build_that_turned_kept_workers_off(project):
    root, env = project
    _build(root, {**env, "REPORT_KEPT_WORKERS": "0"})
    (server,) = _servers_of(root)
    time.sleep(kept_worker.TEMPLATE_AFTER + 2.0)  # idle long enough for a template to have been forked
    assert "worker template" not in _log(root), f"a template was forked for a build that wants none:\n{_log(root)[-2000:]}"
    children = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(int(p.name)) == server]
    assert not children, f"the idle server has children {[p.name for p in children]}"
    _build(root, env, "--force")  # the next build wants kept workers (the default): the template follows
    _template_ready(root)
    template = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(int(p.name)) == server]
    assert template, "no template process"
    _build(root, {**env, "REPORT_KEPT_WORKERS": "0"}, "--force")  # and a build that turns them off again:
    assert all(_wait_gone(int(p.name), 10) for p in template), \
        f"the template forked for the earlier build was kept:\n{_log(root)[-2000:]}"  # README: keeps no such process



def test_a_template_forked_for_an_earlier_build_is_stopped_once_a_build_turns_kept_workers_off():
    """README: a server whose last build had REPORT_KEPT_WORKERS off keeps no worker template. A
    template forked for an earlier build was kept, idle and unused, until the server left."""
    import socket
    import types

    ours, theirs = socket.socketpair()
    try:
        tpl = kept_worker.Template.__new__(kept_worker.Template)  # no fork: its socket is all the server holds
        tpl.pid, tpl.sock, tpl.ready = 0, ours, True
        listener = types.SimpleNamespace(template=tpl, kept_wanted=True, clients={}, last=time.monotonic() - 60,
                                         sock=None)
        kept_worker.maybe_start_template(listener)
        assert tpl.alive() and listener.template is tpl, "a build that wants kept workers keeps its template"
        listener.kept_wanted = False  # a build with REPORT_KEPT_WORKERS=0 asked for a kernel
        kept_worker.maybe_start_template(listener)
        assert not tpl.alive(), "the template was kept after a build that turned kept workers off"
        theirs.settimeout(5)
        assert theirs.recv(1) == b"", "the template's socket is not closed, so the template does not leave"
    finally:
        ours.close()
        theirs.close()
