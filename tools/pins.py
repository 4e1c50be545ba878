"""Read the pins in environment.yml and print them as pip requirements.

environment.yml is the one place the versions live. Its conda section pins
packages under their conda-forge names (``  - name=version``); its ``pip:``
section pins, under their PyPI names, the packages conda-forge names
differently or does not carry at that version (``      - name==version``); a
comment line ``# isolated: name==version`` pins a tool that runs in its own
throw-away environment (``uv tool run``) because its dependencies conflict with
the stack. The pip path (no conda on the machine) installs the first two
sections exactly. Standard library only: this runs before the virtual
environment exists.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / "environment.yml"
# conda-forge names that differ from their PyPI names (for packages in the conda section)
CONDA_TO_PYPI = {"jupyter_client": "jupyter-client"}
SKIP = {"python", "pip"}
_NAME = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
_VERSION = r"[0-9][A-Za-z0-9.\-]*"
_CONDA_PIN = re.compile(rf"^  - ({_NAME})=({_VERSION})\s*$")
_PIP_PIN = re.compile(rf"^      - ({_NAME})==({_VERSION})\s*$")
_ISOLATED = re.compile(rf"^# isolated: ({_NAME})==({_VERSION})\s*$")


def _norm(name: str) -> str:
    """PEP 503 normalised name: lower case, runs of -_. as one '-'."""
    return re.sub(r"[-_.]+", "-", name).lower()


def sections(path: Path = ENV_FILE) -> dict[str, dict[str, str]]:
    """Return {"conda": {conda_name: version}, "pip": {pypi_name: version}, "isolated": {...}}.

    Raises SystemExit naming the file and line when a line is not in one of the
    expected forms, or when a package is pinned twice.
    """
    out: dict[str, dict[str, str]] = {"conda": {}, "pip": {}, "isolated": {}}
    seen: dict[str, int] = {}
    state = "top"
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        where = f"{path}:{lineno}"
        m = _ISOLATED.match(line)
        if m:
            kind, (name, version) = "isolated", m.groups()
        elif not line.strip() or line.lstrip().startswith("#"):
            continue
        elif line.startswith("dependencies:"):
            state = "conda"
            continue
        elif state == "top" or not line.startswith(" "):
            state = "top" if state == "top" else "done"
            continue
        elif line.strip() == "- pip":
            continue
        elif line.strip() == "- pip:":
            state = "pip"
            continue
        elif line.strip() == "- -e .":
            continue
        elif line.startswith("      ") and state == "pip":
            m = _PIP_PIN.match(line)
            if not m:
                raise SystemExit(f"{where}: expected '      - name==version' in the pip section, "
                                 f"got {line.strip()!r}")
            kind, (name, version) = "pip", m.groups()
        else:
            m = _CONDA_PIN.match(line)
            if not m or state != "conda":
                raise SystemExit(f"{where}: expected '  - name=version' (conda-forge name), "
                                 f"got {line.strip()!r}")
            kind, (name, version) = "conda", m.groups()
        if name in SKIP:
            continue
        key = _norm(CONDA_TO_PYPI.get(name, name))
        if key in seen:
            raise SystemExit(f"{where}: {name} is already pinned on line {seen[key]}")
        seen[key] = lineno
        out[kind][name] = version
    if not out["conda"] and not out["pip"]:
        raise SystemExit(f"{path}: no pinned dependencies found")
    return out


def conda_pins(path: Path = ENV_FILE) -> dict[str, str]:
    """Return {pypi_name: version} for every package of the environment (conda and pip sections).

    The pip path installs exactly these; tools pinned ``# isolated:`` are not included.
    """
    secs = sections(path)
    pins = {CONDA_TO_PYPI.get(name, name): v for name, v in secs["conda"].items()}
    pins.update(secs["pip"])
    return pins


def isolated_pins(path: Path = ENV_FILE) -> dict[str, str]:
    """Return {pypi_name: version} for the tools run in an environment of their own."""
    return dict(sections(path)["isolated"])


if __name__ == "__main__":
    for name, version in conda_pins().items():
        print(f"{name}=={version}")
    sys.exit(0)
