"""nbval on warm kernels: the kernelspec python3-warm forks each notebook's kernel from a pre-imported server.

- the installed kernelspec names the provisioner ``nbreport-fork`` and the entry point resolves to it;
- nbval's kernel for a notebook is forked (its modules are there before any cell imports them, its
  parent is the fork server, not pytest) and fresh per notebook (another process; a global or module
  attribute one notebook set is absent in the next);
- a kernel that cannot be warm (no modules, a fork server that fails) starts cold, and says so once;
- a changed source file restarts the server, so a restarted kernel runs the new code.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nbreport.config import THREAD_VARS
from nbreport.execution import forking, provisioner

# A code cell that records what its kernel is and finds, then leaves a global and a module attribute
# behind; every notebook runs the same cell, so the second one sees the first one's leftovers if its
# kernel is not a fresh process.
PROBE = r"""import os, sys, json
mods_before = 'colorsys' in sys.modules  # imported by nobody but a fork server told to pre-import it
leaked = {'global': 'LEFT_BY_ANOTHER_NOTEBOOK' in globals(),
          'module': hasattr(sys, 'left_by_another_notebook')}
with open(f'/proc/{os.getppid()}/environ', 'rb') as f:  # what the parent imported numpy with
    parent_threads = dict(v.split(b'=', 1) for v in f.read().split(b'\0') if b'=' in v).get(b'OPENBLAS_NUM_THREADS')
with open(os.environ['WARM_PROBE'], 'a') as f:
    f.write(json.dumps({'pid': os.getpid(), 'ppid': os.getppid(), 'preimported': mods_before,
                        'threads': [os.environ.get('OPENBLAS_NUM_THREADS'), parent_threads and parent_threads.decode()],
                        'leaked': leaked, 'notebook': os.path.basename(os.getcwd())}) + '\n')
