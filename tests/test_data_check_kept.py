"""The extension's data check is kept when clean (nbreport.state.checked_data): a rebuild on the same
data, code and pins skips it; any change to data/ is checked again, and problems are never kept."""
from __future__ import annotations

import shutil

import pytest

from conftest import REPO
from nbreport import runner


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "p"
    for name in ("data", "notebooks"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "environment.yml", root / "environment.yml")
    (root / "build").mkdir()
    return root


def test_a_clean_check_is_kept_and_a_data_change_is_checked_again(project, monkeypatch):
    import helpers.report_extension as rx

    calls = []
    real = rx.check_data
    monkeypatch.setattr(rx, "check_data", lambda root: calls.append(root) or real(root))
    cfg = runner.Config.resolve(root=project, quiet=True)
    runner.preflight(cfg, data=False)
    runner.preflight(cfg, data=False)
    assert len(calls) == 1, "the second build on the same data checked them again"
    quotas = project / "data" / "quotas.csv"
    quotas.write_text(quotas.read_text(encoding="utf-8") + "not,a,quota\n", encoding="utf-8")
    for _ in range(2):  # found, and found again: a problem is never kept
        with pytest.raises(runner.BuildError, match="the data cannot be used"):
            runner.preflight(cfg, data=False)
    assert len(calls) == 3
