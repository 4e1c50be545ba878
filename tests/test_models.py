"""Known-answer tests for helpers.models, and the two model notebooks run end to end.

Synthetic series with answers known in advance: a quota growing 10% a year, a
hand-computed rolling-origin backtest on five points, a drop and recovery of
known depth and timing, placebo logic, and missing months and years that must
stay missing.
"""
import math
import shutil

import numpy as np
import pandas as pd
import pytest

from conftest import write_table
from helpers import models, paths


def growing(rate=0.10, years=range(2008, 2025), noise=0.01, seed=7, gaps=()):
    rng = np.random.default_rng(seed)
    years = [y for y in years if y not in gaps]
    t = np.array(years) - years[0]
    return pd.Series(100_000 * (1 + rate) ** t * np.exp(rng.normal(0, noise, len(t))), index=pd.Index(years))


def test_every_public_model_name_resolves_to_the_sub_module_that_defines_it():
    """helpers.models re-exports each name from the module its map names (quota or evaluation after the split)."""
    import importlib
    import inspect

    for name in models.__all__:
        where = models._MODULE_OF[name]
        obj = getattr(importlib.import_module(where), name)  # AttributeError: listed under the wrong module
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert obj.__module__ == where, f"{name} is listed under {where} but defined in {obj.__module__}"
        assert getattr(models, name) is obj


# --------------------------------------------------------------------------- growth rates

@pytest.mark.parametrize("gaps", [(), (2015, 2016)])
def test_ten_percent_growth_is_recovered_with_an_interval_that_covers_it(gaps):
    g = models.loglinear_growth(growing(gaps=gaps), level=0.9)
    assert g["rate"] == pytest.approx(0.10, abs=0.005)
    assert g["lower"] < 0.10 < g["upper"]
    assert g["upper"] - g["lower"] < 0.02  # informative, not a blanket interval
    assert g["n"] == 17 - len(gaps)


def test_naive_drift_on_exact_growth_forecasts_the_next_values():
    s = growing(noise=0.0, gaps=(2015, 2016))
    fc = models.forecast_naive(s, [2025, 2026])
    assert fc["mean"].tolist() == pytest.approx([s.iloc[-1] * 1.1, s.iloc[-1] * 1.21], rel=1e-9)


def test_segmented_trend_finds_each_regimes_growth():
    years = np.arange(2010, 2025)
    logv = np.where(years < 2018, np.log(100) + 0.03 * (years - 2010), np.log(100) + 0.03 * 8 + 0.15 * (years - 2018))
    rng = np.random.default_rng(3)
    s = pd.Series(np.exp(logv + rng.normal(0, 0.005, len(years))), index=years)
    seg = models.segmented_growth(s, breaks=(2018,), level=0.9)
    assert seg["segment"].tolist() == ["2010-2018", "2018-2024"]
    assert seg["rate"].tolist() == pytest.approx([math.expm1(0.03), math.expm1(0.15)], abs=0.01)
    assert models.estimate_breaks(s) in {(2018,), (2017,), (2019,)}


def test_break_with_too_few_years_is_dropped_and_said():
    s = pd.Series([90.0, 100, 115, 127, 135, 162, 202, 244, 254], index=[2011, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024])
    kept, notes = models.resolve_breaks(s, "fixed")
    assert kept == (2018,)
    assert notes and "2014" in notes[0]


def test_holt_passes_over_missing_years_without_filling_them():
    s = growing(gaps=(2015, 2016))
    res, last = models.holt_fit(s)
    assert last == 2024
    assert np.isnan(res.model.endog[2015 - 2008]).all()  # the gap is a missing observation in the filter
    fc = models.forecast_holt(s, [2025])
    assert fc["lower"].iloc[0] < fc["mean"].iloc[0] < fc["upper"].iloc[0]


# --------------------------------------------------------------------------- backtest

TINY = pd.Series([100.0, 110.0, 121.0, 150.0, 160.0], index=[2000, 2001, 2002, 2003, 2004])


