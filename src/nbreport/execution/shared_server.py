"""A kernel fork server shared by a build's workers and kept between builds, until idle or stale.

nbreport.execution.forking forks each run's kernel from a server that imported the collection's
heavy modules once. Started per worker and stopped with it, that server is paid again by every
build: about 2 s of imports on the critical path of a one-notebook rebuild, the edit-and-rebuild
loop a researcher lives in. Here the server outlives the build:

- it listens on a Unix socket named by a *key*: this interpreter, its options, the modules, the
  working folder and the whole environment the imports ran in (NBREPORT_ROOT, MPLCONFIGDIR, ...;
  shell bookkeeping such as ``_`` or ``SHLVL`` left out). Another build of the same project in the
  same environment finds it; anything else starts its own;
- it records every file it read while importing (an audit hook on ``open``, and each module's
  file) with its size and mtime, and checks them before every fork: an edited helper, a data file
  read at import, an upgraded package make it *stale*. A stale server refuses to fork and exits,
  and the client starts a fresh one, so a kernel never runs code older than the files on disk;
- it exits after ``REPORT_FORK_IDLE`` seconds without a client (default IDLE_DEFAULT), and as
  soon as it is idle once its build's cache folder is gone (``make clean``) or a server was started
  for the same build folder in another environment (at most one idle server per build folder);
- a kernel it forks dies with the *worker* that asked for it, not with the server: the child
  watches the worker's connection for a hang-up and kills its own process group.

Each run still gets a fresh process forked from the state right after the imports: what one run
does never reaches the next, whichever build it belongs to.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time

from nbreport.config import OFF_WORDS

IDLE_DEFAULT = 600.0  # seconds a server waits for the next build (an edit-and-rebuild cycle)
MAX_IDLE = 86400.0  # a day: a server that never leaves is a process nobody remembers starting
HOME_ENV, IDLE_ENV = "REPORT_FORK_HOME", "REPORT_FORK_IDLE"
CURRENT = "fork-server.current"  # in the build's cache folder: the socket of the server started last
SOURCES_ENV = "REPORT_FORK_SOURCES"  # the build's digest of the code's contents (nbreport.config.worker_env)
# variables a shell, make, a terminal or pytest sets per command or per window; they cannot change
# what an import does (any other difference, even one that cannot either, starts another server)
VOLATILE = frozenset({"_", "OLDPWD", "SHLVL", "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKE_TERMOUT",
                      "MAKE_TERMERR", "MAKEOVERRIDES", "COLUMNS", "LINES", IDLE_ENV, "TMUX", "TMUX_PANE",
                      "STY", "WINDOW", "WINDOWID", "TERM_SESSION_ID", "TERM_PROGRAM", "TERM_PROGRAM_VERSION",
                      "COLORTERM", "VTE_VERSION", "SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY", "SSH_AUTH_SOCK",
                      "XDG_SESSION_ID", "XDG_VTNR", "PROMPT_COMMAND", "PS1", "HISTFILE", "HISTSIZE",
                      "PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_TESTRUNUID",
                      # the build's own settings, read by the build and never by an import
                      "REPORT_WORKERS", "REPORT_TIMEOUT", "REPORT_KEPT_WORKERS"})


def idle_seconds(env: dict | None = None) -> float:
    """How long a shared server waits for a client (REPORT_FORK_IDLE); 0 means no shared server.

    Parameters
    ----------
    env : dict, optional
        The environment to read; default this process's.

    Returns
    -------
    float
        Seconds; IDLE_DEFAULT when unset, 0 for an off word (nbreport.config.OFF_WORDS).

    Raises
    ------
    ValueError
        The value is not a number from 0 to MAX_IDLE (nan, negative, infinite) nor an off word.
    """
    raw = (env if env is not None else os.environ).get(IDLE_ENV, "").strip()
    if not raw:
        return IDLE_DEFAULT
    if raw.lower() in OFF_WORDS:
        return 0.0
    try:
        value = float(raw) if raw.isascii() else math.nan  # not other scripts' digits ('٣')
    except ValueError:
        value = math.nan
    if not 0 <= value <= MAX_IDLE:  # nan, negative, inf, or longer than a day
        raise ValueError(f"{IDLE_ENV}={raw!r}: expected seconds (a number from 0 to {MAX_IDLE:g}, e.g. 600) "
                         "or 0 to turn the shared kernel fork server off")
    return value


def wanted(preimport: tuple[str, ...]) -> bool:
    """Whether a build's kernels come from a shared server: warm kernels, and REPORT_FORK_IDLE not 0.

    Parameters
    ----------
    preimport : tuple of str
        The build's warm modules (none: cold kernels, no server at all).

    Returns
    -------
    bool
        True when a shared server is wanted (it may still be `unusable`).

    Raises
    ------
    ValueError
        REPORT_FORK_IDLE is malformed (`idle_seconds`).
    """
    return bool(preimport) and idle_seconds() > 0


def unusable() -> str | None:
    """Why no shared server can be used here (its socket folder is not this user's and private), or None.

    Returns
    -------
    str or None
        The reason, naming the folder; None when a shared server can be used.
    """
    try:
        socket_folder()
    except OSError as exc:
        return str(exc)
    return None


def warnings(preimport: tuple[str, ...]) -> list[str]:
    """The build's warning when its kernels would use a shared server but cannot (each worker then
    starts its own, as with REPORT_FORK_IDLE=0: slower, never wrong).

    Parameters
    ----------
    preimport : tuple of str
        The build's warm modules (none: cold kernels, no server at all).

    Returns
    -------
    list of str
        Zero or one message.
    """
    try:
        if not wanted(preimport):
            return []
    except ValueError:
        return []  # a malformed REPORT_FORK_IDLE is refused by name before anything runs (config.worker_env)
    why = unusable()
    return [f"the kernel fork server is not kept between builds: {why}; each worker imports for itself "
            "this time"] if why else []


def server_key(modules: tuple[str, ...], options: tuple[str, ...], env: dict, cwd: str) -> str:
    """The name of the server that serves kernels for these modules, options, environment and folder.

    Parameters
    ----------
    modules, options : tuple of str
        The pre-imported modules and the kernelspec's interpreter options.
    env : dict
        The environment the server imports in (the worker's).
    cwd : str
        The server's working folder.

    Returns
    -------
    str
        24 hex digits of a sha256.
    """
    kept = sorted((k, v) for k, v in env.items() if k not in VOLATILE)
    blob = json.dumps([os.path.realpath(sys.executable), list(options), list(modules), cwd, kept])
    return hashlib.sha256(blob.encode("utf-8", "surrogateescape")).hexdigest()[:24]


def socket_folder() -> str:
    """This user's folder of server sockets, mode 0700 (AF_UNIX paths must stay under 108 bytes,
    so not under a deep build folder).

    Returns
    -------
    str
        ``<temp dir>/nbreport-fork-<uid>``.

    Raises
    ------
    PermissionError
        The folder exists and belongs to someone else or is open to others.
    """
    base = "/tmp" if os.path.isdir("/tmp") else __import__("tempfile").gettempdir()
    folder = os.path.join(base, f"nbreport-fork-{os.getuid()}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    st = os.stat(folder)
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise PermissionError(f"{folder}: the kernel fork servers' folder must be yours and private (0700)")
    return folder


# --------------------------------------------------------------------------- the worker's side

class SharedForkServer:
    """A worker's connection to the shared fork server for its key, started when none runs.

    The same interface as forking.ForkServer (`wait_ready`, `alive`, `fork`, `close`), so the
    provisioner does not know which it has. `close` only closes this worker's connection: the
    server stays for the next build.

    Parameters
    ----------
    modules, options : tuple of str
        As forking.ForkServer.
    env : dict, optional
        The server's environment; default this process's. Its HOME_ENV is the build's cache folder.
    """

    def __init__(self, modules: tuple[str, ...], options: tuple[str, ...] = (), env: dict | None = None):
        self.modules, self.options = tuple(modules), tuple(options)
        self.env = dict(env or os.environ)
        self.home = self.env.get(HOME_ENV, "")
        self.idle = idle_seconds(self.env) or IDLE_DEFAULT
        self.path = os.path.join(socket_folder(), server_key(self.modules, self.options, self.env, os.getcwd()) + ".sock")
        self.sock = self.file = None
        self.ready: dict | None = None
        self.started = False  # whether this worker started the server (for the benchmark and tests)
        self.replaced: str | None = None  # the changed file that made the last server stale
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()
        self._connect()

    def _start(self) -> None:
        try:
            os.unlink(self.path)  # a dead server's socket file
        except FileNotFoundError:
            pass
        # its output (and its kernels' own, below Python) goes to a log in the build's cache: a
        # server that outlives the build must not hold the build's stdout or stderr open (whoever
        # reads them, `make` or a test, would wait for it)
        os.makedirs(self.home, exist_ok=True)
        with open(os.path.join(self.home, "fork-server.log"), "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, *self.options, "-m", "nbreport.execution.shared_server", self.path,
                 str(self.idle), self.home, *self.modules],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self.env, start_new_session=True)
        self.started = True
        if self.home:  # the servers of this build folder that are not this one leave once idle
            tmp = os.path.join(self.home, f".fork-server.current.{os.getpid()}")
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(self.path)
            os.replace(tmp, os.path.join(self.home, CURRENT))
        end = time.monotonic() + 30
        while not os.path.exists(self.path):  # it binds before it imports: a few tens of ms
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"the shared kernel fork server did not start (exit {self.proc.poll()})")
            time.sleep(0.01)

    def _connect(self) -> None:
        """Connect to the server for this key; under a lock, start one when none answers."""
        # one lock for the folder (not one file per key, which piled up): held only while a server starts
        with open(os.path.join(os.path.dirname(self.path), ".start.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two workers of one build start one server, not two
            try:
                sock = self._try_connect()
                if sock is None:
                    self._start()
                    sock = self._try_connect()
                    if sock is None:
                        raise RuntimeError("the shared kernel fork server does not accept connections")
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        self.sock, self.file = sock, sock.makefile("rwb", buffering=0)
        self.ready = None

    def _try_connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(self.path)
        except OSError:  # no file (ENOENT) or nobody listening (ECONNREFUSED): a dead server's
            sock.close()
            return None
        return sock

    def wait_ready(self, timeout: float = 120.0) -> dict:
        """Block until the server has imported its modules; its report (see forking.ForkServer.wait_ready).

        A server found stale is replaced once, here.

        Parameters
        ----------
        timeout : float, default 120.0
            Seconds to wait for the report.

        Returns
        -------
        dict
            As forking.ForkServer.wait_ready, with ``files``: how many files the imports read.

        Raises
        ------
        RuntimeError
            The server closed the connection before it was ready, twice.
        TimeoutError
            No report within `timeout`.
        """
        for attempt in (1, 2):
            if self.ready is not None:
                return self.ready
            self.sock.settimeout(timeout)
            try:
                line = self.file.readline()
            finally:
                self.sock.settimeout(None)
            reply = json.loads(line) if line else {"stale": "closed"}
            if "stale" not in reply:
                self.ready = reply
                return reply
            self.replaced = reply["stale"] if line else self.replaced
            self._reconnect()
        raise RuntimeError("the shared kernel fork server closed the connection before it was ready")

    def _reconnect(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
        self._connect()

    def alive(self) -> bool:
        """Whether this connection is still open (a server that exited is found again by `forking.server`).

        Returns
        -------
        bool
            False once `close` was called.
        """
        return self.sock is not None and self.sock.fileno() >= 0

    def fork(self, argv: list[str], env: dict, cwd: str | None) -> int:
        """Fork a kernel (see forking.ForkServer.fork); a stale or vanished server is replaced once.

        Parameters
        ----------
        argv : list of str
            The launcher's arguments (``-f <connection file>``).
        env : dict
            The kernel's whole environment.
        cwd : str or None
            The kernel's working folder.

        Returns
        -------
        int
            The kernel's pid (a child of the server).

        Raises
        ------
        RuntimeError
            The server could not fork, or a fresh one failed too.
        """
        request = json.dumps({"argv": argv, "env": env, "cwd": cwd}).encode() + b"\n"
        with self.lock:
            for attempt in (1, 2):
                self.wait_ready()
                try:
                    self.file.write(request)
                    line = self.file.readline()
                except OSError:
                    line = b""
                reply = json.loads(line) if line else {"stale": "closed"}
                if "pid" in reply:
                    return int(reply["pid"])
                if "stale" not in reply or attempt == 2:
                    raise RuntimeError(f"the kernel fork server could not fork: {reply.get('error') or reply}")
                self.replaced = reply["stale"] if line else self.replaced
                self._reconnect()
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close this worker's connection; the server stays for the next build (or exits when idle)."""
        try:
            if self.sock is not None:
                self.sock.close()
        except OSError:
            pass


