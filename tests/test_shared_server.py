"""The shared kernel fork server (nbreport.execution.shared_server): kept between builds, replaced
when a file its imports read changes, gone when idle or when its build folder is removed; a kernel
it forks still dies with the worker that asked for it, and still starts fresh for every run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, make_project, run_report
from nbreport.execution import shared_server

# the notebook reports its kernel's pid, its parent (the fork server), what the pre-imported probe
# module said at import, and whether anything of an earlier run is visible
CELL = ("import json, os, sys\n"
        "import probe_mod\n"
        "print('STATE ' + json.dumps({'pid': os.getpid(), 'server': os.getppid(), 'value': probe_mod.VALUE,\n"
        "    'data': probe_mod.DATA, 'leak': 'LEAKED' in globals() or hasattr(probe_mod, 'leaked'),\n"
        "    'warm': WARM}))\n"
        "LEAKED = 1\nprobe_mod.leaked = 1")
FIRST = "import sys as _s\nWARM = 'probe_mod' in _s.modules"
MANIFEST = """notebooks:
  - path: models/probe.ipynb
    kind: model
    title: Probe
    runs: [{id: probe-a, parameters: {label: a}}, {id: probe-b, parameters: {label: b}}]
"""
PROBE_MOD = "from pathlib import Path\nVALUE = {value}\nDATA = (Path(__file__).parent / 'probe.txt').read_text().strip()\n"


def _project(tmp_path: Path) -> tuple[Path, dict]:
    root = make_project(tmp_path / "proj", {"models/probe.ipynb": [FIRST, CELL]}, MANIFEST)
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "probe_mod.py").write_text(PROBE_MOD.format(value=1))
    (lib / "probe.txt").write_text("first")
    env = {"REPORT_WARM_KERNELS": "probe_mod", "PYTHONPATH": str(lib), "REPORT_FORK_IDLE": "60",
           "REPORT_KEPT_WORKERS": "1"}  # the product's default (tests/conftest.py turns it off elsewhere)
    return root, env


def _states(root: Path) -> dict:
    out = {}
    for rid in ("probe-a", "probe-b"):
        nb = json.loads((root / "build" / "notebooks" / f"{rid}.ipynb").read_text(encoding="utf-8"))
        text = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
        out[rid] = json.loads(next(ln for ln in text.splitlines() if ln.startswith("STATE "))[6:])
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _wait_gone(pid: int, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return not _alive(pid)


def _build(root: Path, env: dict, *args: str):
    proc = run_report(root, *args, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return _states(root)


@pytest.fixture
def project(tmp_path):
    root, env = _project(tmp_path)
    yield root, env
    for s in _servers_of(root):
        os.kill(s, signal.SIGTERM)


def _servers_of(root: Path) -> list[int]:
    """The live shared servers whose build folder is root's (from /proc: ps cuts long command lines)."""
    home = str(root / "build" / "cache")
    found = []
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "nbreport.execution.shared_server" in args and home in args and _alive(int(proc.name)):
            found.append(int(proc.name))
    # a server's forked children (kernels, its report-worker template and the workers it forks,
    # nbreport.execution.kept_worker) show the same command line: only the root is the server
    return [pid for pid in found if _ppid(pid) not in found]


