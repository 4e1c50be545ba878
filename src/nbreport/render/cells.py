"""Small readers of notebook cells and outputs, shared by rendering and by nbreport.execution.outcome."""
from __future__ import annotations

import json
import re

SURROGATE = re.compile("[\ud800-\udfff]")


_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def strip_ansi(text) -> str:
    """Remove terminal escape sequences (colours, cursor moves, OSC titles) that would show as junk on a page.

    Parameters
    ----------
    text : object
        Output text; None counts as ``""``, anything else is passed through ``str``.

    Returns
    -------
    str
        The text without escape sequences.
    """
    return _ANSI.sub("", "" if text is None else str(text))


def source(cell) -> str:
    """Give a cell's source as one string (nbformat stores it as a string or a list of lines).

    Parameters
    ----------
    cell : dict
        A notebook cell (or any mapping with ``source``).

    Returns
    -------
    str
        The joined source; ``""`` when there is none.
    """
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def plain(text) -> str:
    """Make output text safe to print and compare: lone surrogates replaced, escape sequences removed.

    Parameters
    ----------
    text : object
        Output text; None counts as ``""``.

    Returns
    -------
    str
        The cleaned text (a lone surrogate would make UTF-8 writing fail).
    """
    return strip_ansi(SURROGATE.sub("\ufffd", "" if text is None else str(text)))


def output_texts(out) -> list[str]:
    """List the texts of one cell output, so checks can search outputs without knowing their kinds.

    Parameters
    ----------
    out : dict
        A notebook output (stream, error, display_data or execute_result).

    Returns
    -------
    list of str
        Stream text; error value and traceback lines; or each ``text/*`` and JSON datum (JSON
        data dumped with sorted keys).
    """
    if out.get("output_type") == "stream":
        return [source({"source": out.get("text", "")})]
    if out.get("output_type") == "error":
        return [str(out.get("evalue", ""))] + [str(t) for t in out.get("traceback", [])]
    return [source({"source": v}) if isinstance(v, (str, list)) and not k.endswith(("+json", "/json"))
            else v if isinstance(v, str) else json.dumps(v, sort_keys=True)  # JSON data is stored as JSON
            for k, v in (out.get("data") or {}).items() if k.startswith("text/") or k.endswith(("+json", "/json"))]