# --------------------------------------------------------------------------- the server's side

class _Listener:
    """The server's state: its socket, its clients and the files its imports read."""

    def __init__(self, path: str, idle: float, home: str):
        self.path, self.idle, self.home = path, idle, home
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # bound and listening under a name of its own, then renamed into place: a client that sees
        # `path` can connect at once (bound at `path` itself, a connect between bind and listen was
        # refused, and the client that had just started this server gave up)
        tmp = f"{path}.{os.getpid()}"
        try:
            self.sock.bind(tmp)
            self.sock.listen(16)
            os.rename(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self.inode = os.stat(path).st_ino
        self.clients: dict[int, tuple[socket.socket, object]] = {}
        self.files: dict[str, tuple[int, int]] = {}
        self.last = time.monotonic()
        self.template = None  # the report-worker template, forked once idle (nbreport.execution.kept_worker)
        # whether the last build served wants kept workers (REPORT_KEPT_WORKERS): a template is
        # forked only for one that does (kept_worker.maybe_start_template)
        self.kept_wanted = kept_wanted(os.environ)

    def stale(self) -> str | None:
        """The first file read during the imports that changed since, or None (fork_server.changed_file)."""
        from nbreport.execution.fork_server import changed_file

        return changed_file(self.files)

    def superseded(self) -> bool:
        """Whether a server started later for the same build folder (another environment) is the current one."""
        try:
            with open(os.path.join(self.home, CURRENT), encoding="utf-8") as f:
                return bool(self.home) and f.read().strip() not in ("", self.path)
        except OSError:
            return False

    def ours(self) -> bool:
        """Whether the socket file is still this server's (not removed, not another server's)."""
        try:
            return os.stat(self.path).st_ino == self.inode
        except OSError:
            return False

    def refuse_if_stale(self, f) -> None:
        """Answer "stale" and leave when a file the imports read has changed (the client starts a fresh server)."""
        why = self.stale()
        if why:
            _send(f, {"stale": why})
            self.leave(f"stale: {why} changed")

    def leave(self, why: str) -> None:
        """Log why and exit; `serve` removes the socket on the way out."""
        _log(f"leaving: {why}")
        sys.exit(0)


def kept_wanted(env: dict) -> bool:
    """Whether a build with environment `env` asks for kept report workers (REPORT_KEPT_WORKERS).

    Why the server asks: its worker template costs a process and about 0.6 CPU-s of imports, which
    only a later build that wants kept workers can use. A value that is not an on/off word counts as
    on (the build refuses it before it runs anything: nbreport.config.switch).

    Parameters
    ----------
    env : dict
        A kernel request's environment (the build's, inherited by its workers and kernels).

    Returns
    -------
    bool
    """
    from nbreport.config import KEPT_WORKERS_ENV, switch
    from nbreport.status import BuildError

    try:
        return switch(KEPT_WORKERS_ENV, env)
    except BuildError:
        return True


def _send(f, message) -> bool:
    """Write one reply line (a dict, or bytes already encoded); False when the worker has gone."""
    data = message if isinstance(message, bytes) else json.dumps(message).encode() + b"\n"
    try:
        f.write(data)
        return True
    except OSError:  # BrokenPipeError, ConnectionResetError: the worker was killed or left
        return False


def _log(message: str) -> None:
    """One line in the server's log (build/cache/fork-server.log): what it did and when."""
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} fork server {os.getpid()}: {message}", file=sys.stderr, flush=True)


