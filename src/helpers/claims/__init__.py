"""Claim checking: every number an article states, recomputed from the curated tables.

The recipe language, the interval arithmetic and the ledger are described in the
module docstrings of the sub-modules; this package re-exports their public API so that
``from helpers import claims`` and ``claims.check_claims(...)`` keep working.
"""
from helpers.claims.lookups import (  # noqa: F401
    ABOUT_TOLERANCE, DATE_UNITS, FUNCTIONS, HELPERS, LOOKUPS, MEASURED_UNITS, QUALIFIERS, REPORT_WINDOW_DAYS,
    RESULTS_COLUMNS, RESULTS_SCHEMA, RESULTS_SCHEMA_FILE, STATUSES, STRUCTURAL_CONSTANTS, UNITS, ClaimError,
    Context, Input, NotCheckable, Q, Stated, Tables, _numbers_by_article, _pct_below, article_number_forms,
    article_table, check_claim, check_claims, data_value, evaluate, fmt_gap, formula_expression,
    formula_interval, gap_number, judge, load_claims, parse_recipe, parse_stated, printed_step,
    stated_date_range, stated_interval, stated_text_date, status_words, summary)
from helpers.units import MEAN_MONTH_DAYS  # noqa: F401

__all__ = [
    "ABOUT_TOLERANCE", "DATE_UNITS", "FUNCTIONS", "HELPERS", "LOOKUPS", "MEAN_MONTH_DAYS", "MEASURED_UNITS",
    "QUALIFIERS", "REPORT_WINDOW_DAYS", "RESULTS_COLUMNS", "RESULTS_SCHEMA", "RESULTS_SCHEMA_FILE", "STATUSES",
    "STRUCTURAL_CONSTANTS", "UNITS", "ClaimError", "Context", "Input", "NotCheckable", "Q", "Stated", "Tables",
    "article_number_forms", "article_table", "check_claim", "check_claims", "data_value", "evaluate", "fmt_gap",
    "formula_expression", "formula_interval", "gap_number", "judge", "load_claims", "parse_recipe",
    "parse_stated", "printed_step", "stated_date_range", "stated_interval", "stated_text_date", "status_words",
    "summary",
]
