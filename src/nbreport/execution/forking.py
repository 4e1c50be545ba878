"""Warm kernels: each run's ipykernel is forked from a parent that has already imported the heavy modules.

A fresh kernel spends most of its start importing pandas, matplotlib, seaborn, statsmodels and
the collection's own package (about 1.3 to 2.2 s of CPU, paid again for every run). Here a
*fork server* (one per report worker, ``python -m nbreport.execution.fork_server``) imports the
modules the collection names once (``PREIMPORT`` of the extension, nbreport.extension) and then,
for each kernel the worker starts, forks a child that becomes the kernel: a new process with
its own memory (copy-on-write), its own session and process group, the run's working folder
and environment, and an IPython shell of its own. Nothing one run does can reach the next:
each child starts from the server's state right after the imports, never from another run.

The kernel manager (nbreport.execution.kernels) hands the launch to `ForkProvisioner`, a
jupyter_client `LocalProvisioner` whose only change is *how* the kernel process comes to be:
the connection file, the argv of the kernelspec, the shutdown and the kill are jupyter_client's
own. A kernelspec that is not this interpreter running ``-m ipykernel_launcher`` is launched the
ordinary way.

Why a fork and not a pool of kernels started ahead of time (both measured, 30 November 2026, 2
cores shared with other work, load average 9 to 14): a kernel that imports pandas, seaborn,
statsmodels and helpers costs 1.85 to 2.03 CPU-s whether it imports on demand or ahead of time; a
forked one 0.11 to 0.12 CPU-s. Ten runs of 1.1 CPU-s of work each, two at a time: cold kernels
73 s and 91 s, kernels started and pre-imported while the previous run worked 49 s and 70 s,
forked kernels 39 s. Pre-starting only hides the imports when a core is idle; with two workers
on two cores none is, and the imports still cost their CPU; a fork does not pay them at all.

When the build names its cache folder (REPORT_FORK_HOME, set by nbreport.config.worker_env), the
server is not the worker's own: nbreport.execution.shared_server keeps one per project and
environment, shared by the workers and kept between builds until idle (REPORT_FORK_IDLE seconds) or
stale (a file its imports read has changed). Either way a kernel dies with the worker that asked
for it: it watches that worker's connection (`fork_server.become_kernel`).

Differences from a cold kernel, on purpose: Python's hash seed is the server's (set iteration
order is the same in every run of a build); NumPy's legacy global random state and Python's
``random`` are reseeded from the OS in every child, as a fresh process would be.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from nbreport.execution.fork_server import LAUNCHER  # the launcher a forkable kernelspec runs

_servers: dict[tuple, "ForkServer"] = {}
preimport: tuple[str, ...] = ()  # set per job by the worker: the modules the collection names


# --------------------------------------------------------------------------- the worker's side

class ForkServer:
    """A running fork server: a child process that imported `modules` and forks kernels on request.

    The server starts at once and imports in the background; `wait_ready` and `fork` block until
    it has finished. It runs in its own session, so a Ctrl-C in the terminal reaches the build
    and not the server.

    Parameters
    ----------
    modules : tuple of str
        Dotted module names to import once, before any fork.
    options : tuple of str, default ()
        Interpreter options of the kernelspec (``-X...``, from `forkable`): the server must
        run as the kernel would.
    env : dict, optional
        The server's environment; default this process's.
    """

    def __init__(self, modules: tuple[str, ...], options: tuple[str, ...] = (), env: dict | None = None):
        self.modules, self.options, self.env = tuple(modules), tuple(options), env
        self.replaced: str | None = None  # the changed file that made the last server stale (`fork`)
        self.lock = threading.Lock()  # one request and its reply at a time
        self._spawn()

    def _spawn(self) -> None:
        env = self.env
        ours, theirs = socket.socketpair()
        self.sock = ours
        self.file = ours.makefile("rwb", buffering=0)
        self.proc = subprocess.Popen(
            [sys.executable, *self.options, "-m", "nbreport.execution.fork_server", str(theirs.fileno()), *self.modules],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env or dict(os.environ),
            start_new_session=True)
        theirs.close()
        self.ready: dict | None = None

    def wait_ready(self, timeout: float = 120.0) -> dict:
        """Block until the server has imported its modules; its report (imported, failed, seconds).

        Parameters
        ----------
        timeout : float, default 120.0
            Seconds to wait for the report; the imports take about 1.3 to 2.2 CPU-s, and more
            on a loaded machine.

        Returns
        -------
        dict
            ``imported`` (names), ``failed`` (name to error text: the kernel meets the same
            error when it imports it), ``seconds`` (wall time of the imports), ``threads``
            and ``pid`` of the server.

        Raises
        ------
        RuntimeError
            The server exited before it was ready.
        TimeoutError
            No report within `timeout`.
        """
        if self.ready is None:
            self.sock.settimeout(timeout)
            try:
                line = self.file.readline()
            finally:
                self.sock.settimeout(None)
            if not line:
                raise RuntimeError(f"the kernel fork server exited before it was ready (exit {self.proc.poll()})")
            self.ready = json.loads(line)
        return self.ready

    def alive(self) -> bool:
        """Whether the server process is still running (a dead one is replaced by `server`).

        Returns
        -------
        bool
            True while the process has not exited.
        """
        return self.proc.poll() is None

    def fork(self, argv: list[str], env: dict, cwd: str | None) -> int:
        """Fork a kernel: the child takes the run's environment and folder, then runs ipykernel.

        One request at a time (a lock): the reply on the socket belongs to the request before it.

        Parameters
        ----------
        argv : list of str
            The launcher's arguments, a kernelspec's argv after ``-m ipykernel_launcher``
            (``-f <connection file>``).
        env : dict
            The kernel's whole environment (the child's is replaced by it).
        cwd : str or None
            The kernel's working folder; None keeps the server's.

        Returns
        -------
        int
            The kernel's pid (a child of the server, not of this process).

        Raises
        ------
        RuntimeError
            The server died or could not fork. A server that answers "stale" (a file its imports
            read has changed, `fork_server.changed_file`) is replaced once, and `replaced` names the file.
        """
        with self.lock:
            for attempt in (1, 2):
                self.wait_ready()
                self.file.write(json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode() + b"\n")
                line = self.file.readline()
                if not line:
                    raise RuntimeError("the kernel fork server died")
                reply = json.loads(line)
                if "stale" in reply and attempt == 1:
                    # a file its imports read has changed: a fresh server imports it anew
                    self.replaced = reply["stale"]
                    self.close()
                    self._spawn()
                    continue
                if "pid" not in reply:
                    raise RuntimeError(f"the kernel fork server could not fork: {reply.get('error') or reply}")
                return int(reply["pid"])
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop the server: close the socket, SIGTERM, and SIGKILL after 2 s.

        Kernels it forked then exit by themselves once this worker's end of the socket closes
        (each watches it: `fork_server.become_kernel`).
        """
        try:
            self.sock.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(1)


