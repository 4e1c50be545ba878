"""The monthly export shock (``notebooks/models/export_rebound.ipynb``).

A counterfactual fitted on pre-shock months, rebound figures (trough depth, months to recover, cumulative
shortfall) with simulated intervals, an interrupted time series (segmented regression with HAC errors) and a
placebo test at fake shock months. Missing months are never filled in. Levels and shares are 0-1; tonnes t.
Part of ``helpers.models``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from helpers.models.formatting import _months_text, fmt_interval, fmt_pct, fmt_t
from helpers.models.regression import _tq, fit_log_sums
from helpers.models.series import COUNTERFACTUAL_KINDS, MIN_OBS, ModelError


SEED = 20250401  # fixed, so simulated intervals are the same on every run
N_DRAWS = 2000
#: Significance level of the placebo test, fixed in advance and stated on the page. It is not the interval
#: `level` parameter: changing how wide the intervals are drawn must not change the verdict. 10%, the level the
#: test had at the notebook's default interval level (90%) before the two were separated; a rank test with J
#: placebos cannot go below p = 1 / (J + 1), so with fewer than 9 (19 at 5%) it is reported as inconclusive.
PLACEBO_ALPHA = 0.10

def _month_ordinal(idx: pd.PeriodIndex) -> np.ndarray:
    return np.asarray(idx.year * 12 + idx.month - 1, dtype=float)


@dataclass
class Counterfactual:
    """What the series would have done without the shock, fitted on the pre-shock window.

    Parameters
    ----------
    kind, reason : str
        The counterfactual used ('trend', 'level', 'year_ago') and why (choose_kind).
    shock, start : pandas.Period
        The shock month and the first month of the fit window.
    n_obs : int
        Observations fitted: single months plus multi-month totals (each total one observation).
    month_effects : bool
    month_note : str
        Why month-of-year effects were (not) fitted, for the page.
    level : float
    frame : pandas.DataFrame
        Pre-shock window and months from the shock to the data's end (or `end`): actual (NaN where absent or unused),
        mean, lower, upper (t), part ('pre' or 'post').
    growth : dict or None
        The trend's monthly and annual growth (shares), the annual with its interval ('trend' only).
    _sim : dict
    combined : pandas.DataFrame or None
        Multi-month totals fitted as totals in the pre-shock window (period_start, period_end, value).
    excluded : list of pandas.Period
        Months left out of the fit as not normal (under another event), oldest first.
    """
    kind: str
    reason: str
    shock: pd.Period
    start: pd.Period
    n_obs: int
    month_effects: bool
    month_note: str
    level: float
    frame: pd.DataFrame
    growth: dict | None = None
    _sim: dict = field(default_factory=dict, repr=False)
    combined: pd.DataFrame | None = None
    excluded: list = field(default_factory=list)

    @property
    def post(self) -> pd.DataFrame:
        """The post-shock rows of `frame`: the months compared with the counterfactual.

        Returns
        -------
        pandas.DataFrame
        """
        return self.frame[self.frame["part"] == "post"]

    def draws(self, n: int = N_DRAWS, seed: int = SEED) -> np.ndarray:
        """Simulate counterfactual paths for the post-shock months, t, for the rebound intervals.

        Parameter uncertainty and month-level noise, as in the prediction interval: sigma^2 drawn from its
        scaled chi-square, coefficients from their normal given sigma, noise independent across months.

        Parameters
        ----------
        n : int, default N_DRAWS
        seed : int, default SEED

        Returns
        -------
        numpy.ndarray, shape (n, post-shock months)
        """
        rng = np.random.default_rng(seed)
        sim = self._sim
        df = sim["df"]
        s2 = sim["s2"] * df / rng.chisquare(df, size=n)
        if self.kind == "year_ago":
            base = sim["base_log"]
            eps = rng.standard_normal((n, len(base))) * np.sqrt(2 * s2)[:, None]
            return np.exp(base[None, :] + eps)
        Xp = sim["X_post"]
        L = np.linalg.cholesky(sim["xtx_inv"] + 1e-12 * np.eye(len(sim["beta"])))
        z = rng.standard_normal((n, len(sim["beta"])))
        betas = sim["beta"][None, :] + (z @ L.T) * np.sqrt(s2)[:, None]
        eps = rng.standard_normal((n, Xp.shape[0])) * np.sqrt(s2)[:, None]
        return np.exp(betas @ Xp.T + eps)


def _window(y: pd.Series, shock: pd.Period, pre_months: int) -> tuple[pd.Series, pd.Series]:
    start = shock - pre_months
    pre = y[(y.index >= start) & (y.index < shock)]
    post = y[y.index >= shock]
    full_pre = pd.period_range(start, shock - 1, freq="M")
    return pre.reindex(full_pre), post


def choose_kind(n_obs: int, kind: str = "auto") -> tuple[str, str]:
    """Pick the counterfactual and say why: 'auto' takes a trend with >= 12 observed pre-shock months, else a level.

    Parameters
    ----------
    n_obs : int
        Observed pre-shock months (a multi-month total counts once).
    kind : {'auto', 'trend', 'level', 'year_ago'}, default 'auto'

    Returns
    -------
    tuple of (str, str)
        The kind and the reason, for the page; ModelError for an unknown kind or too few observations.
    """
    if kind not in COUNTERFACTUAL_KINDS:
        raise ModelError(f"unknown counterfactual {kind!r}; expected one of {', '.join(COUNTERFACTUAL_KINDS)}")
    if kind != "auto":
        if n_obs < MIN_OBS[kind]:
            raise ModelError(f"the {kind} counterfactual needs at least {MIN_OBS[kind]} observed pre-shock months, "
                             f"the window holds {n_obs}: widen pre_months, include derived months or choose another")
        return kind, "chosen by parameter"
    if n_obs >= MIN_OBS["trend"]:
        return "trend", f"{n_obs} observed pre-shock months: enough for a log-linear trend (12 or more)"
    if n_obs >= MIN_OBS["level"]:
        return "level", (f"only {n_obs} observed pre-shock months: too few for a trend (12 needed), so the "
                         "counterfactual is the pre-shock average level, with no growth")
    raise ModelError(f"only {n_obs} observed month{'' if n_obs == 1 else 's'} in the pre-shock window: too few for any fitted counterfactual "
                     f"(a level needs {MIN_OBS['level']}); widen pre_months, include derived months, or use "
                     "counterfactual='year_ago'")


def _combined_in(combined, lo: pd.Period, hi: pd.Period, excluded=()) -> pd.DataFrame:
    """The usable multi-month totals lying wholly inside lo..hi and touching no excluded month."""
    cols = ["period_start", "period_end", "value"]
    if combined is None or len(combined) == 0:
        return pd.DataFrame(columns=cols)
    c = combined[combined["used"]] if "used" in combined else combined
    ex = set(excluded)
    keep = [(a >= lo) and (b <= hi) and not any(m in ex for m in pd.period_range(a, b, freq="M"))
            for a, b in zip(c["period_start"], c["period_end"])]
    return c[np.array(keep, dtype=bool)][cols].reset_index(drop=True) if len(c) else pd.DataFrame(columns=cols)


def fit_counterfactual(y: pd.Series, shock, pre_months: int = 24, kind: str = "auto", level: float = 0.9,
                       end=None, combined: pd.DataFrame | None = None, exclude=()) -> Counterfactual:
    """Counterfactual on log values fitted on the `pre_months` months before `shock`.

    kinds: 'trend' = log-linear trend (plus month-of-year effects only when each calendar month is observed at
    least twice in the window); 'level' = the average log level, flat; 'year_ago' = the same month a year
    earlier, with noise sqrt(2) x the spread of the pre-shock months around their mean. Missing months are
    simply absent from the fit; nothing is interpolated.

    Parameters
    ----------
    y : Series
        Monthly values (t) on a monthly PeriodIndex, NaN where absent.
    shock : str or Period
    pre_months : int, default 24
    kind : {'auto', 'trend', 'level', 'year_ago'}, default 'auto'
    level : float, default 0.9
    end : str or Period, optional
        Last month projected (later months are not compared with it: e.g. the month before a second event).
    combined : DataFrame, optional
        Multi-month totals (``period_start``, ``period_end``, ``value``, optional ``used``), e.g. customs'
        January-February figure. One inside the pre-shock window is fitted as a total: its residual compares the
        log of the sum of its months' predictions with the log of the printed total, weight = its months (trend
        and level kinds; year_ago has no fit and ignores them). Nothing is split.
    exclude : sequence of Period
        Months that are not normal (under another event): left out of the fit.

    Returns
    -------
    Counterfactual

    Raises
    ------
    ModelError
        When no month follows the shock, values are not positive or too few observations remain.
    """
    shock = pd.Period(shock, freq="M")
    y = y.sort_index().copy()
    excluded = sorted({pd.Period(m, freq="M") for m in exclude})
    if end is not None:
        y = y[y.index <= pd.Period(end, freq="M")]
    pre, post = _window(y, shock, pre_months)
    if post.empty:
        raise ModelError(f"no months at or after the shock {shock} in the data")
    pre_used = pre.copy()
    pre_used[pre_used.index.isin(excluded)] = np.nan
    obs = pre_used.dropna()
    comb = _combined_in(combined, shock - pre_months, shock - 1, excluded)
    if (obs <= 0).any() or (post.dropna() <= 0).any() or (comb["value"].astype(float) <= 0).any():
        raise ModelError("export models work on logs: values must be positive")
    kind, reason = choose_kind(len(obs) + (len(comb) if kind != "year_ago" else 0), kind)
    if kind == "year_ago":
        comb = comb.iloc[0:0]
    counts = pd.Series(obs.index.month).value_counts()
    month_effects = kind == "trend" and len(obs) >= 24 and len(counts) == 12 and counts.min() >= 2
    month_note = ("month-of-year effects estimated (every calendar month observed at least twice)" if month_effects else
                  f"no month-of-year effects: {int((counts >= 2).sum())} of 12 calendar months are observed twice "
                  f"or more in the {len(obs)} single pre-shock months (all 12 needed)")
    months = pre.index.append(post.index)
    frame = pd.DataFrame({"actual": pd.concat([pre_used, post]).to_numpy(), "part": ["pre"] * len(pre) + ["post"] * len(post)},
                         index=months)
    ly = np.log(obs.to_numpy(float))
    growth = None
    if kind in ("trend", "level"):
        def design(idx):
            t = _month_ordinal(idx) - _month_ordinal(pd.PeriodIndex([shock]))[0]
            cols = [np.ones(len(idx))]
            if kind == "trend":
                cols.append(t)
            if month_effects:
                cols += [(idx.month == m).astype(float) for m in range(2, 13)]
            return np.column_stack(cols)
        X = design(obs.index)
        groups = [X[i:i + 1] for i in range(len(X))]
        groups += [design(pd.period_range(a, b, freq="M")) for a, b in zip(comb["period_start"], comb["period_end"])]
        k = [1.0] * len(X) + [float(len(g)) for g in groups[len(X):]]
        res = fit_log_sums(groups, np.r_[ly, np.log(comb["value"].to_numpy(float))], weights=k)
        df = res["df_resid"]
        xtx_inv = res["xtx_inv"]
        Xa = design(months)
        mean = Xa @ res["params"]
        se = np.sqrt(res["scale"] * (1 + np.einsum("ij,jk,ik->i", Xa, xtx_inv, Xa)))
        q = _tq(level, df)
        frame["mean"], frame["lower"], frame["upper"] = np.exp(mean), np.exp(mean - q * se), np.exp(mean + q * se)
        sim = {"df": df, "s2": res["scale"], "beta": np.asarray(res["params"]), "xtx_inv": xtx_inv,
               "X_post": design(post.index), "mean_log": mean[len(pre):], "scale_log": se[len(pre):]}
        if kind == "trend":
            b, sb = res["params"][1], math.sqrt(res["scale"] * xtx_inv[1, 1])
            lo, hi = b - q * sb, b + q * sb
            growth = {"monthly": math.expm1(b), "annual": math.expm1(12 * b),
                      "annual_lower": math.expm1(12 * lo), "annual_upper": math.expm1(12 * hi)}
    else:  # year_ago
        sd = float(np.std(ly, ddof=1))
        df = len(ly) - 1
        q = _tq(level, df)
        ago = y.reindex(months - 12).to_numpy(float)
        base = np.log(ago)
        frame["mean"] = ago
        frame["lower"], frame["upper"] = np.exp(base - q * math.sqrt(2) * sd), np.exp(base + q * math.sqrt(2) * sd)
        base_post = np.log(y.reindex(post.index - 12).to_numpy(float))
        sim = {"df": df, "s2": sd ** 2, "base_log": base_post, "mean_log": base_post,
               "scale_log": np.full(len(base_post), math.sqrt(2) * sd)}
        missing_ago = [str(m) for m in post.index if not np.isfinite(y.get(m - 12, np.nan))]
        if missing_ago:
            reason += f"; no year-ago value (so no counterfactual) for {', '.join(missing_ago)}"
    return Counterfactual(kind=kind, reason=reason, shock=shock, start=shock - pre_months,
                          n_obs=len(obs) + len(comb), month_effects=month_effects, month_note=month_note, level=level,
                          frame=frame, growth=growth, _sim=sim, combined=comb,
                          excluded=[m for m in excluded if shock - pre_months <= m < shock])


# ---- rebound figures -------------------------------------------------------------------------------

def rebound_stats(actual, cf, thresholds=(0.5, 0.9), trough: int | None = None, span_end: int | None = None) -> dict:
    """Trough depth, months to recover each share of the gap, and cumulative shortfall, for one path.

    Gap g_t = 1 - actual_t / cf_t, over months where both exist. Trough = the month with the largest gap, or
    the month given as `trough` (the rebound intervals fix it at the central path's trough, see `rebound`);
    depth = the gap there. A share X of the gap is recovered at the first observed month after the trough with
    g_t <= (1 - X) * depth. Shortfall = sum of (cf_t - actual_t) in tonnes from the shock to the month the last
    threshold is reached (or to the end), over observed months only; with `span_end` given, to that month
    whatever the path does. With no gap (depth <= 0) recovery is immediate: 0 months, and no shortfall unless
    `span_end` is given.

    Parameters
    ----------
    actual, cf : array_like
        Actual and counterfactual tonnes over the post-shock months (month 0 = the shock).
    thresholds : tuple of float, default (0.5, 0.9)
    trough, span_end : int, optional
        Fixed trough month and end of the shortfall span, as offsets from the shock.

    Returns
    -------
    dict
        trough, depth (share), recover ({threshold: months, inf if never}), shortfall (t), shortfall_end.
    """
    actual = np.asarray(actual, float)
    cf = np.asarray(cf, float)
    ok = np.isfinite(actual) & np.isfinite(cf)
    out = {"trough": None, "depth": float("nan"), "recover": {th: float("nan") for th in thresholds},
           "shortfall": float("nan"), "shortfall_end": None}
    if not ok.any() or (trough is not None and not ok[trough]):
        return out
    g = np.where(ok, 1 - actual / np.where(ok, cf, 1.0), np.nan)
    trough = int(np.nanargmax(g)) if trough is None else int(trough)
    depth = float(g[trough])
    out.update(trough=trough, depth=depth)
    last_reached = len(g) - 1
    for th in sorted(thresholds):
        if depth <= 0:
            out["recover"][th] = 0.0
            last_reached = trough
            continue
        hit = [i for i in range(trough + 1, len(g)) if ok[i] and g[i] <= (1 - th) * depth]
        out["recover"][th] = float(hit[0] - trough) if hit else float("inf")
    final = max(thresholds)
    if depth > 0:
        r = out["recover"][final]
        last_reached = int(trough + r) if np.isfinite(r) else len(g) - 1
    if span_end is not None:
        last_reached = int(span_end)
    span = slice(0, last_reached + 1)
    summed = float(np.nansum(np.where(ok[span], cf[span] - actual[span], np.nan)))
    out["shortfall"] = summed if (depth > 0 or span_end is not None) else 0.0
    out["shortfall_end"] = last_reached
    return out


def rebound_stats_paths(actual, paths, thresholds=(0.5, 0.9), trough: int | None = None,
                        span_end: int | None = None) -> dict:
    """rebound_stats for many counterfactual paths at once (rows of `paths`), as arrays.

    Same definitions (and optional fixed `trough`, `span_end`) as rebound_stats, for all simulated paths at once:
    the rebound intervals take thousands of paths, and a Python loop over them was most of the notebook's run time.

    Parameters
    ----------
    actual : array_like
    paths : array_like, shape (n, months)
    thresholds : tuple of float, default (0.5, 0.9)
    trough, span_end : int, optional

    Returns
    -------
    dict
        {"trough": (n,) int (-1 where nothing is observed), "depth": (n,), "recover": {th: (n,)}, "shortfall": (n,)}
    """
    actual = np.asarray(actual, float)
    cf = np.atleast_2d(np.asarray(paths, float))
    n, t = cf.shape
    ok = np.isfinite(actual)[None, :] & np.isfinite(cf)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(ok, 1 - actual[None, :] / np.where(ok, cf, 1.0), np.nan)
    if trough is None:
        any_ok = ok.any(axis=1)
        g_safe = np.where(any_ok[:, None], g, 0.0)
        trough_ = np.where(any_ok, np.nanargmax(np.where(np.isnan(g_safe), -np.inf, g_safe), axis=1), 0)
    else:
        any_ok = ok[:, int(trough)]
        trough_ = np.full(n, int(trough))
    depth = np.where(any_ok, g[np.arange(n), trough_], np.nan)
    idx = np.arange(t)[None, :]
    after = ok & (idx > trough_[:, None])
    recover = {}
    for th in sorted(thresholds):
        hit = after & (g <= ((1 - th) * depth)[:, None])
        first = np.where(hit.any(axis=1), np.argmax(hit, axis=1), -1)
        r = np.where(first >= 0, first - trough_, np.inf).astype(float)
        r = np.where(depth <= 0, 0.0, r)
        recover[th] = np.where(any_ok, r, np.nan)
    final = recover[max(thresholds)]
    last_reached = np.where(depth > 0, np.where(np.isfinite(final), trough_ + np.nan_to_num(final, posinf=0).astype(int),
                                                 t - 1), trough_)
    if span_end is not None:
        last_reached = np.full(n, int(span_end))
    in_span = ok & (idx <= last_reached[:, None])
    shortfall = np.where(in_span, cf - actual[None, :], 0.0).sum(axis=1)
    if span_end is None:
        shortfall = np.where(depth > 0, shortfall, 0.0)
    shortfall = np.where(any_ok, shortfall, np.nan)
    return {"trough": np.where(any_ok, trough_, -1), "depth": depth, "recover": recover, "shortfall": shortfall}


@dataclass
class Rebound:
    """Rebound figures: `point` holds each central estimate, the *_ci tuples its interval (see `rebound`).

    Parameters
    ----------
    cf : Counterfactual
    thresholds : tuple of float
    level : float
    point : dict
        trough, depth, recover {threshold: months}, shortfall (t), shortfall_end.
    depth_ci : tuple of float
    recover_ci : dict of float to tuple
    shortfall_ci : tuple of float
    not_recovered_share : dict of float to float
        Per threshold, the share of paths that never recover.
    missing_post, derived_post : list of str
        Post-shock months with no value, and with a derived one.
    n_draws : int
    central : dict
        The same figures read off the central counterfactual path alone.
    trough_share : float
        Share of simulated paths whose own deepest month is the trough month.
    """
    cf: Counterfactual
    thresholds: tuple
    level: float
    point: dict
    depth_ci: tuple
    recover_ci: dict
    shortfall_ci: tuple
    not_recovered_share: dict
    missing_post: list
    derived_post: list
    n_draws: int
    central: dict = field(default_factory=dict)
    trough_share: float = float("nan")

    def month(self, offset: float | None) -> str:
        """Name the month `offset` months after the shock ('YYYY-MM'; 'n/a' for None or never).

        Parameters
        ----------
        offset : float or None

        Returns
        -------
        str
        """
        if offset is None or not np.isfinite(offset):
            return "n/a"
        return str(self.cf.shock + int(offset))

    @property
    def method(self) -> str:
        """How the central estimates and intervals are made, in plain words (for the page)."""
        if self.point["trough"] is None:
            return "No post-shock month has both an actual value and a counterfactual, so there are no rebound figures."
        return (f"The trough month, {self.month(self.point['trough'])}, is where exports fell furthest below the central "
                "counterfactual; every figure is conditioned on it, on the central path and on each of the "
                f"{self.n_draws:,} simulated counterfactual paths alike (it was also the deepest month on "
                f"{self.trough_share:.0%} of the paths). Trough depth: the gap in that month; its interval is the "
                "counterfactual's prediction interval for that month turned into a gap, so the estimate is its "
                "median. Months to recover and the cumulative shortfall: each is computed on every path in the same "
                "way (recovery from that path's own gap in the trough month; shortfall summed from the shock to the "
                "month the central estimate reaches the higher threshold); the estimate is the median over the paths "
                f"and the interval the central {self.level:.0%} of the same values, so it always contains the "
                "estimate. The median of the shortfall is not the sum of the monthly counterfactual medians in the "
                "table above: those are back-transformed from logs, and a sum of skewed values has a higher median.")


def _quantiles(values, level: float) -> tuple[float, float, float]:
    """(lower, median, upper) of the draws at `level`: empirical quantiles of the same draws, NaN dropped, so
    lower <= median <= upper always; inverted_cdf keeps 'not recovered' (inf) a possible value."""
    v = np.asarray(values, float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return (float("nan"),) * 3
    a = (1 - level) / 2
    lo, mid, hi = np.quantile(v, [a, 0.5, 1 - a], method="inverted_cdf")
    return float(lo), float(mid), float(hi)


def rebound(cf: Counterfactual, thresholds=(0.5, 0.9), level: float | None = None, n_draws: int = N_DRAWS,
            seed: int = SEED, statuses: pd.Series | None = None) -> Rebound:
    """Rebound figures with intervals that contain their estimates by construction.

    A percentile interval of a statistic re-selected on each simulated path is not an interval for the figure
    read off the central path: the deepest month of a noisy path is deeper than the central path's trough on
    average (the maximum of noise), and a sum of back-transformed log values has a median above the sum of their
    medians. So every figure here is one statistic, computed the same way on the central path and on each path:

    * the trough month T is the central path's deepest month, fixed on every path;
    * depth = the gap at T. Its distribution is a monotone transform of the counterfactual's t predictive
      distribution at T, so the interval is exact (the monthly prediction interval turned into a gap) and the
      central estimate is its median, equal to the central path's gap;
    * months to recover each threshold, counted from T against each path's own depth at T: estimate = median
      over the paths, interval = central `level` quantiles of the same values. A path on which a threshold is
      never reached counts as 'not yet' (infinite);
    * shortfall over a fixed span, from the shock to T plus the estimated months to the higher threshold (or to
      the end): median and quantiles over paths.

    Parameters
    ----------
    cf : Counterfactual
    thresholds : tuple of float, default (0.5, 0.9)
    level : float, optional
        Interval level, share 0-1; the counterfactual's by default.
    n_draws, seed : int
    statuses : pandas.Series, optional
        Month -> status, to list derived post-shock months.

    Returns
    -------
    Rebound
    """
    level = cf.level if level is None else level
    post = cf.post
    actual = post["actual"].to_numpy(float)
    central = rebound_stats(actual, post["mean"].to_numpy(float), thresholds)
    missing_post = [str(m) for m, v in zip(post.index, actual) if not np.isfinite(v)]
    derived_post = []
    if statuses is not None:
        derived_post = [str(m) for m in post.index if statuses.get(m, "") == "derived" and np.isfinite(post.loc[m, "actual"])]
    nan2 = (float("nan"), float("nan"))
    T = central["trough"]
    if T is None:
        return Rebound(cf=cf, thresholds=tuple(thresholds), level=level, point=central, depth_ci=nan2,
                       recover_ci={th: nan2 for th in thresholds}, shortfall_ci=nan2,
                       not_recovered_share={th: float("nan") for th in thresholds}, missing_post=missing_post,
                       derived_post=derived_post, n_draws=n_draws, central=central)
    paths = cf.draws(n_draws, seed)
    free = rebound_stats_paths(actual, paths, thresholds)
    trough_share = float(np.mean(free["trough"] == T))
    sims = rebound_stats_paths(actual, paths, thresholds, trough=T)
    # depth at T: exact quantiles of the t predictive distribution of log cf_T, turned into gaps
    q = _tq(level, cf._sim["df"])
    m, s = float(cf._sim["mean_log"][T]), float(cf._sim["scale_log"][T])
    depth_ci = (float(1 - actual[T] / math.exp(m - q * s)), float(1 - actual[T] / math.exp(m + q * s)))
    point = {"trough": T, "depth": float(1 - actual[T] / math.exp(m)), "recover": {}}
    recover_ci, not_rec = {}, {}
    for th in thresholds:
        lo, mid, hi = _quantiles(sims["recover"][th], level)
        point["recover"][th], recover_ci[th] = mid, (lo, hi)
        not_rec[th] = float(np.mean(~np.isfinite(sims["recover"][th])))
    r_final = point["recover"][max(thresholds)]
    end = int(T + r_final) if np.isfinite(r_final) else len(actual) - 1
    short = rebound_stats_paths(actual, paths, thresholds, trough=T, span_end=end)["shortfall"]
    lo, mid, hi = _quantiles(short, level)
    point.update(shortfall=mid, shortfall_end=end)
    return Rebound(cf=cf, thresholds=tuple(thresholds), level=level, point=point, depth_ci=depth_ci,
                   recover_ci=recover_ci, shortfall_ci=(lo, hi), not_recovered_share=not_rec,
                   missing_post=missing_post, derived_post=derived_post, n_draws=n_draws, central=central,
                   trough_share=trough_share)


def rebound_table(rb: Rebound) -> pd.DataFrame:
    """The rebound figures as rounded text, for the page: estimate, interval, month reached.

    Parameters
    ----------
    rb : Rebound

    Returns
    -------
    pandas.DataFrame
    """
    p = rb.point
    rows = [{"figure": "Trough depth (% below counterfactual)", "estimate": fmt_pct(p["depth"], 0, sign=False),
             f"{rb.level:.0%} interval": fmt_interval(*rb.depth_ci, fmt=lambda v: fmt_pct(v, 0, sign=False)),
             "month": rb.month(p["trough"])}]
    for th in rb.thresholds:
        r = p["recover"][th]
        lo, hi = rb.recover_ci[th]
        rows.append({"figure": f"Months from trough to recover {th:.0%} of the gap",
                     "estimate": _months_text(r),
                     f"{rb.level:.0%} interval": f"{_months_text(lo)} to {_months_text(hi)}",
                     "month": rb.month(p["trough"] + r) if p["trough"] is not None and np.isfinite(r) else "n/a"})
    end = p["shortfall_end"]
    rows.append({"figure": f"Cumulative shortfall to {max(rb.thresholds):.0%} recovery (t)",
                 "estimate": fmt_t(p["shortfall"]),
                 f"{rb.level:.0%} interval": fmt_interval(*rb.shortfall_ci),
                 "month": f"{rb.cf.shock} to {rb.month(end)}" if end is not None else "n/a"})
    return pd.DataFrame(rows)


def monthly_table(cf: Counterfactual, statuses: pd.Series, level: float) -> pd.DataFrame:
    """Post-shock months as text, for the page: actual, status, counterfactual and its interval, gap.

    Parameters
    ----------
    cf : Counterfactual
    statuses : pandas.Series
    level : float

    Returns
    -------
    pandas.DataFrame
    """
    post = cf.post
    gap = 1 - post["actual"] / post["mean"]
    return pd.DataFrame({
        "month": [str(m) for m in post.index],
        "status": [statuses.get(m, "missing") if np.isfinite(v) or statuses.get(m, "missing") == "missing"
                   else "combined (in a two-month total, not split)" if statuses.get(m) == "combined"
                   else f"{statuses.get(m)} (not used)" for m, v in zip(post.index, post["actual"])],
        "actual (t)": [fmt_t(v, 0) for v in post["actual"]],
        "counterfactual (t)": [fmt_t(v, 0) for v in post["mean"]],
        f"{level:.0%} interval (t)": [fmt_interval(lo, hi, fmt=lambda x: fmt_t(x, 0)) for lo, hi in zip(post["lower"], post["upper"])],
        "below counterfactual": [fmt_pct(v, 0, sign=False) if np.isfinite(v) else "n/a" for v in gap],
    })
