"""The rebound model with a second control event and with combined January-February totals.

Known answers on synthetic series: months after a second event are never compared
with the first shock's counterfactual nor used as normal months in the placebo test;
a two-month total is fitted as the sum of two monthly predictions, never split.
"""
import shutil

import numpy as np
import pandas as pd
import pytest

from conftest import write_table
from helpers import models, paths

S1, S2 = pd.Period("2025-04", "M"), pd.Period("2025-10", "M")


def series(shape: dict, start="2023-01", end="2026-03", noise=0.01, seed=3) -> pd.Series:
    idx = pd.period_range(start, end, freq="M")
    rng = np.random.default_rng(seed)
    y = pd.Series(5000 * np.exp(rng.normal(0, noise, len(idx))), index=idx)
    for m, f in shape.items():
        y[pd.Period(m, "M")] *= f
    return y


# first shock: a 70% fall, then stuck 20% below; from the second event on back to normal
STUCK = {"2025-04": 0.3, "2025-05": 0.3, **{m: 0.8 for m in ("2025-06", "2025-07", "2025-08", "2025-09")}}


@pytest.fixture
def second_break_data(tmp_path):
    shutil.copy(paths.DATAPACKAGE, tmp_path / "datapackage.json")
    write_table(tmp_path, "sources", [
        {"source_id": "doc_a", "publisher": "Reuters via Example", "title": "t", "published": "2026-04-20",
         "address": "https://example.org/a", "accessed": "2026-11-24", "kind": "wire copy"}])
    y = series(STUCK)
    write_table(tmp_path, "exports", [
        {"series": "magnets", "partner": "World", "period_kind": "month", "period_start": str(m), "period_end": str(m),
         "value": f"{v:.2f}", "unit": "t", "status": "reported", "formula": "", "source_id": "doc_a",
         "locator": f"{v:.2f} tonnes", "preferred": "true"} for m, v in y.items()])
    ev = [("licences_s1", "2025-04-04"), ("expansion_s2", "2025-10-09"), ("suspension", "2025-11-07")]
    write_table(tmp_path, "events", [
        {"event_id": i, "date": d, "precision": "day", "date_basis": "stated", "kind": "export_control", "stage": "",
         "quota_year": "", "part": "", "title": f"Announcement {i}: test", "source_id": "doc_a", "locator": "x"}
        for i, d in ev])
    return tmp_path


def test_months_after_a_second_event_are_not_the_first_shocks_path(second_break_data):
    r = models.rebound_analysis("magnets_world", "2025-04", data_dir=second_break_data)
    assert r.events["second"] == S2 and r.end == S2 - 1
    assert r.cf.frame.index.max() == S2 - 1  # no month after the second event is compared with the counterfactual
    assert r.its["end"] == S2 - 1
    # the exports only climb back once the controls are suspended: that is not a recovery from the first shock
    assert not np.isfinite(r.rebound.point["recover"][0.9])
    assert r.second is not None and r.second["months_after"] == 6
    assert "not by 2025-09 (the month before the second event)" in " ".join(models.rebound_findings(r))
    text = " ".join(models.second_event_findings(r))
    assert "2025-10" in text and "cannot be separated" in text and "1 month (2025-10) lies" in text


def test_placebo_does_not_take_an_earlier_events_months_as_normal():
    # a real shock at S2 (a 50% fall for three months), with the S1 fall before it
    y = series({**STUCK, "2025-10": 0.5, "2025-11": 0.5, "2025-12": 0.5}, start="2022-01")
    y[y.index > pd.Period("2025-12", "M")] = np.nan
    naive = models.placebo_test(y, S2, 12, "auto", 3, 0.9)
    assert naive["exceed"] > 0  # without the rule the S1 fall is a 'normal' month that dips deeper than the real shock
    ex = list(pd.period_range(S1, S2 - 1, freq="M"))
    pl = models.placebo_test(y, S2, 12, "auto", 3, 0.9, exclude=ex)
    fakes = [pd.Period(m, "M") for m in pl["placebos"]["fake_shock"]]
    assert fakes and all(not (f <= m <= f + 2) for f in fakes for m in ex)
    assert pl["exceed"] == 0 and pl["stands_out"] is True
    cf = models.fit_counterfactual(y, S2, 12, exclude=ex)
    assert cf.n_obs == 12 - len(ex) and cf.frame.loc[ex, "actual"].isna().all()


def test_second_event_step_known_answer():
    recovered = {"2025-04": 0.3, "2025-05": 0.6}
    step = series({**recovered, **{str(m): 0.7 for m in pd.period_range(S2, "2026-03", freq="M")}}, noise=0.02)
    s = models.second_event(step, S1, S2, pd.Period("2025-06", "M"), 24, 0.9)
    assert s["estimable"] and s["effect"] == pytest.approx(-0.3, abs=0.05)
    assert s["lower"] < -0.3 < s["upper"] and s["upper"] < 0
    assert s["n_outside"] == s["n_compared"] == 6
    flat = models.second_event(series(recovered, noise=0.02), S1, S2, pd.Period("2025-06", "M"), 24, 0.9)
    assert flat["lower"] < 0 < flat["upper"] and flat["n_outside"] <= 1
    assert 0 < flat["detectable"] < 0.3
    none = models.second_event(series(STUCK), S1, S2, None, 24, 0.9)
    assert not none["estimable"] and "not recovered" in none["note"]


# --------------------------------------------------------------------------- combined January-February totals