def _ppid(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def test_the_next_build_reuses_the_server_and_every_run_still_gets_a_fresh_kernel(project):
    root, env = project
    first = _build(root, env)
    second = _build(root, env, "--force")
    servers = {s["server"] for s in (*first.values(), *second.values())}
    assert len(servers) == 1, f"one server for both builds and both workers, got {servers}"
    assert _servers_of(root) == list(servers), "the server outlives the build"
    kernels = [s["pid"] for s in (*first.values(), *second.values())]
    assert len(set(kernels)) == 4, "each run has a kernel process of its own"
    for s in (*first.values(), *second.values()):
        assert s["warm"] and not s["leak"], f"a kernel saw an earlier run, or was not forked warm: {s}"


@pytest.mark.parametrize("edit", ["module", "data read at import"])
def test_an_edited_file_that_the_imports_read_replaces_the_server(project, tmp_path, edit):
    root, env = project
    first = _build(root, env)
    assert {s["value"] for s in first.values()} == {1} and {s["data"] for s in first.values()} == {"first"}
    time.sleep(0.05)  # a new mtime even on a coarse clock
    if edit == "module":
        (tmp_path / "lib" / "probe_mod.py").write_text(PROBE_MOD.format(value=2))
    else:
        (tmp_path / "lib" / "probe.txt").write_text("second")
    second = _build(root, env, "--force")
    want = (2, "first") if edit == "module" else (1, "second")
    assert {(s["value"], s["data"]) for s in second.values()} == {want}, \
        f"a kernel ran what the old server had imported: {second}"
    old = {s["server"] for s in first.values()}
    assert old.isdisjoint(s["server"] for s in second.values()), "the stale server was replaced"
    assert all(_wait_gone(pid, 5) for pid in old), "the stale server left"


def sleeping_build(root: Path, env: dict, why=lambda: "") -> tuple[subprocess.Popen, int]:
    """A build (`python -m nbreport` in the background) whose probe-a kernel sleeps for 2 minutes,
    and that kernel's pid once it sleeps; `why()` adds to the message when it never starts."""
    from conftest import write_notebook

    marker = root / "build" / "work" / "probe-a" / "kernel.pid"
    write_notebook(root / "notebooks" / "models" / "probe.ipynb",
                   [FIRST, "import os, pathlib, time\npathlib.Path('kernel.pid').write_text(str(os.getpid()))\n"
                           "time.sleep(120)"])
    build = subprocess.Popen([sys.executable, "-m", "nbreport", "--root", str(root)], cwd=str(REPO),
                             env={**os.environ, "CI": "1", **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.monotonic() + 60
    while time.monotonic() < end and not marker.exists():
        time.sleep(0.1)
    if not marker.exists():
        build.kill()
        build.wait(30)
        raise AssertionError(f"the notebook never started{why()}")
    time.sleep(0.3)
    return build, int(marker.read_text())


def test_a_kernel_dies_with_its_worker_while_the_server_stays(project):
    root, env = project
    build, kernel = sleeping_build(root, {"REPORT_WORKERS": "1", **env})
    try:
        workers = [int(x) for x in subprocess.run(["ps", "-o", "pid=", "--ppid", str(build.pid)],
                                                  capture_output=True, text=True).stdout.split()]
        assert workers
        for w in workers:
            os.kill(w, signal.SIGKILL)  # no clean-up code of the worker runs
        assert _wait_gone(kernel, 10), "the kernel outlived the worker that asked for it"
        assert _servers_of(root), "the server stays for the next build"
    finally:
        build.kill()
        build.wait(30)


def test_the_server_leaves_once_idle_and_at_once_when_its_build_folder_is_removed(project):
    root, env = project
    _build(root, {**env, "REPORT_FORK_IDLE": "2"})
    (server,) = _servers_of(root)
    assert _alive(server)
    assert _wait_gone(server, 10), "an idle server left after REPORT_FORK_IDLE seconds"
    states = _build(root, env, "--force")
    (server,) = {s["server"] for s in states.values()}
    subprocess.run(["rm", "-rf", "build", "site"], cwd=root, check=True)  # make clean
    assert _wait_gone(server, 5), "the server left when its build folder was removed"


def test_no_shared_server_with_idle_zero_and_no_kernel_banner_in_the_builds_output(project):
    root, env = project
    proc = run_report(root, env={**env, "REPORT_FORK_IDLE": "0"})
    assert proc.returncode == 0, proc.stderr
    assert not _servers_of(root)
    # a kernel without a parent poller prints ipykernel's console banner; the build's output stays clean
    assert "To connect another client" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("var, value, expected", [
    ("REPORT_FORK_IDLE", "ten", "REPORT_FORK_IDLE='ten': expected seconds"),
    ("REPORT_FORK_IDLE", "-5", "REPORT_FORK_IDLE='-5': expected seconds (a number from 0 to 86400"),
    ("REPORT_FORK_IDLE", "nan", "REPORT_FORK_IDLE='nan': expected seconds"),
    ("REPORT_FORK_IDLE", "inf", "REPORT_FORK_IDLE='inf': expected seconds"),
    ("REPORT_WORKERS", "two", "REPORT_WORKERS='two' is not a whole number of workers, 1 or more"),
    ("REPORT_WORKERS", "0", "REPORT_WORKERS='0' is not a whole number of workers"),
    ("REPORT_TIMEOUT", "10m", "REPORT_TIMEOUT='10m' is not a number of seconds"),
    ("REPORT_TIMEOUT", "inf", "REPORT_TIMEOUT='inf' is not a number of seconds"),
    ("REPORT_WORKERS", "\u0663", "REPORT_WORKERS='\u0663' is not a whole number of workers"),  # digits of another script
    ("REPORT_FORK_IDLE", "\u0663", "REPORT_FORK_IDLE='\u0663': expected seconds"),
    # on/off settings: a word that is neither is refused, not taken as on
    ("REPORT_KEPT_WORKERS", "abc", "REPORT_KEPT_WORKERS='abc' is not an on/off setting; expected one of 1, true"),
    ("REPORT_KEPT_WORKERS", "of", "REPORT_KEPT_WORKERS='of' is not an on/off setting"),
    ("REPORT_CHART_CACHE", "maybe", "REPORT_CHART_CACHE='maybe' is not an on/off setting"),  # the collection's own
    ("REPORT_WARM_KERNELS", "nein", "REPORT_WARM_KERNELS='nein': no module named 'nein'; expected 0, false"),
])
def test_a_malformed_setting_is_named_before_anything_runs(project, var, value, expected):
    root, env = project
    proc = run_report(root, env={**env, var: value})
    assert proc.returncode == 2
    assert expected in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not list(root.glob("build/notebooks/*.ipynb")), "nothing ran"
    checked = run_report(root, "--check", env={**env, var: value})  # --check refuses what the build refuses
    assert checked.returncode == 2 and expected in checked.stderr, checked.stderr


def test_the_key_ignores_shell_bookkeeping_but_not_what_an_import_can_see():
    env = {"NBREPORT_ROOT": "/a", "PATH": "/bin", "SHLVL": "1", "_": "/usr/bin/make"}
    key = shared_server.server_key(("pandas",), (), env, "/w")
    assert key == shared_server.server_key(("pandas",), (), {**env, "SHLVL": "3", "_": "/bin/x"}, "/w")
    for other in ({**env, "NBREPORT_ROOT": "/b"}, {**env, "MPLBACKEND": "agg"}):
        assert key != shared_server.server_key(("pandas",), (), other, "/w")
    assert key != shared_server.server_key(("pandas", "seaborn"), (), env, "/w")
    assert key != shared_server.server_key(("pandas",), ("-Xfrozen_modules=off",), env, "/w")
    assert key != shared_server.server_key(("pandas",), (), env, "/elsewhere")


def test_the_readme_states_the_idle_time_the_code_uses():
    text = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert f"leaves after {shared_server.IDLE_DEFAULT / 60:g} minutes without a build" in text
    assert f"`{shared_server.IDLE_ENV}=<seconds>`" in text


def test_a_worker_that_leaves_before_its_reply_does_not_stop_the_server(tmp_path):
    """A killed worker's connection is reset; the server drops it and serves the next one (it used to
    die of the BrokenPipeError, and the next build waited for it)."""
    import socket
    import struct

    env = {**os.environ, shared_server.HOME_ENV: str(tmp_path), shared_server.IDLE_ENV: "30"}
    srv = shared_server.SharedForkServer(("json",), (), env)
    try:
        for _ in range(3):  # connected while the server imports, reset at once (RST: the write fails)
            gone = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            gone.connect(srv.path)
            gone.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            gone.close()
        pid = srv.wait_ready()["pid"]
        time.sleep(0.5)
        assert _alive(pid), "the server died of a worker that left"
        late = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        late.settimeout(10)
        late.connect(srv.path)
        assert json.loads(late.makefile("rb").readline())["pid"] == pid, "the same server answers the next worker"
        late.close()
    finally:
        srv.close()
        if srv.proc is not None:
            srv.proc.terminate()
            srv.proc.wait(5)


def test_a_worker_forked_from_a_process_that_ran_kernels_gets_its_own_socket_folder():
    """Two workers forked from one process named their kernels' sockets alike (the parent's folder and
    counter), and a kernel got the other's messages: a 60 s hang, then a cold retry."""
    from nbreport.execution import kernels

    kernels._ipc_path()  # the parent has run a kernel
    parent_dir, parent_next = kernels._ipc_dir, kernels._ipc_path()
    kernels._kernel_pids.add(999999)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child reports what it would use, then leaves without any clean-up
        os.close(r)
        os.write(w, json.dumps([kernels._ipc_dir, sorted(kernels._kernel_pids), kernels._ipc_path()]).encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    child_dir_before, child_pids, child_path = json.loads(os.read(r, 65536))
    os.close(r)
    kernels._kernel_pids.discard(999999)
    assert child_dir_before is None and child_pids == [], "the child forgot the parent's folder and kernels"
    assert os.path.dirname(child_path) != parent_dir and child_path != parent_next
    import shutil

    shutil.rmtree(os.path.dirname(child_path), ignore_errors=True)


def test_the_key_follows_the_contents_the_build_hashes_not_only_file_times(project, monkeypatch):
    """A copy that keeps sizes and times (cp -p, rsync -a) passes the server's own check, but the build
    hashes contents and executes again: the server's key holds that digest, so a server that imported
    other contents is never asked (a newcomer's find: the pages kept 't' after the code said 'T')."""
    from nbreport import config, fingerprint, runner

    root, env = project
    seen = []
    real = runner.worker_env

    def spy(*args, **kw):
        out = real(*args, **kw)
        seen.append(out)
        return out

    monkeypatch.setattr(runner, "worker_env", spy)
    for k, v in {**env, "CI": "1"}.items():
        monkeypatch.setenv(k, v)
    cfg = runner.Config.resolve(root=root, quiet=True)
    runner.build(cfg)
    inputs = fingerprint.Inputs.collect(cfg, runner.manifest_mod.load(cfg.manifest, root=root).ext)
    (used,) = {e[shared_server.SOURCES_ENV] for e in seen}
    assert used == fingerprint.digest([inputs.helpers, inputs.execution, inputs.render])
    a = config.worker_env(root, root / "build", ("json",), sources="contents-a")
    b = config.worker_env(root, root / "build", ("json",), sources="contents-b")
    assert shared_server.server_key(("json",), (), a, "/w") != shared_server.server_key(("json",), (), b, "/w")


def test_a_server_for_the_same_build_folder_in_another_environment_replaces_the_idle_one(project):
    root, env = project
    first = {s["server"] for s in _build(root, env).values()}
    second = {s["server"] for s in _build(root, {**env, "A_SETTING_AN_IMPORT_COULD_READ": "1"}, "--force").values()}
    assert first != second, "another environment, another server"
    assert all(_wait_gone(pid, 6) for pid in first), "at most one idle server per build folder"
    assert _servers_of(root) == list(second)


def test_a_server_stopped_with_sigterm_leaves_no_socket_behind(project):
    root, env = project
    (server,) = {s["server"] for s in _build(root, env).values()}
    path = next(a for a in Path(f"/proc/{server}/cmdline").read_bytes().decode().split("\0") if a.endswith(".sock"))
    assert os.path.exists(path)
    os.kill(server, signal.SIGTERM)
    assert _wait_gone(server, 5)
    assert not os.path.exists(path), "a killed server's socket file is removed"
    assert not os.path.exists(path + ".lock"), "no lock file per server (they piled up)"


def test_a_socket_folder_that_is_not_private_means_a_warning_and_a_server_per_worker(project, monkeypatch):
    from nbreport import runner

    root, env = project

    def not_private():
        raise PermissionError("/tmp/nbreport-fork-0: the kernel fork servers' folder must be yours and private (0700)")

    monkeypatch.setattr(shared_server, "socket_folder", not_private)
    for k, v in {**env, "CI": "1"}.items():
        monkeypatch.setenv(k, v)
    result = runner.build(runner.Config.resolve(root=root, quiet=True))
    assert all(o.status == "ok" for o in result.outcomes), result.outcomes
    assert any("not kept between builds" in w and "private (0700)" in w for w in result.warnings), result.warnings
    assert not _servers_of(root), "no shared server: each worker had its own, gone with it"


def test_the_socket_file_appears_only_once_the_server_listens(tmp_path, monkeypatch):
    """A client that sees the socket file connects at once (CI once found it between bind and listen:
    the connection was refused and the worker that had just started the server gave up)."""
    import socket

    path = str(tmp_path / "k.sock")
    seen = []
    listen = socket.socket.listen

    def watching_listen(self, *args):
        seen.append(os.path.exists(path))  # what a client polling for the file would see now
        return listen(self, *args)

    monkeypatch.setattr(socket.socket, "listen", watching_listen)
    listener = shared_server._Listener(path, 60.0, str(tmp_path))
    try:
        assert seen == [False], "the socket file existed before the server listened"
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(path)
        client.close()
        assert listener.ours() and sorted(os.listdir(tmp_path)) == ["k.sock"]
    finally:
        listener.sock.close()
