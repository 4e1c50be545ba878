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


def _requirements():
    """{normalised name: (Requirement, group)} for pyproject's dependencies and every extra."""
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = {"runtime": project.get("dependencies", []), **project.get("optional-dependencies", {})}
    out = {}
    for group, reqs in groups.items():
        for text in reqs:
            req = Requirement(text)
            key = pins._norm(req.name)
            assert key not in out, f"pyproject.toml declares {req.name} twice ({out[key][1]} and {group})"
            out[key] = (req, group)
    return out


def test_pyproject_declares_every_pin_with_a_range_that_holds_it():
    declared = _requirements()
    pinned = {pins._norm(n): v for n, v in pins.conda_pins().items()}
    assert sorted(set(pinned) - set(declared)) == [], "pinned in environment.yml but not declared in pyproject.toml"
    assert sorted(set(declared) - set(pinned)) == [], "declared in pyproject.toml but not pinned in environment.yml"
    outside = {n: (pinned[n], str(req.specifier)) for n, (req, _) in declared.items()
               if not req.specifier.contains(pinned[n], prereleases=True)}
    assert not outside, f"environment.yml pins outside pyproject.toml's ranges (pin, range): {outside}"
    exact = [str(req) for req, _ in declared.values() if any(s.operator in ("==", "===") for s in req.specifier)]
    assert not exact, f"pyproject.toml holds ranges, not a second set of pins: {exact}"


# Imported only where an extra is installed (lazily, inside a function): module -> extra.
EXTRA_ONLY = {"playwright": "test",  # tools/sitecheck.py: the browser check of the built site
              "dask": "dask", "distributed": "dask"}  # nbreport.dask_executor, only with --scheduler/--local-cluster


def _imports(path: Path):
    """Top-level module names a Python file or a notebook's code cells import."""
    import ast
    import json

    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        sources = ["\n".join(l for l in s.splitlines() if not l.lstrip().startswith(("%", "!"))) for s in sources]
    else:
        sources = [path.read_text(encoding="utf-8")]
    for src in sources:
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Import):
                yield from (a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield node.module.split(".")[0]


def test_every_imported_package_is_pinned_and_helpers_needs_only_runtime_dependencies():
    dists = md.packages_distributions()
    declared = _requirements()
    packages = {p.name for p in (ROOT / "src").iterdir() if (p / "__init__.py").is_file()}  # helpers, nbreport
    local = (packages | {"conftest", "pins", "__future__"} | {p.stem for p in (ROOT / "tools").glob("*.py")}
             | {p.stem for p in (ROOT / "tests").glob("test_*.py")})  # a test may use another test file's helpers
    unpinned, not_runtime = {}, {}
    files = [*ROOT.glob("src/**/*.py"), *ROOT.glob("tools/*.py"), *ROOT.glob("tests/*.py"),
             *ROOT.glob("notebooks/**/*.ipynb")]
    assert len(files) > 20
    for path in files:
        for mod in _imports(path):
            if mod in sys.stdlib_module_names or mod in local:
                continue
            names = [pins._norm(d) for d in dists.get(mod, [mod])]
            hit = [n for n in names if n in declared]
            if not hit:
                unpinned.setdefault(mod, str(path.relative_to(ROOT)))
            elif path.is_relative_to(ROOT / "src") or path.suffix == ".ipynb":
                group = declared[hit[0]][1]
                if group != "runtime" and EXTRA_ONLY.get(mod) != group:
                    not_runtime.setdefault(mod, str(path.relative_to(ROOT)))
    assert not unpinned, f"imported but not pinned in environment.yml (module: first file): {unpinned}"
    assert not not_runtime, f"helpers/notebooks import these, but pyproject lists them only as extras: {not_runtime}"


def test_environment_yml_installs_the_project_editable():
    text = (ROOT / "environment.yml").read_text()
    pip_section = text.split("  - pip:\n", 1)[1]
    assert re.search(r"^      - -e \.\s*$", pip_section, re.M), "pip section must install the project with -e ."
    assert "conda-forge" in text


def test_conda_and_pip_sections_parse_apart():
    secs = pins.sections()
    assert "numpy" in secs["conda"] and "pandas" in secs["pip"] and secs["isolated"] == {"cffconvert": "2.0.0"}
    # conda-forge calls Playwright playwright-python, at versions behind PyPI's: never in the conda section
    assert "playwright" not in secs["conda"]


@pytest.mark.parametrize("body, message", [
    ("  - pandas>=3\n", r"environment.yml:3: expected '  - name=version'"),
    ("  - pandas=3.1.1\n  - pip:\n      - pandas>=3\n", r"environment.yml:5: expected '      - name==version'"),
    ("  - pandas=3.1.1\n  - pip:\n      - pandas==3.1.1\n", r"environment.yml:5: pandas is already pinned on line 3"),
    ("  - jupyter_client=8.10.0\n  - pip:\n      - jupyter-client==8.10.0\n", r"environment.yml:5: jupyter-client is already"),
])
def test_malformed_pin_line_is_named(tmp_path, body, message):
    bad = tmp_path / "environment.yml"
    bad.write_text("name: x\ndependencies:\n" + body)
    with pytest.raises(SystemExit, match=message):
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
