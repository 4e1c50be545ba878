"""Claim checking: every number an article states, recomputed from the curated data.

The claims ledger (data/claims.csv) holds one row per number an article states: the
phrase, the number as printed, its unit and qualifier, and a *recipe* saying how to
recompute it from the curated tables. Sub-modules, one job each:

``intervals``  exact interval arithmetic (`Q`) and the checker's vocabulary
``stated``     the interval a stated number and its qualifier allow; the verdict
``lookups``    the curated tables and the lookups and helpers a recipe may call
``derived``    derived rows' expressions as intervals; the circularity rule's number forms
``recipe``     the recipe language (see its docstring) and its interpreter
``present``    numbers, gaps and status words as readers see them
``ledger``     load and check the ledger; per-article table and summary

This package re-exports the public API: ``from helpers import claims`` then
``claims.check_claims()``, ``claims.summary()``, ``claims.article_table()``.
"""
from helpers.claims.intervals import (  # noqa: F401
    ABOUT_TOLERANCE, ClaimError, DATE_UNITS, Input, MEASURED_UNITS, NotCheckable, Q, QUALIFIERS,
    REPORT_WINDOW_DAYS, STATUSES, STRUCTURAL_CONSTANTS, UNITS, data_value, printed_step)
from helpers.claims.stated import (  # noqa: F401
    Stated, judge, parse_stated, stated_date_range, stated_interval, stated_text_date)
from helpers.claims.lookups import (  # noqa: F401
    Context, FUNCTIONS, HELPERS, LOOKUPS, Tables, _pct_below)
from helpers.claims.derived import (  # noqa: F401
    article_number_forms, derived_interval, literal_interval)
from helpers.claims.recipe import (  # noqa: F401
    evaluate, parse_recipe)
from helpers.claims.present import (  # noqa: F401
    fmt_gap, gap_number, status_words)
from helpers.claims.ledger import (  # noqa: F401
    RESULTS_COLUMNS, RESULTS_SCHEMA, RESULTS_SCHEMA_FILE, _numbers_by_article, article_table, check_claim,
    check_claims, load_claims, summary)
from helpers.units import MEAN_MONTH_DAYS  # noqa: F401

__all__ = [
    "ABOUT_TOLERANCE", "ClaimError", "Context", "DATE_UNITS", "FUNCTIONS", "HELPERS", "Input", "LOOKUPS",
    "MEAN_MONTH_DAYS", "MEASURED_UNITS", "NotCheckable", "Q", "QUALIFIERS", "REPORT_WINDOW_DAYS",
    "RESULTS_COLUMNS", "RESULTS_SCHEMA", "RESULTS_SCHEMA_FILE", "STATUSES", "STRUCTURAL_CONSTANTS", "Stated",
    "Tables", "UNITS", "article_number_forms", "article_table", "check_claim", "check_claims", "data_value",
    "derived_interval", "evaluate", "fmt_gap", "gap_number", "judge", "load_claims",
    "literal_interval", "parse_recipe", "parse_stated", "printed_step", "stated_date_range", "stated_interval", "stated_text_date",
    "status_words", "summary",
]
