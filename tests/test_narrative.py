"""The sentence helpers that state data values (helpers.narrative, articles.said/fill)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import articles, claims, narrative, units


def test_formats():
    assert narrative.tonnes(132000) == "132,000 t"
    assert narrative.tonnes(5174.51) == "5,175 t"
    assert narrative.tonnes(float("nan")) == "n/a"
    assert narrative.pct(10.0) == "10.0%" and narrative.pct(-4.04, sign=True) == "-4.0%"
    assert narrative.month("2025-05") == "May 2025"
    assert narrative.day("2019-11-08") == "8 November 2019" and narrative.day("2025-04-04", year=False) == "4 April"
    assert narrative.listing(["a"]) == "a" and narrative.listing(["a", "b", "c"]) == "a, b and c"
    assert narrative.spans([2010, 2012, 2013, 2014, 2016]) == "2010, 2012-2014 and 2016"


def test_one_mean_month_for_checker_and_notebooks():
    assert float(units.MEAN_MONTH_DAYS) == 30.436875
    assert claims.MEAN_MONTH_DAYS is units.MEAN_MONTH_DAYS
    assert narrative.months_from_days(63) == pytest.approx(63 / 30.436875)


@pytest.fixture
def series(monkeypatch):
    idx = pd.period_range("2025-01", "2025-08", freq="M")
    s = pd.Series([6000, 5000, np.nan, 2000, 1200, 3200, 5600, 5900], index=idx, dtype=float)
    monkeypatch.setattr(narrative.data, "monthly_exports", lambda series, partner="World": s)
    return s


def test_highest_since_names_the_last_month_at_least_as_high(series):
    assert narrative.highest_since("magnets", "World", "2025-07") == "the highest since Jan 2025 (6,000 t)"
    assert narrative.highest_since("magnets", "World", "2025-06") == "the highest since Feb 2025 (5,000 t)"
    assert narrative.highest_since("magnets", "World", "2025-05") == "below Apr 2025's 2,000 t"
    assert narrative.highest_since("magnets", "World", "2025-01").startswith("the highest since the data begin")


def test_monthly_summary_counts_gaps_and_finds_extremes(series):
    text = narrative.monthly_summary("magnets", "World", "2025-01", "2025-08")
    assert text.startswith("7 of 8 months have a figure")
    assert "the lowest is 1,200 t in May 2025" in text and "the highest 6,000 t in Jan 2025" in text
    assert text.endswith("the last 5,900 t in Aug 2025")
    assert narrative.trough("magnets", "World", "2025-01", "2025-08") == pd.Period("2025-05", "M")
    assert "4 of the 5 months" in narrative.months_above("magnets", "World", "2025-04", "2025-08", 1500)
    assert narrative.months_above("magnets", "World", "2025-06", "2025-08", 3000).startswith("every one of the 3")


def test_said_formats_the_ledger_and_fill_refuses_unknown_names():
    sid = "nikkei_2021_output_boost"
    assert articles.said(f"{sid}__close_to_30pct") == "close to 30%"
    assert articles.said(f"{sid}__first_half_quota_2021") == "84,000 t"
    assert articles.said(f"{sid}__imports_quarter_of_market", printed=True) == "about a quarter"
    assert articles.fill(sid, "up {close_to_30pct} to {first_half_quota_2021}") == "up close to 30% to 84,000 t"
    with pytest.raises(KeyError, match="nikkei_2021_output_boost__no_such_claim"):
        articles.fill(sid, "{no_such_claim}")
    with pytest.raises(ValueError, match="printed"):
        articles.fill(sid, "{close_to_30pct:.1f}")
