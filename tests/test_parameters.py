"""Parameter specs are read from the notebook's own parameters cell and enforced."""
import itertools
import json
import re

import pandas as pd
import pytest

from helpers import paths
from helpers.parameters import ParameterError, check, read_spec, validate_parameters

CELL = '''stage: str = "mining"  # quota stage; one of: mining, smelting
first_year: int = 2010  # first year fitted; range: 2010..2022
last_year: int = 2024  # last year fitted; range: 2012..2024; after: first_year
level: float = 0.9  # interval level; range: 0.5..0.99
shock: str = "2025-04"  # shock month; range: 2024-06..2025-09
'''


DEFAULTS = {"stage": "mining", "first_year": 2010, "last_year": 2024, "level": 0.9, "shock": "2025-04"}


@pytest.fixture
def notebook(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# t"},
                    {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": CELL,
                     "outputs": [], "execution_count": None}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "t.ipynb"
    path.write_text(json.dumps(nb))
    return path


def test_spec_is_read_from_annotated_defaults(notebook):
    spec = read_spec(notebook)
    assert list(spec.params) == ["stage", "first_year", "last_year", "level", "shock"]
    assert spec.params["stage"].choices == ("mining", "smelting")
    assert (spec.params["first_year"].low, spec.params["first_year"].high) == (2010, 2022)
    assert spec.params["last_year"].after == "first_year"
    assert spec.defaults()["level"] == 0.9


@pytest.mark.parametrize("values, fragment", [
    ({"stgae": "mining"}, "unknown parameter 'stgae'"),
    ({"stage": "mine"}, "parameter 'stage': unknown value 'mine'; expected one of mining, smelting"),
    ({"first_year": "2010"}, "parameter 'first_year' must be int"),
    ({"first_year": True}, "parameter 'first_year' must be int"),
    ({"first_year": 2005}, "out of range; expected 2010 to 2022"),
    ({"first_year": 2020, "last_year": 2015}, "'last_year' = 2015 must come after 'first_year' = 2020"),
    ({"shock": "April"}, "expected a month YYYY-MM"),
    ({"shock": "2023-01"}, "out of range"),
    ({"level": 1.5}, "out of range"),
])
def test_bad_values_are_refused_with_the_parameter_named(notebook, values, fragment):
    with pytest.raises(ParameterError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        check(read_spec(notebook), values)


def test_good_values_merge_over_defaults_and_ints_widen_to_float(notebook):
    spec = read_spec(notebook)
    merged = check(spec, {"stage": "smelting", "level": 0.8, "first_year": 2012})
    assert merged == {"stage": "smelting", "first_year": 2012, "last_year": 2024, "level": 0.8, "shock": "2025-04"}
    widened = check(spec, {"level": 0.75})
    assert isinstance(widened["level"], float)
    with pytest.raises(ParameterError, match="out of range"):  # an int is accepted for a float, still range-checked
        check(spec, {"level": 1})


def test_validate_parameters_reads_the_notebook_namespace(notebook):
    ns = {"stage": "smelting", "first_year": 2010, "last_year": 2024, "level": 0.9, "shock": "2025-04", "other": 1}
    assert validate_parameters(str(notebook), ns)["stage"] == "smelting"
    ns["stage"] = "refining"
    with pytest.raises(ParameterError, match="refining"):
        validate_parameters(str(notebook), ns)


def test_a_malformed_parameters_cell_is_an_error(tmp_path):
    nb = {"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "x = 1\n",
                     "outputs": [], "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "bad.ipynb"
    path.write_text(json.dumps(nb))
    with pytest.raises(ParameterError, match="expected 'name: type = default"):
        read_spec(path)


def test_a_misspelt_name_injected_by_papermill_is_refused_in_the_notebook(notebook):
    """papermill runs the defaults when a name is unknown; the injected cell in `In` gives it away."""
    ns = {**DEFAULTS, "In": ["", CELL, '# Parameters\nstgae = "smelting"\n']}
    with pytest.raises(ParameterError, match="unknown parameter 'stgae' \\(did you mean 'stage'\\?\\)"):
        validate_parameters(str(notebook), ns)
    ns["In"].append('# Parameters\nstage = "smelting"\n')  # only the latest injected cell counts
    assert validate_parameters(str(notebook), {**ns, "stage": "smelting"})["stage"] == "smelting"
    assert validate_parameters(str(notebook), {**DEFAULTS, "In": ["x = 1"]})["stage"] == "mining"


# --------------------------------------------------------------------------- calendar values

@pytest.mark.parametrize("value, fragment", [
    ("2024-13", "parameter 'shock': '2024-13' is not a calendar month; expected YYYY-MM (the month must be 01 to 12)"),
    ("2024-00", "'2024-00' is not a calendar month"),
    ("2024-6", "parameter 'shock': expected a month YYYY-MM, got '2024-6'"),
    ("2024-06-01", "expected a month YYYY-MM"),
])
def test_impossible_months_are_refused_naming_the_parameter(notebook, value, fragment):
    """'2024-13' sorts between the bounds as text, so a range check alone let it through to pandas."""
    with pytest.raises(ParameterError, match=re.escape(fragment)):
        check(read_spec(notebook), {"shock": value})


def _cell_notebook(tmp_path, cell: str):
    nb = {"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": cell,
                     "outputs": [], "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "c.ipynb"
    path.write_text(json.dumps(nb))
    return path


def test_impossible_dates_are_refused_and_bounds_must_be_real(tmp_path):
    spec = read_spec(_cell_notebook(tmp_path, 'day: str = "2025-04-04"  # a day; range: 2025-01-01..2025-12-31\n'))
    assert check(spec, {"day": "2025-02-28"})["day"] == "2025-02-28"
    for bad in ("2025-02-30", "2025-11-31", "2025-13-01"):
        with pytest.raises(ParameterError, match=f"parameter 'day': '{bad}' is not a calendar date"):
            check(spec, {"day": bad})
    with pytest.raises(ParameterError, match="range bound '2025-13' is not a real month"):
        read_spec(_cell_notebook(tmp_path, 'm: str = "2025-04"  # m; range: 2025-01..2025-13\n'))
    bare = read_spec(_cell_notebook(tmp_path, 'm: str = "2025-04"  # a month, no range\n'))
    with pytest.raises(ParameterError, match="'2025-14' is not a calendar month"):
        check(bare, {"m": "2025-14"})


# --------------------------------------------------------------------------- joint constraints

JOINT = CELL + ('# requires: months_between(shock, "2025-09") >= last_year - 2020; a later last_year needs an earlier shock\n'
                '# requires: stage == "mining" or level <= 0.9; smelting intervals are capped at 90%\n')


def test_joint_constraints_are_declared_in_the_cell_and_refused_naming_every_parameter(tmp_path):
    spec = read_spec(_cell_notebook(tmp_path, JOINT))
    assert [r.names() for r in spec.requires] == [["shock", "last_year"], ["stage", "level"]]
    assert check(spec, {"last_year": 2024, "shock": "2025-05"})["shock"] == "2025-05"  # 4 months >= 4
    with pytest.raises(ParameterError) as info:
        check(spec, {"last_year": 2024, "shock": "2025-06"})
    msg = str(info.value)
    assert "parameters shock = '2025-06', last_year = 2024 cannot run together: a later last_year needs" in msg
    assert "here months_between(shock, '2025-09') = 3" in msg
    with pytest.raises(ParameterError, match="stage = 'smelting', level = 0.95 cannot run together: smelting"):
        check(spec, {"stage": "smelting", "level": 0.95})


@pytest.mark.parametrize("line, fragment", [
    ("# requires: stgae == 'x'; why", "'stgae' is not a parameter of this notebook"),
    ("# requires: __import__('os').system('true'); why", "unknown function"),
    ("# requires: stage[0] == 'X'; why", "Subscript is not allowed"),
    ("# requires: level >= ; why", "not an expression"),
    ("# requires: level >= 0.5", "add the reason after a ';'"),
])
def test_a_malformed_requirement_is_an_error_naming_its_line(tmp_path, line, fragment):
    with pytest.raises(ParameterError, match=re.escape(fragment)) as info:
        read_spec(_cell_notebook(tmp_path, CELL + line + "\n"))
    assert "parameters cell line 6" in str(info.value)


def _notebook_spec(rel):
    return read_spec(paths.NOTEBOOKS / rel)


def test_declared_quota_ranges_are_exactly_the_windows_the_models_can_fit():
    """Probe every stage, window and use_derived the declaration allows: check() accepts a set exactly
    when the window holds enough observed years for quota_analysis."""
    from helpers import series

    spec = _notebook_spec("models/quota_growth.ipynb")
    fy, ly = spec.params["first_year"], spec.params["last_year"]
    accepted = refused = 0
    for stage, ud, a, b in itertools.product(spec.params["stage"].choices, (True, False),
                                             range(fy.low, fy.high + 1), range(ly.low, ly.high + 1)):
        if b <= a:
            continue
        fits = len(series.quota_series(series.quota_history(stage, a, b, ud))) >= series.MIN_YEARS
        try:
            check(spec, {"stage": stage, "first_year": a, "last_year": b, "use_derived": ud})
            ok = True
        except ParameterError as exc:
            ok = False
            assert "cannot run together" in str(exc)
        assert ok == fits, (stage, ud, a, b)
        accepted, refused = accepted + ok, refused + (not ok)
    assert accepted and refused  # the probe saw both sides (166 of 324 windows are refused with today's data)


def test_declared_rebound_ranges_are_exactly_the_sets_a_counterfactual_can_be_fitted_on():
    from helpers import models

    spec = _notebook_spec("models/export_rebound.ipynb")
    sh = spec.params["shock"]
    shocks = [str(p) for p in pd.period_range(sh.low, sh.high, freq="M")][::3]
    pm = spec.params["pre_months"]
    seen = set()
    for key, ud, shock, pre, kind in itertools.product(spec.params["series"].choices, (True, False), shocks,
                                                        range(pm.low, pm.high + 1, 6), spec.params["counterfactual"].choices):
        y = models.export_history(key, ud)["y"]
        try:
            models.fit_counterfactual(y, shock, pre, kind)
            fits = True
        except models.ModelError:
            fits = False
        try:
            check(spec, {"series": key, "use_derived": ud, "shock": shock, "pre_months": pre, "counterfactual": kind})
            ok = True
        except ParameterError:
            ok = False
        assert ok == fits, (key, ud, shock, pre, kind)
        seen.add(ok)
    assert seen == {True, False}


# --------------------------------------------------------------------------- the live parameters cell

def test_live_parameters_cell_is_checked_against_the_declaration(notebook):
    renamed = CELL.replace("first_year: int = 2010", "first_yaer: int = 2012")
    ns = {**DEFAULTS, "first_yaer": 2012, "In": ["", renamed, 'from helpers.parameters import validate_parameters\n'
                                                     'params = validate_parameters("t.ipynb", globals())']}
    with pytest.raises(ParameterError, match=re.escape("sets 'first_yaer', which the notebook does not declare "
                                                       "(did you mean 'first_year'?)")):
        validate_parameters(str(notebook), ns)
    dropped = "\n".join(ln for ln in CELL.splitlines() if not ln.startswith("level"))
    with pytest.raises(ParameterError, match="no longer sets 'level'"):
        validate_parameters(str(notebook), {**DEFAULTS, "In": ["", dropped]})
    # a scratch cell run after it (plain assignment) is not taken for the parameters cell
    assert validate_parameters(str(notebook), {**DEFAULTS, "level": 0.8, "In": ["", CELL, "level = 0.8"]})["level"] == 0.8
    with pytest.raises(ParameterError, match="parameter 'shock' is not set in this kernel"):
        validate_parameters(str(notebook), {k: v for k, v in DEFAULTS.items() if k != "shock"})


def test_code_reading_a_renamed_parameter_is_refused(tmp_path):
    nb = {"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]},
                     "source": "pre_month: int = 24  # months; range: 6..60\n", "outputs": [], "execution_count": None},
                    {"cell_type": "code", "metadata": {}, "source": "import math\nfor i in range(3):\n    x = math.sqrt(pre_months) + i\n",
                     "outputs": [], "execution_count": None}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "r.ipynb"
    path.write_text(json.dumps(nb))
    with pytest.raises(ParameterError, match="reads 'pre_months', which no cell defines, while the parameters cell "
                                             "declares 'pre_month'"):
        validate_parameters(str(path), {"pre_month": 24})


@pytest.mark.notebook
def test_renaming_a_parameter_in_the_cell_is_refused_when_the_notebook_runs(tmp_path):
    """Executed as JupyterLab does: the edited (unsaved) cell runs in the kernel, the saved file declares."""
    import nbclient
    import nbformat

    src = paths.NOTEBOOKS / "models" / "export_rebound.ipynb"
    nb = nbformat.read(src, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert "pre_months: int" in cell.source
    cell.source = cell.source.replace("pre_months: int", "pre_month: int")
    nb.cells = [c for c in nb.cells if c.cell_type == "markdown" or c is cell
                or "validate_parameters(" in c.source][:4]
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                     resources={"metadata": {"path": str(src.parent)}})
    with pytest.raises(nbclient.exceptions.CellExecutionError) as info:
        client.execute()
    msg = str(info.value)
    assert "ParameterError" in msg
    assert "sets 'pre_month', which the notebook does not declare (did you mean 'pre_months'?)" in msg


def test_runner_checks_data_constraints_only_for_runs_it_executes(tmp_path):
    """The pre-check without data refuses nothing a count could refuse; check_data does, before anything runs,
    for the runs about to execute (a rebuild with nothing changed stays free of pandas)."""
    from types import SimpleNamespace

    from nbreport import manifest as manifest_mod
    from helpers import report_extension
    from nbreport import runner

    text = (paths.NOTEBOOKS / "manifest.yml").read_text().replace(
        "      - {id: quota-smelting, parameters: {stage: smelting}}\n",
        "      - {id: quota-smelting, parameters: {stage: smelting}}\n"
        "      - {id: quota-too-short, parameters: {first_year: 2018, last_year: 2019}, site: false}\n")
    (tmp_path / "manifest.yml").write_text(text)
    man = manifest_mod.load(tmp_path / "manifest.yml", root=paths.ROOT)
    assert report_extension.check_parameters(man, data=False) == []
    full = report_extension.check_parameters(man)
    assert len(full) == 1 and "quota-too-short" in full[0] and "cannot run together" in full[0]
    runs = {run.id: run for _, run in man.runs()}
    runner.check_data(man, [SimpleNamespace(run=runs["quota-mining"], action="execute"),
                            SimpleNamespace(run=runs["quota-too-short"], action="reuse")])
    with pytest.raises(runner.BuildError, match="nothing was executed:\n  .*quota-too-short.*cannot run together"):
        runner.check_data(man, [SimpleNamespace(run=runs["quota-too-short"], action="execute")])
