"""Findings as data: named numbers a notebook records, read from the executed notebook by mimetype.

A notebook records its findings by displaying one output of the mimetype `MIMETYPE` (any code
can: ``IPython.display.display({MIMETYPE: record}, raw=True)``); nbformat stores it as JSON::

    {"version": 1, "headline": "<name>", "findings": [
        {"name": ..., "label": ..., "value": 1.0, "unit": ..., "low": 0.5, "high": 1.5,
         "level": 0.9, "interval": "prediction interval", "format": ",.0f", "round": -3}],
     "context": {...}}

The builder keeps the record of each run in build/state.json (``findings``); the sensitivity pages
(nbreport.sweep) and the tests read that one format. Standard library only.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

MIMETYPE = "application/vnd.nbreport.findings+json"


def read(notebook: Path | str | dict) -> dict | None:
    """The last findings record in an executed notebook (a path or its JSON), or None.

    Parameters
    ----------
    notebook : path or dict
        The executed .ipynb, or its parsed JSON.

    Returns
    -------
    dict or None
        The record with only well-formed findings kept (a name and a number or null value).
    """
    try:
        nb = notebook if isinstance(notebook, dict) else json.loads(Path(notebook).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = None
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []) or []:
            data = out.get("data") or {}
            if MIMETYPE in data:
                found = data[MIMETYPE]
    if isinstance(found, str):  # a front end may store JSON as text
        try:
            found = json.loads(found)
        except ValueError:
            return None
    if not isinstance(found, dict) or not isinstance(found.get("findings"), list):
        return None
    keep = [f for f in found["findings"] if isinstance(f, dict) and isinstance(f.get("name"), str)
            and (f.get("value") is None or isinstance(f.get("value"), (int, float)))]
    return {**found, "findings": keep}


def by_name(record: dict | None) -> dict[str, dict]:
    """Index a findings record by finding name, so pages look findings up by the name the notebook gave.

    Parameters
    ----------
    record : dict or None
        A findings record as read by this module (``{"findings": [...], ...}``), or None.

    Returns
    -------
    dict of str to dict
        ``{name: finding}``; empty for None or a record without findings.
    """
    return {f["name"]: f for f in (record or {}).get("findings", [])}


def headline(record: dict | None, name: str | None = None) -> dict | None:
    """Pick the finding a page or sweep shows: the one asked for, else the record's headline, else the first.

    Parameters
    ----------
    record : dict or None
        A findings record, or None when the run wrote none.
    name : str, optional
        The finding wanted (a sweep's ``headline``); when given, no fallback is used, so a sweep never
        charts another quantity than the one it names.

    Returns
    -------
    dict or None
        The finding, or None when there is none to show.
    """
    found = by_name(record)
    key = name or (record or {}).get("headline")
    if key in found:
        return found[key]
    return None if name else next(iter(found.values()), None)


def fmt(f: dict | None, x: float | None = None) -> str:
    """Format a number of a finding the way the notebook printed it, so page and notebook agree.

    Parameters
    ----------
    f : dict or None
        The finding; its ``round`` (digits for ``round``) and ``format`` (a ``format`` spec,
        default ``",.3g"``) are applied.
    x : float, optional
        The number to format (a bound of the interval); the finding's value by default.

    Returns
    -------
    str
        The formatted number, or ``"n/a"`` for a missing or non-finite number.
    """
    if f is None:
        return "n/a"
    x = f.get("value") if x is None else x
    if x is None or not isinstance(x, (int, float)) or not math.isfinite(x):
        return "n/a"
    if f.get("round") is not None:
        x = round(x, int(f["round"]))
    try:
        return format(x, f.get("format") or ",.3g")
    except (TypeError, ValueError):
        return format(x, ",.3g")


def unit_text(f: dict | None) -> str:
    """Give the unit to print after a finding's numbers: none when its format already says it (a percent).

    Parameters
    ----------
    f : dict or None
        The finding.

    Returns
    -------
    str
        Its ``unit`` (for example ``"t REO"``), or ``""``.
    """
    if not f or str(f.get("format") or "").endswith("%"):
        return ""
    return str(f.get("unit") or "")


def interval_text(f: dict | None) -> str:
    """Write a finding's interval as 'lo to hi', with the bounds formatted like its value.

    Parameters
    ----------
    f : dict or None
        The finding, with ``low`` and ``high`` when it has an interval.

    Returns
    -------
    str
        ``"lo to hi"``, or ``""`` when either bound is missing.
    """
    if not f or f.get("low") is None or f.get("high") is None:
        return ""
    return f"{fmt(f, f['low'])} to {fmt(f, f['high'])}"
