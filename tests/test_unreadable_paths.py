"""Paths that cannot be read (a folder where a file belongs, a symbolic link loop, a file where the
repository belongs) get one message naming the path and what was expected, never a traceback: a second
newcomer's trial found IsADirectoryError and 'RuntimeError: Symlink loop' tracebacks in each of these."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import REPO, make_project, run_report
from test_bad_input import check_data, write_good_data

MANIFEST = "notebooks:\n  - {path: models/m.ipynb, kind: model, title: M, runs: [{id: m}]}\n"


@pytest.fixture
def root(tmp_path):
    return make_project(tmp_path / "proj", {"models/m.ipynb": ["print('ran')"]}, MANIFEST)


def _refused(proc, *fragments):
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2 and "Traceback" not in out, out
    for fragment in fragments:
        assert fragment in out, out


def test_a_manifest_that_is_a_folder_or_a_loop(root):
    _refused(run_report(root, "--check", "--manifest", str(root / "notebooks")),
             "the manifest cannot be read (Is a directory); expected a YAML file")
    os.symlink("loop.yml", root / "loop.yml")
    _refused(run_report(root, "--check", "--manifest", str(root / "loop.yml")), "Symlink loop", "expected")


def test_a_notebook_path_that_loops(root):
    os.symlink("loop.ipynb", root / "notebooks" / "models" / "loop.ipynb")
    (root / "notebooks" / "manifest.yml").write_text(MANIFEST.replace("models/m.ipynb", "models/loop.ipynb"))
    _refused(run_report(root, "--check"), "notebooks/manifest.yml, line 2, column",
             "path 'models/loop.ipynb' cannot be followed", "expected a notebook file")


def test_a_root_that_is_a_file_or_has_no_manifest(tmp_path):
    (tmp_path / "afile").write_text("x")
    _refused(run_report(tmp_path / "afile", "--check"), "the repository folder is a file, not a folder")
    (tmp_path / "empty").mkdir()
    _refused(run_report(tmp_path / "empty", "--check"),
             f"manifest file is missing (looked for {tmp_path / 'empty' / 'notebooks' / 'manifest.yml'})")


@pytest.mark.parametrize("how", ["folder", "loop"])
def test_a_descriptor_that_is_a_folder_or_a_loop(tmp_path, how):
    write_good_data(tmp_path / "data")
    (tmp_path / "notebooks").mkdir()
    desc = tmp_path / "data" / "datapackage.json"
    desc.unlink()
    desc.mkdir() if how == "folder" else os.symlink("datapackage.json", desc)
    proc = check_data(tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert "data/datapackage.json: the data package descriptor cannot be read (" in proc.stdout, proc.stdout


def test_a_table_that_loops(tmp_path):
    write_good_data(tmp_path / "data")
    (tmp_path / "notebooks").mkdir()
    table = tmp_path / "data" / "quotas.csv"
    table.unlink()
    os.symlink("quotas.csv", table)
    proc = check_data(tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert "data/quotas.csv: cannot be read (Too many levels of symbolic links)" in proc.stdout, proc.stdout


def test_a_listing_cut_short_by_its_reader_prints_no_traceback():
    proc = subprocess.run(f"{sys.executable} -m nbreport --list | head -1", shell=True, cwd=str(REPO),
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.count("\n") == 1 and "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, \
        proc.stderr


@pytest.mark.parametrize("option, inside", [("--site-dir", False), ("--build-dir", False), ("--build-dir", True)])
def test_a_file_where_an_output_folder_belongs(root, tmp_path, option, inside):
    """It said the file was read-only and advised chmod -R u+w, which cannot help."""
    afile = tmp_path / "afile"
    afile.write_text("x")
    proc = run_report(root, option, str(afile / "sub" if inside else afile))
    _refused(proc, f"{afile} is a file, so the", "expected a folder", "nothing was executed")
    assert "chmod" not in proc.stderr and afile.read_text() == "x"