def serve(path: str, idle: float, home: str, modules: list[str]) -> None:
    """The shared server: bind `path`, import `modules`, then serve workers until idle or stale.

    Runs as ``python -m nbreport.execution.shared_server PATH IDLE HOME MODULE...``, in its own
    session (no terminal signal reaches it). Single-threaded: forks happen only from this loop.

    Parameters
    ----------
    path : str
        The Unix socket to listen on (bound before the imports, so a client can connect at once
        and waits for the ready report).
    idle : float
        Seconds without a client after which the server exits.
    home : str
        The build's cache folder; once it is gone (``make clean``) the server exits when idle.
    modules : list of str
        The modules to import, as fork_server.serve.
    """
    from nbreport.execution import fork_server

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped without a wait
    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(SystemExit(0)))  # leaves through `finally`
    listener = _Listener(path, idle, home)
    _log(f"listening on {path}; importing {', '.join(modules)}")
    report, listener.files = fork_server.import_modules(modules)
    _log(f"imported in {report['seconds']} s ({len(listener.files)} files recorded"
         f"{fork_server.failures(report)})")
    hello = json.dumps(report).encode() + b"\n"
    sel = selectors.DefaultSelector()
    sel.register(listener.sock, selectors.EVENT_READ, "accept")
    try:
        _loop(listener, sel, hello, fork_server)
    finally:  # killed (SIGTERM) or leaving: no socket file is left behind for the next client to try
        if listener.ours():
            try:
                os.unlink(path)
            except OSError:
                pass


