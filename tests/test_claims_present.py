"""How the claims table prints recomputed values (helpers.claims.present)."""
from fractions import Fraction

from helpers.claims import present
from helpers.claims.intervals import Q
from helpers.claims.stated import stated_interval


def _exact(x: str) -> Q:
    v = Fraction(x)
    return Q(v, v, v, "number")


def test_a_recomputed_value_never_shows_more_digits_than_it_has():
    """A stated '62.585' asks for four decimals; the data's 62,585.2 has one (it printed '62,585.2000')."""
    st = stated_interval(62.585, "62.585 metric tons", "t", "exact")
    assert present._fmt_value(_exact("62585.2"), st, "t") == "62,585.2"


def test_a_value_with_more_digits_gets_one_past_the_stated_precision():
    third = Fraction(100, 3)
    st = stated_interval(33.3, "33.3 percent", "%", "exact")
    assert present._fmt_value(Q(third, third, third, "number"), st, "%") == "33.33"