def test_backtest_by_hand_on_five_points():
    bt = models.backtest(TINY, horizons=(1, 2), min_train=2, models=("naive",))
    got = {(r.origin, r.h): r.forecast for r in bt.itertuples()}
    # origin 2001: drift = ln(110/100) per year; origin 2002: ln(121/100)/2 = ln 1.1; origin 2003: ln(1.5)/3
    want = {(2001, 1): 121.0, (2001, 2): 133.1, (2002, 1): 133.1, (2002, 2): 146.41, (2003, 1): 150 * 1.5 ** (1 / 3)}
    assert set(got) == set(want)  # no origin 2004 (nothing left to score), no target beyond 2004
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=1e-9)
    sc = models.backtest_scores(bt).set_index("h")
    mae1 = (0 + 16.9 + abs(150 * 1.5 ** (1 / 3) - 160)) / 3
    mape1 = (0 + 16.9 / 150 + abs(150 * 1.5 ** (1 / 3) - 160) / 160) / 3
    assert sc.loc[1, "mae"] == pytest.approx(mae1, rel=1e-9)
    assert sc.loc[1, "mape"] == pytest.approx(mape1, rel=1e-9)
    assert sc.loc[2, "mae"] == pytest.approx((16.9 + 13.59) / 2, rel=1e-9)
    assert sc.loc[2, "n"] == 2


def test_backtest_never_scores_a_missing_year():
    s = TINY.drop(2002)
    bt = models.backtest(s, horizons=(1, 2), min_train=2, models=("naive",))
    assert 2002 not in set(bt["target"])
    assert set(zip(bt["origin"], bt["h"])) == {(2001, 2), (2003, 1)}


def test_verdict_says_when_a_model_does_not_beat_naive():
    """A series on which the naive forecast is exact at every origin, so no model can beat it.

    The naive drift is (log y_last - log y_first) / span: it reads only the first and the
    latest year. Log values on one straight line, except four early years lifted off it
    (before the first backtest origin, min_train = 6), give the naive model the line's
    slope exactly at every origin: every naive forecast is exact (MAE 0). The regressions
    are fitted on all years, the lifted ones included, so theirs miss: each model's MAE is
    above 0 and its verdict must be "does not beat naive".

    2000-2016 gives eleven origins (2005-2015), 21 naive forecasts, and a segmented trend that
    uses its 2014 break at the last origin; Holt's maximum-likelihood fits, one set per origin,
    are nearly all of this test's time, so the series is no longer than that.
    """
    years = np.arange(2000, 2017)
    log_y = np.log(100_000) + 0.08 * (years - 2000)
    log_y[1:5] += [0.6, -0.4, 0.5, -0.3]
    s = pd.Series(np.exp(log_y), index=pd.Index(years))
    bt = models.backtest(s, level=0.9)
    naive = bt[bt["model"] == "naive"]
    assert len(naive) > 20 and naive["abs_error"].max() < 1e-6 * s.max()  # exact, as constructed
    allh = models.backtest_scores(bt).query("h == 'all'").set_index("model")
    assert allh.loc["naive", "verdict"] == "baseline"
    fitted = allh.drop("naive")[allh.drop("naive")["n"] > 0]
    assert {"loglinear", "segmented"} <= set(fitted.index)
    for m, row in fitted.iterrows():
        assert row["mae"] > 100, f"{m} should miss the line (MAE {row['mae']:.1f})"
        assert row["verdict"] == "does not beat naive", (m, row["verdict"])
    assert models.best_model(models.backtest_scores(bt)) == "naive"


def test_slowdown_flags_a_year_far_below_the_trend_and_not_one_on_it():
    s = growing(noise=0.01, years=range(2018, 2025))
    on_trend = models.slowdown_test(s, 2018, 2023, 2024, 0.9)
    assert on_trend["testable"] and not on_trend["below_interval"]
    s2 = s.copy()
    s2[2024] = s2[2023] * 0.9
    low = models.slowdown_test(s2, 2018, 2023, 2024, 0.9)
    assert low["below_interval"] and "below the 90% prediction interval" in low["verdict"]


# --------------------------------------------------------------------------- export shock

SHOCK = pd.Period("2025-04", "M")


def monthly(drop=None, start="2022-01", end="2025-12", noise=0.02, seed=1, growth=0.0):
    idx = pd.period_range(start, end, freq="M")
    rng = np.random.default_rng(seed)
    y = pd.Series(1000 * (1 + growth) ** np.arange(len(idx)) * np.exp(rng.normal(0, noise, len(idx))), index=idx)
    for k, f in (drop or {}).items():
        y[SHOCK + k] *= f
    return y


