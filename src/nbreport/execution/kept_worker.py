"""Report workers forked from a pre-loaded process kept between builds, so a rebuild skips their imports.

A report worker (nbreport.execution.worker) imports papermill, nbformat and nbconvert and builds
its HTML exporter before its first job: about 0.55 CPU-s, on the critical path of a one-notebook
rebuild (``make bench``'s "touch one"). The shared kernel fork server (nbreport.execution.
shared_server) already outlives the build. Once it has been idle for a second, it forks a *worker
template*: a child that does those imports once (the kernel server itself stays as it was, so
kernels never carry papermill). The next build asks the server for its workers; the server hands
the request to the template, which forks a worker connected to the build by a fresh socket pair
and passes the build its end (SCM_RIGHTS). Any failure (no server, not pre-loaded yet, other code,
REPORT_KEPT_WORKERS=0) and the build forks its workers itself, as before.

Why the worker is never stale:

- the template records every file its imports read and checks them before each fork, as the
  kernel server does (nbreport.execution.fork_server.changed_file); a changed file makes it answer
  "stale" and exit, and the build forks its own workers;
- the build sends the digest of the code's contents (nbreport.config.SOURCES: the collection's
  package, nbreport.execution and nbreport.render); a server started for other contents refuses.

A kept worker dies with its build: it watches its socket for a hang-up, and kills its kernels and
itself when the build's end closes, however the build ended (kill -9 included). The build holds a
pidfd of it (Linux 5.3), so signalling a worker that already exited can never reach another process.
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import time

from nbreport.config import KEPT_WORKERS_ENV as SWITCH_ENV  # 0/false/no/off: every build forks its own workers

TEMPLATE_AFTER = 1.0  # seconds without a build before the kernel server forks the worker template


# --------------------------------------------------------------------------- the build's side

class RemoteWorker:
    """The part of multiprocessing.Process that nbreport.pool uses, for a worker the build did not fork.

    Parameters
    ----------
    pid : int
        The worker's pid (a child of the worker template).

    Raises
    ------
    OSError
        The pid cannot be opened (the worker already exited, or no pidfd on this system).
    """

    def __init__(self, pid: int):
        self.pid = pid
        self.fd = os.pidfd_open(pid)

    def is_alive(self) -> bool:
        """Whether the worker is still running (its pidfd is readable once it has exited).

        Returns
        -------
        bool
        """
        if self.fd < 0:
            return False
        return not select.select([self.fd], [], [], 0)[0]

    def join(self, timeout: float | None = None) -> None:
        """Wait for the worker to exit (the template reaps it).

        Parameters
        ----------
        timeout : float, optional
            Seconds to wait at most; None waits as long as it takes.
        """
        if self.fd >= 0:
            select.select([self.fd], [], [], timeout)

    def _signal(self, signum: int) -> None:
        if self.is_alive():
            try:
                signal.pidfd_send_signal(self.fd, signum)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        """SIGTERM: the worker kills its kernels, then exits (nbreport.execution.worker.main)."""
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL; its kernels follow it (they watch its connection)."""
        self._signal(signal.SIGKILL)

    def close(self) -> None:
        """Close the pidfd."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def wanted(env: dict) -> bool:
    """Whether a build with worker environment `env` asks the kept server for its workers.

    Parameters
    ----------
    env : dict
        nbreport.config.worker_env: a shared kernel server is in use only when it names the
        build's cache folder (REPORT_FORK_HOME).

    Returns
    -------
    bool
    """
    from nbreport.config import switch
    from nbreport.execution.shared_server import HOME_ENV

    full = {**os.environ, **env}
    return bool(full.get(HOME_ENV)) and switch(SWITCH_ENV, full) \
        and hasattr(os, "pidfd_open") and hasattr(socket, "recv_fds")


def fork_worker(env: dict, timeout: float = 3.0):
    """Ask the kept kernel server of this build folder for a pre-loaded report worker.

    Parameters
    ----------
    env : dict
        The worker's environment on top of this process's (nbreport.config.worker_env); its
        REPORT_FORK_HOME names the build's cache folder, whose ``fork-server.current`` names
        the server, and its REPORT_FORK_SOURCES must be the server's.
    timeout : float, default 3.0
        Seconds to wait for the server at each step.

    Returns
    -------
    (RemoteWorker, multiprocessing.connection.Connection) or None
        The worker and the build's end of its pipe; None when there is no kept worker to be had
        (no server, not pre-loaded yet, other code, stale): the caller forks its own.
    """
    from multiprocessing.connection import Connection

    from nbreport.execution.shared_server import CURRENT, HOME_ENV, SOURCES_ENV

    if not wanted(env):
        return None
    full = {**os.environ, **env}
    try:
        with open(os.path.join(full[HOME_ENV], CURRENT), encoding="utf-8") as f:
            path = f.read().strip()
    except OSError:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    fds: list[int] = []
    try:
        sock.settimeout(timeout)
        sock.connect(path)
        hello = _read_line(sock)
        if not hello or "stale" in json.loads(hello):
            return None
        request = {"worker": {"env": full, "cwd": os.getcwd(), "sources": full.get(SOURCES_ENV, "")}}
        sock.sendall(json.dumps(request).encode() + b"\n")
        reply, fds = _read_reply(sock)
        pid = json.loads(reply or b"{}").get("pid")
        if not pid or len(fds) != 1:
            return None
        proc = RemoteWorker(int(pid))
        conn = Connection(fds.pop())
        return proc, conn
    except (OSError, ValueError):
        return None
    finally:
        for fd in fds:
            os.close(fd)
        sock.close()


def _read_line(sock: socket.socket) -> bytes:
    """One reply line; unbuffered, so nothing after the newline is taken from the socket (a
    descriptor may follow, for socket.recv_fds)."""
    with sock.makefile("rb", buffering=0) as f:
        return f.readline()


def _read_reply(sock: socket.socket) -> tuple[bytes, list[int]]:
    """A reply line and the descriptors that came with it (socket.recv_fds)."""
    data, fds, _, _ = socket.recv_fds(sock, 4096, 2)
    data = bytearray(data)
    while data and not data.endswith(b"\n"):
        more = sock.recv(4096)
        if not more:
            break
        data += more
    return bytes(data), list(fds)


# --------------------------------------------------------------------------- the kernel server's side

class Template:
    """The kernel server's handle on its worker template (a child forked once the server is idle).

    Parameters
    ----------
    close : list of socket.socket
        The server's sockets, closed in the template.
    """

    def __init__(self, close: list):
        a, b = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            a.close()
            _template_main(b, close)
        b.close()
        self.pid, self.sock = pid, a
        self.ready = False

    def forward(self, request: dict) -> tuple[dict, list[int]]:
        """Hand a worker request to the template; its reply and the descriptor of the worker's pipe.

        Parameters
        ----------
        request : dict
            ``env``, ``cwd`` (the worker's) and ``sources`` (checked by the server before).

        Returns
        -------
        (dict, list of int)
            ``{"pid": N}`` with one descriptor, or ``{"error": ...}`` / ``{"stale": ...}`` with none.
        """
        try:
            if not self.ready:  # the template's imports: a client never waits for them
                if not select.select([self.sock], [], [], 0)[0]:
                    return {"error": "the worker template is still importing"}, []
                line = _read_line(self.sock)
                if not line:
                    raise OSError("the worker template exited")
                self.ready = True
            self.sock.sendall(json.dumps(request).encode() + b"\n")
            data, fds = _read_reply(self.sock)
            if not data:
                raise OSError("the worker template exited")
            reply = json.loads(data)
        except OSError as exc:
            reply, fds = {"error": f"the worker template is gone ({exc})"}, []
        if "pid" not in reply:  # gone, or stale (it left): the server forks a fresh template once idle
            self.sock.close()
            self.sock = None
        return reply, fds

    def stop(self) -> None:
        """Close the server's end of the template's socket: the template reads its end and exits.

        Why: a server whose last build turned kept workers off keeps no template (README), even one
        forked for an earlier build.
        """
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def alive(self) -> bool:
        """Whether the template can still be asked (it has not exited or answered stale).

        Returns
        -------
        bool
        """
        return self.sock is not None


def serve_request(listener, f, conn: socket.socket, request: dict) -> None:
    """Answer a build's request for a report worker (in the kernel server's loop).

    Parameters
    ----------
    listener : nbreport.execution.shared_server._Listener
        The server's state; ``template`` is its Template or None.
    f : file
        The client's connection as a file (for plain replies).
    conn : socket.socket
        The client's connection (the worker's pipe is passed over it).
    request : dict
        ``{"worker": {"env", "cwd", "sources"}}``.
    """
    from nbreport.execution.shared_server import SOURCES_ENV, _log, _send

    want = request.get("worker") or {}
    if want.get("sources") != os.environ.get(SOURCES_ENV, ""):
        _log("no report worker: the build's code differs from this server's")
        _send(f, {"error": "this server was started for other code"})
        return
    tpl = getattr(listener, "template", None)
    if tpl is None or not tpl.alive():
        _log("no report worker: no worker template yet")
        _send(f, {"error": "no worker template yet"})
        return
    reply, fds = tpl.forward(want)
    _log(f"report worker {reply.get('pid')} for {want.get('cwd')}" if fds else f"no report worker: {reply}")
    try:
        if fds:
            socket.send_fds(conn, [json.dumps(reply).encode() + b"\n"], fds)
        else:
            _send(f, reply)
    except OSError:
        pass
    finally:
        for fd in fds:
            os.close(fd)


def maybe_start_template(listener) -> None:
    """Fork the worker template once the server has had no client for TEMPLATE_AFTER seconds.

    Not while the last build it served had kept workers turned off (REPORT_KEPT_WORKERS=0): that
    build forked its own workers, and a template would be a process and its imports paid for nothing;
    a template forked for an earlier build is stopped then.

    Parameters
    ----------
    listener : nbreport.execution.shared_server._Listener
        The server's state; sets its ``template``.
    """
    tpl = getattr(listener, "template", None)
    if not getattr(listener, "kept_wanted", True):  # the last build turned kept workers off
        if tpl is not None and tpl.alive():  # one forked for an earlier build would idle unused
            from nbreport.execution.shared_server import _log

            _log("worker template stopped: the last build turned kept workers off")
            tpl.stop()
        return
    if tpl is not None and tpl.alive():
        return
    if listener.clients:
        return
    if time.monotonic() - listener.last < TEMPLATE_AFTER:
        return
    listener.template = Template([listener.sock])


def _template_main(sock: socket.socket, close: list) -> None:
    """The worker template: import what a report worker needs, then fork one per request; never returns."""
    code = 0
    try:
        from nbreport.execution import fork_server
        from nbreport.execution.shared_server import _log

        fork_server.die_with_parent()  # leave with the server
        fork_server.close_sockets(close)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # workers are reaped without a wait

        def load():
            from nbreport.execution import worker

            worker.preload_modules()

        report, files = fork_server.import_modules(["nbreport.execution.worker"], then=load)
        _log(f"worker template ready in {report['seconds']} s ({len(files)} files recorded"
             f"{fork_server.failures(report)})")
        try:
            sock.sendall(json.dumps(report).encode() + b"\n")
        except OSError:  # stopped while it imported (Template.stop)
            return
        while True:
            try:
                line = _read_line(sock)
            except OSError:  # the server left (idle, stale, superseded): so does its template
                break
            if not line:
                break
            why = fork_server.changed_file(files)
            if why:
                _log(f"worker template leaving: stale: {why} changed")
                sock.sendall(json.dumps({"stale": why}).encode() + b"\n")
                break
            request = json.loads(line)
            a, b = socket.socketpair()
            pid = os.fork()
            if pid == 0:
                a.close()
                _become_worker(request, b, [sock])
            b.close()
            socket.send_fds(sock, [json.dumps({"pid": pid}).encode() + b"\n"], [a.fileno()])
            a.close()
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _become_worker(request: dict, pipe: socket.socket, close: list) -> None:
    """In a child of the template: become a report worker for the build at the other end of `pipe`."""
    from nbreport.execution.fork_server import run_child

    def body():
        from multiprocessing.connection import Connection

        from nbreport.execution import worker

        worker.main(Connection(pipe.detach()), {}, preload=False, watch=True)

    run_child(body, request, close)
