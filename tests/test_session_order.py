"""The order and the units `make test` hands its tests out in (tests/conftest.py: session_order, scope_of).

Two workers share the session; a notebook's cells must stay on one worker, in order (nbval runs them in
one kernel: a cell on the other worker fails with NameError), and a file that is not split must stay
whole, so that its module fixtures are made once.
"""
from __future__ import annotations

from types import SimpleNamespace

import conftest
from conftest import SLOW_FILES, SPLIT_FILES, scope_of, session_order


def _item(nodeid: str, *fixtures: str):
    return SimpleNamespace(nodeid=nodeid, fixturenames=list(fixtures))


def test_a_notebooks_cells_and_an_unsplit_files_tests_are_one_unit():
    assert scope_of("notebooks/models/quota_growth.ipynb::Cell 0") == "notebooks/models/quota_growth.ipynb"
    assert scope_of("tests/test_docstrings.py::test_x[a]") == "tests/test_docstrings.py"
    for file in SPLIT_FILES:
        assert scope_of(f"{file}::test_x[1]") == f"{file}::test_x[1]"


def test_a_notebook_named_for_splitting_still_stays_whole(monkeypatch):
    monkeypatch.setattr(conftest, "SPLIT_FILES", SPLIT_FILES | {"notebooks/models/quota_growth.ipynb"})
    assert conftest.scope_of("notebooks/models/quota_growth.ipynb::Cell 3") == "notebooks/models/quota_growth.ipynb"


def test_costly_tests_run_while_the_repository_builds_and_each_unit_stays_together_in_order():
    split = sorted(SPLIT_FILES)[0]
    slow = max((f for f in SLOW_FILES if f not in SPLIT_FILES), key=SLOW_FILES.get)
    items = [_item("tests/test_quick.py::test_a"), _item("notebooks/models/m.ipynb::Cell 0"),
             _item(f"{slow}::test_reads", "repo_build"), _item("notebooks/models/m.ipynb::Cell 1"),
             _item(f"{split}::test_reads", "repo_build"), _item(f"{split}::test_alone", "tmp_path"),
             _item(f"{slow}::test_alone"), _item("tests/test_quick.py::test_b")]
    order = [i.nodeid for i in session_order(items)]
    assert sorted(order) == sorted(i.nodeid for i in items)  # nothing dropped or doubled
    # a split file's test that needs no build goes first; an unsplit file waits whole for its slowest test
    assert order.index(f"{split}::test_alone") < order.index(f"{slow}::test_alone")
    assert order.index(f"{split}::test_alone") < order.index(f"{split}::test_reads")
    assert order.index(f"{slow}::test_reads") < order.index("tests/test_quick.py::test_a")
    units = [scope_of(n) for n in order]
    for unit in set(units):  # each unit's tests are next to each other, in their collected order
        at = [k for k, u in enumerate(units) if u == unit]
        assert at == list(range(at[0], at[0] + len(at))), (unit, order)
    assert order.index("notebooks/models/m.ipynb::Cell 0") < order.index("notebooks/models/m.ipynb::Cell 1")
    assert order.index(f"{slow}::test_reads") < order.index(f"{slow}::test_alone")
