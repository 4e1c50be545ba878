"""Holt's damped trend made cheaper (issue 14) must give exactly what the long way gives.

The long way: every start handed to statsmodels' optimiser, every call fitted afresh. The short
way (helpers.models.holt): a start on a parameter bound is smoothed where it is, and a fit is
remembered in the process. Compared bit for bit on the mining quota's backtest windows (the
published numbers come from these fits) and on a synthetic series with gaps.
"""
import warnings

import numpy as np
import pandas as pd
import pytest

from helpers import models
from helpers.models import holt
from helpers.models.quota import _clean_annual


@pytest.fixture(autouse=True)
def empty_memo(monkeypatch):
    monkeypatch.setattr(holt, "_fits", type(holt._fits)())


def _windows():
    """The mining quota from 2010 up to three backtest origins, and a synthetic series with two missing years."""
    s = models.quota_series(models.quota_history("mining", 2010, 2024, True, None)).dropna().sort_index()
    out = {f"mining to {o}": s[s.index <= o] for o in (2016, 2020, 2024)}
    rng = np.random.default_rng(3)
    years = [y for y in range(2008, 2025) if y not in (2015, 2016)]
    out["synthetic with gaps"] = pd.Series(1e5 * 1.08 ** (np.array(years) - 2008) * np.exp(rng.normal(0, 0.03, len(years))),
                                           index=years)
    return out


WINDOWS = _windows()


def _model(series):
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

    years, ly = _clean_annual(series)
    y = pd.Series(ly, index=years).reindex(np.arange(years[0], years[-1] + 1)).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(y, trend=True, damped_trend=True)
    return model, [ly[0], (ly[1] - ly[0]) / (years[1] - years[0])]


def _long_way(series):
    """holt_fit as it was: every start through the optimiser, the best log-likelihood wins."""
    model, init = _model(series)
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for start in holt._HOLT_STARTS:
            res = model.fit(start_params=np.r_[start, init], disp=False)
            if np.isfinite(res.llf) and (best is None or res.llf > best.llf + 1e-9):
                best = res
    return best


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_holt_fit_is_bit_for_bit_the_long_way(name):
    series = WINDOWS[name]
    want = _long_way(series)
    got, last = models.holt_fit(series)
    assert last == series.index.max()
    assert np.array_equal(np.asarray(got.params), np.asarray(want.params)), name
    assert got.llf == want.llf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = got.get_forecast(3), want.get_forecast(3)
        assert np.array_equal(np.asarray(a.predicted_mean), np.asarray(b.predicted_mean))
        assert np.array_equal(np.asarray(a.conf_int(alpha=0.1)), np.asarray(b.conf_int(alpha=0.1)))


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_a_start_on_a_bound_is_what_the_optimiser_returns_for_it(name):
    """phi = 0.98 is statsmodels' upper damping bound: the optimiser cannot move, and says so."""
    model, init = _model(WINDOWS[name])
    p0 = np.r_[holt._HOLT_STARTS[0], init]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert not np.isfinite(model.untransform_params(p0)).all(), "the first start is no longer on a bound"
        fitted = model.fit(start_params=p0, disp=False)
        short = holt._fit_from(model, p0)
    assert fitted.mle_retvals["iterations"] == 0
    assert np.array_equal(np.asarray(short.params), np.asarray(fitted.params))
    assert short.llf == fitted.llf


def _count_fits(monkeypatch):
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

    calls = []
    real = ExponentialSmoothing.fit

    def counted(self, *args, **kwargs):
        calls.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ExponentialSmoothing, "fit", counted)
    return calls


def test_a_fit_is_remembered_for_the_same_values_only(monkeypatch):
    fits = _count_fits(monkeypatch)
    s = WINDOWS["mining to 2020"]
    first = models.holt_fit(s)
    assert len(fits) == len(holt._HOLT_STARTS) - 1  # the start on the bound is smoothed, not fitted
    again = models.holt_fit(s.copy())
    assert again is first and len(fits) == 3, "the same values were fitted again"
    other = s.copy()
    other.iloc[-1] *= 1 + 1e-12  # one value, a trillionth apart (the fit sees its log: a few bits)
    assert not np.array_equal(_clean_annual(other)[1], _clean_annual(s)[1])
    changed = models.holt_fit(other)
    assert len(fits) == 6 and changed is not first
    shifted = pd.Series(s.to_numpy(), index=s.index + 1)  # the same values, other years
    assert models.holt_fit(shifted) is not first and len(fits) == 9
    fresh = _long_way(other)
    assert np.array_equal(np.asarray(changed[0].params), np.asarray(fresh.params))


def test_the_memo_keeps_the_most_recent_fits_only(monkeypatch):
    monkeypatch.setattr(holt, "FIT_MEMO_SIZE", 2)
    fits = _count_fits(monkeypatch)
    a, b, c = (WINDOWS[k] for k in ("mining to 2016", "mining to 2020", "mining to 2024"))
    for s in (a, b, a, c):  # a is used again, so b is the oldest when c comes
        models.holt_fit(s)
    assert len(holt._fits) == 2 and len(fits) == 9
    models.holt_fit(a)
    assert len(fits) == 9
    models.holt_fit(b)
    assert len(fits) == 12


def test_a_quota_analysis_fits_each_series_once(monkeypatch):
    """The nowcast, holt_params and the fan chart ask for the same series: one fit serves them all."""
    fits = _count_fits(monkeypatch)
    r = models.quota_analysis("mining", 2010, 2024)
    n = len(fits)
    assert n == 3 * len(holt._fits)
    models.holt_params(r.series)
    models.forecast("holt", r.series, r.targets, 0.8)
    assert len(fits) == n