def _loop(listener: "_Listener", sel, hello: bytes, fork_server) -> None:
    """Accept workers, answer their requests, fork kernels; return never (`_Listener.leave` exits)."""
    from nbreport.execution import kept_worker

    while True:
        events = sel.select(timeout=1.0)
        for key, _ in events:
            listener.last = time.monotonic()
            if key.data == "accept":
                conn, _ = listener.sock.accept()
                f = conn.makefile("rwb", buffering=0)
                listener.refuse_if_stale(f)
                if not _send(f, hello):  # the worker left before the imports were done
                    conn.close()
                    continue
                listener.clients[conn.fileno()] = (conn, f)
                _log(f"a worker connected ({len(listener.clients)} now)")
                sel.register(conn, selectors.EVENT_READ, "client")
                continue
            conn, f = listener.clients[key.fd]
            try:
                line = f.readline()
            except OSError:
                line = b""
            if not line:
                sel.unregister(conn)
                del listener.clients[key.fd]
                conn.close()
                continue
            listener.refuse_if_stale(f)
            try:
                request = json.loads(line)
                if "worker" in request:  # a build asks for a pre-loaded report worker
                    listener.kept_wanted = True
                    kept_worker.serve_request(listener, f, conn, request)
                    continue
                listener.kept_wanted = kept_wanted(request.get("env") or {})
                pid = os.fork()
            except Exception as exc:  # noqa: BLE001
                _send(f, {"error": f"{type(exc).__name__}: {exc}"})
                continue
            if pid == 0:
                others = [listener.sock] + [c for c, _ in listener.clients.values() if c is not conn]
                if listener.template is not None and listener.template.alive():
                    others.append(listener.template.sock)
                fork_server.become_kernel(request, watch=conn, close=others)
            # a worker gone before the reply: its kernel watches the same connection and follows it
            _send(f, {"pid": pid})
            _log(f"forked kernel {pid} in {request.get('cwd')}")
        if not events:
            kept_worker.maybe_start_template(listener)
        if not listener.clients:
            gone = bool(listener.home) and not os.path.isdir(listener.home)
            why = ("its build folder was removed" if gone else "its socket was replaced" if not listener.ours()
                   else "a newer server serves this build folder" if listener.superseded()
                   else f"no build for {listener.idle:g} s" if time.monotonic() - listener.last > listener.idle
                   else None)
            if why:
                listener.leave(why)


if __name__ == "__main__":
    serve(sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4:])
