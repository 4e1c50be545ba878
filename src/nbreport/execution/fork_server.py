"""The kernel fork server's own process: import once, record what the imports read, fork kernels.

nbreport.execution.forking is the worker's side (ForkServer, the provisioner); this module runs in
the server (``python -m nbreport.execution.fork_server FD MODULE...``, one per worker) and in the
kernels it forks (`become_kernel`). nbreport.execution.shared_server uses the same functions for a
server shared by a build's workers and kept between builds.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time

LAUNCHER = "ipykernel_launcher"
AFTER_IMPORTS = "the step after the imports"  # the name a failure of import_modules' `then` is reported under
# what every kernel imports while ipykernel's app initialises, whatever the notebook: imported once
# in the server instead of in each kernel (debugpy through ipykernel.debugger, sqlite3 for IPython's
# history, tornado's queues, pdb). Measured, 30 November 2026: a forked kernel's initialise went
# from 0.165 to 0.086 s; IPKernelApp.initialize then imports three small modules more.
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
                  "sqlite3", "tornado.queues", "pdb")


def watch_hangup(fd: int, then, name: str) -> None:
    """Run `then` (which must end the process) once the other end of socket `fd` is closed.

    Whoever holds the other end (the worker that asked for a kernel, the build that asked for a
    kept worker) may exit however it likes (kill -9 included): its end closes and this process
    follows. Nothing is read from the socket, a thread only waits for the hang-up (POLLRDHUP, Linux).

    Parameters
    ----------
    fd : int
        The socket's descriptor.
    then : callable
        Called in the watching thread on hang-up; it must not return (``os._exit``).
    name : str
        The thread's name.
    """
    import select

    poller = select.poll()
    poller.register(fd, getattr(select, "POLLRDHUP", 0x2000) | select.POLLHUP | select.POLLERR)

    def wait():
        while True:
            try:
                if poller.poll():
                    break
            except InterruptedError:
                continue
        then()

    threading.Thread(target=wait, name=name, daemon=True).start()


def _kill_own_group() -> None:
    try:
        os.killpg(0, signal.SIGKILL)
    finally:
        os._exit(1)


def die_with_parent() -> None:
    """Linux: get SIGTERM when the parent process dies (prctl PR_SET_PDEATHSIG, prctl(2)).

    Why: a process another one started for its own use (a worker's fork server, a kept server's
    worker template, a build's worker) must not outlive it, even after a kill -9. Elsewhere it
    does nothing.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        pass


def close_sockets(close) -> None:
    """Close a forked child's copies of its server's sockets (detach: no later close of a reused
    descriptor), so the child holds nothing that keeps a server reachable after it is gone.

    Parameters
    ----------
    close : iterable of socket.socket
        The sockets.
    """
    for other in close:
        try:
            os.close(other.detach())
        except OSError:
            pass


def run_child(body, request: dict, close=()) -> None:
    """In a child forked by a server: set it up as `request` says, run `body()`, exit; never returns.

    The set-up a kernel and a kept report worker share: a session of its own, the server's other
    sockets closed (`close_sockets`), default signal handlers (SIGINT
    raises KeyboardInterrupt), stdin from /dev/null, the request's folder and whole environment,
    Python's temp folder from that environment, NumPy's legacy random state reseeded.

    Parameters
    ----------
    body : callable
        What the child is for; its SystemExit code is the child's exit status.
    request : dict
        ``env`` (the whole environment) and ``cwd`` (or None).
    close : iterable of socket.socket
        The server's sockets the child must not hold.
    """
    code = 1
    try:
        os.setsid()
        close_sockets(close)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        if request.get("cwd"):
            os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request.get("env") or {})
        import tempfile

        tempfile.tempdir = None  # the request's TMPDIR, not the server's
        if "numpy.random" in sys.modules:
            sys.modules["numpy.random"].seed()
        body()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def become_kernel(request: dict, watch: socket.socket, close=()) -> None:
    """In a forked child: become the kernel the request describes; never returns.

    Parameters
    ----------
    request : dict
        ``argv`` (the launcher's arguments), ``env`` (the kernel's whole environment) and ``cwd``.
    watch : socket.socket
        The connection to the worker that asked for the kernel: the kernel (its whole process
        group) dies when the worker's end closes (`watch_hangup`), not when the server exits (a
        shared server outlives builds).
    close : iterable of socket.socket
        The server's other sockets (its listening socket, other workers' connections): closed here,
        so a kernel holds nothing that keeps a server reachable after it is gone.
    """
    def body():
        watch_hangup(watch.fileno(), _kill_own_group, "nbreport-worker-watch")
        # the launcher's arguments (-f connection file). parent_handle=1 means "no parent poller" to
        # ipykernel (pid 1 never goes away) without the console banner a 0 prints ("To connect another
        # client ..."): the kernel watches its worker (above), and its parent, a shared server, may
        # exit first without taking the kernel with it
        os.environ.pop("JPY_PARENT_PID", None)
        sys.argv = [LAUNCHER, *request["argv"], "--IPKernelApp.parent_handle=1"]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()

    run_child(body, request, close)


