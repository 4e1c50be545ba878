"""Models of the quota and export series, their results and the findings text.

``from helpers import models`` keeps working: every public name below resolves to the
sub-module that defines it, imported on first use, so that ``helpers.models.series`` (the
data access the parameter check uses) loads without statsmodels or matplotlib.
"""
from __future__ import annotations

import importlib

_WHERE = {
    "helpers.models.series": (
        "COUNTERFACTUAL_KINDS", "EXPORT_SERIES", "MIN_OBS", "MIN_YEARS", "ModelError", "export_history",
        "months_needed", "observed_pre_months", "observed_years", "quota_history", "quota_series", "years_needed"),
    "helpers.models.counterfactual": (
        "MODEL_NAMES", "N_DRAWS", "PLACEBO_ALPHA", "REGIME_BREAKS", "SEED", "Counterfactual", "Rebound",
        "backtest", "backtest_scores", "backtest_table", "backtest_verdict", "best_model", "breaks_note",
        "choose_kind", "dip", "estimate_breaks", "export_data_note", "fit_counterfactual", "fmt_interval",
        "fmt_pct", "fmt_t", "forecast", "forecast_holt", "forecast_loglinear", "forecast_naive",
        "forecast_segmented", "growth_table", "history_table", "holt_fit", "holt_params",
        "interrupted_time_series", "its_table", "loglinear_fit", "loglinear_growth", "monthly_table",
        "naive_drift", "nowcast", "nowcast_table", "nw_lags", "placebo_test", "plot_backtest", "plot_placebo",
        "plot_quota_fan", "plot_quota_fits", "plot_rebound", "plot_slowdown", "quota_analysis",
        "quota_data_note", "quota_findings", "rebound", "rebound_analysis", "rebound_findings", "rebound_stats",
        "rebound_stats_paths", "rebound_table", "resolve_breaks", "segmented_fit", "segmented_growth",
        "forecast_segmented", "shock_events", "show_findings", "show_table", "show_text", "slowdown_test",
        "usable_breaks", "usgs_figure"),
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
