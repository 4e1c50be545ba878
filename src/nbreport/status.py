"""Words for a build's faults and a run's state, shared by the runner, the site and the CLI.

Standard library only (and nbreport.render.cells, which is too): every other module may import it.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass, field
from pathlib import Path

from nbreport.render.cells import strip_ansi  # noqa: F401  (the CLI and the runner use it from here)


class BuildError(RuntimeError):
    """The build cannot start (bad manifest, bad parameters, locked, read-only folder); nothing was executed."""


class StorageError(BuildError):
    """A file of the build could not be written (full disk, read-only folder); the site was left as it was."""


class Interrupted(BaseException):
    """SIGTERM or Ctrl-C during a build.

    ``line_ended`` is True when the progress bar, closed as the build stopped, ended the terminal's
    line: its cursor then stands at the start of a line (the runner sets it; the CLI reads it).
    """

    line_ended = False


def storage_error(exc: OSError, path: Path | str | None = None) -> StorageError:
    """A StorageError that names the file and says what went wrong in words.

    Parameters
    ----------
    exc : OSError
        The failure.
    path : Path or str, optional
        The file, when the error does not name it.

    Returns
    -------
    StorageError
        ``'cannot write <file>: the disk is full'`` and the like.
    """
    where = exc.filename or path or "a build file"
    words = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
             errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
             errno.EPERM: "operation not permitted"}.get(exc.errno, exc.strerror or str(exc))
    return StorageError(f"cannot write {where}: {words}")


def run_status(s: dict | None, fingerprint: str) -> str:
    """What a run's page is, from its state entry: ok | warnings | failed | stale | missing.

    A run recorded on other inputs than today's is stale, whether it passed or failed then:
    an old failure is not a current failure once the data are fixed.

    Parameters
    ----------
    s : dict or None
        The run's entry in build/state.json.
    fingerprint : str
        The run's fingerprint now.

    Returns
    -------
    str
        One of ``ok``, ``warnings``, ``failed``, ``stale``, ``missing``.
    """
    if not s:
        return "missing"
    if s.get("fingerprint") != fingerprint:
        return "stale"
    status = s.get("status", "failed")
    if status == "ok" and s.get("warnings"):
        return "warnings"
    return status


def describe_error(err: dict | None) -> str:
    """One line for a run's error, without terminal escape codes (shared by the log and the site).

    Parameters
    ----------
    err : dict or None
        The run's recorded error (``kind``, ``cell_number``, ``ename``, ``evalue``, ``message``).

    Returns
    -------
    str
        E.g. ``"cell [3] raised ValueError: ..."``; ``"failed"`` without details.
    """
    if not isinstance(err, dict) or not err:
        return "failed"
    where = f"cell [{err['cell_number']}]" if err.get("cell_number") else "the notebook"
    kind = err.get("kind")
    if kind == "error":
        text = f"{where} raised {err.get('ename')}: {err.get('evalue')}".rstrip(": ")
    elif kind in ("timeout", "stopped", "encoding"):
        text = f"{where} {err.get('message', 'timed out')}"
    else:
        text = err.get("message") or kind or "failed"
    return " ".join(strip_ansi(text).split())


@dataclass
class Outcome:
    """What became of one run in this build: what the CLI prints and the exit status counts.

    Parameters
    ----------
    id, notebook : str
        The run's id, and its notebook's path as the manifest names it.
    action : str
        What this build did: executed, rendered, reused or not-run.
    status : str
        The run's page now (nbreport.status.run_status): ok, warnings, failed, stale or missing.
    reason : str, default ""
        Why it was executed or rendered ("data changed", "forced" ...).
    error : dict or None, default None
        The recorded failure (nbreport.execution.outcome.mark_failure).
    duration : float, default 0.0
        Seconds the last execution took.
    warnings : list of str, default []
        What the run's page shows as warnings (stderr, cut output ...).
    """
    id: str
    notebook: str
    action: str            # executed | rendered | reused | not-run
    status: str            # ok | failed | stale | missing
    reason: str = ""
    error: dict | None = None
    duration: float = 0.0
    warnings: list[str] = field(default_factory=list)
