"""`pip install -e .` in a fresh virtual environment gives a working `helpers` and runs a notebook.

pyproject.toml must declare everything the package and the notebooks import: a package
missing from `[project] dependencies` makes this test fail with its ImportError. The install
goes through uv's pip interface (the same metadata, the same resolver rules as pip) with the
pins of environment.yml as constraints, so it is served from uv's cache (`make env` fills it).
Measured 2026-11-30 on the shared 2-core machine at load 15: the install 5 to 9 s (pip itself,
same command: 3 to 5 minutes), the whole module about 60 s wall, 13 s of CPU. Marked
`install`; `make test` runs it.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import pins  # noqa: E402

pytestmark = pytest.mark.install
UV = Path(sys.executable).parent / "uv"
NOTEBOOK = "notebooks/articles/2019-11-12_caixin_quota-rise.ipynb"

LOAD = """
import sys
import helpers
from helpers import data, claims, paths
assert paths.ROOT.samefile(sys.argv[1]), paths.ROOT
quotas = data.load_table("quotas")
assert len(quotas) > 10 and str(quotas["value"].dtype) == "float64", quotas.dtypes
print("loaded", len(quotas), "quota rows;", claims.summary())
"""


def _env(tmp: Path) -> dict:
    """The caller's environment without the repository hints, and with bytecode written: the fresh
    venv's packages compile on first import, so the notebook's kernel imports them compiled."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("NBREPORT_ROOT", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    env["MPLCONFIGDIR"] = str(tmp / "mpl")
    return env


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    """A new virtual environment with only `pip install -e .` (runtime dependencies, no extras)."""
    tmp = tmp_path_factory.mktemp("fresh-venv")
    venv = tmp / "venv"
    pinned = tmp / "pins.txt"
    pinned.write_text("".join(f"{n}=={v}\n" for n, v in pins.conda_pins().items()))
    start = time.perf_counter()
    _run([str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)])
    # the project with its declared dependencies only; the pins constrain versions, add nothing
    _run([str(UV), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
          "--constraint", str(pinned), "--editable", str(REPO)])
    elapsed = time.perf_counter() - start
    print(f"fresh venv with pip install -e . in {elapsed:.1f} s")
    return venv


def test_fresh_install_has_no_test_or_lab_extras(fresh_venv):
    # the install is really minimal: what works below works without the extras
    proc = subprocess.run([str(fresh_venv / "bin" / "python"), "-c", "import pytest"], capture_output=True)
    assert proc.returncode != 0
    proc = subprocess.run([str(fresh_venv / "bin" / "python"), "-c", "import jupyterlab"], capture_output=True)
    assert proc.returncode != 0


def test_fresh_install_imports_helpers_and_loads_the_data(fresh_venv, tmp_path):
    proc = _run([str(fresh_venv / "bin" / "python"), "-c", LOAD, str(REPO)], cwd=tmp_path, env=_env(tmp_path))
    assert "loaded" in proc.stdout and "numbers reproduce" in proc.stdout, proc.stdout


def test_fresh_install_executes_a_notebook_with_papermill(fresh_venv, tmp_path):
    out = tmp_path / "out.ipynb"
    _run([str(fresh_venv / "bin" / "papermill"), str(REPO / NOTEBOOK), str(out), "-p", "months_around", "6",
          "--cwd", str(tmp_path)], env=_env(tmp_path))
    assert out.stat().st_size > 10_000