def import_modules(modules: list[str], then=None) -> tuple[dict, dict]:
    """Import ipykernel's kernel app and `modules` in this (server) process, as a kernel would.

    Every file the imports read is recorded (an audit hook on ``open``, and each module's file),
    with its size and mtime, so that `changed_file` can tell when the server is stale: an edited
    helper, a data file read at import, an upgraded package. A kernel must never run code older
    than the files on disk (a researcher edits src/helpers and restarts the kernel).

    Parameters
    ----------
    modules : list of str
        The modules to import; one that fails is reported, not fatal (the kernel meets the same
        error when it imports it).
    then : callable, optional
        Called after the imports, while reads are still recorded (the worker template builds its
        HTML exporter, which reads templates; nbreport.execution.kept_worker).

    Returns
    -------
    report : dict
        The ready report: ``imported``, ``failed`` (name to error text), ``seconds``, ``threads``,
        ``pid`` and ``files`` (how many were recorded).
    files : dict
        Path to ``(size, mtime_ns)`` of every file read, for `changed_file`.
    """
    # what ipykernel_launcher does before its imports: the server's cwd is not the kernel's
    if sys.path and (sys.path[0] in ("", os.getcwd())):
        del sys.path[0]
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # as IPKernelApp sets it
    opened: list[str] = []
    recording = [True]

    def audit(event, args):  # reads only; off once the imports are done
        if not recording[0] or event != "open" or not isinstance(args[0], str):
            return
        mode, flags = args[1], args[2]
        if isinstance(mode, str) and any(c in mode for c in "wax+"):
            return
        if not isinstance(mode, str) and isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR):
            return
        opened.append(args[0])

    sys.addaudithook(audit)  # audit hooks cannot be removed: it returns at once after the imports
    t0 = time.perf_counter()
    imported, failed = [], {}
    import importlib

    for name in [*KERNEL_MODULES, *modules]:
        try:
            importlib.import_module(name)
            imported.append(name)
        except Exception as exc:  # noqa: BLE001 - the kernel meets the same error when it imports it
            failed[name] = f"{type(exc).__name__}: {exc}"
    if then is not None:
        try:
            then()
        except Exception as exc:  # noqa: BLE001
            failed[AFTER_IMPORTS] = f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - t0
    recording[0] = False
    files: dict[str, tuple[int, int]] = {}
    for path in opened + [f for m in list(sys.modules.values()) if isinstance(f := getattr(m, "__file__", None), str)]:
        try:
            st = os.stat(path)
        except OSError:
            continue
        if not os.path.isdir(path):
            files[path] = (st.st_size, st.st_mtime_ns)
    return ({"imported": imported, "failed": failed, "seconds": round(seconds, 3),
             "threads": threading.active_count(), "pid": os.getpid(), "files": len(files)}, files)


def failures(report: dict) -> str:
    """What failed in an `import_modules` report, for a server's log: "; failed: name (error), ...".

    Parameters
    ----------
    report : dict
        The report; its ``failed`` maps a module (or AFTER_IMPORTS) to its error text.

    Returns
    -------
    str
        "" when nothing failed.
    """
    failed = report.get("failed") or {}
    return "; failed: " + ", ".join(f"{name} ({why})" for name, why in failed.items()) if failed else ""


def changed_file(files: dict) -> str | None:
    """The first file read by the server's imports that changed or vanished since, or None.

    About 3,000 stat calls for the collection's stack, a few ms: checked before every fork.

    Parameters
    ----------
    files : dict
        From `import_modules`.

    Returns
    -------
    str or None
        The path, or None when the server is current.
    """
    for path, (size, mtime) in files.items():
        try:
            st = os.stat(path)
        except OSError:
            return path
        if (st.st_size, st.st_mtime_ns) != (size, mtime):
            return path
    return None


def serve(fd: int, modules: list[str]) -> None:
    """The fork server: import `modules`, report, then fork one kernel per request until EOF.

    Runs in the server process (``python -m nbreport.execution.fork_server FD MODULE...``). It asks
    Linux for SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG, prctl(2)), so a killed worker
    leaves no server behind, and ignores SIGCHLD so forked kernels are reaped without a wait.

    Parameters
    ----------
    fd : int
        File descriptor of this end of the socket pair to the worker; requests and replies are
        one JSON object per line.
    modules : list of str
        The modules to import; one that fails is reported, not fatal.
    """
    die_with_parent()  # the worker's
    conn = socket.socket(fileno=fd)
    f = conn.makefile("rwb", buffering=0)
    report, files = import_modules(modules)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel; a dead pid is gone
    f.write(json.dumps(report).encode() + b"\n")
    while True:
        line = f.readline()
        if not line:
            break
        why = changed_file(files)
        if why:  # the client starts a fresh server (ForkServer.fork)
            f.write(json.dumps({"stale": why}).encode() + b"\n")
            break
        try:
            request = json.loads(line)
            pid = os.fork()
        except Exception as exc:  # noqa: BLE001
            f.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode() + b"\n")
            continue
        if pid == 0:
            become_kernel(request, watch=conn)
        f.write(json.dumps({"pid": pid}).encode() + b"\n")


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2:])