def server(modules: tuple[str, ...] | None = None, options: tuple[str, ...] = (),
           env: dict | None = None) -> ForkServer | None:
    """This process's fork server for `modules` and interpreter `options`, started on first use.

    One server per (modules, options): a kernel forked from it runs the same interpreter with
    the same imports a cold one would. A server that died is replaced. With REPORT_FORK_HOME set
    (a build's worker) it is a connection to the shared server (nbreport.execution.shared_server).

    Parameters
    ----------
    modules : tuple of str, optional
        The modules to pre-import; default `preimport` (set per job by the worker).
    options : tuple of str, default ()
        The kernelspec's interpreter options (``-X...``).
    env : dict, optional
        Environment for a server started now; default this process's.

    Returns
    -------
    ForkServer or SharedForkServer or None
        The server (perhaps still importing); None when no module is named (cold kernels).
    """
    modules = tuple(preimport if modules is None else modules)
    if not modules:
        return None
    key = (modules, tuple(options))
    srv = _servers.get(key)
    if srv is not None and not srv.alive():
        srv.close()
        srv = None
    if srv is None:
        srv = _servers[key] = _start_server(modules, tuple(options), env)
    return srv


def _start_server(modules: tuple[str, ...], options: tuple[str, ...], env: dict | None):
    """A shared server (nbreport.execution.shared_server) when the build named its cache folder (which
    config.worker_env does only when one is wanted and usable); else a server of this worker's own."""
    from nbreport.execution import shared_server

    if (env if env is not None else os.environ).get(shared_server.HOME_ENV):  # set by config.worker_env
        return shared_server.SharedForkServer(modules, options, env)
    return ForkServer(modules, options, env)


def kernel_options(kernel: str = "python3") -> tuple[str, ...] | None:
    """The interpreter options of `kernel`'s kernelspec when its kernels can be forked (`forkable`).

    Parameters
    ----------
    kernel : str, default "python3"
        The kernelspec's name.

    Returns
    -------
    tuple of str or None
        None when the kernelspec cannot be found or read, or is not this interpreter's ipykernel:
        the first job then starts its kernel the ordinary way and reports any problem.
    """
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        return forkable(KernelSpecManager().get_kernel_spec(kernel).argv)
    except Exception:  # noqa: BLE001 - see Returns
        return None


