"""Calendar and unit constants shared by the claims checker and the notebooks (one place each)."""
from __future__ import annotations

from fractions import Fraction

MEAN_MONTH_DAYS = Fraction(3652425, 120000)
"""Average days per calendar month: 365.2425 / 12 = 30.436875 (the Gregorian mean year over 12).

Exact, so the claims checker's interval arithmetic stays exact; ``float(MEAN_MONTH_DAYS)``
for plotting and prose."""
