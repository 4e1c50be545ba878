"""Guards around a build: writable folders, one build at a time, leftover kernel sockets, and the
snapshot of the folders a notebook must not write (data/, notebooks/)."""
from __future__ import annotations

import fcntl
import os
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path

from nbreport.status import BuildError


def check_writable(folder: Path, what: str) -> None:
    """Refuse a folder that cannot be written before anything runs.

    That is a folder, or a folder inside it, whose owner has taken write permission away
    (honoured even when running as root, who could write anyway), or that this process cannot
    write; and a missing folder whose parent cannot be written.

    Parameters
    ----------
    folder : Path
        The folder the build will write (build/, site/).
    what : str
        How messages name it.

    Raises
    ------
    BuildError
        Naming the folder and the fix.
    """
    target = folder
    while not target.exists() and target.parent != target:
        target = target.parent
    if not target.is_dir():  # a file where the folder (or one above it) belongs: no chmod will help
        raise BuildError(f"{target} is a file, so {what} cannot be written {'there' if target == folder else 'inside it'}; "
                         "expected a folder (choose another path, or move the file); nothing was executed and the "
                         "site was left as it was")
    dirs = [target]
    if target == folder:
        for base, subdirs, _ in os.walk(folder):
            dirs += [Path(base) / d for d in subdirs if not (Path(base) / d).is_symlink()]
    for d in dirs:
        try:
            mode = d.stat().st_mode
        except OSError:
            continue
        if not mode & stat.S_IWUSR or not os.access(d, os.W_OK | os.X_OK):
            raise BuildError(f"{d} is read-only (mode {stat.filemode(mode)}), so {what} cannot be written; "
                             f"make it writable (chmod -R u+w {d}) or choose another folder; nothing was "
                             "executed and the site was left as it was")
    if folder.exists() and folder.parent != folder:
        parent = folder.parent  # the site is swapped in by renaming beside it
        mode = parent.stat().st_mode
        if not mode & stat.S_IWUSR or not os.access(parent, os.W_OK | os.X_OK):
            raise BuildError(f"{parent} is read-only (mode {stat.filemode(mode)}), so {what} cannot be replaced; "
                             "nothing was executed and the site was left as it was")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def sweep_kernel_leftovers(tmp: str | None = None, old: float = 600.0) -> list[str]:
    """Remove the kernel socket folders (rek-<worker pid>-*) a killed build left in the temp dir.

    A folder is removed only when none of its sockets is bound by a live process (/proc/net/unix
    lists every bound socket path) and the worker that made it is gone (or, for a folder without
    a pid in its name, it is older than `old` seconds): a concurrent build keeps its own, even in
    the moment between making the folder and binding the first socket.

    Parameters
    ----------
    tmp : str, optional
        The temp dir (default /tmp, else the system's).
    old : float, default 600
        Age in seconds after which a folder without a pid counts as left over.

    Returns
    -------
    list of str
        The folders removed.
    """
    tmp = tmp or ("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir())
    try:
        with open("/proc/net/unix", encoding="utf-8", errors="replace") as f:
            bound = f.read()
    except OSError:
        return []
    removed = []
    for d in Path(tmp).glob("rek-*"):
        try:
            if not d.is_dir() or d.is_symlink() or d.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        if str(d) + "/" in bound:
            continue
        m = re.match(r"rek-(\d+)-", d.name)
        try:
            if m and _pid_alive(int(m.group(1))) or not m and time.time() - d.stat().st_mtime < old:
                continue
        except OSError:
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed.append(str(d))
    return removed


PROTECTED = ("data", "notebooks")


def protected_snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file under the folders a notebook must not write.

    Parameters
    ----------
    root : Path
        The repository (data/ and notebooks/ are read).

    Returns
    -------
    dict of str to (int, int)
        Path relative to root to ``(size, mtime_ns)``; compared before and after a run.
    """
    out = {}
    for top in PROTECTED:
        for base, dirs, files in os.walk(root / top):
            dirs[:] = [d for d in dirs if d not in (".ipynb_checkpoints", "__pycache__")]
            for name in files:
                path = Path(base) / name
                try:
                    st = path.stat()
                except OSError:
                    continue
                out[path.relative_to(root).as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


def _diff(before: dict, after: dict) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def _lock(cfg):
    cfg.build.mkdir(parents=True, exist_ok=True)
    fh = open(cfg.build / ".report.lock", "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise BuildError(f"another report build is running on {cfg.build} (lock file {cfg.build / '.report.lock'})")
    return fh