def start_early(modules: tuple[str, ...], kernel: str = "python3") -> None:
    """Start the fork server for `kernel`'s kernelspec now, so it imports while the worker loads papermill.

    Nothing happens when the kernelspec cannot be found or forked: the first job then starts its
    kernel the ordinary way and reports any problem.

    Parameters
    ----------
    modules : tuple of str
        The modules to pre-import; also set as `preimport`.
    kernel : str, default "python3"
        Name of the kernelspec whose argv decides the interpreter options.
    """
    global preimport
    preimport = tuple(modules)
    options = kernel_options(kernel)
    if options is not None:
        try:
            server(options=options)
        except (RuntimeError, OSError):  # the first job tries again, and starts its kernel cold if it must
            pass


_executor = None  # this process's thread for waiting on a fork server's reply (see _fork_executor)


def _fork_executor():
    """The one-thread executor a kernel launch waits in, owned by this process.

    Not the event loop's default executor: a report worker is forked (pool.py) from a process whose
    loop may already have one (a test session that ran notebooks on warm kernels), and a forked
    child inherits that executor without its threads, so a launch waiting in it never returned.
    """
    global _executor
    if _executor is None:
        from concurrent.futures import ThreadPoolExecutor

        _executor = ThreadPoolExecutor(1, thread_name_prefix="nbreport-fork")
    return _executor


def _forget_inherited_servers() -> None:
    """In a forked child, forget the parent's fork servers and executor (without closing them: the
    parent owns them, and the executor's threads did not survive the fork)."""
    global _executor
    _servers.clear()
    _executor = None


os.register_at_fork(after_in_child=_forget_inherited_servers)


def close_servers() -> None:
    """Stop every fork server of this process (the worker is exiting or killing its kernels)."""
    for srv in list(_servers.values()):
        srv.close()
    _servers.clear()


def forkable(argv: list[str]) -> tuple[str, ...] | None:
    """Whether a kernelspec's argv can be served by a fork, and with which interpreter options.

    A fork is this interpreter running ipykernel's launcher; any other kernel (another Python,
    other options than ``-X``, another language) must be started the ordinary way.

    Parameters
    ----------
    argv : list of str
        A kernelspec's argv, e.g. ``["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]``.

    Returns
    -------
    tuple of str or None
        The ``-X...`` options before ``-m`` (often empty); None when the argv cannot be forked.
    """
    try:
        at = argv.index("-m")
    except ValueError:
        return None
    options = tuple(argv[1:at])
    if argv[at + 1:at + 2] != [LAUNCHER] or any(not o.startswith("-X") for o in options):
        return None
    exe = argv[0]
    if os.sep not in exe:
        same = exe in ("python", "python3", os.path.basename(sys.executable))
    else:
        same = os.path.realpath(exe) == os.path.realpath(sys.executable) or os.path.abspath(exe) == sys.executable
    return options if same else None


class _Forked:
    """The part of subprocess.Popen that LocalProvisioner uses, for a process this one did not start
    (the server reaps it: once it exits, signalling its pid fails)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None

    def poll(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0
            except PermissionError:
                pass
        return self.returncode

    def wait(self, timeout: float | None = None):
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired([str(self.pid)], timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _warn_cold(exc: BaseException) -> None:
    """Say once per process, on stderr, that kernels start cold because the fork server failed."""
    global _warned_cold
    if not _warned_cold:
        _warned_cold = True
        print(f"nbreport: warning: the kernel fork server failed ({exc}); kernels start cold "
              "(each imports everything itself, about 2 s)", file=sys.stderr, flush=True)


_warned_cold = False


def provisioner_class():
    """ForkProvisioner, built on first use (jupyter_client is imported only by workers).

    Returns
    -------
    type
        A subclass of jupyter_client's ``LocalProvisioner`` whose ``launch_kernel`` asks the
        fork server for the process; everything else (connection file, shutdown, kill) is
        jupyter_client's own.
    """
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class ForkProvisioner(LocalProvisioner):
        """LocalProvisioner that forks the kernel from the fork server instead of exec'ing the argv."""

        modules = None  # what the fork server imports; None: this process's `preimport` (a subclass may set it)

        async def launch_kernel(self, cmd: list[str], **kwargs):
            options = forkable(cmd)
            try:
                srv = server(self.modules, options=options) if options is not None else None
            except (RuntimeError, OSError) as exc:  # none could be started or reached: a cold kernel
                _warn_cold(exc)
                srv = None
            if srv is None:
                return await super().launch_kernel(cmd, **kwargs)
            env = dict(kwargs.get("env") or os.environ)
            cwd = str(kwargs.get("cwd") or os.getcwd())
            loop = asyncio.get_running_loop()
            pid = await loop.run_in_executor(_fork_executor(), srv.fork, cmd[cmd.index("-m") + 2:], env, cwd)
            self.process = _Forked(pid)
            self.pid = self.pgid = pid
            self.cwd = cwd
            return self.connection_info

    return ForkProvisioner
