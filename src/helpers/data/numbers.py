"""The one reader of numbers as sources print them: separators, decimals and scale words.

Used at load time (``helpers.data`` checks that a reported value appears in its locator)
and by the claims checker (a value printed "2.1 mn" is known to the nearest 100,000).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

#: Scale words and abbreviations a source may print after a number, and their factor.
#: "mn" and "mln" are both million (news wires use either); "m" is million too.
SCALES: dict[str, int] = {"k": 10 ** 3, "kt": 10 ** 3, "thousand": 10 ** 3,
                          "m": 10 ** 6, "mn": 10 ** 6, "mln": 10 ** 6, "million": 10 ** 6,
                          "bn": 10 ** 9, "billion": 10 ** 9,
                          "万": 10 ** 4, "萬": 10 ** 4}     # Chinese copies: 8.92万吨 = 89,200 t
_SEPARATORS = ",\u2009\u202f "        # comma, thin space, narrow no-break space, space
# The lookbehind is ASCII-only: Chinese and Japanese copies print numbers straight after a
# character ("为8.92万吨", "达到1118噸"), which a \w lookbehind would refuse. A comma followed by
# one or two digits (and no third) is a decimal comma ("10468,3"), never a thousands
# separator, which always groups three digits.
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9_.])(\d{1,3}(?:[,\u2009\u202f ]\d{3})+(?!\d)|\d+)(?:\.(\d+)|,(\d{1,2})(?!\d))?\s*"
    r"(" + "|".join(sorted(SCALES, key=len, reverse=True)) + r")?(?![a-z])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PrintedNumber:
    """A number as printed in a text.

    Parameters
    ----------
    digits : str
        The integer part without thousands separators, e.g. ``"132000"``.
    decimals : str
        The printed decimal digits, ``""`` when none.
    scale : str or None
        The scale word as printed, lower-cased (a key of `SCALES`), or None.
    """

    digits: str
    decimals: str
    scale: str | None

    @property
    def printed(self) -> Fraction:
        """The number before its scale: ``"2.1 mn"`` gives 21/10."""
        return Fraction(f"{self.digits}.{self.decimals}" if self.decimals else self.digits)

    @property
    def value(self) -> Fraction:
        """The number with its scale applied: ``"2.1 mn"`` gives 2,100,000."""
        return self.printed * SCALES[self.scale] if self.scale else self.printed

    @property
    def step(self) -> Fraction:
        """The unit of the last printed digit, scaled: ``"2.1 mn"`` gives 100,000."""
        return Fraction(1, 10 ** len(self.decimals)) * (SCALES[self.scale] if self.scale else 1)


def printed_numbers(text: str | None) -> list[PrintedNumber]:
    """Every number printed in a text, in order.

    Parameters
    ----------
    text : str or None
        Free text such as a locator ("set at 132 thousand tonnes").

    Returns
    -------
    list of PrintedNumber
        Thousands separators (comma, thin or narrow no-break space, space) removed; scale
        words of `SCALES` attached when they follow the number.
    """
    return [PrintedNumber(re.sub(f"[{_SEPARATORS}]", "", whole), decimals or comma_decimals or "",
                          scale.lower() if scale else None)
            for whole, decimals, comma_decimals, scale in _NUMBER.findall(text or "")]


def numbers_in(text: str | None, strict_scale: bool = False) -> list[float]:
    """Every number written in a text, separators and scales resolved.

    Parameters
    ----------
    text : str or None
        Free text.
    strict_scale : bool, default False
        A scaled number ("132 thousand") gives both 132 and 132000 unless this is set,
        which keeps only the scaled value.

    Returns
    -------
    list of float
    """
    out: list[float] = []
    for n in printed_numbers(text):
        if not (n.scale and strict_scale):
            out.append(float(n.printed))
        if n.scale:
            out.append(float(n.value))
    return out


def locator_has_value(locator: str | None, value: float, strict_scale: bool = False) -> bool:
    """Whether a value appears in a locator as printed, whatever the format.

    Parameters
    ----------
    locator : str or None
        The phrase a curated value was read from.
    value : float
        The curated value.
    strict_scale : bool, default False
        "132 thousand tonnes" then stands for 132,000 only, so a value typed as 132
        (a scale typo) is not found in it.

    Returns
    -------
    bool
        True when some number of the locator equals the value to within 1e-9 relative.
    """
    return any(abs(n - value) <= 1e-9 * max(1.0, abs(value)) for n in numbers_in(locator, strict_scale))
