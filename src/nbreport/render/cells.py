"""Small readers of notebook cells and outputs, shared by rendering and by nbreport.execution.outcome."""
from __future__ import annotations

import json
import re

SURROGATE = re.compile("[\ud800-\udfff]")


_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def strip_ansi(text) -> str:
    """Text without terminal escape sequences (colours, cursor moves, OSC titles)."""
    return _ANSI.sub("", "" if text is None else str(text))


def source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def plain(text) -> str:
    return strip_ansi(SURROGATE.sub("\ufffd", "" if text is None else str(text)))


def output_texts(out) -> list[str]:
    if out.get("output_type") == "stream":
        return [source({"source": out.get("text", "")})]
    if out.get("output_type") == "error":
        return [str(out.get("evalue", ""))] + [str(t) for t in out.get("traceback", [])]
    return [source({"source": v}) if isinstance(v, (str, list)) and not k.endswith(("+json", "/json"))
            else v if isinstance(v, str) else json.dumps(v, sort_keys=True)  # JSON data is stored as JSON
            for k, v in (out.get("data") or {}).items() if k.startswith("text/") or k.endswith(("+json", "/json"))]


