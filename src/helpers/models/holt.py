"""Holt's damped trend on annual quota (``notebooks/models/quota_growth.ipynb``), one of the four models.

Fitted by maximum likelihood from several starts (statsmodels' state-space ExponentialSmoothing);
`forecast` in ``helpers.models.quota`` dispatches here. The fit is the costly part of a quota
analysis (about 90 % of it), so two things keep it cheap without changing a result:

- a fit is remembered in the process (`holt_fit`): the nowcast, `holt_params` and the fan chart
  ask for the very series the nowcast already fitted, and get the same results object back;
- a start that lies on a parameter bound is evaluated where it is (`_fit_from`) instead of being
  handed to the optimiser, which cannot move from it and returns it unchanged.

Part of ``helpers.models``.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict

import numpy as np
import pandas as pd

from helpers.models.quota import _clean_annual
from helpers.models.series import ModelError

# (alpha, beta, phi) starts; the initial level and trend come from the data. The first start's phi
# (0.98) is statsmodels' upper damping bound: see `_fit_from`.
_HOLT_STARTS = ((0.1, 0.01, 0.98), (0.9, 0.3, 0.95), (0.5, 0.1, 0.9), (0.99, 0.5, 0.9))
FIT_MEMO_SIZE = 32  # fits remembered per process (a quota analysis asks for 11, 10 of them distinct)
_fits: "OrderedDict[bytes, tuple]" = OrderedDict()


def _memo_key(years: np.ndarray, ly: np.ndarray) -> bytes:
    """Every input of a fit, exactly: the observed years, the bits of their log values, the starts."""
    return b"|".join([np.asarray(years, np.int64).tobytes(), np.asarray(ly, np.float64).tobytes(),
                      repr(_HOLT_STARTS).encode()])


def _fit_from(model, start):
    """One start's fit: the optimiser's result, or for a start on a bound the start itself, evaluated.

    Why: statsmodels maps each bounded parameter to the real line by a logit; a value on its bound
    (phi = 0.98, the default upper damping bound) becomes infinite there. L-BFGS-B's finite-difference
    gradient is then NaN, its line search stops without a step (0 iterations, warnflag 2, about 125
    likelihood evaluations) and `fit` returns the start, smoothed. Smoothing the start directly is
    that same result (the same parameters and log-likelihood, bit for bit; tests/test_models_holt.py
    holds it to `fit`) for about a tenth of the time.
    """
    x0 = model.untransform_params(np.asarray(start, dtype=float))
    if np.isfinite(x0).all():
        return model.fit(start_params=start, disp=False)
    return model.smooth(x0, transformed=False, includes_fixed=False, cov_type=None, cov_kwds=None)


def holt_fit(series: pd.Series):
    """Holt's damped trend on log values as a state-space model (ETS(A,Ad,N), statsmodels).

    The damped trend is Gardner and McKenzie's (1985). The state-space form lets the
    Kalman filter pass over missing years as missing observations (no interpolation).
    Fitted by maximum likelihood from several starting points (the default start often
    stops in a poor local optimum on short series); the best likelihood wins. The damping
    factor is bounded at 0.98 by statsmodels.

    A fit is remembered for the rest of the process (the last FIT_MEMO_SIZE series): the same
    observed years and values give back the same results object, without fitting again. Treat
    it as read-only.

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.

    Returns
    -------
    results : statsmodels ExponentialSmoothingResults
        The best fit, on log t REO, over every year from the first to the last observed.
    last : int
        The last observed year.

    Raises
    ------
    ModelError
        When a value is not positive, fewer than six years are observed, or no start fits.
    """
    years, ly = _clean_annual(series)
    if len(years) < 6:
        raise ModelError("Holt's damped trend needs at least six observed years")
    key = _memo_key(years, ly)
    if key in _fits:
        _fits.move_to_end(key)
        return _fits[key]
    from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

    full = np.arange(years[0], years[-1] + 1)
    y = pd.Series(ly, index=years).reindex(full).to_numpy()
    best = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(y, trend=True, damped_trend=True)
        # initial level and trend from the first two observed years (statsmodels' own start needs them consecutive)
        init = [ly[0], (ly[1] - ly[0]) / (years[1] - years[0])]
        for start in _HOLT_STARTS:
            p0 = np.r_[start, init]
            try:
                res = _fit_from(model, p0)
            except (np.linalg.LinAlgError, ValueError):
                continue
            if np.isfinite(res.llf) and (best is None or res.llf > best.llf + 1e-9):
                best = res
    if best is None:
        raise ModelError("Holt's damped trend could not be fitted")
    _fits[key] = (best, int(full[-1]))
    while len(_fits) > FIT_MEMO_SIZE:
        _fits.popitem(last=False)
    return _fits[key]


def forecast_holt(series: pd.Series, targets, level: float = 0.9) -> pd.DataFrame:
    """Forecast of Holt's damped trend with prediction intervals.

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.
    targets : sequence of int
        Years to forecast, all after the last observed year.
    level : float, default 0.9

    Returns
    -------
    DataFrame
        One row per target: year, mean, lower, upper (t REO).

    Raises
    ------
    ModelError
        When the model cannot be fitted.
    """
    res, last = holt_fit(series)
    targets = np.asarray(targets, int)
    steps = int(targets.max() - last)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = res.get_forecast(steps)
        mean = np.asarray(fc.predicted_mean)
        ci = np.asarray(fc.conf_int(alpha=1 - level))
    idx = targets - last - 1
    return pd.DataFrame({"year": targets, "mean": np.exp(mean[idx]), "lower": np.exp(ci[idx, 0]),
                         "upper": np.exp(ci[idx, 1])})


def holt_params(series: pd.Series) -> dict:
    """Holt's fitted smoothing parameters.

    Parameters
    ----------
    series : Series
        Annual quota in t REO, indexed by year.

    Returns
    -------
    dict
        ``alpha`` (level smoothing), ``beta`` (trend smoothing), ``phi`` (damping), each in [0, 1].

    Raises
    ------
    ModelError
        When the model cannot be fitted.
    """
    res, _ = holt_fit(series)
    return dict(zip(["alpha", "beta", "phi"], [float(v) for v in np.asarray(res.params)[:3]]))
