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
    """Give the Newey-West lag count for HAC errors: floor(4 (n/100)^(2/9)), at least 1.

    The usual rule of thumb (Newey and West, 1994); short annual series get 1 or 2 lags.

    Parameters
    ----------
    n : int
        Observations.

    Returns
    -------
    int
        Lags.
    """
    return max(1, int(math.floor(4 * (n / 100) ** (2 / 9))))


def _ols(y, X, hac: bool):
    model = sm.OLS(np.asarray(y, float), np.asarray(X, float))
    if hac:
        return model.fit(cov_type="HAC", cov_kwds={"maxlags": nw_lags(len(y)), "use_correction": True}, use_t=True)
    return model.fit()




def fit_log_sums(groups, log_totals, weights=None, max_iter: int = 50, tol: float = 1e-10):
    """Least squares on log values where some observations are totals of several months.

    Observation i is the log of a printed total over the months whose design rows are
    ``groups[i]`` (k_i x p): log T_i = log(sum_j exp(x_ij b)) + e_i. A single month (k_i = 1)
    is ordinary least squares; a two-month total (customs' combined January-February) is
    compared with the sum of the two monthly predictions, never split into invented months.
    Solved by Gauss-Newton from the averaged-row start; converges in a few steps.

    Parameters
    ----------
    groups : list of ndarray
        Design rows of each observation's months.
    log_totals : array_like
        Log of each observation's printed value.
    weights : array_like, optional
        Inverse-variance weights (k_i when the log noise of a k-month total is taken as
        sigma^2 / k_i, the variance of an average of k independent monthly errors).
    max_iter : int, default 50
        Gauss-Newton steps at most; the last estimate is returned, without a warning, if not converged.
    tol : float, default 1e-10
        Stop when no parameter moves more than this.

    Returns
    -------
    dict
        ``params``, ``J`` (the Jacobian rows at the solution, the design that the usual OLS
        formulas use), ``resid``, ``weights``, ``df_resid``, ``scale`` (weighted sigma^2) and
        ``xtx_inv`` (inverse of J' W J).

    Raises
    ------
    ValueError
        When there are no more observations than parameters.
    """
    y = np.asarray(log_totals, float)
    n = len(groups)
    p = groups[0].shape[1]
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    if n <= p:
        raise ValueError(f"{n} observations for {p} parameters: too few to fit")
    sw = np.sqrt(w)

    def wls(A, z):
        return np.linalg.lstsq(A * sw[:, None], z * sw, rcond=None)[0]

    A0 = np.vstack([g.mean(axis=0) for g in groups])
    k = np.array([g.shape[0] for g in groups], float)
    beta = wls(A0, y - np.log(k))
    for _ in range(max_iter):
        eta = [g @ beta for g in groups]
        mu = np.array([e.max() + np.log(np.exp(e - e.max()).sum()) for e in eta])
        J = np.vstack([(np.exp(e - e.max()) / np.exp(e - e.max()).sum()) @ g for e, g in zip(eta, groups)])
        step = wls(J, y - mu)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    eta = [g @ beta for g in groups]
    mu = np.array([e.max() + np.log(np.exp(e - e.max()).sum()) for e in eta])
    J = np.vstack([(np.exp(e - e.max()) / np.exp(e - e.max()).sum()) @ g for e, g in zip(eta, groups)])
    resid = y - mu
    df = n - p
    scale = float((w * resid ** 2).sum() / df)
    return {"params": beta, "J": J, "resid": resid, "weights": w, "df_resid": df, "scale": scale,
            "xtx_inv": np.linalg.inv(J.T @ (J * w[:, None]))}
