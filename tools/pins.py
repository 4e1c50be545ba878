"""Read the pins in environment.yml and print them as pip requirements.

environment.yml is the one place the versions live; the pip path (no conda on
the machine) installs exactly these. Standard library only: this runs before
the virtual environment exists.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from their PyPI names
CONDA_TO_PYPI = {"jupyter_client": "jupyter-client"}
SKIP = {"python", "pip"}
_PIN = re.compile(r"^\s*-\s*([A-Za-z0-9_.\-]+)\s*=\s*([0-9][A-Za-z0-9.\-]*)\s*$")


def conda_pins(path: Path = ROOT / "environment.yml") -> dict[str, str]:
    """Return {pypi_name: version} for every pinned conda dependency."""
    pins: dict[str, str] = {}
    in_deps = False
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        if not in_deps or not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            break
        if line.strip() in ("- pip", "- pip:") or line.startswith("      "):
            continue
        m = _PIN.match(line)
        if not m:
            raise SystemExit(f"{path}:{lineno}: expected '  - name=version', got {line.strip()!r}")
        name, version = m.groups()
        if name in SKIP:
            continue
        pins[CONDA_TO_PYPI.get(name, name)] = version
    if not pins:
        raise SystemExit(f"{path}: no pinned dependencies found")
    return pins


if __name__ == "__main__":
    for name, version in conda_pins().items():
        print(f"{name}=={version}")
    sys.exit(0)
