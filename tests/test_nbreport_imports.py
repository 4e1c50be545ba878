"""The report builder (src/nbreport) stands apart from the collection (src/helpers).

Read from the source with ast, never by importing: nbreport imports nothing from helpers
(the collection reaches it only through the extension named in the manifest), no module
under src/ (nbreport, helpers or any package added later) is over 600 lines, the fingerprint
names no builder files by hand, and docs/architecture.md is what tools/architecture.py writes from the actual imports.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, load_tool

arch = load_tool("architecture")
NBREPORT = REPO / "src" / "nbreport"


def helpers_imports(src: Path) -> list[str]:
    """'file: module' for every import of helpers (or a helpers submodule) under src/nbreport."""
    found = []
    for path in sorted((src / "nbreport").rglob("*.py")):
        mod = arch.module_name(path, src)
        for imp in sorted(arch.imports_of(path, mod)):
            if imp == "helpers" or imp.startswith("helpers."):
                found.append(f"{path.relative_to(src)}: {imp}")
    return found


def test_nbreport_imports_nothing_from_helpers():
    assert helpers_imports(REPO / "src") == []


def test_the_import_check_sees_a_helpers_import_at_any_depth(tmp_path):
    """The guard above, on a copy with a helpers import hidden in a function and a relative-looking one."""
    src = tmp_path / "src"
    shutil.copytree(NBREPORT, src / "nbreport", ignore=shutil.ignore_patterns("__pycache__"))
    site = src / "nbreport" / "site.py"
    site.write_text(site.read_text() + "\n\ndef _sneaky():\n    from helpers.claims import summary\n"
                    "    import helpers\n    return summary, helpers\n")
    assert helpers_imports(src) == ["nbreport/site.py: helpers", "nbreport/site.py: helpers.claims",
                                    "nbreport/site.py: helpers.claims.summary"]


MAX_LINES = 600  # the project rule: no module in src/ over ~600 lines


def long_modules(root: Path) -> dict[str, int]:
    """'path: line count' for every .py file under root longer than MAX_LINES."""
    return {str(p.relative_to(REPO)): n for p in sorted(root.rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}


def test_no_nbreport_module_is_over_600_lines():
    assert long_modules(NBREPORT) == {}


def test_no_module_in_src_is_over_600_lines():
    """Every module in src/ (helpers, nbreport and any package added later), not nbreport alone."""
    assert long_modules(REPO / "src") == {}


def test_fingerprint_hashes_packages_whole_not_a_list_of_builder_files(tmp_path, monkeypatch):
    """Any file added to nbreport/execution or to the extension's package changes the hashes."""
    from nbreport import extension, fingerprint
    from nbreport.config import Config

    copy = tmp_path / "nbreport"
    shutil.copytree(NBREPORT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(fingerprint, "NBREPORT_DIR", copy)
    cfg = Config.resolve(root=REPO, build=tmp_path / "build", site=tmp_path / "site")
    ext = extension.load("helpers.report_extension")
    assert ext.package_dir() == REPO / "src" / "helpers"
    before = fingerprint.Inputs.collect(cfg, ext)
    (copy / "execution" / "new_kernel_setup.py").write_text("X = 1\n")
    after = fingerprint.Inputs.collect(cfg, ext)
    assert after.execution != before.execution and after.render == before.render
    (copy / "render" / "templates" / "report_page" / "extra.j2").write_text("x")
    assert fingerprint.Inputs.collect(cfg, ext).render != after.render
    pkg = tmp_path / "pkg"
    shutil.copytree(REPO / "src" / "helpers", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(extension.Extension, "package_dir", lambda self: pkg)
    base = fingerprint.Inputs.collect(cfg, ext).helpers
    (pkg / "report_extension.py").write_text((pkg / "report_extension.py").read_text() + "\n# changed\n")
    assert fingerprint.Inputs.collect(cfg, ext).helpers != base


def test_architecture_page_is_generated_from_the_imports():
    text = arch.render()
    assert "nbreport.execution" in text and "**`helpers`**" in text
    assert (REPO / "docs" / "architecture.md").read_text(encoding="utf-8") == text, \
        "docs/architecture.md is out of date: run python tools/architecture.py --write"


def test_architecture_page_shows_a_new_subpackage_and_its_imports(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (src / "helpers" / "newpkg").mkdir()
    (src / "helpers" / "newpkg" / "__init__.py").write_text('"""Charts: theme and figures."""\nfrom helpers import paths\n')
    text = arch.render(src)
    assert "**`helpers.newpkg`**: Charts: theme and figures." in text
    assert "helpers.newpkg           -> helpers" in text
