"""build/state.json: what each run and the extension's results job last produced, on which inputs."""
from __future__ import annotations

import json
import os

from nbreport.config import Config
from nbreport.status import storage_error

STATE_VERSION = 2


def _valid_state(state) -> bool:
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        return False
    runs, claims = state.get("runs"), state.get("claims", {})
    if not isinstance(runs, dict) or not isinstance(claims, dict):
        return False
    for entry in runs.values():
        if not isinstance(entry, dict) or not isinstance(entry.get("inputs", {}), dict):
            return False
        if not isinstance(entry.get("error") or {}, dict) or not isinstance(entry.get("warnings") or [], list):
            return False
    return True


def load_state(cfg: Config, notes: list[str] | None = None) -> dict:
    """build/state.json, or an empty state when it is missing, unreadable or not in this format.

    A hand-edited or truncated file means "no state": every run is executed again.

    Parameters
    ----------
    cfg : Config
        The build's configuration.
    notes : list of str, optional
        Receives a sentence when an unreadable file was set aside.

    Returns
    -------
    dict
        ``version``, ``runs`` (by run id) and ``claims`` (the extension's results job).
    """
    empty = {"version": STATE_VERSION, "runs": {}, "claims": {}}
    try:
        text = cfg.state_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return empty
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or str(exc)
    else:
        try:
            state = json.loads(text)
        except ValueError as exc:
            why = f"not valid JSON ({exc})"
        else:
            if _valid_state(state):
                return state
            why = "not in the format this builder writes"
    if notes is not None:
        notes.append(f"{cfg.state_file} was unreadable ({why}); treated as no state, so every report is executed again")
    return empty


def save_state(cfg: Config, state: dict) -> None:
    """Write build/state.json atomically; on failure the temporary file is removed.

    Parameters
    ----------
    cfg : Config
        The build's configuration.
    state : dict
        The state to write (JSON-able).

    Raises
    ------
    StorageError
        Naming the file and the fault in words (disk full, read-only ...).
    """
    tmp = cfg.state_file.with_name(f".state.{os.getpid()}.tmp")
    try:
        cfg.build.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, cfg.state_file)
    except OSError as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        raise storage_error(exc, cfg.state_file) from None


DATA_CHECK = "data-check.json"  # in build/cache: the digest under which the extension's data check was clean


def checked_data(cfg: Config, ext) -> list[str]:
    """The extension's data check (``check_data``), skipped when it was clean on these very inputs.

    Why: the check reads every data file (about 0.15 s), and a one-notebook rebuild pays it before
    anything runs. A clean result is kept in build/cache under a digest of data/, the extension's
    package (which holds the check) and the pins; any change there checks again. Problems are
    never kept: they are found, and worded, afresh in every build.

    Parameters
    ----------
    cfg : Config
        The build's configuration (its root and build folder).
    ext : nbreport.extension.Extension
        The collection's extension.

    Returns
    -------
    list of str
        The check's messages; empty when the data are clean.
    """
    from nbreport.fingerprint import digest, hash_file, hash_tree

    package = ext.package_dir()
    key = digest([hash_tree(cfg.root / "data"), hash_tree(package) if package else "none",
                  hash_file(cfg.root / "environment.yml")])
    stamp = cfg.build / "cache" / DATA_CHECK
    try:
        if json.loads(stamp.read_text(encoding="utf-8")) == {"key": key, "problems": []}:
            return []
    except (OSError, ValueError):
        pass
    problems = ext.call("check_data", cfg.root, default=[])
    if not problems and cfg.build.is_dir():  # --check before any build writes nothing
        from nbreport.render import atomic_write

        try:
            atomic_write(stamp, json.dumps({"key": key, "problems": []}).encode("utf-8"))
        except OSError:
            pass  # not kept: the next build checks again
    return problems
