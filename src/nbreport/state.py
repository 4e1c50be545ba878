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

