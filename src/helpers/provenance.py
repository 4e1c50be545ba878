"""Checks that tie each curated value to the words it was read from.

Used by the data-integrity tests: a reported value must appear in its locator
(however the source printed it: 132,000 / 132000 / 132 thousand / 132kt), and
parts must add up to their totals unless the curator recorded why not.
"""
from __future__ import annotations

import re

SCALE = {"kt": 1e3, "k": 1e3, "thousand": 1e3, "million": 1e6, "m": 1e6, "mln": 1e6, "bn": 1e9, "billion": 1e9}
_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:[,\u2009\u202f ]\d{3})+|\d+)(\.\d+)?\s*(kt|k|thousand|million|mln|bn|billion|m)?(?![a-z])",
    re.IGNORECASE,
)
SUM_EXCEPTION = "SUM-EXCEPTION:"


def numbers_in(text: str, strict_scale: bool = False) -> list[float]:
    """Every number written in text, with thousands separators and kt/thousand/million scales resolved.

    A scaled number ("132 thousand") gives both 132 and 132000, unless strict_scale,
    which keeps only the scaled value.
    """
    out = []
    for whole, frac, scale in _NUMBER.findall(text or ""):
        value = float(re.sub(r"[,\u2009\u202f ]", "", whole) + (frac or ""))
        if not (scale and strict_scale):
            out.append(value)
        if scale:
            out.append(value * SCALE[scale.lower()])
    return out


def locator_has_value(locator: str, value: float, strict_scale: bool = False) -> bool:
    """True when the value appears in the locator as printed (format-insensitive).

    strict_scale: "132 thousand tonnes" stands for 132,000 only, so a value typed as
    132 (a scale typo) is not found in it.
    """
    return any(abs(n - value) <= 1e-9 * max(1.0, abs(value)) for n in numbers_in(locator, strict_scale))
