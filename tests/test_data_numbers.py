import pytest

from helpers.claims import data_value
from helpers.data.numbers import locator_has_value, numbers_in


@pytest.mark.parametrize("locator, value", [
    ("set at 132,000 tons", 132000), ("132000 mt", 132000), ("132 thousand tonnes", 132000),
    ("maintained at 120kt REO", 120000), ("to 235.85kt REO", 235850), ("4,087.60 tonnes in December", 4087.6),
    ("US$301.8 million", 301.8e6), ("fell 3.2% ... to 5,952 tons", 5952), ("6,149.95 tonnes", 6149.95),
    # Chinese copies: a number straight after a character, and the 万 (ten thousand) scale
    ("10月份,我国出口稀土4753吨", 4753), ("开采总量控制指标为8.92万吨", 89200), ("指標為10.5萬噸", 105000),
    # a decimal comma (one or two digits after it) in a Russian copy
    ("составил в январе-феврале 10468,3, согласно", 10468.3),
])
def test_value_found_in_locator(locator, value):
    assert locator_has_value(locator, value)


@pytest.mark.parametrize("locator, value", [
    ("set at 132,000 tons", 131000), ("up 10.4%", 104), ("the 2019 quota", 2018), ("5,158 tons", 5150),
    ("1,238 metric tons", 238),
    ("1,238 metric tons", 1.238), ("出口稀土4753吨", 753), ("World production,137000", 137),
])
def test_value_not_found(locator, value):
    assert not locator_has_value(locator, value)


def test_numbers_in_splits_lists():
    assert numbers_in("140,000 mt and 135,000 mt") == [140000, 135000]


@pytest.mark.parametrize("scale", ["mn", "mln", "m", "million", "Mn"])
def test_every_million_abbreviation_reads_the_same_in_locators_and_claims(scale):
    """One number reader: provenance and the claims checker once disagreed on "mn" and "mln"."""
    locator = f"exports worth US$2.1 {scale} in May"
    assert locator_has_value(locator, 2.1e6, strict_scale=True)
    assert numbers_in(locator, strict_scale=True) == [2.1e6]
    point, half = data_value(2100000, None, locator)
    assert half == 50000          # printed to the nearest 0.1 million


def test_a_scale_word_inside_another_word_is_not_a_scale():
    assert numbers_in("132 monthly", strict_scale=True) == [132]


@pytest.mark.parametrize("raw, locator, half", [("105000", "開採總量控制指標為10.5萬噸", "500"), ("89200", "指标为8.92万吨", "50")])
def test_a_value_printed_in_wan_carries_the_precision_of_its_last_digit(raw, locator, half):
    from fractions import Fraction
    point, h = data_value(float(raw), raw, locator)
    assert point == Fraction(raw) and h == Fraction(half)