def test_rebound_stats_known_answer():
    cf = np.full(6, 1000.0)
    actual = np.array([600.0, 300.0, 700.0, 950.0, 1000.0, 1000.0])
    st = models.rebound_stats(actual, cf, (0.5, 0.9))
    assert st["trough"] == 1 and st["depth"] == pytest.approx(0.70)
    assert st["recover"] == {0.5: 1.0, 0.9: 2.0}  # 30% gap <= 35% one month on; 5% <= 7% two months on
    assert st["shortfall"] == pytest.approx(400 + 700 + 300 + 50)
    assert st["shortfall_end"] == 3


def test_drop_and_recovery_gives_back_its_depth_and_recovery_month():
    y = monthly({0: 0.6, 1: 0.3, 2: 0.7, 3: 0.95}, noise=0.01)
    cf = models.fit_counterfactual(y, SHOCK, pre_months=24, kind="auto", level=0.9)
    assert cf.kind == "trend" and cf.n_obs == 24
    rb = models.rebound(cf, (0.5, 0.9), 0.9)
    assert rb.month(rb.point["trough"]) == "2025-05"
    assert rb.point["depth"] == pytest.approx(0.70, abs=0.03)
    assert rb.depth_ci[0] < 0.70 < rb.depth_ci[1]
    assert rb.point["recover"][0.5] == 1 and rb.point["recover"][0.9] == 2
    assert rb.month(rb.point["trough"] + rb.point["recover"][0.9]) == "2025-07"
    assert rb.point["shortfall"] == pytest.approx(1450, rel=0.05)


def test_interrupted_time_series_recovers_a_level_drop():
    y = monthly({k: 0.5 for k in range(9)}, noise=0.01)
    its = models.interrupted_time_series(y, SHOCK, 24, 0.9)
    assert its["estimable"]
    assert its["level_change"] == pytest.approx(-0.5, abs=0.03)
    assert its["level_lower"] < -0.5 < its["level_upper"]
    assert abs(its["slope_change"]) < 0.01


def test_short_window_falls_back_to_a_level_and_too_short_stops_with_a_message():
    y = monthly({1: 0.3})
    y[y.index < SHOCK - 6] = np.nan  # only six pre-shock months left
    cf = models.fit_counterfactual(y, SHOCK, 24)
    assert cf.kind == "level" and "too few for a trend" in cf.reason
    y[y.index < SHOCK - 2] = np.nan
    with pytest.raises(models.ModelError, match="only 2 observed months in the pre-shock window"):
        models.fit_counterfactual(y, SHOCK, 24)
    with pytest.raises(models.ModelError, match="needs at least 12 observed pre-shock months"):
        models.fit_counterfactual(monthly().where(lambda s: s.index >= SHOCK - 5), SHOCK, 24, kind="trend")


def test_placebo_real_shock_stands_out_and_no_shock_does_not():
    shocked = models.placebo_test(monthly({0: 0.5, 1: 0.3, 2: 0.6}), SHOCK, 12, "auto", 3, 0.9)
    assert shocked["n"] >= 20 and shocked["stands_out"] is True and shocked["exceed"] == 0
    assert shocked["p"] == pytest.approx(1 / (1 + shocked["n"]))
    last_fake = max(pd.Period(m, "M") for m in shocked["placebos"]["fake_shock"])
    assert last_fake + 2 < SHOCK  # every fake window ends before the real shock
    calm = models.placebo_test(monthly(seed=11), SHOCK, 12, "auto", 3, 0.9)
    assert calm["stands_out"] is False and "does not stand out" in calm["verdict"]


def test_placebo_with_too_few_fake_months_is_inconclusive_not_a_pass():
    y = monthly({1: 0.3}, start="2024-03")
    pl = models.placebo_test(y, SHOCK, 6, "level", 3, 0.9)
    assert 0 < pl["n"] < 9
    assert pl["stands_out"] is None and pl["verdict"].startswith("inconclusive")


