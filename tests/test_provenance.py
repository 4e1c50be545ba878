import pytest

from helpers.provenance import locator_has_value, numbers_in


@pytest.mark.parametrize("locator, value", [
    ("set at 132,000 tons", 132000), ("132000 mt", 132000), ("132 thousand tonnes", 132000),
    ("maintained at 120kt REO", 120000), ("to 235.85kt REO", 235850), ("4,087.60 tonnes in December", 4087.6),
    ("US$301.8 million", 301.8e6), ("fell 3.2% ... to 5,952 tons", 5952), ("6,149.95 tonnes", 6149.95),
])
def test_value_found_in_locator(locator, value):
    assert locator_has_value(locator, value)


@pytest.mark.parametrize("locator, value", [
    ("set at 132,000 tons", 131000), ("up 10.4%", 104), ("the 2019 quota", 2018), ("5,158 tons", 5150),
    ("1,238 metric tons", 238),
])
def test_value_not_found(locator, value):
    assert not locator_has_value(locator, value)


def test_numbers_in_splits_lists():
    assert numbers_in("140,000 mt and 135,000 mt") == [140000, 135000]
