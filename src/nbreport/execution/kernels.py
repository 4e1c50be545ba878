"""Kernels for the report workers: IPC transport, a write guard, and a way to kill them all.

The kernel setup decides how notebooks execute, so this sub-package (nbreport.execution) is an
execution input of every run's fingerprint: changing it re-runs every notebook.
"""
from __future__ import annotations

import itertools
import os
import shutil
import signal
import tempfile
import uuid

from nbreport.execution import forking

_ipc_dir: str | None = None
_counter = itertools.count()
_kernel_pids: set[int] = set()
kernel_env: dict[str, str] = {}  # set per job: the kernel's TMPDIR and its write guard's settings
_km_class = None
IOPUB_QUIET = 0.02  # s of IOPub silence that ends the wait for a new kernel (QuickReadyClient)

# IPython runs this in every kernel the build starts (IPYTHONDIR/profile_default/startup, written
# by nbreport.runner). An audit hook refuses, with a PermissionError that names the file, any write
# outside the folders listed in REPORT_WRITE_ALLOW (the run's work and temp folders under build/),
# and records the attempt in REPORT_WRITE_LOG, so a notebook that catches the error still fails.
# Byte-code caches (__pycache__) are let through. Writes it cannot see (a shell command, a C
# library) are caught afterwards by the runner's snapshot of data/ and notebooks/.
WRITE_GUARD = r"""# Installed by the report builder (nbreport.execution.kernels.WRITE_GUARD); do not edit.
def _report_write_guard():
    import os, sys
    allow = [os.path.realpath(p) for p in os.environ.get("REPORT_WRITE_ALLOW", "").split(os.pathsep) if p]
    log = os.environ.get("REPORT_WRITE_LOG")
    if not allow or not log:
        return
    wflags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    busy = []
    path_events = {"os.remove": (0,), "os.rename": (0, 1), "os.rmdir": (0,), "os.mkdir": (0,),
                   "os.truncate": (0,), "os.symlink": (1,), "os.link": (1,), "os.chmod": (0,),
                   "os.chown": (0,), "os.utime": (0,), "shutil.rmtree": (0,), "shutil.copyfile": (1,),
                   "shutil.copytree": (1,), "shutil.move": (0, 1)}

    def outside(path):
        if path is None or isinstance(path, int):
            return None
        try:
            full = os.path.realpath(os.fsdecode(path))
        except Exception:
            return None
        if "__pycache__" in full.split(os.sep):
            return None
        if any(full == a or full.startswith(a + os.sep) for a in allow):
            return None
        return full

    def refuse(full, what):
        if not busy:
            busy.append(1)
            try:
                with open(log, "a", encoding="utf-8", errors="replace") as f:
                    f.write(what + "\t" + full + "\n")
            except OSError:
                pass
            finally:
                busy.clear()
        raise PermissionError(13, "the report build lets a notebook write only in its work folder under build/, "
                              "not " + full + " (" + what + ")", full)

    def hook(event, args):
        if busy:
            return
        if event == "open":
            path, mode, flags = (list(args) + [None, None, 0])[:3]
            writes = any(c in mode for c in "wax+") if isinstance(mode, str) else bool((flags or 0) & wflags)
            if writes:
                full = outside(path)
                if full:
                    refuse(full, "open for writing")
        elif event in path_events:
            for i in path_events[event]:
                full = outside(args[i]) if i < len(args) else None
                if full:
                    refuse(full, event)

    sys.addaudithook(hook)


_report_write_guard()
del _report_write_guard
"""


# --------------------------------------------------------------------------- kernels

def _ipc_path() -> str:
    """A fresh socket path prefix per kernel, in this worker's private folder (short: AF_UNIX limit)."""
    global _ipc_dir
    if _ipc_dir is None:
        # the worker's pid in the name lets the next build sweep the folder if this one is killed
        _ipc_dir = tempfile.mkdtemp(prefix=f"rek-{os.getpid()}-", dir="/tmp" if os.path.isdir("/tmp") else None)
    return os.path.join(_ipc_dir, f"k{next(_counter)}")