def test_missing_months_are_not_interpolated():
    y = monthly({0: 0.5, 1: 0.3, 2: 0.7})
    gone = [SHOCK - 3, SHOCK - 2, SHOCK + 1]
    y[gone] = np.nan
    cf = models.fit_counterfactual(y, SHOCK, 24)
    assert cf.n_obs == 22
    assert cf.frame.loc[gone, "actual"].isna().all()
    rb = models.rebound(cf, (0.5, 0.9), 0.9)
    assert rb.missing_post == ["2025-05"]
    assert rb.month(rb.point["trough"]) != "2025-05"  # the true trough month is missing, so it cannot be the trough
    its = models.interrupted_time_series(y, SHOCK, 24)
    assert its["n_pre"] == 22 and its["n_post"] == len(y[y.index >= SHOCK].dropna())
    table = models.monthly_table(cf, pd.Series("reported", index=y.index).where(y.notna(), "missing"), 0.9)
    assert table.loc[table["month"] == "2025-05", "actual (t)"].item() == "n/a"
    assert table.loc[table["month"] == "2025-05", "status"].item() == "missing"


# --------------------------------------------------------------------------- reading the data

@pytest.fixture
def tiny_data(tmp_path):
    shutil.copy(paths.DATAPACKAGE, tmp_path / "datapackage.json")
    write_table(tmp_path, "sources", [
        {"source_id": "doc_a", "publisher": "Reuters via Example", "title": "t", "published": "2025-07-20",
         "address": "https://example.org/a", "accessed": "2026-11-24", "kind": "wire copy"}])
    rows = []
    for month, value, status in (("2025-01", "6357", "reported"), ("2025-04", "2628", "derived"),
                                 ("2025-05", "1238", "reported")):
        rows.append({"series": "magnets", "partner": "World", "period_kind": "month", "period_start": month,
                     "period_end": month, "value": value, "unit": "t", "status": status,
                     "formula": "1238 / (1 - 0.529)" if status == "derived" else "",
                     "expression": "1238 / (1 - 0.529)" if status == "derived" else "", "source_id": "doc_a",
                     "locator": f"{value} tonnes", "preferred": "true"})
    write_table(tmp_path, "exports", rows)
    return tmp_path


def test_export_history_keeps_missing_months_missing_and_flags_derived(tiny_data):
    h = models.export_history("magnets_world", use_derived=True, data_dir=tiny_data)
    assert [str(m) for m in h.index] == ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]
    assert h["status"].tolist() == ["reported", "missing", "missing", "derived", "reported"]
    assert h["y"].isna().tolist() == [False, True, True, False, False]
    h2 = models.export_history("magnets_world", use_derived=False, data_dir=tiny_data)
    assert h2["y"].isna().tolist() == [False, True, True, True, False]
    assert h2["value"].notna().sum() == 3  # the derived value is still shown, just not modelled


# --------------------------------------------------------------------------- notebooks

def _text(nb) -> str:
    parts = []
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            d = o.get("data", {})
            for key in ("text/markdown", "text/plain"):
                if key in d:
                    parts.append("".join(d[key]) if isinstance(d[key], list) else d[key])
                    break
            if "text" in o:
                parts.append("".join(o["text"]) if isinstance(o["text"], list) else o["text"])
    return "\n".join(parts)


