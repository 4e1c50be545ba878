"""Shared code for the rare-earth research notebooks.

Domain sub-packages: ``data`` (schema, loaders, data dictionary), ``claims`` (checking the
numbers articles state), ``models`` (quota and export models, results, findings text),
``plots`` (theme and charts); modules ``parameters``, ``narrative``, ``articles``,
``units``, ``paths`` and ``drafting``; ``report_extension`` adds the claims, the data page and
the parameter checks to the report builder, which is a package of its own (``nbreport``).

``helpers.charts``, ``helpers.figures``, ``helpers.series`` and ``helpers.descriptor`` are the
historical names of ``helpers.plots.theme``, ``helpers.plots.figures``, ``helpers.models.series``
and ``helpers.data.descriptor``; they resolve lazily here so that ``from helpers import charts``
keeps working without loading matplotlib for code that does not draw.
"""
from __future__ import annotations

import importlib
import sys

_ALIASES = {"charts": "helpers.plots.theme", "figures": "helpers.plots.figures",
            "series": "helpers.models.series", "descriptor": "helpers.data.descriptor"}


def __getattr__(name: str):
    """A module under its historical name (``from helpers import charts``), imported on first use."""
    if name in _ALIASES:
        module = importlib.import_module(_ALIASES[name])
        sys.modules.setdefault(f"helpers.{name}", module)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