def _forget_inherited_kernels() -> None:
    """In a forked child (a report worker forked from a process that ran kernels itself, such as a
    test session): its own socket folder and kernel list, not the parent's. With the parent's folder
    and counter, two workers forked from it named their kernels' sockets alike, the kernels bound the
    same paths, and a kernel got the other's messages ("Invalid Signature") and never became ready."""
    global _ipc_dir, _counter
    _ipc_dir, _counter = None, itertools.count()
    _kernel_pids.clear()  # the parent's kernels are the parent's to kill
    kernel_env.clear()


os.register_at_fork(after_in_child=_forget_inherited_kernels)


def kernel_manager_class():
    """AsyncKernelManager on IPC transport, each kernel with its own socket files.

    Passed to papermill (and from there to nbclient) as ``kernel_manager_class``.
    Without a unique ``ip`` two kernels started at once both take ``kernel-ipc-1..5``
    in the working directory and talk to each other's sockets. With ``forking.preimport`` set,
    each kernel is forked from the worker's fork server (nbreport.execution.forking).

    Returns
    -------
    type
        A subclass of ``jupyter_client.manager.AsyncKernelManager``, built once per process
        (jupyter_client is imported on first call, only in workers).
    """
    global _km_class
    if _km_class is None:
        from jupyter_client.asynchronous import AsyncKernelClient
        from jupyter_client.manager import AsyncKernelManager
        from traitlets import Type, default

        class QuickReadyClient(AsyncKernelClient):
            """jupyter_client's client, but its wait for a new kernel reads IOPub with at most
            IOPUB_QUIET s of silence (0.2 s there): the wait ends with a flush that waits for 0.2 s
            without a message, 0.2 s of every run's kernel start (measured: 0.39 of the 0.55 s a
            one-cell notebook takes). The kernel is ready just the same: its kernel_info reply
            and an IOPub message (the welcome on subscribing) have both arrived."""

            async def wait_for_ready(self, timeout=None):  # type: ignore[override]
                channel = self.iopub_channel
                real = channel.get_msg

                async def quick(timeout=None):
                    return await real(timeout=None if timeout is None else min(timeout, IOPUB_QUIET))

                channel.get_msg = quick
                try:
                    await super().wait_for_ready(timeout)
                finally:
                    del channel.get_msg

        class IPCKernelManager(AsyncKernelManager):
            client_factory = Type(QuickReadyClient, klass=AsyncKernelClient, config=True)

            @default("transport")
            def _default_transport(self):
                return "ipc"

            @default("ip")
            def _default_ip(self):
                return _ipc_path()

            async def start_kernel(self, **kw):  # type: ignore[override]
                if kernel_env:
                    kw["env"] = {**(kw.get("env") or os.environ), **kernel_env}
                if self.provisioner is None and forking.preimport:
                    # a warm kernel: forked from the worker's pre-imported fork server (forking.py)
                    self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
                    self.provisioner = forking.provisioner_class()(
                        kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
                await super().start_kernel(**kw)
                pid = getattr(getattr(self.provisioner, "process", None), "pid", None)
                if pid:
                    self._report_pid = pid
                    _kernel_pids.add(pid)

            async def _async_wait(self, pollinterval: float = 0.1) -> None:
                # jupyter_client polls a killed kernel every 0.1 s: 0.1 s of every run (papermill kills
                # the kernel once the last cell is done); 0.01 s here
                await super()._async_wait(pollinterval=min(pollinterval, 0.01))

            async def shutdown_kernel(self, now: bool = False, restart: bool = False):  # type: ignore[override]
                try:
                    await super().shutdown_kernel(now=now, restart=restart)
                finally:
                    _kernel_pids.discard(getattr(self, "_report_pid", None))

        _km_class = IPCKernelManager
    return _km_class


def kill_kernels() -> None:
    """Kill every kernel this worker started (its whole process group)."""
    for pid in list(_kernel_pids):
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
                break
            except (ProcessLookupError, PermissionError, OSError):
                continue
        _kernel_pids.discard(pid)
    forking.close_servers()
    if _ipc_dir:
        shutil.rmtree(_ipc_dir, ignore_errors=True)


