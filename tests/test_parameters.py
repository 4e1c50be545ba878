"""Parameter specs are read from the notebook's own parameters cell and enforced."""
import json

import pytest

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
