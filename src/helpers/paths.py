"""Every folder the collection reads or writes, derived from the repository root.

Notebooks import these instead of writing relative paths, so they run the same
from JupyterLab, papermill, pytest or the report builder, whatever the working
directory.
"""
from __future__ import annotations

import os
from pathlib import Path


def _find_root() -> Path:
    env = os.environ.get("NBREPORT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "data").is_dir() and (parent / "notebooks").is_dir():  # datapackage.json checked by helpers.data
            return parent
    raise RuntimeError(
        f"cannot find the repository root above {here}: expected a folder holding "
        "data/ and notebooks/ (set NBREPORT_ROOT to point at it)"
    )


ROOT = _find_root()
DATA = ROOT / "data"
DATAPACKAGE = DATA / "datapackage.json"
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build"
SITE = ROOT / "site"
MANIFEST = ROOT / "notebooks" / "manifest.yml"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