def _images(nb) -> list[dict]:
    return [o for c in nb["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})]


@pytest.mark.notebook
@pytest.mark.parametrize("run_id, must_say", [
    ("quota-mining", ["Average growth 2010-2024", "2025 (issued, volume undisclosed) estimate", "USGS MCS 2026"]),
    ("quota-smelting", ["Average growth 2011-2024", "break 2014 dropped"]),
])
def test_quota_growth_notebook_runs(repo_build, run_id, must_say):
    """The manifest's runs, executed once per session by the report runner (tests/conftest.py)."""
    nb = repo_build.notebook(run_id)
    text = _text(nb)
    for phrase in must_say:
        assert phrase in text
    assert "Backtest against the naive baseline" in text
    assert "object at 0x" not in text
    imgs = _images(nb)
    assert len(imgs) >= 4 and all(o["metadata"]["image/png"]["alt"] for o in imgs)


@pytest.mark.notebook
@pytest.mark.parametrize("run_id, must_say", [
    ("rebound-magnets-world", ["Trough depth:", "Placebo test", "2025-02 to 2025-03"]),
    ("rebound-magnets-us", ["Caution:", "derived", "Without derived months:** no counterfactual can be fitted"]),
])
def test_export_rebound_notebook_runs(repo_build, run_id, must_say):
    nb = repo_build.notebook(run_id)
    text = _text(nb)
    for phrase in must_say:
        assert phrase in text
    assert "object at 0x" not in text
    imgs = _images(nb)
    assert len(imgs) >= 2 and all(o["metadata"]["image/png"]["alt"] for o in imgs)

# Refused parameter sets are listed in notebooks/manifest.yml and executed by tests/test_notebooks.py.


def test_rebound_stats_for_many_paths_agree_with_one_path_at_a_time():
    """The vectorised path statistics must equal rebound_stats applied path by path."""
    rng = np.random.default_rng(7)
    actual = np.array([900.0, 300.0, np.nan, 450.0, 800.0, 950.0, np.nan, 1000.0])
    paths = rng.normal(1000, 150, size=(300, actual.size))
    paths[0] = 200.0                      # actual above the counterfactual everywhere: no gap
    paths[1, :] = np.nan                  # nothing observed on this path
    paths[2, [1, 4]] = np.nan             # holes in the path itself
    paths[3] = actual * 1.5               # never recovers: constant gap
    for th in [(0.5, 0.9), (0.3, 0.7)]:
        many = models.rebound_stats_paths(actual, paths, th)
        for i, p in enumerate(paths):
            one = models.rebound_stats(actual, p, th)
            for key in ("depth", "shortfall"):
                assert np.allclose(many[key][i], one[key], equal_nan=True, rtol=1e-12), (i, key)
            for t in th:
                assert np.array_equal(many["recover"][t][i], one["recover"][t], equal_nan=True), (i, t)


# --------------------------------------------------------------------------- intervals contain their estimates

def _manifest_runs(notebook: str) -> list[dict]:
    from nbreport import manifest as manifest_mod
    from helpers.parameters import check, read_spec

    man = manifest_mod.load(paths.ROOT / "notebooks" / "manifest.yml", root=paths.ROOT)
    entry = next(e for e in man.entries if e.path == notebook)
    spec = read_spec(man.notebook_file(entry))
    return [check(spec, run.parameters) for run in entry.runs]


def _assert_rebound_contains(rb, where):
    p = rb.point
    if p["trough"] is None:
        return
    lo, hi = rb.depth_ci
    assert lo <= p["depth"] <= hi, (where, "depth", lo, p["depth"], hi)
    for th in rb.thresholds:
        lo, hi = rb.recover_ci[th]
        assert lo <= p["recover"][th] <= hi, (where, th, lo, p["recover"][th], hi)
    lo, hi = rb.shortfall_ci
    assert lo <= p["shortfall"] <= hi, (where, "shortfall", lo, p["shortfall"], hi)
    # and as printed: rounding is monotone, so the rounded estimate stays inside the rounded interval
    table = models.rebound_table(rb)
    assert len(table) == 2 + len(rb.thresholds)


REBOUND_GRID = [dict(key=k, shock=s, pre_months=pm, kind=kind, level=lv, use_derived=ud)
                for k in models.EXPORT_SERIES for s in ("2024-06", "2025-01", "2025-04")
                for pm, kind in ((12, "auto"), (24, "level"), (36, "year_ago"), (60, "trend"))
                for lv in (0.5, 0.95) for ud in (True, False)]


def test_every_rebound_interval_contains_its_estimate_on_every_manifest_run_and_a_grid():
    """Property: for every parameter set the notebook can run, estimate inside its interval.

    Before the fix, rare_earths / 2024-06 / 60 months / year_ago / level 0.5 gave a trough depth
    of 11% with an interval of 44% to 61% and a shortfall of -6,300 t with 200 to 8,800 t.
    """
    sets = [dict(key=r["series"], shock=r["shock"], pre_months=r["pre_months"], kind=r["counterfactual"],
                 level=r["level"], use_derived=r["use_derived"], thresholds=(r["recovery_low"], r["recovery_high"]))
            for r in _manifest_runs("models/export_rebound.ipynb")]
    sets += [dict(key="rare_earths", shock="2024-06", pre_months=60, kind="year_ago", level=0.5, use_derived=True)]
    sets += REBOUND_GRID
    checked = 0
    histories = {}
    for ps in sets:
        ps = {"thresholds": (0.5, 0.9), **ps}
        hk = (ps["key"], ps["use_derived"])
        histories.setdefault(hk, models.export_history(*hk)["y"])
        try:
            cf = models.fit_counterfactual(histories[hk], ps["shock"], ps["pre_months"], ps["kind"], ps["level"])
        except models.ModelError:
            continue
        _assert_rebound_contains(models.rebound(cf, ps["thresholds"], ps["level"], n_draws=800), ps)
        checked += 1
    assert checked >= 60, checked  # the grid really exercised the estimator


def test_the_reported_contradiction_is_gone():
    y = models.export_history("rare_earths", True)["y"]
    cf = models.fit_counterfactual(y, "2024-06", 60, "year_ago", 0.5)
    rb = models.rebound(cf, (0.5, 0.9), 0.5)
    assert rb.month(rb.point["trough"]) == rb.month(rb.central["trough"])  # the trough month is the central path's
    assert rb.point["depth"] == pytest.approx(rb.central["depth"])
    _assert_rebound_contains(rb, "reproduction")
    assert "median" in rb.method and rb.month(rb.point["trough"]) in rb.method


@pytest.mark.parametrize("kind, drop", [("trend", {0: 0.6, 1: 0.3, 2: 0.7}), ("level", {0: 0.9}),
                                        ("year_ago", {1: 0.5})])
def test_depth_interval_is_the_same_statistic_on_every_path(kind, drop):
    """Known answer: the depth interval (exact, from the t predictive) equals the quantiles of the
    gap at the trough month over simulated paths; and it is the monthly band read as a gap."""
    y = monthly(drop, noise=0.05, start="2022-01")
    cf = models.fit_counterfactual(y, SHOCK, 24, kind, 0.8)
    rb = models.rebound(cf, (0.5, 0.9), 0.8, n_draws=20000)
    T = rb.point["trough"]
    post = cf.post
    a = post["actual"].iloc[T]
    assert rb.depth_ci == pytest.approx((1 - a / post["lower"].iloc[T], 1 - a / post["upper"].iloc[T]))
    gaps = 1 - a / cf.draws(20000)[:, T]
    assert np.quantile(gaps, [0.1, 0.9]) == pytest.approx(rb.depth_ci, abs=0.01)
    assert np.median(gaps) == pytest.approx(rb.point["depth"], abs=0.005)


def test_path_statistics_with_a_fixed_trough_agree_with_one_path_at_a_time():
    rng = np.random.default_rng(3)
    actual = np.array([900.0, 300.0, np.nan, 450.0, 800.0, 950.0, np.nan, 1000.0])
    paths = rng.normal(1000, 250, size=(200, actual.size))
    paths[0] = 200.0
    paths[1, 1] = np.nan  # the fixed trough month unobserved on this path
    for trough, end in ((1, None), (1, 5), (3, 7)):
        many = models.rebound_stats_paths(actual, paths, (0.5, 0.9), trough=trough, span_end=end)
        for i, p in enumerate(paths):
            one = models.rebound_stats(actual, p, (0.5, 0.9), trough=trough, span_end=end)
            assert np.allclose(many["depth"][i], one["depth"], equal_nan=True), i
            assert np.allclose(many["shortfall"][i], one["shortfall"], equal_nan=True), (i, trough, end)
            for t in (0.5, 0.9):
                assert np.array_equal(many["recover"][t][i], one["recover"][t], equal_nan=True), (i, t)


def test_placebo_significance_level_is_fixed_not_the_interval_level():
    y = monthly({0: 0.5, 1: 0.3, 2: 0.6})
    verdicts = {lv: models.placebo_test(y, SHOCK, 12, "auto", 3, lv) for lv in (0.5, 0.8, 0.99)}
    assert len({(v["stands_out"], v["p"], v["verdict"]) for v in verdicts.values()}) == 1
    assert all(v["alpha"] == models.PLACEBO_ALPHA for v in verdicts.values())
    assert f"{models.PLACEBO_ALPHA * 100:g}% significance level" in verdicts[0.5]["verdict"]
    strict = models.placebo_test(y, SHOCK, 12, "auto", 3, 0.9, alpha=0.001)  # below 1 / (1 + n): cannot be reached
    assert strict["stands_out"] is None and "0.1% significance level" in strict["verdict"]


QUOTA_GRID = [(st, fy, ly, lv, br) for st in ("mining", "smelting") for fy, ly in ((2010, 2024), (2010, 2020), (2014, 2024))
              for lv in (0.5, 0.99) for br in ("fixed", "estimated")]


def test_every_quota_interval_contains_its_estimate():
    """Property over every manifest run and a grid: growth rates, segment rates, forecasts, slowdown."""
    sets = [(r["stage"], r["first_year"], r["last_year"], r["level"], r["breaks"], r["use_derived"])
            for r in _manifest_runs("models/quota_growth.ipynb")]
    sets += [(*g, True) for g in QUOTA_GRID]
    checked = 0
    for stage, fy, ly, lv, br, ud in sets:
        s = models.quota_series(models.quota_history(stage, fy, ly, ud))
        if len(s) < 6:
            continue
        g = models.loglinear_growth(s, lv)
        assert g["lower"] <= g["rate"] <= g["upper"]
        for _, seg in models.segmented_growth(s, br, lv).iterrows():
            assert seg["lower"] <= seg["rate"] <= seg["upper"]
        nc = models.nowcast(s, [ly + 1, ly + 2], lv, br, models=("naive", "loglinear", "segmented"))
        ok = nc.dropna(subset=["mean", "lower", "upper"])
        assert ((ok["lower"] <= ok["mean"]) & (ok["mean"] <= ok["upper"])).all(), (stage, fy, ly, lv, br)
        sl = models.slowdown_test(s, 2018, ly - 1, ly, lv)
        if sl["testable"]:
            assert sl["lower"] <= sl["predicted"] <= sl["upper"]
        checked += 1
    assert checked >= 15


def test_placebo_without_an_observed_month_in_the_shock_window_says_so():
    """Found by probing the declared ranges: magnets_us, shock 2025-01, pre_months 6 stopped the notebook."""
    y = monthly({1: 0.3})
    y[(y.index >= SHOCK) & (y.index < SHOCK + 3)] = np.nan
    pl = models.placebo_test(y, SHOCK, 12, "auto", 3, 0.9)
    assert pl["n"] == 0 and pl["stands_out"] is None
    assert pl["verdict"].startswith("no placebo test possible: no observed month in the 3 months from 2025-04")


def test_backtest_chart_on_a_short_window_draws_a_legend_without_warnings():
    """first_year 2018 leaves no 2-year-ahead forecast; the empty panel used to put a legend warning on the page."""
    import warnings

    history = models.quota_history("mining", 2018, 2024)
    bt = models.backtest(models.quota_series(history), models=("naive", "loglinear", "segmented", "holt"))
    assert bt[bt["h"] == 2].empty  # the case that warned
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = models.plot_backtest(bt, history, "mining")
    assert len(fig.axes[1].get_legend().get_texts()) == 4


@pytest.mark.parametrize("cls", ["QuotaResult", "ReboundResult", "WithoutDerived"])
def test_every_field_of_a_model_result_is_documented(cls):
    """Typed results replace many-key dicts: each field says what it holds (numpydoc Parameters: a dataclass's fields are its constructor's)."""
    import dataclasses
    import re

    klass = getattr(models, cls)
    doc = klass.__doc__.split("Parameters\n    ----------\n", 1)[1]
    documented = {n.strip() for line in doc.splitlines() if re.match(r"    \w", line)
                  for n in line.split(":")[0].split(",")}
    assert {f.name for f in dataclasses.fields(klass)} <= documented


def test_usgs_figure_is_set_against_every_models_interval_and_a_year_without_data_says_so():
    # 2018-2024: seven years, so the analysis's backtest fits Holt at one origin (2010-2024 fitted it at
    # nine); the 2025 figure still falls inside some models' intervals and outside others'
    r = models.quota_analysis("mining", 2018, 2024)
    t = models.usgs_comparison(r)
    u = models.usgs_figure(2025)
    assert u is not None and u["edition"] in t["figure in the data (t)"].iloc[0]
    nc = r.nowcast[r.nowcast["year"] == 2025]
    expected = ["inside" if lo <= u["value"] <= hi else "outside" for lo, hi in zip(nc["lower"], nc["upper"])]
    assert t[t["year"] == 2025]["inside the interval?"].tolist() == expected
    assert (t[t["year"] == 2026]["inside the interval?"] == "nothing to compare").all()
    m = models.usgs_vs_quota("mining")
    note = models.usgs_note(r)
    assert f"In {int(m['equal'].sum())} of the {len(m)} years" in note
    assert ("not always the quota" in note) == (not m["equal"].all())
