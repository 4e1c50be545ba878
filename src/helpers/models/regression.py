"""Small regression helpers shared by the quota and export models: t quantiles, Newey-West lags, OLS.

Part of ``helpers.models``.
"""
from __future__ import annotations

import math

import numpy as np
import statsmodels.api as sm
from scipy import stats


def _tq(level: float, df: float) -> float:
    """Two-sided t quantile for an interval at `level`."""
    return float(stats.t.ppf(0.5 + level / 2, df))


def nw_lags(n: int) -> int:
    """Newey-West rule of thumb floor(4 (n/100)^(2/9)), at least 1."""
    return max(1, int(math.floor(4 * (n / 100) ** (2 / 9))))


def _ols(y, X, hac: bool):
    model = sm.OLS(np.asarray(y, float), np.asarray(X, float))
    if hac:
        return model.fit(cov_type="HAC", cov_kwds={"maxlags": nw_lags(len(y)), "use_correction": True}, use_t=True)
    return model.fit()


