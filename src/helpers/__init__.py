"""Shared code for the rare-earth research notebooks.

Domain sub-packages: ``data`` (schema, loaders, data dictionary), ``claims`` (checking the
numbers articles state), ``models`` (quota and export models, results, findings text),
``plots`` (theme and charts); modules ``parameters``, ``narrative``, ``articles``,
``units``, ``paths`` and ``drafting``. The report builder lives beside them for now.

``helpers.charts`` and ``helpers.figures`` are the historical names of
``helpers.plots.theme`` and ``helpers.plots.figures``; they resolve lazily here so that
``from helpers import charts, figures`` keeps working without loading matplotlib for
code that does not draw.
"""
from __future__ import annotations

import importlib
import sys

_ALIASES = {"charts": "helpers.plots.theme", "figures": "helpers.plots.figures"}


def __getattr__(name: str):
    """``helpers.charts`` / ``helpers.figures``: the plot modules under their historical names."""
    if name in _ALIASES:
        module = importlib.import_module(_ALIASES[name])
        sys.modules.setdefault(f"helpers.{name}", module)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
