"""The curated tables: the data package's schema, strict loaders and the data dictionary.

``from helpers import data`` keeps working; every public name of the sub-modules is
re-exported here. Loading never needs pandas until a frame is built.
"""
from helpers.data.descriptor import check_descriptor  # noqa: F401
from helpers.data.tables import (  # noqa: F401
    CONSTRAINTS, FIELD_TYPES, MAX_ERRORS, README_BEGIN, README_END, DataError, Problem, YearMonth, annual_quotas,
    calendar_issue, cite, data_dictionary_markdown, field_rules, load_events, load_exports, load_production,
    load_quotas, load_sources, load_table, monthly_exports, read_package, readme_with_dictionary, resource,
    schema_names, table_names, table_schema_problems, validate_all, validate_table)

__all__ = [
    "CONSTRAINTS", "FIELD_TYPES", "MAX_ERRORS", "README_BEGIN", "README_END", "DataError", "Problem", "YearMonth",
    "annual_quotas", "calendar_issue", "check_descriptor", "cite", "data_dictionary_markdown", "field_rules",
    "load_events", "load_exports", "load_production", "load_quotas", "load_sources", "load_table",
    "monthly_exports", "read_package", "readme_with_dictionary", "resource", "schema_names", "table_names",
    "table_schema_problems", "validate_all", "validate_table",
]