def test_a_two_month_total_is_fitted_as_the_sum_of_two_monthly_predictions():
    idx = pd.period_range("2023-04", "2025-03", freq="M")
    exact = pd.Series(1000 * np.exp(0.02 * np.arange(len(idx))), index=idx)
    jf = pd.period_range("2025-01", "2025-02", freq="M")
    y = exact.copy()
    y[jf] = np.nan
    total = pd.DataFrame({"period_start": [jf[0]], "period_end": [jf[-1]], "value": [exact[jf].sum()], "used": [True]})
    cf = models.fit_counterfactual(y.reindex(pd.period_range("2023-04", "2025-06", freq="M")), S1, 24, "trend",
                                   combined=total)
    assert cf.n_obs == 23 and len(cf.combined) == 1
    assert cf.frame.loc[jf, "mean"].sum() == pytest.approx(exact[jf].sum(), rel=1e-9)
    assert cf.growth["monthly"] == pytest.approx(np.expm1(0.02), rel=1e-9)
    # only totals, no single month: still the exact trend (a total read as one month would be twice too high)
    groups = [np.column_stack([np.ones(2), [t, t + 1]]) for t in range(0, 24, 2)]
    fit = models.fit_log_sums(groups, [np.log(np.exp(2 + 0.02 * t) + np.exp(2 + 0.02 * (t + 1))) for t in range(0, 24, 2)])
    assert fit["params"] == pytest.approx([2.0, 0.02], abs=1e-9) and np.abs(fit["resid"]).max() < 1e-9


def test_combined_totals_are_used_only_where_their_months_have_no_value_of_their_own(tmp_path):
    shutil.copy(paths.DATAPACKAGE, tmp_path / "datapackage.json")
    write_table(tmp_path, "sources", [
        {"source_id": "doc_a", "publisher": "p", "title": "t", "published": "2026-03-10",
         "address": "https://example.org/a", "accessed": "2026-11-24", "kind": "wire copy"}])
    rows = [("months", "2025-01", "2025-02", "8000", "reported"), ("month", "2025-03", "2025-03", "4000", "reported"),
            ("months", "2026-01", "2026-02", "9000", "reported"), ("month", "2026-01", "2026-01", "4600", "derived")]
    write_table(tmp_path, "exports", [
        {"series": "rare_earths", "partner": "World", "period_kind": k, "period_start": a, "period_end": b, "value": v,
         "unit": "t", "status": st, "formula": "9000 - 4400" if st == "derived" else "",
         "expression": "9000 - 4400" if st == "derived" else "", "source_id": "doc_a",
         "locator": f"{v} t", "preferred": "true"} for k, a, b, v, st in rows])
    c = models.export_combined("rare_earths", data_dir=tmp_path)
    assert c["used"].tolist() == [True, False]  # 2026's January has a (derived) value of its own
    assert models.export_combined("rare_earths", use_derived=False, data_dir=tmp_path)["used"].tolist() == [True, True]
    h = models.export_history("rare_earths", data_dir=tmp_path)
    assert h.loc["2025-01":"2025-02", "status"].tolist() == ["combined", "combined"]
    assert h.loc["2025-01":"2025-02", "y"].isna().all()  # never split into two invented months
    assert str(h.index.max()) == "2026-02"
    # cached per version of the folder: a caller's change never reaches the next caller ...
    h.loc["2025-03", "y"] = -1.0
    c.loc[0, "used"] = False
    assert models.export_history("rare_earths", data_dir=tmp_path).loc["2025-03", "y"] == 4000
    assert models.export_combined("rare_earths", data_dir=tmp_path)["used"].tolist() == [True, False]
    # ... and an edited file is read again (a researcher adds a month and re-runs the cell)
    rows.append(("month", "2026-03", "2026-03", "5100", "reported"))
    write_table(tmp_path, "exports", [
        {"series": "rare_earths", "partner": "World", "period_kind": k, "period_start": a, "period_end": b, "value": v,
         "unit": "t", "status": st, "formula": "9000 - 4400" if st == "derived" else "",
         "expression": "9000 - 4400" if st == "derived" else "", "source_id": "doc_a",
         "locator": f"{v} t", "preferred": "true"} for k, a, b, v, st in rows])
    assert models.export_history("rare_earths", data_dir=tmp_path).loc["2026-03", "y"] == 5100


# --------------------------------------------------------------------------- "What the data show since"

def test_since_sections_run_to_the_newest_month_and_year_in_the_data():
    from helpers import data, narrative

    per = data.export_periods("magnets")
    assert narrative.last_month("magnets") == pd.Period(per["period_end"].max(), "M")
    assert narrative.last_month("rare_earths") >= pd.Period(data.monthly_exports("rare_earths").dropna().index.max(), "M")
    q = data.load_quotas(stage="mining", part="annual", segment="total").dropna(subset=["value"])
    assert narrative.last_quota_year("mining") == int(q["year"].max())
    note = narrative.since_note("rare_earths")
    assert narrative.month(narrative.last_month("rare_earths")) in note and "one total" in note


# --------------------------------------------------------------------------- the counterfactual against naive

def test_counterfactual_backtest_beats_naive_on_a_trend_and_not_on_a_random_walk():
    idx = pd.period_range("2021-01", "2025-06", freq="M")
    rng = np.random.default_rng(5)
    trend = pd.Series(1000 * np.exp(0.05 * np.arange(len(idx)) + rng.normal(0, 0.02, len(idx))), index=idx)
    bt = models.counterfactual_backtest(trend, S1, 24, "auto", 0.9)
    assert bt["n"] > 20 and bt["rel"] < 0.8 and "beats the naive" in bt["verdict"]
    assert bt["coverage"] > 0.7
    walk = pd.Series(1000 * np.exp(np.cumsum(rng.normal(0, 0.15, len(idx)))), index=idx)
    bw = models.counterfactual_backtest(walk, S1, 24, "auto", 0.9)
    assert bw["rel"] > 1 and "does not beat" in bw["verdict"]
