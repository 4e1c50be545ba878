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
    """{name: finding} of a record ({} for None)."""
    return {f["name"]: f for f in (record or {}).get("findings", [])}


def headline(record: dict | None, name: str | None = None) -> dict | None:
    """The finding called `name`, else the record's headline, else its first finding; None if none."""
    found = by_name(record)
    key = name or (record or {}).get("headline")
    if key in found:
        return found[key]
    return None if name else next(iter(found.values()), None)


def fmt(f: dict | None, x: float | None = None) -> str:
    """A number of finding `f` (its value by default) formatted as the notebook does (``round``, ``format``)."""
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
    """The unit to print after a finding's numbers: none when its format already says it (a percent)."""
    if not f or str(f.get("format") or "").endswith("%"):
        return ""
    return str(f.get("unit") or "")


def interval_text(f: dict | None) -> str:
    """'lo to hi' of a finding's interval, or '' when it has none."""
    if not f or f.get("low") is None or f.get("high") is None:
        return ""
    return f"{fmt(f, f['low'])} to {fmt(f, f['high'])}"