LEFT_BY_ANOTHER_NOTEBOOK = 1
sys.left_by_another_notebook = 1
"""


def _notebook(path: Path, cells: int = 1) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(PROBE) for _ in range(cells)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def run_nbval(root: Path, env: dict, kernel: str | None = provisioner.KERNEL, extra=()):
    """nbval on root's notebooks in a pytest subprocess; (its pid, exit code, output, probe records in run order)."""
    probe = root / "probe.jsonl"
    (root / "pytest.ini").write_text("[pytest]\naddopts =\n", encoding="utf-8")
    args = [sys.executable, "-m", "pytest", "notebooks", "--nbval-lax", "-p", "no:cacheprovider", "-p", "no:xdist",
            "-p", "no:randomly", "-q", *extra] + (["--nbval-kernel-name", kernel] if kernel else [])
    full_env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    proc = subprocess.Popen(args, cwd=root, env={**full_env, **env, "WARM_PROBE": str(probe)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate(timeout=300)
    records = [json.loads(line) for line in probe.read_text().splitlines()] if probe.is_file() else []
    return proc.pid, proc.returncode, out, records


def check_fresh_and_forked(pytest_pid: int, records: list[dict]) -> None:
    """What a warm nbval run must show: each notebook in a new process forked from one pre-imported server."""
    assert len(records) == 3, records
    assert all(r["preimported"] for r in records), f"a kernel lacks the pre-imported module: {records}"
    assert len({r["pid"] for r in records}) == 3, f"two notebooks shared a kernel process: {records}"
    assert len({r["ppid"] for r in records}) == 1 and records[0]["ppid"] != pytest_pid, (
        f"the kernels are not children of one fork server: pytest {pytest_pid}, {records}")
    assert not any(any(r["leaked"].values()) for r in records), f"a notebook saw another's state: {records}"
    # one BLAS thread, as the build's kernels, already when the server imported numpy (a forked kernel
    # keeps the thread pool its server's import made)
    assert all(r["threads"] == ["1", "1"] for r in records), records


def test_the_warm_kernelspec_names_the_provisioner_and_its_entry_point_resolves(monkeypatch):
    from importlib.metadata import entry_points

    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.provisioning import KernelProvisionerFactory, LocalProvisioner

    spec = KernelSpecManager().get_kernel_spec(provisioner.KERNEL)
    assert spec.metadata["kernel_provisioner"]["provisioner_name"] == provisioner.NAME
    assert forking.forkable(spec.argv) is not None, spec.argv
    (ep,) = entry_points(group="jupyter_client.kernel_provisioners", name=provisioner.NAME)
    assert ep.load() is provisioner.WarmProvisioner
    made = KernelProvisionerFactory.instance().create_provisioner_instance("k", spec, None)
    assert isinstance(made, provisioner.WarmProvisioner)
    assert issubclass(provisioner.WarmProvisioner, LocalProvisioner)  # only the launch differs
    monkeypatch.delenv("REPORT_WARM_KERNELS", raising=False)  # the kernelspec, whatever this session's switch
    assert provisioner.check() is None


def test_check_says_why_a_kernelspec_would_not_be_warm(tmp_path, monkeypatch):
    """A kernelspec without the provisioner, one that is absent, and no modules each give a reason."""
    kernels = tmp_path / "share" / "jupyter" / "kernels"
    dest = provisioner.install("warm-check", prefix=str(tmp_path))
    assert Path(dest) == kernels / "warm-check"
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    assert provisioner.check("warm-check") is None
    spec = json.loads((kernels / "warm-check" / "kernel.json").read_text())
    assert spec["metadata"]["kernel_provisioner"] == {"provisioner_name": provisioner.NAME, "config": {}}
    assert spec["metadata"]["debugger"] is True  # ipykernel's own metadata is kept
    monkeypatch.setenv("REPORT_WARM_KERNELS", "0")
    assert "no module to pre-import" in provisioner.check("warm-check")
    monkeypatch.delenv("REPORT_WARM_KERNELS")
    del spec["metadata"]["kernel_provisioner"]
    (kernels / "warm-check" / "kernel.json").write_text(json.dumps(spec))
    assert "names the provisioner None, not 'nbreport-fork'" in provisioner.check("warm-check")
    assert "is not installed here" in provisioner.check("no-such-kernel-here")


@pytest.mark.notebook
def test_nbval_kernels_are_forked_and_fresh_per_notebook(tmp_path):
    for name in ("a", "b", "c"):
        _notebook(tmp_path / "notebooks" / name / f"{name}.ipynb")
    # the check itself, on what one kernel shared by three notebooks gives: the same probe in three cells
    _notebook(tmp_path / "notebooks" / "z_shared" / "z.ipynb", cells=3)
    pid, code, out, records = run_nbval(tmp_path, {"REPORT_WARM_KERNELS": "colorsys"})
    assert code == 0, out
    assert [r["notebook"] for r in records] == ["a", "b", "c"] + ["z_shared"] * 3, records
    check_fresh_and_forked(pid, records[:3])
    with pytest.raises(AssertionError, match="shared a kernel process"):
        check_fresh_and_forked(pid, records[3:])
    with pytest.raises(AssertionError, match="saw another's state"):
        check_fresh_and_forked(pid, [{**r, "pid": i} for i, r in enumerate(records[3:])])
    assert "starts cold" not in out, out


@pytest.mark.notebook
def test_a_kernel_that_cannot_be_warm_starts_cold_and_says_so_once(tmp_path):
    for name in ("a", "b"):
        _notebook(tmp_path / "notebooks" / name / f"{name}.ipynb")
    # -p no:logging: pytest's log capture would hold the provisioner's log line back (under pytest,
    # tests/conftest.py says it before any kernel starts; a Jupyter server shows the log line)
    pid, code, out, records = run_nbval(tmp_path, {"REPORT_WARM_KERNELS": "0"}, extra=["-p", "no:logging"])
    assert code == 0, out
    assert [r["preimported"] for r in records] == [False, False], records
    assert {r["ppid"] for r in records} == {pid}, records  # started by nbval's own process, the ordinary way
    assert out.count("this kernel starts cold") == 1, out
    assert "REPORT_WARM_KERNELS=0" in out, out


def test_the_reason_for_a_cold_kernel_is_logged_once_per_process(caplog):
    """Where a Jupyter server reads its log: one line per reason, not one per kernel."""
    log = logging.getLogger("warm-nbval-test")
    for _ in range(3):
        provisioner._say_once(log, "a reason only this test gives")
    assert [r.getMessage().count("a reason only this test gives") for r in caplog.records] == [1]


def test_a_failing_fork_server_gives_a_cold_kernel_not_an_error(monkeypatch, caplog):
    from jupyter_client.manager import KernelManager

    def broken(self, *args, **kw):
        raise RuntimeError("the kernel fork server died")

    monkeypatch.setattr(forking.ForkServer, "fork", broken)
    monkeypatch.setenv("REPORT_WARM_KERNELS", "colorsys")
    km = KernelManager(kernel_name=provisioner.KERNEL)
    try:
        km.start_kernel()
        assert km.provisioner.process.pid and km.provisioner.process.poll() is None
        assert _parent(km.provisioner.process.pid) == os.getpid(), "a cold kernel is this process's child"
    finally:
        km.shutdown_kernel(now=True)
        srv = forking._servers.pop((("colorsys",), forking.forkable(km.kernel_spec.argv)), None)
        if srv is not None:
            srv.close()
    said = [r.getMessage() for r in caplog.records if "the kernel fork server failed" in r.getMessage()]
    assert len(said) == 1 and "died" in said[0], caplog.text


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def test_a_changed_source_file_restarts_the_fork_server(tmp_path, monkeypatch):
    """A researcher edits the collection's code and restarts the kernel: the new kernel runs the new code."""
    from jupyter_client.manager import KernelManager

    pkg = tmp_path / "src" / "warmprobe_pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path / "src"), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("REPORT_WARM_KERNELS", "warmprobe_pkg")
    provisioner.install("warm-stale", prefix=str(tmp_path))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))

    def value(km) -> str:
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            got = []
            kc.execute_interactive("import sys; print('pre' if 'warmprobe_pkg' in sys.modules else 'cold', "
                                   "sys.modules.get('warmprobe_pkg') and sys.modules['warmprobe_pkg'].VALUE)",
                                   output_hook=lambda m: got.append(m["content"].get("text", "")), timeout=60)
            return "".join(got).strip()
        finally:
            kc.stop_channels()

    km = KernelManager(kernel_name="warm-stale")
    try:
        km.start_kernel()
        assert isinstance(km.provisioner, provisioner.WarmProvisioner)
        assert value(km) == "pre 1"
        (pkg / "__init__.py").write_text("VALUE = 22\n")  # another size: seen even within one mtime tick
        km.restart_kernel(now=True)
        assert value(km) == "pre 22", "the restarted kernel still runs the code the server imported before the edit"
    finally:
        km.shutdown_kernel(now=True)
        srv = forking._servers.pop((("warmprobe_pkg",), forking.forkable(km.kernel_spec.argv)), None)
        if srv is not None:
            srv.close()


def test_the_warm_kernelspec_starts_cold_when_no_fork_server_can_be_reached(monkeypatch, caplog):
    """JupyterLab's and nbval's warm kernelspec: a fork server that cannot be started or reached means
    a cold kernel and a warning, not a failed kernel start."""
    import asyncio

    from jupyter_client.manager import AsyncKernelManager

    def refuse(*args):
        raise RuntimeError("the shared kernel fork server does not accept connections")

    monkeypatch.setattr(forking, "_start_server", refuse)
    monkeypatch.setattr(forking, "_servers", {})
    monkeypatch.setattr(provisioner, "_said", set())

    async def start_and_stop():
        km = AsyncKernelManager(kernel_name=provisioner.KERNEL)
        await km.start_kernel()
        try:
            return isinstance(km.provisioner, provisioner.WarmProvisioner), type(km.provisioner.process).__name__, \
                await km.is_alive()
        finally:
            await km.shutdown_kernel(now=True)

    assert asyncio.run(start_and_stop()) == (True, "Popen", True)
    said = [r.getMessage() for r in caplog.records if "starts cold" in r.getMessage()]
    assert len(said) == 1 and "the kernel fork server failed" in said[0], said
