"""The environment matches its one spec (environment.yml) and is set up as the README promises."""
import importlib.metadata as md
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import pins  # noqa: E402


def test_installed_packages_match_environment_yml():
    drift = {}
    for name, wanted in pins.conda_pins().items():
        try:
            have = md.version(name)
        except md.PackageNotFoundError:
            have = "not installed"
        if have != wanted:
            drift[name] = (wanted, have)
    assert not drift, f"installed packages drift from environment.yml (wanted, installed): {drift}"


def test_pins_are_exact_and_cover_the_stack():
    pinned = pins.conda_pins()
    for core in ("jupyterlab", "pandas", "seaborn", "statsmodels", "papermill", "nbval", "pytest"):
        assert core in pinned, f"{core} is not pinned in environment.yml"
    assert all(re.fullmatch(r"\d+(\.\d+)+", v) for v in pinned.values()), pinned


def test_pyproject_holds_no_second_set_of_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == [], "versions belong in environment.yml only"


def test_environment_yml_installs_the_project_editable():
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s+- pip:\s*\n\s+- -e \.\s*$", text, re.M), "pip section must install the project with -e ."
    assert "conda-forge" in text


def test_malformed_pin_line_is_named(tmp_path):
    bad = tmp_path / "environment.yml"
    bad.write_text("name: x\ndependencies:\n  - pandas>=3\n")
    with pytest.raises(SystemExit, match=r"environment.yml:3: expected"):
        pins.conda_pins(bad)


def test_bytecode_was_compiled_at_install():
    import pandas

    cache = Path(pandas.__file__).parent / "__pycache__"
    tag = sys.implementation.cache_tag
    assert any(p.name.endswith(f".{tag}.pyc") for p in cache.glob("*.pyc")), \
        f"no compiled bytecode in {cache}: imports will be 2-3 times slower"


def test_make_help_lists_every_target_with_a_line():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    makefile = (ROOT / "Makefile").read_text()
    targets = re.findall(r"^([a-z][a-z-]*):[^=\n]*## ", makefile, re.M)
    assert {"report", "test", "lab", "bench", "help"} <= set(targets)
    for target in targets:
        assert re.search(rf"make {re.escape(target)}\s+\S", out), f"make help does not describe {target}"
