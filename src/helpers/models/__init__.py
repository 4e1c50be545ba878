"""Models of the quota and export series, their typed results and the findings text.

Sub-modules, one job each:

``series``          data access: the quota and export histories the models fit (no statsmodels)
``regression``      t quantiles, Newey-West lags, OLS
``quota``           annual quota growth: naive, log-linear, segmented; `forecast` for all four models
``holt``            Holt's damped trend (the costly fit, remembered in the process)
``evaluation``      their out-of-sample evaluation: backtest, slowdown test, nowcast, USGS comparison
``counterfactual``  the monthly export shock: counterfactual and rebound figures
``shock_tests``     interrupted time series, placebo test, the events around a shock and a second event
``results``         `quota_analysis` / `rebound_analysis` and their dataclasses
``findings``        data notes, tables and findings text written from a result
``formatting``      percentages, tonnes and intervals as the notebooks print them

The model charts live in ``helpers.plots.model_charts``. ``from helpers import models`` keeps
working: every public name below resolves to the sub-module that defines it, imported on
first use, so that ``helpers.models.series`` (the data access the parameter check uses)
loads without statsmodels or matplotlib.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "helpers.models.series": (
        "COUNTERFACTUAL_KINDS", "EXPORT_SERIES", "MIN_OBS", "MIN_YEARS", "ModelError", "export_combined",
        "export_history",
        "months_needed", "observed_pre_months", "observed_years", "quota_history", "quota_series",
        "years_needed"),
    "helpers.models.regression": (
        "fit_log_sums", "nw_lags"),
    "helpers.models.quota": (
        "MODEL_NAMES", "REGIME_BREAKS", "estimate_breaks", "forecast", "forecast_loglinear",
        "forecast_naive", "forecast_segmented", "loglinear_fit", "loglinear_growth",
        "naive_drift", "resolve_breaks", "segmented_fit", "segmented_growth", "usable_breaks"),
    "helpers.models.holt": (
        "forecast_holt", "holt_fit", "holt_params"),
    "helpers.models.evaluation": (
        "backtest", "backtest_scores", "backtest_table", "best_model", "nowcast", "nowcast_table", "slowdown_test",
        "usgs_figure", "usgs_vs_quota"),
    "helpers.models.counterfactual": (
        "Counterfactual", "N_DRAWS", "PLACEBO_ALPHA", "Rebound", "SEED", "choose_kind",
        "fit_counterfactual", "monthly_table", "rebound", "rebound_stats", "rebound_stats_paths", "rebound_table"),
    "helpers.models.shock_tests": (
        "counterfactual_backtest", "dip", "event_months", "interrupted_time_series", "its_table", "placebo_test", "second_event",
        "shock_events"),
    "helpers.models.formatting": (
        "fmt_interval", "fmt_pct", "fmt_t", "show_findings", "show_table", "show_text"),
    "helpers.models.findings": (
        "backtest_verdict", "breaks_note", "export_data_note", "growth_table", "history_table",
        "quota_data_note", "quota_findings", "rebound_findings", "second_event_findings", "second_event_table",
        "usgs_comparison", "usgs_note"),
    "helpers.models.results": (
        "QuotaResult", "ReboundResult", "WithoutDerived", "quota_analysis", "rebound_analysis"),
    "helpers.plots.model_charts": (
        "plot_backtest", "plot_placebo", "plot_quota_fan", "plot_quota_fits", "plot_rebound", "plot_slowdown"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    """Resolve a public name to its defining sub-module (PEP 562), importing it on first use."""
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(_MODULE_OF[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'helpers.models' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
